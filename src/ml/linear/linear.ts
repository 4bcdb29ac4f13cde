/**
 * Linear least squares with an intercept and an optional penalty, with scikit-learn's objectives:
 *
 * - penalty 'l2' (ridge, as Ridge(alpha)):   ‖y − Xw − b‖² + alpha‖w‖²        (alpha = 0: ordinary least squares)
 *   solved exactly: centre X and y, Cholesky-factor XcᵀXc + alpha·I, b = ȳ − x̄·w.
 * - penalty 'elasticnet' (as ElasticNet(alpha, l1_ratio); l1Ratio = 1 is Lasso(alpha)):
 *   1/(2n)‖y − Xw − b‖² + alpha·l1Ratio‖w‖₁ + ½alpha(1 − l1Ratio)‖w‖²
 *   solved by cyclic coordinate descent on the centred data (Friedman, Hastie and Tibshirani 2010), the
 *   intercept recovered as ȳ − x̄·w. Stops when a full sweep moves no coefficient by more than
 *   tol · max(1, max |w|) (no duality-gap test, unlike scikit-learn).
 *
 * Intercepts are never penalised.
 */
import { checkMatrix, checkTargets } from './validate.js';

export interface LinearOptions {
  /** Default 'l2'. */
  penalty?: 'l2' | 'elasticnet';
  /** Penalty strength, >= 0 (> 0 for 'elasticnet'). Default 1 (scikit-learn's). */
  alpha?: number;
  /** Elastic net mixing, 0..1; 1 is the Lasso. Default 0.5. */
  l1Ratio?: number;
  /** Coordinate descent: stop when the largest coefficient change in a sweep is ≤ tol·max(1, max|w|). Default 1e-4. */
  tol?: number;
  /** Coordinate descent: most sweeps. Default 1000. */
  maxIter?: number;
}

export interface LinearModel {
  kind: 'linear';
  nFeatures: number;
  coef: Float64Array;
  intercept: number;
  penalty: 'l2' | 'elasticnet';
  alpha: number;
  l1Ratio: number;
  /** Coordinate-descent sweeps (0 for the exact ridge solve). */
  iterations: number;
  converged: boolean;
}

interface Centred {
  Xc: Float64Array;
  yc: Float64Array;
  xMean: Float64Array;
  yMean: number;
}

function centre(X: Float64Array, y: Float64Array, n: number, p: number): Centred {
  const xMean = new Float64Array(p);
  let yMean = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) xMean[j]! += X[i * p + j]!;
    yMean += y[i]!;
  }
  for (let j = 0; j < p; j++) xMean[j]! /= n;
  yMean /= n;
  const Xc = new Float64Array(n * p);
  const yc = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) Xc[i * p + j] = X[i * p + j]! - xMean[j]!;
    yc[i] = y[i]! - yMean;
  }
  return { Xc, yc, xMean, yMean };
}

/** Solves A·x = b in place for symmetric positive definite A (p × p, row-major; overwritten by its Cholesky factor). */
export function choleskySolve(A: Float64Array, b: Float64Array, p: number): Float64Array {
  for (let j = 0; j < p; j++) {
    const ajj = A[j * p + j]!;
    let d = ajj;
    for (let k = 0; k < j; k++) d -= A[j * p + k]! * A[j * p + k]!;
    // A pivot lost to cancellation (relative to the diagonal entry) means a (numerically) singular matrix.
    if (!(d > 1e-13 * ajj)) {
      throw new Error(`Cholesky: matrix is not positive definite at column ${j} (collinear features with alpha = 0?); use alpha > 0`);
    }
    const l = Math.sqrt(d);
    A[j * p + j] = l;
    for (let i = j + 1; i < p; i++) {
      let s = A[i * p + j]!;
      for (let k = 0; k < j; k++) s -= A[i * p + k]! * A[j * p + k]!;
      A[i * p + j] = s / l;
    }
  }
  const x = Float64Array.from(b);
  for (let i = 0; i < p; i++) {
    let s = x[i]!;
    for (let k = 0; k < i; k++) s -= A[i * p + k]! * x[k]!;
    x[i] = s / A[i * p + i]!;
  }
  for (let i = p - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let k = i + 1; k < p; k++) s -= A[k * p + i]! * x[k]!;
    x[i] = s / A[i * p + i]!;
  }
  return x;
}

export function trainLinear(X: Float64Array, y: Float64Array, nRows: number, nFeatures: number, opts: LinearOptions = {}): LinearModel {
  const name = 'trainLinear';
  checkMatrix(name, X, nRows, nFeatures);
  checkTargets(name, y, nRows);
  const penalty = opts.penalty ?? 'l2';
  const alpha = opts.alpha ?? 1;
  const l1Ratio = opts.l1Ratio ?? 0.5;
  if (penalty !== 'l2' && penalty !== 'elasticnet') throw new Error(`${name}: penalty must be 'l2' or 'elasticnet', got ${String(penalty)}`);
  if (!(alpha >= 0) || !Number.isFinite(alpha)) throw new Error(`${name}: alpha must be a finite number >= 0, got ${alpha}`);
  const n = nRows;
  const p = nFeatures;
  const { Xc, yc, xMean, yMean } = centre(X, y, n, p);
  let coef: Float64Array;
  let iterations = 0;
  let converged = true;
  if (penalty === 'l2') {
    const A = new Float64Array(p * p);
    const rhs = new Float64Array(p);
    for (let i = 0; i < n; i++) {
      const off = i * p;
      for (let a = 0; a < p; a++) {
        const xa = Xc[off + a]!;
        rhs[a]! += xa * yc[i]!;
        for (let b = 0; b <= a; b++) A[a * p + b]! += xa * Xc[off + b]!;
      }
    }
    for (let a = 0; a < p; a++) {
      A[a * p + a]! += alpha;
      for (let b = 0; b < a; b++) A[b * p + a] = A[a * p + b]!;
    }
    coef = choleskySolve(A, rhs, p);
  } else {
    if (!(alpha > 0)) throw new Error(`${name}: elasticnet needs alpha > 0, got ${alpha}; use penalty 'l2' with alpha 0 for least squares`);
    if (!(l1Ratio >= 0 && l1Ratio <= 1)) throw new Error(`${name}: l1Ratio must be in [0, 1], got ${l1Ratio}`);
    const tol = opts.tol ?? 1e-4;
    const maxIter = opts.maxIter ?? 1000;
    // Scaled by n as scikit-learn's cd_fast: ½‖r‖² + l1·‖w‖₁ + ½·l2·‖w‖².
    const l1 = alpha * l1Ratio * n;
    const l2 = alpha * (1 - l1Ratio) * n;
    const colSq = new Float64Array(p);
    for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) colSq[j]! += Xc[i * p + j]! * Xc[i * p + j]!;
    coef = new Float64Array(p);
    const r = Float64Array.from(yc);
    converged = false;
    while (iterations < maxIter) {
      iterations++;
      let maxDelta = 0;
      let maxW = 0;
      for (let j = 0; j < p; j++) {
        if (colSq[j] === 0) continue;
        const old = coef[j]!;
        let rho = 0;
        for (let i = 0; i < n; i++) rho += Xc[i * p + j]! * r[i]!;
        rho += old * colSq[j]!;
        const w = Math.sign(rho) * Math.max(Math.abs(rho) - l1, 0) / (colSq[j]! + l2);
        if (w !== old) {
          const dw = w - old;
          for (let i = 0; i < n; i++) r[i]! -= dw * Xc[i * p + j]!;
          coef[j] = w;
          maxDelta = Math.max(maxDelta, Math.abs(dw));
        }
        maxW = Math.max(maxW, Math.abs(w));
      }
      if (maxDelta <= tol * Math.max(1, maxW)) {
        converged = true;
        break;
      }
    }
  }
  let intercept = yMean;
  for (let j = 0; j < p; j++) intercept -= xMean[j]! * coef[j]!;
  return { kind: 'linear', nFeatures: p, coef, intercept, penalty, alpha, l1Ratio: penalty === 'l2' ? 0 : l1Ratio, iterations, converged };
}

/** Predictions X·w + b. */
export function predict(model: LinearModel, X: Float64Array, nRows: number): Float64Array {
  checkMatrix('predict', X, nRows, model.nFeatures);
  const p = model.nFeatures;
  const out = new Float64Array(nRows);
  for (let i = 0; i < nRows; i++) {
    let s = model.intercept;
    for (let j = 0; j < p; j++) s += X[i * p + j]! * model.coef[j]!;
    out[i] = s;
  }
  return out;
}
