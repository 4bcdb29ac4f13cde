/**
 * TrackingService on a real SQLite store (through the test harness): the rules MLflow clients rely on —
 * the latest value of a metric, write-once params with all-or-nothing batches, NaN and infinities, batch
 * limits, deleted runs, search with filters, order and pages, experiment deletion carrying its runs, the
 * default experiment "0" — and the run-artifact index behind the artifact proxy.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../../test/support/harness.js';
import type { ProjectRow } from '../../db/schema.js';
import type { Principal } from '../../platform/principal.js';
import { runView } from './mlflow/mlflow-views.js';
import type { TrackingService } from './tracking.service.js';

let h: Harness;
let tracking: TrackingService;
let admin: Principal;
let contributor: Principal;
let viewer: Principal;
let scope: ProjectRow;
let n = 0;

beforeAll(async () => {
  h = await createHarness();
  tracking = h.services.tracking;
  admin = await h.services.auth.authenticate(`Bearer ${h.adminToken}`);
  contributor = await h.services.auth.authenticate(`Bearer ${await h.tokenFor('contributor', 'svc-contributor')}`);
  viewer = await h.services.auth.authenticate(`Bearer ${await h.tokenFor('viewer', 'svc-viewer')}`);
  scope = await h.services.access.projectNamed(undefined);
});
afterAll(() => h.close());

async function experiment(name = `exp-${++n}`): Promise<string> {
  return String((await tracking.createExperiment(contributor, scope, { name })).row.id);
}

async function run(experimentId?: string, runName?: string): Promise<string> {
  return (await tracking.createRun(contributor, scope, { experimentId, runName, startTime: 1_700_000_000_000 + ++n })).row.id;
}

async function latest(runId: string): Promise<Record<string, { value: number; isNan: boolean; step: number; timestamp: number }>> {
  const r = await tracking.getRun(contributor, runId);
  return Object.fromEntries(r.data.metrics.map((m) => [m.key, { value: m.value, isNan: m.is_nan === 1, step: Number(m.step), timestamp: Number(m.timestamp) }]));
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

describe('the default experiment "0"', () => {
  it('is the project\'s "Default" experiment, made once on first use, and runs without an experiment go there', async () => {
    const first = await tracking.getExperiment(viewer, scope, '0');
    const again = await tracking.getExperiment(contributor, scope, 0);
    expect(first.row.name).toBe('Default');
    expect(again.row.id).toBe(first.row.id);
    expect(first.row.artifact_location).toBe(`mlflow-artifacts:/${first.row.id}`);
    const created = await tracking.createRun(contributor, scope, { startTime: 5 });
    expect(created.row.experiment_id).toBe(first.row.id);
    expect(created.row.artifact_uri).toBe(`mlflow-artifacts:/${first.row.id}/${created.row.id}/artifacts`);
    expect(created.row.id).toMatch(/^[0-9a-f]{32}$/);
    expect(created.row.user_id).toBe('svc-contributor');
    // The run name is generated and recorded as the mlflow.runName tag.
    expect(created.data.tags).toContainEqual({ key: 'mlflow.runName', value: created.row.name });
    await expect(tracking.setExperimentLifecycle(contributor, scope, '0', 'deleted')).rejects.toMatchObject({ kind: 'invalid', details: { field: 'experiment_id' } });
  });

  it('answers 404 for experiments that do not exist and 409 for a duplicate name', async () => {
    await expect(tracking.getExperiment(viewer, scope, '99999')).rejects.toMatchObject({ kind: 'not_found', message: 'No Experiment with id=99999 exists' });
    await expect(tracking.getExperimentByName(viewer, scope, 'nope')).rejects.toMatchObject({ kind: 'not_found' });
    await tracking.createExperiment(contributor, scope, { name: 'twice' });
    await expect(tracking.createExperiment(contributor, scope, { name: 'twice' })).rejects.toMatchObject({ kind: 'conflict', code: 'EXPERIMENT_EXISTS' });
    await expect(tracking.createExperiment(viewer, scope, { name: 'by-viewer' })).rejects.toMatchObject({ kind: 'forbidden' });
  });
});

describe('metrics', () => {
  it('keeps as latest value the point with the greatest step, then timestamp, then value', async () => {
    const id = await run(await experiment());
    await tracking.logMetric(contributor, id, { key: 'loss', value: 1, timestamp: 100, step: 2 });
    // A later timestamp at an earlier step does not replace it.
    await tracking.logMetric(contributor, id, { key: 'loss', value: 5, timestamp: 999, step: 1 });
    expect((await latest(id)).loss).toEqual({ value: 1, isNan: false, step: 2, timestamp: 100 });
    // Same step, later timestamp: replaces, even with a smaller value.
    await tracking.logMetric(contributor, id, { key: 'loss', value: 0, timestamp: 200, step: 2 });
    expect((await latest(id)).loss).toMatchObject({ value: 0, timestamp: 200 });
    // Same step and timestamp: the greater value wins, whatever the order of arrival.
    await tracking.logMetric(contributor, id, { key: 'loss', value: 3, timestamp: 200, step: 2 });
    await tracking.logMetric(contributor, id, { key: 'loss', value: 2, timestamp: 200, step: 2 });
    expect((await latest(id)).loss).toMatchObject({ value: 3, timestamp: 200, step: 2 });
    // Within one batch the same rule picks among the batch's points.
    await tracking.logBatch(contributor, id, {
      metrics: [
        { key: 'acc', value: 0.7, timestamp: 10, step: 3 },
        { key: 'acc', value: 0.9, timestamp: 5, step: 4 },
        { key: 'acc', value: 0.8, timestamp: 20, step: 3 },
      ],
    });
    expect((await latest(id)).acc).toEqual({ value: 0.9, isNan: false, step: 4, timestamp: 5 });
    // The history keeps every point, by step then timestamp.
    const history = await tracking.metricHistory(viewer, id, { metricKey: 'loss' });
    expect(history.metrics.map((p) => [p.step, p.timestamp, p.value])).toEqual([
      [1, 999, 5],
      [2, 100, 1],
      [2, 200, 0],
      [2, 200, 2],
      [2, 200, 3],
    ]);
    expect(history.nextPageToken).toBeUndefined();
  });

  it('takes "NaN", "Infinity" and "-Infinity" and gives them back, in the run and the history', async () => {
    const id = await run(await experiment());
    await tracking.logMetric(contributor, id, { key: 'nan', value: 'NaN', timestamp: 1, step: 0 });
    await tracking.logMetric(contributor, id, { key: 'inf', value: 'Infinity', timestamp: 1, step: 0 });
    await tracking.logBatch(contributor, id, { metrics: [{ key: 'ninf', value: '-Infinity', timestamp: 1, step: 0 }, { key: 'nan', value: 'NaN', timestamp: 2, step: 0 }] });
    // A NaN number from an in-process caller is the same as "NaN".
    await tracking.logMetric(contributor, id, { key: 'nan2', value: NaN, timestamp: 1, step: 0 });
    const m = await latest(id);
    expect(m.nan).toMatchObject({ isNan: true, timestamp: 2 });
    expect(m.inf!.value).toBe(Infinity);
    expect(m.ninf!.value).toBe(-Infinity);
    expect((await tracking.metricHistory(viewer, id, { metricKey: 'nan' })).metrics.map((p) => p.value)).toEqual([NaN, NaN]);
    expect((await tracking.metricHistory(viewer, id, { metricKey: 'inf' })).metrics[0]!.value).toBe(Infinity);
    expect((await tracking.metricHistory(viewer, id, { metricKey: 'nan2' })).metrics.map((p) => p.value)).toEqual([NaN]);
    // In MLflow's JSON they are the strings protobuf JSON uses.
    const view = runView(await tracking.getRun(viewer, id));
    expect(Object.fromEntries(view.data.metrics!.map((x) => [x.key, x.value]))).toEqual({ inf: 'Infinity', nan: 'NaN', nan2: 'NaN', ninf: '-Infinity' });
    // A NaN point counts as value 0 for the latest-value rule: a real 0.5 at the same step and time beats it.
    await tracking.logMetric(contributor, id, { key: 'nan', value: 0.5, timestamp: 2, step: 0 });
    expect((await latest(id)).nan).toMatchObject({ isNan: false, value: 0.5 });
    await expect(tracking.logMetric(contributor, id, { key: 'bad', value: 'lots', timestamp: 1, step: 0 })).rejects.toMatchObject({ kind: 'invalid', details: { field: 'body.value' } });
  });

  it('pages the history with a token', async () => {
    const id = await run(await experiment());
    await tracking.logBatch(contributor, id, { metrics: Array.from({ length: 5 }, (_, i) => ({ key: 'x', value: i, timestamp: 100 + i, step: i })) });
    const first = await tracking.metricHistory(viewer, id, { metricKey: 'x', maxResults: 2 });
    expect(first.metrics.map((p) => p.step)).toEqual([0, 1]);
    expect(first.nextPageToken).toEqual(expect.any(String));
    const second = await tracking.metricHistory(viewer, id, { metricKey: 'x', maxResults: '2', pageToken: first.nextPageToken });
    expect(second.metrics.map((p) => p.step)).toEqual([2, 3]);
    const third = await tracking.metricHistory(viewer, id, { metricKey: 'x', maxResults: 2, pageToken: second.nextPageToken });
    expect(third.metrics.map((p) => p.step)).toEqual([4]);
    expect(third.nextPageToken).toBeUndefined();
    await expect(tracking.metricHistory(viewer, id, { metricKey: 'x', pageToken: 'garbage!' })).rejects.toMatchObject({ kind: 'invalid', details: { field: 'page_token' } });
  });
});

describe('params and batches', () => {
  it('accepts a param again with the same value, refuses another value, and rolls back the whole batch', async () => {
    const id = await run(await experiment());
    await tracking.logParam(contributor, id, { key: 'alpha', value: '0.5' });
    await tracking.logParam(contributor, id, { key: 'alpha', value: '0.5' });
    await expect(tracking.logParam(contributor, id, { key: 'alpha', value: '0.7' })).rejects.toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining("Changing param values is not allowed. Param with key='alpha' was already logged with value='0.5'"),
    });
    await expect(
      tracking.logBatch(contributor, id, {
        params: [
          { key: 'beta', value: '1' },
          { key: 'alpha', value: '0.9' },
        ],
        metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }],
        tags: [{ key: 't', value: 'v' }],
      }),
    ).rejects.toMatchObject({ kind: 'invalid', details: { field: 'params', key: 'alpha' } });
    const after = await tracking.getRun(viewer, id);
    expect(after.data.params).toEqual([{ key: 'alpha', value: '0.5' }]);
    expect(after.data.metrics).toEqual([]);
    expect(after.data.tags.map((t) => t.key)).not.toContain('t');
    expect(await tracking.metricHistory(viewer, id, { metricKey: 'm' })).toMatchObject({ metrics: [] });
    // Numbers given as param values are kept as their text (MLflow's client sends str(value)).
    await tracking.logBatch(contributor, id, { params: [{ key: 'gamma', value: 3 }] });
    expect((await tracking.getRun(viewer, id)).data.params).toContainEqual({ key: 'gamma', value: '3' });
  });

  it("refuses batches over MLflow's limits, naming the field", async () => {
    const id = await run(await experiment());
    const metrics = (k: number) => Array.from({ length: k }, (_, i) => ({ key: 'm', value: i, timestamp: 1, step: i }));
    const kv = (k: number) => Array.from({ length: k }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    await expect(tracking.logBatch(contributor, id, { metrics: metrics(1001) })).rejects.toMatchObject({ kind: 'invalid', details: { field: 'metrics' } });
    await expect(tracking.logBatch(contributor, id, { params: kv(101) })).rejects.toMatchObject({ kind: 'invalid', details: { field: 'params' } });
    await expect(tracking.logBatch(contributor, id, { tags: kv(101) })).rejects.toMatchObject({ kind: 'invalid', details: { field: 'tags' } });
    await expect(tracking.logBatch(contributor, id, { metrics: metrics(1000), params: kv(1) })).rejects.toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining('at most 1000 metrics, params, and tags'),
    });
    await expect(tracking.logBatch(contributor, id, { metrics: [{ key: '../up', value: 1 }] })).rejects.toMatchObject({ details: { field: 'metrics[0].key' } });
    // At the limit it is accepted.
    await tracking.logBatch(contributor, id, { metrics: metrics(1000) });
    expect((await tracking.metricHistory(viewer, id, { metricKey: 'm' })).metrics).toHaveLength(1000);
  });

  it('refuses logging to a deleted run until it is restored; the run can still be read', async () => {
    const id = await run(await experiment());
    await tracking.setRunLifecycle(contributor, id, 'deleted');
    const active = { message: `The run ${id} must be in the 'active' state. Current state is deleted.` };
    await expect(tracking.logMetric(contributor, id, { key: 'm', value: 1, timestamp: 1, step: 0 })).rejects.toMatchObject(active);
    await expect(tracking.logParam(contributor, id, { key: 'p', value: '1' })).rejects.toMatchObject(active);
    await expect(tracking.setTag(contributor, id, { key: 't', value: '1' })).rejects.toMatchObject(active);
    await expect(tracking.updateRun(contributor, id, { status: 'FINISHED' })).rejects.toMatchObject(active);
    expect((await tracking.getRun(viewer, id)).row.lifecycle_stage).toBe('deleted');
    await tracking.setRunLifecycle(contributor, id, 'active');
    await tracking.logMetric(contributor, id, { key: 'm', value: 1, timestamp: 1, step: 0 });
    expect((await latest(id)).m).toMatchObject({ value: 1 });
  });

  it('lets a viewer read a run but not write to it', async () => {
    const id = await run(await experiment());
    expect((await tracking.getRun(viewer, id)).row.id).toBe(id);
    await expect(tracking.logMetric(viewer, id, { key: 'm', value: 1, timestamp: 1, step: 0 })).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(tracking.getRun(viewer, 'f'.repeat(32))).rejects.toMatchObject({ kind: 'not_found', message: `Run with id=${'f'.repeat(32)} not found` });
  });
});

describe('runs/search', () => {
  it('filters on metrics, params, tags and attributes, orders, and pages with tokens', async () => {
    const exp = await experiment();
    const ids: Record<string, string> = {};
    const specs = [
      { name: 'r1', acc: 0.95, alpha: '0.5', x: 'y', finish: true },
      { name: 'r2', acc: 0.91, alpha: '0.5', x: 'y', finish: false },
      { name: 'r3', acc: 0.99, alpha: '0.1', x: 'y', finish: true },
      { name: 'r4', acc: 0.5, alpha: '0.5', x: 'y', finish: true },
      { name: 'r5', acc: 0.97, alpha: '0.5', x: 'z', finish: true },
      { name: 'r6', acc: 0.93, alpha: '0.5', x: 'y', finish: true },
    ];
    for (const s of specs) {
      const id = await run(exp, s.name);
      ids[s.name] = id;
      await tracking.logBatch(contributor, id, { metrics: [{ key: 'acc', value: s.acc, timestamp: 1, step: 0 }], params: [{ key: 'alpha', value: s.alpha }], tags: [{ key: 'x', value: s.x }] });
      if (s.finish) await tracking.updateRun(contributor, id, { status: 'FINISHED', endTime: 1_800_000_000_000 });
    }
    const names = (runs: { row: { name: string } }[]) => runs.map((r) => r.row.name);
    const filter = "metrics.acc > 0.9 and params.alpha = '0.5' and tags.x = 'y'";
    const all = await tracking.searchRuns(viewer, scope, { experimentIds: [exp], filter, orderBy: ['metrics.acc DESC'] });
    expect(names(all.runs)).toEqual(['r1', 'r6', 'r2']);
    expect(all.nextPageToken).toBeUndefined();
    // The search reads only the keys it filters and orders on; the runs it answers carry all their data.
    const byMetric = await tracking.searchRuns(viewer, scope, { experimentIds: [exp], filter: 'metrics.acc > 0.98' });
    expect(names(byMetric.runs)).toEqual(['r3']);
    expect(byMetric.runs[0]!.data.params).toEqual([{ key: 'alpha', value: '0.1' }]);
    expect(byMetric.runs[0]!.data.tags.map((t) => [t.key, t.value])).toContainEqual(['x', 'y']);
    expect(byMetric.runs[0]!.data.metrics.map((m) => [m.key, m.value])).toEqual([['acc', 0.99]]);

    const finished = await tracking.searchRuns(viewer, scope, { experimentIds: [exp], filter: `${filter} and attributes.status = 'FINISHED'`, orderBy: ['metrics.acc ASC'] });
    expect(names(finished.runs)).toEqual(['r6', 'r1']);

    // Pages of two, in the order asked for, until there is no token.
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await tracking.searchRuns(viewer, scope, { experimentIds: [exp], orderBy: ['attributes.run_name ASC'], maxResults: 2, pageToken: token });
      expect(page.runs.length).toBeLessThanOrEqual(2);
      seen.push(...names(page.runs));
      token = page.nextPageToken;
      pages++;
    } while (token !== undefined && pages < 10);
    expect(seen).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    expect(pages).toBe(3);

    // Without order_by: newest start time first.
    expect(names((await tracking.searchRuns(viewer, scope, { experimentIds: [exp], maxResults: 1 })).runs)).toEqual(['r6']);

    await expect(tracking.searchRuns(viewer, scope, { experimentIds: [exp], filter: 'metrics.acc >>> 1' })).rejects.toMatchObject({ kind: 'invalid', details: { field: 'filter' } });
    await expect(tracking.searchRuns(viewer, scope, { experimentIds: [exp], maxResults: 50_001 })).rejects.toMatchObject({ kind: 'invalid', details: { field: 'max_results' } });
    await expect(tracking.searchRuns(viewer, scope, { experimentIds: [] })).rejects.toMatchObject({ kind: 'invalid', details: { field: 'experiment_ids' } });
  });
});

describe('experiment lifecycle', () => {
  it('deletes and restores an experiment together with its runs', async () => {
    const exp = await experiment();
    const a = await run(exp);
    const b = await run(exp);
    await tracking.setExperimentLifecycle(contributor, scope, exp, 'deleted');
    expect((await tracking.getExperiment(viewer, scope, exp)).row.lifecycle_stage).toBe('deleted');
    for (const id of [a, b]) expect((await tracking.getRun(viewer, id)).row.lifecycle_stage).toBe('deleted');
    expect((await tracking.searchRuns(viewer, scope, { experimentIds: [exp] })).runs).toEqual([]);
    expect((await tracking.searchRuns(viewer, scope, { experimentIds: [exp], runViewType: 'DELETED_ONLY' })).runs).toHaveLength(2);
    await expect(tracking.createRun(contributor, scope, { experimentId: exp })).rejects.toMatchObject({ kind: 'invalid', details: { field: 'experiment_id' } });
    const active = await tracking.searchExperiments(viewer, { projectIds: [scope.id] });
    expect(active.experiments.map((e) => String(e.row.id))).not.toContain(exp);
    const deleted = await tracking.searchExperiments(viewer, { projectIds: [scope.id], viewType: 'DELETED_ONLY' });
    expect(deleted.experiments.map((e) => String(e.row.id))).toEqual([exp]);

    await tracking.setExperimentLifecycle(contributor, scope, exp, 'active');
    for (const id of [a, b]) expect((await tracking.getRun(viewer, id)).row.lifecycle_stage).toBe('active');
    expect((await tracking.searchRuns(viewer, scope, { experimentIds: [exp] })).runs).toHaveLength(2);
  });

  it('renames, tags and searches experiments by name and tag', async () => {
    const exp = await experiment('to-rename');
    await tracking.renameExperiment(contributor, scope, exp, 'renamed-churn');
    await tracking.setExperimentTag(contributor, scope, exp, 'team', 'risk');
    const found = await tracking.searchExperiments(viewer, { projectIds: [scope.id], filter: "name LIKE '%churn%' and tags.team = 'risk'" });
    expect(found.experiments.map((e) => e.row.name)).toEqual(['renamed-churn']);
    expect(found.experiments[0]!.tags).toEqual([{ key: 'team', value: 'risk' }]);
    const page = await tracking.searchExperiments(viewer, { projectIds: [scope.id], maxResults: 1, orderBy: ['name ASC'] });
    expect(page.experiments).toHaveLength(1);
    expect(page.nextPageToken).toEqual(expect.any(String));
  });
});

describe('run artifacts', () => {
  it('stores files under a run, lists a folder one level deep, and reads the bytes back', async () => {
    const exp = await experiment();
    const id = await run(exp);
    const root = `${exp}/${id}/artifacts`;
    const onnx = Buffer.from([0, 1, 2, 255, 254, 10, 13]);
    await tracking.putArtifact(contributor, `${root}/model/MLmodel`, Readable.from([Buffer.from('artifact_path: model\n')]));
    await tracking.putArtifact(contributor, `${root}/model/model.onnx`, Readable.from([onnx]));
    await tracking.putArtifact(contributor, `${root}/metrics.json`, Readable.from([Buffer.from('{"a": 1}')]));

    expect(await tracking.listArtifacts(viewer, root)).toEqual([
      { path: 'metrics.json', isDir: false, size: 8 },
      { path: 'model', isDir: true },
    ]);
    expect(await tracking.listArtifacts(viewer, `${root}/model/`)).toEqual([
      { path: 'MLmodel', isDir: false, size: 21 },
      { path: 'model.onnx', isDir: false, size: onnx.length },
    ]);
    // A file, and a folder with nothing in it, list as empty (MLflow's client then reads the path as a file).
    expect(await tracking.listArtifacts(viewer, `${root}/metrics.json`)).toEqual([]);
    expect(await tracking.listArtifacts(viewer, `${root}/nothing`)).toEqual([]);

    const { opened } = await tracking.openArtifact(viewer, `${root}/model/model.onnx`);
    expect(opened.size).toBe(onnx.length);
    expect(Buffer.compare(await bytesOf(opened.stream), onnx)).toBe(0);

    // A path cannot be both a file and a folder.
    await expect(tracking.putArtifact(contributor, `${root}/model`, Readable.from([Buffer.from('x')]))).rejects.toMatchObject({ kind: 'conflict' });
    await expect(tracking.putArtifact(contributor, `${root}/metrics.json/inner`, Readable.from([Buffer.from('x')]))).rejects.toMatchObject({ kind: 'conflict' });
    // Paths that climb or are absolute are refused before anything is read.
    for (const bad of [`${root}/../x`, `/${root}/x`, `${root}/./x`, `${root}\\x`, `${root}//x`]) {
      await expect(tracking.putArtifact(contributor, bad, Readable.from([Buffer.from('x')])), bad).rejects.toMatchObject({ kind: 'invalid', details: { field: 'path' } });
    }
    await expect(tracking.putArtifact(viewer, `${root}/v.txt`, Readable.from([Buffer.from('x')]))).rejects.toMatchObject({ kind: 'forbidden' });

    // Deleting a folder deletes what is in it.
    expect(await tracking.deleteArtifact(contributor, `${root}/model`)).toBe(2);
    expect(await tracking.listArtifacts(viewer, root)).toEqual([{ path: 'metrics.json', isDir: false, size: 8 }]);
    await expect(tracking.openArtifact(viewer, `${root}/model/MLmodel`)).rejects.toMatchObject({ kind: 'not_found' });

    // A deleted run takes no more files.
    await tracking.setRunLifecycle(contributor, id, 'deleted');
    await expect(tracking.putArtifact(contributor, `${root}/late.txt`, Readable.from([Buffer.from('x')]))).rejects.toMatchObject({ kind: 'invalid' });
  });

  it('lists the experiments a caller can read at the root', async () => {
    const exp = await experiment();
    const byAdmin = await tracking.listArtifacts(admin, undefined);
    expect(byAdmin).toContainEqual({ path: exp, isDir: true });
  });
});
