import type { Executor } from '../../db/executor.js';

export interface AliasRow {
  model_id: string;
  alias: string;
  version: number;
  updated_at: string;
  updated_by: string;
}

export interface AliasHistoryRow {
  id: string;
  model_id: string;
  alias: string;
  from_version: number | null;
  to_version: number | null;
  at: string;
  by: string;
}

/** Aliases are mutable name → version pointers; every move is kept in the history. */
export interface AliasRepository {
  get(modelId: string, alias: string): Promise<AliasRow | undefined>;
  list(modelIds: string[]): Promise<AliasRow[]>;
  upsert(row: AliasRow): Promise<void>;
  delete(modelId: string, alias: string): Promise<void>;
  addHistory(row: AliasHistoryRow): Promise<void>;
  history(modelId: string, alias?: string): Promise<AliasHistoryRow[]>;
}

export class KyselyAliasRepository implements AliasRepository {
  constructor(private readonly db: Executor) {}

  get(modelId: string, alias: string): Promise<AliasRow | undefined> {
    return this.db.selectFrom('model_aliases').selectAll().where('model_id', '=', modelId).where('alias', '=', alias).executeTakeFirst();
  }

  async list(modelIds: string[]): Promise<AliasRow[]> {
    if (modelIds.length === 0) return [];
    return this.db.selectFrom('model_aliases').selectAll().where('model_id', 'in', modelIds).orderBy('alias').execute();
  }

  async upsert(row: AliasRow): Promise<void> {
    await this.db
      .insertInto('model_aliases')
      .values(row)
      .onConflict((oc) => oc.columns(['model_id', 'alias']).doUpdateSet({ version: row.version, updated_at: row.updated_at, updated_by: row.updated_by }))
      .execute();
  }

  async delete(modelId: string, alias: string): Promise<void> {
    await this.db.deleteFrom('model_aliases').where('model_id', '=', modelId).where('alias', '=', alias).execute();
  }

  async addHistory(row: AliasHistoryRow): Promise<void> {
    await this.db.insertInto('alias_history').values(row).execute();
  }

  history(modelId: string, alias?: string): Promise<AliasHistoryRow[]> {
    let q = this.db.selectFrom('alias_history').selectAll().where('model_id', '=', modelId);
    if (alias !== undefined) q = q.where('alias', '=', alias);
    return q.orderBy('id').execute();
  }
}
