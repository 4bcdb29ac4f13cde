/**
 * The comment and notification routes through HTTP (inject), on a Fastify instance built here with the same
 * validator and error mapping as app.ts, and a hook that does what app.ts's does: the caller is the fixture
 * user named in `x-user`, and project-role routes get `request.access` from AccessService.
 */
import { routeTestApp } from '../../../test/support/route-app.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../http/types.js';
import { systemClock } from '../../platform/clock.js';
import { forbidden, unauthenticated } from '../../platform/errors.js';
import { AccessService } from '../access/access.service.js';
import { commentRoutes } from './comments.routes.js';
import { commentFixture, eventsOf, type CommentFixture } from './comments.test-support.js';

let f: CommentFixture;
let app: App;

beforeAll(async () => {
  f = await commentFixture();
  const access = new AccessService({ store: f.store, clock: systemClock });
  app = routeTestApp(async (request) => {
    const name = request.headers['x-user'];
    if (typeof name !== 'string') throw unauthenticated('no user');
    const principal = f.as(name);
    request.principal = principal;
    const needed = request.routeOptions.config?.auth ?? 'platform';
    if (needed === 'public' || needed === 'inference' || needed === 'user') return;
    if (needed === 'platform') throw forbidden('platform admins only');
    if ((request.routeOptions.config?.projectFrom ?? 'query') !== 'query') return;
    request.access = await access.check(principal, (request.query as { project?: string }).project, needed);
  });
  commentRoutes(app, f.comments, access);
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await f.close();
});

const as = (user: string) => ({ 'x-user': user });
const post = (user: string, payload: unknown, project?: string) =>
  app.inject({ method: 'POST', url: `/api/v1/comments${project ? `?project=${project}` : ''}`, headers: as(user), payload: payload as object });
const onModel = { type: 'model', model: 'price' };

describe('comment routes', () => {
  it('writes (201) and lists threads with replies; a reply to a reply joins the root', async () => {
    const root = await post('ana', { subject: onModel, body: 'Is the **AUC** right?' });
    expect(root.statusCode).toBe(201);
    expect(root.json()).toMatchObject({ subject: { type: 'model', id: f.model.id, label: 'price' }, parentId: null, author: 'ana', body: 'Is the **AUC** right?', mentions: [], editedAt: null, deleted: false, unresolvedMentions: [] });
    const r1 = (await post('bob', { subject: onModel, body: 'yes', parentId: root.json().id })).json();
    const r2 = await post('ana', { subject: onModel, body: 'thanks', parentId: r1.id });
    expect(r2.json().parentId).toBe(root.json().id);

    const list = await app.inject({ method: 'GET', url: '/api/v1/comments?model=price', headers: as('carl') });
    expect(list.statusCode).toBe(200);
    const items = list.json().items as { id: string; replies: { body: string }[] }[];
    expect(items.map((t) => t.id)).toEqual([root.json().id]);
    expect(items[0]!.replies.map((r) => r.body)).toEqual(['yes', 'thanks']);

    const version = await post('ana', { subject: { type: 'model_version', model: 'price', version: 1 }, body: 'v1 note' });
    expect(version.json().subject.label).toBe('price v1');
    const byVersion = await app.inject({ method: 'GET', url: '/api/v1/comments?subjectType=model_version&model=price&version=1', headers: as('carl') });
    expect(byVersion.json().items.map((t: { body: string }) => t.body)).toEqual(['v1 note']);
  });

  it('notifies mentioned members only, never the author, and marks notifications read', async () => {
    const before = (await app.inject({ method: 'GET', url: '/api/v1/notifications', headers: as('dora') })).json();
    const r = await post('bob', { subject: { type: 'deployment', deployment: 'price-api' }, body: '@dora @eve @bob @nobody latency doubled' });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ mentions: ['dora', 'bob'], unresolvedMentions: ['eve', 'nobody'] });

    const dora = await app.inject({ method: 'GET', url: '/api/v1/notifications?unread=true', headers: as('dora') });
    expect(dora.statusCode).toBe(200);
    expect(dora.json().unread).toBe(before.unread + 1);
    expect(dora.json().items[0]).toMatchObject({ kind: 'mention', readAt: null, payload: { commentId: r.json().id, subjectType: 'deployment', subject: 'price-api', author: 'bob' } });
    expect((await app.inject({ method: 'GET', url: '/api/v1/notifications', headers: as('eve') })).json()).toEqual({ items: [], unread: 0 });
    expect((await app.inject({ method: 'GET', url: '/api/v1/notifications', headers: as('bob') })).json().items.filter((n: { payload: { commentId: string } }) => n.payload.commentId === r.json().id)).toEqual([]);

    const id = dora.json().items[0].id as string;
    const read = await app.inject({ method: 'POST', url: '/api/v1/notifications/read', headers: as('dora'), payload: { ids: [id] } });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual({ marked: 1 });
    const after = await app.inject({ method: 'GET', url: '/api/v1/notifications?unread=true', headers: as('dora') });
    expect(after.json().items.map((n: { id: string }) => n.id)).not.toContain(id);
    expect((await app.inject({ method: 'POST', url: '/api/v1/notifications/read', headers: as('dora'), payload: { all: true } })).json().marked).toBe(after.json().unread);
    const bad = await app.inject({ method: 'POST', url: '/api/v1/notifications/read', headers: as('dora'), payload: { ids: 'x' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/ids/);
    expect((await app.inject({ method: 'GET', url: '/api/v1/notifications?unread=maybe', headers: as('dora') })).statusCode).toBe(400);
  });

  it('refuses bad input with 400 naming the field, and unknown subjects with 404', async () => {
    const cases: [unknown, RegExp][] = [
      [{ body: 'x' }, /subject/],
      [{ subject: { type: 'run', model: 'price' }, body: 'x' }, /subject\.type/],
      [{ subject: { type: 'model', model: 'price', colour: 'red' }, body: 'x' }, /subject\.colour/],
      [{ subject: { type: 'model_version', model: 'price' }, body: 'x' }, /^subject\.version: is required/],
      [{ subject: { type: 'model_version', model: 'price', version: '1' }, body: 'x' }, /subject\.version/],
      [{ subject: onModel, body: '' }, /body/],
      [{ subject: onModel, body: ' ' }, /^body: must not be empty/],
      [{ subject: onModel, body: 'x'.repeat(10_001) }, /body/],
      [{ subject: onModel, body: 'x', parentId: 'nope' }, /^parentId: /],
    ];
    for (const [payload, message] of cases) {
      const r = await post('ana', payload);
      expect(r.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(400);
      expect(r.json().error.message).toMatch(message);
    }
    expect((await post('ana', { subject: { type: 'deployment', deployment: 'ghost' }, body: 'x' })).json().error.code).toBe('DEPLOYMENT_NOT_FOUND');
    const noSubject = await app.inject({ method: 'GET', url: '/api/v1/comments', headers: as('carl') });
    expect(noSubject.statusCode).toBe(400);
    expect(noSubject.json().error.message).toMatch(/^subjectType: is required/);
  });

  it('checks roles: viewers read but cannot write; outsiders see nothing', async () => {
    expect((await post('carl', { subject: onModel, body: 'x' })).statusCode).toBe(403);
    expect((await post('eve', { subject: onModel, body: 'x' })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/api/v1/comments?model=price', headers: as('eve') })).statusCode).toBe(403);
    // In her own project eve may comment, but the model lives in the default project.
    expect((await post('eve', { subject: onModel, body: 'x' }, 'other')).json().error.code).toBe('MODEL_NOT_FOUND');
    expect((await app.inject({ method: 'GET', url: '/api/v1/comments?model=price' })).statusCode).toBe(401);
  });

  it('edits (author only) and deletes (author or project admin)', async () => {
    const c = (await post('ana', { subject: { type: 'model_version', model: 'price', version: 2 }, body: 'first take' })).json();
    const byOther = await app.inject({ method: 'PATCH', url: `/api/v1/comments/${c.id}`, headers: as('dora'), payload: { body: 'rewritten' } });
    expect(byOther.statusCode).toBe(403);
    const byViewer = await app.inject({ method: 'PATCH', url: `/api/v1/comments/${c.id}`, headers: as('carl'), payload: { body: 'rewritten' } });
    expect(byViewer.statusCode).toBe(403);
    const badBody = await app.inject({ method: 'PATCH', url: `/api/v1/comments/${c.id}`, headers: as('ana'), payload: { body: 'x', extra: 1 } });
    expect(badBody.statusCode).toBe(400);
    expect(badBody.json().error.message).toMatch(/extra/);
    const edited = await app.inject({ method: 'PATCH', url: `/api/v1/comments/${c.id}`, headers: as('ana'), payload: { body: 'second take @carl' } });
    expect(edited.statusCode).toBe(200);
    expect(edited.json()).toMatchObject({ id: c.id, body: 'second take @carl', mentions: ['carl'], deleted: false });
    expect(edited.json().editedAt).toEqual(expect.any(String));
    const edits = (await eventsOf(f.store, 'comment.edited')).filter((e) => e.entityId === c.id);
    expect(edits.map((e) => e.payload)).toEqual([expect.objectContaining({ before: expect.objectContaining({ body: 'first take' }), after: expect.objectContaining({ body: 'second take @carl' }) })]);

    expect((await app.inject({ method: 'DELETE', url: `/api/v1/comments/${c.id}`, headers: as('bob') })).statusCode).toBe(403);
    const del = await app.inject({ method: 'DELETE', url: `/api/v1/comments/${c.id}`, headers: as('dora') });
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');
    const [thread] = (await app.inject({ method: 'GET', url: '/api/v1/comments?model=price&version=2', headers: as('carl') })).json().items;
    expect(thread).toMatchObject({ id: c.id, body: '[deleted]', deleted: true, mentions: [] });
    expect((await app.inject({ method: 'PATCH', url: `/api/v1/comments/${c.id}`, headers: as('ana'), payload: { body: 'back' } })).statusCode).toBe(409);
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/comments/missing', headers: as('ana') })).json().error.code).toBe('COMMENT_NOT_FOUND');
  });
});
