/**
 * The contract every MetadataStore backend must meet. Each backend's test file calls
 * metadataStoreContract() with a factory that returns a fresh, empty, migrated store; the suite closes
 * every store it opens. Tests go through the repository interfaces only, so the same expectations hold
 * for SQLite and PostgreSQL alike.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DomainEvent, StoredEvent } from '../modules/events/events.repository.js';
import type { AliasHistoryRow, AliasRow } from '../modules/models/aliases.repository.js';
import type { ModelListQuery, ModelOrderBy } from '../modules/models/models.repository.js';
import type { StageTransition, VersionListQuery } from '../modules/models/versions.repository.js';
import { newId } from '../platform/ids.js';
import { DEFAULT_PROJECT_ID, eventFor, iso, jobRow, modelRow, ms, projectRow, tokenRow, userRow, versionRow } from '../../test/support/rows.js';
import { isUniqueViolation } from './executor.js';
import { commentsRepositoryContract } from '../modules/comments/comments.repository.contract.js';
import { webhooksRepositoryContract } from '../modules/webhooks/webhooks.repository.contract.js';
import { cardsRepositoryContract } from '../modules/governance/cards/cards.repository.contract.js';
import { gatesRepositoryContract } from '../modules/governance/gates/gates.repository.contract.js';
import { governanceRepositoryContract } from '../modules/governance/governance.repository.contract.js';
import { auditContract } from '../modules/audit/audit.contract.js';
import { trackingRepositoryContract } from '../modules/tracking/tracking.repository.contract.js';
import { trainingRepositoryContract } from '../modules/training/training.repository.contract.js';
import type { MetadataStore } from './metadata-store.js';
import type { ModelRow, ModelVersionRow } from './schema.js';

/** Larger than any 32-bit integer: a value that only survives if int8 is read back as a number. */
const BIG_SIZE = 5_000_000_000;

async function failureOf(work: Promise<unknown>): Promise<unknown> {
  let resolved = false;
  const err = await work.then(
    () => {
      resolved = true;
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(resolved, 'expected the operation to fail').toBe(false);
  return err;
}

const SORT_COLUMN = { name: 'name', createdAt: 'created_at', updatedAt: 'updated_at' } as const;

/** The order the store must return: by the sort column, then by id, both in `direction`. */
function expectedOrder(rows: ModelRow[], orderBy: ModelOrderBy, direction: 'asc' | 'desc'): string[] {
  const col = SORT_COLUMN[orderBy];
  // Plain code-unit comparison: the byte-wise order both backends must use for names, times and ids.
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const sorted = [...rows].sort((a, b) => cmp(a[col], b[col]) || cmp(a.id, b.id));
  if (direction === 'desc') sorted.reverse();
  return sorted.map((r) => r.name);
}

export function metadataStoreContract(name: string, open: () => Promise<MetadataStore>): void {
  describe(`MetadataStore contract: ${name}`, () => {
    const opened: MetadataStore[] = [];
    const fresh = async () => {
      const store = await open();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      const stores = opened.splice(0);
      for (const s of stores) await s.close();
    });

    describe('store', () => {
      it('answers ping', async () => {
        const store = await fresh();
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('starts with only the default project', async () => {
        const store = await fresh();
        const all = await store.projects.list();
        expect(all.map((p) => p.name)).toEqual(['default']);
        const byName = await store.projects.getByName('default');
        expect(byName).toMatchObject({ id: DEFAULT_PROJECT_ID, name: 'default', created_by: 'system' });
        expect(await store.projects.getById(DEFAULT_PROJECT_ID)).toEqual(byName);
        expect(await store.users.count()).toBe(0);
        expect(await store.events.list({ after: 0, limit: 100 })).toEqual([]);
      });
    });

    describe('projects', () => {
      it('inserts projects and finds them by name and by id, listing by name', async () => {
        const store = await fresh();
        const zeta = projectRow('zeta', 1);
        const alpha = projectRow('alpha', 2);
        await store.projects.insert(zeta);
        await store.projects.insert(alpha);
        expect(await store.projects.getByName('zeta')).toEqual(zeta);
        expect(await store.projects.getById(alpha.id)).toEqual(alpha);
        expect(await store.projects.getByName('ZETA')).toBeUndefined();
        expect(await store.projects.getById(newId(ms(99)))).toBeUndefined();
        expect((await store.projects.list()).map((p) => p.name)).toEqual(['alpha', 'default', 'zeta']);
      });

      it('rejects a duplicate name or id as a unique violation and keeps the first row', async () => {
        const store = await fresh();
        const first = projectRow('research', 1);
        await store.projects.insert(first);
        const sameName = await failureOf(store.projects.insert(projectRow('research', 2)));
        expect(isUniqueViolation(sameName)).toBe(true);
        const sameId = await failureOf(store.projects.insert({ ...projectRow('other', 3), id: first.id }));
        expect(isUniqueViolation(sameId)).toBe(true);
        expect(await store.projects.getByName('research')).toEqual(first);
        expect(await store.projects.getByName('other')).toBeUndefined();
        expect(await store.projects.list()).toHaveLength(2);
      });
    });

    describe('users', () => {
      it('counts, inserts, finds, lists by name and updates users', async () => {
        const store = await fresh();
        expect(await store.users.count()).toBe(0);
        const zoe = userRow('zoe', 1, 'admin');
        const ada = userRow('ada', 2);
        await store.users.insert(zoe);
        await store.users.insert(ada);
        expect(await store.users.count()).toBe(2);
        expect(await store.users.getByName('ada')).toEqual(ada);
        expect(await store.users.getById(zoe.id)).toEqual(zoe);
        expect(await store.users.getByName('nobody')).toBeUndefined();
        expect(await store.users.getById(newId(ms(50)))).toBeUndefined();
        expect((await store.users.list()).map((u) => u.name)).toEqual(['ada', 'zoe']);

        await store.users.update(ada.id, { role: 'maintainer' });
        expect(await store.users.getById(ada.id)).toEqual({ ...ada, role: 'maintainer' });
        await store.users.update(ada.id, { disabled: 1 });
        expect(await store.users.getById(ada.id)).toEqual({ ...ada, role: 'maintainer', disabled: 1 });
        expect(await store.users.getById(zoe.id)).toEqual(zoe);
      });

      it('counts and write-locks the active admins until the transaction ends', async () => {
        const store = await fresh();
        await store.users.insert(userRow('root', 1, 'admin'));
        await store.users.insert(userRow('other-admin', 2, 'admin'));
        const disabled = userRow('gone-admin', 3, 'admin');
        await store.users.insert({ ...disabled, disabled: 1 });
        await store.users.insert(userRow('viewer', 4, 'viewer'));
        expect(await store.users.lockActiveAdmins()).toBe(2);
        const order: string[] = [];
        let release!: () => void;
        const held = new Promise<void>((r) => (release = r));
        const first = store.transaction(async (tx) => {
          await tx.users.lockActiveAdmins();
          order.push('first locked');
          await held;
          const root = await tx.users.getByName('root');
          await tx.users.update(root!.id, { role: 'viewer' });
          order.push('first demoted root');
        });
        await new Promise((r) => setTimeout(r, 50));
        const second = store.transaction(async (tx) => {
          const n = await tx.users.lockActiveAdmins();
          order.push(`second locked and saw ${n}`);
        });
        await new Promise((r) => setTimeout(r, 100));
        release();
        await Promise.all([first, second]);
        expect(order).toEqual(['first locked', 'first demoted root', 'second locked and saw 1']);
        expect(await store.users.getByName('other-admin')).toMatchObject({ role: 'admin' });
      });

      it('rejects a duplicate user name as a unique violation', async () => {
        const store = await fresh();
        await store.users.insert(userRow('grace', 1));
        const err = await failureOf(store.users.insert(userRow('grace', 2)));
        expect(isUniqueViolation(err)).toBe(true);
        expect(await store.users.count()).toBe(1);
      });

      it('does not call other constraint failures unique violations', async () => {
        const store = await fresh();
        // A token for a user that does not exist breaks a foreign key, not a unique constraint.
        const err = await failureOf(store.tokens.insert(tokenRow(newId(ms(1)), 'orphan-hash')));
        expect(err).toBeInstanceOf(Error);
        expect(isUniqueViolation(err)).toBe(false);
        expect(await store.tokens.findByHash('orphan-hash')).toBeUndefined();
      });
    });

    describe('tokens', () => {
      it('finds a token with its user by hash, by id, and lists a user’s tokens oldest first', async () => {
        const store = await fresh();
        const alice = userRow('alice', 1, 'maintainer');
        const bob = userRow('bob', 2);
        await store.users.insert(alice);
        await store.users.insert(bob);
        const later = tokenRow(alice.id, 'hash-later', 20);
        const earlier = tokenRow(alice.id, 'hash-earlier', 10);
        const bobs = tokenRow(bob.id, 'hash-bob', 15);
        await store.tokens.insert(later);
        await store.tokens.insert(earlier);
        await store.tokens.insert(bobs);

        expect(await store.tokens.findByHash('hash-later')).toEqual({ token: later, user: alice });
        expect(await store.tokens.findByHash('hash-bob')).toEqual({ token: bobs, user: bob });
        expect(await store.tokens.findByHash('no-such-hash')).toBeUndefined();
        expect(await store.tokens.getById(earlier.id)).toEqual(earlier);
        expect(await store.tokens.getById(newId(ms(99)))).toBeUndefined();
        expect((await store.tokens.listForUser(alice.id)).map((t) => t.token_hash)).toEqual(['hash-earlier', 'hash-later']);
        expect((await store.tokens.listForUser(bob.id)).map((t) => t.token_hash)).toEqual(['hash-bob']);
        expect(await store.tokens.listForUser(newId(ms(98)))).toEqual([]);
      });

      it('rejects a duplicate token hash as a unique violation', async () => {
        const store = await fresh();
        const u = userRow('carol', 1);
        await store.users.insert(u);
        await store.tokens.insert(tokenRow(u.id, 'same-hash', 1));
        const err = await failureOf(store.tokens.insert(tokenRow(u.id, 'same-hash', 2)));
        expect(isUniqueViolation(err)).toBe(true);
        expect(await store.tokens.listForUser(u.id)).toHaveLength(1);
      });

      it('revokes idempotently, keeping the first revocation time, and records use', async () => {
        const store = await fresh();
        const u = userRow('dave', 1);
        await store.users.insert(u);
        const t = tokenRow(u.id, 'dave-hash', 1);
        const other = tokenRow(u.id, 'dave-other', 2);
        await store.tokens.insert(t);
        await store.tokens.insert(other);

        await store.tokens.revoke(t.id, iso(100));
        expect((await store.tokens.getById(t.id))?.revoked_at).toBe(iso(100));
        await store.tokens.revoke(t.id, iso(200));
        expect((await store.tokens.getById(t.id))?.revoked_at).toBe(iso(100));
        await expect(store.tokens.revoke(newId(ms(300)), iso(300))).resolves.toBeUndefined();
        expect(await store.tokens.getById(other.id)).toEqual(other);

        await store.tokens.touch(other.id, iso(150));
        expect((await store.tokens.getById(other.id))?.last_used_at).toBe(iso(150));
        await store.tokens.touch(other.id, iso(160));
        expect(await store.tokens.getById(other.id)).toEqual({ ...other, last_used_at: iso(160) });
        expect((await store.tokens.getById(t.id))?.last_used_at).toBeNull();
      });
    });

    describe('models', () => {
      it('inserts and gets models by project and name', async () => {
        const store = await fresh();
        const research = projectRow('research', 1);
        await store.projects.insert(research);
        const here = modelRow('churn', { created: 1 });
        const there = modelRow('churn', { projectId: research.id, created: 2 });
        await store.models.insert(here);
        await store.models.insert(there);
        expect(await store.models.get(DEFAULT_PROJECT_ID, 'churn')).toEqual(here);
        expect(await store.models.get(research.id, 'churn')).toEqual(there);
        expect(await store.models.get(DEFAULT_PROJECT_ID, 'Churn')).toBeUndefined();
        expect(await store.models.get(research.id, 'fraud')).toBeUndefined();
        expect(await store.models.getByNames('research', 'churn')).toEqual({ project: research, model: there });
        expect((await store.models.getByNames('default', 'churn'))?.model).toEqual(here);
        expect(await store.models.getByNames('research', 'fraud')).toBeUndefined();
        expect(await store.models.getByNames('nowhere', 'churn')).toBeUndefined();
      });

      it('rejects a duplicate name in the same project as a unique violation', async () => {
        const store = await fresh();
        const first = modelRow('fraud', { created: 1 });
        await store.models.insert(first);
        const err = await failureOf(store.models.insert(modelRow('fraud', { created: 2 })));
        expect(isUniqueViolation(err)).toBe(true);
        expect(await store.models.get(DEFAULT_PROJECT_ID, 'fraud')).toEqual(first);
      });

      it('updates only the given fields of only the given model', async () => {
        const store = await fresh();
        const a = modelRow('model-a', { created: 1 });
        const b = modelRow('model-b', { created: 2 });
        await store.models.insert(a);
        await store.models.insert(b);
        await store.models.update(a.id, { description: 'new words', updated_at: iso(10), updated_by: 'editor' });
        const expectedA = { ...a, description: 'new words', updated_at: iso(10), updated_by: 'editor' };
        expect(await store.models.get(DEFAULT_PROJECT_ID, 'model-a')).toEqual(expectedA);
        await store.models.update(a.id, { owner: 'owner-2' });
        expect(await store.models.get(DEFAULT_PROJECT_ID, 'model-a')).toEqual({ ...expectedA, owner: 'owner-2' });
        await store.models.update(a.id, {});
        expect(await store.models.get(DEFAULT_PROJECT_ID, 'model-a')).toEqual({ ...expectedA, owner: 'owner-2' });
        expect(await store.models.get(DEFAULT_PROJECT_ID, 'model-b')).toEqual(b);
      });

      it('allocates version numbers 1, 2, 3 per model', async () => {
        const store = await fresh();
        const a = modelRow('alloc-a', { created: 1 });
        const b = modelRow('alloc-b', { created: 2 });
        await store.models.insert(a);
        await store.models.insert(b);
        expect(await store.models.allocateVersion(a.id)).toBe(1);
        expect(await store.models.allocateVersion(a.id)).toBe(2);
        expect(await store.models.allocateVersion(b.id)).toBe(1);
        expect(await store.models.allocateVersion(a.id)).toBe(3);
        expect((await store.models.get(DEFAULT_PROJECT_ID, 'alloc-a'))?.last_version).toBe(3);
        expect((await store.models.get(DEFAULT_PROJECT_ID, 'alloc-b'))?.last_version).toBe(1);
      });

      it('rejects allocating a version of a model that does not exist', async () => {
        const store = await fresh();
        const err = await failureOf(store.models.allocateVersion(newId(ms(5))));
        expect(err).toBeInstanceOf(Error);
      });

      it('hands out distinct consecutive numbers to 20 concurrent transactions', async () => {
        const store = await fresh();
        const m = modelRow('contended', { created: 1 });
        await store.models.insert(m);
        const numbers = await Promise.all(Array.from({ length: 20 }, () => store.transaction((tx) => tx.models.allocateVersion(m.id))));
        expect([...numbers].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        expect((await store.models.get(DEFAULT_PROJECT_ID, 'contended'))?.last_version).toBe(20);
      });

      it('sets, overwrites and removes tags, per model', async () => {
        const store = await fresh();
        const a = modelRow('tagged-a', { created: 1 });
        const b = modelRow('tagged-b', { created: 2 });
        const bare = modelRow('untagged', { created: 3 });
        for (const m of [a, b, bare]) await store.models.insert(m);
        await store.models.changeTags(a.id, { team: 'risk', tier: 'gold', region: 'eu' });
        await store.models.changeTags(b.id, { team: 'growth' });
        await store.models.changeTags(a.id, { tier: 'silver', region: null, absent: null });

        const tags = await store.models.tags([a.id, b.id, bare.id]);
        expect(tags.get(a.id)).toEqual({ team: 'risk', tier: 'silver' });
        expect(tags.get(b.id)).toEqual({ team: 'growth' });
        expect(tags.get(bare.id)).toEqual({});
        expect([...tags.keys()].sort()).toEqual([a.id, b.id, bare.id].sort());
        expect((await store.models.tags([])).size).toBe(0);
      });
    });

    describe('transactions', () => {
      it('commits the work and returns its result', async () => {
        const store = await fresh();
        const m = modelRow('committed', { created: 1 });
        const result = await store.transaction(async (tx) => {
          await tx.models.insert(m);
          await tx.events.append(eventFor(1, 'model', m.id));
          return 'done';
        });
        expect(result).toBe('done');
        expect(await store.models.get(DEFAULT_PROJECT_ID, 'committed')).toEqual(m);
        expect((await store.events.list({ after: 0, limit: 10 })).map((e) => e.entityId)).toEqual([m.id]);
      });

      it('rolls back both the change and its event when the work throws', async () => {
        const store = await fresh();
        const existing = modelRow('existing', { created: 1 });
        await store.models.insert(existing);
        const doomed = modelRow('doomed', { created: 2 });
        let seenInside: ModelRow | undefined;
        const err = await failureOf(
          store.transaction(async (tx) => {
            await tx.models.insert(doomed);
            await tx.models.allocateVersion(existing.id);
            await tx.events.append(eventFor(2, 'model', doomed.id));
            seenInside = await tx.models.get(DEFAULT_PROJECT_ID, 'doomed');
            throw new Error('changed my mind');
          }),
        );
        expect((err as Error).message).toBe('changed my mind');
        expect(seenInside).toEqual(doomed);
        expect(await store.models.get(DEFAULT_PROJECT_ID, 'doomed')).toBeUndefined();
        expect((await store.models.get(DEFAULT_PROJECT_ID, 'existing'))?.last_version).toBe(0);
        expect(await store.events.list({ after: 0, limit: 10 })).toEqual([]);
      });
    });

    describe('model list', () => {
      /**
       * Names chosen so that byte order differs from dictionary order (capitals, '-', '.', '_'), with two
       * models sharing a creation time and two sharing an update time, so the id tie-break matters.
       */
      async function seedModels(store: MetadataStore) {
        const other = projectRow('elsewhere', 1);
        await store.projects.insert(other);
        const rows = [
          modelRow('alpha', { created: 30, updated: 31 }),
          modelRow('Beta', { created: 10, updated: 90 }),
          modelRow('gamma_1', { created: 20, updated: 40 }),
          modelRow('gamma-2', { created: 20, updated: 40 }),
          modelRow('gamma.3', { created: 50, updated: 60 }),
          modelRow('100%_sure', { created: 5, updated: 70 }),
          modelRow('zulu', { created: 40, updated: 45 }),
        ];
        for (const r of rows) await store.models.insert(r);
        await store.models.insert(modelRow('alpha', { projectId: other.id, created: 1 }));
        await store.models.insert(modelRow('alpha-elsewhere', { projectId: other.id, created: 2 }));
        const byName = new Map(rows.map((r) => [r.name, r]));
        const id = (n: string) => byName.get(n)!.id;

        await store.models.changeTags(id('alpha'), { team: 'risk', tier: 'gold' });
        await store.models.changeTags(id('Beta'), { team: 'risk', tier: 'silver' });
        await store.models.changeTags(id('zulu'), { team: 'growth' });
        await store.versions.insert(versionRow(id('alpha'), 1, { stage: 'Production' }));
        await store.versions.insert(versionRow(id('alpha'), 2, { stage: 'Staging' }));
        await store.versions.insert(versionRow(id('gamma_1'), 1, { stage: 'Staging' }));
        await store.versions.insert(versionRow(id('zulu'), 1, { stage: 'Archived' }));
        await store.aliases.upsert({ model_id: id('Beta'), alias: 'champion', version: 1, updated_at: iso(5), updated_by: 'x' });
        await store.aliases.upsert({ model_id: id('zulu'), alias: 'champion', version: 1, updated_at: iso(5), updated_by: 'x' });
        await store.aliases.upsert({ model_id: id('alpha'), alias: 'challenger', version: 2, updated_at: iso(5), updated_by: 'x' });
        return { rows, other };
      }

      const list = (store: MetadataStore, q: Partial<ModelListQuery> = {}) =>
        store.models.list({ projectId: DEFAULT_PROJECT_ID, orderBy: 'name', direction: 'asc', limit: 100, ...q });
      const names = async (p: Promise<ModelRow[]>) => (await p).map((m) => m.name);

      it('lists the models of one project only, full rows, up to the limit', async () => {
        const store = await fresh();
        const { rows, other } = await seedModels(store);
        const all = await list(store);
        expect(all).toHaveLength(rows.length);
        expect(all.find((m) => m.name === 'zulu')).toEqual(rows.find((r) => r.name === 'zulu'));
        expect(await names(list(store, { projectId: other.id }))).toEqual(['alpha', 'alpha-elsewhere']);
        expect(await list(store, { limit: 3 })).toHaveLength(3);
      });

      it('filters by name case-insensitively, treating % and _ literally', async () => {
        const store = await fresh();
        await seedModels(store);
        expect(await names(list(store, { nameContains: 'ALP' }))).toEqual(['alpha']);
        expect(await names(list(store, { nameContains: 'beta' }))).toEqual(['Beta']);
        expect(await names(list(store, { nameContains: 'GaMmA' }))).toEqual(['gamma-2', 'gamma.3', 'gamma_1']);
        expect(await names(list(store, { nameContains: '%' }))).toEqual(['100%_sure']);
        expect(await names(list(store, { nameContains: '_' }))).toEqual(['100%_sure', 'gamma_1']);
        expect(await names(list(store, { nameContains: 'a_' }))).toEqual(['gamma_1']);
        expect(await names(list(store, { nameContains: '%_' }))).toEqual(['100%_sure']);
        expect(await names(list(store, { nameContains: '\\' }))).toEqual([]);
        expect(await names(list(store, { nameContains: 'nothing-like-this' }))).toEqual([]);
      });

      it('filters by tag key, by key=value, and by several tags at once', async () => {
        const store = await fresh();
        await seedModels(store);
        expect(await names(list(store, { tags: [{ key: 'team' }] }))).toEqual(['Beta', 'alpha', 'zulu']);
        expect(await names(list(store, { tags: [{ key: 'team', value: 'risk' }] }))).toEqual(['Beta', 'alpha']);
        expect(await names(list(store, { tags: [{ key: 'team', value: 'risk' }, { key: 'tier', value: 'gold' }] }))).toEqual(['alpha']);
        expect(await names(list(store, { tags: [{ key: 'team', value: 'growth' }, { key: 'tier' }] }))).toEqual([]);
        expect(await names(list(store, { tags: [{ key: 'risk' }] }))).toEqual([]);
      });

      it('filters by a stage any version is in, and by alias', async () => {
        const store = await fresh();
        await seedModels(store);
        expect(await names(list(store, { stage: 'Staging' }))).toEqual(['alpha', 'gamma_1']);
        expect(await names(list(store, { stage: 'Production' }))).toEqual(['alpha']);
        expect(await names(list(store, { stage: 'None' }))).toEqual([]);
        expect(await names(list(store, { alias: 'champion' }))).toEqual(['Beta', 'zulu']);
        expect(await names(list(store, { alias: 'challenger' }))).toEqual(['alpha']);
        expect(await names(list(store, { alias: 'missing' }))).toEqual([]);
        expect(await names(list(store, { alias: 'champion', tags: [{ key: 'team', value: 'growth' }] }))).toEqual(['zulu']);
        expect(await names(list(store, { stage: 'Staging', nameContains: 'GAMMA' }))).toEqual(['gamma_1']);
      });

      for (const orderBy of ['name', 'createdAt', 'updatedAt'] as const) {
        for (const direction of ['asc', 'desc'] as const) {
          it(`orders by ${orderBy} ${direction} (ties by id) and pages with 'after' giving every row once`, async () => {
            const store = await fresh();
            const { rows } = await seedModels(store);
            const want = expectedOrder(rows, orderBy, direction);
            expect(await names(list(store, { orderBy, direction }))).toEqual(want);

            const col = SORT_COLUMN[orderBy];
            const seen: string[] = [];
            let after: ModelListQuery['after'];
            for (let page = 0; page < 10; page++) {
              const got = await list(store, { orderBy, direction, limit: 2, after });
              expect(got.length).toBeLessThanOrEqual(2);
              seen.push(...got.map((m) => m.name));
              const last = got[got.length - 1];
              if (got.length < 2 || !last) break;
              after = { value: last[col], id: last.id };
            }
            expect(seen).toEqual(want);
          });
        }
      }

      it('pages through a filtered list', async () => {
        const store = await fresh();
        await seedModels(store);
        const first = await list(store, { tags: [{ key: 'team' }], limit: 2 });
        expect(first.map((m) => m.name)).toEqual(['Beta', 'alpha']);
        const last = first[1]!;
        expect(await names(list(store, { tags: [{ key: 'team' }], limit: 2, after: { value: last.name, id: last.id } }))).toEqual(['zulu']);
      });
    });

    describe('versions', () => {
      async function seedModel(store: MetadataStore, modelName = 'versioned', created = 1) {
        const m = modelRow(modelName, { created });
        await store.models.insert(m);
        return m;
      }

      it('round-trips every column, including sizes above 2^32 as numbers', async () => {
        const store = await fresh();
        const m = await seedModel(store);
        const full = versionRow(m.id, 1, {
          status_message: 'loaded fine',
          artifact_size: BIG_SIZE,
          signature: '{"inputs":[]}',
          input_example: '[[1,2]]',
          metrics: '{"auc":0.91}',
          params: '{"depth":6}',
          source_run: 'run-7',
          dataset_version: 'ds@3',
          parent_version: 7,
          description: 'a big one',
          stage: 'Staging',
        });
        const sparse = versionRow(m.id, 2, { artifact_size: 2 ** 40 + 3 });
        await store.versions.insert(full);
        await store.versions.insert(sparse);

        const back = await store.versions.get(m.id, 1);
        expect(back).toEqual(full);
        expect(typeof back?.artifact_size).toBe('number');
        expect(back?.artifact_size).toBe(5_000_000_000);
        expect(await store.versions.get(m.id, 2)).toEqual(sparse);
        const listed = await store.versions.list({ modelId: m.id, direction: 'asc', limit: 10 });
        expect(listed.map((v) => v.artifact_size)).toEqual([BIG_SIZE, 2 ** 40 + 3]);
        expect(listed.map((v) => typeof v.version)).toEqual(['number', 'number']);
        expect(await store.versions.get(m.id, 3)).toBeUndefined();
      });

      it('finds a version with its model and project by names and number, in that project only', async () => {
        const store = await fresh();
        const research = projectRow('research', 1);
        await store.projects.insert(research);
        const here = await seedModel(store, 'shared-name');
        const there = modelRow('shared-name', { projectId: research.id, created: 2 });
        await store.models.insert(there);
        const v1 = versionRow(here.id, 1, { artifact_size: BIG_SIZE });
        const w1 = versionRow(there.id, 1, { description: 'research copy' });
        await store.versions.insert(v1);
        await store.versions.insert(w1);
        const defaultProject = await store.projects.getByName('default');
        expect(await store.versions.getByNames('default', 'shared-name', 1)).toEqual({ project: defaultProject, model: here, version: v1 });
        expect(await store.versions.getByNames('research', 'shared-name', 1)).toEqual({ project: research, model: there, version: w1 });
        expect(await store.versions.getByNames('research', 'shared-name', 2)).toBeUndefined();
        expect(await store.versions.getByNames('nowhere', 'shared-name', 1)).toBeUndefined();
        expect(await store.versions.getByNames('default', 'other', 1)).toBeUndefined();
      });

      it("gives a version's tags and the aliases pointing at it, and nothing of other versions", async () => {
        const store = await fresh();
        const m = await seedModel(store);
        const other = await seedModel(store, 'other-model', 2);
        const v1 = versionRow(m.id, 1);
        const v2 = versionRow(m.id, 2);
        const o1 = versionRow(other.id, 1);
        for (const v of [v1, v2, o1]) await store.versions.insert(v);
        await store.versions.changeTags(v1.id, { team: 'risk', data: 'v1' });
        await store.versions.changeTags(v2.id, { team: 'other' });
        await store.versions.changeTags(o1.id, { elsewhere: 'yes' });
        const alias = (model_id: string, name: string, version: number) => ({ model_id, alias: name, version, updated_at: iso(1), updated_by: 'x' });
        await store.aliases.upsert(alias(m.id, 'champion', 1));
        await store.aliases.upsert(alias(m.id, 'backup', 1));
        await store.aliases.upsert(alias(m.id, 'challenger', 2));
        await store.aliases.upsert(alias(other.id, 'champion', 1));
        expect(await store.versions.labels(v1)).toEqual({ tags: { data: 'v1', team: 'risk' }, aliases: ['backup', 'champion'] });
        expect(await store.versions.labels(v2)).toEqual({ tags: { team: 'other' }, aliases: ['challenger'] });
        expect(await store.versions.labels(versionRow(m.id, 3))).toEqual({ tags: {}, aliases: [] });
      });

      it('rejects a duplicate version number as a unique violation', async () => {
        const store = await fresh();
        const m = await seedModel(store);
        await store.versions.insert(versionRow(m.id, 1));
        const err = await failureOf(store.versions.insert({ ...versionRow(m.id, 1), id: newId(ms(77)) }));
        expect(isUniqueViolation(err)).toBe(true);
      });

      it('updates only the given fields of only the given version', async () => {
        const store = await fresh();
        const m = await seedModel(store);
        const v1 = versionRow(m.id, 1, { status: 'PENDING' });
        const v2 = versionRow(m.id, 2);
        await store.versions.insert(v1);
        await store.versions.insert(v2);
        await store.versions.update(v1.id, { status: 'FAILED', status_message: 'bad graph', updated_at: iso(9), updated_by: 'loader' });
        const expected = { ...v1, status: 'FAILED', status_message: 'bad graph', updated_at: iso(9), updated_by: 'loader' };
        expect(await store.versions.get(m.id, 1)).toEqual(expected);
        await store.versions.update(v1.id, {});
        expect(await store.versions.get(m.id, 1)).toEqual(expected);
        await store.versions.update(v1.id, { stage: 'Archived', description: 'gone' });
        expect(await store.versions.get(m.id, 1)).toEqual({ ...expected, stage: 'Archived', description: 'gone' });
        expect(await store.versions.get(m.id, 2)).toEqual(v2);
      });

      it('filters by status, stage and tags, orders both ways and pages with afterVersion', async () => {
        const store = await fresh();
        const m = await seedModel(store);
        const other = await seedModel(store, 'other-model', 2);
        const plan: [number, string, string][] = [
          [1, 'READY', 'Archived'],
          [2, 'READY', 'Production'],
          [3, 'FAILED', 'None'],
          [4, 'READY', 'Staging'],
          [5, 'PENDING', 'None'],
          [6, 'READY', 'Staging'],
          [7, 'READY', 'None'],
        ];
        const ids = new Map<number, string>();
        for (const [n, status, stage] of plan) {
          const v = versionRow(m.id, n, { status, stage });
          ids.set(n, v.id);
          await store.versions.insert(v);
        }
        await store.versions.insert(versionRow(other.id, 1, { stage: 'Staging' }));
        await store.versions.changeTags(ids.get(2)!, { approved: 'yes', dataset: 'q1' });
        await store.versions.changeTags(ids.get(4)!, { approved: 'no' });
        await store.versions.changeTags(ids.get(6)!, { approved: 'yes' });

        const nums = async (q: Partial<VersionListQuery>) =>
          (await store.versions.list({ modelId: m.id, direction: 'asc', limit: 100, ...q })).map((v) => v.version);

        expect(await nums({})).toEqual([1, 2, 3, 4, 5, 6, 7]);
        expect(await nums({ direction: 'desc' })).toEqual([7, 6, 5, 4, 3, 2, 1]);
        expect(await nums({ status: 'READY' })).toEqual([1, 2, 4, 6, 7]);
        expect(await nums({ stage: 'Staging' })).toEqual([4, 6]);
        expect(await nums({ status: 'READY', stage: 'None' })).toEqual([7]);
        expect(await nums({ tags: [{ key: 'approved' }] })).toEqual([2, 4, 6]);
        expect(await nums({ tags: [{ key: 'approved', value: 'yes' }] })).toEqual([2, 6]);
        expect(await nums({ tags: [{ key: 'approved', value: 'yes' }, { key: 'dataset' }] })).toEqual([2]);
        expect(await nums({ limit: 3 })).toEqual([1, 2, 3]);
        expect(await nums({ afterVersion: 3, limit: 2 })).toEqual([4, 5]);
        expect(await nums({ direction: 'desc', afterVersion: 3 })).toEqual([2, 1]);
        expect(await nums({ status: 'READY', direction: 'desc', afterVersion: 6, limit: 2 })).toEqual([4, 2]);
        expect(await nums({ afterVersion: 7 })).toEqual([]);

        for (const direction of ['asc', 'desc'] as const) {
          const seen: number[] = [];
          let afterVersion: number | undefined;
          for (let page = 0; page < 10; page++) {
            const got = await nums({ direction, limit: 3, afterVersion });
            seen.push(...got);
            if (got.length < 3) break;
            afterVersion = got[got.length - 1];
          }
          expect(seen).toEqual(direction === 'asc' ? [1, 2, 3, 4, 5, 6, 7] : [7, 6, 5, 4, 3, 2, 1]);
        }
      });

      it('lists the versions in a stage, oldest first', async () => {
        const store = await fresh();
        const m = await seedModel(store);
        const other = await seedModel(store, 'neighbour', 2);
        await store.versions.insert(versionRow(m.id, 3, { stage: 'Staging' }));
        await store.versions.insert(versionRow(m.id, 1, { stage: 'Staging' }));
        await store.versions.insert(versionRow(m.id, 2, { stage: 'Production' }));
        await store.versions.insert(versionRow(other.id, 1, { stage: 'Staging' }));
        expect((await store.versions.inStage(m.id, 'Staging')).map((v) => v.version)).toEqual([1, 3]);
        expect((await store.versions.inStage(m.id, 'Archived')).map((v) => v.version)).toEqual([]);
      });

      it('sets, overwrites and removes version tags, per version', async () => {
        const store = await fresh();
        const m = await seedModel(store);
        const v1 = versionRow(m.id, 1);
        const v2 = versionRow(m.id, 2);
        const v3 = versionRow(m.id, 3);
        for (const v of [v1, v2, v3]) await store.versions.insert(v);
        await store.versions.changeTags(v1.id, { a: '1', b: '2', c: '3' });
        await store.versions.changeTags(v2.id, { a: 'other' });
        await store.versions.changeTags(v1.id, { b: 'two', c: null, nope: null });
        const tags = await store.versions.tags([v1.id, v2.id, v3.id]);
        expect(tags.get(v1.id)).toEqual({ a: '1', b: 'two' });
        expect(tags.get(v2.id)).toEqual({ a: 'other' });
        expect(tags.get(v3.id)).toEqual({});
        expect((await store.versions.tags([])).size).toBe(0);
      });

      it('gives the newest READY version of each stage, for the models asked about', async () => {
        const store = await fresh();
        const a = await seedModel(store, 'model-a', 1);
        const b = await seedModel(store, 'model-b', 2);
        const c = await seedModel(store, 'model-c', 3);
        const plan: [ModelRow, number, string, string][] = [
          [a, 1, 'READY', 'Production'],
          [a, 2, 'READY', 'Production'],
          [a, 3, 'READY', 'Staging'],
          [a, 4, 'FAILED', 'Production'],
          [a, 5, 'READY', 'None'],
          [a, 6, 'PENDING', 'None'],
          [a, 7, 'READY', 'Archived'],
          [a, 8, 'READY', 'Staging'],
          [b, 1, 'READY', 'Production'],
          [b, 2, 'FAILED', 'Staging'],
          [c, 1, 'READY', 'Production'],
        ];
        for (const [m, n, status, stage] of plan) await store.versions.insert(versionRow(m.id, n, { status, stage }));

        const latest = await store.versions.latestPerStage([a.id, b.id]);
        const key = (v: ModelVersionRow) => `${v.model_id === a.id ? 'a' : v.model_id === b.id ? 'b' : '?'}:${v.stage}:${v.version}`;
        expect(latest.map(key).sort()).toEqual(['a:Archived:7', 'a:None:5', 'a:Production:2', 'a:Staging:8', 'b:Production:1']);
        expect(latest.every((v) => v.status === 'READY')).toBe(true);
        expect(await store.versions.latestPerStage([])).toEqual([]);
      });

      it('finds PENDING versions created strictly before a time, across models', async () => {
        const store = await fresh();
        const a = await seedModel(store, 'model-a', 1);
        const b = await seedModel(store, 'model-b', 2);
        await store.versions.insert(versionRow(a.id, 1, { status: 'PENDING', created_at: iso(100) }));
        await store.versions.insert(versionRow(a.id, 2, { status: 'READY', created_at: iso(101) }));
        await store.versions.insert(versionRow(a.id, 3, { status: 'PENDING', created_at: iso(300) }));
        await store.versions.insert(versionRow(b.id, 1, { status: 'PENDING', created_at: iso(150) }));
        await store.versions.insert(versionRow(b.id, 2, { status: 'FAILED', created_at: iso(120) }));
        await store.versions.insert(versionRow(b.id, 3, { status: 'PENDING', created_at: iso(200) }));

        const found = await store.versions.pendingBefore(iso(200));
        expect(found.map((v) => `${v.model_id === a.id ? 'a' : 'b'}${v.version}`).sort()).toEqual(['a1', 'b1']);
        expect(await store.versions.pendingBefore(iso(50))).toEqual([]);
        expect(await store.versions.pendingBefore(iso(1000))).toHaveLength(4);
      });

      it('records stage transitions and lists them in id (time) order, per version', async () => {
        const store = await fresh();
        const m = await seedModel(store);
        const v1 = versionRow(m.id, 1);
        const v2 = versionRow(m.id, 2);
        await store.versions.insert(v1);
        await store.versions.insert(v2);
        const t = (seconds: number, versionId: string, from: string, to: string): StageTransition => ({
          id: newId(ms(seconds)),
          version_id: versionId,
          from_stage: from,
          to_stage: to,
          comment: `${from} to ${to}`,
          at: iso(seconds),
          by: 'releaser',
        });
        const second = t(20, v1.id, 'Staging', 'Production');
        const first = t(10, v1.id, 'None', 'Staging');
        const third = t(30, v1.id, 'Production', 'Archived');
        const elsewhere = t(15, v2.id, 'None', 'Staging');
        for (const row of [second, third, first, elsewhere]) await store.versions.addTransition(row);
        expect(await store.versions.transitions(v1.id)).toEqual([first, second, third]);
        expect(await store.versions.transitions(v2.id)).toEqual([elsewhere]);
        expect(await store.versions.transitions(newId(ms(1)))).toEqual([]);
      });
    });

    describe('deployments', () => {
      const dep = (name: string, seconds: number) => ({
        id: newId(ms(seconds)),
        project_id: DEFAULT_PROJECT_ID,
        name,
        current_revision: 1,
        created_at: iso(seconds),
        created_by: 'maria',
        updated_at: iso(seconds),
        updated_by: 'maria',
      });
      const revision = (deploymentId: string, n: number, spec = `{"n":${n}}`) => ({
        id: newId(ms(100 + n)),
        deployment_id: deploymentId,
        revision: n,
        spec,
        cause: 'update',
        comment: `r${n}`,
        created_at: iso(100 + n),
        created_by: 'maria',
      });

      it('keeps deployments with their revisions, newest first, and lists the live spec of each', async () => {
        const store = await fresh();
        const a = dep('fraud', 1);
        const b = dep('churn', 2);
        await store.deployments.insert(a);
        await store.deployments.insert(b);
        await store.deployments.insertRevision(revision(a.id, 1));
        await store.deployments.insertRevision(revision(b.id, 1, '{"b":1}'));
        expect(await store.deployments.get(DEFAULT_PROJECT_ID, 'fraud')).toEqual(a);
        expect((await store.deployments.list(DEFAULT_PROJECT_ID)).map((d) => d.name)).toEqual(['churn', 'fraud']);
        expect(await store.deployments.advance(a.id, 1, 2, iso(50), 'victor')).toBe(true);
        await store.deployments.insertRevision(revision(a.id, 2));
        // A writer that read revision 1 cannot move it again.
        expect(await store.deployments.advance(a.id, 1, 2, iso(51), 'other')).toBe(false);
        expect(await failureOf(store.deployments.insertRevision(revision(a.id, 2)))).toSatisfy(isUniqueViolation);
        expect(await store.deployments.get(DEFAULT_PROJECT_ID, 'fraud')).toMatchObject({ current_revision: 2, updated_by: 'victor' });
        expect((await store.deployments.revisions(a.id)).map((r) => [r.revision, r.comment])).toEqual([
          [2, 'r2'],
          [1, 'r1'],
        ]);
        expect(await store.deployments.getRevision(a.id, 1)).toMatchObject({ spec: '{"n":1}' });
        const live = (await store.deployments.live()).sort((x, y) => (x.name < y.name ? -1 : 1));
        expect(live).toEqual([
          { id: b.id, project: 'default', name: 'churn', revision: 1, spec: '{"b":1}' },
          { id: a.id, project: 'default', name: 'fraud', revision: 2, spec: '{"n":2}' },
        ]);
        await store.deployments.delete(a.id);
        expect(await store.deployments.get(DEFAULT_PROJECT_ID, 'fraud')).toBeUndefined();
        expect(await store.deployments.revisions(a.id)).toEqual([]);
        expect((await store.deployments.live()).map((l) => l.name)).toEqual(['churn']);
      });

      it('finds the deployments that follow an alias', async () => {
        const store = await fresh();
        const m = modelRow('scorer', { created: 1 });
        await store.models.insert(m);
        const a = dep('one', 1);
        const b = dep('two', 2);
        await store.deployments.insert(a);
        await store.deployments.insert(b);
        await store.deployments.setBindings(a.id, [{ modelId: m.id, alias: 'champion' }, { modelId: m.id, alias: 'champion' }]);
        await store.deployments.setBindings(b.id, [{ modelId: m.id, alias: 'challenger' }]);
        expect((await store.deployments.boundTo(m.id, 'champion')).map((d) => d.name)).toEqual(['one']);
        await store.deployments.setBindings(b.id, [{ modelId: m.id, alias: 'champion' }]);
        expect((await store.deployments.boundTo(m.id, 'champion')).map((d) => d.name).sort()).toEqual(['one', 'two']);
        expect(await store.deployments.boundTo(m.id, 'challenger')).toEqual([]);
        await store.deployments.setBindings(a.id, []);
        expect((await store.deployments.boundTo(m.id, 'champion')).map((d) => d.name)).toEqual(['two']);
      });
    });

    describe('explanation reports', () => {
      it("keeps a version's reports newest first, updates them, and finds the newest succeeded one", async () => {
        const store = await fresh();
        const m = modelRow('scorer', { created: 1 });
        await store.models.insert(m);
        const v = versionRow(m.id, 1);
        await store.versions.insert(v);
        const ds = { id: newId(ms(2)), project_id: DEFAULT_PROJECT_ID, name: 'rows', description: '', last_version: 1, created_at: iso(2), created_by: 'd', updated_at: iso(2), updated_by: 'd' };
        await store.datasets.insert(ds);
        const dv = {
          id: newId(ms(3)), dataset_id: ds.id, version: 1, sha256: 'a'.repeat(64), source_format: 'csv', source_name: 'rows.csv', source_sha256: 'a'.repeat(64), source_size: 10,
          stored_sha256: 'b'.repeat(64), stored_size: 10, row_count: 3, schema: '[]', csv: null, source: null, derived_from: null, recipe: null, split: null, description: '',
          profile_status: 'READY', profile: null, profile_job_id: null, created_at: iso(3), created_by: 'd',
        };
        await store.datasets.insertVersion(dv as Parameters<typeof store.datasets.insertVersion>[0]);
        const report = (seconds: number) => ({
          id: newId(ms(seconds)), model_version_id: v.id, dataset_version_id: dv.id, status: 'QUEUED', params: '{"rows":10}', job_id: `job-${seconds}`,
          result_sha256: null, summary: null, error: null, created_at: iso(seconds), created_by: 'maria', finished_at: null,
        });
        const a = report(10);
        const b = report(20);
        await store.explanations.put(a);
        await store.explanations.put(b);
        expect((await store.explanations.byVersion(v.id, 10)).map((r) => r.id)).toEqual([b.id, a.id]);
        expect((await store.explanations.byVersion(v.id, 1)).map((r) => r.id)).toEqual([b.id]);
        expect(await store.explanations.latestSucceeded(v.id)).toBeUndefined();
        await store.explanations.update(a.id, { status: 'SUCCEEDED', result_sha256: 'c'.repeat(64), summary: '{"method":"tree"}', finished_at: iso(30) });
        await store.explanations.update(b.id, { status: 'FAILED', error: 'no rows' });
        expect(await store.explanations.get(a.id)).toEqual({ ...a, status: 'SUCCEEDED', result_sha256: 'c'.repeat(64), summary: '{"method":"tree"}', finished_at: iso(30) });
        expect((await store.explanations.latestSucceeded(v.id))?.id).toBe(a.id);
        expect(await store.explanations.get(b.id)).toMatchObject({ status: 'FAILED', error: 'no rows' });
        expect(await store.explanations.get('missing')).toBeUndefined();
        // A report must belong to a stored version.
        expect(await failureOf(store.explanations.put({ ...report(40), model_version_id: 'nope' }))).toBeTruthy();
      });
    });

    describe('aliases', () => {
      it('creates, moves, lists and deletes aliases', async () => {
        const store = await fresh();
        const a = modelRow('aliased-a', { created: 1 });
        const b = modelRow('aliased-b', { created: 2 });
        await store.models.insert(a);
        await store.models.insert(b);
        expect(await store.aliases.get(a.id, 'champion')).toBeUndefined();

        const champion: AliasRow = { model_id: a.id, alias: 'champion', version: 1, updated_at: iso(10), updated_by: 'u1' };
        await store.aliases.upsert(champion);
        expect(await store.aliases.get(a.id, 'champion')).toEqual(champion);
        const moved: AliasRow = { ...champion, version: 3, updated_at: iso(20), updated_by: 'u2' };
        await store.aliases.upsert(moved);
        expect(await store.aliases.get(a.id, 'champion')).toEqual(moved);

        const challenger: AliasRow = { model_id: a.id, alias: 'challenger', version: 2, updated_at: iso(11), updated_by: 'u1' };
        const bChampion: AliasRow = { model_id: b.id, alias: 'champion', version: 9, updated_at: iso(12), updated_by: 'u3' };
        await store.aliases.upsert(challenger);
        await store.aliases.upsert(bChampion);
        expect(await store.aliases.list([a.id])).toEqual([challenger, moved]);
        expect(await store.aliases.list([a.id, b.id])).toHaveLength(3);
        expect(await store.aliases.list([b.id])).toEqual([bChampion]);
        expect(await store.aliases.list([])).toEqual([]);

        await store.aliases.delete(a.id, 'champion');
        expect(await store.aliases.get(a.id, 'champion')).toBeUndefined();
        expect(await store.aliases.get(b.id, 'champion')).toEqual(bChampion);
        await expect(store.aliases.delete(a.id, 'champion')).resolves.toBeUndefined();
        expect(await store.aliases.list([a.id])).toEqual([challenger]);
      });

      it('keeps the history of alias moves in id (time) order, per model and alias', async () => {
        const store = await fresh();
        const a = modelRow('history-a', { created: 1 });
        const b = modelRow('history-b', { created: 2 });
        await store.models.insert(a);
        await store.models.insert(b);
        const h = (seconds: number, modelId: string, alias: string, from: number | null, to: number | null): AliasHistoryRow => ({
          id: newId(ms(seconds)),
          model_id: modelId,
          alias,
          from_version: from,
          to_version: to,
          at: iso(seconds),
          by: 'mover',
        });
        const set = h(10, a.id, 'champion', null, 1);
        const move = h(20, a.id, 'champion', 1, 2);
        const other = h(15, a.id, 'challenger', null, 3);
        const removed = h(30, a.id, 'champion', 2, null);
        const bSet = h(12, b.id, 'champion', null, 1);
        for (const row of [removed, bSet, move, set, other]) await store.aliases.addHistory(row);

        expect(await store.aliases.history(a.id)).toEqual([set, other, move, removed]);
        expect(await store.aliases.history(a.id, 'champion')).toEqual([set, move, removed]);
        expect(await store.aliases.history(b.id)).toEqual([bSet]);
        expect(await store.aliases.history(b.id, 'challenger')).toEqual([]);
      });
    });

    describe('jobs', () => {
      it('claims the oldest due job of the asked types, leasing it to one owner', async () => {
        const store = await fresh();
        const later = jobRow(50, { run_after: iso(500) });
        const other = jobRow(5, { type: 'other.job' });
        const second = jobRow(20);
        const first = jobRow(10);
        for (const j of [later, other, second, first]) await store.jobs.insert(j);
        expect(await store.jobs.claim('w1', iso(100), iso(160), [])).toBeUndefined();
        const got = await store.jobs.claim('w1', iso(100), iso(160), ['test.job']);
        expect(got).toMatchObject({ id: first.id, status: 'RUNNING', lease_owner: 'w1', lease_until: iso(160), attempts: 1, started_at: iso(100) });
        expect((await store.jobs.claim('w2', iso(101), iso(161), ['test.job']))?.id).toBe(second.id);
        expect(await store.jobs.claim('w3', iso(102), iso(162), ['test.job'])).toBeUndefined(); // `later` is not due
        expect((await store.jobs.claim('w3', iso(600), iso(660), ['test.job', 'other.job']))?.id).toBe(other.id);
      });

      it('gives a job whose lease ran out to another worker, and stops the old owner from finishing it', async () => {
        const store = await fresh();
        const j = jobRow(1);
        await store.jobs.insert(j);
        await store.jobs.claim('old', iso(10), iso(20), ['test.job']);
        expect(await store.jobs.claim('new', iso(15), iso(25), ['test.job'])).toBeUndefined();
        expect(await store.jobs.heartbeat(j.id, 'old', { leaseUntil: iso(30), progress: 0.5, message: 'half', now: iso(16) })).toBe(true);
        expect(await store.jobs.claim('new', iso(25), iso(35), ['test.job'])).toBeUndefined();
        const taken = await store.jobs.claim('new', iso(31), iso(41), ['test.job']);
        expect(taken).toMatchObject({ lease_owner: 'new', attempts: 2, progress: 0.5, progress_message: 'half', started_at: iso(10) });
        expect(await store.jobs.heartbeat(j.id, 'old', { leaseUntil: iso(50), progress: 0.9, message: 'x', now: iso(32) })).toBe(false);
        expect(await store.jobs.finish(j.id, 'old', { status: 'SUCCEEDED', result: '{}', now: iso(33) })).toBe(false);
        expect(await store.jobs.finish(j.id, 'new', { status: 'SUCCEEDED', result: '{"rows":3}', now: iso(34) })).toBe(true);
        expect(await store.jobs.get(j.id)).toMatchObject({ status: 'SUCCEEDED', result: '{"rows":3}', progress: 1, finished_at: iso(34), lease_owner: null });
        expect(await store.jobs.finish(j.id, 'new', { status: 'FAILED', error: 'late', now: iso(35) })).toBe(false);
      });

      it('queues a job again for a retry, due at the given time', async () => {
        const store = await fresh();
        const j = jobRow(1);
        await store.jobs.insert(j);
        await store.jobs.claim('w', iso(10), iso(20), ['test.job']);
        expect(await store.jobs.finish(j.id, 'w', { status: 'QUEUED', error: 'flaky', runAfter: iso(100), now: iso(11) })).toBe(true);
        expect(await store.jobs.get(j.id)).toMatchObject({ status: 'QUEUED', error: 'flaky', run_after: iso(100), finished_at: null, attempts: 1 });
        expect(await store.jobs.claim('w', iso(99), iso(120), ['test.job'])).toBeUndefined();
        expect(await store.jobs.claim('w', iso(100), iso(120), ['test.job'])).toMatchObject({ attempts: 2 });
      });

      it('hands each job to one claimer when many claim at once', async () => {
        const store = await fresh();
        const jobs = Array.from({ length: 6 }, (_, i) => jobRow(i + 1));
        for (const j of jobs) await store.jobs.insert(j);
        const claims = await Promise.all(Array.from({ length: 12 }, (_, i) => store.jobs.claim(`w${i}`, iso(100), iso(200), ['test.job'])));
        const ids = claims.filter((c) => c !== undefined).map((c) => c!.id);
        expect(ids.sort()).toEqual(jobs.map((j) => j.id).sort());
      });

      it('lists newest first with filters and keyset paging', async () => {
        const store = await fresh();
        const a = jobRow(1);
        const b = jobRow(2, { type: 'other.job' });
        const c = jobRow(3, { status: 'SUCCEEDED' });
        for (const j of [a, b, c]) await store.jobs.insert(j);
        expect((await store.jobs.list({ limit: 10 })).map((j) => j.id)).toEqual([c.id, b.id, a.id]);
        expect((await store.jobs.list({ limit: 10, status: 'QUEUED' })).map((j) => j.id)).toEqual([b.id, a.id]);
        expect((await store.jobs.list({ limit: 10, type: 'other.job' })).map((j) => j.id)).toEqual([b.id]);
        expect((await store.jobs.list({ limit: 1, beforeId: c.id })).map((j) => j.id)).toEqual([b.id]);
      });
    });

    describe('events', () => {
      async function seedEvents(store: MetadataStore) {
        const appended = [
          eventFor(1, 'model', 'm-1', { name: 'churn', nested: { list: [1, 'two', null], flag: true } }),
          eventFor(2, 'version', 'v-1', { version: 1 }),
          eventFor(3, 'model', 'm-2', {}, null),
          eventFor(4, 'model', 'm-1', { description: 'changed' }),
          eventFor(5, 'user', 'm-1', { role: 'admin' }),
          eventFor(6, 'version', 'v-2', { version: 2 }),
        ];
        for (const e of appended) await store.events.append(e);
        return appended;
      }
      const strip = (events: StoredEvent[]): DomainEvent[] => events.map(({ seq: _seq, ...rest }) => rest);

      it('appends events and lists them in order with increasing numeric seq and intact payloads', async () => {
        const store = await fresh();
        const appended = await seedEvents(store);
        const all = await store.events.list({ after: 0, limit: 100 });
        expect(strip(all)).toEqual(appended);
        for (const e of all) expect(typeof e.seq).toBe('number');
        for (let i = 1; i < all.length; i++) expect(all[i]!.seq).toBeGreaterThan(all[i - 1]!.seq);
        expect(all[0]!.seq).toBeGreaterThan(0);
      });

      it('lists after a seq, up to a limit, and pages through every event once', async () => {
        const store = await fresh();
        const appended = await seedEvents(store);
        const all = await store.events.list({ after: 0, limit: 100 });
        expect(strip(await store.events.list({ after: all[1]!.seq, limit: 100 }))).toEqual(appended.slice(2));
        expect(strip(await store.events.list({ after: 0, limit: 2 }))).toEqual(appended.slice(0, 2));
        expect(await store.events.list({ after: all[5]!.seq, limit: 10 })).toEqual([]);

        const seen: string[] = [];
        let after = 0;
        for (let page = 0; page < 10; page++) {
          const got = await store.events.list({ after, limit: 4 });
          seen.push(...got.map((e) => e.id));
          if (got.length < 4) break;
          after = got[got.length - 1]!.seq;
        }
        expect(seen).toEqual(appended.map((e) => e.id));
      });

      it('filters by entity type and entity id', async () => {
        const store = await fresh();
        const appended = await seedEvents(store);
        const ids = (events: StoredEvent[]) => events.map((e) => e.id);
        const pick = (...indexes: number[]) => indexes.map((i) => appended[i]!.id);
        expect(ids(await store.events.list({ after: 0, limit: 100, entityType: 'model' }))).toEqual(pick(0, 2, 3));
        expect(ids(await store.events.list({ after: 0, limit: 100, entityId: 'm-1' }))).toEqual(pick(0, 3, 4));
        expect(ids(await store.events.list({ after: 0, limit: 100, entityType: 'model', entityId: 'm-1' }))).toEqual(pick(0, 3));
        expect(ids(await store.events.list({ after: 0, limit: 1, entityType: 'version' }))).toEqual(pick(1));
        const firstVersion = (await store.events.list({ after: 0, limit: 1, entityType: 'version' }))[0]!;
        expect(ids(await store.events.list({ after: firstVersion.seq, limit: 100, entityType: 'version' }))).toEqual(pick(5));
        expect(await store.events.list({ after: 0, limit: 100, entityType: 'project' })).toEqual([]);
      });
    });

    // Feature repositories keep their contracts beside them; they run here on every backend.
    commentsRepositoryContract(fresh);
    webhooksRepositoryContract(fresh);
    cardsRepositoryContract(fresh);
    gatesRepositoryContract(fresh);
    trackingRepositoryContract(fresh);
    trainingRepositoryContract(fresh);
    governanceRepositoryContract(fresh);
    auditContract(fresh);
  });
}
