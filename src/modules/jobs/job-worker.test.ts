import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase } from '../../db/database.js';
import { createMetadataStore, type MetadataStore } from '../../db/metadata-store.js';
import { systemClock } from '../../platform/clock.js';
import { invalidField } from '../../platform/errors.js';
import { createLogger } from '../../platform/logger.js';
import { JobWorker, retryDelayMs, type JobHandler } from './job-worker.js';
import { JobsService } from './jobs.service.js';

let dir: string;
let store: MetadataStore;
let jobs: JobsService;
let worker: JobWorker | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-jobs-'));
  const database = await openDatabase({ kind: 'sqlite', file: join(dir, 'db') });
  await migrateToLatest(database);
  store = createMetadataStore(database);
  jobs = new JobsService({ store, clock: systemClock, onEnqueued: () => worker?.notify() });
});

afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function startWorker(handlers: Record<string, JobHandler>, options: { pollMs?: number; leaseMs?: number } = {}) {
  worker = new JobWorker({ store, clock: systemClock, logger: createLogger('silent'), handlers, pollMs: options.pollMs ?? 60_000, leaseMs: options.leaseMs ?? 60_000, retryDelay: () => 0 });
  worker.start();
  return worker;
}

async function enqueue(type: string, payload: unknown, maxAttempts = 3) {
  const row = await store.transaction((tx) => jobs.enqueue(tx, 'tester', { type, payload, maxAttempts }));
  jobs.jobsEnqueued();
  return row.id;
}

async function settled(id: string, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const j = await jobs.get(id);
    if (j.status === 'SUCCEEDED' || j.status === 'FAILED') return j;
    if (Date.now() > until) throw new Error(`job ${id} is still ${j.status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('JobWorker', () => {
  it('runs a job at once when told, with its payload and progress, and records the result and an event', async () => {
    const seen: number[] = [];
    startWorker({
      'sum.numbers': async (payload, ctx) => {
        const { numbers } = payload as { numbers: number[] };
        let total = 0;
        for (let i = 0; i < numbers.length; i++) {
          total += numbers[i]!;
          await ctx.progress((i + 1) / numbers.length, `added ${i + 1}`);
          seen.push(i);
        }
        return { total };
      },
    });
    const started = Date.now();
    const id = await enqueue('sum.numbers', { numbers: [1, 2, 3.5] });
    const job = await settled(id);
    expect(Date.now() - started).toBeLessThan(30_000); // woken by notify, not by the 60 s poll
    expect(job).toMatchObject({ status: 'SUCCEEDED', result: { total: 6.5 }, progress: 1, attempts: 1, error: null, createdBy: 'tester' });
    expect(seen).toEqual([0, 1, 2]);
    const events = await store.events.list({ after: 0, limit: 10, entityType: 'job', entityId: id });
    expect(events.map((e) => e.type)).toEqual(['job.enqueued', 'job.succeeded']);
  });

  it('retries a job that throws, and records success on a later attempt', async () => {
    let calls = 0;
    startWorker({
      flaky: async () => {
        calls++;
        if (calls < 3) throw new Error(`transient failure ${calls}`);
        return 'ok';
      },
    });
    const job = await settled(await enqueue('flaky', {}));
    expect(job).toMatchObject({ status: 'SUCCEEDED', result: 'ok', attempts: 3 });
  });

  it('fails at once on bad input (a domain error), and after the last attempt otherwise', async () => {
    startWorker({
      picky: async () => {
        throw invalidField('payload.column', "there is no column 'nope'");
      },
      broken: async () => {
        throw new Error('always broken');
      },
    });
    const picky = await settled(await enqueue('picky', {}));
    expect(picky).toMatchObject({ status: 'FAILED', attempts: 1, error: "payload.column: there is no column 'nope'" });
    const broken = await settled(await enqueue('broken', {}, 2));
    expect(broken).toMatchObject({ status: 'FAILED', attempts: 2, error: 'always broken' });
    const events = await store.events.list({ after: 0, limit: 50, entityType: 'job', entityId: broken.id });
    expect(events.map((e) => e.type)).toEqual(['job.enqueued', 'job.failed']);
  });

  it('on stop, aborts the running job and puts it back in the queue for the next start', async () => {
    let entered!: () => void;
    const running = new Promise<void>((r) => (entered = r));
    const w = startWorker({
      long: async (_payload, ctx) => {
        entered();
        await new Promise<void>((resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)));
      },
    });
    const id = await enqueue('long', {});
    await running;
    await w.stop();
    worker = undefined;
    expect(await jobs.get(id)).toMatchObject({ status: 'QUEUED', attempts: 1, error: 'the server is stopping' });
    startWorker({ long: async () => 'finished this time' });
    worker!.notify();
    expect(await settled(id)).toMatchObject({ status: 'SUCCEEDED', result: 'finished this time', attempts: 2 });
  });

  it('lets another worker take a job whose worker stopped renewing its lease', async () => {
    const id = await enqueue('orphan', {});
    // A worker that claimed it and vanished: its lease ends in the past.
    await store.jobs.claim('vanished', new Date().toISOString(), new Date(Date.now() - 1000).toISOString(), ['orphan']);
    startWorker({ orphan: async () => 'rescued' }, { pollMs: 20 });
    expect(await settled(id)).toMatchObject({ status: 'SUCCEEDED', result: 'rescued', attempts: 2 });
  });

  it('waits longer between later retries, up to five minutes', () => {
    expect([1, 2, 3, 4].map(retryDelayMs)).toEqual([2000, 4000, 8000, 16000]);
    expect(retryDelayMs(30)).toBe(300_000);
  });
});
