/**
 * Model performance from (prediction, label) pairs, with scikit-learn's definitions:
 * - binary classification from the positive class's probability: accuracy, precision, recall, F1 (0 when
 *   undefined, as zero_division=0), ROC AUC (ties averaged; null with one class), log loss (probabilities
 *   clipped to [ε, 1 − ε], ε = 2.2e-16 as sklearn ≥ 1.3) and the expected calibration error over 10
 *   equal-width bins of the probability;
 * - multiclass from per-class probabilities and integer labels: accuracy, macro precision/recall/F1,
 *   macro one-vs-rest ROC AUC, log loss, ECE on the top-class confidence;
 * - regression: MAE, RMSE, R² (null when the labels do not vary), MAPE (|y − ŷ| / max(|y|, ε)).
 */

export type Task = 'binary' | 'multiclass' | 'regression';

export type PerformanceMetrics = Partial<Record<'accuracy' | 'precision' | 'recall' | 'f1' | 'rocAuc' | 'logLoss' | 'ece' | 'mae' | 'rmse' | 'r2' | 'mape', number | null>>;

const EPS = 2.220446049250313e-16;
const ECE_BINS = 10;

/** Area under the ROC curve (Mann–Whitney U with average ranks for ties); null without both classes. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) positives++;
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return null;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[order[k]!] === 1) rankSum += avgRank;
    i = j + 1;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Expected calibration error: Σ (n_b / N) · |accuracy_b − confidence_b| over 10 equal-width bins. */
export function expectedCalibrationError(confidence: ArrayLike<number>, correct: ArrayLike<number>): number {
  const n = confidence.length;
  const count = new Float64Array(ECE_BINS);
  const conf = new Float64Array(ECE_BINS);
  const acc = new Float64Array(ECE_BINS);
  for (let i = 0; i < n; i++) {
    const c = confidence[i]!;
    const b = Math.min(ECE_BINS - 1, Math.max(0, Math.floor(c * ECE_BINS)));
    count[b]!++;
    conf[b]! += c;
    acc[b]! += correct[i]!;
  }
  let ece = 0;
  for (let b = 0; b < ECE_BINS; b++) if (count[b]! > 0) ece += (count[b]! / n) * Math.abs(acc[b]! / count[b]! - conf[b]! / count[b]!);
  return ece;
}

function clip(p: number): number {
  return Math.min(1 - EPS, Math.max(EPS, p));
}

export function binaryMetrics(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold = 0.5): PerformanceMetrics {
  const n = scores.length;
  if (n === 0) return {};
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const p = scores[i]!;
    const y = labels[i]!;
    const yhat = p >= threshold ? 1 : 0;
    if (yhat === 1 && y === 1) tp++;
    else if (yhat === 1) fp++;
    else if (y === 1) fn++;
    else tn++;
    const q = clip(p);
    loss -= y === 1 ? Math.log(q) : Math.log(1 - q);
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  return {
    accuracy: (tp + tn) / n,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    rocAuc: rocAuc(scores, labels),
    logLoss: loss / n,
    ece: expectedCalibrationError(scores, labels),
  };
}

/** `probabilities[i]` holds the class probabilities of row i; labels are class indices. */
export function multiclassMetrics(probabilities: readonly ArrayLike<number>[], labels: ArrayLike<number>): PerformanceMetrics {
  const n = probabilities.length;
  if (n === 0) return {};
  const k = Math.max(...probabilities.map((p) => p.length));
  const predicted = new Int32Array(n);
  const confidence = new Float64Array(n);
  const correct = new Float64Array(n);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const p = probabilities[i]!;
    let best = 0;
    for (let c = 1; c < p.length; c++) if (p[c]! > p[best]!) best = c;
    predicted[i] = best;
    confidence[i] = p[best]!;
    correct[i] = best === labels[i] ? 1 : 0;
    // sklearn renormalises rows after clipping
    let s = 0;
    for (let c = 0; c < p.length; c++) s += clip(p[c]!);
    loss -= Math.log(clip(p[labels[i]!] ?? 0) / s);
  }
  let precisionSum = 0;
  let recallSum = 0;
  let f1Sum = 0;
  let aucSum = 0;
  let aucClasses = 0;
  const classes = new Set<number>();
  for (let i = 0; i < n; i++) {
    classes.add(labels[i]!);
    classes.add(predicted[i]!);
  }
  for (const c of classes) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < n; i++) {
      const y = labels[i] === c;
      const yhat = predicted[i] === c;
      if (y && yhat) tp++;
      else if (yhat) fp++;
      else if (y) fn++;
    }
    const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
    const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
    precisionSum += precision;
    recallSum += recall;
    f1Sum += precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  }
  for (let c = 0; c < k; c++) {
    const auc = rocAuc(probabilities.map((p) => p[c] ?? 0), Array.from(labels, (y) => (y === c ? 1 : 0)));
    if (auc !== null) {
      aucSum += auc;
      aucClasses++;
    }
  }
  return {
    accuracy: correct.reduce((a, b) => a + b, 0) / n,
    precision: precisionSum / classes.size,
    recall: recallSum / classes.size,
    f1: f1Sum / classes.size,
    rocAuc: aucClasses === 0 ? null : aucSum / aucClasses,
    logLoss: loss / n,
    ece: expectedCalibrationError(confidence, correct),
  };
}

export function regressionMetrics(predictions: ArrayLike<number>, labels: ArrayLike<number>): PerformanceMetrics {
  const n = predictions.length;
  if (n === 0) return {};
  let abs = 0;
  let sq = 0;
  let ape = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += labels[i]!;
  mean /= n;
  let tot = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    const d = y - predictions[i]!;
    abs += Math.abs(d);
    sq += d * d;
    ape += Math.abs(d) / Math.max(Math.abs(y), EPS);
    tot += (y - mean) * (y - mean);
  }
  return { mae: abs / n, rmse: Math.sqrt(sq / n), r2: tot === 0 ? null : 1 - sq / tot, mape: ape / n };
}

/** The task the pairs look like: arrays of probabilities → multiclass; 0/1 labels with scores in [0, 1] → binary. */
export function inferTask(predictions: readonly unknown[], labels: readonly unknown[]): Task {
  if (predictions.some((p) => Array.isArray(p))) return 'multiclass';
  const binaryLabels = labels.every((y) => y === 0 || y === 1 || y === true || y === false);
  const scores = predictions.every((p) => typeof p === 'number' && p >= 0 && p <= 1);
  return binaryLabels && scores ? 'binary' : 'regression';
}

/** Metrics of logged predictions against their labels; pairs that do not fit the task are skipped and counted. */
export function performanceOf(task: Task, predictions: readonly unknown[], labels: readonly unknown[]): { metrics: PerformanceMetrics; used: number; skipped: number } {
  const p: number[] = [];
  const pa: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < predictions.length; i++) {
    const label = labels[i] === true ? 1 : labels[i] === false ? 0 : labels[i];
    const pred = predictions[i];
    if (typeof label !== 'number' || !Number.isFinite(label)) continue;
    if (task === 'multiclass') {
      if (!Array.isArray(pred) || !Number.isInteger(label) || label < 0 || label >= pred.length || pred.some((v) => typeof v !== 'number')) continue;
      pa.push(pred as number[]);
    } else {
      if (typeof pred !== 'number' || !Number.isFinite(pred)) continue;
      if (task === 'binary' && label !== 0 && label !== 1) continue;
      p.push(pred);
    }
    y.push(label);
  }
  const metrics = task === 'binary' ? binaryMetrics(p, y) : task === 'multiclass' ? multiclassMetrics(pa, y) : regressionMetrics(p, y);
  return { metrics, used: y.length, skipped: predictions.length - y.length };
}
