/**
 * Registering a trained model: a trial of a training job (the best one by default) becomes a version of a
 * model (made when it does not exist), through the same RegistrationService an upload goes through (so the
 * version is loaded and checked, and every policy applies to it later). The version carries:
 * - the artifact: the tree model as xgboost JSON (flavor xgboost-json: native evaluator, TreeSHAP) or, with
 *   `format: "onnx"` and always for linear models, the ONNX export;
 * - the ONNX export in the run's artifacts (model/model.onnx), checked in onnxruntime against the native
 *   predictions on up to 1,000 rows of the training data (|difference| ≤ 1e-5, else nothing is registered);
 * - validation metrics, params, lineage (dataset versions with roles, the trial's run as source run);
 * - a reference profile for monitoring, requested on the training dataset version.
 */
import type { MetadataStore } from '../../db/metadata-store.js';
import type { DataEngine } from '../../data/engine.js';
import { isoTime, type Clock } from '../../platform/clock.js';
import { conflict, DomainError, invalidField } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import { checkName } from '../../platform/names.js';
import type { Principal } from '../../platform/principal.js';
import { asObject, onlyKeys } from '../../platform/validate.js';
import type { ArtifactStore } from '../../storage/artifact-store.js';
import type { AccessService } from '../access/access.service.js';
import { domainEvent } from '../events/domain-event.js';
import type { VersionView } from '../models/model-views.js';
import type { ModelsService } from '../models/models.service.js';
import type { RegistrationService } from '../models/registration.service.js';
import type { DatasetLink } from '../models/version-metadata.js';
import type { MonitoringService } from '../monitoring/monitoring.service.js';
import type { TrackingService } from '../tracking/tracking.service.js';
import { checkOnnx, exportModel, ONNX_MODEL_PATH, ONNX_TOLERANCE } from './training-export.js';
import { loadTrainingData } from './training-data.js';
import type { TrainingResult, TrainingService } from './training.service.js';

export interface TrainingRegistrationDeps {
  store: MetadataStore;
  artifacts: ArtifactStore;
  engine: DataEngine;
  access: AccessService;
  training: TrainingService;
  tracking: TrackingService;
  models: ModelsService;
  registration: RegistrationService;
  monitoring: MonitoringService;
  clock: Clock;
  logger: Logger;
}

export interface TrainingRegistered {
  version: VersionView;
  trial: number;
  runId: string;
  format: 'xgboost-json' | 'onnx';
  onnx: { path: string; sha256: string; size: number; maxAbsDiff: number; rowsCompared: number };
  reference: { jobId: string } | { error: string };
  modelCreated: boolean;
}

const CHECK_ROWS = 1000;

async function* oneChunk(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export class TrainingRegistrationService {
  constructor(private readonly deps: TrainingRegistrationDeps) {}

  /** POST /api/v1/training-jobs/{id}/register */
  async register(actor: Principal, id: string, body: unknown): Promise<TrainingRegistered> {
    const { training, tracking, store, artifacts, engine, models, registration, clock } = this.deps;
    const b = asObject('body', body ?? {});
    onlyKeys('body', b, ['model', 'trial', 'format', 'description']);
    const modelName = checkName('model', b.model);
    if (b.trial !== undefined && b.trial !== null && (typeof b.trial !== 'number' || !Number.isInteger(b.trial) || b.trial < 0)) throw invalidField('trial', 'must be a trial index (0, 1, …)');
    if (b.format !== undefined && b.format !== 'xgboost-json' && b.format !== 'onnx') throw invalidField('format', "must be 'xgboost-json' (trees only; the default for trees) or 'onnx'");
    if (b.description !== undefined && (typeof b.description !== 'string' || b.description.length > 10_000)) throw invalidField('description', 'must be text of at most 10000 characters');

    const { row, project } = await training.load(actor, id, 'contributor');
    const spec = training.specOf(row);
    const result = row.result === null ? null : (JSON.parse(row.result) as TrainingResult);
    if (!result || (row.status !== 'SUCCEEDED' && row.status !== 'CANCELLED')) {
      throw conflict('TRAINING_NOT_FINISHED', `training job ${row.id} is ${row.status.toLowerCase()}; a model can be registered once it has finished`);
    }
    const index = typeof b.trial === 'number' ? b.trial : result.best;
    if (index === null) throw conflict('NO_TRAINED_MODEL', `training job ${row.id} has no trial with a model`);
    const trial = result.trials[index];
    if (!trial) throw invalidField('trial', `training job ${row.id} has trials 0 to ${result.trials.length - 1}`);
    if (!trial.modelPath) throw invalidField('trial', `trial ${index} has no model (it is ${trial.status}${trial.error ? `: ${trial.error}` : ''})`);
    const format = b.format ?? (spec.algorithm === 'gbdt' ? 'xgboost-json' : 'onnx');
    if (format === 'xgboost-json' && spec.algorithm !== 'gbdt') throw invalidField('format', 'linear models are registered as ONNX');

    // The trial's model file, and its exports.
    const root = `${row.experiment_id}/${trial.runId}/artifacts`;
    const fileRow = await store.tracking.getArtifact(`${root}/${trial.modelPath}`);
    if (!fileRow) throw conflict('MODEL_FILE_MISSING', `the model file of trial ${index} (${trial.modelPath}) is no longer in the run's artifacts`);
    const text = (await readAll((await artifacts.open(fileRow.sha256)).stream)).toString('utf8');
    const exported = exportModel(trial.modelPath, text, spec.features);

    // ONNX against the native predictions on rows of the training data (float32, as served).
    const dv = await store.datasets.getVersionById(spec.datasetVersionId);
    if (!dv) throw conflict('DATASET_VERSION_NOT_FOUND', `dataset ${spec.dataset.name}@${spec.dataset.version} no longer exists`);
    const sample = await loadTrainingData(engine, await artifacts.localPath(dv.stored_sha256), spec, { limit: CHECK_ROWS });
    const checked = await checkOnnx(exported, spec.features, sample.x, sample.rows);
    if (!(checked.maxAbsDiff <= ONNX_TOLERANCE)) {
      throw new DomainError('internal', 'ONNX_EXPORT_MISMATCH', `the ONNX export differs from the native model by ${checked.maxAbsDiff} on ${checked.rows} rows (limit ${ONNX_TOLERANCE}); nothing was registered`);
    }
    const onnxRow = await tracking.putArtifact(actor, `${root}/${ONNX_MODEL_PATH}`, oneChunk(exported.onnx));

    // The model, made when it does not exist yet.
    let modelCreated = false;
    try {
      await models.resolveModel(project.name, modelName);
    } catch (err) {
      if (!(err instanceof DomainError) || err.code !== 'MODEL_NOT_FOUND') throw err;
      await models.createModel(actor, { name: modelName, project: project.name, description: `Trained in Steward from ${spec.dataset.name}@${spec.dataset.version} to predict ${spec.target}` });
      modelCreated = true;
    }
    let artifact: { sha256: string; size: number };
    if (format === 'xgboost-json') {
      const staged = await artifacts.stage(oneChunk(exported.native!.bytes));
      await staged.commit();
      artifact = { sha256: staged.sha256, size: staged.size };
    } else {
      artifact = { sha256: onnxRow.sha256, size: onnxRow.size };
    }
    const datasets: DatasetLink[] = [{ dataset: spec.dataset.name, version: spec.dataset.version, role: 'train' }];
    if (spec.validation.kind === 'dataset') datasets.push({ dataset: spec.validation.dataset.name, version: spec.validation.dataset.version, role: 'validation' });
    const v = spec.validation;
    const validation = v.kind === 'holdout' ? `holdout ${v.fraction} (seed ${v.seed})` : v.kind === 'kfold' ? `${v.folds}-fold cross-validation (seed ${v.seed})` : `${v.dataset.name}@${v.dataset.version}`;
    const registered = await registration.registerArtifact(actor, project.name, modelName, {
      metadata: {
        flavor: format,
        metrics: Object.fromEntries(Object.entries(trial.metrics).map(([k, val]) => [`valid_${k}`, val])),
        params: { algorithm: spec.algorithm, task: spec.task, target: spec.target, ...Object.fromEntries(Object.entries(trial.params).map(([k, val]) => [k, String(val)])) },
        tags: {
          'steward.training_job': row.id,
          'steward.trial': String(index),
          'steward.onnx_sha256': onnxRow.sha256,
          'steward.onnx_max_abs_diff': checked.maxAbsDiff.toExponential(3),
          ...(spec.classes.length ? { 'steward.classes': JSON.stringify(spec.classes).slice(0, 5000) } : {}),
        },
        description:
          typeof b.description === 'string'
            ? b.description
            : `${spec.algorithm === 'gbdt' ? 'Gradient-boosted trees' : spec.task === 'regression' ? 'Linear regression' : 'Logistic regression'} (${spec.task}) predicting ${spec.target}, trained in Steward on ${spec.dataset.name}@${spec.dataset.version}; validation: ${validation}.` +
              (spec.classes.length === 2 ? ` Probability is of class '${spec.classes[1]}' (classes ${JSON.stringify(spec.classes)}).` : ''),
        sourceRun: trial.runId,
        datasetVersion: `${spec.dataset.name}@${spec.dataset.version}`,
        datasets,
      },
      artifact: { kind: 'blob', ...artifact },
    });
    const version = await registered.settled;
    if (version.status !== 'READY') {
      throw new DomainError('unprocessable', 'MODEL_INVALID', `version ${version.version} of '${modelName}' is ${version.status}${version.statusMessage ? `: ${version.statusMessage}` : ''}`);
    }
    let reference: TrainingRegistered['reference'];
    try {
      const r = await this.deps.monitoring.requestReference(actor, project.name, modelName, version.version, { json: { dataset: spec.dataset.name, version: spec.dataset.version } });
      reference = { jobId: r.job.id };
    } catch (err) {
      reference = { error: err instanceof Error ? err.message : String(err) };
    }
    await store.transaction(async (tx) => {
      const now = (await tx.training.get(row.id))!;
      const res = JSON.parse(now.result!) as TrainingResult;
      res.registered.push({ model: modelName, version: version.version, trial: index, at: isoTime(clock), by: actor.name });
      await tx.training.update(row.id, { result: JSON.stringify(res) });
      await tx.events.append(
        domainEvent(clock, actor.name, 'training.registered', { type: 'training_job', id: row.id, projectId: row.project_id }, { model: modelName, version: version.version, trial: index, runId: trial.runId, format }),
      );
    });
    return {
      version,
      trial: index,
      runId: trial.runId,
      format,
      onnx: { path: ONNX_MODEL_PATH, sha256: onnxRow.sha256, size: onnxRow.size, maxAbsDiff: checked.maxAbsDiff, rowsCompared: checked.rows },
      reference,
      modelCreated,
    };
  }
}
