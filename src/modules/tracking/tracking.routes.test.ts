/**
 * Steward's own tracking API through HTTP (inject on the whole app): experiment and run shapes, search with
 * MLflow's filter and order_by grammar and pages, metric histories, comparison, run artifacts, deletion and
 * restore, and who may do what (viewers read, contributors write, other projects' users are refused).
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, multipart, versionUpload, type Harness } from '../../../test/support/harness.js';
import { linearModel } from '../../../test/fixtures/models.js';
import type { ProjectRow } from '../../db/schema.js';
import type { Principal } from '../../platform/principal.js';

let h: Harness;
let admin: Principal;
let project: ProjectRow;
let headers: { contributor: Record<string, string>; viewer: Record<string, string>; outsider: Record<string, string> };
let experimentId: string;
let r1: string;
let r2: string;
let r3: string;

const T = Date.UTC(2024, 0, 15, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

async function get(url: string, who: Record<string, string> = headers.viewer) {
  return h.app.inject({ method: 'GET', url, headers: who });
}

beforeAll(async () => {
  h = await createHarness();
  admin = await h.services.auth.authenticate(`Bearer ${h.adminToken}`);
  project = (await h.store.projects.getByName('default'))!;
  await h.services.projects.create(admin, { name: 'elsewhere' });
  headers = {
    contributor: { authorization: `Bearer ${await h.tokenFor('contributor', 'tr-contributor')}` },
    viewer: { authorization: `Bearer ${await h.tokenFor('viewer', 'tr-viewer')}` },
    outsider: { authorization: `Bearer ${await h.tokenFor('admin', 'tr-outsider', ['elsewhere'])}` },
  };
  const tracking = h.services.tracking;

  // A dataset version for a run input to link to.
  await h.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: { authorization: `Bearer ${h.adminToken}` }, payload: { name: 'iris' } });
  const csv = multipart([{ name: 'file', value: Buffer.from('a,b\n1,2\n3,4\n'), filename: 'iris.csv' }]);
  const up = await h.app.inject({ method: 'POST', url: '/api/v1/datasets/iris/versions', headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': csv.contentType }, payload: csv.body });
  expect(up.statusCode, up.body).toBe(201);

  experimentId = String((await tracking.createExperiment(admin, project, { name: 'churn', tags: [{ key: 'team', value: 'risk' }] })).row.id);
  r1 = (await tracking.createRun(admin, project, { experimentId, runName: 'alpha-1', startTime: T })).row.id;
  r2 = (await tracking.createRun(admin, project, { experimentId, runName: 'alpha-5', startTime: T + 1000 })).row.id;
  r3 = (await tracking.createRun(admin, project, { experimentId, runName: 'child', startTime: T + 2000, tags: [{ key: 'mlflow.parentRunId', value: r1 }] })).row.id;
  await tracking.logBatch(admin, r1, {
    params: [{ key: 'alpha', value: '0.1' }, { key: 'l1', value: '0' }],
    metrics: [
      { key: 'acc', value: 0.7, step: 0, timestamp: T },
      { key: 'acc', value: 0.8, step: 1, timestamp: T + 10 },
      { key: 'acc', value: 0.9, step: 2, timestamp: T + 20 },
      { key: 'loss', value: 'NaN', step: 2, timestamp: T + 20 },
    ],
    tags: [{ key: 'team', value: 'risk' }],
  });
  await tracking.logBatch(admin, r2, {
    params: [{ key: 'alpha', value: '0.5' }, { key: 'l1', value: '0' }],
    metrics: [{ key: 'acc', value: 0.95, step: 0, timestamp: T + 1000 }, { key: 'rmse', value: 'Infinity', step: 0, timestamp: T + 1000 }],
    tags: [{ key: 'team', value: 'ops' }, { key: 'mlflow.log-model.history', value: '[{"artifact_path": "cut sho' }],
  });
  await tracking.logBatch(admin, r3, { params: [{ key: 'alpha', value: '0.1' }], metrics: [{ key: 'acc', value: 0.6, step: 0, timestamp: T + 2000 }] });
  await tracking.updateRun(admin, r1, { status: 'FINISHED', endTime: T + 90_000 });
  await tracking.logModel(admin, r1, JSON.stringify({ artifact_path: 'model', flavors: { sklearn: {}, python_function: {} }, utc_time_created: '2024-01-15 12:01:00.000000', run_id: r1 }));
  await tracking.logInputs(admin, r1, {
    datasets: [{ dataset: { name: 'iris', digest: 'abc123', source_type: 'http', source: 'steward://iris@1' }, tags: [{ key: 'mlflow.data.context', value: 'training' }] }],
  });
  for (const [path, text] of [
    ['model/MLmodel', 'flavors: {}\n'],
    ['metrics.json', '{"acc": 0.9}'],
  ] as const) {
    await tracking.putArtifact(admin, `${experimentId}/${r1}/artifacts/${path}`, Readable.from([Buffer.from(text)]));
  }
  // A Steward model version registered from r1.
  const { body, contentType } = versionUpload(linearModel(), { sourceRun: r1 });
  await h.app.inject({ method: 'POST', url: '/api/v1/models', headers: { authorization: `Bearer ${h.adminToken}` }, payload: { name: 'churn-model' } });
  const registered = await h.app.inject({ method: 'POST', url: '/api/v1/models/churn-model/versions', headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': contentType }, payload: body });
  expect(registered.statusCode, registered.body).toBe(201);
});
afterAll(() => h.close());

describe('experiments', () => {
  it('lists, creates and shows experiments in Steward JSON', async () => {
    const created = await h.app.inject({ method: 'POST', url: '/api/v1/experiments', headers: headers.contributor, payload: { name: 'price', tags: { owner: 'ana' } } });
    expect(created.statusCode, created.body).toBe(201);
    const price = created.json();
    expect(price).toEqual({
      id: expect.stringMatching(/^\d+$/),
      project: 'default',
      name: 'price',
      artifactLocation: `mlflow-artifacts:/${price.id}`,
      lifecycleStage: 'active',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      updatedAt: price.createdAt,
      createdBy: 'tr-contributor',
      tags: { owner: 'ana' },
      runCount: 0,
    });
    const churn = (await get(`/api/v1/experiments/${experimentId}`)).json();
    expect(churn).toMatchObject({ id: experimentId, name: 'churn', tags: { team: 'risk' }, runCount: 3, createdBy: 'admin' });
    const list = await get('/api/v1/experiments');
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((e: { name: string }) => e.name)).toEqual(expect.arrayContaining(['churn', 'price']));
    // The project comes from the body: another project needs a role there.
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/experiments', headers: headers.contributor, payload: { project: 'elsewhere', name: 'x' } })).statusCode).toBe(403);
  });

  it('refuses a duplicate name (409) and bad fields (400 naming them)', async () => {
    const dup = await h.app.inject({ method: 'POST', url: '/api/v1/experiments', headers: headers.contributor, payload: { name: 'churn' } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe('EXPERIMENT_EXISTS');
    const badTag = await h.app.inject({ method: 'POST', url: '/api/v1/experiments', headers: headers.contributor, payload: { name: 'x', tags: { 'bad!key': 'v' } } });
    expect(badTag.statusCode).toBe(400);
    expect(badTag.json().error.message).toMatch(/^tags: 'bad!key' is not a valid key/);
    const badView = await get('/api/v1/experiments?view=gone');
    expect(badView.statusCode).toBe(400);
    expect(badView.json().error.message).toMatch(/view/);
  });

  it('renames, deletes with its runs, lists by view, and restores', async () => {
    const id = (await h.app.inject({ method: 'POST', url: '/api/v1/experiments', headers: headers.contributor, payload: { name: 'short-lived' } })).json().id as string;
    const run = (await h.services.tracking.createRun(admin, project, { experimentId: id })).row.id;
    const renamed = await h.app.inject({ method: 'PATCH', url: `/api/v1/experiments/${id}`, headers: headers.contributor, payload: { name: 'renamed' } });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({ name: 'renamed', runCount: 1 });
    const clash = await h.app.inject({ method: 'PATCH', url: `/api/v1/experiments/${id}`, headers: headers.contributor, payload: { name: 'churn' } });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().error.details).toMatchObject({ field: 'name' });

    expect((await h.app.inject({ method: 'DELETE', url: `/api/v1/experiments/${id}`, headers: headers.viewer })).statusCode).toBe(403);
    const deleted = await h.app.inject({ method: 'DELETE', url: `/api/v1/experiments/${id}`, headers: headers.contributor });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toMatchObject({ lifecycleStage: 'deleted', runCount: 0 });
    expect((await get(`/api/v1/runs/${run}`)).json().lifecycleStage).toBe('deleted');
    const names = async (view: string) => (await get(`/api/v1/experiments?view=${view}`)).json().items.map((e: { name: string }) => e.name) as string[];
    expect(await names('active')).not.toContain('renamed');
    expect(await names('deleted')).toEqual(['renamed']);
    expect(await names('all')).toContain('renamed');
    // Its runs are listed with view=deleted.
    expect((await get(`/api/v1/experiments/${id}/runs?view=deleted`)).json().items.map((r: { id: string }) => r.id)).toEqual([run]);

    const restored = await h.app.inject({ method: 'POST', url: `/api/v1/experiments/${id}/restore`, headers: headers.contributor });
    expect(restored.statusCode).toBe(200);
    expect(restored.json()).toMatchObject({ lifecycleStage: 'active', runCount: 1 });
    const again = await h.app.inject({ method: 'POST', url: `/api/v1/experiments/${id}/restore`, headers: headers.contributor });
    expect(again.statusCode).toBe(400);
    expect(again.json().error.message).toMatch(/^id: experiment \d+ is not deleted/);
  });

  it('answers 404 for unknown experiments (MLflow\'s "0" names none here) and 403 to users of other projects', async () => {
    for (const id of ['999999', '0', 'abc']) {
      const r = await get(`/api/v1/experiments/${id}`);
      expect(r.statusCode).toBe(404);
      expect(r.json().error.code).toBe('EXPERIMENT_NOT_FOUND');
    }
    expect((await get(`/api/v1/experiments/${experimentId}`, headers.outsider)).statusCode).toBe(403);
    expect((await get(`/api/v1/experiments/${experimentId}/runs`, headers.outsider)).statusCode).toBe(403);
    expect((await get('/api/v1/experiments', headers.outsider)).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'GET', url: `/api/v1/experiments/${experimentId}` })).statusCode).toBe(401);
  });
});

describe('runs of an experiment', () => {
  const search = async (query: string) => {
    const r = await get(`/api/v1/experiments/${experimentId}/runs${query}`);
    expect(r.statusCode, r.body).toBe(200);
    return r.json() as { items: { id: string; name: string }[]; nextPageToken?: string; metricKeys: string[]; paramKeys: string[]; tagKeys: string[] };
  };

  it('lists runs newest first with the keys of the experiment\'s runs', async () => {
    const page = await search('');
    expect(page.items.map((r) => r.name)).toEqual(['child', 'alpha-5', 'alpha-1']);
    expect(page.nextPageToken).toBeUndefined();
    expect(page.metricKeys).toEqual(['acc', 'loss', 'rmse']);
    expect(page.paramKeys).toEqual(['alpha', 'l1']);
    expect(page.tagKeys).toEqual(['mlflow.parentRunId', 'mlflow.runName', 'team']);
  });

  it('filters and orders with MLflow\'s grammar', async () => {
    expect((await search(`?filter=${encodeURIComponent('metrics.acc > 0.75')}`)).items.map((r) => r.name)).toEqual(['alpha-5', 'alpha-1']);
    expect((await search(`?filter=${encodeURIComponent("params.alpha = '0.1' and tags.team = 'risk'")}`)).items.map((r) => r.name)).toEqual(['alpha-1']);
    expect((await search(`?filter=${encodeURIComponent("attributes.status = 'FINISHED'")}`)).items.map((r) => r.id)).toEqual([r1]);
    expect((await search(`?orderBy=${encodeURIComponent('metrics.acc DESC')}`)).items.map((r) => r.name)).toEqual(['alpha-5', 'alpha-1', 'child']);
    expect((await search(`?orderBy=${encodeURIComponent('params.alpha ASC')}&orderBy=${encodeURIComponent('metrics.acc DESC')}`)).items.map((r) => r.name)).toEqual(['alpha-1', 'child', 'alpha-5']);
    // The keys are the experiment's, whatever the filter or the page shows: the columns a table can offer.
    const filtered = await search(`?filter=${encodeURIComponent("tags.team = 'ops'")}&maxResults=1`);
    expect(filtered.items).toHaveLength(1);
    expect(filtered.paramKeys).toEqual(['alpha', 'l1']);
    expect(filtered.metricKeys).toEqual(['acc', 'loss', 'rmse']);
  });

  it('pages with maxResults and pageToken', async () => {
    const first = await search('?maxResults=2');
    expect(first.items.map((r) => r.name)).toEqual(['child', 'alpha-5']);
    expect(first.nextPageToken).toEqual(expect.any(String));
    const second = await search(`?maxResults=2&pageToken=${encodeURIComponent(first.nextPageToken!)}`);
    expect(second.items.map((r) => r.name)).toEqual(['alpha-1']);
    expect(second.nextPageToken).toBeUndefined();
  });

  it('answers 400 naming the field for a bad filter, order or page token', async () => {
    const bad = await get(`/api/v1/experiments/${experimentId}/runs?filter=${encodeURIComponent('metrics.acc >> 1')}`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/^filter: /);
    expect(bad.json().error.details).toMatchObject({ field: 'filter' });
    const entity = await get(`/api/v1/experiments/${experimentId}/runs?filter=${encodeURIComponent("colour.x = 'red'")}`);
    expect(entity.statusCode).toBe(400);
    expect(entity.json().error.message).toBe("filter: Invalid entity type 'colour'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']");
    const order = await get(`/api/v1/experiments/${experimentId}/runs?orderBy=${encodeURIComponent('colour.x DESC')}`);
    expect(order.statusCode).toBe(400);
    expect(order.json().error.details).toMatchObject({ field: 'orderBy' });
    const token = await get(`/api/v1/experiments/${experimentId}/runs?pageToken=zzz`);
    expect(token.statusCode).toBe(400);
    expect(token.json().error.details).toMatchObject({ field: 'pageToken' });
    expect((await get(`/api/v1/experiments/${experimentId}/runs?maxResults=0`)).statusCode).toBe(400);
  });
});

describe('a run', () => {
  it('shows its info, params, latest metrics (NaN and infinities as text), tags, inputs, models, registered versions and children', async () => {
    const r = await get(`/api/v1/runs/${r1}`);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({
      id: r1,
      experimentId,
      project: 'default',
      name: 'alpha-1',
      status: 'FINISHED',
      startTime: iso(T),
      endTime: iso(T + 90_000),
      durationMs: 90_000,
      user: 'admin',
      lifecycleStage: 'active',
      artifactUri: `mlflow-artifacts:/${experimentId}/${r1}/artifacts`,
      parentRunId: null,
      params: { alpha: '0.1', l1: '0' },
      metrics: {
        acc: { value: 0.9, step: 2, timestamp: iso(T + 20) },
        loss: { value: null, text: 'NaN', step: 2, timestamp: iso(T + 20) },
      },
      tags: { 'mlflow.runName': 'alpha-1', team: 'risk' },
      inputs: [{ name: 'iris', digest: 'abc123', sourceType: 'http', source: 'steward://iris@1', context: 'training', datasetVersion: { dataset: 'iris', version: 1 } }],
      models: [{ artifactPath: 'model', flavors: ['python_function', 'sklearn'], utcTimeCreated: '2024-01-15 12:01:00.000000' }],
      registeredVersions: [{ model: 'churn-model', version: 1 }],
      children: [{ id: r3, name: 'child', status: 'RUNNING' }],
    });
    const two = (await get(`/api/v1/runs/${r2}`)).json();
    // A log-model history that is not JSON gives no models; infinities are text like NaN.
    expect(two.models).toEqual([]);
    expect(two.tags).toEqual({ 'mlflow.runName': 'alpha-5', team: 'ops' });
    expect(two.metrics.rmse).toEqual({ value: null, text: 'Infinity', step: 0, timestamp: iso(T + 1000) });
    expect(two).toMatchObject({ endTime: null, durationMs: null, registeredVersions: [], children: [] });
    expect((await get(`/api/v1/runs/${r3}`)).json()).toMatchObject({ parentRunId: r1, children: [] });
  });

  it('gives a metric history in pages', async () => {
    const all = await get(`/api/v1/runs/${r1}/metrics/acc`);
    expect(all.statusCode).toBe(200);
    expect(all.json()).toEqual({
      key: 'acc',
      points: [
        { step: 0, timestamp: iso(T), value: 0.7 },
        { step: 1, timestamp: iso(T + 10), value: 0.8 },
        { step: 2, timestamp: iso(T + 20), value: 0.9 },
      ],
    });
    const first = (await get(`/api/v1/runs/${r1}/metrics/acc?maxResults=2`)).json();
    expect(first.points.map((p: { step: number }) => p.step)).toEqual([0, 1]);
    const rest = (await get(`/api/v1/runs/${r1}/metrics/acc?maxResults=2&pageToken=${encodeURIComponent(first.nextPageToken)}`)).json();
    expect(rest).toEqual({ key: 'acc', points: [{ step: 2, timestamp: iso(T + 20), value: 0.9 }] });
    expect((await get(`/api/v1/runs/${r1}/metrics/loss`)).json().points).toEqual([{ step: 2, timestamp: iso(T + 20), value: null, text: 'NaN' }]);
    expect((await get(`/api/v1/runs/${r1}/metrics/nothing`)).json()).toEqual({ key: 'nothing', points: [] });
  });

  it('lists and downloads its artifacts', async () => {
    const root = await get(`/api/v1/runs/${r1}/artifacts`);
    expect(root.statusCode, root.body).toBe(200);
    expect(root.json()).toEqual({ path: '', files: [{ path: 'metrics.json', isDir: false, size: 12 }, { path: 'model', isDir: true }] });
    expect((await get(`/api/v1/runs/${r1}/artifacts?path=model`)).json()).toEqual({ path: 'model', files: [{ path: 'model/MLmodel', isDir: false, size: 12 }] });
    expect((await get(`/api/v1/runs/${r2}/artifacts`)).json()).toEqual({ path: '', files: [] });
    const file = await get(`/api/v1/runs/${r1}/artifacts/file?path=${encodeURIComponent('model/MLmodel')}`);
    expect(file.statusCode).toBe(200);
    expect(file.body).toBe('flavors: {}\n');
    expect(file.headers['content-disposition']).toBe(`attachment; filename="MLmodel"; filename*=UTF-8''MLmodel`);
    const missing = await get(`/api/v1/runs/${r1}/artifacts/file?path=nope.txt`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('ARTIFACT_NOT_FOUND');
    const climbing = await get(`/api/v1/runs/${r1}/artifacts/file?path=${encodeURIComponent('../other/x')}`);
    expect(climbing.statusCode).toBe(400);
    expect(climbing.json().error.details).toMatchObject({ field: 'path' });
    expect((await get(`/api/v1/runs/${r1}/artifacts/file?path=metrics.json`, headers.outsider)).statusCode).toBe(403);
  });

  it('is deleted by contributors (not viewers) and restored', async () => {
    const run = (await h.services.tracking.createRun(admin, project, { experimentId })).row.id;
    expect((await h.app.inject({ method: 'DELETE', url: `/api/v1/runs/${run}`, headers: headers.viewer })).statusCode).toBe(403);
    const deleted = await h.app.inject({ method: 'DELETE', url: `/api/v1/runs/${run}`, headers: headers.contributor });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toMatchObject({ id: run, lifecycleStage: 'deleted' });
    expect((await get(`/api/v1/experiments/${experimentId}/runs`)).json().items.map((r: { id: string }) => r.id)).not.toContain(run);
    expect((await get(`/api/v1/experiments/${experimentId}`)).json().runCount).toBe(3);
    const restored = await h.app.inject({ method: 'POST', url: `/api/v1/runs/${run}/restore`, headers: headers.contributor });
    expect(restored.json()).toMatchObject({ id: run, lifecycleStage: 'active' });
    expect((await get(`/api/v1/experiments/${experimentId}`)).json().runCount).toBe(4);
    await h.services.tracking.setRunLifecycle(admin, run, 'deleted');
  });

  it('answers 404 for unknown runs and 403 to users of other projects', async () => {
    for (const url of [`/api/v1/runs/${'f'.repeat(32)}`, '/api/v1/runs/nope', `/api/v1/runs/${'f'.repeat(32)}/metrics/acc`, `/api/v1/runs/${'f'.repeat(32)}/artifacts`]) {
      const r = await get(url);
      expect(r.statusCode, url).toBe(404);
      expect(r.json().error.code).toBe('RUN_NOT_FOUND');
    }
    expect((await get(`/api/v1/runs/${r1}`, headers.outsider)).statusCode).toBe(403);
    expect((await get(`/api/v1/runs/${r1}/metrics/acc`, headers.outsider)).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'DELETE', url: `/api/v1/runs/${r1}`, headers: headers.outsider })).statusCode).toBe(403);
  });
});

describe('comparing runs', () => {
  it('gives the runs, the params that differ, the keys and the histories', async () => {
    const r = await get(`/api/v1/runs/compare?runs=${r1},${r2}`);
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json();
    expect(body.runs.map((x: { id: string }) => x.id)).toEqual([r1, r2]);
    expect(body.runs[0]).toMatchObject({ name: 'alpha-1', params: { alpha: '0.1', l1: '0' }, metrics: { acc: { value: 0.9 } } });
    expect(body.differingParams).toEqual(['alpha']);
    expect(body.metricKeys).toEqual(['acc', 'loss', 'rmse']);
    expect(body.paramKeys).toEqual(['alpha', 'l1']);
    expect(body.histories[r1].acc.map((p: { value: number }) => p.value)).toEqual([0.7, 0.8, 0.9]);
    expect(body.histories[r1].loss).toEqual([{ step: 2, timestamp: iso(T + 20), value: null, text: 'NaN' }]);
    expect(body.histories[r1].rmse).toEqual([]);
    expect(body.histories[r2].acc).toEqual([{ step: 0, timestamp: iso(T + 1000), value: 0.95 }]);

    const three = (await get(`/api/v1/runs/compare?runs=${r1},${r2},${r3}&metrics=acc`)).json();
    // r3 has no l1: a missing param differs from a present one.
    expect(three.differingParams).toEqual(['alpha', 'l1']);
    expect(Object.keys(three.histories[r3])).toEqual(['acc']);
    expect(three.histories[r3].acc.map((p: { value: number }) => p.value)).toEqual([0.6]);
  });

  it('names the field for bad input, and checks each run', async () => {
    const none = await get('/api/v1/runs/compare?runs=,');
    expect(none.statusCode).toBe(400);
    expect(none.json().error.details).toMatchObject({ field: 'runs' });
    const unknown = await get(`/api/v1/runs/compare?runs=${r1},${'f'.repeat(32)}`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.details).toMatchObject({ field: 'runs' });
    const badKey = await get(`/api/v1/runs/compare?runs=${r1}&metrics=${encodeURIComponent('a!')}`);
    expect(badKey.statusCode).toBe(400);
    expect(badKey.json().error.details).toMatchObject({ field: 'metrics' });
    expect((await get(`/api/v1/runs/compare?runs=${r1}`, headers.outsider)).statusCode).toBe(403);
  });
});
