/**
 * The one webhook deliverer of Steward. It serves any table of deliveries through a small `DeliveryQueue`
 * (alert deliveries: webhook_deliveries; event subscriptions: webhook_event_deliveries), so that signing,
 * timeouts, concurrency, back-off, the attempt log and stop/start behave the same everywhere.
 *
 * Each attempt is a POST of the stored JSON payload with these headers:
 *
 *   content-type:        application/json
 *   x-steward-event:     the event type (alert.fired, model_version.created, webhook.test, …)
 *   x-steward-delivery:  the delivery id (the same on every attempt: receivers can drop repeats with it)
 *   x-steward-timestamp: Unix seconds when this attempt was signed
 *   x-steward-signature: sha256=<hex of HMAC-SHA256(secret, `${timestamp}.${body}`)>
 *
 * A receiver recomputes the HMAC over the timestamp header, a '.', and the raw body bytes as received,
 * compares in constant time (`verifySignature` below does this), and should refuse timestamps far from
 * its own clock so that a captured request cannot be replayed later.
 *
 * A 2xx answer means delivered. Anything else (another status, a timeout, a refused connection) is retried
 * after 1 s, 2 s, 4 s, … (at most 5 minutes) until the attempts run out; then the delivery is failed.
 * Every attempt is appended to the row's log. Redirects are not followed.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isoTime, type Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';

export interface WebhookOptions {
  /** How long one attempt may take before it counts as failed (default 5000 ms). */
  timeoutMs?: number;
  /** Attempts in flight at once in this process (default 4). */
  concurrency?: number;
  /** Attempts before a delivery is given up as failed (default 6). */
  maxAttempts?: number;
  /** Wait before the first retry (default 1000 ms); each later one waits `factor` times longer. */
  baseDelayMs?: number;
  factor?: number;
  /** The longest wait between attempts (default 5 minutes). */
  maxDelayMs?: number;
  /** How often to look for due deliveries besides being told (default 5000 ms). */
  pollMs?: number;
}

export const WEBHOOK_DEFAULTS: Required<WebhookOptions> = {
  timeoutMs: 5_000,
  concurrency: 4,
  maxAttempts: 6,
  baseDelayMs: 1_000,
  factor: 2,
  maxDelayMs: 300_000,
  pollMs: 5_000,
};

export interface AttemptLogEntry {
  at: string;
  status?: number;
  error?: string;
  ms: number;
}

/** How a worker holds a delivery between claiming it and recording the attempt. */
export interface DeliveryClaim {
  attempts: number;
  leaseUntil: string;
}

/** What an attempt changes on the delivery row. */
export interface AttemptResult {
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  log: string;
  updated_at: string;
}

/** A claimed delivery, with what it takes to send it. */
export interface DueDelivery {
  id: string;
  url: string;
  /** The value of x-steward-event. */
  event: string;
  /** The JSON body, sent as stored. */
  payload: string;
  /** The key to sign with; null when there is none any more (the attempt then fails with `unavailable`). */
  secret: string | null;
  /** Why the delivery cannot be sent, when `secret` is null. */
  unavailable?: string;
  /** Attempts made so far, and their log (JSON array of AttemptLogEntry). */
  attempts: number;
  log: string;
}

/**
 * A table of deliveries as the deliverer needs it. Times are ISO text. A claim moves the row's
 * next_attempt_at to `leaseUntil`, so that a worker that dies mid-attempt leaves it due again later;
 * concurrent claimers (other processes on PostgreSQL) never get the same row.
 */
export interface DeliveryQueue {
  /** Takes the delivery that has been due longest (pending, next_attempt_at ≤ now), or nothing. */
  claimDue(now: string, leaseUntil: string): Promise<DueDelivery | undefined>;
  /** Records an attempt on a claimed delivery; false when the claim was lost (the lease passed and another worker took it). */
  finishAttempt(id: string, claim: DeliveryClaim, result: AttemptResult): Promise<boolean>;
  /** Gives a claimed delivery back without counting an attempt (the worker is stopping). */
  release(id: string, claim: DeliveryClaim, now: string): Promise<void>;
}

/** The signature header value for a body signed at `timestamp` (Unix seconds, as text). */
export function signPayload(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Whether `header` is the signature of `body` at `timestamp` under `secret`, compared in constant time.
 * With `maxAgeSeconds`, a timestamp further than that from `nowSeconds` (default: the current time) fails too.
 */
export function verifySignature(
  secret: string,
  timestamp: string,
  body: string | Buffer,
  header: string | undefined,
  options: { maxAgeSeconds?: number; nowSeconds?: number } = {},
): boolean {
  if (typeof header !== 'string' || !/^\d{1,15}$/.test(timestamp)) return false;
  if (options.maxAgeSeconds !== undefined) {
    const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
    if (Math.abs(now - Number(timestamp)) > options.maxAgeSeconds) return false;
  }
  const expected = Buffer.from(signPayload(secret, timestamp, Buffer.isBuffer(body) ? body.toString('utf8') : body));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Wait before attempt number `attempt + 1`, after `attempt` attempts have failed. */
export function retryDelay(options: Required<WebhookOptions>, attempt: number): number {
  return Math.min(options.maxDelayMs, options.baseDelayMs * options.factor ** Math.max(0, attempt - 1));
}

/** The attempt log stored on a row, or an empty one when it cannot be read. */
export function parseAttemptLog(text: string): AttemptLogEntry[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? (v as AttemptLogEntry[]) : [];
  } catch {
    return [];
  }
}

export interface DelivererDeps {
  queue: DeliveryQueue;
  clock: Clock;
  logger: Logger;
  options?: WebhookOptions;
}

/** The longest error text kept per attempt. */
const MAX_ERROR_LENGTH = 500;

function describeError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
  const cause = e?.cause?.code ?? e?.cause?.message;
  const text = cause ? `${e.message ?? String(err)}: ${cause}` : (e?.message ?? String(err));
  return text.slice(0, MAX_ERROR_LENGTH);
}

/**
 * Sends the due deliveries of one queue, at most `concurrency` at a time. Call start() once; kick() after
 * writing new deliveries; stop() on shutdown (an attempt cut short by stop() is handed back uncounted).
 */
export class Deliverer {
  readonly options: Required<WebhookOptions>;
  private running = false;
  private pumping = false;
  private again = false;
  private pumpDone: Promise<void> = Promise.resolve();
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly inflight = new Set<Promise<void>>();
  private stopController = new AbortController();

  constructor(private readonly deps: DelivererDeps) {
    this.options = { ...WEBHOOK_DEFAULTS, ...Object.fromEntries(Object.entries(deps.options ?? {}).filter(([, v]) => v !== undefined)) };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopController = new AbortController();
    this.pollTimer = setInterval(() => this.kick(), this.options.pollMs);
    this.pollTimer.unref();
    this.kick();
  }

  /** Looks for due deliveries now (does nothing unless started). */
  kick(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumpDone = this.pump();
  }

  /** Stops taking deliveries, cuts the attempts in flight short, and waits for them to be handed back. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.pollTimer);
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    this.stopController.abort(new Error('the server is stopping'));
    await this.pumpDone;
    await Promise.allSettled([...this.inflight]);
  }

  /** Attempts in flight now (for tests and metrics). */
  get active(): number {
    return this.inflight.size;
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      do {
        this.again = false;
        while (this.running && this.inflight.size < this.options.concurrency) {
          const now = this.deps.clock.now();
          // Held long enough for the attempt to time out and be recorded; then another worker may retry it.
          const leaseUntil = new Date(now + this.options.timeoutMs + 30_000).toISOString();
          const due = await this.deps.queue.claimDue(new Date(now).toISOString(), leaseUntil);
          if (!due) break;
          const claim: DeliveryClaim = { attempts: due.attempts, leaseUntil };
          const p: Promise<void> = this.attempt(due, claim)
            .catch((err: unknown) => this.deps.logger.error({ err, delivery: due.id }, 'could not record a webhook attempt'))
            .finally(() => {
              this.inflight.delete(p);
              this.kick();
            });
          this.inflight.add(p);
        }
      } while (this.again && this.running);
    } catch (err) {
      this.deps.logger.error({ err }, 'could not claim webhook deliveries; trying again at the next poll');
    } finally {
      this.pumping = false;
    }
  }

  private async attempt(due: DueDelivery, claim: DeliveryClaim): Promise<void> {
    const { clock, queue, logger } = this.deps;
    const { timeoutMs } = this.options;
    const at = isoTime(clock);
    const started = performance.now();
    let status: number | undefined;
    let error: string | undefined;
    if (due.secret === null) {
      error = due.unavailable ?? 'there is no secret to sign the delivery with';
    } else {
      const timestamp = String(Math.floor(clock.now() / 1000));
      try {
        const response = await fetch(due.url, {
          method: 'POST',
          redirect: 'manual',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'steward-webhooks',
            'x-steward-event': due.event,
            'x-steward-delivery': due.id,
            'x-steward-timestamp': timestamp,
            'x-steward-signature': signPayload(due.secret, timestamp, due.payload),
          },
          body: due.payload,
          signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.stopController.signal]),
        });
        status = response.status;
        // The answer's body is of no use; let the connection go.
        await response.body?.cancel().catch(() => undefined);
      } catch (err) {
        if (this.stopController.signal.aborted) {
          await queue.release(due.id, claim, isoTime(clock));
          return;
        }
        error = describeError(err, timeoutMs);
      }
    }
    const ms = Math.round((performance.now() - started) * 10) / 10;
    const ok = status !== undefined && status >= 200 && status < 300;
    if (!ok && error === undefined) error = `answered HTTP ${status}`;
    const attempts = claim.attempts + 1;
    const log = [...parseAttemptLog(due.log), { at, ...(status !== undefined ? { status } : {}), ...(ok ? {} : { error }), ms } as AttemptLogEntry];
    const now = clock.now();
    const gaveUp = !ok && attempts >= this.options.maxAttempts;
    const delay = retryDelay(this.options, attempts);
    const result: AttemptResult = {
      status: ok ? 'delivered' : gaveUp ? 'failed' : 'pending',
      attempts,
      next_attempt_at: ok || gaveUp ? null : new Date(now + delay).toISOString(),
      last_status: status ?? null,
      last_error: ok ? null : (error ?? null),
      log: JSON.stringify(log),
      updated_at: new Date(now).toISOString(),
    };
    if (!(await queue.finishAttempt(due.id, claim, result))) {
      logger.warn({ delivery: due.id }, 'a webhook attempt ended after its claim had lapsed; another worker has the delivery');
      return;
    }
    if (!ok) logger.warn({ delivery: due.id, url: due.url, event: due.event, attempt: attempts, status, error, final: gaveUp }, gaveUp ? 'webhook delivery failed for good' : 'webhook delivery failed; will retry');
    if (result.status === 'pending') this.retryAfter(delay);
  }

  /** Looks again when a retry falls due (the poll would find it too, but later). */
  private retryAfter(ms: number): void {
    if (!this.running) return;
    const t = setTimeout(() => {
      this.retryTimers.delete(t);
      this.kick();
    }, ms + 1);
    t.unref();
    this.retryTimers.add(t);
  }
}
