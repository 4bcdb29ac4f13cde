/**
 * Small checks for JSON documents that arrive inside other payloads (e.g. the multipart `metadata`
 * field), where route schemas cannot reach. Each failure names the field.
 */
import { invalidField } from './errors.js';
import { printable } from './names.js';

export function asObject(field: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidField(field, 'must be a JSON object');
  return value as Record<string, unknown>;
}

export function onlyKeys(field: string, obj: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw invalidField(`${field}.${printable(key)}`, `is not a known field (known: ${allowed.join(', ')})`, 'UNKNOWN_FIELD');
    }
  }
}

/** Text stored by Steward never holds NUL: PostgreSQL cannot store it and no tool shows it sensibly. */
export function checkText(field: string, value: string, maxLength: number): string {
  if (value.length > maxLength) throw invalidField(field, `must be at most ${maxLength} characters`);
  if (value.includes('\u0000')) throw invalidField(field, 'must not contain NUL (\\u0000) characters');
  return value;
}

export function optionalString(field: string, value: unknown, maxLength: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidField(field, 'must be a string');
  return checkText(field, value, maxLength);
}

/** The largest version number or other counter Steward accepts: PostgreSQL's 32-bit integer. */
export const MAX_INT32 = 2_147_483_647;

/** Whether a path segment is a version number (1 … MAX_INT32, no leading zeros). */
export function isVersionNumber(ref: string): boolean {
  return /^[1-9][0-9]{0,9}$/.test(ref) && Number(ref) <= MAX_INT32;
}

export function optionalPositiveInt(field: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_INT32) throw invalidField(field, `must be an integer from 1 to ${MAX_INT32}`);
  return value;
}

function checkKey(field: string, k: string): void {
  // eslint-disable-next-line no-control-regex
  if (k.length === 0 || k.length > 250 || /[\u0000-\u001f\u007f]/.test(k)) {
    throw invalidField(`${field}.${printable(k)}`, 'names must be 1 to 250 characters without control characters');
  }
}

/** Metric name → finite number. */
export function metricMap(field: string, value: unknown): Record<string, number> {
  if (value === undefined || value === null) return {};
  const obj = asObject(field, value);
  const keys = Object.keys(obj);
  if (keys.length > 1000) throw invalidField(field, 'at most 1000 entries are allowed');
  const out: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const k of keys) {
    checkKey(field, k);
    const v = obj[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidField(`${field}.${k}`, 'must be a finite number');
    out[k] = v;
  }
  return out;
}

/** Parameter name → string (numbers and booleans are kept as their text, as MLflow does). */
export function paramMap(field: string, value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  const obj = asObject(field, value);
  const keys = Object.keys(obj);
  if (keys.length > 1000) throw invalidField(field, 'at most 1000 entries are allowed');
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const k of keys) {
    checkKey(field, k);
    const v = obj[k];
    if (typeof v === 'string') {
      out[k] = checkText(`${field}.${k}`, v, 6000);
    } else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') out[k] = String(v);
    else throw invalidField(`${field}.${k}`, 'must be a string, a finite number or a boolean');
  }
  return out;
}
