/**
 * Deployments and inference through HTTP (inject), run on each database (deployments.routes.test.ts:
 * SQLite; deployments.routes.postgres.test.ts: PostgreSQL): revisions, rollback, alias following,
 * validation of changes and payloads, the three protocols, token limits, and the prediction log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINEAR, linearModel, mlpModel } from '../../../test/fixtures/models.js';
import { createHarness, versionUpload, type Harness, type HarnessOptions } from '../../../test/support/harness.js';
import { findPrediction, readPredictions } from '../../serving/prediction-log/prediction-log-reader.js';
import type { PredictionRecord } from '../../serving/prediction-log/prediction-log.js';

export function deploymentsApiContract(backend: string, options: () => HarnessOptions): void {
describe(`deployments and inference on ${backend}`, () => {

let h: Harness;
let maintainer: Record<string, string>;
let viewer: Record<string, string>;
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

/** The linear fixture's prediction, computed in float64 from its float32 weights. */
function linear(x: number[]): number {
  return x.reduce((s, v, i) => s + Math.fround(v) * LINEAR.W[i]!, LINEAR.b[0]!);
}

async function register(model: string, bytes: Uint8Array) {
  await h.app.inject({ method: 'POST', url: '/api/v1/models', headers: maintainer, payload: { name: model } });
  const { body, contentType } = versionUpload(bytes);
  const r = await h.app.inject({ method: 'POST', url: `/api/v1/models/${model}/versions`, headers: { ...maintainer, 'content-type': contentType }, payload: body });
  expect(r.statusCode).toBe(201);
  return r.json().version as number;
}

const put = (name: string, payload: unknown, headers = maintainer) => h.app.inject({ method: 'PUT', url: `/api/v1/deployments/${name}`, headers, payload: payload as object });
const predict = (name: string, payload: unknown, headers: Record<string, string> = viewer) =>
  h.app.inject({ method: 'POST', url: `/api/v1/deployments/${name}/predict`, headers, payload: payload as object });

beforeAll(async () => {
  h = await createHarness(options());
  maintainer = bearer(await h.tokenFor('deployer', 'maria'));
  viewer = bearer(await h.tokenFor('viewer', 'victor'));
  await register('lin', linearModel()); // v1
  await register('lin', linearModel()); // v2 (same bytes: one runtime)
  await register('mlp', mlpModel());
});
afterAll(() => h.close());

describe('deployments', () => {
  it('creates a deployment, serves it, and logs every prediction before answering', async () => {
    const r = await put('price', { targets: [{ model: 'lin', version: 1, weight: 100 }], comment: 'first' });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ name: 'price', revision: 1, live: true, spec: { targets: [{ model: 'lin', version: 1, weight: 100, alias: null }], batching: null, public: false } });
    const rows = [
      { f0: 1, f1: 2, f2: 3, f3: 4 },
      { f0: -1, f1: 0.5, f2: 0, f3: 2 },
    ];
    const p = await predict('price', { rows });
    expect(p.statusCode).toBe(200);
    const body = p.json();
    expect(body.modelVersion).toEqual({ model: 'lin', version: 1 });
    expect(body.predictions).toHaveLength(2);
    rows.forEach((row, i) => expect(body.predictions[i]).toBeCloseTo(linear([row.f0, row.f1, row.f2, row.f3]), 5));
    expect(p.headers['x-prediction-id']).toBe(body.predictionIds.join(','));
    const logged = await findPrediction(h.predictionLog.dir, body.predictionIds[1]);
    expect(logged).toMatchObject({ deployment: 'price', project: 'default', revision: 1, model: 'lin', version: 1, inputs: rows[1] });
    expect(logged!.outputs).toBeCloseTo(body.predictions[1], 6);
  });

  it('accepts columns as well as rows, and gives the same predictions', async () => {
    const a = (await predict('price', { rows: [{ f0: 1, f1: 2, f2: 3, f3: 4 }] })).json().predictions;
    const b = (await predict('price', { columns: { f0: [1], f1: [2], f2: [3], f3: [4] } })).json().predictions;
    expect(b).toEqual(a);
  });

  it('refuses bad changes with 4xx and leaves the live revision untouched', async () => {
    const cases: [unknown, number, RegExp][] = [
      [{ targets: [{ model: 'lin', version: 1, weight: 90 }] }, 400, /sum to 100; they sum to 90/],
      [{ targets: [{ model: 'lin', version: 9, weight: 100 }] }, 400, /no version 9/],
      [{ targets: [{ model: 'lin', alias: 'nope', weight: 100 }] }, 400, /no alias 'nope'/],
      [{ targets: [{ model: 'ghost', version: 1, weight: 100 }] }, 400, /no model named 'ghost'/],
      [{ targets: [{ model: 'lin', version: 1, alias: 'x', weight: 100 }] }, 400, /exactly one of version and alias/],
      [{ targets: [] }, 400, /targets/],
      [{ targets: [{ model: 'lin', version: 1, weight: 50 }, { model: 'lin', version: 1, weight: 50 }] }, 400, /listed twice/],
      [{ targets: [{ model: 'lin', version: 1, weight: 100 }], extra: 1 }, 400, /extra/],
    ];
    for (const [payload, status, message] of cases) {
      const r = await put('price', payload);
      expect(r.statusCode, JSON.stringify(payload)).toBe(status);
      expect(r.json().error.message).toMatch(message);
    }
    const d = (await h.app.inject({ method: 'GET', url: '/api/v1/deployments/price', headers: viewer })).json();
    expect(d.revision).toBe(1);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/deployments/price/revisions', headers: viewer })).json().items).toHaveLength(1);
  });

  it('keeps every change as a revision and rolls back in one call', async () => {
    expect((await put('price', { targets: [{ model: 'lin', version: 1, weight: 50 }, { model: 'lin', version: 2, weight: 50 }], comment: 'canary' })).json().revision).toBe(2);
    const rb = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/price/rollback', headers: maintainer, payload: {} });
    expect(rb.statusCode).toBe(200);
    expect(rb.json()).toMatchObject({ revision: 3, spec: { targets: [{ version: 1, weight: 100 }] } });
    const revs = (await h.app.inject({ method: 'GET', url: '/api/v1/deployments/price/revisions', headers: viewer })).json().items;
    expect(revs.map((r: { revision: number; cause: string; current: boolean }) => [r.revision, r.cause, r.current])).toEqual([
      [3, 'rollback', true],
      [2, 'update', false],
      [1, 'update', false],
    ]);
    expect(revs[1]).toMatchObject({ comment: 'canary', createdBy: 'maria' });
    const back = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/price/rollback', headers: maintainer, payload: { revision: 2, comment: 'canary again' } });
    expect(back.statusCode).toBe(200);
    expect(back.json().spec.targets).toHaveLength(2);
    const latest = (await h.app.inject({ method: 'GET', url: '/api/v1/deployments/price/revisions', headers: viewer })).json().items[0];
    expect(latest).toMatchObject({ revision: 4, cause: 'rollback', comment: 'rollback to revision 2: canary again' });
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/deployments/price/rollback', headers: maintainer, payload: { revision: 99 } })).statusCode).toBe(404);
  });

  it('follows an alias when it moves, as a new revision, and refuses to delete a followed alias', async () => {
    await h.app.inject({ method: 'PUT', url: '/api/v1/models/lin/aliases/champion', headers: maintainer, payload: { version: 1 } });
    const r = await put('follow', { targets: [{ model: 'lin', alias: 'champion', weight: 100 }] });
    expect(r.json().spec.targets[0]).toMatchObject({ alias: 'champion', version: 1 });
    const moved = await h.app.inject({ method: 'PUT', url: '/api/v1/models/lin/aliases/champion', headers: maintainer, payload: { version: 2 } });
    expect(moved.statusCode).toBe(200);
    const d = (await h.app.inject({ method: 'GET', url: '/api/v1/deployments/follow', headers: viewer })).json();
    expect(d).toMatchObject({ revision: 2, spec: { targets: [{ alias: 'champion', version: 2 }] } });
    const revs = (await h.app.inject({ method: 'GET', url: '/api/v1/deployments/follow/revisions', headers: viewer })).json().items;
    expect(revs[0]).toMatchObject({ cause: 'alias', createdBy: 'maria' });
    await h.services.deployments.sync();
    expect((await predict('follow', { rows: [{ f0: 1, f1: 1, f2: 1, f3: 1 }] })).json().modelVersion.version).toBe(2);
    const del = await h.app.inject({ method: 'DELETE', url: '/api/v1/models/lin/aliases/champion', headers: maintainer });
    expect(del.statusCode).toBe(409);
    expect(del.json().error.code).toBe('ALIAS_IN_USE');
  });

  it('splits 10,000 requests 90/10 within two points of the weights', async () => {
    await put('split', { targets: [{ model: 'lin', version: 1, weight: 90 }, { model: 'lin', version: 2, weight: 10 }] });
    const counts = { 1: 0, 2: 0 } as Record<number, number>;
    const body = { rows: [{ f0: 1, f1: 1, f2: 1, f3: 1 }] };
    for (let i = 0; i < 10_000; i += 50) {
      const answers = await Promise.all(Array.from({ length: 50 }, () => predict('split', body)));
      for (const a of answers) counts[a.json().modelVersion.version]!++;
    }
    expect(Math.abs(counts[2]! / 10_000 - 0.1)).toBeLessThanOrEqual(0.02);
    expect(counts[1]! + counts[2]!).toBe(10_000);
    // Smooth weighted round robin: any 10 consecutive picks hold exactly one canary.
    const live = h.services.live.get('default', 'split')!;
    const picks = Array.from({ length: 100 }, () => live.pick().version);
    for (let i = 0; i < 100; i += 10) expect(picks.slice(i, i + 10).filter((v) => v === 2)).toHaveLength(1);
  });

  it('deletes a deployment: its endpoints answer 404', async () => {
    await put('gone', { targets: [{ model: 'lin', version: 1, weight: 100 }] });
    expect((await h.app.inject({ method: 'DELETE', url: '/api/v1/deployments/gone', headers: maintainer })).statusCode).toBe(200);
    const p = await predict('gone', { rows: [{ f0: 1, f1: 1, f2: 1, f3: 1 }] });
    expect(p.statusCode).toBe(404);
    expect(p.json().error.code).toBe('DEPLOYMENT_NOT_FOUND');
  });
});

describe('payload validation', () => {
  it('answers 400 naming the field, and logs only a rejection (no prediction) per request', async () => {
    const before = h.predictionLog.stats().recordsAppended;
    const cases: [unknown, RegExp][] = [
      [{ rows: [{ f0: 1, f1: 2, f2: 3 }] }, /rows\[0\]\.f3: is missing/],
      [{ rows: [{ f0: 1, f1: 2, f2: 3, f3: 4, f9: 1 }] }, /rows\[0\]\.f9: is not a feature/],
      [{ rows: [{ f0: 1, f1: 2, f2: 3, f3: '4' }] }, /rows\[0\]\.f3: must be a number/],
      [{ rows: [{ f0: 1, f1: 2, f2: 3, f3: null }] }, /rows\[0\]\.f3: is missing \(null\)/],
      [{ rows: [] }, /rows: has no rows/],
      [{ rows: [{ f0: 1, f1: 2, f2: 3, f3: 4 }], columns: {} }, /either "rows" or "columns"/],
      [{ data: [] }, /data: is not a field/],
      [{ columns: { f0: [1, 2], f1: [1], f2: [1], f3: [1] } }, /columns\.f1: has 1 values but other columns have 2/],
      [[1, 2], /body: must be a JSON object/],
    ];
    for (const [payload, message] of cases) {
      const r = await predict('price', payload);
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.json().error.message).toMatch(message);
      expect(r.headers['x-prediction-id']).toBeUndefined();
    }
    // One record per request refused while decoding against the chosen model (the first six cases), for
    // monitoring's rejection rate: status 'rejected', no inputs, no output. Bodies of the wrong shape are
    // refused before a model is chosen and are not logged.
    expect(h.predictionLog.stats().recordsAppended).toBe(before + 6);
    const rejected: PredictionRecord[] = [];
    for await (const rec of readPredictions(h.predictionLog.dir, { deployment: 'price' })) if (rec.status === 'rejected') rejected.push(rec);
    expect(rejected.length).toBeGreaterThanOrEqual(6);
    for (const rec of rejected) {
      expect(rec.outputs).toBeNull();
      expect(rec.inputs).toEqual({});
    }
  });

  it('answers 400 for malformed JSON, 415 for other content types, 404 for unknown deployments', async () => {
    const bad = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/price/predict', headers: { ...viewer, 'content-type': 'application/json' }, payload: '{"rows": [' });
    expect(bad.statusCode).toBe(400);
    const text = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/price/predict', headers: { ...viewer, 'content-type': 'text/plain' }, payload: 'hello' });
    expect(text.statusCode).toBe(415);
    expect((await predict('nobody', { rows: [{ f0: 1 }] })).statusCode).toBe(404);
  });
});

describe('back-pressure, limits and metrics', () => {
  it('answers 503 with Retry-After when the queue is full, and when a request waits past its timeout', async () => {
    // One row may wait; the batcher holds the first request for a second before it runs.
    await put('tight', { targets: [{ model: 'lin', version: 1, weight: 100 }], batching: { maxBatchSize: 100, maxDelayMicros: 1_000_000 }, maxQueue: 1, timeoutMs: 100 });
    const body = { rows: [{ f0: 1, f1: 1, f2: 1, f3: 1 }] };
    const first = predict('tight', body);
    const runner = h.services.live.get('default', 'tight')!.targets[0]!.runner;
    while (runner.depth === 0) await new Promise((r) => setImmediate(r));
    const second = await predict('tight', body);
    expect(second.statusCode).toBe(503);
    expect(second.headers['retry-after']).toBe('1');
    expect(second.json().error.code).toBe('OVERLOADED');
    const timedOut = await first;
    expect(timedOut.statusCode).toBe(503);
    expect(timedOut.json().error.code).toBe('INFERENCE_TIMEOUT');
    // The request that gave up no longer holds its place in the queue.
    expect(runner.depth).toBe(0);
  });

  it('merges concurrent requests into batches and splits the answers back in order', async () => {
    await put('batched', { targets: [{ model: 'lin', version: 1, weight: 100 }], batching: { maxBatchSize: 64, maxDelayMicros: 20_000 } });
    const rows = Array.from({ length: 40 }, (_, i) => ({ f0: i, f1: -i, f2: i / 2, f3: 1 }));
    const answers = await Promise.all(rows.map((r) => predict('batched', { rows: [r] })));
    answers.forEach((a, i) => expect(a.json().predictions[0]).toBeCloseTo(linear([rows[i]!.f0, rows[i]!.f1, rows[i]!.f2, rows[i]!.f3]), 5));
    const metrics = (await h.app.inject({ method: 'GET', url: '/metrics', headers: viewer })).body;
    // 40 rows arrived within the 20 ms window: far fewer runtime calls than requests.
    const calls = Number(/steward_inference_batch_rows_count\{deployment="default\/batched",model="lin",version="1"\} (\d+)/.exec(metrics)![1]);
    expect(calls).toBeLessThan(10);
    expect(metrics).toMatch(/steward_inference_rows_total\{deployment="default\/batched",model="lin",version="1"\} 40/);
    expect(metrics).toMatch(/steward_inference_requests_total\{deployment="default\/batched",model="lin",version="1",status="200"\} 40/);
  });

  it('answers many rows with every id in the body, and a bounded x-prediction-id header', async () => {
    const rows = Array.from({ length: 1500 }, (_, i) => ({ f0: i, f1: 1, f2: 2, f3: 3 }));
    const r = await predict('price', { rows });
    expect(r.statusCode).toBe(200);
    const ids = r.json().predictionIds as string[];
    expect(new Set(ids).size).toBe(1500);
    expect(r.headers['x-prediction-id']).toBe(ids[0]);
    expect(r.headers['x-prediction-ids-omitted']).toBe('1499');
    const csv = await h.app.inject({ method: 'POST', url: '/deployments/price/invocations', headers: { ...viewer, 'content-type': 'text/csv' }, payload: 'f0,f1,f2\n1,2,3\n' });
    expect(csv.statusCode).toBe(400);
    expect(csv.json().message).toMatch(/^header: has no column 'f3'/);
  });

  it('reports recent traffic per step: requests, errors and latency percentiles', async () => {
    await put('watched', { targets: [{ model: 'lin', version: 1, weight: 100 }] });
    for (let i = 0; i < 5; i++) await predict('watched', { rows: [{ f0: i, f1: 1, f2: 2, f3: 3 }] });
    await predict('watched', { rows: [{ f0: 'x', f1: 1, f2: 2, f3: 3 }] });
    // The current second is still filling: wait for it to end.
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
    const t = await h.app.inject({ method: 'GET', url: '/api/v1/deployments/watched/traffic?seconds=10&step=10', headers: viewer });
    expect(t.statusCode).toBe(200);
    const [point] = t.json().points;
    expect(point).toMatchObject({ requests: 6, rows: 5, clientErrors: 1, serverErrors: 0, errorRate: 0 });
    expect(point.p50).toBeGreaterThan(0);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/deployments/watched/traffic?seconds=1000', headers: viewer })).statusCode).toBe(400);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/deployments/nope/traffic', headers: viewer })).statusCode).toBe(404);
  });

  it('answers 413 over the body limit', async () => {
    const big = { rows: Array.from({ length: 20_000 }, () => ({ f0: 1.123456789, f1: 2.123456789, f2: 3.123456789, f3: 4.123456789 })) };
    const r = await predict('price', big);
    expect(r.statusCode).toBe(413);
  });
});

describe('protocols', () => {
  it('speaks the Open Inference Protocol V2, naming the version that answered', async () => {
    await put('v2dep', { targets: [{ model: 'mlp', version: 1, weight: 100 }] });
    expect((await h.app.inject({ method: 'GET', url: '/v2/health/live' })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/v2' })).json()).toMatchObject({ name: 'steward', extensions: [] });
    const meta = (await h.app.inject({ method: 'GET', url: '/v2/models/v2dep', headers: viewer })).json();
    expect(meta).toMatchObject({ name: 'v2dep', versions: ['1'], platform: 'onnxruntime_onnx', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }], outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }] });
    expect((await h.app.inject({ method: 'GET', url: '/v2/models/v2dep/ready', headers: viewer })).statusCode).toBe(200);
    const r = await h.app.inject({
      method: 'POST',
      url: '/v2/models/v2dep/infer',
      headers: viewer,
      payload: { id: 'req-1', inputs: [{ name: 'x', shape: [2, 4], datatype: 'FP32', data: [[1, 2, 3, 4], [0, 0, 0, 0]] }] },
    });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({ model_name: 'v2dep', model_version: '1', id: 'req-1', outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [2, 3] }] });
    const probs = body.outputs[0].data as number[];
    expect(probs[0]! + probs[1]! + probs[2]!).toBeCloseTo(1, 5);
    // the same row through Steward's JSON gives the same probabilities
    const s = (await predict('v2dep', { rows: [{ f0: 1, f1: 2, f2: 3, f3: 4 }] })).json();
    expect(s.predictions[0]).toEqual(probs.slice(0, 3));
    const pinned = await h.app.inject({ method: 'POST', url: '/v2/models/v2dep/versions/7/infer', headers: viewer, payload: { inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] } });
    expect(pinned.statusCode).toBe(404);
    expect(pinned.json()).toEqual({ error: expect.stringMatching(/does not serve version 7/) });
    const wrong = await h.app.inject({ method: 'POST', url: '/v2/models/v2dep/infer', headers: viewer, payload: { inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] } });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error).toMatch(/inputs\[0\]\.shape/);
  });

  it('speaks the MLflow scoring protocol: four JSON formats and CSV, with its error shape', async () => {
    const url = '/deployments/price/invocations';
    const row = { f0: 1, f1: 2, f2: 3, f3: 4 };
    const expected = linear([1, 2, 3, 4]);
    const bodies: unknown[] = [
      { dataframe_split: { columns: ['f3', 'f2', 'f1', 'f0'], data: [[4, 3, 2, 1]] } },
      { dataframe_records: [row] },
      { instances: [row] },
      { inputs: { f0: [1], f1: [2], f2: [3], f3: [4] } },
    ];
    await put('price', { targets: [{ model: 'lin', version: 1, weight: 100 }] });
    for (const payload of bodies) {
      const r = await h.app.inject({ method: 'POST', url, headers: viewer, payload: payload as object });
      expect(r.statusCode, JSON.stringify(payload)).toBe(200);
      expect(r.json().predictions[0]).toBeCloseTo(expected, 5);
      expect(r.headers['x-prediction-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
    const csv = await h.app.inject({ method: 'POST', url, headers: { ...viewer, 'content-type': 'text/csv' }, payload: 'f0,f1,f2,f3\n1,2,3,4\n"0",0,0,0\n' });
    expect(csv.statusCode).toBe(200);
    expect(csv.json().predictions[0]).toBeCloseTo(expected, 5);
    expect(csv.json().predictions[1]).toBeCloseTo(linear([0, 0, 0, 0]), 5);
    const two = await h.app.inject({ method: 'POST', url, headers: viewer, payload: { instances: [row], inputs: [row] } });
    expect(two.statusCode).toBe(400);
    expect(two.json()).toEqual({ error_code: 'BAD_REQUEST', message: expect.stringMatching(/exactly one of/) });
    const unknown = await h.app.inject({ method: 'POST', url, headers: viewer, payload: { records: [row] } });
    expect(unknown.json()).toMatchObject({ error_code: 'BAD_REQUEST', message: expect.stringMatching(/records: is not a known key/) });
    const media = await h.app.inject({ method: 'POST', url, headers: { ...viewer, 'content-type': 'application/xml' }, payload: '<x/>' });
    expect(media.statusCode).toBe(415);
    expect(media.json().error_code).toBe('BAD_REQUEST');
    const missing = await h.app.inject({ method: 'POST', url: '/deployments/none/invocations', headers: viewer, payload: { instances: [row] } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });
});

describe('inference access', () => {
  it('needs a token unless the deployment is public; limited tokens reach only their deployments', async () => {
    const row = { rows: [{ f0: 1, f1: 1, f2: 1, f3: 1 }] };
    expect((await predict('price', row, {})).statusCode).toBe(401);
    await put('open', { targets: [{ model: 'lin', version: 1, weight: 100 }], public: true });
    expect((await predict('open', row, {})).statusCode).toBe(200);
    const created = await h.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: maintainer, payload: { name: 'app', deployments: ['price'] } });
    expect(created.statusCode).toBe(201);
    expect(created.json().deployments).toEqual(['default/price']);
    const app = bearer(created.json().token);
    expect((await predict('price', row, app)).statusCode).toBe(200);
    expect((await predict('v2dep', { rows: [{ f0: 1, f1: 1, f2: 1, f3: 1 }] }, app)).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/models', headers: app })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'POST', url: '/deployments/price/invocations', headers: app, payload: row.rows.length ? { instances: row.rows } : {} })).statusCode).toBe(200);
  });

  it('lets viewers predict but not deploy', async () => {
    expect((await put('price', { targets: [{ model: 'lin', version: 1, weight: 100 }] }, viewer)).statusCode).toBe(403);
  });
});
});
}
