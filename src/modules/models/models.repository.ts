import { sql } from 'kysely';
import { escapeLike, type Executor } from '../../db/executor.js';
import type { ModelRow, ProjectRow } from '../../db/schema.js';
import { MODEL_COLUMNS, PROJECT_COLUMNS, splitJoined, type PrefixedModel, type PrefixedProject } from './joined-rows.js';

export type ModelOrderBy = 'name' | 'createdAt' | 'updatedAt';

export interface ModelListQuery {
  projectId: string;
  /** Case-insensitive substring of the name. */
  nameContains?: string;
  /** Every entry must match: a key alone means the tag is present. */
  tags?: { key: string; value?: string }[];
  /** Models with at least one version in this stage. */
  stage?: string;
  /** Models that have this alias. */
  alias?: string;
  orderBy: ModelOrderBy;
  direction: 'asc' | 'desc';
  /** Keyset position: rows strictly after (sortValue, id). */
  after?: { value: string; id: string };
  limit: number;
}

export type TagChanges = Record<string, string | null>;

export interface ModelRepository {
  insert(row: ModelRow): Promise<void>;
  get(projectId: string, name: string): Promise<ModelRow | undefined>;
  getById(id: string): Promise<ModelRow | undefined>;
  /** A model and its project, by their names, in one query. */
  getByNames(projectName: string, name: string): Promise<{ project: ProjectRow; model: ModelRow } | undefined>;
  list(query: ModelListQuery): Promise<ModelRow[]>;
  update(id: string, patch: Partial<Pick<ModelRow, 'name' | 'description' | 'owner' | 'risk_tier' | 'updated_at' | 'updated_by'>>): Promise<void>;
  /** Atomically hands out the next version number of a model. */
  allocateVersion(id: string): Promise<number>;
  tags(modelIds: string[]): Promise<Map<string, Record<string, string>>>;
  /** Sets (string) or removes (null) tags. */
  changeTags(modelId: string, changes: TagChanges): Promise<void>;
}

const ORDER_COLUMN = { name: 'name', createdAt: 'created_at', updatedAt: 'updated_at' } as const;

export class KyselyModelRepository implements ModelRepository {
  constructor(private readonly db: Executor) {}

  async insert(row: ModelRow): Promise<void> {
    await this.db.insertInto('models').values(row).execute();
  }

  getById(id: string): Promise<ModelRow | undefined> {
    return this.db.selectFrom('models').selectAll().where('id', '=', id).executeTakeFirst();
  }

  get(projectId: string, name: string): Promise<ModelRow | undefined> {
    return this.db.selectFrom('models').selectAll().where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
  }

  async getByNames(projectName: string, name: string): Promise<{ project: ProjectRow; model: ModelRow } | undefined> {
    // One SQL text rather than the builder: this lookup is on every model request.
    const r = await sql<PrefixedModel & PrefixedProject>`
      select ${MODEL_COLUMNS}, ${PROJECT_COLUMNS}
      from models m join projects p on p.id = m.project_id
      where p.name = ${projectName} and m.name = ${name}`.execute(this.db);
    const row = r.rows[0];
    if (!row) return undefined;
    const { project, model } = splitJoined(row);
    return { project, model };
  }

  list(query: ModelListQuery): Promise<ModelRow[]> {
    const col = ORDER_COLUMN[query.orderBy];
    let q = this.db.selectFrom('models').selectAll('models').where('models.project_id', '=', query.projectId);
    if (query.nameContains !== undefined) {
      const pattern = `%${escapeLike(query.nameContains.toLowerCase())}%`;
      q = q.where(sql<boolean>`lower(models.name) like ${pattern} escape '\\'`);
    }
    for (const tag of query.tags ?? []) {
      q = q.where((eb) => {
        let sub = eb.selectFrom('model_tags').select('model_tags.key').whereRef('model_tags.model_id', '=', 'models.id').where('model_tags.key', '=', tag.key);
        if (tag.value !== undefined) sub = sub.where('model_tags.value', '=', tag.value);
        return eb.exists(sub);
      });
    }
    if (query.stage !== undefined) {
      const stage = query.stage;
      q = q.where((eb) =>
        eb.exists(eb.selectFrom('model_versions').select('model_versions.id').whereRef('model_versions.model_id', '=', 'models.id').where('model_versions.stage', '=', stage)),
      );
    }
    if (query.alias !== undefined) {
      const alias = query.alias;
      q = q.where((eb) =>
        eb.exists(eb.selectFrom('model_aliases').select('model_aliases.alias').whereRef('model_aliases.model_id', '=', 'models.id').where('model_aliases.alias', '=', alias)),
      );
    }
    if (query.after) {
      const { value, id } = query.after;
      const cmp = query.direction === 'asc' ? '>' : '<';
      q = q.where((eb) => eb.or([eb(`models.${col}`, cmp, value), eb.and([eb(`models.${col}`, '=', value), eb('models.id', cmp, id)])]));
    }
    return q.orderBy(`models.${col}`, query.direction).orderBy('models.id', query.direction).limit(query.limit).execute();
  }

  async update(id: string, patch: Partial<Pick<ModelRow, 'name' | 'description' | 'owner' | 'risk_tier' | 'updated_at' | 'updated_by'>>): Promise<void> {
    if (Object.keys(patch).length === 0) return;
    await this.db.updateTable('models').set(patch).where('id', '=', id).execute();
  }

  async allocateVersion(id: string): Promise<number> {
    // One statement, so the increment is atomic on SQLite and row-locked on PostgreSQL.
    const r = await this.db
      .updateTable('models')
      .set((eb) => ({ last_version: eb('last_version', '+', 1) }))
      .where('id', '=', id)
      .returning('last_version')
      .executeTakeFirstOrThrow();
    return Number(r.last_version);
  }

  async tags(modelIds: string[]): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>(modelIds.map((id) => [id, Object.create(null) as Record<string, string>]));
    if (modelIds.length === 0) return out;
    const rows = await this.db.selectFrom('model_tags').selectAll().where('model_id', 'in', modelIds).orderBy('key').execute();
    for (const r of rows) out.get(r.model_id)![r.key] = r.value;
    return out;
  }

  async changeTags(modelId: string, changes: TagChanges): Promise<void> {
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) {
        await this.db.deleteFrom('model_tags').where('model_id', '=', modelId).where('key', '=', key).execute();
      } else {
        await this.db
          .insertInto('model_tags')
          .values({ model_id: modelId, key, value })
          .onConflict((oc) => oc.columns(['model_id', 'key']).doUpdateSet({ value }))
          .execute();
      }
    }
  }
}
