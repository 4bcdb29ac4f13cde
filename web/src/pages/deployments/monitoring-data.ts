/**
 * What the monitoring page computes from the API's answers, without React: the time range of the picker,
 * labels of windows, the cells of the drift heatmap (each test's statistic over its threshold), the rows
 * of the feature table, and the headline performance metrics of a task.
 */
import type { AlertRuleBody, ColumnDrift, DriftTest, MonitoringReport, MonitoringSettings, PerformanceMetric, WindowSummary } from '../../api/types';

export type RangeKey = '1h' | '1d' | '7d' | 'all';

export const RANGES: { key: RangeKey; label: string; ms: number | null }[] = [
  { key: '1h', label: 'Last hour', ms: 3_600_000 },
  { key: '1d', label: 'Last day', ms: 86_400_000 },
  { key: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { key: 'all', label: 'All', ms: null },
];

export function isRangeKey(v: string | null): v is RangeKey {
  return RANGES.some((r) => r.key === v);
}

/** The query of a range at `now`: windows starting at or after `from` (none: everything). */
export function rangeQuery(key: RangeKey, now: number): { from?: string } {
  const ms = RANGES.find((r) => r.key === key)?.ms ?? null;
  return ms === null ? {} : { from: new Date(now - ms).toISOString() };
}

/** The name the API gives the model's output in settings and tests. */
export const OUTPUT = 'prediction';

/** Tests whose statistic is compared with a distance threshold (the others compare a p-value). */
const DISTANCE_DEFAULTS: Partial<Record<DriftTest, number>> = { wasserstein: 0.1, jensenshannon: 0.1, psi: 0.1, hellinger: 0.1, linf: 0.1 };

export function isDistanceTest(test: DriftTest): boolean {
  return DISTANCE_DEFAULTS[test] !== undefined;
}

/** The distance threshold a window's test was judged with: the settings' one when it chose this test, else the default. Null for p-value tests. */
export function distanceThreshold(column: string, test: DriftTest, settings: Pick<MonitoringSettings, 'tests'> | undefined): number | null {
  const fallback = DISTANCE_DEFAULTS[test];
  if (fallback === undefined) return null;
  const chosen = settings?.tests[column];
  return chosen && chosen.method === test && chosen.threshold !== undefined ? chosen.threshold : fallback;
}

/** Heatmap colour scale: 0 … HEAT_MAX, 1 being the threshold. */
export const HEAT_MAX = 2;

export interface HeatCell {
  x: number;
  y: number;
  /** statistic / threshold clipped to [0, HEAT_MAX] (for p-value tests: 1.25 when drifted, else 0.25); null: not tested. */
  value: number | null;
  /** statistic / threshold before clipping; null for p-value tests. */
  ratio: number | null;
  statistic: number | null;
  threshold: number | null;
  test: DriftTest | null;
  drifted: boolean;
}

export interface Heatmap {
  windows: string[];
  /** Features in the report's order, then 'prediction'. */
  rows: string[];
  cells: HeatCell[];
  drifted: number;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** 'MM-DD HH:mm' in local time. */
export function shortTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A window's label on a time axis: its start for time windows, '#seq' for row windows (with the version when several are shown). */
export function windowLabel(w: Pick<WindowSummary, 'kind' | 'start' | 'seq' | 'version'>, severalVersions: boolean): string {
  const base = w.kind.startsWith('rows:') ? `#${w.seq}` : shortTime(w.start);
  return severalVersions ? `${base} v${w.version}` : base;
}

export function windowLabels(windows: WindowSummary[]): string[] {
  const several = new Set(windows.map((w) => `${w.model}\u0000${w.version}`)).size > 1;
  return windows.map((w) => windowLabel(w, several));
}

/** Feature × window cells of the windows' drift, features ordered as `order` then as they first appear. */
export function heatmapOf(windows: WindowSummary[], settings: Pick<MonitoringSettings, 'tests'> | undefined, order: string[] = []): Heatmap {
  const names: string[] = [...order.filter((f) => f !== OUTPUT)];
  const seen = new Set(names);
  for (const w of windows) {
    for (const f of Object.keys(w.drift?.features ?? {})) {
      if (!seen.has(f)) {
        seen.add(f);
        names.push(f);
      }
    }
  }
  const hasOutput = windows.some((w) => w.drift?.output);
  const rows = hasOutput ? [...names, OUTPUT] : names;
  const cells: HeatCell[] = [];
  let drifted = 0;
  const cell = (x: number, y: number, column: string, d: { statistic: number | null; drifted: boolean; test: DriftTest | null } | undefined): void => {
    if (!d) {
      cells.push({ x, y, value: null, ratio: null, statistic: null, threshold: null, test: null, drifted: false });
      return;
    }
    const threshold = d.test ? distanceThreshold(column, d.test, settings) : null;
    let ratio: number | null = null;
    let value: number | null;
    if (d.statistic === null) value = null;
    else if (threshold !== null && threshold > 0) {
      ratio = Math.abs(d.statistic) / threshold;
      value = Math.min(HEAT_MAX, ratio);
    } else value = d.drifted ? 1.25 : 0.25;
    if (d.drifted) drifted++;
    cells.push({ x, y, value, ratio, statistic: d.statistic, threshold, test: d.test, drifted: d.drifted });
  };
  windows.forEach((w, x) => {
    names.forEach((f, y) => cell(x, y, f, w.drift?.features[f]));
    if (hasOutput) {
      const o = w.drift?.output;
      // The window summary leaves out the output's test; the report's is the same for every window of a version.
      cell(x, names.length, OUTPUT, o ? { statistic: o.statistic, drifted: o.drifted, test: null } : undefined);
    }
  });
  return { windows: windowLabels(windows), rows, cells, drifted };
}

/** The output's test from the report fills in what the window summaries leave out. */
export function withOutputTest(map: Heatmap, test: DriftTest | undefined, settings: Pick<MonitoringSettings, 'tests'> | undefined): Heatmap {
  if (!test) return map;
  const y = map.rows.indexOf(OUTPUT);
  if (y < 0) return map;
  const threshold = distanceThreshold(OUTPUT, test, settings);
  return {
    ...map,
    cells: map.cells.map((c) => {
      if (c.y !== y || c.statistic === null) return c.y === y ? { ...c, test } : c;
      const ratio = threshold !== null && threshold > 0 ? Math.abs(c.statistic) / threshold : null;
      return { ...c, test, threshold, ratio, value: ratio === null ? (c.drifted ? 1.25 : 0.25) : Math.min(HEAT_MAX, ratio) };
    }),
  };
}

export interface FeatureRow {
  name: string;
  drift: ColumnDrift;
  /** statistic / threshold for distance tests; for p-value tests threshold / p-value (above 1: drifted). */
  score: number | null;
  isOutput: boolean;
}

function scoreOf(d: ColumnDrift): number | null {
  if (d.statistic === null) return null;
  if (isDistanceTest(d.test)) return d.threshold > 0 ? Math.abs(d.statistic) / d.threshold : null;
  const p = d.adjustedPValue ?? d.pValue;
  if (p === undefined) return null;
  return p <= 0 ? Number.POSITIVE_INFINITY : d.threshold / p;
}

export type FeatureSort = { field: 'name' | 'statistic' | 'score'; order: 'asc' | 'desc' };

/** The report's features (then the output) as table rows, sorted; rows without a value sort last. */
export function featureRows(report: Pick<MonitoringReport, 'drift'> | undefined, sort: FeatureSort = { field: 'name', order: 'asc' }): FeatureRow[] {
  const drift = report?.drift;
  if (!drift) return [];
  const rows: FeatureRow[] = Object.entries(drift.features).map(([name, d]) => ({ name, drift: d, score: scoreOf(d), isOutput: false }));
  if (sort.field !== 'name') {
    const key = (r: FeatureRow) => (sort.field === 'score' ? r.score : r.drift.statistic === null ? null : Math.abs(r.drift.statistic));
    const sign = sort.order === 'asc' ? 1 : -1;
    rows.sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      if (ka === null || kb === null) return ka === kb ? a.name.localeCompare(b.name) : ka === null ? 1 : -1;
      return ka === kb ? a.name.localeCompare(b.name) : (ka - kb) * sign;
    });
  } else rows.sort((a, b) => a.name.localeCompare(b.name) * (sort.order === 'asc' ? 1 : -1));
  if (drift.output) rows.push({ name: OUTPUT, drift: drift.output, score: scoreOf(drift.output), isOutput: true });
  return rows;
}

/** The feature whose histogram to show first: the most drifted one, else the first. */
export function firstFeature(report: Pick<MonitoringReport, 'drift'> | undefined): string | null {
  const rows = featureRows(report, { field: 'score', order: 'desc' });
  return rows.find((r) => r.drift.histogram)?.name ?? null;
}

const HEADLINE: Record<string, PerformanceMetric[]> = {
  binary: ['accuracy', 'rocAuc', 'f1'],
  multiclass: ['accuracy', 'f1', 'logLoss'],
  regression: ['mae', 'rmse', 'r2'],
};

export const METRIC_LABELS: Record<PerformanceMetric, string> = {
  accuracy: 'accuracy', precision: 'precision', recall: 'recall', f1: 'F1', rocAuc: 'ROC AUC', logLoss: 'log loss', ece: 'ECE', mae: 'MAE', rmse: 'RMSE', r2: 'R²', mape: 'MAPE',
};

/** Metrics where lower is better (a positive delta is a worsening). */
const LOWER_IS_BETTER = new Set<PerformanceMetric>(['logLoss', 'ece', 'mae', 'rmse', 'mape']);

export interface HeadlineMetric {
  metric: PerformanceMetric;
  value: number | null;
  delta: number | null;
  validation: number | null;
  /** Whether the monitored value is worse than the validation one. */
  worse: boolean;
}

/** The main metrics of the task (those computed), each with its validation delta when the version registered it. */
export function headlineMetrics(performance: MonitoringReport['performance']): HeadlineMetric[] {
  const wanted = HEADLINE[performance.task ?? ''] ?? (Object.keys(performance.metrics) as PerformanceMetric[]).slice(0, 3);
  return wanted
    .filter((m) => performance.metrics[m] !== undefined)
    .map((metric) => {
      const v = performance.validation[metric];
      const delta = v?.delta ?? null;
      return { metric, value: performance.metrics[metric] ?? null, delta, validation: v?.validation ?? null, worse: delta !== null && (LOWER_IS_BETTER.has(metric) ? delta > 0 : delta < 0) };
    });
}

/** Metric names an alert rule can watch, for the form's suggestions. */
export function metricSuggestions(features: string[]): string[] {
  return [
    'drift.share',
    'drift.driftedFeatures',
    'drift.datasetDrift',
    ...features.map((f) => `drift.features.${f}.statistic`),
    'drift.output.statistic',
    'quality.missingRate',
    'quality.outOfRangeRate',
    'quality.unseenCategoryRate',
    'quality.rejectedRate',
    'operations.errorRate',
    'operations.p95Ms',
    'operations.p99Ms',
    'operations.count',
    'performance.accuracy',
    'performance.rocAuc',
    'performance.mae',
  ];
}

// ---------------------------------------------------------------------------------------------------------
// The form of a new alert rule

export interface RuleDraft {
  name: string;
  metric: string;
  comparison: '>' | '>=' | '<' | '<=';
  threshold: string;
  firingAfter: string;
  resolvingAfter: string;
}

export const EMPTY_DRAFT: RuleDraft = { name: '', metric: 'drift.share', comparison: '>=', threshold: '0.5', firingAfter: '2', resolvingAfter: '2' };

/** The rule body of a draft, or the first problem with it. */
export function ruleBody(d: RuleDraft): { body: AlertRuleBody } | { problem: string } {
  const name = d.name.trim();
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) return { problem: "The name needs 1 to 100 letters, digits, '.', '_' or '-'." };
  if (!d.metric.trim()) return { problem: 'Choose the metric to watch.' };
  const threshold = Number(d.threshold);
  if (d.threshold.trim() === '' || !Number.isFinite(threshold)) return { problem: 'The threshold must be a number.' };
  const count = (v: string, what: string): number | string => {
    const n = Number(v);
    return Number.isInteger(n) && n >= 1 && n <= 1000 ? n : `${what} must be a whole number of windows from 1 to 1000.`;
  };
  const firingAfter = count(d.firingAfter, 'Fires after');
  if (typeof firingAfter === 'string') return { problem: firingAfter };
  const resolvingAfter = count(d.resolvingAfter, 'Resolves after');
  if (typeof resolvingAfter === 'string') return { problem: resolvingAfter };
  return { body: { name, metric: d.metric.trim(), comparison: d.comparison, threshold, firingAfter, resolvingAfter } };
}

