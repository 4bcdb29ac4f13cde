import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WRITER_FEATURES, writerCases } from '../../../test/fixtures/trees/writer-cases.js';
import { SeededRandom, trainGbdt, type GbdtOptions } from '../gbdt/gbdt-trainer.js';
import { checkTreeEnsemble, type TreeEnsemble } from './tree-ensemble.js';
import { predict, predictMargin } from './tree-evaluator.js';
import { parseXgboostJson } from './xgboost-json.js';
import { treeEnsembleToXgboostJson } from './xgboost-json-writer.js';

// The committed fixtures in test/fixtures/trees/ (make_writer_fixture.ts and make_writer_fixture.py there):
// the writer's output for the small seeded ensembles of writer-cases.ts, and xgboost 1.7.4's predictions
// with those files on writer-rows.json.
const FIXTURES = new URL('../../../test/fixtures/trees/', import.meta.url);

type Kind = 'binary' | 'multiclass' | 'regression';

/** Seeded rows with a signal in the first features and about 10% of values missing. */
function makeData(rows: number, numFeatures: number, seed: number, kind: Kind): { x: Float32Array; y: number[] } {
  const rnd = new SeededRandom(seed);
  const x = new Float32Array(rows * numFeatures);
  const y: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < numFeatures; f++) x[r * numFeatures + f] = rnd.next() < 0.1 ? NaN : (rnd.next() - 0.5) * 4;
    const v = (f: number): number => (Number.isNaN(x[r * numFeatures + f]!) ? 0.4 : x[r * numFeatures + f]!);
    const s = 1.2 * v(0) - v(1) * v(2) + (v(3) > 0.3 ? 0.8 : -0.6) + 0.3 * (rnd.next() - 0.5);
    y.push(kind === 'binary' ? (s > 0.2 ? 1 : 0) : kind === 'multiclass' ? (s < -0.8 ? 0 : s < 0.9 ? 1 : 2) : 5 + 2 * s);
  }
  return { x, y };
}

const OBJECTIVE: Record<Kind, GbdtOptions> = {
  binary: { objective: 'binary:logistic', baseScore: 0.35 },
  multiclass: { objective: 'multi:softprob', numClass: 3 },
  regression: { objective: 'reg:squarederror' },
};

function train(kind: Kind, numFeatures: number, seed: number, options: Partial<GbdtOptions>): TreeEnsemble {
  const rows = 600;
  const { x, y } = makeData(rows, numFeatures, seed, kind);
  return trainGbdt({ x, rows, numFeatures, y }, { ...OBJECTIVE[kind], ...options }).ensemble;
}

const featuresOf = (n: number) => Array.from({ length: n }, (_, f) => ({ name: `feature_${String.fromCharCode(97 + f)}` }));

/** The seeded ensembles behind the committed fixtures, by name. */
function fixtureEnsembles(): Record<Kind, TreeEnsemble> {
  const byName = Object.fromEntries(writerCases().map((c) => [c.name, c.ensemble]));
  return { binary: byName.binary!, multiclass: byName.multiclass!, regression: byName.regression! };
}
const writerFeatures = WRITER_FEATURES.map((name) => ({ name }));

function expectSameStructure(a: TreeEnsemble, b: TreeEnsemble): void {
  expect(checkTreeEnsemble(b)).toBeUndefined();
  for (const key of ['objective', 'sourceObjective', 'numFeatures', 'numOutputs', 'numTrees'] as const) expect(b[key], key).toBe(a[key]);
  for (const key of ['baseMargin', 'treeOffsets', 'treeOutput', 'treeDepth', 'feature', 'threshold', 'left', 'right', 'defaultLeft', 'value', 'cover'] as const) {
    // (+ 0: xgboost's logit of 0.5 is −0, which is the margin 0)
    expect(Array.from(b[key], (v) => v + 0), key).toEqual(Array.from(a[key], (v) => v + 0));
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (Number.isNaN(d)) return NaN;
    worst = Math.max(worst, d);
  }
  return worst;
}

/** Random rows with NaNs, plus rows with a split feature set exactly to a threshold and to NaN. */
function testRows(e: TreeEnsemble, seed: number): { x: Float32Array; rows: number } {
  const F = e.numFeatures;
  const { x: random } = makeData(300, F, seed, 'regression');
  const extra: number[] = [];
  for (let n = 0; n < e.feature.length; n++) {
    if (e.feature[n]! < 0) continue;
    const row = Array.from(random.subarray((n % 300) * F, (n % 300) * F + F));
    for (const v of [e.threshold[n]!, NaN]) {
      row[e.feature[n]!] = v;
      extra.push(...row);
    }
  }
  const x = new Float32Array(random.length + extra.length);
  x.set(random);
  x.set(extra, random.length);
  return { x, rows: x.length / F };
}

describe('treeEnsembleToXgboostJson', () => {
  for (const kind of ['binary', 'multiclass', 'regression'] as const) {
    it(`round-trips a trained ${kind} ensemble through parseXgboostJson: same structure and predictions`, () => {
      const e = train(kind, 6, 7, { numRounds: 25, maxDepth: 5 });
      expect(e.numTrees).toBe(kind === 'multiclass' ? 75 : 25);
      expect(Array.from(e.defaultLeft).some((d) => d === 1)).toBe(true); // NaNs in training: learned default directions
      const features = featuresOf(6);
      const text = treeEnsembleToXgboostJson(e, features, { attributes: { steward_run: 'r-1' } });
      const parsed = parseXgboostJson(text);
      expect(parsed.features).toEqual(features.map((f) => ({ name: f.name, type: 'float' })));
      expectSameStructure(e, parsed.ensemble);
      const { x, rows } = testRows(e, 8);
      expect(maxAbsDiff(predict(parsed.ensemble, x, rows), predict(e, x, rows))).toBeLessThanOrEqual(1e-6);
      expect(maxAbsDiff(predictMargin(parsed.ensemble, x, rows), predictMargin(e, x, rows))).toBeLessThanOrEqual(1e-6);
      // the format's bookkeeping, as xgboost writes it
      interface WrittenTree {
        id: number;
        tree_param: Record<string, string>;
        parents: number[];
        left_children: number[];
        right_children: number[];
        split_type: number[];
        categories: number[];
        categories_nodes: number[];
        categories_segments: number[];
        categories_sizes: number[];
      }
      const json = JSON.parse(text) as {
        version: number[];
        learner: {
          attributes: Record<string, string>;
          feature_types: string[];
          learner_model_param: Record<string, string>;
          gradient_booster: { name: string; model: { gbtree_model_param: Record<string, string>; tree_info: number[]; trees: WrittenTree[] } };
        };
      };
      expect(json.version).toEqual([1, 7, 4]);
      expect(json.learner.attributes).toEqual({ steward_run: 'r-1' });
      expect(json.learner.feature_types).toEqual(Array(6).fill('float'));
      const model = json.learner.gradient_booster.model;
      expect(json.learner.gradient_booster.name).toBe('gbtree');
      expect(model.gbtree_model_param).toMatchObject({ num_trees: String(e.numTrees), size_leaf_vector: '0' });
      expect(model.tree_info).toEqual(Array.from(e.treeOutput));
      expect(json.learner.learner_model_param).toMatchObject({ num_feature: '6', num_target: '1', boost_from_average: '1', num_class: kind === 'multiclass' ? '3' : '0' });
      const tree = model.trees[1]!;
      expect(tree.id).toBe(1);
      expect(tree.parents[0]).toBe(2147483647);
      const n = Number(tree.tree_param.num_nodes);
      for (let i = 0; i < n; i++) {
        if (tree.left_children[i] === -1) continue;
        expect(tree.parents[tree.left_children[i]!]).toBe(i);
        expect(tree.parents[tree.right_children[i]!]).toBe(i);
      }
      for (const key of ['categories', 'categories_nodes', 'categories_segments', 'categories_sizes'] as const) expect(tree[key]).toEqual([]);
      expect(tree.split_type).toEqual(Array(n).fill(0));
    });
  }

  it('writes base_score so that the float32 logit gives back the base margin as closely as float32 allows', () => {
    let improved = 0;
    const trained = [0.5, 0.35, 0.1, 0.9, 0.01, 0.999, 0.73, 0.27, 1e-4].map((baseScore) => train('binary', 4, 9, { numRounds: 2, maxDepth: 2, baseScore }));
    const rnd = new SeededRandom(3);
    // also arbitrary float32 margins, which are not the float32 logit of a round probability
    const margins = Array.from({ length: 200 }, () => Math.fround((rnd.next() - 0.5) * 16));
    for (const e of [...trained, ...margins.map((m) => ({ ...trained[0]!, baseMargin: Float64Array.of(m) }))]) {
      const m = e.baseMargin[0]!;
      const baseScore = m;
      const text = treeEnsembleToXgboostJson(e, featuresOf(4));
      const err = Math.abs(parseXgboostJson(text).ensemble.baseMargin[0]! - m);
      // xgboost's logit computes fround(1/p) − 1 in float32: the margins it can give back are spaced by one
      // float32 step of 1/p, relative to 1/p − 1; half of that (plus the margin's own rounding) is the best.
      const inv = 1 + Math.exp(-m);
      const spacing = 2 ** (Math.floor(Math.log2(inv)) - 23) / (inv - 1);
      expect(err, String(baseScore)).toBeLessThanOrEqual(spacing / 2 + 2 ** -23 * Math.abs(m));
      // and never worse than writing the float32 sigmoid of the margin
      const json = JSON.parse(text) as { learner: { learner_model_param: { base_score: string } } };
      json.learner.learner_model_param.base_score = String(Math.fround(1 / (1 + Math.exp(-m))));
      const naive = Math.abs(parseXgboostJson(JSON.stringify(json)).ensemble.baseMargin[0]! - m);
      expect(err, String(baseScore)).toBeLessThanOrEqual(naive);
      if (err < naive) improved++;
    }
    expect(improved).toBeGreaterThan(0);
    const objective = JSON.parse(treeEnsembleToXgboostJson(train('binary', 4, 9, { numRounds: 1, maxDepth: 2, baseScore: 0.5 }), featuresOf(4))) as {
      learner: { learner_model_param: { base_score: string }; objective: unknown };
    };
    expect(Number(objective.learner.learner_model_param.base_score)).toBe(0.5);
    expect(objective.learner.objective).toEqual({ name: 'binary:logistic', reg_loss_param: { scale_pos_weight: '1' } });
  });

  it('writes the objective sub-objects xgboost writes', () => {
    const e = fixtureEnsembles();
    const objective = (t: TreeEnsemble) => (JSON.parse(treeEnsembleToXgboostJson(t, writerFeatures)) as { learner: { objective: unknown } }).learner.objective;
    expect(objective(e.multiclass)).toEqual({ name: 'multi:softprob', softmax_multiclass_param: { num_class: '3' } });
    expect(objective(e.regression)).toEqual({ name: 'reg:squarederror', reg_loss_param: { scale_pos_weight: '1' } });
  });

  it('refuses what xgboost JSON cannot say', () => {
    const { multiclass, regression } = fixtureEnsembles();
    const uneven = { ...multiclass, baseMargin: Float64Array.of(0.5, 0.5, 0.25) };
    expect(() => treeEnsembleToXgboostJson(uneven, writerFeatures)).toThrow(/same margin/);
    expect(() => treeEnsembleToXgboostJson({ ...regression, sourceObjective: 'reg:gamma' }, writerFeatures)).toThrow(RangeError);
    expect(() => treeEnsembleToXgboostJson(regression, featuresOf(4))).toThrow(/4 feature names for 5 features/);
    const repeated = [...featuresOf(4), { name: 'feature_a' }];
    expect(() => treeEnsembleToXgboostJson(regression, repeated)).toThrow(/'feature_a' is repeated/);
    const binary = fixtureEnsembles().binary;
    expect(() => treeEnsembleToXgboostJson({ ...binary, baseMargin: Float64Array.of(40) }, writerFeatures)).toThrow(/base margin 40/);
  });

  describe('committed fixtures (test/fixtures/trees)', () => {
    const ensembles = fixtureEnsembles();
    const fileOf = (kind: Kind) => new URL(`steward-written-${kind}.json`, FIXTURES);

    it('are small, and are exactly what the writer writes today for the same seeded ensembles', () => {
      expect(WRITER_FEATURES.length).toBeLessThanOrEqual(6);
      for (const kind of ['binary', 'multiclass', 'regression'] as const) {
        const e = ensembles[kind];
        expect(e.numTrees, kind).toBeLessThanOrEqual(20);
        expect(Math.max(...e.treeDepth), kind).toBeLessThanOrEqual(3);
        expect(readFileSync(fileOf(kind), 'utf8'), kind).toBe(treeEnsembleToXgboostJson(e, writerFeatures));
      }
    });

    it("give the native evaluator xgboost 1.7's own predictions with them, NaN rows included", () => {
      type Case = { predictions: number[]; margins: number[]; numFeatures: number; numTrees: number };
      const expected = JSON.parse(readFileSync(new URL('steward-written-expected.json', FIXTURES), 'utf8')) as { xgboost: string } & Record<Kind, Case>;
      const rowsJson = JSON.parse(readFileSync(new URL('writer-rows.json', FIXTURES), 'utf8')) as (number | null)[][];
      expect(expected.xgboost).toBe('1.7.4');
      expect(rowsJson.flat().filter((v) => v === null).length).toBeGreaterThan(10);
      const x = Float32Array.from(rowsJson.flat(), (v) => (v === null ? NaN : v));
      const rows = rowsJson.length;
      for (const kind of ['binary', 'multiclass', 'regression'] as const) {
        const want = expected[kind];
        const { ensemble: e, features } = parseXgboostJson(readFileSync(fileOf(kind)));
        expect(features.map((f) => f.name)).toEqual(WRITER_FEATURES);
        expectSameStructure(ensembles[kind], e);
        expect(want.numFeatures).toBe(e.numFeatures);
        expect(want.numTrees).toBe(e.numTrees);
        expect(want.predictions.length).toBe(rows * e.numOutputs);
        expect(maxAbsDiff(predictMargin(e, x, rows), want.margins), kind).toBeLessThanOrEqual(1e-6);
        expect(maxAbsDiff(predict(e, x, rows), want.predictions), kind).toBeLessThanOrEqual(1e-6);
        // the ensemble as trained, before writing, predicts the same
        expect(maxAbsDiff(predict(ensembles[kind], x, rows), want.predictions), kind).toBeLessThanOrEqual(1e-6);
      }
    });
  });
});
