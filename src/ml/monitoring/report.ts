/**
 * Drift, data quality and operations of a current profile against a reference profile.
 *
 * What each test reads:
 * - counts (chi-square, Z-test, and the histogram distances on categorical or few-valued columns) are the
 *   exact counts of every row;
 * - Jensen–Shannon, PSI, Hellinger and L∞ on continuous numeric columns use the reference's fixed bins
 *   (quantile bins plus under- and over-range bins), counted over every row; Evidently bins the two
 *   samples together with Sturges' rule instead, which cannot be merged window by window;
 * - Kolmogorov–Smirnov and the normed Wasserstein distance use the uniform row samples (all rows when
 *   there are fewer than the sample size); the Wasserstein norm is the standard deviation of every
 *   reference row.
 * The default test for a column follows Evidently's rules (../drift/defaults.ts, REFERENCE §4).
 */
import { DRIFT_TESTS, isDrifted, LARGE_REFERENCE_ROWS, type DriftRule } from '../drift/defaults.js';
import {
  benjaminiHochberg, chiSquare, hellingerDistance, jensenShannonDistance, ksTwoSample, lInfinityDistance, psi, wassersteinDistance,
  zTest,
} from '../drift/stats.js';
import {
  binCount, binIndex, latencyQuantileMs, PREDICTION_COLUMN, sampleColumn, type CategoricalStats, type ColumnStats,
  type NumericStats, type ProfileStats, type RowSample,
} from './profile.js';

export type TestMethod = 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon' | 'psi' | 'hellinger' | 'linf';
export const TEST_METHODS: readonly TestMethod[] = ['ks', 'chisquare', 'z', 'wasserstein', 'jensenshannon', 'psi', 'hellinger', 'linf'];

interface TestRule {
  threshold: number;
  rule: DriftRule;
  pValue: boolean;
}

/** Threshold and comparison per method (Evidently's where it has the method). */
export const TEST_RULES: Readonly<Record<TestMethod, TestRule>> = {
  ks: { threshold: DRIFT_TESTS.ks.threshold, rule: DRIFT_TESTS.ks.rule, pValue: true },
  chisquare: { threshold: DRIFT_TESTS.chisquare.threshold, rule: DRIFT_TESTS.chisquare.rule, pValue: true },
  z: { threshold: DRIFT_TESTS.z.threshold, rule: DRIFT_TESTS.z.rule, pValue: true },
  wasserstein: { threshold: DRIFT_TESTS.wasserstein.threshold, rule: DRIFT_TESTS.wasserstein.rule, pValue: false },
  jensenshannon: { threshold: DRIFT_TESTS.jensenshannon.threshold, rule: DRIFT_TESTS.jensenshannon.rule, pValue: false },
  psi: { threshold: DRIFT_TESTS.psi.threshold, rule: DRIFT_TESTS.psi.rule, pValue: false },
  hellinger: { threshold: 0.1, rule: 'score>=', pValue: false },
  linf: { threshold: 0.1, rule: 'score>=', pValue: false },
};

export interface TestChoice {
  method: TestMethod;
  threshold?: number;
}

export interface DriftOptions {
  /** Per column (feature name, or PREDICTION_COLUMN for the output): the test to use instead of the default. */
  tests?: Record<string, TestChoice>;
  /** Benjamini–Hochberg adjustment of the p-values across the features before comparing with thresholds. */
  correction?: 'none' | 'bh';
  /** Dataset drift when at least this share of features drifted (Evidently: 0.5). */
  driftShare?: number;
  /** Feature weights for the importance-weighted drift share. */
  importance?: Record<string, number>;
}

export interface Histogram {
  labels: string[];
  /** Proportions per bin (each side sums to 1 over the rows with a value). */
  reference: number[];
  current: number[];
}

export interface ColumnDrift {
  kind: 'numeric' | 'categorical';
  test: TestMethod;
  /** The test's statistic: KS D, chi-square, z, or the distance. Null when the column has no current value. */
  statistic: number | null;
  pValue?: number;
  /** Benjamini–Hochberg adjusted p-value, when the correction is on. */
  adjustedPValue?: number;
  threshold: number;
  drifted: boolean;
  /** An effect size beside every p-value (KS D, Cohen's w, Cohen's h) and the standardised mean difference for numbers. */
  effectSize: { measure: string; value: number } | null;
  referenceRows: number;
  currentRows: number;
  /** Whether the default test was used (false: chosen in the settings). */
  defaultTest: boolean;
  /** How the statistic was computed: 'counts', 'bins', 'sample' (rows in the samples). */
  basis: string;
  histogram: Histogram | null;
}

export interface DriftReport {
  features: Record<string, ColumnDrift>;
  output: ColumnDrift | null;
  share: number;
  weightedShare: number | null;
  driftedFeatures: number;
  datasetDrift: boolean;
  /** Whether the importance-weighted share reaches the drift share (null without weights). */
  weightedDatasetDrift: boolean | null;
  correction: 'none' | 'bh';
}

export interface ReferenceInput {
  stats: ProfileStats;
  sample: RowSample;
  /** Bin edges per numeric column (the layout the reference's bins follow). */
  edges: Record<string, number[]>;
  layout: string;
}

export interface CurrentInput {
  stats: ProfileStats;
  sample: RowSample;
}

function valuesOf(st: ColumnStats): Record<string, number> | null {
  return st.kind === 'categorical' ? (st.overflow === 0 ? st.categories : null) : st.values;
}

function withValue(st: ColumnStats): number {
  return st.kind === 'numeric' ? st.n : st.count - st.missing - st.typeErrors;
}

/** Aligned counts over the union of keys (sorted as numbers when all keys are numbers). */
function alignCounts(a: Record<string, number>, b: Record<string, number>): { keys: string[]; ref: number[]; cur: number[] } {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const numeric = keys.every((k) => k !== '' && Number.isFinite(Number(k)));
  keys.sort(numeric ? (x, y) => Number(x) - Number(y) : undefined);
  return { keys, ref: keys.map((k) => a[k] ?? 0), cur: keys.map((k) => b[k] ?? 0) };
}

function proportions(counts: number[]): number[] {
  const s = counts.reduce((x, y) => x + y, 0);
  return counts.map((c) => (s === 0 ? 0 : c / s));
}

function binLabels(edges: number[]): string[] {
  const fmt = (x: number) => Number(x.toPrecision(4)).toString();
  if (edges.length === 1) return [`< ${fmt(edges[0]!)}`, `= ${fmt(edges[0]!)}`, `> ${fmt(edges[0]!)}`];
  const labels = [`< ${fmt(edges[0]!)}`];
  for (let i = 0; i + 1 < edges.length; i++) labels.push(`${fmt(edges[i]!)} – ${fmt(edges[i + 1]!)}`);
  labels.push(`> ${fmt(edges[edges.length - 1]!)}`);
  return labels;
}

function std(st: NumericStats): number {
  return st.n === 0 ? 0 : Math.sqrt(st.m2 / st.n);
}

/** Drift of one column. `ref` and `cur` must have the same kind. */
export function columnDrift(name: string, reference: ReferenceInput, current: CurrentInput, choice?: TestChoice): ColumnDrift | null {
  const ref = reference.stats.columns[name];
  const cur = current.stats.columns[name];
  if (!ref || !cur || ref.kind !== cur.kind) return null;
  const refValues = valuesOf(ref);
  const curValues = valuesOf(cur);
  const referenceRows = withValue(ref);
  const currentRows = withValue(cur);
  // Distinct values over reference ∪ current; many when either side has too many to count.
  const uniques = refValues && curValues ? new Set([...Object.keys(refValues), ...Object.keys(curValues)]).size : Number.POSITIVE_INFINITY;
  const fewValues = ref.kind === 'categorical' || uniques <= 5;
  let method: TestMethod;
  if (choice) method = choice.method;
  else if (referenceRows <= LARGE_REFERENCE_ROWS) method = fewValues ? (uniques > 2 ? 'chisquare' : 'z') : 'ks';
  else method = fewValues ? 'jensenshannon' : 'wasserstein';
  const rule = TEST_RULES[method];
  const threshold = choice?.threshold ?? rule.threshold;
  const result: ColumnDrift = {
    kind: ref.kind, test: method, statistic: null, threshold, drifted: false, effectSize: null, referenceRows, currentRows,
    defaultTest: !choice, basis: 'counts', histogram: null,
  };
  if (ref.kind === 'numeric' && cur.kind === 'numeric' && ref.n > 0 && cur.n > 0) {
    const s = std(ref);
    result.effectSize = { measure: 'smd', value: (cur.mean - ref.mean) / Math.max(s, 1e-12) };
  }
  // Histograms: per value when both sides were counted per value (Evidently's rule: ≤ 20 distinct values in
  // the reference), otherwise the reference's fixed bins.
  const discrete = ref.kind === 'categorical' ? refValues !== null && curValues !== null : refValues !== null && curValues !== null && Object.keys(refValues).length <= 20;
  let hist: { labels: string[]; ref: number[]; cur: number[]; basis: string } | null = null;
  if (discrete) {
    const a = alignCounts(refValues!, curValues!);
    hist = { labels: a.keys, ref: a.ref, cur: a.cur, basis: 'counts' };
  } else if (ref.kind === 'numeric' && cur.kind === 'numeric') {
    const edges = reference.edges[name];
    if (edges && ref.bins) {
      let curBins = current.stats.layout === reference.layout ? cur.bins : null;
      let basis = 'bins';
      if (!curBins) {
        // Folded before this reference existed: bin the current sample instead.
        curBins = new Array<number>(binCount(edges)).fill(0);
        for (const v of sampleColumn(current.sample, name)) if (Number.isFinite(v)) curBins[binIndex(edges, v)]!++;
        basis = 'sample';
      }
      hist = { labels: binLabels(edges), ref: ref.bins, cur: curBins, basis };
    }
  } else if (ref.kind === 'categorical' && cur.kind === 'categorical') {
    // More categories than kept: compare the kept ones plus one "(other)" bin.
    const a = alignCounts(ref.categories, cur.categories);
    hist = { labels: [...a.keys, '(other)'], ref: [...a.ref, ref.overflow], cur: [...a.cur, cur.overflow], basis: 'counts' };
  }
  if (hist) result.histogram = { labels: hist.labels, reference: proportions(hist.ref), current: proportions(hist.cur) };
  if (currentRows === 0 || referenceRows === 0) return result;

  switch (method) {
    case 'ks': {
      const r = ksTwoSample(sampleColumn(reference.sample, name), sampleColumn(current.sample, name));
      result.statistic = r.statistic;
      result.pValue = r.pvalue;
      result.effectSize = { measure: 'ks_d', value: r.statistic };
      result.basis = 'sample';
      break;
    }
    case 'wasserstein': {
      if (ref.kind !== 'numeric') throw new Error(`the Wasserstein distance needs a numeric column ('${name}' is categorical)`);
      result.statistic = wassersteinDistance(sampleColumn(reference.sample, name), sampleColumn(current.sample, name)) / Math.max(std(ref), 0.001);
      result.basis = 'sample';
      break;
    }
    case 'chisquare':
    case 'z': {
      if (!hist || hist.basis !== 'counts') throw new Error(`the ${method === 'z' ? 'Z-test' : 'chi-square test'} needs category counts ('${name}' has too many distinct values)`);
      if (method === 'z' && hist.ref.length > 2) throw new Error(`the Z-test needs at most two categories ('${name}' has ${hist.ref.length})`);
      const nRef = hist.ref.reduce((a, b) => a + b, 0);
      const nCur = hist.cur.reduce((a, b) => a + b, 0);
      if (method === 'chisquare') {
        const r = chiSquare(hist.cur, hist.ref.map((c) => (c * nCur) / nRef));
        result.statistic = r.statistic;
        result.pValue = r.pvalue;
        result.effectSize = { measure: 'cohens_w', value: Math.sqrt(r.statistic / nCur) };
      } else {
        const z = twoProportionZ(hist.ref, hist.cur);
        result.statistic = z.z;
        result.pValue = z.p;
        result.effectSize = { measure: 'cohens_h', value: z.h };
      }
      result.basis = 'counts';
      break;
    }
    default: {
      if (!hist) throw new Error(`no histogram for '${name}'`);
      const p = proportions(hist.ref);
      const q = proportions(hist.cur);
      result.statistic = method === 'jensenshannon' ? jensenShannonDistance(p, q, 2) : method === 'psi' ? psi(p, q) : method === 'hellinger' ? hellingerDistance(p, q) : lInfinityDistance(p, q);
      result.basis = hist.basis;
    }
  }
  const score = rule.pValue ? result.pValue! : result.statistic!;
  result.drifted = Number.isFinite(score) || score === Infinity ? isDrifted({ method: 'ks', threshold, rule: rule.rule }, score) : false;
  return result;
}

/** Evidently's two-proportion Z-test (indicator: the second category), with Cohen's h as its effect size. */
function twoProportionZ(ref: number[], cur: number[]): { z: number; p: number; h: number } {
  const p1 = (ref[1] ?? 0) / ref.reduce((a, b) => a + b, 0);
  const p2 = (cur[1] ?? 0) / cur.reduce((a, b) => a + b, 0);
  const { z, pvalue } = zTest(ref, cur);
  return { z, p: pvalue, h: 2 * Math.asin(Math.sqrt(p1)) - 2 * Math.asin(Math.sqrt(p2)) };
}

/** Drift of every feature and of the output, with the dataset-level share. */
export function driftReport(features: string[], reference: ReferenceInput, current: CurrentInput, options: DriftOptions = {}): DriftReport {
  const results: Record<string, ColumnDrift> = {};
  for (const f of features) {
    const r = columnDrift(f, reference, current, options.tests?.[f]);
    if (r) results[f] = r;
  }
  const correction = options.correction ?? 'none';
  if (correction === 'bh') {
    const withP = Object.entries(results).filter(([, r]) => r.pValue !== undefined);
    const adjusted = benjaminiHochberg(withP.map(([, r]) => r.pValue!));
    withP.forEach(([, r], i) => {
      r.adjustedPValue = adjusted[i]!;
      r.drifted = isDrifted({ method: 'ks', threshold: r.threshold, rule: TEST_RULES[r.test].rule }, r.adjustedPValue);
    });
  }
  const tested = Object.entries(results).filter(([, r]) => r.statistic !== null);
  const drifted = tested.filter(([, r]) => r.drifted);
  const share = tested.length === 0 ? 0 : drifted.length / tested.length;
  let weightedShare: number | null = null;
  if (options.importance) {
    let total = 0;
    let hit = 0;
    for (const [f, r] of tested) {
      const w = Math.max(0, options.importance[f] ?? 0);
      total += w;
      if (r.drifted) hit += w;
    }
    weightedShare = total > 0 ? hit / total : null;
  }
  return {
    features: results,
    output: columnDrift(PREDICTION_COLUMN, reference, current, options.tests?.[PREDICTION_COLUMN]),
    share,
    weightedShare,
    driftedFeatures: drifted.length,
    datasetDrift: tested.length > 0 && share >= (options.driftShare ?? 0.5),
    // The same rule on the importance-weighted share: drift in the features the model leans on.
    weightedDatasetDrift: weightedShare === null ? null : weightedShare >= (options.driftShare ?? 0.5),
    correction,
  };
}

export interface FeatureQuality {
  rows: number;
  missingRate: number;
  nonFiniteRate: number;
  typeErrorRate: number;
  outOfRangeRate: number | null;
  unseenCategoryRate: number | null;
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
}

export interface QualityReport {
  rows: number;
  missingRate: number;
  typeErrorRate: number;
  outOfRangeRate: number;
  unseenCategoryRate: number;
  rejected: number;
  rejectedRate: number;
  features: Record<string, FeatureQuality>;
}

/** Data quality of the current rows, measured against the reference's ranges and categories when there is one. */
export function qualityReport(features: string[], current: ProfileStats, reference: ProfileStats | null): QualityReport {
  const out: Record<string, FeatureQuality> = {};
  let cells = 0;
  let missing = 0;
  let typeErrors = 0;
  let outOfRange = 0;
  let numericValues = 0;
  let unseen = 0;
  let categoricalValues = 0;
  for (const f of features) {
    const c = current.columns[f];
    if (!c) continue;
    const r = reference?.columns[f];
    const q: FeatureQuality = {
      rows: c.count, missingRate: rate(c.missing, c.count), nonFiniteRate: c.kind === 'numeric' ? rate(c.nonFinite, c.count) : 0,
      typeErrorRate: rate(c.typeErrors, c.count), outOfRangeRate: null, unseenCategoryRate: null, min: null, max: null, mean: null, std: null,
    };
    cells += c.count;
    missing += c.missing;
    typeErrors += c.typeErrors;
    if (c.kind === 'numeric') {
      q.min = c.min;
      q.max = c.max;
      q.mean = c.n ? c.mean : null;
      q.std = c.n ? Math.sqrt(c.m2 / c.n) : null;
      if (r && r.kind === 'numeric' && r.min !== null && r.max !== null) {
        const n = outOfRangeCount(c, r, current.layout === reference!.layout);
        q.outOfRangeRate = rate(n, c.n);
        outOfRange += n;
        numericValues += c.n;
      }
    } else if (r && r.kind === 'categorical') {
      let u = 0;
      for (const [k, v] of Object.entries(c.categories)) if (r.categories[k] === undefined && r.overflow === 0) u += v;
      const values = c.count - c.missing - c.typeErrors;
      q.unseenCategoryRate = rate(u, values);
      unseen += u;
      categoricalValues += values;
    }
    out[f] = q;
  }
  const requests = current.rows + current.ops.rejected;
  return {
    rows: current.rows,
    missingRate: rate(missing, cells),
    typeErrorRate: rate(typeErrors, cells),
    outOfRangeRate: rate(outOfRange, numericValues),
    unseenCategoryRate: rate(unseen, categoricalValues),
    rejected: current.ops.rejected,
    rejectedRate: rate(current.ops.rejected, requests),
    features: out,
  };
}

/**
 * Values outside the reference's [min, max]: exact from the under/over bins when the current stats follow
 * the reference's layout, otherwise known only when the whole current range is inside (0) .
 */
function outOfRangeCount(c: NumericStats, r: NumericStats, sameLayout: boolean): number {
  if (sameLayout && c.bins) return c.bins[0]! + c.bins[c.bins.length - 1]!;
  if (c.values) {
    let n = 0;
    for (const [k, v] of Object.entries(c.values)) if (Number(k) < r.min! || Number(k) > r.max!) n += v;
    return n;
  }
  if (c.min !== null && c.max !== null && c.min >= r.min! && c.max <= r.max!) return 0;
  // Not counted exactly; the reference-binned counts are the only exact source.
  return 0;
}

function rate(n: number, d: number): number {
  return d === 0 ? 0 : n / d;
}

export interface OperationsReport {
  count: number;
  errors: number;
  rejected: number;
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  throughputPerS: number | null;
}

/** Throughput, failures and latency percentiles (from the ~1 % latency buckets). */
export function operationsReport(stats: ProfileStats, seconds: number | null): OperationsReport {
  const failures = stats.ops.errors + stats.ops.rejected;
  return {
    count: stats.rows,
    errors: stats.ops.errors,
    rejected: stats.ops.rejected,
    errorRate: rate(failures, stats.rows + failures),
    p50Ms: latencyQuantileMs(stats.ops.latency, 0.5),
    p95Ms: latencyQuantileMs(stats.ops.latency, 0.95),
    p99Ms: latencyQuantileMs(stats.ops.latency, 0.99),
    throughputPerS: seconds && seconds > 0 ? stats.rows / seconds : null,
  };
}

export type { CategoricalStats };
