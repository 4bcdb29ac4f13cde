import { hostname } from 'node:os';
import type { MetadataStore } from '../../db/metadata-store.js';
import type { JobRow } from '../../db/schema.js';
import { isoTime, type Clock } from '../../platform/clock.js';
import { DomainError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { Logger } from '../../platform/logger.js';
import { SYSTEM_ACTOR } from '../../platform/principal.js';
import { domainEvent } from '../events/domain-event.js';

export interface JobContext {
  readonly id: string;
  readonly attempt: number;
  /** Whether a failure now is final (no retry follows). */
  readonly lastAttempt: boolean;
  /** Aborted when the worker stops or loses the job's lease. */
  readonly signal: AbortSignal;
  /** Reports progress (0..1) with a short message; also renews the lease. */
  progress(fraction: number, message: string): Promise<void>;
}

export type JobHandler = (payload: unknown, ctx: JobContext) => Promise<unknown>;

export interface JobWorkerOptions {
  store: MetadataStore;
  clock: Clock;
  logger: Logger;
  handlers: Record<string, JobHandler>;
  /** How often to look for work when idle. */
  pollMs?: number;
  /** How long a claimed job stays this worker's without a heartbeat. */
  leaseMs?: number;
  /** Wait before retry number `attempt` (default: retryDelayMs). */
  retryDelay?: (attempt: number) => number;
}

/** The first retry waits 2 s, then 4, 8, … up to 5 minutes. */
export function retryDelayMs(attempt: number): number {
  return Math.min(300_000, 2000 * 2 ** Math.max(0, attempt - 1));
}

/**
 * Takes jobs from the jobs table and runs their handlers, one at a time. Several processes sharing
 * PostgreSQL each run a worker; the table's claim decides who runs what. A handler that throws a
 * DomainError (bad input) fails at once; other errors are retried with backoff up to the job's attempts.
 */
export class JobWorker {
  readonly owner = `${hostname()}:${process.pid}:${newId().slice(-8)}`;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private stopping = false;
  private loopDone: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly stopController = new AbortController();

  constructor(private readonly options: JobWorkerOptions) {
    this.pollMs = options.pollMs ?? 1000;
    this.leaseMs = options.leaseMs ?? 60_000;
  }

  start(): void {
    this.loopDone ??= this.loop();
  }

  /** Looks for work now instead of at the next poll. */
  notify(): void {
    this.wake?.();
  }

  /** Takes no new jobs, asks the running one to stop, and waits for it to settle. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopController.abort(new Error('the server is stopping'));
    this.wake?.();
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    const { store, clock, logger } = this.options;
    const types = Object.keys(this.options.handlers);
    while (!this.stopping) {
      let job: JobRow | undefined;
      try {
        job = await store.jobs.claim(this.owner, isoTime(clock), new Date(clock.now() + this.leaseMs).toISOString(), types);
      } catch (err) {
        logger.error({ err }, 'could not claim a job');
      }
      if (job) await this.run(job);
      else await this.idle();
    }
  }

  private idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.pollMs);
      this.wake = done;
    });
  }

  private async run(job: JobRow): Promise<void> {
    const { store, clock, logger, handlers } = this.options;
    const handler = handlers[job.type]!;
    const lost = new AbortController();
    const signal = AbortSignal.any([this.stopController.signal, lost.signal]);
    let progress = Number(job.progress);
    let message = job.progress_message;
    const beat = async () => {
      const ok = await store.jobs.heartbeat(job.id, this.owner, { leaseUntil: new Date(clock.now() + this.leaseMs).toISOString(), progress, message, now: isoTime(clock) });
      if (!ok) lost.abort(new Error('the job was taken over by another worker'));
    };
    const timer = setInterval(() => void beat().catch((err: unknown) => logger.warn({ err, job: job.id }, 'job heartbeat failed')), Math.max(100, this.leaseMs / 3));
    let lastReport = 0;
    const ctx: JobContext = {
      id: job.id,
      attempt: Number(job.attempts),
      lastAttempt: Number(job.attempts) >= Number(job.max_attempts),
      signal,
      progress: async (fraction, text) => {
        progress = Math.max(0, Math.min(1, fraction));
        message = text;
        if (clock.now() - lastReport >= 250) {
          lastReport = clock.now();
          await beat();
        }
      },
    };
    const started = clock.now();
    let outcome: { status: 'SUCCEEDED'; result: unknown } | { status: 'FAILED' | 'QUEUED'; error: string };
    try {
      const result = await handler(JSON.parse(job.payload) as unknown, ctx);
      outcome = { status: 'SUCCEEDED', result: result ?? null };
    } catch (err) {
      const permanent = err instanceof DomainError && err.kind !== 'internal' && err.kind !== 'unavailable';
      const retry = !permanent && !this.stopping && Number(job.attempts) < Number(job.max_attempts);
      const text = err instanceof DomainError || !(err instanceof Error) ? String((err as Error)?.message ?? err) : err.message;
      if (!permanent) logger.error({ err, job: job.id, type: job.type, attempt: job.attempts }, 'job failed');
      outcome = { status: retry || this.stopping ? 'QUEUED' : 'FAILED', error: text };
    } finally {
      clearInterval(timer);
    }
    const now = isoTime(clock);
    try {
      await store.transaction(async (tx) => {
        const finished = await tx.jobs.finish(job.id, this.owner, {
          status: outcome.status,
          result: outcome.status === 'SUCCEEDED' ? JSON.stringify(outcome.result) : null,
          error: outcome.status === 'SUCCEEDED' ? null : outcome.error,
          runAfter: outcome.status === 'QUEUED' ? new Date(clock.now() + (this.stopping ? 0 : (this.options.retryDelay ?? retryDelayMs)(Number(job.attempts)))).toISOString() : undefined,
          now,
        });
        if (finished && outcome.status !== 'QUEUED') {
          await tx.events.append(
            domainEvent(clock, SYSTEM_ACTOR, outcome.status === 'SUCCEEDED' ? 'job.succeeded' : 'job.failed', { type: 'job', id: job.id, projectId: job.project_id }, {
              jobType: job.type,
              ms: clock.now() - started,
              ...(outcome.status === 'FAILED' ? { error: outcome.error } : {}),
            }),
          );
        }
      });
    } catch (err) {
      logger.error({ err, job: job.id }, 'could not record the end of a job; its lease will expire and it will run again');
    }
  }
}
