import type { Executor } from '../../db/executor.js';
import type { ProjectRow } from '../../db/schema.js';

export interface ProjectRepository {
  insert(row: ProjectRow): Promise<void>;
  getByName(name: string): Promise<ProjectRow | undefined>;
  getById(id: string): Promise<ProjectRow | undefined>;
  list(): Promise<ProjectRow[]>;
}

export class KyselyProjectRepository implements ProjectRepository {
  constructor(private readonly db: Executor) {}

  async insert(row: ProjectRow): Promise<void> {
    await this.db.insertInto('projects').values(row).execute();
  }

  getByName(name: string): Promise<ProjectRow | undefined> {
    return this.db.selectFrom('projects').selectAll().where('name', '=', name).executeTakeFirst();
  }

  getById(id: string): Promise<ProjectRow | undefined> {
    return this.db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(): Promise<ProjectRow[]> {
    return this.db.selectFrom('projects').selectAll().orderBy('name').execute();
  }
}
