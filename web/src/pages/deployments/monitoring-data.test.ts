import { describe, expect, it } from 'vitest';
import type { ColumnDrift, MonitoringReport, WindowColumnDrift, WindowPerformance, WindowSummary } from '../../api/types';
import { featureRows, firstFeature, headlineMetrics, heatmapOf, performanceChart, rangeQuery, ruleBody, severity, windowLabels } from './monitoring-data';

const ops = { count: 500, errors: 0, rejected: 0, errorRate: 0, p50Ms: 1, p95Ms: 2, p99Ms: 3, throughputPerS: null };
const quality = { missingRate: 0, outOfRangeRate: 0, unseenCategoryRate: 0, rejectedRate: 0 };
const unlabeled: WindowPerformance = { labeled: 0, task: null, metrics: {} };

/** A window's test as the API answers it: p-values only for ks, chisquare and z. */
function col(test: WindowColumnDrift['test'], statistic: number | null, threshold: number, drifted: boolean, pValue: number | null = null, adjustedPValue: number | null = null): WindowColumnDrift {
  return { test, statistic, pValue, adjustedPValue, threshold, drifted };
}

function win(seq: number, features: Record<string, WindowColumnDrift> | null, output: WindowColumnDrift | null = null, version = 1, performance: WindowPerformance = unlabeled): WindowSummary {
  return {
    start: new Date(Date.UTC(2026, 0, 1, 10, seq)).toISOString(),
    end: new Date(Date.UTC(2026, 0, 1, 10, seq + 1)).toISOString(),
    kind: 'rows:500',
    attribution: null,
    seq,
    model: 'loans',
    version,
    rows: 500,
    closed: true,
    drift: features ? { share: 0, datasetDrift: false, features, output } : null,
    quality,
    performance,
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

  it('places distances over their threshold and p-values on a log scale, 1 being the threshold either way', () => {
    expect(severity(col('wasserstein', 0.05, 0.1, false))).toBeCloseTo(0.5);
    expect(severity(col('psi', -0.3, 0.2, true))).toBeCloseTo(1.5);
    expect(severity(col('ks', 0.2, 0.05, true, 0.05))).toBeCloseTo(1);
    expect(severity(col('ks', 0.2, 0.05, true, 0.0025))).toBeCloseTo(2);
    expect(severity(col('chisquare', 3, 0.05, false, 0.5))).toBeCloseTo(Math.log10(0.5) / Math.log10(0.05));
    expect(severity(col('z', 1, 0.05, false, 1))).toBe(0);
    expect(severity(col('z', 9, 0.05, true, 0))).toBe(Number.POSITIVE_INFINITY);
    // The adjusted p-value is the one the test was judged with.
    expect(severity(col('ks', 0.2, 0.05, false, 0.01, 0.5))).toBeCloseTo(Math.log10(0.5) / Math.log10(0.05));
    // Nothing to place: no current value, no p-value, a threshold without a logarithm.
    expect(severity(col('ks', null, 0.05, false))).toBeNull();
    expect(severity(col('ks', 0.2, 0.05, true))).toBeNull();
    expect(severity(col('ks', 0.2, 1, true, 0.3))).toBeNull();
    expect(severity(col('wasserstein', 0.2, 0, true))).toBeNull();
    // Above 1 exactly when the p-value is under the threshold, whatever the threshold.
    for (const threshold of [0.001, 0.01, 0.05, 0.2]) {
      for (const p of [1e-12, 0.0005, 0.009, 0.04, 0.1, 0.6]) expect(severity(col('ks', 0.1, threshold, p <= threshold, p))! >= 1).toBe(p <= threshold);
    }
  });

  it('colours heatmap cells by severity with the thresholds the windows carry, clipped, and marks drifted cells', () => {
    const windows = [
      win(0, { income: col('wasserstein', 0.05, 0.1, false), home_owner: col('jensenshannon', 0.01, 0.02, false), age: col('ks', 0.04, 0.05, false, 0.5) }, col('wasserstein', 0.02, 0.1, false)),
      win(1, { income: col('wasserstein', 0.5, 0.1, true), home_owner: col('jensenshannon', null, 0.02, false), age: col('ks', 0.3, 0.05, true, 1e-9, 2e-9) }, col('wasserstein', 0.3, 0.1, true)),
      win(2, null),
    ];
    const map = heatmapOf(windows, ['income', 'home_owner']);
    expect(map.rows).toEqual(['income', 'home_owner', 'age', 'prediction']);
    expect(map.windows).toEqual(['#0', '#1', '#2']);
    const at = (x: number, y: number) => map.cells.find((c) => c.x === x && c.y === y)!;
    expect(at(0, 0).value).toBeCloseTo(0.5);
    expect(at(0, 1).value).toBeCloseTo(0.5); // 0.01 over the window's threshold of 0.02
    expect(at(0, 2)).toMatchObject({ pValue: 0.5, adjusted: false, threshold: 0.05, test: 'ks' });
    expect(at(0, 2).value).toBeCloseTo(0.2314, 3);
    expect(at(1, 0)).toMatchObject({ value: 2, drifted: true, pValue: null });
    expect(at(1, 0).ratio).toBeCloseTo(5);
    expect(at(1, 1).value).toBeNull();
    expect(at(1, 2)).toMatchObject({ value: 2, drifted: true, pValue: 2e-9, adjusted: true });
    expect(at(1, 2).ratio).toBeCloseTo(Math.log10(2e-9) / Math.log10(0.05));
    // The output is placed with its own test and threshold.
    expect(at(0, 3)).toMatchObject({ test: 'wasserstein', threshold: 0.1 });
    expect(at(0, 3).value).toBeCloseTo(0.2);
    expect(at(1, 3)).toMatchObject({ value: 2, drifted: true });
    expect(at(2, 0)).toMatchObject({ value: null, test: null });
    expect(map.drifted).toBe(3);
  });

  it('falls back to drifted or not when a cell has nothing to place', () => {
    const map = heatmapOf([win(0, { age: col('ks', 0.2, 0.05, true), score: col('ks', 0.01, 1, false, 0.9) })]);
    expect(map.cells.map((c) => c.value)).toEqual([1.25, 0.25]);
    expect(map.cells.every((c) => c.ratio === null)).toBe(true);
    expect(map.rows).toEqual(['age', 'score']);
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
    // d: p = 0.01 against 0.05 is a severity of log(0.01) / log(0.05) ≈ 1.54, under b's 3.
    expect(featureRows(report, { field: 'score', order: 'desc' }).map((r) => r.name)).toEqual(['b', 'd', 'a', 'c', 'prediction']);
    expect(featureRows(report, { field: 'score', order: 'desc' })[1]!.score).toBeCloseTo(Math.log(0.01) / Math.log(0.05));
    expect(featureRows(report, { field: 'statistic', order: 'asc' }).map((r) => r.name)).toEqual(['a', 'd', 'b', 'c', 'prediction']);
    expect(firstFeature(report)).toBe('b');
    // With the correction on, the adjusted p-value decides.
    const adjusted = { drift: { ...report.drift, features: { d: drift(0.1, 'ks', { pValue: 0.01, adjustedPValue: 0.05 }) }, output: null } };
    expect(featureRows(adjusted)[0]!.score).toBeCloseTo(1);
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

describe('performance over windows', () => {
  const binary = (labeled: number, metrics: WindowPerformance['metrics']): WindowPerformance => ({ labeled, task: 'binary', metrics });

  it("draws the task's main metrics over the windows that have labels only", () => {
    const windows = [
      win(0, null, null, 1, binary(40, { accuracy: 0.9, precision: 0.8, recall: 0.7, f1: 0.75, rocAuc: 0.93, logLoss: 0.3, ece: 0.02 })),
      win(1, null),
      win(2, null, null, 1, binary(3, { accuracy: 1, precision: 1, recall: 1, f1: 1, rocAuc: null, logLoss: 0.1, ece: 0.1 })),
      win(3, null),
    ];
    const chart = performanceChart(windows);
    expect(chart).toMatchObject({ task: 'binary', windows: ['#0', '#2'], labeled: [40, 3], otherTask: 0 });
    expect(chart.series).toEqual([
      { metric: 'accuracy', axis: 0, values: [0.9, 1] },
      { metric: 'rocAuc', axis: 0, values: [0.93, null] },
      { metric: 'f1', axis: 0, values: [0.75, 1] },
    ]);
  });

  it('puts losses and errors on the second axis', () => {
    const multiclass = performanceChart([win(0, null, null, 1, { labeled: 9, task: 'multiclass', metrics: { accuracy: 0.7, f1: 0.6, logLoss: 0.8, rocAuc: 0.9 } })]);
    expect(multiclass.series.map((s) => [s.metric, s.axis])).toEqual([
      ['accuracy', 0],
      ['f1', 0],
      ['logLoss', 1],
    ]);
    const regression = performanceChart([win(0, null, null, 1, { labeled: 9, task: 'regression', metrics: { mae: 2, rmse: 3, r2: null, mape: 0.1 } })]);
    expect(regression.series).toEqual([
      { metric: 'mae', axis: 1, values: [2] },
      { metric: 'rmse', axis: 1, values: [3] },
      { metric: 'r2', axis: 0, values: [null] },
    ]);
  });

  it('follows the task of most labels, across versions, and counts the windows left out', () => {
    const windows = [
      win(0, null, null, 1, { labeled: 5, task: 'regression', metrics: { mae: 0.4, rmse: 0.5, r2: 0.1 } }),
      win(0, null, null, 2, binary(20, { accuracy: 0.8, rocAuc: 0.85, f1: 0.7 })),
      win(1, null, null, 2, binary(10, { accuracy: 0.6, rocAuc: 0.65, f1: 0.5 })),
    ];
    const chart = performanceChart(windows);
    expect(chart).toMatchObject({ task: 'binary', windows: ['#0 v2', '#1 v2'], labeled: [20, 10], otherTask: 1 });
    expect(chart.series.map((s) => s.metric)).toEqual(['accuracy', 'rocAuc', 'f1']);
  });

  it('is empty without labels, and takes the first metrics computed when the task is unknown', () => {
    expect(performanceChart([win(0, null), win(1, null)])).toEqual({ task: null, windows: [], labeled: [], series: [], otherTask: 0 });
    expect(performanceChart([])).toEqual({ task: null, windows: [], labeled: [], series: [], otherTask: 0 });
    const unknown = performanceChart([win(0, null, null, 1, { labeled: 4, task: null, metrics: { rmse: 1, mae: 0.5, r2: 0.2, mape: 0.3 } })]);
    expect(unknown.series.map((s) => s.metric)).toEqual(['mae', 'rmse', 'r2']);
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
