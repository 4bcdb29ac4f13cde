/**
 * The gate routes through HTTP (inject), on a Fastify instance built here with app.ts's validator and
 * error mapping, and a stand-in for the role check (the caller's project role comes from a test header),
 * so that the routes are tested before app.ts registers them.
 */
import { readFileSync } from 'node:fs';
import { routeTestApp } from '../../../../test/support/route-app.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../http/types.js';
import { forbidden } from '../../../platform/errors.js';
import { isProjectRole, roleAtLeast } from '../../../platform/principal.js';
import { gateRoutes } from './gates.routes.js';
import { csvText, gateFixture, lcg, principal, type GateFixture } from './gates.test-support.js';

let f: GateFixture;
let app: App;
const contributor = { 'x-user': 'maria', 'x-role': 'contributor' };
const viewer = { 'x-user': 'vera', 'x-role': 'viewer' };
const base = '/api/v1/models/loans/versions/1';

beforeAll(async () => {
  f = await gateFixture();
  const u = lcg(5);
  const rows = Array.from({ length: 60 }, (_, i) => [Math.round(20000 + 40000 * u()), 20 + Math.floor(u() * 50), u() < 0.5 ? 1 : 0, u() * 2 - 1, i % 2]);
  await f.dataset('applicants', csvText(['income', 'age', 'home_owner', 'score', 'approved'], rows));
  await f.register('loans', new Uint8Array(readFileSync(new URL('../../../../test/fixtures/xgboost/named-features.json', import.meta.url))), { flavor: 'xgboost-json' });

  app = routeTestApp(async (request) => {
    const name = String(request.headers['x-user']);
    const role = request.headers['x-role'];
    request.principal = principal(name);
    const needed = request.routeOptions.config?.auth;
    if (!isProjectRole(needed) || !isProjectRole(role) || !roleAtLeast(role, needed)) throw forbidden(`this needs the ${String(needed)} role`);
  });
  gateRoutes(app, f.gates);
  await app.ready();
}, 60_000);
afterAll(async () => {
  await app.close();
  await f.close();
});

async function finished(id: string): Promise<Record<string, unknown>> {
  for (;;) {
    const r = await app.inject({ method: 'GET', url: `${base}/gate-runs/${id}`, headers: viewer });
    expect(r.statusCode, r.body).toBe(200);
    const run = r.json();
    if (run.status === 'succeeded' || run.status === 'failed') return run;
    await new Promise((res) => setTimeout(res, 25));
  }
}

describe('gate routes', () => {
  it('starts a run (202), shows it with its results, lists runs and the latest result per gate', async () => {
    const r = await app.inject({
      method: 'POST',
      url: `${base}/gate-runs`,
      headers: contributor,
      payload: { dataset: 'applicants@1', target: 'approved', gates: [{ name: 'schema', type: 'schema' }, { name: 'fast', type: 'latency', p95Ms: 10_000, rows: 20 }] },
    });
    expect(r.statusCode, r.body).toBe(202);
    const queued = r.json();
    expect(queued).toMatchObject({ status: 'queued', model: 'loans', version: 1, dataset: { name: 'applicants', version: 1 }, createdBy: 'maria', passed: null });
    expect(queued.gates[1]).toMatchObject({ name: 'fast', rows: 20, specSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const run = await finished(queued.id);
    expect(run).toMatchObject({ status: 'succeeded', passed: true, results: [{ name: 'schema', passed: true }, { name: 'fast', passed: true, details: { rows: 20 } }] });

    const list = await app.inject({ method: 'GET', url: `${base}/gate-runs?project=default`, headers: viewer });
    expect(list.json().items.map((x: { id: string }) => x.id)).toEqual([queued.id]);
    expect(list.json().items[0].results).toBeUndefined();
    const latest = await app.inject({ method: 'GET', url: `${base}/gate-results?latest=true&name=fast`, headers: viewer });
    expect(latest.statusCode).toBe(200);
    expect(latest.json().items).toMatchObject([{ name: 'fast', runId: queued.id, passed: true, summary: expect.stringMatching(/^p95 /) }]);

    const retry = await app.inject({ method: 'POST', url: `${base}/gate-runs/${queued.id}/retry`, headers: contributor });
    expect(retry.statusCode).toBe(409);
    expect(retry.json().error.code).toBe('GATE_RUN_NOT_FAILED');
  });

  it('refuses bad specs with a 400 naming the field, viewers with a 403, and unknown runs with a 404', async () => {
    const bad = await app.inject({ method: 'POST', url: `${base}/gate-runs`, headers: contributor, payload: { dataset: 'applicants@1', gates: [{ name: 'a', type: 'schema' }, { name: 'b', type: 'schema' }, { name: 'c', type: 'robustness', tolerance: 'low' }] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/^gates\[2\]\.tolerance/);
    const missing = await app.inject({ method: 'POST', url: `${base}/gate-runs`, headers: contributor, payload: { dataset: 'applicants@1' } });
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toMatch(/gates/);
    const denied = await app.inject({ method: 'POST', url: `${base}/gate-runs`, headers: viewer, payload: { dataset: 'applicants@1', gates: [{ name: 'a', type: 'schema' }] } });
    expect(denied.statusCode).toBe(403);
    const unknown = await app.inject({ method: 'GET', url: `${base}/gate-runs/nope`, headers: viewer });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('GATE_RUN_NOT_FOUND');
    const noVersion = await app.inject({ method: 'GET', url: '/api/v1/models/loans/versions/7/gate-runs', headers: viewer });
    expect(noVersion.statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `${base}/gate-runs`, headers: viewer })).json().items).toHaveLength(1);
  });
});
