/**
 * L2-penalised logistic regression, binary (sigmoid, one coefficient row) and multinomial (softmax, one row
 * per class), with the objective of scikit-learn's LogisticRegression(penalty='l2', C, fit_intercept=True,
 * solver='lbfgs'):
 *
 *     minimise  C · Σ_i log-loss_i + ½‖W‖²      (intercepts not penalised)
 *
 * Internally the objective is divided by C·n (the scaling scikit-learn ≥ 1.1 uses, so `tol` means the same
 * thing: max |gradient component| of the mean log-loss + ‖W‖²/(2Cn)) and minimised by L-BFGS from zero.
 * The multinomial intercepts are only determined up to a common shift; they are reported centred (sum 0),
 * as scikit-learn's lbfgs leaves them.
 */
import { minimizeLbfgs, type Objective } from './lbfgs.js';
import { checkLabels, checkMatrix, columnMoments, standardizeRows } from './validate.js';

export interface LogisticOptions {
  /** Inverse regularisation strength, > 0. Default 1. */
  C?: number;
  /** Stop when the largest gradient component of the scaled objective is ≤ tol. Default 1e-4 (scikit-learn's). */
  tol?: number;
  /** Most L-BFGS iterations. Default 100 (scikit-learn's). */
  maxIter?: number;
  /** L-BFGS memory. Default 10. */
  memory?: number;
  /** Centre and scale each feature by its training mean and population std before fitting. Default false. */
  standardize?: boolean;
}

export interface LogisticModel {
  kind: 'logistic';
  nFeatures: number;
  nClasses: number;
  /** Coefficient rows: 1 for binary (the positive class, label 1), nClasses for multinomial. */
  nOutputs: number;
  /** nOutputs × nFeatures, row-major, in the original feature space. */
  coef: Float64Array;
  /** nOutputs intercepts, original feature space. */
  intercept: Float64Array;
  /** With `standardize`: the training means and scales and the coefficients on standardized features. */
  standardization: { mean: Float64Array; scale: Float64Array; coef: Float64Array; intercept: Float64Array } | null;
  C: number;
  iterations: number;
  converged: boolean;
  /** Largest gradient component of the scaled objective at the solution. */
  gradMax: number;
}

/**
 * The scaled objective (1/n)·Σ log-loss + ‖W‖²/(2Cn) and its gradient, for parameters laid out as nOutputs
 * rows of [w_1 … w_p, b]. nOutputs = 1 when nClasses = 2, else nClasses. Exported for gradient checks.
 */
export function logisticObjective(X: Float64Array, nRows: number, nFeatures: number, y: Int32Array, nClasses: number, C: number): Objective {
  const p = nFeatures;
  const stride = p + 1;
  const invN = 1 / nRows;
  const penalty = 1 / (C * nRows);
  if (nClasses === 2) {
    return (theta, grad) => {
      grad.fill(0);
      let loss = 0;
      const b = theta[p]!;
      for (let i = 0; i < nRows; i++) {
        const off = i * p;
        let z = b;
        for (let j = 0; j < p; j++) z += X[off + j]! * theta[j]!;
        // log(1 + e^z) − y·z, and its derivative σ(z) − y, without overflow.
        const yi = y[i] === 1 ? 1 : 0;
        let sig: number;
        if (z > 0) {
          const e = Math.exp(-z);
          loss += z + Math.log1p(e) - yi * z;
          sig = 1 / (1 + e);
        } else {
          const e = Math.exp(z);
          loss += Math.log1p(e) - yi * z;
          sig = e / (1 + e);
        }
        const r = sig - yi;
        for (let j = 0; j < p; j++) grad[j]! += r * X[off + j]!;
        grad[p]! += r;
      }
      let reg = 0;
      for (let j = 0; j < p; j++) {
        const w = theta[j]!;
        reg += w * w;
        grad[j] = grad[j]! * invN + penalty * w;
      }
      grad[p]! *= invN;
      return loss * invN + 0.5 * penalty * reg;
    };
  }
  const k = nClasses;
  const z = new Float64Array(k);
  return (theta, grad) => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < nRows; i++) {
      const off = i * p;
      let zmax = -Infinity;
      for (let c = 0; c < k; c++) {
        const o = c * stride;
        let s = theta[o + p]!;
        for (let j = 0; j < p; j++) s += X[off + j]! * theta[o + j]!;
        z[c] = s;
        if (s > zmax) zmax = s;
      }
      let sum = 0;
      for (let c = 0; c < k; c++) {
        const e = Math.exp(z[c]! - zmax);
        z[c] = e;
        sum += e;
      }
      const yi = y[i]!;
      // −log softmax_y = log Σ e^{z_c} − z_y; z now holds e^{z_c − zmax}.
      loss += Math.log(sum) - Math.log(z[yi]!);
      for (let c = 0; c < k; c++) {
        const r = z[c]! / sum - (c === yi ? 1 : 0);
        const o = c * stride;
        for (let j = 0; j < p; j++) grad[o + j]! += r * X[off + j]!;
        grad[o + p]! += r;
      }
    }
    let reg = 0;
    for (let c = 0; c < k; c++) {
      const o = c * stride;
      for (let j = 0; j < p; j++) {
        const w = theta[o + j]!;
        reg += w * w;
        grad[o + j] = grad[o + j]! * invN + penalty * w;
      }
      grad[o + p]! *= invN;
    }
    return loss * invN + 0.5 * penalty * reg;
  };
}

export function trainLogistic(X: Float64Array, y: Int32Array, nRows: number, nFeatures: number, opts: LogisticOptions = {}): LogisticModel {
  const name = 'trainLogistic';
  checkMatrix(name, X, nRows, nFeatures);
  const nClasses = checkLabels(name, y, nRows);
  const C = opts.C ?? 1;
  const tol = opts.tol ?? 1e-4;
  const maxIter = opts.maxIter ?? 100;
  if (!(C > 0) || !Number.isFinite(C)) throw new Error(`${name}: C must be a finite number > 0, got ${C}`);
  if (!(tol >= 0)) throw new Error(`${name}: tol must be >= 0, got ${tol}`);
  if (!Number.isInteger(maxIter) || maxIter < 0) throw new Error(`${name}: maxIter must be a non-negative integer, got ${maxIter}`);
  const p = nFeatures;
  let Z = X;
  let moments: { mean: Float64Array; scale: Float64Array } | null = null;
  if (opts.standardize) {
    moments = columnMoments(X, nRows, p);
    Z = standardizeRows(X, nRows, p, moments.mean, moments.scale);
  }
  const nOutputs = nClasses === 2 ? 1 : nClasses;
  const f = logisticObjective(Z, nRows, p, y, nClasses, C);
  const result = minimizeLbfgs(f, new Float64Array(nOutputs * (p + 1)), { tol, maxIter, memory: opts.memory ?? 10 });
  const coef = new Float64Array(nOutputs * p);
  const intercept = new Float64Array(nOutputs);
  for (let c = 0; c < nOutputs; c++) {
    for (let j = 0; j < p; j++) coef[c * p + j] = result.x[c * (p + 1) + j]!;
    intercept[c] = result.x[c * (p + 1) + p]!;
  }
  if (nOutputs > 1) {
    let mean = 0;
    for (let c = 0; c < nOutputs; c++) mean += intercept[c]!;
    mean /= nOutputs;
    for (let c = 0; c < nOutputs; c++) intercept[c]! -= mean;
  }
  let standardization: LogisticModel['standardization'] = null;
  let coefOrig = coef;
  let interceptOrig = intercept;
  if (moments) {
    // w·(x − μ)/σ + b = (w/σ)·x + (b − Σ w μ/σ)
    coefOrig = new Float64Array(nOutputs * p);
    interceptOrig = new Float64Array(nOutputs);
    for (let c = 0; c < nOutputs; c++) {
      let shift = 0;
      for (let j = 0; j < p; j++) {
        const w = coef[c * p + j]! / moments.scale[j]!;
        coefOrig[c * p + j] = w;
        shift += w * moments.mean[j]!;
      }
      interceptOrig[c] = intercept[c]! - shift;
    }
    standardization = { mean: moments.mean, scale: moments.scale, coef, intercept };
  }
  return {
    kind: 'logistic',
    nFeatures: p,
    nClasses,
    nOutputs,
    coef: coefOrig,
    intercept: interceptOrig,
    standardization,
    C,
    iterations: result.iterations,
    converged: result.converged,
    gradMax: result.gradMax,
  };
}

/** Raw scores, nRows × nOutputs row-major (the log-odds of class 1 for a binary model). */
export function decisionFunction(model: LogisticModel, X: Float64Array, nRows: number): Float64Array {
  checkMatrix('decisionFunction', X, nRows, model.nFeatures);
  const p = model.nFeatures;
  const k = model.nOutputs;
  const out = new Float64Array(nRows * k);
  for (let i = 0; i < nRows; i++) {
    for (let c = 0; c < k; c++) {
      let s = model.intercept[c]!;
      for (let j = 0; j < p; j++) s += X[i * p + j]! * model.coef[c * p + j]!;
      out[i * k + c] = s;
    }
  }
  return out;
}

/** Class probabilities, nRows × nClasses row-major (two columns [1 − p, p] for a binary model, as scikit-learn). */
export function predictProba(model: LogisticModel, X: Float64Array, nRows: number): Float64Array {
  const z = decisionFunction(model, X, nRows);
  const k = model.nClasses;
  const out = new Float64Array(nRows * k);
  if (model.nOutputs === 1) {
    for (let i = 0; i < nRows; i++) {
      const s = z[i]!;
      const p1 = s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s));
      out[i * 2] = 1 - p1;
      out[i * 2 + 1] = p1;
    }
    return out;
  }
  for (let i = 0; i < nRows; i++) {
    let m = -Infinity;
    for (let c = 0; c < k; c++) m = Math.max(m, z[i * k + c]!);
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const e = Math.exp(z[i * k + c]! - m);
      out[i * k + c] = e;
      sum += e;
    }
    for (let c = 0; c < k; c++) out[i * k + c]! /= sum;
  }
  return out;
}

/** Most probable class per row. */
export function predictClass(model: LogisticModel, X: Float64Array, nRows: number): Int32Array {
  const z = decisionFunction(model, X, nRows);
  const k = model.nOutputs;
  const out = new Int32Array(nRows);
  for (let i = 0; i < nRows; i++) {
    if (k === 1) {
      out[i] = z[i]! > 0 ? 1 : 0;
      continue;
    }
    let best = 0;
    for (let c = 1; c < k; c++) if (z[i * k + c]! > z[i * k + best]!) best = c;
    out[i] = best;
  }
  return out;
}
