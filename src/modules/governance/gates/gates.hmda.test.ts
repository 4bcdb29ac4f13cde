/**
 * The fairness gate on real data, end to end: the Boston HMDA mortgage denials (test/fixtures/governance/
 * hmda-eval.csv, the 30% evaluation split), a real xgboost model registered as `xgboost-json`
 * (hmda-xgb.json), and a full gate run through the job worker. The per-group rates and every gap must
 * equal those computed independently with numpy from xgboost's own decisions (make_gate_model.py) to 1e-9.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateFixture, type GateFixture } from './gates.test-support.js';

const DIR = new URL('../../../../test/fixtures/governance/', import.meta.url);
interface Expected {
  rows: number;
  closestToThreshold: number;
  rates: { group: string; count: number; selectionRate: number; truePositiveRate: number; falsePositiveRate: number }[];
  demographic_parity_difference: number;
  demographic_parity_ratio: number;
  equal_opportunity_difference: number;
  equalized_odds_difference: number;
}
const expected = JSON.parse(readFileSync(new URL('hmda-gate-expected.json', DIR), 'utf8')) as Expected;
const METRICS = ['demographic_parity_difference', 'demographic_parity_ratio', 'equal_opportunity_difference', 'equalized_odds_difference'] as const;

let f: GateFixture;
beforeAll(async () => {
  f = await gateFixture();
  await f.dataset('hmda', readFileSync(new URL('hmda-eval.csv', DIR), 'utf8'));
  await f.register('deny', new Uint8Array(readFileSync(new URL('hmda-xgb.json', DIR))), { flavor: 'xgboost-json' });
}, 60_000);
afterAll(() => f.close());

describe('fairness gate on HMDA', () => {
  it('reports the group rates and gaps numpy computes from xgboost’s decisions, to 1e-9', async () => {
    // float32 evaluation cannot move a decision: no probability is this close to the threshold
    expect(expected.closestToThreshold).toBeGreaterThan(1e-4);
    const queued = await f.gates.requestRun(f.maria, undefined, 'deny', 1, {
      dataset: 'hmda@1',
      target: 'deny',
      gates: METRICS.map((metric) => ({ name: metric, type: 'fairness', sensitive: 'afam', metric, tolerance: metric === 'demographic_parity_ratio' ? 0.5 : 0.1 })),
    });
    const run = await f.waitFor('deny', 1, queued.id);
    expect(run.status).toBe('succeeded');
    for (const metric of METRICS) {
      const r = run.results!.find((x) => x.name === metric)!;
      // the yes/no columns become booleans when the CSV is ingested: deny is 0/1 and afam reads 'false'/'true'
      expect(r.details.positiveClass).toBe(1);
      expect(r.details.rows).toBe(expected.rows);
      expect(Math.abs((r.details.value as number) - expected[metric])).toBeLessThanOrEqual(1e-9);
      const groups = r.details.groups as { group: string; count: number; selectionRate: number; tpr: number; fpr: number }[];
      expect(groups.map((g) => g.group)).toEqual(expected.rates.map((g) => (g.group === 'yes' ? 'true' : 'false')));
      groups.forEach((g, i) => {
        const e = expected.rates[i]!;
        expect(g.count).toBe(e.count);
        expect(Math.abs(g.selectionRate - e.selectionRate)).toBeLessThanOrEqual(1e-9);
        expect(Math.abs(g.tpr - e.truePositiveRate)).toBeLessThanOrEqual(1e-9);
        expect(Math.abs(g.fpr - e.falsePositiveRate)).toBeLessThanOrEqual(1e-9);
      });
    }
    // the gaps against the tolerances: DP difference 0.110 > 0.1 fails, ratio 0.227 < 0.5 fails, EO 0.096 ≤ 0.1 passes
    const passed = Object.fromEntries(run.results!.map((r) => [r.name, r.passed]));
    expect(passed).toEqual({
      demographic_parity_difference: expected.demographic_parity_difference <= 0.1,
      demographic_parity_ratio: expected.demographic_parity_ratio >= 0.5,
      equal_opportunity_difference: expected.equal_opportunity_difference <= 0.1,
      equalized_odds_difference: expected.equalized_odds_difference <= 0.1,
    });
    expect(Object.values(passed)).toContain(true);
    expect(Object.values(passed)).toContain(false);
    expect(run.passed).toBe(false);
  });
});
