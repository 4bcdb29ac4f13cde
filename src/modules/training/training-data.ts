/**
 * Training data: a dataset version's feature columns as one row-major matrix of doubles (NaN for missing
 * values, booleans as 0/1), the target as numbers (class indices for classification, in the order of the
 * spec's sorted class labels), and reproducible splits of the rows.
 */
import type { DataEngine } from '../../data/engine.js';
import { ident, literal } from '../../data/sql.js';
import { SeededRandom } from '../../ml/gbdt/gbdt-trainer.js';
import type { FitData } from './fit.js';
import { MAX_CLASSES, type TargetSummary, type TrainingSpec } from './training-spec.js';

/** The most cells (rows × features) one training reads: 8 bytes each in memory, copied once per fit. */
export const MAX_TRAINING_CELLS = 25_000_000;

const from = (path: string) => `read_parquet(${literal(path)})`;

/** Rows with a target value, and the target's distinct values (sorted: numbers numerically, text by code point). */
export async function summarizeTarget(engine: DataEngine, parquetPath: string, target: string, numeric: boolean): Promise<TargetSummary> {
  const t = ident(target);
  return engine.use(async (db) => {
    const rows = Number((await db.runAndReadAll(`select count(${t}) as n from ${from(parquetPath)}`)).getRowObjectsJson()[0]!.n);
    const order = numeric ? `min(${t})` : 'v';
    const r = await db.runAndReadAll(
      `select cast(${t} as varchar) as v from ${from(parquetPath)} where ${t} is not null group by v order by ${order} limit ${MAX_CLASSES + 1}`,
    );
    const distinct = r.getRowObjectsJson().map((row) => String(row.v));
    return { rows, distinct: distinct.slice(0, MAX_CLASSES), moreDistinct: distinct.length > MAX_CLASSES };
  });
}

/** Reads features and target; rows without a target value are left out (counted in `dropped`). */
export async function loadTrainingData(
  engine: DataEngine,
  parquetPath: string,
  spec: Pick<TrainingSpec, 'target' | 'features' | 'task' | 'classes'>,
  options: { limit?: number } = {},
): Promise<FitData & { dropped: number }> {
  const t = ident(spec.target);
  const select = spec.features.map((f, i) => `cast(${ident(f)} as double) as f${i}`).join(', ');
  const targetExpr = spec.task === 'regression' ? `cast(${t} as double)` : `cast(${t} as varchar)`;
  return engine.use(async (db) => {
    const total = Number((await db.runAndReadAll(`select count(*) as n from ${from(parquetPath)}`)).getRowObjectsJson()[0]!.n);
    const r = await db.runAndReadAll(`select ${select}, ${targetExpr} as target__ from ${from(parquetPath)} where ${t} is not null${options.limit ? ` limit ${Math.floor(options.limit)}` : ''}`);
    const cols = r.getColumnsObjectJS() as Record<string, unknown[]>;
    const targetCol = cols.target__!;
    const rows = targetCol.length;
    const F = spec.features.length;
    const x = new Float64Array(rows * F);
    for (let j = 0; j < F; j++) {
      const col = cols[`f${j}`]!;
      for (let i = 0; i < rows; i++) {
        const v = col[i];
        x[i * F + j] = typeof v === 'number' && Number.isFinite(v) ? v : NaN;
      }
    }
    const y = new Float64Array(rows);
    if (spec.task === 'regression') {
      for (let i = 0; i < rows; i++) {
        const v = targetCol[i];
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`the target '${spec.target}' has a value that is not a finite number (${String(v)}) in row ${i}`);
        y[i] = v;
      }
    } else {
      const index = new Map(spec.classes.map((c, k) => [c, k]));
      for (let i = 0; i < rows; i++) {
        const k = index.get(String(targetCol[i]));
        if (k === undefined) throw new Error(`the target '${spec.target}' has a class '${String(targetCol[i])}' that was not there when the job was asked`);
        y[i] = k;
      }
    }
    return { x, y, rows, dropped: options.limit ? 0 : total - rows };
  });
}

/** A seeded Fisher–Yates permutation of 0..n-1. */
function shuffled(n: number, rng: SeededRandom): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/**
 * Fold of every row (0..k-1): rows shuffled by the seed, then dealt round-robin within each class
 * (classification) or overall (regression), so every fold has each class in proportion.
 */
export function assignFolds(y: ArrayLike<number>, rows: number, k: number, seed: number, stratified: boolean): Int32Array {
  const order = shuffled(rows, new SeededRandom(seed));
  const fold = new Int32Array(rows);
  const dealt = new Map<number, number>();
  for (let i = 0; i < rows; i++) {
    const r = order[i]!;
    const key = stratified ? y[r]! : 0;
    const n = dealt.get(key) ?? 0;
    fold[r] = n % k;
    dealt.set(key, n + 1);
  }
  return fold;
}

/**
 * The rows of a hold-out split: in each class (classification) or overall, a seeded shuffle and then
 * round(count × fraction) rows held out for validation. Row order is kept within each part.
 */
export function holdoutMask(y: ArrayLike<number>, rows: number, fraction: number, seed: number, stratified: boolean): Uint8Array {
  const order = shuffled(rows, new SeededRandom(seed));
  const counts = new Map<number, number>();
  for (let r = 0; r < rows; r++) {
    const key = stratified ? y[r]! : 0;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const quota = new Map<number, number>();
  for (const [key, n] of counts) quota.set(key, Math.round(n * fraction));
  const valid = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const r = order[i]!;
    const key = stratified ? y[r]! : 0;
    const left = quota.get(key)!;
    if (left > 0) {
      valid[r] = 1;
      quota.set(key, left - 1);
    }
  }
  return valid;
}

/** The rows where `pick(r)` holds, in order. */
export function subset(d: FitData, features: number, pick: (r: number) => boolean): FitData {
  let n = 0;
  for (let r = 0; r < d.rows; r++) if (pick(r)) n++;
  const x = new Float64Array(n * features);
  const y = new Float64Array(n);
  let k = 0;
  for (let r = 0; r < d.rows; r++) {
    if (!pick(r)) continue;
    x.set(d.x.subarray(r * features, (r + 1) * features), k * features);
    y[k] = d.y[r]!;
    k++;
  }
  return { x, y, rows: n };
}
