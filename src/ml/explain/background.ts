/**
 * Background ("reference") data for KernelSHAP: the distribution a feature is drawn from when it is left
 * out of a coalition. Evaluating every coalition against all training rows is too costly, so the data are
 * summarised to `size` weighted rows (REFERENCE §6: k-means or a sample of 100, as shap's `kmeans` and
 * `sample` helpers):
 *
 * - 'sample': `size` rows drawn uniformly without replacement (seeded), equal weights.
 * - 'kmeans': k-means++ seeding (Arthur and Vassilvitskii 2007: each next centre drawn with probability
 *   ∝ D², the squared distance to the nearest centre so far) followed by Lloyd iterations until no row
 *   changes cluster (at most `maxIterations`). Each background row is a cluster's mean and its weight the
 *   cluster's share of the rows. Missing values (NaN) are allowed: a distance uses only the coordinates
 *   present in both points, scaled by F / (number present) as scikit-learn's nan_euclidean_distances
 *   does (0 when none is shared); a centre's coordinate is the mean of the present values of its rows, NaN
 *   when none of them has one. Unlike shap's kmeans, centres are not snapped to observed values.
 *
 * With no more rows than `size`, every row is kept, each with weight 1/rows. Clusters that end up empty
 * (only possible with duplicate rows) are dropped, so `rows` may be below `size`.
 */
import { DEFAULT_SEED, Rng } from './model.js';

export interface Background {
  /** rows × numFeatures, row-major (NaN = missing). */
  x: Float64Array;
  rows: number;
  /** One weight a row, summing to 1. */
  weights: Float64Array;
}

export interface BackgroundOptions {
  method: 'sample' | 'kmeans';
  /** Rows kept (default 100). */
  size?: number;
  seed?: number;
  /** Lloyd iterations at most (k-means; default 300, scikit-learn's). */
  maxIterations?: number;
  /**
   * Per feature: whether its values are category codes. k-means then counts a mismatch as distance 1 and
   * gives each centre the most frequent code of its rows (a mean of codes would name no category).
   */
  categorical?: ArrayLike<boolean>;
}

export const DEFAULT_BACKGROUND_SIZE = 100;

export function summarizeBackground(x: Float64Array, rows: number, numFeatures: number, options: BackgroundOptions): Background {
  const F = numFeatures;
  if (!Number.isInteger(F) || F < 1) throw new Error(`numFeatures must be a whole number >= 1, not ${F}`);
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`rows must be a whole number >= 1, not ${rows}`);
  if (x.length !== rows * F) throw new Error(`x holds ${x.length} values; expected rows × features = ${rows} × ${F} = ${rows * F}`);
  const size = options.size ?? DEFAULT_BACKGROUND_SIZE;
  if (!Number.isInteger(size) || size < 1) throw new Error(`the background size must be a whole number >= 1, not ${size}`);
  if (options.method !== 'sample' && options.method !== 'kmeans') throw new Error(`unknown background method '${String(options.method)}'; use 'sample' or 'kmeans'`);
  if (rows <= size) return { x: Float64Array.from(x), rows, weights: new Float64Array(rows).fill(1 / rows) };
  const rng = new Rng(options.seed ?? DEFAULT_SEED);
  if (options.method === 'sample') {
    const pick = rng.sample(rows, size).sort();
    const out = new Float64Array(size * F);
    for (let i = 0; i < size; i++) out.set(x.subarray(pick[i]! * F, pick[i]! * F + F), i * F);
    return { x: out, rows: size, weights: new Float64Array(size).fill(1 / size) };
  }
  const maxIterations = options.maxIterations ?? 300;
  if (!Number.isInteger(maxIterations) || maxIterations < 0) throw new Error(`maxIterations must be a whole number >= 0, not ${maxIterations}`);
  let cat: Uint8Array | null = null;
  if (options.categorical) {
    if (options.categorical.length !== F) throw new Error(`categorical has ${options.categorical.length} entries for ${F} features`);
    cat = Uint8Array.from(Array.from(options.categorical, (b) => (b ? 1 : 0)));
    if (!cat.some((b) => b === 1)) cat = null;
  }
  return kmeans(x, rows, F, size, rng, maxIterations, cat);
}

/** NaN-aware squared distance between row `i` of `x` and centre `c` of `centres` (see the file comment). */
function distance(x: Float64Array, i: number, centres: Float64Array, c: number, F: number, cat: Uint8Array | null): number {
  let s = 0;
  let present = 0;
  const a = i * F;
  const b = c * F;
  for (let f = 0; f < F; f++) {
    const d = x[a + f]! - centres[b + f]!;
    if (d === d) {
      s += cat !== null && cat[f] === 1 ? (d === 0 ? 0 : 1) : d * d;
      present++;
    }
  }
  return present === 0 ? 0 : present === F ? s : (s * F) / present;
}

function kmeans(x: Float64Array, n: number, F: number, k: number, rng: Rng, maxIterations: number, cat: Uint8Array | null): Background {
  const centres = new Float64Array(k * F);
  const nearest = new Float64Array(n);
  // k-means++ seeding.
  let chosen = 1;
  const first = rng.nextInt(n);
  centres.set(x.subarray(first * F, first * F + F), 0);
  for (let i = 0; i < n; i++) nearest[i] = distance(x, i, centres, 0, F, cat);
  while (chosen < k) {
    let total = 0;
    for (let i = 0; i < n; i++) total += nearest[i]!;
    if (!(total > 0)) break; // every row sits on a centre already: fewer distinct rows than k
    let target = rng.next() * total;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      target -= nearest[i]!;
      if (target < 0 && nearest[i]! > 0) {
        pick = i;
        break;
      }
    }
    while (nearest[pick]! === 0 && pick > 0) pick--; // rounding at the very end of the scan
    centres.set(x.subarray(pick * F, pick * F + F), chosen * F);
    for (let i = 0; i < n; i++) {
      const d = distance(x, i, centres, chosen, F, cat);
      if (d < nearest[i]!) nearest[i] = d;
    }
    chosen++;
  }
  // Lloyd iterations.
  const assign = new Int32Array(n).fill(-1);
  const sums = new Float64Array(chosen * F);
  const counts = new Float64Array(chosen * F);
  const sizes = new Int32Array(chosen);
  for (let iter = 0; iter <= maxIterations; iter++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < chosen; c++) {
        const d = distance(x, i, centres, c, F, cat);
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      if (assign[i] !== best) {
        assign[i] = best;
        changed++;
      }
    }
    // Centres = means of the present values of their rows (also after the last assignment, so that the
    // returned centres are the means of the returned clusters).
    sums.fill(0);
    counts.fill(0);
    sizes.fill(0);
    for (let i = 0; i < n; i++) {
      const c = assign[i]!;
      sizes[c]!++;
      const a = i * F;
      const b = c * F;
      for (let f = 0; f < F; f++) {
        const v = x[a + f]!;
        if (v === v) {
          sums[b + f]! += v;
          counts[b + f]!++;
        }
      }
    }
    for (let c = 0; c < chosen; c++) {
      if (sizes[c] === 0) continue; // an empty cluster keeps its centre
      for (let f = 0; f < F; f++) centres[c * F + f] = counts[c * F + f]! > 0 ? sums[c * F + f]! / counts[c * F + f]! : NaN;
    }
    if (cat !== null) modes(x, n, F, cat, assign, sizes, centres);
    if (changed === 0) break;
  }
  let kept = 0;
  for (let c = 0; c < chosen; c++) if (sizes[c]! > 0) kept++;
  const out = new Float64Array(kept * F);
  const weights = new Float64Array(kept);
  let r = 0;
  for (let c = 0; c < chosen; c++) {
    if (sizes[c] === 0) continue;
    out.set(centres.subarray(c * F, c * F + F), r * F);
    weights[r] = sizes[c]! / n;
    r++;
  }
  return { x: out, rows: kept, weights };
}

/** Each centre's categorical features as the most frequent present code of its rows (ties: the smallest code). */
function modes(x: Float64Array, n: number, F: number, cat: Uint8Array, assign: Int32Array, sizes: Int32Array, centres: Float64Array): void {
  for (let f = 0; f < F; f++) {
    if (cat[f] !== 1) continue;
    const counts = new Map<number, number>(); // key: cluster · 2^32 + code
    for (let i = 0; i < n; i++) {
      const v = x[i * F + f]!;
      if (v !== v) continue;
      const key = assign[i]! * 4294967296 + v;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const best = new Map<number, { code: number; count: number }>();
    for (const [key, count] of counts) {
      const c = Math.floor(key / 4294967296);
      const code = key - c * 4294967296;
      const b = best.get(c);
      if (!b || count > b.count || (count === b.count && code < b.code)) best.set(c, { code, count });
    }
    for (let c = 0; c < sizes.length; c++) {
      if (sizes[c] === 0) continue;
      const b = best.get(c);
      centres[c * F + f] = b ? b.code : NaN;
    }
  }
}
