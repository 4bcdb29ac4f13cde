/** Quoting for SQL text built by Steward's data engine. Column names come from users' files. */

/** A double-quoted identifier: any text, with embedded quotes doubled. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A single-quoted string literal. */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
