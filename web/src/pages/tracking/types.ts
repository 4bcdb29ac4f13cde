/**
 * The shapes of Steward's tracking API (/api/v1/experiments, /api/v1/runs): experiments, runs, metric
 * histories, run artifacts and the comparison of runs. Written by hand from the routes' contract, so the
 * pages do not wait for the generated schema; ./tracking-api.ts is the only place that calls the routes.
 */

export type LifecycleStage = 'active' | 'deleted';

/** Which experiments or runs a list shows. */
export type ViewFilter = 'active' | 'deleted' | 'all';

export interface ExperimentView {
  id: string;
  project: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: LifecycleStage | string;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  tags: Record<string, string>;
  runCount: number;
}

export interface NewExperiment {
  project?: string;
  name: string;
  tags?: Record<string, string>;
}

/** A metric's latest value: NaN and the infinities are null with `text` saying which. */
export interface LatestMetric {
  value: number | null;
  text?: 'NaN' | 'Infinity' | '-Infinity';
  step: number;
  timestamp: string | number;
}

export interface RunInput {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  context: string | null;
  /** The Steward dataset version the input was linked to, when its digest or source names one. */
  datasetVersion: { dataset: string; version: number } | null;
}

export interface LoggedModel {
  artifactPath: string;
  flavors: string[];
  utcTimeCreated?: string;
}

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface RunView {
  id: string;
  experimentId: string;
  project: string;
  name: string;
  status: RunStatus | string;
  startTime: string | number;
  endTime: string | number | null;
  durationMs: number | null;
  user: string;
  lifecycleStage: LifecycleStage | string;
  artifactUri: string;
  parentRunId: string | null;
  params: Record<string, string>;
  metrics: Record<string, LatestMetric>;
  tags: Record<string, string>;
  inputs: RunInput[];
  models: LoggedModel[];
  registeredVersions: { model: string; version: number }[];
}

export interface RunDetail extends RunView {
  children: { id: string; name: string; status: string }[];
}

export interface RunsPage {
  items: RunView[];
  nextPageToken?: string | null;
  /** Every metric, param and tag key of the experiment's runs (for the column chooser). */
  metricKeys: string[];
  paramKeys: string[];
  tagKeys: string[];
}

/** One point of a metric's history: NaN and the infinities are null with `text` saying which. */
export interface MetricPoint {
  step: number;
  timestamp: string | number;
  value: number | string | null;
  text?: 'NaN' | 'Infinity' | '-Infinity';
}

export interface MetricHistory {
  key: string;
  points: MetricPoint[];
  nextPageToken?: string | null;
}

export interface ArtifactEntry {
  path: string;
  isDir: boolean;
  size?: number;
}

export interface ArtifactListing {
  path: string;
  files: ArtifactEntry[];
}

export interface RunComparison {
  runs: RunView[];
  /** Param keys whose values are not the same in every run (a missing param counts as a value). */
  differingParams: string[];
  metricKeys: string[];
  paramKeys: string[];
  /** run id → metric key → its points, in step order. */
  histories: Record<string, Record<string, MetricPoint[]>>;
}
