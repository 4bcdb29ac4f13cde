/**
 * Test gates: a gate run evaluates one model version on one dataset version against 1–20 gate specs
 * (gate-spec.ts) in a background job (gate-runner.ts) and stores one result per gate plus the run's
 * overall pass/fail.
 *
 * Life of a run: QUEUED (requested; every spec and the columns it names checked first, so a bad request
 * queues nothing) → RUNNING (taken by its job) → SUCCEEDED (its results written, `passed` set) or FAILED
 * (the job itself failed: the data could not be read, the model could not be loaded). Only the run's
 * current job moves it. A finished run never changes, except that a FAILED one can be retried (a new job,
 * back to QUEUED). Results are written once, in the transaction that finishes the run, and never changed;
 * a new run adds new results.
 *
 * Baselines of metric gates are resolved when the run is requested (the version the alias points at then)
 * and kept with the run, so a retry compares against the same version.
 */
import type { DataEngine } from '../../../data/engine.js';
import type { MetadataStore } from '../../../db/metadata-store.js';
import type { ModelVersionRow, ProjectRow } from '../../../db/schema.js';
import { isoTime, type Clock } from '../../../platform/clock.js';
import { conflict, DomainError, invalidField, notFound } from '../../../platform/errors.js';
import { newId } from '../../../platform/ids.js';
import type { Logger } from '../../../platform/logger.js';
import type { Principal } from '../../../platform/principal.js';
import { runtimeSourceOf, type ModelRuntime, type RuntimeCache } from '../../../serving/runtimes.js';
import type { ArtifactStore } from '../../../storage/artifact-store.js';
import { datasetVersionByName } from '../../datasets/dataset-lookup.js';
import { domainEvent } from '../../events/domain-event.js';
import type { JobContext } from '../../jobs/job-worker.js';
import { jobBackedState } from '../../jobs/job-state.js';
import type { JobsService } from '../../jobs/jobs.service.js';
import { versionByNames } from '../../models/version-lookup.js';
import { describeTable, type TableSource } from '../../monitoring/profile-data.js';
import { GateRunner, type ModelUnderTest } from './gate-runner.js';
import { CLASSIFIER_METRICS, gateSpecHash, parseDatasetRef, parseGateSpecs, type GateSpec, type GateType } from './gate-spec.js';
import type { GateResultRow, GateRunRow } from './gates.repository.js';

export const GATE_RUN_JOB = 'gates.run';

/** What a run keeps besides its gates: resolved when it was requested. */
interface StoredRunSpec {
  dataset: { name: string; version: number };
  target: string | null;
  gates: GateSpec[];
  /** Per alias named by a metric gate: the version it pointed at, or why there was none. */
  baselines: Record<string, { version: number; versionId: string } | { none: string }>;
  /** Per leakage gate: the training dataset versions it compares with. */
  training: Record<string, { name: string; version: number; id: string }[]>;
}

export interface GateResultView {
  id: string;
  runId: string;
  name: string;
  type: GateType;
  specSha256: string;
  spec: GateSpec;
  passed: boolean;
  summary: string;
  details: Record<string, unknown>;
  createdAt: string;
}

export interface GateRunView {
  id: string;
  model: string;
  version: number;
  modelVersionId: string;
  dataset: { name: string; version: number };
  target: string | null;
  policyId: string | null;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  /** Every gate passed; null until the run succeeds. */
  passed: boolean | null;
  error: string | null;
  jobId: string;
  progress: { fraction: number; message: string } | null;
  createdAt: string;
  createdBy: string;
  finishedAt: string | null;
  gates: (GateSpec & { specSha256: string })[];
  baselines: StoredRunSpec['baselines'];
  results?: GateResultView[];
}

export interface GatesDeps {
  store: MetadataStore;
  artifacts: ArtifactStore;
  engine: DataEngine;
  runtimes: RuntimeCache;
  jobs: JobsService;
  clock: Clock;
  logger: Logger;
  /** Called after a run finished (succeeded or failed), e.g. so that open promotion requests are checked again. */
  onRunFinished?: (run: GateRunView) => Promise<void>;
}

const RUN_BODY_KEYS = ['dataset', 'target', 'gates', 'policyId'];

function parseRunBody(body: unknown): { dataset: { name: string; version: number }; target: string | null; gates: GateSpec[]; policyId: string | null } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalidField('body', 'must be {"dataset": "name@version", "gates": [...], "target"?, "policyId"?}');
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) if (!RUN_BODY_KEYS.includes(k)) throw invalidField(k.slice(0, 100), `is not a field (${RUN_BODY_KEYS.join(', ')})`, 'UNKNOWN_FIELD');
  if (typeof b.dataset !== 'string') throw invalidField('dataset', 'is required: the evaluation data as "name@version"');
  const dataset = parseDatasetRef(b.dataset);
  if (!dataset) throw invalidField('dataset', `must be "name@version", not ${JSON.stringify(b.dataset.slice(0, 200))}`);
  const target = b.target === undefined || b.target === null ? null : b.target;
  if (target !== null && (typeof target !== 'string' || target === '' || target.length > 200)) throw invalidField('target', 'must be the name of the label column');
  const policyId = b.policyId === undefined || b.policyId === null ? null : b.policyId;
  if (policyId !== null && (typeof policyId !== 'string' || policyId === '' || policyId.length > 100)) throw invalidField('policyId', 'must be a policy id');
  return { dataset, target: target as string | null, gates: parseGateSpecs(b.gates), policyId: policyId as string | null };
}

export class GatesService {
  constructor(private readonly deps: GatesDeps) {}

  private acquire(v: ModelVersionRow): Promise<ModelRuntime> {
    return this.deps.runtimes.acquire(runtimeSourceOf(v));
  }

  private async source(datasetVersionId: string, label: string): Promise<TableSource> {
    const dv = await this.deps.store.datasets.getVersionById(datasetVersionId);
    if (!dv) throw new DomainError('not_found', 'DATASET_VERSION_NOT_FOUND', `${label} no longer exists`);
    return { path: await this.deps.artifacts.localPath(dv.stored_sha256), format: 'parquet', label };
  }

  // ----------------------------------------------------------------------------------------------
  // Requests

  /** POST /api/v1/models/{name}/versions/{version}/gate-runs */
  async requestRun(actor: Principal, projectName: string | undefined, model: string, version: number, body: unknown): Promise<GateRunView> {
    const { store, clock } = this.deps;
    const found = await versionByNames(store, projectName, model, version);
    const req = parseRunBody(body);
    if (found.version.status !== 'READY') throw conflict('MODEL_VERSION_NOT_READY', `version ${version} of '${model}' is ${found.version.status}; gates run on READY versions only`);
    if (req.policyId !== null && !(await store.gates.policyExists(req.policyId))) throw invalidField('policyId', `there is no policy ${req.policyId}`, 'POLICY_NOT_FOUND');
    const dv = await datasetVersionByName(store, found.project, req.dataset.name, req.dataset.version);
    if (Number(dv.row_count) === 0) throw invalidField('dataset', `dataset '${req.dataset.name}' version ${req.dataset.version} has no rows`, 'EMPTY_DATA');
    const label = `dataset '${req.dataset.name}' version ${req.dataset.version}`;
    const table = await describeTable(this.deps.engine, await this.source(dv.id, label), 'dataset');
    const runtime = await this.acquire(found.version);
    let stored: StoredRunSpec;
    try {
      stored = await this.resolve(found, req, table, runtime, label);
    } finally {
      await this.deps.runtimes.release(runtime);
    }
    const at = isoTime(clock);
    const id = newId(clock.now());
    const row = await store.transaction(async (tx) => {
      const job = await this.deps.jobs.enqueue(tx, actor.name, { type: GATE_RUN_JOB, payload: { runId: id }, projectId: found.project.id, maxAttempts: 1 });
      const run: GateRunRow = { id, model_version_id: found.version.id, dataset_version_id: dv.id, policy_id: req.policyId, spec: JSON.stringify(stored), status: 'QUEUED', passed: null, job_id: job.id, error: null, created_at: at, created_by: actor.name, finished_at: null };
      await tx.gates.insertRun(run);
      await tx.events.append(
        domainEvent(clock, actor.name, 'gate_run.requested', { type: 'model_version', id: found.version.id, projectId: found.project.id }, {
          model,
          version,
          runId: id,
          dataset: `${req.dataset.name}@${req.dataset.version}`,
          gates: stored.gates.map((g) => ({ name: g.name, type: g.type })),
          policyId: req.policyId,
        }),
      );
      return run;
    });
    this.deps.jobs.jobsEnqueued();
    return this.view(row, model, version, false);
  }

  /** Checks what the specs name against the model and the data, and resolves baselines and training data. */
  private async resolve(
    found: { project: ProjectRow; version: ModelVersionRow },
    req: ReturnType<typeof parseRunBody>,
    table: Map<string, string>,
    runtime: ModelRuntime,
    label: string,
  ): Promise<StoredRunSpec> {
    const { store } = this.deps;
    const schema = runtime.schema;
    const features = (schema.features ?? []).map((f) => f.name);
    if (req.target !== null) {
      if (!table.has(req.target)) throw invalidField('target', `${label} has no column named '${req.target}'`, 'UNKNOWN_COLUMN');
      if (features.includes(req.target)) throw invalidField('target', `'${req.target}' is one of the model's features, not a label column`);
    }
    const baselines: StoredRunSpec['baselines'] = {};
    const training: StoredRunSpec['training'] = {};
    for (const [i, g] of req.gates.entries()) {
      const at = `gates[${i}]`;
      if (g.type === 'metric') {
        if (req.target === null) throw invalidField('target', `is required: gate '${g.name}' scores ${g.metric} against the labels`);
        if (CLASSIFIER_METRICS.has(g.metric) !== schema.probabilities) {
          throw invalidField(`${at}.metric`, `${g.metric} scores ${CLASSIFIER_METRICS.has(g.metric) ? 'classifiers' : 'regression'}, and this model ${schema.probabilities ? 'predicts class probabilities' : 'predicts values'}`);
        }
        if (!(g.baseline in baselines)) {
          const alias = await store.aliases.get(found.version.model_id, g.baseline);
          if (!alias) baselines[g.baseline] = { none: `alias '${g.baseline}' does not exist` };
          else if (Number(alias.version) === found.version.version) baselines[g.baseline] = { none: `alias '${g.baseline}' points at this version` };
          else {
            const b = await store.versions.get(found.version.model_id, Number(alias.version));
            if (!b || b.status !== 'READY') throw invalidField(`${at}.baseline`, `alias '${g.baseline}' points at version ${alias.version}, which is not READY`);
            baselines[g.baseline] = { version: b.version, versionId: b.id };
          }
        }
      } else if (g.type === 'fairness') {
        if (!table.has(g.sensitive)) throw invalidField(`${at}.sensitive`, `${label} has no column named '${g.sensitive}'`, 'UNKNOWN_COLUMN');
        if (!schema.probabilities) throw invalidField(`${at}.type`, 'fairness gates need a classifier (class probabilities); this model predicts values');
        if (req.target === null && g.metric !== 'demographic_parity_difference' && g.metric !== 'demographic_parity_ratio') {
          throw invalidField('target', `is required: gate '${g.name}' (${g.metric}) compares rates among the labels`);
        }
      } else if (g.type === 'leakage') {
        for (const [k, key] of (g.keys ?? []).entries()) if (!table.has(key)) throw invalidField(`${at}.keys[${k}]`, `${label} has no column named '${key}'`, 'UNKNOWN_COLUMN');
        let refs: { name: string; version: number }[];
        if (g.trainingDataset !== undefined) refs = [parseDatasetRef(g.trainingDataset)!];
        else {
          refs = (await store.datasets.datasetsOfModelVersion(found.version.id)).filter((l) => l.role === 'train').map((l) => ({ name: l.dataset, version: l.version }));
          if (refs.length === 0) throw invalidField(`${at}.trainingDataset`, 'is required: the version names no training dataset (register it with metadata.datasets [{dataset, version, role: "train"}], or name one here)');
        }
        training[g.name] = [];
        for (const ref of refs) {
          const dv = await datasetVersionByName(store, found.project, ref.name, ref.version).catch((err: DomainError) => {
            throw invalidField(`${at}.trainingDataset`, err.message);
          });
          training[g.name]!.push({ name: ref.name, version: ref.version, id: dv.id });
        }
      }
    }
    return { dataset: req.dataset, target: req.target, gates: req.gates, baselines, training };
  }

  /** POST …/gate-runs/{id}/retry: a failed run runs again (a new job); its gates and baselines stay. */
  async retryRun(actor: Principal, projectName: string | undefined, model: string, version: number, id: string): Promise<GateRunView> {
    const { store, clock } = this.deps;
    const found = await versionByNames(store, projectName, model, version);
    const row = await this.runOf(found.version.id, model, version, id);
    const seen = (await this.view(row, model, version, false)).status;
    if (seen !== 'failed') throw conflict('GATE_RUN_NOT_FAILED', `gate run ${id} is ${seen}; only a failed run can be retried`);
    const updated = await store.transaction(async (tx) => {
      // Checked again where it counts: two retries at once must not both queue a job.
      if (!(await tx.gates.claimRun(id, [row.status], 'QUEUED'))) throw conflict('GATE_RUN_NOT_FAILED', `gate run ${id} is no longer failed; only a failed run can be retried`);
      const job = await this.deps.jobs.enqueue(tx, actor.name, { type: GATE_RUN_JOB, payload: { runId: id }, projectId: found.project.id, maxAttempts: 1 });
      await tx.gates.updateRun(id, { status: 'QUEUED', job_id: job.id, error: null, finished_at: null, passed: null });
      await tx.events.append(domainEvent(clock, actor.name, 'gate_run.requested', { type: 'model_version', id: found.version.id, projectId: found.project.id }, { model, version, runId: id, retry: true, before: { status: 'FAILED', jobId: row.job_id }, after: { status: 'QUEUED', jobId: job.id } }));
      return (await tx.gates.getRun(id))!;
    });
    this.deps.jobs.jobsEnqueued();
    return this.view(updated, model, version, false);
  }

  private async runOf(versionId: string, model: string, version: number, id: string): Promise<GateRunRow> {
    const row = await this.deps.store.gates.getRun(id);
    if (!row || row.model_version_id !== versionId) throw notFound('GATE_RUN_NOT_FOUND', `version ${version} of '${model}' has no gate run ${id}`);
    return row;
  }

  // ----------------------------------------------------------------------------------------------
  // Reads

  async listRuns(projectName: string | undefined, model: string, version: number): Promise<{ items: GateRunView[] }> {
    const found = await versionByNames(this.deps.store, projectName, model, version);
    const rows = await this.deps.store.gates.runsOfVersion(found.version.id, 100);
    return { items: await Promise.all(rows.map((r) => this.view(r, model, version, false))) };
  }

  async getRun(projectName: string | undefined, model: string, version: number, id: string): Promise<GateRunView> {
    const found = await versionByNames(this.deps.store, projectName, model, version);
    return this.view(await this.runOf(found.version.id, model, version, id), model, version, true);
  }

  /** GET …/gate-results: a version's results, newest first; `latest` keeps the newest per gate name. */
  async listResults(projectName: string | undefined, model: string, version: number, query: { name?: string; latest?: boolean }): Promise<{ items: GateResultView[] }> {
    const found = await versionByNames(this.deps.store, projectName, model, version);
    const rows = await this.deps.store.gates.resultsOfVersion(found.version.id, query.name || undefined);
    const seen = new Set<string>();
    const kept = query.latest ? rows.filter((r) => !seen.has(r.name) && seen.add(r.name)) : rows.slice(0, 500);
    return { items: kept.map(resultView) };
  }

  /** The newest result per (gate name, spec hash) of a version: what the policy engine counts. */
  async latestResults(versionId: string): Promise<GateResultView[]> {
    const rows = await this.deps.store.gates.resultsOfVersion(versionId);
    const seen = new Set<string>();
    return rows.filter((r) => {
      const key = `${r.name}\u0000${r.spec_sha256}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    }).map(resultView);
  }

  private async view(row: GateRunRow, model: string, version: number, withResults: boolean): Promise<GateRunView> {
    const spec = JSON.parse(row.spec) as StoredRunSpec;
    const { status, error, progress } = await jobBackedState(this.deps.jobs, row, 'the gate run job failed');
    const out: GateRunView = {
      id: row.id,
      model,
      version,
      modelVersionId: row.model_version_id,
      dataset: spec.dataset,
      target: spec.target,
      policyId: row.policy_id,
      status: status.toLowerCase() as GateRunView['status'],
      passed: row.passed === null ? null : row.passed === 1,
      error,
      jobId: row.job_id,
      progress,
      createdAt: row.created_at,
      createdBy: row.created_by,
      finishedAt: row.finished_at,
      gates: spec.gates.map((g) => ({ ...g, specSha256: gateSpecHash(g) })),
      baselines: spec.baselines,
    };
    if (withResults) out.results = (await this.deps.store.gates.resultsOfRun(row.id)).map(resultView);
    return out;
  }

  // ----------------------------------------------------------------------------------------------
  // The job

  async runJob(payload: unknown, ctx: JobContext): Promise<{ gates: number; passed: boolean | null }> {
    const { store, clock } = this.deps;
    const { runId } = payload as { runId: string };
    const row = await store.gates.getRun(runId);
    // Only the run's current job runs it (a job re-claimed after its lease was lost, or replaced by a retry, stops).
    if (!row || row.job_id !== ctx.id) return { gates: 0, passed: null };
    const names = await store.gates.versionNames(row.model_version_id);
    const entity = { type: 'model_version', id: row.model_version_id, projectId: names?.projectId ?? null };
    const who = { model: names?.model ?? null, version: names?.version ?? null, runId };
    const acquired: ModelRuntime[] = [];
    try {
      if (!names) throw new DomainError('not_found', 'MODEL_VERSION_NOT_FOUND', 'the model version no longer exists');
      const started = await store.transaction(async (tx) => {
        // RUNNING too: the same job taking over after its process died mid-run.
        if (!(await tx.gates.claimRun(runId, ['QUEUED', 'RUNNING'], 'RUNNING'))) return false;
        await tx.events.append(domainEvent(clock, 'system', 'gate_run.started', entity, { ...who, job: ctx.id, before: { status: row.status }, after: { status: 'RUNNING' } }));
        return true;
      });
      if (!started) return { gates: 0, passed: null };
      const spec = JSON.parse(row.spec) as StoredRunSpec;
      const versionRow = await store.versions.getById(row.model_version_id);
      if (!versionRow) throw new DomainError('not_found', 'MODEL_VERSION_NOT_FOUND', 'the model version no longer exists');
      const take = async (v: ModelVersionRow): Promise<ModelUnderTest> => {
        const runtime = await this.acquire(v);
        acquired.push(runtime);
        return { runtime, version: v.version };
      };
      const candidate = await take(versionRow);
      const baselines = new Map<string, ModelUnderTest | { none: string }>();
      for (const [alias, b] of Object.entries(spec.baselines)) {
        if ('none' in b) baselines.set(alias, b);
        else {
          const v = await store.versions.getById(b.versionId);
          if (!v) throw new DomainError('not_found', 'MODEL_VERSION_NOT_FOUND', `the baseline version ${b.version} no longer exists`);
          baselines.set(alias, await take(v));
        }
      }
      const training = new Map<string, TableSource[]>();
      for (const [gate, refs] of Object.entries(spec.training)) {
        training.set(gate, await Promise.all(refs.map((r) => this.source(r.id, `dataset '${r.name}' version ${r.version}`))));
      }
      const source = await this.source(row.dataset_version_id, `dataset '${spec.dataset.name}' version ${spec.dataset.version}`);
      const runner = new GateRunner(this.deps.engine, { candidate, baselines, source, target: spec.target, training, gates: spec.gates });
      const { outcomes } = await runner.run((f, m) => ctx.progress(f, m));
      await ctx.progress(0.97, 'storing the results');
      const passed = outcomes.every((o) => o.passed);
      const finished = await store.transaction(async (tx) => {
        const current = await tx.gates.getRun(runId);
        if (current?.job_id !== ctx.id || current.status !== 'RUNNING') return false;
        const at = isoTime(clock);
        const results: GateResultRow[] = spec.gates.map((g, i) => ({
          id: newId(clock.now()),
          run_id: runId,
          model_version_id: row.model_version_id,
          name: g.name,
          type: g.type,
          spec_sha256: gateSpecHash(g),
          spec: JSON.stringify(g),
          passed: outcomes[i]!.passed ? 1 : 0,
          details: JSON.stringify({ summary: outcomes[i]!.summary, ...outcomes[i]!.details }),
          created_at: at,
        }));
        await tx.gates.insertResults(results);
        await tx.gates.updateRun(runId, { status: 'SUCCEEDED', passed: passed ? 1 : 0, error: null, finished_at: at });
        await tx.events.append(
          domainEvent(clock, 'system', passed ? 'gate_run.passed' : 'gate_run.failed', entity, {
            ...who,
            results: spec.gates.map((g, i) => ({ name: g.name, type: g.type, passed: outcomes[i]!.passed })),
          }),
        );
        return true;
      });
      if (finished) await this.finished(runId, names.model, names.version);
      return { gates: outcomes.length, passed };
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      const failed = await store.transaction(async (tx) => {
        const current = await tx.gates.getRun(runId);
        if (current?.job_id !== ctx.id || (current.status !== 'RUNNING' && current.status !== 'QUEUED')) return false;
        await tx.gates.updateRun(runId, { status: 'FAILED', error: message.slice(0, 2000), finished_at: isoTime(clock) });
        await tx.events.append(domainEvent(clock, 'system', 'gate_run.errored', entity, { ...who, error: message.slice(0, 300), before: { status: current.status }, after: { status: 'FAILED' } }));
        return true;
      });
      if (failed && names) await this.finished(runId, names.model, names.version);
      throw err;
    } finally {
      for (const r of acquired) await this.deps.runtimes.release(r);
    }
  }

  private async finished(runId: string, model: string, version: number): Promise<void> {
    if (!this.deps.onRunFinished) return;
    try {
      const row = await this.deps.store.gates.getRun(runId);
      if (row) await this.deps.onRunFinished(await this.view(row, model, version, true));
    } catch (err) {
      this.deps.logger.error({ err, runId }, 'the gate run hook failed');
    }
  }
}

function resultView(r: GateResultRow): GateResultView {
  const { summary, ...details } = JSON.parse(r.details) as { summary?: string } & Record<string, unknown>;
  return {
    id: r.id,
    runId: r.run_id,
    name: r.name,
    type: r.type as GateType,
    specSha256: r.spec_sha256,
    spec: JSON.parse(r.spec) as GateSpec,
    passed: r.passed === 1,
    summary: summary ?? '',
    details,
    createdAt: r.created_at,
  };
}
