import { describe, expect, it } from 'vitest';
import { checkThresholds, parseMetricThreshold, type MetricThreshold, type MetricValues } from './metric-threshold.js';

// Values are dyadic fractions (0.25, 0.125, ...) so that every sum and quotient below is exact in float64
// and the boundary cases (equal to the bound) are really equal.
interface Case {
  name: string;
  spec: MetricThreshold;
  candidate: MetricValues;
  baseline: MetricValues | null;
  /** Expected number of failure reasons (0 = passes). */
  failures: number;
  /** Substrings the (joined) reasons must contain. */
  mentions?: string[];
}

const GIB = true;
const LIB = false;
const cases: Case[] = [
  // threshold, greater is better: 0.75 ≥ 0.75 → pass (the bound itself passes).
  { name: 'threshold met exactly', spec: { greaterIsBetter: GIB, threshold: 0.75 }, candidate: { m: 0.75 }, baseline: null, failures: 0 },
  // 0.5 ≥ 0.75 is false → fail.
  { name: 'threshold missed', spec: { greaterIsBetter: GIB, threshold: 0.75 }, candidate: { m: 0.5 }, baseline: null, failures: 1, mentions: ['m = 0.5', 'below the threshold 0.75', '≥ 0.75'] },
  // lower is better mirror: 0.25 ≤ 0.5 → pass; 0.75 ≤ 0.5 false → fail.
  { name: 'lower-is-better threshold met', spec: { greaterIsBetter: LIB, threshold: 0.5 }, candidate: { m: 0.25 }, baseline: null, failures: 0 },
  { name: 'lower-is-better threshold missed', spec: { greaterIsBetter: LIB, threshold: 0.5 }, candidate: { m: 0.75 }, baseline: null, failures: 1, mentions: ['m = 0.75', 'above the threshold 0.5', '≤ 0.5'] },
  // absolute change, greater: bound = 0.75 + 0.125 = 0.875; 0.875 ≥ 0.875 → pass; 0.8125 < 0.875 → fail.
  { name: 'absolute change met exactly', spec: { greaterIsBetter: GIB, minAbsoluteChange: 0.125 }, candidate: { m: 0.875 }, baseline: { m: 0.75 }, failures: 0 },
  { name: 'absolute change missed', spec: { greaterIsBetter: GIB, minAbsoluteChange: 0.125 }, candidate: { m: 0.8125 }, baseline: { m: 0.75 }, failures: 1, mentions: ['m = 0.8125', 'baseline 0.75', '0.125', '≥ 0.875'] },
  // absolute change, lower: bound = 0.5 − 0.25 = 0.25; 0.25 ≤ 0.25 → pass; 0.375 ≤ 0.25 false → fail.
  { name: 'lower-is-better absolute change met', spec: { greaterIsBetter: LIB, minAbsoluteChange: 0.25 }, candidate: { m: 0.25 }, baseline: { m: 0.5 }, failures: 0 },
  { name: 'lower-is-better absolute change missed', spec: { greaterIsBetter: LIB, minAbsoluteChange: 0.25 }, candidate: { m: 0.375 }, baseline: { m: 0.5 }, failures: 1, mentions: ['m = 0.375', 'baseline 0.5', '≤ 0.25'] },
  // an equal candidate never meets an absolute change (δ > 0): 0.5 ≥ 0.5 + 0.25 false → fail.
  { name: 'no improvement fails an absolute change', spec: { greaterIsBetter: GIB, minAbsoluteChange: 0.25 }, candidate: { m: 0.5 }, baseline: { m: 0.5 }, failures: 1 },
  // relative change, greater: (0.625 − 0.5) / 0.5 = 0.25 ≥ 0.25 → pass; (0.5625 − 0.5) / 0.5 = 0.125 < 0.25 → fail.
  { name: 'relative change met exactly', spec: { greaterIsBetter: GIB, minRelativeChange: 0.25 }, candidate: { m: 0.625 }, baseline: { m: 0.5 }, failures: 0 },
  { name: 'relative change missed', spec: { greaterIsBetter: GIB, minRelativeChange: 0.25 }, candidate: { m: 0.5625 }, baseline: { m: 0.5 }, failures: 1, mentions: ['(0.5625 − 0.5) / 0.5 = 0.125', 'minimum relative change 0.25'] },
  // relative change, lower: (0.5 − 0.375) / 0.5 = 0.25 ≥ 0.25 → pass; (0.5 − 0.4375) / 0.5 = 0.125 < 0.25 → fail.
  { name: 'lower-is-better relative change met', spec: { greaterIsBetter: LIB, minRelativeChange: 0.25 }, candidate: { m: 0.375 }, baseline: { m: 0.5 }, failures: 0 },
  { name: 'lower-is-better relative change missed', spec: { greaterIsBetter: LIB, minRelativeChange: 0.25 }, candidate: { m: 0.4375 }, baseline: { m: 0.5 }, failures: 1, mentions: ['(0.5 − 0.4375) / 0.5 = 0.125'] },
  // r = 0 is a no-regression gate: (0.5 − 0.5) / 0.5 = 0 ≥ 0 → pass; (0.4375 − 0.5) / 0.5 = −0.125 < 0 → fail.
  { name: 'relative change 0 with an equal candidate', spec: { greaterIsBetter: GIB, minRelativeChange: 0 }, candidate: { m: 0.5 }, baseline: { m: 0.5 }, failures: 0 },
  { name: 'relative change 0 with a regression', spec: { greaterIsBetter: GIB, minRelativeChange: 0 }, candidate: { m: 0.4375 }, baseline: { m: 0.5 }, failures: 1 },
  // zero baseline, greater: r is ignored, candidate ≥ 0 + 1e-10 needed. 1e-10 → pass (even with r = 1);
  // 5e-11 < 1e-10 → fail; 0 → fail; 0.25 → pass.
  { name: 'zero baseline, change of exactly 1e-10', spec: { greaterIsBetter: GIB, minRelativeChange: 1 }, candidate: { m: 1e-10 }, baseline: { m: 0 }, failures: 0 },
  { name: 'zero baseline, change below 1e-10', spec: { greaterIsBetter: GIB, minRelativeChange: 0.25 }, candidate: { m: 5e-11 }, baseline: { m: 0 }, failures: 1, mentions: ['baseline 0', '≥ 1e-10', 'm = 5e-11'] },
  { name: 'zero baseline, no change', spec: { greaterIsBetter: GIB, minRelativeChange: 0 }, candidate: { m: 0 }, baseline: { m: 0 }, failures: 1 },
  { name: 'zero baseline, clear improvement', spec: { greaterIsBetter: GIB, minRelativeChange: 0.5 }, candidate: { m: 0.25 }, baseline: { m: 0 }, failures: 0 },
  // zero baseline, lower: candidate ≤ 0 − 1e-10 needed. −1e-10 → pass; 0 → fail; −5e-11 → fail.
  { name: 'lower-is-better zero baseline improved', spec: { greaterIsBetter: LIB, minRelativeChange: 0.5 }, candidate: { m: -1e-10 }, baseline: { m: 0 }, failures: 0 },
  { name: 'lower-is-better zero baseline not improved', spec: { greaterIsBetter: LIB, minRelativeChange: 0.5 }, candidate: { m: -5e-11 }, baseline: { m: 0 }, failures: 1, mentions: ['≤ -1e-10'] },
  // negative baseline (MLflow divides by the signed baseline): (−0.25 − (−0.5)) / (−0.5) = −0.5 < 0.25 → fail,
  // although −0.25 is better than −0.5; (−0.75 − (−0.5)) / (−0.5) = 0.5 ≥ 0.25 → pass, although worse.
  { name: 'negative baseline, better candidate (MLflow semantics)', spec: { greaterIsBetter: GIB, minRelativeChange: 0.25 }, candidate: { m: -0.25 }, baseline: { m: -0.5 }, failures: 1 },
  { name: 'negative baseline, worse candidate (MLflow semantics)', spec: { greaterIsBetter: GIB, minRelativeChange: 0.25 }, candidate: { m: -0.75 }, baseline: { m: -0.5 }, failures: 0 },
  // missing from the candidate: fails with one reason, even though the baseline and threshold are there.
  { name: 'missing candidate', spec: { greaterIsBetter: GIB, threshold: 0.5, minAbsoluteChange: 0.25 }, candidate: { other: 1 }, baseline: { m: 0.5 }, failures: 1, mentions: ['m is missing from the candidate'] },
  { name: 'null candidate', spec: { greaterIsBetter: GIB, threshold: 0.5 }, candidate: { m: null }, baseline: null, failures: 1, mentions: ['m is null in the candidate'] },
  { name: 'undefined candidate', spec: { greaterIsBetter: GIB, threshold: 0.5 }, candidate: { m: undefined }, baseline: null, failures: 1, mentions: ['m is undefined in the candidate'] },
  { name: 'NaN candidate', spec: { greaterIsBetter: LIB, threshold: 0.5 }, candidate: { m: NaN }, baseline: null, failures: 1, mentions: ['m is NaN in the candidate'] },
  // missing from the baseline with only a threshold: not needed → 0.75 ≥ 0.5 passes.
  { name: 'missing baseline, threshold only', spec: { greaterIsBetter: GIB, threshold: 0.5 }, candidate: { m: 0.75 }, baseline: { other: 0.5 }, failures: 0 },
  // missing from the baseline with a change rule: fails; threshold 0.75 ≥ 0.5 passes → 1 reason.
  { name: 'missing baseline, change rule', spec: { greaterIsBetter: GIB, threshold: 0.5, minRelativeChange: 0.25 }, candidate: { m: 0.75 }, baseline: { other: 0.5 }, failures: 1, mentions: ['missing from the baseline'] },
  // r = 0 counts as a change rule (MLflow's truthiness test would not): missing baseline fails.
  { name: 'missing baseline, relative change 0', spec: { greaterIsBetter: GIB, minRelativeChange: 0 }, candidate: { m: 0.75 }, baseline: {}, failures: 1 },
  { name: 'NaN baseline, change rule', spec: { greaterIsBetter: GIB, minAbsoluteChange: 0.25 }, candidate: { m: 0.75 }, baseline: { m: NaN }, failures: 1, mentions: ['NaN in the baseline'] },
  // no baseline model at all + change rule → fails; threshold 0.25 ≥ 0.5 also fails → 2 reasons.
  { name: 'no baseline model, change rule and failed threshold', spec: { greaterIsBetter: GIB, threshold: 0.5, minAbsoluteChange: 0.25 }, candidate: { m: 0.25 }, baseline: null, failures: 2, mentions: ['below the threshold 0.5', 'there is no baseline model'] },
  // every rule fails at once, lower is better: 0.75 ≤ 0.5 false; 0.75 ≤ 0.5 − 0.125 = 0.375 false;
  // (0.5 − 0.75) / 0.5 = −0.5 < 0.25 → 3 reasons.
  { name: 'all three rules fail', spec: { greaterIsBetter: LIB, threshold: 0.5, minAbsoluteChange: 0.125, minRelativeChange: 0.25 }, candidate: { m: 0.75 }, baseline: { m: 0.5 }, failures: 3, mentions: ['threshold 0.5', '≤ 0.375', '(0.5 − 0.75) / 0.5 = -0.5'] },
  // every rule passes at once: 0.25 ≤ 0.5; 0.25 ≤ 0.375; (0.5 − 0.25) / 0.5 = 0.5 ≥ 0.25.
  { name: 'all three rules pass', spec: { greaterIsBetter: LIB, threshold: 0.5, minAbsoluteChange: 0.125, minRelativeChange: 0.25 }, candidate: { m: 0.25 }, baseline: { m: 0.5 }, failures: 0 },
];

describe('checkThresholds: one metric, every rule and edge', () => {
  it.each(cases)('$name', ({ spec, candidate, baseline, failures, mentions }) => {
    const report = checkThresholds(candidate, baseline, { m: spec });
    expect(report.results).toHaveLength(1);
    const r = report.results[0]!;
    expect(r.metric).toBe('m');
    expect(r.reasons).toHaveLength(failures);
    expect(r.passed).toBe(failures === 0);
    expect(report.passed).toBe(failures === 0);
    for (const reason of r.reasons) expect(reason).toMatch(/^m\b/);
    const text = r.reasons.join('\n');
    for (const m of mentions ?? []) expect(text).toContain(m);
  });
});

describe('checkThresholds: several metrics', () => {
  it('reports every failure of every metric, in the thresholds order, with the values', () => {
    const report = checkThresholds(
      { accuracy: 0.75, log_loss: 0.5, f1: 0.5 },
      { accuracy: 0.625, log_loss: 0.25, f1: 0.25 },
      {
        // 0.75 ≥ 0.5 and 0.75 ≥ 0.625 + 0.0625 = 0.6875 → passes.
        accuracy: { greaterIsBetter: true, threshold: 0.5, minAbsoluteChange: 0.0625 },
        // 0.5 ≤ 0.25 false → threshold fails; (0.25 − 0.5) / 0.25 = −1 < 0 → relative fails.
        log_loss: { greaterIsBetter: false, threshold: 0.25, minRelativeChange: 0 },
        // recall is absent from the candidate → fails.
        recall: { greaterIsBetter: true, threshold: 0.5 },
        // (0.5 − 0.25) / 0.25 = 1 ≥ 1 → passes.
        f1: { greaterIsBetter: true, minRelativeChange: 1 },
      },
    );
    expect(report.passed).toBe(false);
    expect(report.results.map((r) => [r.metric, r.passed, r.reasons.length])).toEqual([
      ['accuracy', true, 0],
      ['log_loss', false, 2],
      ['recall', false, 1],
      ['f1', true, 0],
    ]);
    expect(report.results[1]).toMatchObject({ candidate: 0.5, baseline: 0.25 });
    expect(report.results[2]).toMatchObject({ candidate: null, baseline: null });
    expect(report.results[1]!.reasons[1]).toContain('(0.25 − 0.5) / 0.25 = -1');
  });

  it('passes with no thresholds and ignores metrics without a spec', () => {
    expect(checkThresholds({ a: 0 }, null, {})).toEqual({ passed: true, results: [] });
  });

  it('validates the specs it is given, naming the metric', () => {
    expect(() => checkThresholds({ a: 1 }, null, { a: { greaterIsBetter: true } })).toThrow(/^thresholds\.a: no rule given/);
    expect(() => checkThresholds({ a: 1 }, null, { a: { greaterIsBetter: true, minAbsoluteChange: -1 } })).toThrow(/^thresholds\.a: minAbsoluteChange/);
  });
});

describe('parseMetricThreshold', () => {
  it('accepts a full spec and treats null as absent', () => {
    expect(parseMetricThreshold('f', { greaterIsBetter: false, threshold: -2, minAbsoluteChange: 0.5, minRelativeChange: 0 })).toEqual({ greaterIsBetter: false, threshold: -2, minAbsoluteChange: 0.5, minRelativeChange: 0 });
    expect(parseMetricThreshold('f', { greaterIsBetter: true, threshold: null, minRelativeChange: 1 })).toEqual({ greaterIsBetter: true, minRelativeChange: 1 });
  });

  const bad: [string, unknown, RegExp][] = [
    ['not an object', 0.5, /^gate\.auc: a metric threshold must be an object.*not 0\.5$/],
    ['null', null, /^gate\.auc: .*not null$/],
    ['an array', [1], /^gate\.auc: .*not an array$/],
    ['no greaterIsBetter', { threshold: 0.5 }, /^gate\.auc: greaterIsBetter is required/],
    ['a string greaterIsBetter', { greaterIsBetter: 'yes', threshold: 0.5 }, /^gate\.auc: greaterIsBetter must be true or false, not "yes"$/],
    ['a string threshold', { greaterIsBetter: true, threshold: '0.5' }, /^gate\.auc: threshold must be a finite number, not "0\.5"$/],
    ['an infinite threshold', { greaterIsBetter: true, threshold: Infinity }, /^gate\.auc: threshold must be a finite number, not Infinity$/],
    ['a zero absolute change', { greaterIsBetter: true, minAbsoluteChange: 0 }, /^gate\.auc: minAbsoluteChange must be a finite number greater than 0, not 0$/],
    ['a negative absolute change', { greaterIsBetter: true, minAbsoluteChange: -0.1 }, /^gate\.auc: minAbsoluteChange .* not -0\.1$/],
    ['a relative change above 1', { greaterIsBetter: true, minRelativeChange: 1.5 }, /^gate\.auc: minRelativeChange must be a number between 0 and 1, not 1\.5$/],
    ['a negative relative change', { greaterIsBetter: true, minRelativeChange: -0.1 }, /^gate\.auc: minRelativeChange .* not -0\.1$/],
    ['a NaN relative change', { greaterIsBetter: true, minRelativeChange: NaN }, /^gate\.auc: minRelativeChange .* not NaN$/],
    ['no rule', { greaterIsBetter: true }, /^gate\.auc: no rule given/],
    ['only null rules', { greaterIsBetter: true, threshold: null, minAbsoluteChange: null }, /^gate\.auc: no rule given/],
    ['an unknown key (typo)', { greaterIsBetter: true, threshold: 0.5, treshold: 0.6 }, /^gate\.auc: unknown key "treshold"/],
    ['a snake_case key', { greater_is_better: true, threshold: 0.5 }, /^gate\.auc: unknown key "greater_is_better"/],
  ];
  it.each(bad)('rejects %s, naming the field', (_name, value, message) => {
    expect(() => parseMetricThreshold('gate.auc', value)).toThrow(message);
  });
});
