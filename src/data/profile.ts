/**
 * Profiles of a stored dataset version, computed once by DuckDB and kept as JSON. Conventions follow pandas'
 * describe(): NaN is missing; std is the sample standard deviation (n − 1); quantiles interpolate linearly
 * between order statistics.
 */
import type { ColumnSchema, ColumnType } from './column-types.js';
import type { DataEngine } from './engine.js';
import { ident, literal } from './sql.js';

export const PROFILE_QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99] as const;
export const HISTOGRAM_BINS = 20;
export const TOP_VALUES = 10;
export const EXAMPLE_ROWS = 5;
/** Distinct values are counted exactly up to this many (estimated above it, with HyperLogLog). */
export const EXACT_DISTINCT_LIMIT = 100_000;

export interface ColumnProfile {
  name: string;
  type: ColumnType;
  /** Values present (not missing). */
  count: number;
  missing: number;
  distinct: number;
  distinctExact: boolean;
  min?: number | string | boolean | null;
  max?: number | string | boolean | null;
  mean?: number | null;
  std?: number | null;
  quantiles?: Record<string, number | null>;
  /** Equal-width bins between min and max: edges has one more entry than counts. */
  histogram?: { edges: (number | string)[]; counts: number[] };
  top?: { value: string | number | boolean; count: number }[];
  trueCount?: number;
  falseCount?: number;
}

export interface DatasetProfile {
  rows: number;
  columns: ColumnProfile[];
  examples: Record<string, unknown>[];
}

const numericTypes = new Set<ColumnType>(['numeric', 'integer']);

/** The column as SQL, with NaN turned into NULL for floating-point columns (pandas counts NaN as missing). */
function value(c: ColumnSchema): string {
  return c.storage === 'DOUBLE' ? `(case when isnan(${ident(c.name)}) then null else ${ident(c.name)} end)` : ident(c.name);
}

function quantileKey(q: number): string {
  return `p${String(Math.round(q * 100)).padStart(2, '0')}`;
}

export async function profileDataset(
  engine: DataEngine,
  parquetPath: string,
  schema: ColumnSchema[],
  progress: (fraction: number, message: string) => Promise<void> = async () => undefined,
): Promise<DatasetProfile> {
  const src = `read_parquet(${literal(parquetPath)})`;
  return engine.use(async (db) => {
    // 1. One scan: counts, missing, distinct estimates, moments and quantiles.
    const parts = ['count(*) as rows'];
    schema.forEach((c, i) => {
      const v = value(c);
      parts.push(`count(${v}) as c${i}`, `approx_count_distinct(${v}) as d${i}`);
      if (numericTypes.has(c.type)) {
        parts.push(`min(${v}) as mn${i}`, `max(${v}) as mx${i}`, `avg(${v}) as av${i}`, `stddev_samp(${v}) as sd${i}`);
        parts.push(`quantile_cont(${v}, [${PROFILE_QUANTILES.join(', ')}]) as q${i}`);
      } else if (c.type === 'datetime') {
        parts.push(`min(${v}) as mn${i}`, `max(${v}) as mx${i}`, `epoch_us(min(${v})) as mnu${i}`, `epoch_us(max(${v})) as mxu${i}`);
      } else if (c.type === 'boolean') {
        parts.push(`count_if(${v}) as t${i}`, `count_if(not ${v}) as f${i}`);
      } else {
        parts.push(`min(${v}) as mn${i}`, `max(${v}) as mx${i}`);
      }
    });
    await progress(0.05, 'counting and summarising');
    const first = (await db.runAndReadAll(`select ${parts.join(', ')} from ${src}`)).getRowObjectsJson()[0]!;
    const rows = Number(first.rows);
    const num = (x: unknown): number | null => (x === null || x === undefined ? null : Number(x));

    const columns: ColumnProfile[] = schema.map((c, i) => {
      const count = Number(first[`c${i}`]);
      const p: ColumnProfile = { name: c.name, type: c.type, count, missing: rows - count, distinct: Number(first[`d${i}`]), distinctExact: false };
      if (numericTypes.has(c.type)) {
        const q = first[`q${i}`] as (number | string | null)[] | null;
        Object.assign(p, {
          min: num(first[`mn${i}`]),
          max: num(first[`mx${i}`]),
          mean: num(first[`av${i}`]),
          std: num(first[`sd${i}`]),
          quantiles: Object.fromEntries(PROFILE_QUANTILES.map((qq, k) => [quantileKey(qq), q ? num(q[k]) : null])),
        });
      } else if (c.type === 'datetime') {
        Object.assign(p, { min: first[`mn${i}`] ?? null, max: first[`mx${i}`] ?? null });
      } else if (c.type === 'boolean') {
        Object.assign(p, { trueCount: Number(first[`t${i}`]), falseCount: Number(first[`f${i}`]) });
      } else {
        Object.assign(p, { min: first[`mn${i}`] ?? null, max: first[`mx${i}`] ?? null });
      }
      return p;
    });

    // 2. Exact distinct counts where the estimate says they are small enough to count.
    await progress(0.35, 'counting distinct values');
    const exact = schema.map((c, i) => ({ c, i })).filter(({ i }) => columns[i]!.distinct <= EXACT_DISTINCT_LIMIT);
    if (exact.length > 0) {
      const r = (await db.runAndReadAll(`select ${exact.map(({ c, i }) => `count(distinct ${value(c)}) as e${i}`).join(', ')} from ${src}`)).getRowObjectsJson()[0]!;
      for (const { i } of exact) Object.assign(columns[i]!, { distinct: Number(r[`e${i}`]), distinctExact: true });
    }

    // 3. Histograms of numeric and datetime columns: equal-width bins between min and max, in one scan.
    await progress(0.55, 'building histograms');
    const binned = schema
      .map((c, i) => ({ c, i, p: columns[i]! }))
      .filter(({ c, p }) => (numericTypes.has(c.type) || c.type === 'datetime') && p.count > 0);
    if (binned.length > 0) {
      const bounds = binned.map(({ c, i, p }) => {
        const lo = c.type === 'datetime' ? Number(first[`mnu${i}`]) : (p.min as number);
        const hi = c.type === 'datetime' ? Number(first[`mxu${i}`]) : (p.max as number);
        return { lo, hi, width: hi > lo ? (hi - lo) / HISTOGRAM_BINS : 1 };
      });
      const sqlParts = binned.map(({ c }, k) => {
        const { lo, hi, width } = bounds[k]!;
        const x = c.type === 'datetime' ? `epoch_us(${value(c)})` : value(c);
        // The top edge belongs to the last bin, as in numpy.histogram.
        return `histogram(least(floor((${x} - ${lo}) / ${width}), ${HISTOGRAM_BINS - 1})::integer) filter (where ${x} is not null and ${hi} >= ${lo}) as h${k}`;
      });
      const r = (await db.runAndReadAll(`select ${sqlParts.join(', ')} from ${src}`)).getRowObjectsJson()[0]!;
      binned.forEach(({ c, p }, k) => {
        const { lo, width } = bounds[k]!;
        const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
        const map = r[`h${k}`] as { key: number; value: number }[] | Record<string, number> | null;
        const entries = Array.isArray(map) ? map.map((e) => [e.key, e.value] as const) : Object.entries(map ?? {});
        for (const [bin, n] of entries) counts[Number(bin)] = Number(n);
        const edges = Array.from({ length: HISTOGRAM_BINS + 1 }, (_, b) => lo + b * width);
        p.histogram = { edges: c.type === 'datetime' ? edges.map((us) => new Date(us / 1000).toISOString()) : edges, counts };
      });
    }

    // 4. Most frequent values of categorical, text and boolean columns.
    await progress(0.75, 'finding frequent values');
    for (const [i, c] of schema.entries()) {
      if (numericTypes.has(c.type) || c.type === 'datetime') continue;
      const r = await db.runAndReadAll(
        `select ${ident(c.name)} as v, count(*) as n from ${src} where ${ident(c.name)} is not null group by 1 order by n desc, v limit ${TOP_VALUES}`,
      );
      columns[i]!.top = r.getRowObjectsJson().map((row) => ({ value: row.v as string | number | boolean, count: Number(row.n) }));
    }

    // 5. A few rows as they are stored.
    await progress(0.95, 'taking example rows');
    const examples = (await db.runAndReadAll(`select * from ${src} limit ${EXAMPLE_ROWS}`)).getRowObjectsJson();
    return { rows, columns, examples };
  });
}
