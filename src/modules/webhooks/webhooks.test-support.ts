/** Shared set-up of the webhook tests: a real SQLite file, a second project, a WebhooksService, and a local receiver. */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateToLatest, openDatabase } from '../../db/database.js';
import { createMetadataStore, type MetadataStore } from '../../db/metadata-store.js';
import type { ProjectRow } from '../../db/schema.js';
import { systemClock } from '../../platform/clock.js';
import { newId } from '../../platform/ids.js';
import { createLogger } from '../../platform/logger.js';
import type { Principal } from '../../platform/principal.js';
import { domainEvent } from '../events/domain-event.js';
import type { WebhookOptions } from './deliverer.js';
import { WebhooksService } from './webhooks.service.js';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** performance.now() when the request's body had arrived. */
  at: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  open: () => number;
  maxOpen: () => number;
  close: () => Promise<void>;
}

/** A local HTTP receiver: `answer` decides per request (by path and how many requests that path had). */
export async function receiver(answer: (path: string, n: number, res: ServerResponse) => void): Promise<Receiver> {
  const received: Received[] = [];
  const counts = new Map<string, number>();
  let open = 0;
  let maxOpen = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: performance.now() });
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      open++;
      maxOpen = Math.max(maxOpen, open);
      res.on('close', () => open--);
      answer(path, n, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    open: () => open,
    maxOpen: () => maxOpen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const FAST: WebhookOptions = { baseDelayMs: 10, factor: 2, maxDelayMs: 100, timeoutMs: 1000, pollMs: 50 };

export const person = (name: string, role: Principal['role'] = 'user'): Principal => ({ userId: `u-${name}`, name, role, tokenId: `t-${name}`, deployments: null });

export interface WebhookFixture {
  dir: string;
  file: string;
  store: MetadataStore;
  webhooks: WebhooksService;
  defaultProject: ProjectRow;
  /** A second project, 'fraud'. */
  fraud: ProjectRow;
  /** A project admin (a plain user) and a platform admin. */
  ada: Principal;
  root: Principal;
  /** Appends a domain event as a service would. */
  emit(type: string, project: ProjectRow | null, payload?: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

export async function webhookFixture(options: { webhooks?: WebhookOptions; dir?: string } = {}): Promise<WebhookFixture> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'steward-webhooks-')));
  const file = join(dir, 'steward.db');
  const database = await openDatabase({ kind: 'sqlite', file });
  await migrateToLatest(database);
  const store = createMetadataStore(database);
  const webhooks = new WebhooksService({ store, clock: systemClock, logger: createLogger('silent'), webhooks: options.webhooks ?? FAST, dispatchPollMs: 50 });
  const defaultProject = (await store.projects.getByName('default'))!;
  let fraud = await store.projects.getByName('fraud');
  if (!fraud) {
    fraud = { id: newId(), name: 'fraud', description: '', created_at: new Date().toISOString(), created_by: 'test' };
    await store.projects.insert(fraud);
  }
  return {
    dir,
    file,
    store,
    webhooks,
    defaultProject,
    fraud,
    ada: person('ada'),
    root: person('root', 'admin'),
    emit: (type, project, payload = {}) => store.events.append(domainEvent(systemClock, 'tester', type, { type: type.split('.')[0]!, id: newId(), projectId: project?.id ?? null }, payload)),
    async close() {
      await webhooks.stop();
      await store.close();
      if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` answers something truthy, or fails after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false> | T | undefined | null | false, ms = 10_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
