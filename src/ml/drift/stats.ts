/**
 * Numeric core of drift detection: two-sample statistics over typed arrays and count vectors.
 *
 * Pure functions, no I/O. Definitions follow scipy (ks_2samp, chisquare, jensenshannon,
 * wasserstein_distance) and Evidently's stattests (binning, PSI, z-test, Hellinger, normed
 * Wasserstein); the code is written from the formulas, not copied.
 */

export type Sample = ArrayLike<number>;
export type ColumnKind = 'numeric' | 'categorical';

/** Copy of the finite values (NaN and ±Infinity dropped). */
export function finiteValues(x: Sample): Float64Array {
  const out = new Float64Array(x.length);
  let k = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (Number.isFinite(v)) out[k++] = v;
  }
  return out.slice(0, k);
}

function sortedFinite(x: Sample): Float64Array {
  return finiteValues(x).sort();
}

/** Number of distinct finite values over all given samples. */
export function countUnique(...samples: Sample[]): number {
  const seen = new Set<number>();
  for (const s of samples) for (let i = 0; i < s.length; i++) {
    const v = s[i] as number;
    if (Number.isFinite(v)) seen.add(v === 0 ? 0 : v); // -0 and 0 are one value
  }
  return seen.size;
}

// ---------------------------------------------------------------------------------------------
// Special functions

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
export function logGamma(x: number): number {
  if (x === 0.5) return 0.5723649429247001; // ln √π
  if (x === 1 || x === 2) return 0;
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0] as number;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += (LANCZOS[i] as number) / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a). */
export function gammaQ(a: number, x: number): number {
  if (!(a > 0) || Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  const logPrefix = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    // series for P(a, x)
    let ap = a;
    let sum = 1 / a;
    let del = sum;
    for (let n = 0; n < 10_000; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * 1e-17) break;
    }
    return 1 - sum * Math.exp(logPrefix);
  }
  // continued fraction for Q(a, x) (modified Lentz)
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-17) break;
  }
  return Math.exp(logPrefix) * h;
}

/** Standard normal CDF. */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  const q = 0.5 * gammaQ(0.5, (z * z) / 2); // = 1 - Φ(|z|)
  return z >= 0 ? 1 - q : q;
}

/** Survival function of the chi-square distribution with `df` degrees of freedom. */
export function chiSquareSf(x: number, df: number): number {
  if (!(df > 0)) return Number.NaN;
  return gammaQ(df / 2, x / 2);
}

/** Survival function of Kolmogorov's limiting distribution (scipy.stats.kstwobign.sf). */
export function kolmogorovSf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  if (x < 1) {
    // cdf = √(2π)/x Σ_{k≥1} exp(-(2k-1)² π² / (8x²))
    const w = (Math.PI * Math.PI) / (8 * x * x);
    let s = 0;
    for (let k = 1; k < 100; k++) {
      const term = Math.exp(-(2 * k - 1) * (2 * k - 1) * w);
      s += term;
      if (term < 1e-300 || term < s * 1e-17) break;
    }
    return 1 - (Math.sqrt(2 * Math.PI) / x) * s;
  }
  // sf = 2 Σ_{k≥1} (-1)^{k-1} exp(-2k²x²)
  let s = 0;
  for (let k = 1; k < 100; k++) {
    const term = Math.exp(-2 * k * k * x * x);
    s += k % 2 === 1 ? term : -term;
    if (term < 1e-300 || term < Math.abs(s) * 1e-17) break;
  }
  return Math.min(1, Math.max(0, 2 * s));
}

// ---------------------------------------------------------------------------------------------
// Kolmogorov–Smirnov

export type KsMethod = 'auto' | 'exact' | 'asymp';

export interface KsResult {
  statistic: number;
  pvalue: number;
  /** Method actually used for the p-value. */
  method: 'exact' | 'asymp';
}

/** scipy's `MAX_AUTO_N`: 'auto' is exact when max(n1, n2) ≤ this. */
export const KS_MAX_AUTO_N = 10_000;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Pr(D_{n,n} ≥ h/n), two-sided, equal sample sizes (Horner-style alternating sum). */
function ksProbOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let a = 1;
    for (let j = 0; j < h; j++) a = ((n - k * h - j) * a) / (n + k * h + j + 1);
    p = a * (1 - p);
  }
  return 2 * p;
}

/**
 * Two-sided exact p-value for unequal sizes: proportion of lattice paths from (0,0) to (m,n)
 * leaving the band |x/m − y/n| < h/lcm, via the "inside" recursion computing 1 − p directly
 * (Hodges 1958; Viehmann 2021).
 */
function ksProbOutsideBand(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(Math.max(lenA, n + 2)).fill(1);
  for (let j = minj; j < maxj; j++) A[j] = 0;
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = ((A[jj + minj - lastminj] as number) * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1] as number;
}

/** Asymptotic two-sided p-value used here: kstwobign.sf(√(n1·n2/(n1+n2)) · d). */
export function ksAsymptoticPValue(d: number, n1: number, n2: number): number {
  const en = (n1 * n2) / (n1 + n2);
  return kolmogorovSf(Math.sqrt(en) * d);
}

/**
 * Two-sample two-sided Kolmogorov–Smirnov test (scipy.stats.ks_2samp, alternative='two-sided').
 * 'exact' reproduces scipy's exact p-value; 'asymp' uses Kolmogorov's limiting distribution
 * (scipy uses kstwo.sf(d, round(en)) instead: close for large n, not identical).
 * Non-finite values are dropped; throws if either sample is then empty.
 */
export function ksTwoSample(reference: Sample, current: Sample, method: KsMethod = 'auto'): KsResult {
  const a = sortedFinite(reference);
  const b = sortedFinite(current);
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new Error('ksTwoSample: empty sample');
  // max |F1 - F2| evaluated at every observed value (side='right' counts)
  let i = 0;
  let j = 0;
  let maxS = 0;
  let minS = 0;
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && (a[i] as number) <= (b[j] as number)) ? (a[i] as number) : (b[j] as number);
    while (i < n1 && a[i] === v) i++;
    while (j < n2 && b[j] === v) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxS) maxS = diff;
    if (diff < minS) minS = diff;
  }
  let d = Math.min(Math.max(-minS, maxS), 1);
  let use: 'exact' | 'asymp' = method === 'auto' ? (Math.max(n1, n2) <= KS_MAX_AUTO_N ? 'exact' : 'asymp') : method;
  let p = Number.NaN;
  if (use === 'exact') {
    const g = gcd(n1, n2);
    const lcm = (n1 / g) * n2;
    const h = Math.round(d * lcm);
    d = h / lcm;
    if (h === 0) p = 1;
    else p = n1 === n2 ? ksProbOutsideSquare(n1, h) : ksProbOutsideBand(n1, n2, g, h);
    if (!(p >= 0 && p <= 1)) use = 'asymp';
  }
  if (use === 'asymp') p = ksAsymptoticPValue(d, n1, n2);
  return { statistic: d, pvalue: Math.min(1, Math.max(0, p)), method: use };
}

// ---------------------------------------------------------------------------------------------
// Tests on category counts

export interface ChiSquareResult {
  statistic: number;
  pvalue: number;
  df: number;
}

/** Pearson chi-square goodness of fit (scipy.stats.chisquare, ddof = 0). */
export function chiSquare(observed: ArrayLike<number>, expected: ArrayLike<number>): ChiSquareResult {
  if (observed.length !== expected.length) throw new Error('chiSquare: length mismatch');
  let stat = 0;
  for (let i = 0; i < observed.length; i++) {
    const o = observed[i] as number;
    const e = expected[i] as number;
    const dd = o - e;
    stat += e === 0 ? (dd === 0 ? Number.NaN : Infinity) : (dd * dd) / e;
  }
  const df = observed.length - 1;
  return { statistic: stat, pvalue: stat === Infinity ? 0 : chiSquareSf(stat, df), df };
}

/**
 * Evidently's chi-square drift test on aligned category counts: current counts against
 * reference counts scaled to the current total. Returns the p-value.
 */
export function chiSquareDriftPValue(referenceCounts: ArrayLike<number>, currentCounts: ArrayLike<number>): number {
  const nRef = sum(referenceCounts);
  const nCur = sum(currentCounts);
  const k = nCur / nRef;
  const expected = Array.from(referenceCounts, (c) => c * k);
  return chiSquare(currentCounts, expected).pvalue;
}

/**
 * Evidently's two-proportion Z-test on aligned counts of ≤ 2 categories (sorted by value;
 * the indicator is "not the first category"): the statistic z and the two-sided p-value, computed as
 * 2·(1 − Φ(|z|)) as Evidently does. Both sides concentrated on the same single category → z 0, p 1.
 */
export function zTest(referenceCounts: ArrayLike<number>, currentCounts: ArrayLike<number>): { z: number; pvalue: number } {
  if (referenceCounts.length !== currentCounts.length) throw new Error('zTest: length mismatch');
  if (referenceCounts.length > 2) throw new Error('zTest: more than two categories');
  const nz = (c: ArrayLike<number>) => Array.from(c).flatMap((v, i) => (v > 0 ? [i] : []));
  const r = nz(referenceCounts);
  const c = nz(currentCounts);
  if (r.length === 1 && c.length === 1 && r[0] === c[0]) return { z: 0, pvalue: 1 };
  const n1 = sum(referenceCounts);
  const n2 = sum(currentCounts);
  const p1 = (referenceCounts[1] ?? 0) / n1;
  const p2 = (currentCounts[1] ?? 0) / n2;
  const P = (p1 * n1 + p2 * n2) / (n1 + n2);
  const z = (p1 - p2) / Math.sqrt(P * (1 - P) * (1 / n1 + 1 / n2));
  return { z, pvalue: 2 * (1 - normalCdf(Math.abs(z))) };
}

/** The p-value of zTest. */
export function zTestPValue(referenceCounts: ArrayLike<number>, currentCounts: ArrayLike<number>): number {
  return zTest(referenceCounts, currentCounts).pvalue;
}

// ---------------------------------------------------------------------------------------------
// Binning

export interface BinnedData {
  /** Histogram edges (Sturges) or null when one bin per distinct value. */
  edges: Float64Array | null;
  /** Bin keys when one bin per value (ascending), else null. */
  keys: Float64Array | null;
  referenceCounts: Float64Array;
  currentCounts: Float64Array;
  referencePercents: Float64Array;
  currentPercents: Float64Array;
}

/** numpy.histogram_bin_edges(data, bins='sturges'). */
export function sturgesEdges(data: Sample): Float64Array {
  const x = finiteValues(data);
  if (x.length === 0) throw new Error('sturgesEdges: empty sample');
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of x) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const ptp = x.reduce((m, v) => Math.max(m, v), -Infinity) - x.reduce((m, v) => Math.min(m, v), Infinity);
  const width = ptp / (Math.log2(x.length) + 1);
  const nBins = width ? Math.ceil((hi - lo) / width) : 1;
  const edges = new Float64Array(nBins + 1);
  const step = (hi - lo) / nBins;
  for (let i = 0; i < nBins; i++) edges[i] = i * step + lo;
  edges[nBins] = hi;
  return edges;
}

/** numpy.histogram counts for explicit edges: [e_i, e_{i+1}), last bin closed; outside dropped. */
export function histogramCounts(data: Sample, edges: ArrayLike<number>): Float64Array {
  const nb = edges.length - 1;
  const counts = new Float64Array(nb);
  const first = edges[0] as number;
  const last = edges[nb] as number;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (!(v >= first && v <= last)) continue;
    // largest k with edges[k] <= v, capped at nb-1
    let lo = 0;
    let hi = nb;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if ((edges[mid] as number) <= v) lo = mid;
      else hi = mid;
    }
    counts[lo] = (counts[lo] as number) + 1;
  }
  return counts;
}

/**
 * Evidently's get_binned_data (without zero filling): numeric columns whose reference has > 20
 * distinct values get Sturges edges over reference ∪ current; otherwise one bin per distinct
 * value of reference ∪ current. Non-finite values are dropped first.
 */
export function binData(reference: Sample, current: Sample, kind: ColumnKind): BinnedData {
  const ref = finiteValues(reference);
  const cur = finiteValues(current);
  if (ref.length === 0 || cur.length === 0) throw new Error('binData: empty sample');
  let edges: Float64Array | null = null;
  let keys: Float64Array | null = null;
  let rc: Float64Array;
  let cc: Float64Array;
  if (kind === 'numeric' && countUnique(ref) > 20) {
    const all = new Float64Array(ref.length + cur.length);
    all.set(ref);
    all.set(cur, ref.length);
    edges = sturgesEdges(all);
    rc = histogramCounts(ref, edges);
    cc = histogramCounts(cur, edges);
  } else {
    const c = categoryCounts(ref, cur);
    keys = c.keys;
    rc = c.referenceCounts;
    cc = c.currentCounts;
  }
  return {
    edges, keys, referenceCounts: rc, currentCounts: cc,
    referencePercents: rc.map((v) => v / ref.length), currentPercents: cc.map((v) => v / cur.length),
  };
}

/** Counts per distinct finite value (keys ascending) for both samples. */
export function categoryCounts(reference: Sample, current: Sample): {
  keys: Float64Array; referenceCounts: Float64Array; currentCounts: Float64Array;
} {
  const ref = finiteValues(reference);
  const cur = finiteValues(current);
  const keySet = new Set<number>();
  for (const v of ref) keySet.add(v === 0 ? 0 : v);
  for (const v of cur) keySet.add(v === 0 ? 0 : v);
  const keys = Float64Array.from(keySet).sort();
  const index = new Map<number, number>();
  keys.forEach((k, i) => index.set(k, i));
  const count = (x: Float64Array) => {
    const out = new Float64Array(keys.length);
    for (const v of x) {
      const k = index.get(v === 0 ? 0 : v) as number;
      out[k] = (out[k] as number) + 1;
    }
    return out;
  };
  return { keys, referenceCounts: count(ref), currentCounts: count(cur) };
}

// ---------------------------------------------------------------------------------------------
// Distances between distributions

function sum(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] as number;
  return s;
}

function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Infinity;
}

/** scipy.spatial.distance.jensenshannon(p, q, base) — inputs normalised to sum 1. */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>, base = 2): number {
  if (p.length !== q.length) throw new Error('jensenShannonDistance: length mismatch');
  const sp = sum(p);
  const sq = sum(q);
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const a = (p[i] as number) / sp;
    const b = (q[i] as number) / sq;
    const m = (a + b) / 2;
    left += relEntr(a, m);
    right += relEntr(b, m);
  }
  let js = left + right;
  if (base) js /= Math.log(base);
  return Math.sqrt(js / 2);
}

/** Evidently's small-value replacement of zero proportions before PSI. */
export function fillZeroProportions(p: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(p);
  let minNonZero = Infinity;
  for (const v of out) if (v !== 0 && v < minNonZero) minNonZero = v;
  const fill = minNonZero <= 0.0001 ? minNonZero / 1e6 : 0.0001;
  for (let i = 0; i < out.length; i++) if (out[i] === 0) out[i] = fill;
  return out;
}

/** Evidently's PSI on aligned proportions: Σ (r − c) · ln(r / c) after zero filling. */
export function psi(referencePercents: ArrayLike<number>, currentPercents: ArrayLike<number>): number {
  if (referencePercents.length !== currentPercents.length) throw new Error('psi: length mismatch');
  const r = fillZeroProportions(referencePercents);
  const c = fillZeroProportions(currentPercents);
  let s = 0;
  for (let i = 0; i < r.length; i++) {
    const a = r[i] as number;
    const b = c[i] as number;
    s += (a - b) * Math.log(a / b);
  }
  return s;
}

/** Hellinger distance between two discrete distributions: √(1 − clip(Σ √(p q), 0, 1)). */
export function hellingerDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new Error('hellingerDistance: length mismatch');
  let bc = 0;
  for (let i = 0; i < p.length; i++) bc += Math.sqrt((p[i] as number) * (q[i] as number));
  return Math.sqrt(1 - Math.min(1, Math.max(0, bc)));
}

/**
 * Evidently's Hellinger drift score from samples: categorical → proportions per value;
 * numeric → density histograms on Sturges edges over the distinct values of reference ∪ current.
 */
export function hellingerDrift(reference: Sample, current: Sample, kind: ColumnKind): number {
  const { keys, referenceCounts, currentCounts } = categoryCounts(reference, current);
  const nr = sum(referenceCounts);
  const nc = sum(currentCounts);
  if (kind === 'categorical') {
    return hellingerDistance(referenceCounts.map((v) => v / nr), currentCounts.map((v) => v / nc));
  }
  const ref = finiteValues(reference);
  const cur = finiteValues(current);
  const edges = sturgesEdges(keys);
  const nb = edges.length - 1;
  const h1 = histogramCounts(ref, edges);
  const h2 = histogramCounts(cur, edges);
  const s1 = sum(h1);
  const s2 = sum(h2);
  const width = ((keys[keys.length - 1] as number) - (keys[0] as number)) / nb;
  let bc = 0;
  for (let i = 0; i < nb; i++) {
    const db = (edges[i + 1] as number) - (edges[i] as number);
    const d1 = (h1[i] as number) / db / s1;
    const d2 = (h2[i] as number) / db / s2;
    bc += Math.sqrt(d1 * d2) * width;
  }
  return Math.sqrt(1 - Math.min(1, Math.max(0, bc)));
}

/** L∞ distance max |p_i − q_i| between two normalized histograms. */
export function lInfinityDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new Error('lInfinityDistance: length mismatch');
  let m = 0;
  for (let i = 0; i < p.length; i++) m = Math.max(m, Math.abs((p[i] as number) - (q[i] as number)));
  return m;
}

/** scipy.stats.wasserstein_distance(u, v) for unweighted samples (finite values only). */
export function wassersteinDistance(u: Sample, v: Sample): number {
  const a = sortedFinite(u);
  const b = sortedFinite(v);
  if (a.length === 0 || b.length === 0) throw new Error('wassersteinDistance: empty sample');
  const all = new Float64Array(a.length + b.length);
  all.set(a);
  all.set(b, a.length);
  all.sort();
  let i = 0;
  let j = 0;
  let total = 0;
  for (let k = 0; k < all.length - 1; k++) {
    const x = all[k] as number;
    while (i < a.length && (a[i] as number) <= x) i++;
    while (j < b.length && (b[j] as number) <= x) j++;
    total += Math.abs(i / a.length - j / b.length) * ((all[k + 1] as number) - x);
  }
  return total;
}

/** Population standard deviation (ddof = 0), as numpy.std. */
export function stdPopulation(x: Sample): number {
  const a = finiteValues(x);
  const mean = sum(a) / a.length;
  let s = 0;
  for (const v of a) s += (v - mean) * (v - mean);
  return Math.sqrt(s / a.length);
}

/** Evidently's normed Wasserstein: W(ref, cur) / max(std(ref, ddof=0), 0.001). */
export function wassersteinNormed(reference: Sample, current: Sample): number {
  return wassersteinDistance(reference, current) / Math.max(stdPopulation(reference), 0.001);
}

// ---------------------------------------------------------------------------------------------
// Multiple testing

/** Benjamini–Hochberg adjusted p-values, same order as the input, clipped to [0, 1]. */
export function benjaminiHochberg(pvalues: ArrayLike<number>): Float64Array {
  const m = pvalues.length;
  const order = Array.from({ length: m }, (_, i) => i).sort(
    (x, y) => (pvalues[x] as number) - (pvalues[y] as number),
  );
  const out = new Float64Array(m);
  let running = Infinity;
  for (let r = m - 1; r >= 0; r--) {
    const idx = order[r] as number;
    running = Math.min(running, ((pvalues[idx] as number) * m) / (r + 1));
    out[idx] = Math.min(1, Math.max(0, running));
  }
  return out;
}
