/**
 * The webhook routes through HTTP (inject), on a Fastify instance built here with the app's validator and
 * error mapping, and a stand-in for the app's access hook: `x-user` picks the caller, and each user holds
 * the roles listed in ROLES (platform admins hold every role).
 */
import { routeTestApp } from '../../../test/support/route-app.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../http/types.js';
import { forbidden, notFound } from '../../platform/errors.js';
import { roleAtLeast, type Principal, type ProjectRole } from '../../platform/principal.js';
import { webhookRoutes } from './webhooks.routes.js';
import { person, webhookFixture, type WebhookFixture } from './webhooks.test-support.js';

let f: WebhookFixture;
let app: App;
const SECRET = 'route-secret-0123456789';

/** Project name → user → role. */
const ROLES: Record<string, Record<string, ProjectRole>> = {
  default: { ada: 'admin', dev: 'deployer' },
  fraud: { fay: 'admin' },
};
const USERS: Record<string, Principal> = { ada: person('ada'), dev: person('dev'), fay: person('fay'), root: person('root', 'admin') };
const as = (user: string) => ({ 'x-user': user });

beforeAll(async () => {
  f = await webhookFixture();
  const projectsById = new Map([f.defaultProject, f.fraud].map((p) => [p.id, p]));
  const roleIn = (principal: Principal, projectName: string): ProjectRole | null => (principal.role === 'admin' ? 'admin' : (ROLES[projectName]?.[principal.name] ?? null));
  const access = {
    async require(principal: Principal, projectId: string, needed: ProjectRole) {
      const project = projectsById.get(projectId);
      if (!project) throw notFound('PROJECT_NOT_FOUND', 'no such project');
      const role = roleIn(principal, project.name);
      if (role === null || !roleAtLeast(role, needed)) throw forbidden(`this needs the ${needed} role in project '${project.name}'`);
    },
  };

  app = routeTestApp(async (request) => {
    const principal = USERS[String(request.headers['x-user'])];
    if (!principal) throw Object.assign(new Error('no token'), { statusCode: 401 });
    request.principal = principal;
    const config = request.routeOptions.config;
    if (config?.projectFrom === 'handler') return;
    const name = (request.query as { project?: string }).project ?? 'default';
    const project = [f.defaultProject, f.fraud].find((p) => p.name === name);
    if (!project) throw notFound('PROJECT_NOT_FOUND', `there is no project '${name}'`);
    await access.require(principal, project.id, config!.auth as ProjectRole);
    request.access = { project, role: roleIn(principal, project.name)! };
  });
  webhookRoutes(app, f.webhooks, access);
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await f.close();
});

const body = { name: 'registry', url: 'https://hooks.example/a', secret: SECRET, events: ['model_version.*', 'promotion.executed'] };

describe('webhook routes', () => {
  it('creates (201, with the secret once), reads, lists, changes and deletes (204) a webhook', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: as('ada'), payload: body });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ project: 'default', name: 'registry', events: body.events, active: true, createdBy: 'ada', secret: SECRET });
    const id = created.json().id as string;

    for (const r of [
      await app.inject({ method: 'GET', url: `/api/v1/webhooks/${id}`, headers: as('ada') }),
      await app.inject({ method: 'GET', url: '/api/v1/webhooks', headers: as('ada') }),
      await app.inject({ method: 'PATCH', url: `/api/v1/webhooks/${id}`, headers: as('ada'), payload: { active: false, secret: 'rotated-secret-0123456789' } }),
      await app.inject({ method: 'GET', url: `/api/v1/webhooks/${id}/deliveries`, headers: as('ada') }),
    ]) {
      expect(r.statusCode, r.body).toBe(200);
      expect(r.body).not.toContain(SECRET);
      expect(r.body).not.toContain('rotated-secret');
      expect(r.body).not.toContain('"secret"');
    }
    expect((await app.inject({ method: 'GET', url: `/api/v1/webhooks/${id}`, headers: as('ada') })).json()).toMatchObject({ active: false, url: body.url });

    const generated = await app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: as('ada'), payload: { name: 'g', url: 'http://127.0.0.1:9/', events: ['*'] } });
    expect(generated.json().secret).toMatch(/^whsec_/);

    const del = await app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${id}`, headers: as('ada') });
    expect(del.statusCode).toBe(204);
    const gone = await app.inject({ method: 'GET', url: `/api/v1/webhooks/${id}`, headers: as('ada') });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe('WEBHOOK_NOT_FOUND');
  });

  it('refuses bad bodies with 400 naming the field', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...body, url: 'file:///etc/passwd' }, /^url: must use http or https/],
      [{ ...body, url: 'https://u:p@h.example/' }, /^url: must not contain a user name or password/],
      [{ ...body, events: ['model_version.*', 'bogus.*'] }, /^events\[1\]: 'bogus\.\*' is not a known kind/],
      [{ ...body, events: [] }, /^body\.events/],
      [{ ...body, secret: 'short' }, /^body\.secret/],
      [{ ...body, colour: 'red' }, /^body\.colour/],
      [{ url: body.url, events: body.events }, /^body\.name: is required/],
    ];
    for (const [payload, message] of cases) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: as('ada'), payload });
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.json().error.message).toMatch(message);
    }
    const w = (await app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: as('ada'), payload: { ...body, name: 'v' } })).json();
    const bad = await app.inject({ method: 'PATCH', url: `/api/v1/webhooks/${w.id}`, headers: as('ada'), payload: { events: ['model.nope'] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.field).toBe('events[0]');
  });

  it("checks the webhook's own project on routes by id, and keeps webhooks of every project to platform admins", async () => {
    const mine = (await app.inject({ method: 'POST', url: '/api/v1/webhooks?project=fraud', headers: as('fay'), payload: { ...body, name: 'fraud' } })).json();
    expect(mine.project).toBe('fraud');
    // A deployer in default is not an admin there; ada administers default, not fraud.
    expect((await app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: as('dev'), payload: body })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/api/v1/webhooks', headers: as('dev') })).statusCode).toBe(403);
    for (const [method, path] of [
      ['GET', ''],
      ['PATCH', ''],
      ['DELETE', ''],
      ['GET', '/deliveries'],
      ['POST', '/test'],
    ] as const) {
      const r = await app.inject({ method, url: `/api/v1/webhooks/${mine.id}${path}`, headers: as('ada'), ...(method === 'PATCH' ? { payload: { name: 'x' } } : {}) });
      expect(r.statusCode, `${method} ${path}`).toBe(403);
    }
    expect((await app.inject({ method: 'GET', url: `/api/v1/webhooks/${mine.id}`, headers: as('fay') })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: `/api/v1/webhooks/${mine.id}`, headers: as('root') })).statusCode).toBe(200);

    const refused = await app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: as('ada'), payload: { ...body, name: 'all', allProjects: true } });
    expect(refused.statusCode).toBe(403);
    const all = await app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: as('root'), payload: { ...body, name: 'all', allProjects: true } });
    expect(all.statusCode).toBe(201);
    expect(all.json().project).toBeNull();
    expect((await app.inject({ method: 'GET', url: `/api/v1/webhooks/${all.json().id}`, headers: as('ada') })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: `/api/v1/webhooks/${all.json().id}`, headers: as('root') })).json().project).toBeNull();
    const rootList = (await app.inject({ method: 'GET', url: '/api/v1/webhooks?project=fraud', headers: as('root') })).json();
    expect(rootList.items.map((w: { name: string }) => w.name).sort()).toEqual(['all', 'fraud']);
    expect((await app.inject({ method: 'GET', url: '/api/v1/webhooks/nope', headers: as('root') })).statusCode).toBe(404);
  });

  it('queues a test delivery (202) and refuses to redeliver a pending one (409)', async () => {
    const w = (await app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: as('ada'), payload: { ...body, name: 't' } })).json();
    const test = await app.inject({ method: 'POST', url: `/api/v1/webhooks/${w.id}/test`, headers: as('ada') });
    expect(test.statusCode, test.body).toBe(202);
    expect(test.json()).toMatchObject({ event: 'webhook.test', status: 'pending', attempts: 0, log: [] });
    const log = await app.inject({ method: 'GET', url: `/api/v1/webhooks/${w.id}/deliveries?limit=10`, headers: as('ada') });
    expect(log.json()).toMatchObject({ items: [{ id: test.json().id, event: 'webhook.test' }], nextCursor: null });
    const again = await app.inject({ method: 'POST', url: `/api/v1/webhooks/${w.id}/deliveries/${test.json().id}/redeliver`, headers: as('ada') });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('WEBHOOK_DELIVERY_PENDING');
    const missing = await app.inject({ method: 'POST', url: `/api/v1/webhooks/${w.id}/deliveries/nope/redeliver`, headers: as('ada') });
    expect(missing.statusCode).toBe(404);
  });
});
