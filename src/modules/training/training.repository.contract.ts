/**
 * The contract of TrainingRepository, through MetadataStore only, so that it runs on SQLite and PostgreSQL
 * alike (called from src/db/metadata-store.contract.ts with a factory of fresh, migrated stores).
 */
import { describe, expect, it } from 'vitest';
import type { MetadataStore } from '../../db/metadata-store.js';
import { DEFAULT_PROJECT_ID, iso, ms, projectRow } from '../../../test/support/rows.js';
import { newId } from '../../platform/ids.js';
import type { TrainingJobRow } from './training.repository.js';

async function datasetVersion(store: MetadataStore): Promise<string> {
  const ds = { id: newId(ms(1)), project_id: DEFAULT_PROJECT_ID, name: 'credit', description: '', last_version: 1, created_at: iso(1), created_by: 'd', updated_at: iso(1), updated_by: 'd' };
  await store.datasets.insert(ds);
  const dv = {
    id: newId(ms(2)), dataset_id: ds.id, version: 1, sha256: '1'.repeat(64), source_format: 'csv', source_name: 'credit.csv', source_sha256: 'a'.repeat(64), source_size: 10,
    stored_sha256: 'b'.repeat(64), stored_size: 10, row_count: 3, schema: '[]', csv: null, source: null, derived_from: null, recipe: null, split: null, description: '',
    profile_status: 'READY', profile: null, profile_job_id: null, created_at: iso(2), created_by: 'd',
  };
  await store.datasets.insertVersion(dv as Parameters<typeof store.datasets.insertVersion>[0]);
  return dv.id;
}

function row(id: string, datasetVersionId: string, seconds: number, opts: Partial<TrainingJobRow> = {}): TrainingJobRow {
  return {
    id,
    project_id: DEFAULT_PROJECT_ID,
    dataset_version_id: datasetVersionId,
    job_id: `job-${id}`,
    spec: '{"algorithm":"gbdt"}',
    status: 'QUEUED',
    cancel_requested: 0,
    experiment_id: null,
    run_id: null,
    result: null,
    error: null,
    created_at: iso(seconds),
    created_by: 'ana',
    created_by_id: 'u-ana',
    started_at: null,
    finished_at: null,
    ...opts,
  };
}

export function trainingRepositoryContract(fresh: () => Promise<MetadataStore>): void {
  describe('training jobs', () => {
    it('stores a job, updates it, and reads it back with numbers as numbers', async () => {
      const store = await fresh();
      const dv = await datasetVersion(store);
      await store.training.insert(row('t1', dv, 10));
      expect(await store.training.get('t1')).toEqual(row('t1', dv, 10));
      expect(await store.training.get('missing')).toBeUndefined();
      await store.training.update('t1', { status: 'RUNNING', experiment_id: 12, run_id: 'a'.repeat(32), started_at: iso(11) });
      await store.training.update('t1', { result: '{"trials":[]}' });
      await store.training.update('t1', {});
      expect(await store.training.get('t1')).toEqual(row('t1', dv, 10, { status: 'RUNNING', experiment_id: 12, run_id: 'a'.repeat(32), started_at: iso(11), result: '{"trials":[]}' }));
      await store.close();
    });

    it('takes a cancel request only while the job is queued or running', async () => {
      const store = await fresh();
      const dv = await datasetVersion(store);
      await store.training.insert(row('q', dv, 1));
      await store.training.insert(row('r', dv, 2, { status: 'RUNNING' }));
      await store.training.insert(row('s', dv, 3, { status: 'SUCCEEDED' }));
      expect(await store.training.requestCancel('q')).toBe(true);
      expect(await store.training.requestCancel('r')).toBe(true);
      expect(await store.training.requestCancel('s')).toBe(false);
      expect(await store.training.requestCancel('nope')).toBe(false);
      expect((await store.training.get('q'))!.cancel_requested).toBe(1);
      expect((await store.training.get('r'))!.cancel_requested).toBe(1);
      expect((await store.training.get('s'))!.cancel_requested).toBe(0);
      await store.close();
    });

    it("lists a project's jobs newest first, by status, and pages by (created_at, id)", async () => {
      const store = await fresh();
      const dv = await datasetVersion(store);
      const other = projectRow('other', 1);
      await store.projects.insert(other);
      await store.training.insert(row('a', dv, 1));
      await store.training.insert(row('b', dv, 2, { status: 'FAILED' }));
      await store.training.insert(row('c', dv, 2));
      await store.training.insert(row('d', dv, 3));
      await store.training.insert(row('x', dv, 4, { project_id: other.id }));
      const ids = (rows: TrainingJobRow[]) => rows.map((r) => r.id);
      expect(ids(await store.training.list(DEFAULT_PROJECT_ID, { limit: 10 }))).toEqual(['d', 'c', 'b', 'a']);
      expect(ids(await store.training.list(DEFAULT_PROJECT_ID, { limit: 2 }))).toEqual(['d', 'c']);
      expect(ids(await store.training.list(DEFAULT_PROJECT_ID, { limit: 10, before: { createdAt: iso(2), id: 'c' } }))).toEqual(['b', 'a']);
      expect(ids(await store.training.list(DEFAULT_PROJECT_ID, { limit: 10, status: 'QUEUED' }))).toEqual(['d', 'c', 'a']);
      expect(ids(await store.training.list(other.id, { limit: 10 }))).toEqual(['x']);
      await store.close();
    });
  });
}
