/**
 * The card routes through HTTP (inject) on a Fastify instance built here with the app's validator and error
 * mapping; a hook stands in for authentication (the caller is 'carl').
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routeTestApp } from '../../../../test/support/route-app.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase } from '../../../db/database.js';
import { createMetadataStore, type MetadataStore } from '../../../db/metadata-store.js';
import type { App } from '../../../http/types.js';
import { systemClock } from '../../../platform/clock.js';
import { cardRoutes } from './cards.routes.js';
import { CardsService } from './cards.service.js';
import { FAIRNESS_DETAILS, principal, seedCardVersion } from './cards.test-support.js';

let dir: string;
let store: MetadataStore;
let app: App;
const routes: { method: string; url: string; auth: unknown }[] = [];
const url = (suffix = '', query = '') => `/api/v1/models/credit/versions/1/card${suffix}${query}`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-card-routes-'));
  const database = await openDatabase({ kind: 'sqlite', file: join(dir, 'steward.db') });
  await migrateToLatest(database);
  store = createMetadataStore(database);
  await seedCardVersion(store);
  app = routeTestApp(async (request) => {
    request.principal = principal('carl');
  });
  app.addHook('onRoute', (r) => {
    routes.push({ method: String(r.method), url: r.url, auth: r.config?.auth });
  });
  cardRoutes(app, new CardsService({ store, clock: systemClock }));
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('card routes', () => {
  it('need viewer to read and contributor to write', () => {
    const auth = (method: string, suffix = '') => routes.find((r) => r.method === method && r.url === `/api/v1/models/:name/versions/:version/card${suffix}`)?.auth;
    expect([auth('GET'), auth('GET', '.md'), auth('GET', '.html'), auth('PUT'), auth('PATCH')]).toEqual(['viewer', 'viewer', 'viewer', 'contributor', 'contributor']);
  });

  it('serve the whole card as JSON, generated sections included', async () => {
    const res = await app.inject({ method: 'GET', url: url('', '?project=default') });
    expect(res.statusCode).toBe(200);
    const card = res.json();
    expect(card.model_details).toMatchObject({ name: 'credit', risk_tier: 'high', stage: 'Production', aliases: ['champion'], tags: { model: { team: 'risk' } } });
    expect(card.model_parameters.data).toHaveLength(2);
    expect(card.gates[1].details).toEqual(FAIRNESS_DETAILS);
    expect(card.gates[1].fairness.groups[1]).toEqual({ group: 'male', count: 600, selectionRate: 0.52, tpr: null, fpr: null });
    expect(card.explanations.top_features).toHaveLength(10);
    expect(card.approvals[0].approvers.map((a: { name: string }) => a.name)).toEqual(['rita', 'sam']);
    expect(card.completeness.missing).toContain('considerations.use_cases');
  });

  it('write fields with PUT and PATCH, and refuse unknown keys naming their path', async () => {
    const put = await app.inject({ method: 'PUT', url: url(), payload: { considerations: { use_cases: ['pre-screening'], limitations: ['thin files'] } } });
    expect(put.statusCode).toBe(200);
    expect(put.json().fields).toEqual({ considerations: { use_cases: [{ description: 'pre-screening' }], limitations: [{ description: 'thin files' }] } });
    expect(put.json().fields_updated.by).toBe('carl');

    const patch = await app.inject({ method: 'PATCH', url: url(), payload: { considerations: { limitations: null }, model_details: { licenses: ['MIT'] } } });
    expect(patch.statusCode).toBe(200);
    expect(patch.json().fields).toEqual({ model_details: { licenses: [{ identifier: 'MIT' }] }, considerations: { use_cases: [{ description: 'pre-screening' }] } });

    const bad = await app.inject({ method: 'PATCH', url: url(), payload: { considerations: { intended_use: 'x' } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'UNKNOWN_FIELD', details: { field: 'considerations.intended_use' } });
    expect((await app.inject({ method: 'GET', url: url() })).json().fields.model_details).toEqual({ licenses: [{ identifier: 'MIT' }] });

    const missing = await app.inject({ method: 'PUT', url: '/api/v1/models/credit/versions/9/card', payload: {} });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('MODEL_VERSION_NOT_FOUND');
  });

  it('serve Markdown, and HTML that is escaped and downloadable', async () => {
    await app.inject({ method: 'PATCH', url: url(), payload: { considerations: { limitations: ['<script>alert(1)</script>'] } } });

    const md = await app.inject({ method: 'GET', url: url('.md') });
    expect(md.statusCode).toBe(200);
    expect(md.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(md.headers['content-disposition']).toBeUndefined();
    expect(md.body.startsWith('# Model card: credit version 1\n')).toBe(true);
    expect(md.body).toContain('- &lt;script&gt;alert(1)&lt;/script&gt;');

    const html = await app.inject({ method: 'GET', url: url('.html') });
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.headers['content-security-policy']).toContain("default-src 'none'");
    expect(html.headers['content-disposition']).toBeUndefined();
    expect(html.body).not.toMatch(/<script/i);
    expect(html.body).toContain('<li>&lt;script&gt;alert(1)&lt;/script&gt;</li>');

    const download = await app.inject({ method: 'GET', url: url('.html', '?download=1') });
    expect(download.headers['content-disposition']).toBe('attachment; filename="credit-v1-card.html"');
    expect(download.body).toBe(html.body);
    const mdDownload = await app.inject({ method: 'GET', url: url('.md', '?download=1&project=default') });
    expect(mdDownload.headers['content-disposition']).toBe('attachment; filename="credit-v1-card.md"');

    expect((await app.inject({ method: 'GET', url: '/api/v1/models/credit/versions/9/card.html' })).statusCode).toBe(404);
  });
});
