/**
 * Turns the domain event stream into webhook deliveries.
 *
 * Every state change in Steward is an event row (table events, seq ascending). The dispatcher reads the
 * events after its cursor (event_cursors, name 'webhooks') and, for each event and each active subscription
 * whose project (or all projects) and patterns match, queues one row in webhook_event_deliveries; the cursor
 * moves in the same transaction. A crash between the two cannot deliver twice: nothing is committed, and
 * (webhook_id, event_seq) is unique besides, so that two processes sharing PostgreSQL cannot either. Writes
 * to the events table are serialised (see events.repository.ts), so a lower seq never commits after a
 * higher one has been read: the cursor skips nothing.
 *
 * On its first start (no cursor yet) the dispatcher begins at the newest event: history is not replayed.
 * Test deliveries (webhook.test) are queued by WebhooksService for the one webhook tested, never here.
 *
 * It looks every `pollMs` (default 1 s) and whenever `notify()` is called after a change was committed.
 */
import type { MetadataStore, Repositories } from '../../db/metadata-store.js';
import { isoTime, type Clock } from '../../platform/clock.js';
import { newId } from '../../platform/ids.js';
import type { Logger } from '../../platform/logger.js';
import type { StoredEvent } from '../events/events.repository.js';
import { matchesEvent, TEST_EVENT } from './webhook-events.js';
import type { WebhookDeliveryRow, WebhookRow } from './webhooks.repository.js';

/** The name of the dispatcher's row in event_cursors. */
export const WEBHOOK_CURSOR = 'webhooks';

/** How long a notification waits so that the changes of that moment are dispatched in one pass. */
const NOTIFY_DELAY_MS = 50;

/** The JSON body of an event delivery. */
export interface EventDeliveryPayload {
  /** The event's id (the same in every subscription's delivery of it). */
  id: string;
  seq: number;
  type: string;
  at: string;
  actor: string;
  /** The project's name; null for events of no project. */
  project: string | null;
  entity: { type: string; id: string };
  /** The event's own payload. */
  data: Record<string, unknown>;
}

export function eventPayload(event: StoredEvent, projectName: string | null): string {
  const body: EventDeliveryPayload = {
    id: event.id,
    seq: event.seq,
    type: event.type,
    at: event.at,
    actor: event.actor,
    project: projectName,
    entity: { type: event.entityType, id: event.entityId },
    data: event.payload,
  };
  return JSON.stringify(body);
}

/** A new pending delivery, due now. */
export function newDelivery(webhookId: string, event: StoredEvent, payload: string, clock: Clock): WebhookDeliveryRow {
  const now = isoTime(clock);
  return {
    id: newId(clock.now()),
    webhook_id: webhookId,
    event_seq: event.seq,
    event_type: event.type,
    payload,
    status: 'pending',
    attempts: 0,
    next_attempt_at: now,
    last_status: null,
    last_error: null,
    log: '[]',
    created_at: now,
    updated_at: now,
  };
}

/** Whether a subscription takes an event: its project (or all projects), active, and a pattern matching. */
export function subscribes(hook: WebhookRow, patterns: readonly string[], event: StoredEvent): boolean {
  if (hook.active !== 1) return false;
  if (hook.project_id !== null && hook.project_id !== event.projectId) return false;
  return matchesEvent(patterns, event.type);
}

export interface DispatcherDeps {
  store: MetadataStore;
  clock: Clock;
  logger: Logger;
  /** Called after deliveries were queued (wake the deliverer). */
  onQueued?: () => void;
  /** How often to look for new events besides being told (default 1000 ms). */
  pollMs?: number;
  /** Events handled per transaction (default 500). */
  batchSize?: number;
}

export class WebhookEventDispatcher {
  private running = false;
  private passing = false;
  private again = false;
  private passDone: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private readonly pollMs: number;
  private readonly batchSize: number;

  constructor(private readonly deps: DispatcherDeps) {
    this.pollMs = deps.pollMs ?? 1000;
    this.batchSize = deps.batchSize ?? 500;
  }

  /**
   * Places the cursor at the newest event when there is none yet (history is not replayed), then starts
   * the loop. Events appended once the returned promise has resolved are all delivered.
   */
  async start(): Promise<void> {
    if (this.running) return;
    const { store, clock } = this.deps;
    await store.webhooks.initCursor(WEBHOOK_CURSOR, await store.webhooks.lastEventSeq(), isoTime(clock));
    this.running = true;
    this.timer = setInterval(() => this.passNow(), this.pollMs);
    this.timer.unref();
    this.passNow();
  }

  /**
   * Looks for new events soon (call after committing a change; does nothing unless started). Calls within
   * NOTIFY_DELAY_MS make one pass: under a stream of writes the dispatcher then reads the event stream a
   * few times a second, not once per write.
   */
  notify(): void {
    if (!this.running || this.soon !== undefined) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      this.passNow();
    }, NOTIFY_DELAY_MS);
    this.soon.unref();
  }

  private passNow(): void {
    if (!this.running) return;
    if (this.passing) {
      this.again = true;
      return;
    }
    this.passDone = this.loop();
  }

  /** Stops the loop and waits for a pass in progress to end. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.timer);
    clearTimeout(this.soon);
    this.soon = undefined;
    await this.passDone;
  }

  private async loop(): Promise<void> {
    this.passing = true;
    try {
      do {
        this.again = false;
        // Batch after batch until caught up.
        let full = true;
        while (this.running && full) full = (await this.dispatchOnce()).events === this.batchSize;
      } while (this.again && this.running);
    } catch (err) {
      this.deps.logger.error({ err }, 'could not dispatch events to webhooks; trying again at the next poll');
    } finally {
      this.passing = false;
    }
  }

  /**
   * Handles one batch of events after the cursor: queues their deliveries and moves the cursor, in one
   * transaction. Answers how many events it read and how many deliveries it queued.
   */
  async dispatchOnce(): Promise<{ events: number; queued: number }> {
    const { store } = this.deps;
    // A cheap look first, outside a transaction (on PostgreSQL every write transaction takes the write lock).
    const seen = await store.webhooks.getCursor(WEBHOOK_CURSOR);
    if (seen !== undefined && (await store.events.list({ after: seen, limit: 1 })).length === 0) return { events: 0, queued: 0 };
    const result = await store.transaction((tx) => this.dispatchIn(tx));
    if (result.queued > 0) this.deps.onQueued?.();
    return result;
  }

  private async dispatchIn(tx: Repositories): Promise<{ events: number; queued: number }> {
    const { clock } = this.deps;
    const now = isoTime(clock);
    const cursor = await tx.webhooks.getCursor(WEBHOOK_CURSOR);
    if (cursor === undefined) {
      // Never started here (dispatchOnce called directly): begin at the newest event.
      await tx.webhooks.initCursor(WEBHOOK_CURSOR, await tx.webhooks.lastEventSeq(), now);
      return { events: 0, queued: 0 };
    }
    const events = await tx.events.list({ after: cursor, limit: this.batchSize });
    if (events.length === 0) return { events: 0, queued: 0 };
    const hooks = (await tx.webhooks.listActive()).map((hook) => ({ hook, patterns: patternsOf(hook) }));
    const projectNames = new Map<string, string | null>();
    let queued = 0;
    for (const event of events) {
      if (event.type === TEST_EVENT) continue;
      const takers = hooks.filter(({ hook, patterns }) => subscribes(hook, patterns, event));
      if (takers.length === 0) continue;
      const payload = eventPayload(event, await projectName(tx, projectNames, event.projectId));
      for (const { hook } of takers) {
        if (await tx.webhooks.insertDelivery(newDelivery(hook.id, event, payload, clock))) queued++;
      }
    }
    await tx.webhooks.setCursor(WEBHOOK_CURSOR, events[events.length - 1]!.seq, now);
    return { events: events.length, queued };
  }
}

export function patternsOf(hook: Pick<WebhookRow, 'events'>): string[] {
  try {
    const v = JSON.parse(hook.events) as unknown;
    return Array.isArray(v) ? v.filter((p): p is string => typeof p === 'string') : [];
  } catch {
    return [];
  }
}

async function projectName(repos: Repositories, cache: Map<string, string | null>, projectId: string | null): Promise<string | null> {
  if (projectId === null) return null;
  if (!cache.has(projectId)) cache.set(projectId, (await repos.projects.getById(projectId))?.name ?? null);
  return cache.get(projectId)!;
}
