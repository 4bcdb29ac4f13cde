/**
 * Exact, path-dependent TreeSHAP (Lundberg, Erion and Lee 2018, algorithm 2; REFERENCE §6) over a
 * TreeEnsemble: SHAP values of every feature for every output, in margin space, and the bias (the expected
 * margin: the base margin plus each tree's cover-weighted mean leaf value), such that for every row and
 * output Σ φ + bias equals the margin.
 *
 * The feature coalitions' expectations follow the trees' covers (the "path-dependent" estimate, as
 * xgboost's pred_contribs and shap's TreeExplainer without background data). A path element holds the
 * split feature, the fraction of the cover that flows along the path when the feature is unknown ("zero
 * fraction"), whether the row itself goes that way ("one fraction") and the permutation weight. The row
 * follows a split to the hot child (its own value, or the default direction when missing); the cold child
 * is reached only with the feature unknown.
 *
 * Written from the paper's pseudo-code: recursion per tree, each level working on its own copy of the path
 * in one preallocated buffer (no allocation per node). Cost O(leaves · depth²) per tree and row.
 */
import { checkTreeEnsemble, type TreeEnsemble } from './tree-ensemble.js';
import { planInteractionsRow, planTreeRow, planTreeShap, type TreeShapPlan } from './tree-shap-plan.js';

export interface ShapValues {
  rows: number;
  numOutputs: number;
  numFeatures: number;
  /** rows × numOutputs × numFeatures, row-major: φ[(r · numOutputs + o) · numFeatures + f]. */
  values: Float64Array;
  /** Expected margin per output. */
  bias: Float64Array;
}

/**
 * Every tree's expected output when no feature is known, as xgboost computes it: a node's mean is its
 * children's means weighted by their covers over its own cover (even splits where a node has no cover).
 * This is exactly what the path-dependent coalition values start from (the product of cover ratios along a
 * path), so Σ φ + bias equals the margin even when a file's covers do not add up.
 */
export function treeExpectations(e: TreeEnsemble): Float64Array {
  const out = new Float64Array(e.numTrees);
  for (let t = 0; t < e.numTrees; t++) {
    const root = e.treeOffsets[t]!;
    const end = e.treeOffsets[t + 1]!;
    // Children come after their parents: one backward sweep sees every child before its parent.
    const mean = new Float64Array(end - root);
    for (let n = end - 1; n >= root; n--) {
      if (e.feature[n]! < 0) {
        mean[n - root] = e.value[n]!;
        continue;
      }
      const l = e.left[n]!;
      const r = e.right[n]!;
      const cover = e.cover[n]!;
      mean[n - root] = cover > 0 ? (e.cover[l]! * mean[l - root]! + e.cover[r]! * mean[r - root]!) / cover : (mean[l - root]! + mean[r - root]!) / 2;
    }
    out[t] = mean[0]!;
  }
  return out;
}

/** The expected margin per output: base margin plus the trees' expectations. */
export function shapBias(e: TreeEnsemble): Float64Array {
  const bias = Float64Array.from(e.baseMargin);
  const expect = treeExpectations(e);
  for (let t = 0; t < e.numTrees; t++) bias[e.treeOutput[t]!]! += expect[t]!;
  return bias;
}

/**
 * Path storage for one tree: every recursion level copies its parent's path (depth + 1 elements) into the
 * next free part of these arrays, so the total is (D + 2)(D + 3) / 2 elements for a tree of depth D.
 */
class PathBuffer {
  feature: Int32Array;
  zero: Float64Array;
  one: Float64Array;
  weight: Float64Array;
  constructor(maxDepth: number) {
    const size = ((maxDepth + 2) * (maxDepth + 3)) / 2 + 2;
    this.feature = new Int32Array(size);
    this.zero = new Float64Array(size);
    this.one = new Float64Array(size);
    this.weight = new Float64Array(size);
  }
}

/** Adds an element to the path at `at` (which has `depth` elements before it) and updates the weights. */
function extend(p: PathBuffer, at: number, depth: number, zero: number, one: number, feature: number): void {
  p.feature[at + depth] = feature;
  p.zero[at + depth] = zero;
  p.one[at + depth] = one;
  p.weight[at + depth] = depth === 0 ? 1 : 0;
  for (let i = depth - 1; i >= 0; i--) {
    p.weight[at + i + 1]! += (one * p.weight[at + i]! * (i + 1)) / (depth + 1);
    p.weight[at + i] = (zero * p.weight[at + i]! * (depth - i)) / (depth + 1);
  }
}

/** Removes element `index` from a path of depth + 1 elements, undoing its effect on the weights. */
function unwind(p: PathBuffer, at: number, depth: number, index: number): void {
  const one = p.one[at + index]!;
  const zero = p.zero[at + index]!;
  let next = p.weight[at + depth]!;
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = p.weight[at + i]!;
      p.weight[at + i] = (next * (depth + 1)) / ((i + 1) * one);
      next = tmp - (p.weight[at + i]! * zero * (depth - i)) / (depth + 1);
    } else {
      p.weight[at + i] = (p.weight[at + i]! * (depth + 1)) / (zero * (depth - i));
    }
  }
  for (let i = index; i < depth; i++) {
    p.feature[at + i] = p.feature[at + i + 1]!;
    p.zero[at + i] = p.zero[at + i + 1]!;
    p.one[at + i] = p.one[at + i + 1]!;
  }
}

/** The total permutation weight of the path with element `index` removed (without changing the path). */
function unwoundSum(p: PathBuffer, at: number, depth: number, index: number): number {
  const one = p.one[at + index]!;
  const zero = p.zero[at + index]!;
  let next = p.weight[at + depth]!;
  let total = 0;
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = (next * (depth + 1)) / ((i + 1) * one);
      total += tmp;
      next = p.weight[at + i]! - (tmp * zero * (depth - i)) / (depth + 1);
    } else if (zero !== 0) {
      total += p.weight[at + i]! / zero / ((depth - i) / (depth + 1));
    }
  }
  return total;
}

/**
 * Adds one tree's SHAP values for one row to phi[phiAt + feature]. `x` holds the row at x[xAt …].
 *
 * With a condition (shap's "conditional" TreeSHAP, used for interaction values), feature `condFeature` is
 * held known (condition 1) or unknown (condition −1) in every coalition: it never enters the path, and the
 * share of the tree that a walk carries (the condition fraction) follows the row (known) or the covers
 * (unknown) at the feature's splits.
 */
function treeShapRow(
  e: TreeEnsemble,
  t: number,
  x: Float32Array,
  xAt: number,
  phi: Float64Array,
  phiAt: number,
  p: PathBuffer,
  condFeature = -1,
  condition = 0,
): void {
  const recurse = (node: number, at: number, depth: number, zero: number, one: number, feature: number, share: number): void => {
    // This level's path: a copy of the parent's (which ends at `at`), then extended.
    const here = at + depth + 1;
    for (let i = 0; i <= depth; i++) {
      p.feature[here + i] = p.feature[at + i]!;
      p.zero[here + i] = p.zero[at + i]!;
      p.one[here + i] = p.one[at + i]!;
      p.weight[here + i] = p.weight[at + i]!;
    }
    let d = depth;
    if (condition === 0 || feature !== condFeature) extend(p, here, depth, zero, one, feature);
    else d = depth - 1;
    const split = e.feature[node]!;
    if (split < 0) {
      const leaf = e.value[node]! * share;
      for (let i = 1; i <= d; i++) {
        const w = unwoundSum(p, here, d, i);
        phi[phiAt + p.feature[here + i]!]! += w * (p.one[here + i]! - p.zero[here + i]!) * leaf;
      }
      return;
    }
    const v = x[xAt + split]!;
    const goLeft = v !== v ? e.defaultLeft[node] === 1 : v < e.threshold[node]!;
    const hot = goLeft ? e.left[node]! : e.right[node]!;
    const cold = goLeft ? e.right[node]! : e.left[node]!;
    const cover = e.cover[node]!;
    // Without cover (a degenerate node), unknown features split evenly.
    const hotZero = cover > 0 ? e.cover[hot]! / cover : 0.5;
    const coldZero = cover > 0 ? e.cover[cold]! / cover : 0.5;
    if (condition !== 0 && split === condFeature) {
      // The held feature stays off the path: known, the row's way takes the whole share; unknown, the
      // share divides by cover.
      if (condition > 0) recurse(hot, here, d + 1, 1, 1, split, share);
      else {
        recurse(hot, here, d + 1, 1, 1, split, share * hotZero);
        recurse(cold, here, d + 1, 1, 1, split, share * coldZero);
      }
      return;
    }
    let inZero = 1;
    let inOne = 1;
    // A feature already on the path is taken off first, and its fractions carried into this split.
    let k = 1;
    while (k <= d && p.feature[here + k] !== split) k++;
    if (k <= d) {
      inZero = p.zero[here + k]!;
      inOne = p.one[here + k]!;
      unwind(p, here, d, k);
      d--;
    }
    recurse(hot, here, d + 1, hotZero * inZero, inOne, split, share);
    recurse(cold, here, d + 1, coldZero * inZero, 0, split, share);
  };
  // The root level starts the path with a placeholder element (feature -1, fractions 1), as the paper's
  // algorithm does; offset 0 of the buffer stands for the root's (empty) parent path.
  recurse(e.treeOffsets[t]!, 0, 0, 1, 1, -1, 1);
}

const plans = new WeakMap<TreeEnsemble, TreeShapPlan>();

/** The ensemble's precomputed plan (tree-shap-plan.ts), built once per ensemble object. */
export function treeShapPlan(e: TreeEnsemble): TreeShapPlan {
  let plan = plans.get(e);
  if (!plan) {
    plan = planTreeShap(e);
    plans.set(e, plan);
  }
  return plan;
}

function checkInput(e: TreeEnsemble, x: Float32Array, rows: number): number {
  const problem = checkTreeEnsemble(e);
  if (problem) throw new Error(`the tree ensemble is inconsistent: ${problem}`);
  if (x.length < rows * e.numFeatures) throw new Error(`x holds ${x.length} values, fewer than ${rows} rows × ${e.numFeatures} features`);
  let maxDepth = 0;
  for (let t = 0; t < e.numTrees; t++) maxDepth = Math.max(maxDepth, e.treeDepth[t]!);
  return maxDepth;
}

export interface TreeShapOptions {
  /** 'plan' (default) uses the precomputed tables where they fit; 'recursive' always runs the paper's algorithm. */
  algorithm?: 'plan' | 'recursive';
}

/**
 * SHAP values for `rows` rows of `x` (float32, row-major, numFeatures wide; NaN = missing), for every output,
 * in margin space.
 */
export function treeShap(e: TreeEnsemble, x: Float32Array, rows: number, options: TreeShapOptions = {}): ShapValues {
  const maxDepth = checkInput(e, x, rows);
  const F = e.numFeatures;
  const K = e.numOutputs;
  const path = new PathBuffer(maxDepth + 1);
  const values = new Float64Array(rows * K * F);
  const plan = options.algorithm === 'recursive' ? null : treeShapPlan(e);
  const stackNode = new Int32Array(maxDepth + 2);
  const stackMask = new Int32Array(maxDepth + 2);
  // Tree by tree over all rows keeps one tree's nodes and table hot in the cache.
  for (let t = 0; t < e.numTrees; t++) {
    const out = e.treeOutput[t]!;
    if (plan && plan.planned[t] === 1) {
      for (let r = 0; r < rows; r++) planTreeRow(e, plan, t, x, r * F, values, (r * K + out) * F, stackNode, stackMask);
    } else {
      for (let r = 0; r < rows; r++) treeShapRow(e, t, x, r * F, values, (r * K + out) * F, path);
    }
  }
  return { rows, numOutputs: K, numFeatures: F, values, bias: shapBias(e) };
}

export interface ShapInteractions {
  rows: number;
  numOutputs: number;
  numFeatures: number;
  /** rows × numOutputs × numFeatures × numFeatures: Φ[((r · K + o) · F + i) · F + j]. */
  values: Float64Array;
  bias: Float64Array;
}

/**
 * SHAP interaction values (Lundberg et al. 2020; xgboost's pred_interactions): for i ≠ j,
 * Φ_ij = (φ_j with i known − φ_j with i unknown) / 2, and Φ_ii = φ_i − Σ_{j≠i} Φ_ij, so every row of Φ sums
 * to φ_i and the whole matrix plus the bias to the margin.
 *
 * By default from the leaves directly (tree-shap-plan.ts, planInteractionsRow: only leaves with i on their
 * path change when i is held); `algorithm: 'recursive'` runs 2 · numFeatures conditional TreeSHAP passes
 * per row as shap and xgboost do (also used for trees with more than 30 distinct features on a path).
 */
export function treeShapInteractions(e: TreeEnsemble, x: Float32Array, rows: number, options: TreeShapOptions = {}): ShapInteractions {
  const maxDepth = checkInput(e, x, rows);
  const F = e.numFeatures;
  const K = e.numOutputs;
  const path = new PathBuffer(maxDepth + 1);
  const main = treeShap(e, x, rows, options).values;
  const values = new Float64Array(rows * K * F * F);
  const plan = treeShapPlan(e);
  const stackNode = new Int32Array(maxDepth + 2);
  const stackMask = new Int32Array(maxDepth + 2);
  // Trees the direct method takes (at most 30 distinct features on any path: the mask is an int).
  const direct = new Uint8Array(e.numTrees);
  for (let t = 0; t < e.numTrees; t++) {
    if (options.algorithm === 'recursive') continue;
    let widest = 0;
    for (let n = e.treeOffsets[t]!; n < e.treeOffsets[t + 1]!; n++) if (e.feature[n]! < 0) widest = Math.max(widest, plan.width[n]!);
    direct[t] = widest <= 30 ? 1 : 0;
  }
  const on = new Float64Array(F);
  const off = new Float64Array(F);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < e.numTrees; t++) {
      const out = e.treeOutput[t]!;
      const at = (r * K + out) * F * F;
      if (direct[t]) {
        planInteractionsRow(e, plan, t, x, r * F, values, at, stackNode, stackMask);
        continue;
      }
      const used = new Set<number>();
      for (let n = e.treeOffsets[t]!; n < e.treeOffsets[t + 1]!; n++) if (e.feature[n]! >= 0) used.add(e.feature[n]!);
      for (const i of used) {
        on.fill(0);
        off.fill(0);
        treeShapRow(e, t, x, r * F, on, 0, path, i, 1);
        treeShapRow(e, t, x, r * F, off, 0, path, i, -1);
        for (let j = 0; j < F; j++) if (j !== i) values[at + i * F + j]! += (on[j]! - off[j]!) / 2;
      }
    }
    // The diagonal: what of φ_i the pairs do not take.
    for (let o = 0; o < K; o++) {
      const base = (r * K + o) * F * F;
      for (let i = 0; i < F; i++) {
        let rest = 0;
        for (let j = 0; j < F; j++) if (j !== i) rest += values[base + i * F + j]!;
        values[base + i * F + i] = main[(r * K + o) * F + i]! - rest;
      }
    }
  }
  return { rows, numOutputs: K, numFeatures: F, values, bias: shapBias(e) };
}
