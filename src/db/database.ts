import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { Migrator, type MigrationProvider } from 'kysely/migration';
import pg from 'pg';
import type { DatabaseConfig } from '../config.js';
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
}

export async function openDatabase(config: DatabaseConfig, options: OpenOptions = {}): Promise<Database> {
  if (config.kind === 'sqlite') {
    if (config.file !== ':memory:') mkdirSync(dirname(config.file), { recursive: true });
    const native = new SQLite(config.file);
    native.pragma('journal_mode = WAL');
    native.pragma(`synchronous = ${options.sqliteSynchronous ?? 'NORMAL'}`);
    native.pragma('foreign_keys = ON');
    native.pragma('busy_timeout = 5000');
    const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: native }) });
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
        oid === 20 ? (v: string) => Number(v) : (pg.types.getTypeParser as (o: number, f?: string) => unknown)(oid, format),
    } as pg.CustomTypesConfig,
  });
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
