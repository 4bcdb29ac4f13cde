/**
 * Mergeable column profiles: what monitoring keeps about a set of rows (a reference, or one window of
 * served predictions) so that drift, data quality and operations can be reported over any range of windows
 * without reading the raw rows again.
 *
 * Per column:
 * - counts of rows, missing values (null), non-finite numbers (NaN, ±Infinity) and type errors;
 * - numeric: count, mean and M2 of the finite values (Welford; merged with Chan's formula), min and max,
 *   counts in the reference's fixed bins (quantile bins plus an under-range and an over-range bin), and the
 *   distinct values with their counts while there are at most DISCRETE_LIMIT of them;
 * - categorical: counts per category while there are at most CATEGORY_LIMIT, then an overflow count.
 * Per profile: a uniform sample of rows (reservoir sampling; numeric columns only), kept in random order
 * so that any prefix of it is a uniform sample too; and, for windows, failures and a latency histogram.
 *
 * Pure code without I/O. Random choices come from a seeded generator, so a profile is reproducible.
 */

export type ColumnKind = 'numeric' | 'categorical';

export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
}

/** The column that holds the model's prediction in a profile. */
export const PREDICTION_COLUMN = '$prediction';
/** Numeric columns keep per-value counts while they have at most this many distinct values. */
export const DISCRETE_LIMIT = 32;
/** Categorical columns keep counts for at most this many categories; the rest is counted as overflow. */
export const CATEGORY_LIMIT = 256;
/** Quantile bins of a numeric reference column (before merging equal edges). */
export const REFERENCE_BINS = 20;
/** Latency histogram buckets grow by this factor (about 1% relative resolution). */
const LATENCY_GROWTH = 1.02;
const LOG_LATENCY_GROWTH = Math.log(LATENCY_GROWTH);

export interface NumericStats {
  kind: 'numeric';
  /** Rows seen, missing ones included. */
  count: number;
  missing: number;
  nonFinite: number;
  typeErrors: number;
  /** Finite values: how many, their mean, sum of squared deviations, min and max. */
  n: number;
  mean: number;
  m2: number;
  min: number | null;
  max: number | null;
  /**
   * Counts in the bins of the layout named by the profile's `layout`: [below edges[0], [e0,e1), …,
   * [e(k-1), e(k)], above e(k)]. Null when the profile was folded without a layout.
   */
  bins: number[] | null;
  /** Distinct finite values → count; null once there were more than DISCRETE_LIMIT of them. */
  values: Record<string, number> | null;
}

export interface CategoricalStats {
  kind: 'categorical';
  count: number;
  missing: number;
  /** Values that are neither text, number nor boolean (objects, arrays). */
  typeErrors: number;
  categories: Record<string, number>;
  /** Values of categories beyond CATEGORY_LIMIT (not kept by name). */
  overflow: number;
}

export type ColumnStats = NumericStats | CategoricalStats;

export interface OperationStats {
  /** Requests that failed in the model (or timed out) and requests refused by validation. */
  errors: number;
  rejected: number;
  /** Latency bucket → predictions (see latencyBucket). */
  latency: Record<string, number>;
}

/** The mergeable part of a profile (stored as JSON). */
export interface ProfileStats {
  /** Rows (predictions) folded in. */
  rows: number;
  /** Id of the layout that numeric `bins` follow, or null. */
  layout: string | null;
  columns: Record<string, ColumnStats>;
  ops: OperationStats;
  /** Numeric columns held by the row sample, in order. */
  sampleColumns: string[];
}

/** Fixed bin edges per numeric column, made from a reference. */
export interface BinLayout {
  id: string;
  edges: Record<string, number[]>;
}

/** A row sample: `rows` rows of `columns.length` float64 values each, row-major; NaN = missing. */
export interface RowSample {
  columns: string[];
  rows: number;
  data: Float64Array;
}

export interface Profile {
  stats: ProfileStats;
  sample: RowSample;
}

// ---------------------------------------------------------------------------------------------
// Random numbers

/** xoshiro128** (Blackman and Vigna) seeded through splitmix32; doubles in [0, 1). Seeded, so profiles are reproducible. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed = 1) {
    let x = seed >>> 0;
    const split = () => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }
  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9);
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r >>> 0;
  }
  /** A double in [0, 1) with 53 random bits. */
  next(): number {
    return ((this.nextUint32() >>> 5) * 67108864 + (this.nextUint32() >>> 6)) / 9007199254740992;
  }
  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

// ---------------------------------------------------------------------------------------------
// Latency buckets

/** Bucket of a latency in microseconds: 0 for ≤ 1 µs, then ⌈log_1.02(µs)⌉. */
export function latencyBucket(micros: number): number {
  return micros <= 1 ? 0 : Math.ceil(Math.log(micros) / LOG_LATENCY_GROWTH - 1e-9);
}

/** The upper bound (µs) of a bucket. */
export function bucketUpperMicros(bucket: number): number {
  return bucket === 0 ? 1 : LATENCY_GROWTH ** bucket;
}

/** The q-quantile (0..1) of the latencies in a histogram, in milliseconds; null when empty. */
export function latencyQuantileMs(hist: Record<string, number>, q: number): number | null {
  const buckets = Object.keys(hist).map(Number).sort((a, b) => a - b);
  let total = 0;
  for (const b of buckets) total += hist[b]!;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const b of buckets) {
    seen += hist[b]!;
    if (seen >= rank) return bucketUpperMicros(b) / 1000;
  }
  return bucketUpperMicros(buckets[buckets.length - 1]!) / 1000;
}

// ---------------------------------------------------------------------------------------------
// Building profiles

function emptyColumn(kind: ColumnKind, bins: number): ColumnStats {
  if (kind === 'categorical') return { kind, count: 0, missing: 0, typeErrors: 0, categories: {}, overflow: 0 };
  return {
    kind, count: 0, missing: 0, nonFinite: 0, typeErrors: 0, n: 0, mean: 0, m2: 0, min: null, max: null,
    bins: bins > 0 ? new Array<number>(bins).fill(0) : null, values: {},
  };
}

/** Index of the bin of v for edges e0 < … < ek: 0 below e0, k+1 above ek, else 1 + the interval. */
export function binIndex(edges: ArrayLike<number>, v: number): number {
  const k = edges.length - 1;
  if (v < edges[0]!) return 0;
  if (v > edges[k]!) return k === 0 ? 2 : k + 1;
  if (k === 0) return 1; // a single edge: one interior bin holding exactly that value
  let lo = 0;
  let hi = k;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (edges[mid]! <= v) lo = mid;
    else hi = mid;
  }
  return lo + 1;
}

/** Number of bins a column of this layout has (under + interior + over). */
export function binCount(edges: ArrayLike<number>): number {
  return edges.length === 1 ? 3 : edges.length + 1;
}

/**
 * Folds rows into a profile. Each row is given as a function from column index to raw value (a number,
 * text, boolean or null), so rows can come from parsed log records or from column arrays alike.
 */
export class ProfileBuilder {
  readonly columns: ColumnSpec[];
  private readonly stats: ColumnStats[];
  private readonly edges: (Float64Array | null)[];
  private readonly sampleColumnIndex: number[];
  private readonly sampleData: Float64Array;
  private sampleRows = 0;
  private seen = 0;
  private readonly random: Random;
  private readonly ops: OperationStats = { errors: 0, rejected: 0, latency: {} };

  constructor(
    columns: ColumnSpec[],
    private readonly options: { layout?: BinLayout | null; sampleSize: number; seed?: number },
  ) {
    this.columns = columns;
    this.edges = columns.map((c) => {
      const e = c.kind === 'numeric' ? options.layout?.edges[c.name] : undefined;
      return e ? Float64Array.from(e) : null;
    });
    this.stats = columns.map((c, i) => emptyColumn(c.kind, this.edges[i] ? binCount(this.edges[i]!) : 0));
    this.sampleColumnIndex = columns.flatMap((c, i) => (c.kind === 'numeric' ? [i] : []));
    this.sampleData = new Float64Array(options.sampleSize * this.sampleColumnIndex.length);
    this.random = new Random(options.seed ?? 1);
  }

  get rows(): number {
    return this.seen;
  }

  /** Adds one row; `value(i)` is the raw value of column i. */
  add(value: (column: number) => unknown): void {
    const { sampleSize } = this.options;
    // Reservoir sampling (algorithm R): the row takes slot `slot` of the sample, or none.
    let slot = -1;
    if (this.seen < sampleSize) slot = this.sampleRows++;
    else {
      const j = this.random.below(this.seen + 1);
      if (j < sampleSize) slot = j;
    }
    this.seen++;
    const width = this.sampleColumnIndex.length;
    let s = 0;
    for (let i = 0; i < this.stats.length; i++) {
      const raw = value(i);
      const st = this.stats[i]!;
      if (st.kind === 'numeric') {
        const x = this.addNumeric(st, this.edges[i]!, raw);
        if (slot >= 0) this.sampleData[slot * width + s] = x;
        s++;
      } else addCategorical(st, raw);
    }
  }

  /** Counts a request that failed (`rejected` when validation refused it). */
  failure(rejected: boolean): void {
    if (rejected) this.ops.rejected++;
    else this.ops.errors++;
  }

  latency(micros: number): void {
    const b = latencyBucket(micros);
    this.ops.latency[b] = (this.ops.latency[b] ?? 0) + 1;
  }

  private addNumeric(st: NumericStats, edges: Float64Array | null, raw: unknown): number {
    st.count++;
    if (raw === null || raw === undefined) {
      st.missing++;
      return NaN;
    }
    let x: number;
    if (typeof raw === 'number') x = raw;
    else if (typeof raw === 'boolean') x = raw ? 1 : 0;
    else {
      st.typeErrors++;
      return NaN;
    }
    if (!Number.isFinite(x)) {
      st.nonFinite++;
      return NaN;
    }
    const n = ++st.n;
    const d = x - st.mean;
    st.mean += d / n;
    st.m2 += d * (x - st.mean);
    if (st.min === null || x < st.min) st.min = x;
    if (st.max === null || x > st.max) st.max = x;
    if (edges !== null && st.bins !== null) {
      const b = binIndex(edges, x);
      st.bins[b]!++;
    }
    if (st.values !== null) {
      const key = numberKey(x);
      const c = st.values[key];
      if (c !== undefined) st.values[key] = c + 1;
      else if (Object.keys(st.values).length < DISCRETE_LIMIT) st.values[key] = 1;
      else st.values = null;
    }
    return x;
  }

  /** The profile so far. The sample is shuffled, so that any prefix of it is a uniform sample. */
  build(): Profile {
    const width = this.sampleColumnIndex.length;
    const rows = this.sampleRows;
    const data = this.sampleData.slice(0, rows * width);
    shuffleRows(data, width, rows, new Random((this.options.seed ?? 1) ^ 0x5bd1e995));
    const columns: Record<string, ColumnStats> = {};
    this.columns.forEach((c, i) => (columns[c.name] = structuredClone(this.stats[i]!)));
    const sampleColumns = this.sampleColumnIndex.map((i) => this.columns[i]!.name);
    return {
      stats: { rows: this.seen, layout: this.options.layout?.id ?? null, columns, ops: structuredClone(this.ops), sampleColumns },
      sample: { columns: sampleColumns, rows, data },
    };
  }
}

function addCategorical(st: CategoricalStats, raw: unknown): void {
  st.count++;
  if (raw === null || raw === undefined) {
    st.missing++;
    return;
  }
  let key: string;
  if (typeof raw === 'string') key = raw;
  else if (typeof raw === 'number') key = numberKey(raw);
  else if (typeof raw === 'boolean') key = raw ? 'true' : 'false';
  else {
    st.typeErrors++;
    return;
  }
  const c = st.categories[key];
  if (c !== undefined) st.categories[key] = c + 1;
  else if (Object.keys(st.categories).length < CATEGORY_LIMIT) st.categories[key] = 1;
  else st.overflow++;
}

/** The text key of a number in value maps (-0 and 0 are one value). */
export function numberKey(x: number): string {
  return x === 0 ? '0' : String(x);
}

// ---------------------------------------------------------------------------------------------
// Reference layouts

/** numpy.quantile(sorted, q) with the default linear method; `sorted` ascending, non-empty. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (pos - lo);
}

/**
 * Quantile edges for a numeric column: the 0, 1/B, …, 1 quantiles of its finite values with equal edges
 * merged, so that a bin never has zero width; one edge when all values are equal. Null when the column has
 * no finite value.
 */
export function quantileEdges(values: ArrayLike<number>, bins = REFERENCE_BINS): number[] | null {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) finite.push(v);
  }
  if (finite.length === 0) return null;
  const sorted = Float64Array.from(finite).sort();
  const edges: number[] = [];
  for (let i = 0; i <= bins; i++) {
    const e = quantileSorted(sorted, i / bins);
    if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e);
  }
  return edges;
}

// ---------------------------------------------------------------------------------------------
// Merging

function mergeColumn(a: ColumnStats, b: ColumnStats, sameLayout: boolean): ColumnStats {
  if (a.kind === 'categorical' && b.kind === 'categorical') {
    const categories = { ...a.categories };
    let overflow = a.overflow + b.overflow;
    for (const [k, v] of Object.entries(b.categories)) {
      if (categories[k] !== undefined) categories[k] += v;
      else if (Object.keys(categories).length < CATEGORY_LIMIT) categories[k] = v;
      else overflow += v;
    }
    return { kind: 'categorical', count: a.count + b.count, missing: a.missing + b.missing, typeErrors: a.typeErrors + b.typeErrors, categories, overflow };
  }
  if (a.kind === 'numeric' && b.kind === 'numeric') {
    const n = a.n + b.n;
    const d = b.mean - a.mean;
    const mean = n === 0 ? 0 : a.mean + (d * b.n) / n;
    const m2 = n === 0 ? 0 : a.m2 + b.m2 + (d * d * a.n * b.n) / n;
    let values: Record<string, number> | null = null;
    if (a.values !== null && b.values !== null) {
      values = { ...a.values };
      for (const [k, v] of Object.entries(b.values)) values[k] = (values[k] ?? 0) + v;
      if (Object.keys(values).length > DISCRETE_LIMIT) values = null;
    }
    const bins = sameLayout && a.bins !== null && b.bins !== null && a.bins.length === b.bins.length ? a.bins.map((v, i) => v + b.bins![i]!) : null;
    return {
      kind: 'numeric', count: a.count + b.count, missing: a.missing + b.missing, nonFinite: a.nonFinite + b.nonFinite, typeErrors: a.typeErrors + b.typeErrors,
      n, mean, m2, min: minOf(a.min, b.min), max: maxOf(a.max, b.max), bins, values,
    };
  }
  throw new Error('cannot merge a numeric column with a categorical one');
}

function minOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}
function maxOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

/** The stats of two profiles' rows together. Bins survive only when both follow the same layout. */
export function mergeStats(a: ProfileStats, b: ProfileStats): ProfileStats {
  if (a.rows === 0 && Object.keys(a.columns).length === 0) return structuredClone(b);
  if (b.rows === 0 && Object.keys(b.columns).length === 0) return structuredClone(a);
  const sameLayout = a.layout !== null && a.layout === b.layout;
  const columns: Record<string, ColumnStats> = {};
  for (const [name, col] of Object.entries(a.columns)) {
    const other = b.columns[name];
    columns[name] = other && other.kind === col.kind ? mergeColumn(col, other, sameLayout) : structuredClone(col);
    if (!sameLayout && columns[name]!.kind === 'numeric') (columns[name] as NumericStats).bins = null;
  }
  for (const [name, col] of Object.entries(b.columns)) if (!(name in columns)) columns[name] = structuredClone(col);
  const latency = { ...a.ops.latency };
  for (const [k, v] of Object.entries(b.ops.latency)) latency[k] = (latency[k] ?? 0) + v;
  return {
    rows: a.rows + b.rows,
    layout: sameLayout ? a.layout : null,
    columns,
    ops: { errors: a.ops.errors + b.ops.errors, rejected: a.ops.rejected + b.ops.rejected, latency },
    sampleColumns: a.sampleColumns.length >= b.sampleColumns.length ? a.sampleColumns : b.sampleColumns,
  };
}

export function emptyStats(): ProfileStats {
  return { rows: 0, layout: null, columns: {}, ops: { errors: 0, rejected: 0, latency: {} }, sampleColumns: [] };
}

/**
 * A uniform-as-possible sample of the rows of several windows together: each window gives a share of
 * `target` rows proportional to its row count, taken from the front of its sample (which is in random
 * order). Fractional shares are rounded by systematic sampling (one random offset), so every window gets
 * its share on average and the total is exact. When a window's sample is too small for its share, the
 * total is lowered so that every window keeps its proportion: the result is a proportionally stratified
 * sample with equal weights, which the sample-based tests can use as it is. The rows come out shuffled, so
 * that prefixes of the result are uniform samples again.
 */
export function mergeSamples(parts: { rows: number; sample: RowSample }[], target: number, columns: string[], random: Random = new Random(17)): RowSample {
  const total = parts.reduce((s, p) => s + p.rows, 0);
  if (total === 0) return { columns, rows: 0, data: new Float64Array(0) };
  let size = Math.min(target, parts.reduce((s, p) => s + p.sample.rows, 0));
  for (const p of parts) if (p.rows > 0 && p.sample.rows < p.rows) size = Math.min(size, Math.floor((p.sample.rows * total) / p.rows));
  const offset = random.next();
  let cumulative = 0;
  const take = parts.map((p) => {
    const before = Math.floor(cumulative + offset);
    cumulative += (size * p.rows) / total;
    return Math.min(p.sample.rows, Math.floor(cumulative + offset + 1e-9) - before);
  });
  const width = columns.length;
  const rows = take.reduce((s, t) => s + t, 0);
  const data = new Float64Array(rows * width).fill(NaN);
  let r = 0;
  parts.forEach((p, i) => {
    const src = p.sample;
    const map = columns.map((c) => src.columns.indexOf(c));
    const w = src.columns.length;
    for (let k = 0; k < take[i]!; k++, r++) {
      for (let c = 0; c < width; c++) {
        const j = map[c]!;
        if (j >= 0) data[r * width + c] = src.data[k * w + j]!;
      }
    }
  });
  shuffleRows(data, width, rows, random);
  return { columns, rows, data };
}

/** Fisher–Yates shuffle of the rows of a row-major array. */
export function shuffleRows(data: Float64Array, width: number, rows: number, random: Random): void {
  if (width === 0) return;
  const tmp = new Float64Array(width);
  for (let i = rows - 1; i > 0; i--) {
    const j = random.below(i + 1);
    if (j === i) continue;
    tmp.set(data.subarray(i * width, i * width + width));
    data.copyWithin(i * width, j * width, j * width + width);
    data.set(tmp, j * width);
  }
}

/** The values of one column of a sample (NaN for missing ones). */
export function sampleColumn(sample: RowSample, column: string): Float64Array {
  const j = sample.columns.indexOf(column);
  const out = new Float64Array(sample.rows);
  if (j < 0) return out.fill(NaN);
  const w = sample.columns.length;
  for (let r = 0; r < sample.rows; r++) out[r] = sample.data[r * w + j]!;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Encoding samples

/** Base64 of the sample's float64 values (little-endian), row-major. */
export function encodeSample(sample: RowSample): string {
  return Buffer.from(sample.data.buffer, sample.data.byteOffset, sample.data.byteLength).toString('base64');
}

/** Characters of the base64 text that hold the first `rows` rows of a sample `width` values wide. */
export function samplePrefixChars(rows: number, width: number): number {
  return Math.ceil((rows * width * 8) / 3) * 4;
}

/** Decodes a (possibly cut) base64 sample; only whole rows are kept. */
export function decodeSample(text: string, columns: string[]): RowSample {
  const width = columns.length;
  const cut = text.length - (text.length % 4);
  const bytes = Buffer.from(text.slice(0, cut), 'base64');
  const rows = width === 0 ? 0 : Math.floor(bytes.length / (8 * width));
  const data = new Float64Array(rows * width);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < data.length; i++) data[i] = view.getFloat64(i * 8, true);
  return { columns, rows, data };
}
