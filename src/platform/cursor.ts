import { invalidField } from './errors.js';

/** Opaque pagination cursors: base64url JSON of the last row's sort key. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(field: string, cursor: string, check: (v: unknown) => v is T): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidField(field, 'is not a cursor returned by this endpoint', 'INVALID_CURSOR');
  }
  if (!check(parsed)) throw invalidField(field, 'is not a cursor returned by this endpoint', 'INVALID_CURSOR');
  return parsed;
}
