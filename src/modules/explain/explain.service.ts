/**
 * Explanations: SHAP values for a request as a deployment would serve it, for a logged prediction, and
 * global explanation reports of a model version on a dataset version (a background job: SHAP on a row
 * sample, mean |SHAP| importance, permutation importance when a target is given, partial dependence and
 * ICE curves, 2-D partial dependence for pairs), stored as an artifact.
 */
import { Readable } from 'node:stream';
import type { DataEngine } from '../../data/engine.js';
import type { MetadataStore } from '../../db/metadata-store.js';
import type { ModelVersionRow } from '../../db/schema.js';
import { DEFAULT_EXACT_MAX_FEATURES, type Background } from '../../ml/explain/kernel-shap.js';
import { Rng } from '../../ml/explain/model.js';
import { gridFor, partialDependence, partialDependence2d } from '../../ml/explain/partial-dependence.js';
import { permutationImportance, SCORERS } from '../../ml/explain/permutation.js';
import { isoTime, type Clock } from '../../platform/clock.js';
import { conflict, DomainError, invalidField, notFound, unauthenticated } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { Logger } from '../../platform/logger.js';
import type { Principal } from '../../platform/principal.js';
import { decodeRecords, type DecodedBatch } from '../../serving/decode.js';
import { predictionsOf, type InferenceService } from '../../serving/inference.service.js';
import type { ModelSchema } from '../../serving/model-schema.js';
import { stewardDecoder } from '../../serving/protocols.js';
import { runtimeSourceOf, type ModelRuntime, type RuntimeCache } from '../../serving/runtimes.js';
import { readJsonArtifact, type ArtifactStore } from '../../storage/artifact-store.js';
import { domainEvent } from '../events/domain-event.js';
import type { JobContext } from '../jobs/job-worker.js';
import { jobBackedState } from '../jobs/job-state.js';
import type { JobsService } from '../jobs/jobs.service.js';
import { versionByNames } from '../models/version-lookup.js';
import { datasetVersionByName } from '../datasets/dataset-lookup.js';
import { findPredictions, idTime } from '../monitoring/log-tail.js';
import { checkColumns, columnsOf, describeTable, readColumns, type TableSource } from '../monitoring/profile-data.js';
import { resolveProject } from '../projects/projects.service.js';
import type { RowSample } from '../../ml/monitoring/profile.js';
import type { TreeEnsemble } from '../../ml/trees/tree-ensemble.js';
import type { ExplanationReportRow } from './explain.repository.js';
import type { TreeShapPool } from './tree-shap-pool.js';
import { batchModel, datasetMatrix, Dictionaries, explainMatrix, featureMatrix, featureNames, outputShape, rowValues, runMatrix, type RowExplanation } from './explainer.js';

export const EXPLAIN_REPORT_JOB = 'explain.report';
const REPORT_FORMAT = 'steward.explanation.v1';
/** Rows one request may explain: exact TreeSHAP is cheap, KernelSHAP is not. */
export const MAX_TREE_ROWS = 10_000;
export const MAX_KERNEL_ROWS = 100;
export const MAX_INTERACTION_ROWS = 100;
/** Model rows one KernelSHAP request may cost (rows × coalitions × background rows); a report, more. */
export const MAX_KERNEL_MODEL_ROWS = 25_000_000;
export const MAX_REPORT_KERNEL_MODEL_ROWS = 200_000_000;
/** Numbers one answer may hold (rows × outputs × features, times features again for interactions). */
export const MAX_ANSWER_VALUES = 5_000_000;
const CLASSIFIER_METRICS = new Set(['roc_auc', 'accuracy', 'precision', 'recall', 'f1', 'log_loss', 'ece']);

/** Coalitions KernelSHAP evaluates per row for M features (every one when M is small enough to enumerate). */
export function kernelCoalitions(M: number, nsamples?: number): number {
  if (M <= 1) return 1;
  const all = M <= 30 ? 2 ** M - 2 : Infinity;
  if (M <= DEFAULT_EXACT_MAX_FEATURES) return all;
  return Math.min(nsamples ?? 2 * M + 2048, all);
}

/** Which features k-means should treat as category codes (text and booleans). */
function categoricalFeatures(schema: ModelSchema): boolean[] {
  return schema.features!.map((f) => f.datatype === 'BYTES' || f.datatype === 'BOOL');
}
const MAX_BACKGROUND_ROWS = 1_000;
const METRICS = ['roc_auc', 'accuracy', 'precision', 'recall', 'f1', 'log_loss', 'ece', 'rmse', 'mse', 'mae', 'r2', 'mape'] as const;
type MetricName = (typeof METRICS)[number];
const SCORER_OF: Record<MetricName, (typeof SCORERS)[keyof typeof SCORERS]> = {
  roc_auc: SCORERS.rocAuc,
  accuracy: SCORERS.accuracy,
  log_loss: SCORERS.logLoss,
  rmse: SCORERS.rmse,
  mse: SCORERS.mse,
  mae: SCORERS.mae,
  r2: SCORERS.r2,
  precision: SCORERS.precision,
  recall: SCORERS.recall,
  f1: SCORERS.f1,
  ece: SCORERS.ece,
  mape: SCORERS.mape,
};

export interface Explanation extends RowExplanation {
  model: { name: string; version: number };
  values: (number | string | null)[][];
  predictions: unknown[];
  /** SHAP interaction values [row][output][feature][feature], when asked for (tree models). */
  interactions?: number[][][][];
}

export interface ReportParams {
  dataset: string;
  datasetVersion: number;
  rows: number;
  background: number;
  /** How the background is summarised: k-means centres (default) or a seeded sample of rows. */
  backgroundMethod?: 'kmeans' | 'sample';
  seed: number;
  target: string | null;
  metric: MetricName | null;
  features: string[] | null;
  pairs: [string, string][];
}

export interface ReportResult {
  method: 'tree' | 'kernel';
  note: string | null;
  space: string;
  features: string[];
  outputs: string[];
  bias: number[];
  importance: { feature: string; meanAbsShap: number; perOutput: number[] }[];
  samples: { x: (number | string | null)[][]; shap: number[][][] };
  permutation: { metric: string; baseline: number; repeats: number; features: { feature: string; mean: number; std: number }[] } | null;
  partialDependence: { feature: string; kind: 'numeric' | 'categorical'; grid: (number | string)[]; outputs: string[]; average: number[][]; ice: number[][][] }[];
  partialDependence2d: { features: [string, string]; grid: [(number | string)[], (number | string)[]]; outputs: string[]; values: number[][][] }[];
  additivityError: number;
  /** Mean |SHAP interaction value| per feature pair (tree models; the diagonal is the main effect). */
  interactions: { rows: number; features: string[]; meanAbs: number[][] } | null;
  /** What could not be computed, and why (e.g. a feature whose percentiles leave no grid). */
  notes: string[];
}

interface StoredReport {
  format: typeof REPORT_FORMAT;
  result: ReportResult;
  /** The background summary (KernelSHAP's), reused to explain requests and logged predictions. */
  background: { rows: number; x: number[]; weights: number[]; dictionaries: Record<string, string[]> };
}

export interface ReportView {
  id: string;
  model: string;
  version: number;
  dataset: { name: string; version: number };
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  error: string | null;
  jobId: string;
  progress: { fraction: number; message: string } | null;
  createdAt: string;
  createdBy: string;
  finishedAt: string | null;
  params: Omit<ReportParams, 'dataset' | 'datasetVersion'>;
  summary: { method: string; top: { feature: string; meanAbsShap: number }[] } | null;
  result?: ReportResult | null;
}

export class ExplainService {
  private readonly backgrounds = new Map<string, { background: Background; dictionaries: Record<string, string[]> } | null>();

  constructor(
    private readonly deps: {
      store: MetadataStore;
      artifacts: ArtifactStore;
      engine: DataEngine;
      runtimes: RuntimeCache;
      jobs: JobsService;
      inference: InferenceService;
      clock: Clock;
      logger: Logger;
      logDir: string | null;
      shapPool: TreeShapPool;
      /** The row sample of a model version's monitoring reference (numeric columns), if it has one. */
      referenceSample?: (modelVersionId: string) => Promise<{ id: string; sample: RowSample } | null>;
    },
  ) {}

  /** TreeSHAP in the pool, keyed by the runtime's artifact (a reloaded model reuses the workers' plans). */
  private pooledShap(runtime: ModelRuntime) {
    return (e: TreeEnsemble, x: Float32Array, rows: number) => this.deps.shapPool.treeShap(e, x, rows, runtime.key);
  }

  // ----------------------------------------------------------------------------------------------
  // Explaining requests and logged predictions

  /** POST /api/v1/deployments/{name}/explain: the body is /predict's, plus optional background, nsamples and seed. */
  async explainRequest(principal: Principal | null, projectName: string, deployment: string, body: unknown): Promise<Explanation> {
    if (!principal) throw unauthenticated('missing Authorization header: explanations need a token, even for a public deployment');
    const b = body as Record<string, unknown> | null;
    if (b === null || typeof b !== 'object' || Array.isArray(b)) throw invalidField('body', 'must be a JSON object {"rows": [...]} (as for /predict), optionally with "background", "nsamples" and "seed"');
    const { background, nsamples, seed, interactions, ...request } = b;
    const decode = stewardDecoder(request);
    const opts = { ...kernelOptions(nsamples, seed), interactions: interactions === true };
    if (interactions !== undefined && typeof interactions !== 'boolean') throw invalidField('interactions', 'must be true or false');
    const revision = this.deps.inference.revision(projectName, deployment);
    // The target the next request would get, without taking its turn: explaining does not move the split.
    const target = revision.peek();
    const runtime = target.runtime;
    const batch = decode(runtime.schema);
    // Held like a request, so that a redeploy meanwhile does not close the runtime under it.
    revision.enter();
    try {
      const versionRow = await this.deps.store.versions.getByNames(revision.project, target.model, target.version);
      const explained = await this.explainBatch(runtime, batch, versionRow?.version.id ?? null, background, opts);
      return { model: { name: target.model, version: target.version }, ...explained };
    } finally {
      revision.leave();
    }
  }

  /** GET /api/v1/predictions/{id}/explanation */
  async explainPrediction(projectName: string | undefined, id: string): Promise<Explanation & { predictionId: string; deployment: string; time: string }> {
    const project = await resolveProject(this.deps.store, projectName);
    const time = idTime(id);
    if (Number.isNaN(time)) throw invalidField('id', 'must be a prediction id (a UUIDv7, as in x-prediction-id)');
    const found = this.deps.logDir ? await findPredictions(this.deps.logDir, new Set([id]), { min: time, max: time }, { inputs: true }) : new Map();
    const record = found.get(id);
    if (!record || record.project !== project.name) throw notFound('PREDICTION_NOT_FOUND', `no logged prediction has id ${id} in project '${project.name}' (shadow and failed requests are not explained)`);
    const v = await this.deps.store.versions.getByNames(project.name, record.model, record.version);
    if (!v) throw notFound('MODEL_VERSION_NOT_FOUND', `model '${record.model}' version ${record.version}, which made this prediction, no longer exists`);
    const runtime = await this.acquire(v.version);
    try {
      const batch = decodeRecords(runtime.schema, [record.inputs ?? {}], 'inputs');
      const explained = await this.explainBatch(runtime, batch, v.version.id, undefined, kernelOptions(undefined, undefined));
      return { predictionId: id, deployment: record.deployment, time: new Date(record.time).toISOString(), model: { name: record.model, version: record.version }, ...explained, predictions: [record.outputs] };
    } finally {
      await this.deps.runtimes.release(runtime);
    }
  }

  private acquire(v: ModelVersionRow): Promise<ModelRuntime> {
    return this.deps.runtimes.acquire(runtimeSourceOf(v));
  }

  private async explainBatch(
    runtime: ModelRuntime,
    batch: DecodedBatch,
    versionId: string | null,
    backgroundBody: unknown,
    opts: { nsamples?: number; seed: number; interactions?: boolean },
  ): Promise<Omit<Explanation, 'model'>> {
    const schema = runtime.schema;
    featureNames(schema);
    const exact = runtime.trees !== undefined;
    if (opts.interactions && !exact) throw invalidField('interactions', `SHAP interaction values need exact TreeSHAP: this is a ${runtime.flavor} model, not a tree model`);
    if (opts.interactions && batch.rows > MAX_INTERACTION_ROWS) throw invalidField('rows', `explains at most ${MAX_INTERACTION_ROWS} rows per request with interaction values (got ${batch.rows})`, 'TOO_MANY_ROWS');
    const F = schema.features!.length;
    const K = runtime.trees ? runtime.trees.numOutputs : Math.max(1, schema.outputs[schema.predictionOutput]?.shape.slice(1).reduce((a, b) => a * Math.max(b, 1), 1) ?? 1);
    const size = batch.rows * K * F * (opts.interactions ? F : 1);
    if (size > MAX_ANSWER_VALUES) {
      throw invalidField(opts.interactions ? 'interactions' : 'rows', `the answer would hold ${size.toLocaleString('en-US')} values (${batch.rows} rows × ${K} outputs × ${F} features${opts.interactions ? ` × ${F}` : ''}); at most ${MAX_ANSWER_VALUES.toLocaleString('en-US')}: send fewer rows`, 'TOO_MUCH_WORK');
    }
    const limit = exact ? MAX_TREE_ROWS : MAX_KERNEL_ROWS;
    if (batch.rows > limit) throw invalidField('rows', `explains at most ${limit} rows per request with ${exact ? 'TreeSHAP' : 'KernelSHAP'} (got ${batch.rows}); use an explanation report for a dataset`, 'TOO_MANY_ROWS');
    let dict = new Dictionaries();
    let background: Background | null = null;
    let source: string | undefined;
    let hint = 'send "background": {"rows": [...]} with the request, create an explanation report for this model version on a dataset (its background summary is reused), or set its monitoring reference';
    if (!exact) {
      if (backgroundBody !== undefined) {
        background = await this.backgroundFromBody(schema, backgroundBody, dict, opts.seed);
        source = background.rows < 100 ? 'the background rows sent' : 'k-means centres of the background rows sent';
      } else if (versionId) {
        const stored = await this.storedBackground(versionId);
        if (stored) {
          dict = Dictionaries.fromJSON(stored.dictionaries);
          background = stored.background;
          source = "k-means centres of the newest explanation report's dataset";
        } else {
          background = await this.referenceBackground(schema, versionId);
          if (background) source = "k-means centres of the monitoring reference's rows";
        }
      } else hint = 'send "background": {"rows": [...]}';
    } else if (backgroundBody !== undefined) {
      // Checked all the same: a background that does not fit the model is a mistake worth saying.
      this.backgroundRows(schema, backgroundBody, new Dictionaries());
    }
    const x = featureMatrix(schema, batch, dict);
    const outputs = await runtime.run(batch.inputs, batch.rows);
    const predictions = predictionsOf(schema, outputs, batch.rows);
    if (!exact && background) {
      // KernelSHAP costs rows × coalitions × background rows model rows: bounded per request.
      const coalitions = kernelCoalitions(F, opts.nsamples);
      const cost = batch.rows * coalitions * background.rows;
      if (cost > MAX_KERNEL_MODEL_ROWS) {
        throw invalidField(opts.nsamples !== undefined ? 'nsamples' : 'rows', `KernelSHAP would run the model on ${cost.toLocaleString('en-US')} rows (${batch.rows} rows × ${coalitions} coalitions × ${background.rows} background rows); at most ${MAX_KERNEL_MODEL_ROWS.toLocaleString('en-US')} per request: send fewer rows or a smaller nsamples`, 'TOO_MUCH_WORK');
      }
    }
    const e = await explainMatrix(runtime, x, batch.rows, dict, { treeShap: this.pooledShap(runtime), background, backgroundHint: hint, backgroundSource: source, nsamples: opts.nsamples, seed: opts.seed });
    const { values: _values, ...rest } = e;
    const out: Omit<Explanation, 'model'> = { ...rest, values: Array.from({ length: batch.rows }, (_, r) => rowValues(schema, x, r, dict)), predictions };
    if (opts.interactions) {
      const inter = await this.deps.shapPool.treeShapInteractions(runtime.trees!, Float32Array.from(x), batch.rows, runtime.key);
      const F = inter.numFeatures;
      const K = inter.numOutputs;
      out.interactions = Array.from({ length: batch.rows }, (_, r) =>
        Array.from({ length: K }, (_, o) => Array.from({ length: F }, (_, i) => Array.from(inter.values.subarray(((r * K + o) * F + i) * F, ((r * K + o) * F + i + 1) * F)))),
      );
    }
    return out;
  }

  private async backgroundFromBody(schema: ModelSchema, body: unknown, dict: Dictionaries, seed: number): Promise<Background> {
    const { x, rows } = this.backgroundRows(schema, body, dict);
    return this.deps.shapPool.summarizeBackground(x, rows, schema.features!.length, { method: 'kmeans', size: 100, seed, maxIterations: 100, categorical: categoricalFeatures(schema) });
  }

  /** The background rows of a request, decoded against the model's schema (400 naming the row at fault). */
  private backgroundRows(schema: ModelSchema, body: unknown, dict: Dictionaries): { x: Float64Array; rows: number } {
    const b = body as Record<string, unknown> | null;
    if (b === null || typeof b !== 'object' || Array.isArray(b) || !Array.isArray(b.rows)) throw invalidField('background', 'must be {"rows": [{feature: value, …}, …]} with the model\'s features');
    for (const k of Object.keys(b)) if (k !== 'rows') throw invalidField(`background.${k.slice(0, 100)}`, 'is not a field (send "rows")');
    if (b.rows.length === 0) throw invalidField('background.rows', 'is empty; send at least one row');
    if (b.rows.length > MAX_BACKGROUND_ROWS) throw invalidField('background.rows', `holds ${b.rows.length} rows; send at most ${MAX_BACKGROUND_ROWS} (a sample or cluster centres)`);
    const batch = decodeRecords(schema, b.rows, 'background.rows');
    return { x: featureMatrix(schema, batch, dict), rows: batch.rows };
  }

  private async storedBackground(versionId: string): Promise<{ background: Background; dictionaries: Record<string, string[]> } | null> {
    const row = await this.deps.store.explanations.latestSucceeded(versionId);
    if (!row?.result_sha256) return null;
    const key = row.id;
    if (this.backgrounds.has(key)) return this.backgrounds.get(key)!;
    const stored = await this.readStored(row.result_sha256);
    const bg = stored.background.rows > 0 ? { background: { rows: stored.background.rows, x: Float64Array.from(stored.background.x, (v) => (v === null ? NaN : v)), weights: Float64Array.from(stored.background.weights) }, dictionaries: stored.background.dictionaries } : null;
    if (this.backgrounds.size > 32) this.backgrounds.delete(this.backgrounds.keys().next().value!);
    this.backgrounds.set(key, bg);
    return bg;
  }

  /**
   * A background from the version's monitoring reference: k-means centres of its row sample (which holds
   * the numeric columns only, so models with text features do without).
   */
  private async referenceBackground(schema: ModelSchema, versionId: string): Promise<Background | null> {
    if (!this.deps.referenceSample) return null;
    const features = schema.features!;
    if (features.some((f) => f.datatype === 'BYTES')) return null;
    const ref = await this.deps.referenceSample(versionId);
    if (!ref) return null;
    const key = `reference:${ref.id}`;
    if (this.backgrounds.has(key)) return this.backgrounds.get(key)?.background ?? null;
    const { sample } = ref;
    const index = features.map((f) => sample.columns.indexOf(f.name));
    let bg: Background | null = null;
    if (!index.some((i) => i < 0) && sample.rows > 0) {
      const F = features.length;
      const C = sample.columns.length;
      const rows = Math.min(sample.rows, 10_000);
      const x = new Float64Array(rows * F);
      for (let r = 0; r < rows; r++) for (let f = 0; f < F; f++) x[r * F + f] = sample.data[r * C + index[f]!]!;
      bg = await this.deps.shapPool.summarizeBackground(x, rows, F, { method: 'kmeans', size: 100, seed: 0, maxIterations: 100, categorical: categoricalFeatures(schema) });
    }
    if (this.backgrounds.size > 32) this.backgrounds.delete(this.backgrounds.keys().next().value!);
    this.backgrounds.set(key, bg ? { background: bg, dictionaries: {} } : null);
    return bg;
  }

  private readStored(sha256: string): Promise<StoredReport> {
    return readJsonArtifact<StoredReport>(this.deps.artifacts, sha256);
  }

  // ----------------------------------------------------------------------------------------------
  // Global reports

  private version(projectName: string | undefined, model: string, version: number) {
    return versionByNames(this.deps.store, projectName, model, version);
  }

  /** POST /api/v1/models/{name}/versions/{version}/explanations */
  async requestReport(actor: Principal, projectName: string | undefined, model: string, version: number, body: unknown): Promise<ReportView> {
    const { store, artifacts, clock } = this.deps;
    const found = await this.version(projectName, model, version);
    const params = parseReportBody(body);
    const dv = await datasetVersionByName(store, found.project, params.dataset, params.datasetVersion);
    if (dv.row_count === 0) throw invalidField('dataset', `dataset '${params.dataset}' version ${params.datasetVersion} has no rows`, 'EMPTY_DATA');
    const runtime = await this.acquire(found.version);
    try {
      const features = featureNames(runtime.schema);
      if (params.rows === 0) params.rows = runtime.trees ? 1000 : 100;
      if (params.metric !== null && CLASSIFIER_METRICS.has(params.metric) !== runtime.schema.probabilities) {
        throw invalidField('metric', `${params.metric} scores ${runtime.schema.probabilities ? 'regression' : 'classifiers'}, and this model ${runtime.schema.probabilities ? 'predicts class probabilities' : 'predicts values'}`);
      }
      if (!runtime.trees) {
        const cost = params.rows * kernelCoalitions(features.length) * Math.min(params.background, dv.row_count);
        if (cost > MAX_REPORT_KERNEL_MODEL_ROWS) {
          throw invalidField('rows', `KernelSHAP would run the model on ${cost.toLocaleString('en-US')} rows (${params.rows} rows × ${kernelCoalitions(features.length)} coalitions × ${params.background} background rows); at most ${MAX_REPORT_KERNEL_MODEL_ROWS.toLocaleString('en-US')}: ask for fewer rows or background rows`, 'TOO_MUCH_WORK');
        }
      }
      for (const f of params.features ?? []) if (!features.includes(f)) throw invalidField('features', `'${f}' is not a feature of the model (its features are ${features.join(', ')})`, 'UNKNOWN_FEATURE');
      params.pairs.forEach(([a, c], i) => {
        for (const f of [a, c]) if (!features.includes(f)) throw invalidField(`pairs[${i}]`, `'${f}' is not a feature of the model`, 'UNKNOWN_FEATURE');
      });
      if (params.target !== null && features.includes(params.target)) throw invalidField('target', `'${params.target}' is one of the model's features, not a label column`);
      const source: TableSource = { path: await artifacts.localPath(dv.stored_sha256), format: 'parquet', label: `dataset '${params.dataset}' version ${params.datasetVersion}` };
      const table = await describeTable(this.deps.engine, source, 'dataset');
      checkColumns(table, columnsOf(runtime.schema), 'dataset', source.label);
      if (params.target !== null && !table.has(params.target)) throw invalidField('target', `${source.label} has no column named '${params.target}'`, 'UNKNOWN_COLUMN');
      if (params.metric !== null && params.target === null) throw invalidField('metric', 'needs a target column to score permutations against');
    } finally {
      await this.deps.runtimes.release(runtime);
    }
    const at = isoTime(clock);
    const id = newId(clock.now());
    const stored = await store.transaction(async (tx) => {
      const job = await this.deps.jobs.enqueue(tx, actor.name, { type: EXPLAIN_REPORT_JOB, payload: { reportId: id }, projectId: found.project.id, maxAttempts: 1 });
      const row: ExplanationReportRow = { id, model_version_id: found.version.id, dataset_version_id: dv.id, status: 'QUEUED', params: JSON.stringify(params), job_id: job.id, result_sha256: null, summary: null, error: null, created_at: at, created_by: actor.name, finished_at: null };
      await tx.explanations.put(row);
      await tx.events.append(domainEvent(clock, actor.name, 'explanation.report_requested', { type: 'model_version', id: found.version.id, projectId: found.project.id }, { model, version, reportId: id, dataset: params.dataset, datasetVersion: params.datasetVersion }));
      return row;
    });
    this.deps.jobs.jobsEnqueued();
    return this.view(stored, model, version, false);
  }

  /** POST …/explanations/{id}/retry: a failed report runs again (a new job). */
  async retryReport(actor: Principal, projectName: string | undefined, model: string, version: number, id: string): Promise<ReportView> {
    const { store, clock } = this.deps;
    const found = await this.version(projectName, model, version);
    const row = await store.explanations.get(id);
    if (!row || row.model_version_id !== found.version.id) throw notFound('EXPLANATION_NOT_FOUND', `version ${version} of '${model}' has no explanation report ${id}`);
    const seen = (await this.view(row, model, version, false)).status;
    if (seen !== 'failed') throw conflict('EXPLANATION_NOT_FAILED', `report ${id} is ${seen}; only a failed report can be retried`);
    const updated = await store.transaction(async (tx) => {
      // Checked again where it counts: two retries at once must not both queue a job.
      if (!(await tx.explanations.claim(id, [row.status], 'QUEUED'))) throw conflict('EXPLANATION_NOT_FAILED', `report ${id} is no longer failed; only a failed report can be retried`);
      const job = await this.deps.jobs.enqueue(tx, actor.name, { type: EXPLAIN_REPORT_JOB, payload: { reportId: id }, projectId: found.project.id, maxAttempts: 1 });
      await tx.explanations.update(id, { status: 'QUEUED', job_id: job.id, error: null, finished_at: null });
      await tx.events.append(domainEvent(clock, actor.name, 'explanation.report_retried', { type: 'model_version', id: found.version.id, projectId: found.project.id }, { model, version, reportId: id }));
      return (await tx.explanations.get(id))!;
    });
    this.deps.jobs.jobsEnqueued();
    return this.view(updated, model, version, false);
  }

  async listReports(projectName: string | undefined, model: string, version: number): Promise<{ items: ReportView[] }> {
    const found = await this.version(projectName, model, version);
    const rows = await this.deps.store.explanations.byVersion(found.version.id, 100);
    return { items: await Promise.all(rows.map((r) => this.view(r, model, version, false))) };
  }

  async getReport(projectName: string | undefined, model: string, version: number, id: string): Promise<ReportView> {
    const found = await this.version(projectName, model, version);
    const row = await this.deps.store.explanations.get(id);
    if (!row || row.model_version_id !== found.version.id) throw notFound('EXPLANATION_NOT_FOUND', `version ${version} of '${model}' has no explanation report ${id}`);
    return this.view(row, model, version, true);
  }

  private async view(row: ExplanationReportRow, model: string, version: number, withResult: boolean): Promise<ReportView> {
    const p = JSON.parse(row.params) as ReportParams;
    const { dataset, datasetVersion, ...params } = p;
    const { status, error, progress } = await jobBackedState(this.deps.jobs, row, 'the report job failed');
    const summary = row.summary ? (JSON.parse(row.summary) as { method: string; top: { feature: string; meanAbsShap: number }[] }) : null;
    const out: ReportView = {
      id: row.id,
      model,
      version,
      dataset: { name: dataset, version: datasetVersion },
      status: status.toLowerCase() as ReportView['status'],
      error,
      jobId: row.job_id,
      progress,
      createdAt: row.created_at,
      createdBy: row.created_by,
      finishedAt: row.finished_at,
      params,
      summary: summary ? { method: summary.method, top: summary.top } : null,
    };
    if (withResult) out.result = row.result_sha256 ? (await this.readStored(row.result_sha256)).result : null;
    return out;
  }

  async runReportJob(payload: unknown, ctx: JobContext): Promise<{ rows: number }> {
    const { store, artifacts, clock } = this.deps;
    const { reportId } = payload as { reportId: string };
    const row = await store.explanations.get(reportId);
    if (!row) return { rows: 0 };
    const params = JSON.parse(row.params) as ReportParams;
    const versionRow = await store.versions.getById(row.model_version_id);
    const dv = await store.datasets.getVersionById(row.dataset_version_id);
    const entity = { type: 'model_version', id: row.model_version_id, projectId: versionRow ? ((await store.models.getById(versionRow.model_id))?.project_id ?? null) : null };
    try {
      if (!versionRow) throw new DomainError('not_found', 'MODEL_VERSION_NOT_FOUND', 'the model version no longer exists');
      if (!dv) throw new DomainError('not_found', 'DATASET_VERSION_NOT_FOUND', 'the dataset version no longer exists');
      // Only the report's current job runs it (a job re-claimed after its lease was lost, or replaced by a retry, stops).
      if (row.job_id !== ctx.id) return { rows: 0 };
      const started = await store.transaction(async (tx) => {
        // RUNNING too: the same job taking over after its process died mid-run.
        if (!(await tx.explanations.claim(reportId, ['QUEUED', 'RUNNING'], 'RUNNING'))) return false;
        await tx.events.append(domainEvent(clock, 'system', 'explanation.report_started', entity, { reportId, job: ctx.id }));
        return true;
      });
      if (!started) return { rows: 0 };
      const runtime = await this.acquire(versionRow);
      try {
        const result = await this.computeReport(runtime, { path: await artifacts.localPath(dv.stored_sha256), format: 'parquet', label: `dataset '${params.dataset}' version ${params.datasetVersion}` }, params, ctx);
        const blob = await artifacts.stage(Readable.from([Buffer.from(JSON.stringify(result.stored))]));
        await blob.commit();
        const importance = Object.fromEntries(result.stored.result.importance.map((i) => [i.feature, i.meanAbsShap]));
        const summary = { method: result.stored.result.method, top: result.stored.result.importance.slice(0, 10).map((i) => ({ feature: i.feature, meanAbsShap: i.meanAbsShap })), importance };
        await store.transaction(async (tx) => {
          if ((await tx.explanations.get(reportId))?.job_id !== ctx.id) return;
          await tx.explanations.update(reportId, { status: 'SUCCEEDED', result_sha256: blob.sha256, summary: JSON.stringify(summary), error: null, finished_at: isoTime(clock) });
          await tx.events.append(domainEvent(clock, 'system', 'explanation.report_ready', entity, { reportId, rows: result.rows, method: result.stored.result.method }));
        });
        return { rows: result.rows };
      } finally {
        await this.deps.runtimes.release(runtime);
      }
    } catch (err) {
      await store.transaction(async (tx) => {
        if ((await tx.explanations.get(reportId))?.job_id !== ctx.id) return;
        await tx.explanations.update(reportId, { status: 'FAILED', error: (err as Error).message.slice(0, 2000), finished_at: isoTime(clock) });
        await tx.events.append(domainEvent(clock, 'system', 'explanation.report_failed', entity, { reportId, error: (err as Error).message.slice(0, 300) }));
      });
      throw err;
    }
  }

  private async computeReport(runtime: ModelRuntime, source: TableSource, params: ReportParams, ctx: JobContext): Promise<{ rows: number; stored: StoredReport }> {
    const schema = runtime.schema;
    const features = featureNames(schema);
    const F = features.length;
    await ctx.progress(0.02, 'reading rows');
    const table = await describeTable(this.deps.engine, source, 'dataset');
    const columns = columnsOf(schema);
    checkColumns(table, columns, 'dataset', source.label);
    const wanted = params.target !== null ? [...columns.filter((c) => c.name !== '$prediction'), { name: params.target, kind: 'categorical' as const }] : columns;
    const data = await readColumns(this.deps.engine, source, table, wanted);
    if (data.rows === 0) throw invalidField('dataset', `${source.label} has no rows`, 'EMPTY_DATA');

    // Decode every row the model accepts into the feature matrix (rows it refuses are left out).
    const dict = new Dictionaries();
    const { x: all, kept } = datasetMatrix(schema, data.values, data.rows, dict);
    const n = kept.length;
    if (n === 0) throw invalidField('dataset', `none of the ${data.rows} rows of ${source.label} fits the model's features`, 'EMPTY_DATA');
    const exact = runtime.trees !== undefined;
    const rng = new Rng(params.seed);
    const sampleRows = Math.min(n, params.rows);
    const picked = Int32Array.from(rng.sample(n, sampleRows)).sort();
    const x = new Float64Array(sampleRows * F);
    for (let i = 0; i < sampleRows; i++) x.set(all.subarray(picked[i]! * F, (picked[i]! + 1) * F), i * F);

    // Background for KernelSHAP (kept for request explanations too): k-means over up to 10k rows.
    const bgSource = Math.min(n, 10_000);
    const bgRows = Int32Array.from(new Rng(params.seed + 1).sample(n, bgSource)).sort();
    const bgX = new Float64Array(bgSource * F);
    for (let i = 0; i < bgSource; i++) bgX.set(all.subarray(bgRows[i]! * F, (bgRows[i]! + 1) * F), i * F);
    const background = await this.deps.shapPool.summarizeBackground(bgX, bgSource, F, { method: params.backgroundMethod ?? 'kmeans', size: params.background, seed: params.seed, maxIterations: 100, categorical: categoricalFeatures(schema) });

    await ctx.progress(0.1, `explaining ${sampleRows} rows with ${exact ? 'TreeSHAP' : 'KernelSHAP'}`);
    let lastReport = 0;
    const e = await explainMatrix(runtime, x, sampleRows, dict, {
      treeShap: this.pooledShap(runtime),
      background,
      seed: params.seed,
      onProgress: (done, total) => {
        const now = Date.now();
        if (now - lastReport > 1000) {
          lastReport = now;
          ctx.progress(0.1 + (0.5 * done) / total, `explained ${done} of ${total} rows`).catch(() => undefined);
        }
      },
    });
    const K = e.outputs.length;
    const importance = features
      .map((feature, f) => {
        const perOutput = Array.from({ length: K }, (_, o) => {
          let s = 0;
          for (let r = 0; r < sampleRows; r++) s += Math.abs(e.values[(r * K + o) * F + f]!);
          return s / sampleRows;
        });
        return { feature, meanAbsShap: perOutput.reduce((a, b) => a + b, 0), perOutput };
      })
      .sort((a, b) => b.meanAbsShap - a.meanAbsShap);

    // The model's own outputs (probabilities for classifiers) for permutation importance and PDP.
    const probe = await runMatrix(runtime, x.subarray(0, F), 1, dict);
    const shape = outputShape(runtime, probe.width);
    const model = batchModel(runtime, shape, dict);
    const outputNames = shape.probabilities ? (shape.pick.length === 1 ? ['probability'] : shape.pick.map((k) => `class ${k}`)) : shape.names;

    const notes: string[] = [];
    // SHAP interaction values (tree models): mean |Φ_ij| over up to 200 of the explained rows, summed over
    // outputs; the diagonal holds each feature's main effect.
    let interactions: ReportResult['interactions'] = null;
    if (runtime.trees) {
      const K = runtime.trees.numOutputs;
      const rowsFor = Math.min(sampleRows, 200, Math.floor(MAX_ANSWER_VALUES / (K * F * F)));
      if (rowsFor >= 10) {
        await ctx.progress(0.55, `interaction values of ${rowsFor} rows`);
        const inter = await this.deps.shapPool.treeShapInteractions(runtime.trees, Float32Array.from(x.subarray(0, rowsFor * F)), rowsFor, runtime.key);
        const meanAbs = Array.from({ length: F }, () => new Array<number>(F).fill(0));
        for (let r = 0; r < rowsFor; r++) {
          for (let o = 0; o < K; o++) {
            const base = (r * K + o) * F * F;
            for (let i = 0; i < F; i++) for (let j = 0; j < F; j++) meanAbs[i]![j]! += Math.abs(inter.values[base + i * F + j]!) / rowsFor;
          }
        }
        interactions = { rows: rowsFor, features, meanAbs };
      } else notes.push(`no interaction values: ${F} features make ${K * F * F} numbers a row`);
    }
    let permutation: ReportResult['permutation'] = null;
    if (params.target !== null) {
      await ctx.progress(0.6, 'permutation importance');
      const permRows = Math.min(n, 5000);
      const chosen = Int32Array.from(new Rng(params.seed + 2).sample(n, permRows)).sort();
      const px = new Float64Array(permRows * F);
      const labels = data.values[params.target]!;
      const rawY = Array.from(chosen, (i) => labels[kept[i]!]);
      const task = shape.probabilities ? (shape.pick.length === 1 ? 'binary' : 'multiclass') : 'regression';
      const y = labelsFor(rawY, task, shape.width, params.target);
      for (let i = 0; i < permRows; i++) px.set(all.subarray(chosen[i]! * F, (chosen[i]! + 1) * F), i * F);
      const metric: MetricName = params.metric ?? (task === 'binary' ? 'roc_auc' : task === 'multiclass' ? 'accuracy' : 'rmse');
      const scorer = SCORER_OF[metric];
      // Rows without a label are left out.
      const labelled = y.keep;
      const lx = new Float64Array(labelled.length * F);
      labelled.forEach((i, j) => lx.set(px.subarray(i * F, (i + 1) * F), j * F));
      if (labelled.length < 2) throw invalidField('target', `column '${params.target}' has fewer than 2 usable labels in the rows read`);
      const r = await permutationImportance(model, lx, labelled.length, y.values, { ...scorer, repeats: 5, seed: params.seed });
      permutation = { metric, baseline: r.baseline, repeats: 5, features: r.features.map((fi) => ({ feature: features[fi.index]!, mean: fi.mean, std: fi.std })).sort((a, b) => b.mean - a.mean) };
    }

    await ctx.progress(0.75, 'partial dependence');
    const pdpFeatures = params.features ?? importance.slice(0, 5).map((i) => i.feature);
    const categorical = (f: number) => {
      const dt = schema.features![f]!.datatype;
      return dt === 'BYTES' || dt === 'BOOL';
    };
    const gridValues = (f: number, grid: Float64Array) => Array.from(grid, (v) => (schema.features![f]!.datatype === 'BYTES' ? dict.value(f, v) : v));
    const column = (f: number) => Float64Array.from({ length: sampleRows }, (_, r) => x[r * F + f]!);
    const pdpRows = Math.min(sampleRows, 1000);
    const pdpX = x.subarray(0, pdpRows * F);
    const partial: ReportResult['partialDependence'] = [];
    for (const name of pdpFeatures) {
      const f = features.indexOf(name);
      let grid: Float64Array;
      try {
        grid = gridFor(column(f), { categorical: categorical(f) });
      } catch (err) {
        notes.push(`no partial dependence for ${name}: ${(err as Error).message}`);
        continue;
      }
      const pd = await partialDependence(model, pdpX, pdpRows, f, grid, { iceRows: 50, seed: params.seed });
      const G = grid.length;
      const L = pd.iceRows.length;
      partial.push({
        feature: name,
        kind: categorical(f) ? 'categorical' : 'numeric',
        grid: gridValues(f, grid),
        outputs: outputNames,
        average: Array.from({ length: pd.numOutputs }, (_, o) => Array.from(pd.average.subarray(o * G, (o + 1) * G))),
        ice: Array.from({ length: pd.numOutputs }, (_, o) => Array.from({ length: L }, (_, l) => Array.from(pd.ice.subarray((o * L + l) * G, (o * L + l + 1) * G)))),
      });
    }
    const partial2d: ReportResult['partialDependence2d'] = [];
    for (const [a, c] of params.pairs) {
      await ctx.progress(0.9, `2-D partial dependence of ${a} and ${c}`);
      const fa = features.indexOf(a);
      const fc = features.indexOf(c);
      let ga: Float64Array;
      let gc: Float64Array;
      try {
        ga = gridFor(column(fa), { categorical: categorical(fa), resolution: 20 });
        gc = gridFor(column(fc), { categorical: categorical(fc), resolution: 20 });
      } catch (err) {
        notes.push(`no 2-D partial dependence for ${a} and ${c}: ${(err as Error).message}`);
        continue;
      }
      const pd = await partialDependence2d(model, pdpX, pdpRows, [fa, fc], [ga, gc]);
      const A = ga.length;
      const B = gc.length;
      partial2d.push({
        features: [a, c],
        grid: [gridValues(fa, ga), gridValues(fc, gc)],
        outputs: outputNames,
        values: Array.from({ length: pd.numOutputs }, (_, o) => Array.from({ length: A }, (_, i) => Array.from(pd.values.subarray((o * A + i) * B, (o * A + i + 1) * B)))),
      });
    }
    await ctx.progress(0.97, 'storing the report');
    const result: ReportResult = {
      method: e.method,
      note: e.note,
      space: e.space,
      features,
      outputs: e.outputs,
      bias: e.bias,
      importance,
      samples: { x: Array.from({ length: sampleRows }, (_, r) => rowValues(schema, x, r, dict)), shap: e.shap },
      permutation,
      partialDependence: partial,
      partialDependence2d: partial2d,
      additivityError: e.additivityError,
      interactions,
      notes,
    };
    return {
      rows: n,
      stored: { format: REPORT_FORMAT, result, background: { rows: background.rows, x: Array.from(background.x, (v) => (Number.isNaN(v) ? (null as unknown as number) : v)), weights: Array.from(background.weights), dictionaries: dict.toJSON() } },
    };
  }
}

function kernelOptions(nsamples: unknown, seed: unknown): { nsamples?: number; seed: number } {
  if (nsamples !== undefined && (typeof nsamples !== 'number' || !Number.isInteger(nsamples) || nsamples < 10 || nsamples > 100_000)) throw invalidField('nsamples', 'must be an integer from 10 to 100000 (coalitions per row for KernelSHAP)');
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0)) throw invalidField('seed', 'must be a non-negative integer');
  return { nsamples: nsamples as number | undefined, seed: (seed as number | undefined) ?? 0 };
}

function parseReportBody(body: unknown): ReportParams {
  const b = body as Record<string, unknown> | null;
  if (b === null || typeof b !== 'object' || Array.isArray(b)) throw invalidField('body', 'must be {"dataset": name, "version": n, …}');
  const known = ['dataset', 'version', 'rows', 'background', 'backgroundMethod', 'seed', 'target', 'metric', 'features', 'pairs'];
  if (b.backgroundMethod !== undefined && b.backgroundMethod !== 'kmeans' && b.backgroundMethod !== 'sample') throw invalidField('backgroundMethod', "must be 'kmeans' or 'sample'");
  for (const k of Object.keys(b)) if (!known.includes(k)) throw invalidField(k.slice(0, 100), `is not a field (${known.join(', ')})`, 'UNKNOWN_FIELD');
  if (typeof b.dataset !== 'string' || b.dataset === '') throw invalidField('dataset', 'must be the name of a dataset');
  if (typeof b.version !== 'number' || !Number.isInteger(b.version) || b.version < 1) throw invalidField('version', 'must be a dataset version number (an integer ≥ 1)');
  const int = (name: string, min: number, max: number, fallback: number): number => {
    const v = b[name];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw invalidField(name, `must be an integer from ${min} to ${max}`);
    return v;
  };
  const target = b.target === undefined || b.target === null ? null : b.target;
  if (target !== null && (typeof target !== 'string' || target === '')) throw invalidField('target', 'must be the name of the label column');
  const metric = b.metric === undefined || b.metric === null ? null : b.metric;
  if (metric !== null && !METRICS.includes(metric as MetricName)) throw invalidField('metric', `must be one of ${METRICS.join(', ')}`);
  let features: string[] | null = null;
  if (b.features !== undefined && b.features !== null) {
    if (!Array.isArray(b.features) || b.features.length === 0 || b.features.length > 20 || b.features.some((f) => typeof f !== 'string')) throw invalidField('features', 'must be a list of 1 to 20 feature names');
    features = [...new Set(b.features as string[])];
  }
  const pairs: [string, string][] = [];
  if (b.pairs !== undefined && b.pairs !== null) {
    if (!Array.isArray(b.pairs) || b.pairs.length > 3) throw invalidField('pairs', 'must be a list of at most 3 [feature, feature] pairs');
    b.pairs.forEach((p, i) => {
      if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || typeof p[1] !== 'string') throw invalidField(`pairs[${i}]`, 'must be [feature, feature]');
      if (p[0] === p[1]) throw invalidField(`pairs[${i}]`, 'names the same feature twice');
      pairs.push([p[0], p[1]]);
    });
  }
  return {
    dataset: b.dataset,
    datasetVersion: b.version,
    // 0 until the model is known: 1,000 rows with TreeSHAP, 100 with KernelSHAP (each costs coalitions × background rows).
    rows: int('rows', 10, 10_000, 0),
    background: int('background', 5, 500, 100),
    backgroundMethod: (b.backgroundMethod as 'kmeans' | 'sample' | undefined) ?? 'kmeans',
    seed: int('seed', 0, 2 ** 31 - 1, 0),
    target: target as string | null,
    metric: metric as MetricName | null,
    features,
    pairs,
  };
}

/**
 * Labels as the scorers want them: class indices for classifiers (numbers as they are when they are
 * whole and within the classes; otherwise the sorted distinct values, as scikit-learn's LabelEncoder
 * numbers them), numbers for regression. Rows without a label are left out.
 */
function labelsFor(raw: unknown[], task: 'binary' | 'multiclass' | 'regression', width: number, target: string): { values: Float64Array; keep: number[] } {
  const keep: number[] = [];
  const vals: number[] = [];
  if (task === 'regression') {
    raw.forEach((v, i) => {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (Number.isFinite(n)) {
        keep.push(i);
        vals.push(n);
      }
    });
    return { values: Float64Array.from(vals), keep };
  }
  const classes = task === 'binary' ? 2 : width;
  const present = raw.map((v) => (v === null || v === undefined || v === '' ? null : String(v).trim().toLowerCase()));
  const asNumbers = present.map((v) => (v === null ? null : v === 'true' ? 1 : v === 'false' ? 0 : Number(v)));
  const numeric = asNumbers.every((v) => v === null || (Number.isInteger(v) && v >= 0 && v < classes));
  const distinct = [...new Set(present.filter((v): v is string => v !== null))].sort();
  if (!numeric && distinct.length > classes) throw invalidField('target', `column '${target}' has ${distinct.length} distinct values, but the model predicts ${classes} classes`);
  present.forEach((v, i) => {
    if (v === null) return;
    keep.push(i);
    vals.push(numeric ? asNumbers[i]! : distinct.indexOf(v));
  });
  return { values: Float64Array.from(vals), keep };
}
