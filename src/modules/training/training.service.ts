/**
 * Training in the platform. A request (dataset version, target, algorithm, params or a search space) is
 * checked against the data before anything is queued; the work runs as a background job, each model fit in
 * a worker thread (fit-runner.ts), and every trial is a tracked run: its params, per-iteration train and
 * validation metrics, best metrics, duration, input dataset, feature importance and model files (run
 * artifacts). A search's trials are child runs of the job's parent run. The best trial (by the spec's
 * validation metric) is offered for registration, which makes a model version with its signature, metrics,
 * lineage and a reference profile, in Steward's tree format (xgboost JSON, served by the native evaluator and
 * explained by TreeSHAP) and as ONNX checked against the native predictions in onnxruntime
 * (training-export.ts).
 */
import type { MetadataStore } from '../../db/metadata-store.js';
import type { DatasetVersionRow, ProjectRow } from '../../db/schema.js';
import type { ColumnSchema } from '../../data/column-types.js';
import type { DataEngine } from '../../data/engine.js';
import type { EvalMetric } from '../../ml/gbdt/gbdt-metrics.js';
import type { IterationReport } from '../../ml/gbdt/gbdt-trainer.js';
import { isoTime, type Clock } from '../../platform/clock.js';
import { decodeCursor, encodeCursor } from '../../platform/cursor.js';
import { conflict, DomainError, invalidField, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { Logger } from '../../platform/logger.js';
import { printable } from '../../platform/names.js';
import type { Principal } from '../../platform/principal.js';
import type { ArtifactStore } from '../../storage/artifact-store.js';
import type { AccessService } from '../access/access.service.js';
import { datasetVersionByName } from '../datasets/dataset-lookup.js';
import { domainEvent } from '../events/domain-event.js';
import type { JobContext } from '../jobs/job-worker.js';
import type { JobsService } from '../jobs/jobs.service.js';
import type { TrackingService } from '../tracking/tracking.service.js';
import { fitModel, type FitData, type FitInput, type FitModel, type FitResult } from './fit.js';
import { startFit, STOP_CANCEL, STOP_SHUTDOWN, type RunningFit } from './fit-runner.js';
import { searchTrials } from './search.js';
import { assignFolds, holdoutMask, loadTrainingData, MAX_TRAINING_CELLS, subset, summarizeTarget } from './training-data.js';
import type { TrainingJobRow } from './training.repository.js';
import { effectiveParams, maximized, parseTrainingRequest, resolveTrainingSpec, type Params, type TrainingSpec } from './training-spec.js';
import { modelFileOf, type StoredModel } from './training-export.js';

export const TRAINING_JOB = 'training.run';

export type TrainingStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface TrialView {
  index: number;
  runId: string;
  params: Params;
  /** FINISHED, FAILED, KILLED (cancelled) or RUNNING. */
  status: string;
  /** Best validation value of each metric (at the kept round), e.g. {"auc": 0.91, "logloss": 0.3}. */
  metrics: Record<string, number>;
  /** The spec's metric for this trial (what ranks trials); null when it has no model. */
  score: number | null;
  /** Rounds kept in the model (trees per class) and rounds trained; 1 for linear models. */
  rounds: number;
  roundsTrained: number;
  durationMs: number;
  stoppedBy: string | null;
  error: string | null;
  /** Per feature, most important first: gain and split count (trees) or |standardized coefficient| (linear). */
  importance: { feature: string; gain: number; splits: number | null }[];
  /** Run artifact path of the model file (relative to the run's artifact root). */
  modelPath: string | null;
  /** What to know about the trial's model (e.g. cross-validation cut short by the time budget). */
  note: string | null;
}

export interface TrainingResult {
  rows: { total: number; train: number; validation: number; droppedMissingTarget: number };
  trials: TrialView[];
  /** Index of the best trial (by the spec's metric), null while none has a model. */
  best: number | null;
  /** Why the job ended before all its work: 'time budget' or 'cancelled'. */
  stoppedBy: string | null;
  plannedTrials: number;
  registered: { model: string; version: number; trial: number; at: string; by: string }[];
}

export interface TrainingJobView {
  id: string;
  project: string;
  status: TrainingStatus;
  dataset: { name: string; version: number };
  target: string;
  task: string;
  algorithm: string;
  metric: string;
  features: string[];
  skipped: { column: string; type: string }[];
  classes: string[];
  params: Params;
  search: TrainingSpec['search'];
  validation: TrainingSpec['validation'];
  timeBudgetSeconds: number | null;
  experimentId: string | null;
  runId: string | null;
  jobId: string;
  progress: { fraction: number; message: string } | null;
  cancelRequested: boolean;
  result: TrainingResult | null;
  error: string | null;
  createdAt: string;
  createdBy: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** The stored spec: the resolved spec plus the dataset version ids it was checked against. */
interface StoredSpec extends TrainingSpec {
  datasetVersionId: string;
  validationDatasetVersionId: string | null;
}

export interface TrainingDeps {
  store: MetadataStore;
  artifacts: ArtifactStore;
  engine: DataEngine;
  jobs: JobsService;
  access: AccessService;
  tracking: TrackingService;
  clock: Clock;
  logger: Logger;
}

const STATUS_VIEW: Record<string, TrainingStatus> = { QUEUED: 'queued', RUNNING: 'running', SUCCEEDED: 'succeeded', FAILED: 'failed', CANCELLED: 'cancelled' };

/** The metrics reported per iteration for a task, the spec's metric last (it drives early stopping). */
export function metricsFor(spec: Pick<TrainingSpec, 'task' | 'metric'>): EvalMetric[] {
  const all: EvalMetric[] = spec.task === 'binary' ? ['logloss', 'auc'] : spec.task === 'multiclass' ? ['merror', 'mlogloss'] : ['rmse'];
  return [...all.filter((m) => m !== spec.metric), spec.metric as EvalMetric];
}

const better = (metric: string, a: number, b: number | null) => b === null || (maximized(metric) ? a > b : a < b);

export class TrainingService {
  constructor(private readonly deps: TrainingDeps) {}

  // ----------------------------------------------------------------------------------------------
  // Requests

  /** POST /api/v1/training-jobs: checks everything against the data, then queues the job (202). */
  async submit(actor: Principal, body: unknown): Promise<TrainingJobView> {
    const { store, clock, access, artifacts, engine } = this.deps;
    const projectName = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as { project?: unknown }).project : undefined;
    if (projectName !== undefined && typeof projectName !== 'string') throw invalidField('project', 'must be a project name');
    const { project } = await access.check(actor, projectName, 'contributor');
    const request = parseTrainingRequest(body);
    const dv = await this.datasetVersion(project, request.dataset.name, request.dataset.version, 'dataset');
    const columns = JSON.parse(dv.schema) as ColumnSchema[];
    const targetColumn = columns.find((c) => c.name === request.target);
    const numericTarget = targetColumn !== undefined && ['numeric', 'integer', 'boolean'].includes(targetColumn.type);
    const path = await artifacts.localPath(dv.stored_sha256);
    const summary = targetColumn ? await summarizeTarget(engine, path, request.target, numericTarget) : { rows: 0, distinct: [], moreDistinct: false };
    const spec = resolveTrainingSpec(request, columns, summary);
    if (summary.rows * spec.features.length > MAX_TRAINING_CELLS) {
      throw invalidField('features', `${summary.rows} rows × ${spec.features.length} features is more than ${MAX_TRAINING_CELLS} values; name fewer features or sample the dataset with a recipe`);
    }
    let validationDatasetVersionId: string | null = null;
    if (spec.validation.kind === 'dataset') {
      const vdv = await this.datasetVersion(project, spec.validation.dataset.name, spec.validation.dataset.version, 'validation.dataset');
      const vcols = JSON.parse(vdv.schema) as ColumnSchema[];
      for (const name of [...spec.features, spec.target]) {
        if (!vcols.some((c) => c.name === name)) throw invalidField('validation.dataset', `has no column '${printable(name)}' (the features and the target must be there)`);
      }
      validationDatasetVersionId = vdv.id;
    }
    const stored: StoredSpec = { ...spec, datasetVersionId: dv.id, validationDatasetVersionId };
    const now = isoTime(clock);
    const id = newId(clock.now());
    const row = await store.transaction(async (tx) => {
      const job = await this.deps.jobs.enqueue(tx, actor.name, { type: TRAINING_JOB, payload: { trainingId: id }, projectId: project.id, maxAttempts: 2 });
      const r: TrainingJobRow = {
        id,
        project_id: project.id,
        dataset_version_id: dv.id,
        job_id: job.id,
        spec: JSON.stringify(stored),
        status: 'QUEUED',
        cancel_requested: 0,
        experiment_id: null,
        run_id: null,
        result: null,
        error: null,
        created_at: now,
        created_by: actor.name,
        created_by_id: actor.userId,
        started_at: null,
        finished_at: null,
      };
      await tx.training.insert(r);
      await tx.events.append(
        domainEvent(clock, actor.name, 'training.requested', { type: 'training_job', id, projectId: project.id }, {
          dataset: `${spec.dataset.name}@${spec.dataset.version}`,
          target: spec.target,
          task: spec.task,
          algorithm: spec.algorithm,
          trials: spec.search?.trials ?? 1,
        }),
      );
      return r;
    });
    this.deps.jobs.jobsEnqueued();
    return this.view(row, project.name);
  }

  private async datasetVersion(project: ProjectRow, name: string, version: number, field: string): Promise<DatasetVersionRow> {
    try {
      return await datasetVersionByName(this.deps.store, project, name, version);
    } catch (err) {
      if (err instanceof DomainError) throw invalidField(field, err.message.replace(/^(dataset|version): /, ''), err.code);
      throw err;
    }
  }

  async list(actor: Principal, projectName: string | undefined, query: { status?: string; limit?: number; cursor?: string }): Promise<{ items: TrainingJobView[]; nextCursor: string | null }> {
    const { project } = await this.deps.access.check(actor, projectName, 'viewer');
    let status: string | undefined;
    if (query.status !== undefined) {
      status = Object.keys(STATUS_VIEW).find((k) => STATUS_VIEW[k] === query.status);
      if (!status) throw invalidField('status', `must be one of ${Object.values(STATUS_VIEW).join(', ')}`);
    }
    const limit = query.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw invalidField('limit', 'must be a whole number from 1 to 200');
    let before: { createdAt: string; id: string } | undefined;
    if (query.cursor) {
      const c = decodeCursor('cursor', query.cursor, (v): v is { t: string; i: string } => {
        const o = v as { t?: unknown; i?: unknown } | null;
        return o !== null && typeof o === 'object' && typeof o.t === 'string' && typeof o.i === 'string';
      });
      before = { createdAt: c.t, id: c.i };
    }
    const rows = await this.deps.store.training.list(project.id, { status, limit: limit + 1, before });
    const page = rows.slice(0, limit);
    const items = await Promise.all(page.map((r) => this.view(r, project.name)));
    const last = page[page.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor({ t: last.created_at, i: last.id }) : null };
  }

  /** A training job, after checking the caller's role in its project. */
  async load(actor: Principal, id: string, needed: 'viewer' | 'contributor'): Promise<{ row: TrainingJobRow; project: ProjectRow }> {
    const row = await this.deps.store.training.get(id);
    if (!row) throw notFound('TRAINING_JOB_NOT_FOUND', `there is no training job '${printable(id.slice(0, 100))}'`);
    await this.deps.access.require(actor, row.project_id, needed);
    const project = (await this.deps.store.projects.getById(row.project_id))!;
    return { row, project };
  }

  async get(actor: Principal, id: string): Promise<TrainingJobView> {
    const { row, project } = await this.load(actor, id, 'viewer');
    return this.view(row, project.name);
  }

  /** Asks a queued or running job to stop: a running fit ends after its current round. */
  async cancel(actor: Principal, id: string): Promise<TrainingJobView> {
    const { row, project } = await this.load(actor, id, 'contributor');
    const { store, clock } = this.deps;
    await store.transaction(async (tx) => {
      if (!(await tx.training.requestCancel(row.id))) {
        throw conflict('TRAINING_JOB_ENDED', `training job ${row.id} has already ended (${STATUS_VIEW[row.status] ?? row.status}); there is nothing to cancel`);
      }
      if (row.status === 'QUEUED') {
        // Not started: it ends here; the job, when claimed, sees the status and does nothing.
        await tx.training.update(row.id, { status: 'CANCELLED', finished_at: isoTime(clock), error: `cancelled by ${actor.name} before it started` });
      }
      await tx.events.append(domainEvent(clock, actor.name, 'training.cancel_requested', { type: 'training_job', id: row.id, projectId: row.project_id }, { status: row.status }));
    });
    return this.view((await store.training.get(row.id))!, project.name);
  }

  async view(row: TrainingJobRow, projectName: string): Promise<TrainingJobView> {
    const spec = JSON.parse(row.spec) as StoredSpec;
    let progress: TrainingJobView['progress'] = null;
    if (row.status === 'RUNNING' || row.status === 'QUEUED') {
      const job = await this.deps.jobs.get(row.job_id).catch(() => null);
      if (job) progress = { fraction: job.progress, message: job.progressMessage };
    }
    return {
      id: row.id,
      project: projectName,
      status: STATUS_VIEW[row.status] ?? 'failed',
      dataset: spec.dataset,
      target: spec.target,
      task: spec.task,
      algorithm: spec.algorithm,
      metric: spec.metric,
      features: spec.features,
      skipped: spec.skipped,
      classes: spec.classes,
      params: spec.params,
      search: spec.search,
      validation: spec.validation,
      timeBudgetSeconds: spec.timeBudgetSeconds,
      experimentId: row.experiment_id === null ? null : String(row.experiment_id),
      runId: row.run_id,
      jobId: row.job_id,
      progress,
      cancelRequested: row.cancel_requested === 1,
      result: row.result === null ? null : (JSON.parse(row.result) as TrainingResult),
      error: row.error,
      createdAt: row.created_at,
      createdBy: row.created_by,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
    };
  }

  /** The spec a job was asked with (for registration). */
  specOf(row: TrainingJobRow): StoredSpec {
    return JSON.parse(row.spec) as StoredSpec;
  }

  // ----------------------------------------------------------------------------------------------
  // The job

  /** Acts for the user who asked for the training, with that user's current roles. */
  private async actorOf(row: TrainingJobRow): Promise<Principal> {
    const user = await this.deps.store.users.getById(row.created_by_id);
    if (!user || user.disabled) throw new DomainError('forbidden', 'USER_DISABLED', `the user who asked for training job ${row.id} (${row.created_by}) no longer exists or is disabled`);
    return { userId: user.id, name: user.name, role: user.role === 'admin' ? 'admin' : 'user', tokenId: `training-job:${row.id}`, deployments: null };
  }

  async runJob(payload: unknown, ctx: JobContext): Promise<{ status: string; trials: number }> {
    const { store, clock, tracking, logger } = this.deps;
    const id = (payload as { trainingId?: unknown } | null)?.trainingId;
    if (typeof id !== 'string') throw new DomainError('invalid', 'INVALID_PAYLOAD', 'training job payload has no trainingId');
    const row = await store.training.get(id);
    if (!row) throw new DomainError('not_found', 'TRAINING_JOB_NOT_FOUND', `training job ${id} no longer exists`);
    if (row.status !== 'QUEUED' && row.status !== 'RUNNING') return { status: row.status, trials: 0 };
    const spec = this.specOf(row);
    const actor = await this.actorOf(row);
    if (row.run_id) {
      // An earlier attempt was cut short (its process died): its runs are over; this attempt starts again.
      await tracking.updateRun(actor, row.run_id, { status: 'KILLED', endTime: clock.now() }).catch(() => undefined);
      if (row.result) {
        for (const t of (JSON.parse(row.result) as TrainingResult).trials) {
          if (t.status === 'RUNNING' && t.runId !== row.run_id) await tracking.updateRun(actor, t.runId, { status: 'KILLED', endTime: clock.now() }).catch(() => undefined);
        }
      }
    }
    const project = (await store.projects.getById(row.project_id))!;
    const started = clock.now();
    const deadline = spec.timeBudgetSeconds === null ? null : started + spec.timeBudgetSeconds * 1000;
    const result: TrainingResult = {
      rows: { total: 0, train: 0, validation: 0, droppedMissingTarget: 0 },
      trials: [],
      best: null,
      stoppedBy: null,
      plannedTrials: spec.search?.trials ?? 1,
      registered: [],
    };
    let parentRunId: string | null = null;
    let running: RunningFit | undefined;
    let cancelled = false;
    const cancelWatch = setInterval(() => {
      void store.training
        .get(id)
        .then((r) => {
          if (r?.cancel_requested === 1 && !cancelled) {
            cancelled = true;
            running?.stop(STOP_CANCEL);
          }
        })
        .catch(() => undefined);
    }, 500);
    const onAbort = () => running?.stop(STOP_SHUTDOWN);
    ctx.signal.addEventListener('abort', onAbort);
    const save = () => store.training.update(id, { result: JSON.stringify(result) });
    try {
      await ctx.progress(0.01, 'reading the data');
      const data = await this.loadData(spec, result);
      if (ctx.signal.aborted) throw new Error('the server is stopping');
      // Experiment and the job's parent run.
      const experimentName = spec.experiment ?? `train ${spec.dataset.name}`;
      let experimentId: string;
      try {
        experimentId = String((await tracking.getExperimentByName(actor, project, experimentName)).row.id);
      } catch (err) {
        if (!(err instanceof DomainError) || err.kind !== 'not_found') throw err;
        experimentId = String((await tracking.createExperiment(actor, project, { name: experimentName })).row.id);
      }
      const parent = await tracking.createRun(actor, project, {
        experimentId,
        runName: spec.runName ?? `${spec.algorithm} ${spec.target}${spec.search ? ` (${spec.search.method} search)` : ''}`,
        tags: [
          { key: 'steward.training_job', value: id },
          { key: 'mlflow.source.type', value: 'JOB' },
          { key: 'mlflow.source.name', value: 'steward train' },
        ],
      });
      parentRunId = parent.row.id;
      const startedRun = await store.transaction(async (tx) => {
        // A cancel may have ended the job while it was queued, after this worker claimed it.
        const now = await tx.training.get(id);
        if (!now || now.status === 'CANCELLED') return false;
        await tx.training.update(id, { status: 'RUNNING', started_at: isoTime(clock), experiment_id: Number(experimentId), run_id: parentRunId, result: JSON.stringify(result) });
        await tx.events.append(domainEvent(clock, actor.name, 'training.started', { type: 'training_job', id, projectId: row.project_id }, { runId: parentRunId, experimentId }));
        return true;
      });
      if (!startedRun) {
        await tracking.updateRun(actor, parentRunId, { status: 'KILLED', endTime: clock.now() });
        return { status: 'CANCELLED', trials: 0 };
      }
      await this.logJobContext(actor, parentRunId, spec, data.rows);

      const trialParams = spec.search ? searchTrials(spec.search, spec.algorithm) : [{}];
      for (const [index, extra] of trialParams.entries()) {
        if (cancelled) break;
        if (ctx.signal.aborted) throw new Error('the server is stopping');
        if (deadline !== null && clock.now() >= deadline) {
          result.stoppedBy = 'time budget';
          break;
        }
        const params = effectiveParams(spec.algorithm, spec.task, spec.params, extra);
        const runId: string = spec.search
          ? (
              await tracking.createRun(actor, project, {
                experimentId,
                runName: `trial ${index + 1}`,
                tags: [
                  { key: 'mlflow.parentRunId', value: parentRunId },
                  { key: 'steward.training_job', value: id },
                  { key: 'steward.trial', value: String(index) },
                ],
              })
            ).row.id
          : parentRunId;
        const trial: TrialView = {
          index,
          runId,
          params,
          status: 'RUNNING',
          metrics: {},
          score: null,
          rounds: 0,
          roundsTrained: 0,
          durationMs: 0,
          stoppedBy: null,
          error: null,
          importance: [],
          modelPath: null,
          note: null,
        };
        result.trials.push(trial);
        await save();
        const trialStarted = clock.now();
        try {
          await tracking.logBatch(actor, runId, { params: Object.entries(params).map(([key, value]) => ({ key, value: String(value) })) });
          if (spec.search) await this.logInputs(actor, runId, spec);
          const fitted = await this.runTrial(spec, data, params, deadline, ctx, actor, runId, index, trialParams.length, (fit) => (running = fit));
          running = undefined;
          trial.durationMs = clock.now() - trialStarted;
          trial.rounds = fitted.rounds;
          trial.roundsTrained = fitted.fit.roundsTrained;
          trial.metrics = fitted.metrics;
          trial.stoppedBy = fitted.fit.stoppedBy ?? null;
          trial.importance = importanceOf(spec.features, fitted.fit);
          trial.note = fitted.note ?? null;
          if (fitted.fit.stoppedBy === 'cancelled' || fitted.fit.stoppedBy === 'stopped' || Object.keys(fitted.metrics).length === 0) {
            trial.status = 'KILLED';
            await tracking.updateRun(actor, runId, { status: 'KILLED', endTime: clock.now() });
          } else {
            trial.score = fitted.metrics[spec.metric] ?? null;
            trial.modelPath = await this.storeTrialModel(actor, experimentId, runId, spec, fitted.fit.model, trial);
            const final = [
              ...Object.entries(fitted.metrics).map(([k, v]) => ({ key: `best_valid_${k}`, value: v, timestamp: clock.now(), step: 0 })),
              { key: 'best_iteration', value: fitted.rounds - 1, timestamp: clock.now(), step: 0 },
              { key: 'training_seconds', value: trial.durationMs / 1000, timestamp: clock.now(), step: 0 },
            ];
            await tracking.logBatch(actor, runId, {
              metrics: final,
              tags: fitted.fit.stoppedBy ? [{ key: 'steward.stopped_by', value: fitted.fit.stoppedBy }] : [],
            });
            trial.status = 'FINISHED';
            if (runId !== parentRunId) await tracking.updateRun(actor, runId, { status: 'FINISHED', endTime: clock.now() });
            if (trial.score !== null && Number.isFinite(trial.score) && (result.best === null || better(spec.metric, trial.score, result.trials[result.best]!.score))) {
              result.best = index;
            }
          }
          if (fitted.fit.stoppedBy === 'time budget') result.stoppedBy = 'time budget';
        } catch (err) {
          running = undefined;
          if (ctx.signal.aborted) throw err;
          trial.status = 'FAILED';
          trial.error = err instanceof Error ? err.message : String(err);
          trial.durationMs = clock.now() - trialStarted;
          logger.warn({ err, training: id, trial: index }, 'a training trial failed');
          await tracking.updateRun(actor, runId, { status: 'FAILED', endTime: clock.now() }).catch(() => undefined);
          if (!spec.search) throw err;
        }
        await save();
        if (result.stoppedBy === 'time budget') break;
      }
      if (cancelled) result.stoppedBy = 'cancelled';
      const best = result.best === null ? undefined : result.trials[result.best];
      if (spec.search) {
        await tracking.logBatch(actor, parentRunId, {
          metrics: best ? Object.entries(best.metrics).map(([k, v]) => ({ key: `best_valid_${k}`, value: v, timestamp: clock.now(), step: 0 })) : [],
          tags: [
            ...(best ? [{ key: 'steward.best_trial_run_id', value: best.runId }] : []),
            { key: 'steward.trials', value: `${result.trials.length} of ${result.plannedTrials}` },
          ],
        });
      }
      await tracking.updateRun(actor, parentRunId, { status: cancelled ? 'KILLED' : best ? 'FINISHED' : 'FAILED', endTime: clock.now() });
      const status = cancelled ? 'CANCELLED' : best ? 'SUCCEEDED' : 'FAILED';
      const error =
        best || cancelled
          ? null
          : result.stoppedBy === 'time budget' && !result.trials.some((t) => t.error)
            ? `the time budget (${spec.timeBudgetSeconds} s) ran out before any trial had a model`
            : `no trial produced a model: ${result.trials.map((t) => t.error).filter(Boolean)[0] ?? 'see the trials'}`;
      await this.finish(row, actor, status, result, error);
      await ctx.progress(1, this.endMessage(status, result));
      return { status, trials: result.trials.length };
    } catch (err) {
      running?.stop(STOP_SHUTDOWN);
      if (ctx.signal.aborted) {
        // The server is stopping: the job is queued again and starts over; this attempt's runs are KILLED.
        await store.training.update(id, { status: 'QUEUED', result: null }).catch(() => undefined);
        if (parentRunId) await tracking.updateRun(actor, parentRunId, { status: 'KILLED', endTime: clock.now() }).catch(() => undefined);
        throw err;
      }
      const message = err instanceof Error ? err.message : String(err);
      if (parentRunId) await tracking.updateRun(actor, parentRunId, { status: 'FAILED', endTime: clock.now() }).catch(() => undefined);
      await this.finish(row, actor, 'FAILED', result, message).catch((e: unknown) => logger.error({ err: e, training: id }, 'could not record a failed training job'));
      throw err instanceof DomainError ? err : new DomainError('unprocessable', 'TRAINING_FAILED', message);
    } finally {
      clearInterval(cancelWatch);
      ctx.signal.removeEventListener('abort', onAbort);
    }
  }

  private endMessage(status: string, result: TrainingResult): string {
    const best = result.best === null ? null : result.trials[result.best]!;
    const done = `${result.trials.filter((t) => t.status === 'FINISHED').length} of ${result.plannedTrials} trial(s) finished`;
    if (status === 'CANCELLED') return `cancelled; ${done}`;
    if (status === 'FAILED') return `failed; ${done}`;
    const stop = result.stoppedBy === 'time budget' ? '; stopped by its time budget, best model so far kept' : '';
    return `${done}${stop}; best ${best ? `trial ${best.index + 1}: ${Object.entries(best.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}` : 'none'}`;
  }

  private async finish(row: TrainingJobRow, actor: Principal, status: string, result: TrainingResult, error: string | null): Promise<void> {
    const { store, clock } = this.deps;
    await store.transaction(async (tx) => {
      await tx.training.update(row.id, { status, result: JSON.stringify(result), error, finished_at: isoTime(clock) });
      const best = result.best === null ? null : result.trials[result.best]!;
      await tx.events.append(
        domainEvent(clock, actor.name, 'training.finished', { type: 'training_job', id: row.id, projectId: row.project_id }, {
          status: STATUS_VIEW[status],
          stoppedBy: result.stoppedBy,
          trials: result.trials.length,
          bestRunId: best?.runId ?? null,
          score: best?.score ?? null,
          ...(error ? { error } : {}),
        }),
      );
    });
  }

  private async loadData(spec: StoredSpec, result: TrainingResult): Promise<{ all: FitData; parts: { train: FitData; valid: FitData }[] | null; folds: number; rows: number }> {
    const { store, artifacts, engine } = this.deps;
    const dv = await store.datasets.getVersionById(spec.datasetVersionId);
    if (!dv) throw new DomainError('not_found', 'DATASET_VERSION_NOT_FOUND', `dataset ${spec.dataset.name}@${spec.dataset.version} no longer exists`);
    const loaded = await loadTrainingData(engine, await artifacts.localPath(dv.stored_sha256), spec);
    const F = spec.features.length;
    const all: FitData = { x: loaded.x, y: loaded.y, rows: loaded.rows };
    result.rows = { total: loaded.rows + loaded.dropped, train: loaded.rows, validation: 0, droppedMissingTarget: loaded.dropped };
    const stratified = spec.task !== 'regression';
    const v = spec.validation;
    if (v.kind === 'dataset') {
      const vdv = await store.datasets.getVersionById(spec.validationDatasetVersionId!);
      if (!vdv) throw new DomainError('not_found', 'DATASET_VERSION_NOT_FOUND', `validation dataset ${v.dataset.name}@${v.dataset.version} no longer exists`);
      const valid = await loadTrainingData(engine, await artifacts.localPath(vdv.stored_sha256), spec);
      result.rows.validation = valid.rows;
      return { all, parts: [{ train: all, valid }], folds: 1, rows: loaded.rows };
    }
    if (v.kind === 'holdout') {
      const mask = holdoutMask(all.y, all.rows, v.fraction, v.seed, stratified);
      const train = subset(all, F, (r) => mask[r] === 0);
      const valid = subset(all, F, (r) => mask[r] === 1);
      if (train.rows === 0 || valid.rows === 0) throw new DomainError('unprocessable', 'TOO_FEW_ROWS', `${all.rows} rows cannot be split into training and validation rows`);
      result.rows.train = train.rows;
      result.rows.validation = valid.rows;
      return { all, parts: [{ train, valid }], folds: 1, rows: loaded.rows };
    }
    if (all.rows < v.folds) throw new DomainError('unprocessable', 'TOO_FEW_ROWS', `${all.rows} rows cannot be cut into ${v.folds} folds`);
    const fold = assignFolds(all.y, all.rows, v.folds, v.seed, stratified);
    const parts = Array.from({ length: v.folds }, (_, k) => ({ train: subset(all, F, (r) => fold[r] !== k), valid: subset(all, F, (r) => fold[r] === k) }));
    result.rows.validation = all.rows;
    return { all, parts, folds: v.folds, rows: loaded.rows };
  }

  private async logInputs(actor: Principal, runId: string, spec: StoredSpec): Promise<void> {
    const dv = await this.deps.store.datasets.getVersionById(spec.datasetVersionId);
    const datasets = [
      {
        dataset: { name: spec.dataset.name, digest: dv?.sha256.slice(0, 64) ?? 'unknown', source_type: 'steward', source: `steward://${spec.dataset.name}@${spec.dataset.version}` },
        tags: [{ key: 'mlflow.data.context', value: 'training' }],
      },
    ];
    if (spec.validation.kind === 'dataset') {
      const d = spec.validation.dataset;
      datasets.push({ dataset: { name: d.name, digest: 'steward', source_type: 'steward', source: `steward://${d.name}@${d.version}` }, tags: [{ key: 'mlflow.data.context', value: 'eval' }] });
    }
    await this.deps.tracking.logInputs(actor, runId, { datasets });
  }

  private async logJobContext(actor: Principal, runId: string, spec: StoredSpec, rows: number): Promise<void> {
    const v = spec.validation;
    const validation = v.kind === 'holdout' ? `holdout ${v.fraction} (seed ${v.seed})` : v.kind === 'kfold' ? `${v.folds}-fold (seed ${v.seed})` : `dataset ${v.dataset.name}@${v.dataset.version}`;
    const params = [
      { key: 'algorithm', value: spec.algorithm },
      { key: 'task', value: spec.task },
      { key: 'target', value: spec.target.slice(0, 6000) },
      { key: 'dataset', value: `${spec.dataset.name}@${spec.dataset.version}` },
      { key: 'validation', value: validation },
      { key: 'metric', value: spec.metric },
      { key: 'n_features', value: String(spec.features.length) },
      { key: 'n_rows', value: String(rows) },
      ...(spec.search ? [{ key: 'search', value: `${spec.search.method}, ${spec.search.trials} trials` }] : []),
      ...(spec.classes.length ? [{ key: 'classes', value: JSON.stringify(spec.classes).slice(0, 6000) }] : []),
    ];
    await this.deps.tracking.logBatch(actor, runId, { params });
    await this.logInputs(actor, runId, spec);
  }

  /**
   * One trial: a fit on the train part checked on the validation part, or with k folds, k fits whose
   * validation curves are averaged and a refit on every row for the mean best number of rounds.
   */
  private async runTrial(
    spec: StoredSpec,
    data: { all: FitData; parts: { train: FitData; valid: FitData }[] | null; folds: number },
    params: Params,
    deadline: number | null,
    ctx: JobContext,
    actor: Principal,
    runId: string,
    trialIndex: number,
    trials: number,
    setRunning: (fit: RunningFit) => void,
  ): Promise<{ fit: FitResult; metrics: Record<string, number>; rounds: number; note?: string }> {
    const metrics = metricsFor(spec);
    const F = spec.features.length;
    const numClass = spec.task === 'multiclass' ? spec.classes.length : spec.task === 'binary' ? 2 : 1;
    const base = { algorithm: spec.algorithm, task: spec.task, numClass, features: F, params, metrics } as const;
    const logger = new MetricLogger(this.deps.tracking, actor, runId, this.deps.clock);
    const fits = data.folds === 1 ? 1 : data.folds + 1;
    const plannedRounds = spec.algorithm === 'gbdt' ? params.numRounds! : 1;
    const progressOf = (fitIndex: number, round: number, report?: IterationReport) => {
      const fraction = 0.02 + (0.96 * (trialIndex + (fitIndex + Math.min(1, (round + 1) / plannedRounds)) / fits)) / trials;
      const v = report?.valid?.[spec.metric];
      const where = [trials > 1 ? `trial ${trialIndex + 1}/${trials}` : null, data.folds > 1 ? (fitIndex < data.folds ? `fold ${fitIndex + 1}/${data.folds}` : 'refit on all rows') : null, spec.algorithm === 'gbdt' ? `round ${round + 1}/${plannedRounds}` : 'fitting']
        .filter(Boolean)
        .join(' · ');
      ctx.progress(Math.min(0.99, fraction), v === undefined ? where : `${where} · valid ${spec.metric} ${v.toFixed(4)}`).catch(() => undefined);
    };
    const fitOnce = async (input: FitInput, fitIndex: number, onReport: (r: IterationReport) => void): Promise<FitResult> => {
      progressOf(fitIndex, -1);
      // Tiny fits (a few milliseconds of work) run inline: a thread would cost more than the fit. Anything
      // larger runs in a worker thread, so that the server stays responsive and a cancel can stop it.
      const work = input.train.rows * F * (spec.algorithm === 'gbdt' ? (input.fixedRounds ?? params.numRounds!) * Math.max(1, numClass - (spec.task === 'binary' ? 1 : 0)) : 20);
      if (work < 2_000_000) {
        return fitModel(input, { onIteration: (r) => { onReport(r); progressOf(fitIndex, r.iteration, r); }, shouldStop: () => (deadline !== null && Date.now() >= deadline ? 'time budget' : undefined) });
      }
      const running = startFit(input, { deadline, onIteration: (r) => { onReport(r); progressOf(fitIndex, r.iteration, r); } });
      setRunning(running);
      return running.result;
    };
    try {
      if (data.folds === 1) {
        const part = data.parts![0]!;
        const fit = await fitOnce({ ...base, train: part.train, valid: part.valid }, 0, (r) => logger.report(r));
        await logger.flush();
        const best = fit.history[fit.bestIteration]!;
        return { fit, metrics: { ...best.valid }, rounds: fit.bestIteration + 1 };
      }
      // k folds: per-round sums of the validation metrics over the folds that reached the round
      const sums: Record<string, number>[] = [];
      const counts: number[] = [];
      const bests: number[] = [];
      const foldScores: Record<string, number>[] = [];
      for (let k = 0; k < data.folds; k++) {
        const part = data.parts![k]!;
        const fit = await fitOnce({ ...base, train: part.train, valid: part.valid }, k, (r) => {
          const s = (sums[r.iteration] ??= {});
          for (const [m, v] of Object.entries(r.valid ?? {})) s[m] = (s[m] ?? 0) + v;
          counts[r.iteration] = (counts[r.iteration] ?? 0) + 1;
        });
        if (fit.stoppedBy === 'time budget') {
          // No complete cross-validation: the model so far is this fold's, with its own validation metrics.
          return {
            fit,
            metrics: { ...fit.history[fit.bestIteration]!.valid },
            rounds: fit.bestIteration + 1,
            note: `the time budget ran out in fold ${k + 1} of ${data.folds}: the model and its metrics are that fold's (trained on ${part.train.rows} rows, validated on ${part.valid.rows})`,
          };
        }
        if (fit.stoppedBy) return { fit, metrics: {}, rounds: 0 };
        bests.push(fit.bestIteration);
        foldScores.push({ ...fit.history[fit.bestIteration]!.valid });
      }
      for (let i = 0; i < sums.length; i++) {
        if (counts[i] !== data.folds) continue; // the mean curve only where every fold has a value
        for (const [m, v] of Object.entries(sums[i]!)) logger.point(`cv_valid_${m}`, v / data.folds, i);
      }
      const cvMetrics: Record<string, number> = {};
      for (const m of metrics) cvMetrics[m] = foldScores.reduce((a, s) => a + s[m]!, 0) / data.folds;
      const rounds = spec.algorithm === 'gbdt' ? Math.max(1, Math.round(bests.reduce((a, b) => a + b + 1, 0) / data.folds)) : 1;
      const refit = await fitOnce({ ...base, train: data.all, ...(spec.algorithm === 'gbdt' ? { fixedRounds: rounds } : {}) }, data.folds, (r) => logger.report(r));
      await logger.flush();
      return { fit: refit, metrics: cvMetrics, rounds: refit.bestIteration + 1 };
    } finally {
      await logger.flush().catch(() => undefined);
    }
  }

  /** Writes the trial's model and importance as run artifacts; returns the model's artifact path. */
  private async storeTrialModel(actor: Principal, experimentId: string, runId: string, spec: StoredSpec, model: FitModel, trial: TrialView): Promise<string> {
    const stored: StoredModel = modelFileOf(model, spec);
    const root = `${experimentId}/${runId}/artifacts`;
    const put = (path: string, text: string) => this.deps.tracking.putArtifact(actor, `${root}/${path}`, oneChunk(Buffer.from(text, 'utf8')));
    await put(stored.path, stored.text);
    await put('feature_importance.json', `${JSON.stringify({ kind: spec.algorithm === 'gbdt' ? 'total gain and split count' : '|standardized coefficient|', features: trial.importance }, null, 2)}\n`);
    return stored.path;
  }
}

async function* oneChunk(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

function importanceOf(features: string[], fit: FitResult): TrialView['importance'] {
  return features
    .map((feature, j) => ({ feature, gain: fit.importance.gain[j] ?? 0, splits: fit.importance.splits ? (fit.importance.splits[j] ?? 0) : null }))
    .sort((a, b) => b.gain - a.gain || a.feature.localeCompare(b.feature));
}

/** Buffers metric points and logs them in batches (at most every 500 ms, 900 points a call). */
class MetricLogger {
  private buffer: { key: string; value: number; timestamp: number; step: number }[] = [];
  private last = 0;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly tracking: TrackingService,
    private readonly actor: Principal,
    private readonly runId: string,
    private readonly clock: Clock,
  ) {}

  report(r: IterationReport): void {
    for (const [m, v] of Object.entries(r.train)) this.point(`train_${m}`, v, r.iteration);
    for (const [m, v] of Object.entries(r.valid ?? {})) this.point(`valid_${m}`, v, r.iteration);
  }

  point(key: string, value: number, step: number): void {
    this.buffer.push({ key, value, timestamp: this.clock.now(), step });
    if (this.clock.now() - this.last >= 500 || this.buffer.length >= 900) void this.flush().catch(() => undefined);
  }

  flush(): Promise<void> {
    this.last = this.clock.now();
    const take = this.buffer.splice(0);
    this.pending = this.pending.then(async () => {
      for (let i = 0; i < take.length; i += 900) await this.tracking.logBatch(this.actor, this.runId, { metrics: take.slice(i, i + 900) });
    });
    return this.pending;
  }
}
