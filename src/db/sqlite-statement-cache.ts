import type SQLite from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/**
 * Kysely's SQLite driver prepares every query afresh; preparing costs as much as running a small query.
 * This wraps better-sqlite3 so that each distinct SQL text is prepared once and reused. Safe because the
 * driver runs each statement to completion synchronously (all/run), and Steward does not stream queries.
 */
export function withStatementCache(native: SQLite.Database, maxStatements = 1000): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => {
      cache.clear();
      native.close();
    },
    prepare: (sql: string) => {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = native.prepare(sql);
        if (cache.size >= maxStatements) cache.delete(cache.keys().next().value!);
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}
