/**
 * KernelSHAP (Lundberg and Lee 2017; REFERENCE §6) for any BatchModel, following shap's KernelExplainer.
 *
 * The game. For an explained row x and a coalition S of features, the value is
 *   v(S) = link( Σ_b w_b · f(x_S, b_S̄) )
 * over the weighted background rows b (background.ts): the features in S are taken from x, the others
 * from b, the model's outputs averaged over the background and only then put through the link ('identity';
 * 'logit' for binary probabilities; 'log' for multiclass probabilities; probabilities clamped to
 * [1e-12, 1 − 1e-12] first). v(∅) is the bias and v(all) = link(f(x)). Each output is its own game.
 *
 * The estimate. SHAP values are the solution of the weighted least squares
 *   min Σ_S k(S) (v(S) − v(∅) − Σ_{i∈S} φ_i)²   subject to   Σ_i φ_i = v(all) − v(∅),
 * with the Shapley kernel k(S) = (M − 1) / (C(M,|S|) · |S| · (M − |S|)) over the proper non-empty
 * coalitions. The constraint is enforced exactly by eliminating the last feature (φ_M = Δ − Σ_{j<M} φ_j,
 * as shap does), leaving an (M−1)-column problem solved by pivoted Householder QR (least-squares.ts).
 * Over all 2^M − 2 coalitions the solution is exactly the Shapley values of v.
 *
 * - Exact mode (M ≤ exactMaxFeatures, default 10, at most 20): every coalition is enumerated.
 * - Sampled mode: shap's scheme. Subset sizes s and M − s are paired; going from the smallest size up,
 *   a size whose coalitions (with their complements) all fit the remaining budget is enumerated with its
 *   exact kernel mass; the remaining budget is spent on coalitions drawn with size ∝ the kernel's mass of
 *   the sizes left, each with its complement, repeats only adding to a coalition's count, and the drawn
 *   coalitions' weights scaled to the kernel mass of the sizes not enumerated. Default budget 2M + 2048
 *   coalitions, capped at 2^M − 2 (in which case the result is exact). shap's automatic L1 feature
 *   selection ('auto' l1_reg) is not done: every varying feature is estimated.
 *
 * Background weights are normalised to sum to 1 (used as given when they already do, up to 1e-12).
 *
 * M counts the features that vary: a feature whose value in x equals its value in every background row
 * (NaN matching NaN) cannot change v, gets φ = 0 exactly and is left out of the regression, as shap does.
 *
 * Work. A row costs (coalitions × background rows) model rows. All of them, for all explained rows, are
 * streamed through `predict` in batches of at most `maxBatchRows` (model.ts): a coalition's rows are
 * written as one copy of the background block plus the coalition's own features, and the model's answers
 * are mixed into the per-coalition sums in one pass. A row is solved as soon as its last coalition is back.
 */
import type { Background } from './background.js';
import { weightedLeastSquares } from './least-squares.js';
import { checkMaxBatchRows, checkModelInput, DEFAULT_SEED, predictRows, Rng, streamBatches, type BatchModel, type StreamStats } from './model.js';

export { summarizeBackground, type Background, type BackgroundOptions } from './background.js';

export type Link = 'identity' | 'logit' | 'log';

export interface KernelShapOptions {
  /** Applied to the background-averaged outputs (default 'identity'). */
  link?: Link;
  /** Coalitions per row in sampled mode (default 2M + 2048, M = the row's varying features). */
  nsamples?: number;
  seed?: number;
  /** Rows whose varying features are at most this many are explained exactly (default 10). */
  exactMaxFeatures?: number;
  /** Largest batch handed to the model (default 16384 rows). */
  maxBatchRows?: number;
  /** Called after each explained row with (rows done, rows in total). */
  onProgress?(done: number, total: number): void;
}

export interface KernelShapResult {
  rows: number;
  numOutputs: number;
  numFeatures: number;
  /** rows × numOutputs × numFeatures, row-major: φ[(r · numOutputs + o) · numFeatures + f]. */
  values: Float64Array;
  /** v(∅) per output: the link of the background-averaged output. */
  bias: Float64Array;
  /** 'exact' when every row's coalitions were all enumerated. */
  method: 'exact' | 'sampled';
  /** Coalitions evaluated for a row (the largest over the rows). */
  samples: number;
  /** max over rows and outputs of |Σ φ + v(∅) − v(all)|. */
  additivityError: number;
  /** Model rows predicted in total (explained rows, background and coalitions). */
  rowsPredicted: number;
  /** `predict` calls made. */
  calls: number;
}

export const DEFAULT_EXACT_MAX_FEATURES = 10;
/** Largest exactMaxFeatures accepted: 2^20 coalitions a row is already ~10^6 × background model rows. */
export const MAX_EXACT_FEATURES = 20;
/** Probabilities are clamped to [ε, 1 − ε] before the logit and log links. */
export const LINK_CLAMP = 1e-12;

/** The link function applied to a background-averaged output. */
export function applyLink(link: Link, p: number): number {
  switch (link) {
    case 'identity':
      return p;
    case 'logit': {
      const q = Math.min(1 - LINK_CLAMP, Math.max(LINK_CLAMP, p));
      return Math.log(q / (1 - q));
    }
    case 'log':
      return Math.log(Math.min(1 - LINK_CLAMP, Math.max(LINK_CLAMP, p)));
  }
}

/** C(n, k) as a double (exact up to 2^53). */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  const m = Math.min(k, n - k);
  let c = 1;
  for (let i = 1; i <= m; i++) c = (c * (n - m + i)) / i;
  return Math.round(c);
}

/** The Shapley kernel weight of one coalition of size s among M players (0 < s < M). */
export function shapleyKernelWeight(M: number, s: number): number {
  return (M - 1) / (binomial(M, s) * s * (M - s));
}

/** The coalitions evaluated for one row: masks over the row's M varying features, and their weights. */
export interface CoalitionPlan {
  /** count × M, 1 when the varying feature is in the coalition. */
  masks: Uint8Array;
  weights: Float64Array;
  count: number;
  /** Whether every proper non-empty coalition is present (the result is then exact). */
  complete: boolean;
}

/** All 2^M − 2 proper non-empty coalitions with Shapley kernel weights. */
export function exactCoalitions(M: number): CoalitionPlan {
  if (M > 30) throw new Error(`cannot enumerate the 2^${M} coalitions of ${M} features`);
  const count = 2 ** M - 2;
  const masks = new Uint8Array(count * M);
  const weights = new Float64Array(count);
  const bySize = new Float64Array(M + 1);
  for (let s = 1; s < M; s++) bySize[s] = shapleyKernelWeight(M, s);
  for (let c = 0; c < count; c++) {
    const bits = c + 1;
    let size = 0;
    for (let j = 0; j < M; j++) {
      const on = (bits >>> j) & 1;
      masks[c * M + j] = on;
      size += on;
    }
    weights[c] = bySize[size]!;
  }
  return { masks, weights, count, complete: true };
}

/**
 * shap's KernelExplainer coalition scheme (see the file comment) for M features and a budget of
 * `nsamples` coalitions (capped at 2^M − 2). Weights are on shap's scale (summing to 1).
 */
export function sampledCoalitions(M: number, nsamples: number, rng: Rng): CoalitionPlan {
  if (M < 2) throw new Error(`sampling coalitions needs at least 2 features, not ${M}`);
  if (!Number.isInteger(nsamples) || nsamples < 1) throw new Error(`nsamples must be a whole number >= 1, not ${nsamples}`);
  const budget = M <= 30 ? Math.min(nsamples, 2 ** M - 2) : nsamples;
  const numSizes = Math.ceil((M - 1) / 2);
  const numPaired = Math.floor((M - 1) / 2);
  const sizeWeight = new Float64Array(numSizes);
  let total = 0;
  for (let s = 1; s <= numSizes; s++) {
    sizeWeight[s - 1] = ((M - 1) / (s * (M - s))) * (s <= numPaired ? 2 : 1);
    total += sizeWeight[s - 1]!;
  }
  for (let i = 0; i < numSizes; i++) sizeWeight[i]! /= total;
  const masks = new Uint8Array(budget * M);
  const weights = new Float64Array(budget);
  let count = 0;
  const add = (mask: Uint8Array, w: number, complement: boolean): void => {
    const at = count * M;
    for (let j = 0; j < M; j++) masks[at + j] = complement ? 1 - mask[j]! : mask[j]!;
    weights[count] = w;
    count++;
  };
  // Sizes enumerated in full while they fit.
  const remaining = Float64Array.from(sizeWeight);
  let left = budget;
  let full = 0;
  const mask = new Uint8Array(M);
  const idx = new Int32Array(M);
  for (let s = 1; s <= numSizes; s++) {
    const paired = s <= numPaired;
    const n = binomial(M, s) * (paired ? 2 : 1);
    if (!((left * remaining[s - 1]!) / n >= 1 - 1e-8)) break;
    full++;
    left -= n;
    if (remaining[s - 1]! < 1) {
      const r = 1 - remaining[s - 1]!;
      for (let i = 0; i < numSizes; i++) remaining[i]! /= r;
    }
    const w = sizeWeight[s - 1]! / binomial(M, s) / (paired ? 2 : 1);
    // Every s-subset, in lexicographic order of its indices.
    for (let i = 0; i < s; i++) idx[i] = i;
    for (;;) {
      mask.fill(0);
      for (let i = 0; i < s; i++) mask[idx[i]!] = 1;
      add(mask, w, false);
      if (paired) add(mask, w, true);
      let i = s - 1;
      while (i >= 0 && idx[i] === M - s + i) i--;
      if (i < 0) break;
      idx[i]!++;
      for (let j = i + 1; j < s; j++) idx[j] = idx[j - 1]! + 1;
    }
  }
  const fixed = count;
  if (full < numSizes) {
    // The sizes left, drawn ∝ their kernel mass (paired sizes halved: each draw adds two coalitions).
    const cumulative = new Float64Array(numSizes - full);
    let sum = 0;
    for (let i = full; i < numSizes; i++) {
      sum += sizeWeight[i]! / (i + 1 <= numPaired ? 2 : 1);
      cumulative[i - full] = sum;
    }
    const seen = new Map<string, number>();
    const complementOf = new Int32Array(budget).fill(-1);
    const order = new Int32Array(M);
    for (let j = 0; j < M; j++) order[j] = j;
    let samplesLeft = budget - count;
    let attempts = 4 * samplesLeft;
    const codes = new Array<number>(Math.ceil(M / 16));
    while (samplesLeft > 0 && attempts-- > 0) {
      const u = rng.next() * sum;
      let pick = 0;
      while (pick < cumulative.length - 1 && u >= cumulative[pick]!) pick++;
      const size = pick + full + 1;
      // A uniform subset of `size` features (partial Fisher–Yates on a running permutation).
      mask.fill(0);
      for (let i = 0; i < size; i++) {
        const j = i + rng.nextInt(M - i);
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
        mask[order[i]!] = 1;
      }
      codes.fill(0);
      for (let j = 0; j < M; j++) if (mask[j]) codes[j >> 4] = codes[j >> 4]! | (1 << (j & 15));
      const key = String.fromCharCode(...codes);
      const known = seen.get(key);
      const paired = size <= numPaired;
      if (known === undefined) {
        seen.set(key, count);
        add(mask, 1, false);
        samplesLeft--;
        if (samplesLeft > 0 && paired) {
          complementOf[count - 1] = count;
          add(mask, 1, true);
          samplesLeft--;
        }
      } else {
        weights[known]!++;
        if (paired && complementOf[known]! >= 0) weights[complementOf[known]!]!++;
      }
    }
    let drawn = 0;
    for (let c = fixed; c < count; c++) drawn += weights[c]!;
    let massLeft = 0;
    for (let i = full; i < numSizes; i++) massLeft += sizeWeight[i]!;
    if (drawn > 0) for (let c = fixed; c < count; c++) weights[c] = (weights[c]! * massLeft) / drawn;
  }
  return { masks: masks.subarray(0, count * M), weights: weights.subarray(0, count), count, complete: full === numSizes };
}

/** Per explained row, while its coalitions are in flight. */
interface RowWork {
  /** The row's varying features. */
  varying: Int32Array;
  plan: CoalitionPlan;
  /** Coalition c's features (indices into the full row) are members[start[c] .. start[c+1]). */
  start: Int32Array;
  members: Int32Array;
  /** count × K: Σ_b w_b f(x_S, b_S̄) per coalition and output. */
  ey: Float64Array;
}

function checkBackground(bg: Background, F: number): Float64Array {
  if (!Number.isInteger(bg.rows) || bg.rows < 1) throw new Error(`the background needs at least one row, not ${bg.rows}`);
  if (bg.x.length !== bg.rows * F) throw new Error(`the background holds ${bg.x.length} values; expected rows × features = ${bg.rows} × ${F}`);
  if (bg.weights.length !== bg.rows) throw new Error(`the background has ${bg.weights.length} weights for ${bg.rows} rows`);
  let sum = 0;
  for (let b = 0; b < bg.rows; b++) {
    const w = bg.weights[b]!;
    if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`background weight ${b} is ${w}; weights must be finite and >= 0`);
    sum += w;
  }
  if (!(sum > 0)) throw new Error('the background weights sum to 0');
  // Weights that already sum to 1 (up to rounding) are used as given, so that v(S) is exactly the
  // weighted mean a caller computes with them; others are normalised.
  return Math.abs(sum - 1) <= 1e-12 ? Float64Array.from(bg.weights) : Float64Array.from(bg.weights, (w) => w / sum);
}

export async function kernelShap(model: BatchModel, x: Float64Array, rows: number, background: Background, options: KernelShapOptions = {}): Promise<KernelShapResult> {
  checkModelInput(model, x, rows);
  const F = model.numFeatures;
  const K = model.numOutputs;
  const weights = checkBackground(background, F);
  const B = background.rows;
  const bgX = background.x;
  const link = options.link ?? 'identity';
  if (link !== 'identity' && link !== 'logit' && link !== 'log') throw new Error(`unknown link '${String(link)}'; use 'identity', 'logit' or 'log'`);
  const exactMax = options.exactMaxFeatures ?? DEFAULT_EXACT_MAX_FEATURES;
  if (!Number.isInteger(exactMax) || exactMax < 0 || exactMax > MAX_EXACT_FEATURES) {
    throw new Error(`exactMaxFeatures must be a whole number in [0, ${MAX_EXACT_FEATURES}], not ${exactMax}`);
  }
  if (options.nsamples !== undefined && (!Number.isInteger(options.nsamples) || options.nsamples < 1)) {
    throw new Error(`nsamples must be a whole number >= 1, not ${options.nsamples}`);
  }
  const maxBatchRows = checkMaxBatchRows(options.maxBatchRows);
  const rng = new Rng(options.seed ?? DEFAULT_SEED);
  const stats: StreamStats = { calls: 0, rowsPredicted: 0 };

  // v(∅) from the background's own predictions, v(all) from the rows'.
  const fb = await predictRows(model, bgX, B, maxBatchRows, stats);
  const bias = new Float64Array(K);
  for (let b = 0; b < B; b++) for (let o = 0; o < K; o++) bias[o]! += weights[b]! * fb[b * K + o]!;
  for (let o = 0; o < K; o++) {
    bias[o] = applyLink(link, bias[o]!);
    if (!Number.isFinite(bias[o]!)) throw new Error(`the background's mean output ${o} is not finite after the ${link} link`);
  }
  const fx = await predictRows(model, x, rows, maxBatchRows, stats);
  const full = new Float64Array(rows * K);
  for (let i = 0; i < rows * K; i++) {
    full[i] = applyLink(link, fx[i]!);
    if (!Number.isFinite(full[i]!)) throw new Error(`the model's output ${i % K} for row ${Math.floor(i / K)} is not finite after the ${link} link`);
  }

  const values = new Float64Array(rows * K * F);
  const work = new Map<number, RowWork>();
  const exactPlans = new Map<number, CoalitionPlan>(); // read-only, shared by rows with as many varying features
  let samples = 0;
  let allExact = true;
  let additivityError = 0;
  let done = 0;
  const delta = new Float64Array(K);

  const plan = (r: number): number => {
    const xr = r * F;
    const varyingList: number[] = [];
    for (let f = 0; f < F; f++) {
      const v = x[xr + f]!;
      for (let b = 0; b < B; b++) {
        const u = bgX[b * F + f]!;
        if (u !== v && (u === u || v === v)) {
          varyingList.push(f);
          break;
        }
      }
    }
    const varying = Int32Array.from(varyingList);
    const M = varying.length;
    let p: CoalitionPlan;
    if (M < 2) p = { masks: new Uint8Array(0), weights: new Float64Array(0), count: 0, complete: true };
    else if (M <= exactMax) {
      p = exactPlans.get(M) ?? exactCoalitions(M);
      exactPlans.set(M, p);
    }
    else p = sampledCoalitions(M, options.nsamples ?? 2 * M + 2048, rng);
    if (!p.complete) allExact = false;
    samples = Math.max(samples, p.count);
    const start = new Int32Array(p.count + 1);
    let total = 0;
    for (let i = 0; i < p.masks.length; i++) total += p.masks[i]!;
    const members = new Int32Array(total);
    let m = 0;
    for (let c = 0; c < p.count; c++) {
      start[c] = m;
      for (let j = 0; j < M; j++) if (p.masks[c * M + j]) members[m++] = varying[j]!;
    }
    start[p.count] = m;
    work.set(r, { varying, plan: p, start, members, ey: new Float64Array(p.count * K) });
    return p.count * B;
  };

  const fill = (r: number, first: number, count: number, buffer: Float64Array, at: number): void => {
    const { start, members } = work.get(r)!;
    const xr = r * F;
    let idx = first;
    const end = first + count;
    let row = at;
    while (idx < end) {
      const c = Math.floor(idx / B);
      const b0 = idx - c * B;
      const n = Math.min(B - b0, end - idx);
      // The background block, then the coalition's features from x.
      buffer.set(bgX.subarray(b0 * F, (b0 + n) * F), row * F);
      for (let m = start[c]!; m < start[c + 1]!; m++) {
        const f = members[m]!;
        const v = x[xr + f]!;
        for (let t = row * F + f, stop = (row + n) * F; t < stop; t += F) buffer[t] = v;
      }
      idx += n;
      row += n;
    }
  };

  const accept = (r: number, first: number, count: number, out: Float64Array, at: number): void => {
    const { ey } = work.get(r)!;
    let idx = first;
    const end = first + count;
    let row = at;
    while (idx < end) {
      const c = Math.floor(idx / B);
      const b0 = idx - c * B;
      const n = Math.min(B - b0, end - idx);
      if (K === 1) {
        let s = 0;
        for (let t = 0; t < n; t++) s += weights[b0 + t]! * out[row + t]!;
        ey[c]! += s;
      } else {
        const e = c * K;
        for (let t = 0; t < n; t++) {
          const w = weights[b0 + t]!;
          const o0 = (row + t) * K;
          for (let o = 0; o < K; o++) ey[e + o]! += w * out[o0 + o]!;
        }
      }
      idx += n;
      row += n;
    }
  };

  const finish = (r: number): void => {
    const { varying, plan: p, ey } = work.get(r)!;
    work.delete(r);
    const M = varying.length;
    const phi = values.subarray(r * K * F, (r + 1) * K * F);
    for (let o = 0; o < K; o++) delta[o] = full[r * K + o]! - bias[o]!;
    if (M === 1) {
      for (let o = 0; o < K; o++) phi[o * F + varying[0]!] = delta[o]!;
    } else if (M >= 2) {
      const n = p.count;
      const cols = M - 1;
      const a = new Float64Array(n * cols);
      const rhs = new Float64Array(n * K);
      for (let c = 0; c < n; c++) {
        const mc = c * M;
        const last = p.masks[mc + M - 1]!;
        for (let j = 0; j < cols; j++) a[j * n + c] = p.masks[mc + j]! - last;
        for (let o = 0; o < K; o++) {
          const v = applyLink(link, ey[c * K + o]!);
          if (!Number.isFinite(v)) throw new Error(`the model's output ${o} averaged over the background is not finite for row ${r} (after the ${link} link)`);
          rhs[o * n + c] = v - bias[o]! - last * delta[o]!;
        }
      }
      const { x: sol } = weightedLeastSquares(a, rhs, p.weights, n, cols, K);
      for (let o = 0; o < K; o++) {
        let sum = 0;
        for (let j = 0; j < cols; j++) {
          const v = sol[j * K + o]!;
          phi[o * F + varying[j]!] = v;
          sum += v;
        }
        phi[o * F + varying[M - 1]!] = delta[o]! - sum;
      }
    }
    for (let o = 0; o < K; o++) {
      let sum = 0;
      for (let f = 0; f < F; f++) sum += phi[o * F + f]!;
      additivityError = Math.max(additivityError, Math.abs(sum + bias[o]! - full[r * K + o]!));
    }
    done++;
    options.onProgress?.(done, rows);
  };

  const s = await streamBatches(model, { jobCount: rows, begin: plan, fill, accept, finish }, maxBatchRows);
  return {
    rows,
    numOutputs: K,
    numFeatures: F,
    values,
    bias,
    method: allExact ? 'exact' : 'sampled',
    samples,
    additivityError,
    rowsPredicted: stats.rowsPredicted + s.rowsPredicted,
    calls: stats.calls + s.calls,
  };
}
