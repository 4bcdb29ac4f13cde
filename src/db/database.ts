import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { Migrator, type MigrationProvider } from 'kysely/migration';
import pg from 'pg';
import type { DatabaseConfig } from '../config.js';
import { withStatementCache } from './sqlite-statement-cache.js';
import { allMigrations } from './migrations/index.js';
import type { DB } from './schema.js';

export type DialectKind = 'sqlite' | 'postgres';

export interface Database {
  readonly db: Kysely<DB>;
  readonly dialect: DialectKind;
  /** A short description for logs, without credentials. */
  readonly describe: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** SQLite `synchronous` setting; FULL makes every commit durable against power loss. */
  sqliteSynchronous?: 'NORMAL' | 'FULL';
  /** PostgreSQL: told when the server closes an idle pooled connection (the pool recovers by itself). */
  onIdleConnectionError?: (err: Error) => void;
}

const INT8_OID = 20;

function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${text} does not fit a JavaScript number exactly`);
  return n;
}

export async function openDatabase(config: DatabaseConfig, options: OpenOptions = {}): Promise<Database> {
  if (config.kind === 'sqlite') {
    if (config.file !== ':memory:') mkdirSync(dirname(config.file), { recursive: true });
    const native = new SQLite(config.file);
    native.pragma('journal_mode = WAL');
    native.pragma(`synchronous = ${options.sqliteSynchronous ?? 'NORMAL'}`);
    native.pragma('foreign_keys = ON');
    native.pragma('busy_timeout = 5000');
    const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(native) }) });
    return {
      db,
      dialect: 'sqlite',
      describe: `sqlite:${config.file}`,
      async close() {
        await db.destroy();
      },
    };
  }
  const url = new URL(config.url);
  const pool = new pg.Pool({
    connectionString: config.url,
    max: 10,
    // int8 (bigint, bigserial, count(*)) as JavaScript numbers: every value we store is below 2^53.
    types: {
      getTypeParser: (oid: number, format?: string) =>
        oid === INT8_OID ? parseInt8 : (pg.types.getTypeParser as (o: number, f?: string) => unknown)(oid, format),
    } as pg.CustomTypesConfig,
  });
  // A connection the server closes while it sits idle in the pool (a restart, pg_terminate_backend, an idle
  // timeout) is reported here; the pool drops it and the next query opens a new one. Without a listener the
  // 'error' event would be thrown and end the process.
  pool.on('error', (err) => options.onIdleConnectionError?.(err));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    describe: `postgres://${url.host}${url.pathname}`,
    async close() {
      await db.destroy();
    },
  };
}

/** Applies every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(database: Database): Promise<string[]> {
  const migrations = allMigrations(database.dialect);
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const migrator = new Migrator({ db: database.db, provider, migrationTableName: 'steward_migrations', migrationLockTableName: 'steward_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${reason}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** A cheap query that proves the database answers. */
export async function ping(database: Database): Promise<void> {
  await sql`select 1`.execute(database.db);
}
