/**
 * Table types for Kysely. Times are ISO-8601 UTC text; JSON documents are text; booleans are 0/1 integers.
 * These choices read and sort the same on SQLite and PostgreSQL.
 */
import type { Generated, Insertable, Selectable } from 'kysely';

export interface ProjectTable {
  id: string;
  name: string;
  description: string;
  created_at: string;
  created_by: string;
}

export interface UserTable {
  id: string;
  name: string;
  role: string;
  disabled: number;
  created_at: string;
  created_by: string;
}

export interface ApiTokenTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  prefix: string;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  /** JSON {"deployments": ["project/name", ...]} limiting the token to inference on those deployments; null = no limit. */
  scope: string | null;
}

export interface ModelTable {
  id: string;
  project_id: string;
  name: string;
  description: string;
  owner: string;
  /** The highest version number handed out so far. */
  last_version: number;
  /** low | medium | high: which of the project's policies governs the model. */
  risk_tier: string;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
}

export interface ModelTagTable {
  model_id: string;
  key: string;
  value: string;
}

export interface ModelVersionTable {
  id: string;
  model_id: string;
  version: number;
  status: string;
  status_message: string | null;
  flavor: string;
  artifact_sha256: string;
  artifact_size: number;
  signature: string | null;
  input_example: string | null;
  metrics: string;
  params: string;
  source_run: string | null;
  dataset_version: string | null;
  parent_version: number | null;
  description: string;
  stage: string;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
}

export interface VersionTagTable {
  version_id: string;
  key: string;
  value: string;
}

export interface ModelAliasTable {
  model_id: string;
  alias: string;
  version: number;
  updated_at: string;
  updated_by: string;
}

export interface AliasHistoryTable {
  id: string;
  model_id: string;
  alias: string;
  from_version: number | null;
  to_version: number | null;
  at: string;
  by: string;
}

export interface StageTransitionTable {
  id: string;
  version_id: string;
  from_stage: string;
  to_stage: string;
  comment: string;
  at: string;
  by: string;
}

export interface EventTable {
  seq: Generated<number>;
  id: string;
  type: string;
  at: string;
  actor: string;
  project_id: string | null;
  entity_type: string;
  entity_id: string;
  payload: string;
  /** The record's place in the audit chain (1, 2, …), the previous record's hash and its own (SHA-256 hex). */
  chain: number | null;
  prev_hash: string | null;
  hash: string | null;
}

export interface JobTable {
  id: string;
  type: string;
  status: string;
  project_id: string | null;
  payload: string;
  result: string | null;
  error: string | null;
  progress: number;
  progress_message: string;
  attempts: number;
  max_attempts: number;
  run_after: string;
  lease_owner: string | null;
  lease_until: string | null;
  created_at: string;
  created_by: string;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
}

export interface DatasetTable {
  id: string;
  project_id: string;
  name: string;
  description: string;
  last_version: number;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
}

export interface DatasetVersionTable {
  id: string;
  dataset_id: string;
  version: number;
  /** Content id: the SHA-256 of the uploaded bytes, or of the stored form for derived versions. */
  sha256: string;
  source_format: string;
  source_name: string;
  source_sha256: string;
  source_size: number;
  stored_sha256: string;
  stored_size: number;
  row_count: number;
  schema: string;
  csv: string | null;
  source: string | null;
  derived_from: string | null;
  recipe: string | null;
  split: string | null;
  description: string;
  profile_status: string;
  profile: string | null;
  profile_job_id: string | null;
  created_at: string;
  created_by: string;
}

export interface ModelVersionDatasetTable {
  model_version_id: string;
  dataset_version_id: string;
  role: string;
}

export interface RecipeTable {
  id: string;
  project_id: string;
  name: string;
  last_version: number;
  created_at: string;
  created_by: string;
}

export interface RecipeVersionTable {
  id: string;
  recipe_id: string;
  version: number;
  steps: string;
  description: string;
  created_at: string;
  created_by: string;
}

export interface DeploymentTable {
  id: string;
  project_id: string;
  name: string;
  current_revision: number;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
}

export interface DeploymentRevisionTable {
  id: string;
  deployment_id: string;
  revision: number;
  /** The resolved routing spec (JSON, see modules/deployments/deployment-spec.ts). */
  spec: string;
  /** What made it: update, rollback, alias (an alias it follows moved). */
  cause: string;
  comment: string;
  created_at: string;
  created_by: string;
}

export interface DeploymentAliasBindingTable {
  deployment_id: string;
  model_id: string;
  alias: string;
}

export interface TrainingJobTable {
  id: string;
  project_id: string;
  dataset_version_id: string;
  job_id: string;
  /** JSON: the checked training spec (TrainingSpec). */
  spec: string;
  /** QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED. */
  status: string;
  /** 1 once a cancel was asked; the running job stops at its next round. */
  cancel_requested: number;
  /** The experiment and the parent run, once the job started. */
  experiment_id: number | null;
  run_id: string | null;
  /** JSON: TrainingResult (trials, best, stop reason), rewritten as trials finish. */
  result: string | null;
  error: string | null;
  created_at: string;
  created_by: string;
  created_by_id: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface ExplanationReportTable {
  id: string;
  model_version_id: string;
  dataset_version_id: string;
  /** QUEUED, RUNNING, SUCCEEDED or FAILED. */
  status: string;
  /** JSON: the parameters the report was asked with. */
  params: string;
  job_id: string;
  /** The report's JSON in the artifact store, once it succeeded. */
  result_sha256: string | null;
  /** JSON: method and top features, small enough for lists and policies. */
  summary: string | null;
  error: string | null;
  created_at: string;
  created_by: string;
  finished_at: string | null;
}

export interface MonitoringSettingsTable {
  deployment_id: string;
  /** JSON, see modules/monitoring/monitoring-settings.ts. */
  settings: string;
  updated_at: string;
  updated_by: string;
}

export interface MonitoringReferenceTable {
  model_version_id: string;
  id: string;
  /** PENDING, READY or FAILED. */
  status: string;
  /** JSON: where the reference rows came from. */
  source: string;
  rows: number;
  profile_sha256: string | null;
  error: string | null;
  job_id: string | null;
  created_at: string;
  created_by: string;
}

export interface MonitoringWindowTable {
  id: string;
  deployment_id: string;
  model: string;
  version: number;
  /** minute, hour, day, or rows:<N>. */
  kind: string;
  start_at: string;
  end_at: string;
  /** Window number within its kind (epoch minutes/hours/days, or the N-prediction block). */
  seq: number;
  rows: number;
  closed: number;
  stats: string;
  sample: string;
  /** The first SAMPLE_HEAD_ROWS rows of the sample. */
  sample_head: string;
  updated_at: string;
}

export interface MonitoringCursorTable {
  log_dir: string;
  segment: string;
  /** PostgreSQL answers bigint as text. */
  offset: number | string;
  updated_at: string;
}

export interface MonitoringLabelTable {
  prediction_id: string;
  deployment_id: string;
  model: string;
  version: number;
  predicted_at: string;
  /** JSON of the logged prediction and of the label. */
  prediction: string;
  label: string;
  labeled_at: string;
}

export interface AlertRuleTable {
  id: string;
  deployment_id: string;
  name: string;
  /** JSON: metric, comparison, threshold, windows, firing/resolving counts, webhook. */
  rule: string;
  /** ok, pending, firing. */
  state: string;
  /** JSON: consecutive counts, last evaluated window. */
  state_detail: string;
  silenced_until: string | null;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
}

export interface AlertEventTable {
  id: string;
  rule_id: string;
  /** firing, resolved, acknowledged, silenced. */
  state: string;
  value: number | null;
  window_start: string | null;
  window_end: string | null;
  detail: string;
  at: string;
}

export interface WebhookDeliveryTable {
  id: string;
  event_id: string;
  url: string;
  payload: string;
  /** pending, delivered, failed. */
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  /** JSON array of attempts: {at, status?, error?, ms}. */
  log: string;
  created_at: string;
  updated_at: string;
}

export interface ProjectMemberTable {
  project_id: string;
  user_id: string;
  /** viewer | contributor | reviewer | deployer | admin */
  role: string;
  created_at: string;
  created_by: string;
}

export interface PolicyTable {
  id: string;
  project_id: string;
  tier: string;
  version: number;
  /** The policy as checked JSON (canonical). */
  document: string;
  /** The text as published (JSON or YAML). */
  source: string;
  sha256: string;
  comment: string;
  created_at: string;
  created_by: string;
}

export interface GateRunTable {
  id: string;
  model_version_id: string;
  dataset_version_id: string;
  policy_id: string | null;
  /** JSON: the gates run and their columns. */
  spec: string;
  /** QUEUED | RUNNING | SUCCEEDED | FAILED */
  status: string;
  /** 1 when every gate passed, 0 when one failed; null until the run finishes. */
  passed: number | null;
  job_id: string;
  error: string | null;
  created_at: string;
  created_by: string;
  finished_at: string | null;
}

export interface GateResultTable {
  id: string;
  run_id: string;
  model_version_id: string;
  name: string;
  type: string;
  /** SHA-256 of the gate's canonical spec: a policy counts a result only for the spec it asks for. */
  spec_sha256: string;
  spec: string;
  passed: number;
  details: string;
  created_at: string;
}

export interface PromotionRequestTable {
  id: string;
  project_id: string;
  model_version_id: string;
  /** stage | alias | deployment */
  kind: string;
  /** The stage, alias or deployment name. */
  target: string;
  /** JSON: what the move does (for a deployment, the requested spec). */
  change: string;
  /** open | executed | rejected | cancelled | failed */
  status: string;
  message: string;
  comment: string;
  created_at: string;
  created_by: string;
  updated_at: string;
  executed_at: string | null;
}

export interface ApprovalTable {
  id: string;
  request_id: string;
  reviewer: string;
  /** approve | reject */
  decision: string;
  comment: string;
  at: string;
}

export interface ModelCardTable {
  model_version_id: string;
  /** JSON: the fields people write. */
  fields: string;
  updated_at: string;
  updated_by: string;
}

export interface CommentTable {
  id: string;
  project_id: string;
  /** model | model_version | deployment */
  subject_type: string;
  subject_id: string;
  parent_id: string | null;
  author: string;
  body: string;
  /** JSON array of user names mentioned. */
  mentions: string;
  created_at: string;
  edited_at: string | null;
  deleted_at: string | null;
}

export interface NotificationTable {
  id: string;
  user_id: string;
  kind: string;
  payload: string;
  created_at: string;
  read_at: string | null;
}

export interface WebhookTable {
  id: string;
  /** Null: events of every project (platform admins only). */
  project_id: string | null;
  name: string;
  url: string;
  secret: string;
  /** JSON array of event type patterns ("model_version.*", "*"). */
  events: string;
  active: number;
  created_at: string;
  created_by: string;
  updated_at: string;
}

export interface WebhookEventDeliveryTable {
  id: string;
  webhook_id: string;
  event_seq: number;
  event_type: string;
  payload: string;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  log: string;
  created_at: string;
  updated_at: string;
}

export interface EventCursorTable {
  name: string;
  seq: number;
  updated_at: string;
}

export interface AuditHeadTable {
  id: number;
  chain: number;
  hash: string;
}

/** Tracking (MLflow's model). Times are epoch milliseconds. */
export interface ExperimentTable {
  id: number;
  project_id: string;
  name: string;
  artifact_location: string;
  /** active | deleted */
  lifecycle_stage: string;
  creation_time: number;
  last_update_time: number;
  created_by: string;
}

export interface ExperimentTagTable {
  experiment_id: number;
  key: string;
  value: string;
}

export interface RunTable {
  /** 32 lower-case hex digits (MLflow's run id). */
  id: string;
  experiment_id: number;
  project_id: string;
  name: string;
  /** RUNNING | SCHEDULED | FINISHED | FAILED | KILLED */
  status: string;
  start_time: number;
  end_time: number | null;
  user_id: string;
  /** active | deleted */
  lifecycle_stage: string;
  artifact_uri: string;
  parent_run_id: string | null;
  deleted_time: number | null;
}

export interface RunParamTable {
  run_id: string;
  key: string;
  value: string;
}

export interface RunTagTable {
  run_id: string;
  key: string;
  value: string;
}

export interface RunMetricTable {
  run_id: string;
  key: string;
  step: number;
  timestamp: number;
  /** 0 when is_nan is 1. */
  value: number;
  is_nan: number;
}

export interface RunInputTable {
  run_id: string;
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema: string | null;
  profile: string | null;
  /** JSON [{key, value}] (e.g. mlflow.data.context). */
  tags: string;
  dataset_version_id: string | null;
  created_at: number;
}

export interface TrackingArtifactTable {
  /** "<experiment id>/<run id>/artifacts/<file path>" (or any path under the MLflow artifact proxy). */
  path: string;
  project_id: string;
  sha256: string;
  size: number;
  created_at: number;
  created_by: string;
}

export interface ModelVersionMlflowTable {
  version_id: string;
  source: string;
  run_id: string | null;
  run_link: string | null;
  /** The MLmodel file's text, when the source had one. */
  mlmodel: string | null;
  /** JSON list of the MLmodel's flavor names. */
  flavors: string;
  servable: number;
  /** Why Steward cannot serve it (null when it can). */
  reason: string | null;
}

export interface DB {
  projects: ProjectTable;
  users: UserTable;
  api_tokens: ApiTokenTable;
  models: ModelTable;
  model_tags: ModelTagTable;
  model_versions: ModelVersionTable;
  version_tags: VersionTagTable;
  model_aliases: ModelAliasTable;
  alias_history: AliasHistoryTable;
  stage_transitions: StageTransitionTable;
  events: EventTable;
  jobs: JobTable;
  datasets: DatasetTable;
  dataset_versions: DatasetVersionTable;
  model_version_datasets: ModelVersionDatasetTable;
  recipes: RecipeTable;
  recipe_versions: RecipeVersionTable;
  deployments: DeploymentTable;
  deployment_revisions: DeploymentRevisionTable;
  deployment_alias_bindings: DeploymentAliasBindingTable;
  monitoring_settings: MonitoringSettingsTable;
  monitoring_references: MonitoringReferenceTable;
  monitoring_windows: MonitoringWindowTable;
  monitoring_cursors: MonitoringCursorTable;
  monitoring_labels: MonitoringLabelTable;
  alert_rules: AlertRuleTable;
  alert_events: AlertEventTable;
  webhook_deliveries: WebhookDeliveryTable;
  explanation_reports: ExplanationReportTable;
  training_jobs: TrainingJobTable;
  project_members: ProjectMemberTable;
  policies: PolicyTable;
  gate_runs: GateRunTable;
  gate_results: GateResultTable;
  promotion_requests: PromotionRequestTable;
  approvals: ApprovalTable;
  model_cards: ModelCardTable;
  comments: CommentTable;
  notifications: NotificationTable;
  webhooks: WebhookTable;
  webhook_event_deliveries: WebhookEventDeliveryTable;
  event_cursors: EventCursorTable;
  audit_head: AuditHeadTable;
  experiments: ExperimentTable;
  experiment_tags: ExperimentTagTable;
  runs: RunTable;
  run_params: RunParamTable;
  run_tags: RunTagTable;
  run_metrics: RunMetricTable;
  run_latest_metrics: RunMetricTable;
  run_inputs: RunInputTable;
  tracking_artifacts: TrackingArtifactTable;
  model_version_mlflow: ModelVersionMlflowTable;
}

export type ProjectRow = Selectable<ProjectTable>;
export type UserRow = Selectable<UserTable>;
export type ApiTokenRow = Selectable<ApiTokenTable>;
export type ModelRow = Selectable<ModelTable>;
export type ModelVersionRow = Selectable<ModelVersionTable>;
export type NewModelVersion = Insertable<ModelVersionTable>;
export type EventRow = Selectable<EventTable>;
export type JobRow = Selectable<JobTable>;
export type DatasetRow = Selectable<DatasetTable>;
export type DatasetVersionRow = Selectable<DatasetVersionTable>;
export type RecipeRow = Selectable<RecipeTable>;
export type RecipeVersionRow = Selectable<RecipeVersionTable>;
export type DeploymentRow = Selectable<DeploymentTable>;
export type DeploymentRevisionRow = Selectable<DeploymentRevisionTable>;
export type ProjectMemberRow = Selectable<ProjectMemberTable>;
export type PolicyRow = Selectable<PolicyTable>;
export type GateRunRow = Selectable<GateRunTable>;
export type GateResultRow = Selectable<GateResultTable>;
export type PromotionRequestRow = Selectable<PromotionRequestTable>;
export type ApprovalRow = Selectable<ApprovalTable>;
export type ModelCardRow = Selectable<ModelCardTable>;
export type CommentRow = Selectable<CommentTable>;
export type NotificationRow = Selectable<NotificationTable>;
export type WebhookRow = Selectable<WebhookTable>;
export type WebhookEventDeliveryRow = Selectable<WebhookEventDeliveryTable>;
export type ExperimentRow = Selectable<ExperimentTable>;
export type RunRow = Selectable<RunTable>;
export type RunMetricRow = Selectable<RunMetricTable>;
export type RunInputRow = Selectable<RunInputTable>;
export type TrackingArtifactRow = Selectable<TrackingArtifactTable>;
export type ModelVersionMlflowRow = Selectable<ModelVersionMlflowTable>;
