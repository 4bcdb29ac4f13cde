/**
 * The contract of TrackingRepository, through MetadataStore only, so that it runs on SQLite and PostgreSQL
 * alike (called from src/db/metadata-store.contract.ts with a factory of fresh, migrated stores).
 */
import { describe, expect, it } from 'vitest';
import type { MetadataStore } from '../../db/metadata-store.js';
import type { ExperimentRow, RunRow } from '../../db/schema.js';
import { DEFAULT_PROJECT_ID, iso, modelRow, ms, projectRow, versionRow } from '../../../test/support/rows.js';
import { newId } from '../../platform/ids.js';
import { isLater, latestPoints, type MetricPoint } from './tracking.repository.js';

function experimentRow(id: number, name: string, opts: Partial<ExperimentRow> = {}): ExperimentRow {
  return {
    id,
    project_id: DEFAULT_PROJECT_ID,
    name,
    artifact_location: `mlflow-artifacts:/${id}`,
    lifecycle_stage: 'active',
    creation_time: ms(id),
    last_update_time: ms(id),
    created_by: 'ana',
    ...opts,
  };
}

function runRow(id: string, experimentId: number, start: number, opts: Partial<RunRow> = {}): RunRow {
  return {
    id,
    experiment_id: experimentId,
    project_id: DEFAULT_PROJECT_ID,
    name: `run-${id.slice(0, 4)}`,
    status: 'RUNNING',
    start_time: start,
    end_time: null,
    user_id: 'ana',
    lifecycle_stage: 'active',
    artifact_uri: `mlflow-artifacts:/${experimentId}/${id}/artifacts`,
    parent_run_id: null,
    deleted_time: null,
    ...opts,
  };
}

const RUN_A = 'a'.repeat(32);
const RUN_B = 'b'.repeat(32);
const point = (key: string, value: number, step: number, timestamp: number, isNan = false): MetricPoint => ({ key, value, step, timestamp, isNan });

export function trackingRepositoryContract(fresh: () => Promise<MetadataStore>): void {
  describe('tracking', () => {
    it('hands out experiment ids in order and finds experiments by id and by name within a project', async () => {
      const store = await fresh();
      expect(await store.tracking.nextExperimentId()).toBe(1);
      await store.tracking.insertExperiment(experimentRow(1, 'churn'));
      await store.tracking.insertExperiment(experimentRow(2, 'price', { lifecycle_stage: 'deleted' }));
      expect(await store.tracking.nextExperimentId()).toBe(3);
      expect((await store.tracking.getExperiment(2))?.name).toBe('price');
      expect((await store.tracking.getExperimentByName(DEFAULT_PROJECT_ID, 'churn'))?.id).toBe(1);
      expect(await store.tracking.getExperimentByName(DEFAULT_PROJECT_ID, 'CHURN')).toBeUndefined();
      expect((await store.tracking.listExperiments({ projectIds: 'all', lifecycle: 'active' })).map((e) => e.name)).toEqual(['churn']);
      expect((await store.tracking.listExperiments({ projectIds: [DEFAULT_PROJECT_ID], lifecycle: 'all' })).map((e) => Number(e.id))).toEqual([1, 2]);
      expect(await store.tracking.listExperiments({ projectIds: [], lifecycle: 'all' })).toEqual([]);
      // Names are unique within a project.
      await expect(store.tracking.insertExperiment(experimentRow(3, 'churn'))).rejects.toThrow();
      await store.tracking.setExperimentTag(1, 'team', 'risk');
      await store.tracking.setExperimentTag(1, 'team', 'pricing');
      expect(await store.tracking.experimentTags([1, 2])).toEqual([{ experiment_id: 1, key: 'team', value: 'pricing' }]);
      expect(await store.tracking.deleteExperimentTag(1, 'team')).toBe(1);
      expect(await store.tracking.deleteExperimentTag(1, 'team')).toBe(0);
    });

    it('keeps every metric point once, the latest by step then timestamp then value, NaN and infinities', async () => {
      const store = await fresh();
      await store.tracking.insertExperiment(experimentRow(1, 'e'));
      await store.tracking.insertRun(runRow(RUN_A, 1, ms(1)));
      await store.transaction((tx) =>
        tx.tracking.log(RUN_A, {
          metrics: [point('loss', 0.5, 2, 100), point('loss', 0.9, 1, 900), point('loss', 0.5, 2, 100), point('acc', Infinity, 0, 5), point('nan', 0, 0, 5, true)],
          params: [],
          tags: [],
        }),
      );
      // A later timestamp at the same step wins; an earlier step never does.
      await store.transaction((tx) => tx.tracking.log(RUN_A, { metrics: [point('loss', 0.1, 2, 200), point('loss', 5, 1, 9999)], params: [], tags: [] }));
      // Same step and timestamp: the greater value wins.
      await store.transaction((tx) => tx.tracking.log(RUN_A, { metrics: [point('loss', 0.2, 2, 200), point('loss', 0.05, 2, 200)], params: [], tags: [] }));
      const history = await store.tracking.metricHistory(RUN_A, 'loss', { offset: 0, limit: 100 });
      expect(history.map((p) => [Number(p.step), Number(p.timestamp), p.value])).toEqual([
        [1, 900, 0.9],
        [1, 9999, 5],
        [2, 100, 0.5],
        [2, 200, 0.05],
        [2, 200, 0.1],
        [2, 200, 0.2],
      ]);
      expect((await store.tracking.metricHistory(RUN_A, 'loss', { offset: 4, limit: 1 })).map((p) => p.value)).toEqual([0.1]);
      const data = (await store.tracking.runData([RUN_A, RUN_B])).get(RUN_A)!;
      const latest = Object.fromEntries(data.metrics.map((m) => [m.key, { value: m.value, step: Number(m.step), isNan: m.is_nan }]));
      expect(latest).toEqual({ loss: { value: 0.2, step: 2, isNan: 0 }, acc: { value: Infinity, step: 0, isNan: 0 }, nan: { value: 0, step: 0, isNan: 1 } });
      expect((await store.tracking.runData([RUN_B])).get(RUN_B)).toEqual({ params: [], tags: [], metrics: [], inputs: [] });
      const both = await store.tracking.metricHistories([RUN_A], ['acc', 'nan']);
      expect(both.map((p) => p.key)).toEqual(['acc', 'nan']);
    });

    it('keeps params write-once and reports changed values as conflicts; tags take the last value', async () => {
      const store = await fresh();
      await store.tracking.insertExperiment(experimentRow(1, 'e'));
      await store.tracking.insertRun(runRow(RUN_A, 1, ms(1)));
      expect(await store.tracking.log(RUN_A, { metrics: [], params: [{ key: 'alpha', value: '0.5' }], tags: [{ key: 't', value: '1' }] })).toEqual({ conflicts: [] });
      expect(await store.tracking.log(RUN_A, { metrics: [], params: [{ key: 'alpha', value: '0.5' }, { key: 'beta', value: 'x' }], tags: [{ key: 't', value: '2' }] })).toEqual({ conflicts: [] });
      const changed = await store.tracking.log(RUN_A, { metrics: [], params: [{ key: 'alpha', value: '0.7' }], tags: [] });
      expect(changed.conflicts).toEqual([{ key: 'alpha', old: '0.5', new: '0.7' }]);
      const data = (await store.tracking.runData([RUN_A])).get(RUN_A)!;
      expect(data.params).toEqual([
        { key: 'alpha', value: '0.5' },
        { key: 'beta', value: 'x' },
      ]);
      expect(data.tags).toEqual([{ key: 't', value: '2' }]);
      expect(await store.tracking.deleteTag(RUN_A, 't')).toBe(1);
      expect(await store.tracking.deleteTag(RUN_A, 't')).toBe(0);
    });

    it('lists runs newest first by lifecycle, reads their data per experiment, and finds children', async () => {
      const store = await fresh();
      await store.tracking.insertExperiment(experimentRow(1, 'e'));
      await store.tracking.insertExperiment(experimentRow(2, 'f'));
      await store.tracking.insertRun(runRow(RUN_A, 1, ms(1)));
      await store.tracking.insertRun(runRow(RUN_B, 1, ms(2), { parent_run_id: RUN_A }));
      await store.tracking.insertRun(runRow('c'.repeat(32), 2, ms(3)));
      await store.tracking.log(RUN_B, { metrics: [point('m', 1, 0, 1)], params: [{ key: 'p', value: 'v' }], tags: [{ key: 't', value: 'u' }] });
      expect((await store.tracking.listRuns({ experimentIds: [1], lifecycle: 'active' })).map((r) => r.id)).toEqual([RUN_B, RUN_A]);
      await store.tracking.updateRun(RUN_A, { lifecycle_stage: 'deleted', deleted_time: ms(9), status: 'FINISHED', end_time: ms(5) });
      expect((await store.tracking.listRuns({ experimentIds: [1], lifecycle: 'active' })).map((r) => r.id)).toEqual([RUN_B]);
      expect((await store.tracking.listRuns({ experimentIds: [1, 2], lifecycle: 'all' })).map((r) => r.id)).toEqual(['c'.repeat(32), RUN_B, RUN_A]);
      const run = await store.tracking.getRun(RUN_A);
      expect([run?.status, Number(run?.end_time), run?.lifecycle_stage]).toEqual(['FINISHED', ms(5), 'deleted']);
      const data = await store.tracking.runDataInExperiments({ experimentIds: [1], lifecycle: 'active' });
      expect([...data.keys()]).toEqual([RUN_B]);
      expect(data.get(RUN_B)!.params).toEqual([{ key: 'p', value: 'v' }]);
      expect(data.get(RUN_B)!.metrics.map((m) => m.key)).toEqual(['m']);
      expect(await store.tracking.keysInExperiment(1, 'active')).toEqual({ metrics: ['m'], params: ['p'], tags: ['t'] });
      expect(await store.tracking.keysInExperiment(2, 'active')).toEqual({ metrics: [], params: [], tags: [] });
      // Only the keys a search names.
      await store.tracking.log(RUN_B, { metrics: [point('n', 2, 0, 1)], params: [{ key: 'q', value: 'w' }], tags: [] });
      const only = await store.tracking.runDataInExperiments({ experimentIds: [1], lifecycle: 'active', only: { metrics: ['n'], params: [], tags: ['t'], inputs: false } });
      expect(only.get(RUN_B)!.metrics.map((m) => m.key)).toEqual(['n']);
      expect(only.get(RUN_B)!.params).toEqual([]);
      expect(only.get(RUN_B)!.tags).toEqual([{ key: 't', value: 'u' }]);
      expect((await store.tracking.childRuns(RUN_A)).map((r) => r.id)).toEqual([RUN_B]);
    });

    it('keeps a run input once per name and digest', async () => {
      const store = await fresh();
      await store.tracking.insertExperiment(experimentRow(1, 'e'));
      await store.tracking.insertRun(runRow(RUN_A, 1, ms(1)));
      const input = { run_id: RUN_A, name: 'train', digest: 'abc', source_type: 'local', source: 'file.csv', schema: null, profile: null, tags: '[]', dataset_version_id: null, created_at: ms(1) };
      await store.tracking.insertInputs([input, { ...input, digest: 'def' }]);
      await store.tracking.insertInputs([{ ...input, source: 'changed' }]);
      const inputs = (await store.tracking.runData([RUN_A])).get(RUN_A)!.inputs;
      expect(inputs.map((i) => [i.digest, i.source])).toEqual([
        ['abc', 'file.csv'],
        ['def', 'file.csv'],
      ]);
    });

    it('indexes artifacts by path: files under a folder by range, replace in place, delete a file or a folder', async () => {
      const store = await fresh();
      const row = (path: string, size = 1) => ({ path, project_id: DEFAULT_PROJECT_ID, sha256: 'f'.repeat(64), size, created_at: ms(1), created_by: 'ana' });
      for (const p of ['1/r/artifacts/model/MLmodel', '1/r/artifacts/model/model.onnx', '1/r/artifacts/model0.txt', '1/r/artifacts/model/sub/x', '1/r/artifacts/plot.png']) await store.tracking.putArtifact(row(p));
      await store.tracking.putArtifact(row('1/r/artifacts/plot.png', 42));
      expect((await store.tracking.listArtifacts('1/r/artifacts/model', 100)).map((a) => a.path)).toEqual(['1/r/artifacts/model/MLmodel', '1/r/artifacts/model/model.onnx', '1/r/artifacts/model/sub/x']);
      expect((await store.tracking.listArtifacts('1/r/artifacts/model/', 100)).length).toBe(3);
      expect(Number((await store.tracking.getArtifact('1/r/artifacts/plot.png'))?.size)).toBe(42);
      expect(await store.tracking.listArtifacts('1/r/artifacts', 2)).toHaveLength(2);
      expect(await store.tracking.deleteArtifacts('1/r/artifacts/model')).toBe(3);
      expect(await store.tracking.deleteArtifacts('1/r/artifacts/plot.png')).toBe(1);
      expect((await store.tracking.listArtifacts('1', 100)).map((a) => a.path)).toEqual(['1/r/artifacts/model0.txt']);
    });
  });

  describe("Steward's tracking views", () => {
    it('counts runs per experiment by lifecycle, finds versions made from runs, and names dataset versions', async () => {
      const store = await fresh();
      await store.tracking.insertExperiment(experimentRow(1, 'e'));
      await store.tracking.insertExperiment(experimentRow(2, 'f'));
      await store.tracking.insertExperiment(experimentRow(3, 'g'));
      const RUN_C = 'c'.repeat(32);
      await store.tracking.insertRun(runRow(RUN_A, 1, ms(1)));
      await store.tracking.insertRun(runRow(RUN_B, 1, ms(2), { lifecycle_stage: 'deleted' }));
      await store.tracking.insertRun(runRow(RUN_C, 2, ms(3)));
      expect(await store.tracking.countRuns({ experimentIds: [1, 2, 3], lifecycle: 'active' })).toEqual(new Map([[1, 1], [2, 1]]));
      expect(await store.tracking.countRuns({ experimentIds: [1, 2, 3], lifecycle: 'all' })).toEqual(new Map([[1, 2], [2, 1]]));
      expect(await store.tracking.countRuns({ experimentIds: [1], lifecycle: 'deleted' })).toEqual(new Map([[1, 1]]));
      expect(await store.tracking.countRuns({ experimentIds: [], lifecycle: 'all' })).toEqual(new Map());

      // Versions name their run by source_run, or through their MLflow origin; each comes once.
      const other = projectRow('other', 1);
      await store.projects.insert(other);
      const churn = modelRow('churn', { created: 1 });
      const price = modelRow('price', { created: 2, projectId: other.id });
      await store.models.insert(churn);
      await store.models.insert(price);
      const v1 = versionRow(churn.id, 1, { id: newId(ms(11)), source_run: RUN_A });
      const v2 = versionRow(churn.id, 2, { id: newId(ms(12)), source_run: RUN_A });
      const v3 = versionRow(price.id, 1, { id: newId(ms(13)), source_run: RUN_B });
      const v4 = versionRow(churn.id, 3, { id: newId(ms(14)), source_run: 'not-a-run' });
      for (const v of [v1, v2, v3, v4]) await store.versions.insert(v);
      const origin = (versionId: string, runId: string | null) => ({ version_id: versionId, source: `runs:/${runId}/model`, run_id: runId, run_link: null, mlmodel: null, flavors: '[]', servable: 0, reason: null });
      await store.tracking.setVersionOrigin(origin(v2.id, RUN_A));
      await store.tracking.setVersionOrigin(origin(v4.id, RUN_C));
      expect(await store.tracking.versionsFromRuns([RUN_A, RUN_B, RUN_C, 'd'.repeat(32)])).toEqual([
        { run_id: RUN_A, project_id: DEFAULT_PROJECT_ID, model: 'churn', version: 1 },
        { run_id: RUN_A, project_id: DEFAULT_PROJECT_ID, model: 'churn', version: 2 },
        { run_id: RUN_B, project_id: other.id, model: 'price', version: 1 },
        { run_id: RUN_C, project_id: DEFAULT_PROJECT_ID, model: 'churn', version: 3 },
      ]);
      expect(await store.tracking.versionsFromRuns([])).toEqual([]);

      const ds = { id: newId(ms(20)), project_id: DEFAULT_PROJECT_ID, name: 'iris', description: '', last_version: 2, created_at: iso(20), created_by: 'd', updated_at: iso(20), updated_by: 'd' };
      await store.datasets.insert(ds);
      const dv = (version: number) => ({
        id: newId(ms(20 + version)), dataset_id: ds.id, version, sha256: String(version).repeat(64), source_format: 'csv', source_name: 'iris.csv', source_sha256: 'a'.repeat(64), source_size: 10,
        stored_sha256: 'b'.repeat(64), stored_size: 10, row_count: 3, schema: '[]', csv: null, source: null, derived_from: null, recipe: null, split: null, description: '',
        profile_status: 'READY', profile: null, profile_job_id: null, created_at: iso(20 + version), created_by: 'd',
      });
      const [d1, d2] = [dv(1), dv(2)];
      for (const d of [d1, d2]) await store.datasets.insertVersion(d as Parameters<typeof store.datasets.insertVersion>[0]);
      const named = await store.tracking.datasetVersionNames([d2.id, d1.id, d2.id, 'missing']);
      expect(named.sort((a, b) => a.version - b.version)).toEqual([
        { id: d1.id, dataset: 'iris', version: 1 },
        { id: d2.id, dataset: 'iris', version: 2 },
      ]);
    });
  });

  describe('latest metric rule', () => {
    it('orders by step, then timestamp, then value', () => {
      expect(isLater({ step: 2, timestamp: 0, value: 0 }, { step: 1, timestamp: 9, value: 9 })).toBe(true);
      expect(isLater({ step: 1, timestamp: 2, value: 0 }, { step: 1, timestamp: 1, value: 9 })).toBe(true);
      expect(isLater({ step: 1, timestamp: 1, value: 1 }, { step: 1, timestamp: 1, value: 2 })).toBe(false);
      expect(latestPoints([point('a', 1, 0, 5), point('a', 0, 1, 0), point('b', 3, 0, 0)]).map((p) => [p.key, p.value])).toEqual([
        ['a', 0],
        ['b', 3],
      ]);
    });
  });
}
