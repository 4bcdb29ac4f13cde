import { sql } from 'kysely';
import type { DialectKind } from '../database.js';

/**
 * The text column type. PostgreSQL compares text by the database's collation, which is often a dictionary
 * order (en_US and the like: case and punctuation ignored at first), while SQLite compares code points.
 * "C" gives PostgreSQL the same byte-wise order, so sorting, keyset cursors and lower() behave alike on
 * both backends whatever collation the server was set up with.
 */
export function textType(dialect: DialectKind) {
  return dialect === 'postgres' ? sql`text collate "C"` : 'text';
}
