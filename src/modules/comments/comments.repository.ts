import type { Executor } from '../../db/executor.js';
import type { CommentRow, NotificationRow } from '../../db/schema.js';

/** What a comment can be about; `subject_id` is the id of a row of that kind. */
export const SUBJECT_TYPES = ['model', 'model_version', 'deployment'] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

/** The row a comment is about: its project and how people call it ("price", "price v3"). */
export interface SubjectRow {
  projectId: string;
  label: string;
}

/** The changeable columns of a comment: an edit (body, mentions, edited_at) or a deletion (deleted_at). */
export type CommentChanges = Partial<Pick<CommentRow, 'body' | 'mentions' | 'edited_at' | 'deleted_at'>>;

/**
 * Comments on models, model versions and deployments, and the notifications they cause. Comments come back
 * oldest first (created_at, then id); notifications newest first.
 */
export interface CommentRepository {
  insert(row: CommentRow): Promise<void>;
  get(id: string): Promise<CommentRow | undefined>;
  /** Every comment on a subject (deleted ones included), oldest first. */
  listForSubject(subjectType: SubjectType, subjectId: string): Promise<CommentRow[]>;
  update(id: string, changes: CommentChanges): Promise<void>;
  /** The project and label of a subject row, or undefined when there is no such row. */
  subject(subjectType: SubjectType, subjectId: string): Promise<SubjectRow | undefined>;
  /**
   * Of the users named (exact names), the enabled ones who can read the project: those with any role in it
   * and platform admins. Each at most once, by name.
   */
  usersWhoCanView(projectId: string, names: readonly string[]): Promise<{ id: string; name: string }[]>;

  insertNotifications(rows: readonly NotificationRow[]): Promise<void>;
  /** A user's notifications, newest first (only unread ones when `unreadOnly`). */
  listNotifications(userId: string, query: { unreadOnly: boolean; limit: number }): Promise<NotificationRow[]>;
  countUnread(userId: string): Promise<number>;
  /** Marks a user's unread notifications read (those with these ids, or all of them); answers how many changed. */
  markRead(userId: string, ids: readonly string[] | 'all', at: string): Promise<number>;
}

export class KyselyCommentRepository implements CommentRepository {
  constructor(readonly db: Executor) {}

  async insert(row: CommentRow): Promise<void> {
    await this.db.insertInto('comments').values(row).execute();
  }

  get(id: string): Promise<CommentRow | undefined> {
    return this.db.selectFrom('comments').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listForSubject(subjectType: SubjectType, subjectId: string): Promise<CommentRow[]> {
    return this.db
      .selectFrom('comments')
      .selectAll()
      .where('subject_type', '=', subjectType)
      .where('subject_id', '=', subjectId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  async update(id: string, changes: CommentChanges): Promise<void> {
    if (Object.keys(changes).length === 0) return;
    await this.db.updateTable('comments').set(changes).where('id', '=', id).execute();
  }

  async subject(subjectType: SubjectType, subjectId: string): Promise<SubjectRow | undefined> {
    switch (subjectType) {
      case 'model': {
        const r = await this.db.selectFrom('models').select(['project_id', 'name']).where('id', '=', subjectId).executeTakeFirst();
        return r && { projectId: r.project_id, label: r.name };
      }
      case 'model_version': {
        const r = await this.db
          .selectFrom('model_versions as v')
          .innerJoin('models as m', 'm.id', 'v.model_id')
          .select(['m.project_id', 'm.name', 'v.version'])
          .where('v.id', '=', subjectId)
          .executeTakeFirst();
        return r && { projectId: r.project_id, label: `${r.name} v${Number(r.version)}` };
      }
      case 'deployment': {
        const r = await this.db.selectFrom('deployments').select(['project_id', 'name']).where('id', '=', subjectId).executeTakeFirst();
        return r && { projectId: r.project_id, label: r.name };
      }
    }
  }

  async usersWhoCanView(projectId: string, names: readonly string[]): Promise<{ id: string; name: string }[]> {
    if (names.length === 0) return [];
    return this.db
      .selectFrom('users as u')
      .select(['u.id', 'u.name'])
      .where('u.name', 'in', [...new Set(names)])
      .where('u.disabled', '=', 0)
      .where((eb) =>
        eb.or([
          eb('u.role', '=', 'admin'),
          eb.exists(eb.selectFrom('project_members as m').select('m.user_id').whereRef('m.user_id', '=', 'u.id').where('m.project_id', '=', projectId)),
        ]),
      )
      .orderBy('u.name')
      .execute();
  }

  async insertNotifications(rows: readonly NotificationRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.insertInto('notifications').values([...rows]).execute();
  }

  listNotifications(userId: string, query: { unreadOnly: boolean; limit: number }): Promise<NotificationRow[]> {
    let q = this.db.selectFrom('notifications').selectAll().where('user_id', '=', userId);
    if (query.unreadOnly) q = q.where('read_at', 'is', null);
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
  }

  async countUnread(userId: string): Promise<number> {
    const r = await this.db
      .selectFrom('notifications')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .where('read_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async markRead(userId: string, ids: readonly string[] | 'all', at: string): Promise<number> {
    if (ids !== 'all' && ids.length === 0) return 0;
    let q = this.db.updateTable('notifications').set({ read_at: at }).where('user_id', '=', userId).where('read_at', 'is', null);
    if (ids !== 'all') q = q.where('id', 'in', [...ids]);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows);
  }
}
