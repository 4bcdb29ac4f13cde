/**
 * Metric thresholds for promotion gates, with MLflow's `MetricThreshold` semantics (REFERENCE §5;
 * mlflow/models/evaluation/validation.py): a candidate model's metrics are checked against absolute
 * thresholds and, optionally, against a baseline model's metrics.
 *
 * For each metric with a threshold spec (greaterIsBetter is required; at least one of the three rules):
 * - threshold: candidate ≥ threshold when greater is better, candidate ≤ threshold otherwise;
 * - minAbsoluteChange δ (> 0): candidate ≥ baseline + δ (greater is better) or ≤ baseline − δ;
 * - minRelativeChange r (in [0, 1]): fails when (candidate − baseline) / baseline < r (greater is better)
 *   or (baseline − candidate) / baseline < r (lower is better). As in MLflow the division is by the signed
 *   baseline, so with a negative baseline the sign of the relative change flips. With a zero baseline the
 *   relative change is undefined and the rule falls back to "better by at least 1e-10": candidate ≥
 *   1e-10 (or ≤ −1e-10).
 * - A metric missing from the candidate fails (and nothing else is checked for it). A metric missing from
 *   the baseline (or with no baseline at all) fails only when a change rule (minAbsoluteChange or
 *   minRelativeChange) is set; its threshold rule is still checked. A value of null, undefined or NaN
 *   counts as missing. Unlike MLflow (which tests the rules' truthiness), minRelativeChange = 0 counts
 *   as set.
 * - Comparisons are plain float64 comparisons, like MLflow's (its Decimal conversions are exact), so
 *   a bound such as baseline + δ is the float sum.
 *
 * Every failure of every metric is reported, each as a sentence naming the metric and the numbers, and
 * the gate passes only when no metric fails.
 */

export interface MetricThreshold {
  greaterIsBetter: boolean;
  /** Candidate ≥ threshold (greater is better) or ≤ threshold. */
  threshold?: number;
  /** Required improvement over the baseline, in the metric's units; > 0. */
  minAbsoluteChange?: number;
  /** Required improvement as a fraction of the baseline, in [0, 1]. */
  minRelativeChange?: number;
}

export type MetricValues = Record<string, number | null | undefined>;

export interface MetricCheck {
  metric: string;
  passed: boolean;
  /** The candidate's value, null when missing. */
  candidate: number | null;
  /** The baseline's value, null when missing or when there is no baseline. */
  baseline: number | null;
  /** One plain sentence per failed rule; empty when the metric passed. */
  reasons: string[];
}

export interface ThresholdReport {
  passed: boolean;
  results: MetricCheck[];
}

/** Below this change, a zero baseline counts as not improved on (MLflow's fallback). */
export const ZERO_BASELINE_MIN_CHANGE = 1e-10;

const SPEC_KEYS = new Set(['greaterIsBetter', 'threshold', 'minAbsoluteChange', 'minRelativeChange']);

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * Validates a threshold spec read from JSON: `{ greaterIsBetter, threshold?, minAbsoluteChange?,
 * minRelativeChange? }` (null counts as absent). Throws an Error whose message starts with `field`.
 */
export function parseMetricThreshold(field: string, value: unknown): MetricThreshold {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${field}: a metric threshold must be an object with greaterIsBetter and at least one of threshold, minAbsoluteChange, minRelativeChange, not ${describe(value)}`);
  }
  const spec = value as Record<string, unknown>;
  for (const key of Object.keys(spec)) {
    if (!SPEC_KEYS.has(key)) throw new Error(`${field}: unknown key ${JSON.stringify(key)} (expected greaterIsBetter, threshold, minAbsoluteChange, minRelativeChange)`);
  }
  const { greaterIsBetter, threshold, minAbsoluteChange, minRelativeChange } = spec;
  if (greaterIsBetter === undefined || greaterIsBetter === null) throw new Error(`${field}: greaterIsBetter is required (true or false)`);
  if (typeof greaterIsBetter !== 'boolean') throw new Error(`${field}: greaterIsBetter must be true or false, not ${describe(greaterIsBetter)}`);
  const result: MetricThreshold = { greaterIsBetter };
  if (threshold !== undefined && threshold !== null) {
    if (typeof threshold !== 'number' || !Number.isFinite(threshold)) throw new Error(`${field}: threshold must be a finite number, not ${describe(threshold)}`);
    result.threshold = threshold;
  }
  if (minAbsoluteChange !== undefined && minAbsoluteChange !== null) {
    if (typeof minAbsoluteChange !== 'number' || !Number.isFinite(minAbsoluteChange) || !(minAbsoluteChange > 0)) {
      throw new Error(`${field}: minAbsoluteChange must be a finite number greater than 0, not ${describe(minAbsoluteChange)}`);
    }
    result.minAbsoluteChange = minAbsoluteChange;
  }
  if (minRelativeChange !== undefined && minRelativeChange !== null) {
    if (typeof minRelativeChange !== 'number' || !(minRelativeChange >= 0 && minRelativeChange <= 1)) {
      throw new Error(`${field}: minRelativeChange must be a number between 0 and 1, not ${describe(minRelativeChange)}`);
    }
    result.minRelativeChange = minRelativeChange;
  }
  if (result.threshold === undefined && result.minAbsoluteChange === undefined && result.minRelativeChange === undefined) {
    throw new Error(`${field}: no rule given: set at least one of threshold, minAbsoluteChange, minRelativeChange`);
  }
  return result;
}

/** A usable metric value, or null (missing, null, NaN or not a number). */
function valueOf(metrics: MetricValues | null, metric: string): number | null {
  if (metrics === null || !Object.prototype.hasOwnProperty.call(metrics, metric)) return null;
  const v = metrics[metric];
  return typeof v === 'number' && !Number.isNaN(v) ? v : null;
}

function missingWord(metrics: MetricValues | null, metric: string): string {
  if (metrics === null || !Object.prototype.hasOwnProperty.call(metrics, metric)) return 'missing from';
  const v = metrics[metric];
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN in';
  return v === null || v === undefined ? `${String(v)} in` : 'not a number in';
}

function checkOne(metric: string, spec: MetricThreshold, candidateMetrics: MetricValues, baselineMetrics: MetricValues | null): MetricCheck {
  const candidate = valueOf(candidateMetrics, metric);
  const baseline = valueOf(baselineMetrics, metric);
  const reasons: string[] = [];
  const result = (): MetricCheck => ({ metric, passed: reasons.length === 0, candidate, baseline, reasons });
  if (candidate === null) {
    reasons.push(`${metric} is ${missingWord(candidateMetrics, metric)} the candidate's metrics`);
    return result();
  }
  const gib = spec.greaterIsBetter;
  const better = (a: number, b: number) => (gib ? a >= b : a <= b);
  const direction = gib ? 'greater is better' : 'lower is better';
  const op = gib ? '≥' : '≤';

  if (spec.threshold !== undefined && !better(candidate, spec.threshold)) {
    reasons.push(`${metric} = ${candidate} is ${gib ? 'below' : 'above'} the threshold ${spec.threshold} (${direction}: it must be ${op} ${spec.threshold})`);
  }

  const changeRule = spec.minAbsoluteChange !== undefined || spec.minRelativeChange !== undefined;
  if (!changeRule) return result();
  if (baseline === null) {
    reasons.push(
      baselineMetrics === null
        ? `${metric} cannot be compared with a baseline: there is no baseline model`
        : `${metric} cannot be compared with the baseline: it is ${missingWord(baselineMetrics, metric)} the baseline's metrics`,
    );
    return result();
  }

  if (spec.minAbsoluteChange !== undefined) {
    const delta = spec.minAbsoluteChange;
    const bound = gib ? baseline + delta : baseline - delta;
    if (!better(candidate, bound)) {
      reasons.push(`${metric} = ${candidate} does not ${gib ? 'exceed' : 'undercut'} the baseline ${baseline} by the minimum absolute change ${delta} (${direction}: it must be ${op} ${bound})`);
    }
  }

  if (spec.minRelativeChange !== undefined) {
    const r = spec.minRelativeChange;
    if (baseline === 0) {
      const bound = gib ? ZERO_BASELINE_MIN_CHANGE : -ZERO_BASELINE_MIN_CHANGE;
      if (!better(candidate, bound)) {
        reasons.push(`${metric} = ${candidate} is not better than the baseline 0; with a zero baseline the relative change is undefined, so the candidate must be ${op} ${bound} (${direction})`);
      }
    } else {
      const change = gib ? (candidate - baseline) / baseline : (baseline - candidate) / baseline;
      if (change < r) {
        const formula = gib ? `(${candidate} − ${baseline}) / ${baseline}` : `(${baseline} − ${candidate}) / ${baseline}`;
        reasons.push(`${metric} = ${candidate} against the baseline ${baseline}: the relative change ${formula} = ${change} is below the minimum relative change ${r} (${direction})`);
      }
    }
  }
  return result();
}

/**
 * Checks the candidate's metrics (and the baseline's, if any) against every threshold spec; see the
 * file comment for the rules. Specs are validated first (an invalid one throws, naming the metric).
 */
export function checkThresholds(candidate: MetricValues, baseline: MetricValues | null, thresholds: Record<string, MetricThreshold>): ThresholdReport {
  if (typeof candidate !== 'object' || candidate === null) throw new Error('checkThresholds: the candidate metrics must be an object of metric name → value');
  if (baseline !== null && typeof baseline !== 'object') throw new Error('checkThresholds: the baseline metrics must be an object of metric name → value, or null');
  if (typeof thresholds !== 'object' || thresholds === null) throw new Error('checkThresholds: the thresholds must be an object of metric name → threshold spec');
  const results: MetricCheck[] = [];
  for (const [metric, raw] of Object.entries(thresholds)) {
    const spec = parseMetricThreshold(`thresholds.${metric}`, raw);
    results.push(checkOne(metric, spec, candidate, baseline));
  }
  return { passed: results.every((r) => r.passed), results };
}
