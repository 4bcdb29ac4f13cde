/**
 * The contract of WebhookRepository, through MetadataStore only, so that it runs on every backend (SQLite
 * here in webhooks.repository.test.ts; PostgreSQL from src/db/metadata-store.contract.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MetadataStore } from '../../db/metadata-store.js';
import type { ProjectRow } from '../../db/schema.js';
import { newId } from '../../platform/ids.js';
import type { WebhookDeliveryRow, WebhookRow } from './webhooks.repository.js';

const T0 = Date.UTC(2024, 0, 15, 12, 0, 0);
const iso = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function hook(projectId: string | null, name: string, extra: Partial<WebhookRow> = {}): WebhookRow {
  return { id: newId(), project_id: projectId, name, url: `https://h.example/${name}`, secret: `secret-of-${name}-0123456789`, events: '["*"]', active: 1, created_at: iso(0), created_by: 'tester', updated_at: iso(0), ...extra };
}

function delivery(webhookId: string, seq: number, extra: Partial<WebhookDeliveryRow> = {}): WebhookDeliveryRow {
  return {
    id: newId(),
    webhook_id: webhookId,
    event_seq: seq,
    event_type: 'model.created',
    payload: `{"seq":${seq}}`,
    status: 'pending',
    attempts: 0,
    next_attempt_at: iso(0),
    last_status: null,
    last_error: null,
    log: '[]',
    created_at: iso(0),
    updated_at: iso(0),
    ...extra,
  };
}

export function webhooksRepositoryContract(fresh: () => Promise<MetadataStore>): void {
  describe('webhooks repository', () => {
    const opened: MetadataStore[] = [];
    const open = async () => {
      const store = await fresh();
      opened.push(store);
      const project = (await store.projects.getByName('default'))!;
      const other: ProjectRow = { id: newId(), name: 'other', description: '', created_at: iso(0), created_by: 'tester' };
      await store.projects.insert(other);
      return { store, project, other };
    };
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    it('stores subscriptions, lists them per project (with the global ones on request), updates and deletes them', async () => {
      const { store, project, other } = await open();
      const a = hook(project.id, 'a', { created_at: iso(1) });
      const b = hook(project.id, 'b', { created_at: iso(2), active: 0 });
      const g = hook(null, 'g', { created_at: iso(3) });
      const o = hook(other.id, 'o', { created_at: iso(4) });
      for (const r of [o, g, b, a]) await store.webhooks.insert(r);
      expect(await store.webhooks.get(a.id)).toEqual(a);
      expect(await store.webhooks.get('nope')).toBeUndefined();
      expect((await store.webhooks.list({ projectId: project.id, includeGlobal: false })).map((r) => r.name)).toEqual(['a', 'b']);
      expect((await store.webhooks.list({ projectId: project.id, includeGlobal: true })).map((r) => r.name)).toEqual(['a', 'b', 'g']);
      expect((await store.webhooks.listActive()).map((r) => r.name).sort()).toEqual(['a', 'g', 'o']);
      expect((await store.webhooks.listActive()).every((r) => r.active === 1)).toBe(true);

      await store.webhooks.update(b.id, { active: 1, events: '["model.*"]', updated_at: iso(9) });
      expect(await store.webhooks.get(b.id)).toEqual({ ...b, active: 1, events: '["model.*"]', updated_at: iso(9) });
      await store.webhooks.update(b.id, {});

      await store.webhooks.insertDelivery(delivery(a.id, 1));
      const keep = delivery(g.id, 1);
      await store.webhooks.insertDelivery(keep);
      await store.webhooks.delete(a.id);
      expect(await store.webhooks.get(a.id)).toBeUndefined();
      expect(await store.webhooks.listDeliveries(a.id, { limit: 10 })).toEqual([]);
      expect(await store.webhooks.getDelivery(keep.id)).toEqual(keep);
    });

    it('queues at most one delivery per subscription and event, and lists them newest first', async () => {
      const { store, project } = await open();
      const a = hook(project.id, 'a');
      const b = hook(project.id, 'b');
      await store.webhooks.insert(a);
      await store.webhooks.insert(b);
      const first = delivery(a.id, 7);
      expect(await store.webhooks.insertDelivery(first)).toBe(true);
      expect(await store.webhooks.insertDelivery(delivery(a.id, 7, { payload: '{"again":true}' }))).toBe(false);
      expect(await store.webhooks.insertDelivery(delivery(b.id, 7))).toBe(true);
      const second = delivery(a.id, 8);
      const third = delivery(a.id, 9);
      await store.webhooks.insertDelivery(second);
      await store.webhooks.insertDelivery(third);
      expect(await store.webhooks.getDelivery(first.id)).toEqual(first);
      expect((await store.webhooks.listDeliveries(a.id, { limit: 10 })).map((d) => d.event_seq)).toEqual([9, 8, 7]);
      expect((await store.webhooks.listDeliveries(a.id, { limit: 1, beforeId: third.id })).map((d) => d.id)).toEqual([second.id]);
    });

    it('hands due deliveries of active subscriptions out once, with their URL and secret, and records attempts under the claim', async () => {
      const { store, project } = await open();
      const on = hook(project.id, 'on');
      const off = hook(project.id, 'off', { active: 0 });
      await store.webhooks.insert(on);
      await store.webhooks.insert(off);
      const early = delivery(on.id, 1, { next_attempt_at: iso(1) });
      const later = delivery(on.id, 2, { next_attempt_at: iso(5) });
      const paused = delivery(off.id, 1, { next_attempt_at: iso(0) });
      const future = delivery(on.id, 3, { next_attempt_at: iso(100) });
      for (const d of [later, future, paused, early]) await store.webhooks.insertDelivery(d);

      const got = await store.webhooks.claimDue(iso(10), iso(40));
      expect(got).toEqual({ id: early.id, url: on.url, secret: on.secret, event: 'model.created', payload: early.payload, attempts: 0, log: '[]' });
      expect((await store.webhooks.getDelivery(early.id))!.next_attempt_at).toBe(iso(40));
      expect((await store.webhooks.claimDue(iso(10), iso(40)))!.id).toBe(later.id);
      // Nothing else is due: the paused subscription's delivery waits, the future one is not due yet.
      expect(await store.webhooks.claimDue(iso(10), iso(40))).toBeUndefined();

      const result = { status: 'delivered' as const, attempts: 1, next_attempt_at: null, last_status: 200, last_error: null, log: '[{"at":"x","status":200,"ms":1}]', updated_at: iso(11) };
      expect(await store.webhooks.finishAttempt(early.id, { attempts: 0, leaseUntil: iso(39) }, result)).toBe(false);
      expect(await store.webhooks.finishAttempt(early.id, { attempts: 0, leaseUntil: iso(40) }, result)).toBe(true);
      expect(await store.webhooks.getDelivery(early.id)).toMatchObject({ status: 'delivered', attempts: 1, last_status: 200, next_attempt_at: null });
      expect(await store.webhooks.finishAttempt(early.id, { attempts: 0, leaseUntil: iso(40) }, result)).toBe(false);

      await store.webhooks.release(later.id, { attempts: 0, leaseUntil: iso(40) }, iso(12));
      expect(await store.webhooks.getDelivery(later.id)).toMatchObject({ status: 'pending', attempts: 0, next_attempt_at: iso(12) });
      // A lapsed lease makes a claimed row due again.
      expect((await store.webhooks.claimDue(iso(12), iso(50)))!.id).toBe(later.id);
      expect((await store.webhooks.claimDue(iso(51), iso(80)))!.id).toBe(later.id);

      await store.webhooks.update(off.id, { active: 1 });
      expect((await store.webhooks.claimDue(iso(81), iso(90)))!.id).toBe(paused.id);
    });

    it('redelivers only finished deliveries', async () => {
      const { store, project } = await open();
      const a = hook(project.id, 'a');
      await store.webhooks.insert(a);
      const failed = delivery(a.id, 1, { status: 'failed', attempts: 6, next_attempt_at: null, last_status: 500, log: '[{"at":"x","status":500,"ms":1}]' });
      const pending = delivery(a.id, 2);
      await store.webhooks.insertDelivery(failed);
      await store.webhooks.insertDelivery(pending);
      expect(await store.webhooks.redeliver(failed.id, iso(20))).toBe(true);
      expect(await store.webhooks.getDelivery(failed.id)).toMatchObject({ status: 'pending', attempts: 0, next_attempt_at: iso(20), last_status: 500, log: failed.log });
      expect(await store.webhooks.redeliver(failed.id, iso(21))).toBe(false);
      expect(await store.webhooks.redeliver(pending.id, iso(21))).toBe(false);
    });

    it('keeps cursors over the event stream', async () => {
      const { store, project } = await open();
      expect(await store.webhooks.getCursor('webhooks')).toBeUndefined();
      const before = await store.webhooks.lastEventSeq();
      const id = newId();
      await store.events.append({ id, type: 'model.created', at: iso(1), actor: 'tester', projectId: project.id, entityType: 'model', entityId: 'm', payload: {} });
      const seq = await store.webhooks.eventSeq(id);
      expect(seq).toBeGreaterThan(before);
      expect(await store.webhooks.lastEventSeq()).toBe(seq);
      expect(await store.webhooks.eventSeq('nope')).toBeUndefined();

      expect(await store.webhooks.initCursor('webhooks', seq!, iso(1))).toBe(seq);
      expect(await store.webhooks.initCursor('webhooks', 0, iso(2))).toBe(seq);
      await store.webhooks.setCursor('webhooks', seq! + 5, iso(3));
      expect(await store.webhooks.getCursor('webhooks')).toBe(seq! + 5);
      await store.webhooks.setCursor('other', 2, iso(3));
      expect(await store.webhooks.getCursor('other')).toBe(2);
      expect(await store.webhooks.getCursor('webhooks')).toBe(seq! + 5);
      // Inside a transaction, as the dispatcher uses them.
      await store.transaction(async (tx) => tx.webhooks.setCursor('webhooks', 1, iso(4)));
      expect(await store.webhooks.getCursor('webhooks')).toBe(1);
    });
  });
}
