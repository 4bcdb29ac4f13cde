import { PostgresAdapter, sql, type Selectable } from 'kysely';
import { finishDeliveryAttempt, releaseDelivery } from '../../webhooks/delivery-leases.js';
import type { Executor } from '../../../db/executor.js';
import type { AlertEventTable, AlertRuleTable, WebhookDeliveryTable } from '../../../db/schema.js';
import type { AttemptResult, DeliveryClaim } from '../../webhooks/deliverer.js';

export type AlertRuleRow = Selectable<AlertRuleTable>;
export type AlertEventRow = Selectable<AlertEventTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveryTable>;

/** A rule with the names of the deployment and project it belongs to. */
export interface AlertRuleContextRow extends AlertRuleRow {
  deployment_name: string;
  project_id: string;
  project_name: string;
}

/** An alert event with the name of its rule. */
export interface AlertEventListRow extends AlertEventRow {
  rule_name: string;
}

/** A delivery with the rule and event state it was made for. */
export interface DeliveryListRow extends WebhookDeliveryRow {
  rule_name: string;
  event_state: string;
}

/** The changeable columns of a rule (the id, deployment, name and creation fields never change). */
export type RuleChanges = Partial<Pick<AlertRuleRow, 'rule' | 'silenced_until' | 'acknowledged_at' | 'acknowledged_by' | 'updated_at'>>;

export type { AttemptResult, DeliveryClaim } from '../../webhooks/deliverer.js';

/**
 * Alert rules (with their state), their history (alert_events) and webhook deliveries. Times are ISO text
 * (sortable on both databases); counts go through Number() because PostgreSQL may answer them as text.
 */
export interface AlertRepository {
  insertRule(row: AlertRuleRow): Promise<void>;
  getRule(deploymentId: string, name: string): Promise<AlertRuleRow | undefined>;
  getRuleById(id: string): Promise<AlertRuleContextRow | undefined>;
  listRules(deploymentId: string): Promise<AlertRuleRow[]>;
  updateRule(id: string, changes: RuleChanges): Promise<void>;
  /**
   * Stores a new state if the stored one is still `expected` (state and detail as read); false when
   * another writer changed it first. `clearAcknowledgement` also forgets who acknowledged the alert.
   */
  setState(id: string, expected: { state: string; detail: string }, next: { state: string; detail: string; clearAcknowledgement: boolean }): Promise<boolean>;
  deleteRule(id: string): Promise<void>;

  insertEvent(row: AlertEventRow): Promise<void>;
  /** A deployment's alert history (optionally one rule's), newest first, before the (at, id) given. */
  listEvents(query: { deploymentId: string; ruleId?: string; before?: { at: string; id: string }; limit: number }): Promise<AlertEventListRow[]>;

  insertDelivery(row: WebhookDeliveryRow): Promise<void>;
  getDelivery(id: string): Promise<WebhookDeliveryRow | undefined>;
  /** The current rule (its JSON) of the rule an alert event belongs to: deliveries are signed with its secret. */
  ruleForEvent(eventId: string): Promise<string | undefined>;
  /**
   * Takes the delivery that has been due longest (pending, next_attempt_at ≤ now) and holds it until
   * `leaseUntil` by moving its next_attempt_at there: a worker that dies mid-attempt leaves it due again
   * once the lease passes. Concurrent claimers never get the same row.
   */
  claimDelivery(now: string, leaseUntil: string): Promise<WebhookDeliveryRow | undefined>;
  /** Records an attempt on a claimed delivery; false when the claim was lost (the lease passed and another worker took it). */
  recordAttempt(id: string, claim: DeliveryClaim, result: AttemptResult): Promise<boolean>;
  /** Gives a claimed delivery back without counting an attempt (the worker is stopping). */
  releaseDelivery(id: string, claim: DeliveryClaim, now: string): Promise<void>;
  /** A deployment's deliveries, newest first. */
  listDeliveries(deploymentId: string, limit: number): Promise<DeliveryListRow[]>;
}

export class KyselyAlertRepository implements AlertRepository {
  /** Whether row locks can be skipped (PostgreSQL); read from the executor so the constructor needs only it. */
  private readonly skipLocked: boolean;

  constructor(private readonly db: Executor) {
    this.skipLocked = db.getExecutor().adapter instanceof PostgresAdapter;
  }

  async insertRule(row: AlertRuleRow): Promise<void> {
    await this.db.insertInto('alert_rules').values(row).execute();
  }

  getRule(deploymentId: string, name: string): Promise<AlertRuleRow | undefined> {
    return this.db.selectFrom('alert_rules').selectAll().where('deployment_id', '=', deploymentId).where('name', '=', name).executeTakeFirst();
  }

  getRuleById(id: string): Promise<AlertRuleContextRow | undefined> {
    return this.db
      .selectFrom('alert_rules as r')
      .innerJoin('deployments as d', 'd.id', 'r.deployment_id')
      .innerJoin('projects as p', 'p.id', 'd.project_id')
      .selectAll('r')
      .select(['d.name as deployment_name', 'p.id as project_id', 'p.name as project_name'])
      .where('r.id', '=', id)
      .executeTakeFirst();
  }

  listRules(deploymentId: string): Promise<AlertRuleRow[]> {
    return this.db.selectFrom('alert_rules').selectAll().where('deployment_id', '=', deploymentId).orderBy('name').execute();
  }

  async updateRule(id: string, changes: RuleChanges): Promise<void> {
    if (Object.keys(changes).length === 0) return;
    await this.db.updateTable('alert_rules').set(changes).where('id', '=', id).execute();
  }

  async setState(id: string, expected: { state: string; detail: string }, next: { state: string; detail: string; clearAcknowledgement: boolean }): Promise<boolean> {
    const r = await this.db
      .updateTable('alert_rules')
      .set({ state: next.state, state_detail: next.detail, ...(next.clearAcknowledgement ? { acknowledged_at: null, acknowledged_by: null } : {}) })
      .where('id', '=', id)
      .where('state', '=', expected.state)
      .where('state_detail', '=', expected.detail)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async deleteRule(id: string): Promise<void> {
    // Explicit rather than relying on ON DELETE CASCADE, which SQLite applies only with foreign keys on.
    await this.db.deleteFrom('webhook_deliveries').where('event_id', 'in', (qb) => qb.selectFrom('alert_events').select('id').where('rule_id', '=', id)).execute();
    await this.db.deleteFrom('alert_events').where('rule_id', '=', id).execute();
    await this.db.deleteFrom('alert_rules').where('id', '=', id).execute();
  }

  async insertEvent(row: AlertEventRow): Promise<void> {
    await this.db.insertInto('alert_events').values(row).execute();
  }

  async listEvents(query: { deploymentId: string; ruleId?: string; before?: { at: string; id: string }; limit: number }): Promise<AlertEventListRow[]> {
    let q = this.db
      .selectFrom('alert_events as e')
      .innerJoin('alert_rules as r', 'r.id', 'e.rule_id')
      .selectAll('e')
      .select('r.name as rule_name')
      .where('r.deployment_id', '=', query.deploymentId);
    if (query.ruleId !== undefined) q = q.where('e.rule_id', '=', query.ruleId);
    const before = query.before;
    if (before !== undefined) q = q.where((eb) => eb.or([eb('e.at', '<', before.at), eb.and([eb('e.at', '=', before.at), eb('e.id', '<', before.id)])]));
    const rows = await q.orderBy('e.at', 'desc').orderBy('e.id', 'desc').limit(query.limit).execute();
    return rows.map((r) => ({ ...r, value: r.value === null ? null : Number(r.value) }));
  }

  async insertDelivery(row: WebhookDeliveryRow): Promise<void> {
    await this.db.insertInto('webhook_deliveries').values(row).execute();
  }

  async getDelivery(id: string): Promise<WebhookDeliveryRow | undefined> {
    const row = await this.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
    return row && deliveryNumbers(row);
  }

  async ruleForEvent(eventId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('alert_events as e')
      .innerJoin('alert_rules as r', 'r.id', 'e.rule_id')
      .select('r.rule')
      .where('e.id', '=', eventId)
      .executeTakeFirst();
    return row?.rule;
  }

  async claimDelivery(now: string, leaseUntil: string): Promise<WebhookDeliveryRow | undefined> {
    // PostgreSQL: SKIP LOCKED lets concurrent claimers pass over a row another one is taking. SQLite runs
    // one writer at a time, so the subquery alone is enough. The due condition is repeated outside so a
    // row taken in between is never taken twice.
    const lock = this.skipLocked ? sql`for update skip locked` : sql``;
    const r = await sql<WebhookDeliveryRow>`
      update webhook_deliveries set next_attempt_at = ${leaseUntil}, updated_at = ${now}
      where id = (select id from webhook_deliveries where status = 'pending' and next_attempt_at <= ${now}
                  order by next_attempt_at, id limit 1 ${lock})
        and status = 'pending' and next_attempt_at <= ${now}
      returning *`.execute(this.db);
    const row = r.rows[0];
    return row && deliveryNumbers(row);
  }

  recordAttempt(id: string, claim: DeliveryClaim, result: AttemptResult): Promise<boolean> {
    return finishDeliveryAttempt(this.db, 'webhook_deliveries', id, claim, result);
  }

  releaseDelivery(id: string, claim: DeliveryClaim, now: string): Promise<void> {
    return releaseDelivery(this.db, 'webhook_deliveries', id, claim, now);
  }


  async listDeliveries(deploymentId: string, limit: number): Promise<DeliveryListRow[]> {
    const rows = await this.db
      .selectFrom('webhook_deliveries as w')
      .innerJoin('alert_events as e', 'e.id', 'w.event_id')
      .innerJoin('alert_rules as r', 'r.id', 'e.rule_id')
      .selectAll('w')
      .select(['r.name as rule_name', 'e.state as event_state'])
      .where('r.deployment_id', '=', deploymentId)
      .orderBy('w.created_at', 'desc')
      .orderBy('w.id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ ...deliveryNumbers(r), rule_name: r.rule_name, event_state: r.event_state }));
  }
}

function deliveryNumbers<T extends WebhookDeliveryRow>(row: T): T {
  return { ...row, attempts: Number(row.attempts), last_status: row.last_status === null ? null : Number(row.last_status) };
}
