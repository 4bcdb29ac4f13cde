/**
 * Alert rules without I/O: the rule body check (every problem names its field), the metric grammar, and
 * the state machine that turns one observation per monitoring window into ok → pending → firing and back.
 */
import { invalidField } from '../../../platform/errors.js';
import { printable } from '../../../platform/names.js';
import { asObject, checkText, MAX_INT32, onlyKeys } from '../../../platform/validate.js';

export const COMPARISONS = ['>', '>=', '<', '<='] as const;
export type Comparison = (typeof COMPARISONS)[number];

export interface WebhookSpec {
  url: string;
  secret: string;
}

export interface AlertRuleSpec {
  name: string;
  metric: string;
  comparison: Comparison;
  threshold: number;
  /** Only this model version's windows; null = every window of the deployment. */
  version: number | null;
  /** How many of the latest windows the metric is computed over, together. */
  windows: number;
  /** Consecutive breaching windows before the alert fires. */
  firingAfter: number;
  /** Consecutive windows without a breach before a firing alert resolves. */
  resolvingAfter: number;
  webhook: WebhookSpec | null;
  enabled: boolean;
  description: string;
}

export const RULE_DEFAULTS = { windows: 1, firingAfter: 2, resolvingAfter: 2, enabled: true } as const;

const RULE_KEYS = ['name', 'metric', 'comparison', 'threshold', 'version', 'windows', 'firingAfter', 'resolvingAfter', 'webhook', 'enabled', 'description'] as const;

/** Rule names go into URL paths: letters, digits, '.', '_' and '-', starting with a letter or digit. */
const RULE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function checkRuleName(field: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidField(field, 'must be a string');
  if (value.length === 0 || value.length > 100) throw invalidField(field, 'must be 1 to 100 characters');
  if (!RULE_NAME.test(value)) throw invalidField(field, `'${printable(value)}' is not a valid rule name: use letters, digits, '.', '_' and '-', starting with a letter or digit`);
  return value;
}

// ---------------------------------------------------------------------------------------------------------
// Metric grammar

const OPERATIONS_FIELDS = ['count', 'errorRate', 'p50Ms', 'p95Ms', 'p99Ms', 'throughputPerS'] as const;
const DRIFT_FIELDS = ['share', 'weightedShare', 'datasetDrift', 'weightedDatasetDrift', 'driftedFeatures'] as const;
const DRIFT_COLUMN_FIELDS = ['statistic', 'drifted', 'pValue'] as const;
const QUALITY_FIELDS = ['missingRate', 'typeErrorRate', 'outOfRangeRate', 'unseenCategoryRate', 'rejectedRate'] as const;
const QUALITY_FEATURE_FIELDS = ['missingRate', 'outOfRangeRate', 'unseenCategoryRate'] as const;
const ATTRIBUTION_FEATURE_FIELDS = ['reference', 'current', 'change'] as const;
const PERFORMANCE_FIELDS = ['accuracy', 'precision', 'recall', 'f1', 'rocAuc', 'logLoss', 'ece', 'mae', 'rmse', 'r2', 'mape'] as const;

/** A metric name taken apart: which report it comes from, which feature (if any), which number. */
export type ParsedMetric =
  | { kind: 'operations'; field: (typeof OPERATIONS_FIELDS)[number] }
  | { kind: 'drift'; field: (typeof DRIFT_FIELDS)[number] }
  | { kind: 'drift.feature'; feature: string; field: (typeof DRIFT_COLUMN_FIELDS)[number] }
  | { kind: 'drift.output'; field: (typeof DRIFT_COLUMN_FIELDS)[number] }
  | { kind: 'quality'; field: (typeof QUALITY_FIELDS)[number] }
  | { kind: 'quality.feature'; feature: string; field: (typeof QUALITY_FEATURE_FIELDS)[number] }
  | { kind: 'performance'; field: (typeof PERFORMANCE_FIELDS)[number] }
  | { kind: 'attribution'; field: 'shift' }
  | { kind: 'attribution.feature'; feature: string; field: (typeof ATTRIBUTION_FEATURE_FIELDS)[number] };

const MAX_METRIC_LENGTH = 400;

function oneOf<T extends string>(list: readonly T[], value: string): value is T {
  return (list as readonly string[]).includes(value);
}

/**
 * Reads a metric name, or answers undefined when it is not one. Feature names may themselves hold dots:
 * the last segment is the field and everything between the prefix and it is the feature.
 */
export function parseMetric(metric: string): ParsedMetric | undefined {
  // eslint-disable-next-line no-control-regex
  if (metric.length === 0 || metric.length > MAX_METRIC_LENGTH || /[\u0000-\u001f\u007f]/.test(metric)) return undefined;
  const featureAndField = (rest: string): { feature: string; field: string } | undefined => {
    const dot = rest.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const feature = rest.slice(0, dot);
    if (feature.startsWith('.') || feature.endsWith('.')) return undefined;
    return { feature, field: rest.slice(dot + 1) };
  };
  if (metric.startsWith('operations.')) {
    const field = metric.slice('operations.'.length);
    return oneOf(OPERATIONS_FIELDS, field) ? { kind: 'operations', field } : undefined;
  }
  if (metric.startsWith('drift.features.')) {
    const p = featureAndField(metric.slice('drift.features.'.length));
    return p && oneOf(DRIFT_COLUMN_FIELDS, p.field) ? { kind: 'drift.feature', feature: p.feature, field: p.field } : undefined;
  }
  if (metric.startsWith('drift.output.')) {
    const field = metric.slice('drift.output.'.length);
    return oneOf(DRIFT_COLUMN_FIELDS, field) ? { kind: 'drift.output', field } : undefined;
  }
  if (metric.startsWith('drift.')) {
    const field = metric.slice('drift.'.length);
    return oneOf(DRIFT_FIELDS, field) ? { kind: 'drift', field } : undefined;
  }
  if (metric.startsWith('quality.features.')) {
    const p = featureAndField(metric.slice('quality.features.'.length));
    return p && oneOf(QUALITY_FEATURE_FIELDS, p.field) ? { kind: 'quality.feature', feature: p.feature, field: p.field } : undefined;
  }
  if (metric.startsWith('quality.')) {
    const field = metric.slice('quality.'.length);
    return oneOf(QUALITY_FIELDS, field) ? { kind: 'quality', field } : undefined;
  }
  if (metric === 'attribution.shift') return { kind: 'attribution', field: 'shift' };
  if (metric.startsWith('attribution.features.')) {
    const p = featureAndField(metric.slice('attribution.features.'.length));
    return p && oneOf(ATTRIBUTION_FEATURE_FIELDS, p.field) ? { kind: 'attribution.feature', feature: p.feature, field: p.field } : undefined;
  }
  if (metric.startsWith('performance.')) {
    const field = metric.slice('performance.'.length);
    return oneOf(PERFORMANCE_FIELDS, field) ? { kind: 'performance', field } : undefined;
  }
  return undefined;
}

export function isKnownMetric(metric: string): boolean {
  return parseMetric(metric) !== undefined;
}

const METRIC_HELP =
  'operations.(count|errorRate|p50Ms|p95Ms|p99Ms|throughputPerS), drift.(share|weightedShare|datasetDrift|weightedDatasetDrift|driftedFeatures), ' +
  'drift.features.<feature>.(statistic|drifted|pValue), drift.output.(statistic|drifted|pValue), ' +
  'quality.(missingRate|typeErrorRate|outOfRangeRate|unseenCategoryRate|rejectedRate), quality.features.<feature>.(missingRate|outOfRangeRate|unseenCategoryRate), ' +
  'performance.(accuracy|precision|recall|f1|rocAuc|logLoss|ece|mae|rmse|r2|mape), ' +
  'attribution.shift, attribution.features.<feature>.(reference|current|change) (tree models)';

// ---------------------------------------------------------------------------------------------------------
// Rule body

function intIn(field: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw invalidField(field, `must be an integer from ${min} to ${max}`);
  return value;
}

function parseWebhook(field: string, value: unknown, keptSecret: string | undefined): WebhookSpec | null {
  if (value === undefined || value === null) return null;
  const o = asObject(field, value);
  onlyKeys(field, o, ['url', 'secret']);
  if (typeof o.url !== 'string') throw invalidField(`${field}.url`, 'must be a string');
  checkText(`${field}.url`, o.url, 2000);
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    throw invalidField(`${field}.url`, 'must be an absolute http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidField(`${field}.url`, `must use http or https, not ${url.protocol.replace(/:$/, '')}`);
  let secret: string;
  if (o.secret === undefined && keptSecret !== undefined) secret = keptSecret;
  else {
    if (typeof o.secret !== 'string') throw invalidField(`${field}.secret`, 'must be a string of 16 to 256 characters');
    if (o.secret.length < 16 || o.secret.length > 256) throw invalidField(`${field}.secret`, 'must be 16 to 256 characters');
    secret = checkText(`${field}.secret`, o.secret, 256);
  }
  return { url: o.url, secret };
}

export interface ParseRuleOptions {
  /** For a replacement (PUT): the rule's name from the path; a name in the body must equal it. */
  name?: string;
  /** For a replacement: the stored webhook secret, kept when the body names a webhook without one. */
  keptSecret?: string;
}

/** Checks a rule body field by field (field names start with `rule.`) and fills in the defaults. */
export function parseRuleSpec(body: unknown, options: ParseRuleOptions = {}): AlertRuleSpec {
  const o = asObject('rule', body);
  onlyKeys('rule', o, RULE_KEYS);
  let name: string;
  if (options.name !== undefined) {
    if (o.name !== undefined && o.name !== options.name) throw invalidField('rule.name', `must be '${printable(options.name)}' (the rule in the path) or left out; rules cannot be renamed`);
    name = options.name;
  } else {
    name = checkRuleName('rule.name', o.name);
  }
  if (typeof o.metric !== 'string') throw invalidField('rule.metric', `must be a string, one of ${METRIC_HELP}`);
  if (!isKnownMetric(o.metric)) throw invalidField('rule.metric', `'${printable(o.metric)}' is not a known metric; use one of ${METRIC_HELP}`);
  if (typeof o.comparison !== 'string' || !oneOf(COMPARISONS, o.comparison)) throw invalidField('rule.comparison', `must be one of ${COMPARISONS.join(', ')}`);
  if (typeof o.threshold !== 'number' || !Number.isFinite(o.threshold)) throw invalidField('rule.threshold', 'must be a finite number');
  let version: number | null = null;
  if (o.version !== undefined && o.version !== null) version = intIn('rule.version', o.version, 1, MAX_INT32, 1);
  if (o.enabled !== undefined && typeof o.enabled !== 'boolean') throw invalidField('rule.enabled', 'must be true or false');
  let description = '';
  if (o.description !== undefined && o.description !== null) {
    if (typeof o.description !== 'string') throw invalidField('rule.description', 'must be a string');
    description = checkText('rule.description', o.description, 1000);
  }
  return {
    name,
    metric: o.metric,
    comparison: o.comparison,
    threshold: o.threshold,
    version,
    windows: intIn('rule.windows', o.windows, 1, 1000, RULE_DEFAULTS.windows),
    firingAfter: intIn('rule.firingAfter', o.firingAfter, 1, 1000, RULE_DEFAULTS.firingAfter),
    resolvingAfter: intIn('rule.resolvingAfter', o.resolvingAfter, 1, 1000, RULE_DEFAULTS.resolvingAfter),
    webhook: parseWebhook('rule.webhook', o.webhook, options.keptSecret),
    enabled: o.enabled ?? RULE_DEFAULTS.enabled,
    description,
  };
}

// ---------------------------------------------------------------------------------------------------------
// State machine

export const ALERT_STATES = ['ok', 'pending', 'firing'] as const;
export type AlertState = (typeof ALERT_STATES)[number];
export type Transition = 'fired' | 'resolved';

export interface StateDetail {
  state: AlertState;
  /** Consecutive breaching windows so far. */
  breaching: number;
  /** Consecutive windows without a breach so far. */
  clear: number;
  /** Key of the last window evaluated; keys compare as text (the caller zero-pads them). */
  lastWindow?: string;
}

export const INITIAL_STATE: StateDetail = { state: 'ok', breaching: 0, clear: 0 };

export interface Observation {
  windowKey: string;
  /** The metric over the rule's windows, or null when it cannot be computed yet (e.g. no labels). */
  value: number | null;
}

export interface StepResult {
  next: StateDetail;
  transition: Transition | null;
  /** True when the window had been evaluated before, so nothing changed. */
  ignored: boolean;
}

export function breaches(value: number, comparison: Comparison, threshold: number): boolean {
  switch (comparison) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
}

/** Counters stop here so that a rule breaching for years still stores a small number. */
const COUNT_CAP = 1_000_000;

/**
 * One step of the alert state machine.
 *
 * - A window at or before the last one evaluated is ignored, so the same window delivered again (after a
 *   restart) never counts twice.
 * - A value of null (or NaN) records the window and changes nothing else.
 * - A breach counts up `breaching` and resets `clear`; a non-breach does the opposite.
 * - ok/pending: the alert fires when `breaching` reaches firingAfter; before that it is pending, and a
 *   non-breach sends it back to ok.
 * - firing: it resolves when `clear` reaches resolvingAfter; one breach in between starts that count over.
 *
 * Since both directions need a run of consecutive windows, a value that alternates around the threshold
 * never makes the alert flap (when both counts are above one).
 */
export function step(rule: Pick<AlertRuleSpec, 'comparison' | 'threshold' | 'firingAfter' | 'resolvingAfter'>, prev: StateDetail, obs: Observation): StepResult {
  if (prev.lastWindow !== undefined && obs.windowKey <= prev.lastWindow) return { next: prev, transition: null, ignored: true };
  if (obs.value === null || Number.isNaN(obs.value)) return { next: { ...prev, lastWindow: obs.windowKey }, transition: null, ignored: false };
  const lastWindow = obs.windowKey;
  if (breaches(obs.value, rule.comparison, rule.threshold)) {
    const breaching = Math.min(COUNT_CAP, prev.breaching + 1);
    if (prev.state === 'firing') return { next: { state: 'firing', breaching, clear: 0, lastWindow }, transition: null, ignored: false };
    if (breaching >= rule.firingAfter) return { next: { state: 'firing', breaching, clear: 0, lastWindow }, transition: 'fired', ignored: false };
    return { next: { state: 'pending', breaching, clear: 0, lastWindow }, transition: null, ignored: false };
  }
  const clear = Math.min(COUNT_CAP, prev.clear + 1);
  if (prev.state === 'firing') {
    if (clear >= rule.resolvingAfter) return { next: { state: 'ok', breaching: 0, clear, lastWindow }, transition: 'resolved', ignored: false };
    return { next: { state: 'firing', breaching: 0, clear, lastWindow }, transition: null, ignored: false };
  }
  return { next: { state: 'ok', breaching: 0, clear, lastWindow }, transition: null, ignored: false };
}

/** The stored detail column back as a StateDetail (defensive: a damaged value starts from ok). */
export function readStateDetail(state: string, detail: string): StateDetail {
  let d: Partial<StateDetail> = {};
  try {
    d = JSON.parse(detail) as Partial<StateDetail>;
  } catch {
    d = {};
  }
  const s: AlertState = oneOf(ALERT_STATES, state) ? state : 'ok';
  const count = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 0);
  return { state: s, breaching: count(d.breaching), clear: count(d.clear), ...(typeof d.lastWindow === 'string' ? { lastWindow: d.lastWindow } : {}) };
}

/** What goes into the state_detail column (the state itself has its own column). */
export function writeStateDetail(d: StateDetail): string {
  return JSON.stringify({ breaching: d.breaching, clear: d.clear, ...(d.lastWindow !== undefined ? { lastWindow: d.lastWindow } : {}) });
}
