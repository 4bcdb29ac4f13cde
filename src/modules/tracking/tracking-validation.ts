/**
 * Checks on what runs are given, with MLflow's limits (mlflow/utils/validation.py) so that what the MLflow
 * client accepts, Steward accepts, and what Steward refuses is named field by field.
 */
import { invalidField } from '../../platform/errors.js';
import { printable } from '../../platform/names.js';
import type { KeyValue, MetricPoint } from './tracking.repository.js';

export const MAX_KEY_LENGTH = 250;
export const MAX_PARAM_VALUE_LENGTH = 6000;
export const MAX_TAG_VALUE_LENGTH = 8000;
export const MAX_EXPERIMENT_NAME_LENGTH = 500;
export const MAX_RUN_NAME_LENGTH = 250;
export const MAX_BATCH_METRICS = 1000;
export const MAX_BATCH_PARAMS = 100;
export const MAX_BATCH_TAGS = 100;
export const MAX_BATCH_TOTAL = 1000;
export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Letters, digits, '_', '-', '.', ' ', '/' (MLflow's key alphabet), not a path that climbs out. */
const KEY_PATTERN = /^[\w\-. /]+$/u;

/** A metric, param or tag key. */
export function checkKey(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw invalidField(field, 'must be a non-empty string');
  if (value.length > MAX_KEY_LENGTH) throw invalidField(field, `'${printable(value)}' is longer than ${MAX_KEY_LENGTH} characters`);
  if (!KEY_PATTERN.test(value)) {
    throw invalidField(field, `'${printable(value)}' is not a valid key: use letters, digits, '_', '-', '.', ' ' and '/'`);
  }
  const parts = value.split('/');
  if (value.startsWith('/') || parts.includes('..') || parts.includes('.')) throw invalidField(field, `'${printable(value)}' must be a relative key without '.' or '..' parts`);
  return value;
}

/** A string value, at most `max` characters, without NUL. */
export function checkValue(field: string, value: unknown, max: number): string {
  if (typeof value !== 'string') throw invalidField(field, 'must be a string');
  if (value.length > max) throw invalidField(field, `is ${value.length} characters long; at most ${max} are allowed`);
  if (value.includes('\u0000')) throw invalidField(field, 'must not contain NUL (\\u0000) characters');
  return value;
}

/** An integer given as a JSON number or as a decimal string (proto3 JSON writes int64 as strings). */
export function checkInteger(field: string, value: unknown, opts: { min?: number } = {}): number {
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw invalidField(field, `must be an integer, got ${printable(JSON.stringify(value) ?? String(value))}`);
  if (opts.min !== undefined && n < opts.min) throw invalidField(field, `must be at least ${opts.min}`);
  return n;
}

export function optionalInteger(field: string, value: unknown, fallback: number, opts: { min?: number } = {}): number {
  return value === undefined || value === null || value === '' ? fallback : checkInteger(field, value, opts);
}

/** A metric value: a number, or "NaN" / "Infinity" / "-Infinity" as proto3 JSON writes them. */
export function checkMetricValue(field: string, value: unknown): { value: number; isNan: boolean } {
  // A NaN number (from callers in-process; JSON cannot carry one) is stored as the NaN flag, like "NaN".
  if (typeof value === 'number') return Number.isNaN(value) ? { value: 0, isNan: true } : { value, isNan: false };
  if (typeof value === 'string') {
    if (value === 'NaN' || value === 'nan') return { value: 0, isNan: true };
    if (value === 'Infinity' || value === 'inf') return { value: Infinity, isNan: false };
    if (value === '-Infinity' || value === '-inf') return { value: -Infinity, isNan: false };
    const n = Number(value);
    if (value.trim() !== '' && Number.isFinite(n)) return { value: n, isNan: false };
  }
  throw invalidField(field, `must be a number (or "NaN", "Infinity", "-Infinity"), got ${printable(JSON.stringify(value) ?? String(value))}`);
}

export function checkMetric(field: string, m: unknown, now: number): MetricPoint {
  if (m === null || typeof m !== 'object') throw invalidField(field, 'must be an object {key, value, timestamp, step}');
  const o = m as Record<string, unknown>;
  const { value, isNan } = checkMetricValue(`${field}.value`, o.value);
  return {
    key: checkKey(`${field}.key`, o.key),
    value,
    isNan,
    timestamp: optionalInteger(`${field}.timestamp`, o.timestamp, now),
    step: optionalInteger(`${field}.step`, o.step, 0),
  };
}

export function checkParam(field: string, p: unknown): KeyValue {
  if (p === null || typeof p !== 'object') throw invalidField(field, 'must be an object {key, value}');
  const o = p as Record<string, unknown>;
  const value = typeof o.value === 'number' || typeof o.value === 'boolean' ? String(o.value) : o.value;
  return { key: checkKey(`${field}.key`, o.key), value: checkValue(`${field}.value`, value ?? '', MAX_PARAM_VALUE_LENGTH) };
}

export function checkTag(field: string, t: unknown): KeyValue {
  if (t === null || typeof t !== 'object') throw invalidField(field, 'must be an object {key, value}');
  const o = t as Record<string, unknown>;
  return { key: checkKey(`${field}.key`, o.key), value: checkValue(`${field}.value`, o.value ?? '', MAX_TAG_VALUE_LENGTH) };
}

export function checkList(field: string, value: unknown, max: number): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidField(field, 'must be a list');
  if (value.length > max) throw invalidField(field, `has ${value.length} entries; at most ${max} are allowed in one call`);
  return value;
}

export function checkRunStatus(field: string, value: unknown): RunStatus {
  if (typeof value !== 'string' || !(RUN_STATUSES as readonly string[]).includes(value)) {
    throw invalidField(field, `must be one of ${RUN_STATUSES.join(', ')}`);
  }
  return value as RunStatus;
}

/** Experiment names: 1..500 printable characters (MLflow allows paths like "/Users/me/churn"). */
export function checkExperimentName(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalidField(field, 'must be a non-empty string');
  if (value.length > MAX_EXPERIMENT_NAME_LENGTH) throw invalidField(field, `must be at most ${MAX_EXPERIMENT_NAME_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw invalidField(field, 'must not contain control characters');
  return value;
}

/** MLflow run ids: 32 lower-case hex digits (Steward makes them; other forms are never found). */
export const RUN_ID_PATTERN = /^[0-9a-f]{32}$/;

/**
 * A relative artifact path inside the proxy: no leading '/', no '.' or '..' parts, no backslashes or
 * control characters; empty means the root.
 */
export function checkArtifactPath(field: string, value: unknown, allowEmpty = false): string {
  if (value === undefined || value === null || value === '') {
    if (allowEmpty) return '';
    throw invalidField(field, 'must name a file');
  }
  if (typeof value !== 'string') throw invalidField(field, 'must be a string');
  const path = value.replace(/\/+$/, '');
  const parts = path.split('/');
  // eslint-disable-next-line no-control-regex
  if (path.startsWith('/') || path.includes('\\') || /[\u0000-\u001f\u007f]/.test(path) || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw invalidField(field, `'${printable(value)}' is not a valid artifact path: use a relative path without '.', '..', empty parts or backslashes`);
  }
  if (path.length > 1000) throw invalidField(field, 'must be at most 1000 characters');
  return path;
}
