/** Names for the API's shapes, taken from the generated schema. */
import type { Body, Ok } from './client';

export type WhoAmI = Ok<'/api/v1/whoami', 'get'>;
export type Project = Ok<'/api/v1/projects', 'get'>['items'][number];
export type Model = Ok<'/api/v1/models', 'get'>['items'][number];
export type ModelDetail = Ok<'/api/v1/models/{name}', 'get'>;
export type ModelVersion = Ok<'/api/v1/models/{name}/versions', 'get'>['items'][number];
export type VersionDetail = Ok<'/api/v1/models/{name}/versions/{version}', 'get'>;
export type AliasMove = Ok<'/api/v1/models/{name}/alias-history', 'get'>['items'][number];
export type Dataset = Ok<'/api/v1/datasets', 'get'>['items'][number];
export type DatasetVersion = Ok<'/api/v1/datasets/{name}/versions/{version}', 'get'>;
export type Deployment = Ok<'/api/v1/deployments/{name}', 'get'>;
export type DeploymentSpec = Deployment['spec'];
export type SpecTarget = DeploymentSpec['targets'][number];
export type DeploymentBody = Body<'/api/v1/deployments/{name}', 'put'>;
export type Revision = Ok<'/api/v1/deployments/{name}/revisions', 'get'>['items'][number];
export type Traffic = Ok<'/api/v1/deployments/{name}/traffic', 'get'>;
export type TrafficPoint = Traffic['points'][number];
export type User = Ok<'/api/v1/users', 'get'>['items'][number];
export type Token = Ok<'/api/v1/tokens', 'get'>['items'][number];
export type NewToken = Ok<'/api/v1/tokens', 'post'>;
export type Role = User['role'];
/** A role in a project: viewer < contributor < reviewer < deployer < admin. */
export type ProjectRole = NonNullable<Body<'/api/v1/projects/{project}/members/{user}', 'put'>>['role'];
export type Member = Ok<'/api/v1/projects/{project}/members', 'get'>['items'][number];
export type Policy = Ok<'/api/v1/policies', 'get'>['items'][number];
export type PolicyDocumentView = Policy['document'];
export type Promotion = Ok<'/api/v1/promotions', 'get'>['items'][number];
export type PromotionEvaluation = NonNullable<Promotion['evaluation']>;
export type GateRun = Ok<'/api/v1/models/{name}/versions/{version}/gate-runs', 'get'>['items'][number];
export type GateResult = Ok<'/api/v1/models/{name}/versions/{version}/gate-results', 'get'>['items'][number];
export type ModelCard = Ok<'/api/v1/models/{name}/versions/{version}/card', 'get'>;
export type CommentThread = Ok<'/api/v1/comments', 'get'>['items'][number];
export type Comment = CommentThread['replies'][number];
export type CommentSubject = Body<'/api/v1/comments', 'post'>['subject'];
export type Notification = Ok<'/api/v1/notifications', 'get'>['items'][number];
export type AuditRecord = Ok<'/api/v1/audit/records', 'get'>['items'][number];
export type AuditReport = Ok<'/api/v1/audit/verify', 'get'>;
export type Webhook = Ok<'/api/v1/webhooks', 'get'>['items'][number];
export type WebhookDelivery = Ok<'/api/v1/webhooks/{id}/deliveries', 'get'>['items'][number];

/** A column of a dataset profile (the profile is free-form JSON in the API; see src/data/profile.ts). */
export interface ColumnProfile {
  name: string;
  type: string;
  count: number;
  missing: number;
  distinct: number;
  distinctExact: boolean;
  min?: number | string | boolean | null;
  max?: number | string | boolean | null;
  mean?: number | null;
  std?: number | null;
  quantiles?: Record<string, number | null>;
  histogram?: { edges: (number | string)[]; counts: number[] };
  top?: { value: string | number | boolean; count: number }[];
  trueCount?: number;
  falseCount?: number;
}

export interface DatasetProfile {
  rows: number;
  columns: ColumnProfile[];
  examples: Record<string, unknown>[];
}

/** The answer of POST /api/v1/deployments/{name}/predict (not described by a schema in the API). */
export interface PredictAnswer {
  predictions: unknown[];
  predictionIds: string[];
  modelVersion: { model: string; version: number };
  revision: number;
}

// ---------------------------------------------------------------------------------------------------------
// Monitoring. The API describes the report's parts as free-form objects; these follow the server's
// MonitoringReport and WindowSummary (src/modules/monitoring/monitoring.service.ts) and ColumnDrift,
// QualityReport and OperationsReport (src/ml/monitoring/report.ts).

export type DriftTest = 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon' | 'psi' | 'hellinger' | 'linf';

/** Proportions per bin or category, each side summing to 1 over the rows with a value. */
export interface DriftHistogram {
  labels: string[];
  reference: number[];
  current: number[];
}

export interface ColumnDrift {
  kind: 'numeric' | 'categorical';
  test: DriftTest;
  /** KS D, chi-square, z, or the distance; null when the column has no current value. */
  statistic: number | null;
  pValue?: number;
  /** Benjamini–Hochberg adjusted, when the correction is on. */
  adjustedPValue?: number;
  threshold: number;
  drifted: boolean;
  effectSize: { measure: string; value: number } | null;
  referenceRows: number;
  currentRows: number;
  defaultTest: boolean;
  /** 'counts', 'bins' or 'sample'. */
  basis: string;
  histogram: DriftHistogram | null;
}

export interface DriftReport {
  features: Record<string, ColumnDrift>;
  /** The model's output ('prediction'). */
  output: ColumnDrift | null;
  share: number;
  weightedShare: number | null;
  /** Whether the importance-weighted share reaches the drift share (null without weights). */
  weightedDatasetDrift?: boolean | null;
  driftedFeatures: number;
  datasetDrift: boolean;
  correction: 'none' | 'bh';
}

export interface FeatureQuality {
  rows: number;
  missingRate: number;
  nonFiniteRate: number;
  typeErrorRate: number;
  outOfRangeRate: number | null;
  unseenCategoryRate: number | null;
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
}

export interface QualityReport {
  rows: number;
  missingRate: number;
  typeErrorRate: number;
  outOfRangeRate: number;
  unseenCategoryRate: number;
  rejected: number;
  rejectedRate: number;
  features: Record<string, FeatureQuality>;
}

export type PerformanceMetric = 'accuracy' | 'precision' | 'recall' | 'f1' | 'rocAuc' | 'logLoss' | 'ece' | 'mae' | 'rmse' | 'r2' | 'mape';

export type Task = 'binary' | 'multiclass' | 'regression';

/** Performance of the window's predictions that have labels (metrics empty when labeled is 0). */
export interface WindowPerformance {
  labeled: number;
  task: Task | null;
  metrics: Partial<Record<PerformanceMetric, number | null>>;
}

export interface PerformanceView extends WindowPerformance {
  skipped: number;
  /** The version's registered metrics next to the monitored ones. */
  validation: Partial<Record<PerformanceMetric, { validation: number; current: number | null; delta: number | null }>>;
}

export interface OperationsReport {
  count: number;
  errors: number;
  rejected: number;
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  throughputPerS: number | null;
}

export interface MonitoringReport {
  deployment?: string;
  project: string;
  model: string | null;
  version: number | null;
  from: string | null;
  to: string | null;
  windows: number;
  reference: { model: string; version: number; rows: number; source: unknown; createdAt: string } | null;
  drift: DriftReport | null;
  /** Why drift is null (no reference yet, no rows). */
  driftNote?: string;
  /** Where the weighted drift share's weights came from. */
  importanceSource?: 'settings' | 'explanation';
  /** Mean |SHAP| per feature, current rows against the reference's (tree models). */
  attribution: AttributionDrift | null;
  attributionNote?: string;
  quality: QualityReport;
  performance: PerformanceView;
  operations: OperationsReport;
}

export interface AttributionDrift {
  method: 'tree';
  rows: { reference: number; current: number };
  /** Σ |current − reference| / Σ reference: the share of the model's attribution that moved. */
  shift: number;
  features: Record<string, { reference: number; current: number; change: number }>;
}

/** One column's drift test in one window. */
export interface WindowColumnDrift {
  test: DriftTest;
  /** KS D, chi-square, z, or the distance; null when the window has no value of the column. */
  statistic: number | null;
  /** Null for distance tests. */
  pValue: number | null;
  /** Benjamini–Hochberg adjusted, when the correction is on; else null. */
  adjustedPValue: number | null;
  threshold: number;
  drifted: boolean;
}

export interface WindowDrift {
  share: number;
  datasetDrift: boolean;
  features: Record<string, WindowColumnDrift>;
  /** The model's output ('prediction'). */
  output: WindowColumnDrift | null;
}

export interface WindowSummary {
  start: string;
  end: string;
  /** minute, hour, day or rows:N. */
  kind: string;
  seq: number;
  model: string;
  version: number;
  rows: number;
  closed: boolean;
  drift: WindowDrift | null;
  attribution: { shift: number; features: Record<string, { reference: number; current: number; change: number }> } | null;
  quality: { missingRate: number; outOfRangeRate: number; unseenCategoryRate: number; rejectedRate: number };
  performance: WindowPerformance;
  operations: OperationsReport;
}

/** The body of PUT …/monitoring/settings (fields left out keep their value). */
export type MonitoringSettingsBody = Body<'/api/v1/deployments/{name}/monitoring/settings', 'put'>;

export interface MonitoringSettings {
  window: string;
  tests: Record<string, { method: DriftTest; threshold?: number }>;
  correction: 'none' | 'bh';
  driftShare: number;
  importance: Record<string, number> | null;
  task: Task | null;
  sampleRows: number;
}

/** GET /api/v1/models/{name}/versions/{version}/reference (columns only when READY). */
export interface ReferenceView {
  model: string;
  version: number;
  id: string;
  status: 'PENDING' | 'READY' | 'FAILED' | string;
  rows: number;
  source: unknown;
  error: string | null;
  jobId: string | null;
  createdAt: string;
  createdBy: string;
  columns: { name: string; kind: string; rows: number; missing: number }[];
}

export type AlertRule = Ok<'/api/v1/deployments/{name}/alerts/rules', 'get'>['items'][number];
export type AlertRuleBody = Body<'/api/v1/deployments/{name}/alerts/rules', 'post'>;
export type AlertEvent = Ok<'/api/v1/deployments/{name}/alerts', 'get'>['items'][number];
export type AlertDelivery = Ok<'/api/v1/deployments/{name}/alerts/deliveries', 'get'>['items'][number];
