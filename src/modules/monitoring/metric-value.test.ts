/** Alert rules read numbers out of reports by name: the attribution family included. */
import { describe, expect, it } from 'vitest';
import { parseMetric } from './alerts/alert-rules.js';
import { metricValue, type MonitoringReport } from './monitoring.service.js';

const report = {
  operations: { p99Ms: 4.5 },
  performance: { metrics: { rocAuc: 0.8 } },
  quality: { missingRate: 0.01, features: { 'zip.code': { missingRate: 0.2 } } },
  drift: { share: 0.5, datasetDrift: true, features: { age: { pValue: 0.01, drifted: true } }, output: null },
  attribution: { method: 'tree', rows: { reference: 2000, current: 1000 }, shift: 0.24, features: { score: { reference: 0.3, current: 0.5, change: 0.2 }, 'zip.code': { reference: 0.1, current: 0.05, change: -0.05 } } },
} as unknown as MonitoringReport;

describe('metricValue', () => {
  it('reads every family, attribution included, for every name the grammar accepts', () => {
    const cases: [string, number | null][] = [
      ['operations.p99Ms', 4.5],
      ['performance.rocAuc', 0.8],
      ['quality.features.zip.code.missingRate', 0.2],
      ['drift.datasetDrift', 1],
      ['drift.features.age.pValue', 0.01],
      ['drift.output.statistic', null],
      ['attribution.shift', 0.24],
      ['attribution.features.score.current', 0.5],
      ['attribution.features.zip.code.change', -0.05],
      ['attribution.features.unknown.change', null],
    ];
    for (const [name, value] of cases) {
      expect(parseMetric(name), name).toBeDefined();
      expect(metricValue(report, name), name).toBe(value);
    }
  });

  it('answers null for attribution when the report has none (not a tree model)', () => {
    expect(metricValue({ ...report, attribution: null }, 'attribution.shift')).toBeNull();
  });
});
