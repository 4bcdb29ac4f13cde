/**
 * The alert routes through HTTP (inject), on a Fastify instance built here with the same validator, error
 * mapping and role check as app.ts, so that these routes are tested before app.ts registers them.
 */
import { routeTestApp } from '../../../../test/support/route-app.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../http/types.js';
import { systemClock } from '../../../platform/clock.js';
import { forbidden } from '../../../platform/errors.js';
import { AccessService } from '../../access/access.service.js';
import { AuthService } from '../../auth/auth.service.js';
import { alertRoutes } from './alerts.routes.js';
import { alertFixture, windowOf, type AlertFixture } from './alerts.test-support.js';

let f: AlertFixture;
let app: App;
let maintainer: Record<string, string>;
let viewer: Record<string, string>;
const SECRET = 'route-secret-0123456789';

beforeAll(async () => {
  f = await alertFixture();
  const auth = new AuthService({ store: f.store, clock: systemClock });
  const access = new AccessService({ store: f.store, clock: systemClock });
  await auth.bootstrap('stw_alerts-admin-token-0123456789');
  const admin = await auth.authenticate('Bearer stw_alerts-admin-token-0123456789');
  await auth.createUser(admin, { name: 'maria', role: 'user', projects: { default: 'deployer' } });
  await auth.createUser(admin, { name: 'victor', role: 'user', projects: { default: 'viewer' } });
  maintainer = { authorization: `Bearer ${(await auth.createToken(admin, { user: 'maria' })).token}` };
  viewer = { authorization: `Bearer ${(await auth.createToken(admin, { user: 'victor' })).token}` };

  app = routeTestApp(async (request) => {
    const principal = await auth.authenticate(request.headers.authorization);
    request.principal = principal;
    const needed = request.routeOptions.config?.auth ?? 'platform';
    if (needed === 'public' || needed === 'inference' || needed === 'user') return;
    if (needed === 'platform') throw forbidden('platform admins only');
    request.access = await access.check(principal, (request.query as { project?: string }).project, needed);
  });
  alertRoutes(app, f.alerts);
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await f.close();
});

const url = (path = '') => `/api/v1/deployments/price/alerts${path}`;
const body = { name: 'errors', metric: 'drift.features.zip.code.pValue', comparison: '<', threshold: 0.05, firingAfter: 1, resolvingAfter: 1, webhook: { url: 'https://hooks.example/a', secret: SECRET } };

describe('alert routes', () => {
  it('creates (201), reads, lists, replaces and deletes (204) a rule, never showing the secret', async () => {
    const created = await app.inject({ method: 'POST', url: url('/rules'), headers: maintainer, payload: body });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'errors', metric: 'drift.features.zip.code.pValue', comparison: '<', threshold: 0.05, state: 'ok', webhook: { url: 'https://hooks.example/a', secretSet: true }, createdBy: 'maria', silencedUntil: null });
    expect(created.body).not.toContain(SECRET);

    const one = await app.inject({ method: 'GET', url: url('/rules/errors?project=default'), headers: viewer });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual(created.json());
    const list = await app.inject({ method: 'GET', url: url('/rules'), headers: viewer });
    expect(list.json().items.map((r: { name: string }) => r.name)).toEqual(['errors']);
    expect(list.body).not.toContain(SECRET);

    const { name: _n, ...withoutName } = body;
    const put = await app.inject({ method: 'PUT', url: url('/rules/errors'), headers: maintainer, payload: { ...withoutName, threshold: 0.01, webhook: { url: 'https://hooks.example/b' } } });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ threshold: 0.01, webhook: { url: 'https://hooks.example/b', secretSet: true } });
    const renamed = await app.inject({ method: 'PUT', url: url('/rules/errors'), headers: maintainer, payload: { ...body, name: 'other' } });
    expect(renamed.statusCode).toBe(400);
    expect(renamed.json().error.message).toMatch(/^rule\.name/);

    await app.inject({ method: 'POST', url: url('/rules'), headers: maintainer, payload: { ...body, name: 'temp' } });
    const del = await app.inject({ method: 'DELETE', url: url('/rules/temp'), headers: maintainer });
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');
    expect((await app.inject({ method: 'GET', url: url('/rules/temp'), headers: viewer })).json().error.code).toBe('ALERT_RULE_NOT_FOUND');
  });

  it('refuses bad rules with 400 naming the field, duplicates with 409, unknown deployments with 404', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...body, name: 'x1', threshold: 'high' }, /threshold/],
      [{ ...body, name: 'x2', metric: 'drift.features.zip' }, /^rule\.metric: .*not a known metric/],
      [{ ...body, name: 'x3', colour: 'red' }, /colour/],
      [{ ...body, name: 'x4', webhook: { url: 'file:///etc/passwd', secret: SECRET } }, /^rule\.webhook\.url/],
      [{ ...body, name: 'x5', webhook: { url: 'https://h.example', secret: 'short' } }, /secret/],
      [{ ...body, name: 'x6', windows: 5000 }, /windows/],
      [{ ...body, name: 'bad name' }, /^rule\.name/],
    ];
    for (const [payload, message] of cases) {
      const r = await app.inject({ method: 'POST', url: url('/rules'), headers: maintainer, payload });
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.json().error.message).toMatch(message);
    }
    expect((await app.inject({ method: 'POST', url: url('/rules'), headers: maintainer, payload: { ...body, name: 'dup' } })).statusCode).toBe(201);
    const dup = await app.inject({ method: 'POST', url: url('/rules'), headers: maintainer, payload: { ...body, name: 'dup' } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.code).toBe('ALERT_RULE_EXISTS');
    const missing = await app.inject({ method: 'GET', url: '/api/v1/deployments/nope/alerts/rules', headers: viewer });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('DEPLOYMENT_NOT_FOUND');
    expect((await app.inject({ method: 'GET', url: url('/rules?project=ghost'), headers: viewer })).json().error.code).toBe('PROJECT_NOT_FOUND');
  });

  it('lets viewers read but not write', async () => {
    expect((await app.inject({ method: 'POST', url: url('/rules'), headers: viewer, payload: { ...body, name: 'v' } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'DELETE', url: url('/rules/errors'), headers: viewer })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: url('/rules/errors/silence'), headers: viewer, payload: { minutes: 5 } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: url(), headers: viewer })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: url() })).statusCode).toBe(401);
  });

  it('acknowledges, silences and unsilences, and shows history and deliveries', async () => {
    const notFiring = await app.inject({ method: 'POST', url: url('/rules/errors/acknowledge'), headers: maintainer, payload: {} });
    expect(notFiring.statusCode).toBe(409);
    const rule = (await app.inject({ method: 'GET', url: url('/rules/errors'), headers: viewer })).json();
    expect(await f.alerts.observe(rule.id, windowOf(1), 0.001)).toBe('fired');

    const ack = await app.inject({ method: 'POST', url: url('/rules/errors/acknowledge'), headers: maintainer, payload: { comment: 'on it' } });
    expect(ack.statusCode).toBe(200);
    expect(ack.json()).toMatchObject({ state: 'firing', acknowledgedBy: 'maria' });
    const noBody = await app.inject({ method: 'POST', url: url('/rules/errors/acknowledge'), headers: maintainer });
    expect(noBody.statusCode, noBody.body).toBe(200);

    const silence = await app.inject({ method: 'POST', url: url('/rules/errors/silence'), headers: maintainer, payload: { minutes: 60 } });
    expect(silence.statusCode).toBe(200);
    expect(Date.parse(silence.json().silencedUntil)).toBeGreaterThan(Date.now() + 59 * 60_000);
    const badSilence = await app.inject({ method: 'POST', url: url('/rules/errors/silence'), headers: maintainer, payload: { until: '1999-01-01T00:00:00Z' } });
    expect(badSilence.statusCode).toBe(400);
    expect(badSilence.json().error.message).toMatch(/^until: must be in the future/);
    const unsilence = await app.inject({ method: 'DELETE', url: url('/rules/errors/silence'), headers: maintainer });
    expect(unsilence.statusCode).toBe(200);
    expect(unsilence.json().silencedUntil).toBeNull();

    const history = await app.inject({ method: 'GET', url: url('?rule=errors&limit=2'), headers: viewer });
    expect(history.statusCode).toBe(200);
    const h = history.json();
    expect(h.items.map((e: { state: string }) => e.state)).toEqual(['unsilenced', 'silenced']);
    expect(typeof h.nextCursor).toBe('string');
    const rest = (await app.inject({ method: 'GET', url: url(`?rule=errors&cursor=${h.nextCursor}`), headers: viewer })).json();
    expect(rest.items.map((e: { state: string }) => e.state)).toEqual(['acknowledged', 'acknowledged', 'firing']);
    expect(rest.items[2]).toMatchObject({ rule: 'errors', value: 0.001, windowStart: windowOf(1).start, windowEnd: windowOf(1).end, detail: { metric: 'drift.features.zip.code.pValue', webhook: true } });
    expect(rest.nextCursor).toBeNull();

    const deliveries = await app.inject({ method: 'GET', url: url('/deliveries?limit=10'), headers: viewer });
    expect(deliveries.statusCode).toBe(200);
    expect(deliveries.json().items).toEqual([
      { id: expect.any(String), rule: 'errors', event: 'alert.fired', url: 'https://hooks.example/b', status: 'pending', attempts: 0, lastStatus: null, lastError: null, log: [], createdAt: expect.any(String), updatedAt: expect.any(String) },
    ]);
    expect((await app.inject({ method: 'GET', url: url('?limit=0'), headers: viewer })).statusCode).toBe(400);
  });
});
