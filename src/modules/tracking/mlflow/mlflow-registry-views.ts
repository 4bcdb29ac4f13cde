/**
 * Registered models and model versions in MLflow's JSON (mlflow/protos/model_registry.proto as the server's
 * message_to_json writes it): snake_case names, unset fields and empty lists left out, int64 timestamps as
 * JSON numbers (epoch milliseconds), the version number as a string, the status as its enum name.
 */
import type { ModelRow, ModelVersionMlflowRow, ModelVersionRow } from '../../../db/schema.js';

export interface MlflowKeyValue {
  key: string;
  value: string;
}

export interface MlflowModelVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id?: string;
  current_stage: string;
  description?: string;
  source?: string;
  run_id?: string;
  status: 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';
  status_message?: string;
  tags?: MlflowKeyValue[];
  run_link?: string;
  aliases?: string[];
}

export interface MlflowRegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description?: string;
  latest_versions?: MlflowModelVersion[];
  tags?: MlflowKeyValue[];
  aliases?: { alias: string; version: string }[];
}

/** Steward's ISO time as epoch milliseconds. */
export function epochMs(iso: string): number {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 0 : ms;
}

const STATUS: Record<string, MlflowModelVersion['status']> = { READY: 'READY', PENDING: 'PENDING_REGISTRATION', FAILED: 'FAILED_REGISTRATION' };

export function mlflowStatus(status: string): MlflowModelVersion['status'] {
  return STATUS[status] ?? 'FAILED_REGISTRATION';
}

function keyValues(tags: Record<string, string>): MlflowKeyValue[] | undefined {
  const list = Object.keys(tags)
    .sort()
    .map((key) => ({ key, value: tags[key]! }));
  return list.length > 0 ? list : undefined;
}

/** The source a version shows: where MLflow registered it from, or Steward's own name for an uploaded version. */
export function versionSource(project: string, model: string, v: ModelVersionRow, origin: ModelVersionMlflowRow | undefined): string {
  return origin ? origin.source : `steward:/${project}/${model}/${v.version}`;
}

export function modelVersionJson(
  project: string,
  model: string,
  v: ModelVersionRow,
  labels: { tags: Record<string, string>; aliases: string[] },
  origin: ModelVersionMlflowRow | undefined,
): MlflowModelVersion {
  const runId = origin ? origin.run_id : v.source_run;
  const out: MlflowModelVersion = {
    name: model,
    version: String(v.version),
    creation_timestamp: epochMs(v.created_at),
    last_updated_timestamp: epochMs(v.updated_at),
    user_id: v.created_by,
    current_stage: v.stage,
    ...(v.description !== '' ? { description: v.description } : {}),
    source: versionSource(project, model, v, origin),
    ...(runId ? { run_id: runId } : {}),
    status: mlflowStatus(v.status),
    ...(v.status_message ? { status_message: v.status_message } : {}),
  };
  const tags = keyValues(labels.tags);
  if (tags) out.tags = tags;
  if (origin?.run_link) out.run_link = origin.run_link;
  if (labels.aliases.length > 0) out.aliases = [...labels.aliases].sort();
  return out;
}

export function registeredModelJson(
  m: ModelRow,
  tags: Record<string, string>,
  aliases: { alias: string; version: number }[],
  latest: MlflowModelVersion[],
): MlflowRegisteredModel {
  const out: MlflowRegisteredModel = {
    name: m.name,
    creation_timestamp: epochMs(m.created_at),
    last_updated_timestamp: epochMs(m.updated_at),
  };
  if (m.description !== '') out.description = m.description;
  if (latest.length > 0) out.latest_versions = latest;
  const kv = keyValues(tags);
  if (kv) out.tags = kv;
  if (aliases.length > 0) out.aliases = [...aliases].sort((a, b) => (a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0)).map((a) => ({ alias: a.alias, version: String(a.version) }));
  return out;
}
