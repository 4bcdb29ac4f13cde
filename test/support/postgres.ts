/**
 * Fresh PostgreSQL databases for tests: each is created for one test store and dropped after it, so runs
 * never see each other's rows. STEWARD_TEST_POSTGRES_URL names a database whose role may create databases
 * (`.ci/start-postgres.sh` sets one up).
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

export const postgresUrl: string | undefined = process.env.STEWARD_TEST_POSTGRES_URL?.trim() || undefined;
export const inCi = Boolean(process.env.CI);
export const MISSING_IN_CI = 'STEWARD_TEST_POSTGRES_URL is not set: .ci/run must start PostgreSQL (bash .ci/start-postgres.sh) and export the URL it prints';

let adminPool: pg.Pool | undefined;
/** Whether the server can create ICU databases; decided by the first attempt. */
let icu: boolean | undefined;

/** One connection to the database named in the URL, used to create and drop the per-test databases. */
export function admin(baseUrl: string): pg.Pool {
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
export async function createDatabase(baseUrl: string): Promise<{ name: string; url: string }> {
  const pool = admin(baseUrl);
  const name = `steward_test_${randomBytes(6).toString('hex')}`;
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
export async function dropDatabase(baseUrl: string, name: string): Promise<void> {
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


export async function closeAdmin(): Promise<void> {
  await adminPool?.end();
  adminPool = undefined;
}
