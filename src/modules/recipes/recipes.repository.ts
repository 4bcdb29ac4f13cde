import type { Executor } from '../../db/executor.js';
import type { RecipeRow, RecipeVersionRow } from '../../db/schema.js';

export interface RecipeRepository {
  insert(row: RecipeRow): Promise<void>;
  get(projectId: string, name: string): Promise<RecipeRow | undefined>;
  list(projectId: string): Promise<RecipeRow[]>;
  allocateVersion(id: string): Promise<number>;
  insertVersion(row: RecipeVersionRow): Promise<void>;
  getVersion(recipeId: string, version: number): Promise<RecipeVersionRow | undefined>;
  /** Newest first. */
  versions(recipeId: string): Promise<RecipeVersionRow[]>;
}

export class KyselyRecipeRepository implements RecipeRepository {
  constructor(private readonly db: Executor) {}

  async insert(row: RecipeRow): Promise<void> {
    await this.db.insertInto('recipes').values(row).execute();
  }

  get(projectId: string, name: string): Promise<RecipeRow | undefined> {
    return this.db.selectFrom('recipes').selectAll().where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
  }

  list(projectId: string): Promise<RecipeRow[]> {
    return this.db.selectFrom('recipes').selectAll().where('project_id', '=', projectId).orderBy('name').execute();
  }

  async allocateVersion(id: string): Promise<number> {
    const r = await this.db
      .updateTable('recipes')
      .set((eb) => ({ last_version: eb('last_version', '+', 1) }))
      .where('id', '=', id)
      .returning('last_version')
      .executeTakeFirstOrThrow();
    return Number(r.last_version);
  }

  async insertVersion(row: RecipeVersionRow): Promise<void> {
    await this.db.insertInto('recipe_versions').values(row).execute();
  }

  getVersion(recipeId: string, version: number): Promise<RecipeVersionRow | undefined> {
    return this.db.selectFrom('recipe_versions').selectAll().where('recipe_id', '=', recipeId).where('version', '=', version).executeTakeFirst();
  }

  versions(recipeId: string): Promise<RecipeVersionRow[]> {
    return this.db.selectFrom('recipe_versions').selectAll().where('recipe_id', '=', recipeId).orderBy('version', 'desc').execute();
  }
}
