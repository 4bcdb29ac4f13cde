/**
 * The contract of CommentRepository, through MetadataStore only, so that it runs on SQLite and PostgreSQL
 * alike (called from src/db/metadata-store.contract.ts with a factory of fresh, migrated stores).
 */
import { describe, expect, it } from 'vitest';
import type { MetadataStore } from '../../db/metadata-store.js';
import type { CommentRow, NotificationRow } from '../../db/schema.js';
import { newId } from '../../platform/ids.js';
import { DEFAULT_PROJECT_ID, iso, ms, modelRow, projectRow, userRow, versionRow } from '../../../test/support/rows.js';

function commentRow(seconds: number, subjectId: string, opts: Partial<CommentRow> = {}): CommentRow {
  return {
    id: newId(ms(seconds)),
    project_id: DEFAULT_PROJECT_ID,
    subject_type: 'model',
    subject_id: subjectId,
    parent_id: null,
    author: 'ana',
    body: `comment at ${seconds}`,
    mentions: '[]',
    created_at: iso(seconds),
    edited_at: null,
    deleted_at: null,
    ...opts,
  };
}

function notificationRow(seconds: number, userId: string, opts: Partial<NotificationRow> = {}): NotificationRow {
  return { id: newId(ms(seconds)), user_id: userId, kind: 'mention', payload: JSON.stringify({ n: seconds }), created_at: iso(seconds), read_at: null, ...opts };
}

export function commentsRepositoryContract(fresh: () => Promise<MetadataStore>): void {
  describe('comments', () => {
    it('stores comments and lists a subject’s oldest first, with equal times ordered by id', async () => {
      const store = await fresh();
      const model = modelRow('price');
      await store.models.insert(model);
      const a = commentRow(5, model.id, { body: 'é ünïcode **md** <b>', mentions: '["bob"]' });
      const b = commentRow(2, model.id);
      const c = { ...commentRow(5, model.id), id: newId(ms(5)) };
      const elsewhere = commentRow(1, 'another-id');
      const asDeployment = commentRow(1, model.id, { subject_type: 'deployment' });
      for (const row of [a, b, c, elsewhere, asDeployment]) await store.comments.insert(row);

      expect(await store.comments.get(a.id)).toEqual(a);
      expect(await store.comments.get('missing')).toBeUndefined();
      const sameTime = [a.id, c.id].sort();
      expect((await store.comments.listForSubject('model', model.id)).map((r) => r.id)).toEqual([b.id, ...sameTime]);
      expect((await store.comments.listForSubject('deployment', model.id)).map((r) => r.id)).toEqual([asDeployment.id]);
    });

    it('updates the changeable columns only', async () => {
      const store = await fresh();
      const row = commentRow(1, 'm1');
      await store.comments.insert(row);
      await store.comments.update(row.id, { body: 'edited', mentions: '["carl"]', edited_at: iso(2) });
      expect(await store.comments.get(row.id)).toEqual({ ...row, body: 'edited', mentions: '["carl"]', edited_at: iso(2) });
      await store.comments.update(row.id, { deleted_at: iso(3) });
      await store.comments.update(row.id, {});
      expect(await store.comments.get(row.id)).toEqual({ ...row, body: 'edited', mentions: '["carl"]', edited_at: iso(2), deleted_at: iso(3) });
    });

    it('names subjects: models, model versions and deployments, in their projects', async () => {
      const store = await fresh();
      const other = projectRow('other', 1);
      await store.projects.insert(other);
      const model = modelRow('price', { projectId: other.id });
      await store.models.insert(model);
      const v = versionRow(model.id, 12);
      await store.versions.insert(v);
      const dep = { id: newId(ms(3)), project_id: DEFAULT_PROJECT_ID, name: 'price-api', current_revision: 1, created_at: iso(3), created_by: 't', updated_at: iso(3), updated_by: 't' };
      await store.deployments.insert(dep);

      expect(await store.comments.subject('model', model.id)).toEqual({ projectId: other.id, label: 'price' });
      expect(await store.comments.subject('model_version', v.id)).toEqual({ projectId: other.id, label: 'price v12' });
      expect(await store.comments.subject('deployment', dep.id)).toEqual({ projectId: DEFAULT_PROJECT_ID, label: 'price-api' });
      expect(await store.comments.subject('model', dep.id)).toBeUndefined();
      expect(await store.comments.subject('model_version', model.id)).toBeUndefined();
    });

    it('finds the named users who can view a project: members of it and platform admins, enabled', async () => {
      const store = await fresh();
      const other = projectRow('other', 1);
      await store.projects.insert(other);
      const people = {
        member: userRow('member', 1, 'user'),
        outsider: userRow('outsider', 2, 'user'),
        admin: userRow('admin', 3, 'admin'),
        disabled: { ...userRow('disabled', 4, 'user'), disabled: 1 },
        unnamed: userRow('unnamed', 5, 'user'),
      };
      for (const u of Object.values(people)) await store.users.insert(u);
      const member = (userId: string, projectId: string) => store.members.put({ project_id: projectId, user_id: userId, role: 'viewer', created_at: iso(6), created_by: 't' });
      await member(people.member.id, DEFAULT_PROJECT_ID);
      await member(people.outsider.id, other.id);
      await member(people.disabled.id, DEFAULT_PROJECT_ID);
      await member(people.unnamed.id, DEFAULT_PROJECT_ID);

      const names = ['outsider', 'member', 'admin', 'disabled', 'ghost', 'MEMBER', 'member'];
      expect(await store.comments.usersWhoCanView(DEFAULT_PROJECT_ID, names)).toEqual([
        { id: people.admin.id, name: 'admin' },
        { id: people.member.id, name: 'member' },
      ]);
      expect((await store.comments.usersWhoCanView(other.id, names)).map((u) => u.name)).toEqual(['admin', 'outsider']);
      expect(await store.comments.usersWhoCanView(DEFAULT_PROJECT_ID, [])).toEqual([]);
    });
  });

  describe('notifications', () => {
    it('lists a user’s notifications newest first, counts and marks unread ones', async () => {
      const store = await fresh();
      const ana = userRow('ana', 1, 'user');
      const bob = userRow('bob', 2, 'user');
      await store.users.insert(ana);
      await store.users.insert(bob);
      const n = [1, 2, 3, 4].map((s) => notificationRow(s, ana.id));
      const bobs = notificationRow(5, bob.id);
      await store.comments.insertNotifications([...n, bobs]);
      await store.comments.insertNotifications([]);

      expect((await store.comments.listNotifications(ana.id, { unreadOnly: false, limit: 10 })).map((r) => r.id)).toEqual([n[3]!.id, n[2]!.id, n[1]!.id, n[0]!.id]);
      expect(await store.comments.listNotifications(ana.id, { unreadOnly: false, limit: 1 })).toEqual([n[3]]);
      expect(await store.comments.countUnread(ana.id)).toBe(4);

      // Only the user's own, unread ones change.
      expect(await store.comments.markRead(ana.id, [n[0]!.id, n[1]!.id, bobs.id, 'missing'], iso(10))).toBe(2);
      expect(await store.comments.markRead(ana.id, [n[0]!.id], iso(11))).toBe(0);
      expect(await store.comments.markRead(ana.id, [], iso(11))).toBe(0);
      expect((await store.comments.listNotifications(ana.id, { unreadOnly: true, limit: 10 })).map((r) => r.id)).toEqual([n[3]!.id, n[2]!.id]);
      expect(await store.comments.countUnread(ana.id)).toBe(2);
      expect(await store.comments.countUnread(bob.id)).toBe(1);

      expect(await store.comments.markRead(ana.id, 'all', iso(12))).toBe(2);
      const all = await store.comments.listNotifications(ana.id, { unreadOnly: false, limit: 10 });
      expect(all.map((r) => r.read_at)).toEqual([iso(12), iso(12), iso(10), iso(10)]);
      expect(await store.comments.countUnread(ana.id)).toBe(0);
      expect(await store.comments.countUnread(bob.id)).toBe(1);
    });
  });
}
