/**
 * MlflowRegistryService on a real SQLite store (the test harness): a version registered through MLflow's
 * model-versions/create is an ordinary Steward version — an ONNX model folder is loaded by the inspector
 * (PENDING, then READY or FAILED), ONNX weights kept beside the model are folded in, an XGBoost JSON model
 * is served natively, and any other MLflow model is kept READY but not servable (never inspected, refused by
 * deployments with its reason). Also: MLflow's JSON shapes, searches, aliases, stages under policy, renames,
 * refused deletes, and roles.
 */
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHarness, type Harness } from '../../../../test/support/harness.js';
import { linearModel, LINEAR } from '../../../../test/fixtures/models.js';
import type { ProjectRow } from '../../../db/schema.js';
import type { DomainError } from '../../../platform/errors.js';
import type { Principal } from '../../../platform/principal.js';
import { OnnxInspector } from '../../../runtime/onnx-inspector.js';
import { stewardDecoder } from '../../../serving/protocols.js';
import type { MlflowRegistryService } from './mlflow-registry.service.js';
import { CONDA_YAML, externalDataLinearModel, onnxMlmodel, REQUIREMENTS_TXT, sklearnMlmodel, xgboostJsonMlmodel } from './mlflow-registry.test-support.js';

let h: Harness;
let registry: MlflowRegistryService;
let admin: Principal;
let contributor: Principal;
let viewer: Principal;
let scope: ProjectRow;
let n = 0;

beforeAll(async () => {
  h = await createHarness();
  registry = h.services.mlflowRegistry;
  admin = await h.services.auth.authenticate(`Bearer ${h.adminToken}`);
  contributor = await h.services.auth.authenticate(`Bearer ${await h.tokenFor('contributor', 'reg-contributor')}`);
  viewer = await h.services.auth.authenticate(`Bearer ${await h.tokenFor('viewer', 'reg-viewer')}`);
  scope = await h.services.access.projectNamed(undefined);
});
afterAll(() => h.close());

/** A run with a metric and a param, and files logged under its artifacts. */
async function runWith(files: Record<string, string | Uint8Array>): Promise<{ runId: string; base: string }> {
  const { row } = await h.services.tracking.createRun(contributor, scope, { experimentId: '0', runName: `run-${++n}` });
  await h.services.tracking.logBatch(contributor, row.id, { metrics: [{ key: 'rmse', value: 0.25, timestamp: 1, step: 0 }], params: [{ key: 'alpha', value: '0.5' }] });
  const base = row.artifact_uri!.replace(/^mlflow-artifacts:\/+/, '');
  for (const [path, content] of Object.entries(files)) await h.services.tracking.putArtifact(contributor, `${base}/${path}`, Readable.from([Buffer.from(content)]));
  return { runId: row.id, base };
}

async function model(name = `m${++n}`): Promise<string> {
  await registry.createRegisteredModel(contributor, scope, { name });
  return name;
}

async function refusal(work: Promise<unknown>): Promise<DomainError> {
  try {
    await work;
  } catch (err) {
    return err as DomainError;
  }
  throw new Error('expected a refusal');
}

describe('model-versions/create', () => {
  it('registers an ONNX model folder logged to a run: PENDING while loaded, then READY with the inspected signature', async () => {
    const { runId } = await runWith({ 'model/MLmodel': onnxMlmodel('r'), 'model/model.onnx': linearModel(), 'model/conda.yaml': CONDA_YAML, 'model/requirements.txt': REQUIREMENTS_TXT });
    const name = await model();
    registry.registrationWaitMs = 0;
    let created;
    try {
      created = await registry.createModelVersion(contributor, scope, { name, source: `runs:/${runId}/model`, tags: [{ key: 'team', value: 'risk' }], description: 'first' });
    } finally {
      registry.registrationWaitMs = 5_000;
    }
    expect(created.model_version).toMatchObject({ name, version: '1', current_stage: 'None', status: 'PENDING_REGISTRATION', source: `runs:/${runId}/model`, run_id: runId, description: 'first' });
    await registry.drain();
    const got = (await registry.getModelVersion(viewer, scope, { name, version: '1' })).model_version;
    expect(got.status).toBe('READY');
    expect(got.tags).toEqual([{ key: 'team', value: 'risk' }]);
    expect(typeof got.creation_timestamp).toBe('number');

    // An ordinary Steward version: ONNX, servable, its signature read by the inspector, the run's values copied.
    const v = await h.services.models.getVersion(undefined, name, '1');
    expect(v).toMatchObject({ flavor: 'onnx', status: 'READY', servable: true, metrics: { rmse: 0.25 }, params: { alpha: '0.5' }, lineage: { sourceRun: runId } });
    expect(v.signature!.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1, 4] }]);
    expect(v.mlflow).toEqual({ source: `runs:/${runId}/model`, runId, runLink: null, flavors: ['onnx', 'python_function'], reason: null });
    const [origin] = await h.store.tracking.versionOrigins([(await h.store.versions.getByNames('default', name, 1))!.version.id]);
    expect(origin).toMatchObject({ servable: 1, mlmodel: onnxMlmodel('r') });

    const uri = await registry.getDownloadUri(viewer, scope, { name, version: '1' });
    expect(uri.artifact_uri).toMatch(new RegExp(`^mlflow-artifacts:/\\d+/${runId}/artifacts/model$`));
  });

  it('answers READY at once when loading takes less than the wait, for proxy and http sources alike', async () => {
    const { base } = await runWith({ 'm/MLmodel': onnxMlmodel('r'), 'm/model.onnx': linearModel() });
    const name = await model();
    const a = await registry.createModelVersion(contributor, scope, { name, source: `mlflow-artifacts:/${base}/m` });
    expect(a.model_version.status).toBe('READY');
    const b = await registry.createModelVersion(contributor, scope, { name, source: `http://steward.example:8080/projects/default/api/2.0/mlflow-artifacts/artifacts/${base}/m/` });
    expect(b.model_version).toMatchObject({ version: '2', status: 'READY' });
    // The run is found from the path: its id is recorded.
    expect(b.model_version.run_id).toBe(base.split('/')[1]);
  });

  it('folds weights that mlflow.onnx saved beside model.onnx into the version, which then serves predictions', async () => {
    const { model: onnx, data } = externalDataLinearModel('7d2c9e1a-b3f4-11ee-9d1c-0242ac120002', 16);
    const { runId } = await runWith({ 'model/MLmodel': onnxMlmodel('r'), 'model/model.onnx': onnx, 'model/7d2c9e1a-b3f4-11ee-9d1c-0242ac120002': data, 'model/python_env.yaml': 'python: 3.10\n' });
    const name = await model();
    const created = await registry.createModelVersion(contributor, scope, { name, source: `runs:/${runId}/model` });
    expect(created.model_version).toMatchObject({ status: 'READY' });
    const v = await h.services.models.getVersion(undefined, name, '1');
    const expected = linearModel();
    expect(v.size).toBe(expected.length); // the data folded in: one self-contained file
    await h.services.deployments.apply(admin, undefined, `dep-${name}`, { targets: [{ model: name, version: 1, weight: 100 }] });
    const out = await h.services.inference.predict({ project: 'default', deployment: `dep-${name}`, decode: stewardDecoder({ rows: [{ f0: 1, f1: 2, f2: 3, f3: 4 }] }), anonymous: false });
    const y = LINEAR.W.reduce((s, w, i) => s + w * (i + 1), LINEAR.b[0]!);
    expect(Number(out.predictions.flat(2)[0])).toBeCloseTo(y, 5);
  });

  it('keeps a scikit-learn model READY but not servable: never inspected, its MLmodel the artifact, deployment refused with the reason', async () => {
    const inspect = vi.spyOn(OnnxInspector.prototype, 'inspect');
    const mlmodel = sklearnMlmodel('r');
    const { runId } = await runWith({ 'model/MLmodel': mlmodel, 'model/model.pkl': 'pickle bytes', 'model/conda.yaml': CONDA_YAML });
    const name = await model();
    const created = await registry.createModelVersion(contributor, scope, { name, source: `runs:/${runId}/model`, run_id: runId });
    expect(created.model_version).toMatchObject({ version: '1', status: 'READY' });
    expect(inspect).not.toHaveBeenCalled();
    inspect.mockRestore();

    const v = await h.services.models.getVersion(undefined, name, '1');
    expect(v).toMatchObject({ flavor: 'mlflow', status: 'READY', servable: false, signature: null });
    expect(v.mlflow!.flavors).toEqual(['python_function', 'sklearn']);
    expect(v.mlflow!.reason).toMatch(/MLflow flavors python_function, sklearn: Steward serves ONNX and xgboost-json models/);
    const opened = await h.artifacts.open(v.sha256);
    let text = '';
    for await (const c of opened.stream) text += String(c);
    expect(text).toBe(mlmodel);

    const refused = await refusal(h.services.deployments.apply(admin, undefined, `dep-${name}`, { targets: [{ model: name, version: 1, weight: 100 }] }));
    expect(refused.code).toBe('VERSION_NOT_SERVABLE');
    expect(refused.kind).toBe('unprocessable');
    expect(refused.message).toMatch(new RegExp(`version 1 of '${name}' cannot be deployed: MLflow flavors python_function, sklearn`));

    // An alias that a deployment follows cannot move to it either.
    const good = await runWith({ 'model/MLmodel': onnxMlmodel('r'), 'model/model.onnx': linearModel() });
    await registry.createModelVersion(contributor, scope, { name, source: `runs:/${good.runId}/model` });
    await registry.setAlias(contributor, scope, { name, alias: 'champion', version: '2' });
    await h.services.deployments.apply(admin, undefined, `dep-${name}`, { targets: [{ model: name, alias: 'champion', weight: 100 }] });
    const moved = await refusal(registry.setAlias(contributor, scope, { name, alias: 'champion', version: '1' }));
    expect(moved.code).toBe('VERSION_NOT_SERVABLE');
    expect(moved.message).toMatch(/deployment 'dep-m\d+' follows it/);
    expect((await registry.getVersionByAlias(viewer, scope, { name, alias: 'champion' })).model_version.version).toBe('2');
  });

  it('serves an XGBoost model saved as JSON natively', async () => {
    const xgb = await readFile(new URL('../../../../test/fixtures/xgboost/binary-logistic.json', import.meta.url));
    const { runId } = await runWith({ 'model/MLmodel': xgboostJsonMlmodel('r'), 'model/model.json': xgb });
    const name = await model();
    const created = await registry.createModelVersion(contributor, scope, { name, source: `runs:/${runId}/model` });
    expect(created.model_version.status).toBe('READY');
    expect(await h.services.models.getVersion(undefined, name, '1')).toMatchObject({ flavor: 'xgboost-json', servable: true });
  });

  it('records a source outside Steward as a descriptor, and an ONNX file that does not load as FAILED_REGISTRATION', async () => {
    const name = await model();
    const outside = await registry.createModelVersion(contributor, scope, { name, source: 's3://bucket/models/churn', run_id: 'abc' });
    expect(outside.model_version).toMatchObject({ status: 'READY', source: 's3://bucket/models/churn', run_id: 'abc' });
    const v = await h.services.models.getVersion(undefined, name, '1');
    expect(v.mlflow!.reason).toMatch(/outside Steward's artifact store/);
    const opened = await h.artifacts.open(v.sha256);
    let text = '';
    for await (const c of opened.stream) text += String(c);
    expect(JSON.parse(text)).toEqual({ source: 's3://bucket/models/churn', files: [] });
    expect((await registry.getDownloadUri(viewer, scope, { name, version: '1' })).artifact_uri).toBe('s3://bucket/models/churn');

    const { runId } = await runWith({ 'model/MLmodel': onnxMlmodel('r'), 'model/model.onnx': 'not an onnx model' });
    const failed = await registry.createModelVersion(contributor, scope, { name, source: `runs:/${runId}/model` });
    expect(failed.model_version.status).toBe('FAILED_REGISTRATION');
    expect(failed.model_version.status_message).toBeTruthy();
  });

  it('copies a version named by a models:/ source (MlflowClient.copy_model_version): same file, same origin', async () => {
    const { runId } = await runWith({ 'model/MLmodel': onnxMlmodel('r'), 'model/model.onnx': linearModel() });
    const from = await model();
    const to = await model();
    await registry.createModelVersion(contributor, scope, { name: from, source: `runs:/${runId}/model` });
    const copied = await registry.createModelVersion(contributor, scope, { name: to, source: `models:/${from}/1`, run_id: runId });
    expect(copied.model_version).toMatchObject({ version: '1', status: 'READY', source: `models:/${from}/1`, run_id: runId });
    const [a, b] = await Promise.all([h.services.models.getVersion(undefined, from, '1'), h.services.models.getVersion(undefined, to, '1')]);
    expect(b.sha256).toBe(a.sha256);
    expect(b.mlflow!.flavors).toEqual(['onnx', 'python_function']);
    // The download URI is the original files' location.
    expect((await registry.getDownloadUri(viewer, scope, { name: to, version: '1' })).artifact_uri).toBe(
      (await registry.getDownloadUri(viewer, scope, { name: from, version: '1' })).artifact_uri,
    );
  });

  it('refuses sources with nothing logged, an MLmodel naming a missing file, and unknown runs', async () => {
    const name = await model();
    const { runId, base } = await runWith({ 'model/MLmodel': onnxMlmodel('r', 'weights.onnx'), 'model/model.onnx': linearModel() });
    const missing = await refusal(registry.createModelVersion(contributor, scope, { name, source: `mlflow-artifacts:/${base}/nothing` }));
    expect(missing.kind).toBe('invalid');
    expect(missing.message).toMatch(/no artifacts were logged/);
    const wrong = await refusal(registry.createModelVersion(contributor, scope, { name, source: `runs:/${runId}/model` }));
    expect(wrong.message).toMatch(/names the ONNX file 'weights.onnx', but no such file was logged/);
    const unknown = await refusal(registry.createModelVersion(contributor, scope, { name, source: `runs:/${'0'.repeat(32)}/model` }));
    expect(unknown.kind).toBe('not_found');
    expect((await refusal(registry.createModelVersion(contributor, scope, { name }))).message).toBe(
      "Missing value for required parameter 'source'. See the API docs for more information about request parameters.",
    );
    expect((await h.services.models.getModel(undefined, name)).lastVersion).toBe(0); // nothing was registered
  });
});

describe('registered models', () => {
  it('answers in MLflow shapes, with latest versions per stage and aliases', async () => {
    const name = await model();
    await registry.updateRegisteredModel(contributor, scope, { name, description: 'churn model' });
    await registry.setRegisteredModelTag(contributor, scope, { name, key: 'team', value: 'risk' });
    const { runId } = await runWith({ 'model/MLmodel': onnxMlmodel('r'), 'model/model.onnx': linearModel() });
    for (let i = 0; i < 3; i++) await registry.createModelVersion(contributor, scope, { name, source: `runs:/${runId}/model` });
    await registry.transitionStage(contributor, scope, { name, version: '1', stage: 'staging', archive_existing_versions: false });
    await registry.transitionStage(contributor, scope, { name, version: '2', stage: 'Staging', archive_existing_versions: true });
    await registry.setAlias(contributor, scope, { name, alias: 'champion', version: '2' });
    const rm = (await registry.getRegisteredModel(viewer, scope, { name })).registered_model;
    expect(rm).toMatchObject({ name, description: 'churn model', tags: [{ key: 'team', value: 'risk' }], aliases: [{ alias: 'champion', version: '2' }] });
    expect(rm.latest_versions!.map((v) => [v.current_stage, v.version])).toEqual([
      ['None', '3'],
      ['Staging', '2'],
      ['Archived', '1'],
    ]);
    expect(rm.latest_versions![1]!.aliases).toEqual(['champion']);
    const latest = await registry.getLatestVersions(viewer, scope, { name, stages: ['staging'] });
    expect(latest.model_versions!.map((v) => v.version)).toEqual(['2']);
    // Moving a version to the stage it is in changes nothing (MLflow accepts it).
    expect((await registry.transitionStage(contributor, scope, { name, version: '2', stage: 'Staging' })).model_version.current_stage).toBe('Staging');
    await expect(registry.transitionStage(contributor, scope, { name, version: '3', stage: 'Archived', archive_existing_versions: true })).rejects.toThrow(/'Archived' is not an Active stage/);

    await registry.deleteRegisteredModelTag(contributor, scope, { name, key: 'team' });
    await registry.deleteRegisteredModelTag(contributor, scope, { name, key: 'team' }); // no-op
    expect((await registry.getRegisteredModel(viewer, scope, { name })).registered_model.tags).toBeUndefined();
    await registry.deleteAlias(contributor, scope, { name, alias: 'champion' });
    await registry.deleteAlias(contributor, scope, { name, alias: 'champion' }); // no-op
    const gone = await refusal(registry.getVersionByAlias(viewer, scope, { name, alias: 'champion' }));
    expect(gone.kind).toBe('invalid');
    expect(gone.message).toBe('Registered model alias champion not found.');
  });

  it('searches with the filter grammar, order_by and page tokens', async () => {
    const prefix = `srch${++n}`;
    for (const [suffix, team] of [['c', 'a'], ['a', 'b'], ['b', 'a']] as const) {
      await registry.createRegisteredModel(contributor, scope, { name: `${prefix}-${suffix}`, tags: [{ key: 'team', value: team }] });
    }
    const all = await registry.searchRegisteredModels(viewer, scope, { filter: `name LIKE '${prefix}-%'` });
    expect(all.registered_models!.map((m) => m.name)).toEqual([`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
    const teamA = await registry.searchRegisteredModels(viewer, scope, { filter: `name LIKE '${prefix}%' AND tags.team = 'a'`, order_by: ['name DESC'] });
    expect(teamA.registered_models!.map((m) => m.name)).toEqual([`${prefix}-c`, `${prefix}-b`]);
    const first = await registry.searchRegisteredModels(viewer, scope, { filter: `name ILIKE '${prefix.toUpperCase()}-%'`, max_results: '2' });
    expect(first.registered_models).toHaveLength(2);
    const second = await registry.searchRegisteredModels(viewer, scope, { filter: `name ILIKE '${prefix.toUpperCase()}-%'`, max_results: 2, page_token: first.next_page_token });
    expect(second.registered_models!.map((m) => m.name)).toEqual([`${prefix}-c`]);
    expect(second.next_page_token).toBeUndefined();
    expect((await refusal(registry.searchRegisteredModels(viewer, scope, { max_results: 1001 }))).message).toBe(
      'Invalid value for request parameter max_results. It must be at most 1000, but got value 1001',
    );
    expect((await refusal(registry.searchRegisteredModels(viewer, scope, { filter: 'nme = 1' }))).kind).toBe('invalid');
    expect((await refusal(registry.searchRegisteredModels(viewer, scope, { order_by: ['size'] }))).kind).toBe('invalid');
  });

  it('searches versions by name, run_id and tags, newest first by default', async () => {
    const name = await model();
    const r1 = await runWith({ 'model/MLmodel': sklearnMlmodel('r'), 'model/model.pkl': 'x' });
    const r2 = await runWith({ 'model/MLmodel': sklearnMlmodel('r'), 'model/model.pkl': 'y' });
    await registry.createModelVersion(contributor, scope, { name, source: `runs:/${r1.runId}/model` });
    await registry.createModelVersion(contributor, scope, { name, source: `runs:/${r2.runId}/model` });
    await registry.setModelVersionTag(contributor, scope, { name, version: '1', key: 'validated', value: 'yes' });
    const byName = await registry.searchModelVersions(viewer, scope, { filter: `name = '${name}'`, order_by: ['version_number ASC'] });
    expect(byName.model_versions!.map((v) => v.version)).toEqual(['1', '2']);
    const byRun = await registry.searchModelVersions(viewer, scope, { filter: `run_id = '${r2.runId}'` });
    expect(byRun.model_versions!.map((v) => [v.name, v.version])).toEqual([[name, '2']]);
    const byTag = await registry.searchModelVersions(viewer, scope, { filter: `name = '${name}' and tags.validated = 'yes'` });
    expect(byTag.model_versions!.map((v) => v.version)).toEqual(['1']);
    const inList = await registry.searchModelVersions(viewer, scope, { filter: `run_id IN ('${r1.runId}', '${r2.runId}')`, max_results: 1 });
    expect(inList.model_versions).toHaveLength(1);
    expect(inList.next_page_token).toBeTruthy();
    await registry.deleteModelVersionTag(contributor, scope, { name, version: '1', key: 'validated' });
    expect((await registry.searchModelVersions(viewer, scope, { filter: `tags.validated = 'yes' and name = '${name}'` })).model_versions).toBeUndefined();
  });

  it('renames (keeping versions), refuses a taken name, an invalid name, and deletes', async () => {
    const name = await model();
    const other = await model();
    const { runId } = await runWith({ 'model/MLmodel': onnxMlmodel('r'), 'model/model.onnx': linearModel() });
    await registry.createModelVersion(contributor, scope, { name, source: `runs:/${runId}/model` });
    const renamed = await registry.renameRegisteredModel(contributor, scope, { name, new_name: `${name}-renamed` });
    expect(renamed.registered_model.name).toBe(`${name}-renamed`);
    expect((await registry.getModelVersion(viewer, scope, { name: `${name}-renamed`, version: '1' })).model_version.status).toBe('READY');
    expect((await refusal(registry.getRegisteredModel(viewer, scope, { name }))).message).toBe(`Registered Model with name=${name} not found`);
    const modelId = (await h.store.models.get(scope.id, `${name}-renamed`))!.id;
    const events = await h.store.events.list({ after: 0, limit: 1000, entityType: 'model', entityId: modelId });
    expect(events.map((e) => e.payload)).toContainEqual({ name: `${name}-renamed`, renamed: { before: name, after: `${name}-renamed` } });

    const taken = await refusal(registry.renameRegisteredModel(contributor, scope, { name: `${name}-renamed`, new_name: other }));
    expect(taken.code).toBe('MODEL_EXISTS');
    expect(taken.message).toBe(`Registered Model (name=${other}) already exists.`);
    const dup = await refusal(registry.createRegisteredModel(contributor, scope, { name: other }));
    expect(dup.code).toBe('MODEL_EXISTS');
    const bad = await refusal(registry.createRegisteredModel(contributor, scope, { name: 'my model/v2' }));
    expect(bad.kind).toBe('invalid');
    expect(bad.message).toMatch(/not a valid name: use letters, digits, '-', '_' and '\.'/);

    const del = await refusal(registry.deleteRegisteredModel(contributor, scope, { name: other }));
    expect(del.kind).toBe('conflict');
    expect(del.message).toMatch(/keeps registered models and their versions for the audit trail.*Archive/);
    const delVersion = await refusal(registry.deleteModelVersion(contributor, scope, { name: `${name}-renamed`, version: '1' }));
    expect(delVersion.message).toMatch(/keeps model versions for the audit trail.*transition-stage with stage 'Archived'/);
    expect((await refusal(registry.getModelVersion(viewer, scope, { name: other, version: '7' }))).message).toBe(`Model Version (name=${other}, version=7) not found`);
    expect((await refusal(registry.getModelVersion(viewer, scope, { name: other, version: 'x' }))).message).toBe("Model version must be an integer, got 'x'");
  });

  it('needs the same roles as Steward: viewers read, contributors write', async () => {
    const name = await model();
    await expect(registry.getRegisteredModel(viewer, scope, { name })).resolves.toBeTruthy();
    for (const write of [
      registry.createRegisteredModel(viewer, scope, { name: `v${++n}` }),
      registry.updateRegisteredModel(viewer, scope, { name, description: 'x' }),
      registry.setRegisteredModelTag(viewer, scope, { name, key: 'k', value: 'v' }),
      registry.createModelVersion(viewer, scope, { name, source: 's3://x' }),
      registry.transitionStage(viewer, scope, { name, version: '1', stage: 'Production' }),
      registry.setAlias(viewer, scope, { name, alias: 'a', version: '1' }),
      registry.renameRegisteredModel(viewer, scope, { name, new_name: 'zz' }),
      registry.deleteRegisteredModel(viewer, scope, { name }),
    ]) {
      expect((await refusal(write)).kind).toBe('forbidden');
    }
  });
});
