/**
 * Webhook subscriptions to Steward's domain events: create, read, change, delete, their delivery log, a
 * test delivery and redelivery. The service also owns the two loops behind them: the dispatcher (events →
 * deliveries, see event-dispatcher.ts) and the deliverer (deliveries → signed POSTs, see deliverer.ts).
 *
 * A subscription belongs to one project, or to none (project_id null: the events of every project and the
 * events of no project; platform admins only). Its secret is shown once, in the answer to its creation
 * (generated when not given), and never again. Deliveries are sent to the webhook's current URL and signed
 * with its current secret, so a change applies to retries too; an inactive webhook's queued deliveries wait
 * until it is active again. Event payloads of these changes name the receiver only by
 * its origin (scheme, host, port): many receivers carry a token in the rest of their URL.
 */
import { randomBytes } from 'node:crypto';
import type { MetadataStore, Repositories } from '../../db/metadata-store.js';
import type { ProjectRow } from '../../db/schema.js';
import { isoTime, type Clock } from '../../platform/clock.js';
import { decodeCursor, encodeCursor } from '../../platform/cursor.js';
import { conflict, forbidden, invalidField, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { Logger } from '../../platform/logger.js';
import type { Principal } from '../../platform/principal.js';
import { checkText } from '../../platform/validate.js';
import { domainEvent } from '../events/domain-event.js';
import { Deliverer, parseAttemptLog, type AttemptLogEntry, type WebhookOptions } from './deliverer.js';
import { eventPayload, newDelivery, patternsOf, WebhookEventDispatcher } from './event-dispatcher.js';
import { checkEventPatterns, TEST_EVENT } from './webhook-events.js';
import type { WebhookDeliveryRow, WebhookRow } from './webhooks.repository.js';

export interface WebhookView {
  id: string;
  /** The project's name; null for a webhook of every project. */
  project: string | null;
  name: string;
  url: string;
  events: string[];
  active: boolean;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

/** The answer to a creation: the only time the secret is shown. */
export interface CreatedWebhook extends WebhookView {
  secret: string;
}

export interface WebhookDeliveryView {
  id: string;
  event: string;
  eventSeq: number;
  /** pending, delivered or failed. */
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  log: AttemptLogEntry[];
  createdAt: string;
  updatedAt: string;
}

export interface CreateWebhookInput {
  name: string;
  url: string;
  /** 16 to 256 characters; generated when left out. */
  secret?: string;
  events: string[];
  active?: boolean;
  /** Every project's events instead of the request's project (platform admins only). */
  allProjects?: boolean;
}

export type UpdateWebhookInput = Partial<Pick<CreateWebhookInput, 'name' | 'url' | 'secret' | 'events' | 'active'>>;

export interface WebhooksDeps {
  store: MetadataStore;
  clock: Clock;
  logger: Logger;
  /** Timeouts, concurrency and back-off of the deliverer (the same options as alert webhooks). */
  webhooks?: WebhookOptions;
  /** How often the dispatcher looks for new events besides notify() (default 1000 ms). */
  dispatchPollMs?: number;
}

const MAX_NAME = 100;
const MAX_URL = 2000;
const DEFAULT_DELIVERY_PAGE = 50;

export class WebhooksService {
  readonly deliverer: Deliverer;
  readonly dispatcher: WebhookEventDispatcher;

  constructor(private readonly deps: WebhooksDeps) {
    this.deliverer = new Deliverer({ queue: deps.store.webhooks, clock: deps.clock, logger: deps.logger, options: deps.webhooks });
    this.dispatcher = new WebhookEventDispatcher({ store: deps.store, clock: deps.clock, logger: deps.logger, pollMs: deps.dispatchPollMs, onQueued: () => this.deliverer.kick() });
  }

  /** Starts dispatching events (from the newest one on a first start) and delivering. */
  async start(): Promise<void> {
    await this.dispatcher.start();
    this.deliverer.start();
  }

  /** Stops both loops; deliveries cut short are sent again by the next start. */
  async stop(): Promise<void> {
    await this.dispatcher.stop();
    await this.deliverer.stop();
  }

  /** Tells the dispatcher that events were committed (it also looks every second on its own). */
  notify(): void {
    this.dispatcher.notify();
  }

  // -------------------------------------------------------------------------------------------------------
  // Subscriptions

  /** Creates a subscription in `project` (or of every project with `allProjects`); the answer holds the secret. */
  async create(actor: Principal, project: ProjectRow, input: CreateWebhookInput): Promise<CreatedWebhook> {
    const { store, clock } = this.deps;
    const name = checkWebhookName('name', input.name);
    const url = checkWebhookUrl('url', input.url);
    const events = checkEventPatterns('events', input.events);
    const active = optionalBoolean('active', input.active) ?? true;
    const allProjects = optionalBoolean('allProjects', input.allProjects) ?? false;
    const secret = input.secret === undefined ? generateSecret() : checkSecret('secret', input.secret);
    if (allProjects && actor.role !== 'admin') throw forbidden('only platform admins can create a webhook of every project', { required: 'platform admin' });
    const now = isoTime(clock);
    const row: WebhookRow = {
      id: newId(clock.now()),
      project_id: allProjects ? null : project.id,
      name,
      url,
      secret,
      events: JSON.stringify(events),
      active: active ? 1 : 0,
      created_at: now,
      created_by: actor.name,
      updated_at: now,
    };
    await store.transaction(async (tx) => {
      await tx.webhooks.insert(row);
      await tx.events.append(domainEvent(clock, actor.name, 'webhook.created', { type: 'webhook', id: row.id, projectId: row.project_id }, { webhook: name, ...publicFields(row) }));
    });
    return { ...webhookView(row, allProjects ? null : project.name), secret };
  }

  /** The project's subscriptions, with those of every project for a platform admin; oldest first. */
  async list(principal: Principal, project: ProjectRow): Promise<{ items: WebhookView[] }> {
    const rows = await this.deps.store.webhooks.list({ projectId: project.id, includeGlobal: principal.role === 'admin' });
    return { items: rows.map((r) => webhookView(r, r.project_id === null ? null : project.name)) };
  }

  /** The project a subscription belongs to (null: every project), for the caller's authorisation. */
  async ownerOf(id: string): Promise<{ projectId: string | null }> {
    const row = await this.load(this.deps.store, id);
    return { projectId: row.project_id };
  }

  async get(id: string): Promise<WebhookView> {
    const { store } = this.deps;
    const row = await this.load(store, id);
    return webhookView(row, await projectName(store, row.project_id));
  }

  /** Changes the fields given; a new secret replaces the old one for every later attempt (and is not shown). */
  async update(actor: Principal, id: string, input: UpdateWebhookInput): Promise<WebhookView> {
    const { store, clock } = this.deps;
    const changes: Partial<WebhookRow> = {};
    if (input.name !== undefined) changes.name = checkWebhookName('name', input.name);
    if (input.url !== undefined) changes.url = checkWebhookUrl('url', input.url);
    if (input.events !== undefined) changes.events = JSON.stringify(checkEventPatterns('events', input.events));
    if (input.active !== undefined) changes.active = optionalBoolean('active', input.active) ? 1 : 0;
    if (input.secret !== undefined) changes.secret = checkSecret('secret', input.secret);
    const after = await store.transaction(async (tx) => {
      const before = await this.load(tx, id);
      const next: WebhookRow = { ...before, ...changes, updated_at: isoTime(clock) };
      await tx.webhooks.update(id, { ...changes, updated_at: next.updated_at });
      await tx.events.append(
        domainEvent(clock, actor.name, 'webhook.updated', { type: 'webhook', id, projectId: before.project_id }, {
          webhook: next.name,
          before: publicFields(before),
          after: publicFields(next),
          secretChanged: changes.secret !== undefined && changes.secret !== before.secret,
        }),
      );
      return next;
    });
    return webhookView(after, await projectName(store, after.project_id));
  }

  /** Deletes a subscription and its delivery log; deliveries not yet sent are dropped. */
  async remove(actor: Principal, id: string): Promise<void> {
    const { store, clock } = this.deps;
    await store.transaction(async (tx) => {
      const row = await this.load(tx, id);
      await tx.webhooks.delete(id);
      await tx.events.append(domainEvent(clock, actor.name, 'webhook.deleted', { type: 'webhook', id, projectId: row.project_id }, { webhook: row.name, ...publicFields(row) }));
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Deliveries

  /** The delivery log, newest first. */
  async deliveries(id: string, input: { limit?: number; cursor?: string } = {}): Promise<{ items: WebhookDeliveryView[]; nextCursor: string | null }> {
    const { store } = this.deps;
    await this.load(store, id);
    const limit = input.limit ?? DEFAULT_DELIVERY_PAGE;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalidField('limit', 'must be an integer from 1 to 1000');
    const before = input.cursor === undefined ? undefined : decodeCursor('cursor', input.cursor, (v): v is { id: string } => typeof (v as { id?: unknown })?.id === 'string').id;
    const rows = await store.webhooks.listDeliveries(id, { beforeId: before, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(deliveryView), nextCursor: rows.length > limit && last ? encodeCursor({ id: last.id }) : null };
  }

  /**
   * Queues a `webhook.test` delivery to this webhook only (the event is recorded like any other, but no
   * other subscription receives it). Refused for an inactive webhook, whose deliveries wait.
   */
  async test(actor: Principal, id: string): Promise<WebhookDeliveryView> {
    const { store, clock } = this.deps;
    const delivery = await store.transaction(async (tx) => {
      const row = await this.load(tx, id);
      if (row.active !== 1) throw conflict('WEBHOOK_INACTIVE', `webhook '${row.name}' is inactive: activate it to send a test delivery`, { webhook: id });
      const event = domainEvent(clock, actor.name, TEST_EVENT, { type: 'webhook', id, projectId: row.project_id }, {
        webhook: row.name,
        message: 'A test delivery from Steward: the webhook is reachable and the signature can be checked.',
      });
      await tx.events.append(event);
      const seq = await tx.webhooks.eventSeq(event.id);
      if (seq === undefined) throw new Error('the test event was not stored');
      const stored = { ...event, seq };
      const d = newDelivery(id, stored, eventPayload(stored, await projectName(tx, row.project_id)), clock);
      await tx.webhooks.insertDelivery(d);
      return d;
    });
    this.deliverer.kick();
    return deliveryView(delivery);
  }

  /** Sends a delivered or failed delivery again (same id and body, a fresh count of attempts). */
  async redeliver(actor: Principal, id: string, deliveryId: string): Promise<WebhookDeliveryView> {
    const { store, clock } = this.deps;
    const updated = await store.transaction(async (tx) => {
      const row = await this.load(tx, id);
      const d = await tx.webhooks.getDelivery(deliveryId);
      if (!d || d.webhook_id !== id) throw notFound('WEBHOOK_DELIVERY_NOT_FOUND', `webhook '${row.name}' has no delivery '${deliveryId}'`, { webhook: id, delivery: deliveryId });
      if (d.status === 'pending' || !(await tx.webhooks.redeliver(deliveryId, isoTime(clock)))) {
        throw conflict('WEBHOOK_DELIVERY_PENDING', `delivery '${deliveryId}' is still pending: it will be attempted again on its own`, { delivery: deliveryId });
      }
      await tx.events.append(
        domainEvent(clock, actor.name, 'webhook.redelivery_requested', { type: 'webhook', id, projectId: row.project_id }, { webhook: row.name, delivery: deliveryId, event: d.event_type, eventSeq: d.event_seq, previousStatus: d.status }),
      );
      return (await tx.webhooks.getDelivery(deliveryId))!;
    });
    this.deliverer.kick();
    return deliveryView(updated);
  }

  private async load(repos: Repositories, id: string): Promise<WebhookRow> {
    const row = await repos.webhooks.get(id);
    if (!row) throw notFound('WEBHOOK_NOT_FOUND', `there is no webhook '${id}'`, { webhook: id });
    return row;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Checks and views

export function checkWebhookName(field: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidField(field, 'must be a string');
  const name = value.trim();
  if (name.length === 0) throw invalidField(field, 'must not be empty');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw invalidField(field, 'must not contain control characters');
  return checkText(field, name, MAX_NAME);
}

/** An absolute http or https URL without credentials (the receiver checks the signature instead). */
export function checkWebhookUrl(field: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidField(field, 'must be a string');
  checkText(field, value, MAX_URL);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidField(field, 'must be an absolute http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidField(field, `must use http or https, not ${url.protocol.replace(/:$/, '')}`);
  if (url.username !== '' || url.password !== '') throw invalidField(field, 'must not contain a user name or password: receivers check x-steward-signature instead');
  return value;
}

export function checkSecret(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length < 16 || value.length > 256) throw invalidField(field, 'must be a string of 16 to 256 characters');
  return checkText(field, value, 256);
}

/** A new secret: 32 random bytes, base64url, with a prefix that says what it is. */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function optionalBoolean(field: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw invalidField(field, 'must be true or false');
  return value;
}

/** What events may say about a subscription: no secret, and only the origin of its URL. */
function publicFields(row: WebhookRow): Record<string, unknown> {
  return { receiver: originOf(row.url), events: patternsOf(row), active: row.active === 1, allProjects: row.project_id === null };
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

async function projectName(repos: Repositories, projectId: string | null): Promise<string | null> {
  if (projectId === null) return null;
  return (await repos.projects.getById(projectId))?.name ?? null;
}

function webhookView(row: WebhookRow, project: string | null): WebhookView {
  return {
    id: row.id,
    project,
    name: row.name,
    url: row.url,
    events: patternsOf(row),
    active: row.active === 1,
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
  };
}

function deliveryView(row: WebhookDeliveryRow): WebhookDeliveryView {
  return {
    id: row.id,
    event: row.event_type,
    eventSeq: row.event_seq,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at : null,
    lastStatus: row.last_status,
    lastError: row.last_error,
    log: parseAttemptLog(row.log),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
