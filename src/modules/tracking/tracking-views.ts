/**
 * The JSON shapes of Steward's own tracking API (/api/v1/experiments, /api/v1/runs): camelCase fields, ISO
 * times, tags and params as objects. JSON has no NaN or infinities, so a non-finite metric value is `null`
 * with `text` saying which ('NaN', 'Infinity', '-Infinity').
 */
import type { ExperimentRow, RunInputRow, RunMetricRow, RunRow } from '../../db/schema.js';
import type { KeyValue, RunData } from './tracking.repository.js';

/** The run tag where MLflow's log-model keeps the JSON descriptions of the models a run logged. */
export const LOGGED_MODELS_TAG = 'mlflow.log-model.history';

export type NonFinite = 'NaN' | 'Infinity' | '-Infinity';

export interface ExperimentView {
  id: string;
  project: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: string;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  tags: Record<string, string>;
  /** Active runs. */
  runCount: number;
}

export interface MetricValueView {
  value: number | null;
  text?: NonFinite;
  step: number;
  timestamp: string;
}

export interface MetricPointView {
  step: number;
  timestamp: string;
  value: number | null;
  text?: NonFinite;
}

export interface RunInputView {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  context: string | null;
  datasetVersion: { dataset: string; version: number } | null;
}

export interface LoggedModelView {
  artifactPath: string;
  flavors: string[];
  utcTimeCreated?: string;
}

export interface RunView {
  id: string;
  experimentId: string;
  project: string;
  name: string;
  status: string;
  startTime: string;
  endTime: string | null;
  durationMs: number | null;
  user: string;
  lifecycleStage: string;
  artifactUri: string;
  parentRunId: string | null;
  params: Record<string, string>;
  metrics: Record<string, MetricValueView>;
  tags: Record<string, string>;
  inputs: RunInputView[];
  models: LoggedModelView[];
  registeredVersions: { model: string; version: number }[];
}

export interface RunDetailView extends RunView {
  children: { id: string; name: string; status: string }[];
}

export interface RunColumnKeys {
  metricKeys: string[];
  paramKeys: string[];
  tagKeys: string[];
}

export interface RunsPageView extends RunColumnKeys {
  items: RunView[];
  nextPageToken?: string;
}

export interface MetricHistoryView {
  key: string;
  points: MetricPointView[];
  nextPageToken?: string;
}

export interface ArtifactEntryView {
  path: string;
  isDir: boolean;
  size?: number;
}

export interface ArtifactListView {
  path: string;
  files: ArtifactEntryView[];
}

export interface RunComparisonView {
  runs: RunView[];
  differingParams: string[];
  metricKeys: string[];
  paramKeys: string[];
  histories: Record<string, Record<string, MetricPointView[]>>;
}

/** What a run view needs beyond the run's own rows. */
export interface RunContext {
  /** Project names by id. */
  projects: ReadonlyMap<string, string>;
  /** Steward model versions made from each run, by run id. */
  registeredVersions: ReadonlyMap<string, { model: string; version: number }[]>;
  /** Steward dataset versions by id (the versions run inputs are linked to). */
  datasetVersions: ReadonlyMap<string, { dataset: string; version: number }>;
}

/**
 * Epoch milliseconds (stored as bigint; PostgreSQL hands them over as text) as ISO-8601 UTC. A time outside
 * what a Date can hold (MLflow clients may send any int64) is given as its decimal milliseconds instead.
 */
export function isoOf(ms: number | string | bigint): string {
  const n = Number(ms);
  const d = new Date(n);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

/** A stored metric value (NaN is value 0 with is_nan 1) as JSON: finite numbers as they are, the others as null + text. */
export function metricValue(value: number, isNan: boolean | number): { value: number | null; text?: NonFinite } {
  const v = Number(value);
  if (isNan === true || isNan === 1 || Number.isNaN(v)) return { value: null, text: 'NaN' };
  if (v === Infinity) return { value: null, text: 'Infinity' };
  if (v === -Infinity) return { value: null, text: '-Infinity' };
  return { value: v };
}

export function metricPointView(p: Pick<RunMetricRow, 'step' | 'timestamp' | 'value' | 'is_nan'>): MetricPointView {
  return { step: Number(p.step), timestamp: isoOf(p.timestamp), ...metricValue(p.value, p.is_nan) };
}

const record = (pairs: readonly KeyValue[]): Record<string, string> => Object.fromEntries(pairs.map((p) => [p.key, p.value]));

export function experimentView(row: ExperimentRow, project: string, tags: readonly KeyValue[], runCount: number): ExperimentView {
  return {
    id: String(row.id),
    project,
    name: row.name,
    artifactLocation: row.artifact_location,
    lifecycleStage: row.lifecycle_stage,
    createdAt: isoOf(row.creation_time),
    updatedAt: isoOf(row.last_update_time),
    createdBy: row.created_by,
    tags: record(tags),
    runCount,
  };
}

/**
 * The models a run logged, from the JSON list MLflow keeps in the `mlflow.log-model.history` tag: each
 * entry's artifact_path, the names of its flavors and utc_time_created. A value that is not a JSON list
 * (written by hand, cut short) gives no models rather than an error; entries that are not objects are skipped.
 */
export function loggedModels(history: string | undefined): LoggedModelView[] {
  if (history === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(history);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const out: LoggedModelView[] = [];
  for (const item of parsed) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) continue;
    const m = item as Record<string, unknown>;
    const flavors = m.flavors !== null && typeof m.flavors === 'object' && !Array.isArray(m.flavors) ? Object.keys(m.flavors).sort() : [];
    out.push({
      artifactPath: typeof m.artifact_path === 'string' ? m.artifact_path : '',
      flavors,
      ...(typeof m.utc_time_created === 'string' ? { utcTimeCreated: m.utc_time_created } : {}),
    });
  }
  return out;
}

/** The `mlflow.data.context` tag of an input ("training", "eval", …), null when it has none. */
function inputContext(input: RunInputRow): string | null {
  try {
    const tags = JSON.parse(input.tags) as unknown;
    if (!Array.isArray(tags)) return null;
    const found = tags.find((t): t is KeyValue => t !== null && typeof t === 'object' && (t as KeyValue).key === 'mlflow.data.context');
    return typeof found?.value === 'string' ? found.value : null;
  } catch {
    return null;
  }
}

export function runView(row: RunRow, data: RunData, context: RunContext): RunView {
  const start = Number(row.start_time);
  const end = row.end_time === null ? null : Number(row.end_time);
  const metrics: Record<string, MetricValueView> = {};
  for (const m of data.metrics) metrics[m.key] = { ...metricValue(m.value, m.is_nan), step: Number(m.step), timestamp: isoOf(m.timestamp) };
  const tags: Record<string, string> = {};
  let history: string | undefined;
  for (const t of data.tags) {
    if (t.key === LOGGED_MODELS_TAG) history = t.value;
    else tags[t.key] = t.value;
  }
  return {
    id: row.id,
    experimentId: String(row.experiment_id),
    project: context.projects.get(row.project_id) ?? row.project_id,
    name: row.name,
    status: row.status,
    startTime: isoOf(start),
    endTime: end === null ? null : isoOf(end),
    durationMs: end === null ? null : end - start,
    user: row.user_id,
    lifecycleStage: row.lifecycle_stage,
    artifactUri: row.artifact_uri,
    parentRunId: row.parent_run_id,
    params: record(data.params),
    metrics,
    tags,
    inputs: data.inputs.map((i) => ({
      name: i.name,
      digest: i.digest,
      sourceType: i.source_type,
      source: i.source,
      context: inputContext(i),
      datasetVersion: i.dataset_version_id === null ? null : (context.datasetVersions.get(i.dataset_version_id) ?? null),
    })),
    models: loggedModels(history),
    registeredVersions: context.registeredVersions.get(row.id) ?? [],
  };
}

/** The metric, param and tag keys of some runs (the union, sorted): the columns a table of them can show. */
export function columnKeys(runs: readonly RunView[]): RunColumnKeys {
  const sorted = (pick: (r: RunView) => Record<string, unknown>) => [...new Set(runs.flatMap((r) => Object.keys(pick(r))))].sort();
  return { metricKeys: sorted((r) => r.metrics), paramKeys: sorted((r) => r.params), tagKeys: sorted((r) => r.tags) };
}
