/**
 * A compact, flat representation of an additive ensemble of binary decision trees (gradient-boosted
 * trees, random forests), shared by the native evaluator and explanation code (TreeSHAP).
 *
 * All trees live in one set of parallel typed arrays indexed by a global node id. Tree `t` owns the node
 * ids `treeOffsets[t] .. treeOffsets[t + 1] - 1`, and its root is `treeOffsets[t]`. Child ids are global
 * too, so walking a tree never needs the offset.
 *
 * Invariants established by the importers (and checked by `checkTreeEnsemble`):
 * - nodes of each tree are stored breadth-first from the root: the two children of a node are adjacent
 *   (`right[n] === left[n] + 1`) and have larger ids than their parent, so every walk terminates and
 *   the evaluator can pick a child without a branch;
 * - a node is a leaf exactly when `feature[n] === -1`; leaves have `left`, `right` = -1, and `value[n]`
 *   holds the leaf's contribution to the margin of output `treeOutput[t]`;
 * - an internal node sends a row left when `x[feature] < threshold` (both float32), right when
 *   `x[feature] >= threshold`, and to the `defaultLeft` side when the value is missing (NaN);
 * - `cover[n]` is the sum of training hessians that reached the node (xgboost's `sum_hessian`); for a
 *   squared-error objective that is the number (or total weight) of training rows.
 */

/** How margins turn into predictions. */
export type ObjectiveKind =
  | 'binary' // one output; prediction = sigmoid(margin), the probability of the positive class
  | 'multiclass' // K outputs; predictions = softmax(margins), one probability per class
  | 'regression'; // identity link; one output per target

export interface TreeEnsemble {
  readonly objective: ObjectiveKind;
  /** The objective as the source library named it, e.g. 'binary:logistic'. */
  readonly sourceObjective: string;
  /** Width of an input row. */
  readonly numFeatures: number;
  /** Width of an output row: 1 for binary and single-target regression, K for multiclass. */
  readonly numOutputs: number;
  /** Margin each output starts from before any tree is added (already in margin space). */
  readonly baseMargin: Float64Array;
  readonly numTrees: number;
  /** numTrees + 1 entries: tree t owns the nodes treeOffsets[t] .. treeOffsets[t+1]-1. */
  readonly treeOffsets: Int32Array;
  /** Output (class) each tree adds to, in [0, numOutputs). */
  readonly treeOutput: Int32Array;
  /** Depth of each tree: the number of edges on its longest root-to-leaf path (0 for a single leaf). */
  readonly treeDepth: Int32Array;
  /** Per node: feature index of the split, -1 for a leaf. */
  readonly feature: Int32Array;
  /** Per node: split threshold (float32); NaN for a leaf. */
  readonly threshold: Float32Array;
  /** Per node: global id of the left (`x < threshold`) child, -1 for a leaf. */
  readonly left: Int32Array;
  /** Per node: global id of the right (`x >= threshold`) child, -1 for a leaf. */
  readonly right: Int32Array;
  /** Per node: 1 when a missing value goes left, 0 when it goes right (0 for a leaf). */
  readonly defaultLeft: Uint8Array;
  /** Per node: the leaf value (a float32 value held in a double); NaN for an internal node. */
  readonly value: Float64Array;
  /** Per node: cover, the sum of training hessians reaching the node. */
  readonly cover: Float64Array;
}

/**
 * One tree as an importer reads it, in the source's own node numbering with the root at node 0. Numbers
 * arrive unchecked (doubles straight from a file); `TreeEnsembleBuilder.addTree` validates them.
 */
export interface SourceTree {
  readonly numNodes: number;
  /** Left child per node, -1 for a leaf. */
  readonly left: ArrayLike<number>;
  /** Right child per node, -1 for a leaf. */
  readonly right: ArrayLike<number>;
  /** Split feature per node (ignored for leaves). */
  readonly feature: ArrayLike<number>;
  /** Split threshold per node (ignored for leaves); rounded to float32. */
  readonly threshold: ArrayLike<number>;
  /** Non-zero when a missing value goes left (ignored for leaves). */
  readonly defaultLeft: ArrayLike<number>;
  /** Leaf value per node (ignored for internal nodes); rounded to float32. */
  readonly value: ArrayLike<number>;
  /** Cover per node. */
  readonly cover: ArrayLike<number>;
  /** Output (class) the tree adds to. */
  readonly output: number;
}

const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Collects trees into the flat layout. `addTree` walks each tree from its root without recursion,
 * keeps only reachable nodes (xgboost leaves pruned nodes in its files) and renumbers them breadth-first.
 * It refuses anything that is not a finite binary tree: a child out of range, a node reached twice
 * (which covers cycles and shared subtrees), a half leaf, a feature out of range, a threshold or value
 * outside float32.
 */
export class TreeEnsembleBuilder {
  private size = 0;
  private feature = new Int32Array(1024);
  private threshold = new Float32Array(1024);
  private left = new Int32Array(1024);
  private right = new Int32Array(1024);
  private defaultLeft = new Uint8Array(1024);
  private value = new Float64Array(1024);
  private cover = new Float64Array(1024);
  private readonly offsets: number[] = [0];
  private readonly outputs: number[] = [];
  private readonly depths: number[] = [];

  constructor(
    readonly numFeatures: number,
    readonly numOutputs: number,
  ) {}

  /** Adds one tree; returns what is wrong with it (and adds nothing), or undefined when it was added. */
  addTree(tree: SourceTree): string | undefined {
    const n = tree.numNodes;
    if (!Number.isInteger(n) || n < 1) return `has ${n} nodes; a tree needs at least one`;
    for (const [name, arr] of [
      ['left', tree.left],
      ['right', tree.right],
      ['feature', tree.feature],
      ['threshold', tree.threshold],
      ['defaultLeft', tree.defaultLeft],
      ['value', tree.value],
      ['cover', tree.cover],
    ] as const) {
      if (arr.length !== n) return `${name} has ${arr.length} entries but the tree has ${n} nodes`;
    }
    if (!Number.isInteger(tree.output) || tree.output < 0 || tree.output >= this.numOutputs) {
      return `adds to output ${tree.output}, but the model has ${this.numOutputs} output(s)`;
    }
    this.reserve(this.size + n);
    const base = this.size;
    const seen = new Uint8Array(n);
    // Breadth-first from the root without recursion. A node's new id is its position in the queue, and
    // its two children are queued together, so they get adjacent ids after it.
    const queue = new Int32Array(n);
    const depthOf = new Int32Array(n);
    queue[0] = 0;
    seen[0] = 1;
    let tail = 1;
    let maxDepth = 0;
    for (let head = 0; head < tail; head++) {
      const s = queue[head]!;
      const depth = depthOf[head]!;
      const id = base + head;
      if (depth > maxDepth) maxDepth = depth;
      const l = tree.left[s]!;
      const r = tree.right[s]!;
      const cover = tree.cover[s]!;
      if (!Number.isFinite(cover)) return `node ${s} has cover ${cover}`;
      this.cover[id] = cover;
      if (l === -1 || r === -1) {
        if (l !== r) return `node ${s} has left child ${l} and right child ${r}; a leaf needs -1 for both`;
        const v = tree.value[s]!;
        if (!(Math.abs(v) <= FLOAT32_MAX)) return `leaf ${s} has value ${v}, which is not a finite float32`;
        this.feature[id] = -1;
        this.threshold[id] = NaN;
        this.left[id] = -1;
        this.right[id] = -1;
        this.defaultLeft[id] = 0;
        this.value[id] = Math.fround(v);
        continue;
      }
      for (const c of [l, r]) {
        if (!Number.isInteger(c) || c < 0 || c >= n) return `node ${s} has child ${c}, outside [0, ${n})`;
        if (seen[c]) return `node ${c} is reached twice (again from node ${s}); the nodes do not form a tree`;
      }
      if (l === r) return `node ${s} has node ${l} as both children`;
      const f = tree.feature[s]!;
      if (!Number.isInteger(f) || f < 0 || f >= this.numFeatures) {
        return `node ${s} splits on feature ${f}, but the model has ${this.numFeatures} feature(s)`;
      }
      const t = tree.threshold[s]!;
      if (!(Math.abs(t) <= FLOAT32_MAX)) return `node ${s} has threshold ${t}, which is not a finite float32`;
      seen[l] = 1;
      seen[r] = 1;
      this.feature[id] = f;
      this.threshold[id] = t;
      this.left[id] = base + tail;
      this.right[id] = base + tail + 1;
      this.defaultLeft[id] = tree.defaultLeft[s] ? 1 : 0;
      this.value[id] = NaN;
      queue[tail] = l;
      depthOf[tail] = depth + 1;
      queue[tail + 1] = r;
      depthOf[tail + 1] = depth + 1;
      tail += 2;
    }
    const next = base + tail;
    this.size = next;
    this.offsets.push(next);
    this.outputs.push(tree.output);
    this.depths.push(maxDepth);
    return undefined;
  }

  finish(head: { objective: ObjectiveKind; sourceObjective: string; baseMargin: ArrayLike<number> }): TreeEnsemble {
    const n = this.size;
    return {
      objective: head.objective,
      sourceObjective: head.sourceObjective,
      numFeatures: this.numFeatures,
      numOutputs: this.numOutputs,
      baseMargin: Float64Array.from(head.baseMargin),
      numTrees: this.outputs.length,
      treeOffsets: Int32Array.from(this.offsets),
      treeOutput: Int32Array.from(this.outputs),
      treeDepth: Int32Array.from(this.depths),
      feature: this.feature.slice(0, n),
      threshold: this.threshold.slice(0, n),
      left: this.left.slice(0, n),
      right: this.right.slice(0, n),
      defaultLeft: this.defaultLeft.slice(0, n),
      value: this.value.slice(0, n),
      cover: this.cover.slice(0, n),
    };
  }

  private reserve(capacity: number): void {
    if (capacity <= this.feature.length) return;
    let c = this.feature.length;
    while (c < capacity) c *= 2;
    const grow = <T extends Int32Array | Float32Array | Uint8Array | Float64Array>(a: T, make: new (n: number) => T): T => {
      const b = new make(c);
      b.set(a as never);
      return b;
    };
    this.feature = grow(this.feature, Int32Array);
    this.threshold = grow(this.threshold, Float32Array);
    this.left = grow(this.left, Int32Array);
    this.right = grow(this.right, Int32Array);
    this.defaultLeft = grow(this.defaultLeft, Uint8Array);
    this.value = grow(this.value, Float64Array);
    this.cover = grow(this.cover, Float64Array);
  }
}

/** Number of nodes over all trees. */
export const nodeCount = (e: TreeEnsemble): number => e.treeOffsets[e.numTrees] ?? 0;

/**
 * Checks the structural invariants above (and that every node but a root has exactly one parent, and
 * `treeDepth`); returns the first violation as a sentence, or undefined.
 * Importers build ensembles that pass; this is for ensembles built by hand or by other code, and tests.
 */
export function checkTreeEnsemble(e: TreeEnsemble): string | undefined {
  const n = e.feature.length;
  const perNode: [string, { length: number }][] = [
    ['threshold', e.threshold],
    ['left', e.left],
    ['right', e.right],
    ['defaultLeft', e.defaultLeft],
    ['value', e.value],
    ['cover', e.cover],
  ];
  for (const [name, arr] of perNode) {
    if (arr.length !== n) return `${name} has ${arr.length} entries but feature has ${n}`;
  }
  if (!Number.isInteger(e.numOutputs) || e.numOutputs < 1) return `numOutputs ${e.numOutputs} is not a positive integer`;
  if (!Number.isInteger(e.numFeatures) || e.numFeatures < 0) return `numFeatures ${e.numFeatures} is not a count`;
  if (e.baseMargin.length !== e.numOutputs) return `baseMargin has ${e.baseMargin.length} entries for ${e.numOutputs} outputs`;
  if (e.treeOffsets.length !== e.numTrees + 1) return `treeOffsets has ${e.treeOffsets.length} entries for ${e.numTrees} trees`;
  if (e.treeOutput.length !== e.numTrees) return `treeOutput has ${e.treeOutput.length} entries for ${e.numTrees} trees`;
  if (e.treeDepth.length !== e.numTrees) return `treeDepth has ${e.treeDepth.length} entries for ${e.numTrees} trees`;
  if (e.treeOffsets[0] !== 0 || e.treeOffsets[e.numTrees] !== n) return `treeOffsets must run from 0 to ${n}`;
  const depth = new Int32Array(n);
  const parents = new Uint8Array(n);
  for (let t = 0; t < e.numTrees; t++) {
    const start = e.treeOffsets[t]!;
    const end = e.treeOffsets[t + 1]!;
    if (end <= start) return `tree ${t} has no nodes`;
    depth[start] = 0;
    let maxDepth = 0;
    const out = e.treeOutput[t]!;
    if (!(out >= 0 && out < e.numOutputs)) return `tree ${t} adds to output ${out}, outside [0, ${e.numOutputs})`;
    for (let i = start; i < end; i++) {
      if (i > start && !parents[i]) return `node ${i} of tree ${t} has no parent`;
      const f = e.feature[i]!;
      if (f === -1) {
        if (e.left[i] !== -1 || e.right[i] !== -1) return `leaf ${i} has children`;
        if (!Number.isFinite(e.value[i]!)) return `leaf ${i} has value ${e.value[i]}`;
      } else {
        if (!(f >= 0 && f < e.numFeatures)) return `node ${i} splits on feature ${f}, outside [0, ${e.numFeatures})`;
        const l = e.left[i]!;
        const r = e.right[i]!;
        if (!(l > i && l + 1 < end)) return `node ${i}: left child ${l} is outside (${i}, ${end - 1})`;
        if (r !== l + 1) return `node ${i}: right child ${r} is not next to left child ${l}`;
        if (Number.isNaN(e.threshold[i]!)) return `node ${i} has a NaN threshold`;
        if (parents[l] || parents[l + 1]) return `node ${parents[l] ? l : l + 1} has two parents`;
        parents[l] = parents[l + 1] = 1;
        depth[l] = depth[l + 1] = depth[i]! + 1;
      }
      if (depth[i]! > maxDepth) maxDepth = depth[i]!;
    }
    if (e.treeDepth[t] !== maxDepth) return `tree ${t} has depth ${maxDepth} but treeDepth says ${e.treeDepth[t]}`;
  }
  return undefined;
}
