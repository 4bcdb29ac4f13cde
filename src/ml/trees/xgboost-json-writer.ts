/**
 * Writes a TreeEnsemble in xgboost's JSON model format (as `Booster.save_model('model.json')` writes it in
 * xgboost 1.7), so that Steward's own trained trees are kept in a format that its native evaluator and
 * TreeSHAP read (xgboost-json.ts) and that xgboost itself loads.
 *
 * - Objectives: binary:logistic (base_score written as the float32 probability whose float32 logit, as
 *   xgboost and the reader compute it, comes closest to the ensemble's base margin), multi:softprob
 *   (every class must start from the same margin, written as base_score, which xgboost uses as a margin
 *   for softmax), reg:squarederror.
 * - Each tree keeps Steward's breadth-first node order (root 0); split_conditions hold the float32
 *   threshold of a split and the value of a leaf; sum_hessian the cover; default_left the missing-value
 *   direction; base_weights the leaf values (0 for splits) and loss_changes 0 (not kept by the ensemble).
 */
import type { TreeEnsemble } from './tree-ensemble.js';

const OBJECTIVE_JSON: Record<string, (k: number) => Record<string, unknown>> = {
  'binary:logistic': () => ({ name: 'binary:logistic', reg_loss_param: { scale_pos_weight: '1' } }),
  'multi:softprob': (k) => ({ name: 'multi:softprob', softmax_multiclass_param: { num_class: String(k) } }),
  'reg:squarederror': () => ({ name: 'reg:squarederror', reg_loss_param: { scale_pos_weight: '1' } }),
};

/** A float32 value as xgboost writes numbers: the shortest decimal that reads back to the same float32. */
function f32(v: number): number {
  const x = Math.fround(v);
  for (let p = 6; p <= 9; p++) {
    const t = Number(x.toPrecision(p));
    if (Math.fround(t) === x) return t;
  }
  return x;
}

const f32Box = new Float32Array(1);
const u32Box = new Uint32Array(f32Box.buffer);

/** The float32 `steps` ulps away from the positive float32 `p` (towards +∞ for steps > 0). */
function stepFloat32(p: number, steps: number): number {
  f32Box[0] = p;
  u32Box[0] = u32Box[0]! + steps;
  return f32Box[0];
}

/** The reader's ProbToMargin (xgboost's, in float32): -log(1/p - 1). */
function logit32(p: number): number {
  const p32 = Math.fround(p);
  return Math.fround(-Math.log(Math.fround(Math.fround(1 / p32) - 1)));
}

/**
 * The float32 probability whose float32 logit (as xgboost and parseXgboostJson compute it) is closest to
 * `margin`: the float32 sigmoid and its neighbours a few ulps either side, the first best kept.
 */
function logisticBaseScore(margin: number): number {
  const p0 = Math.fround(1 / (1 + Math.exp(-margin)));
  if (!(p0 > 0 && p0 < 1)) throw new RangeError(`the base margin ${margin} has no float32 probability strictly between 0 and 1 to be written as base_score`);
  let best = p0;
  let bestErr = Math.abs(logit32(p0) - margin);
  for (let d = 1; d <= 8 && bestErr > 0; d++) {
    for (const p of [stepFloat32(p0, -d), stepFloat32(p0, d)]) {
      if (!(p > 0 && p < 1)) continue;
      const err = Math.abs(logit32(p) - margin);
      if (err < bestErr) {
        best = p;
        bestErr = err;
      }
    }
  }
  return best;
}

/**
 * xgboost's JSON reader tells integers from other numbers: float fields must be written with a decimal
 * point or an exponent ("0.0", not "0"). Float arrays are wrapped in this class while the document is
 * built and written as such literals.
 */
class Floats {
  constructor(readonly values: readonly number[]) {}
  render(): string {
    return `[${this.values.map((v) => (Number.isInteger(v) ? `${Object.is(v, -0) ? '-0' : String(v)}.0` : String(v))).join(',')}]`;
  }
}

function stringify(doc: unknown): string {
  const floats: Floats[] = [];
  const text = JSON.stringify(doc, (_key, value: unknown) => {
    if (value instanceof Floats) {
      floats.push(value);
      return `\u0000F${floats.length - 1}`;
    }
    return value;
  });
  return text.replace(/"\\u0000F(\d+)"/g, (_m, i: string) => floats[Number(i)]!.render());
}

export function treeEnsembleToXgboostJson(e: TreeEnsemble, features: readonly { name: string }[], extra: { attributes?: Record<string, string> } = {}): string {
  const objective = OBJECTIVE_JSON[e.sourceObjective];
  if (!objective) throw new RangeError(`objective ${e.sourceObjective} cannot be written as xgboost JSON (binary:logistic, multi:softprob, reg:squarederror)`);
  if (features.length !== e.numFeatures) throw new RangeError(`${features.length} feature names for ${e.numFeatures} features`);
  const seen = new Set<string>();
  for (const { name } of features) {
    if (name === '') throw new RangeError('a feature name is empty');
    if (seen.has(name)) throw new RangeError(`the feature name '${name}' is repeated`);
    seen.add(name);
  }
  const multi = e.sourceObjective === 'multi:softprob';
  if (e.numOutputs !== 1 && !multi) throw new RangeError(`${e.sourceObjective} with ${e.numOutputs} outputs cannot be written`);
  const m0 = e.baseMargin[0]!;
  for (let k = 1; k < e.numOutputs; k++) {
    if (e.baseMargin[k] !== m0) throw new RangeError('every class must start from the same margin to be written as xgboost JSON');
  }
  if (!Number.isFinite(m0)) throw new RangeError(`the base margin ${m0} is not finite`);
  const baseScore = e.sourceObjective === 'binary:logistic' ? logisticBaseScore(m0) : m0;

  const trees = [];
  for (let t = 0; t < e.numTrees; t++) {
    const start = e.treeOffsets[t]!;
    const n = e.treeOffsets[t + 1]! - start;
    const left: number[] = new Array<number>(n);
    const right: number[] = new Array<number>(n);
    const parents: number[] = new Array<number>(n).fill(2147483647);
    const splitIndices: number[] = new Array<number>(n);
    const conditions: number[] = new Array<number>(n);
    const defaultLeft: number[] = new Array<number>(n);
    const hessian: number[] = new Array<number>(n);
    const baseWeights: number[] = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const g = start + i;
      const leaf = e.feature[g] === -1;
      left[i] = leaf ? -1 : e.left[g]! - start;
      right[i] = leaf ? -1 : e.right[g]! - start;
      if (!leaf) {
        parents[left[i]!] = i;
        parents[right[i]!] = i;
      }
      splitIndices[i] = leaf ? 0 : e.feature[g]!;
      conditions[i] = leaf ? f32(e.value[g]!) : f32(e.threshold[g]!);
      defaultLeft[i] = leaf ? 0 : e.defaultLeft[g]!;
      hessian[i] = e.cover[g]!;
      baseWeights[i] = leaf ? f32(e.value[g]!) : 0;
    }
    trees.push({
      base_weights: new Floats(baseWeights),
      categories: [],
      categories_nodes: [],
      categories_segments: [],
      categories_sizes: [],
      default_left: defaultLeft,
      id: t,
      left_children: left,
      loss_changes: new Floats(new Array<number>(n).fill(0)),
      parents,
      right_children: right,
      split_conditions: new Floats(conditions),
      split_indices: splitIndices,
      split_type: new Array<number>(n).fill(0),
      sum_hessian: new Floats(hessian),
      tree_param: { num_deleted: '0', num_feature: String(e.numFeatures), num_nodes: String(n), size_leaf_vector: '0' },
    });
  }
  const model = {
    learner: {
      attributes: { ...(extra.attributes ?? {}) },
      feature_names: features.map((f) => f.name),
      feature_types: features.map(() => 'float'),
      gradient_booster: {
        model: {
          gbtree_model_param: { num_parallel_tree: '1', num_trees: String(e.numTrees), size_leaf_vector: '0' },
          tree_info: Array.from(e.treeOutput),
          trees,
        },
        name: 'gbtree',
      },
      learner_model_param: {
        base_score: String(f32(baseScore)),
        boost_from_average: '1',
        num_class: multi ? String(e.numOutputs) : '0',
        num_feature: String(e.numFeatures),
        num_target: '1',
      },
      objective: objective(e.numOutputs),
    },
    version: [1, 7, 4],
  };
  return stringify(model);
}
