/**
 * The web UI: the single-page app built by Vite into `<package root>/dist/web`, served at `/`.
 *
 * - Files that exist under the folder are sent as they are; Vite's content-hashed files under `assets/`
 *   are cached for a year (immutable), `index.html` is never cached, so a new build is seen at once.
 * - Any other GET that a browser makes for a page (Accept includes text/html) gets `index.html`, and the
 *   app's own router shows the page: `/models/iris` works when opened directly or reloaded.
 * - The API (`/api/...`), the V2 protocol (`/v2...`) and the API documentation (`/docs...`) are never
 *   answered with HTML: an unknown route there still gets the JSON 404.
 * - When the UI has not been built, `/` answers a short page saying how to build it.
 *
 * The UI talks only to the public REST API, with the token the user pasted; these routes need no token.
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from './types.js';

/** Path prefixes that belong to the server, never to the UI's router. */
const SERVER_PREFIXES = ['/api', '/v2', '/docs'];

const YEAR_SECONDS = 365 * 24 * 3600;

/**
 * `<package root>/dist/web`: the package root is the nearest folder above this file that holds a
 * package.json. This file runs as src/http/web-ui.ts (tsx, vitest) or as dist/src/http/web-ui.js (the
 * built server), and both find the same folder.
 */
export function defaultWebRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'web');
    const parent = dirname(dir);
    if (parent === dir) return join(dirname(from), 'web');
    dir = parent;
  }
}

export interface WebUiOptions {
  /** The built UI's folder (default: `<package root>/dist/web`). */
  root?: string;
}

function isServerPath(path: string): boolean {
  return SERVER_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`) || path.startsWith(`${p}?`));
}

function acceptsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && /\btext\/html\b/i.test(accept);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function notBuiltPage(root: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Steward</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2933}code{background:#eef1f4;padding:.1rem .3rem;border-radius:4px}</style>
</head>
<body>
<main>
<h1>Steward is running</h1>
<p>The web UI has not been built, so there is nothing to show here yet. Build it from the Steward source folder with</p>
<pre><code>npm run build</code></pre>
<p>and reload this page. It is looked for in <code>${escapeHtml(root)}</code>.</p>
<p>The API works without it: its documentation is at <a href="/docs">/docs</a>.</p>
</main>
</body>
</html>
`;
}

/** The file under root that a URL path names, or undefined when there is none (or the path leaves root). */
async function fileFor(root: string, urlPath: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const full = resolve(root, `.${decoded}`);
  if (full !== root && !full.startsWith(root + sep)) return undefined;
  try {
    const s = await stat(full);
    return s.isFile() ? full.slice(root.length + 1).split(sep).join('/') : undefined;
  } catch {
    return undefined;
  }
}

export async function registerWebUi(app: App, options: WebUiOptions = {}): Promise<void> {
  const root = resolve(options.root ?? defaultWebRoot());
  // serve: false — only reply.sendFile (streaming, ETag, Last-Modified, ranges); the routes are ours, so
  // that they can say they are public and fall back to index.html.
  await app.register(fastifyStatic, { root, serve: false });

  const indexExists = async (): Promise<boolean> => (await fileFor(root, '/index.html')) !== undefined;

  const sendIndex = async (reply: FastifyReply): Promise<FastifyReply> => {
    if (!(await indexExists())) {
      return reply.status(200).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(notBuiltPage(root));
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
  };

  app.get('/', { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) => sendIndex(reply));

  app.get('/*', { config: { auth: 'public' }, schema: { hide: true } }, async (request, reply) => {
    const path = (request.raw.url ?? '/').split('?')[0]!;
    if (isServerPath(path)) return reply.callNotFound();
    const file = await fileFor(root, path);
    if (file !== undefined) {
      if (file === 'index.html') return sendIndex(reply);
      if (file.startsWith('assets/')) {
        // Vite names these by their content hash: a changed file gets a new name.
        return reply.sendFile(file, { maxAge: YEAR_SECONDS * 1000, immutable: true });
      }
      return reply.sendFile(file, { maxAge: 3600 * 1000 });
    }
    if (path.startsWith('/assets/') || !acceptsHtml(request)) return reply.callNotFound();
    return sendIndex(reply);
  });
}
