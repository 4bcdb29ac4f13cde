/**
 * Weighted linear least squares for KernelSHAP's small systems: minimise Σ_i w_i (A_i·x − b_i)² for
 * several right-hand sides at once, by Householder QR with column pivoting of diag(√w)·A (Golub and Van
 * Loan, §5.4.1). Working on A itself rather than on the normal equations AᵀWA keeps the condition number
 * from being squared, so exact-enumeration KernelSHAP reproduces Shapley values to ~1e-13.
 *
 * Columns found (numerically) dependent on earlier ones get coefficient 0: the result is then a basic
 * solution of the rank-deficient problem rather than an error, which is what a sampled KernelSHAP with
 * too few coalitions needs. `rank` says how many columns were used.
 */

export interface LeastSquaresResult {
  /** p × k, row-major: x[j · k + c] is coefficient j for right-hand side c. */
  x: Float64Array;
  rank: number;
}

/**
 * `a` is n × p column-major (column j at a[j·n .. j·n + n)), `b` is n × k column-major, `w` the n
 * non-negative row weights. Both `a` and `b` are overwritten (they hold the factorisation afterwards).
 */
export function weightedLeastSquares(a: Float64Array, b: Float64Array, w: Float64Array, n: number, p: number, k: number): LeastSquaresResult {
  if (a.length !== n * p) throw new Error(`least squares: A holds ${a.length} values, expected ${n} × ${p}`);
  if (b.length !== n * k) throw new Error(`least squares: b holds ${b.length} values, expected ${n} × ${k}`);
  if (w.length !== n) throw new Error(`least squares: ${w.length} weights for ${n} rows`);
  for (let i = 0; i < n; i++) {
    const wi = w[i]!;
    if (!(wi >= 0)) throw new Error(`least squares: weight ${i} is ${wi}; weights must be >= 0`);
    const s = Math.sqrt(wi);
    for (let j = 0; j < p; j++) a[j * n + i]! *= s;
    for (let c = 0; c < k; c++) b[c * n + i]! *= s;
  }
  const perm = new Int32Array(p);
  for (let j = 0; j < p; j++) perm[j] = j;
  // Squared norms of the columns' remaining parts, for pivoting (recomputed exactly, p is small).
  const norms = new Float64Array(p);
  const diag = new Float64Array(p);
  const steps = Math.min(n, p);
  let rank = 0;
  let firstDiag = 0;
  for (let col = 0; col < steps; col++) {
    // Pivot: the remaining column with the largest norm below row `col`.
    let best = col;
    let bestNorm = -1;
    for (let j = col; j < p; j++) {
      let s = 0;
      const off = j * n;
      for (let i = col; i < n; i++) {
        const v = a[off + i]!;
        s += v * v;
      }
      norms[j] = s;
      if (s > bestNorm) {
        bestNorm = s;
        best = j;
      }
    }
    if (best !== col) {
      const oc = col * n;
      const ob = best * n;
      for (let i = 0; i < n; i++) {
        const t = a[oc + i]!;
        a[oc + i] = a[ob + i]!;
        a[ob + i] = t;
      }
      const t = perm[col]!;
      perm[col] = perm[best]!;
      perm[best] = t;
    }
    const norm = Math.sqrt(bestNorm);
    if (col === 0) firstDiag = norm;
    if (norm === 0 || norm <= firstDiag * 1e-11) break;
    // Householder reflector H = I − v vᵀ / (vᵀv / 2) sending a[col.., col] to (−sign·norm, 0, …).
    const oc = col * n;
    const x0 = a[oc + col]!;
    const alpha = x0 >= 0 ? -norm : norm;
    a[oc + col] = x0 - alpha; // v = x − alpha·e1, stored in place of the column
    // vᵀv = norm² − x0² + (x0 − alpha)² = 2·norm·(norm + |x0|) (alpha has the opposite sign of x0).
    const scale = 1 / (norm * (norm + Math.abs(x0)));
    for (let j = col + 1; j < p; j++) {
      const oj = j * n;
      let dot = 0;
      for (let i = col; i < n; i++) dot += a[oc + i]! * a[oj + i]!;
      dot *= scale;
      if (dot !== 0) for (let i = col; i < n; i++) a[oj + i]! -= dot * a[oc + i]!;
    }
    for (let c = 0; c < k; c++) {
      const ob = c * n;
      let dot = 0;
      for (let i = col; i < n; i++) dot += a[oc + i]! * b[ob + i]!;
      dot *= scale;
      if (dot !== 0) for (let i = col; i < n; i++) b[ob + i]! -= dot * a[oc + i]!;
    }
    diag[col] = alpha;
    rank++;
  }
  // Back substitution with R (upper triangle of a, diagonal in `diag`) on the first `rank` columns.
  const x = new Float64Array(p * k);
  const z = new Float64Array(rank);
  for (let c = 0; c < k; c++) {
    const ob = c * n;
    for (let r = rank - 1; r >= 0; r--) {
      let s = b[ob + r]!;
      for (let j = r + 1; j < rank; j++) s -= a[j * n + r]! * z[j]!;
      z[r] = s / diag[r]!;
    }
    for (let r = 0; r < rank; r++) x[perm[r]! * k + c] = z[r]!;
  }
  return { x, rank };
}
