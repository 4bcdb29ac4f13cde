/**
 * Calls of the training routes (/api/v1/training-jobs) with the bearer token, and the shapes of their
 * answers. Errors are the client's ApiError: a refused request is a 400 whose message names the field.
 */
import { requestJson } from '../../api/client';

export interface TrialView {
  index: number;
  runId: string;
  params: Record<string, number>;
  status: string;
  metrics: Record<string, number>;
  score: number | null;
  rounds: number;
  roundsTrained: number;
  durationMs: number;
  stoppedBy: string | null;
  error: string | null;
  importance: { feature: string; gain: number; splits: number | null }[];
  modelPath: string | null;
  note?: string | null;
}

export interface TrainingJob {
  id: string;
  project: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  dataset: { name: string; version: number };
  target: string;
  task: string;
  algorithm: string;
  metric: string;
  features: string[];
  skipped: { column: string; type: string }[];
  classes: string[];
  params: Record<string, number>;
  search: { method: string; trials: number; space: Record<string, unknown> } | null;
  validation: { kind: 'holdout'; fraction: number; seed: number } | { kind: 'kfold'; folds: number; seed: number } | { kind: 'dataset'; dataset: { name: string; version: number } };
  timeBudgetSeconds: number | null;
  experimentId: string | null;
  runId: string | null;
  jobId: string;
  progress: { fraction: number; message: string } | null;
  cancelRequested: boolean;
  result: {
    rows: { total: number; train: number; validation: number; droppedMissingTarget: number };
    trials: TrialView[];
    best: number | null;
    stoppedBy: string | null;
    plannedTrials: number;
    registered: { model: string; version: number; trial: number; at: string; by: string }[];
  } | null;
  error: string | null;
  createdAt: string;
  createdBy: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface Registered {
  version: { model?: string; name?: string; version: number; status: string; flavor: string };
  trial: number;
  runId: string;
  format: string;
  onnx: { path: string; sha256: string; size: number; maxAbsDiff: number; rowsCompared: number };
  reference: { jobId: string } | { error: string };
  modelCreated: boolean;
}

const call = requestJson;

export const ENDED = ['succeeded', 'failed', 'cancelled'];

export const trainingApi = {
  list: (project: string, signal?: AbortSignal) => call<{ items: TrainingJob[]; nextCursor: string | null }>('GET', '/api/v1/training-jobs', { query: { project, limit: 100 }, signal }),
  get: (id: string, signal?: AbortSignal) => call<TrainingJob>('GET', '/api/v1/training-jobs/{id}', { path: { id }, signal }),
  submit: (project: string, body: Record<string, unknown>) => call<TrainingJob>('POST', '/api/v1/training-jobs', { body: { project, ...body } }),
  cancel: (id: string) => call<TrainingJob>('POST', '/api/v1/training-jobs/{id}/cancel', { path: { id } }),
  register: (id: string, body: { model: string; trial?: number; format?: string }) => call<Registered>('POST', '/api/v1/training-jobs/{id}/register', { path: { id }, body }),
};

/** The loss-like metric logged per round beside the job's metric (for the learning curve). */
export function curveMetrics(job: Pick<TrainingJob, 'task' | 'metric'>): string[] {
  const all = job.task === 'binary' ? ['auc', 'logloss'] : job.task === 'multiclass' ? ['mlogloss', 'merror'] : ['rmse'];
  return [job.metric, ...all.filter((m) => m !== job.metric)];
}

export const maximized = (metric: string): boolean => metric === 'auc';
