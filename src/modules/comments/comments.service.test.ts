import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { userRow } from '../../../test/support/rows.js';
import { systemClock } from '../../platform/clock.js';
import { DomainError } from '../../platform/errors.js';
import { AccessService } from '../access/access.service.js';
import { DELETED_BODY, type Authorize } from './comments.service.js';
import { commentFixture, eventsOf, type CommentFixture } from './comments.test-support.js';

let f: CommentFixture;
let access: AccessService;
const authorize = (name: string): Authorize => (projectId, role) => access.require(f.as(name), projectId, role);

beforeEach(async () => {
  f = await commentFixture();
  access = new AccessService({ store: f.store, clock: systemClock });
});
afterEach(async () => {
  await f.close();
});

async function failure(work: Promise<unknown>): Promise<DomainError> {
  const err = await work.then(
    () => new Error('expected the operation to fail'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
}

const onModel = { type: 'model', model: 'price' };

describe('CommentsService: threads', () => {
  it('writes comments on each kind of subject, with labels', async () => {
    const m = await f.comments.create(f.as('ana'), f.project, { subject: onModel, body: 'looks good' });
    expect(m).toMatchObject({ subject: { type: 'model', id: f.model.id, label: 'price' }, parentId: null, author: 'ana', body: 'looks good', mentions: [], editedAt: null, deleted: false, unresolvedMentions: [] });
    const v = await f.comments.create(f.as('ana'), f.project, { subject: { type: 'model_version', model: 'price', version: 2 }, body: 'v2 drifts' });
    expect(v.subject).toEqual({ type: 'model_version', id: f.v2.id, label: 'price v2' });
    const d = await f.comments.create(f.as('bob'), f.project, { subject: { type: 'deployment', deployment: 'price-api' }, body: 'p99 is up' });
    expect(d.subject).toEqual({ type: 'deployment', id: f.deployment.id, label: 'price-api' });

    // Each subject has its own threads.
    expect((await f.comments.threads(f.project, { model: 'price' })).map((t) => t.body)).toEqual(['looks good']);
    expect((await f.comments.threads(f.project, { subjectType: 'model_version', model: 'price', version: 2 })).map((t) => t.body)).toEqual(['v2 drifts']);
    expect(await f.comments.threads(f.project, { model: 'price', version: 1 })).toEqual([]);
    expect((await f.comments.threads(f.project, { deployment: 'price-api' })).map((t) => t.author)).toEqual(['bob']);

    const created = await eventsOf(f.store, 'comment.created');
    expect(created.map((e) => e.entityId)).toEqual([m.id, v.id, d.id]);
    expect(created[0]).toMatchObject({ actor: 'ana', entityType: 'comment', projectId: f.project.id, payload: { body: 'looks good', parentId: null, subject: { type: 'model', label: 'price' } } });
  });

  it('builds threads: roots oldest first, replies oldest first, a reply to a reply joins the root', async () => {
    const a = await f.comments.create(f.as('ana'), f.project, { subject: onModel, body: 'first' });
    const b = await f.comments.create(f.as('bob'), f.project, { subject: onModel, body: 'second' });
    const r1 = await f.comments.create(f.as('bob'), f.project, { subject: onModel, body: 'reply 1', parentId: a.id });
    const r2 = await f.comments.create(f.as('ana'), f.project, { subject: onModel, body: 'reply to reply', parentId: r1.id });
    expect(r1.parentId).toBe(a.id);
    expect(r2.parentId).toBe(a.id);

    const threads = await f.comments.threads(f.project, { model: 'price' });
    expect(threads.map((t) => [t.id, t.replies.map((r) => r.id)])).toEqual([
      [a.id, [r1.id, r2.id]],
      [b.id, []],
    ]);
    expect(threads[0]!.replies[1]).toMatchObject({ body: 'reply to reply', parentId: a.id, author: 'ana' });
  });

  it('refuses a parent on another subject, an unknown parent, and a deleted parent', async () => {
    const onVersion = await f.comments.create(f.as('ana'), f.project, { subject: { type: 'model_version', model: 'price', version: 1 }, body: 'v1' });
    let err = await failure(f.comments.create(f.as('ana'), f.project, { subject: onModel, body: 'x', parentId: onVersion.id }));
    expect(err.message).toMatch(/^parentId: .* is not a comment on model 'price'/);
    err = await failure(f.comments.create(f.as('ana'), f.project, { subject: onModel, body: 'x', parentId: 'nope' }));
    expect(err.message).toMatch(/^parentId: /);
    await f.comments.remove(f.as('ana'), onVersion.id, authorize('ana'));
    err = await failure(f.comments.create(f.as('bob'), f.project, { subject: { type: 'model_version', model: 'price', version: 1 }, body: 'x', parentId: onVersion.id }));
    expect(err.code).toBe('COMMENT_DELETED');
    expect((await f.comments.threads(f.project, { model: 'price', version: 1 }))[0]!.replies).toEqual([]);
  });

  it('refuses bad input naming the field, and writes nothing', async () => {
    const cases: [unknown, RegExp][] = [
      [{ body: 'x' }, /^subject: is required/],
      [{ subject: { type: 'dataset', model: 'price' }, body: 'x' }, /^subject\.type: must be one of model, model_version, deployment/],
      [{ subject: { type: 'model' }, body: 'x' }, /^subject\.model: is required/],
      [{ subject: { type: 'model', model: 'price', version: 1 }, body: 'x' }, /^subject\.version: does not apply/],
      [{ subject: { type: 'model_version', model: 'price' }, body: 'x' }, /^subject\.version: is required/],
      [{ subject: { type: 'model_version', model: 'price', version: 0 }, body: 'x' }, /^subject\.version: must be an integer/],
      [{ subject: { type: 'deployment', deployment: 'a/b' }, body: 'x' }, /^subject\.deployment: .*not a valid name/],
      [{ subject: { type: 'deployment', deployment: 'price-api', model: 'price' }, body: 'x' }, /^subject\.model: does not apply/],
      [{ subject: onModel, body: 'x', colour: 'red' }, /^request\.colour: is not a known field/],
      [{ subject: onModel }, /^body: is required/],
      [{ subject: onModel, body: '   \n ' }, /^body: must not be empty/],
      [{ subject: onModel, body: 'x'.repeat(10_001) }, /^body: must be at most 10000 characters/],
      [{ subject: onModel, body: 'a\u0000b' }, /^body: must not contain NUL/],
      [{ subject: onModel, body: 42 }, /^body: must be a string/],
      [{ subject: onModel, body: Array.from({ length: 51 }, (_, i) => `@u${i}`).join(' ') }, /^body: may mention at most 50/],
      [{ subject: onModel, body: 'x', parentId: 7 }, /^parentId: /],
    ];
    for (const [input, message] of cases) {
      const err = await failure(f.comments.create(f.as('ana'), f.project, input));
      expect(err.kind, JSON.stringify(input).slice(0, 80)).toBe('invalid');
      expect(err.message).toMatch(message);
    }
    expect((await failure(f.comments.create(f.as('ana'), f.project, { subject: { type: 'model', model: 'ghost' }, body: 'x' }))).code).toBe('MODEL_NOT_FOUND');
    expect((await failure(f.comments.create(f.as('ana'), f.project, { subject: { type: 'model_version', model: 'price', version: 9 }, body: 'x' }))).code).toBe('MODEL_VERSION_NOT_FOUND');
    expect((await failure(f.comments.create(f.as('ana'), f.project, { subject: { type: 'deployment', deployment: 'ghost' }, body: 'x' }))).code).toBe('DEPLOYMENT_NOT_FOUND');
    // The model exists in the default project, not in 'other'.
    expect((await failure(f.comments.create(f.as('eve'), f.other, { subject: onModel, body: 'x' }))).code).toBe('MODEL_NOT_FOUND');
    expect((await failure(f.comments.threads(f.project, {}))).message).toMatch(/^subjectType: is required/);
    expect((await failure(f.comments.threads(f.project, { subjectType: 'model', deployment: 'price-api' }))).message).toMatch(/^deployment: does not apply to a model subject/);
    expect(await eventsOf(f.store, 'comment.created')).toEqual([]);
    expect(await f.comments.threads(f.project, { model: 'price' })).toEqual([]);
  });

  it('keeps a 10,000-character body exactly as given', async () => {
    const body = '<script>alert(1)</script> **bold**\n'.padEnd(10_000, 'é');
    const c = await f.comments.create(f.as('ana'), f.project, { subject: onModel, body });
    expect((await f.comments.threads(f.project, { model: 'price' }))[0]!.body).toBe(body);
    expect(c.body.length).toBe(10_000);
  });
});

describe('CommentsService: mentions and notifications', () => {
  it('notifies mentioned users who can read the project, never the author, and reports unknown names', async () => {
    const c = await f.comments.create(f.as('ana'), f.project, {
      subject: { type: 'model_version', model: 'price', version: 2 },
      body: '@bob @carl please check; cc @dora, @root. Not @eve, @ghost, @zed or @ana; mail ana@example.com @bob again',
    });
    expect(c.mentions).toEqual(['bob', 'carl', 'dora', 'root', 'ana']);
    expect(c.unresolvedMentions).toEqual(['eve', 'ghost', 'zed']);

    for (const name of ['bob', 'carl', 'dora', 'root']) {
      const { items, unread } = await f.comments.notifications(f.as(name), {});
      expect(unread, name).toBe(1);
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({ kind: 'mention', readAt: null, payload: { commentId: c.id, project: 'default', subjectType: 'model_version', subjectId: f.v2.id, subject: 'price v2', author: 'ana' } });
      expect(String(items[0]!.payload.excerpt)).toMatch(/^@bob @carl please check/);
    }
    for (const name of ['ana', 'eve', 'zed']) expect((await f.comments.notifications(f.as(name), {})).items, name).toEqual([]);

    const mentioned = await eventsOf(f.store, 'comment.mentioned');
    expect(mentioned.map((e) => e.payload.user)).toEqual(['bob', 'carl', 'dora', 'root']);
    expect(mentioned[0]).toMatchObject({ actor: 'ana', entityType: 'comment', entityId: c.id, projectId: f.project.id });
  });

  it('trims sentence punctuation from a name unless a user has the name as written', async () => {
    const dotted = userRow('bob.', 50, 'user');
    await f.store.users.insert(dotted);
    await f.store.members.put({ project_id: f.project.id, user_id: dotted.id, role: 'viewer', created_at: dotted.created_at, created_by: 'tester' });
    const c = await f.comments.create(f.as('ana'), f.project, { subject: onModel, body: 'thanks @bob. and @carl- and @bob.' });
    expect(c.mentions).toEqual(['bob.', 'carl']);
    const c2 = await f.comments.create(f.as('ana'), f.project, { subject: onModel, body: 'and @dora.' });
    expect(c2.mentions).toEqual(['dora']);
  });

  it('on edit, notifies only users newly mentioned', async () => {
    const c = await f.comments.create(f.as('ana'), f.project, { subject: onModel, body: 'hi @bob' });
    const edited = await f.comments.edit(f.as('ana'), c.id, { body: 'hi @bob and @carl and @nobody' }, authorize('ana'));
    expect(edited).toMatchObject({ body: 'hi @bob and @carl and @nobody', mentions: ['bob', 'carl'], unresolvedMentions: ['nobody'] });
    expect(edited.editedAt).not.toBeNull();
    expect((await f.comments.notifications(f.as('bob'), {})).items).toHaveLength(1);
    expect((await f.comments.notifications(f.as('carl'), {})).items).toHaveLength(1);
    expect((await eventsOf(f.store, 'comment.mentioned')).map((e) => e.payload.user)).toEqual(['bob', 'carl']);
  });

  it('lists unread or all, newest first, and marks some or all read', async () => {
    const first = await f.comments.create(f.as('ana'), f.project, { subject: onModel, body: 'one @bob' });
    const second = await f.comments.create(f.as('dora'), f.project, { subject: onModel, body: 'two @bob' });
    const third = await f.comments.create(f.as('dora'), f.project, { subject: { type: 'deployment', deployment: 'price-api' }, body: 'three @bob' });
    const bob = f.as('bob');
    let list = await f.comments.notifications(bob, {});
    expect(list.items.map((n) => n.payload.commentId)).toEqual([third.id, second.id, first.id]);
    expect(list.unread).toBe(3);

    expect(await f.comments.markRead(bob, { ids: [list.items[2]!.id, 'unknown'] })).toEqual({ marked: 1 });
    // Another user cannot mark bob's notifications.
    expect(await f.comments.markRead(f.as('carl'), { ids: [list.items[0]!.id] })).toEqual({ marked: 0 });
    list = await f.comments.notifications(bob, { unread: true });
    expect(list.items.map((n) => n.payload.commentId)).toEqual([third.id, second.id]);
    expect(list.unread).toBe(2);
    expect((await f.comments.notifications(bob, { limit: 1 })).items.map((n) => n.payload.commentId)).toEqual([third.id]);

    expect(await f.comments.markRead(bob, { all: true })).toEqual({ marked: 2 });
    expect(await f.comments.markRead(bob, { all: true })).toEqual({ marked: 0 });
    const all = await f.comments.notifications(bob, {});
    expect(all.unread).toBe(0);
    expect(all.items.every((n) => n.readAt !== null)).toBe(true);
    expect((await eventsOf(f.store, 'notification.read')).map((e) => e.payload.count)).toEqual([1, 2]);

    expect((await failure(f.comments.markRead(bob, {}))).message).toMatch(/^ids: is required/);
    expect((await failure(f.comments.markRead(bob, { ids: [] }))).message).toMatch(/^ids: must be a list/);
    expect((await failure(f.comments.markRead(bob, { ids: ['a'], all: true }))).message).toMatch(/^ids: must be left out/);
    expect((await failure(f.comments.markRead(bob, { ids: [3] }))).message).toMatch(/^ids\[0\]: /);
    expect((await failure(f.comments.markRead(bob, { all: 'yes' }))).message).toMatch(/^all: /);
    expect((await failure(f.comments.notifications(bob, { limit: 0 }))).message).toMatch(/^limit: /);
  });
});

describe('CommentsService: edit and delete', () => {
  it('lets only the author edit, records before and after, and refuses edits of deleted comments', async () => {
    const c = await f.comments.create(f.as('ana'), f.project, { subject: onModel, body: 'draft' });
    const edited = await f.comments.edit(f.as('ana'), c.id, { body: 'final' }, authorize('ana'));
    expect(edited).toMatchObject({ id: c.id, body: 'final', createdAt: c.createdAt, deleted: false });
    const events = await eventsOf(f.store, 'comment.edited');
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({ before: { body: 'draft' }, after: { body: 'final' } });

    // The same body again changes nothing.
    await f.comments.edit(f.as('ana'), c.id, { body: 'final' }, authorize('ana'));
    expect(await eventsOf(f.store, 'comment.edited')).toHaveLength(1);

    const notAuthor = await failure(f.comments.edit(f.as('dora'), c.id, { body: 'admin rewrite' }, authorize('dora')));
    expect(notAuthor.kind).toBe('forbidden');
    const outsider = await failure(f.comments.edit(f.as('eve'), c.id, { body: 'x' }, authorize('eve')));
    expect(outsider.kind).toBe('forbidden');
    expect((await failure(f.comments.edit(f.as('ana'), c.id, { body: '' }, authorize('ana')))).message).toMatch(/^body: /);
    expect((await failure(f.comments.edit(f.as('ana'), 'missing', { body: 'x' }, authorize('ana')))).code).toBe('COMMENT_NOT_FOUND');
    expect((await f.comments.threads(f.project, { model: 'price' }))[0]!.body).toBe('final');

    await f.comments.remove(f.as('ana'), c.id, authorize('ana'));
    expect((await failure(f.comments.edit(f.as('ana'), c.id, { body: 'again' }, authorize('ana')))).code).toBe('COMMENT_DELETED');
  });

  it('lets authors delete their own and project admins any; others get 403; deleted comments show as [deleted]', async () => {
    const root = await f.comments.create(f.as('ana'), f.project, { subject: onModel, body: 'root @bob' });
    const reply = await f.comments.create(f.as('bob'), f.project, { subject: onModel, body: 'a reply', parentId: root.id });

    expect((await failure(f.comments.remove(f.as('bob'), root.id, authorize('bob')))).kind).toBe('forbidden');
    expect((await failure(f.comments.remove(f.as('carl'), reply.id, authorize('carl')))).kind).toBe('forbidden');
    expect((await failure(f.comments.remove(f.as('eve'), reply.id, authorize('eve')))).kind).toBe('forbidden');
    expect(await eventsOf(f.store, 'comment.deleted')).toEqual([]);

    await f.comments.remove(f.as('ana'), root.id, authorize('ana'));
    await f.comments.remove(f.as('dora'), reply.id, authorize('dora'));
    // Deleting again changes nothing.
    await f.comments.remove(f.as('ana'), root.id, authorize('ana'));

    const [thread] = await f.comments.threads(f.project, { model: 'price' });
    expect(thread).toMatchObject({ id: root.id, body: DELETED_BODY, mentions: [], deleted: true, author: 'ana' });
    expect(thread!.replies).toEqual([expect.objectContaining({ id: reply.id, body: DELETED_BODY, deleted: true })]);
    const deleted = await eventsOf(f.store, 'comment.deleted');
    expect(deleted.map((e) => [e.actor, e.payload.moderated, (e.payload.before as { body: string }).body])).toEqual([
      ['ana', false, 'root @bob'],
      ['dora', true, 'a reply'],
    ]);
    // A platform admin may delete any comment too.
    const third = await f.comments.create(f.as('bob'), f.project, { subject: onModel, body: 'third' });
    await f.comments.remove(f.as('root'), third.id, authorize('root'));
    expect((await f.comments.threads(f.project, { model: 'price' }))[1]!.deleted).toBe(true);
  });
});
