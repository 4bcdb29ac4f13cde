/**
 * Unconstrained L-BFGS (Nocedal and Wright, Numerical Optimization, 2nd ed., Algorithm 7.4 and 7.5) with a
 * line search satisfying the strong Wolfe conditions (Algorithms 3.5 and 3.6, cubic interpolation in the
 * zoom phase). Convergence is declared when the largest absolute gradient component is ≤ tol: the
 * "projected gradient" test of scipy's L-BFGS-B (pgtol), which for an unconstrained problem is the
 * gradient's max norm.
 */

/** Writes the gradient at x into `grad` and returns the objective value. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  /** Stop when max |gradient component| ≤ tol. */
  tol: number;
  /** Most outer iterations (line searches). */
  maxIter: number;
  /** Number of correction pairs kept. */
  memory?: number;
  /** Sufficient-decrease and curvature constants of the strong Wolfe conditions. */
  c1?: number;
  c2?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  gradMax: number;
  iterations: number;
  functionEvaluations: number;
  converged: boolean;
  /** Why it stopped: 'gradient' (converged), 'maxIter', or 'lineSearch' (no step satisfied the conditions, usually rounding). */
  reason: 'gradient' | 'maxIter' | 'lineSearch';
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** Minimiser of the cubic through (a, fa, ga) and (b, fb, gb), kept inside [lo + 10%, hi − 10%] of the bracket; bisection if it is not defined. */
function cubicStep(a: number, fa: number, ga: number, b: number, fb: number, gb: number): number {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  const d1 = ga + gb - (3 * (fa - fb)) / (a - b);
  const disc = d1 * d1 - ga * gb;
  let t = NaN;
  if (disc >= 0) {
    const d2 = Math.sign(b - a) * Math.sqrt(disc);
    t = b - (b - a) * ((gb + d2 - d1) / (gb - ga + 2 * d2));
  }
  const margin = 0.1 * (hi - lo);
  if (!Number.isFinite(t) || t < lo + margin || t > hi - margin) t = (lo + hi) / 2;
  return t;
}

export function minimizeLbfgs(f: Objective, x0: Float64Array, opts: LbfgsOptions): LbfgsResult {
  const n = x0.length;
  const m = opts.memory ?? 10;
  const c1 = opts.c1 ?? 1e-4;
  const c2 = opts.c2 ?? 0.9;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  let fx = f(x, g);
  let evals = 1;
  if (!Number.isFinite(fx)) throw new Error(`L-BFGS: objective is ${fx} at the starting point`);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alphaHist = new Float64Array(m);
  const d = new Float64Array(n);
  const xt = new Float64Array(n);
  const gt = new Float64Array(n);
  let iter = 0;
  let reason: LbfgsResult['reason'] = 'maxIter';

  // Evaluate at x + t·d into xt/gt; returns [value, directional derivative].
  const phi = (t: number): [number, number] => {
    for (let i = 0; i < n; i++) xt[i] = x[i]! + t * d[i]!;
    const v = f(xt, gt);
    evals++;
    return [v, dot(gt, d)];
  };

  while (true) {
    if (maxAbs(g) <= opts.tol) {
      reason = 'gradient';
      break;
    }
    if (iter >= opts.maxIter) {
      reason = 'maxIter';
      break;
    }
    // Two-loop recursion: d = −H·g.
    for (let i = 0; i < n; i++) d[i] = -g[i]!;
    const k = S.length;
    for (let j = k - 1; j >= 0; j--) {
      const a = rho[j]! * dot(S[j]!, d);
      alphaHist[j] = a;
      const y = Y[j]!;
      for (let i = 0; i < n; i++) d[i]! -= a * y[i]!;
    }
    if (k > 0) {
      const gamma = dot(S[k - 1]!, Y[k - 1]!) / dot(Y[k - 1]!, Y[k - 1]!);
      for (let i = 0; i < n; i++) d[i]! *= gamma;
    }
    for (let j = 0; j < k; j++) {
      const b = rho[j]! * dot(Y[j]!, d);
      const s = S[j]!;
      const c = alphaHist[j]! - b;
      for (let i = 0; i < n; i++) d[i]! += c * s[i]!;
    }
    let dphi0 = dot(g, d);
    if (!(dphi0 < 0)) {
      // Not a descent direction (should not happen with positive curvature pairs): restart from steepest descent.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i]!;
      dphi0 = dot(g, d);
    }
    // First iteration: a step of length 1 in x (Nocedal and Wright's usual scaling), otherwise t = 1.
    const t0 = k === 0 ? Math.min(1, 1 / Math.sqrt(dot(d, d))) : 1;
    const step = strongWolfe(phi, fx, dphi0, t0, c1, c2);
    if (step === null) {
      reason = 'lineSearch';
      break;
    }
    // phi left xt/gt at the accepted step.
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xt[i]! - x[i]!;
      y[i] = gt[i]! - g[i]!;
    }
    x.set(xt);
    g.set(gt);
    fx = step.value;
    iter++;
    const sy = dot(s, y);
    if (sy > 1e-300) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
  }
  return { x, value: fx, gradMax: maxAbs(g), iterations: iter, functionEvaluations: evals, converged: reason === 'gradient', reason };
}

/**
 * Strong Wolfe line search (Nocedal and Wright Algorithm 3.5 with zoom, Algorithm 3.6). `phi(t)` returns
 * [φ(t), φ'(t)] and leaves the evaluated point in the caller's buffers; on success the last call to phi was
 * at the returned step. Returns null when no acceptable step is found (rounding, or too many trials).
 */
function strongWolfe(
  phi: (t: number) => [number, number],
  f0: number,
  g0: number,
  t1: number,
  c1: number,
  c2: number,
): { t: number; value: number } | null {
  const maxTrials = 40;
  // Near the optimum, objective differences fall below rounding while derivatives stay accurate. Values
  // within epsF are treated as equal (an approximate-Wolfe idea, Hager and Zhang 2005), so the bracketing
  // is then steered by the derivative alone and the strong curvature condition decides acceptance.
  const epsF = 1e-12 * Math.max(1, Math.abs(f0));
  const above = (f: number, ref: number) => !Number.isFinite(f) || f - ref > epsF;
  let tPrev = 0;
  let fPrev = f0;
  let gPrev = g0;
  let t = t1;
  for (let i = 0; i < maxTrials; i++) {
    const [ft, gt] = phi(t);
    if (above(ft, f0 + c1 * t * g0) || (i > 0 && above(ft, fPrev))) {
      return zoom(phi, above, f0, g0, tPrev, fPrev, gPrev, t, ft, gt, c1, c2);
    }
    if (Math.abs(gt) <= -c2 * g0) return { t, value: ft };
    if (gt >= 0) return zoom(phi, above, f0, g0, t, ft, gt, tPrev, fPrev, gPrev, c1, c2);
    tPrev = t;
    fPrev = ft;
    gPrev = gt;
    t *= 2;
  }
  return null;
}

function zoom(
  phi: (t: number) => [number, number],
  above: (f: number, ref: number) => boolean,
  f0: number,
  g0: number,
  tLo: number,
  fLo: number,
  gLo: number,
  tHi: number,
  fHi: number,
  gHi: number,
  c1: number,
  c2: number,
): { t: number; value: number } | null {
  for (let i = 0; i < 60; i++) {
    const t = Number.isFinite(fHi) && Number.isFinite(gHi) ? cubicStep(tLo, fLo, gLo, tHi, fHi, gHi) : (tLo + tHi) / 2;
    if (Math.abs(tHi - tLo) <= 1e-16 * Math.max(1, Math.abs(t))) return null;
    const [ft, gt] = phi(t);
    if (above(ft, f0 + c1 * t * g0) || above(ft, fLo)) {
      tHi = t;
      fHi = ft;
      gHi = gt;
    } else {
      if (Math.abs(gt) <= -c2 * g0) return { t, value: ft };
      if (gt * (tHi - tLo) >= 0) {
        tHi = tLo;
        fHi = fLo;
        gHi = gLo;
      }
      tLo = t;
      fLo = ft;
      gLo = gt;
    }
  }
  return null;
}
