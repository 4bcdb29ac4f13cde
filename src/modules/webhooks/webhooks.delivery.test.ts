/** Events → deliveries → signed POSTs, against a real local HTTP receiver and a real SQLite file. */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { verifySignature } from './deliverer.js';
import { WEBHOOK_CURSOR } from './event-dispatcher.js';
import { eventually, FAST, receiver, sleep, webhookFixture, type Receiver, type WebhookFixture } from './webhooks.test-support.js';

const SECRET = 'event-webhook-secret-0123';

let f: WebhookFixture | undefined;
const servers: Receiver[] = [];
afterEach(async () => {
  await f?.close();
  f = undefined;
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function ok(): Promise<Receiver> {
  const srv = await receiver((_p, _n, res) => res.writeHead(204).end());
  servers.push(srv);
  return srv;
}

const paths = (srv: Receiver) => srv.received.map((r) => r.path);
const types = (srv: Receiver, path: string) => srv.received.filter((r) => r.path === path).map((r) => String(r.headers['x-steward-event']));

describe('event webhooks', () => {
  it('delivers an appended event as a signed POST with the event, delivery and timestamp headers', async () => {
    const srv = await ok();
    f = await webhookFixture();
    await f.webhooks.start();
    const hook = await f.webhooks.create(f.ada, f.defaultProject, { name: 'registry', url: `${srv.url}/hook`, secret: SECRET, events: ['model_version.*'] });
    await f.emit('model_version.created', f.defaultProject, { model: 'houses', version: 3 });
    f.webhooks.notify();
    await eventually(() => srv.received.length === 1, 5_000, 'the delivery');

    const got = srv.received[0]!;
    expect(got.path).toBe('/hook');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['user-agent']).toBe('steward-webhooks');
    expect(got.headers['x-steward-event']).toBe('model_version.created');
    const ts = String(got.headers['x-steward-timestamp']);
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(60);
    const signature = String(got.headers['x-steward-signature']);
    // Written out independently of the module under test, then through the exported helper.
    expect(signature).toBe(`sha256=${createHmac('sha256', SECRET).update(`${ts}.${got.body}`, 'utf8').digest('hex')}`);
    expect(verifySignature(SECRET, ts, got.body, signature, { maxAgeSeconds: 300 })).toBe(true);
    expect(verifySignature('another-secret-0123456789', ts, got.body, signature)).toBe(false);

    const body = JSON.parse(got.body);
    const [event] = await f.store.events.list({ after: 0, limit: 1000, entityType: 'model_version' });
    expect(body).toEqual({
      id: event!.id,
      seq: event!.seq,
      type: 'model_version.created',
      at: event!.at,
      actor: 'tester',
      project: 'default',
      entity: { type: 'model_version', id: event!.entityId },
      data: { model: 'houses', version: 3 },
    });
    expect(got.body).not.toContain(SECRET);

    const log = await eventually(async () => {
      const page = await f!.webhooks.deliveries(hook.id);
      return page.items[0]?.status === 'delivered' ? page : undefined;
    });
    expect(log.items).toHaveLength(1);
    expect(log.items[0]).toMatchObject({ id: got.headers['x-steward-delivery'], event: 'model_version.created', eventSeq: event!.seq, attempts: 1, lastStatus: 204, lastError: null, nextAttemptAt: null });
    expect(log.items[0]!.log).toEqual([{ at: expect.any(String), status: 204, ms: expect.any(Number) }]);
  });

  it('filters by pattern and project, skips inactive subscriptions, and gives global ones every project', async () => {
    const srv = await ok();
    f = await webhookFixture();
    await f.webhooks.start();
    const mk = (name: string, events: string[], extra: { project?: 'fraud'; active?: boolean; allProjects?: boolean } = {}) =>
      f!.webhooks.create(extra.allProjects ? f!.root : f!.ada, extra.project === 'fraud' ? f!.fraud : f!.defaultProject, {
        name,
        url: `${srv.url}/${name}`,
        events,
        ...(extra.active === undefined ? {} : { active: extra.active }),
        ...(extra.allProjects ? { allProjects: true } : {}),
      });
    await mk('versions', ['model_version.*']);
    await mk('exact', ['promotion.executed']);
    await mk('everything', ['*']);
    await mk('fraud-only', ['*'], { project: 'fraud' });
    const paused = await mk('paused', ['*'], { active: false });
    await mk('global', ['deployment.*', 'alert.fired'], { allProjects: true });
    // 'everything' also receives the webhook.created events of the later subscriptions: left out below.
    const notAboutWebhooks = () => srv.received.filter((r) => !String(r.headers['x-steward-event']).startsWith('webhook.'));

    await f.emit('model_version.stage_changed', f.defaultProject);
    await f.emit('promotion.requested', f.defaultProject);
    await f.emit('promotion.executed', f.defaultProject);
    await f.emit('deployment.revised', f.fraud);
    await f.emit('alert.fired', null);
    await f.emit('token.created', null); // never delivered: not a webhook event
    await f.emit('user.created', f.defaultProject); // not one either, even with '*'
    f.webhooks.notify();
    // 1 + 1 + 3 (everything) + 1 (fraud-only) + 2 (global) = 8
    await eventually(() => notAboutWebhooks().length >= 8, 5_000, 'eight deliveries');
    await sleep(300);
    const fresh = notAboutWebhooks();
    // Its own creation and that of 'paused' (same project); not those of 'fraud-only' or 'global'.
    expect(srv.received.filter((r) => r.path === '/everything' && r.headers['x-steward-event'] === 'webhook.created').map((r) => JSON.parse(r.body).data.webhook).sort()).toEqual(['everything', 'paused']);
    expect(fresh).toHaveLength(8);
    const by = (p: string) => fresh.filter((r) => r.path === p).map((r) => String(r.headers['x-steward-event']));
    expect(by('/versions')).toEqual(['model_version.stage_changed']);
    expect(by('/exact')).toEqual(['promotion.executed']);
    expect(by('/everything').sort()).toEqual(['model_version.stage_changed', 'promotion.executed', 'promotion.requested']);
    expect(by('/fraud-only')).toEqual(['deployment.revised']);
    expect(by('/global').sort()).toEqual(['alert.fired', 'deployment.revised']);
    expect(by('/paused')).toEqual([]);
    expect(JSON.parse(fresh.find((r) => r.path === '/global' && r.headers['x-steward-event'] === 'alert.fired')!.body).project).toBeNull();
    expect(JSON.parse(fresh.find((r) => r.path === '/fraud-only')!.body).project).toBe('fraud');
    // The paused webhook queued nothing, and a later activation does not bring the past back.
    expect((await f.webhooks.deliveries(paused.id)).items).toEqual([]);
  });

  it('retries an endpoint that answers 500, then records both attempts once it answers 200', async () => {
    const srv = await receiver((_p, n, res) => res.writeHead(n === 1 ? 500 : 200).end(n === 1 ? 'boom' : 'ok'));
    servers.push(srv);
    f = await webhookFixture();
    await f.webhooks.start();
    const hook = await f.webhooks.create(f.ada, f.defaultProject, { name: 'flaky', url: `${srv.url}/flaky`, secret: SECRET, events: ['model.*'] });
    await f.emit('model.created', f.defaultProject, { model: 'houses' });
    f.webhooks.notify();
    const d = await eventually(async () => {
      const item = (await f!.webhooks.deliveries(hook.id)).items[0];
      return item?.status === 'delivered' ? item : undefined;
    });
    expect(d.attempts).toBe(2);
    expect(d.lastStatus).toBe(200);
    expect(d.lastError).toBeNull();
    expect(d.log).toMatchObject([{ status: 500, error: 'answered HTTP 500' }, { status: 200 }]);
    expect(Date.parse(d.log[1]!.at) - Date.parse(d.log[0]!.at)).toBeGreaterThanOrEqual(10);
    expect(srv.received).toHaveLength(2);
    expect(new Set(srv.received.map((r) => r.headers['x-steward-delivery']))).toEqual(new Set([d.id]));
    for (const r of srv.received) expect(verifySignature(SECRET, String(r.headers['x-steward-timestamp']), r.body, String(r.headers['x-steward-signature']))).toBe(true);
  });

  it('gives up after the last attempt, and a redelivery sends the same delivery again', async () => {
    let up = false;
    const srv = await receiver((_p, _n, res) => res.writeHead(up ? 200 : 503).end());
    servers.push(srv);
    f = await webhookFixture({ webhooks: { ...FAST, maxAttempts: 2 } });
    await f.webhooks.start();
    const hook = await f.webhooks.create(f.ada, f.defaultProject, { name: 'down', url: `${srv.url}/down`, events: ['dataset.*'] });
    await f.emit('dataset.created', f.defaultProject);
    f.webhooks.notify();
    const failed = await eventually(async () => {
      const item = (await f!.webhooks.deliveries(hook.id)).items[0];
      return item?.status === 'failed' ? item : undefined;
    });
    expect(failed).toMatchObject({ attempts: 2, lastStatus: 503, lastError: 'answered HTTP 503', nextAttemptAt: null });
    up = true;
    const again = await f.webhooks.redeliver(f.ada, hook.id, failed.id);
    expect(again).toMatchObject({ id: failed.id, status: 'pending', attempts: 0 });
    const done = await eventually(async () => {
      const item = (await f!.webhooks.deliveries(hook.id)).items[0];
      return item?.status === 'delivered' ? item : undefined;
    });
    expect(done.log.map((l) => l.status)).toEqual([503, 503, 200]);
    expect(srv.received).toHaveLength(3);
    expect(new Set(srv.received.map((r) => r.body)).size).toBe(1);
    await expect(f.webhooks.redeliver(f.ada, hook.id, 'nope')).rejects.toMatchObject({ code: 'WEBHOOK_DELIVERY_NOT_FOUND' });
    const kinds = (await f.store.events.list({ after: 0, limit: 1000, entityType: 'webhook' })).map((e) => e.type);
    expect(kinds).toContain('webhook.redelivery_requested');
  });

  it('sends a test delivery to the tested webhook only', async () => {
    const srv = await ok();
    f = await webhookFixture();
    await f.webhooks.start();
    const a = await f.webhooks.create(f.ada, f.defaultProject, { name: 'a', url: `${srv.url}/a`, secret: SECRET, events: ['*'] });
    await f.webhooks.create(f.ada, f.defaultProject, { name: 'b', url: `${srv.url}/b`, events: ['*', 'webhook.test'] });
    await eventually(async () => (await f!.store.webhooks.getCursor(WEBHOOK_CURSOR)) === (await f!.store.webhooks.lastEventSeq()), 5_000, 'the cursor');
    await sleep(200);
    const before = srv.received.length;
    const d = await f.webhooks.test(f.ada, a.id);
    expect(d).toMatchObject({ event: 'webhook.test', status: 'pending', attempts: 0 });
    await eventually(() => srv.received.length > before, 5_000, 'the test delivery');
    await sleep(300);
    const fresh = srv.received.slice(before);
    expect(fresh.map((r) => r.path)).toEqual(['/a']);
    expect(fresh[0]!.headers['x-steward-event']).toBe('webhook.test');
    expect(fresh[0]!.headers['x-steward-delivery']).toBe(d.id);
    expect(verifySignature(SECRET, String(fresh[0]!.headers['x-steward-timestamp']), fresh[0]!.body, String(fresh[0]!.headers['x-steward-signature']))).toBe(true);
    expect(JSON.parse(fresh[0]!.body)).toMatchObject({ type: 'webhook.test', project: 'default', actor: 'ada', entity: { type: 'webhook', id: a.id }, data: { webhook: 'a' } });

    await f.webhooks.update(f.ada, a.id, { active: false });
    await expect(f.webhooks.test(f.ada, a.id)).rejects.toMatchObject({ code: 'WEBHOOK_INACTIVE' });
  });

  it('does not replay history on a first start, and resumes from the cursor after a restart without duplicates', async () => {
    const srv = await ok();
    f = await webhookFixture();
    // Events from before the first start are history.
    const hook = await f.webhooks.create(f.ada, f.defaultProject, { name: 'r', url: `${srv.url}/r`, events: ['model.*'] });
    await f.emit('model.created', f.defaultProject, { n: 0 });
    await f.webhooks.start();
    expect(await f.store.webhooks.getCursor(WEBHOOK_CURSOR)).toBe(await f.store.webhooks.lastEventSeq());
    await f.emit('model.created', f.defaultProject, { n: 1 });
    f.webhooks.notify();
    await eventually(() => srv.received.length === 1, 5_000, 'the first delivery');
    // Wait until the attempt is recorded: a delivery cut short by stop() is handed back and sent again.
    await eventually(async () => (await f!.webhooks.deliveries(hook.id)).items.every((d) => d.status === 'delivered'), 5_000, 'the first delivery recorded');

    // Stop; events arrive while nothing runs; reopen the same database file with a new service.
    const dir = f.dir;
    await f.webhooks.stop();
    await f.store.close();
    f = await webhookFixture({ dir });
    await f.emit('model.created', f.defaultProject, { n: 2 });
    await f.emit('model.updated', f.defaultProject, { n: 3 });
    await f.webhooks.start();
    await eventually(() => srv.received.length === 3, 5_000, 'the deliveries queued while stopped');
    // A pass that finds the cursor already moved queues nothing again.
    expect(await f.webhooks.dispatcher.dispatchOnce()).toEqual({ events: 0, queued: 0 });
    await sleep(300);
    expect(srv.received.map((r) => JSON.parse(r.body).data.n)).toEqual([1, 2, 3]);
    expect(types(srv, '/r')).toEqual(['model.created', 'model.created', 'model.updated']);
    expect((await f.webhooks.deliveries(hook.id)).items.map((d) => d.status)).toEqual(['delivered', 'delivered', 'delivered']);
    await f.close();
    await rmDir(dir);
    f = undefined;
  });

  it('never queues one event twice for a subscription, even when the cursor is put back', async () => {
    const srv = await ok();
    f = await webhookFixture();
    await f.webhooks.start();
    const hook = await f.webhooks.create(f.ada, f.defaultProject, { name: 'once', url: `${srv.url}/once`, events: ['model.*'] });
    const cursor = await f.store.webhooks.lastEventSeq();
    await f.emit('model.created', f.defaultProject);
    f.webhooks.notify();
    await eventually(() => srv.received.length === 1, 5_000, 'the delivery');
    await eventually(async () => (await f!.webhooks.deliveries(hook.id)).items.every((d) => d.status === 'delivered'), 5_000, 'the delivery recorded');
    await f.webhooks.stop();
    // As if a process had crashed after queuing the deliveries and before moving the cursor.
    await f.store.webhooks.setCursor(WEBHOOK_CURSOR, cursor, new Date().toISOString());
    const again = await f.webhooks.dispatcher.dispatchOnce();
    expect(again.events).toBeGreaterThanOrEqual(1);
    expect(again.queued).toBe(0);
    await f.webhooks.start();
    await sleep(300);
    expect(paths(srv)).toEqual(['/once']);
  });
});

async function rmDir(dir: string): Promise<void> {
  const { rm } = await import('node:fs/promises');
  await rm(dir, { recursive: true, force: true });
}
