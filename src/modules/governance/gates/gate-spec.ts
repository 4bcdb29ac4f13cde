/**
 * Test gate specs: what a gate checks, as JSON. A run holds 1–20 of them, each with a `name` unique in the
 * run and a `type`:
 * - metric: a score on the evaluation rows against an absolute threshold and/or the change against a
 *   baseline version (the model version an alias points at), with MLflow's MetricThreshold semantics;
 * - schema: every feature of the model's signature is a column of the dataset with a compatible type;
 * - robustness: the share of rows whose class flips (regression: mean |Δ| / std of the predictions) under
 *   small Gaussian noise on the numeric features;
 * - latency: the p95 of single-row predictions through the model runtime;
 * - fairness: a group fairness difference (or ratio) over a sensitive column;
 * - leakage: exact duplicate rows (and shared keys) between the training and the evaluation data.
 *
 * Normalisation. `parseGateSpecs` validates every field (a 400 naming e.g. `gates[2].tolerance`), refuses
 * unknown keys, drops keys given as null, and fills in the defaults that do not depend on the data
 * (greaterIsBetter and baseline of a metric gate, noise/rows/seed of a robustness gate, …). Two specs that
 * mean the same gate therefore normalise to the same object.
 *
 * Hash. `gateSpecHash` is the SHA-256 (hex) of the canonical JSON (keys sorted at every level, no spaces)
 * of the normalised spec without its `name`: the hash says what was tested, not what the run called it, so
 * a policy's gate counts a result under whatever name it ran.
 */
import { createHash } from 'node:crypto';
import { invalidField } from '../../../platform/errors.js';

export const GATE_TYPES = ['metric', 'schema', 'robustness', 'latency', 'fairness', 'leakage'] as const;
export type GateType = (typeof GATE_TYPES)[number];

export const GATE_METRICS = ['roc_auc', 'accuracy', 'precision', 'recall', 'f1', 'log_loss', 'rmse', 'mse', 'mae', 'r2'] as const;
export type GateMetric = (typeof GATE_METRICS)[number];
/** Metrics of classifiers (the rest score regression). */
export const CLASSIFIER_METRICS: ReadonlySet<GateMetric> = new Set(['roc_auc', 'accuracy', 'precision', 'recall', 'f1', 'log_loss']);
const LOWER_IS_BETTER: ReadonlySet<GateMetric> = new Set(['log_loss', 'rmse', 'mse', 'mae']);

export const FAIRNESS_METRICS = ['demographic_parity_difference', 'demographic_parity_ratio', 'equal_opportunity_difference', 'equalized_odds_difference'] as const;
export type FairnessMetric = (typeof FAIRNESS_METRICS)[number];

export const MAX_GATES = 20;
export const DEFAULT_BASELINE_ALIAS = 'champion';

export interface MetricGate {
  name: string;
  type: 'metric';
  metric: GateMetric;
  greaterIsBetter: boolean;
  threshold?: number;
  minAbsoluteChange?: number;
  minRelativeChange?: number;
  /** Alias of the baseline version (default 'champion'). */
  baseline: string;
}
export interface SchemaGate {
  name: string;
  type: 'schema';
}
export interface RobustnessGate {
  name: string;
  type: 'robustness';
  /** Noise std as a fraction of each numeric feature's std (default 0.01). */
  noise: number;
  /** Classifiers: the largest share of rows whose class may flip; regression: the largest mean |Δ| / std of the predictions. */
  tolerance: number;
  rows: number;
  seed: number;
}
export interface LatencyGate {
  name: string;
  type: 'latency';
  p95Ms: number;
  rows: number;
}
export interface FairnessGate {
  name: string;
  type: 'fairness';
  sensitive: string;
  metric: FairnessMetric;
  /** The largest allowed difference; for demographic_parity_ratio the smallest allowed ratio. */
  tolerance: number;
  /** The favourable label (default 1, or the second of the sorted labels). */
  positiveLabel?: string | number;
  /** Decision threshold on the positive class's probability (default 0.5). */
  threshold: number;
  /** Only these groups (as text) are compared. */
  groups?: string[];
}
export interface LeakageGate {
  name: string;
  type: 'leakage';
  /** "name@version"; default: the version's training datasets (its lineage, role 'train'). */
  trainingDataset?: string;
  keys?: string[];
  /** The largest allowed share of evaluation rows found in the training data (default 0). */
  maxOverlap: number;
}
export type GateSpec = MetricGate | SchemaGate | RobustnessGate | LatencyGate | FairnessGate | LeakageGate;

const KEYS: Record<GateType, string[]> = {
  metric: ['metric', 'threshold', 'minAbsoluteChange', 'minRelativeChange', 'greaterIsBetter', 'baseline'],
  schema: [],
  robustness: ['noise', 'tolerance', 'rows', 'seed'],
  latency: ['p95Ms', 'rows'],
  fairness: ['sensitive', 'metric', 'tolerance', 'positiveLabel', 'threshold', 'groups'],
  leakage: ['trainingDataset', 'keys', 'maxOverlap'],
};

/** "name@version" → its parts, or null when it is not of that form. */
export function parseDatasetRef(value: string): { name: string; version: number } | null {
  const m = /^(.+)@([1-9][0-9]{0,8})$/.exec(value);
  return m ? { name: m[1]!, version: Number(m[2]) } : null;
}

class SpecReader {
  constructor(
    private readonly at: string,
    private readonly o: Record<string, unknown>,
  ) {}

  private has(key: string): boolean {
    return this.o[key] !== undefined && this.o[key] !== null;
  }

  number(key: string, opts: { min?: number; max?: number; above?: number; integer?: boolean; fallback?: number; required?: boolean }): number | undefined {
    const field = `${this.at}.${key}`;
    if (!this.has(key)) {
      if (opts.required) throw invalidField(field, 'is required');
      return opts.fallback;
    }
    const v = this.o[key];
    const rules = [
      opts.integer ? 'a whole number' : 'a finite number',
      opts.above !== undefined ? `greater than ${opts.above}` : opts.min !== undefined ? `from ${opts.min}` : '',
      opts.max !== undefined ? `${opts.above === undefined && opts.min !== undefined ? 'to' : 'at most'} ${opts.max}` : '',
    ].filter(Boolean);
    const ok =
      typeof v === 'number' &&
      Number.isFinite(v) &&
      (!opts.integer || Number.isInteger(v)) &&
      (opts.min === undefined || v >= opts.min) &&
      (opts.above === undefined || v > opts.above) &&
      (opts.max === undefined || v <= opts.max);
    if (!ok) throw invalidField(field, `must be ${rules.join(' ')}, not ${JSON.stringify(v)}`);
    return v as number;
  }

  string(key: string, opts: { required?: boolean; max?: number } = {}): string | undefined {
    const field = `${this.at}.${key}`;
    if (!this.has(key)) {
      if (opts.required) throw invalidField(field, 'is required');
      return undefined;
    }
    const v = this.o[key];
    if (typeof v !== 'string' || v.trim() === '' || v.length > (opts.max ?? 200)) throw invalidField(field, `must be a non-empty text of at most ${opts.max ?? 200} characters`);
    return v;
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T {
    const v = this.o[key];
    if (!this.has(key)) throw invalidField(`${this.at}.${key}`, `is required: one of ${values.join(', ')}`);
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw invalidField(`${this.at}.${key}`, `must be one of ${values.join(', ')}, not ${JSON.stringify(v)}`);
    return v as T;
  }

  strings(key: string, max: number): string[] | undefined {
    if (!this.has(key)) return undefined;
    const v = this.o[key];
    const field = `${this.at}.${key}`;
    if (!Array.isArray(v) || v.length === 0 || v.length > max) throw invalidField(field, `must be a list of 1 to ${max} names`);
    v.forEach((s, i) => {
      if (typeof s !== 'string' || s === '' || s.length > 200) throw invalidField(`${field}[${i}]`, 'must be a non-empty text of at most 200 characters');
    });
    if (new Set(v).size !== v.length) throw invalidField(field, 'names a value twice');
    return v as string[];
  }

  boolean(key: string, fallback: boolean): boolean {
    if (!this.has(key)) return fallback;
    const v = this.o[key];
    if (typeof v !== 'boolean') throw invalidField(`${this.at}.${key}`, `must be true or false, not ${JSON.stringify(v)}`);
    return v;
  }

  raw(key: string): unknown {
    return this.has(key) ? this.o[key] : undefined;
  }
}

/** Drops the keys whose value is undefined (absent optional fields). */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function parseOne(at: string, value: unknown): GateSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidField(at, 'must be an object {"name", "type", …}');
  const o = value as Record<string, unknown>;
  const r = new SpecReader(at, o);
  const name = r.string('name', { required: true, max: 100 })!;
  const type = r.oneOf('type', GATE_TYPES);
  const allowed = new Set(['name', 'type', ...KEYS[type]]);
  for (const k of Object.keys(o)) {
    if (!allowed.has(k)) throw invalidField(`${at}.${k.slice(0, 100)}`, `is not a field of a ${type} gate${KEYS[type].length ? ` (its fields are ${KEYS[type].join(', ')})` : ' (it has none besides name and type)'}`, 'UNKNOWN_FIELD');
  }
  switch (type) {
    case 'metric': {
      const metric = r.oneOf('metric', GATE_METRICS);
      const spec: MetricGate = compact({
        name,
        type,
        metric,
        greaterIsBetter: r.boolean('greaterIsBetter', !LOWER_IS_BETTER.has(metric)),
        threshold: r.number('threshold', {}),
        minAbsoluteChange: r.number('minAbsoluteChange', { above: 0 }),
        minRelativeChange: r.number('minRelativeChange', { min: 0, max: 1 }),
        baseline: r.string('baseline', { max: 100 }) ?? DEFAULT_BASELINE_ALIAS,
      });
      if (spec.threshold === undefined && spec.minAbsoluteChange === undefined && spec.minRelativeChange === undefined) {
        throw invalidField(`${at}.threshold`, 'no rule given: set at least one of threshold, minAbsoluteChange, minRelativeChange');
      }
      return spec;
    }
    case 'schema':
      return { name, type };
    case 'robustness':
      return {
        name,
        type,
        noise: r.number('noise', { min: 0, max: 10, fallback: 0.01 })!,
        tolerance: r.number('tolerance', { min: 0, required: true })!,
        rows: r.number('rows', { integer: true, min: 10, max: 10_000, fallback: 500 })!,
        seed: r.number('seed', { integer: true, min: 0, max: 2 ** 31 - 1, fallback: 1 })!,
      };
    case 'latency':
      return {
        name,
        type,
        p95Ms: r.number('p95Ms', { above: 0, required: true })!,
        rows: r.number('rows', { integer: true, min: 10, max: 5000, fallback: 200 })!,
      };
    case 'fairness': {
      const metric = r.oneOf('metric', FAIRNESS_METRICS);
      const ratio = metric === 'demographic_parity_ratio';
      const positive = r.raw('positiveLabel');
      if (positive !== undefined && !(typeof positive === 'string' && positive !== '' && positive.length <= 200) && !(typeof positive === 'number' && Number.isFinite(positive))) {
        throw invalidField(`${at}.positiveLabel`, 'must be a label value: a number or a non-empty text');
      }
      const groups = r.strings('groups', 1000);
      if (groups && groups.length < 2) throw invalidField(`${at}.groups`, 'must name at least 2 groups to compare');
      return compact({
        name,
        type,
        sensitive: r.string('sensitive', { required: true })!,
        metric,
        tolerance: r.number('tolerance', { min: 0, max: ratio ? 1 : undefined, required: true })!,
        positiveLabel: positive as string | number | undefined,
        threshold: r.number('threshold', { above: 0, max: 1, fallback: 0.5 })!,
        groups: groups ? [...groups].sort() : undefined,
      });
    }
    case 'leakage': {
      const training = r.string('trainingDataset', { max: 250 });
      if (training !== undefined && !parseDatasetRef(training)) throw invalidField(`${at}.trainingDataset`, `must be "name@version", not ${JSON.stringify(training)}`);
      return compact({
        name,
        type,
        trainingDataset: training,
        keys: r.strings('keys', 20),
        maxOverlap: r.number('maxOverlap', { min: 0, max: 1, fallback: 0 })!,
      });
    }
  }
}

/** Validates and normalises a list of gate specs (see the file comment); a 400 names the field at fault. */
export function parseGateSpecs(value: unknown, field = 'gates'): GateSpec[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_GATES) throw invalidField(field, `must be a list of 1 to ${MAX_GATES} gate specs`);
  const specs = value.map((v, i) => parseOne(`${field}[${i}]`, v));
  const seen = new Map<string, number>();
  specs.forEach((s, i) => {
    const first = seen.get(s.name);
    if (first !== undefined) throw invalidField(`${field}[${i}].name`, `repeats the name '${s.name}' of ${field}[${first}]: names are unique within a run`);
    seen.set(s.name, i);
  });
  return specs;
}

/** JSON with keys sorted at every level and no spaces. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 (hex) of the canonical JSON of a normalised spec without its name (see the file comment). */
export function gateSpecHash(spec: GateSpec): string {
  const { name: _name, ...rest } = spec;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}
