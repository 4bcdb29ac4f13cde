/**
 * The MLflow tracking REST API and artifact proxy against a real listening Steward, driven over HTTP with the
 * requests the MLflow Python client (2.x) sends: method, path, JSON body or query string, headers. Bodies are
 * what `message_to_json(<Request proto>)` gives in mlflow/store/tracking/rest_store.py (snake_case, unset
 * fields left out, int64 as JSON numbers, enums by name, NaN as "NaN"); GET requests carry the same fields
 * as query parameters (requests' `params=`, repeated keys for lists); uploads are the raw file with the
 * content type guessed from its name (mlflow/store/artifact/http_artifact_repo.py).
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';

let h: Harness;
let base: string;
let port: number;
const tokens: Record<'admin' | 'contributor' | 'viewer' | 'outsider', string> = { admin: '', contributor: '', viewer: '', outsider: '' };

beforeAll(async () => {
  h = await createHarness();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  port = (h.app.server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  tokens.admin = h.adminToken;
  const admin = await h.services.auth.authenticate(`Bearer ${h.adminToken}`);
  await h.services.projects.create(admin, { name: 'vision' });
  await h.services.projects.create(admin, { name: 'elsewhere' });
  tokens.contributor = await h.tokenFor('contributor', 'ana', ['default', 'vision']);
  tokens.viewer = await h.tokenFor('viewer', 'vic');
  tokens.outsider = await h.tokenFor('admin', 'olga', ['elsewhere']);
});
afterAll(() => h.close());

interface Answer {
  status: number;
  json: Record<string, unknown>;
  headers: Headers;
  text: string;
}

type Auth = string | null;

const bearer = (token: string): string => `Bearer ${token}`;
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** An MLflow client call: GET with query parameters (lists as repeated keys), anything else with a JSON body. */
async function call(method: 'GET' | 'POST', path: string, fields: Record<string, unknown> = {}, auth: Auth = bearer(tokens.contributor)): Promise<Answer> {
  const headers: Record<string, string> = { 'user-agent': 'mlflow-python-client/2.14.1', 'accept-encoding': 'identity' };
  if (auth !== null) headers.authorization = auth;
  let url = `${base}${path}`;
  let body: string | undefined;
  if (method === 'GET') {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const item of Array.isArray(v) ? v : [v]) q.append(k, String(item));
    if ([...q].length > 0) url += `?${q}`;
  } else {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(fields);
  }
  const r = await fetch(url, { method, headers, body });
  const text = await r.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = {};
  }
  return { status: r.status, json, headers: r.headers, text };
}

const api = '/api/2.0/mlflow';
const artifactsPath = '/api/2.0/mlflow-artifacts/artifacts';

async function ok(method: 'GET' | 'POST', path: string, fields: Record<string, unknown> = {}, auth?: Auth): Promise<Record<string, unknown>> {
  const r = await call(method, path, fields, auth);
  expect(r.status, `${method} ${path}: ${r.text}`).toBe(200);
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  return r.json;
}

/** Expects MLflow's error answer: the status and {error_code, message}. */
function expectError(r: Answer, status: number, code: string): void {
  expect(r.status, r.text).toBe(status);
  expect(r.json.error_code, r.text).toBe(code);
  expect(typeof r.json.message).toBe('string');
  expect((r.json.message as string).length).toBeGreaterThan(0);
}

/** A raw HTTP request (fetch would normalise `%2e%2e` away before sending it). */
function raw(method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { authorization: bearer(tokens.contributor), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `HttpArtifactRepository.log_artifact`: PUT the file's bytes with the content type guessed from its name. */
function upload(path: string, bytes: Buffer, contentType: string, auth: Auth = bearer(tokens.contributor)): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: 'PUT',
    headers: { 'content-type': contentType, ...(auth !== null ? { authorization: auth } : {}), 'user-agent': 'mlflow-python-client/2.14.1' },
    body: bytes,
  });
}

const T0 = 1_767_225_600_000;
let experimentId = '';
let runId = '';

describe('MLflow tracking: the flow of mlflow.set_experiment / start_run / log_* / end_run', () => {
  it('set_experiment: get-by-name misses with RESOURCE_DOES_NOT_EXIST, then create, then get', async () => {
    // rest_store.get_experiment_by_name: GET experiments/get-by-name {experiment_name}; a 404 makes the client answer None.
    const miss = await call('GET', `${api}/experiments/get-by-name`, { experiment_name: 'contract exp' });
    expectError(miss, 404, 'RESOURCE_DOES_NOT_EXIST');
    // rest_store.create_experiment: POST experiments/create {name, artifact_location?, tags?} (unset fields left out).
    const created = await ok('POST', `${api}/experiments/create`, { name: 'contract exp', tags: [{ key: 'team', value: 'risk' }] });
    expect(created).toEqual({ experiment_id: expect.stringMatching(/^\d+$/) });
    experimentId = created.experiment_id as string;
    // rest_store.get_experiment: GET experiments/get {experiment_id}.
    const got = await ok('GET', `${api}/experiments/get`, { experiment_id: experimentId });
    expect(got).toEqual({
      experiment: {
        experiment_id: experimentId,
        name: 'contract exp',
        artifact_location: `mlflow-artifacts:/${experimentId}`,
        lifecycle_stage: 'active',
        last_update_time: expect.any(Number),
        creation_time: expect.any(Number),
        tags: [{ key: 'team', value: 'risk' }],
      },
    });
    // The name has a space: requests encodes it as '+' in the query string.
    const byName = await ok('GET', `${api}/experiments/get-by-name`, { experiment_name: 'contract exp' });
    expect((byName.experiment as { experiment_id: string }).experiment_id).toBe(experimentId);
  });

  it('start_run: runs/create with the tags the fluent API sends, answered with the whole run', async () => {
    // fluent.start_run(run_name=...) → rest_store.create_run: POST runs/create {experiment_id, user_id, start_time, tags, run_name}.
    const created = await ok('POST', `${api}/runs/create`, {
      experiment_id: experimentId,
      user_id: 'ana-laptop',
      start_time: T0,
      tags: [
        { key: 'mlflow.user', value: 'ana-laptop' },
        { key: 'mlflow.source.name', value: 'train.py' },
        { key: 'mlflow.source.type', value: 'LOCAL' },
        { key: 'mlflow.runName', value: 'contract-run' },
      ],
      run_name: 'contract-run',
    });
    const run = created.run as { info: Record<string, unknown>; data: Record<string, unknown>; inputs: Record<string, unknown> };
    runId = run.info.run_id as string;
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    expect(run.info).toEqual({
      run_id: runId,
      run_uuid: runId,
      run_name: 'contract-run',
      experiment_id: experimentId,
      user_id: 'ana',
      status: 'RUNNING',
      start_time: T0,
      artifact_uri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
      lifecycle_stage: 'active',
    });
    // Nothing logged yet: no metrics or params keys; the tags sent are echoed.
    expect(run.data).toEqual({
      tags: [
        { key: 'mlflow.runName', value: 'contract-run' },
        { key: 'mlflow.source.name', value: 'train.py' },
        { key: 'mlflow.source.type', value: 'LOCAL' },
        { key: 'mlflow.user', value: 'ana-laptop' },
      ],
    });
    expect(run.inputs).toEqual({});
  });

  it('log_param: runs/log-parameter with run_uuid and run_id; the same value again is fine, another is refused', async () => {
    // rest_store.log_param: POST runs/log-parameter {run_uuid, run_id, key, value}.
    expect(await ok('POST', `${api}/runs/log-parameter`, { run_uuid: runId, run_id: runId, key: 'alpha', value: '0.5' })).toEqual({});
    expect(await ok('POST', `${api}/runs/log-parameter`, { run_uuid: runId, run_id: runId, key: 'alpha', value: '0.5' })).toEqual({});
    const changed = await call('POST', `${api}/runs/log-parameter`, { run_uuid: runId, run_id: runId, key: 'alpha', value: '0.9' });
    expectError(changed, 400, 'INVALID_PARAMETER_VALUE');
    expect(changed.json.message).toMatch(/Changing param values is not allowed/);
  });

  it('log_metric: runs/log-metric with timestamp and step, NaN as "NaN"; the legacy run_uuid alone works too', async () => {
    // rest_store.log_metric: POST runs/log-metric {run_uuid, run_id, key, value, timestamp, step}.
    for (const [i, acc] of [0.5, 0.8, 0.95].entries()) {
      expect(await ok('POST', `${api}/runs/log-metric`, { run_uuid: runId, run_id: runId, key: 'acc', value: acc, timestamp: T0 + i, step: i })).toEqual({});
    }
    await ok('POST', `${api}/runs/log-metric`, { run_uuid: runId, run_id: runId, key: 'weird', value: 'NaN', timestamp: T0, step: 0 });
    await ok('POST', `${api}/runs/log-metric`, { run_uuid: runId, key: 'big', value: 'Infinity', timestamp: T0, step: 0 });
    // int64 given as strings (protobuf JSON allows both) are accepted.
    await ok('POST', `${api}/runs/log-metric`, { run_id: runId, key: 'loss', value: 0.25, timestamp: String(T0), step: '0' });
  });

  it('log_params / log_metrics / set_tags: runs/log-batch', async () => {
    // rest_store.log_batch: POST runs/log-batch {run_id, metrics: [{key, value, timestamp, step}], params: [{key, value}], tags: [{key, value}]}.
    const r = await ok('POST', `${api}/runs/log-batch`, {
      run_id: runId,
      metrics: [
        { key: 'loss', value: 0.2, timestamp: T0 + 10, step: 1 },
        { key: 'loss', value: 0.1, timestamp: T0 + 20, step: 2 },
      ],
      params: [
        { key: 'depth', value: '6' },
        { key: 'alpha', value: '0.5' },
      ],
      tags: [
        { key: 'x', value: 'y' },
        { key: 'temp', value: 'gone soon' },
      ],
    });
    expect(r).toEqual({});
  });

  it('set_tag and delete_tag', async () => {
    // rest_store.set_tag: POST runs/set-tag {run_uuid, run_id, key, value}; delete_tag: POST runs/delete-tag {run_id, key}.
    expect(await ok('POST', `${api}/runs/set-tag`, { run_uuid: runId, run_id: runId, key: 'stage', value: 'dev' })).toEqual({});
    expect(await ok('POST', `${api}/runs/delete-tag`, { run_id: runId, key: 'temp' })).toEqual({});
    expectError(await call('POST', `${api}/runs/delete-tag`, { run_id: runId, key: 'temp' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('log_input: runs/log-inputs, shown in the run as inputs.dataset_inputs', async () => {
    // rest_store.log_inputs: POST runs/log-inputs {run_id, datasets: [{tags, dataset: {name, digest, source_type, source, schema, profile}}]}.
    const dataset = {
      name: 'iris',
      digest: 'a1b2c3d4',
      source_type: 'local',
      source: '{"uri": "/data/iris.csv"}',
      schema: '{"mlflow_colspec": [{"type": "double", "name": "x"}]}',
      profile: '{"num_rows": 150}',
    };
    expect(await ok('POST', `${api}/runs/log-inputs`, { run_id: runId, datasets: [{ tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset }] })).toEqual({});
    const run = (await ok('GET', `${api}/runs/get`, { run_uuid: runId, run_id: runId })).run as { inputs: unknown };
    expect(run.inputs).toEqual({ dataset_inputs: [{ tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset }] });
  });

  it('log_model: runs/log-model keeps the model in the mlflow.log-model.history tag', async () => {
    // rest_store.log_model: POST runs/log-model {run_id, model_json: json.dumps(Model.to_dict())}.
    const model = { run_id: runId, artifact_path: 'model', utc_time_created: '2026-01-01 00:00:00.000000', flavors: { onnx: { data: 'model.onnx' } }, model_uuid: 'abc' };
    expect(await ok('POST', `${api}/runs/log-model`, { run_id: runId, model_json: JSON.stringify(model) })).toEqual({});
    const run = (await ok('GET', `${api}/runs/get`, { run_uuid: runId, run_id: runId })).run as { data: { tags: { key: string; value: string }[] } };
    const history = run.data.tags.find((t) => t.key === 'mlflow.log-model.history');
    expect(JSON.parse(history!.value)).toEqual([model]);
    expectError(await call('POST', `${api}/runs/log-model`, { run_id: runId, model_json: '{not json' }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('end_run: runs/update to FINISHED answers run_info', async () => {
    // rest_store.update_run_info: POST runs/update {run_uuid, run_id, status, end_time, run_name?}.
    const r = await ok('POST', `${api}/runs/update`, { run_uuid: runId, run_id: runId, status: 'FINISHED', end_time: T0 + 60_000 });
    expect(r).toEqual({
      run_info: {
        run_id: runId,
        run_uuid: runId,
        run_name: 'contract-run',
        experiment_id: experimentId,
        user_id: 'ana',
        status: 'FINISHED',
        start_time: T0,
        end_time: T0 + 60_000,
        artifact_uri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
        lifecycle_stage: 'active',
      },
    });
  });

  it('runs/get: the run with the latest value of each metric, params and tags', async () => {
    // rest_store.get_run: GET runs/get {run_uuid, run_id}.
    const { run } = (await ok('GET', `${api}/runs/get`, { run_uuid: runId, run_id: runId })) as { run: { info: Record<string, unknown>; data: Record<string, unknown> } };
    expect(run.info).toMatchObject({ status: 'FINISHED', end_time: T0 + 60_000 });
    expect(run.data.metrics).toEqual([
      { key: 'acc', value: 0.95, timestamp: T0 + 2, step: 2 },
      { key: 'big', value: 'Infinity', timestamp: T0, step: 0 },
      { key: 'loss', value: 0.1, timestamp: T0 + 20, step: 2 },
      { key: 'weird', value: 'NaN', timestamp: T0, step: 0 },
    ]);
    expect(run.data.params).toEqual([
      { key: 'alpha', value: '0.5' },
      { key: 'depth', value: '6' },
    ]);
    const tags = Object.fromEntries((run.data.tags as { key: string; value: string }[]).map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({ x: 'y', stage: 'dev', 'mlflow.runName': 'contract-run', 'mlflow.user': 'ana-laptop' });
    expect(tags).not.toHaveProperty('temp');
  });

  it('metrics/get-history: every point, and pages that the client follows while a token comes back', async () => {
    // rest_store.get_metric_history: GET metrics/get-history {run_uuid, run_id, metric_key, max_results, page_token?}.
    const all = await ok('GET', `${api}/metrics/get-history`, { run_uuid: runId, run_id: runId, metric_key: 'acc', max_results: 25000 });
    expect(all).toEqual({
      metrics: [
        { key: 'acc', value: 0.5, timestamp: T0, step: 0 },
        { key: 'acc', value: 0.8, timestamp: T0 + 1, step: 1 },
        { key: 'acc', value: 0.95, timestamp: T0 + 2, step: 2 },
      ],
    });
    const values: unknown[] = [];
    let token: string | undefined;
    let calls = 0;
    do {
      const page = await ok('GET', `${api}/metrics/get-history`, { run_uuid: runId, run_id: runId, metric_key: 'acc', max_results: 2, ...(token ? { page_token: token } : {}) });
      values.push(...(page.metrics as { value: unknown }[]).map((m) => m.value));
      token = page.next_page_token as string | undefined;
      calls++;
    } while (token && calls < 5);
    expect(values).toEqual([0.5, 0.8, 0.95]);
    expect(calls).toBe(2);
    // NaN and infinities in the history as protobuf JSON writes them.
    const weird = await ok('GET', `${api}/metrics/get-history`, { run_uuid: runId, run_id: runId, metric_key: 'weird', max_results: 25000 });
    expect(weird).toEqual({ metrics: [{ key: 'weird', value: 'NaN', timestamp: T0, step: 0 }] });
    const big = await ok('GET', `${api}/metrics/get-history`, { run_uuid: runId, run_id: runId, metric_key: 'big', max_results: 25000 });
    expect(big).toEqual({ metrics: [{ key: 'big', value: 'Infinity', timestamp: T0, step: 0 }] });
    // A metric never logged: an empty answer.
    expect(await ok('GET', `${api}/metrics/get-history`, { run_uuid: runId, run_id: runId, metric_key: 'never', max_results: 25000 })).toEqual({});
  });
});

describe('MLflow runs/search', () => {
  const names = (r: Record<string, unknown>) => ((r.runs ?? []) as { info: { run_name: string } }[]).map((x) => x.info.run_name);
  let searchExp = '';

  beforeAll(async () => {
    searchExp = (await ok('POST', `${api}/experiments/create`, { name: 'contract-search' })).experiment_id as string;
    const specs = [
      { name: 's1', acc: 0.95, alpha: '0.5', x: 'y', finish: true },
      { name: 's2', acc: 0.91, alpha: '0.5', x: 'y', finish: false },
      { name: 's3', acc: 0.99, alpha: '0.1', x: 'y', finish: true },
      { name: 's4', acc: 0.5, alpha: '0.5', x: 'y', finish: true },
      { name: 's5', acc: 0.97, alpha: '0.5', x: 'z', finish: true },
      { name: 's6', acc: 0.93, alpha: '0.5', x: 'y', finish: true },
    ];
    for (const [i, s] of specs.entries()) {
      const run = (await ok('POST', `${api}/runs/create`, { experiment_id: searchExp, user_id: 'ana', start_time: T0 + i, tags: [{ key: 'mlflow.runName', value: s.name }], run_name: s.name })).run as {
        info: { run_id: string };
      };
      const id = run.info.run_id;
      await ok('POST', `${api}/runs/log-batch`, { run_id: id, metrics: [{ key: 'acc', value: s.acc, timestamp: T0, step: 0 }], params: [{ key: 'alpha', value: s.alpha }], tags: [{ key: 'x', value: s.x }] });
      if (s.finish) await ok('POST', `${api}/runs/update`, { run_uuid: id, run_id: id, status: 'FINISHED', end_time: T0 + 1000 });
    }
  });

  // rest_store.search_runs: POST runs/search {experiment_ids, filter, run_view_type, max_results, order_by, page_token?}.
  const search = (fields: Record<string, unknown>) => ok('POST', `${api}/runs/search`, { experiment_ids: [searchExp], run_view_type: 'ACTIVE_ONLY', max_results: 1000, ...fields });

  it('filters on metrics, params and tags, ordered as asked', async () => {
    const r = await search({ filter: "metrics.acc > 0.9 and params.alpha = '0.5' and tags.x = 'y'", order_by: ['metrics.acc DESC'] });
    expect(names(r)).toEqual(['s1', 's6', 's2']);
    expect(r).not.toHaveProperty('next_page_token');
    const run = (r.runs as { info: Record<string, unknown>; data: Record<string, unknown> }[])[0]!;
    expect(run.info).toMatchObject({ run_name: 's1', experiment_id: searchExp, status: 'FINISHED' });
    expect(run.data).toMatchObject({ metrics: [{ key: 'acc', value: 0.95, timestamp: T0, step: 0 }], params: [{ key: 'alpha', value: '0.5' }] });
  });

  it("filters on attributes.status = 'FINISHED'", async () => {
    const r = await search({ filter: "attributes.status = 'FINISHED'", order_by: ['attributes.run_name ASC'] });
    expect(names(r)).toEqual(['s1', 's3', 's4', 's5', 's6']);
  });

  it('pages with next_page_token until none comes back; no order_by is newest first', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let calls = 0;
    do {
      const r = await search({ order_by: ['metrics.acc ASC'], max_results: 4, ...(token ? { page_token: token } : {}) });
      seen.push(...names(r));
      token = r.next_page_token as string | undefined;
      calls++;
    } while (token && calls < 5);
    expect(seen).toEqual(['s4', 's2', 's6', 's1', 's5', 's3']);
    expect(calls).toBe(2);
    expect(names(await search({ max_results: 2 }))).toEqual(['s6', 's5']);
  });

  it('answers {} when nothing matches, and 400 for a filter it cannot parse', async () => {
    expect(await search({ filter: 'metrics.acc > 2' })).toEqual({});
    expectError(await call('POST', `${api}/runs/search`, { experiment_ids: [searchExp], filter: 'metrics.acc >>> 1' }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('experiments/search (POST as the client sends it, and GET) finds experiments by name', async () => {
    // rest_store.search_experiments: POST experiments/search {view_type, max_results, order_by?, filter?, page_token?}.
    const r = await ok('POST', `${api}/experiments/search`, { view_type: 'ACTIVE_ONLY', max_results: 1000, filter: "name LIKE 'contract%'", order_by: ['name ASC'] });
    expect((r.experiments as { name: string }[]).map((e) => e.name)).toEqual(['contract exp', 'contract-search']);
    // An experiment without tags has no `tags` key (empty lists are left out).
    expect((r.experiments as Record<string, unknown>[])[1]).not.toHaveProperty('tags');
    const page = await ok('GET', `${api}/experiments/search`, { max_results: 1, filter: "name LIKE 'contract%'", order_by: ['name DESC'] });
    expect((page.experiments as { name: string }[]).map((e) => e.name)).toEqual(['contract-search']);
    expect(page.next_page_token).toEqual(expect.any(String));
    expect(await ok('POST', `${api}/experiments/search`, { view_type: 'ACTIVE_ONLY', max_results: 1000, filter: "name = 'none such'" })).toEqual({});
  });
});

describe('MLflow artifact proxy', () => {
  let root = '';
  const bin = randomBytes(3 * 1024 * 1024 + 17); // larger than the JSON body limit: uploads are streamed
  // Odd spacing: a JSON file must be stored byte for byte, never parsed and re-serialised.
  const json = Buffer.from('{ "accuracy" :0.95,\n  "labels": ["a" , "b"] }\n');
  const mlmodel = Buffer.from('artifact_path: model\nflavors:\n  onnx:\n    data: model.onnx\n');

  beforeAll(() => {
    root = `${artifactsPath}/${experimentId}/${runId}/artifacts`;
  });

  it('takes uploads of any content type (PUT, raw body) and answers {}', async () => {
    for (const [path, bytes, type] of [
      ['metrics.json', json, 'application/json'],
      ['model/MLmodel', mlmodel, 'application/octet-stream'],
      ['model/model.onnx', bin, 'application/octet-stream'],
      ['model/data/notes.txt', Buffer.from('hello\n'), 'text/plain'],
    ] as const) {
      const r = await upload(`${root}/${path}`, bytes, type);
      expect(r.status, `${path}: ${await r.clone().text()}`).toBe(200);
      expect(await r.json()).toEqual({});
    }
  });

  it('lists a folder one level deep, paths relative to it, folders without a size', async () => {
    // HttpArtifactRepository.list_artifacts: GET /api/2.0/mlflow-artifacts/artifacts?path=<exp>/<run>/artifacts[/<sub>].
    const top = await ok('GET', artifactsPath, { path: `${experimentId}/${runId}/artifacts` });
    expect(top).toEqual({
      files: [
        { path: 'metrics.json', is_dir: false, file_size: json.length },
        { path: 'model', is_dir: true },
      ],
    });
    const model = await ok('GET', artifactsPath, { path: `${experimentId}/${runId}/artifacts/model` });
    expect(model).toEqual({
      files: [
        { path: 'MLmodel', is_dir: false, file_size: mlmodel.length },
        { path: 'data', is_dir: true },
        { path: 'model.onnx', is_dir: false, file_size: bin.length },
      ],
    });
    // A file, or a folder with nothing in it, lists as {}: the client then downloads the path as a file.
    expect(await ok('GET', artifactsPath, { path: `${experimentId}/${runId}/artifacts/metrics.json` })).toEqual({});
    expect(await ok('GET', artifactsPath, { path: `${experimentId}/${runId}/artifacts/nothing-here` })).toEqual({});
  });

  it('downloads every file byte for byte, with its length', async () => {
    for (const [path, bytes] of [
      ['metrics.json', json],
      ['model/MLmodel', mlmodel],
      ['model/model.onnx', bin],
    ] as const) {
      const r = await fetch(`${base}${root}/${path}`, { headers: { authorization: bearer(tokens.viewer) } });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-length')).toBe(String(bytes.length));
      expect(r.headers.get('content-disposition')).toContain(`filename="${path.split('/').pop()}"`);
      expect(Buffer.compare(Buffer.from(await r.arrayBuffer()), bytes), path).toBe(0);
    }
    const jsonAnswer = await fetch(`${base}${root}/metrics.json`, { headers: { authorization: bearer(tokens.viewer) } });
    expect(jsonAnswer.headers.get('content-type')).toMatch(/^application\/json/);
    const binAnswer = await fetch(`${base}${root}/model/model.onnx`, { headers: { authorization: bearer(tokens.viewer) } });
    expect(binAnswer.headers.get('content-type')).toBe('application/octet-stream');
    await binAnswer.arrayBuffer();
    const missing = await call('GET', `${root}/no/such/file.txt`);
    expectError(missing, 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('refuses paths that climb out, however they are encoded, and stores nothing', async () => {
    for (const sneaky of [`${root}/%2e%2e/%2e%2e/escape.txt`, `${root}/..%2F..%2Fescape.txt`, `${root}/%2E%2E/escape.txt`, `${root}/a/../../escape.txt`]) {
      const r = await raw('PUT', sneaky, Buffer.from('x'), { 'content-type': 'text/plain' });
      expect(r.status, `${sneaky}: ${r.body.toString()}`).toBe(400);
      expect(JSON.parse(r.body.toString())).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' });
      const get = await raw('GET', sneaky);
      expect(get.status, sneaky).toBe(400);
    }
    const listed = await ok('GET', artifactsPath, { path: `${experimentId}/${runId}` });
    expect(listed).toEqual({ files: [{ path: 'artifacts', is_dir: true }] });
    expectError(await call('GET', artifactsPath, { path: `${experimentId}/../x` }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('deletes a file, then a whole folder (DELETE)', async () => {
    const one = await fetch(`${base}${root}/model/data/notes.txt`, { method: 'DELETE', headers: { authorization: bearer(tokens.contributor) } });
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual({});
    const folder = await fetch(`${base}${root}/model`, { method: 'DELETE', headers: { authorization: bearer(tokens.contributor) } });
    expect(folder.status).toBe(200);
    expect(await ok('GET', artifactsPath, { path: `${experimentId}/${runId}/artifacts` })).toEqual({ files: [{ path: 'metrics.json', is_dir: false, file_size: json.length }] });
  });

  it('asks for a token, and for the contributor role to upload', async () => {
    const anonymous = await upload(`${root}/anon.txt`, Buffer.from('x'), 'text/plain', null);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error_code: 'UNAUTHENTICATED' });
    const byViewer = await upload(`${root}/viewer.txt`, Buffer.from('x'), 'text/plain', bearer(tokens.viewer));
    expect(byViewer.status).toBe(403);
    expect(await byViewer.json()).toMatchObject({ error_code: 'PERMISSION_DENIED' });
  });
});

describe('MLflow errors', () => {
  it('RESOURCE_DOES_NOT_EXIST (404) for a missing run or experiment', async () => {
    const missing = 'f'.repeat(32);
    expectError(await call('GET', `${api}/runs/get`, { run_uuid: missing, run_id: missing }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await call('POST', `${api}/runs/log-metric`, { run_uuid: missing, run_id: missing, key: 'm', value: 1, timestamp: T0, step: 0 }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await call('GET', `${api}/experiments/get`, { experiment_id: '987654' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('RESOURCE_ALREADY_EXISTS (400, as MLflow answers) for a duplicate experiment', async () => {
    expectError(await call('POST', `${api}/experiments/create`, { name: 'contract exp' }), 400, 'RESOURCE_ALREADY_EXISTS');
  });

  it('INVALID_PARAMETER_VALUE (400) for bad values and missing fields', async () => {
    expectError(await call('POST', `${api}/runs/log-metric`, { run_uuid: runId, run_id: runId, key: 'm', value: 'abc', timestamp: T0, step: 0 }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await call('POST', `${api}/runs/log-metric`, { key: 'm', value: 1, timestamp: T0 }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await call('POST', `${api}/runs/log-batch`, { run_id: runId, metrics: Array.from({ length: 1001 }, (_, i) => ({ key: 'm', value: i, timestamp: T0, step: i })) }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await call('POST', `${api}/experiments/create`, { name: '' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await call('POST', `${api}/runs/update`, { run_id: runId, status: 'DONE' }), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('takes a body that older clients encoded twice (a JSON string holding the object)', async () => {
    const r = await fetch(`${base}${api}/runs/set-tag`, {
      method: 'POST',
      headers: { authorization: bearer(tokens.contributor), 'content-type': 'application/json' },
      body: JSON.stringify(JSON.stringify({ run_id: runId, key: 'twice', value: 'encoded' })),
    });
    expect(r.status, await r.clone().text()).toBe(200);
    const run = (await ok('GET', `${api}/runs/get`, { run_uuid: runId, run_id: runId })).run as { data: { tags: { key: string; value: string }[] } };
    expect(run.data.tags).toContainEqual({ key: 'twice', value: 'encoded' });
  });

  it('ENDPOINT_NOT_FOUND (404) for an endpoint that does not exist, GET or POST', async () => {
    expectError(await call('POST', `${api}/runs/frobnicate`, { run_id: runId }), 404, 'ENDPOINT_NOT_FOUND');
    expectError(await call('GET', `${api}/logged-models/abc`), 404, 'ENDPOINT_NOT_FOUND');
    expectError(await call('GET', '/projects/vision/api/2.0/mlflow/nothing'), 404, 'ENDPOINT_NOT_FOUND');
  });

  it('deleted runs refuse logging with INVALID_PARAMETER_VALUE until restored', async () => {
    const created = (await ok('POST', `${api}/runs/create`, { experiment_id: experimentId, user_id: 'ana', start_time: T0, tags: [] })).run as { info: { run_id: string } };
    const id = created.info.run_id;
    expect(await ok('POST', `${api}/runs/delete`, { run_id: id })).toEqual({});
    const refused = await call('POST', `${api}/runs/log-metric`, { run_uuid: id, run_id: id, key: 'm', value: 1, timestamp: T0, step: 0 });
    expectError(refused, 400, 'INVALID_PARAMETER_VALUE');
    expect(refused.json.message).toBe(`The run ${id} must be in the 'active' state. Current state is deleted.`);
    expect(((await ok('GET', `${api}/runs/get`, { run_uuid: id, run_id: id })).run as { info: { lifecycle_stage: string } }).info.lifecycle_stage).toBe('deleted');
    expect(await ok('POST', `${api}/runs/restore`, { run_id: id })).toEqual({});
    expect(await ok('POST', `${api}/runs/log-metric`, { run_uuid: id, run_id: id, key: 'm', value: 1, timestamp: T0, step: 0 })).toEqual({});
  });
});

describe('MLflow authentication, roles and project mounts', () => {
  it('takes the token as Bearer (MLFLOW_TRACKING_TOKEN) or as the Basic password (MLFLOW_TRACKING_USERNAME/PASSWORD)', async () => {
    expect(((await ok('GET', `${api}/runs/get`, { run_uuid: runId, run_id: runId }, bearer(tokens.contributor))).run as { info: { run_id: string } }).info.run_id).toBe(runId);
    expect(((await ok('GET', `${api}/runs/get`, { run_uuid: runId, run_id: runId }, basic('ana', tokens.contributor))).run as { info: { run_id: string } }).info.run_id).toBe(runId);
    expectError(await call('GET', `${api}/runs/get`, { run_uuid: runId, run_id: runId }, basic('someone-else', tokens.contributor)), 401, 'UNAUTHENTICATED');
    expectError(await call('GET', `${api}/runs/get`, { run_uuid: runId, run_id: runId }, bearer('stw_not-a-real-token')), 401, 'UNAUTHENTICATED');
    expectError(await call('GET', `${api}/runs/get`, { run_uuid: runId, run_id: runId }, null), 401, 'UNAUTHENTICATED');
    expectError(await call('POST', `${api}/experiments/create`, { name: 'anonymous' }, null), 401, 'UNAUTHENTICATED');
  });

  it('a viewer reads but gets PERMISSION_DENIED on writes; a user without a role in the project gets 403', async () => {
    const viewer = bearer(tokens.viewer);
    await ok('GET', `${api}/runs/get`, { run_uuid: runId, run_id: runId }, viewer);
    await ok('GET', `${api}/metrics/get-history`, { run_uuid: runId, run_id: runId, metric_key: 'acc', max_results: 25000 }, viewer);
    await ok('POST', `${api}/runs/search`, { experiment_ids: [experimentId], max_results: 10 }, viewer);
    expectError(await call('POST', `${api}/runs/log-metric`, { run_uuid: runId, run_id: runId, key: 'm', value: 1, timestamp: T0, step: 0 }, viewer), 403, 'PERMISSION_DENIED');
    expectError(await call('POST', `${api}/experiments/create`, { name: 'by-viewer' }, viewer), 403, 'PERMISSION_DENIED');
    expectError(await call('POST', `${api}/runs/create`, { experiment_id: experimentId, start_time: T0 }, viewer), 403, 'PERMISSION_DENIED');

    const outsider = bearer(tokens.outsider);
    expectError(await call('GET', `${api}/runs/get`, { run_uuid: runId, run_id: runId }, outsider), 403, 'PERMISSION_DENIED');
    expectError(await call('GET', `${api}/experiments/get`, { experiment_id: experimentId }, outsider), 403, 'PERMISSION_DENIED');
    expectError(await call('POST', `${api}/runs/search`, { experiment_ids: [experimentId] }, outsider), 403, 'PERMISSION_DENIED');
    const download = await fetch(`${base}${artifactsPath}/${experimentId}/${runId}/artifacts/metrics.json`, { headers: { authorization: outsider } });
    expect(download.status).toBe(403);
    expect(await download.json()).toMatchObject({ error_code: 'PERMISSION_DENIED' });
  });

  it('/projects/<project>/api/2.0 acts in that project: its own experiments, its own default experiment "0", its own artifacts', async () => {
    const vision = '/projects/vision/api/2.0/mlflow';
    const created = await ok('POST', `${vision}/experiments/create`, { name: 'contract exp' }); // the same name as in default: another project
    const visionExp = created.experiment_id as string;
    expect(visionExp).not.toBe(experimentId);
    expect(((await ok('GET', `${vision}/experiments/get-by-name`, { experiment_name: 'contract exp' })).experiment as { experiment_id: string }).experiment_id).toBe(visionExp);
    expect(((await ok('GET', `${api}/experiments/get-by-name`, { experiment_name: 'contract exp' })).experiment as { experiment_id: string }).experiment_id).toBe(experimentId);

    // mlflow.start_run() without an experiment: experiment_id "0" is each project's Default experiment.
    const inVision = (await ok('POST', `${vision}/runs/create`, { experiment_id: '0', user_id: 'ana', start_time: T0, tags: [] })).run as { info: { experiment_id: string; run_id: string; artifact_uri: string } };
    const inDefault = (await ok('POST', `${api}/runs/create`, { experiment_id: '0', user_id: 'ana', start_time: T0, tags: [] })).run as { info: { experiment_id: string } };
    expect(inVision.info.experiment_id).not.toBe(inDefault.info.experiment_id);
    const visionDefault = (await ok('GET', `${vision}/experiments/get`, { experiment_id: '0' })).experiment as { experiment_id: string; name: string };
    expect(visionDefault).toMatchObject({ experiment_id: inVision.info.experiment_id, name: 'Default' });

    // Artifacts through the project's mount (the client resolves mlflow-artifacts:/ against the tracking URI).
    const path = `${inVision.info.artifact_uri.replace('mlflow-artifacts:', '/projects/vision/api/2.0/mlflow-artifacts/artifacts')}/hello.txt`;
    const put = await upload(path, Buffer.from('hi'), 'text/plain');
    expect(put.status, await put.clone().text()).toBe(200);
    const back = await fetch(`${base}${path}`, { headers: { authorization: bearer(tokens.contributor) } });
    expect(await back.text()).toBe('hi');

    // The viewer of default has no role in vision.
    expectError(await call('GET', `${vision}/experiments/get-by-name`, { experiment_name: 'contract exp' }, bearer(tokens.viewer)), 403, 'PERMISSION_DENIED');
    expectError(await call('GET', '/projects/no-such-project/api/2.0/mlflow/experiments/get', { experiment_id: '0' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('stays out of Steward\'s OpenAPI document', async () => {
    const doc = (h.app as unknown as { swagger(): { paths: Record<string, unknown> } }).swagger();
    expect(Object.keys(doc.paths).filter((p) => p.includes('mlflow'))).toEqual([]);
  });
});

describe('MLflow experiment lifecycle', () => {
  it('update renames; delete and restore carry the runs; set-experiment-tag', async () => {
    const id = (await ok('POST', `${api}/experiments/create`, { name: 'lifecycle' })).experiment_id as string;
    const run = ((await ok('POST', `${api}/runs/create`, { experiment_id: id, user_id: 'ana', start_time: T0, tags: [] })).run as { info: { run_id: string } }).info.run_id;
    expect(await ok('POST', `${api}/experiments/update`, { experiment_id: id, new_name: 'lifecycle-2' })).toEqual({});
    expect(await ok('POST', `${api}/experiments/set-experiment-tag`, { experiment_id: id, key: 'owner', value: 'ana' })).toEqual({});
    const got = (await ok('GET', `${api}/experiments/get`, { experiment_id: id })).experiment as Record<string, unknown>;
    expect(got).toMatchObject({ name: 'lifecycle-2', tags: [{ key: 'owner', value: 'ana' }] });

    expect(await ok('POST', `${api}/experiments/delete`, { experiment_id: id })).toEqual({});
    expect(((await ok('GET', `${api}/experiments/get`, { experiment_id: id })).experiment as { lifecycle_stage: string }).lifecycle_stage).toBe('deleted');
    expect(((await ok('GET', `${api}/runs/get`, { run_uuid: run, run_id: run })).run as { info: { lifecycle_stage: string } }).info.lifecycle_stage).toBe('deleted');
    expect(await ok('POST', `${api}/runs/search`, { experiment_ids: [id], run_view_type: 'ACTIVE_ONLY', max_results: 1000 })).toEqual({});
    const deleted = await ok('POST', `${api}/runs/search`, { experiment_ids: [id], run_view_type: 'DELETED_ONLY', max_results: 1000 });
    expect((deleted.runs as unknown[]).length).toBe(1);
    expectError(await call('POST', `${api}/runs/create`, { experiment_id: id, start_time: T0 }), 400, 'INVALID_PARAMETER_VALUE');

    expect(await ok('POST', `${api}/experiments/restore`, { experiment_id: id })).toEqual({});
    expect(((await ok('GET', `${api}/runs/get`, { run_uuid: run, run_id: run })).run as { info: { lifecycle_stage: string } }).info.lifecycle_stage).toBe('active');
  });
});
