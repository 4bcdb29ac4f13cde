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
  /**
   * Ids of the first and last prediction folded in (ids sort in the order a process made them), when the
   * rows were predictions: which labelled predictions belong to the profile when times cannot tell.
   */
  ids?: { first: string; last: string };
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
 * Running state of a numeric column. Moments are Welford's (count, mean, M2): updated value by value for
 * single rows, and for a batch of columns computed by a corrected two-pass over the batch and merged with
 * Chan's formula (as accurate, and no division per value).
 */
class NumericAccumulator {
  count = 0;
  missing = 0;
  nonFinite = 0;
  typeErrors = 0;
  n = 0;
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;
  readonly bins: Float64Array | null;
  /** Distinct values and their counts while there are at most DISCRETE_LIMIT; null after. */
  keys: Float64Array | null = new Float64Array(DISCRETE_LIMIT);
  keyCounts = new Float64Array(DISCRETE_LIMIT);
  nKeys = 0;

  /**
   * A uniform grid over [e0, ek] whose cells hold the interval of the cell's left side: a value's bin is read
   * from its cell instead of found by a binary search, whose unpredictable branches dominate the cost of
   * folding a value. `gridExact` marks the cells with no edge in them or next to them: there the cell's
   * interval is the value's (next to an edge, rounding of the cell index could be off by one; those few
   * cells step to the right interval).
   */
  readonly grid: Int32Array | null = null;
  readonly gridExact: Uint8Array | null = null;
  readonly gridScale: number = 0;

  constructor(readonly edges: Float64Array | null) {
    this.bins = edges ? new Float64Array(binCount(edges)) : null;
    if (edges && edges.length > 2) {
      const k = edges.length - 1;
      const cells = 4096;
      const e0 = edges[0]!;
      const scale = cells / (edges[k]! - e0);
      const grid = new Int32Array(cells + 1);
      const hasEdge = new Uint8Array(cells + 2);
      let lo = 0;
      for (let c = 0; c <= cells; c++) {
        const left = e0 + c / scale;
        while (lo + 1 < k && edges[lo + 1]! <= left) lo++;
        grid[c] = lo;
      }
      for (let j = 0; j <= k; j++) {
        const c = Math.min(cells, Math.max(0, Math.floor((edges[j]! - e0) * scale)));
        hasEdge[c] = 1;
      }
      const exact = new Uint8Array(cells + 1);
      for (let c = 0; c <= cells; c++) exact[c] = hasEdge[c] || (c > 0 && hasEdge[c - 1]) || hasEdge[c + 1] ? 0 : 1;
      this.grid = grid;
      this.gridExact = exact;
      this.gridScale = scale;
    }
  }

  /** The bin of a finite value. */
  bin(x: number): number {
    const edges = this.edges!;
    const k = edges.length - 1;
    const e0 = edges[0]!;
    if (x < e0) return 0;
    if (x > edges[k]!) return k === 0 ? 2 : k + 1;
    if (k === 0) return 1;
    const grid = this.grid;
    if (grid === null) return x < edges[1]! || k === 1 ? 1 : 2;
    const c = Math.floor((x - e0) * this.gridScale);
    let lo = grid[c]!;
    if (this.gridExact![c] === 1) return lo + 1;
    while (lo + 1 < k && edges[lo + 1]! <= x) lo++;
    // The grid cell can start after x's interval only through rounding at its left side.
    while (lo > 0 && edges[lo]! > x) lo--;
    return lo + 1;
  }

  /** Adds a finite value. */
  value(x: number): void {
    const n = ++this.n;
    const d = x - this.mean;
    this.mean += d / n;
    this.m2 += d * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (this.bins !== null) this.bins[this.bin(x)]!++;
    if (this.keys !== null) this.countKey(x);
  }

  /** Counts a finite value among the distinct ones (until there are too many). */
  countKey(x: number): void {
    const keys = this.keys;
    if (keys !== null) {
      const v = x === 0 ? 0 : x;
      const nk = this.nKeys;
      let i = 0;
      while (i < nk && keys[i] !== v) i++;
      if (i < nk) this.keyCounts[i]!++;
      else if (nk < DISCRETE_LIMIT) {
        keys[nk] = v;
        this.keyCounts[nk] = 1;
        this.nKeys = nk + 1;
      } else this.keys = null;
    }
  }

  stats(): NumericStats {
    const n = this.n;
    const mean = this.mean;
    const m2 = Math.max(0, this.m2);
    let values: Record<string, number> | null = null;
    if (this.keys !== null) {
      values = {};
      for (let i = 0; i < this.nKeys; i++) values[numberKey(this.keys[i]!)] = this.keyCounts[i]!;
    }
    return {
      kind: 'numeric', count: this.count, missing: this.missing, nonFinite: this.nonFinite, typeErrors: this.typeErrors,
      n, mean, m2, min: n === 0 ? null : this.min, max: n === 0 ? null : this.max,
      bins: this.bins ? Array.from(this.bins) : null, values,
    };
  }
}

class CategoricalAccumulator {
  count = 0;
  missing = 0;
  typeErrors = 0;
  overflow = 0;
  readonly categories = new Map<string, number>();

  key(key: string): void {
    const c = this.categories.get(key);
    if (c !== undefined) this.categories.set(key, c + 1);
    else if (this.categories.size < CATEGORY_LIMIT) this.categories.set(key, 1);
    else this.overflow++;
  }

  raw(raw: unknown): void {
    this.count++;
    if (raw === null || raw === undefined) this.missing++;
    else if (typeof raw === 'string') this.key(raw);
    else if (typeof raw === 'number') this.key(numberKey(raw));
    else if (typeof raw === 'boolean') this.key(raw ? 'true' : 'false');
    else this.typeErrors++;
  }

  stats(): CategoricalStats {
    return { kind: 'categorical', count: this.count, missing: this.missing, typeErrors: this.typeErrors, categories: Object.fromEntries(this.categories), overflow: this.overflow };
  }
}

/** Dictionary-encoded categorical values: codes into a table, -1 for a missing value. */
export interface CodedColumn {
  codes: Int32Array;
  table: readonly string[];
}

/**
 * One column of a batch for ProfileBuilder.addColumns: a Float64Array for a numeric column (NaN = missing),
 * raw values (numbers, text, booleans, null) for any column, or dictionary codes for a categorical one.
 */
export type ColumnBatch = Float64Array | readonly unknown[] | CodedColumn;

/**
 * Folds rows into a profile, row by row (`add`) or a batch of columns at a time (`addColumns`, the fast
 * path). The row sample is a reservoir (Vitter's algorithm L: random numbers only for the rows that enter).
 */
export class ProfileBuilder {
  readonly columns: ColumnSpec[];
  private readonly accumulators: (NumericAccumulator | CategoricalAccumulator)[];
  private readonly sampleColumnIndex: number[];
  /** Position of each column in a sample row (-1 for categorical columns). */
  private readonly samplePosition: Int32Array;
  private readonly sampleData: Float64Array;
  private sampleRows = 0;
  private seen = 0;
  private readonly random: Random;
  private readonly ops: OperationStats = { errors: 0, rejected: 0, latency: {} };
  /** Algorithm L state: the index of the next row that enters the full reservoir, and W. */
  private nextEntry = 0;
  private w = 0;

  constructor(
    columns: ColumnSpec[],
    private readonly options: { layout?: BinLayout | null; sampleSize: number; seed?: number },
  ) {
    this.columns = columns;
    this.accumulators = columns.map((c) => {
      if (c.kind === 'categorical') return new CategoricalAccumulator();
      const e = options.layout?.edges[c.name];
      return new NumericAccumulator(e ? Float64Array.from(e) : null);
    });
    this.sampleColumnIndex = columns.flatMap((c, i) => (c.kind === 'numeric' ? [i] : []));
    this.samplePosition = new Int32Array(columns.length).fill(-1);
    this.sampleColumnIndex.forEach((c, s) => (this.samplePosition[c] = s));
    this.sampleData = new Float64Array(options.sampleSize * this.sampleColumnIndex.length);
    this.random = new Random(options.seed ?? 1);
  }

  get rows(): number {
    return this.seen;
  }

  /** The sample slot the next row takes, or -1; advances the row count. */
  private nextSlot(): number {
    const k = this.options.sampleSize;
    const i = this.seen++;
    if (i < k) {
      this.sampleRows++;
      if (i === k - 1) this.scheduleFirst();
      return i;
    }
    if (i !== this.nextEntry) return -1;
    const slot = this.random.below(k);
    this.w *= Math.exp(Math.log(this.random.next() || Number.MIN_VALUE) / k);
    this.nextEntry += this.skip();
    return slot;
  }

  private scheduleFirst(): void {
    const k = this.options.sampleSize;
    this.w = Math.exp(Math.log(this.random.next() || Number.MIN_VALUE) / k);
    this.nextEntry = k - 1 + this.skip();
  }

  private skip(): number {
    const u = this.random.next() || Number.MIN_VALUE;
    const d = Math.log(1 - this.w);
    return d === 0 ? Number.MAX_SAFE_INTEGER : Math.floor(Math.log(u) / d) + 1;
  }

  /** Adds one row; `value(i)` is the raw value of column i. */
  add(value: (column: number) => unknown): void {
    const slot = this.options.sampleSize > 0 ? this.nextSlot() : (this.seen++, -1);
    const width = this.sampleColumnIndex.length;
    for (let i = 0; i < this.accumulators.length; i++) {
      const raw = value(i);
      const acc = this.accumulators[i]!;
      if (acc instanceof NumericAccumulator) {
        const x = addRawNumber(acc, raw);
        if (slot >= 0) this.sampleData[slot * width + this.samplePosition[i]!] = x;
      } else acc.raw(raw);
    }
  }

  /** Adds `rows` rows given column by column (one ColumnBatch per column, in order). */
  addColumns(batch: readonly ColumnBatch[], rows: number): void {
    if (batch.length !== this.columns.length) throw new Error(`addColumns: ${batch.length} columns given, ${this.columns.length} expected`);
    // Sample slots first (they depend only on the row count), then one tight loop per column.
    const slots = new Int32Array(rows);
    if (this.options.sampleSize > 0) for (let r = 0; r < rows; r++) slots[r] = this.nextSlot();
    else {
      slots.fill(-1);
      this.seen += rows;
    }
    const width = this.sampleColumnIndex.length;
    const sample = this.sampleData;
    for (let i = 0; i < batch.length; i++) {
      const col = batch[i]!;
      const acc = this.accumulators[i]!;
      const pos = this.samplePosition[i]!;
      if (acc instanceof NumericAccumulator) {
        if (col instanceof Float64Array) foldNumbers(acc, col, rows, slots, sample, width, pos); else if (Array.isArray(col)) {
          for (let r = 0; r < rows; r++) {
            const x = addRawNumber(acc, col[r]);
            const slot = slots[r]!;
            if (slot >= 0) sample[slot * width + pos] = x;
          }
        } else throw new Error(`addColumns: column '${this.columns[i]!.name}' is numeric; give numbers, not codes`);
      } else if (col instanceof Float64Array) {
        for (let r = 0; r < rows; r++) acc.raw(col[r] !== col[r] ? null : col[r]);
      } else if (Array.isArray(col)) {
        for (let r = 0; r < rows; r++) acc.raw(col[r]);
      } else {
        const { codes, table } = col as CodedColumn;
        const counts = new Float64Array(table.length);
        acc.count += rows;
        for (let r = 0; r < rows; r++) {
          const c = codes[r]!;
          if (c < 0) acc.missing++;
          else counts[c]!++;
        }
        for (let c = 0; c < table.length; c++) {
          const n = counts[c]!;
          if (n === 0) continue;
          const key = table[c]!;
          const before = acc.categories.get(key);
          if (before !== undefined) acc.categories.set(key, before + n);
          else if (acc.categories.size < CATEGORY_LIMIT) acc.categories.set(key, n);
          else acc.overflow += n;
        }
      }
    }
  }

  /** Recounts `n` values of a numeric column that were given as missing (NaN) as type errors instead. */
  typeErrors(column: number, n: number): void {
    const acc = this.accumulators[column];
    if (!(acc instanceof NumericAccumulator) || n === 0) return;
    acc.missing -= n;
    acc.typeErrors += n;
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

  /** The profile so far. The sample is shuffled, so that any prefix of it is a uniform sample. */
  build(): Profile {
    const width = this.sampleColumnIndex.length;
    const rows = this.sampleRows;
    const data = this.sampleData.slice(0, rows * width);
    shuffleRows(data, width, rows, new Random((this.options.seed ?? 1) ^ 0x5bd1e995));
    const columns: Record<string, ColumnStats> = {};
    this.columns.forEach((c, i) => (columns[c.name] = this.accumulators[i]!.stats()));
    const sampleColumns = this.sampleColumnIndex.map((i) => this.columns[i]!.name);
    return {
      stats: { rows: this.seen, layout: this.options.layout?.id ?? null, columns, ops: structuredClone(this.ops), sampleColumns },
      sample: { columns: sampleColumns, rows, data },
    };
  }
}

/**
 * The fast path of addColumns for a numeric column: moments, min and max in local variables; bins through
 * the accumulator's grid; distinct values only until there are too many.
 */
function foldNumbers(acc: NumericAccumulator, col: Float64Array, rows: number, slots: Int32Array, sample: Float64Array, width: number, pos: number): void {
  acc.count += rows;
  let missing = 0;
  let nonFinite = 0;
  let n = 0;
  let sum = 0;
  let min = acc.min;
  let max = acc.max;
  const bins = acc.bins;
  const discrete = acc.keys !== null;
  // bin() inlined, with its constants in locals: this loop runs once per value.
  const edges = acc.edges;
  const grid = acc.grid;
  const exact = acc.gridExact;
  const scale = acc.gridScale;
  const k = edges ? edges.length - 1 : 0;
  const e0 = edges ? edges[0]! : 0;
  const ek = edges ? edges[k]! : 0;
  for (let r = 0; r < rows; r++) {
    const x = col[r]!;
    const slot = slots[r]!;
    if (x !== x) {
      missing++;
      if (slot >= 0) sample[slot * width + pos] = NaN;
      continue;
    }
    if (x === Infinity || x === -Infinity) {
      nonFinite++;
      if (slot >= 0) sample[slot * width + pos] = NaN;
      continue;
    }
    n++;
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
    if (grid !== null) {
      if (x < e0) bins![0]!++;
      else if (x > ek) bins![k + 1]!++;
      else {
        const c = ((x - e0) * scale) | 0;
        let lo = grid[c]!;
        if (exact![c] !== 1) {
          while (lo + 1 < k && edges![lo + 1]! <= x) lo++;
          while (lo > 0 && edges![lo]! > x) lo--;
        }
        bins![lo + 1]!++;
      }
    } else if (bins !== null) bins[acc.bin(x)]!++;
    if (discrete && acc.keys !== null) acc.countKey(x);
    if (slot >= 0) sample[slot * width + pos] = x;
  }
  acc.min = min;
  acc.max = max;
  acc.missing += missing;
  acc.nonFinite += nonFinite;
  if (n === 0) return;
  // The batch's mean and M2 by the corrected two-pass algorithm, then Chan's merge into the running state.
  let mean = sum / n;
  let m2 = 0;
  let comp = 0;
  for (let r = 0; r < rows; r++) {
    const x = col[r]!;
    if (x !== x || x === Infinity || x === -Infinity) continue;
    const d = x - mean;
    m2 += d * d;
    comp += d;
  }
  m2 -= (comp * comp) / n;
  mean += comp / n;
  const total = acc.n + n;
  const delta = mean - acc.mean;
  acc.mean += (delta * n) / total;
  acc.m2 += m2 + (delta * delta * acc.n * n) / total;
  acc.n = total;
}

/** Adds a raw value to a numeric column; returns what the sample holds for it (NaN unless finite). */
function addRawNumber(acc: NumericAccumulator, raw: unknown): number {
  acc.count++;
  if (raw === null || raw === undefined) {
    acc.missing++;
    return NaN;
  }
  let x: number;
  if (typeof raw === 'number') x = raw;
  else if (typeof raw === 'boolean') x = raw ? 1 : 0;
  else {
    acc.typeErrors++;
    return NaN;
  }
  if (!Number.isFinite(x)) {
    acc.nonFinite++;
    return NaN;
  }
  acc.value(x);
  return x;
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
    ...mergeIds(a.ids, b.ids),
  };
}

function mergeIds(a: ProfileStats['ids'], b: ProfileStats['ids']): { ids?: { first: string; last: string } } {
  if (!a || !b) return a || b ? { ids: (a ?? b)! } : {};
  return { ids: { first: a.first < b.first ? a.first : b.first, last: a.last > b.last ? a.last : b.last } };
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

/**
 * Two profiles' rows together: stats merged, samples merged proportionally (at most `sampleRows` rows). The
 * sample keeps the wider column list (the second on a tie).
 */
export function mergeProfiles(a: Profile, b: Profile, sampleRows: number): Profile {
  const columns = b.sample.columns.length >= a.sample.columns.length ? b.sample.columns : a.sample.columns;
  const sample = mergeSamples(
    [
      { rows: a.stats.rows, sample: a.sample },
      { rows: b.stats.rows, sample: b.sample },
    ],
    sampleRows,
    columns,
  );
  const stats = mergeStats(a.stats, b.stats);
  stats.sampleColumns = columns;
  return { stats, sample };
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
