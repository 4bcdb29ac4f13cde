/**
 * What a training request may ask, checked field by field before any work starts. Two steps:
 * - `parseTrainingRequest`: the body alone (names, ranges of every parameter, the search space);
 * - `resolveTrainingSpec`: against the dataset version (the target exists, has two classes or more, is
 *   numeric for regression; features are numeric; enough rows for the validation split or the folds).
 * Every refusal is a 400 naming the field.
 */
import type { ColumnSchema, ColumnType } from '../../data/column-types.js';
import { invalidField } from '../../platform/errors.js';
import { printable } from '../../platform/names.js';
import { asObject, MAX_INT32, onlyKeys } from '../../platform/validate.js';

export const TASKS = ['binary', 'multiclass', 'regression'] as const;
export type Task = (typeof TASKS)[number];
export const ALGORITHMS = ['gbdt', 'linear'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** Validation metrics by task; the first is the default that ranks trials. */
export const METRICS: Record<Task, readonly string[]> = {
  binary: ['auc', 'logloss'],
  multiclass: ['mlogloss', 'merror'],
  regression: ['rmse'],
};
export const maximized = (metric: string): boolean => metric === 'auc';

/** The most classes a classification target may have. */
export const MAX_CLASSES = 100;
/** Feature types a trainer reads as numbers (booleans as 0/1). */
const NUMERIC_TYPES: readonly ColumnType[] = ['numeric', 'integer', 'boolean'];

interface ParamRule {
  /** Whole numbers only. */
  integer?: boolean;
  min: number;
  max: number;
  /** The minimum itself is not allowed. */
  minExclusive?: boolean;
  default: number;
  boolean?: boolean;
  /** Only for these tasks. */
  tasks?: readonly Task[];
  description: string;
}

export const GBDT_PARAMS: Record<string, ParamRule> = {
  numRounds: { integer: true, min: 1, max: 10_000, default: 200, description: 'boosting rounds (trees per class)' },
  learningRate: { min: 0, minExclusive: true, max: 1, default: 0.1, description: 'shrinkage (eta)' },
  maxDepth: { integer: true, min: 0, max: 16, default: 6, description: 'depth of each tree (0: no limit, with maxLeaves)' },
  maxLeaves: { integer: true, min: 0, max: 65_536, default: 0, description: "leaves of each tree, grown best first (xgboost's lossguide); 0: depth-wise growth" },
  maxBins: { integer: true, min: 2, max: 256, default: 256, description: 'histogram bins per feature' },
  lambda: { min: 0, max: 1e6, default: 1, description: 'L2 regularisation of leaf weights' },
  gamma: { min: 0, max: 1e6, default: 0, description: "minimum loss reduction to split (xgboost's min_split_loss)" },
  minChildWeight: { min: 0, max: 1e9, default: 1, description: 'minimum hessian sum in a child' },
  subsample: { min: 0, minExclusive: true, max: 1, default: 1, description: 'fraction of rows per tree' },
  colsampleByTree: { min: 0, minExclusive: true, max: 1, default: 1, description: 'fraction of features per tree' },
  earlyStoppingRounds: { integer: true, min: 0, max: 10_000, default: 20, description: 'stop after this many rounds without a better validation metric (0: never)' },
  seed: { integer: true, min: 0, max: MAX_INT32, default: 0, description: 'seed of row and column sampling' },
};

export const LINEAR_PARAMS: Record<string, ParamRule> = {
  C: { min: 0, minExclusive: true, max: 1e12, default: 1, tasks: ['binary', 'multiclass'], description: 'inverse L2 strength of logistic regression' },
  alpha: { min: 0, max: 1e12, default: 1, tasks: ['regression'], description: 'penalty strength of linear regression' },
  l1Ratio: { min: 0, max: 1, default: 0, tasks: ['regression'], description: 'elastic-net mixing of linear regression (0: ridge, 1: lasso)' },
  maxIter: { integer: true, min: 1, max: 100_000, default: 1000, description: 'most solver iterations' },
  tol: { min: 0, minExclusive: true, max: 1, default: 1e-4, description: 'solver tolerance' },
  standardize: { min: 0, max: 1, default: 1, boolean: true, description: 'fit on standardized features (coefficients are mapped back)' },
};

export const PARAM_RULES: Record<Algorithm, Record<string, ParamRule>> = { gbdt: GBDT_PARAMS, linear: LINEAR_PARAMS };

export type Params = Record<string, number>;

/** A search dimension: a list of values, or a range sampled uniformly (log-uniformly with `log`). */
export type SearchDimension = { values: number[] } | { min: number; max: number; log: boolean };

export interface SearchSpec {
  method: 'random' | 'grid';
  space: Record<string, SearchDimension>;
  /** Trials to run (the whole grid when absent for grid search). */
  trials: number;
  seed: number;
}

export type ValidationSpec = { kind: 'holdout'; fraction: number; seed: number } | { kind: 'kfold'; folds: number; seed: number } | { kind: 'dataset'; dataset: DatasetRef };

export interface DatasetRef {
  name: string;
  version: number;
}

export interface TrainingRequest {
  dataset: DatasetRef;
  target: string;
  task: Task | null;
  algorithm: Algorithm;
  features: string[] | null;
  params: Params;
  search: SearchSpec | null;
  validation: ValidationSpec;
  metric: string | null;
  timeBudgetSeconds: number | null;
  experiment: string | null;
  runName: string | null;
}

/** The request resolved against the dataset version: what the job runs. */
export interface TrainingSpec extends Omit<TrainingRequest, 'task' | 'features' | 'metric'> {
  task: Task;
  features: string[];
  /** Feature types, in the order of `features`. */
  featureTypes: ColumnType[];
  /** Class labels as text, index = class number (classification); empty for regression. */
  classes: string[];
  metric: string;
  /** Columns left out because a trainer cannot read them (categorical, text, datetime). */
  skipped: { column: string; type: ColumnType }[];
}

const REQUEST_KEYS = ['project', 'dataset', 'target', 'task', 'algorithm', 'features', 'params', 'search', 'validation', 'metric', 'timeBudgetSeconds', 'experiment', 'runName'] as const;

export const MAX_TRIALS = 500;
export const MAX_TIME_BUDGET_SECONDS = 7 * 24 * 3600;

export function parseDatasetRef(field: string, value: unknown): DatasetRef {
  if (typeof value !== 'string') throw invalidField(field, 'is required: a dataset version as "name@version"');
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]{0,127})@([1-9][0-9]{0,9})$/.exec(value);
  if (!m || Number(m[2]) > MAX_INT32) throw invalidField(field, `must be "name@version", not ${JSON.stringify(printable(value.slice(0, 200)))}`);
  return { name: m[1]!, version: Number(m[2]) };
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw invalidField(field, `must be one of ${allowed.join(', ')}`);
  return value as T;
}

function checkParam(field: string, name: string, rule: ParamRule, value: unknown): number {
  if (rule.boolean) {
    if (typeof value !== 'boolean') throw invalidField(field, 'must be true or false');
    return value ? 1 : 0;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidField(field, `must be a number (${rule.description})`);
  if (rule.integer && !Number.isInteger(value)) throw invalidField(field, `must be a whole number (${rule.description})`);
  const low = rule.minExclusive ? value <= rule.min : value < rule.min;
  if (low || value > rule.max) {
    throw invalidField(field, `is ${value}; ${name} must be ${rule.minExclusive ? 'greater than' : 'at least'} ${rule.min} and at most ${rule.max} (${rule.description})`);
  }
  return value;
}

function ruleFor(field: string, algorithm: Algorithm, name: string): ParamRule {
  const rules = PARAM_RULES[algorithm];
  if (!Object.hasOwn(rules, name)) {
    throw invalidField(field, `is not a parameter of ${algorithm} (parameters: ${Object.keys(rules).join(', ')})`, 'UNKNOWN_FIELD');
  }
  return rules[name]!;
}

function parseSearch(value: unknown, algorithm: Algorithm): SearchSpec | null {
  if (value === undefined || value === null) return null;
  const o = asObject('search', value);
  onlyKeys('search', o, ['method', 'space', 'trials', 'seed']);
  const method = o.method === undefined ? 'random' : oneOf('search.method', o.method, ['random', 'grid'] as const);
  const spaceRaw = o.space === undefined || o.space === null ? defaultSpace(algorithm) : asObject('search.space', o.space);
  const space: Record<string, SearchDimension> = {};
  const names = Object.keys(spaceRaw);
  if (names.length === 0) throw invalidField('search.space', 'must name at least one parameter');
  for (const name of names) {
    const field = `search.space.${printable(name)}`;
    const rule = ruleFor(field, algorithm, name);
    const dim = spaceRaw[name];
    if (Array.isArray(dim)) {
      if (dim.length === 0 || dim.length > 100) throw invalidField(field, 'must list 1 to 100 values');
      space[name] = { values: dim.map((v, i) => checkParam(`${field}[${i}]`, name, rule, v)) };
      continue;
    }
    if (method === 'grid') throw invalidField(field, 'must be a list of values for a grid search');
    if (rule.boolean) throw invalidField(field, 'must be a list of values ([true, false])');
    const d = asObject(field, dim);
    onlyKeys(field, d, ['min', 'max', 'log']);
    const min = checkParam(`${field}.min`, name, rule, d.min);
    const max = checkParam(`${field}.max`, name, rule, d.max);
    if (!(max > min)) throw invalidField(`${field}.max`, `must be greater than min (${min})`);
    if (d.log !== undefined && typeof d.log !== 'boolean') throw invalidField(`${field}.log`, 'must be true or false');
    const log = d.log === true;
    if (log && !(min > 0)) throw invalidField(`${field}.min`, 'must be greater than 0 for a log-uniform range');
    space[name] = { min, max, log };
  }
  const gridSize = method === 'grid' ? Object.values(space).reduce((n, d) => n * ('values' in d ? d.values.length : 1), 1) : 0;
  let trials: number;
  if (o.trials === undefined || o.trials === null) {
    if (method === 'grid' && gridSize > MAX_TRIALS) throw invalidField('search.space', `makes a grid of ${gridSize} trials; at most ${MAX_TRIALS} (set search.trials to run part of it)`);
    trials = method === 'grid' ? gridSize : 10;
  } else {
    if (typeof o.trials !== 'number' || !Number.isInteger(o.trials) || o.trials < 1 || o.trials > MAX_TRIALS) throw invalidField('search.trials', `must be a whole number from 1 to ${MAX_TRIALS}`);
    trials = method === 'grid' ? Math.min(o.trials, gridSize) : o.trials;
  }
  const seed = o.seed === undefined ? 0 : o.seed;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > MAX_INT32) throw invalidField('search.seed', `must be a whole number from 0 to ${MAX_INT32}`);
  return { method, space, trials, seed };
}

/** The space a search explores when the request names none. */
export function defaultSpace(algorithm: Algorithm): Record<string, unknown> {
  if (algorithm === 'gbdt') {
    return {
      maxDepth: [3, 4, 5, 6, 8],
      learningRate: { min: 0.02, max: 0.3, log: true },
      minChildWeight: { min: 0.5, max: 10, log: true },
      subsample: { min: 0.6, max: 1 },
      colsampleByTree: { min: 0.6, max: 1 },
      lambda: { min: 0.1, max: 10, log: true },
    };
  }
  return { C: { min: 1e-3, max: 1e3, log: true }, alpha: { min: 1e-3, max: 1e3, log: true } };
}

function parseValidation(value: unknown): ValidationSpec {
  if (value === undefined || value === null) return { kind: 'holdout', fraction: 0.2, seed: 0 };
  const o = asObject('validation', value);
  onlyKeys('validation', o, ['fraction', 'folds', 'dataset', 'seed']);
  const given = ['fraction', 'folds', 'dataset'].filter((k) => o[k] !== undefined && o[k] !== null);
  if (given.length > 1) throw invalidField('validation', `give one of fraction, folds or dataset, not ${given.join(' and ')}`);
  const seed = o.seed === undefined ? 0 : o.seed;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > MAX_INT32) throw invalidField('validation.seed', `must be a whole number from 0 to ${MAX_INT32}`);
  if (o.dataset !== undefined && o.dataset !== null) {
    if (o.seed !== undefined) throw invalidField('validation.seed', 'is not used with a validation dataset');
    return { kind: 'dataset', dataset: parseDatasetRef('validation.dataset', o.dataset) };
  }
  if (o.folds !== undefined && o.folds !== null) {
    if (typeof o.folds !== 'number' || !Number.isInteger(o.folds) || o.folds < 2 || o.folds > 20) throw invalidField('validation.folds', 'must be a whole number from 2 to 20');
    return { kind: 'kfold', folds: o.folds, seed };
  }
  const fraction = o.fraction ?? 0.2;
  if (typeof fraction !== 'number' || !(fraction >= 0.01 && fraction <= 0.5)) throw invalidField('validation.fraction', 'must be a number from 0.01 to 0.5');
  return { kind: 'holdout', fraction, seed };
}

/** Checks a training request's body on its own. */
export function parseTrainingRequest(body: unknown): TrainingRequest {
  const o = asObject('body', body);
  onlyKeys('body', o, REQUEST_KEYS);
  const dataset = parseDatasetRef('dataset', o.dataset);
  if (typeof o.target !== 'string' || o.target === '' || o.target.length > 500) throw invalidField('target', 'is required: the name of the column to predict');
  const task = o.task === undefined || o.task === null ? null : oneOf('task', o.task, TASKS);
  const algorithm = o.algorithm === undefined || o.algorithm === null ? 'gbdt' : oneOf('algorithm', o.algorithm, ALGORITHMS);
  let features: string[] | null = null;
  if (o.features !== undefined && o.features !== null) {
    if (!Array.isArray(o.features) || o.features.length === 0 || o.features.length > 10_000) throw invalidField('features', 'must be a list of 1 to 10000 column names');
    const seen = new Set<string>();
    features = o.features.map((f, i) => {
      if (typeof f !== 'string' || f === '') throw invalidField(`features[${i}]`, 'must be a column name');
      if (seen.has(f)) throw invalidField(`features[${i}]`, `repeats '${printable(f)}'`);
      seen.add(f);
      return f;
    });
  }
  const params: Params = {};
  if (o.params !== undefined && o.params !== null) {
    const p = asObject('params', o.params);
    for (const [name, v] of Object.entries(p)) {
      const field = `params.${printable(name)}`;
      params[name] = checkParam(field, name, ruleFor(field, algorithm, name), v);
    }
  }
  if (params.maxLeaves === 1) throw invalidField('params.maxLeaves', 'must be 0 (depth-wise growth) or at least 2');
  if (params.maxDepth === 0 && !(params.maxLeaves! > 1)) throw invalidField('params.maxDepth', 'can be 0 (no limit) only with maxLeaves');
  const search = parseSearch(o.search, algorithm);
  if (search) {
    for (const name of Object.keys(search.space)) {
      if (Object.hasOwn(params, name)) throw invalidField(`params.${printable(name)}`, 'is also in search.space; give it in one place');
    }
  }
  const metric = o.metric === undefined || o.metric === null ? null : oneOf('metric', o.metric, [...new Set(Object.values(METRICS).flat())]);
  let timeBudgetSeconds: number | null = null;
  if (o.timeBudgetSeconds !== undefined && o.timeBudgetSeconds !== null) {
    const t = o.timeBudgetSeconds;
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 1 || t > MAX_TIME_BUDGET_SECONDS) throw invalidField('timeBudgetSeconds', `must be a number of seconds from 1 to ${MAX_TIME_BUDGET_SECONDS}`);
    timeBudgetSeconds = t;
  }
  const text = (field: string, v: unknown, max: number): string | null => {
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' || v.trim() === '' || v.length > max || v.includes('\u0000')) throw invalidField(field, `must be 1 to ${max} characters`);
    return v;
  };
  return {
    dataset,
    target: o.target,
    task,
    algorithm,
    features,
    params,
    search,
    validation: parseValidation(o.validation),
    metric,
    timeBudgetSeconds,
    experiment: text('experiment', o.experiment, 500),
    runName: text('runName', o.runName, 250),
  };
}

/** What the service learns of the target column by a query before the job is queued. */
export interface TargetSummary {
  /** Rows with a target value. */
  rows: number;
  /** Distinct target values as text, sorted (numbers numerically), at most MAX_CLASSES + 1 of them. */
  distinct: string[];
  /** Whether there are more distinct values than `distinct` holds. */
  moreDistinct: boolean;
}

/** Checks the request against the dataset version's columns and the target's values. */
export function resolveTrainingSpec(request: TrainingRequest, columns: ColumnSchema[], target: TargetSummary): TrainingSpec {
  const targetColumn = columns.find((c) => c.name === request.target);
  if (!targetColumn) {
    throw invalidField('target', `there is no column '${printable(request.target)}' in ${request.dataset.name}@${request.dataset.version} (columns: ${columns.map((c) => c.name).slice(0, 50).join(', ')})`);
  }
  const numericTarget = NUMERIC_TYPES.includes(targetColumn.type);
  const classCount = target.moreDistinct ? Infinity : target.distinct.length;
  if (target.rows === 0) throw invalidField('target', `'${printable(request.target)}' has no values`);
  let task: Task;
  if (request.task) task = request.task;
  else if (classCount === 2) task = 'binary';
  else if (!numericTarget || (targetColumn.type === 'integer' && classCount <= 10)) task = 'multiclass';
  else task = 'regression';
  if (task === 'regression') {
    if (!numericTarget || targetColumn.type === 'boolean') throw invalidField('target', `'${printable(request.target)}' is ${targetColumn.type}; regression needs a numeric target`);
    if (classCount < 2) throw invalidField('target', `'${printable(request.target)}' has one value (${target.distinct[0]}); there is nothing to learn`);
  } else {
    if (classCount < 2) throw invalidField('target', `'${printable(request.target)}' has one class (${target.distinct[0]}); classification needs at least two`);
    if (task === 'binary' && classCount > 2) throw invalidField('task', `binary needs a target with two classes; '${printable(request.target)}' has ${Number.isFinite(classCount) ? classCount : `more than ${MAX_CLASSES}`}`);
    if (classCount > MAX_CLASSES) throw invalidField('target', `'${printable(request.target)}' has more than ${MAX_CLASSES} distinct values; too many classes (use task "regression" for a numeric target)`);
  }
  const metric = request.metric ?? METRICS[task][0]!;
  if (!METRICS[task].includes(metric)) throw invalidField('metric', `must be one of ${METRICS[task].join(', ')} for ${task}`);
  for (const name of Object.keys(request.params)) {
    const rule = PARAM_RULES[request.algorithm][name]!;
    if (rule.tasks && !rule.tasks.includes(task)) throw invalidField(`params.${name}`, `is for ${rule.tasks.join(' and ')}, not ${task}`);
  }
  if (request.search) {
    const usable = Object.keys(request.search.space).filter((name) => {
      const rule = PARAM_RULES[request.algorithm][name]!;
      return !rule.tasks || rule.tasks.includes(task);
    });
    if (usable.length === 0) throw invalidField('search.space', `names no parameter used for ${task}`);
    for (const name of Object.keys(request.search.space)) if (!usable.includes(name)) delete request.search.space[name];
  }
  const skipped: TrainingSpec['skipped'] = [];
  let features: ColumnSchema[];
  if (request.features) {
    features = request.features.map((name, i) => {
      const c = columns.find((col) => col.name === name);
      if (!c) throw invalidField(`features[${i}]`, `there is no column '${printable(name)}'`);
      if (name === request.target) throw invalidField(`features[${i}]`, `'${printable(name)}' is the target`);
      if (!NUMERIC_TYPES.includes(c.type)) {
        throw invalidField(`features[${i}]`, `'${printable(name)}' is ${c.type}; the trainers read numeric, integer and boolean columns (derive features first with a recipe: a one_hot step for categories, date_parts for datetimes)`);
      }
      return c;
    });
  } else {
    features = [];
    for (const c of columns) {
      if (c.name === request.target) continue;
      if (NUMERIC_TYPES.includes(c.type)) features.push(c);
      else skipped.push({ column: c.name, type: c.type });
    }
    if (features.length === 0) throw invalidField('features', 'the dataset has no numeric, integer or boolean column besides the target');
  }
  const v = request.validation;
  if (v.kind === 'kfold' && target.rows < v.folds) throw invalidField('validation.folds', `is ${v.folds} but '${printable(request.target)}' has values in only ${target.rows} rows`);
  if (v.kind === 'holdout' && Math.floor(target.rows * v.fraction) < 1) throw invalidField('validation.fraction', `leaves no validation row out of ${target.rows}`);
  if (v.kind !== 'dataset' && target.rows < 2) throw invalidField('dataset', `has ${target.rows} usable row(s); training needs at least 2`);
  return {
    dataset: request.dataset,
    target: request.target,
    algorithm: request.algorithm,
    params: request.params,
    search: request.search,
    validation: request.validation,
    timeBudgetSeconds: request.timeBudgetSeconds,
    experiment: request.experiment,
    runName: request.runName,
    task,
    features: features.map((c) => c.name),
    featureTypes: features.map((c) => c.type),
    classes: task === 'regression' ? [] : target.distinct,
    metric,
    skipped,
  };
}

/** A trial's full parameters: the defaults, then the request's params, then the trial's search values. */
export function effectiveParams(algorithm: Algorithm, task: Task, ...layers: Params[]): Params {
  const out: Params = {};
  for (const [name, rule] of Object.entries(PARAM_RULES[algorithm])) {
    if (!rule.tasks || rule.tasks.includes(task)) out[name] = rule.default;
  }
  for (const layer of layers) for (const [k, v] of Object.entries(layer)) if (Object.hasOwn(out, k)) out[k] = v;
  return out;
}
