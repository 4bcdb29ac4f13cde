/**
 * A histogram gradient-boosted-trees trainer in the manner of xgboost's `tree_method=hist` (own code;
 * the math is that of Chen & Guestrin, "XGBoost: A Scalable Tree Boosting System", 2016, and xgboost's
 * parameter documentation). Its output is a `TreeEnsemble`, so Steward's native evaluator serves it and
 * TreeSHAP explains it (covers are the hessian sums of the training rows reaching each node).
 *
 * Conventions, chosen to agree with xgboost 1.7:
 * - Inputs are rounded to float32, binned once (see binning.ts); a split after bin s of feature f is the
 *   test `x[f] < c_s` with a float32 threshold c_s in original units, missing values going the learned
 *   default way, which is what the evaluator does.
 * - Gradients and hessians are float32 (as xgboost's), their sums float64. binary:logistic:
 *   g = p − y, h = max(p(1 − p), 1e-16); reg:squarederror: g = margin − y, h = 1.
 * - Split gain is xgboost's `loss_chg` = G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ), i.e. twice the paper's
 *   ½[…]; a split is made when loss_chg > max(γ, 1e-6), so `gamma` means xgboost's `min_split_loss`.
 *   (xgboost prunes bottom-up after growth, so with γ > 0 it can keep a weak split above a strong one;
 *   this trainer refuses the weak split during growth. With the default γ = 0 the two agree.)
 * - Both children need a hessian sum ≥ minChildWeight. For each candidate split, missing values are
 *   first sent right; when the node has missing values for that feature they are also tried on the
 *   left, and the better side is kept (ties keep "right", as xgboost does).
 * - Leaf value = learningRate × −G/(H+λ) (0 when H < minChildWeight), rounded to float32.
 * - Growth is depth-wise to maxDepth; the histogram of the child with fewer rows is built and the other
 *   is the parent's minus it.
 * - multi:softprob (numClass = K): each round grows K trees, tree k on g = p_k − [y = k],
 *   h = max(2 p_k(1 − p_k), 1e-16) (xgboost's softprob hessian), from the softmax of the round's
 *   starting margins; every class starts at margin 0.5 (xgboost 1.7's base_score, used as a margin;
 *   softmax ignores a common shift).
 * - Base score: binary:logistic defaults to probability 0.5 (margin 0), as xgboost 1.7. For
 *   reg:squarederror the default is the mean of the training labels (xgboost 1.7 uses 0.5; xgboost ≥ 2.0
 *   also starts from a fitted intercept). Pass `baseScore` to choose (a probability for logistic).
 * - Running margins are float32 sums in tree order, as the evaluator (and xgboost) keep them.
 * - Row subsampling: each row is in a tree's sample with probability `subsample` (Bernoulli, as xgboost);
 *   column subsampling: each tree sees max(1, floor(colsampleByTree × F)) features drawn without
 *   replacement. Both from a seeded PRNG, so training is deterministic for a seed.
 * - Early stopping: on the last of `evalMetrics` over the validation set; training stops after
 *   `earlyStoppingRounds` rounds without improvement and the returned ensemble keeps the trees up to
 *   the best round (xgboost keeps them all and records best_iteration).
 */

import { TreeEnsembleBuilder, type SourceTree, type TreeEnsemble } from '../trees/tree-ensemble.js';
import { binCount, binRows, computeCuts, type BinMatrix, type FeatureCuts } from './binning.js';
import { evalMetric, maximizes, type EvalMetric } from './gbdt-metrics.js';

export type GbdtObjective = 'binary:logistic' | 'reg:squarederror' | 'multi:softprob';

export interface GbdtData {
  /** Row-major rows × numFeatures, NaN meaning missing. */
  readonly x: Float64Array | Float32Array;
  readonly rows: number;
  readonly numFeatures: number;
  /** Labels: 0/1 for binary:logistic, any finite number for regression, 0..numClass-1 for multi:softprob. */
  readonly y: ArrayLike<number>;
}

export interface IterationReport {
  readonly iteration: number;
  readonly train: Readonly<Record<string, number>>;
  readonly valid?: Readonly<Record<string, number>>;
}

export interface GbdtOptions {
  readonly objective: GbdtObjective;
  /** Number of classes (≥ 2), for multi:softprob only. */
  readonly numClass?: number;
  /** Boosting rounds (trees); default 100. */
  readonly numRounds?: number;
  /** Shrinkage eta; default 0.3. */
  readonly learningRate?: number;
  /** default 6 */
  readonly maxDepth?: number;
  /** default 256 */
  readonly maxBins?: number;
  /** L2 regularisation λ on leaf weights; default 1. */
  readonly lambda?: number;
  /** Minimum loss_chg to split (xgboost's min_split_loss); default 0. */
  readonly gamma?: number;
  /** Minimum hessian sum in a child; default 1. */
  readonly minChildWeight?: number;
  /** Fraction of rows per tree; default 1. */
  readonly subsample?: number;
  /** Fraction of features per tree; default 1. */
  readonly colsampleByTree?: number;
  /** PRNG seed for subsampling; default 0. */
  readonly seed?: number;
  /** Starting prediction (probability for logistic); see the module note for the defaults. */
  readonly baseScore?: number;
  /** Metrics reported per iteration; the last one drives early stopping. Default logloss / rmse. */
  readonly evalMetrics?: readonly EvalMetric[];
  /** Stop after this many rounds without improvement on the validation set. */
  readonly earlyStoppingRounds?: number;
  readonly onIteration?: (report: IterationReport) => void;
}

export interface GbdtResult {
  readonly ensemble: TreeEnsemble;
  /** Index of the best round on the validation set (the last round without one). */
  readonly bestIteration: number;
  /** Rounds actually trained (may exceed the ensemble's trees after early stopping). */
  readonly roundsTrained: number;
  readonly history: readonly IterationReport[];
  /** The trainer's own margins of the training rows for the returned ensemble. */
  readonly trainMargin: Float64Array;
  readonly validMargin?: Float64Array;
  readonly cuts: FeatureCuts;
}

/** A small seeded PRNG (mulberry32). */
export class SeededRandom {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

const RT_EPS = 1e-6;

interface Params {
  readonly eta: number;
  readonly maxDepth: number;
  readonly lambda: number;
  readonly gamma: number;
  readonly mcw: number;
}

/** A tree in the trainer's numbering (root 0), with the bin of each split for routing binned rows. */
interface GrownTree extends SourceTree {
  readonly splitBin: Int32Array;
}

interface Split {
  gain: number;
  feature: number;
  bin: number;
  defaultLeft: boolean;
  gl: number;
  hl: number;
  gr: number;
  hr: number;
}

interface Pending {
  node: number;
  begin: number;
  end: number;
  g: number;
  h: number;
  hist: Float64Array;
}

function checkData(d: GbdtData, name: string, numFeatures?: number): void {
  if (!Number.isInteger(d.rows) || d.rows < 1) throw new RangeError(`${name}.rows ${d.rows} must be a positive whole number`);
  if (numFeatures !== undefined && d.numFeatures !== numFeatures) throw new RangeError(`${name} has ${d.numFeatures} features; training has ${numFeatures}`);
  if (d.x.length !== d.rows * d.numFeatures) throw new RangeError(`${name}.x has ${d.x.length} values; expected ${d.rows * d.numFeatures}`);
  if (d.y.length !== d.rows) throw new RangeError(`${name}.y has ${d.y.length} labels for ${d.rows} rows`);
  for (let i = 0; i < d.rows; i++) if (!Number.isFinite(d.y[i]!)) throw new RangeError(`${name}.y[${i}] is ${d.y[i]}`);
}

/** Trains an ensemble; `valid`, when given, is evaluated every round and drives early stopping. */
export function trainGbdt(train: GbdtData, options: GbdtOptions, valid?: GbdtData): GbdtResult {
  checkData(train, 'train');
  if (valid) checkData(valid, 'valid', train.numFeatures);
  const logistic = options.objective === 'binary:logistic';
  const multi = options.objective === 'multi:softprob';
  if (!logistic && !multi && options.objective !== 'reg:squarederror') throw new RangeError(`objective ${String(options.objective)} is not supported`);
  const K = multi ? (options.numClass ?? 0) : 1;
  if (multi && !(Number.isInteger(K) && K >= 2)) throw new RangeError(`numClass ${options.numClass} must be a whole number >= 2 for multi:softprob`);
  const checkLabels = (d: GbdtData, name: string) => {
    for (let i = 0; i < d.rows; i++) {
      const v = d.y[i]!;
      if (logistic && v !== 0 && v !== 1) throw new RangeError(`${name}.y[${i}] is ${v}; binary:logistic needs 0 or 1`);
      if (multi && !(Number.isInteger(v) && v >= 0 && v < K)) throw new RangeError(`${name}.y[${i}] is ${v}; multi:softprob needs a class in 0..${K - 1}`);
    }
  };
  checkLabels(train, 'train');
  if (valid) checkLabels(valid, 'valid');
  const numRounds = options.numRounds ?? 100;
  const p: Params = {
    eta: options.learningRate ?? 0.3,
    maxDepth: options.maxDepth ?? 6,
    lambda: options.lambda ?? 1,
    gamma: options.gamma ?? 0,
    mcw: options.minChildWeight ?? 1,
  };
  const subsample = options.subsample ?? 1;
  const colsample = options.colsampleByTree ?? 1;
  if (!(p.eta > 0) || !Number.isInteger(p.maxDepth) || p.maxDepth < 0 || !(p.lambda >= 0) || !(p.gamma >= 0) || !(p.mcw >= 0)) {
    throw new RangeError('learningRate must be > 0; maxDepth a whole number >= 0; lambda, gamma, minChildWeight >= 0');
  }
  if (!(subsample > 0 && subsample <= 1) || !(colsample > 0 && colsample <= 1)) throw new RangeError('subsample and colsampleByTree must be in (0, 1]');
  if (!Number.isInteger(numRounds) || numRounds < 1) throw new RangeError(`numRounds ${numRounds} must be a positive whole number`);
  const metrics: readonly EvalMetric[] = options.evalMetrics?.length ? options.evalMetrics : [logistic ? 'logloss' : multi ? 'mlogloss' : 'rmse'];

  const n = train.rows;
  const F = train.numFeatures;
  const y = Float64Array.from(train.y as ArrayLike<number>);
  const cuts = computeCuts(train.x, n, F, options.maxBins ?? 256);
  const binned = binRows(train.x, n, cuts);
  const validBinned = valid ? binRows(valid.x, valid.rows, cuts) : undefined;
  const validY = valid ? Float64Array.from(valid.y as ArrayLike<number>) : undefined;

  let baseMargin: number;
  if (options.baseScore !== undefined) {
    const s = options.baseScore;
    if (logistic && !(s > 0 && s < 1)) throw new RangeError(`baseScore ${s} must be a probability in (0, 1) for binary:logistic`);
    baseMargin = logistic ? Math.fround(-Math.log(1 / s - 1)) : Math.fround(s);
  } else if (logistic) baseMargin = 0;
  else if (multi) baseMargin = 0.5;
  else {
    let s = 0;
    for (let i = 0; i < n; i++) s += y[i]!;
    baseMargin = Math.fround(s / n);
  }

  // margins row-major rows × K; gradients class-major K × rows
  const margin = new Float64Array(n * K).fill(baseMargin);
  const validMargin = valid ? new Float64Array(valid.rows * K).fill(baseMargin) : undefined;
  const grad = new Float32Array(n * K);
  const hess = new Float32Array(n * K);
  const prob = new Float64Array(K);
  const rng = new SeededRandom(options.seed ?? 0);
  const trees: GrownTree[] = [];
  const history: IterationReport[] = [];
  const driver = metrics[metrics.length - 1]!;
  let best = NaN;
  let bestIteration = -1;
  let bestTrain = margin.slice();
  let bestValid = validMargin?.slice();
  let rounds = 0;

  const sampleRows = new Int32Array(n);
  const allFeatures = Int32Array.from({ length: F }, (_, i) => i);
  for (let it = 0; it < numRounds; it++) {
    // gradients
    for (let i = 0; i < n; i++) {
      const m = Math.fround(margin[i * K]!);
      if (multi) {
        // softmax in float32 steps; h = 2p(1 − p), as xgboost's softprob
        let max = -Infinity;
        for (let k = 0; k < K; k++) max = Math.max(max, margin[i * K + k]!);
        let z = 0;
        for (let k = 0; k < K; k++) z += prob[k] = Math.fround(Math.exp(margin[i * K + k]! - max));
        for (let k = 0; k < K; k++) {
          const pk = Math.fround(prob[k]! / Math.fround(z));
          grad[k * n + i] = pk - (y[i] === k ? 1 : 0);
          hess[k * n + i] = Math.max(Math.fround(2 * pk * Math.fround(1 - pk)), 1e-16);
        }
      } else if (logistic) {
        const pr = Math.fround(1 / (1 + Math.exp(-m)));
        grad[i] = pr - y[i]!;
        hess[i] = Math.max(Math.fround(pr * Math.fround(1 - pr)), 1e-16);
      } else {
        grad[i] = m - y[i]!;
        hess[i] = 1;
      }
    }
    for (let k = 0; k < K; k++) {
      // row sample
      let sampled = 0;
      if (subsample < 1) {
        for (let i = 0; i < n; i++) if (rng.next() < subsample) sampleRows[sampled++] = i;
        if (sampled === 0) sampleRows[sampled++] = Math.floor(rng.next() * n);
      } else {
        for (let i = 0; i < n; i++) sampleRows[i] = i;
        sampled = n;
      }
      // column sample
      let features = allFeatures;
      if (colsample < 1) {
        const take = Math.max(1, Math.floor(colsample * F));
        const perm = allFeatures.slice();
        for (let i = 0; i < take; i++) {
          const j = i + Math.floor(rng.next() * (F - i));
          const t = perm[i]!;
          perm[i] = perm[j]!;
          perm[j] = t;
        }
        features = perm.subarray(0, take).sort();
      }
      const tree = growTree(binned, cuts, grad.subarray(k * n, (k + 1) * n), hess.subarray(k * n, (k + 1) * n), sampleRows.slice(0, sampled), features, p, k);
      trees.push(tree);
      addTree(tree, binned, margin, K);
      if (validBinned && validMargin) addTree(tree, validBinned, validMargin, K);
    }
    rounds = it + 1;

    const trainScores: Record<string, number> = {};
    for (const m of metrics) trainScores[m] = evalMetric(m, margin, y, K);
    let validScores: Record<string, number> | undefined;
    if (validMargin && validY) {
      validScores = {};
      for (const m of metrics) validScores[m] = evalMetric(m, validMargin, validY, K);
    }
    const report: IterationReport = validScores ? { iteration: it, train: trainScores, valid: validScores } : { iteration: it, train: trainScores };
    history.push(report);
    options.onIteration?.(report);

    if (validScores) {
      const score = validScores[driver]!;
      const better = Number.isNaN(best) || (maximizes(driver) ? score > best : score < best);
      if (better) {
        best = score;
        bestIteration = it;
        if (options.earlyStoppingRounds !== undefined) {
          bestTrain = margin.slice();
          bestValid = validMargin!.slice();
        }
      }
      if (options.earlyStoppingRounds !== undefined && it - bestIteration >= options.earlyStoppingRounds) break;
    }
  }
  const keepRounds = options.earlyStoppingRounds !== undefined && valid ? bestIteration + 1 : rounds;
  const keep = keepRounds * K;
  if (bestIteration < 0) bestIteration = rounds - 1;

  const builder = new TreeEnsembleBuilder(F, K);
  for (let t = 0; t < keep; t++) {
    const problem = builder.addTree(trees[t]!);
    if (problem) throw new Error(`internal error: grown tree ${t} is invalid: ${problem}`);
  }
  const ensemble = builder.finish({
    objective: logistic ? 'binary' : multi ? 'multiclass' : 'regression',
    sourceObjective: options.objective,
    baseMargin: new Array<number>(K).fill(baseMargin),
  });
  const truncated = keepRounds < rounds;
  const result: GbdtResult = {
    ensemble,
    bestIteration,
    roundsTrained: rounds,
    history,
    trainMargin: truncated ? bestTrain : margin,
    cuts,
  };
  const vm = truncated ? bestValid : validMargin;
  return vm ? { ...result, validMargin: vm } : result;
}

/** Adds a tree's leaf values to float32 running margins (rows × K), routing binned rows. */
function addTree(tree: GrownTree, m: BinMatrix, margin: Float64Array, K: number): void {
  const o = tree.output;
  const { bins, missingBin, rows } = m;
  const { left, feature, splitBin, defaultLeft, value } = tree;
  for (let r = 0; r < rows; r++) {
    let node = 0;
    while (left[node] !== -1) {
      const b = bins[feature[node]! * rows + r]!;
      const goLeft = b === missingBin ? defaultLeft[node] === 1 : b <= splitBin[node]!;
      node = goLeft ? left[node]! : left[node]! + 1;
    }
    margin[r * K + o] = Math.fround(margin[r * K + o]! + value[node]!);
  }
}

function growTree(
  m: BinMatrix,
  cuts: FeatureCuts,
  grad: Float32Array,
  hess: Float32Array,
  rowIdx: Int32Array,
  features: Int32Array,
  p: Params,
  output: number,
): GrownTree {
  const F = cuts.numFeatures;
  // histogram layout: per feature, its bins then one slot for missing values; (g, h) pairs
  const histOffset = new Int32Array(F + 1);
  for (let f = 0; f < F; f++) histOffset[f + 1] = histOffset[f]! + binCount(cuts, f) + 1;
  const histSize = 2 * histOffset[F]!;
  const { bins, missingBin, rows } = m;

  const buildHist = (begin: number, end: number): Float64Array => {
    const hist = new Float64Array(histSize);
    for (const f of features) {
      const col = f * rows;
      const base = histOffset[f]!;
      const miss = histOffset[f + 1]! - 1;
      for (let i = begin; i < end; i++) {
        const r = rowIdx[i]!;
        const b = bins[col + r]!;
        const slot = 2 * (b === missingBin ? miss : base + b);
        hist[slot] = hist[slot]! + grad[r]!;
        hist[slot + 1] = hist[slot + 1]! + hess[r]!;
      }
    }
    return hist;
  };

  const score = (g: number, h: number) => (g * g) / (h + p.lambda);
  const weight = (g: number, h: number) => (h < p.mcw || h <= 0 ? 0 : -g / (h + p.lambda));

  const findSplit = (node: Pending): Split | undefined => {
    let best: Split | undefined;
    const parent = score(node.g, node.h);
    const consider = (gain: number, feature: number, bin: number, defaultLeft: boolean, gl: number, hl: number, gr: number, hr: number) => {
      if (hl < p.mcw || hr < p.mcw) return;
      if (best === undefined ? true : gain > best.gain) best = { gain, feature, bin, defaultLeft, gl, hl, gr, hr };
    };
    for (const f of features) {
      const base = histOffset[f]!;
      const k = histOffset[f + 1]! - base - 1;
      const hist = node.hist;
      const miss = 2 * (base + k);
      const gm = hist[miss]!;
      const hm = hist[miss + 1]!;
      const hasMissing = hm > 0;
      let gl = 0;
      let hl = 0;
      for (let s = 0; s < k - 1; s++) {
        gl += hist[2 * (base + s)]!;
        hl += hist[2 * (base + s) + 1]!;
        // missing right
        {
          const gr = node.g - gl;
          const hr = node.h - hl;
          if (hl >= p.mcw && hr >= p.mcw) consider(score(gl, hl) + score(gr, hr) - parent, f, s, false, gl, hl, gr, hr);
        }
        if (hasMissing) {
          const gl2 = gl + gm;
          const hl2 = hl + hm;
          const gr = node.g - gl2;
          const hr = node.h - hl2;
          if (hl2 >= p.mcw && hr >= p.mcw) consider(score(gl2, hl2) + score(gr, hr) - parent, f, s, true, gl2, hl2, gr, hr);
        }
      }
    }
    const b = best as Split | undefined;
    if (b === undefined || !(b.gain > RT_EPS) || !(b.gain > p.gamma)) return undefined;
    return b;
  };

  // tree arrays, root 0
  const left: number[] = [];
  const feature: number[] = [];
  const splitBin: number[] = [];
  const threshold: number[] = [];
  const defaultLeft: number[] = [];
  const value: number[] = [];
  const cover: number[] = [];
  const newNode = (g: number, h: number): number => {
    left.push(-1);
    feature.push(0);
    splitBin.push(0);
    threshold.push(0);
    defaultLeft.push(0);
    value.push(Math.fround(p.eta * weight(g, h)));
    cover.push(h);
    return left.length - 1;
  };

  let g0 = 0;
  let h0 = 0;
  for (const r of rowIdx) {
    g0 += grad[r]!;
    h0 += hess[r]!;
  }
  const root = newNode(g0, h0);
  let level: Pending[] = [{ node: root, begin: 0, end: rowIdx.length, g: g0, h: h0, hist: buildHist(0, rowIdx.length) }];
  const scratch = new Int32Array(rowIdx.length);
  for (let depth = 0; depth < p.maxDepth && level.length > 0; depth++) {
    const next: Pending[] = [];
    for (const nd of level) {
      const split = findSplit(nd);
      if (!split) continue;
      const { feature: f, bin: s } = split;
      // stable partition of the node's rows
      const col = f * rows;
      let nl = nd.begin;
      let nr = 0;
      for (let i = nd.begin; i < nd.end; i++) {
        const r = rowIdx[i]!;
        const b = bins[col + r]!;
        if (b === missingBin ? split.defaultLeft : b <= s) rowIdx[nl++] = r;
        else scratch[nr++] = r;
      }
      rowIdx.set(scratch.subarray(0, nr), nl);
      const l = newNode(split.gl, split.hl);
      const r = newNode(split.gr, split.hr);
      if (r !== l + 1) throw new Error('internal error: children not adjacent');
      left[nd.node] = l;
      feature[nd.node] = f;
      splitBin[nd.node] = s;
      threshold[nd.node] = cuts.values[cuts.offsets[f]! + s]!;
      defaultLeft[nd.node] = split.defaultLeft ? 1 : 0;
      value[nd.node] = NaN;
      const leftRows = nl - nd.begin;
      const rightRows = nd.end - nl;
      if (depth + 1 < p.maxDepth) {
        // build the smaller child, subtract for the larger
        let histL: Float64Array;
        let histR: Float64Array;
        if (leftRows <= rightRows) {
          histL = buildHist(nd.begin, nl);
          histR = nd.hist;
          for (let i = 0; i < histSize; i++) histR[i] = histR[i]! - histL[i]!;
        } else {
          histR = buildHist(nl, nd.end);
          histL = nd.hist;
          for (let i = 0; i < histSize; i++) histL[i] = histL[i]! - histR[i]!;
        }
        next.push({ node: l, begin: nd.begin, end: nl, g: split.gl, h: split.hl, hist: histL });
        next.push({ node: r, begin: nl, end: nd.end, g: split.gr, h: split.hr, hist: histR });
      }
    }
    level = next;
  }
  const numNodes = left.length;
  const right = left.map((c) => (c === -1 ? -1 : c + 1));
  return {
    numNodes,
    left: Int32Array.from(left),
    right,
    feature,
    threshold,
    defaultLeft: Uint8Array.from(defaultLeft),
    value,
    cover,
    output,
    splitBin: Int32Array.from(splitBin),
  };
}
