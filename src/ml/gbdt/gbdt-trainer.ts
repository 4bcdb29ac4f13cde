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
 * - Growth is depth-wise to maxDepth, or with maxLeaves best first (xgboost's lossguide: the open node whose
 *   best split gains the most is split next, ties to the older node, until maxLeaves leaves; maxDepth, when
 *   > 0, still bounds the depth); the histogram of the child with fewer rows is built and the other is the
 *   parent's minus it.
 *
 * Implementation notes (speed; none of them changes a result): histograms are built in one pass over a
 * node's rows from row-major histogram slot codes (`histLayout`, always all features, also under column
 * sampling); the split search is a scalar loop over the node's contiguous (g, h) histogram; a node's
 * rows are partitioned in place without branches; with every row in the tree's sample the running
 * margins are updated as each leaf is made (at the last level without partitioning the rows: each row gets
 * the value of the child it goes to) rather than by routing rows through the tree afterwards; and the
 * train logloss's exp(−margin) is kept for the next round's logistic gradients.
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
import { evalMetric, loglossFromNegExp, maximizes, type EvalMetric } from './gbdt-metrics.js';

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
  /** default 6 (0 = no limit, with maxLeaves) */
  readonly maxDepth?: number;
  /**
   * Grow each tree best first (xgboost's grow_policy=lossguide): split the leaf whose split gains the most,
   * up to this many leaves. Default 0: depth-wise growth to maxDepth.
   */
  readonly maxLeaves?: number;
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
  /** Whether to compute the metrics on the training rows every round (default true; the bench turns it off, as xgboost evaluates only what it is asked to). */
  readonly evalTrain?: boolean;
  /** Stop after this many rounds without improvement on the validation set. */
  readonly earlyStoppingRounds?: number;
  readonly onIteration?: (report: IterationReport) => void;
  /**
   * Asked after every round (after onIteration): a reason to stop now (a time budget, a cancel), or
   * undefined to go on. A stopped training returns what it has: with early stopping, the trees up to the
   * best round so far, otherwise every round trained.
   */
  readonly shouldStop?: (report: IterationReport) => string | undefined;
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
  /** Per feature, over the returned trees: total loss_chg of its splits, and how many splits use it. */
  readonly importance: { readonly gain: Float64Array; readonly splits: Int32Array };
  /** The reason `shouldStop` gave, when it stopped the training. */
  readonly stoppedBy?: string;
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
  /** > 0: grow best first up to this many leaves (lossguide); 0: depth-wise. */
  readonly maxLeaves: number;
  readonly lambda: number;
  readonly gamma: number;
  readonly mcw: number;
}

/** A tree in the trainer's numbering (root 0), with the bin of each split for routing binned rows. */
interface GrownTree extends SourceTree {
  readonly splitBin: Int32Array;
  /** loss_chg of each internal node's split (0 for leaves). */
  readonly gain: Float64Array;
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

/**
 * Histogram layout shared by all trees: per feature f its bins then one slot for missing values, at
 * offset[f] .. offset[f+1]-1 ((g, h) pairs, so 2·size numbers). `slots` is row-major rows × width:
 * the histogram slot of each row's value for each feature, missing values already mapped.
 */
interface HistLayout {
  readonly offset: Int32Array;
  readonly size: number;
  readonly width: number;
  readonly slots: Uint16Array | Uint32Array;
}

function histLayout(m: BinMatrix, cuts: FeatureCuts): HistLayout {
  const F = cuts.numFeatures;
  const offset = new Int32Array(F + 1);
  for (let f = 0; f < F; f++) offset[f + 1] = offset[f]! + binCount(cuts, f) + 1;
  const { bins, missingBin, rows } = m;
  const slots = offset[F]! <= 0xffff ? new Uint16Array(rows * F) : new Uint32Array(rows * F);
  for (let f = 0; f < F; f++) {
    const base = offset[f]!;
    const miss = offset[f + 1]! - 1;
    const col = f * rows;
    for (let r = 0; r < rows; r++) {
      const b = bins[col + r]!;
      slots[r * F + f] = b === missingBin ? miss : base + b;
    }
  }
  return { offset, size: 2 * offset[F]!, width: F, slots };
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
    maxDepth: options.maxDepth ?? (options.maxLeaves ? 0 : 6),
    maxLeaves: options.maxLeaves ?? 0,
    lambda: options.lambda ?? 1,
    gamma: options.gamma ?? 0,
    mcw: options.minChildWeight ?? 1,
  };
  const subsample = options.subsample ?? 1;
  const colsample = options.colsampleByTree ?? 1;
  if (!Number.isInteger(p.maxLeaves) || p.maxLeaves < 0 || p.maxLeaves === 1) throw new RangeError(`maxLeaves ${p.maxLeaves} must be 0 (depth-wise growth) or a whole number >= 2`);
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
  const layout = histLayout(binned, cuts);
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
  let stoppedBy: string | undefined;

  // exp(−margin) of the train rows, when computed for the logloss metric since the margins last changed
  const negExp = logistic ? new Float64Array(n) : new Float64Array(0);
  let negExpFresh = false;
  const sampleRows = new Int32Array(n);
  const allFeatures = Int32Array.from({ length: F }, (_, i) => i);
  for (let it = 0; it < numRounds; it++) {
    // gradients (one loop per objective, so the per-row work has no objective tests)
    if (multi) {
      for (let i = 0; i < n; i++) {
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
      }
    } else if (logistic) {
      for (let i = 0; i < n; i++) {
        // margins are float32 values, so fround(margin[i]) === margin[i] and the train logloss's
        // exp(−margin) (negExp) can be reused
        const e = negExpFresh ? negExp[i]! : Math.exp(-Math.fround(margin[i]!));
        const pr = Math.fround(1 / (1 + e));
        grad[i] = pr - y[i]!;
        const hh = Math.fround(pr * Math.fround(1 - pr)); // never NaN: pr is in (0, 1]
        hess[i] = hh > 1e-16 ? hh : 1e-16;
      }
    } else {
      for (let i = 0; i < n; i++) {
        grad[i] = Math.fround(margin[i]!) - y[i]!;
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
      const rowIdx = sampleRows.slice(0, sampled);
      // With every row in the tree's sample, the tree adds its leaf values to the running margins itself as
      // it makes its leaves (each row is in exactly one leaf); otherwise the rows are routed through it after.
      const direct = sampled === n ? { margin, K } : null;
      const tree = growTree(binned, cuts, layout, grad.subarray(k * n, (k + 1) * n), hess.subarray(k * n, (k + 1) * n), rowIdx, features, p, k, direct);
      trees.push(tree);
      if (!direct) addTree(tree, binned, margin, K);
      if (validBinned && validMargin) addTree(tree, validBinned, validMargin, K);
    }
    rounds = it + 1;

    const trainScores: Record<string, number> = {};
    negExpFresh = false;
    for (const m of options.evalTrain === false ? [] : metrics) {
      if (m === 'logloss' && logistic) {
        // exp(−margin) once per row for this metric and the next round's gradients
        if (!negExpFresh) for (let i = 0; i < n; i++) negExp[i] = Math.exp(-margin[i]!);
        negExpFresh = true;
        trainScores[m] = loglossFromNegExp(negExp, y);
      } else trainScores[m] = evalMetric(m, margin, y, K);
    }
    let validScores: Record<string, number> | undefined;
    if (validMargin && validY) {
      validScores = {};
      for (const m of metrics) validScores[m] = evalMetric(m, validMargin, validY, K);
    }
    const report: IterationReport = validScores ? { iteration: it, train: trainScores, valid: validScores } : { iteration: it, train: trainScores };
    history.push(report);
    options.onIteration?.(report);
    let stopNow = false;

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
    if (!stopNow && options.shouldStop && it + 1 < numRounds) {
      stoppedBy = options.shouldStop(report);
      stopNow = stoppedBy !== undefined;
    }
    if (stopNow) break;
  }
  const keepRounds = options.earlyStoppingRounds !== undefined && valid ? bestIteration + 1 : rounds;
  const keep = keepRounds * K;
  if (bestIteration < 0) bestIteration = rounds - 1;

  const builder = new TreeEnsembleBuilder(F, K);
  const importance = { gain: new Float64Array(F), splits: new Int32Array(F) };
  for (let t = 0; t < keep; t++) {
    const tree = trees[t]!;
    const problem = builder.addTree(tree);
    if (problem) throw new Error(`internal error: grown tree ${t} is invalid: ${problem}`);
    for (let i = 0; i < tree.numNodes; i++) {
      if (tree.left[i] === -1) continue;
      const f = tree.feature[i]!;
      importance.gain[f] = importance.gain[f]! + tree.gain[i]!;
      importance.splits[f] = importance.splits[f]! + 1;
    }
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
    importance,
    ...(stoppedBy !== undefined ? { stoppedBy } : {}),
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
  layout: HistLayout,
  grad: Float32Array,
  hess: Float32Array,
  rowIdx: Int32Array,
  features: Int32Array,
  p: Params,
  output: number,
  direct: { margin: Float64Array; K: number } | null,
): GrownTree {
  const { offset: histOffset, size: histSize, slots, width: F } = layout;
  const { bins, missingBin, rows } = m;

  /**
   * Histogram of the rows rowIdx[begin..end): one pass over the rows, each adding its gradient pair to
   * the slot of every feature (row-major slot codes, so a row's codes are contiguous). Per slot the
   * rows are summed in rowIdx order, as a per-feature pass would.
   */
  const buildHist = (begin: number, end: number): Float64Array => {
    const hist = new Float64Array(histSize);
    for (let i = begin; i < end; i++) {
      const r = rowIdx[i]!;
      const g = grad[r]!;
      const h = hess[r]!;
      let j = r * F;
      const stop = j + F;
      // four features a step (fewer loop tests), then the rest
      for (; j + 3 < stop; j += 4) {
        const o0 = slots[j]! << 1;
        const o1 = slots[j + 1]! << 1;
        const o2 = slots[j + 2]! << 1;
        const o3 = slots[j + 3]! << 1;
        hist[o0] = hist[o0]! + g;
        hist[o0 + 1] = hist[o0 + 1]! + h;
        hist[o1] = hist[o1]! + g;
        hist[o1 + 1] = hist[o1 + 1]! + h;
        hist[o2] = hist[o2]! + g;
        hist[o2 + 1] = hist[o2 + 1]! + h;
        hist[o3] = hist[o3]! + g;
        hist[o3 + 1] = hist[o3 + 1]! + h;
      }
      for (; j < stop; j++) {
        const o = slots[j]! << 1;
        hist[o] = hist[o]! + g;
        hist[o + 1] = hist[o + 1]! + h;
      }
    }
    return hist;
  };

  const lambda = p.lambda;
  const mcw = p.mcw;
  const weight = (g: number, h: number) => (h < mcw || h <= 0 ? 0 : -g / (h + lambda));

  /**
   * The best split of a node from its histogram: for each feature a left-to-right scan of the bins,
   * missing values sent right and (when the node has any for that feature) also left. Candidates are
   * compared in the order features × bins × (right, left), a later one winning only when strictly
   * better, so ties keep the first. Scalars only in the loop; one Split object at the end.
   */
  const findSplit = (node: Pending): Split | undefined => {
    const hist = node.hist;
    const G = node.g;
    const H = node.h;
    const parent = (G * G) / (H + lambda);
    let found = false;
    let bestGain = NaN;
    let bestFeature = 0;
    let bestBin = 0;
    let bestDefaultLeft = false;
    let bestGl = 0;
    let bestHl = 0;
    for (let fi = 0; fi < features.length; fi++) {
      const f = features[fi]!;
      const base = histOffset[f]!;
      const k = histOffset[f + 1]! - base - 1;
      const miss = 2 * (base + k);
      const gm = hist[miss]!;
      const hm = hist[miss + 1]!;
      const hasMissing = hm > 0;
      let gl = 0;
      let hl = 0;
      for (let s = 0, o = 2 * base; s < k - 1; s++, o += 2) {
        gl += hist[o]!;
        hl += hist[o + 1]!;
        // missing right
        const hr = H - hl;
        if (hl >= mcw && hr >= mcw) {
          const gr = G - gl;
          const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parent;
          if (!found || gain > bestGain) {
            found = true;
            bestGain = gain;
            bestFeature = f;
            bestBin = s;
            bestDefaultLeft = false;
            bestGl = gl;
            bestHl = hl;
          }
        }
        if (hasMissing) {
          // missing left
          const gl2 = gl + gm;
          const hl2 = hl + hm;
          const hr2 = H - hl2;
          if (hl2 >= mcw && hr2 >= mcw) {
            const gr2 = G - gl2;
            const gain = (gl2 * gl2) / (hl2 + lambda) + (gr2 * gr2) / (hr2 + lambda) - parent;
            if (!found || gain > bestGain) {
              found = true;
              bestGain = gain;
              bestFeature = f;
              bestBin = s;
              bestDefaultLeft = true;
              bestGl = gl2;
              bestHl = hl2;
            }
          }
        }
      }
    }
    if (!found || !(bestGain > RT_EPS) || !(bestGain > p.gamma)) return undefined;
    return { gain: bestGain, feature: bestFeature, bin: bestBin, defaultLeft: bestDefaultLeft, gl: bestGl, hl: bestHl, gr: G - bestGl, hr: H - bestHl };
  };

  // tree arrays, root 0
  const left: number[] = [];
  const feature: number[] = [];
  const splitBin: number[] = [];
  const threshold: number[] = [];
  const defaultLeft: number[] = [];
  const value: number[] = [];
  const cover: number[] = [];
  const gains: number[] = [];
  const newNode = (g: number, h: number): number => {
    gains.push(0);
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
  for (let i = 0; i < rowIdx.length; i++) {
    const r = rowIdx[i]!;
    g0 += grad[r]!;
    h0 += hess[r]!;
  }
  const root = newNode(g0, h0);
  const scratch = new Int32Array(rowIdx.length);
  /** A leaf over rowIdx[begin..end): with `direct`, its value is added to those rows' margins now. */
  const addLeaf = (node: number, begin: number, end: number): void => {
    if (!direct) return;
    const { margin, K } = direct;
    const v = value[node]!;
    for (let i = begin; i < end; i++) {
      const j = rowIdx[i]! * K + output;
      margin[j] = Math.fround(margin[j]! + v);
    }
  };
  /** Turns node `nd` into `split`'s test with two new (adjacent) children; returns the left child. */
  const recordSplit = (nd: Pending, split: Split): number => {
    const { feature: f, bin: s } = split;
    const l = newNode(split.gl, split.hl);
    if (newNode(split.gr, split.hr) !== l + 1) throw new Error('internal error: children not adjacent');
    left[nd.node] = l;
    feature[nd.node] = f;
    splitBin[nd.node] = s;
    threshold[nd.node] = cuts.values[cuts.offsets[f]! + s]!;
    defaultLeft[nd.node] = split.defaultLeft ? 1 : 0;
    value[nd.node] = NaN;
    gains[nd.node] = split.gain;
    return l;
  };
  /**
   * A split whose children are leaves, with margins added directly: no partition of the rows is needed,
   * each row's margin gets the value of the child it goes to.
   */
  const splitIntoLeaves = (nd: Pending, split: Split): undefined => {
    const { feature: f, bin: s } = split;
    const l = recordSplit(nd, split);
    const r = l + 1;
    const { margin, K } = direct!;
    const vl = value[l]!;
    const vr = value[r]!;
    const col = f * rows;
    const missLeft = split.defaultLeft;
    for (let i = nd.begin; i < nd.end; i++) {
      const row = rowIdx[i]!;
      const b = bins[col + row]!;
      const goLeft = b === missingBin ? missLeft : b <= s;
      const j = row * K + output;
      margin[j] = Math.fround(margin[j]! + (goLeft ? vl : vr));
    }
    return undefined;
  };
  /**
   * Makes `split` at node `nd`: partitions its rows, adds the two children and, when `explore`, builds
   * their histograms (the smaller child's by a pass over its rows, the larger's as the parent's minus it)
   * and returns them; otherwise the children are leaves.
   */
  const applySplit = (nd: Pending, split: Split, explore: boolean): [Pending, Pending] | undefined => {
    const { feature: f, bin: s } = split;
    if (!explore && direct) return splitIntoLeaves(nd, split);
    // stable partition of the node's rows, branch-free: each row is written to both sides and only
    // the side it belongs to advances (nl <= i, so rowIdx[nl] is never a row still to be read)
    const col = f * rows;
    const missLeft = split.defaultLeft ? 1 : 0;
    let nl = nd.begin;
    let nr = 0;
    for (let i = nd.begin; i < nd.end; i++) {
      const r = rowIdx[i]!;
      const b = bins[col + r]!;
      const goLeft = b === missingBin ? missLeft : +(b <= s);
      rowIdx[nl] = r;
      scratch[nr] = r;
      nl += goLeft;
      nr += 1 - goLeft;
    }
    rowIdx.set(scratch.subarray(0, nr), nl);
    const l = recordSplit(nd, split);
    const r = l + 1;
    if (!explore) {
      addLeaf(l, nd.begin, nl);
      addLeaf(r, nl, nd.end);
      return undefined;
    }
    let histL: Float64Array;
    let histR: Float64Array;
    if (nl - nd.begin <= nd.end - nl) {
      histL = buildHist(nd.begin, nl);
      histR = nd.hist;
      for (let i = 0; i < histSize; i++) histR[i] = histR[i]! - histL[i]!;
    } else {
      histR = buildHist(nl, nd.end);
      histL = nd.hist;
      for (let i = 0; i < histSize; i++) histL[i] = histL[i]! - histR[i]!;
    }
    return [
      { node: l, begin: nd.begin, end: nl, g: split.gl, h: split.hl, hist: histL },
      { node: r, begin: nl, end: nd.end, g: split.gr, h: split.hr, hist: histR },
    ];
  };

  const rootPending: Pending = { node: root, begin: 0, end: rowIdx.length, g: g0, h: h0, hist: buildHist(0, rowIdx.length) };
  if (p.maxLeaves > 0) {
    // Best first (xgboost's grow_policy=lossguide): always split the open node whose best split gains the
    // most (ties: the node made first), until maxLeaves leaves or no split gains enough; maxDepth still bounds
    // the depth when > 0.
    const open: { nd: Pending; split: Split; depth: number }[] = [];
    const consider = (nd: Pending, depth: number) => {
      const split = p.maxDepth > 0 && depth >= p.maxDepth ? undefined : findSplit(nd);
      if (split) open.push({ nd, split, depth });
      else addLeaf(nd.node, nd.begin, nd.end);
    };
    consider(rootPending, 0);
    let leafCount = 1;
    while (open.length > 0 && leafCount < p.maxLeaves) {
      let best = 0;
      for (let i = 1; i < open.length; i++) if (open[i]!.split.gain > open[best]!.split.gain) best = i;
      const { nd, split, depth } = open.splice(best, 1)[0]!;
      const children = applySplit(nd, split, true)!;
      leafCount++;
      consider(children[0], depth + 1);
      consider(children[1], depth + 1);
    }
    for (const { nd } of open) addLeaf(nd.node, nd.begin, nd.end);
  } else {
    if (p.maxDepth === 0) addLeaf(root, 0, rowIdx.length);
    let level: Pending[] = p.maxDepth === 0 ? [] : [rootPending];
    for (let depth = 0; depth < p.maxDepth && level.length > 0; depth++) {
      const next: Pending[] = [];
      for (const nd of level) {
        const split = findSplit(nd);
        if (!split) {
          addLeaf(nd.node, nd.begin, nd.end);
          continue;
        }
        const children = applySplit(nd, split, depth + 1 < p.maxDepth);
        if (children) next.push(...children);
      }
      level = next;
    }
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
    gain: Float64Array.from(gains),
  };
}
