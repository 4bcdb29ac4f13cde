/**
 * Reads xgboost's JSON model format (what `Booster.save_model('model.json')` writes, xgboost >= 1.0;
 * checked against 1.7) into a TreeEnsemble.
 *
 * What is read, and how:
 * - `learner.learner_model_param`: `num_feature`, `num_class` (K > 1 for multi:*), `num_target` and
 *   `base_score`. xgboost stores base_score as the user gave it (a probability for logistic objectives);
 *   the starting margin is ProbToMargin(base_score): logit for binary:logistic / reg:logistic, identity
 *   otherwise, computed in float32 as xgboost does. Newer versions may write it as a list "[5E-1]".
 * - `learner.gradient_booster`: 'gbtree', or 'dart' (its `gbtree` model, each tree's leaves scaled by
 *   `weight_drop`, which is what xgboost's prediction does); 'gblinear' is refused.
 * - each tree: `left_children`, `right_children`, `split_indices`, `split_conditions` (the threshold of a
 *   split, the value of a leaf), `default_left`, `sum_hessian` (cover) and `split_type`; `tree_info`
 *   gives the output group of each tree. Nodes that cannot be reached from the root (pruned ones) are
 *   dropped. Categorical splits (split_type 1) and vector leaves are refused.
 * - `learner.feature_names` / `learner.feature_types` ('float', 'q' -> float, 'int', 'i' -> indicator,
 *   'c' -> categorical); f0..f{n-1} and 'float' when absent.
 *
 * Unchecked: `learner.attributes.best_iteration`. Like `Booster.predict`, every tree is used (scikit-learn
 * wrappers stop at best_iteration when early stopping was used).
 *
 * Errors: bytes that are not JSON text give `invalidField('file', ...)`; JSON that is not a usable model
 * gives `unprocessable('INVALID_MODEL', ...)` naming the JSON path of the offending field; a valid model
 * using something this evaluator does not do exactly gives `unprocessable('UNSUPPORTED_MODEL', ...)`.
 */
import { invalidField, unprocessable } from '../../platform/errors.js';
import { TreeEnsembleBuilder, type ObjectiveKind, type TreeEnsemble } from './tree-ensemble.js';

export type FeatureType = 'float' | 'int' | 'indicator' | 'categorical';

export interface FeatureInfo {
  name: string;
  type: FeatureType;
}

export interface XgboostModel {
  ensemble: TreeEnsemble;
  features: FeatureInfo[];
}

/** Largest feature count and output count accepted (inputs are dense rows; this bounds allocations). */
export const XGBOOST_LIMITS = { maxFeatures: 1_000_000, maxOutputs: 100_000 } as const;

const OBJECTIVES: Record<string, { kind: ObjectiveKind; logitBase: boolean }> = {
  'binary:logistic': { kind: 'binary', logitBase: true },
  'reg:logistic': { kind: 'binary', logitBase: true },
  'multi:softprob': { kind: 'multiclass', logitBase: false },
  'multi:softmax': { kind: 'multiclass', logitBase: false },
  'reg:squarederror': { kind: 'regression', logitBase: false },
  'reg:linear': { kind: 'regression', logitBase: false },
  'reg:squaredlogerror': { kind: 'regression', logitBase: false },
  'reg:pseudohubererror': { kind: 'regression', logitBase: false },
  'reg:absoluteerror': { kind: 'regression', logitBase: false },
  'reg:quantileerror': { kind: 'regression', logitBase: false },
};

const FEATURE_TYPES: Record<string, FeatureType> = {
  float: 'float',
  q: 'float',
  int: 'int',
  i: 'indicator',
  c: 'categorical',
};

type Json = unknown;

/** Non-finite floats, which xgboost writes as bare tokens; `decode` turns them into these strings. */
const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

const bad = (path: string, problem: string) => unprocessable('INVALID_MODEL', `${path} ${problem}`, { path });
const unsupported = (path: string, problem: string) => unprocessable('UNSUPPORTED_MODEL', `${path} ${problem}`, { path });

function describe(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function field(o: Record<string, Json>, key: string): Json {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function object(v: Json, path: string): Record<string, Json> {
  if (v === undefined) throw bad(path, 'is missing');
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(path, `must be an object, not ${describe(v)}`);
  return v as Record<string, Json>;
}

function array(v: Json, path: string): Json[] {
  if (v === undefined) throw bad(path, 'is missing');
  if (!Array.isArray(v)) throw bad(path, `must be an array, not ${describe(v)}`);
  return v;
}

function string(v: Json, path: string): string {
  if (v === undefined) throw bad(path, 'is missing');
  if (typeof v !== 'string') throw bad(path, `must be a string, not ${describe(v)}`);
  return v;
}

/** xgboost writes its parameters as strings ("4", "5E-1"); numbers are accepted too. */
function paramNumber(v: Json, path: string): number {
  if (v === undefined) throw bad(path, 'is missing');
  const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(x)) throw bad(path, `must be a finite number, not ${describe(v)}`);
  return x;
}

function paramCount(v: Json, path: string, max: number): number {
  const x = paramNumber(v, path);
  if (!Number.isInteger(x) || x < 0) throw bad(path, `must be a whole number >= 0, not ${describe(v)}`);
  if (x > max) throw unsupported(path, `is ${x}; at most ${max} is supported`);
  return x;
}

/** Reads a numeric array of exactly `n` entries into doubles; booleans count as 0/1 where allowed. */
function numbers(v: Json, path: string, n: number, expected: string, booleans = false): Float64Array {
  const a = array(v, path);
  if (a.length !== n) throw bad(path, `has ${a.length} entries but ${expected}`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    if (typeof x === 'number') out[i] = x;
    else if (typeof x === 'string' && Object.hasOwn(NON_FINITE, x)) out[i] = NON_FINITE[x]!;
    else if (booleans && typeof x === 'boolean') out[i] = x ? 1 : 0;
    else throw bad(`${path}[${i}]`, `must be a number, not ${describe(x)}`);
  }
  return out;
}

function decode(bytes: Uint8Array | string): Json {
  let text: string;
  if (typeof bytes === 'string') text = bytes;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw invalidField('file', 'is not UTF-8 text; expected an xgboost JSON model (UBJSON and the old binary format are not read; save the model with a .json file name)');
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    // xgboost writes non-finite floats as bare NaN / Infinity / -Infinity (categorical splits have a NaN
    // split condition). Read those as the strings "NaN", "Infinity", "-Infinity", which `numbers` maps back.
    if (/NaN|Infinity/.test(text)) {
      try {
        return JSON.parse(quoteNonFinite(text)) as Json;
      } catch {
        // fall through: report the original error
      }
    }
    const reason = e instanceof Error ? e.message : String(e);
    throw invalidField('file', `is not valid JSON (${reason}); expected an xgboost JSON model as written by Booster.save_model('model.json')`);
  }
}

/** Quotes the bare tokens NaN, Infinity and -Infinity that appear outside JSON strings. */
function quoteNonFinite(text: string): string {
  const parts: string[] = [];
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    let token: string | undefined;
    if (c === 0x4e && text.startsWith('NaN', i)) token = 'NaN';
    else if (c === 0x49 && text.startsWith('Infinity', i)) token = 'Infinity';
    else if (c === 0x2d && text.startsWith('-Infinity', i)) token = '-Infinity';
    if (token) {
      parts.push(text.slice(from, i), `"${token}"`);
      i += token.length - 1;
      from = i + 1;
    }
  }
  parts.push(text.slice(from));
  return parts.join('');
}


/** ProbToMargin for logistic objectives in float32, as xgboost computes it: -log(1/p - 1). */
function logit32(p: number): number {
  const p32 = Math.fround(p);
  return Math.fround(-Math.log(Math.fround(Math.fround(1 / p32) - 1)));
}

function baseScores(v: Json, path: string): number[] {
  if (typeof v === 'string') {
    const s = v.trim();
    if (s.startsWith('[') && s.endsWith(']')) {
      const parts = s.slice(1, -1).split(',');
      return parts.map((p, i) => paramNumber(p, `${path}[${i}]`));
    }
  }
  return [paramNumber(v, path)];
}

function readFeatures(learner: Record<string, Json>, numFeatures: number): FeatureInfo[] {
  const namesRaw = field(learner, 'feature_names');
  const typesRaw = field(learner, 'feature_types');
  const names = namesRaw === undefined ? [] : array(namesRaw, 'learner.feature_names');
  const types = typesRaw === undefined ? [] : array(typesRaw, 'learner.feature_types');
  if (names.length !== 0 && names.length !== numFeatures) {
    throw bad('learner.feature_names', `has ${names.length} entries but the model has ${numFeatures} features`);
  }
  if (types.length !== 0 && types.length !== numFeatures) {
    throw bad('learner.feature_types', `has ${types.length} entries but the model has ${numFeatures} features`);
  }
  const features: FeatureInfo[] = new Array(numFeatures);
  const seen = new Set<string>();
  for (let i = 0; i < numFeatures; i++) {
    const name = names.length ? string(names[i], `learner.feature_names[${i}]`) : `f${i}`;
    if (name === '') throw bad(`learner.feature_names[${i}]`, 'is empty');
    if (seen.has(name)) throw bad(`learner.feature_names[${i}]`, `repeats the name ${JSON.stringify(name)}`);
    seen.add(name);
    let type: FeatureType = 'float';
    if (types.length) {
      const t = string(types[i], `learner.feature_types[${i}]`);
      const mapped = Object.hasOwn(FEATURE_TYPES, t) ? FEATURE_TYPES[t] : undefined;
      if (!mapped) throw unsupported(`learner.feature_types[${i}]`, `is ${JSON.stringify(t)}; known types are ${Object.keys(FEATURE_TYPES).join(', ')}`);
      type = mapped;
    }
    features[i] = { name, type };
  }
  return features;
}

export function parseXgboostJson(bytes: Uint8Array | string): XgboostModel {
  const root = object(decode(bytes), 'the model');
  const learner = object(field(root, 'learner'), 'learner');

  const param = object(field(learner, 'learner_model_param'), 'learner.learner_model_param');
  const numFeatures = paramCount(field(param, 'num_feature'), 'learner.learner_model_param.num_feature', XGBOOST_LIMITS.maxFeatures);
  const numClass = paramCount(field(param, 'num_class') ?? '0', 'learner.learner_model_param.num_class', XGBOOST_LIMITS.maxOutputs);
  const numTarget = paramCount(field(param, 'num_target') ?? '1', 'learner.learner_model_param.num_target', XGBOOST_LIMITS.maxOutputs);

  const objectiveName = string(field(object(field(learner, 'objective'), 'learner.objective'), 'name'), 'learner.objective.name');
  const objective = Object.hasOwn(OBJECTIVES, objectiveName) ? OBJECTIVES[objectiveName] : undefined;
  if (!objective) {
    throw unsupported(
      'learner.objective.name',
      `is ${JSON.stringify(objectiveName)}; supported objectives are ${Object.keys(OBJECTIVES).join(', ')} (objectives with a log link, ranking, hinge, survival and logitraw are not)`,
    );
  }

  let numOutputs: number;
  if (objective.kind === 'multiclass') {
    if (numClass < 2) throw bad('learner.learner_model_param.num_class', `is ${numClass}, but ${objectiveName} needs at least 2 classes`);
    if (numTarget > 1) throw unsupported('learner.learner_model_param.num_target', `is ${numTarget}; multi-target multiclass models are not supported`);
    numOutputs = numClass;
  } else {
    if (numClass > 1) throw bad('learner.learner_model_param.num_class', `is ${numClass}, but ${objectiveName} is not a multiclass objective`);
    if (numTarget < 1) throw bad('learner.learner_model_param.num_target', 'is 0');
    if (numTarget > 1 && objective.kind !== 'regression') {
      throw unsupported('learner.learner_model_param.num_target', `is ${numTarget}; only regression objectives may have several targets`);
    }
    numOutputs = numTarget;
  }

  const scoresPath = 'learner.learner_model_param.base_score';
  const scores = baseScores(field(param, 'base_score') ?? '0.5', scoresPath);
  if (scores.length !== 1 && scores.length !== numOutputs) {
    throw bad(scoresPath, `has ${scores.length} values but the model has ${numOutputs} outputs`);
  }
  const baseMargin = new Float64Array(numOutputs);
  for (let k = 0; k < numOutputs; k++) {
    const s = scores.length === 1 ? scores[0]! : scores[k]!;
    if (objective.logitBase) {
      if (!(s > 0 && s < 1)) throw bad(scoresPath, `is ${s}, but ${objectiveName} needs a probability strictly between 0 and 1`);
      baseMargin[k] = logit32(s);
    } else {
      baseMargin[k] = Math.fround(s);
    }
  }

  const booster = object(field(learner, 'gradient_booster'), 'learner.gradient_booster');
  const boosterName = string(field(booster, 'name'), 'learner.gradient_booster.name');
  let modelPath: string;
  let model: Record<string, Json>;
  let weightDrop: Float64Array | undefined;
  if (boosterName === 'gbtree') {
    modelPath = 'learner.gradient_booster.model';
    model = object(field(booster, 'model'), modelPath);
  } else if (boosterName === 'dart') {
    const gbtree = object(field(booster, 'gbtree'), 'learner.gradient_booster.gbtree');
    modelPath = 'learner.gradient_booster.gbtree.model';
    model = object(field(gbtree, 'model'), modelPath);
  } else {
    throw unsupported('learner.gradient_booster.name', `is ${JSON.stringify(boosterName)}; only tree boosters (gbtree, dart) are supported`);
  }

  const trees = array(field(model, 'trees'), `${modelPath}.trees`);
  const numTreesParam = field(object(field(model, 'gbtree_model_param'), `${modelPath}.gbtree_model_param`), 'num_trees');
  const numTrees = paramCount(numTreesParam, `${modelPath}.gbtree_model_param.num_trees`, Number.MAX_SAFE_INTEGER);
  if (trees.length !== numTrees) throw bad(`${modelPath}.trees`, `has ${trees.length} trees but gbtree_model_param.num_trees is ${numTrees}`);
  const treeInfo = numbers(field(model, 'tree_info'), `${modelPath}.tree_info`, numTrees, `the model has ${numTrees} trees`);
  if (boosterName === 'dart') {
    weightDrop = numbers(field(booster, 'weight_drop'), 'learner.gradient_booster.weight_drop', numTrees, `the model has ${numTrees} trees`);
  }

  const builder = new TreeEnsembleBuilder(numFeatures, numOutputs);
  for (let t = 0; t < numTrees; t++) {
    const path = `${modelPath}.trees[${t}]`;
    const tree = object(trees[t], path);
    const tp = object(field(tree, 'tree_param'), `${path}.tree_param`);
    const numNodes = paramCount(field(tp, 'num_nodes'), `${path}.tree_param.num_nodes`, 0x7fffffff);
    if (numNodes < 1) throw bad(`${path}.tree_param.num_nodes`, 'is 0; a tree needs at least one node');
    const leafVector = field(tp, 'size_leaf_vector');
    if (leafVector !== undefined && paramNumber(leafVector, `${path}.tree_param.size_leaf_vector`) > 1) {
      throw unsupported(`${path}.tree_param.size_leaf_vector`, 'is above 1; trees with vector leaves (multi_strategy) are not supported');
    }
    const expected = `the tree has ${numNodes} nodes`;
    const read = (key: string, booleans = false) => numbers(field(tree, key), `${path}.${key}`, numNodes, expected, booleans);
    const left = read('left_children');
    const right = read('right_children');
    const feature = read('split_indices');
    const conditions = read('split_conditions');
    const defaultLeft = read('default_left', true);
    const cover = read('sum_hessian');
    const splitType = field(tree, 'split_type') === undefined ? undefined : read('split_type');
    if (splitType) {
      for (let i = 0; i < numNodes; i++) {
        if (splitType[i] !== 0 && left[i] !== -1) {
          throw unsupported(`${path}.split_type[${i}]`, `is ${splitType[i]}: categorical splits are not supported; train with numeric (e.g. one-hot) features instead`);
        }
      }
    }
    const output = treeInfo[t]!;
    if (!Number.isInteger(output) || output < 0 || output >= numOutputs) {
      throw bad(`${modelPath}.tree_info[${t}]`, `is ${output}, but the model has ${numOutputs} output(s)`);
    }
    let value: Float64Array = conditions;
    if (weightDrop) {
      const w = Math.fround(weightDrop[t]!);
      value = conditions.map((v) => Math.fround(w * Math.fround(v)));
    }
    const problem = builder.addTree({ numNodes, left, right, feature, threshold: conditions, defaultLeft, value, cover, output });
    if (problem) throw unprocessable('INVALID_MODEL', `${path}: ${problem}`, { path });
  }

  const features = readFeatures(learner, numFeatures);
  const ensemble = builder.finish({ objective: objective.kind, sourceObjective: objectiveName, baseMargin });
  return { ensemble, features };
}
