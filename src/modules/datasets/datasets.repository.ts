import { sql } from 'kysely';
import { escapeLike, type Executor } from '../../db/executor.js';
import type { DatasetRow, DatasetVersionRow } from '../../db/schema.js';

export interface DatasetRepository {
  insert(row: DatasetRow): Promise<void>;
  get(projectId: string, name: string): Promise<DatasetRow | undefined>;
  getById(id: string): Promise<DatasetRow | undefined>;
  /** Datasets of a project by name, optionally those whose name contains a text; keyset after a name. */
  list(query: { projectId: string; nameContains?: string; afterName?: string; limit: number }): Promise<DatasetRow[]>;
  touch(id: string, at: string, by: string): Promise<void>;
  allocateVersion(id: string): Promise<number>;
  insertVersion(row: DatasetVersionRow): Promise<void>;
  getVersion(datasetId: string, version: number): Promise<DatasetVersionRow | undefined>;
  getVersionById(id: string): Promise<DatasetVersionRow | undefined>;
  getVersionBySha(datasetId: string, sha256: string): Promise<DatasetVersionRow | undefined>;
  /** Newest first; keyset before a version number. */
  listVersions(query: { datasetId: string; beforeVersion?: number; limit: number }): Promise<DatasetVersionRow[]>;
  /** Versions made from this one (splits, prepared versions). */
  derivedFrom(versionId: string): Promise<DatasetVersionRow[]>;
  setProfile(id: string, fields: { status: string; profile?: string | null; jobId?: string | null }): Promise<void>;
  /** Records that a model version used a dataset version in a role (train, validation, test, evaluation). */
  link(modelVersionId: string, datasetVersionId: string, role: string): Promise<void>;
  /** The dataset versions a model version used, with their dataset names. */
  datasetsOfModelVersion(modelVersionId: string): Promise<{ dataset: string; version: number; role: string }[]>;
  /** The model versions that used a dataset version, with their model names. */
  modelVersionsOfDataset(datasetVersionId: string): Promise<{ model: string; version: number; status: string; role: string }[]>;
}

export class KyselyDatasetRepository implements DatasetRepository {
  constructor(private readonly db: Executor) {}

  async insert(row: DatasetRow): Promise<void> {
    await this.db.insertInto('datasets').values(row).execute();
  }

  get(projectId: string, name: string): Promise<DatasetRow | undefined> {
    return this.db.selectFrom('datasets').selectAll().where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
  }

  getById(id: string): Promise<DatasetRow | undefined> {
    return this.db.selectFrom('datasets').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(query: { projectId: string; nameContains?: string; afterName?: string; limit: number }): Promise<DatasetRow[]> {
    let q = this.db.selectFrom('datasets').selectAll().where('project_id', '=', query.projectId);
    if (query.nameContains !== undefined) q = q.where(sql<boolean>`lower(name) like ${`%${escapeLike(query.nameContains.toLowerCase())}%`} escape '\\'`);
    if (query.afterName !== undefined) q = q.where('name', '>', query.afterName);
    return q.orderBy('name').limit(query.limit).execute();
  }

  async touch(id: string, at: string, by: string): Promise<void> {
    await this.db.updateTable('datasets').set({ updated_at: at, updated_by: by }).where('id', '=', id).execute();
  }

  async allocateVersion(id: string): Promise<number> {
    const r = await this.db
      .updateTable('datasets')
      .set((eb) => ({ last_version: eb('last_version', '+', 1) }))
      .where('id', '=', id)
      .returning('last_version')
      .executeTakeFirstOrThrow();
    return Number(r.last_version);
  }

  async insertVersion(row: DatasetVersionRow): Promise<void> {
    await this.db.insertInto('dataset_versions').values(row).execute();
  }

  getVersion(datasetId: string, version: number): Promise<DatasetVersionRow | undefined> {
    return this.db.selectFrom('dataset_versions').selectAll().where('dataset_id', '=', datasetId).where('version', '=', version).executeTakeFirst();
  }

  getVersionById(id: string): Promise<DatasetVersionRow | undefined> {
    return this.db.selectFrom('dataset_versions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  getVersionBySha(datasetId: string, sha256: string): Promise<DatasetVersionRow | undefined> {
    return this.db.selectFrom('dataset_versions').selectAll().where('dataset_id', '=', datasetId).where('sha256', '=', sha256).executeTakeFirst();
  }

  listVersions(query: { datasetId: string; beforeVersion?: number; limit: number }): Promise<DatasetVersionRow[]> {
    let q = this.db.selectFrom('dataset_versions').selectAll().where('dataset_id', '=', query.datasetId);
    if (query.beforeVersion !== undefined) q = q.where('version', '<', query.beforeVersion);
    return q.orderBy('version', 'desc').limit(query.limit).execute();
  }

  derivedFrom(versionId: string): Promise<DatasetVersionRow[]> {
    return this.db.selectFrom('dataset_versions').selectAll().where('derived_from', '=', versionId).orderBy('created_at').orderBy('id').execute();
  }

  async link(modelVersionId: string, datasetVersionId: string, role: string): Promise<void> {
    await this.db.insertInto('model_version_datasets').values({ model_version_id: modelVersionId, dataset_version_id: datasetVersionId, role }).execute();
  }

  async datasetsOfModelVersion(modelVersionId: string): Promise<{ dataset: string; version: number; role: string }[]> {
    const rows = await this.db
      .selectFrom('model_version_datasets as l')
      .innerJoin('dataset_versions as v', 'v.id', 'l.dataset_version_id')
      .innerJoin('datasets as d', 'd.id', 'v.dataset_id')
      .select(['d.name as dataset', 'v.version as version', 'l.role as role'])
      .where('l.model_version_id', '=', modelVersionId)
      .orderBy('l.role')
      .orderBy('d.name')
      .orderBy('v.version')
      .execute();
    return rows.map((r) => ({ dataset: r.dataset, version: Number(r.version), role: r.role }));
  }

  async modelVersionsOfDataset(datasetVersionId: string): Promise<{ model: string; version: number; status: string; role: string }[]> {
    const rows = await this.db
      .selectFrom('model_version_datasets as l')
      .innerJoin('model_versions as v', 'v.id', 'l.model_version_id')
      .innerJoin('models as m', 'm.id', 'v.model_id')
      .select(['m.name as model', 'v.version as version', 'v.status as status', 'l.role as role'])
      .where('l.dataset_version_id', '=', datasetVersionId)
      .orderBy('m.name')
      .orderBy('v.version')
      .orderBy('l.role')
      .execute();
    return rows.map((r) => ({ model: r.model, version: Number(r.version), status: r.status, role: r.role }));
  }

  async setProfile(id: string, f: { status: string; profile?: string | null; jobId?: string | null }): Promise<void> {
    await this.db
      .updateTable('dataset_versions')
      .set({ profile_status: f.status, ...(f.profile !== undefined ? { profile: f.profile } : {}), ...(f.jobId !== undefined ? { profile_job_id: f.jobId } : {}) })
      .where('id', '=', id)
      .execute();
  }
}
