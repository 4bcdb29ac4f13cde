/**
 * Partial dependence and ICE curves (Friedman 2001; Goldstein et al. 2015) for any BatchModel, with
 * scikit-learn's conventions (sklearn.inspection.partial_dependence, method='brute'; REFERENCE §7).
 *
 * Grid (`gridFor`, scikit-learn's `_grid_from_X`): for a categorical feature, or a numeric one with fewer
 * distinct values than `resolution` (default 100), the sorted distinct values; otherwise `resolution`
 * evenly spaced points (numpy.linspace, endpoint included) from the `percentiles[0]` to the
 * `percentiles[1]` quantile (default 5 % and 95 %), the quantiles computed as scipy.stats.mstats.mquantiles
 * with its defaults alphap = betap = 0.4 (plotting positions (i − 0.4) / (n + 0.2)). Missing values
 * (NaN) are left out of both the distinct values and the quantiles. (scikit-learn keeps them: NaN counts as
 * a distinct value and, unmasked, sorts above every number in the quantiles; with no missing values the
 * grids are identical.) Like scikit-learn, quantiles too close together (numpy.allclose) are an error.
 *
 * Brute method: for each grid value, every row gets the feature set to that value, the model predicts, and
 * the average over rows is the partial dependence; one row's curve over the grid is its ICE line. Outputs
 * are the model's own (give a model returning probabilities for a classifier, keeping only the positive
 * class for a binary one, as scikit-learn does). All (grid point, row) copies go through `predict` in
 * batches of at most maxBatchRows rows (model.ts).
 */
import { checkMaxBatchRows, checkModelInput, DEFAULT_SEED, Rng, streamBatches, type BatchModel } from './model.js';

export interface GridOptions {
  /** Quantiles bounding a numeric grid, in [0, 1] (default [0.05, 0.95]). */
  percentiles?: readonly [number, number];
  /** Points of a numeric grid (default 100); also the distinct-value count below which those are used. */
  resolution?: number;
  /** Use the distinct values whatever their number. */
  categorical?: boolean;
}

export const DEFAULT_PERCENTILES: readonly [number, number] = [0.05, 0.95];
export const DEFAULT_RESOLUTION = 100;
export const DEFAULT_ICE_ROWS = 50;

/** scipy.stats.mstats.mquantiles(sorted, prob, alphap=0.4, betap=0.4) on an ascending array without NaN. */
export function mquantile(sorted: Float64Array, p: number, alphap = 0.4, betap = 0.4): number {
  const n = sorted.length;
  if (n === 0) throw new Error('the quantile of no values is undefined');
  if (n === 1) return sorted[0]!;
  const m = alphap + p * (1 - alphap - betap);
  const aleph = n * p + m;
  const k = Math.floor(Math.min(Math.max(aleph, 1), n - 1));
  const gamma = Math.min(Math.max(aleph - k, 0), 1);
  return (1 - gamma) * sorted[k - 1]! + gamma * sorted[k]!;
}

/** numpy.linspace(start, stop, num) (endpoint included), computed as numpy does. */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  if (num === 1) {
    out[0] = start;
    return out;
  }
  const div = num - 1;
  const delta = stop - start;
  const step = delta / div;
  for (let i = 0; i < num; i++) out[i] = step === 0 ? (i / div) * delta + start : i * step + start;
  if (num > 1) out[num - 1] = stop;
  return out;
}

/** The grid of values a feature is set to (see the file comment). */
export function gridFor(values: Float64Array, options: GridOptions = {}): Float64Array {
  const [lo, hi] = options.percentiles ?? DEFAULT_PERCENTILES;
  const resolution = options.resolution ?? DEFAULT_RESOLUTION;
  if (!(lo >= 0 && lo <= 1 && hi >= 0 && hi <= 1)) throw new Error(`percentiles must be in [0, 1], not [${lo}, ${hi}]`);
  if (!(lo < hi)) throw new Error(`percentiles[0] must be below percentiles[1], not [${lo}, ${hi}]`);
  if (!Number.isInteger(resolution) || resolution <= 1) throw new Error(`the grid resolution must be a whole number > 1, not ${resolution}`);
  let present = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === values[i]) present++;
  if (present === 0) throw new Error('the feature has no values (all are missing): no grid can be built');
  const sorted = new Float64Array(present);
  let j = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === values[i]) sorted[j++] = values[i]!;
  sorted.sort();
  let distinct = 1;
  for (let i = 1; i < present; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  if (options.categorical || distinct < resolution) {
    const out = new Float64Array(distinct);
    out[0] = sorted[0]!;
    let k = 1;
    for (let i = 1; i < present; i++) if (sorted[i] !== sorted[i - 1]) out[k++] = sorted[i]!;
    return out;
  }
  const a = mquantile(sorted, lo);
  const b = mquantile(sorted, hi);
  if (Math.abs(a - b) <= 1e-8 + 1e-5 * Math.abs(b)) {
    throw new Error(`the ${lo * 100}th and ${hi * 100}th percentiles (${a}, ${b}) are too close to build a grid; choose percentiles further apart`);
  }
  return linspace(a, b, resolution);
}

export interface PartialDependenceOptions {
  /** ICE lines kept (default 50), a seeded choice of rows when there are more; all rows when fewer. */
  iceRows?: number;
  /** The ICE rows themselves (row indices), instead of a seeded choice. */
  iceRowIndices?: ArrayLike<number>;
  seed?: number;
  maxBatchRows?: number;
  /** Called after each grid point with (done, total). */
  onProgress?(done: number, total: number): void;
}

export interface PartialDependenceResult {
  numOutputs: number;
  grid: Float64Array;
  /** numOutputs × grid, row-major: average[o · G + g]. */
  average: Float64Array;
  /** numOutputs × lines × grid, row-major: ice[(o · L + l) · G + g]. */
  ice: Float64Array;
  /** The row of each ICE line, ascending. */
  iceRows: Int32Array;
  rowsPredicted: number;
  calls: number;
}

function checkFeature(feature: number, F: number, name = 'feature'): void {
  if (!Number.isInteger(feature) || feature < 0 || feature >= F) throw new Error(`${name} must be a feature index in [0, ${F - 1}], not ${feature}`);
}

function checkGrid(grid: Float64Array, name = 'grid'): void {
  if (grid.length === 0) throw new Error(`the ${name} is empty`);
  for (let g = 0; g < grid.length; g++) if (Number.isNaN(grid[g]!)) throw new Error(`the ${name} holds NaN at ${g}`);
}

function chooseIceRows(rows: number, options: PartialDependenceOptions): Int32Array {
  if (options.iceRowIndices !== undefined) {
    const chosen = Int32Array.from(options.iceRowIndices).sort();
    for (let i = 0; i < chosen.length; i++) {
      if (chosen[i]! < 0 || chosen[i]! >= rows || !Number.isInteger(options.iceRowIndices[i]!)) throw new Error(`iceRowIndices must hold row indices in [0, ${rows - 1}]`);
      if (i > 0 && chosen[i] === chosen[i - 1]) throw new Error(`iceRowIndices holds row ${chosen[i]} twice`);
    }
    return chosen;
  }
  const lines = options.iceRows ?? DEFAULT_ICE_ROWS;
  if (!Number.isInteger(lines) || lines < 0) throw new Error(`iceRows must be a whole number >= 0, not ${lines}`);
  if (lines >= rows) return Int32Array.from({ length: rows }, (_, i) => i);
  return new Rng(options.seed ?? DEFAULT_SEED).sample(rows, lines).sort();
}

/** One-feature partial dependence and ICE curves (brute method). */
export async function partialDependence(model: BatchModel, x: Float64Array, rows: number, feature: number, grid: Float64Array, options: PartialDependenceOptions = {}): Promise<PartialDependenceResult> {
  checkModelInput(model, x, rows);
  const F = model.numFeatures;
  const K = model.numOutputs;
  checkFeature(feature, F);
  checkGrid(grid);
  const maxBatchRows = checkMaxBatchRows(options.maxBatchRows);
  const G = grid.length;
  const iceRows = chooseIceRows(rows, options);
  const L = iceRows.length;
  const lineOf = new Int32Array(rows).fill(-1);
  for (let l = 0; l < L; l++) lineOf[iceRows[l]!] = l;
  const average = new Float64Array(K * G);
  const ice = new Float64Array(K * L * G);
  const sums = new Float64Array(K);
  let done = 0;
  const s = await streamBatches(
    model,
    {
      jobCount: G,
      begin: () => rows,
      fill: (g, first, count, buffer, at) => {
        buffer.set(x.subarray(first * F, (first + count) * F), at * F);
        const v = grid[g]!;
        for (let t = at * F + feature, stop = (at + count) * F; t < stop; t += F) buffer[t] = v;
      },
      accept: (g, first, count, out, at) => {
        for (let i = 0; i < count; i++) {
          const o0 = (at + i) * K;
          for (let o = 0; o < K; o++) sums[o]! += out[o0 + o]!;
          const l = lineOf[first + i]!;
          if (l >= 0) for (let o = 0; o < K; o++) ice[(o * L + l) * G + g] = out[o0 + o]!;
        }
      },
      finish: (g) => {
        for (let o = 0; o < K; o++) {
          average[o * G + g] = sums[o]! / rows;
          sums[o] = 0;
        }
        done++;
        options.onProgress?.(done, G);
      },
    },
    maxBatchRows,
  );
  return { numOutputs: K, grid, average, ice, iceRows, rowsPredicted: s.rowsPredicted, calls: s.calls };
}

export interface PartialDependence2dResult {
  numOutputs: number;
  grids: [Float64Array, Float64Array];
  /** numOutputs × |gridA| × |gridB|, row-major: values[(o · A + a) · B + b]. */
  values: Float64Array;
  rowsPredicted: number;
  calls: number;
}

/** Two-feature partial dependence (brute method) over the product of the two grids. */
export async function partialDependence2d(
  model: BatchModel,
  x: Float64Array,
  rows: number,
  features: readonly [number, number],
  grids: readonly [Float64Array, Float64Array],
  options: Pick<PartialDependenceOptions, 'maxBatchRows' | 'onProgress'> = {},
): Promise<PartialDependence2dResult> {
  checkModelInput(model, x, rows);
  const F = model.numFeatures;
  const K = model.numOutputs;
  const [fa, fb] = features;
  checkFeature(fa, F, 'features[0]');
  checkFeature(fb, F, 'features[1]');
  if (fa === fb) throw new Error(`the two features must differ (both are ${fa})`);
  const [gridA, gridB] = grids;
  checkGrid(gridA, 'first grid');
  checkGrid(gridB, 'second grid');
  const maxBatchRows = checkMaxBatchRows(options.maxBatchRows);
  const A = gridA.length;
  const B = gridB.length;
  const values = new Float64Array(K * A * B);
  const sums = new Float64Array(K);
  let done = 0;
  const s = await streamBatches(
    model,
    {
      jobCount: A * B,
      begin: () => rows,
      fill: (job, first, count, buffer, at) => {
        buffer.set(x.subarray(first * F, (first + count) * F), at * F);
        const a = Math.floor(job / B);
        const va = gridA[a]!;
        const vb = gridB[job - a * B]!;
        for (let t = at * F, stop = (at + count) * F; t < stop; t += F) {
          buffer[t + fa] = va;
          buffer[t + fb] = vb;
        }
      },
      accept: (_job, _first, count, out, at) => {
        for (let i = 0; i < count; i++) for (let o = 0; o < K; o++) sums[o]! += out[(at + i) * K + o]!;
      },
      finish: (job) => {
        for (let o = 0; o < K; o++) {
          values[o * A * B + job] = sums[o]! / rows;
          sums[o] = 0;
        }
        done++;
        options.onProgress?.(done, A * B);
      },
    },
    maxBatchRows,
  );
  return { numOutputs: K, grids: [gridA, gridB], values, rowsPredicted: s.rowsPredicted, calls: s.calls };
}
