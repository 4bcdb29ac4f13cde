import type { ModelRow, ModelVersionMlflowRow, ModelVersionRow } from '../../db/schema.js';
import type { Signature } from '../../runtime/signature.js';
import type { StageTransition } from './versions.repository.js';
import type { AliasHistoryRow } from './aliases.repository.js';

export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type Stage = (typeof STAGES)[number];
export type VersionStatus = 'PENDING' | 'READY' | 'FAILED';

export interface ModelView {
  name: string;
  project: string;
  description: string;
  owner: string;
  tags: Record<string, string>;
  aliases: Record<string, number>;
  /** The highest version number handed out (0 before the first). */
  lastVersion: number;
  /** low | medium | high: which of the project's policies governs the model. */
  riskTier: string;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

export interface ModelDetailView extends ModelView {
  /** The newest READY version in each stage that has one. */
  latestVersions: { stage: Stage; version: number }[];
}

export interface VersionView {
  model: string;
  project: string;
  version: number;
  status: VersionStatus;
  statusMessage: string | null;
  flavor: string;
  sha256: string;
  size: number;
  signature: Signature | null;
  inputExample: Record<string, unknown> | null;
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
  lineage: { sourceRun: string | null; datasetVersion: string | null; parentVersion: number | null };
  description: string;
  stage: Stage;
  aliases: string[];
  author: string;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}

export interface VersionDetailView extends VersionView {
  stageHistory: { from: Stage; to: Stage; comment: string; at: string; by: string }[];
  /** The dataset versions it was trained, validated or tested on. */
  datasets: { dataset: string; version: number; role: string }[];
  /** Whether Steward can deploy it: READY, and of a flavor Steward serves. */
  servable: boolean;
  /** Where a version registered through the MLflow API came from; null for versions uploaded to Steward. */
  mlflow: MlflowOriginView | null;
}

export interface MlflowOriginView {
  /** The model-versions/create source (e.g. mlflow-artifacts:/1/<run>/artifacts/model). */
  source: string;
  runId: string | null;
  runLink: string | null;
  /** The flavors its MLmodel file lists. */
  flavors: string[];
  /** Why Steward cannot serve it (null when it can). */
  reason: string | null;
}

export function mlflowOriginView(row: ModelVersionMlflowRow): MlflowOriginView {
  return { source: row.source, runId: row.run_id, runLink: row.run_link, flavors: JSON.parse(row.flavors) as string[], reason: row.reason };
}

export interface AliasHistoryView {
  alias: string;
  from: number | null;
  to: number | null;
  at: string;
  by: string;
}

export function modelView(m: ModelRow, project: string, tags: Record<string, string>, aliases: Record<string, number>): ModelView {
  return {
    name: m.name,
    project,
    description: m.description,
    owner: m.owner,
    tags,
    aliases,
    lastVersion: Number(m.last_version),
    riskTier: m.risk_tier,
    createdAt: m.created_at,
    createdBy: m.created_by,
    updatedAt: m.updated_at,
    updatedBy: m.updated_by,
  };
}

export function versionView(v: ModelVersionRow, model: string, project: string, tags: Record<string, string>, aliases: string[]): VersionView {
  return {
    model,
    project,
    version: Number(v.version),
    status: v.status as VersionStatus,
    statusMessage: v.status_message,
    flavor: v.flavor,
    sha256: v.artifact_sha256,
    size: Number(v.artifact_size),
    signature: v.signature === null ? null : (JSON.parse(v.signature) as Signature),
    inputExample: v.input_example === null ? null : (JSON.parse(v.input_example) as Record<string, unknown>),
    metrics: JSON.parse(v.metrics) as Record<string, number>,
    params: JSON.parse(v.params) as Record<string, string>,
    tags,
    lineage: { sourceRun: v.source_run, datasetVersion: v.dataset_version, parentVersion: v.parent_version === null ? null : Number(v.parent_version) },
    description: v.description,
    stage: v.stage as Stage,
    aliases,
    author: v.created_by,
    createdAt: v.created_at,
    updatedAt: v.updated_at,
    updatedBy: v.updated_by,
  };
}

export function transitionView(t: StageTransition): VersionDetailView['stageHistory'][number] {
  return { from: t.from_stage as Stage, to: t.to_stage as Stage, comment: t.comment, at: t.at, by: t.by };
}

export function aliasHistoryView(h: AliasHistoryRow): AliasHistoryView {
  return { alias: h.alias, from: h.from_version === null ? null : Number(h.from_version), to: h.to_version === null ? null : Number(h.to_version), at: h.at, by: h.by };
}
