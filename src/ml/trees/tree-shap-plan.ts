/**
 * Exact path-dependent TreeSHAP with per-leaf precomputation, in the spirit of Fast TreeSHAP v2 (Yang 2021,
 * arXiv 2109.09847), giving the same values as the recursive algorithm in tree-shap.ts.
 *
 * Why it works: at a leaf, the recursive algorithm's path holds the leaf's distinct split features, each
 * with a zero fraction z (the product of cover ratios along the path's splits on that feature: fixed by the
 * tree) and a one fraction o (1 when the row follows every split on that feature along the path, else 0:
 * the only part that depends on the row). A leaf's contribution to feature i is
 * UNWOUND_SUM_i(z, o) · (o_i − z_i) · value, and the path weights do not depend on the order the elements
 * were added in, so the contribution is a function of the leaf and the bit mask o alone. With k distinct
 * features on a leaf's path there are 2^k masks: the plan stores every leaf's k contributions for every
 * mask (k · 2^k numbers per leaf; 64 masks × 6 numbers for a leaf at depth 6).
 *
 * Explaining a row is then one walk per tree that visits every node once, carrying the mask: the hot child
 * (the row's own direction, or the default one when the value is missing) sets the split feature's bit when
 * the feature is new on the path and keeps it otherwise; the cold child clears it. At each leaf, k table
 * entries are added to φ. Cost O(nodes + leaves · k) per tree and row instead of O(leaves · depth²), and no
 * division in the hot loop.
 *
 * Trees whose table would be too large (deep trees: k · 2^k grows fast) are left to the recursive
 * algorithm; `planned` tells which trees the plan covers.
 */
import type { TreeEnsemble } from './tree-ensemble.js';

/** Largest table entries one tree may take (a full tree of depth 8 needs 256 · 256 · 8 = 524,288). */
const MAX_TREE_ENTRIES = 1 << 17;
/** Largest table for a whole ensemble (float64 entries: 16M = 128 MB). */
const MAX_TOTAL_ENTRIES = 1 << 24;

export interface TreeShapPlan {
  /** Per tree: 1 when the plan covers it. */
  planned: Uint8Array;
  /** Per node: the bit of its split feature in the mask of the path that reaches it (internal nodes). */
  bit: Int32Array;
  /** Per node: 1 when its split feature is not on the path above it. */
  fresh: Uint8Array;
  /** Per node: the leaf's first table entry (leaves of planned trees). */
  tableAt: Int32Array;
  /** Per node: the number of distinct features on the leaf's path. */
  width: Uint16Array;
  /** Per node: where the leaf's distinct features start in `features`. */
  featuresAt: Int32Array;
  features: Int32Array;
  /** Per leaf, parallel to `features`: each distinct feature's zero fraction on the leaf's path. */
  zeros: Float64Array;
  /** Per leaf and mask: the k contributions, at tableAt + mask · k + i. */
  table: Float64Array;
  maxDepth: number;
}

/** Path weights for a path of (z, o) elements after the placeholder, written into w (length k + 2). */
function pathWeights(z: Float64Array, o: Float64Array, k: number, w: Float64Array): void {
  // Element 0 is the placeholder (z = o = 1); elements 1..k are the features.
  w[0] = 1;
  for (let d = 1; d <= k; d++) {
    const zero = z[d - 1]!;
    const one = o[d - 1]!;
    w[d] = 0;
    for (let i = d - 1; i >= 0; i--) {
      w[i + 1]! += (one * w[i]! * (i + 1)) / (d + 1);
      w[i] = (zero * w[i]! * (d - i)) / (d + 1);
    }
  }
}

/** UNWOUND_SUM for element `index` (1-based) of a path of depth k with weights w. */
function unwoundSum(w: Float64Array, k: number, zero: number, one: number): number {
  let next = w[k]!;
  let total = 0;
  for (let i = k - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = (next * (k + 1)) / ((i + 1) * one);
      total += tmp;
      next = w[i]! - (tmp * zero * (k - i)) / (k + 1);
    } else if (zero !== 0) {
      total += w[i]! / zero / ((k - i) / (k + 1));
    }
  }
  return total;
}

/** Builds the plan (covering every tree whose table fits) for an ensemble. */
export function planTreeShap(e: TreeEnsemble): TreeShapPlan {
  const nodes = e.feature.length;
  const bit = new Int32Array(nodes);
  const fresh = new Uint8Array(nodes);
  const tableAt = new Int32Array(nodes).fill(-1);
  const width = new Uint16Array(nodes);
  const featuresAt = new Int32Array(nodes).fill(-1);
  const planned = new Uint8Array(e.numTrees);
  let maxDepth = 0;
  for (let t = 0; t < e.numTrees; t++) maxDepth = Math.max(maxDepth, e.treeDepth[t]!);

  // First pass: per node, the distinct features on the path to it (the path's order), the z of each, and
  // the table size each tree needs.
  const pathFeatures: Int32Array[] = new Array<Int32Array>(nodes);
  const pathZero: Float64Array[] = new Array<Float64Array>(nodes);
  let featureCount = 0;
  let total = 0;
  const treeEntries = new Float64Array(e.numTrees);
  for (let t = 0; t < e.numTrees; t++) {
    const root = e.treeOffsets[t]!;
    const end = e.treeOffsets[t + 1]!;
    pathFeatures[root] = new Int32Array(0);
    pathZero[root] = new Float64Array(0);
    let entries = 0;
    // Nodes are stored parents first, so one forward sweep sees every parent before its children.
    for (let n = root; n < end; n++) {
      const feats = pathFeatures[n]!;
      const zs = pathZero[n]!;
      const f = e.feature[n]!;
      if (f < 0) {
        entries += feats.length * 2 ** feats.length;
        featureCount += feats.length;
        continue;
      }
      let at = feats.indexOf(f);
      fresh[n] = at < 0 ? 1 : 0;
      if (at < 0) at = feats.length;
      bit[n] = 1 << at;
      const cover = e.cover[n]!;
      for (const child of [e.left[n]!, e.right[n]!]) {
        const ratio = cover > 0 ? e.cover[child]! / cover : 0.5;
        const cf = at < feats.length ? feats : Int32Array.from([...feats, f]);
        const cz = Float64Array.from(at < feats.length ? zs : [...zs, 1]);
        cz[at]! *= ratio;
        pathFeatures[child] = cf;
        pathZero[child] = cz;
      }
    }
    treeEntries[t] = entries;
    if (entries <= MAX_TREE_ENTRIES && total + entries <= MAX_TOTAL_ENTRIES && maxDistinct(pathFeatures, e, t) < 31) {
      planned[t] = 1;
      total += entries;
    }
  }

  const table = new Float64Array(total);
  const features = new Int32Array(featureCount);
  const zeros = new Float64Array(featureCount);
  const w = new Float64Array(64);
  const o = new Float64Array(32);
  let tableNext = 0;
  let featNext = 0;
  for (let t = 0; t < e.numTrees; t++) {
    for (let n = e.treeOffsets[t]!; n < e.treeOffsets[t + 1]!; n++) {
      if (e.feature[n]! >= 0) continue;
      const feats = pathFeatures[n]!;
      const zs = pathZero[n]!;
      const k = feats.length;
      width[n] = k;
      featuresAt[n] = featNext;
      features.set(feats, featNext);
      zeros.set(zs, featNext);
      featNext += k;
      if (!planned[t]) continue;
      tableAt[n] = tableNext;
      const value = e.value[n]!;
      for (let mask = 0; mask < 1 << k; mask++) {
        for (let i = 0; i < k; i++) o[i] = (mask >> i) & 1;
        pathWeights(zs, o, k, w);
        for (let i = 0; i < k; i++) {
          table[tableNext + mask * k + i] = unwoundSum(w, k, zs[i]!, o[i]!) * (o[i]! - zs[i]!) * value;
        }
      }
      tableNext += k << k;
    }
  }
  return { planned, bit, fresh, tableAt, width, featuresAt, features, zeros, table, maxDepth };
}

function maxDistinct(paths: Int32Array[], e: TreeEnsemble, t: number): number {
  let most = 0;
  for (let n = e.treeOffsets[t]!; n < e.treeOffsets[t + 1]!; n++) if (e.feature[n]! < 0) most = Math.max(most, paths[n]!.length);
  return most;
}

/**
 * Adds tree t's SHAP values for the row at x[xAt …] to phi[phiAt + feature], using the plan (the tree must
 * be planned). `stackNode`/`stackMask` hold at least maxDepth + 1 entries.
 */
export function planTreeRow(
  e: TreeEnsemble,
  plan: TreeShapPlan,
  t: number,
  x: Float32Array,
  xAt: number,
  phi: Float64Array,
  phiAt: number,
  stackNode: Int32Array,
  stackMask: Int32Array,
): void {
  const { feature, threshold, left, right, defaultLeft } = e;
  const { bit, fresh, tableAt, width, featuresAt, features, table } = plan;
  stackNode[0] = e.treeOffsets[t]!;
  stackMask[0] = 0;
  let sp = 1;
  while (sp > 0) {
    sp--;
    let n = stackNode[sp]!;
    let mask = stackMask[sp]!;
    let f = feature[n]!;
    while (f >= 0) {
      const v = x[xAt + f]!;
      const l = left[n]!;
      const goLeft = v !== v ? defaultLeft[n] === 1 : v < threshold[n]!;
      const b = bit[n]!;
      // The cold child waits on the stack with the bit cleared; the walk goes on down the hot one.
      stackNode[sp] = goLeft ? right[n]! : l;
      stackMask[sp] = mask & ~b;
      sp++;
      if (fresh[n] === 1) mask |= b;
      n = goLeft ? l : right[n]!;
      f = feature[n]!;
    }
    const k = width[n]!;
    if (k === 0) continue;
    const at = tableAt[n]! + mask * k;
    const fa = featuresAt[n]!;
    for (let i = 0; i < k; i++) phi[phiAt + features[fa + i]!]! += table[at + i]!;
  }
}

/** The path without one feature, rebuilt at each leaf by planInteractionsRow (one set per thread: it never awaits). */
const PATH_ZERO = new Float64Array(32);
const PATH_ONE = new Float64Array(32);
const PATH_WEIGHTS = new Float64Array(34);

/**
 * Adds tree t's SHAP interaction values Φ_cj (c ≠ j) for one row to phi[phiAt + c · F + j] (F = numFeatures;
 * the diagonal is left to the caller: φ_c − Σ_j Φ_cj).
 *
 * Conditioning on feature c known or unknown (as shap's conditional TreeSHAP does) changes only the leaves
 * with c on their path: c leaves the path, and the leaf's share becomes o_c (known) or z_c (unknown). So
 * Φ_cj = ½ Σ over those leaves of (o_c − z_c) · value · (o_j − z_j) · UNWOUND_SUM_j(path without c), with
 * the path's weights rebuilt without c at each leaf: O(k³) per leaf instead of 2 · F TreeSHAP runs.
 * Works on every tree (planned or not: only the per-leaf feature lists and zero fractions are used).
 */
export function planInteractionsRow(
  e: TreeEnsemble,
  plan: TreeShapPlan,
  t: number,
  x: Float32Array,
  xAt: number,
  phi: Float64Array,
  phiAt: number,
  stackNode: Int32Array,
  stackMask: Int32Array,
): void {
  const { feature, threshold, left, right, defaultLeft, value } = e;
  const { bit, fresh, width, featuresAt, features, zeros } = plan;
  const F = e.numFeatures;
  const z = PATH_ZERO;
  const o = PATH_ONE;
  const w = PATH_WEIGHTS;
  stackNode[0] = e.treeOffsets[t]!;
  stackMask[0] = 0;
  let sp = 1;
  while (sp > 0) {
    sp--;
    let n = stackNode[sp]!;
    let mask = stackMask[sp]!;
    let f = feature[n]!;
    while (f >= 0) {
      const v = x[xAt + f]!;
      const l = left[n]!;
      const goLeft = v !== v ? defaultLeft[n] === 1 : v < threshold[n]!;
      const b = bit[n]!;
      stackNode[sp] = goLeft ? right[n]! : l;
      stackMask[sp] = mask & ~b;
      sp++;
      if (fresh[n] === 1) mask |= b;
      n = goLeft ? l : right[n]!;
      f = feature[n]!;
    }
    const k = width[n]!;
    if (k < 2) continue;
    const fa = featuresAt[n]!;
    const leaf = value[n]!;
    for (let c = 0; c < k; c++) {
      const oc = (mask >> c) & 1;
      const zc = zeros[fa + c]!;
      const scale = ((oc - zc) * leaf) / 2;
      if (scale === 0) continue;
      // The path without c, in order.
      let m = 0;
      for (let i = 0; i < k; i++) {
        if (i === c) continue;
        z[m] = zeros[fa + i]!;
        o[m] = (mask >> i) & 1;
        m++;
      }
      pathWeights(z, o, m, w);
      const row = phiAt + features[fa + c]! * F;
      m = 0;
      for (let j = 0; j < k; j++) {
        if (j === c) continue;
        phi[row + features[fa + j]!]! += scale * (o[m]! - z[m]!) * unwoundSum(w, k - 1, z[m]!, o[m]!);
        m++;
      }
    }
  }
}
