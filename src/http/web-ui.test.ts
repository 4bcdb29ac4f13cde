import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/support/harness.js';
import { notFoundHandler } from './errors.js';
import type { App } from './types.js';
import { defaultWebRoot, registerWebUi } from './web-ui.js';

const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

describe('web UI in the app', () => {
  let h: Harness;
  const built = existsSync(join(defaultWebRoot(), 'index.html'));

  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('finds <package root>/dist/web from the source file', () => {
    expect(defaultWebRoot()).toBe(join(process.cwd(), 'dist', 'web'));
  });

  it('answers / with HTML and no token: the built UI, or a page saying how to build it', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/', headers: HTML });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-cache');
    if (built) expect(res.body).toContain('<div id="root">');
    else expect(res.body).toContain('npm run build');
  });

  it('answers a page of the UI (a browser reload of /models/x) with the same page', async () => {
    const root = await h.app.inject({ method: 'GET', url: '/', headers: HTML });
    const res = await h.app.inject({ method: 'GET', url: '/models/x?tab=versions', headers: HTML });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toBe(root.body);
  });

  it('keeps the JSON 404 for unknown API, V2 and docs routes, and for clients that do not ask for HTML', async () => {
    for (const url of ['/api/v1/nope', '/api', '/v2/nope', '/docs/nope/x']) {
      const res = await h.app.inject({ method: 'GET', url, headers: HTML });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code, url).toBe('ROUTE_NOT_FOUND');
    }
    const res = await h.app.inject({ method: 'GET', url: '/models/x', headers: { accept: 'application/json' } });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('ROUTE_NOT_FOUND');
    const post = await h.app.inject({ method: 'POST', url: '/models/x', headers: HTML, payload: {} });
    expect(post.statusCode).toBe(404);
  });

  it('leaves the API as it was: tokens are still needed, and the UI routes are not in the OpenAPI document', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/whoami', headers: HTML })).statusCode).toBe(401);
    const doc = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).not.toContain('/');
    expect(Object.keys(doc.paths)).not.toContain('/*');
  });
});

describe('web UI files', () => {
  let dir: string;
  let app: App;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'steward-web-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><div id="root"></div><script src="/assets/app-abc123.js"></script>');
    await writeFile(join(dir, 'assets', 'app-abc123.js'), 'console.log(1)');
    await writeFile(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    app = Fastify() as unknown as App;
    app.setNotFoundHandler(notFoundHandler);
    await registerWebUi(app, { root: dir });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('sends hashed assets with a long, immutable cache and index.html with no-cache', async () => {
    const asset = await app.inject({ method: 'GET', url: '/assets/app-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.body).toBe('console.log(1)');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-type']).toMatch(/javascript/);

    for (const url of ['/', '/index.html', '/deployments/fraud']) {
      const page = await app.inject({ method: 'GET', url, headers: HTML });
      expect(page.statusCode, url).toBe(200);
      expect(page.headers['cache-control'], url).toBe('no-cache');
      expect(page.body, url).toContain('<div id="root">');
    }
    const icon = await app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(icon.headers['cache-control']).toBe('public, max-age=3600');
  });

  it('answers 404 for a missing asset and never leaves the folder', async () => {
    expect((await app.inject({ method: 'GET', url: '/assets/gone-1234.js', headers: HTML })).statusCode).toBe(404);
    const escape = await app.inject({ method: 'GET', url: '/%2e%2e/%2e%2e/etc/passwd', headers: { accept: 'text/plain' } });
    expect(escape.statusCode).toBe(404);
    expect(escape.body).not.toContain('root:');
  });

  it('answers HEAD like GET', async () => {
    const res = await app.inject({ method: 'HEAD', url: '/models/x', headers: HTML });
    expect(res.statusCode).toBe(200);
  });
});

describe('web UI not built', () => {
  it('answers / with a page that says how to build it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'steward-noweb-'));
    const app = Fastify() as unknown as App;
    app.setNotFoundHandler(notFoundHandler);
    await registerWebUi(app, { root: join(dir, 'missing') });
    const res = await app.inject({ method: 'GET', url: '/', headers: HTML });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('npm run build');
    const page = await app.inject({ method: 'GET', url: '/models/x', headers: HTML });
    expect(page.body).toContain('npm run build');
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });
});
