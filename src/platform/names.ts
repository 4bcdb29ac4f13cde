import { invalidField } from './errors.js';

/**
 * Names of projects, models, aliases and users: letters, digits, '-', '_' and '.', starting with a letter
 * or digit, at most 128 characters. The first-character rule rules out '.', '..' and hidden names; the
 * alphabet rules out '/', '\\', NUL and whitespace, so a name can never be read as a path.
 */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function checkName(field: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidField(field, 'must be a string', 'INVALID_NAME');
  if (value.length === 0) throw invalidField(field, 'must not be empty', 'INVALID_NAME');
  if (value.length > 128) throw invalidField(field, 'must be at most 128 characters', 'INVALID_NAME');
  if (!NAME_PATTERN.test(value)) {
    throw invalidField(
      field,
      `'${printable(value)}' is not a valid name: use letters, digits, '-', '_' and '.', starting with a letter or digit`,
      'INVALID_NAME',
    );
  }
  return value;
}

/** Show control characters visibly in error messages. */
export function printable(value: string): string {
  const shown = value.length > 64 ? `${value.slice(0, 64)}…` : value;
  // eslint-disable-next-line no-control-regex
  return shown.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Tags: string keys (1..250 chars, no control characters) to string values (at most 5000 chars). */
export function checkTags(field: string, value: unknown, allowNull = false): Record<string, string | null> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidField(field, 'must be an object mapping tag keys to string values', 'INVALID_TAGS');
  }
  // No prototype: a key such as "__proto__" is kept as a tag like any other.
  const out: Record<string, string | null> = Object.create(null) as Record<string, string | null>;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 100) throw invalidField(field, 'at most 100 tags are allowed', 'INVALID_TAGS');
  for (const [k, v] of entries) {
    // eslint-disable-next-line no-control-regex
    if (k.length === 0 || k.length > 250 || /[\u0000-\u001f\u007f]/.test(k)) {
      throw invalidField(`${field}.${printable(k)}`, 'tag keys must be 1 to 250 characters without control characters', 'INVALID_TAGS');
    }
    if (v === null && allowNull) {
      out[k] = null;
      continue;
    }
    if (typeof v !== 'string') {
      throw invalidField(`${field}.${k}`, allowNull ? 'must be a string, or null to remove the tag' : 'must be a string', 'INVALID_TAGS');
    }
    if (v.length > 5000) throw invalidField(`${field}.${k}`, 'must be at most 5000 characters', 'INVALID_TAGS');
    if (v.includes('\u0000')) throw invalidField(`${field}.${k}`, 'must not contain NUL (\\u0000) characters', 'INVALID_TAGS');
    out[k] = v;
  }
  return out;
}
