import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from './schema.js';

/** What a repository runs its SQL on: the database, or a transaction in progress. */
export type Executor = Kysely<DB> | Transaction<DB>;

/** Escapes LIKE wildcards so a user's text matches literally (used with `escape '\\'`). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  // better-sqlite3: SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY; node-postgres: 23505
  return e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e?.code === '23505';
}

/**
 * Takes the advisory lock that serialises write transactions on PostgreSQL (key: "STEW" in ASCII), so that
 * the audit chain has one head. Run it first in a transaction, before any row lock, so it cannot deadlock.
 */
export const POSTGRES_WRITE_LOCK = sql`select pg_advisory_xact_lock(1398031703)`;
