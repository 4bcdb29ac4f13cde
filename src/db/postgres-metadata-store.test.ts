/**
 * The metadata store contract on PostgreSQL. Set STEWARD_TEST_POSTGRES_URL to a database whose role may
 * create databases (`.ci/start-postgres.sh` sets one up and prints the export line). Every store the
 * contract opens lives in a database of its own, created for it and dropped when it is closed, so runs
 * never see each other's rows.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase, type Database, type OpenOptions } from './database.js';
import { metadataStoreContract } from './metadata-store.contract.js';
import { allMigrations } from './migrations/index.js';
import { createMetadataStore, type MetadataStore } from './metadata-store.js';
import { admin, closeAdmin, createDatabase, dropDatabase, inCi, MISSING_IN_CI, postgresUrl } from '../../test/support/postgres.js';

const url = postgresUrl;

async function openFresh(baseUrl: string, options: OpenOptions = {}): Promise<{ database: Database; dispose: () => Promise<void> }> {
  const { name, url: dbUrl } = await createDatabase(baseUrl);
  const database = await openDatabase({ kind: 'postgres', url: dbUrl }, options);
  const dispose = async () => {
    await database.close();
    await dropDatabase(baseUrl, name);
  };
  try {
    await migrateToLatest(database);
  } catch (err) {
    await dispose();
    throw err;
  }
  return { database, dispose };
}

async function freshPostgresStore(baseUrl: string): Promise<MetadataStore> {
  const { database, dispose } = await openFresh(baseUrl);
  return { ...createMetadataStore(database), close: dispose };
}

if (url !== undefined) {
  afterAll(closeAdmin);

  metadataStoreContract('PostgreSQL', () => freshPostgresStore(url));

  describe('PostgreSQL store specifics', () => {
    it('reports the postgres dialect and describes itself without credentials', async () => {
      const store = await freshPostgresStore(url);
      try {
        expect(store.dialect).toBe('postgres');
        expect(store.describe).toMatch(/^postgres:\/\/[^@/]+\/steward_test_[0-9a-f]{12}$/);
      } finally {
        await store.close();
      }
    });

    it('applies the migrations once', async () => {
      const { name, url: dbUrl } = await createDatabase(url);
      const database = await openDatabase({ kind: 'postgres', url: dbUrl });
      try {
        expect(await migrateToLatest(database)).toEqual(Object.keys(allMigrations('postgres')));
        expect(await migrateToLatest(database)).toEqual([]);
      } finally {
        await database.close();
        await dropDatabase(url, name);
      }
    });

    it('survives the server closing its idle connections, and says so', async () => {
      const closed: Error[] = [];
      const { database, dispose } = await openFresh(url, { onIdleConnectionError: (err) => closed.push(err) });
      const store = createMetadataStore(database);
      try {
        await store.ping();
        const dbName = new URL(database.describe).pathname.slice(1);
        const killed = await admin(url).query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and usename = current_user and backend_type = 'client backend'", [dbName]);
        expect(killed.rowCount).toBeGreaterThan(0);
        for (let i = 0; i < 100 && closed.length === 0; i++) await sleep(20);
        expect(closed.length).toBeGreaterThan(0);
        expect((closed[0] as { code?: string }).code).toBe('57P01'); // admin_shutdown
        await expect(store.ping()).resolves.toBeUndefined();
        expect(await store.users.count()).toBe(0);
      } finally {
        await dispose();
      }
    });
  });
} else if (inCi) {
  describe('PostgreSQL contract', () => {
    it('has STEWARD_TEST_POSTGRES_URL in CI', () => {
      expect(url, MISSING_IN_CI).toBeDefined();
    });
  });
} else {
  describe.skipIf(true)('PostgreSQL contract (set STEWARD_TEST_POSTGRES_URL to run)', () => {
    it('runs the metadata store contract against PostgreSQL', () => {
      expect(url).toBeDefined();
    });
  });
}
