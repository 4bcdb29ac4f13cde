/**
 * Alerts on a deployment's monitoring metrics: rules (CRUD), the state each rule is in, its history, and
 * webhooks. Monitoring asks `rulesFor(deploymentId)` which metrics to compute after a window closes and
 * reports each value through `observe`; the rule's state, the history row, the domain event and (for a
 * rule with a webhook that is not silenced) the delivery row are written in one transaction, and the
 * deliverer sends the webhook afterwards, so that a slow endpoint never holds monitoring up.
 */
import type { MetadataStore, Repositories } from '../../../db/metadata-store.js';
import { isUniqueViolation } from '../../../db/executor.js';
import type { DeploymentRow, ProjectRow } from '../../../db/schema.js';
import { isoTime, type Clock } from '../../../platform/clock.js';
import { decodeCursor, encodeCursor } from '../../../platform/cursor.js';
import { conflict, invalidField, notFound } from '../../../platform/errors.js';
import { newId } from '../../../platform/ids.js';
import type { Logger } from '../../../platform/logger.js';
import { checkName, printable } from '../../../platform/names.js';
import { SYSTEM_ACTOR, type Principal } from '../../../platform/principal.js';
import { asObject, onlyKeys, optionalString } from '../../../platform/validate.js';
import { domainEvent } from '../../events/domain-event.js';
import { resolveProject } from '../../projects/projects.service.js';
import { checkRuleName, parseRuleSpec, readStateDetail, step, writeStateDetail, type AlertRuleSpec, type AlertState, type Transition } from './alert-rules.js';
import type { AlertEventListRow, AlertRuleContextRow, AlertRuleRow, DeliveryListRow } from './alerts.repository.js';
import { WebhookDeliverer, type AttemptLogEntry, type WebhookOptions } from './webhooks.js';

export interface AlertRuleView {
  /** The rule's id, for `observe`. */
  id: string;
  name: string;
  metric: string;
  comparison: AlertRuleSpec['comparison'];
  threshold: number;
  version: number | null;
  windows: number;
  firingAfter: number;
  resolvingAfter: number;
  enabled: boolean;
  description: string;
  /** The secret is never shown, only whether there is one. */
  webhook: { url: string; secretSet: boolean } | null;
  state: AlertState;
  /** Set while a silence lasts; null once it has ended. */
  silencedUntil: string | null;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

export interface AlertEventView {
  id: string;
  rule: string;
  /** firing, resolved, acknowledged, silenced or unsilenced. */
  state: string;
  value: number | null;
  windowStart: string | null;
  windowEnd: string | null;
  at: string;
  detail: Record<string, unknown>;
}

export interface DeliveryView {
  id: string;
  rule: string;
  event: string;
  url: string;
  /** pending, delivered or failed. */
  status: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  log: AttemptLogEntry[];
  createdAt: string;
  updatedAt: string;
}

export interface AlertWindow {
  /** Sortable key of the window (zero-padded): windows at or before the last key evaluated are ignored. */
  key: string;
  start: string;
  end: string;
}

export interface AlertsDeps {
  store: MetadataStore;
  clock: Clock;
  logger: Logger;
  /** Timeouts, retries and concurrency of webhook deliveries (tests shorten them). */
  webhooks?: WebhookOptions;
}

/** What the rule column holds: the spec without its name (the name has its own column). */
type StoredSpec = Omit<AlertRuleSpec, 'name'>;

function storedSpec(spec: AlertRuleSpec): string {
  const { name: _name, ...rest } = spec;
  return JSON.stringify(rest);
}

function readSpec(row: AlertRuleRow): AlertRuleSpec {
  return { name: row.name, ...(JSON.parse(row.rule) as StoredSpec) };
}

/** The spec as it may appear in events and logs: without the webhook secret. */
function publicSpec(spec: AlertRuleSpec): Record<string, unknown> {
  return { ...spec, webhook: spec.webhook ? { url: spec.webhook.url } : null };
}

const EVENT_NAMES: Record<string, string> = { firing: 'alert.fired', resolved: 'alert.resolved' };
const MAX_SILENCE_MINUTES = 43_200;
/** Attempts at an observation whose rule another writer changed meanwhile. */
const OBSERVE_TRIES = 5;

export class AlertsService {
  readonly deliverer: WebhookDeliverer;

  constructor(private readonly deps: AlertsDeps) {
    this.deliverer = new WebhookDeliverer({ store: deps.store, clock: deps.clock, logger: deps.logger, options: deps.webhooks });
  }

  /** Starts sending webhook deliveries (call once the server runs). */
  start(): void {
    this.deliverer.start();
  }

  /** Stops sending; deliveries cut short are retried by the next start. */
  stop(): Promise<void> {
    return this.deliverer.stop();
  }

  // -------------------------------------------------------------------------------------------------------
  // Rules

  private async deployment(repos: Repositories, projectName: string | undefined, name: string): Promise<{ project: ProjectRow; dep: DeploymentRow }> {
    const project = await resolveProject(repos, projectName);
    checkName('name', name);
    const dep = await repos.deployments.get(project.id, name);
    if (!dep) throw notFound('DEPLOYMENT_NOT_FOUND', `there is no deployment named '${printable(name)}' in project '${project.name}'`, { deployment: name, project: project.name });
    return { project, dep };
  }

  private async rule(repos: Repositories, dep: DeploymentRow, ruleName: string): Promise<AlertRuleRow> {
    checkRuleName('rule', ruleName);
    const row = await repos.alerts.getRule(dep.id, ruleName);
    if (!row) throw notFound('ALERT_RULE_NOT_FOUND', `deployment '${dep.name}' has no alert rule named '${printable(ruleName)}'`, { rule: ruleName, deployment: dep.name });
    return row;
  }

  private view(row: AlertRuleRow): AlertRuleView {
    const spec = readSpec(row);
    const now = isoTime(this.deps.clock);
    return {
      id: row.id,
      name: row.name,
      metric: spec.metric,
      comparison: spec.comparison,
      threshold: spec.threshold,
      version: spec.version,
      windows: spec.windows,
      firingAfter: spec.firingAfter,
      resolvingAfter: spec.resolvingAfter,
      enabled: spec.enabled,
      description: spec.description,
      webhook: spec.webhook ? { url: spec.webhook.url, secretSet: spec.webhook.secret.length > 0 } : null,
      state: readStateDetail(row.state, row.state_detail).state,
      silencedUntil: row.silenced_until !== null && row.silenced_until > now ? row.silenced_until : null,
      acknowledgedAt: row.acknowledged_at,
      acknowledgedBy: row.acknowledged_by,
      createdAt: row.created_at,
      createdBy: row.created_by,
      updatedAt: row.updated_at,
    };
  }

  async createRule(actor: Principal, projectName: string | undefined, deploymentName: string, body: unknown): Promise<AlertRuleView> {
    const spec = parseRuleSpec(body);
    const { store, clock } = this.deps;
    try {
      return await store.transaction(async (tx) => {
        const { project, dep } = await this.deployment(tx, projectName, deploymentName);
        if (await tx.alerts.getRule(dep.id, spec.name)) throw this.duplicate(dep, spec.name);
        const now = isoTime(clock);
        const row: AlertRuleRow = {
          id: newId(clock.now()),
          deployment_id: dep.id,
          name: spec.name,
          rule: storedSpec(spec),
          state: 'ok',
          state_detail: writeStateDetail({ state: 'ok', breaching: 0, clear: 0 }),
          silenced_until: null,
          acknowledged_at: null,
          acknowledged_by: null,
          created_at: now,
          created_by: actor.name,
          updated_at: now,
        };
        await tx.alerts.insertRule(row);
        await tx.events.append(domainEvent(clock, actor.name, 'alert_rule.created', { type: 'alert_rule', id: row.id, projectId: project.id }, { deployment: dep.name, rule: publicSpec(spec) }));
        return this.view(row);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('ALERT_RULE_EXISTS', `an alert rule named '${spec.name}' already exists on deployment '${deploymentName}'`, { rule: spec.name });
      throw err;
    }
  }

  private duplicate(dep: DeploymentRow, name: string) {
    return conflict('ALERT_RULE_EXISTS', `deployment '${dep.name}' already has an alert rule named '${name}'`, { rule: name, deployment: dep.name });
  }

  /**
   * Replaces a rule's spec (PUT). The state, silence and acknowledgement are kept. A webhook given without
   * a secret keeps the stored secret, so that a rule read with GET (which never shows it) can be sent back.
   */
  async updateRule(actor: Principal, projectName: string | undefined, deploymentName: string, ruleName: string, body: unknown): Promise<AlertRuleView> {
    checkRuleName('rule', ruleName);
    const { store, clock } = this.deps;
    return store.transaction(async (tx) => {
      const { project, dep } = await this.deployment(tx, projectName, deploymentName);
      const row = await this.rule(tx, dep, ruleName);
      const spec = parseRuleSpec(body, { name: ruleName, keptSecret: readSpec(row).webhook?.secret });
      const changes = { rule: storedSpec(spec), updated_at: isoTime(clock) };
      await tx.alerts.updateRule(row.id, changes);
      await tx.events.append(domainEvent(clock, actor.name, 'alert_rule.updated', { type: 'alert_rule', id: row.id, projectId: project.id }, { deployment: dep.name, rule: publicSpec(spec) }));
      return this.view({ ...row, ...changes });
    });
  }

  async deleteRule(actor: Principal, projectName: string | undefined, deploymentName: string, ruleName: string): Promise<void> {
    const { store, clock } = this.deps;
    await store.transaction(async (tx) => {
      const { project, dep } = await this.deployment(tx, projectName, deploymentName);
      const row = await this.rule(tx, dep, ruleName);
      await tx.alerts.deleteRule(row.id);
      await tx.events.append(domainEvent(clock, actor.name, 'alert_rule.deleted', { type: 'alert_rule', id: row.id, projectId: project.id }, { deployment: dep.name, rule: row.name, state: row.state }));
    });
  }

  async getRule(projectName: string | undefined, deploymentName: string, ruleName: string): Promise<AlertRuleView> {
    const { store } = this.deps;
    const { dep } = await this.deployment(store, projectName, deploymentName);
    return this.view(await this.rule(store, dep, ruleName));
  }

  async listRules(projectName: string | undefined, deploymentName: string): Promise<AlertRuleView[]> {
    const { store } = this.deps;
    const { dep } = await this.deployment(store, projectName, deploymentName);
    return (await store.alerts.listRules(dep.id)).map((r) => this.view(r));
  }

  // -------------------------------------------------------------------------------------------------------
  // Acknowledge and silence

  /** Marks a firing alert as seen by someone (until it resolves). */
  async acknowledge(actor: Principal, projectName: string | undefined, deploymentName: string, ruleName: string, body?: { comment?: unknown }): Promise<AlertRuleView> {
    const o = asObject('body', body ?? {});
    onlyKeys('body', o, ['comment']);
    const comment = optionalString('comment', o.comment, 1000) ?? '';
    const { store, clock } = this.deps;
    return store.transaction(async (tx) => {
      const { project, dep } = await this.deployment(tx, projectName, deploymentName);
      const row = await this.rule(tx, dep, ruleName);
      if (row.state !== 'firing') throw conflict('ALERT_NOT_FIRING', `alert rule '${row.name}' is ${row.state}; only a firing alert can be acknowledged`, { rule: row.name, state: row.state });
      const now = isoTime(clock);
      const changes = { acknowledged_at: now, acknowledged_by: actor.name };
      await tx.alerts.updateRule(row.id, changes);
      await tx.alerts.insertEvent({ id: newId(clock.now()), rule_id: row.id, state: 'acknowledged', value: null, window_start: null, window_end: null, detail: JSON.stringify({ by: actor.name, comment }), at: now });
      await tx.events.append(domainEvent(clock, actor.name, 'alert.acknowledged', { type: 'alert_rule', id: row.id, projectId: project.id }, { deployment: dep.name, rule: row.name, comment }));
      return this.view({ ...row, ...changes });
    });
  }

  /**
   * Silences a rule until a time, or for some minutes. A silenced rule still changes state and keeps its
   * history; it only sends no webhooks while the silence lasts.
   */
  async silence(actor: Principal, projectName: string | undefined, deploymentName: string, ruleName: string, body: { until?: unknown; minutes?: unknown } | undefined): Promise<AlertRuleView> {
    const until = this.silenceEnd(body);
    const { store, clock } = this.deps;
    return store.transaction(async (tx) => {
      const { project, dep } = await this.deployment(tx, projectName, deploymentName);
      const row = await this.rule(tx, dep, ruleName);
      const now = isoTime(clock);
      const changes = { silenced_until: until };
      await tx.alerts.updateRule(row.id, changes);
      await tx.alerts.insertEvent({ id: newId(clock.now()), rule_id: row.id, state: 'silenced', value: null, window_start: null, window_end: null, detail: JSON.stringify({ by: actor.name, until }), at: now });
      await tx.events.append(domainEvent(clock, actor.name, 'alert.silenced', { type: 'alert_rule', id: row.id, projectId: project.id }, { deployment: dep.name, rule: row.name, until }));
      return this.view({ ...row, ...changes });
    });
  }

  private silenceEnd(body: { until?: unknown; minutes?: unknown } | undefined): string {
    const o = asObject('body', body ?? {});
    onlyKeys('body', o, ['until', 'minutes']);
    if ((o.until === undefined) === (o.minutes === undefined)) throw invalidField('body', 'give exactly one of until (an ISO time) and minutes');
    const now = this.deps.clock.now();
    if (o.minutes !== undefined) {
      const m = o.minutes;
      if (typeof m !== 'number' || !Number.isInteger(m) || m < 1 || m > MAX_SILENCE_MINUTES) throw invalidField('minutes', `must be an integer from 1 to ${MAX_SILENCE_MINUTES}`);
      return new Date(now + m * 60_000).toISOString();
    }
    const u = o.until;
    const ms = typeof u === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(u) ? Date.parse(u) : Number.NaN;
    if (Number.isNaN(ms)) throw invalidField('until', 'must be an ISO 8601 time with a date and a time, e.g. 2030-01-31T12:00:00Z');
    if (ms <= now) throw invalidField('until', 'must be in the future');
    return new Date(ms).toISOString();
  }

  /** Ends a silence (nothing happens when the rule is not silenced). */
  async unsilence(actor: Principal, projectName: string | undefined, deploymentName: string, ruleName: string): Promise<AlertRuleView> {
    const { store, clock } = this.deps;
    return store.transaction(async (tx) => {
      const { project, dep } = await this.deployment(tx, projectName, deploymentName);
      const row = await this.rule(tx, dep, ruleName);
      const now = isoTime(clock);
      if (row.silenced_until === null || row.silenced_until <= now) return this.view(row);
      const changes = { silenced_until: null };
      await tx.alerts.updateRule(row.id, changes);
      await tx.alerts.insertEvent({ id: newId(clock.now()), rule_id: row.id, state: 'unsilenced', value: null, window_start: null, window_end: null, detail: JSON.stringify({ by: actor.name }), at: now });
      await tx.events.append(domainEvent(clock, actor.name, 'alert.unsilenced', { type: 'alert_rule', id: row.id, projectId: project.id }, { deployment: dep.name, rule: row.name }));
      return this.view({ ...row, ...changes });
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Evaluation (called by monitoring)

  /** The enabled rules of a deployment: what monitoring should compute after each window. */
  async rulesFor(deploymentId: string): Promise<AlertRuleView[]> {
    return (await this.deps.store.alerts.listRules(deploymentId)).map((r) => this.view(r)).filter((v) => v.enabled);
  }

  /**
   * Feeds one window's value of a rule's metric through the state machine. Returns the transition, if
   * any. A value that is null or not finite means "not computable in this window"; a window at or before
   * the last one evaluated is ignored (so a window replayed after a restart never counts twice); a rule
   * that was deleted or disabled meanwhile is skipped.
   */
  async observe(ruleId: string, window: AlertWindow, value: number | null): Promise<Transition | null> {
    if (typeof window?.key !== 'string' || window.key.length === 0 || window.key.length > 200) throw invalidField('window.key', 'must be a string of 1 to 200 characters');
    const v = value !== null && Number.isFinite(value) ? value : null;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.deps.store.transaction((tx) => this.observeIn(tx, ruleId, window, v));
      if (outcome === 'changed') {
        if (attempt < OBSERVE_TRIES) continue;
        throw conflict('ALERT_RULE_BUSY', `alert rule ${ruleId} kept changing while window ${window.key} was evaluated`);
      }
      if (outcome.queued) this.deliverer.kick();
      return outcome.transition;
    }
  }

  private async observeIn(tx: Repositories, ruleId: string, window: AlertWindow, value: number | null): Promise<'changed' | { transition: Transition | null; queued: boolean }> {
    const row = await tx.alerts.getRuleById(ruleId);
    if (!row) return { transition: null, queued: false };
    const spec = readSpec(row);
    if (!spec.enabled) return { transition: null, queued: false };
    const prev = readStateDetail(row.state, row.state_detail);
    const result = step(spec, prev, { windowKey: window.key, value });
    if (result.ignored) return { transition: null, queued: false };
    const stored = await tx.alerts.setState(
      row.id,
      { state: row.state, detail: row.state_detail },
      { state: result.next.state, detail: writeStateDetail(result.next), clearAcknowledgement: result.transition === 'resolved' },
    );
    if (!stored) return 'changed';
    if (result.transition === null) return { transition: null, queued: false };
    const queued = await this.recordTransition(tx, row, spec, result.transition, window, value!);
    return { transition: result.transition, queued };
  }

  /** The history row, the domain event and (when due) the webhook delivery of a transition. */
  private async recordTransition(tx: Repositories, row: AlertRuleContextRow, spec: AlertRuleSpec, transition: Transition, window: AlertWindow, value: number): Promise<boolean> {
    const { clock } = this.deps;
    const at = isoTime(clock);
    const state = transition === 'fired' ? 'firing' : 'resolved';
    const event = EVENT_NAMES[state]!;
    const silenced = row.silenced_until !== null && row.silenced_until > at;
    const sendsWebhook = spec.webhook !== null && !silenced;
    const eventId = newId(clock.now());
    const detail = { metric: spec.metric, comparison: spec.comparison, threshold: spec.threshold, version: spec.version, windows: spec.windows, windowKey: window.key, silenced, webhook: sendsWebhook };
    await tx.alerts.insertEvent({ id: eventId, rule_id: row.id, state, value, window_start: window.start, window_end: window.end, detail: JSON.stringify(detail), at });
    const summary = { deployment: row.deployment_name, project: row.project_name, rule: row.name, metric: spec.metric, value, threshold: spec.threshold, comparison: spec.comparison, window: { key: window.key, start: window.start, end: window.end } };
    await tx.events.append(domainEvent(clock, SYSTEM_ACTOR, event, { type: 'alert_rule', id: row.id, projectId: row.project_id }, { ...summary, silenced }));
    if (!sendsWebhook) return false;
    const deliveryId = newId(clock.now());
    const payload = {
      event,
      delivery: deliveryId,
      eventId,
      at,
      project: row.project_name,
      deployment: row.deployment_name,
      rule: { name: row.name, metric: spec.metric, comparison: spec.comparison, threshold: spec.threshold, version: spec.version, windows: spec.windows, description: spec.description },
      state,
      value,
      window: { key: window.key, start: window.start, end: window.end },
    };
    await tx.alerts.insertDelivery({
      id: deliveryId,
      event_id: eventId,
      url: spec.webhook!.url,
      payload: JSON.stringify(payload),
      status: 'pending',
      attempts: 0,
      next_attempt_at: at,
      last_status: null,
      last_error: null,
      log: '[]',
      created_at: at,
      updated_at: at,
    });
    return true;
  }

  // -------------------------------------------------------------------------------------------------------
  // History and deliveries

  async history(
    projectName: string | undefined,
    deploymentName: string,
    input: { rule?: string; limit?: number; cursor?: string } = {},
  ): Promise<{ items: AlertEventView[]; nextCursor: string | null }> {
    const { store } = this.deps;
    const { dep } = await this.deployment(store, projectName, deploymentName);
    const limit = input.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalidField('limit', 'must be an integer from 1 to 1000');
    const ruleId = input.rule === undefined ? undefined : (await this.rule(store, dep, input.rule)).id;
    const before =
      input.cursor === undefined
        ? undefined
        : decodeCursor('cursor', input.cursor, (v): v is { at: string; id: string } => typeof (v as { at?: unknown })?.at === 'string' && typeof (v as { id?: unknown })?.id === 'string');
    const rows = await store.alerts.listEvents({ deploymentId: dep.id, ruleId, before, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(eventView), nextCursor: rows.length > limit && last ? encodeCursor({ at: last.at, id: last.id }) : null };
  }

  async deliveries(projectName: string | undefined, deploymentName: string, input: { limit?: number } = {}): Promise<{ items: DeliveryView[] }> {
    const { store } = this.deps;
    const { dep } = await this.deployment(store, projectName, deploymentName);
    const limit = input.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalidField('limit', 'must be an integer from 1 to 1000');
    return { items: (await store.alerts.listDeliveries(dep.id, limit)).map(deliveryView) };
  }
}

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function eventView(r: AlertEventListRow): AlertEventView {
  return { id: r.id, rule: r.rule_name, state: r.state, value: r.value, windowStart: r.window_start, windowEnd: r.window_end, at: r.at, detail: parseJson<Record<string, unknown>>(r.detail, {}) };
}

function deliveryView(r: DeliveryListRow): DeliveryView {
  return {
    id: r.id,
    rule: r.rule_name,
    event: EVENT_NAMES[r.event_state] ?? r.event_state,
    url: r.url,
    status: r.status,
    attempts: r.attempts,
    lastStatus: r.last_status,
    lastError: r.last_error,
    log: parseJson<AttemptLogEntry[]>(r.log, []),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
