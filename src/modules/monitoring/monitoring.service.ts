/**
 * Monitoring: reference profiles per model version, the fold of the prediction log into window profiles,
 * reports over any range of windows (drift, quality, performance from labels, operations), labels, offline
 * reports of a dataset version, and the evaluation of alert rules when windows close.
 */
import { Readable } from 'node:stream';
import type { DataEngine } from '../../data/engine.js';
import type { MetadataStore, Repositories } from '../../db/metadata-store.js';
import type { ModelVersionRow, ProjectRow } from '../../db/schema.js';
import { inferTask, performanceOf, type PerformanceMetrics, type Task } from '../../ml/monitoring/performance.js';
import {
  decodeSample, emptyStats, encodeSample, mergeProfiles, mergeSamples, mergeStats, PREDICTION_COLUMN, type BinLayout,
  type ColumnSpec, type Profile, type ProfileStats, type RowSample,
} from '../../ml/monitoring/profile.js';
import {
  driftReport, operationsReport, qualityReport, type ColumnDrift, type DriftReport, type OperationsReport, type QualityReport, type ReferenceInput,
} from '../../ml/monitoring/report.js';
import { isoTime, type Clock } from '../../platform/clock.js';
import { conflict, DomainError, invalidField, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { Logger } from '../../platform/logger.js';
import type { Principal } from '../../platform/principal.js';
import type { UploadPart } from '../../platform/upload-part.js';
import { modelSchema } from '../../serving/model-schema.js';
import { runtimeSourceOf, type ModelRuntime, type RuntimeCache } from '../../serving/runtimes.js';
import type { Signature } from '../../runtime/signature.js';
import { readJsonArtifact, type ArtifactStore } from '../../storage/artifact-store.js';
import { domainEvent } from '../events/domain-event.js';
import type { JobContext } from '../jobs/job-worker.js';
import type { JobsService, JobView } from '../jobs/jobs.service.js';
import { resolveProject } from '../projects/projects.service.js';
import type { AlertsService } from './alerts/alerts.service.js';
import { versionByNames } from '../models/version-lookup.js';
import { datasetVersionByName } from '../datasets/dataset-lookup.js';
import { findPredictions, idTime, planRanges, type LogRange } from './log-tail.js';
import { attributionDrift, meanAbsShap, type AttributionDrift } from './attribution.js';
import { importanceOf } from '../explain/explain.repository.js';
import type { TreeShapPool } from '../explain/tree-shap-pool.js';
import type { TreeEnsemble } from '../../ml/trees/tree-ensemble.js';
import { treeShap } from '../../ml/trees/tree-shap.js';
import { mergeFolded, type FoldContext, type FoldWorkResult } from './fold-work.js';
import { WorkerFoldRunner, type FoldRunner } from './fold-runner.js';
import { DEFAULT_SETTINGS, parseSettings, settingsView, type MonitoringSettings } from './monitoring-settings.js';
import { SAMPLE_HEAD_ROWS, type LabelRow, type ReferenceRow, type WindowHead, type WindowRow } from './monitoring.repository.js';
import {
  checkColumns, columnsOf, describeTable, layoutOf, predictAll, profileColumns, readColumns, REFERENCE_SAMPLE_ROWS, type TableSource,
} from './profile-data.js';
import { WINDOW_SAMPLE_ROWS, type FoldModel, type FoldedWindow, type WindowKind } from './window-folder.js';

export const REFERENCE_JOB = 'monitoring.reference';
const REFERENCE_FORMAT = 'steward.reference.v1';
/**
 * Log bytes folded per transaction. Parsing and folding a chunk runs on the event loop (about 15 ms for
 * 2 MB), between requests: small chunks keep the pauses short for the requests being served meanwhile.
 */
const FOLD_CHUNK_BYTES = 2 * 1024 * 1024;
export const MAX_LABELS = 100_000;
/** Rows explained for attribution drift: of the reference sample, of a range's sample, of each window's. */
const REFERENCE_ATTRIBUTION_ROWS = 2000;
const CURRENT_ATTRIBUTION_ROWS = 1000;
const WINDOW_ATTRIBUTION_ROWS = 200;

interface StoredReference {
  format: typeof REFERENCE_FORMAT;
  columns: ColumnSpec[];
  layout: BinLayout;
  stats: ProfileStats;
  sample: string;
  rows: number;
}

export interface LoadedReference {
  id: string;
  columns: ColumnSpec[];
  layout: BinLayout;
  input: ReferenceInput;
  rows: number;
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
  /** Where the importance-weighted drift share's weights came from. */
  importanceSource?: 'settings' | 'explanation';
  /** Feature-attribution drift (tree models), or null with `attributionNote` saying why. */
  attribution: AttributionDrift | null;
  attributionNote?: string;
  quality: QualityReport;
  performance: PerformanceView;
  operations: OperationsReport;
}

export interface PerformanceView {
  labeled: number;
  task: Task | null;
  metrics: PerformanceMetrics;
  /** Labels whose prediction or value does not fit the task. */
  skipped: number;
  /** The version's own metrics (registered with it) next to the monitored ones, by metric. */
  validation: Record<string, { validation: number; current: number | null; delta: number | null }>;
}

/** Names under which registered metrics are matched with monitored ones. */
const METRIC_ALIASES: Record<string, string[]> = {
  accuracy: ['accuracy', 'acc'], precision: ['precision'], recall: ['recall'], f1: ['f1', 'f1_score'], rocAuc: ['roc_auc', 'auc', 'rocAuc', 'roc-auc'],
  logLoss: ['log_loss', 'logloss', 'logLoss'], ece: ['ece'], mae: ['mae'], rmse: ['rmse'], r2: ['r2', 'r2_score'], mape: ['mape'],
};

export interface WindowSummary {
  start: string;
  end: string;
  kind: string;
  seq: number;
  model: string;
  version: number;
  rows: number;
  closed: boolean;
  drift: { share: number; datasetDrift: boolean; features: Record<string, WindowDrift>; output: WindowDrift | null } | null;
  /** Mean |SHAP| per feature in the window against the reference's (tree models). */
  attribution: { shift: number; features: Record<string, { reference: number; current: number; change: number }> } | null;
  quality: { missingRate: number; outOfRangeRate: number; unseenCategoryRate: number; rejectedRate: number };
  performance: { labeled: number; task: Task | null; metrics: PerformanceMetrics };
  operations: OperationsReport;
}

export interface WindowDrift {
  test: string;
  statistic: number | null;
  pValue: number | null;
  adjustedPValue: number | null;
  threshold: number;
  drifted: boolean;
}

function windowDrift(d: ColumnDrift): WindowDrift {
  return { test: d.test, statistic: d.statistic, pValue: d.pValue ?? null, adjustedPValue: d.adjustedPValue ?? null, threshold: d.threshold, drifted: d.drifted };
}

/** What the reports of one request share (read once). */
interface ReportContext {
  settings?: MonitoringSettings;
  dep?: { project: ProjectRow; name: string } | undefined;
  versions?: Map<string, { versionRow: ModelVersionRow | undefined; refRow: ReferenceRow | undefined }>;
  labels?: Pick<LabelRow, 'prediction_id' | 'prediction' | 'label' | 'predicted_at' | 'version'>[];
  /** Rows of the current sample explained for attribution drift. */
  attributionRows?: number;
  /** Caches the window's attribution under this key (a window id and its row count). */
  attributionKey?: string;
  /** The newest explanation report's importance per model version id (read once per listing). */
  importance?: Map<string, Record<string, number> | null>;
  /** Leave attribution drift out (alert rules that do not read it). */
  skipAttribution?: boolean;
  /** Runtimes held for a whole listing of windows (released by whoever made the map). */
  runtimes?: Map<string, ModelRuntime>;
}

function emptyPerformance(task: Task | null): PerformanceView {
  return { labeled: 0, task, metrics: {}, skipped: 0, validation: {} };
}

export interface ClosedWindow {
  deploymentId: string;
  model: string;
  version: number;
  kind: string;
  seq: number;
  start: string;
  end: string;
}

export class MonitoringService {
  private readonly references = new Map<string, LoadedReference>();
  private readonly foldModels = new Map<string, FoldModel | null>();
  private foldTimer: NodeJS.Timeout | null = null;
  private folding: Promise<unknown> | null = null;
  private stopped = false;
  /** Set by app wiring: alert rules are evaluated as windows close. */
  alerts: AlertsService | undefined;
  /** Reads and folds the log off the serving thread. */
  private readonly fold: FoldRunner;

  constructor(
    private readonly deps: {
      store: MetadataStore;
      artifacts: ArtifactStore;
      engine: DataEngine;
      runtimes: RuntimeCache;
      jobs: JobsService;
      clock: Clock;
      logger: Logger;
      workDir: string;
      /** The prediction log folder this process writes (null: monitoring folds nothing). */
      logDir: string | null;
      /** How long after its end a time window is closed (late records still fold into it until then). */
      closeGraceMs?: number;
      /** Where fold steps run (default: worker threads, `foldThreads` of them). */
      foldRunner?: FoldRunner;
      /** Worker threads that fold the log (default 1). */
      foldThreads?: number;
      /** Computes TreeSHAP for attribution drift off the event loop (inline without it). */
      shapPool?: TreeShapPool;
    },
  ) {
    this.fold = deps.foldRunner ?? new WorkerFoldRunner(deps.foldThreads ?? 1);
  }

  // ----------------------------------------------------------------------------------------------
  // Settings

  private async deployment(projectName: string | undefined, name: string, repos: Repositories = this.deps.store) {
    const project = await resolveProject(repos, projectName);
    const dep = await repos.deployments.get(project.id, name);
    if (!dep) throw notFound('DEPLOYMENT_NOT_FOUND', `there is no deployment named '${name}' in project '${project.name}'`, { deployment: name });
    return { project, dep };
  }

  private async settingsOf(deploymentId: string, repos: Repositories = this.deps.store): Promise<MonitoringSettings> {
    const text = await repos.monitoring.settings(deploymentId);
    return text ? { ...DEFAULT_SETTINGS, ...(JSON.parse(text) as Partial<MonitoringSettings>) } : { ...DEFAULT_SETTINGS };
  }

  async getSettings(projectName: string | undefined, name: string): Promise<MonitoringSettings> {
    const { dep } = await this.deployment(projectName, name);
    return settingsView(await this.settingsOf(dep.id));
  }

  async putSettings(actor: Principal, projectName: string | undefined, name: string, body: unknown): Promise<MonitoringSettings> {
    const { clock, store } = this.deps;
    return store.transaction(async (tx) => {
      const { project, dep } = await this.deployment(projectName, name, tx);
      const next = parseSettings(body, await this.settingsOf(dep.id, tx));
      const at = isoTime(clock);
      await tx.monitoring.putSettings(dep.id, JSON.stringify(next), at, actor.name);
      await tx.events.append(domainEvent(clock, actor.name, 'monitoring.settings_changed', { type: 'deployment', id: dep.id, projectId: project.id }, { deployment: name, settings: settingsView(next) }));
      this.kinds.delete(`${project.name}/${name}`);
      return settingsView(next);
    });
  }

  // ----------------------------------------------------------------------------------------------
  // References

  private version(projectName: string | undefined, model: string, version: number) {
    return versionByNames(this.deps.store, projectName, model, version);
  }

  private async schemaOf(row: ModelVersionRow) {
    if (!row.signature) throw invalidField('version', 'the model version has no signature, so its features are unknown', 'NO_SIGNATURE');
    const schema = modelSchema(JSON.parse(row.signature) as Signature, { acceptsMissing: row.flavor !== 'onnx' });
    if (!schema.features) throw invalidField('version', `the model is not tabular (${schema.tabularProblem}); monitoring profiles tabular features`, 'NOT_TABULAR');
    return schema;
  }

  /**
   * Sets the reference of a model version from a dataset version (`{dataset, version}`) or from an uploaded
   * CSV or Parquet file. The columns are checked now; the profile is made by a background job.
   */
  async requestReference(actor: Principal, projectName: string | undefined, model: string, version: number, input: { json: unknown } | { parts: AsyncIterable<UploadPart> }): Promise<{ reference: ReferenceView; job: JobView }> {
    const { store, artifacts, clock } = this.deps;
    const found = await this.version(projectName, model, version);
    if (found.version.status !== 'READY') throw conflict('VERSION_NOT_READY', `version ${version} of '${model}' is ${found.version.status}; a reference needs a READY version`);
    const schema = await this.schemaOf(found.version);
    const columns = columnsOf(schema);
    let source: TableSource;
    let sourceView: Record<string, unknown>;
    if ('json' in input) {
      const b = input.json as Record<string, unknown> | null;
      if (b === null || typeof b !== 'object' || Array.isArray(b)) throw invalidField('body', 'must be {"dataset": name, "version": n} or a multipart upload with a file');
      for (const k of Object.keys(b)) if (k !== 'dataset' && k !== 'version') throw invalidField(k, 'is not a field (dataset, version)', 'UNKNOWN_FIELD');
      if (typeof b.dataset !== 'string' || b.dataset === '') throw invalidField('dataset', 'must be the name of a dataset');
      if (typeof b.version !== 'number' || !Number.isInteger(b.version) || b.version < 1) throw invalidField('version', 'must be a dataset version number (an integer ≥ 1)');
      const dv = await datasetVersionByName(store, found.project, b.dataset, b.version);
      source = { path: await artifacts.localPath(dv.stored_sha256), format: 'parquet', label: `dataset '${b.dataset}' version ${b.version}` };
      sourceView = { kind: 'dataset', dataset: b.dataset, version: b.version, sha256: dv.stored_sha256 };
      checkColumns(await describeTable(this.deps.engine, source, 'dataset'), columns, 'dataset', source.label);
    } else {
      let staged;
      let fileName = 'upload';
      let declaredFormat: 'csv' | 'parquet' | undefined;
      for await (const part of input.parts) {
        if (part.kind === 'field') {
          if (part.name !== 'metadata') throw invalidField(part.name.slice(0, 100), "is not a field of this upload (send the rows as the file field 'file', and optionally a JSON field 'metadata' {\"format\": \"csv\"|\"parquet\"})", 'UNKNOWN_FIELD');
          let meta: unknown;
          try {
            meta = JSON.parse(part.value);
          } catch {
            throw invalidField('metadata', 'must be JSON {"format": "csv"|"parquet"}');
          }
          const m = meta as Record<string, unknown> | null;
          if (m === null || typeof m !== 'object' || Array.isArray(m)) throw invalidField('metadata', 'must be a JSON object');
          for (const k of Object.keys(m)) if (k !== 'format') throw invalidField(`metadata.${k.slice(0, 50)}`, 'is not a field (format)', 'UNKNOWN_FIELD');
          if (m.format !== undefined && m.format !== 'csv' && m.format !== 'parquet') throw invalidField('metadata.format', "must be 'csv' or 'parquet'");
          declaredFormat = m.format as 'csv' | 'parquet' | undefined;
          continue;
        }
        if (part.name !== 'file') throw invalidField(part.name.slice(0, 100), "is not a file field of this upload (the data goes in 'file')", 'UNKNOWN_FIELD');
        if (staged) throw invalidField('file', 'only one file can be sent');
        fileName = part.filename || 'upload';
        staged = await artifacts.stage(part.stream);
      }
      if (!staged) throw invalidField('file', "is missing: send the reference rows as the multipart file field 'file'", 'MISSING_FILE');
      if (staged.size === 0) {
        await staged.discard();
        throw invalidField('file', `${fileName} is empty`, 'EMPTY_FILE');
      }
      const format = declaredFormat ?? (/\.parquet$/i.test(fileName) ? 'parquet' : 'csv');
      source = { path: staged.localPath, format, label: fileName };
      try {
        const table = await describeTable(this.deps.engine, source, 'file');
        checkColumns(table, columns, 'file', fileName);
      } catch (err) {
        await staged.discard();
        throw err;
      }
      await staged.commit();
      source = { path: await artifacts.localPath(staged.sha256), format, label: fileName };
      sourceView = { kind: 'upload', fileName, format, sha256: staged.sha256, size: staged.size };
    }
    const at = isoTime(clock);
    const result = await store.transaction(async (tx) => {
      const id = newId(clock.now());
      const job = await this.deps.jobs.enqueue(tx, actor.name, { type: REFERENCE_JOB, payload: { referenceId: id, modelVersionId: found.version.id, source: { ...sourceView, format: source.format } }, projectId: found.project.id, maxAttempts: 2 });
      const row: ReferenceRow = { model_version_id: found.version.id, id, status: 'PENDING', source: JSON.stringify(sourceView), rows: 0, profile_sha256: null, error: null, job_id: job.id, created_at: at, created_by: actor.name };
      await tx.monitoring.putReference(row);
      await tx.events.append(domainEvent(clock, actor.name, 'monitoring.reference_requested', { type: 'model_version', id: found.version.id, projectId: found.project.id }, { model, version, source: sourceView }));
      return { row, job };
    });
    this.deps.jobs.jobsEnqueued();
    const job = await this.deps.jobs.get(result.job.id);
    return { reference: referenceView(model, version, result.row), job };
  }

  async runReferenceJob(payload: unknown, ctx: JobContext): Promise<{ rows: number }> {
    const p = payload as { referenceId: string; modelVersionId: string; source: { kind: string; sha256: string; format: 'csv' | 'parquet'; fileName?: string; dataset?: string; version?: number } };
    const { store, artifacts, runtimes } = this.deps;
    const ref = await store.monitoring.referenceById(p.referenceId);
    if (!ref) return { rows: 0 }; // replaced by a newer reference meanwhile
    const versionRow = await store.versions.getById(p.modelVersionId);
    if (!versionRow) throw new DomainError('not_found', 'MODEL_VERSION_NOT_FOUND', 'the model version no longer exists');
    try {
      const schema = await this.schemaOf(versionRow);
      const columns = columnsOf(schema);
      const label = p.source.kind === 'dataset' ? `dataset '${p.source.dataset}' version ${p.source.version}` : (p.source.fileName ?? 'upload');
      const source: TableSource = { path: await artifacts.localPath(p.source.sha256), format: p.source.format, label };
      await ctx.progress(0.05, 'reading rows');
      const table = await describeTable(this.deps.engine, source, 'file');
      checkColumns(table, columns, 'file', label);
      const data = await readColumns(this.deps.engine, source, table, columns);
      if (data.rows === 0) throw invalidField('file', `${label} has no rows`, 'EMPTY_DATA');
      await ctx.progress(0.2, `predicting ${data.rows} rows`);
      const runtime = await runtimes.acquire(runtimeSourceOf(versionRow));
      try {
        data.values[PREDICTION_COLUMN] = await predictAll(runtime, runtime.schema, data.values, data.rows, (done) => ctx.progress(0.2 + (0.6 * done) / data.rows, `predicted ${done} of ${data.rows} rows`));
      } finally {
        await runtimes.release(runtime);
      }
      await ctx.progress(0.85, 'profiling');
      const layout = layoutOf(ref.id, columns, data.values);
      const profile = profileColumns(columns, data.values, data.rows, layout, REFERENCE_SAMPLE_ROWS);
      const stored: StoredReference = { format: REFERENCE_FORMAT, columns, layout, stats: profile.stats, sample: encodeSample(profile.sample), rows: data.rows };
      const blob = await artifacts.stage(Readable.from([Buffer.from(JSON.stringify(stored))]));
      await blob.commit();
      const version = await store.versions.getById(p.modelVersionId);
      const projectId = version ? ((await store.models.getById(version.model_id))?.project_id ?? null) : null;
      await store.transaction(async (tx) => {
        const current = await tx.monitoring.referenceById(ref.id);
        if (!current) return;
        await tx.monitoring.updateReference(ref.id, { status: 'READY', rows: data.rows, profile_sha256: blob.sha256, error: null });
        await tx.events.append(domainEvent(this.deps.clock, 'system', 'monitoring.reference_ready', { type: 'model_version', id: p.modelVersionId, projectId }, { referenceId: ref.id, rows: data.rows, sampledFrom: data.total }));
      });
      this.foldModels.clear();
      return { rows: data.rows };
    } catch (err) {
      if (err instanceof DomainError || ctx.lastAttempt) {
        await store.monitoring.updateReference(ref.id, { status: 'FAILED', error: (err as Error).message.slice(0, 2000) });
      }
      throw err;
    }
  }

  async getReference(projectName: string | undefined, model: string, version: number): Promise<ReferenceView & { columns: unknown[] }> {
    const found = await this.version(projectName, model, version);
    const row = await this.deps.store.monitoring.reference(found.version.id);
    if (!row) throw notFound('REFERENCE_NOT_FOUND', `version ${version} of '${model}' has no reference yet: POST one to /api/v1/models/${model}/versions/${version}/reference`);
    const view = referenceView(model, version, row);
    if (row.status !== 'READY') return { ...view, columns: [] };
    const ref = await this.loadReference(row);
    const columns = ref.columns.map((c) => {
      const st = ref.input.stats.columns[c.name]!;
      const name = c.name === PREDICTION_COLUMN ? 'prediction' : c.name;
      if (st.kind === 'numeric') return { name, kind: c.kind, rows: st.count, missing: st.missing, min: st.min, max: st.max, mean: st.n ? st.mean : null, std: st.n ? Math.sqrt(st.m2 / st.n) : null, edges: ref.layout.edges[c.name] ?? null, bins: st.bins };
      return { name, kind: c.kind, rows: st.count, missing: st.missing, categories: st.categories, overflow: st.overflow };
    });
    return { ...view, columns };
  }

  /** The row sample (numeric columns) of a version's ready reference, for explanations' backgrounds. */
  async referenceSample(modelVersionId: string): Promise<{ id: string; sample: RowSample } | null> {
    const row = await this.deps.store.monitoring.reference(modelVersionId);
    if (!row || row.status !== 'READY') return null;
    const ref = await this.loadReference(row);
    return { id: ref.id, sample: ref.input.sample };
  }

  async loadReference(row: ReferenceRow): Promise<LoadedReference> {
    const cached = this.references.get(row.id);
    if (cached) return cached;
    const stored = await readJsonArtifact<StoredReference>(this.deps.artifacts, row.profile_sha256!);
    const sample = decodeSample(stored.sample, stored.stats.sampleColumns);
    const loaded: LoadedReference = { id: row.id, columns: stored.columns, layout: stored.layout, rows: stored.rows, input: { stats: stored.stats, sample, edges: stored.layout.edges, layout: stored.layout.id } };
    if (this.references.size > 32) this.references.delete(this.references.keys().next().value!);
    this.references.set(row.id, loaded);
    return loaded;
  }

  // ----------------------------------------------------------------------------------------------
  // Folding the prediction log into windows

  private readonly kinds = new Map<string, { id: string; kind: WindowKind } | null>();

  /** Starts folding every `intervalMs`. */
  start(intervalMs = 2000): void {
    if (this.foldTimer || !this.deps.logDir) return;
    this.stopped = false;
    const tick = () => {
      this.foldTimer = setTimeout(() => {
        void this.foldNow()
          .catch((err: unknown) => this.deps.logger.error({ err }, 'monitoring fold failed'))
          .finally(() => {
            if (!this.stopped) tick();
          });
      }, intervalMs);
      this.foldTimer.unref();
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.foldTimer) clearTimeout(this.foldTimer);
    this.foldTimer = null;
    await this.folding?.catch(() => undefined);
    await this.fold.close();
  }

  /** Folds everything logged so far, closes due windows and evaluates alert rules; one pass at a time. */
  foldNow(): Promise<{ records: number; windows: number; closed: number }> {
    const run = (this.folding ?? Promise.resolve()).catch(() => undefined).then(() => this.foldAll());
    this.folding = run;
    return run;
  }

  private async foldAll(): Promise<{ records: number; windows: number; closed: number }> {
    // What the fold looked up (deployment ids and window kinds, model columns and reference layouts) is
    // looked up again every 30 s, and after a failure: other processes change settings and references, and
    // a deployment deleted and made again has a new id.
    if (this.deps.clock.now() - this.cachedAt > 30_000) this.clearFoldCaches();
    try {
      return await this.foldPass();
    } catch (err) {
      this.clearFoldCaches();
      throw err;
    }
  }

  private cachedAt = 0;

  private clearFoldCaches(): void {
    this.kinds.clear();
    this.foldModels.clear();
    this.cachedAt = this.deps.clock.now();
  }

  private async foldPass(): Promise<{ records: number; windows: number; closed: number }> {
    const dir = this.deps.logDir;
    let records = 0;
    let windows = 0;
    const closed: ClosedWindow[] = [];
    if (dir) {
      for (;;) {
        const cursor = await this.deps.store.monitoring.cursor(dir);
        // Consecutive ranges are parsed and folded in parallel, except while some deployment counts windows
        // in predictions (rows:N): a window's number then depends on every record before it.
        const serial = () => [...this.kinds.values()].some((k) => k?.kind.startsWith('rows:'));
        let ranges = await planRanges(dir, cursor, FOLD_CHUNK_BYTES, serial() ? 1 : this.fold.size);
        if (ranges.length === 0) break;
        let results = await this.foldRanges(ranges);
        const needs = results.filter((r) => r.kind === 'needs');
        if (needs.length > 0) {
          await this.resolveFoldTargets(needs.flatMap((r) => r.deployments), needs.flatMap((r) => r.models));
          if (serial()) ranges = ranges.slice(0, 1);
          results = await this.foldRanges(ranges);
          const still = results.find((r) => r.kind === 'needs');
          if (still) throw new Error(`the fold still lacks ${[...still.deployments, ...still.models].join(', ')}`);
        }
        const folded = results.flatMap((r) => (r.kind === 'folded' ? [r] : []));
        const last = ranges[ranges.length - 1]!;
        windows += await this.persistFolded(dir, mergeFolded(folded.map((r) => r.windows)), { segment: last.segment, offset: last.end }, closed);
        records += folded.reduce((n, r) => n + r.records, 0);
        if (this.stopped) break;
      }
    }
    closed.push(...(await this.closeDueWindows()));
    if (closed.length > 0) await this.evaluateAlerts(closed);
    return { records, windows, closed: closed.length };
  }

  /** Folds ranges in the worker pool, each with what the workers need to know (looked up so far). */
  private async foldRanges(ranges: LogRange[]): Promise<FoldWorkResult[]> {
    const context = await this.foldContext();
    return Promise.all(ranges.map((range) => this.fold.run({ ...context, range })));
  }

  /** The deployments and model versions looked up so far, and where row windows stand. */
  private async foldContext(): Promise<FoldContext> {
    const kinds: Record<string, WindowKind | null> = {};
    const rowStarts: Record<string, { seq: number; rows: number }> = {};
    for (const [dk, k] of this.kinds) {
      kinds[dk] = k?.kind ?? null;
      if (!k || !k.kind.startsWith('rows:')) continue;
      // Row windows continue from the newest stored window of each (deployment, model, version).
      for (const w of await this.deps.store.monitoring.lastWindows(k.id, k.kind)) rowStarts[`${dk}\u0000${w.model}\u0000${w.version}\u0000${k.kind}`] = { seq: w.seq, rows: w.rows };
    }
    return { kinds, models: Object.fromEntries(this.foldModels), rowStarts };
  }

  /** Looks up deployments ("project/name") and model versions ("project/model/version") the fold met. */
  private async resolveFoldTargets(deployments: string[], models: string[]): Promise<void> {
    const { store } = this.deps;
    for (const dk of deployments) {
      if (this.kinds.has(dk)) continue;
      const [projectName, name] = dk.split('/') as [string, string];
      const project = await store.projects.getByName(projectName);
      const dep = project && (await store.deployments.get(project.id, name));
      this.kinds.set(dk, dep ? { id: dep.id, kind: (await this.settingsOf(dep.id)).window } : null);
    }
    for (const mk of models) {
      if (this.foldModels.has(mk)) continue;
      const [projectName, model, version] = mk.split('/') as [string, string, string];
      const found = await store.versions.getByNames(projectName, model, Number(version));
      let fm: FoldModel | null = null;
      if (found?.version.signature) {
        try {
          const schema = await this.schemaOf(found.version);
          const refRow = await store.monitoring.reference(found.version.id);
          const ref = refRow?.status === 'READY' ? await this.loadReference(refRow) : null;
          fm = { columns: ref?.columns ?? columnsOf(schema), layout: ref?.layout ?? null };
        } catch {
          fm = null;
        }
      }
      this.foldModels.set(mk, fm);
    }
  }

  /** Merges what one fold step made into the stored windows and advances the cursor, in one transaction. */
  private async persistFolded(dir: string, folded: FoldedWindow[], next: { segment: string; offset: number }, closed: ClosedWindow[]): Promise<number> {
    const { store, clock } = this.deps;
    const at = isoTime(clock);
    await store.transaction(async (tx) => {
      const keys = folded.map((w) => ({ deploymentId: this.kinds.get(w.deploymentKey)!.id, model: w.model, version: w.version, kind: w.kind, seq: w.seq }));
      const stored = new Map<string, WindowRow>();
      for (const row of await tx.monitoring.windowsByKey(keys)) stored.set(`${row.deployment_id}\u0000${row.model}\u0000${row.version}\u0000${row.kind}\u0000${row.seq}`, row);
      for (const [i, w] of folded.entries()) {
        const key = keys[i]!;
        const existing = stored.get(`${key.deploymentId}\u0000${w.model}\u0000${w.version}\u0000${w.kind}\u0000${w.seq}`);
        const row = mergeWindow(existing, w, key.deploymentId, at);
        const size = w.kind.startsWith('rows:') ? Number(w.kind.slice(5)) : 0;
        if (size > 0 && row.rows >= size && !existing?.closed) {
          row.closed = 1;
          closed.push({ deploymentId: key.deploymentId, model: w.model, version: w.version, kind: w.kind, seq: w.seq, start: row.start_at, end: row.end_at });
        }
        await tx.monitoring.putWindow(row, existing !== undefined);
      }
      await tx.monitoring.putCursor(dir, next.segment, next.offset, at);
    });
    return folded.length;
  }

  private async closeDueWindows(): Promise<ClosedWindow[]> {
    const grace = this.deps.closeGraceMs ?? 10_000;
    const now = this.deps.clock.now();
    const out: ClosedWindow[] = [];
    for (const w of await this.deps.store.monitoring.openWindows()) {
      if (w.kind.startsWith('rows:')) continue;
      if (Date.parse(w.end_at) + grace > now) continue;
      await this.deps.store.monitoring.closeWindow(w.id);
      out.push({ deploymentId: w.deployment_id, model: w.model, version: w.version, kind: w.kind, seq: w.seq, start: w.start_at, end: w.end_at });
    }
    return out;
  }

  // ----------------------------------------------------------------------------------------------
  // Alerts

  private async evaluateAlerts(closed: ClosedWindow[]): Promise<void> {
    const alerts = this.alerts;
    if (!alerts) return;
    const byDeployment = new Map<string, ClosedWindow[]>();
    for (const w of closed) (byDeployment.get(w.deploymentId) ?? byDeployment.set(w.deploymentId, []).get(w.deploymentId)!).push(w);
    for (const [deploymentId, list] of byDeployment) {
      list.sort((a, b) => (a.end < b.end ? -1 : a.end > b.end ? 1 : a.seq - b.seq));
      let rules;
      try {
        rules = await alerts.rulesFor(deploymentId);
      } catch (err) {
        this.deps.logger.error({ err }, 'could not read alert rules');
        continue;
      }
      for (const rule of rules) {
        const seen = new Set<string>();
        for (const w of list) {
          if (rule.version != null && w.version !== rule.version) continue;
          const rowsKind = w.kind.startsWith('rows:');
          // Time windows of every version are judged together; row windows per version.
          const scopeVersion = rule.version ?? (rowsKind ? w.version : undefined);
          const key = `${w.end}#${scopeVersion ?? 'all'}#${String(w.seq).padStart(12, '0')}`;
          if (seen.has(key)) continue;
          seen.add(key);
          try {
            const value = await this.ruleValue(deploymentId, w, scopeVersion, rule.metric, rule.windows ?? 1);
            await alerts.observe(rule.id, { key, start: w.start, end: w.end }, value);
          } catch (err) {
            this.deps.logger.error({ err, rule: rule.name }, 'alert rule evaluation failed');
          }
        }
      }
    }
  }

  private async ruleValue(deploymentId: string, w: ClosedWindow, version: number | undefined, metric: string, windows: number): Promise<number | null> {
    const { store } = this.deps;
    // The last `windows` closed windows of this kind up to and including w.
    // Only the windows numbered w.seq − windows + 1 … w.seq are read.
    const heads = (await store.monitoring.windows(deploymentId, { kind: w.kind, version, seqFrom: w.seq - windows + 1, seqTo: w.seq })).filter(
      (h) => h.closed === 1 && (version !== undefined || !w.kind.startsWith('rows:') || h.version === w.version),
    );
    const chosen = heads;
    // Attribution drift costs TreeSHAP: only for rules on it (cached per window when the rule reads one).
    const ctx: ReportContext = { skipAttribution: !metric.startsWith('attribution.') };
    if (chosen.length === 1) ctx.attributionKey = `${chosen[0]!.id}:${chosen[0]!.rows}`;
    const report = await this.reportFromHeads(deploymentId, chosen, version, null, null, ctx);
    return metricValue(report, metric);
  }

  // ----------------------------------------------------------------------------------------------
  // Reports

  async report(projectName: string | undefined, name: string, query: { from?: string; to?: string; version?: number }): Promise<MonitoringReport> {
    const { project, dep } = await this.deployment(projectName, name);
    const from = parseTime(query.from, 'from');
    const to = parseTime(query.to, 'to');
    if (from && to && from >= to) throw invalidField('to', 'must be after from');
    const heads = await this.deps.store.monitoring.windows(dep.id, { from: from ?? undefined, to: to ?? undefined, version: query.version });
    const report = await this.reportFromHeads(dep.id, heads, query.version, from, to);
    return { deployment: name, ...report, project: project.name };
  }

  /** One report over these windows (their stats merged; their samples merged proportionally). */
  private async reportFromHeads(deploymentId: string, heads: WindowHead[], version: number | undefined, from: string | null, to: string | null, ctx: ReportContext = {}): Promise<MonitoringReport> {
    const { store } = this.deps;
    const settings = (ctx.settings ??= await this.settingsOf(deploymentId));
    // The version whose reference the rows are compared with: the one asked for, else the one with most rows.
    const rowsByVersion = new Map<string, number>();
    for (const h of heads) rowsByVersion.set(`${h.model}\u0000${h.version}`, (rowsByVersion.get(`${h.model}\u0000${h.version}`) ?? 0) + h.rows);
    let main: [string, number] | null = null;
    let best = -1;
    for (const [k, n] of rowsByVersion) {
      if (n > best) {
        best = n;
        const [m, v] = k.split('\u0000');
        main = [m!, Number(v)];
      }
    }
    const parsedStats = heads.map((h) => JSON.parse(h.stats) as ProfileStats);
    let stats = emptyStats();
    for (const st of parsedStats) stats = mergeStats(stats, st);
    const dep = (ctx.dep ??= await this.deploymentById(deploymentId));
    let refRow: ReferenceRow | undefined;
    let versionRow: ModelVersionRow | undefined;
    if (main && dep) {
      const key = `${main[0]}\u0000${main[1]}`;
      ctx.versions ??= new Map();
      let v = ctx.versions.get(key);
      if (!v) {
        const found = await store.versions.getByNames(dep.project.name, main[0], main[1]);
        v = { versionRow: found?.version, refRow: found ? await store.monitoring.reference(found.version.id) : undefined };
        ctx.versions.set(key, v);
      }
      versionRow = v.versionRow;
      refRow = v.refRow;
    }
    const reference = refRow?.status === 'READY' ? await this.loadReference(refRow) : null;
    // Read just enough of each window's sample for a proportional sample of settings.sampleRows rows.
    const columns = reference ? reference.input.stats.sampleColumns : stats.sampleColumns;
    const totalRows = heads.reduce((s, h) => s + h.rows, 0);
    let sample: RowSample = { columns, rows: 0, data: new Float64Array(0) };
    if (totalRows > 0 && heads.length > 0) {
      const perWindow = Math.max(...heads.map((h) => Math.ceil((settings.sampleRows * h.rows) / totalRows))) + 1;
      const samples = await store.monitoring.windowSamples(heads.map((h) => h.id), Math.min(perWindow, WINDOW_SAMPLE_ROWS));
      const parts = heads.map((h, i) => ({ rows: h.rows, sample: decodeSample(samples.get(h.id) ?? '', parsedStats[i]!.sampleColumns) }));
      sample = mergeSamples(parts, settings.sampleRows, columns);
    }
    const features = reference
      ? reference.columns.filter((c) => c.name !== PREDICTION_COLUMN).map((c) => c.name)
      : Object.keys(stats.columns).filter((c) => c !== PREDICTION_COLUMN);
    let drift: DriftReport | null = null;
    let driftNote: string | undefined;
    let attribution: AttributionDrift | null = null;
    let attributionNote: string | undefined;
    // Drift weights: the settings' when given, else the mean |SHAP| of the version's newest explanation report.
    let importance = settings.importance ?? undefined;
    let importanceSource: 'settings' | 'explanation' | undefined = importance ? 'settings' : undefined;
    if (!importance && versionRow) {
      ctx.importance ??= new Map();
      let explained = ctx.importance.get(versionRow.id);
      if (explained === undefined) {
        explained = importanceOf(await store.explanations.latestSucceeded(versionRow.id));
        ctx.importance.set(versionRow.id, explained);
      }
      if (explained) {
        importance = explained;
        importanceSource = 'explanation';
      }
    }
    if (!reference) driftNote = main ? `version ${main[1]} of '${main[0]}' has no ready reference` : 'no predictions in this range';
    else if (stats.rows === 0) driftNote = 'no predictions in this range';
    else {
      try {
        drift = driftReport(features, reference.input, { stats, sample }, { tests: settings.tests, correction: settings.correction, driftShare: settings.driftShare, importance });
      } catch (err) {
        driftNote = (err as Error).message;
      }
      if (ctx.skipAttribution) attributionNote = 'not computed for this request';
      else {
        const a = await this.attributionOf(versionRow, reference, features, sample, ctx);
        attribution = a.drift;
        attributionNote = a.note;
      }
    }
    if (!attribution && attributionNote === undefined) attributionNote = driftNote;
    const quality = qualityReport(features, stats, reference?.input.stats ?? null);
    // The time the windows cover, within the range asked for: the span for throughput and for labels.
    const now = this.deps.clock.now();
    const firstStart = Math.min(...heads.map((h) => Date.parse(h.start_at)));
    const lastEnd = Math.max(...heads.map((h) => Date.parse(h.end_at)));
    const spanFrom = Math.max(from ? Date.parse(from) : -Infinity, firstStart);
    const spanTo = Math.min(to ? Date.parse(to) : Infinity, now, lastEnd);
    const seconds = heads.length > 0 && spanTo > spanFrom ? (spanTo - spanFrom) / 1000 : null;
    const labelsFrom = heads.length > 0 ? new Date(Math.max(from ? Date.parse(from) : -Infinity, firstStart)).toISOString() : from;
    // Row windows end at their last prediction's time: labels up to and including it.
    const labelsTo = heads.length > 0 ? new Date(Math.min(to ? Date.parse(to) : Infinity, lastEnd + 1)).toISOString() : to;
    // Windows of N predictions can start and end in the same millisecond as their neighbours: their labels
    // are the ones whose prediction ids fall in the window's id range (per version), not just its times.
    let idRanges: Map<number, { first: string; last: string }> | undefined;
    if (heads.length > 0 && heads.every((h, i) => h.kind.startsWith('rows:') && parsedStats[i]!.ids !== undefined)) {
      idRanges = new Map();
      heads.forEach((h, i) => {
        const ids = parsedStats[i]!.ids!;
        const seen = idRanges!.get(h.version);
        idRanges!.set(h.version, seen ? { first: ids.first < seen.first ? ids.first : seen.first, last: ids.last > seen.last ? ids.last : seen.last } : ids);
      });
    }
    const performance = heads.length === 0 ? emptyPerformance(settings.task) : await this.performance(deploymentId, { from: labelsFrom, to: labelsTo, model: main?.[0], version, idRanges }, settings.task, versionRow, ctx);
    return {
      project: dep?.project.name ?? '',
      model: main?.[0] ?? null,
      version: version ?? main?.[1] ?? null,
      from,
      to,
      windows: heads.length,
      reference: reference && refRow && main ? { model: main[0], version: main[1], rows: reference.rows, source: JSON.parse(refRow.source), createdAt: refRow.created_at } : null,
      drift,
      ...(driftNote ? { driftNote } : {}),
      ...(importanceSource && drift ? { importanceSource } : {}),
      attribution,
      ...(attributionNote ? { attributionNote } : {}),
      quality,
      performance,
      operations: operationsReport(stats, seconds),
    };
  }

  /** TreeSHAP in the pool (keyed by the runtime's artifact), or inline without one. */
  private pooledShap(runtime: ModelRuntime) {
    return (e: TreeEnsemble, x: Float32Array, rows: number) => (this.deps.shapPool ? this.deps.shapPool.treeShap(e, x, rows, runtime.key) : Promise.resolve(treeShap(e, x, rows)));
  }
  private readonly referenceAttribution = new Map<string, { values: Float64Array; rows: number } | null>();
  private readonly windowAttribution = new Map<string, { values: Float64Array; rows: number } | null>();

  /**
   * Attribution drift of the current sample against the reference sample, with exact TreeSHAP (tree models
   * only). The reference's side is computed once per reference; a window's once per (window, rows).
   */
  private async attributionOf(versionRow: ModelVersionRow | undefined, reference: LoadedReference, features: string[], sample: RowSample, ctx: ReportContext): Promise<{ drift: AttributionDrift | null; note?: string }> {
    if (!versionRow) return { drift: null, note: 'the model version is unknown' };
    if (versionRow.flavor !== 'xgboost-json') return { drift: null, note: `attribution drift needs exact TreeSHAP: version ${versionRow.version} is a ${versionRow.flavor} model` };
    const cacheKey = ctx.attributionKey ? `${ctx.attributionKey}:${ctx.attributionRows ?? CURRENT_ATTRIBUTION_ROWS}` : undefined;
    if (this.referenceAttribution.has(reference.id) && cacheKey && this.windowAttribution.has(cacheKey)) {
      const ref = this.referenceAttribution.get(reference.id)!;
      const cur = this.windowAttribution.get(cacheKey)!;
      return ref && cur ? { drift: attributionDrift(features, ref, cur) } : { drift: null, note: 'the samples do not hold every feature' };
    }
    // A listing of windows holds each runtime once: a version no deployment serves any more would otherwise
    // be loaded (and its TreeSHAP plan rebuilt) for every window.
    const held = ctx.runtimes?.get(versionRow.id);
    const runtime = held ?? (await this.deps.runtimes.acquire(runtimeSourceOf(versionRow)));
    if (!held && ctx.runtimes) ctx.runtimes.set(versionRow.id, runtime);
    const shap = this.pooledShap(runtime);
    try {
      const e = runtime.trees;
      if (!e) return { drift: null, note: 'the runtime is not a tree model' };
      let ref = this.referenceAttribution.get(reference.id);
      if (ref === undefined) {
        ref = await meanAbsShap(e, features, reference.input.sample, REFERENCE_ATTRIBUTION_ROWS, shap);
        if (this.referenceAttribution.size > 32) this.referenceAttribution.delete(this.referenceAttribution.keys().next().value!);
        this.referenceAttribution.set(reference.id, ref);
      }
      let cur = cacheKey ? this.windowAttribution.get(cacheKey) : undefined;
      if (cur === undefined) {
        cur = await meanAbsShap(e, features, sample, ctx.attributionRows ?? CURRENT_ATTRIBUTION_ROWS, shap);
        if (cacheKey) {
          if (this.windowAttribution.size > 4096) this.windowAttribution.delete(this.windowAttribution.keys().next().value!);
          this.windowAttribution.set(cacheKey, cur);
        }
      }
      if (!ref || !cur) return { drift: null, note: 'the samples do not hold every feature' };
      return { drift: attributionDrift(features, ref, cur) };
    } finally {
      if (!ctx.runtimes) await this.deps.runtimes.release(runtime);
    }
  }

  private async deploymentById(id: string): Promise<{ project: ProjectRow; name: string } | undefined> {
    const row = await this.deps.store.deployments.getById(id);
    if (!row) return undefined;
    const project = await this.deps.store.projects.getById(row.project_id);
    return project ? { project, name: row.name } : undefined;
  }

  private async performance(
    deploymentId: string,
    range: { from: string | null; to: string | null; model?: string; version?: number; idRanges?: Map<number, { first: string; last: string }> },
    task: Task | null,
    versionRow: ModelVersionRow | undefined,
    ctx: ReportContext = {},
  ): Promise<PerformanceView> {
    const inTime = ctx.labels
      ? ctx.labels.filter((r) => (range.from === null || r.predicted_at >= range.from) && (range.to === null || r.predicted_at < range.to) && (range.version === undefined || r.version === range.version))
      : await this.deps.store.monitoring.labels(deploymentId, { from: range.from ?? undefined, to: range.to ?? undefined, model: range.model, version: range.version });
    const ids = range.idRanges;
    const rows = ids
      ? inTime.filter((r) => {
          const span = ids.get(r.version);
          return span !== undefined && r.prediction_id >= span.first && r.prediction_id <= span.last;
        })
      : inTime;
    const predictions = rows.map((r) => JSON.parse(r.prediction) as unknown);
    const labels = rows.map((r) => JSON.parse(r.label) as unknown);
    const validationMetrics: Record<string, unknown> = versionRow ? (JSON.parse(versionRow.metrics) as Record<string, unknown>) : {};
    if (rows.length === 0) return { labeled: 0, task, metrics: {}, skipped: 0, validation: validationOf(validationMetrics, {}) };
    const t = task ?? inferTask(predictions, labels);
    const r = performanceOf(t, predictions, labels);
    return { labeled: rows.length, task: t, metrics: r.metrics, skipped: r.skipped, validation: validationOf(validationMetrics, r.metrics) };
  }

  /** Per-window summaries (for time series and the drift heatmap), newest `limit` windows. */
  async windowSeries(projectName: string | undefined, name: string, query: { from?: string; to?: string; version?: number; limit?: number }): Promise<{ items: WindowSummary[] }> {
    const { dep } = await this.deployment(projectName, name);
    const from = parseTime(query.from, 'from');
    const to = parseTime(query.to, 'to');
    const limit = query.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw invalidField('limit', 'must be an integer from 1 to 500');
    const heads = (await this.deps.store.monitoring.windows(dep.id, { from: from ?? undefined, to: to ?? undefined, version: query.version })).slice(-limit);
    const items: WindowSummary[] = [];
    // What every window's report shares is read once: settings, versions and references, the labels, and
    // the runtimes for attribution drift.
    const ctx: ReportContext = { runtimes: new Map() };
    try {
      if (heads.length > 0) {
        const first = heads.reduce((m, h) => (h.start_at < m ? h.start_at : m), heads[0]!.start_at);
        const last = heads.reduce((m, h) => (h.end_at > m ? h.end_at : m), heads[0]!.end_at);
        ctx.labels = await this.deps.store.monitoring.labels(dep.id, { from: first, to: new Date(Date.parse(last) + 1).toISOString(), version: query.version });
      }
      for (const h of heads) {
        ctx.attributionRows = WINDOW_ATTRIBUTION_ROWS;
        ctx.attributionKey = `${h.id}:${h.rows}`;
        const r = await this.reportFromHeads(dep.id, [h], h.version, null, null, ctx);
        items.push({
          start: h.start_at, end: h.end_at, kind: h.kind, seq: h.seq, model: h.model, version: h.version, rows: h.rows, closed: h.closed === 1,
          drift: r.drift
            ? {
                share: r.drift.share, datasetDrift: r.drift.datasetDrift,
                features: Object.fromEntries(Object.entries(r.drift.features).map(([f, d]) => [f, windowDrift(d)])),
                output: r.drift.output ? windowDrift(r.drift.output) : null,
              }
            : null,
          attribution: r.attribution ? { shift: r.attribution.shift, features: r.attribution.features } : null,
          performance: { labeled: r.performance.labeled, task: r.performance.task, metrics: r.performance.metrics },
          quality: { missingRate: r.quality.missingRate, outOfRangeRate: r.quality.outOfRangeRate, unseenCategoryRate: r.quality.unseenCategoryRate, rejectedRate: r.quality.rejectedRate },
          operations: r.operations,
        });
      }
    } finally {
      for (const runtime of ctx.runtimes!.values()) await this.deps.runtimes.release(runtime);
    }
    return { items };
  }

  /** Offline monitoring: a dataset version as the "current" rows of a model version, against its reference. */
  async offlineReport(projectName: string | undefined, model: string, version: number, body: unknown): Promise<MonitoringReport> {
    const { store, artifacts, runtimes } = this.deps;
    const found = await this.version(projectName, model, version);
    const b = body as Record<string, unknown> | null;
    if (b === null || typeof b !== 'object' || Array.isArray(b)) throw invalidField('body', 'must be {"dataset": name, "version": n}');
    for (const k of Object.keys(b)) if (k !== 'dataset' && k !== 'version') throw invalidField(k, 'is not a field (dataset, version)', 'UNKNOWN_FIELD');
    if (typeof b.dataset !== 'string' || b.dataset === '') throw invalidField('dataset', 'must be the name of a dataset');
    if (typeof b.version !== 'number' || !Number.isInteger(b.version) || b.version < 1) throw invalidField('version', 'must be a dataset version number (an integer ≥ 1)');
    const refRow = await store.monitoring.reference(found.version.id);
    if (!refRow || refRow.status !== 'READY') throw conflict('REFERENCE_NOT_READY', `version ${version} of '${model}' has no ready reference to compare with`);
    const dv = await datasetVersionByName(store, found.project, b.dataset, b.version);
    const reference = await this.loadReference(refRow);
    const source: TableSource = { path: await artifacts.localPath(dv.stored_sha256), format: 'parquet', label: `dataset '${b.dataset}' version ${b.version}` };
    const table = await describeTable(this.deps.engine, source, 'dataset');
    checkColumns(table, reference.columns, 'dataset', source.label);
    const data = await readColumns(this.deps.engine, source, table, reference.columns);
    if (data.rows === 0) throw invalidField('dataset', `${source.label} has no rows`, 'EMPTY_DATA');
    const runtime = await runtimes.acquire(runtimeSourceOf(found.version));
    try {
      data.values[PREDICTION_COLUMN] = await predictAll(runtime, runtime.schema, data.values, data.rows);
    } finally {
      await runtimes.release(runtime);
    }
    const settings = DEFAULT_SETTINGS;
    const profile: Profile = profileColumns(reference.columns, data.values, data.rows, reference.layout, settings.sampleRows);
    const features = reference.columns.filter((c) => c.name !== PREDICTION_COLUMN).map((c) => c.name);
    return {
      project: found.project.name, model, version, from: null, to: null, windows: 0,
      reference: { model, version, rows: reference.rows, source: JSON.parse(refRow.source), createdAt: refRow.created_at },
      drift: driftReport(features, reference.input, profile, { correction: settings.correction, driftShare: settings.driftShare }),
      ...(await this.attributionOf(found.version, reference, features, profile.sample, {}).then((a) => ({ attribution: a.drift, ...(a.note ? { attributionNote: a.note } : {}) }))),
      quality: qualityReport(features, profile.stats, reference.input.stats),
      performance: { labeled: 0, task: null, metrics: {}, skipped: 0, validation: {} },
      operations: operationsReport(profile.stats, null),
    };
  }

  // ----------------------------------------------------------------------------------------------
  // Labels

  async postLabels(actor: Principal, projectName: string | undefined, name: string, body: unknown): Promise<LabelsResult> {
    const { store, clock } = this.deps;
    const { project, dep } = await this.deployment(projectName, name);
    const list = Array.isArray(body) ? body : body !== null && typeof body === 'object' && Array.isArray((body as { labels?: unknown }).labels) ? (body as { labels: unknown[] }).labels : null;
    if (!list) throw invalidField('body', 'must be an array [{"predictionId", "label"}] (or {"labels": [...]})');
    if (list.length > MAX_LABELS) throw invalidField('body', `holds ${list.length} labels; send at most ${MAX_LABELS} per call`, 'TOO_MANY_LABELS');
    const latest = new Map<string, unknown>();
    const invalid: { index: number; problem: string }[] = [];
    let invalidCount = 0;
    let duplicatesInBatch = 0;
    let minTime = Infinity;
    let maxTime = -Infinity;
    list.forEach((item, index) => {
      const problem = labelProblem(item);
      if (problem) {
        invalidCount++;
        if (invalid.length < 20) invalid.push({ index, problem });
        return;
      }
      const { predictionId, label } = item as { predictionId: string; label: unknown };
      if (latest.has(predictionId)) duplicatesInBatch++;
      latest.set(predictionId, label);
      const t = idTime(predictionId);
      if (t < minTime) minTime = t;
      if (t > maxTime) maxTime = t;
    });
    const ids = new Set(latest.keys());
    const found = ids.size > 0 && this.deps.logDir ? await findPredictions(this.deps.logDir, ids, { min: minTime, max: maxTime }) : new Map();
    const unknown: string[] = [];
    const rows: LabelRow[] = [];
    const at = isoTime(clock);
    for (const [id, label] of latest) {
      const p = found.get(id);
      if (!p || p.project !== project.name || p.deployment !== name) {
        unknown.push(id);
        continue;
      }
      rows.push({ prediction_id: id, deployment_id: dep.id, model: p.model, version: p.version, predicted_at: new Date(p.time).toISOString(), prediction: JSON.stringify(p.outputs ?? null), label: JSON.stringify(label), labeled_at: at });
    }
    let replaced = 0;
    await store.transaction(async (tx) => {
      const existing = await tx.monitoring.existingLabels(rows.map((r) => r.prediction_id));
      replaced = existing.size;
      await tx.monitoring.putLabels(rows);
      await tx.events.append(domainEvent(clock, actor.name, 'monitoring.labels_received', { type: 'deployment', id: dep.id, projectId: project.id }, { deployment: name, received: list.length, stored: rows.length, replaced, unknown: unknown.length, invalid: invalidCount }));
    });
    return {
      received: list.length,
      stored: rows.length - replaced,
      replaced,
      duplicatesInBatch,
      unknown: unknown.length,
      unknownIds: unknown.slice(0, 100),
      invalid: invalidCount,
      invalidItems: invalid,
    };
  }
}

export interface LabelsResult {
  received: number;
  /** New labels stored. */
  stored: number;
  /** Labels that replaced an earlier label of the same prediction (the last one wins). */
  replaced: number;
  /** Ids sent more than once in this call (the last one counted). */
  duplicatesInBatch: number;
  /** Ids with no prediction of this deployment in the log (unknown, failed, or older than the log's retention). */
  unknown: number;
  unknownIds: string[];
  invalid: number;
  invalidItems: { index: number; problem: string }[];
}

function labelProblem(item: unknown): string | null {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return 'must be an object {"predictionId", "label"}';
  const o = item as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'predictionId' && k !== 'label') return `'${k.slice(0, 50)}' is not a field (predictionId, label)`;
  if (typeof o.predictionId !== 'string' || Number.isNaN(idTime(o.predictionId))) return 'predictionId must be a prediction id (as answered in x-prediction-id)';
  const l = o.label;
  if (!(typeof l === 'number' && Number.isFinite(l)) && typeof l !== 'string' && typeof l !== 'boolean') return 'label must be a number, a string or a boolean';
  return null;
}

export interface ReferenceView {
  model: string;
  version: number;
  id: string;
  status: string;
  rows: number;
  source: unknown;
  error: string | null;
  jobId: string | null;
  createdAt: string;
  createdBy: string;
}

function referenceView(model: string, version: number, row: ReferenceRow): ReferenceView {
  return { model, version, id: row.id, status: row.status, rows: Number(row.rows), source: JSON.parse(row.source), error: row.error, jobId: row.job_id, createdAt: row.created_at, createdBy: row.created_by };
}

function parseTime(value: string | undefined, field: string): string | null {
  if (value === undefined || value === '') return null;
  const t = Date.parse(value);
  if (!Number.isFinite(t)) throw invalidField(field, 'must be an ISO 8601 time such as 2026-11-27T10:00:00Z');
  return new Date(t).toISOString();
}

/** Merges what one pass folded into the stored window (if any). */
function mergeWindow(existing: WindowRow | undefined, w: FoldedWindow, deploymentId: string, at: string): WindowRow {
  const isRows = w.kind.startsWith('rows:');
  const start = new Date(w.start).toISOString();
  const end = new Date(w.end).toISOString();
  if (!existing) {
    return {
      id: newId(), deployment_id: deploymentId, model: w.model, version: w.version, kind: w.kind, start_at: start, end_at: end, seq: w.seq,
      rows: w.profile.stats.rows, closed: 0, stats: JSON.stringify(w.profile.stats), ...encodeSamples(w.profile.sample), updated_at: at,
    };
  }
  const before = JSON.parse(existing.stats) as ProfileStats;
  const { stats, sample } = mergeProfiles({ stats: before, sample: decodeSample(existing.sample, before.sampleColumns) }, w.profile, WINDOW_SAMPLE_ROWS);
  return {
    ...existing,
    rows: stats.rows,
    stats: JSON.stringify(stats),
    ...encodeSamples(sample),
    start_at: isRows && start < existing.start_at ? start : existing.start_at,
    end_at: isRows && end > existing.end_at ? end : existing.end_at,
    updated_at: at,
  };
}

/** The whole sample and its first SAMPLE_HEAD_ROWS rows, encoded. */
function encodeSamples(sample: RowSample): { sample: string; sample_head: string } {
  const width = sample.columns.length;
  const head = Math.min(sample.rows, SAMPLE_HEAD_ROWS);
  return { sample: encodeSample(sample), sample_head: encodeSample({ columns: sample.columns, rows: head, data: sample.data.subarray(0, head * width) }) };
}

function validationOf(registered: Record<string, unknown>, current: PerformanceMetrics): PerformanceView['validation'] {
  const out: PerformanceView['validation'] = {};
  for (const [metric, names] of Object.entries(METRIC_ALIASES)) {
    const key = names.find((n) => typeof registered[n] === 'number');
    if (!key) continue;
    const v = registered[key] as number;
    const c = (current as Record<string, number | null | undefined>)[metric];
    out[metric] = { validation: v, current: c ?? null, delta: c === null || c === undefined ? null : c - v };
  }
  return out;
}

/** The value of a dotted metric name in a report (see alerts/alert-rules.ts for the grammar); null when not computable. */
export function metricValue(report: MonitoringReport, metric: string): number | null {
  const parts = metric.split('.');
  const head = parts[0];
  const last = parts[parts.length - 1]!;
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'boolean' ? (v ? 1 : 0) : null);
  if (head === 'operations') return num((report.operations as unknown as Record<string, unknown>)[last]);
  if (head === 'performance') return num((report.performance.metrics as Record<string, unknown>)[last]);
  if (head === 'quality') {
    if (parts[1] === 'features') {
      const f = parts.slice(2, -1).join('.');
      return num((report.quality.features[f] as unknown as Record<string, unknown> | undefined)?.[last]);
    }
    return num((report.quality as unknown as Record<string, unknown>)[last]);
  }
  if (head === 'attribution') {
    if (!report.attribution) return null;
    if (parts[1] === 'features') {
      const f = parts.slice(2, -1).join('.');
      return num((report.attribution.features[f] as unknown as Record<string, unknown> | undefined)?.[last]);
    }
    return num((report.attribution as unknown as Record<string, unknown>)[last]);
  }
  if (head === 'drift') {
    if (!report.drift) return null;
    if (parts[1] === 'features') {
      const f = parts.slice(2, -1).join('.');
      return num((report.drift.features[f] as unknown as Record<string, unknown> | undefined)?.[last]);
    }
    if (parts[1] === 'output') return num((report.drift.output as unknown as Record<string, unknown> | null)?.[last]);
    return num((report.drift as unknown as Record<string, unknown>)[last]);
  }
  return null;
}

