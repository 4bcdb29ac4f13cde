/**
 * The MLflow model registry API on a real listening server, driven over HTTP exactly as the MLflow Python
 * client 2.x drives it (mlflow/store/model_registry/rest_store.py; methods from
 * mlflow/protos/model_registry.proto): GET with query parameters (lists as repeated keys), POST/PATCH/DELETE
 * with JSON bodies, Basic authentication with a Steward token as the password. The flow is that of
 * `mlflow.onnx.log_model(..., registered_model_name=...)`: a run, its model folder uploaded through the
 * artifact proxy, log-model, registered-models/create, runs/get, model-versions/create, polling
 * model-versions/get until READY. Then aliases, stages, searches, tags, rename — and the version deployed
 * and predicting through Steward's own API, a scikit-learn version refused by deployments, a stage move
 * refused by the project's policy, and MLflow's error shapes and roles.
 */
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearModel, LINEAR } from '../fixtures/models.js';
import { createHarness, type Harness } from '../support/harness.js';
import { CONDA_YAML, onnxMlmodel, PYTHON_ENV_YAML, REQUIREMENTS_TXT, sklearnMlmodel } from '../../src/modules/tracking/mlflow/mlflow-registry.test-support.js';

let h: Harness;
let base: string;
let contributorAuth: string;
let viewerAuth: string;
let adminAuth: string;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Call {
  query?: Record<string, string | string[] | number | boolean | undefined>;
  body?: unknown;
  auth?: string;
}

/** One request as the MLflow client sends it: GET → query string (repeated keys for lists), else a JSON body. */
async function mlflow(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, call: Call = {}): Promise<{ status: number; json: Json }> {
  const url = new URL(`${base}${path.startsWith('/') ? path : `/api/2.0/mlflow/${path}`}`);
  for (const [k, v] of Object.entries(call.query ?? {})) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(item));
  }
  const headers: Record<string, string> = { authorization: call.auth ?? contributorAuth, 'user-agent': 'mlflow-python-client/2.14.1' };
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(url, { method, headers, body: call.body === undefined ? undefined : JSON.stringify(call.body) });
  const text = await r.text();
  return { status: r.status, json: text === '' ? {} : (JSON.parse(text) as Json) };
}

async function steward(method: string, path: string, body?: unknown, auth = adminAuth): Promise<{ status: number; json: Json }> {
  const r = await fetch(`${base}${path}`, { method, headers: { authorization: auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, json: text === '' ? {} : (JSON.parse(text) as Json) };
}

/** An error answer as MLflow's client reads it: the status, error_code and message (Steward may add `details`). */
function errorOf(r: { status: number; json: Json }): { status: number; error_code: unknown; message: unknown } {
  return { status: r.status, error_code: r.json.error_code, message: r.json.message };
}

const basic = (user: string, token: string) => `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;

/** runs/create as mlflow.start_run() sends it (through the services when the tracking routes are not mounted). */
async function startRun(): Promise<{ runId: string; artifactUri: string }> {
  const r = await mlflow('POST', 'runs/create', {
    body: { experiment_id: '0', user_id: 'ada', start_time: Date.now(), tags: [{ key: 'mlflow.user', value: 'ada' }, { key: 'mlflow.source.type', value: 'LOCAL' }] },
  });
  if (r.status === 404 && r.json.error_code === 'ENDPOINT_NOT_FOUND') {
    seen.fallbacks++;
    const actor = await h.services.auth.authenticate(contributorAuth);
    const { row } = await h.services.tracking.createRun(actor, await h.services.access.projectNamed(undefined), { experimentId: '0' });
    return { runId: row.id, artifactUri: row.artifact_uri! };
  }
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return { runId: r.json.run.info.run_id as string, artifactUri: r.json.run.info.artifact_uri as string };
}

/** log_artifacts: one PUT per file to the artifact proxy (through the services when the proxy is not mounted). */
async function upload(artifactUri: string, files: Record<string, string | Uint8Array>): Promise<void> {
  const root = artifactUri.replace(/^mlflow-artifacts:\/+/, '');
  for (const [path, content] of Object.entries(files)) {
    const r = await fetch(`${base}/api/2.0/mlflow-artifacts/artifacts/${root}/${path}`, {
      method: 'PUT',
      headers: { authorization: contributorAuth, 'content-type': path.endsWith('.onnx') || path.endsWith('.pkl') ? 'application/octet-stream' : 'text/plain' },
      body: Buffer.from(content),
    });
    if (r.status === 404) {
      seen.fallbacks++;
      const actor = await h.services.auth.authenticate(contributorAuth);
      await h.services.tracking.putArtifact(actor, `${root}/${path}`, Readable.from([Buffer.from(content)]));
    } else {
      expect(r.status, await r.text()).toBe(200);
    }
  }
}

/** mlflow.register_model: create (an existing model is fine), create the version, poll until it is not pending. */
const seen = { fallbacks: 0, firstStatus: '' };

async function registerModel(name: string, source: string, runId: string): Promise<Json> {
  const created = await mlflow('POST', 'registered-models/create', { body: { name } });
  expect([200, 400]).toContain(created.status);
  if (created.status === 400) expect(created.json.error_code).toBe('RESOURCE_ALREADY_EXISTS');
  const r = await mlflow('POST', 'model-versions/create', { body: { name, source, run_id: runId } });
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  let mv = r.json.model_version as Json;
  seen.firstStatus = mv.status as string;
  for (let i = 0; mv.status === 'PENDING_REGISTRATION' && i < 300; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    mv = (await mlflow('GET', 'model-versions/get', { query: { name, version: mv.version as string } })).json.model_version as Json;
  }
  return mv;
}

let runId: string;
let artifactUri: string;

beforeAll(async () => {
  h = await createHarness();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  contributorAuth = basic('ada', await h.tokenFor('contributor', 'ada'));
  viewerAuth = `Bearer ${await h.tokenFor('viewer', 'vic')}`;
  adminAuth = `Bearer ${h.adminToken}`;
  ({ runId, artifactUri } = await startRun());
  await upload(artifactUri, {
    'model/MLmodel': onnxMlmodel(runId),
    'model/model.onnx': linearModel(),
    'model/conda.yaml': CONDA_YAML,
    'model/python_env.yaml': PYTHON_ENV_YAML,
    'model/requirements.txt': REQUIREMENTS_TXT,
  });
  const logged = await mlflow('POST', 'runs/log-model', {
    body: { run_id: runId, model_json: JSON.stringify({ run_id: runId, artifact_path: 'model', utc_time_created: '2024-05-01 12:00:00.123456', flavors: { onnx: { data: 'model.onnx' } } }) },
  });
  expect([200, 404]).toContain(logged.status); // the client only warns when log-model fails
});
afterAll(() => h.close());

describe('the MLflow model registry over HTTP', () => {
  it('registers an ONNX model logged to a run, as mlflow.register_model does, and deploys it through Steward', async () => {
    const source = `${artifactUri}/model`;
    const mv = await registerModel('churn', source, runId);
    expect(seen.fallbacks).toBe(0); // the tracking routes and the artifact proxy served the run and its files
    expect(mv).toMatchObject({ name: 'churn', version: '1', status: 'READY', current_stage: 'None', source, run_id: runId, user_id: 'ada' });
    expect(typeof mv.creation_timestamp).toBe('number');

    const dup = await mlflow('POST', 'registered-models/create', { body: { name: 'churn' } });
    expect(errorOf(dup)).toEqual({ status: 400, error_code: 'RESOURCE_ALREADY_EXISTS', message: 'Registered Model (name=churn) already exists.' });

    // A model that takes longer to load than create waits: PENDING_REGISTRATION, then polled until READY.
    h.services.mlflowRegistry.registrationWaitMs = 0;
    const v2 = await registerModel('churn', source, runId);
    h.services.mlflowRegistry.registrationWaitMs = 5_000;
    expect(seen.firstStatus).toBe('PENDING_REGISTRATION');
    expect(v2).toMatchObject({ version: '2', status: 'READY' });

    // Aliases: set (JSON body), get by alias (query), delete (JSON body on DELETE).
    expect(await mlflow('POST', 'registered-models/alias', { body: { name: 'churn', alias: 'champion', version: '1' } })).toEqual({ status: 200, json: {} });
    const byAlias = await mlflow('GET', 'registered-models/alias', { query: { name: 'churn', alias: 'champion' } });
    expect(byAlias.json.model_version).toMatchObject({ version: '1', aliases: ['champion'] });
    expect((await mlflow('POST', 'registered-models/alias', { body: { name: 'churn', alias: 'challenger', version: '2' } })).status).toBe(200);
    expect(await mlflow('DELETE', 'registered-models/alias', { body: { name: 'churn', alias: 'challenger' } })).toEqual({ status: 200, json: {} });
    expect(errorOf(await mlflow('GET', 'registered-models/alias', { query: { name: 'churn', alias: 'challenger' } }))).toEqual({
      status: 400,
      error_code: 'INVALID_PARAMETER_VALUE',
      message: 'Registered model alias challenger not found.',
    });

    // Stages, archiving the version already there.
    const t1 = await mlflow('POST', 'model-versions/transition-stage', { body: { name: 'churn', version: '1', stage: 'Staging', archive_existing_versions: false } });
    expect(t1.json.model_version).toMatchObject({ version: '1', current_stage: 'Staging' });
    const t2 = await mlflow('POST', 'model-versions/transition-stage', { body: { name: 'churn', version: '2', stage: 'staging', archive_existing_versions: true } });
    expect(t2.json.model_version.current_stage).toBe('Staging');
    expect((await mlflow('GET', 'model-versions/get', { query: { name: 'churn', version: '1' } })).json.model_version.current_stage).toBe('Archived');
    expect((await mlflow('POST', 'model-versions/transition-stage', { body: { name: 'churn', version: '2', stage: 'Production', archive_existing_versions: true } })).status).toBe(200);

    const latest = await mlflow('POST', 'registered-models/get-latest-versions', { body: { name: 'churn', stages: ['Production'] } });
    expect(latest.json.model_versions.map((v: Json) => [v.version, v.current_stage])).toEqual([['2', 'Production']]);
    const latestGet = await mlflow('GET', 'registered-models/get-latest-versions', { query: { name: 'churn', stages: ['Production', 'Archived'] } });
    expect(latestGet.json.model_versions.map((v: Json) => v.version)).toEqual(['2', '1']);
    const rm = await mlflow('GET', 'registered-models/get', { query: { name: 'churn' } });
    expect(rm.json.registered_model.latest_versions.map((v: Json) => [v.current_stage, v.version])).toEqual([
      ['Production', '2'],
      ['Archived', '1'],
    ]);
    expect(rm.json.registered_model.aliases).toEqual([{ alias: 'champion', version: '1' }]);

    // Tags, description, searches.
    expect((await mlflow('POST', 'registered-models/set-tag', { body: { name: 'churn', key: 'team', value: 'risk' } })).json).toEqual({});
    expect((await mlflow('PATCH', 'registered-models/update', { body: { name: 'churn', description: 'Churn, linear' } })).json.registered_model.description).toBe('Churn, linear');
    expect((await mlflow('POST', 'model-versions/set-tag', { body: { name: 'churn', version: '2', key: 'validated', value: 'true' } })).status).toBe(200);
    expect((await mlflow('PATCH', 'model-versions/update', { body: { name: 'churn', version: '2', description: 'the good one' } })).json.model_version.description).toBe('the good one');
    await mlflow('POST', 'registered-models/create', { body: { name: 'fraud', tags: [{ key: 'team', value: 'ops' }] } });
    const like = await mlflow('GET', 'registered-models/search', { query: { filter: "name LIKE 'ch%'", max_results: 10 } });
    expect(like.json.registered_models.map((m: Json) => m.name)).toEqual(['churn']);
    const byTag = await mlflow('GET', 'registered-models/search', { query: { filter: "tags.team = 'risk'" } });
    expect(byTag.json.registered_models.map((m: Json) => m.name)).toEqual(['churn']);
    const paged = await mlflow('GET', 'registered-models/search', { query: { max_results: 1, order_by: ['name DESC'] } });
    expect(paged.json.registered_models.map((m: Json) => m.name)).toEqual(['fraud']);
    const next = await mlflow('GET', 'registered-models/search', { query: { max_results: 1, order_by: ['name DESC'], page_token: paged.json.next_page_token } });
    expect(next.json.registered_models.map((m: Json) => m.name)).toEqual(['churn']);
    const versions = await mlflow('GET', 'model-versions/search', { query: { filter: `run_id = '${runId}'`, order_by: ['version_number DESC'] } });
    expect(versions.json.model_versions.map((v: Json) => v.version)).toEqual(['2', '1']);
    const tagged = await mlflow('GET', 'model-versions/search', { query: { filter: "name = 'churn' and tags.validated = 'true'" } });
    expect(tagged.json.model_versions.map((v: Json) => v.version)).toEqual(['2']);
    expect((await mlflow('DELETE', 'model-versions/delete-tag', { body: { name: 'churn', version: '2', key: 'validated' } })).status).toBe(200);
    expect((await mlflow('GET', 'model-versions/search', { query: { filter: "name = 'churn' and tags.validated = 'true'" } })).json).toEqual({});
    expect((await mlflow('DELETE', 'registered-models/delete-tag', { body: { name: 'churn', key: 'team' } })).status).toBe(200);

    const uri = await mlflow('GET', 'model-versions/get-download-uri', { query: { name: 'churn', version: '2' } });
    expect(uri.json).toEqual({ artifact_uri: source });

    // Rename: the versions go along; the old name is gone.
    const renamed = await mlflow('POST', 'registered-models/rename', { body: { name: 'churn', new_name: 'churn-linear' } });
    expect(renamed.json.registered_model).toMatchObject({ name: 'churn-linear', description: 'Churn, linear' });
    const old = await mlflow('GET', 'registered-models/get', { query: { name: 'churn' } });
    expect(errorOf(old)).toEqual({ status: 404, error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Registered Model with name=churn not found' });

    // An ordinary Steward version: deploy it and predict.
    const detail = await steward('GET', '/api/v1/models/churn-linear/versions/2');
    expect(detail.json).toMatchObject({ flavor: 'onnx', status: 'READY', stage: 'Production', servable: true, mlflow: { source, runId, flavors: ['onnx', 'python_function'], reason: null } });
    const dep = await steward('PUT', '/api/v1/deployments/churn-web', { targets: [{ model: 'churn-linear', version: 2, weight: 100 }] });
    expect(dep.status, JSON.stringify(dep.json)).toBe(201);
    const predicted = await steward('POST', '/api/v1/deployments/churn-web/predict', { rows: [{ f0: 1, f1: 2, f2: 3, f3: 4 }] });
    expect(predicted.status, JSON.stringify(predicted.json)).toBe(200);
    const y = LINEAR.W.reduce((s, w, i) => s + w * (i + 1), LINEAR.b[0]!);
    expect(Number((predicted.json.predictions as unknown[]).flat(2)[0])).toBeCloseTo(y, 5);
    expect(predicted.json.modelVersion).toEqual({ model: 'churn-linear', version: 2 });
  });

  it('keeps a scikit-learn model READY but not servable, and deploying it is refused with the reason', async () => {
    const run = await startRun();
    await upload(run.artifactUri, { 'skmodel/MLmodel': sklearnMlmodel(run.runId), 'skmodel/model.pkl': 'cloudpickle bytes', 'skmodel/conda.yaml': CONDA_YAML });
    const mv = await registerModel('churn-sklearn', `${run.artifactUri}/skmodel`, run.runId);
    expect(mv).toMatchObject({ status: 'READY', version: '1' });
    const detail = await steward('GET', '/api/v1/models/churn-sklearn/versions/1');
    expect(detail.json).toMatchObject({ flavor: 'mlflow', servable: false, mlflow: { flavors: ['python_function', 'sklearn'] } });
    const dep = await steward('PUT', '/api/v1/deployments/sk-web', { targets: [{ model: 'churn-sklearn', version: 1, weight: 100 }] });
    expect(dep.status).toBe(422);
    expect(dep.json.error.code).toBe('VERSION_NOT_SERVABLE');
    expect(dep.json.error.message).toMatch(/version 1 of 'churn-sklearn' cannot be deployed: MLflow flavors python_function, sklearn: Steward serves ONNX and xgboost-json models/);
  });

  it('refuses a stage move the project policy does not allow, naming the unmet rule', async () => {
    const policy = await steward('POST', '/api/v1/policies/high/versions', { policy: 'stages:\n  Production: { approvals: 2 }\n', comment: 'two reviewers for production' });
    expect(policy.status, JSON.stringify(policy.json)).toBe(201);
    const mv = await registerModel('credit', `${artifactUri}/model`, runId);
    expect(mv.status).toBe('READY');
    expect((await steward('PATCH', '/api/v1/models/credit', { riskTier: 'high' })).status).toBe(200);
    const staging = await mlflow('POST', 'model-versions/transition-stage', { body: { name: 'credit', version: '1', stage: 'Staging', archive_existing_versions: false } });
    expect(staging.status).toBe(200);
    const prod = await mlflow('POST', 'model-versions/transition-stage', { body: { name: 'credit', version: '1', stage: 'Production', archive_existing_versions: false } });
    expect(prod.status).toBe(409);
    expect(prod.json.error_code).toBe('INVALID_STATE');
    expect(prod.json.message).toMatch(/version 1 of 'credit' may not enter stage Production: needs 2 approvals/);
    expect((await mlflow('GET', 'model-versions/get', { query: { name: 'credit', version: '1' } })).json.model_version.current_stage).toBe('Staging');
  });

  it("answers with MLflow's error shapes, and applies Steward's roles", async () => {
    expect(errorOf(await mlflow('GET', 'registered-models/get', { query: { name: 'nope' } }))).toEqual({
      status: 404,
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: 'Registered Model with name=nope not found',
    });
    expect(errorOf(await mlflow('GET', 'model-versions/get', { query: { name: 'fraud', version: '9' } }))).toEqual({
      status: 404,
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: 'Model Version (name=fraud, version=9) not found',
    });
    const badName = await mlflow('POST', 'registered-models/create', { body: { name: 'my model' } });
    expect(badName.status).toBe(400);
    expect(badName.json.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(badName.json.message).toMatch(/use letters, digits, '-', '_' and '\.'/);
    const noName = await mlflow('POST', 'registered-models/create', { body: {} });
    expect(errorOf(noName)).toEqual({
      status: 400,
      error_code: 'INVALID_PARAMETER_VALUE',
      message: "Missing value for required parameter 'name'. See the API docs for more information about request parameters.",
    });
    const tooMany = await mlflow('GET', 'registered-models/search', { query: { max_results: 5000 } });
    expect(tooMany.status).toBe(400);

    const del = await mlflow('DELETE', 'registered-models/delete', { body: { name: 'fraud' } });
    expect(del.status).toBe(409);
    expect(del.json.error_code).toBe('INVALID_STATE');
    expect(del.json.message).toMatch(/audit trail.*transition-stage with stage 'Archived'/);
    expect((await mlflow('DELETE', 'model-versions/delete', { body: { name: 'churn-linear', version: '1' } })).json.error_code).toBe('INVALID_STATE');
    expect((await mlflow('GET', 'registered-models/get', { query: { name: 'fraud' } })).status).toBe(200); // still there

    // A viewer reads but does not write.
    expect((await mlflow('GET', 'registered-models/search', { auth: viewerAuth })).status).toBe(200);
    expect((await mlflow('GET', 'model-versions/get', { query: { name: 'churn-linear', version: '2' }, auth: viewerAuth })).status).toBe(200);
    for (const [method, path, body] of [
      ['POST', 'registered-models/create', { name: 'viewer-model' }],
      ['POST', 'registered-models/set-tag', { name: 'fraud', key: 'k', value: 'v' }],
      ['POST', 'model-versions/transition-stage', { name: 'churn-linear', version: '1', stage: 'Staging', archive_existing_versions: false }],
      ['POST', 'registered-models/alias', { name: 'churn-linear', alias: 'x', version: '1' }],
      ['POST', 'model-versions/create', { name: 'fraud', source: `${artifactUri}/model` }],
    ] as const) {
      const r = await mlflow(method, path, { body, auth: viewerAuth });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.json.error_code).toBe('PERMISSION_DENIED');
    }
    expect((await mlflow('GET', 'registered-models/search', { auth: 'Bearer stw_not-a-token-000000000000' })).status).toBe(401);
  });

  it('acts in the project named by the mount', async () => {
    const admin = await h.services.auth.authenticate(adminAuth);
    await h.services.projects.create(admin, { name: 'lab' });
    const r = await mlflow('POST', '/projects/lab/api/2.0/mlflow/registered-models/create', { body: { name: 'churn-lab' }, auth: adminAuth });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect((await steward('GET', '/api/v1/models/churn-lab?project=lab')).status).toBe(200);
    expect((await steward('GET', '/api/v1/models/churn-lab')).status).toBe(404);
    // The contributor of 'default' has no role in 'lab'.
    expect((await mlflow('GET', '/projects/lab/api/2.0/mlflow/registered-models/get', { query: { name: 'churn-lab' } })).status).toBe(403);
  });
});
