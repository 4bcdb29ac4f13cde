import { describe, expect, it } from 'vitest';
import type { ColumnDrift, MonitoringReport, WindowSummary } from '../../api/types';
import { featureRows, firstFeature, headlineMetrics, heatmapOf, rangeQuery, ruleBody, windowLabels, withOutputTest } from './monitoring-data';

const ops = { count: 500, errors: 0, rejected: 0, errorRate: 0, p50Ms: 1, p95Ms: 2, p99Ms: 3, throughputPerS: null };
const quality = { missingRate: 0, outOfRangeRate: 0, unseenCategoryRate: 0, rejectedRate: 0 };

function win(seq: number, features: Record<string, [number | null, boolean, string]> | null, output: [number, boolean] | null = null, version = 1): WindowSummary {
  return {
    start: new Date(Date.UTC(2026, 0, 1, 10, seq)).toISOString(),
    end: new Date(Date.UTC(2026, 0, 1, 10, seq + 1)).toISOString(),
    kind: 'rows:500',
    seq,
    model: 'loans',
    version,
    rows: 500,
    closed: true,
    drift: features
      ? {
          share: 0,
          datasetDrift: false,
          features: Object.fromEntries(Object.entries(features).map(([f, [statistic, drifted, test]]) => [f, { statistic, drifted, test: test as 'ks' }])),
          output: output ? { statistic: output[0], drifted: output[1] } : null,
        }
      : null,
    quality,
    operations: ops,
  };
}

function drift(statistic: number | null, test: ColumnDrift['test'], extra: Partial<ColumnDrift> = {}): ColumnDrift {
  return { kind: 'numeric', test, statistic, threshold: test === 'ks' ? 0.05 : 0.1, drifted: false, effectSize: null, referenceRows: 2000, currentRows: 500, defaultTest: true, basis: 'sample', histogram: { labels: ['a'], reference: [1], current: [1] }, ...extra };
}

describe('monitoring page data', () => {
  it('turns a range into a from time, and "all" into no bound', () => {
    const now = Date.UTC(2026, 0, 8, 12);
    expect(rangeQuery('1h', now)).toEqual({ from: '2026-01-08T11:00:00.000Z' });
    expect(rangeQuery('7d', now)).toEqual({ from: '2026-01-01T12:00:00.000Z' });
    expect(rangeQuery('all', now)).toEqual({});
  });

  it('labels row windows by sequence, with the version only when several versions are shown', () => {
    expect(windowLabels([win(0, null), win(1, null)])).toEqual(['#0', '#1']);
    expect(windowLabels([win(0, null), win(0, null, null, 2)])).toEqual(['#0 v1', '#0 v2']);
  });

  it('colours heatmap cells by statistic over threshold, clipped, and marks drifted cells', () => {
    const windows = [
      win(0, { income: [0.05, false, 'wasserstein'], home_owner: [0.01, false, 'jensenshannon'] }, [0.02, false]),
      win(1, { income: [0.5, true, 'wasserstein'], home_owner: [null, false, 'jensenshannon'] }, [0.3, true]),
      win(2, null),
    ];
    const map = heatmapOf(windows, { tests: { home_owner: { method: 'jensenshannon', threshold: 0.02 } } }, ['income', 'home_owner']);
    expect(map.rows).toEqual(['income', 'home_owner', 'prediction']);
    expect(map.windows).toEqual(['#0', '#1', '#2']);
    const at = (x: number, y: number) => map.cells.find((c) => c.x === x && c.y === y)!;
    expect(at(0, 0).value).toBeCloseTo(0.5);
    expect(at(0, 1).value).toBeCloseTo(0.5); // 0.01 over the threshold set in the settings
    expect(at(1, 0)).toMatchObject({ value: 2, drifted: true });
    expect(at(1, 0).ratio).toBeCloseTo(5);
    expect(at(1, 1).value).toBeNull();
    expect(at(2, 0)).toMatchObject({ value: null, test: null });
    expect(map.drifted).toBe(2);
    // The output's test comes from the report.
    const full = withOutputTest(map, 'wasserstein', undefined);
    expect(full.cells.find((c) => c.x === 1 && c.y === 2)).toMatchObject({ test: 'wasserstein', value: expect.closeTo(2, 5) as unknown, drifted: true });
  });

  it('falls back to drifted or not for p-value tests, whose windows carry no p-value', () => {
    const map = heatmapOf([win(0, { age: [0.2, true, 'ks'], score: [0.01, false, 'ks'] })], undefined);
    expect(map.cells.map((c) => c.value)).toEqual([1.25, 0.25]);
    expect(map.cells.every((c) => c.ratio === null)).toBe(true);
  });

  it('sorts the feature table by statistic or by score, empty ones last, the output at the end', () => {
    const report = {
      drift: {
        features: { b: drift(0.3, 'wasserstein'), a: drift(0.05, 'wasserstein'), c: drift(null, 'wasserstein'), d: drift(0.1, 'ks', { pValue: 0.01 }) },
        output: drift(0.02, 'wasserstein'),
        share: 0, weightedShare: null, driftedFeatures: 0, datasetDrift: false, correction: 'none' as const,
      },
    };
    expect(featureRows(report).map((r) => r.name)).toEqual(['a', 'b', 'c', 'd', 'prediction']);
    expect(featureRows(report, { field: 'statistic', order: 'desc' }).map((r) => r.name)).toEqual(['b', 'd', 'a', 'c', 'prediction']);
    expect(featureRows(report, { field: 'score', order: 'desc' }).map((r) => r.name)).toEqual(['d', 'b', 'a', 'c', 'prediction']);
    expect(featureRows(report, { field: 'statistic', order: 'asc' }).map((r) => r.name)).toEqual(['a', 'd', 'b', 'c', 'prediction']);
    expect(firstFeature(report)).toBe('d');
    expect(featureRows({ drift: null })).toEqual([]);
    expect(firstFeature(undefined)).toBeNull();
  });

  it('picks the headline metrics of the task with their validation deltas', () => {
    const performance: MonitoringReport['performance'] = {
      labeled: 10, task: 'binary', skipped: 0,
      metrics: { accuracy: 0.8, rocAuc: 0.7, f1: 0.6, logLoss: 0.5 },
      validation: { accuracy: { validation: 0.85, current: 0.8, delta: -0.05 } },
    };
    expect(headlineMetrics(performance)).toEqual([
      { metric: 'accuracy', value: 0.8, delta: -0.05, validation: 0.85, worse: true },
      { metric: 'rocAuc', value: 0.7, delta: null, validation: null, worse: false },
      { metric: 'f1', value: 0.6, delta: null, validation: null, worse: false },
    ]);
    expect(headlineMetrics({ labeled: 0, task: null, metrics: {}, skipped: 0, validation: {} })).toEqual([]);
    const regression = headlineMetrics({ labeled: 3, task: 'regression', skipped: 0, metrics: { mae: 2, rmse: 3, r2: null }, validation: { mae: { validation: 1, current: 2, delta: 1 } } });
    expect(regression.map((m) => [m.metric, m.worse])).toEqual([
      ['mae', true],
      ['rmse', false],
      ['r2', false],
    ]);
  });
});

describe('the new alert rule form', () => {
  const draft = { name: 'drift', metric: 'drift.share', comparison: '>=' as const, threshold: '0.5', firingAfter: '2', resolvingAfter: '3' };

  it('builds the body with numbers', () => {
    expect(ruleBody({ ...draft, name: ' drift ' })).toEqual({ body: { name: 'drift', metric: 'drift.share', comparison: '>=', threshold: 0.5, firingAfter: 2, resolvingAfter: 3 } });
  });

  it('names the first problem', () => {
    expect(ruleBody({ ...draft, name: 'a b' })).toEqual({ problem: expect.stringContaining('name') as unknown });
    expect(ruleBody({ ...draft, threshold: 'high' })).toEqual({ problem: expect.stringContaining('threshold') as unknown });
    expect(ruleBody({ ...draft, threshold: '' })).toEqual({ problem: expect.stringContaining('threshold') as unknown });
    expect(ruleBody({ ...draft, firingAfter: '0' })).toEqual({ problem: expect.stringContaining('Fires after') as unknown });
    expect(ruleBody({ ...draft, resolvingAfter: '1.5' })).toEqual({ problem: expect.stringContaining('Resolves after') as unknown });
  });
});
