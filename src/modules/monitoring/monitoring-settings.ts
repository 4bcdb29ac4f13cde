/** A deployment's monitoring settings: window size, tests per column, correction, dataset-drift share. */
import { PREDICTION_COLUMN } from '../../ml/monitoring/profile.js';
import type { Task } from '../../ml/monitoring/performance.js';
import { TEST_METHODS, type TestChoice, type TestMethod } from '../../ml/monitoring/report.js';
import { invalidField } from '../../platform/errors.js';
import { isWindowKind, type WindowKind } from './window-folder.js';

export interface MonitoringSettings {
  /** Window size for new windows: minute, hour, day, or rows:N (every N predictions). */
  window: WindowKind;
  /** Tests chosen per feature ('prediction' for the model's output); others use Evidently's defaults. */
  tests: Record<string, TestChoice>;
  correction: 'none' | 'bh';
  /** Dataset drift when at least this share of features drifted. */
  driftShare: number;
  /** Feature weights for the importance-weighted drift share (null: not computed). */
  importance: Record<string, number> | null;
  /** The task for performance metrics; null: inferred from the predictions and labels. */
  task: Task | null;
  /** Rows of the current sample that KS and Wasserstein use in a report. */
  sampleRows: number;
}

export const DEFAULT_SETTINGS: MonitoringSettings = {
  window: 'hour', tests: {}, correction: 'none', driftShare: 0.5, importance: null, task: null, sampleRows: 10_000,
};

const KEYS = new Set(Object.keys(DEFAULT_SETTINGS));

/** Parses a settings body over the current settings (fields left out keep their value). */
export function parseSettings(body: unknown, current: MonitoringSettings = DEFAULT_SETTINGS): MonitoringSettings {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalidField('body', 'must be a JSON object of settings');
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) if (!KEYS.has(k)) throw invalidField(k, `is not a monitoring setting (settings: ${[...KEYS].join(', ')})`, 'UNKNOWN_FIELD');
  const out: MonitoringSettings = structuredClone(current);
  if (b.window !== undefined) {
    if (typeof b.window !== 'string' || !isWindowKind(b.window)) throw invalidField('window', "must be 'minute', 'hour', 'day' or 'rows:N' with N from 10 to 10000000");
    out.window = b.window;
  }
  if (b.tests !== undefined) {
    if (b.tests === null || typeof b.tests !== 'object' || Array.isArray(b.tests)) throw invalidField('tests', 'must be an object {feature: {method, threshold?}}');
    const tests: Record<string, TestChoice> = {};
    for (const [feature, v] of Object.entries(b.tests as Record<string, unknown>)) {
      const f = `tests.${feature}`;
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalidField(f, 'must be an object {method, threshold?}');
      const t = v as Record<string, unknown>;
      for (const k of Object.keys(t)) if (k !== 'method' && k !== 'threshold') throw invalidField(`${f}.${k}`, 'is not a field of a test (method, threshold)', 'UNKNOWN_FIELD');
      if (typeof t.method !== 'string' || !TEST_METHODS.includes(t.method as TestMethod)) throw invalidField(`${f}.method`, `must be one of ${TEST_METHODS.join(', ')}`);
      if (t.threshold !== undefined && (typeof t.threshold !== 'number' || !Number.isFinite(t.threshold) || t.threshold <= 0 || t.threshold > 10)) {
        throw invalidField(`${f}.threshold`, 'must be a number above 0 and at most 10');
      }
      const key = feature === 'prediction' ? PREDICTION_COLUMN : feature;
      tests[key] = { method: t.method as TestMethod, ...(t.threshold !== undefined ? { threshold: t.threshold as number } : {}) };
    }
    out.tests = tests;
  }
  if (b.correction !== undefined) {
    if (b.correction !== 'none' && b.correction !== 'bh') throw invalidField('correction', "must be 'none' or 'bh' (Benjamini–Hochberg)");
    out.correction = b.correction;
  }
  if (b.driftShare !== undefined) {
    if (typeof b.driftShare !== 'number' || !(b.driftShare > 0 && b.driftShare <= 1)) throw invalidField('driftShare', 'must be a number above 0 and at most 1');
    out.driftShare = b.driftShare;
  }
  if (b.importance !== undefined) {
    if (b.importance === null) out.importance = null;
    else {
      if (typeof b.importance !== 'object' || Array.isArray(b.importance)) throw invalidField('importance', 'must be an object {feature: weight} or null');
      const imp: Record<string, number> = {};
      for (const [k, v] of Object.entries(b.importance as Record<string, unknown>)) {
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalidField(`importance.${k}`, 'must be a number ≥ 0');
        imp[k] = v;
      }
      out.importance = imp;
    }
  }
  if (b.task !== undefined) {
    if (b.task !== null && b.task !== 'binary' && b.task !== 'multiclass' && b.task !== 'regression') throw invalidField('task', "must be 'binary', 'multiclass', 'regression' or null (inferred)");
    out.task = b.task as Task | null;
  }
  if (b.sampleRows !== undefined) {
    if (typeof b.sampleRows !== 'number' || !Number.isInteger(b.sampleRows) || b.sampleRows < 100 || b.sampleRows > 200_000) throw invalidField('sampleRows', 'must be an integer from 100 to 200000');
    out.sampleRows = b.sampleRows;
  }
  return out;
}

/** Settings as the API shows them ('prediction' for the output column). */
export function settingsView(s: MonitoringSettings): MonitoringSettings {
  const tests: Record<string, TestChoice> = {};
  for (const [k, v] of Object.entries(s.tests)) tests[k === PREDICTION_COLUMN ? 'prediction' : k] = v;
  return { ...s, tests };
}
