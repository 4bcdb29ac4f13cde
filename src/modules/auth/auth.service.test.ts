import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase } from '../../db/database.js';
import { createMetadataStore, type MetadataStore } from '../../db/metadata-store.js';
import { systemClock } from '../../platform/clock.js';
import type { Principal } from '../../platform/principal.js';
import { AuthService } from './auth.service.js';

const ADMIN = 'stw_admin-token-0123456789';
let dir: string;
let store: MetadataStore;
let auth: AuthService;
let admin: Principal;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-auth-'));
  const database = await openDatabase({ kind: 'sqlite', file: join(dir, 'db') });
  await migrateToLatest(database);
  store = createMetadataStore(database);
  auth = new AuthService({ store, clock: systemClock });
  await auth.bootstrap(ADMIN);
  admin = await auth.authenticate(`Bearer ${ADMIN}`);
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('AuthService', () => {
  it('rejects a token at once after it is revoked, even when a check of it was in flight', async () => {
    const t = await auth.createToken(admin, { name: 'victim' });
    await Promise.all([auth.authenticate(`Bearer ${t.token}`), auth.revokeToken(admin, t.id)]);
    await expect(auth.authenticate(`Bearer ${t.token}`)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('applies a role change at once to a cached token', async () => {
    await auth.createUser(admin, { name: 'maria', role: 'user' });
    const t = await auth.createToken(admin, { user: 'maria' });
    expect((await auth.authenticate(`Bearer ${t.token}`)).role).toBe('user');
    await Promise.all([auth.authenticate(`Bearer ${t.token}`), auth.updateUser(admin, 'maria', { role: 'admin' })]);
    expect((await auth.authenticate(`Bearer ${t.token}`)).role).toBe('admin');
    await auth.updateUser(admin, 'maria', { disabled: true });
    await expect(auth.authenticate(`Bearer ${t.token}`)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('never leaves the store without an active admin, even when two admins demote each other at once', async () => {
    await auth.createUser(admin, { name: 'second', role: 'admin' });
    const results = await Promise.allSettled([auth.updateUser(admin, 'second', { role: 'user' }), auth.updateUser(admin, 'admin', { role: 'user' })]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ code: 'LAST_ADMIN' });
    const admins = (await auth.listUsers()).filter((u) => u.role === 'admin' && !u.disabled);
    expect(admins).toHaveLength(1);
    await expect(auth.updateUser(admin, admins[0]!.name, { disabled: true })).rejects.toMatchObject({ code: 'LAST_ADMIN' });
  });

  it('lets users manage only their own tokens unless they are admins', async () => {
    await auth.createUser(admin, { name: 'victor', role: 'user' });
    const own = await auth.createToken(admin, { user: 'victor' });
    const victor = await auth.authenticate(`Bearer ${own.token}`);
    await expect(auth.createToken(victor, { user: 'admin' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(auth.listTokens(victor, 'admin')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const adminToken = (await auth.listTokens(admin))[0]!;
    await expect(auth.revokeToken(victor, adminToken.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await auth.createToken(victor, {})).user).toBe('victor');
  });
});
