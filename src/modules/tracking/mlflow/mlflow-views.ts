/**
 * Experiments, runs, metric points and artifact listings in MLflow's JSON, as its tracking server writes
 * them: protobuf JSON with snake_case names (mlflow/protos/service.proto), where fields that are unset and
 * lists that are empty are left out, int64 values are JSON numbers (mlflow/utils/proto_json_utils.py,
 * message_to_json), enums are their names, and doubles that JSON cannot hold are the strings "NaN",
 * "Infinity" and "-Infinity".
 */
import type { RunInputRow, RunMetricRow, RunRow } from '../../../db/schema.js';
import type { ExperimentRecord, RunRecord } from '../tracking.service.js';
import type { KeyValue, RunData } from '../tracking.repository.js';

export interface MlflowKeyValue {
  key: string;
  value: string;
}

export interface MlflowExperiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  last_update_time: number;
  creation_time: number;
  tags?: MlflowKeyValue[];
}

export interface MlflowRunInfo {
  run_id: string;
  run_uuid: string;
  run_name?: string;
  experiment_id: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time?: number;
  artifact_uri?: string;
  lifecycle_stage: string;
}

/** A double as protobuf JSON writes it. */
export type MlflowDouble = number | 'NaN' | 'Infinity' | '-Infinity';

export interface MlflowMetric {
  key: string;
  value: MlflowDouble;
  timestamp: number;
  step: number;
}

export interface MlflowRunData {
  metrics?: MlflowMetric[];
  params?: MlflowKeyValue[];
  tags?: MlflowKeyValue[];
}

export interface MlflowDatasetInput {
  tags?: MlflowKeyValue[];
  dataset: { name: string; digest: string; source_type: string; source: string; schema?: string; profile?: string };
}

export interface MlflowRun {
  info: MlflowRunInfo;
  data: MlflowRunData;
  inputs: { dataset_inputs?: MlflowDatasetInput[] };
}

export interface MlflowFileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

/** NaN and the infinities as protobuf JSON spells them; other numbers as they are. */
export function mlflowDouble(value: number): MlflowDouble {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

function keyValues(items: readonly KeyValue[]): MlflowKeyValue[] {
  return items.map((t) => ({ key: t.key, value: t.value }));
}

/** `{name: list}` when the list has entries, `{}` when it is empty (protobuf JSON leaves empty lists out). */
export function listField<K extends string, T>(name: K, items: readonly T[]): { [P in K]?: T[] } {
  return (items.length > 0 ? { [name]: [...items] } : {}) as { [P in K]?: T[] };
}

export function experimentView(record: ExperimentRecord): MlflowExperiment {
  const { row } = record;
  return {
    experiment_id: String(row.id),
    name: row.name,
    artifact_location: row.artifact_location,
    lifecycle_stage: row.lifecycle_stage,
    last_update_time: Number(row.last_update_time),
    creation_time: Number(row.creation_time),
    ...listField('tags', keyValues(record.tags)),
  };
}

/** RunInfo: run_uuid repeats run_id (older clients read it); end_time only once the run has ended. */
export function runInfoView(row: RunRow): MlflowRunInfo {
  const endTime = row.end_time === null ? 0 : Number(row.end_time);
  return {
    run_id: row.id,
    run_uuid: row.id,
    ...(row.name !== '' ? { run_name: row.name } : {}),
    experiment_id: String(row.experiment_id),
    user_id: row.user_id,
    status: row.status,
    start_time: Number(row.start_time),
    ...(endTime !== 0 ? { end_time: endTime } : {}),
    ...(row.artifact_uri !== '' ? { artifact_uri: row.artifact_uri } : {}),
    lifecycle_stage: row.lifecycle_stage,
  };
}

/** One metric point; `value` NaN (or a stored NaN flag) is written "NaN". */
export function metricView(point: { key: string; value: number; timestamp: number; step: number; is_nan?: number }): MlflowMetric {
  return {
    key: point.key,
    value: mlflowDouble(point.is_nan ? NaN : point.value),
    timestamp: Number(point.timestamp),
    step: Number(point.step),
  };
}

function byKey<T extends { key: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export function runDataView(data: RunData): MlflowRunData {
  return {
    ...listField(
      'metrics',
      byKey<RunMetricRow>(data.metrics).map((m) => metricView(m)),
    ),
    ...listField('params', keyValues(byKey(data.params))),
    ...listField('tags', keyValues(byKey(data.tags))),
  };
}

export function datasetInputView(input: RunInputRow): MlflowDatasetInput {
  let tags: MlflowKeyValue[] = [];
  try {
    const parsed = JSON.parse(input.tags) as unknown;
    if (Array.isArray(parsed)) tags = keyValues(parsed as KeyValue[]);
  } catch {
    tags = [];
  }
  return {
    ...listField('tags', tags),
    dataset: {
      name: input.name,
      digest: input.digest,
      source_type: input.source_type,
      source: input.source,
      ...(input.schema !== null ? { schema: input.schema } : {}),
      ...(input.profile !== null ? { profile: input.profile } : {}),
    },
  };
}

/**
 * A run: info, data (latest value of each metric, params, tags) and inputs. `data` and `inputs` are always
 * present (MLflow's Run.to_proto merges both in even when they are empty), their lists only when not empty.
 */
export function runView(record: RunRecord): MlflowRun {
  return {
    info: runInfoView(record.row),
    data: runDataView(record.data),
    inputs: listField('dataset_inputs', record.data.inputs.map(datasetInputView)),
  };
}

/** An entry of an artifact-proxy listing: `path` relative to the folder listed; folders have no size. */
export function fileInfoView(entry: { path: string; isDir: boolean; size?: number }): MlflowFileInfo {
  return { path: entry.path, is_dir: entry.isDir, ...(!entry.isDir && entry.size !== undefined ? { file_size: Number(entry.size) } : {}) };
}

/** A search answer: the list under `name` when not empty, and the token only when there is a next page. */
export function searchPage<K extends string, T>(name: K, items: readonly T[], nextPageToken: string | undefined): { [P in K]?: T[] } & { next_page_token?: string } {
  return { ...listField(name, items), ...(nextPageToken !== undefined && nextPageToken !== '' ? { next_page_token: nextPageToken } : {}) };
}
