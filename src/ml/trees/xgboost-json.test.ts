import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../platform/errors.js';
import { checkTreeEnsemble, type TreeEnsemble } from './tree-ensemble.js';
import { predict, predictMargin } from './tree-evaluator.js';
import { parseXgboostJson } from './xgboost-json.js';

// Fixtures come from test/fixtures/xgboost/make_models.py (xgboost 1.7.4).
const FIXTURES = new URL('../../../test/fixtures/xgboost/', import.meta.url);
const TOLERANCE = 1e-5;

interface Expected {
  rows: number;
  numFeatures: number;
  x: (number | null)[][];
  margin: number[];
  prediction: number[];
}

const modelBytes = (name: string): Uint8Array => readFileSync(new URL(`${name}.json`, FIXTURES));
const expected = (name: string): Expected => JSON.parse(readFileSync(new URL(`${name}.expected.json`, FIXTURES), 'utf8')) as Expected;
const rowsOf = (e: Expected) => Float32Array.from(e.x.flat(), (v) => (v === null ? NaN : v));

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** Parses and returns the thrown error, failing the test when parsing succeeds or throws something else. */
function parseError(input: Uint8Array | string | object): DomainError {
  const bytes = typeof input === 'string' || input instanceof Uint8Array ? input : JSON.stringify(input);
  try {
    parseXgboostJson(bytes);
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw new Error(`expected a DomainError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected parsing to fail');
}

/** A minimal valid model: one split on f1 at 0.5, leaves -1 (left) and 2 (right), missing goes left. */
function tinyModel(): {
  learner: {
    learner_model_param: Record<string, string>;
    objective: { name: string };
    feature_names?: unknown;
    feature_types?: unknown;
    gradient_booster: { name: string; model: { gbtree_model_param: Record<string, string>; tree_info: unknown[]; trees: Record<string, unknown>[] } };
  };
} {
  return {
    learner: {
      learner_model_param: { base_score: '5E-1', num_class: '0', num_feature: '2', num_target: '1' },
      objective: { name: 'reg:squarederror' },
      gradient_booster: {
        name: 'gbtree',
        model: {
          gbtree_model_param: { num_trees: '1', num_parallel_tree: '1' },
          tree_info: [0],
          trees: [
            {
              tree_param: { num_nodes: '3', num_feature: '2', num_deleted: '0', size_leaf_vector: '0' },
              left_children: [1, -1, -1],
              right_children: [2, -1, -1],
              split_indices: [1, 0, 0],
              split_conditions: [0.5, -1, 2],
              default_left: [1, 0, 0],
              sum_hessian: [10, 4, 6],
              split_type: [0, 0, 0],
            },
          ],
        },
      },
    },
  };
}
const tree0 = (m: ReturnType<typeof tinyModel>) => m.learner.gradient_booster.model.trees[0]!;

describe('parseXgboostJson + predict agree with xgboost', () => {
  const cases: [string, TreeEnsemble['objective'], number][] = [
    ['binary-logistic', 'binary', 1],
    ['multi-softprob', 'multiclass', 3],
    ['reg-squarederror', 'regression', 1],
    ['named-features', 'binary', 1],
    ['dart-binary', 'binary', 1],
    ['multi-target', 'regression', 2],
    ['bench-200x6', 'binary', 1],
  ];
  for (const [name, objective, outputs] of cases) {
    it(`${name}: margins and predictions within ${TOLERANCE} of xgboost's`, () => {
      const { ensemble } = parseXgboostJson(modelBytes(name));
      const e = expected(name);
      expect(ensemble.objective).toBe(objective);
      expect(ensemble.numOutputs).toBe(outputs);
      expect(ensemble.numFeatures).toBe(e.numFeatures);
      expect(checkTreeEnsemble(ensemble)).toBeUndefined();
      const x = rowsOf(e);
      expect(maxAbsDiff(predictMargin(ensemble, x, e.rows), e.margin)).toBeLessThanOrEqual(TOLERANCE);
      expect(maxAbsDiff(predict(ensemble, x, e.rows), e.prediction)).toBeLessThanOrEqual(TOLERANCE);
    });
  }

  it('gives bit-identical margins by summing leaves in float32, where float64 sums drift by more than 1e-6', () => {
    const { ensemble: en } = parseXgboostJson(modelBytes('bench-200x6'));
    const e = expected('bench-200x6');
    const x = rowsOf(e);
    expect(Array.from(predictMargin(en, x, e.rows))).toEqual(e.margin);
    // The same walk summed in float64, straight from the public arrays, to show why float32 matters.
    let drift = 0;
    for (let r = 0; r < e.rows; r++) {
      let sum = en.baseMargin[0]!;
      for (let t = 0; t < en.numTrees; t++) {
        let n = en.treeOffsets[t]!;
        while (en.feature[n]! >= 0) {
          const v = x[r * en.numFeatures + en.feature[n]!]!;
          n = Number.isNaN(v) ? (en.defaultLeft[n] ? en.left[n]! : en.right[n]!) : v < en.threshold[n]! ? en.left[n]! : en.right[n]!;
        }
        sum += en.value[n]!;
      }
      drift = Math.max(drift, Math.abs(sum - e.margin[r]!));
    }
    expect(drift).toBeGreaterThan(1e-6);
  });

  it('gives the same answers one row at a time and in batches of any size', () => {
    for (const name of ['bench-200x6', 'multi-softprob', 'multi-target']) {
      const { ensemble } = parseXgboostJson(modelBytes(name));
      const e = expected(name);
      const x = rowsOf(e);
      const k = ensemble.numOutputs;
      const whole = predictMargin(ensemble, x, e.rows);
      const w = e.numFeatures;
      for (const size of [1, 3, 5]) {
        const pieces = new Float64Array(e.rows * k);
        for (let r = 0; r < e.rows; r += size) {
          const n = Math.min(size, e.rows - r);
          pieces.set(predictMargin(ensemble, x.subarray(r * w, (r + n) * w), n), r * k);
        }
        expect(Array.from(pieces)).toEqual(Array.from(whole));
      }
    }
  });

  it('reads objective, outputs, output groups and base margins', () => {
    const binary = parseXgboostJson(modelBytes('binary-logistic')).ensemble;
    expect(binary.sourceObjective).toBe('binary:logistic');
    // base_score 0.3 is stored as a probability; the margin starts at logit(0.3).
    expect(binary.baseMargin[0]).toBeCloseTo(Math.log(0.3 / 0.7), 6);
    expect(binary.numTrees).toBe(8);
    const multi = parseXgboostJson(modelBytes('multi-softprob')).ensemble;
    expect(Array.from(multi.treeOutput.subarray(0, 6))).toEqual([0, 1, 2, 0, 1, 2]);
    expect(Array.from(multi.baseMargin)).toEqual([0.5, 0.5, 0.5]);
    const probabilities = predict(multi, rowsOf(expected('multi-softprob')), 20);
    for (let r = 0; r < 20; r++) expect(probabilities[3 * r]! + probabilities[3 * r + 1]! + probabilities[3 * r + 2]!).toBeCloseTo(1, 12);
    const reg = parseXgboostJson(modelBytes('reg-squarederror')).ensemble;
    expect(reg.baseMargin[0]).toBe(0.5);
  });

  it('drops the pruned (unreachable) nodes xgboost leaves in its files and keeps cover', () => {
    const json = JSON.parse(new TextDecoder().decode(modelBytes('reg-squarederror'))) as ReturnType<typeof tinyModel>;
    const trees = json.learner.gradient_booster.model.trees;
    const inFile = trees.reduce((s, t) => s + Number((t.tree_param as Record<string, string>).num_nodes), 0);
    const deleted = trees.reduce((s, t) => s + Number((t.tree_param as Record<string, string>).num_deleted), 0);
    expect(deleted).toBeGreaterThan(0);
    const { ensemble } = parseXgboostJson(modelBytes('reg-squarederror'));
    expect(ensemble.feature.length).toBe(inFile - deleted);
    // Cover of a root is the sum of its children's, and it is the root's sum_hessian from the file.
    const root = ensemble.treeOffsets[0]!;
    expect(ensemble.cover[root]).toBe((trees[0]!.sum_hessian as number[])[0]);
    expect(ensemble.cover[ensemble.left[root]!]! + ensemble.cover[ensemble.right[root]!]!).toBeCloseTo(ensemble.cover[root]!, 3);
  });
});

describe('splits and missing values', () => {
  const evaluate = (m: object, rows: number[][]) => {
    const { ensemble } = parseXgboostJson(JSON.stringify(m));
    return Array.from(predictMargin(ensemble, Float32Array.from(rows.flat()), rows.length));
  };

  it('sends a missing value the default way, left or right as the node says', () => {
    const m = tinyModel();
    // base_score 0.5 + leaf: left leaf -1 -> -0.5, right leaf 2 -> 2.5
    expect(evaluate(m, [[0, NaN]])).toEqual([-0.5]);
    tree0(m).default_left = [0, 0, 0];
    expect(evaluate(m, [[0, NaN]])).toEqual([2.5]);
    tree0(m).default_left = [false, false, false]; // older files write booleans
    expect(evaluate(m, [[0, NaN]])).toEqual([2.5]);
  });

  it('goes left only when x < threshold: equal goes right; infinities are values, not missing', () => {
    const m = tinyModel();
    tree0(m).split_conditions = [0.1, -1, 2]; // 0.1 is not a float32: the threshold is fround(0.1)
    const t = Math.fround(0.1);
    const below = t - 2 ** -27; // the float32 just below fround(0.1)
    expect(Math.fround(below)).toBe(below);
    expect(evaluate(m, [[0, t], [0, below], [0, -Infinity], [0, Infinity]])).toEqual([2.5, -0.5, -0.5, 2.5]);
  });

  it('follows the default directions of a real model for a row that is all missing', () => {
    const { ensemble } = parseXgboostJson(modelBytes('binary-logistic'));
    const e = expected('binary-logistic');
    expect(e.x[0]!.every((v) => v === null)).toBe(true);
    const defaults = new Float64Array(1);
    // Walk only default directions through the public arrays; compare with xgboost's margin for row 0.
    let sum = ensemble.baseMargin[0]!;
    for (let t = 0; t < ensemble.numTrees; t++) {
      let n = ensemble.treeOffsets[t]!;
      while (ensemble.feature[n]! >= 0) n = ensemble.defaultLeft[n] ? ensemble.left[n]! : ensemble.right[n]!;
      sum = Math.fround(sum + ensemble.value[n]!);
    }
    defaults[0] = sum;
    expect(Math.abs(defaults[0] - e.margin[0]!)).toBeLessThanOrEqual(TOLERANCE);
    expect(predictMargin(ensemble, new Float32Array(e.numFeatures).fill(NaN), 1)[0]).toBe(e.margin[0]);
    // and that the defaults are not all one way, so the row does exercise both
    const internal = Array.from(ensemble.feature.keys()).filter((n) => ensemble.feature[n]! >= 0);
    expect(new Set(internal.map((n) => ensemble.defaultLeft[n])).size).toBe(2);
  });

  it('walks a very deep tree without recursion, on the one-row-at-a-time path', () => {
    // A chain: internal node j splits feature 0 at j + 0.5; left is a leaf worth j, right is node j + 1.
    // Source ids are scrambled so that children often have smaller ids than their parents.
    const depth = 20_000;
    const count = 2 * depth + 1;
    const id = (k: number) => (k === 0 ? 0 : count - k); // k: 0 root chain node, then k-order
    const left = new Array<number>(count).fill(-1);
    const right = new Array<number>(count).fill(-1);
    const feature = new Array<number>(count).fill(0);
    const cond = new Array<number>(count).fill(0);
    // chain node j has k = 2j, its leaf has k = 2j + 1; the final leaf has k = 2 * depth
    for (let j = 0; j < depth; j++) {
      const me = id(2 * j);
      left[me] = id(2 * j + 1);
      right[me] = id(2 * j + 2);
      cond[me] = j + 0.5;
      cond[id(2 * j + 1)] = j;
    }
    cond[id(2 * depth)] = depth;
    const m = tinyModel();
    Object.assign(tree0(m), {
      tree_param: { num_nodes: String(count), num_feature: '2', num_deleted: '0', size_leaf_vector: '0' },
      left_children: left,
      right_children: right,
      split_indices: feature,
      split_conditions: cond,
      default_left: new Array<number>(count).fill(0),
      sum_hessian: new Array<number>(count).fill(1),
      split_type: new Array<number>(count).fill(0),
    });
    const { ensemble } = parseXgboostJson(JSON.stringify(m));
    expect(ensemble.treeDepth[0]).toBe(depth);
    const x = Float32Array.from([3, 0, 12_345, 0, 1e9, 0, -1, 0, 7.25, 0]);
    expect(Array.from(predictMargin(ensemble, x, 5))).toEqual([3.5, 12_345.5, depth + 0.5, 0.5, 7.5]);
  });
});

describe('features', () => {
  it('reads feature names and types', () => {
    const { features } = parseXgboostJson(modelBytes('named-features'));
    expect(features).toEqual([
      { name: 'income', type: 'float' },
      { name: 'age', type: 'int' },
      { name: 'home_owner', type: 'indicator' },
      { name: 'score', type: 'float' }, // 'q' (quantitative) is a float
    ]);
  });

  it('names features f0..f{n-1} as float when the file has no names or types', () => {
    const { features } = parseXgboostJson(modelBytes('binary-logistic'));
    expect(features.map((f) => f.name)).toEqual(['f0', 'f1', 'f2', 'f3', 'f4']);
    expect(new Set(features.map((f) => f.type))).toEqual(new Set(['float']));
  });

  it('refuses categorical splits, naming the node', () => {
    const err = parseError(modelBytes('categorical'));
    expect(err.code).toBe('UNSUPPORTED_MODEL');
    expect(err.kind).toBe('unprocessable');
    expect(err.message).toMatch(/^learner\.gradient_booster\.model\.trees\[0\]\.split_type\[\d+\] is 1: categorical splits are not supported/);
  });

  it('accepts a categorical feature type on a feature no split uses', () => {
    const m = tinyModel();
    m.learner.feature_names = ['colour', 'size'];
    m.learner.feature_types = ['c', 'float'];
    expect(parseXgboostJson(JSON.stringify(m)).features).toEqual([
      { name: 'colour', type: 'categorical' },
      { name: 'size', type: 'float' },
    ]);
  });

  it('refuses bad names and types', () => {
    const m = tinyModel();
    m.learner.feature_names = ['a'];
    expect(parseError(m).message).toBe('learner.feature_names has 1 entries but the model has 2 features');
    m.learner.feature_names = ['a', 'a'];
    expect(parseError(m).message).toBe('learner.feature_names[1] repeats the name "a"');
    m.learner.feature_names = ['a', 7];
    expect(parseError(m).message).toBe('learner.feature_names[1] must be a string, not number 7');
    m.learner.feature_names = [];
    m.learner.feature_types = ['float', 'decimal'];
    expect(parseError(m).message).toMatch(/^learner\.feature_types\[1\] is "decimal"; known types are float, q, int, i, c$/);
  });
});

describe('bad input gives a DomainError naming the problem', () => {
  it('refuses truncated JSON and bytes that are not text', () => {
    const bytes = modelBytes('binary-logistic');
    const truncated = parseError(bytes.subarray(0, bytes.length >> 1));
    expect(truncated.kind).toBe('invalid');
    expect(truncated.code).toBe('INVALID_FIELD');
    expect(truncated.details).toMatchObject({ field: 'file' });
    expect(truncated.message).toMatch(/^file: is not valid JSON \(.+\); expected an xgboost JSON model/);
    const binary = parseError(Uint8Array.from([0x7b, 0x4c, 0xff, 0xfe, 0x00]));
    expect(binary.message).toMatch(/^file: is not UTF-8 text/);
    expect(parseError('[1, 2]').message).toBe('the model must be an object, not an array');
    expect(parseError('{}').message).toBe('learner is missing');
  });

  it('refuses arrays of the wrong length', () => {
    const m = tinyModel();
    tree0(m).left_children = [1, -1];
    const err = parseError(m);
    expect(err.kind).toBe('unprocessable');
    expect(err.code).toBe('INVALID_MODEL');
    expect(err.message).toBe('learner.gradient_booster.model.trees[0].left_children has 2 entries but the tree has 3 nodes');
    expect(err.details).toEqual({ path: 'learner.gradient_booster.model.trees[0].left_children' });
    const m2 = tinyModel();
    tree0(m2).sum_hessian = [1, 2, 3, 4];
    expect(parseError(m2).message).toBe('learner.gradient_booster.model.trees[0].sum_hessian has 4 entries but the tree has 3 nodes');
    const m3 = tinyModel();
    m3.learner.gradient_booster.model.tree_info = [0, 0];
    expect(parseError(m3).message).toBe('learner.gradient_booster.model.tree_info has 2 entries but the model has 1 trees');
    const m4 = tinyModel();
    m4.learner.gradient_booster.model.gbtree_model_param.num_trees = '2';
    expect(parseError(m4).message).toBe('learner.gradient_booster.model.trees has 1 trees but gbtree_model_param.num_trees is 2');
  });

  it('refuses children out of range, cycles, shared children and half leaves', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ right_children: [3, -1, -1] }, 'node 0 has child 3, outside [0, 3)'],
      [{ left_children: [1.5, -1, -1] }, 'node 0 has child 1.5, outside [0, 3)'],
      [{ left_children: [0, -1, -1] }, 'node 0 is reached twice (again from node 0); the nodes do not form a tree'],
      [{ left_children: [1, 0, -1], right_children: [2, 2, -1] }, 'node 0 is reached twice (again from node 1); the nodes do not form a tree'],
      [{ left_children: [2, -1, -1] }, 'node 0 has node 2 as both children'],
      [{ left_children: [1, -1, -1], right_children: [2, 0, -1] }, 'node 1 has left child -1 and right child 0; a leaf needs -1 for both'],
      [{ split_indices: [2, 0, 0] }, 'node 0 splits on feature 2, but the model has 2 feature(s)'],
      [{ split_conditions: [1e39, -1, 2] }, 'node 0 has threshold 1e+39, which is not a finite float32'],
      [{ split_conditions: [0.5, -1, -1e300] }, 'leaf 2 has value -1e+300, which is not a finite float32'],
    ];
    for (const [patch, problem] of cases) {
      const m = tinyModel();
      Object.assign(tree0(m), patch);
      const err = parseError(m);
      expect(err.code).toBe('INVALID_MODEL');
      expect(err.message).toBe(`learner.gradient_booster.model.trees[0]: ${problem}`);
    }
  });

  it('refuses wrong types with the path of the value', () => {
    const m = tinyModel();
    tree0(m).split_indices = [1, 'x', 0];
    expect(parseError(m).message).toBe('learner.gradient_booster.model.trees[0].split_indices[1] must be a number, not the string "x"');
    const m2 = tinyModel();
    m2.learner.gradient_booster.model.trees[0] = null as never;
    expect(parseError(m2).message).toBe('learner.gradient_booster.model.trees[0] must be an object, not null');
    const m3 = tinyModel();
    m3.learner.gradient_booster.model.tree_info = [1];
    expect(parseError(m3).message).toBe('learner.gradient_booster.model.tree_info[0] is 1, but the model has 1 output(s)');
    const m4 = tinyModel();
    m4.learner.learner_model_param.num_feature = 'four';
    expect(parseError(m4).message).toBe('learner.learner_model_param.num_feature must be a finite number, not the string "four"');
  });

  it('refuses objectives and boosters it cannot evaluate exactly', () => {
    const m = tinyModel();
    m.learner.objective.name = 'count:poisson';
    const err = parseError(m);
    expect(err.code).toBe('UNSUPPORTED_MODEL');
    expect(err.kind).toBe('unprocessable');
    expect(err.message).toMatch(/^learner\.objective\.name is "count:poisson"; supported objectives are binary:logistic, .*reg:squarederror/);
    m.learner.objective.name = 'binary:logitraw';
    expect(parseError(m).code).toBe('UNSUPPORTED_MODEL');
    const m2 = tinyModel();
    m2.learner.gradient_booster.name = 'gblinear';
    expect(parseError(m2).message).toBe('learner.gradient_booster.name is "gblinear"; only tree boosters (gbtree, dart) are supported');
    const m3 = tinyModel();
    (tree0(m3).tree_param as Record<string, string>).size_leaf_vector = '3';
    expect(parseError(m3).code).toBe('UNSUPPORTED_MODEL');
  });

  it('refuses inconsistent model parameters', () => {
    const m = tinyModel();
    m.learner.objective.name = 'binary:logistic';
    m.learner.learner_model_param.base_score = '1';
    expect(parseError(m).message).toBe('learner.learner_model_param.base_score is 1, but binary:logistic needs a probability strictly between 0 and 1');
    const m2 = tinyModel();
    m2.learner.objective.name = 'multi:softprob';
    expect(parseError(m2).message).toBe('learner.learner_model_param.num_class is 0, but multi:softprob needs at least 2 classes');
    const m3 = tinyModel();
    m3.learner.learner_model_param.num_feature = '1e12';
    expect(parseError(m3).message).toMatch(/^learner\.learner_model_param\.num_feature is 1000000000000; at most 1000000 is supported/);
  });

  it('reads the bare NaN and Infinity tokens xgboost writes for non-finite floats, and only outside strings', () => {
    const m = tinyModel();
    m.learner.feature_names = ['NaN', 'x,NaN]'];
    Object.assign(tree0(m), { base_weights: ['@NAN@', '@INF@', '@-INF@'] });
    const text = JSON.stringify(m).replace('"@NAN@"', 'NaN').replace('"@INF@"', 'Infinity').replace('"@-INF@"', '-Infinity');
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(parseXgboostJson(text).features.map((f) => f.name)).toEqual(['NaN', 'x,NaN]']);
    const withNaNThreshold = JSON.stringify(tinyModel()).replace('"split_conditions":[0.5,', '"split_conditions":[NaN,');
    expect(parseError(withNaNThreshold).message).toBe('learner.gradient_booster.model.trees[0]: node 0 has threshold NaN, which is not a finite float32');
  });

  it('accepts a model with no trees, which predicts its base score', () => {
    const m = tinyModel();
    m.learner.objective.name = 'binary:logistic';
    m.learner.learner_model_param.base_score = '2E-1';
    m.learner.gradient_booster.model = { gbtree_model_param: { num_trees: '0' }, tree_info: [], trees: [] };
    const { ensemble } = parseXgboostJson(JSON.stringify(m));
    expect(ensemble.numTrees).toBe(0);
    const p = predict(ensemble, new Float32Array(4), 2);
    expect(p[0]).toBeCloseTo(0.2, 7);
    expect(p[1]).toBeCloseTo(0.2, 7);
  });

  it('accepts base_score written as a list, as newer xgboost writes it', () => {
    const m = tinyModel();
    m.learner.learner_model_param.base_score = '[2.5E-1]';
    expect(parseXgboostJson(JSON.stringify(m)).ensemble.baseMargin[0]).toBe(0.25);
  });

  it('survives hostile JSON: deep nesting, prototype keys and random corruption never escape as anything but a DomainError', () => {
    expect(parseError('['.repeat(200_000) + ']'.repeat(200_000)).message).toBe('the model must be an object, not an array');
    expect(parseError('{"learner":'.repeat(100_000) + '1' + '}'.repeat(100_000)).message).toBe('learner.learner_model_param is missing');
    expect(parseError('{"__proto__": {"learner": {}}}').message).toBe('learner is missing');
    const base = JSON.parse(new TextDecoder().decode(modelBytes('binary-logistic'))) as unknown;
    const junk: unknown[] = [null, -1, 0, 1, 1e9, -2147483648, 0.5, 'x', '', [], {}, true, [1, 2], 'NaN'];
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let failures = 0;
    for (let round = 0; round < 600; round++) {
      const m = structuredClone(base);
      // Walk to a random spot and replace it (or an array entry / array length) with junk.
      let node = m as Record<string, unknown>;
      for (let depth = 0; depth < 8; depth++) {
        const keys = Object.keys(node);
        if (keys.length === 0) break;
        const key = keys[random(keys.length)]!;
        const child = node[key];
        if (child !== null && typeof child === 'object' && random(4) !== 0) {
          node = child as Record<string, unknown>;
          continue;
        }
        if (Array.isArray(node) && random(3) === 0) node.length = random(node.length + 1);
        else node[key] = junk[random(junk.length)];
        break;
      }
      try {
        const { ensemble } = parseXgboostJson(JSON.stringify(m));
        expect(checkTreeEnsemble(ensemble)).toBeUndefined();
        predict(ensemble, new Float32Array(ensemble.numFeatures * 3).fill(0.25), 3);
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        expect(e.message.length).toBeGreaterThan(10);
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(100); // the corruption really did break most models
  });
});

describe('predictMargin input checks', () => {
  it('refuses a batch whose size does not match rows x features', () => {
    const { ensemble } = parseXgboostJson(modelBytes('binary-logistic'));
    expect(() => predictMargin(ensemble, new Float32Array(9), 2)).toThrow(/^x: has 9 values; expected rows x features = 2 x 5 = 10$/);
    expect(() => predictMargin(ensemble, new Float32Array(10), 2, new Float64Array(3))).toThrow(DomainError);
    expect(predictMargin(ensemble, new Float32Array(0), 0)).toEqual(new Float64Array(0));
  });

  it('refuses an ensemble that breaks the layout invariants instead of looping or reading out of bounds', () => {
    const { ensemble } = parseXgboostJson(JSON.stringify(tinyModel()));
    const broken: TreeEnsemble = { ...ensemble, left: Int32Array.from([0, -1, -1]), right: Int32Array.from([1, -1, -1]) };
    expect(checkTreeEnsemble(broken)).toBe('node 0: left child 0 is outside (0, 2)');
    expect(() => predictMargin(broken, new Float32Array(2), 1)).toThrow(/The tree ensemble is inconsistent: node 0: left child 0/);
    const wrongDepth: TreeEnsemble = { ...ensemble, treeDepth: Int32Array.from([5]) };
    expect(checkTreeEnsemble(wrongDepth)).toBe('tree 0 has depth 1 but treeDepth says 5');
  });
});
