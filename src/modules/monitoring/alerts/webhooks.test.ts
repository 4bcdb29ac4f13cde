import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { alertFixture, eventually, windowOf, type AlertFixture } from './alerts.test-support.js';
import { receiver } from '../../webhooks/webhooks.test-support.js';
import { retryDelay, signPayload, verifySignature, WEBHOOK_DEFAULTS, type WebhookOptions } from './webhooks.js';

const SECRET = 'webhook-secret-0123456789';

const FAST: WebhookOptions = { baseDelayMs: 10, factor: 2, maxDelayMs: 100, timeoutMs: 1000, pollMs: 50 };

let f: AlertFixture | undefined;
const servers: { close: () => Promise<void> }[] = [];
afterEach(async () => {
  await f?.close();
  f = undefined;
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A rule with a webhook to `url` that fires on its first breach and resolves on its first clear window. */
async function ruleTo(url: string, name = 'errors') {
  return f!.alerts.createRule(f!.maria, undefined, 'price', { name, metric: 'operations.errorRate', comparison: '>', threshold: 0.1, firingAfter: 1, resolvingAfter: 1, webhook: { url, secret: SECRET } });
}

const deliveryRows = () => f!.store.alerts.listDeliveries(f!.deployment.id, 100);
const deliveryTo = async (url: string) => (await deliveryRows()).find((d) => d.url === url);

describe('verifySignature', () => {
  it('accepts the signature of the body and refuses any change', () => {
    const body = '{"event":"alert.fired"}';
    const header = signPayload(SECRET, '1700000000', body);
    expect(header).toBe(`sha256=${createHmac('sha256', SECRET).update(`1700000000.${body}`).digest('hex')}`);
    expect(verifySignature(SECRET, '1700000000', body, header)).toBe(true);
    expect(verifySignature(SECRET, '1700000000', Buffer.from(body), header)).toBe(true);
    expect(verifySignature(SECRET, '1700000001', body, header)).toBe(false);
    expect(verifySignature(SECRET, '1700000000', `${body} `, header)).toBe(false);
    expect(verifySignature(`${SECRET}x`, '1700000000', body, header)).toBe(false);
    expect(verifySignature(SECRET, '1700000000', body, header.toUpperCase())).toBe(false);
    expect(verifySignature(SECRET, '1700000000', body, header.slice(0, -1))).toBe(false);
    expect(verifySignature(SECRET, '1700000000', body, undefined)).toBe(false);
    expect(verifySignature(SECRET, 'abc', body, header)).toBe(false);
    expect(verifySignature(SECRET, '1700000000', body, header, { maxAgeSeconds: 300, nowSeconds: 1700000200 })).toBe(true);
    expect(verifySignature(SECRET, '1700000000', body, header, { maxAgeSeconds: 300, nowSeconds: 1700000400 })).toBe(false);
  });

  it('backs off 1 s, 2 s, 4 s … up to 5 minutes by default', () => {
    expect([1, 2, 3, 4, 9, 20].map((n) => retryDelay(WEBHOOK_DEFAULTS, n))).toEqual([1000, 2000, 4000, 8000, 256_000, 300_000]);
  });
});

describe('webhook deliveries', () => {
  it('POSTs a signed JSON payload with the event and delivery headers', async () => {
    const srv = await receiver((_p, _n, res) => res.writeHead(204).end());
    servers.push(srv);
    f = await alertFixture({ webhooks: FAST });
    f.alerts.start();
    const r = await ruleTo(`${srv.url}/hook`);
    expect(await f.alerts.observe(r.id, windowOf(1), 0.5)).toBe('fired');
    expect(await f.alerts.observe(r.id, windowOf(2), 0.0)).toBe('resolved');
    await eventually(async () => (await deliveryRows()).every((d) => d.status === 'delivered') && srv.received.length === 2, 10_000, 'two deliveries');

    const [fired, resolved] = [...srv.received].sort((a, b) => String(a.headers['x-steward-event']).localeCompare(String(b.headers['x-steward-event'])));
    expect(fired!.headers['x-steward-event']).toBe('alert.fired');
    expect(resolved!.headers['x-steward-event']).toBe('alert.resolved');
    for (const got of [fired!, resolved!]) {
      expect(got.path).toBe('/hook');
      expect(got.headers['content-type']).toBe('application/json');
      const ts = String(got.headers['x-steward-timestamp']);
      expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(60);
      const signature = String(got.headers['x-steward-signature']);
      expect(verifySignature(SECRET, ts, got.body, signature)).toBe(true);
      // The same check written out, independently of the module under test.
      const expected = 'sha256=' + createHmac('sha256', SECRET).update(ts + '.' + got.body, 'utf8').digest('hex');
      expect(signature).toBe(expected);
      expect(verifySignature('another-secret-of-some-length', ts, got.body, signature)).toBe(false);
      const payload = JSON.parse(got.body);
      expect(payload.delivery).toBe(got.headers['x-steward-delivery']);
      expect(payload).toMatchObject({ project: 'default', deployment: 'price', rule: { name: 'errors', metric: 'operations.errorRate', comparison: '>', threshold: 0.1 } });
      expect(got.body).not.toContain(SECRET);
    }
    expect(JSON.parse(fired!.body)).toMatchObject({ event: 'alert.fired', state: 'firing', value: 0.5, window: windowOf(1) });
    expect(JSON.parse(resolved!.body)).toMatchObject({ event: 'alert.resolved', state: 'resolved', value: 0, window: windowOf(2) });
    const views = (await f.alerts.deliveries(undefined, 'price')).items;
    expect(views.map((d) => [d.event, d.status, d.attempts, d.lastStatus, d.lastError])).toEqual(
      expect.arrayContaining([
        ['alert.fired', 'delivered', 1, 204, null],
        ['alert.resolved', 'delivered', 1, 204, null],
      ]),
    );
    expect(views[0]!.log).toEqual([{ at: expect.any(String), status: 204, ms: expect.any(Number) }]);
  });

  it('retries a 500 and records both attempts once the endpoint answers 200', async () => {
    const srv = await receiver((_p, n, res) => res.writeHead(n === 1 ? 500 : 200).end(n === 1 ? 'boom' : 'ok'));
    servers.push(srv);
    f = await alertFixture({ webhooks: FAST });
    f.alerts.start();
    const r = await ruleTo(`${srv.url}/flaky`);
    await f.alerts.observe(r.id, windowOf(1), 1);
    const row = await eventually(async () => {
      const d = await deliveryTo(`${srv.url}/flaky`);
      return d?.status === 'delivered' ? d : undefined;
    });
    expect(row.attempts).toBe(2);
    expect(row.last_status).toBe(200);
    expect(row.last_error).toBeNull();
    expect(row.next_attempt_at).toBeNull();
    const log = JSON.parse(row.log);
    expect(log).toMatchObject([
      { status: 500, error: 'answered HTTP 500' },
      { status: 200 },
    ]);
    expect(log[1].error).toBeUndefined();
    // The retry waited at least the first back-off step.
    expect(Date.parse(log[1].at) - Date.parse(log[0].at)).toBeGreaterThanOrEqual(10);
    // Both attempts carried the same delivery id, each with a valid signature of its own timestamp.
    expect(srv.received).toHaveLength(2);
    expect(new Set(srv.received.map((x) => x.headers['x-steward-delivery'])).size).toBe(1);
    for (const x of srv.received) expect(verifySignature(SECRET, String(x.headers['x-steward-timestamp']), x.body, String(x.headers['x-steward-signature']))).toBe(true);
  });

  it('times out a hanging endpoint and retries it, while other deliveries go through meanwhile', async () => {
    const srv = await receiver((path, _n, res) => {
      if (path === '/ok') res.writeHead(200).end();
      // '/hang' never answers.
    });
    servers.push(srv);
    f = await alertFixture({ webhooks: { ...FAST, timeoutMs: 1000, maxAttempts: 2 } });
    f.alerts.start();
    const hang = await ruleTo(`${srv.url}/hang`, 'hang');
    const ok = await ruleTo(`${srv.url}/ok`, 'ok');
    const started = Date.now();
    expect(await f.alerts.observe(hang.id, windowOf(1), 1)).toBe('fired');
    await eventually(async () => srv.received.some((x) => x.path === '/hang'), 5_000, 'the hanging request');
    expect(await f.alerts.observe(ok.id, windowOf(1), 1)).toBe('fired');
    const delivered = await eventually(async () => {
      const d = await deliveryTo(`${srv.url}/ok`);
      return d?.status === 'delivered' ? d : undefined;
    });
    // Delivered while the hanging attempt was still waiting for its answer.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(delivered.attempts).toBe(1);
    expect((await deliveryTo(`${srv.url}/hang`))!.attempts).toBe(0);

    const failed = await eventually(async () => {
      const d = await deliveryTo(`${srv.url}/hang`);
      return d?.status === 'failed' ? d : undefined;
    });
    expect(failed.attempts).toBe(2);
    expect(failed.last_status).toBeNull();
    expect(failed.last_error).toBe('timed out after 1000 ms');
    const log = JSON.parse(failed.log) as { ms: number; error: string }[];
    expect(log.map((l) => l.error)).toEqual(['timed out after 1000 ms', 'timed out after 1000 ms']);
    for (const l of log) expect(l.ms).toBeGreaterThanOrEqual(990);
    expect(srv.received.filter((x) => x.path === '/hang')).toHaveLength(2);
  });

  it('sends at most four at once', async () => {
    const srv = await receiver(() => undefined); // nothing ever answers
    servers.push(srv);
    f = await alertFixture({ webhooks: { ...FAST, timeoutMs: 1500, maxAttempts: 1 } });
    f.alerts.start();
    for (let i = 0; i < 7; i++) {
      const r = await ruleTo(`${srv.url}/slow${i}`, `r${i}`);
      await f.alerts.observe(r.id, windowOf(1), 1);
    }
    await eventually(async () => srv.received.length >= 4, 5_000, 'four requests');
    await new Promise((r) => setTimeout(r, 150));
    expect(srv.open()).toBe(4);
    expect(f.alerts.deliverer.active).toBe(4);
    await eventually(async () => (await deliveryRows()).every((d) => d.status === 'failed'), 10_000, 'all failed');
    expect(srv.received).toHaveLength(7);
    // The fifth request starts only once one of the first four has timed out (1.5 s). The server's own
    // count of open connections is not used here: it sees an aborted request close a moment after the
    // client has already started the next one.
    const first = Math.min(...srv.received.slice(0, 4).map((r) => r.at));
    expect(srv.received[4]!.at - first).toBeGreaterThanOrEqual(1400);
  });

  it('gives up on a dead endpoint after the last attempt, backing off between attempts', async () => {
    // A port that was just free: connections are refused.
    const gone = await receiver(() => undefined);
    const deadUrl = `${gone.url}/dead`;
    await gone.close();
    f = await alertFixture({ webhooks: { ...FAST, maxAttempts: 4, baseDelayMs: 20 } });
    f.alerts.start();
    const r = await ruleTo(deadUrl);
    await f.alerts.observe(r.id, windowOf(1), 1);
    const failed = await eventually(async () => {
      const d = await deliveryTo(deadUrl);
      return d?.status === 'failed' ? d : undefined;
    });
    expect(failed.attempts).toBe(4);
    expect(failed.next_attempt_at).toBeNull();
    expect(failed.last_status).toBeNull();
    expect(failed.last_error).toMatch(/ECONNREFUSED|fetch failed/);
    const log = JSON.parse(failed.log) as { at: string; error?: string; status?: number }[];
    expect(log).toHaveLength(4);
    expect(log.every((l) => l.status === undefined && typeof l.error === 'string')).toBe(true);
    const gaps = log.slice(1).map((l, i) => Date.parse(l.at) - Date.parse(log[i]!.at));
    // 20, 40 and 80 ms between attempts, at least.
    expect(gaps[0]).toBeGreaterThanOrEqual(19);
    expect(gaps[1]).toBeGreaterThanOrEqual(39);
    expect(gaps[2]).toBeGreaterThanOrEqual(79);
    // Nothing more is tried once it has failed.
    await new Promise((res) => setTimeout(res, 200));
    expect((await deliveryTo(deadUrl))!.attempts).toBe(4);
  });

  it('stop() cuts an attempt short and hands the delivery back uncounted; start() sends it again', async () => {
    let hangFirst = true;
    const srv = await receiver((_p, _n, res) => {
      if (hangFirst) return;
      res.writeHead(200).end();
    });
    servers.push(srv);
    f = await alertFixture({ webhooks: { ...FAST, timeoutMs: 30_000 } });
    f.alerts.start();
    const r = await ruleTo(`${srv.url}/later`);
    await f.alerts.observe(r.id, windowOf(1), 1);
    await eventually(async () => srv.received.length === 1, 5_000, 'the first request');
    const t0 = Date.now();
    await f.alerts.stop();
    expect(Date.now() - t0).toBeLessThan(2_000);
    const back = (await deliveryTo(`${srv.url}/later`))!;
    expect(back).toMatchObject({ status: 'pending', attempts: 0, log: '[]' });
    expect(Date.parse(back.next_attempt_at!)).toBeLessThanOrEqual(Date.now());
    hangFirst = false;
    f.alerts.start();
    const done = await eventually(async () => {
      const d = await deliveryTo(`${srv.url}/later`);
      return d?.status === 'delivered' ? d : undefined;
    });
    expect(done.attempts).toBe(1);
  });

  it('observe never waits for an endpoint, even before the deliverer runs', async () => {
    const srv = await receiver(() => undefined);
    servers.push(srv);
    f = await alertFixture({ webhooks: { ...FAST, timeoutMs: 5_000 } });
    // Not started: rows are written and wait.
    const r = await ruleTo(`${srv.url}/x`);
    const t0 = Date.now();
    expect(await f.alerts.observe(r.id, windowOf(1), 1)).toBe('fired');
    expect(Date.now() - t0).toBeLessThan(1_000);
    await new Promise((res) => setTimeout(res, 100));
    expect(srv.received).toHaveLength(0);
    expect((await deliveryRows())[0]).toMatchObject({ status: 'pending', attempts: 0 });
  });
});
