import type { Executor } from '../../db/executor.js';
import type { ProjectMemberRow } from '../../db/schema.js';

export interface MemberWithName extends ProjectMemberRow {
  user_name: string;
}

/** Who has which role in which project (project_members). */
export interface MemberRepository {
  get(projectId: string, userId: string): Promise<ProjectMemberRow | undefined>;
  /** Members of a project with their user names, by name. */
  list(projectId: string): Promise<MemberWithName[]>;
  /** A user's memberships, with each project's name. */
  forUser(userId: string): Promise<(ProjectMemberRow & { project_name: string })[]>;
  /** Inserts or replaces the user's role in the project. */
  put(row: ProjectMemberRow): Promise<void>;
  remove(projectId: string, userId: string): Promise<boolean>;
}

export class KyselyMemberRepository implements MemberRepository {
  constructor(private readonly db: Executor) {}

  get(projectId: string, userId: string): Promise<ProjectMemberRow | undefined> {
    return this.db.selectFrom('project_members').selectAll().where('project_id', '=', projectId).where('user_id', '=', userId).executeTakeFirst();
  }

  list(projectId: string): Promise<MemberWithName[]> {
    return this.db
      .selectFrom('project_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .selectAll('m')
      .select('u.name as user_name')
      .where('m.project_id', '=', projectId)
      .orderBy('u.name')
      .execute();
  }

  forUser(userId: string): Promise<(ProjectMemberRow & { project_name: string })[]> {
    return this.db
      .selectFrom('project_members as m')
      .innerJoin('projects as p', 'p.id', 'm.project_id')
      .selectAll('m')
      .select('p.name as project_name')
      .where('m.user_id', '=', userId)
      .orderBy('m.project_id')
      .execute();
  }

  async put(row: ProjectMemberRow): Promise<void> {
    await this.db
      .insertInto('project_members')
      .values(row)
      .onConflict((oc) => oc.columns(['project_id', 'user_id']).doUpdateSet({ role: row.role, created_at: row.created_at, created_by: row.created_by }))
      .execute();
  }

  async remove(projectId: string, userId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('project_members').where('project_id', '=', projectId).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
