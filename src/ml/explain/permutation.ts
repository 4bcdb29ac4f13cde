/**
 * Permutation feature importance (Breiman 2001; scikit-learn's `permutation_importance`, REFERENCE §7)
 * for any BatchModel.
 *
 * A feature's importance is how much the model's score drops when that feature's column is shuffled
 * (breaking its link with the target while keeping its distribution): importance = baseline − permuted
 * score, with the sign flipped for lower-is-better scores, so it is always a loss of score (positive =
 * the model relies on the feature). Each feature is shuffled `repeats` times (default 5); the mean and the
 * population standard deviation (numpy's default, as scikit-learn reports) of the repeats are returned.
 *
 * Shuffles. `permutationOrders(rows, repeats, seed)` gives the permutations used: in repeat k, row i of
 * the shuffled column takes the value of row order[k][i]. As in scikit-learn, every feature sees the same
 * permutations (scikit-learn reseeds per feature with one seed; it composes successive shuffles in place,
 * which gives other but equally random permutations). The seed comes from this module's PRNG, so results
 * are reproducible here, not bit-identical to scikit-learn's.
 *
 * Work. All (feature, repeat) copies of the data go through `predict` in batches of at most maxBatchRows
 * rows (model.ts); a copy's predictions are scored as soon as they are complete.
 *
 * Scorers follow scikit-learn's definitions (sklearn.metrics): accuracy (binary: positive probability
 * > 0.5, as classifiers' predict; multiclass: arg-max, first on ties), ROC AUC (binary; multiclass as macro
 * one-vs-rest), log loss (probabilities clipped to [ε, 1 − ε] with ε = 2.2e-16, rows renormalised), MSE,
 * RMSE, MAE and R² (uniform average over outputs for multi-output regression; R² = 1 for a perfect fit of
 * constant labels, else 0 there, as force_finite). ROC AUC and the regression metrics come from
 * src/ml/monitoring/performance.ts.
 */
import { binaryMetrics, multiclassMetrics, regressionMetrics, rocAuc } from '../monitoring/performance.js';
import { checkMaxBatchRows, checkModelInput, DEFAULT_SEED, predictRows, Rng, streamBatches, type BatchModel, type StreamStats } from './model.js';

/**
 * Scores predictions: `yTrue` holds one label a row (class index for classifiers, the target for
 * regression; rows × outputs targets for multi-output regression), `predicted` rows × numOutputs values.
 */
export type ScoreFunction = (yTrue: ArrayLike<number>, predicted: Float64Array, numOutputs: number) => number;

export interface Scorer {
  score: ScoreFunction;
  greaterIsBetter: boolean;
}

export interface PermutationOptions extends Scorer {
  /** Shuffles per feature (default 5). */
  repeats?: number;
  seed?: number;
  maxBatchRows?: number;
  /** Called after each (feature, repeat) with (done, total). */
  onProgress?(done: number, total: number): void;
}

export interface FeatureImportance {
  index: number;
  mean: number;
  /** Population standard deviation of `values`. */
  std: number;
  /** One importance per repeat. */
  values: number[];
}

export interface PermutationResult {
  baseline: number;
  features: FeatureImportance[];
  rowsPredicted: number;
  calls: number;
}

export const DEFAULT_REPEATS = 5;
const EPS = 2.220446049250313e-16;

/** `repeats` seeded permutations of 0..rows−1, concatenated (repeats × rows). */
export function permutationOrders(rows: number, repeats: number, seed: number = DEFAULT_SEED): Int32Array {
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`rows must be a whole number >= 1, not ${rows}`);
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`repeats must be a whole number >= 1, not ${repeats}`);
  const rng = new Rng(seed);
  const out = new Int32Array(rows * repeats);
  for (let k = 0; k < repeats; k++) out.set(rng.permutation(rows), k * rows);
  return out;
}

export async function permutationImportance(model: BatchModel, x: Float64Array, rows: number, y: ArrayLike<number>, options: PermutationOptions): Promise<PermutationResult> {
  checkModelInput(model, x, rows);
  const F = model.numFeatures;
  const K = model.numOutputs;
  if (y.length !== rows && y.length !== rows * K) throw new Error(`y holds ${y.length} values; expected one per row (${rows})${K > 1 ? ` or rows × outputs (${rows * K})` : ''}`);
  if (typeof options.score !== 'function') throw new Error('permutation importance needs a score function');
  if (typeof options.greaterIsBetter !== 'boolean') throw new Error('permutation importance needs greaterIsBetter (true or false)');
  const repeats = options.repeats ?? DEFAULT_REPEATS;
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`repeats must be a whole number >= 1, not ${repeats}`);
  const maxBatchRows = checkMaxBatchRows(options.maxBatchRows);
  const sign = options.greaterIsBetter ? 1 : -1;
  const stats: StreamStats = { calls: 0, rowsPredicted: 0 };

  const baseline = options.score(y, await predictRows(model, x, rows, maxBatchRows, stats), K);
  if (!Number.isFinite(baseline)) throw new Error(`the baseline score is ${baseline}`);
  const orders = permutationOrders(rows, repeats, options.seed ?? DEFAULT_SEED);
  const values = new Float64Array(F * repeats);
  // Jobs are finished in order, before the next one is accepted: one prediction buffer is enough.
  const predicted = new Float64Array(rows * K);
  const total = F * repeats;
  let done = 0;
  const s = await streamBatches(
    model,
    {
      jobCount: total,
      begin: () => rows,
      fill: (job, first, count, buffer, at) => {
        const f = Math.floor(job / repeats);
        const order = (job - f * repeats) * rows;
        buffer.set(x.subarray(first * F, (first + count) * F), at * F);
        for (let i = 0; i < count; i++) buffer[(at + i) * F + f] = x[orders[order + first + i]! * F + f]!;
      },
      accept: (_job, first, count, out, at) => predicted.set(out.subarray(at * K, (at + count) * K), first * K),
      finish: (job) => {
        const score = options.score(y, predicted, K);
        if (!Number.isFinite(score)) throw new Error(`the score with feature ${Math.floor(job / repeats)} permuted is ${score}`);
        values[job] = sign * (baseline - score) + 0; // + 0 turns −0 into 0
        done++;
        options.onProgress?.(done, total);
      },
    },
    maxBatchRows,
  );
  const features: FeatureImportance[] = [];
  for (let f = 0; f < F; f++) {
    const v = Array.from(values.subarray(f * repeats, (f + 1) * repeats));
    let mean = 0;
    for (const u of v) mean += u;
    mean /= repeats;
    let ss = 0;
    for (const u of v) ss += (u - mean) * (u - mean);
    features.push({ index: f, mean, std: Math.sqrt(ss / repeats), values: v });
  }
  return { baseline, features, rowsPredicted: stats.rowsPredicted + s.rowsPredicted, calls: stats.calls + s.calls };
}

// --- scorers -------------------------------------------------------------------------------------

function rowsOf(yTrue: ArrayLike<number>, predicted: Float64Array, numOutputs: number, what: string): number {
  if (!Number.isInteger(numOutputs) || numOutputs < 1) throw new Error(`${what}: numOutputs must be a whole number >= 1, not ${numOutputs}`);
  const rows = predicted.length / numOutputs;
  if (!Number.isInteger(rows) || rows === 0) throw new Error(`${what}: ${predicted.length} predictions do not make whole rows of ${numOutputs} outputs`);
  if (yTrue.length !== rows) throw new Error(`${what}: ${yTrue.length} labels for ${rows} rows`);
  return rows;
}

function classIndex(y: number, K: number, what: string, i: number): number {
  if (!Number.isInteger(y) || y < 0 || y >= Math.max(K, 2)) throw new Error(`${what}: label ${i} is ${y}; expected a class index in [0, ${Math.max(K, 2) - 1}]`);
  return y;
}

/** Fraction of correct classes: binary from the positive-class probability (> 0.5), multiclass by arg-max. */
export function accuracyScore(yTrue: ArrayLike<number>, predicted: Float64Array, numOutputs = 1): number {
  const n = rowsOf(yTrue, predicted, numOutputs, 'accuracy');
  const K = numOutputs;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const y = classIndex(yTrue[i]!, K, 'accuracy', i);
    let label: number;
    if (K === 1) label = predicted[i]! > 0.5 ? 1 : 0;
    else {
      label = 0;
      for (let c = 1; c < K; c++) if (predicted[i * K + c]! > predicted[i * K + label]!) label = c;
    }
    if (label === y) correct++;
  }
  return correct / n;
}

/** The predicted class of each row: binary by the positive-class probability (> 0.5), else arg-max. */
function predictedClasses(predicted: Float64Array, n: number, K: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (K === 1) out[i] = predicted[i]! > 0.5 ? 1 : 0;
    else {
      let label = 0;
      for (let c = 1; c < K; c++) if (predicted[i * K + c]! > predicted[i * K + label]!) label = c;
      out[i] = label;
    }
  }
  return out;
}

/**
 * Precision, recall and F1 as scikit-learn computes them: of the positive class for binary models, the
 * unweighted mean over the classes that occur in the labels or the predictions for multiclass ('macro');
 * a class never predicted (or never present) counts 0 for the ratio it cannot have, as scikit-learn's
 * zero_division default does.
 */
function classification(metric: 'precision' | 'recall' | 'f1', yTrue: ArrayLike<number>, predicted: Float64Array, numOutputs: number): number {
  const n = rowsOf(yTrue, predicted, numOutputs, metric);
  const K = numOutputs;
  const classes = Math.max(K, 2);
  const guess = predictedClasses(predicted, n, K);
  const tp = new Float64Array(classes);
  const fp = new Float64Array(classes);
  const fn = new Float64Array(classes);
  const seen = new Uint8Array(classes);
  for (let i = 0; i < n; i++) {
    const y = classIndex(yTrue[i]!, K, metric, i);
    const g = guess[i]!;
    seen[y] = 1;
    seen[g] = 1;
    if (g === y) tp[y]!++;
    else {
      fp[g]!++;
      fn[y]!++;
    }
  }
  const one = (c: number): number => {
    const p = tp[c]! + fp[c]! > 0 ? tp[c]! / (tp[c]! + fp[c]!) : 0;
    const r = tp[c]! + fn[c]! > 0 ? tp[c]! / (tp[c]! + fn[c]!) : 0;
    if (metric === 'precision') return p;
    if (metric === 'recall') return r;
    return p + r > 0 ? (2 * p * r) / (p + r) : 0;
  };
  if (K === 1) return one(1);
  let sum = 0;
  let count = 0;
  for (let c = 0; c < K; c++) {
    if (!seen[c]) continue;
    sum += one(c);
    count++;
  }
  return sum / count;
}

export const precisionScore: ScoreFunction = (yTrue, predicted, numOutputs = 1) => classification('precision', yTrue, predicted, numOutputs);
export const recallScore: ScoreFunction = (yTrue, predicted, numOutputs = 1) => classification('recall', yTrue, predicted, numOutputs);
export const f1Score: ScoreFunction = (yTrue, predicted, numOutputs = 1) => classification('f1', yTrue, predicted, numOutputs);

/** Expected calibration error as monitoring reports it (src/ml/monitoring/performance.ts). */
export function eceScore(yTrue: ArrayLike<number>, predicted: Float64Array, numOutputs = 1): number {
  const n = rowsOf(yTrue, predicted, numOutputs, 'ECE');
  const K = numOutputs;
  const labels = Float64Array.from({ length: n }, (_, i) => classIndex(yTrue[i]!, K, 'ECE', i));
  const m = K === 1 ? binaryMetrics(predicted, labels) : multiclassMetrics(Array.from({ length: n }, (_, i) => predicted.subarray(i * K, (i + 1) * K)), labels);
  return m.ece!;
}

/** Mean absolute percentage error as scikit-learn computes it (|y − ŷ| / max(|y|, ε)), averaged over outputs. */
export const meanAbsolutePercentageError: ScoreFunction = (yTrue, predicted, numOutputs = 1) => {
  const K = numOutputs;
  const n = predicted.length / K;
  if (!Number.isInteger(n) || n === 0 || yTrue.length !== n * K) throw new Error(`MAPE: ${yTrue.length} targets for ${predicted.length} predictions of ${K} outputs`);
  let total = 0;
  for (let i = 0; i < n * K; i++) total += Math.abs(yTrue[i]! - predicted[i]!) / Math.max(Math.abs(yTrue[i]!), EPS);
  return total / (n * K);
};

/** ROC AUC: binary from the positive-class probability (one output, or column 1 of two); macro one-vs-rest for more classes. */
export function rocAucScore(yTrue: ArrayLike<number>, predicted: Float64Array, numOutputs = 1): number {
  const n = rowsOf(yTrue, predicted, numOutputs, 'ROC AUC');
  const K = numOutputs;
  const column = (c: number) => (K === 1 ? predicted : Float64Array.from({ length: n }, (_, i) => predicted[i * K + c]!));
  const labels = (c: number) => Float64Array.from({ length: n }, (_, i) => (classIndex(yTrue[i]!, K, 'ROC AUC', i) === c ? 1 : 0));
  if (K <= 2) {
    const auc = rocAuc(column(K === 1 ? 0 : 1), labels(1));
    if (auc === null) throw new Error('ROC AUC is undefined when the labels hold only one class');
    return auc;
  }
  let sum = 0;
  for (let c = 0; c < K; c++) {
    const auc = rocAuc(column(c), labels(c));
    if (auc === null) throw new Error(`ROC AUC (one-vs-rest) is undefined: class ${c} is absent from the labels or the only class in them`);
    sum += auc;
  }
  return sum / K;
}

/** Mean negative log-likelihood of the labels (cross-entropy). */
export function logLossScore(yTrue: ArrayLike<number>, predicted: Float64Array, numOutputs = 1): number {
  const n = rowsOf(yTrue, predicted, numOutputs, 'log loss');
  const K = numOutputs;
  const clip = (p: number) => Math.min(1 - EPS, Math.max(EPS, p));
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const y = classIndex(yTrue[i]!, K, 'log loss', i);
    if (K === 1) {
      const p = clip(predicted[i]!);
      const sum = 1 - p + p; // scikit-learn renormalises [1 − p, p]; this is 1 up to rounding
      loss -= Math.log((y === 1 ? p : 1 - p) / sum);
    } else {
      let sum = 0;
      for (let c = 0; c < K; c++) sum += clip(predicted[i * K + c]!);
      loss -= Math.log(clip(predicted[i * K + y]!) / sum);
    }
  }
  return loss / n;
}

type RegressionMetric = 'mse' | 'rmse' | 'mae' | 'r2';

function regression(metric: RegressionMetric, yTrue: ArrayLike<number>, predicted: Float64Array, numOutputs: number): number {
  const K = numOutputs;
  if (!Number.isInteger(K) || K < 1) throw new Error(`${metric}: numOutputs must be a whole number >= 1, not ${K}`);
  const n = predicted.length / K;
  if (!Number.isInteger(n) || n === 0) throw new Error(`${metric}: ${predicted.length} predictions do not make whole rows of ${K} outputs`);
  if (yTrue.length !== n * K) throw new Error(`${metric}: ${yTrue.length} targets for ${n} rows × ${K} outputs`);
  let total = 0;
  for (let o = 0; o < K; o++) {
    const p = K === 1 ? predicted : Float64Array.from({ length: n }, (_, i) => predicted[i * K + o]!);
    const t = K === 1 ? yTrue : Float64Array.from({ length: n }, (_, i) => yTrue[i * K + o]!);
    const m = regressionMetrics(p, t);
    let v: number;
    if (metric === 'mse') v = m.rmse! * m.rmse!;
    else if (metric === 'rmse') v = m.rmse!;
    else if (metric === 'mae') v = m.mae!;
    else v = m.r2 ?? (m.rmse === 0 ? 1 : 0);
    total += v;
  }
  return total / K;
}

export const meanSquaredError: ScoreFunction = (yTrue, predicted, numOutputs = 1) => regression('mse', yTrue, predicted, numOutputs);
export const rootMeanSquaredError: ScoreFunction = (yTrue, predicted, numOutputs = 1) => regression('rmse', yTrue, predicted, numOutputs);
export const meanAbsoluteError: ScoreFunction = (yTrue, predicted, numOutputs = 1) => regression('mae', yTrue, predicted, numOutputs);
export const r2Score: ScoreFunction = (yTrue, predicted, numOutputs = 1) => regression('r2', yTrue, predicted, numOutputs);

/** Ready-made (score, direction) pairs: spread one into PermutationOptions. */
export const SCORERS = {
  accuracy: { score: accuracyScore, greaterIsBetter: true },
  rocAuc: { score: rocAucScore, greaterIsBetter: true },
  logLoss: { score: logLossScore, greaterIsBetter: false },
  mse: { score: meanSquaredError, greaterIsBetter: false },
  rmse: { score: rootMeanSquaredError, greaterIsBetter: false },
  mae: { score: meanAbsoluteError, greaterIsBetter: false },
  r2: { score: r2Score, greaterIsBetter: true },
  precision: { score: precisionScore, greaterIsBetter: true },
  recall: { score: recallScore, greaterIsBetter: true },
  f1: { score: f1Score, greaterIsBetter: true },
  ece: { score: eceScore, greaterIsBetter: false },
  mape: { score: meanAbsolutePercentageError, greaterIsBetter: false },
} as const satisfies Record<string, Scorer>;
