import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../platform/clock.js';
import { createLogger } from '../../../platform/logger.js';
import { AlertsService } from './alerts.service.js';
import { addDeployment, alertFixture, principal, windowOf, type AlertFixture } from './alerts.test-support.js';

let f: AlertFixture;
const SECRET = 'a-secret-of-20-chars';
const rule = (over: Record<string, unknown> = {}) => ({ name: 'errors', metric: 'operations.errorRate', comparison: '>', threshold: 0.1, ...over });

beforeEach(async () => {
  f = await alertFixture();
});
afterEach(() => f.close());

async function eventsOf(type: string) {
  return (await f.store.events.list({ after: 0, limit: 1000 })).filter((e) => e.type === type);
}

describe('alert rules', () => {
  it('creates, reads, lists, replaces and deletes rules, with a domain event for each change', async () => {
    const created = await f.alerts.createRule(f.maria, undefined, 'price', rule({ webhook: { url: 'https://hooks.example/x', secret: SECRET }, description: 'errors' }));
    expect(created).toMatchObject({ name: 'errors', state: 'ok', firingAfter: 2, resolvingAfter: 2, windows: 1, version: null, enabled: true, createdBy: 'maria', webhook: { url: 'https://hooks.example/x', secretSet: true } });
    expect(JSON.stringify(created)).not.toContain(SECRET);
    await f.alerts.createRule(f.maria, 'default', 'price', rule({ name: 'latency', metric: 'operations.p99Ms', threshold: 250 }));
    expect((await f.alerts.listRules(undefined, 'price')).map((r) => r.name)).toEqual(['errors', 'latency']);

    const replaced = await f.alerts.updateRule(principal('otto'), undefined, 'price', 'errors', rule({ name: undefined, threshold: 0.2, firingAfter: 3, webhook: { url: 'https://hooks.example/y' } }));
    expect(replaced).toMatchObject({ threshold: 0.2, firingAfter: 3, webhook: { url: 'https://hooks.example/y', secretSet: true }, createdBy: 'maria' });
    // The secret left out of the PUT was kept (it signs deliveries), and is in no event.
    const stored = await f.store.alerts.getRule(f.deployment.id, 'errors');
    expect(JSON.parse(stored!.rule).webhook.secret).toBe(SECRET);
    expect(JSON.stringify(await f.store.events.list({ after: 0, limit: 1000 }))).not.toContain(SECRET);

    await f.alerts.deleteRule(f.maria, undefined, 'price', 'latency');
    await expect(f.alerts.getRule(undefined, 'price', 'latency')).rejects.toMatchObject({ code: 'ALERT_RULE_NOT_FOUND' });
    expect((await eventsOf('alert_rule.created')).length).toBe(2);
    expect((await eventsOf('alert_rule.updated'))[0]).toMatchObject({ actor: 'otto', entityType: 'alert_rule', entityId: created.id });
    expect((await eventsOf('alert_rule.deleted'))[0]!.payload).toMatchObject({ rule: 'latency' });
  });

  it('answers 404 for unknown deployments, projects and rules, 409 for a duplicate name, 400 naming the field', async () => {
    await expect(f.alerts.createRule(f.maria, undefined, 'nope', rule())).rejects.toMatchObject({ code: 'DEPLOYMENT_NOT_FOUND', kind: 'not_found' });
    await expect(f.alerts.listRules('ghost', 'price')).rejects.toMatchObject({ code: 'PROJECT_NOT_FOUND' });
    await expect(f.alerts.updateRule(f.maria, undefined, 'price', 'missing', rule({ name: undefined }))).rejects.toMatchObject({ code: 'ALERT_RULE_NOT_FOUND' });
    await f.alerts.createRule(f.maria, undefined, 'price', rule());
    await expect(f.alerts.createRule(f.maria, undefined, 'price', rule())).rejects.toMatchObject({ code: 'ALERT_RULE_EXISTS', kind: 'conflict' });
    // The same name on another deployment is fine.
    await addDeployment(f.store, 'other');
    await expect(f.alerts.createRule(f.maria, undefined, 'other', rule())).resolves.toMatchObject({ name: 'errors' });
    await expect(f.alerts.createRule(f.maria, undefined, 'price', rule({ name: 'x', threshold: 'high' }))).rejects.toMatchObject({ kind: 'invalid', message: 'rule.threshold: must be a finite number' });
    await expect(f.alerts.updateRule(f.maria, undefined, 'price', 'errors', rule({ name: 'renamed' }))).rejects.toMatchObject({ details: { field: 'rule.name' } });
  });
});

describe('observe', () => {
  it('fires after firingAfter windows and resolves after resolvingAfter, recording history and events', async () => {
    const r = await f.alerts.createRule(f.maria, undefined, 'price', rule({ firingAfter: 2, resolvingAfter: 2 }));
    const seen = [];
    for (const [i, v] of [0.5, 0.6, 0.01, 0.02, 0.03].entries()) seen.push(await f.alerts.observe(r.id, windowOf(i), v));
    expect(seen).toEqual([null, 'fired', null, 'resolved', null]);
    const history = await f.alerts.history(undefined, 'price');
    expect(history.items.map((e) => [e.state, e.value])).toEqual([
      ['resolved', 0.02],
      ['firing', 0.6],
    ]);
    expect(history.items[1]).toMatchObject({ rule: 'errors', windowStart: windowOf(1).start, windowEnd: windowOf(1).end, detail: { metric: 'operations.errorRate', threshold: 0.1, silenced: false, webhook: false } });
    expect((await eventsOf('alert.fired'))[0]).toMatchObject({ actor: 'system', entityId: r.id, payload: { deployment: 'price', rule: 'errors', value: 0.6 } });
    expect(await eventsOf('alert.resolved')).toHaveLength(1);
    expect((await f.alerts.getRule(undefined, 'price', 'errors')).state).toBe('ok');
    // No webhook on the rule: no deliveries.
    expect((await f.alerts.deliveries(undefined, 'price')).items).toEqual([]);
  });

  it('ignores a window delivered again after a restart, and windows before it', async () => {
    const r = await f.alerts.createRule(f.maria, undefined, 'price', rule({ firingAfter: 2 }));
    expect(await f.alerts.observe(r.id, windowOf(5), 0.9)).toBeNull();
    // A second service over the same database (a restarted process) sees the same window again.
    const restarted = new AlertsService({ store: f.store, clock: systemClock, logger: createLogger('silent') });
    expect(await restarted.observe(r.id, windowOf(5), 0.9)).toBeNull();
    expect(await restarted.observe(r.id, windowOf(4), 0.9)).toBeNull();
    expect((await f.alerts.getRule(undefined, 'price', 'errors')).state).toBe('pending');
    expect(await restarted.observe(r.id, windowOf(6), 0.9)).toBe('fired');
    expect((await f.alerts.history(undefined, 'price')).items).toHaveLength(1);
  });

  it('two observations of the same window at once count once', async () => {
    const r = await f.alerts.createRule(f.maria, undefined, 'price', rule({ firingAfter: 1 }));
    const results = await Promise.all([f.alerts.observe(r.id, windowOf(1), 0.9), f.alerts.observe(r.id, windowOf(1), 0.9)]);
    expect(results.filter((t) => t === 'fired')).toHaveLength(1);
    expect((await f.alerts.history(undefined, 'price')).items).toHaveLength(1);
  });

  it('skips disabled and deleted rules; rulesFor lists only enabled ones', async () => {
    const on = await f.alerts.createRule(f.maria, undefined, 'price', rule({ name: 'on', firingAfter: 1 }));
    const off = await f.alerts.createRule(f.maria, undefined, 'price', rule({ name: 'off', firingAfter: 1, enabled: false }));
    expect((await f.alerts.rulesFor(f.deployment.id)).map((r) => r.name)).toEqual(['on']);
    expect(await f.alerts.observe(off.id, windowOf(1), 5)).toBeNull();
    expect((await f.alerts.getRule(undefined, 'price', 'off')).state).toBe('ok');
    await f.alerts.deleteRule(f.maria, undefined, 'price', 'on');
    expect(await f.alerts.observe(on.id, windowOf(1), 5)).toBeNull();
  });

  it('keeps the state when a rule is replaced', async () => {
    const r = await f.alerts.createRule(f.maria, undefined, 'price', rule({ firingAfter: 1 }));
    await f.alerts.observe(r.id, windowOf(1), 0.5);
    const replaced = await f.alerts.updateRule(f.maria, undefined, 'price', 'errors', rule({ threshold: 0.3, firingAfter: 1, resolvingAfter: 1 }));
    expect(replaced.state).toBe('firing');
    // The new threshold applies from the next window on.
    expect(await f.alerts.observe(r.id, windowOf(2), 0.2)).toBe('resolved');
  });
});

describe('acknowledge and silence', () => {
  it('acknowledges only a firing alert, and forgets the acknowledgement when it resolves', async () => {
    const r = await f.alerts.createRule(f.maria, undefined, 'price', rule({ firingAfter: 1, resolvingAfter: 1 }));
    await expect(f.alerts.acknowledge(f.maria, undefined, 'price', 'errors')).rejects.toMatchObject({ code: 'ALERT_NOT_FIRING', kind: 'conflict' });
    await f.alerts.observe(r.id, windowOf(1), 0.5);
    const acked = await f.alerts.acknowledge(principal('otto'), undefined, 'price', 'errors', { comment: 'looking' });
    expect(acked).toMatchObject({ state: 'firing', acknowledgedBy: 'otto' });
    expect(acked.acknowledgedAt).not.toBeNull();
    expect((await f.alerts.history(undefined, 'price')).items[0]).toMatchObject({ state: 'acknowledged', detail: { by: 'otto', comment: 'looking' } });
    expect((await eventsOf('alert.acknowledged'))[0]).toMatchObject({ actor: 'otto' });
    await f.alerts.observe(r.id, windowOf(2), 0);
    expect(await f.alerts.getRule(undefined, 'price', 'errors')).toMatchObject({ state: 'ok', acknowledgedAt: null, acknowledgedBy: null });
    await expect(f.alerts.acknowledge(f.maria, undefined, 'price', 'errors', { comment: 1 } as never)).rejects.toMatchObject({ details: { field: 'comment' } });
  });

  it('a silenced rule changes state and keeps history but queues no webhook; after unsilence it does', async () => {
    const r = await f.alerts.createRule(f.maria, undefined, 'price', rule({ firingAfter: 1, resolvingAfter: 1, webhook: { url: 'http://127.0.0.1:9/hook', secret: SECRET } }));
    const silenced = await f.alerts.silence(f.maria, undefined, 'price', 'errors', { minutes: 30 });
    const until = Date.parse(silenced.silencedUntil!);
    expect(until - Date.now()).toBeGreaterThan(29 * 60_000);
    expect(until - Date.now()).toBeLessThanOrEqual(30 * 60_000);
    expect(await f.alerts.observe(r.id, windowOf(1), 0.5)).toBe('fired');
    expect((await f.alerts.getRule(undefined, 'price', 'errors')).state).toBe('firing');
    const firing = (await f.alerts.history(undefined, 'price', { rule: 'errors' })).items[0]!;
    expect(firing).toMatchObject({ state: 'firing', detail: { silenced: true, webhook: false } });
    expect((await f.alerts.deliveries(undefined, 'price')).items).toHaveLength(0);

    const unsilenced = await f.alerts.unsilence(f.maria, undefined, 'price', 'errors');
    expect(unsilenced.silencedUntil).toBeNull();
    expect(await f.alerts.observe(r.id, windowOf(2), 0)).toBe('resolved');
    const deliveries = (await f.alerts.deliveries(undefined, 'price')).items;
    expect(deliveries).toMatchObject([{ rule: 'errors', event: 'alert.resolved', url: 'http://127.0.0.1:9/hook', status: 'pending', attempts: 0, log: [] }]);
    expect((await f.alerts.history(undefined, 'price')).items.map((e) => e.state)).toEqual(['resolved', 'unsilenced', 'firing', 'silenced']);
    expect(await eventsOf('alert.silenced')).toHaveLength(1);
    expect(await eventsOf('alert.unsilenced')).toHaveLength(1);
  });

  it('silences until a time, and refuses bad silences naming the field', async () => {
    await f.alerts.createRule(f.maria, undefined, 'price', rule());
    const until = new Date(Date.now() + 3_600_000).toISOString();
    expect((await f.alerts.silence(f.maria, undefined, 'price', 'errors', { until })).silencedUntil).toBe(until);
    const bad: [unknown, string][] = [
      [{}, 'body'],
      [{ until, minutes: 5 }, 'body'],
      [{ minutes: 0 }, 'minutes'],
      [{ minutes: 43_201 }, 'minutes'],
      [{ minutes: 1.5 }, 'minutes'],
      [{ until: '2000-01-01T00:00:00Z' }, 'until'],
      [{ until: 'tomorrow' }, 'until'],
      [{ until: '2099-13-45T99:00:00Z' }, 'until'],
      [{ for: 5 }, 'body.for'],
    ];
    for (const [body, field] of bad) {
      await expect(f.alerts.silence(f.maria, undefined, 'price', 'errors', body as never), JSON.stringify(body)).rejects.toMatchObject({ kind: 'invalid', details: { field } });
    }
  });
});

describe('history and deliveries', () => {
  it('pages the history newest first with a cursor, and filters by rule', async () => {
    const a = await f.alerts.createRule(f.maria, undefined, 'price', rule({ name: 'a', firingAfter: 1, resolvingAfter: 1 }));
    const b = await f.alerts.createRule(f.maria, undefined, 'price', rule({ name: 'b', firingAfter: 1, resolvingAfter: 1 }));
    for (let i = 0; i < 6; i++) {
      await f.alerts.observe(a.id, windowOf(i), i % 2 === 0 ? 1 : 0);
      if (i < 2) await f.alerts.observe(b.id, windowOf(i), i % 2 === 0 ? 1 : 0);
    }
    const all = [];
    let cursor: string | undefined;
    do {
      const page = await f.alerts.history(undefined, 'price', { limit: 3, cursor });
      expect(page.items.length).toBeLessThanOrEqual(3);
      all.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(all).toHaveLength(8);
    const keys = all.map((e) => `${e.at}|${e.id}`);
    expect([...keys].sort().reverse()).toEqual(keys);
    expect(new Set(all.map((e) => e.id)).size).toBe(8);
    const onlyB = await f.alerts.history(undefined, 'price', { rule: 'b' });
    expect(onlyB.items.map((e) => [e.rule, e.state])).toEqual([
      ['b', 'resolved'],
      ['b', 'firing'],
    ]);
    expect(onlyB.nextCursor).toBeNull();
    await expect(f.alerts.history(undefined, 'price', { cursor: 'garbage' })).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
    await expect(f.alerts.history(undefined, 'price', { rule: 'zzz' })).rejects.toMatchObject({ code: 'ALERT_RULE_NOT_FOUND' });
  });

  it('deleting a deployment removes its rules, history and deliveries', async () => {
    const r = await f.alerts.createRule(f.maria, undefined, 'price', rule({ firingAfter: 1, webhook: { url: 'http://127.0.0.1:9/', secret: SECRET } }));
    await f.alerts.observe(r.id, windowOf(1), 1);
    await f.store.transaction((tx) => tx.deployments.delete(f.deployment.id));
    expect(await f.store.alerts.getRuleById(r.id)).toBeUndefined();
    expect(await f.store.alerts.claimDelivery(new Date(Date.now() + 60_000).toISOString(), new Date(Date.now() + 120_000).toISOString())).toBeUndefined();
  });
});
