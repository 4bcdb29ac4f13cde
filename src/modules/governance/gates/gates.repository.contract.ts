/**
 * The gate repository's contract, through MetadataStore only, for every backend: call
 * gatesRepositoryContract with a factory of fresh, empty, migrated stores (the suite closes them).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MetadataStore } from '../../../db/metadata-store.js';
import type { DatasetVersionRow } from '../../../db/schema.js';
import { newId } from '../../../platform/ids.js';
import { DEFAULT_PROJECT_ID, iso, modelRow, ms, versionRow } from '../../../../test/support/rows.js';
import type { GateResultRow, GateRunRow } from './gates.repository.js';

async function seed(store: MetadataStore) {
  const m = modelRow('scorer', { created: 1 });
  await store.models.insert(m);
  const v = versionRow(m.id, 1);
  const other = versionRow(m.id, 2);
  await store.versions.insert(v);
  await store.versions.insert(other);
  const ds = { id: newId(ms(2)), project_id: DEFAULT_PROJECT_ID, name: 'rows', description: '', last_version: 1, created_at: iso(2), created_by: 'd', updated_at: iso(2), updated_by: 'd' };
  await store.datasets.insert(ds);
  const dv: DatasetVersionRow = {
    id: newId(ms(3)), dataset_id: ds.id, version: 1, sha256: 'a'.repeat(64), source_format: 'csv', source_name: 'rows.csv', source_sha256: 'a'.repeat(64), source_size: 10,
    stored_sha256: 'b'.repeat(64), stored_size: 10, row_count: 3, schema: '[]', csv: null, source: null, derived_from: null, recipe: null, split: null, description: '',
    profile_status: 'READY', profile: null, profile_job_id: null, created_at: iso(3), created_by: 'd',
  };
  await store.datasets.insertVersion(dv);
  return { model: m, version: v, other, dataset: dv };
}

const run = (seconds: number, versionId: string, datasetVersionId: string, extra: Partial<GateRunRow> = {}): GateRunRow => ({
  id: newId(ms(seconds)), model_version_id: versionId, dataset_version_id: datasetVersionId, policy_id: null, spec: '{"gates":[]}', status: 'QUEUED', passed: null,
  job_id: `job-${seconds}`, error: null, created_at: iso(seconds), created_by: 'maria', finished_at: null, ...extra,
});

const result = (seconds: number, runId: string, versionId: string, name: string, passed: boolean, sha = 'c'.repeat(64)): GateResultRow => ({
  id: newId(ms(seconds)), run_id: runId, model_version_id: versionId, name, type: 'metric', spec_sha256: sha, spec: '{"type":"metric"}', passed: passed ? 1 : 0,
  details: '{"value":0.9}', created_at: iso(seconds),
});

export function gatesRepositoryContract(fresh: () => Promise<MetadataStore>): void {
  describe('gate repository', () => {
    const opened: MetadataStore[] = [];
    const open = async () => {
      const store = await fresh();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    it("stores runs, moves their status only from the expected one, and lists a version's runs newest first", async () => {
      const store = await open();
      const { version, other, dataset } = await seed(store);
      const a = run(10, version.id, dataset.id);
      const b = run(20, version.id, dataset.id);
      const c = run(30, other.id, dataset.id);
      await store.gates.insertRun(a);
      await store.transaction(async (tx) => {
        await tx.gates.insertRun(b);
        await tx.gates.insertRun(c);
      });
      expect(await store.gates.getRun(a.id)).toEqual(a);
      expect(await store.gates.getRun('missing')).toBeUndefined();
      expect((await store.gates.runsOfVersion(version.id, 10)).map((r) => r.id)).toEqual([b.id, a.id]);
      expect((await store.gates.runsOfVersion(version.id, 1)).map((r) => r.id)).toEqual([b.id]);

      expect(await store.gates.claimRun(a.id, ['QUEUED'], 'RUNNING')).toBe(true);
      expect(await store.gates.claimRun(a.id, ['QUEUED'], 'RUNNING')).toBe(false);
      await store.gates.updateRun(a.id, { status: 'SUCCEEDED', passed: 1, finished_at: iso(40) });
      expect(await store.gates.getRun(a.id)).toEqual({ ...a, status: 'SUCCEEDED', passed: 1, finished_at: iso(40) });
      await store.gates.updateRun(b.id, { status: 'FAILED', passed: 0, error: 'boom' });
      expect(await store.gates.getRun(b.id)).toMatchObject({ status: 'FAILED', passed: 0, error: 'boom' });
    });

    it("keeps results in gate order per run, and a version's results newest first, by name too", async () => {
      const store = await open();
      const { version, other, dataset } = await seed(store);
      const r1 = run(10, version.id, dataset.id);
      const r2 = run(20, version.id, dataset.id);
      await store.gates.insertRun(r1);
      await store.gates.insertRun(r2);
      const first = [result(11, r1.id, version.id, 'auc', true), result(11.001, r1.id, version.id, 'parity', false)];
      const second = [result(21, r2.id, version.id, 'auc', false, 'd'.repeat(64))];
      await store.gates.insertResults(first);
      await store.transaction(async (tx) => tx.gates.insertResults(second));
      await store.gates.insertResults([]);
      expect(await store.gates.resultsOfRun(r1.id)).toEqual(first);
      expect((await store.gates.resultsOfVersion(version.id)).map((r) => r.id)).toEqual([second[0]!.id, first[1]!.id, first[0]!.id]);
      expect((await store.gates.resultsOfVersion(version.id, 'auc')).map((r) => r.id)).toEqual([second[0]!.id, first[0]!.id]);
      expect(await store.gates.resultsOfVersion(other.id)).toEqual([]);
    });

    it('knows the names of a version and whether a policy exists', async () => {
      const store = await open();
      const { model, version } = await seed(store);
      expect(await store.gates.versionNames(version.id)).toEqual({ projectId: DEFAULT_PROJECT_ID, model: model.name, version: 1 });
      expect(await store.gates.versionNames('missing')).toBeUndefined();
      expect(await store.gates.policyExists('missing')).toBe(false);
    });
  });
}
