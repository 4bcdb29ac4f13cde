import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { demographicParityDifference, demographicParityRatio, equalizedOddsDifference, equalOpportunityDifference, fairnessReport, groupRates } from './fairness.js';

// From test/fixtures/governance/make_fixtures.py: scikit-learn LogisticRegression (liblinear) on the Boston
// HMDA data, test-split labels, decisions (P(deny) ≥ 0.5) and the afam group, with the rates computed by numpy.
interface Fixture {
  labels: number[];
  decisions: number[];
  groups: string[];
  rates: { group: string; count: number; selectionRate: number; truePositiveRate: number | null; falsePositiveRate: number | null; accuracy: number }[];
  demographicParityDifference: number;
  demographicParityRatio: number;
  equalOpportunityDifference: number;
  equalizedOddsDifference: number;
}
const fixture = JSON.parse(readFileSync(new URL('../../../test/fixtures/governance/hmda-fairness.json', import.meta.url), 'utf8')) as Fixture;
const TOL = 1e-12;

describe('fairness on HMDA denials by afam (numpy reference)', () => {
  const { labels, decisions, groups } = fixture;

  it('has a usable fixture: both groups, denials predicted in both', () => {
    expect(labels.length).toBe(714);
    expect(new Set(groups)).toEqual(new Set(['no', 'yes']));
    expect(fixture.rates.every((r) => r.selectionRate > 0)).toBe(true);
  });

  it('matches the per-group rates', () => {
    const rates = groupRates(labels, decisions, groups);
    expect(rates.map((r) => r.group)).toEqual(fixture.rates.map((r) => r.group));
    rates.forEach((r, k) => {
      const e = fixture.rates[k]!;
      expect(r.count).toBe(e.count);
      expect(r.positives + r.negatives).toBe(e.count);
      expect(Math.abs(r.selectionRate - e.selectionRate)).toBeLessThanOrEqual(TOL);
      expect(Math.abs(r.truePositiveRate! - e.truePositiveRate!)).toBeLessThanOrEqual(TOL);
      expect(Math.abs(r.falsePositiveRate! - e.falsePositiveRate!)).toBeLessThanOrEqual(TOL);
      expect(Math.abs(r.accuracy - e.accuracy)).toBeLessThanOrEqual(TOL);
    });
  });

  it('matches the four differences', () => {
    expect(Math.abs(demographicParityDifference(labels, decisions, groups) - fixture.demographicParityDifference)).toBeLessThanOrEqual(TOL);
    expect(Math.abs(demographicParityRatio(labels, decisions, groups)! - fixture.demographicParityRatio)).toBeLessThanOrEqual(TOL);
    expect(Math.abs(equalOpportunityDifference(labels, decisions, groups)! - fixture.equalOpportunityDifference)).toBeLessThanOrEqual(TOL);
    expect(Math.abs(equalizedOddsDifference(labels, decisions, groups)! - fixture.equalizedOddsDifference)).toBeLessThanOrEqual(TOL);
  });

  it('gives the same answer with numeric group codes', () => {
    const codes = groups.map((g) => (g === 'yes' ? 1 : 0));
    const byName = fairnessReport(labels, decisions, groups);
    const byCode = fairnessReport(labels, decisions, codes);
    expect(byCode.groups.map((g) => g.group)).toEqual([0, 1]);
    expect({ ...byCode, groups: null }).toEqual({ ...byName, groups: null });
  });
});

describe('fairness, closed form', () => {
  // Group a (4 rows): y = 1 1 0 0, ŷ = 1 0 1 0 → selection 2/4, TPR 1/2, FPR 1/2, accuracy 2/4.
  // Group b (4 rows): y = 1 1 1 0, ŷ = 1 1 1 1 → selection 4/4, TPR 3/3, FPR 1/1, accuracy 3/4.
  // Group 7 (2 rows): y = 0 0,     ŷ = 0 0     → selection 0, TPR undefined, FPR 0, accuracy 1.
  // DP difference = 1 − 0 = 1; DP ratio = 0 / 1 = 0; EO difference over a, b = 1 − 1/2 = 1/2;
  // FPR difference = 1 − 0 = 1 → equalized odds = max(1/2, 1) = 1.
  const y = [1, 1, 0, 0, 1, 1, 1, 0, 0, 0];
  const p = [1, 0, 1, 0, 1, 1, 1, 1, 0, 0];
  const g = ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'b', 7, 7];

  it('computes every rate, numbers before strings, null where undefined', () => {
    expect(groupRates(y, p, g)).toEqual([
      { group: 7, count: 2, positives: 0, negatives: 2, selectionRate: 0, truePositiveRate: null, falsePositiveRate: 0, accuracy: 1 },
      { group: 'a', count: 4, positives: 2, negatives: 2, selectionRate: 0.5, truePositiveRate: 0.5, falsePositiveRate: 0.5, accuracy: 0.5 },
      { group: 'b', count: 4, positives: 3, negatives: 1, selectionRate: 1, truePositiveRate: 1, falsePositiveRate: 1, accuracy: 0.75 },
    ]);
  });

  it('computes the differences, skipping undefined rates', () => {
    const r = fairnessReport(y, p, g);
    expect(r.demographicParityDifference).toBe(1);
    expect(r.demographicParityRatio).toBe(0);
    expect(r.equalOpportunityDifference).toBe(0.5);
    expect(r.equalizedOddsDifference).toBe(1);
  });

  it('without group 7: DP 1/2, ratio 1/2, EO 1/2, equalized odds max(1/2, 1 − 1/2) = 1/2', () => {
    const r = fairnessReport(y.slice(0, 8), p.slice(0, 8), g.slice(0, 8));
    expect([r.demographicParityDifference, r.demographicParityRatio, r.equalOpportunityDifference, r.equalizedOddsDifference]).toEqual([0.5, 0.5, 0.5, 0.5]);
  });

  it('gives 0 differences and ratio 1 for identical groups, and null ratio when nobody is selected', () => {
    const r = fairnessReport([1, 0, 1, 0], [1, 0, 1, 0], ['x', 'x', 'y', 'y']);
    expect([r.demographicParityDifference, r.demographicParityRatio, r.equalOpportunityDifference, r.equalizedOddsDifference]).toEqual([0, 1, 0, 0]);
    expect(demographicParityRatio([1, 0], [0, 0], ['x', 'y'])).toBeNull();
    // Only negatives: no group has a TPR.
    expect(equalOpportunityDifference([0, 0], [1, 0], ['x', 'y'])).toBeNull();
    expect(equalizedOddsDifference([0, 0], [1, 0], ['x', 'y'])).toBe(1);
  });

  it('keeps 1 and "1" apart', () => {
    expect(groupRates([1, 1], [1, 0], [1, '1']).map((r) => r.group)).toEqual([1, '1']);
  });

  it('rejects bad input with clear messages', () => {
    expect(() => groupRates([1, 2], [1, 0], ['a', 'b'])).toThrow('yTrue[1] is 2: labels and decisions must be 0 or 1');
    expect(() => groupRates([1, 0], [0.7, 0], ['a', 'b'])).toThrow('yPred[0] is 0.7');
    expect(() => groupRates([1, 0], [1], ['a', 'b'])).toThrow('yPred has 1 values but there are 2 rows');
    expect(() => groupRates([1, 0], [1, 0], ['a', NaN])).toThrow('group[1] is NaN');
    expect(() => groupRates([], [], [])).toThrow('at least one row');
  });
});
