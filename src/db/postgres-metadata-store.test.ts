/**
 * The metadata store contract on PostgreSQL. Set STEWARD_TEST_POSTGRES_URL to a database whose role may
 * create databases (`.ci/start-postgres.sh` sets one up and prints the export line). Every store the
 * contract opens lives in a database of its own, created for it and dropped when it is closed, so runs
 * never see each other's rows.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase, type Database, type OpenOptions } from './database.js';
import { metadataStoreContract } from './metadata-store.contract.js';
import { createMetadataStore, type MetadataStore } from './metadata-store.js';

const url = process.env.STEWARD_TEST_POSTGRES_URL?.trim() || undefined;
const inCi = Boolean(process.env.CI);

let adminPool: pg.Pool | undefined;
/** Whether the server can create ICU databases; decided by the first attempt. */
let icu: boolean | undefined;

/** One connection to the database named in the URL, used to create and drop the per-test databases. */
function admin(baseUrl: string): pg.Pool {
  if (!adminPool) {
    adminPool = new pg.Pool({ connectionString: baseUrl, max: 1 });
    adminPool.on('error', () => undefined);
  }
  return adminPool;
}

/**
 * A new empty database. Where the server has ICU, it gets a dictionary (en-US) collation, as many
 * production servers have, so the contract proves the store does not depend on the server's collation.
 */
async function createDatabase(baseUrl: string): Promise<{ name: string; url: string }> {
  const pool = admin(baseUrl);
  const name = `steward_contract_${randomBytes(6).toString('hex')}`;
  let created = false;
  if (icu !== false) {
    try {
      await pool.query(`create database "${name}" template template0 encoding 'UTF8' locale_provider icu icu_locale 'en-US'`);
      icu = true;
      created = true;
    } catch (err) {
      if (icu === true) throw err;
      icu = false;
    }
  }
  if (!created) await pool.query(`create database "${name}"`);
  const target = new URL(baseUrl);
  target.pathname = `/${name}`;
  return { name, url: target.href };
}

/**
 * Drops a test database. pg's pool.end() returns before its connections have gone, so wait for them to
 * leave (a plain DROP refuses while anyone is connected) and only force it as a last resort.
 */
async function dropDatabase(baseUrl: string, name: string): Promise<void> {
  const pool = admin(baseUrl);
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      await pool.query(`drop database if exists "${name}"`);
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== '55006') throw err; // object_in_use
      await sleep(50);
    }
  }
  await pool.query(`drop database if exists "${name}" with (force)`);
}

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
  afterAll(async () => {
    await adminPool?.end();
  });

  metadataStoreContract('PostgreSQL', () => freshPostgresStore(url));

  describe('PostgreSQL store specifics', () => {
    it('reports the postgres dialect and describes itself without credentials', async () => {
      const store = await freshPostgresStore(url);
      try {
        expect(store.dialect).toBe('postgres');
        expect(store.describe).toMatch(/^postgres:\/\/[^@/]+\/steward_contract_[0-9a-f]{12}$/);
      } finally {
        await store.close();
      }
    });

    it('applies the migrations once', async () => {
      const { name, url: dbUrl } = await createDatabase(url);
      const database = await openDatabase({ kind: 'postgres', url: dbUrl });
      try {
        expect(await migrateToLatest(database)).toEqual(['0001-core']);
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
        const killed = await admin(url).query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [dbName]);
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
      expect(url, 'STEWARD_TEST_POSTGRES_URL is not set: .ci/run must start PostgreSQL (bash .ci/start-postgres.sh) and export the URL it prints').toBeDefined();
    });
  });
} else {
  describe.skipIf(true)('PostgreSQL contract (set STEWARD_TEST_POSTGRES_URL to run)', () => {
    it('runs the metadata store contract against PostgreSQL', () => {
      expect(url).toBeDefined();
    });
  });
}
