/**
 * Native evaluation of a TreeEnsemble over a dense float32 batch.
 *
 * Agreement with xgboost. Arithmetic follows xgboost's CPU predictor so that margins agree bit for bit:
 * each output starts at its float32 base margin and the trees' float32 leaf values are added one at a
 * time, in tree order, rounding the running sum to float32 after every addition (xgboost keeps its
 * predictions in a float buffer). Splits compare float32 input with float32 thresholds, `x < threshold`
 * going left, NaN going the default way. Summing in float64 instead drifts from xgboost by float32
 * rounding steps of the margin: up to 7.3e-6 over 200 rows on the 200-tree benchmark model (2.8e-6 over
 * the 67 rows of its fixture) and 1.1e-6 on a 6-tree regression with margins near 10, too close to a
 * 1e-5 tolerance to be safe for longer ensembles or larger margins. With float32 sums the margins are identical to xgboost's on every fixture. The links
 * (sigmoid, softmax) are computed in float64 from those margins; xgboost computes them in float32, so
 * transformed outputs differ by about one float32 ulp (< 1e-7 for probabilities).
 *
 * Speed. The ensemble is compiled once (cached per ensemble object, which must not be mutated after its
 * first use) into one interleaved node array, 16 bytes a node, where a leaf points to itself. Rows are
 * taken in blocks of 64, tree by tree; within a block four rows walk a tree in lockstep for exactly the
 * tree's depth, so their independent memory loads overlap. Choosing a child is branch-free (children
 * are adjacent). Deep, unbalanced trees are walked one row at a time instead. No allocation per row.
 */
import { unprocessable, invalidField } from '../../platform/errors.js';
import { checkTreeEnsemble, type TreeEnsemble } from './tree-ensemble.js';

/** Rows evaluated together, tree by tree: one tree's nodes stay in cache across the block. */
const BLOCK = 64;
/** Flag bits of a compiled node. */
const DEFAULT_LEFT = 1;
const INTERNAL = 2;

interface Compiled {
  /** Per node, 4 int32 slots: feature (0 for a leaf), threshold bits, left child (itself for a leaf), flags. */
  nodes: Int32Array;
  /** The same buffer viewed as float32, to read thresholds at slot 4n+1. */
  thresholds: Float32Array;
  /** Per tree: 1 to walk rows in lockstep for treeDepth steps, 0 to walk each row until its leaf. */
  lockstep: Uint8Array;
}

const compiledCache = new WeakMap<TreeEnsemble, Compiled>();

function compile(e: TreeEnsemble): Compiled {
  const cached = compiledCache.get(e);
  if (cached) return cached;
  const problem = checkTreeEnsemble(e);
  if (problem) throw unprocessable('INVALID_MODEL', `The tree ensemble is inconsistent: ${problem}`);
  const count = e.feature.length;
  const buffer = new ArrayBuffer(count * 16);
  const nodes = new Int32Array(buffer);
  const thresholds = new Float32Array(buffer);
  for (let n = 0; n < count; n++) {
    const f = e.feature[n]!;
    const at = n << 2;
    if (f < 0) {
      nodes[at + 2] = n;
    } else {
      nodes[at] = f;
      thresholds[at + 1] = e.threshold[n]!;
      nodes[at + 2] = e.left[n]!;
      nodes[at + 3] = INTERNAL | (e.defaultLeft[n] ? DEFAULT_LEFT : 0);
    }
  }
  const lockstep = new Uint8Array(e.numTrees);
  for (let t = 0; t < e.numTrees; t++) {
    // Lockstep walks cost `depth` steps a row: worth it while the tree is not much deeper than a
    // balanced tree with as many nodes.
    const size = e.treeOffsets[t + 1]! - e.treeOffsets[t]!;
    lockstep[t] = e.treeDepth[t]! <= 2 * Math.log2(size + 1) + 2 ? 1 : 0;
  }
  const result = { nodes, thresholds, lockstep };
  compiledCache.set(e, result);
  return result;
}

/** Walks one row (starting at x[b]) from `root` down to its leaf; returns the leaf's node id. */
function walk(P: Int32Array, T: Float32Array, x: Float32Array, b: number, root: number): number {
  let n = root;
  let g = P[(n << 2) + 3]!;
  while (g & INTERNAL) {
    const p = n << 2;
    const v = x[b + P[p]!]!;
    n = P[p + 2]! + (+!(v < T[p + 1]!) ^ (+(v !== v) & g));
    g = P[(n << 2) + 3]!;
  }
  return n;
}

function checkBatch(ensemble: TreeEnsemble, x: Float32Array, rows: number, out: Float64Array | undefined): Float64Array {
  if (!Number.isInteger(rows) || rows < 0) throw invalidField('rows', `must be a whole number >= 0, not ${rows}`);
  const width = ensemble.numFeatures;
  if (x.length !== rows * width) {
    throw invalidField('x', `has ${x.length} values; expected rows x features = ${rows} x ${width} = ${rows * width}`);
  }
  const size = rows * ensemble.numOutputs;
  if (out === undefined) return new Float64Array(size);
  if (out.length !== size) throw invalidField('out', `has ${out.length} entries; expected rows x outputs = ${size}`);
  return out;
}

/**
 * Raw margins (what xgboost's `predict(output_margin=True)` gives): `rows x numOutputs`, row-major.
 * `x` is row-major `rows x numFeatures`, NaN meaning missing. Pass `out` to reuse a buffer.
 */
export function predictMargin(ensemble: TreeEnsemble, x: Float32Array, rows: number, out?: Float64Array): Float64Array {
  const result = checkBatch(ensemble, x, rows, out);
  const { nodes: P, thresholds: T, lockstep } = compile(ensemble);
  const { value: V, treeOffsets, treeOutput, treeDepth, baseMargin, numTrees } = ensemble;
  const w = ensemble.numFeatures;
  const k = ensemble.numOutputs;
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < k; o++) result[r * k + o] = baseMargin[o]!;
  }
  // One step from node n for the row starting at b:
  //   p = n << 2; v = x[b + P[p]]; g = P[p + 3];
  //   n = P[p + 2] + ((!(v < T[p + 1]) ^ (isNaN(v) & g)) & (g >> 1))
  // `!(v < cut)` is 1 to go right, and also for NaN; the xor sends NaN left when that is its default;
  // `g >> 1` is 0 at a leaf, which keeps the walk there. Written out in full below for speed.
  for (let start = 0; start < rows; start += BLOCK) {
    const end = Math.min(rows, start + BLOCK);
    const full = start + ((end - start) & ~3);
    // Groups of four rows, tree by tree.
    for (let t = 0; t < numTrees; t++) {
      const root = treeOffsets[t]!;
      const o = treeOutput[t]!;
      if (lockstep[t]) {
        const depth = treeDepth[t]!;
        for (let r = start; r < full; r += 4) {
          let n0 = root;
          let n1 = root;
          let n2 = root;
          let n3 = root;
          const b0 = r * w;
          const b1 = b0 + w;
          const b2 = b1 + w;
          const b3 = b2 + w;
          for (let d = 0; d < depth; d++) {
            const p0 = n0 << 2;
            const p1 = n1 << 2;
            const p2 = n2 << 2;
            const p3 = n3 << 2;
            const v0 = x[b0 + P[p0]!]!;
            const v1 = x[b1 + P[p1]!]!;
            const v2 = x[b2 + P[p2]!]!;
            const v3 = x[b3 + P[p3]!]!;
            const g0 = P[p0 + 3]!;
            const g1 = P[p1 + 3]!;
            const g2 = P[p2 + 3]!;
            const g3 = P[p3 + 3]!;
            n0 = P[p0 + 2]! + ((+!(v0 < T[p0 + 1]!) ^ (+(v0 !== v0) & g0)) & (g0 >> 1));
            n1 = P[p1 + 2]! + ((+!(v1 < T[p1 + 1]!) ^ (+(v1 !== v1) & g1)) & (g1 >> 1));
            n2 = P[p2 + 2]! + ((+!(v2 < T[p2 + 1]!) ^ (+(v2 !== v2) & g2)) & (g2 >> 1));
            n3 = P[p3 + 2]! + ((+!(v3 < T[p3 + 1]!) ^ (+(v3 !== v3) & g3)) & (g3 >> 1));
          }
          const s = r * k + o;
          result[s] = Math.fround(result[s]! + V[n0]!);
          result[s + k] = Math.fround(result[s + k]! + V[n1]!);
          result[s + 2 * k] = Math.fround(result[s + 2 * k]! + V[n2]!);
          result[s + 3 * k] = Math.fround(result[s + 3 * k]! + V[n3]!);
        }
      } else {
        for (let r = start; r < full; r++) {
          const s = r * k + o;
          result[s] = Math.fround(result[s]! + V[walk(P, T, x, r * w, root)]!);
        }
      }
    }
    // The last rows of the batch (fewer than four): one row at a time, four trees in lockstep. The
    // leaves are still added in tree order, so the float32 sums are the same.
    for (let r = full; r < end; r++) {
      const b = r * w;
      const s = r * k;
      let t = 0;
      for (; t + 4 <= numTrees; t += 4) {
        if (!(lockstep[t] && lockstep[t + 1] && lockstep[t + 2] && lockstep[t + 3])) {
          for (let u = t; u < t + 4; u++) result[s + treeOutput[u]!] = Math.fround(result[s + treeOutput[u]!]! + V[walk(P, T, x, b, treeOffsets[u]!)]!);
          continue;
        }
        let n0 = treeOffsets[t]!;
        let n1 = treeOffsets[t + 1]!;
        let n2 = treeOffsets[t + 2]!;
        let n3 = treeOffsets[t + 3]!;
        const depth = Math.max(treeDepth[t]!, treeDepth[t + 1]!, treeDepth[t + 2]!, treeDepth[t + 3]!);
        for (let d = 0; d < depth; d++) {
          const p0 = n0 << 2;
          const p1 = n1 << 2;
          const p2 = n2 << 2;
          const p3 = n3 << 2;
          const v0 = x[b + P[p0]!]!;
          const v1 = x[b + P[p1]!]!;
          const v2 = x[b + P[p2]!]!;
          const v3 = x[b + P[p3]!]!;
          const g0 = P[p0 + 3]!;
          const g1 = P[p1 + 3]!;
          const g2 = P[p2 + 3]!;
          const g3 = P[p3 + 3]!;
          n0 = P[p0 + 2]! + ((+!(v0 < T[p0 + 1]!) ^ (+(v0 !== v0) & g0)) & (g0 >> 1));
          n1 = P[p1 + 2]! + ((+!(v1 < T[p1 + 1]!) ^ (+(v1 !== v1) & g1)) & (g1 >> 1));
          n2 = P[p2 + 2]! + ((+!(v2 < T[p2 + 1]!) ^ (+(v2 !== v2) & g2)) & (g2 >> 1));
          n3 = P[p3 + 2]! + ((+!(v3 < T[p3 + 1]!) ^ (+(v3 !== v3) & g3)) & (g3 >> 1));
        }
        const o0 = s + treeOutput[t]!;
        result[o0] = Math.fround(result[o0]! + V[n0]!);
        const o1 = s + treeOutput[t + 1]!;
        result[o1] = Math.fround(result[o1]! + V[n1]!);
        const o2 = s + treeOutput[t + 2]!;
        result[o2] = Math.fround(result[o2]! + V[n2]!);
        const o3 = s + treeOutput[t + 3]!;
        result[o3] = Math.fround(result[o3]! + V[n3]!);
      }
      for (; t < numTrees; t++) {
        const o = s + treeOutput[t]!;
        result[o] = Math.fround(result[o]! + V[walk(P, T, x, b, treeOffsets[t]!)]!);
      }
    }
  }
  return result;
}

/**
 * Predictions with the objective's link applied: the positive-class probability for 'binary' (rows x 1),
 * class probabilities for 'multiclass' (rows x K; also for multi:softmax, whose xgboost `predict` returns
 * the arg-max instead), the margin itself for 'regression'.
 */
export function predict(ensemble: TreeEnsemble, x: Float32Array, rows: number, out?: Float64Array): Float64Array {
  const result = predictMargin(ensemble, x, rows, out);
  switch (ensemble.objective) {
    case 'binary':
      for (let i = 0; i < result.length; i++) result[i] = 1 / (1 + Math.exp(-result[i]!));
      break;
    case 'multiclass': {
      const k = ensemble.numOutputs;
      for (let base = 0; base < result.length; base += k) {
        let max = -Infinity;
        for (let o = 0; o < k; o++) max = Math.max(max, result[base + o]!);
        let sum = 0;
        for (let o = 0; o < k; o++) {
          const e = Math.exp(result[base + o]! - max);
          result[base + o] = e;
          sum += e;
        }
        for (let o = 0; o < k; o++) result[base + o]! /= sum;
      }
      break;
    }
    case 'regression':
      break;
  }
  return result;
}
