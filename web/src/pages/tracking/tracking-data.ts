/**
 * Pure helpers of the experiment and run pages: values and times for display, MLflow's search grammar
 * (quoted keys, order_by clauses), the runs table's chosen columns (kept per experiment in localStorage),
 * and the data of the comparison charts (steps × runs, parallel-coordinate axes).
 */
import { formatNumber } from '../../lib/format';
import type { LatestMetric, MetricPoint, RunView } from './types';

// ------------------------------------------------------------------------------------------------
// Values and times
// ------------------------------------------------------------------------------------------------

/** A latest metric for a table: the number, or NaN / Infinity / -Infinity. */
export function formatMetric(m: LatestMetric | undefined): string {
  if (!m) return '—';
  if (m.text) return m.text;
  return formatNumber(m.value);
}

/** A point's value as a number for a chart (NaN and the infinities are gaps: null). */
export function pointNumber(p: MetricPoint): number | null {
  const v = p.value;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  return null;
}

/** A point's value for a table. */
export function formatPoint(p: MetricPoint | undefined): string {
  if (!p) return '—';
  if (p.text) return p.text;
  if (typeof p.value === 'string') return p.value;
  if (p.value === null) return 'NaN';
  return formatNumber(p.value);
}

/** An ISO time from an ISO string or milliseconds since the epoch. */
export function isoOf(t: string | number | null | undefined): string | null {
  if (t === null || t === undefined || t === '') return null;
  if (typeof t === 'number') return new Date(t).toISOString();
  return t;
}

/** "850 ms", "12.3 s", "4 min 05 s", "2 h 07 min", "3 d 4 h". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const totalS = Math.round(s);
  const m = Math.floor(totalS / 60);
  if (m < 60) return `${m} min ${String(totalS % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** A badge tone for a run status. */
export function statusTone(status: string): 'good' | 'bad' | 'warn' | 'info' | 'neutral' {
  if (status === 'FINISHED') return 'good';
  if (status === 'FAILED') return 'bad';
  if (status === 'KILLED') return 'warn';
  if (status === 'RUNNING' || status === 'SCHEDULED') return 'info';
  return 'neutral';
}

/** Short, unique labels for runs (their names; the start of the id is added where names repeat). */
export function runLabels(runs: Pick<RunView, 'id' | 'name'>[]): Map<string, string> {
  const count = new Map<string, number>();
  for (const r of runs) count.set(r.name, (count.get(r.name) ?? 0) + 1);
  return new Map(runs.map((r) => [r.id, !r.name ? r.id.slice(0, 8) : (count.get(r.name) ?? 0) > 1 ? `${r.name} (${r.id.slice(0, 6)})` : r.name]));
}

/** "team=risk, purpose=baseline" → {team: 'risk', purpose: 'baseline'}; a key without '=' gets ''. */
export function parseTags(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(/[,\n]/)) {
    const p = part.trim();
    if (!p) continue;
    const i = p.indexOf('=');
    if (i < 0) out[p] = '';
    else out[p.slice(0, i).trim()] = p.slice(i + 1).trim();
  }
  return out;
}

/** An artifact's path from the run's artifact root, whether a listing gives it so or relative to the folder listed. */
export function entryPath(dir: string, p: string): string {
  if (dir === '' || p.startsWith(`${dir}/`)) return p;
  return `${dir}/${p}`;
}

/** The system tags MLflow writes (mlflow.runName, mlflow.user, …): shown apart from the user's tags. */
export const isSystemTag = (key: string): boolean => key.startsWith('mlflow.');

// ------------------------------------------------------------------------------------------------
// MLflow's search grammar
// ------------------------------------------------------------------------------------------------

/** A key as the filter and order_by grammar accept it: plain when it is an identifier, else in backticks. */
export function quoteKey(key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return key;
  if (!key.includes('`')) return `\`${key}\``;
  return `"${key.replace(/"/g, '\\"')}"`;
}

export type ColumnKind = 'metric' | 'param' | 'tag';

export interface Column {
  kind: ColumnKind;
  key: string;
}

const PREFIX: Record<ColumnKind, string> = { metric: 'metrics', param: 'params', tag: 'tags' };

/** The identifier of a column in the search grammar: metrics.accuracy, params.`learning rate`. */
export function columnField(c: Column): string {
  return `${PREFIX[c.kind]}.${quoteKey(c.key)}`;
}

/** A stable id of a column (for storage, React keys and test ids): "metric:accuracy". */
export const columnId = (c: Column): string => `${c.kind}:${c.key}`;

export function parseColumnId(id: string): Column | null {
  const i = id.indexOf(':');
  if (i < 0) return null;
  const kind = id.slice(0, i);
  const key = id.slice(i + 1);
  if ((kind !== 'metric' && kind !== 'param' && kind !== 'tag') || !key) return null;
  return { kind, key };
}

/** An order_by clause: "metrics.accuracy DESC". */
export function orderClause(field: string, order: 'asc' | 'desc'): string {
  return `${field} ${order.toUpperCase()}`;
}

// ------------------------------------------------------------------------------------------------
// The chosen columns of an experiment's runs table
// ------------------------------------------------------------------------------------------------

/** Metric columns shown before the user chooses any. */
export const DEFAULT_METRIC_COLUMNS = 3;

const columnsKey = (project: string, experimentId: string) => `steward.tracking.columns.${project}.${experimentId}`;

/** The columns chosen for an experiment, or null when none were chosen yet. */
export function loadColumns(project: string, experimentId: string, storage: Pick<Storage, 'getItem'> | undefined = safeStorage()): Column[] | null {
  try {
    const raw = storage?.getItem(columnsKey(project, experimentId));
    if (!raw) return null;
    const ids = JSON.parse(raw) as unknown;
    if (!Array.isArray(ids)) return null;
    return ids.flatMap((id) => (typeof id === 'string' ? (parseColumnId(id) ?? []) : []));
  } catch {
    return null;
  }
}

export function saveColumns(project: string, experimentId: string, columns: Column[], storage: Pick<Storage, 'setItem'> | undefined = safeStorage()): void {
  try {
    storage?.setItem(columnsKey(project, experimentId), JSON.stringify(columns.map(columnId)));
  } catch {
    // Storage full or refused: the choice lasts for this page only.
  }
}

function safeStorage(): Storage | undefined {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined;
  }
}

/** The columns to show: the stored choice, else the first few metrics. */
export function effectiveColumns(stored: Column[] | null, metricKeys: string[]): Column[] {
  if (stored) return stored;
  return metricKeys.slice(0, DEFAULT_METRIC_COLUMNS).map((key) => ({ kind: 'metric', key }));
}

/** A run's value in a column, for the table. */
export function cellValue(run: RunView, c: Column): string | undefined {
  if (c.kind === 'metric') {
    const m = run.metrics[c.key];
    return m ? formatMetric(m) : undefined;
  }
  const v = c.kind === 'param' ? run.params[c.key] : run.tags[c.key];
  return v;
}

// ------------------------------------------------------------------------------------------------
// Comparison
// ------------------------------------------------------------------------------------------------

/** The steps of a metric over runs: one row per step seen in any run, one value (or undefined) per run. */
export function stepRows(histories: Record<string, Record<string, MetricPoint[]>>, runIds: string[], key: string): { step: number; points: (MetricPoint | undefined)[] }[] {
  const byRun = runIds.map((id) => {
    const m = new Map<number, MetricPoint>();
    // The last point logged at a step wins, as in the chart.
    for (const p of histories[id]?.[key] ?? []) m.set(p.step, p);
    return m;
  });
  const steps = [...new Set(byRun.flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
  return steps.map((step) => ({ step, points: byRun.map((m) => m.get(step)) }));
}

/** One series of a line chart: [step, value] in step order (a NaN is a gap). */
export function seriesPoints(points: MetricPoint[] | undefined): [number, number | null][] {
  const m = new Map<number, number | null>();
  for (const p of points ?? []) m.set(p.step, pointNumber(p));
  return [...m.entries()].sort((a, b) => a[0] - b[0]);
}

const NUMBER = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

export interface ParallelAxis {
  column: Column;
  label: string;
  type: 'value' | 'category';
  /** The categories, sorted, for a category axis. */
  categories?: string[];
}

export interface ParallelData {
  axes: ParallelAxis[];
  /** Per run (in the order given): one value per axis, null where the run has none. */
  rows: (number | string | null)[][];
}

function rawValue(run: RunView, c: Column): number | string | null {
  if (c.kind === 'metric') {
    const m = run.metrics[c.key];
    if (!m) return null;
    return m.value !== null && Number.isFinite(m.value) ? m.value : null;
  }
  const v = c.kind === 'param' ? run.params[c.key] : run.tags[c.key];
  return v === undefined ? null : v;
}

/**
 * The axes of a parallel-coordinates chart over runs: a numeric axis where every value present is a
 * number (metrics; params such as "0.5"), else a category axis of the distinct values.
 */
export function parallelData(runs: RunView[], columns: Column[]): ParallelData {
  const axes: ParallelAxis[] = [];
  const cols: (number | string | null)[][] = [];
  for (const c of columns) {
    const raw = runs.map((r) => rawValue(r, c));
    const present = raw.filter((v): v is number | string => v !== null);
    const numeric = present.every((v) => typeof v === 'number' || NUMBER.test(v));
    const label = c.kind === 'metric' ? c.key : `${c.kind === 'param' ? 'param' : 'tag'} ${c.key}`;
    if (numeric) {
      axes.push({ column: c, label, type: 'value' });
      cols.push(raw.map((v) => (v === null ? null : typeof v === 'number' ? v : Number(v))));
    } else {
      const categories = [...new Set(present.map(String))].sort();
      axes.push({ column: c, label, type: 'category', categories });
      cols.push(raw.map((v) => (v === null ? null : String(v))));
    }
  }
  const rows = runs.map((_, i) => cols.map((col) => col[i] ?? null));
  return { axes, rows };
}
