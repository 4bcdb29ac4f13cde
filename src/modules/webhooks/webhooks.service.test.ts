import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkEventPatterns, matchesEvent, WEBHOOK_EVENT_PREFIXES, WEBHOOK_EVENT_TYPES } from './webhook-events.js';
import { webhookFixture, type WebhookFixture } from './webhooks.test-support.js';

const SECRET = 'service-secret-0123456789';

/** The field a rejected call named, and its code. */
async function rejection(work: Promise<unknown>): Promise<{ code: string; field: string; message: string }> {
  const err = (await work.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  )) as { code: string; message: string; details?: { field?: string } };
  return { code: err.code, field: err.details?.field ?? '', message: err.message };
}

describe('event patterns', () => {
  it('lists every event under a known kind, with a description', () => {
    for (const [type, description] of Object.entries(WEBHOOK_EVENT_TYPES)) {
      expect(type).toMatch(/^[a-z_]+\.[a-z_]+$/);
      expect(WEBHOOK_EVENT_PREFIXES).toContain(type.split('.')[0]);
      expect(description.length).toBeGreaterThan(5);
    }
    for (const kind of ['model', 'model_version', 'model_alias', 'deployment', 'gate_run', 'promotion', 'policy', 'comment', 'alert', 'dataset', 'webhook']) expect(WEBHOOK_EVENT_PREFIXES).toContain(kind);
    expect(WEBHOOK_EVENT_PREFIXES).not.toContain('token');
    expect(WEBHOOK_EVENT_PREFIXES).not.toContain('user');
  });

  it('accepts *, kind.* and known types, and names the bad entry otherwise', () => {
    expect(checkEventPatterns('events', ['model_version.*', ' promotion.executed ', '*', 'model_version.*'])).toEqual(['model_version.*', 'promotion.executed', '*']);
    expect(() => checkEventPatterns('events', [])).toThrow(/^events: must name at least one/);
    expect(() => checkEventPatterns('events', 'model.*')).toThrow(/^events: must be an array/);
    expect(() => checkEventPatterns('events', ['model.*', 'nonsense.*'])).toThrow(/^events\[1\]: 'nonsense\.\*' is not a known kind of event/);
    expect(() => checkEventPatterns('events', ['model_version'])).toThrow(/^events\[0\]: 'model_version' needs an event after the kind: 'model_version\.\*'/);
    expect(() => checkEventPatterns('events', ['model_version.creatd'])).toThrow(/^events\[0\]: 'model_version\.creatd' is not a known event; model_version events are model_version\.created/);
    expect(() => checkEventPatterns('events', [3])).toThrow(/^events\[0\]: must be a string/);
    expect(() => checkEventPatterns('events', ['token.*'])).toThrow(/not a known kind/);
  });

  it('matches types by exact name, by kind and by *', () => {
    expect(matchesEvent(['model_version.*'], 'model_version.created')).toBe(true);
    expect(matchesEvent(['model.*'], 'model_version.created')).toBe(false);
    expect(matchesEvent(['model.*'], 'model.created')).toBe(true);
    expect(matchesEvent(['promotion.executed'], 'promotion.executed')).toBe(true);
    expect(matchesEvent(['promotion.executed'], 'promotion.requested')).toBe(false);
    expect(matchesEvent(['*'], 'comment.reacted')).toBe(true); // a new type of a known kind
    expect(matchesEvent(['*'], 'token.created')).toBe(false);
    expect(matchesEvent(['*'], 'job.succeeded')).toBe(false);
  });
});

describe('WebhooksService', () => {
  let f: WebhookFixture;
  beforeEach(async () => {
    f = await webhookFixture();
  });
  afterEach(async () => {
    await f.close();
  });

  it('creates a webhook, showing the secret only in the answer to its creation', async () => {
    const created = await f.webhooks.create(f.ada, f.defaultProject, { name: 'registry', url: 'https://hooks.example/steward?x=1', secret: SECRET, events: ['model_version.*', 'promotion.*'] });
    expect(created).toMatchObject({ project: 'default', name: 'registry', url: 'https://hooks.example/steward?x=1', events: ['model_version.*', 'promotion.*'], active: true, createdBy: 'ada', secret: SECRET });

    const generated = await f.webhooks.create(f.ada, f.defaultProject, { name: 'gen', url: 'http://127.0.0.1:9/', events: ['*'] });
    expect(generated.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);

    const one = await f.webhooks.get(created.id);
    const list = await f.webhooks.list(f.ada, f.defaultProject);
    const updated = await f.webhooks.update(f.ada, created.id, { name: 'renamed' });
    for (const view of [one, updated, ...list.items]) expect(view).not.toHaveProperty('secret');
    const { secret: _s, ...withoutSecret } = created;
    expect(one).toEqual(withoutSecret);
    expect(list.items.map((w) => w.name)).toEqual(['registry', 'gen']);
    // Nor does it appear in any event.
    const events = await f.store.events.list({ after: 0, limit: 1000, entityType: 'webhook' });
    expect(events.map((e) => e.type)).toEqual(['webhook.created', 'webhook.created', 'webhook.updated']);
    const text = JSON.stringify(events);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(generated.secret);
    // Events name the receiver by its origin only.
    expect(events[0]!.payload).toMatchObject({ webhook: 'registry', receiver: 'https://hooks.example', events: ['model_version.*', 'promotion.*'], active: true, allProjects: false });
    expect(text).not.toContain('/steward?x=1');
  });

  it('rejects bad input naming the field, and changes nothing', async () => {
    const good = { name: 'x', url: 'https://hooks.example/x', events: ['*'] };
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ ...good, url: 'ftp://hooks.example/x' }, 'url', /must use http or https, not ftp/],
      [{ ...good, url: 'hooks.example/x' }, 'url', /absolute http or https URL/],
      [{ ...good, url: 'https://user:pw@hooks.example/x' }, 'url', /must not contain a user name or password/],
      [{ ...good, url: 'https://token@hooks.example/x' }, 'url', /must not contain a user name or password/],
      [{ ...good, secret: 'short' }, 'secret', /16 to 256 characters/],
      [{ ...good, events: ['model.*', 'nope.*'] }, 'events[1]', /not a known kind/],
      [{ ...good, events: [] }, 'events', /at least one/],
      [{ ...good, name: '   ' }, 'name', /must not be empty/],
      [{ ...good, name: 'x'.repeat(101) }, 'name', /at most 100/],
      [{ ...good, active: 'yes' }, 'active', /true or false/],
    ];
    for (const [input, field, problem] of cases) {
      const r = await rejection(f.webhooks.create(f.ada, f.defaultProject, input as never));
      expect(r.field, JSON.stringify(input)).toBe(field);
      expect(r.message).toMatch(problem);
    }
    expect((await f.webhooks.list(f.root, f.defaultProject)).items).toEqual([]);
    expect(await f.store.events.list({ after: 0, limit: 10, entityType: 'webhook' })).toEqual([]);

    const w = await f.webhooks.create(f.ada, f.defaultProject, good);
    expect((await rejection(f.webhooks.update(f.ada, w.id, { url: 'javascript:alert(1)' }))).field).toBe('url');
    expect((await rejection(f.webhooks.update(f.ada, w.id, { events: ['model_version.nope'] }))).field).toBe('events[0]');
    expect((await rejection(f.webhooks.update(f.ada, w.id, { secret: 'x' }))).field).toBe('secret');
    expect(await f.webhooks.get(w.id)).toMatchObject({ url: 'https://hooks.example/x', events: ['*'] });
  });

  it('keeps webhooks of every project for platform admins', async () => {
    const r = await rejection(f.webhooks.create(f.ada, f.defaultProject, { name: 'all', url: 'https://h.example/', events: ['*'], allProjects: true }));
    expect(r.code).toBe('FORBIDDEN');
    const all = await f.webhooks.create(f.root, f.defaultProject, { name: 'all', url: 'https://h.example/', events: ['*'], allProjects: true });
    expect(all.project).toBeNull();
    expect(await f.webhooks.ownerOf(all.id)).toEqual({ projectId: null });
    await f.webhooks.create(f.ada, f.fraud, { name: 'fraud', url: 'https://h.example/f', events: ['*'] });
    // A project admin sees the project's own; a platform admin also sees those of every project.
    expect((await f.webhooks.list(f.ada, f.defaultProject)).items).toEqual([]);
    expect((await f.webhooks.list(f.root, f.defaultProject)).items.map((w) => [w.name, w.project])).toEqual([['all', null]]);
    expect((await f.webhooks.list(f.ada, f.fraud)).items.map((w) => [w.name, w.project])).toEqual([['fraud', 'fraud']]);
  });

  it('records before and after on update, rotates the secret, and deletes with the delivery log', async () => {
    const w = await f.webhooks.create(f.ada, f.defaultProject, { name: 'w', url: 'https://h.example/a', secret: SECRET, events: ['model.*'] });
    const after = await f.webhooks.update(f.ada, w.id, { events: ['deployment.*'], active: false, secret: 'a-brand-new-secret-0123' });
    expect(after).toMatchObject({ events: ['deployment.*'], active: false });
    expect((await f.store.webhooks.get(w.id))!.secret).toBe('a-brand-new-secret-0123');
    const [, updated] = await f.store.events.list({ after: 0, limit: 10, entityType: 'webhook' });
    expect(updated!.payload).toMatchObject({ before: { events: ['model.*'], active: true }, after: { events: ['deployment.*'], active: false }, secretChanged: true });
    expect(JSON.stringify(updated)).not.toContain('a-brand-new-secret');

    await f.webhooks.update(f.ada, w.id, { active: true });
    const test = await f.webhooks.test(f.ada, w.id);
    expect((await f.store.webhooks.getDelivery(test.id))?.webhook_id).toBe(w.id);
    await f.webhooks.remove(f.ada, w.id);
    await expect(f.webhooks.get(w.id)).rejects.toMatchObject({ code: 'WEBHOOK_NOT_FOUND' });
    expect(await f.store.webhooks.getDelivery(test.id)).toBeUndefined();
    await expect(f.webhooks.remove(f.ada, w.id)).rejects.toMatchObject({ code: 'WEBHOOK_NOT_FOUND' });
    const types = (await f.store.events.list({ after: 0, limit: 10, entityType: 'webhook' })).map((e) => e.type);
    expect(types).toEqual(['webhook.created', 'webhook.updated', 'webhook.updated', 'webhook.test', 'webhook.deleted']);
  });

  it('pages the delivery log newest first', async () => {
    const w = await f.webhooks.create(f.ada, f.defaultProject, { name: 'w', url: 'https://h.example/a', events: ['*'] });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await f.webhooks.test(f.ada, w.id)).id);
    const first = await f.webhooks.deliveries(w.id, { limit: 2 });
    expect(first.items.map((d) => d.id)).toEqual([ids[4], ids[3]]);
    const second = await f.webhooks.deliveries(w.id, { limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((d) => d.id)).toEqual([ids[2], ids[1]]);
    const last = await f.webhooks.deliveries(w.id, { limit: 2, cursor: second.nextCursor! });
    expect(last).toEqual({ items: [expect.objectContaining({ id: ids[0], event: 'webhook.test', status: 'pending' })], nextCursor: null });
    expect((await rejection(f.webhooks.deliveries(w.id, { cursor: 'garbage' }))).code).toBe('INVALID_CURSOR');
    expect((await rejection(f.webhooks.deliveries(w.id, { limit: 0 }))).field).toBe('limit');
    await expect(f.webhooks.redeliver(f.ada, w.id, ids[0]!)).rejects.toMatchObject({ code: 'WEBHOOK_DELIVERY_PENDING' });
  });
});

describe('the event list', () => {
  it('names every event type the code appends, except the undelivered kinds', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { UNDELIVERED_EVENT_KINDS } = await import('./webhook-events.js');
    const root = join(import.meta.dirname, '..');
    const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.includes('test-support'));
    const found = new Set<string>();
    for (const f of files) {
      const text = await readFile(join(root, f), 'utf8');
      // domainEvent(clock, actor, 'kind.verb', …), with the type possibly chosen by a ternary or a constant map.
      for (const call of text.matchAll(/domainEvent\(([^;]*?)\{/gs)) for (const m of call[1]!.matchAll(/'([a-z_]+\.[a-z_]+)'/g)) found.add(m[1]!);
    }
    found.add('alert.fired').add('alert.resolved'); // through the alerts service's EVENT_NAMES
    expect(found.size).toBeGreaterThan(40);
    const missing = [...found].filter((t) => !Object.hasOwn(WEBHOOK_EVENT_TYPES, t) && !UNDELIVERED_EVENT_KINDS.includes(t.split('.')[0]!));
    expect(missing, 'add these to WEBHOOK_EVENT_TYPES in src/modules/webhooks/webhook-events.ts (or to UNDELIVERED_EVENT_KINDS)').toEqual([]);
  });
});
