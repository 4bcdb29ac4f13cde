/**
 * What the monitoring page computes from the API's answers, without React: the time range of the picker,
 * labels of windows, the cells of the drift heatmap (each test placed against its threshold), the rows of
 * the feature table, the headline performance metrics of a task and their series over windows.
 */
import type { AlertRuleBody, ColumnDrift, DriftTest, MonitoringReport, PerformanceMetric, Task, WindowColumnDrift, WindowSummary } from '../../api/types';

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

/** Tests that answer with a p-value (a drift when it falls to the threshold); the others are distances (a drift when it reaches it). */
const P_VALUE_TESTS = new Set<DriftTest>(['ks', 'chisquare', 'z']);

export function isPValueTest(test: DriftTest): boolean {
  return P_VALUE_TESTS.has(test);
}

/** What a drift test needs to be placed against its threshold (a report's ColumnDrift or a window's). */
export type DriftVerdict = Pick<WindowColumnDrift, 'test' | 'statistic' | 'threshold'> & { pValue?: number | null; adjustedPValue?: number | null };

/** The p-value a test was judged with: the adjusted one when the correction is on. */
export function judgedPValue(d: DriftVerdict): number | null {
  return d.adjustedPValue ?? d.pValue ?? null;
}

/**
 * How far a test went towards its threshold, 1 being the threshold and above 1 a drift: for p-value tests
 * −log10(p) / −log10(threshold) (p = 0.05 with a threshold of 0.05 is 1, p = 0.0025 is 2, p = 1 is 0), for
 * distances |statistic| / threshold. Infinity for p = 0; null when there is nothing to place (no current
 * value, no p-value, or a threshold that does not allow the ratio).
 */
export function severity(d: DriftVerdict): number | null {
  if (d.statistic === null) return null;
  if (isPValueTest(d.test)) {
    const p = judgedPValue(d);
    if (p === null || !(d.threshold > 0 && d.threshold < 1)) return null;
    if (p <= 0) return Number.POSITIVE_INFINITY;
    return Math.max(0, Math.log(Math.min(p, 1)) / Math.log(d.threshold));
  }
  return d.threshold > 0 ? Math.abs(d.statistic) / d.threshold : null;
}

/** Heatmap colour scale: 0 … HEAT_MAX, 1 being the threshold. */
export const HEAT_MAX = 2;

export interface HeatCell {
  x: number;
  y: number;
  /** The severity clipped to [0, HEAT_MAX]; 1.25 (drifted) or 0.25 when it has none; null: not tested. */
  value: number | null;
  /** The severity before clipping (see severity()); null when the window gave nothing to place. */
  ratio: number | null;
  statistic: number | null;
  /** The p-value the window was judged with (adjusted when the correction is on); null for distances. */
  pValue: number | null;
  adjusted: boolean;
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

function heatCell(x: number, y: number, d: WindowColumnDrift | null | undefined): HeatCell {
  if (!d) return { x, y, value: null, ratio: null, statistic: null, pValue: null, adjusted: false, threshold: null, test: null, drifted: false };
  const ratio = severity(d);
  const value = d.statistic === null ? null : ratio === null ? (d.drifted ? 1.25 : 0.25) : Math.min(HEAT_MAX, ratio);
  return { x, y, value, ratio, statistic: d.statistic, pValue: isPValueTest(d.test) ? judgedPValue(d) : null, adjusted: d.adjustedPValue !== null, threshold: d.threshold, test: d.test, drifted: d.drifted };
}

/** Feature × window cells of the windows' drift, features ordered as `order` then as they first appear. */
export function heatmapOf(windows: WindowSummary[], order: string[] = []): Heatmap {
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
  windows.forEach((w, x) => {
    names.forEach((f, y) => cells.push(heatCell(x, y, w.drift?.features[f])));
    if (hasOutput) cells.push(heatCell(x, names.length, w.drift?.output));
  });
  return { windows: windowLabels(windows), rows, cells, drifted: cells.filter((c) => c.drifted).length };
}

export interface FeatureRow {
  name: string;
  drift: ColumnDrift;
  /** The test's severity (see severity()): 1 is the threshold, above 1 a drift. */
  score: number | null;
  isOutput: boolean;
}

export type FeatureSort = { field: 'name' | 'statistic' | 'score'; order: 'asc' | 'desc' };

/** The report's features (then the output) as table rows, sorted; rows without a value sort last. */
export function featureRows(report: Pick<MonitoringReport, 'drift'> | undefined, sort: FeatureSort = { field: 'name', order: 'asc' }): FeatureRow[] {
  const drift = report?.drift;
  if (!drift) return [];
  const rows: FeatureRow[] = Object.entries(drift.features).map(([name, d]) => ({ name, drift: d, score: severity(d), isOutput: false }));
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
  if (drift.output) rows.push({ name: OUTPUT, drift: drift.output, score: severity(drift.output), isOutput: true });
  return rows;
}

/** The feature whose histogram to show first: the most drifted one, else the first. */
export function firstFeature(report: Pick<MonitoringReport, 'drift'> | undefined): string | null {
  const rows = featureRows(report, { field: 'score', order: 'desc' });
  return rows.find((r) => r.drift.histogram)?.name ?? null;
}

const HEADLINE: Record<Task, PerformanceMetric[]> = {
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
  const wanted = performance.task ? HEADLINE[performance.task] : (Object.keys(performance.metrics) as PerformanceMetric[]).slice(0, 3);
  return wanted
    .filter((m) => performance.metrics[m] !== undefined)
    .map((metric) => {
      const v = performance.validation[metric];
      const delta = v?.delta ?? null;
      return { metric, value: performance.metrics[metric] ?? null, delta, validation: v?.validation ?? null, worse: delta !== null && (LOWER_IS_BETTER.has(metric) ? delta > 0 : delta < 0) };
    });
}

/** Metrics on the left axis of the performance chart (scores, 1 at best); the others (losses, errors) go on the right one. */
const SCORE_METRICS = new Set<PerformanceMetric>(['accuracy', 'precision', 'recall', 'f1', 'rocAuc', 'r2']);
const METRIC_ORDER = Object.keys(METRIC_LABELS) as PerformanceMetric[];

export interface PerformanceSeries {
  metric: PerformanceMetric;
  /** 0: scores (higher is better), 1: losses and errors (lower is better). */
  axis: 0 | 1;
  /** One value per labeled window; null where the metric could not be computed (e.g. ROC AUC with one class). */
  values: (number | null)[];
}

export interface PerformanceChart {
  task: Task | null;
  /** Labels of the windows with labels for this task, in order. */
  windows: string[];
  /** Labeled predictions in each of those windows. */
  labeled: number[];
  series: PerformanceSeries[];
  /** Windows left out because their labels were judged as another task. */
  otherTask: number;
}

/**
 * The task's main metrics over the windows that have labels (windows without labels are left out). The
 * task is the one of most labeled predictions; with none, the first metrics the windows computed.
 */
export function performanceChart(windows: WindowSummary[]): PerformanceChart {
  const labels = windowLabels(windows);
  const labeled = windows.map((w, i) => ({ w, label: labels[i]! })).filter(({ w }) => w.performance.labeled > 0);
  const byTask = new Map<Task | null, number>();
  for (const { w } of labeled) byTask.set(w.performance.task, (byTask.get(w.performance.task) ?? 0) + w.performance.labeled);
  let task: Task | null = null;
  let most = -1;
  for (const [t, n] of byTask) {
    if (n > most) {
      task = t;
      most = n;
    }
  }
  const shown = labeled.filter(({ w }) => w.performance.task === task);
  const computed = new Set(shown.flatMap(({ w }) => Object.keys(w.performance.metrics) as PerformanceMetric[]));
  const wanted = task ? HEADLINE[task] : METRIC_ORDER.filter((m) => computed.has(m)).slice(0, 3);
  return {
    task,
    windows: shown.map(({ label }) => label),
    labeled: shown.map(({ w }) => w.performance.labeled),
    series: wanted
      .filter((m) => computed.has(m))
      .map((metric) => ({ metric, axis: SCORE_METRICS.has(metric) ? 0 : 1, values: shown.map(({ w }) => w.performance.metrics[metric] ?? null) })),
    otherTask: labeled.length - shown.length,
  };
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

