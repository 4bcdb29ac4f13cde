/** Evaluation metrics for the GBDT trainer, computed from margins (before the link). */
import { rocAuc } from '../monitoring/performance.js';

export type EvalMetric = 'logloss' | 'auc' | 'rmse' | 'mlogloss' | 'merror';

/** Whether a larger value of the metric is better (early stopping direction). */
export const maximizes = (m: EvalMetric): boolean => m === 'auc';

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Mean binary log loss, probabilities clipped to [1e-16, 1 − 1e-16] as xgboost does. */
export function logloss(margin: ArrayLike<number>, y: ArrayLike<number>): number {
  const eps = 1e-16;
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const p = Math.min(Math.max(sigmoid(margin[i]!), eps), 1 - eps);
    const yi = y[i]!;
    // 0/1 labels need one logarithm (the same sum: the other term is exactly 0)
    if (yi === 1) s -= Math.log(p);
    else if (yi === 0) s -= Math.log(1 - p);
    else s -= yi * Math.log(p) + (1 - yi) * Math.log(1 - p);
  }
  return s / y.length;
}

/**
 * `logloss` from negExp[i] = Math.exp(−margin[i]) computed by the caller (the trainer reuses them for
 * its next gradients); the same value as `logloss(margin, y)`.
 */
export function loglossFromNegExp(negExp: ArrayLike<number>, y: ArrayLike<number>): number {
  const eps = 1e-16;
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const p = Math.min(Math.max(1 / (1 + negExp[i]!), eps), 1 - eps);
    const yi = y[i]!;
    // 0/1 labels need one logarithm (the same sum: the other term is exactly 0)
    if (yi === 1) s -= Math.log(p);
    else if (yi === 0) s -= Math.log(1 - p);
    else s -= yi * Math.log(p) + (1 - yi) * Math.log(1 - p);
  }
  return s / y.length;
}

/** Area under the ROC curve (labels 0/1, ties counted half); NaN when one class is absent. */
export function auc(score: ArrayLike<number>, y: ArrayLike<number>): number {
  return rocAuc(score, y) ?? NaN;
}

/** Root mean squared error of margins (identity link) against y. */
export function rmse(pred: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (pred[i]! - y[i]!) ** 2;
  return Math.sqrt(s / y.length);
}

/** Mean multiclass log loss from row-major rows × K margins (softmax), probabilities clipped at 1e-16. */
export function mlogloss(margin: ArrayLike<number>, y: ArrayLike<number>, K: number): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, margin[i * K + k]!);
    let z = 0;
    for (let k = 0; k < K; k++) z += Math.exp(margin[i * K + k]! - max);
    const p = Math.exp(margin[i * K + y[i]!]! - max) / z;
    s -= Math.log(Math.max(p, 1e-16));
  }
  return s / y.length;
}

/** Fraction of rows whose largest margin is not their class (first maximum wins ties). */
export function merror(margin: ArrayLike<number>, y: ArrayLike<number>, K: number): number {
  let wrong = 0;
  for (let i = 0; i < y.length; i++) {
    let arg = 0;
    for (let k = 1; k < K; k++) if (margin[i * K + k]! > margin[i * K + arg]!) arg = k;
    if (arg !== y[i]) wrong++;
  }
  return wrong / y.length;
}

/** `margin` is row-major rows × K (K = 1 except for the multiclass metrics). */
export function evalMetric(m: EvalMetric, margin: ArrayLike<number>, y: ArrayLike<number>, K = 1): number {
  if (m === 'mlogloss') return mlogloss(margin, y, K);
  if (m === 'merror') return merror(margin, y, K);
  if (m === 'logloss') return logloss(margin, y);
  if (m === 'auc') return auc(margin, y);
  return rmse(margin, y);
}
