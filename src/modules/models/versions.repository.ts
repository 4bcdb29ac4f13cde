import type { Executor } from '../../db/executor.js';
import { sql } from 'kysely';
import type { ModelRow, ModelVersionRow, ProjectRow } from '../../db/schema.js';
import { MODEL_COLUMNS, PROJECT_COLUMNS, splitJoined, type PrefixedModel, type PrefixedProject } from './joined-rows.js';
import type { TagChanges } from './models.repository.js';

export interface VersionListQuery {
  modelId: string;
  status?: string;
  stage?: string;
  tags?: { key: string; value?: string }[];
  direction: 'asc' | 'desc';
  /** Keyset position: versions strictly after this number in the chosen direction. */
  afterVersion?: number;
  limit: number;
}

export interface StageTransition {
  id: string;
  version_id: string;
  from_stage: string;
  to_stage: string;
  comment: string;
  at: string;
  by: string;
}

export type VersionPatch = Partial<
  Pick<ModelVersionRow, 'status' | 'status_message' | 'signature' | 'description' | 'stage' | 'updated_at' | 'updated_by'>
>;

export interface VersionRepository {
  insert(row: ModelVersionRow): Promise<void>;
  get(modelId: string, version: number): Promise<ModelVersionRow | undefined>;
  getById(id: string): Promise<ModelVersionRow | undefined>;
  /** A version with its model and project, by names and number, in one query. */
  getByNames(projectName: string, modelName: string, version: number): Promise<{ project: ProjectRow; model: ModelRow; version: ModelVersionRow } | undefined>;
  /** A version's tags and the aliases pointing at it, in one query. */
  labels(version: Pick<ModelVersionRow, 'id' | 'model_id' | 'version'>): Promise<{ tags: Record<string, string>; aliases: string[] }>;
  list(query: VersionListQuery): Promise<ModelVersionRow[]>;
  /** Every version of the models of a project (for MLflow's model-versions/search), in no set order. */
  inProject(projectId: string): Promise<ModelVersionRow[]>;
  update(id: string, patch: VersionPatch): Promise<void>;
  /** Versions of a model currently in a stage. */
  inStage(modelId: string, stage: string): Promise<ModelVersionRow[]>;
  /** The newest version of each stage, for a set of models. */
  latestPerStage(modelIds: string[]): Promise<ModelVersionRow[]>;
  /** PENDING versions created before a time (interrupted registrations). */
  pendingBefore(at: string): Promise<ModelVersionRow[]>;
  tags(versionIds: string[]): Promise<Map<string, Record<string, string>>>;
  changeTags(versionId: string, changes: TagChanges): Promise<void>;
  addTransition(t: StageTransition): Promise<void>;
  transitions(versionId: string): Promise<StageTransition[]>;
}

export class KyselyVersionRepository implements VersionRepository {
  constructor(private readonly db: Executor) {}

  async insert(row: ModelVersionRow): Promise<void> {
    await this.db.insertInto('model_versions').values(row).execute();
  }

  getById(id: string): Promise<ModelVersionRow | undefined> {
    return this.db.selectFrom('model_versions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  get(modelId: string, version: number): Promise<ModelVersionRow | undefined> {
    return this.db.selectFrom('model_versions').selectAll().where('model_id', '=', modelId).where('version', '=', version).executeTakeFirst();
  }

  async getByNames(projectName: string, modelName: string, version: number): Promise<{ project: ProjectRow; model: ModelRow; version: ModelVersionRow } | undefined> {
    // Written as one SQL text rather than with the query builder: this lookup is on every version request.
    const r = await sql<ModelVersionRow & PrefixedModel & PrefixedProject>`
      select v.*, ${MODEL_COLUMNS}, ${PROJECT_COLUMNS}
      from model_versions v join models m on m.id = v.model_id join projects p on p.id = m.project_id
      where p.name = ${projectName} and m.name = ${modelName} and v.version = ${version}`.execute(this.db);
    const row = r.rows[0];
    if (!row) return undefined;
    const { project, model, rest } = splitJoined(row);
    return { project, model, version: rest };
  }

  async labels(version: Pick<ModelVersionRow, 'id' | 'model_id' | 'version'>): Promise<{ tags: Record<string, string>; aliases: string[] }> {
    const rows = await sql<{ kind: string; name: string; value: string }>`
      select 'tag' as kind, key as name, value from version_tags where version_id = ${version.id}
      union all
      select 'alias' as kind, alias as name, '' as value from model_aliases where model_id = ${version.model_id} and version = ${version.version}
      order by kind, name`.execute(this.db);
    const tags: Record<string, string> = Object.create(null) as Record<string, string>;
    const aliases: string[] = [];
    for (const r of rows.rows) {
      if (r.kind === 'tag') tags[r.name] = r.value;
      else aliases.push(r.name);
    }
    return { tags, aliases };
  }

  list(query: VersionListQuery): Promise<ModelVersionRow[]> {
    let q = this.db.selectFrom('model_versions').selectAll('model_versions').where('model_versions.model_id', '=', query.modelId);
    if (query.status !== undefined) q = q.where('model_versions.status', '=', query.status);
    if (query.stage !== undefined) q = q.where('model_versions.stage', '=', query.stage);
    for (const tag of query.tags ?? []) {
      q = q.where((eb) => {
        let sub = eb.selectFrom('version_tags').select('version_tags.key').whereRef('version_tags.version_id', '=', 'model_versions.id').where('version_tags.key', '=', tag.key);
        if (tag.value !== undefined) sub = sub.where('version_tags.value', '=', tag.value);
        return eb.exists(sub);
      });
    }
    if (query.afterVersion !== undefined) q = q.where('model_versions.version', query.direction === 'asc' ? '>' : '<', query.afterVersion);
    return q.orderBy('model_versions.version', query.direction).limit(query.limit).execute();
  }

  inProject(projectId: string): Promise<ModelVersionRow[]> {
    return this.db.selectFrom('model_versions as v').innerJoin('models as m', 'm.id', 'v.model_id').selectAll('v').where('m.project_id', '=', projectId).execute();
  }

  async update(id: string, patch: VersionPatch): Promise<void> {
    if (Object.keys(patch).length === 0) return;
    await this.db.updateTable('model_versions').set(patch).where('id', '=', id).execute();
  }

  inStage(modelId: string, stage: string): Promise<ModelVersionRow[]> {
    return this.db.selectFrom('model_versions').selectAll().where('model_id', '=', modelId).where('stage', '=', stage).orderBy('version').execute();
  }

  async latestPerStage(modelIds: string[]): Promise<ModelVersionRow[]> {
    if (modelIds.length === 0) return [];
    return this.db
      .selectFrom('model_versions as v')
      .selectAll('v')
      .where('v.model_id', 'in', modelIds)
      .where('v.status', '=', 'READY')
      .where((eb) =>
        eb(
          'v.version',
          '=',
          eb
            .selectFrom('model_versions as w')
            .select((e) => e.fn.max('w.version').as('m'))
            .whereRef('w.model_id', '=', 'v.model_id')
            .whereRef('w.stage', '=', 'v.stage')
            .where('w.status', '=', 'READY'),
        ),
      )
      .execute();
  }

  pendingBefore(at: string): Promise<ModelVersionRow[]> {
    return this.db.selectFrom('model_versions').selectAll().where('status', '=', 'PENDING').where('created_at', '<', at).execute();
  }

  async tags(versionIds: string[]): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>(versionIds.map((id) => [id, Object.create(null) as Record<string, string>]));
    if (versionIds.length === 0) return out;
    const rows = await this.db.selectFrom('version_tags').selectAll().where('version_id', 'in', versionIds).orderBy('key').execute();
    for (const r of rows) out.get(r.version_id)![r.key] = r.value;
    return out;
  }

  async changeTags(versionId: string, changes: TagChanges): Promise<void> {
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) {
        await this.db.deleteFrom('version_tags').where('version_id', '=', versionId).where('key', '=', key).execute();
      } else {
        await this.db
          .insertInto('version_tags')
          .values({ version_id: versionId, key, value })
          .onConflict((oc) => oc.columns(['version_id', 'key']).doUpdateSet({ value }))
          .execute();
      }
    }
  }

  async addTransition(t: StageTransition): Promise<void> {
    await this.db.insertInto('stage_transitions').values(t).execute();
  }

  transitions(versionId: string): Promise<StageTransition[]> {
    return this.db.selectFrom('stage_transitions').selectAll().where('version_id', '=', versionId).orderBy('id').execute();
  }
}
