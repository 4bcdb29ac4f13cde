/**
 * One model fit on in-memory data: the GBDT trainer or the linear ones, with per-iteration metrics and a stop
 * check. Pure (no I/O), so a worker thread runs it (training.worker.ts) and tests can call it inline.
 */
import { evalMetric, type EvalMetric } from '../../ml/gbdt/gbdt-metrics.js';
import { trainGbdt, type IterationReport } from '../../ml/gbdt/gbdt-trainer.js';
import type { TreeEnsemble } from '../../ml/trees/tree-ensemble.js';
import { trainLinear, predict as linearPredict, type LinearModel } from '../../ml/linear/linear.js';
import { decisionFunction, trainLogistic, type LogisticModel } from '../../ml/linear/logistic.js';
import { columnMoments, standardizeRows } from '../../ml/linear/validate.js';
import type { Algorithm, Params, Task } from './training-spec.js';

export interface FitData {
  /** Row-major rows × features; NaN is a missing value. */
  x: Float64Array;
  y: Float64Array;
  rows: number;
}

export interface FitInput {
  algorithm: Algorithm;
  task: Task;
  numClass: number;
  features: number;
  params: Params;
  /** Metrics reported per iteration; the last one ranks trials and drives early stopping. */
  metrics: EvalMetric[];
  train: FitData;
  valid?: FitData;
  /** Train exactly this many rounds (a refit after cross-validation): no early stopping. */
  fixedRounds?: number;
}

export type FitModel =
  | { kind: 'gbdt'; ensemble: TreeEnsemble }
  | { kind: 'logistic'; model: LogisticModel; impute: Float64Array }
  | { kind: 'linear'; model: LinearModel; impute: Float64Array; standardization: { mean: Float64Array; scale: Float64Array } | null };

export interface FitResult {
  model: FitModel;
  history: IterationReport[];
  /** The round (0-based) whose model is returned; 0 for linear models. */
  bestIteration: number;
  roundsTrained: number;
  /** Per feature: total gain and split count (trees), or |standardized coefficient| summed over outputs and null (linear). */
  importance: { gain: number[]; splits: number[] | null };
  stoppedBy?: string;
  /** Linear solvers: whether they converged. */
  converged?: boolean;
}

export interface FitHooks {
  onIteration?: (report: IterationReport) => void;
  shouldStop?: () => string | undefined;
}

const OBJECTIVE = { binary: 'binary:logistic', multiclass: 'multi:softprob', regression: 'reg:squarederror' } as const;

export function fitModel(input: FitInput, hooks: FitHooks = {}): FitResult {
  return input.algorithm === 'gbdt' ? fitGbdt(input, hooks) : fitLinear(input, hooks);
}

function fitGbdt(input: FitInput, hooks: FitHooks): FitResult {
  const p = input.params;
  const data = (d: FitData) => ({ x: d.x, y: d.y, rows: d.rows, numFeatures: input.features });
  const early = input.fixedRounds === undefined && input.valid && p.earlyStoppingRounds! > 0 ? p.earlyStoppingRounds : undefined;
  const res = trainGbdt(
    data(input.train),
    {
      objective: OBJECTIVE[input.task],
      ...(input.task === 'multiclass' ? { numClass: input.numClass } : {}),
      numRounds: input.fixedRounds ?? p.numRounds,
      learningRate: p.learningRate,
      maxDepth: p.maxDepth,
      maxLeaves: p.maxLeaves,
      maxBins: p.maxBins,
      lambda: p.lambda,
      gamma: p.gamma,
      minChildWeight: p.minChildWeight,
      subsample: p.subsample,
      colsampleByTree: p.colsampleByTree,
      seed: p.seed,
      evalMetrics: input.metrics,
      ...(early !== undefined ? { earlyStoppingRounds: early } : {}),
      onIteration: hooks.onIteration,
      shouldStop: hooks.shouldStop ? () => hooks.shouldStop!() : undefined,
    },
    input.valid ? data(input.valid) : undefined,
  );
  return {
    model: { kind: 'gbdt', ensemble: res.ensemble },
    history: [...res.history],
    bestIteration: res.ensemble.numTrees / res.ensemble.numOutputs - 1,
    roundsTrained: res.roundsTrained,
    importance: { gain: Array.from(res.importance.gain), splits: Array.from(res.importance.splits) },
    ...(res.stoppedBy !== undefined ? { stoppedBy: res.stoppedBy } : {}),
  };
}

/** Column means over the values present (0 for a column with none). */
function presentMeans(x: Float64Array, rows: number, f: number): Float64Array {
  const sum = new Float64Array(f);
  const count = new Float64Array(f);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < f; j++) {
      const v = x[i * f + j]!;
      if (!Number.isNaN(v)) {
        sum[j]! += v;
        count[j]!++;
      }
    }
  }
  return sum.map((s, j) => (count[j]! > 0 ? s / count[j]! : 0));
}

/** Missing values replaced by `fill` (a copy; the input stays as it is). */
export function imputed(x: Float64Array, f: number, fill: Float64Array): Float64Array {
  const out = Float64Array.from(x);
  for (let i = 0; i < out.length; i++) if (Number.isNaN(out[i]!)) out[i] = fill[i % f]!;
  return out;
}

/** The margins of a linear model on rows with missing values (imputed as in training): rows × outputs. */
export function linearMargins(model: FitModel, x: Float64Array, rows: number, f: number): Float64Array {
  if (model.kind === 'gbdt') throw new Error('not a linear model');
  const filled = imputed(x, f, model.impute);
  return model.kind === 'logistic' ? decisionFunction(model.model, filled, rows) : linearPredict(model.model, filled, rows);
}

function fitLinear(input: FitInput, hooks: FitHooks): FitResult {
  const p = input.params;
  const f = input.features;
  const { train, valid } = input;
  const impute = presentMeans(train.x, train.rows, f);
  const x = imputed(train.x, f, impute);
  const standardize = p.standardize === 1;
  let model: FitModel;
  let converged: boolean;
  const importance = new Array<number>(f).fill(0);
  if (input.task === 'regression') {
    // The linear trainer has no standardization of its own: fit on z-scores, map the coefficients back.
    const moments = standardize ? columnMoments(x, train.rows, f) : null;
    const z = moments ? standardizeRows(x, train.rows, f, moments.mean, moments.scale) : x;
    const fitted = trainLinear(z, train.y, train.rows, f, { penalty: p.l1Ratio! > 0 ? 'elasticnet' : 'l2', alpha: p.alpha, l1Ratio: p.l1Ratio, tol: p.tol, maxIter: p.maxIter });
    const spread = moments ? null : columnMoments(x, train.rows, f).scale;
    for (let j = 0; j < f; j++) importance[j] = Math.abs(fitted.coef[j]!) * (spread ? spread[j]! : 1);
    let coef = fitted.coef;
    let intercept = fitted.intercept;
    if (moments) {
      coef = new Float64Array(f);
      intercept = fitted.intercept;
      for (let j = 0; j < f; j++) {
        coef[j] = fitted.coef[j]! / moments.scale[j]!;
        intercept -= coef[j]! * moments.mean[j]!;
      }
    }
    model = { kind: 'linear', model: { ...fitted, coef, intercept }, impute, standardization: moments };
    converged = fitted.converged;
  } else {
    const y = Int32Array.from(train.y);
    const fitted = trainLogistic(x, y, train.rows, f, { C: p.C, tol: p.tol, maxIter: p.maxIter, standardize });
    const scale = fitted.standardization ? null : columnMoments(x, train.rows, f).scale;
    const coefStd = fitted.standardization ? fitted.standardization.coef : fitted.coef;
    for (let c = 0; c < fitted.nOutputs; c++) for (let j = 0; j < f; j++) importance[j]! += Math.abs(coefStd[c * f + j]!) * (scale ? scale[j]! : 1);
    model = { kind: 'logistic', model: fitted, impute };
    converged = fitted.converged;
  }
  const K = input.task === 'multiclass' ? input.numClass : 1;
  const scores = (d: FitData) => {
    const m = linearMargins(model, d.x, d.rows, f);
    const out: Record<string, number> = {};
    for (const metric of input.metrics) out[metric] = evalMetric(metric, m, d.y, K);
    return out;
  };
  const report: IterationReport = valid ? { iteration: 0, train: scores(train), valid: scores(valid) } : { iteration: 0, train: scores(train) };
  hooks.onIteration?.(report);
  return { model, history: [report], bestIteration: 0, roundsTrained: 1, importance: { gain: importance, splits: null }, converged };
}
