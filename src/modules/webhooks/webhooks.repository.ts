import { PostgresAdapter, sql, type Selectable } from 'kysely';
import { finishDeliveryAttempt, releaseDelivery } from './delivery-leases.js';
import type { Executor } from '../../db/executor.js';
import type { WebhookEventDeliveryTable, WebhookTable } from '../../db/schema.js';
import type { AttemptResult, DeliveryClaim, DeliveryQueue, DueDelivery } from './deliverer.js';

export type WebhookRow = Selectable<WebhookTable>;
export type WebhookDeliveryRow = Selectable<WebhookEventDeliveryTable>;

/** The changeable columns of a subscription. */
export type WebhookChanges = Partial<Pick<WebhookRow, 'name' | 'url' | 'secret' | 'events' | 'active' | 'updated_at'>>;

/**
 * Webhook subscriptions (webhooks), their deliveries (webhook_event_deliveries, at most one per
 * subscription and event) and the dispatcher's cursors over the event stream (event_cursors). As a
 * `DeliveryQueue` it hands due deliveries of active subscriptions to the deliverer. Times are ISO text.
 */
export interface WebhookRepository extends DeliveryQueue {
  insert(row: WebhookRow): Promise<void>;
  get(id: string): Promise<WebhookRow | undefined>;
  /** A project's subscriptions, with those of every project (project_id null) when `includeGlobal`; oldest first. */
  list(query: { projectId: string; includeGlobal: boolean }): Promise<WebhookRow[]>;
  /** Every active subscription, of every project. */
  listActive(): Promise<WebhookRow[]>;
  update(id: string, changes: WebhookChanges): Promise<void>;
  /** Deletes a subscription with its deliveries. */
  delete(id: string): Promise<void>;

  /** Queues a delivery; false (and nothing written) when the subscription already has one for that event. */
  insertDelivery(row: WebhookDeliveryRow): Promise<boolean>;
  getDelivery(id: string): Promise<WebhookDeliveryRow | undefined>;
  /** A subscription's deliveries, newest first, with ids before `beforeId` when given. */
  listDeliveries(webhookId: string, query: { beforeId?: string; limit: number }): Promise<WebhookDeliveryRow[]>;
  /** Makes a finished (delivered or failed) delivery due again with a fresh count of attempts; false when it is still pending. */
  redeliver(id: string, now: string): Promise<boolean>;

  /** Where the named reader of the event stream stopped (the last seq it handled). */
  getCursor(name: string): Promise<number | undefined>;
  /** Creates the cursor at `seq` unless it exists; answers the cursor's position either way. */
  initCursor(name: string, seq: number, now: string): Promise<number>;
  setCursor(name: string, seq: number, now: string): Promise<void>;
  /** The seq of the newest event (0 when there is none). */
  lastEventSeq(): Promise<number>;
  /** The seq of an event by its id. */
  eventSeq(eventId: string): Promise<number | undefined>;
}

export class KyselyWebhookRepository implements WebhookRepository {
  /** Whether row locks can be skipped (PostgreSQL); read from the executor so the constructor needs only it. */
  private readonly skipLocked: boolean;

  constructor(readonly db: Executor) {
    this.skipLocked = db.getExecutor().adapter instanceof PostgresAdapter;
  }

  async insert(row: WebhookRow): Promise<void> {
    await this.db.insertInto('webhooks').values(row).execute();
  }

  async get(id: string): Promise<WebhookRow | undefined> {
    const row = await this.db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
    return row && webhookNumbers(row);
  }

  async list(query: { projectId: string; includeGlobal: boolean }): Promise<WebhookRow[]> {
    const rows = await this.db
      .selectFrom('webhooks')
      .selectAll()
      .where((eb) => (query.includeGlobal ? eb.or([eb('project_id', '=', query.projectId), eb('project_id', 'is', null)]) : eb('project_id', '=', query.projectId)))
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(webhookNumbers);
  }

  async listActive(): Promise<WebhookRow[]> {
    const rows = await this.db.selectFrom('webhooks').selectAll().where('active', '=', 1).orderBy('id').execute();
    return rows.map(webhookNumbers);
  }

  async update(id: string, changes: WebhookChanges): Promise<void> {
    if (Object.keys(changes).length === 0) return;
    await this.db.updateTable('webhooks').set(changes).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<void> {
    // Explicit rather than relying on ON DELETE CASCADE, which SQLite applies only with foreign keys on.
    await this.db.deleteFrom('webhook_event_deliveries').where('webhook_id', '=', id).execute();
    await this.db.deleteFrom('webhooks').where('id', '=', id).execute();
  }

  async insertDelivery(row: WebhookDeliveryRow): Promise<boolean> {
    const r = await this.db
      .insertInto('webhook_event_deliveries')
      .values(row)
      .onConflict((oc) => oc.columns(['webhook_id', 'event_seq']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async getDelivery(id: string): Promise<WebhookDeliveryRow | undefined> {
    const row = await this.db.selectFrom('webhook_event_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
    return row && deliveryNumbers(row);
  }

  async listDeliveries(webhookId: string, query: { beforeId?: string; limit: number }): Promise<WebhookDeliveryRow[]> {
    let q = this.db.selectFrom('webhook_event_deliveries').selectAll().where('webhook_id', '=', webhookId);
    if (query.beforeId !== undefined) q = q.where('id', '<', query.beforeId);
    const rows = await q.orderBy('id', 'desc').limit(query.limit).execute();
    return rows.map(deliveryNumbers);
  }

  async redeliver(id: string, now: string): Promise<boolean> {
    const r = await this.db
      .updateTable('webhook_event_deliveries')
      .set({ status: 'pending', attempts: 0, next_attempt_at: now, updated_at: now })
      .where('id', '=', id)
      .where('status', '<>', 'pending')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async claimDue(now: string, leaseUntil: string): Promise<DueDelivery | undefined> {
    // As for alert deliveries: SKIP LOCKED on PostgreSQL lets concurrent claimers pass over a row another is
    // taking; SQLite has one writer. Deliveries of inactive subscriptions wait until they are active again.
    const lock = this.skipLocked ? sql`for update skip locked` : sql``;
    const r = await sql<WebhookDeliveryRow>`
      update webhook_event_deliveries set next_attempt_at = ${leaseUntil}, updated_at = ${now}
      where id = (select id from webhook_event_deliveries
                  where status = 'pending' and next_attempt_at <= ${now}
                    and webhook_id in (select id from webhooks where active = 1)
                  order by next_attempt_at, id limit 1 ${lock})
        and status = 'pending' and next_attempt_at <= ${now}
      returning *`.execute(this.db);
    const row = r.rows[0];
    if (!row) return undefined;
    const hook = await this.db.selectFrom('webhooks').select(['url', 'secret']).where('id', '=', row.webhook_id).executeTakeFirst();
    return {
      id: row.id,
      url: hook?.url ?? '',
      event: row.event_type,
      payload: row.payload,
      secret: hook?.secret ?? null,
      ...(hook ? {} : { unavailable: 'the webhook was deleted' }),
      attempts: Number(row.attempts),
      log: row.log,
    };
  }

  finishAttempt(id: string, claim: DeliveryClaim, result: AttemptResult): Promise<boolean> {
    return finishDeliveryAttempt(this.db, 'webhook_event_deliveries', id, claim, result);
  }

  release(id: string, claim: DeliveryClaim, now: string): Promise<void> {
    return releaseDelivery(this.db, 'webhook_event_deliveries', id, claim, now);
  }

  async getCursor(name: string): Promise<number | undefined> {
    const row = await this.db.selectFrom('event_cursors').select('seq').where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : Number(row.seq);
  }

  async initCursor(name: string, seq: number, now: string): Promise<number> {
    await this.db
      .insertInto('event_cursors')
      .values({ name, seq, updated_at: now })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    return (await this.getCursor(name)) ?? seq;
  }

  async setCursor(name: string, seq: number, now: string): Promise<void> {
    await this.db
      .insertInto('event_cursors')
      .values({ name, seq, updated_at: now })
      .onConflict((oc) => oc.column('name').doUpdateSet({ seq, updated_at: now }))
      .execute();
  }

  // The two readers below look at the events table (owned by the events module) only to place the cursor.
  async lastEventSeq(): Promise<number> {
    const row = await this.db
      .selectFrom('events')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirst();
    return row?.seq === null || row?.seq === undefined ? 0 : Number(row.seq);
  }

  async eventSeq(eventId: string): Promise<number | undefined> {
    const row = await this.db.selectFrom('events').select('seq').where('id', '=', eventId).executeTakeFirst();
    return row === undefined ? undefined : Number(row.seq);
  }
}

function webhookNumbers(row: WebhookRow): WebhookRow {
  return { ...row, active: Number(row.active) };
}

function deliveryNumbers(row: WebhookDeliveryRow): WebhookDeliveryRow {
  return { ...row, event_seq: Number(row.event_seq), attempts: Number(row.attempts), last_status: row.last_status === null ? null : Number(row.last_status) };
}
