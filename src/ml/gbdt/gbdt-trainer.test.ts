import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkTreeEnsemble, type TreeEnsemble } from '../trees/tree-ensemble.js';
import { predictMargin } from '../trees/tree-evaluator.js';
import { treeShap } from '../trees/tree-shap.js';
import { binRows, computeCuts } from './binning.js';
import { auc, rmse } from './gbdt-metrics.js';
import { SeededRandom, trainGbdt, type GbdtData, type GbdtOptions, type IterationReport } from './gbdt-trainer.js';

// Reference figures from test/fixtures/gbdt/make_gbdt_fixtures.py (xgboost 1.7.4, tree_method=hist).
const REF = JSON.parse(readFileSync(new URL('../../../test/fixtures/gbdt/gbdt-reference.json', import.meta.url), 'utf8')) as Reference;

interface XgbTree {
  left_children: number[];
  right_children: number[];
  split_indices: number[];
  split_conditions: number[];
  default_left: number[];
  sum_hessian: number[];
}
interface TinyCase {
  x: (number | null)[][];
  y: number[];
  params: Record<string, number | string>;
  tree: XgbTree;
  /** All trees when there are several (one per class). */
  trees?: XgbTree[];
  margin: number[];
}
interface BigCase {
  seed: number;
  rows: number;
  nTrain: number;
  rounds: number;
  params: Record<string, number | string>;
  auc?: number;
  rmse?: number;
  mlogloss?: number;
  merror?: number;
  xgboostSeconds: number;
  marginFirstRows: number[];
  labelFirstRows: number[];
}
interface Reference {
  binary: BigCase;
  binarySubsampled: BigCase;
  regression: BigCase;
  multiclass: BigCase;
  tinyMulticlass: TinyCase;
  tinyRegression: TinyCase;
  tinyLogisticMissing: TinyCase;
  tinyLogisticMissingLeft: TinyCase;
}


/** The script's `synthetic`: the same draws, the same operations in the same order. */
type Kind = 'binary' | 'regression' | 'multiclass';

function synthetic(seed: number, rows: number, kind: Kind): { x: Float64Array; y: Float64Array } {
  const rng = new SeededRandom(seed);
  const F = 10;
  const X = new Float64Array(rows * F);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const x = Array.from({ length: F }, () => 2.0 * rng.next() - 1.0);
    const miss = rng.next() < 0.1;
    const noise = rng.next() + rng.next() + rng.next() + rng.next() - 2.0;
    const s = 1.5 * x[0]! - 2.0 * x[1]! + 2.0 * x[2]! * x[3]! + (x[4]! > 0 ? 0.8 : -0.8) + 1.2 * x[5]! * x[5]! - 0.4;
    const v = s + 1.2 * noise;
    y[r] = kind === 'binary' ? (v > 0 ? 1 : 0) : kind === 'multiclass' ? (v < -0.5 ? 0 : v < 1.0 ? 1 : 2) : s + 0.5 * noise;
    if (miss) x[2] = NaN;
    X.set(x, r * F);
  }
  return { x: X, y };
}

function split(c: BigCase, kind: Kind): { train: GbdtData; test: GbdtData } {
  const { x, y } = synthetic(c.seed, c.rows, kind);
  const F = 10;
  const n = c.nTrain;
  return {
    train: { x: x.subarray(0, n * F), y: y.subarray(0, n), rows: n, numFeatures: F },
    test: { x: x.subarray(n * F), y: y.subarray(n), rows: c.rows - n, numFeatures: F },
  };
}

function optionsFrom(c: BigCase | TinyCase, objective: GbdtOptions['objective']): GbdtOptions {
  const p = c.params;
  return {
    objective,
    numRounds: 'rounds' in c ? c.rounds : 1,
    learningRate: p.eta as number,
    maxDepth: p.max_depth as number,
    maxBins: p.max_bin as number,
    lambda: p.lambda as number,
    minChildWeight: p.min_child_weight as number,
    baseScore: p.base_score as number | undefined,
    numClass: p.num_class as number | undefined,
    subsample: (p.subsample as number | undefined) ?? 1,
    colsampleByTree: (p.colsample_bytree as number | undefined) ?? 1,
  };
}

const f32rows = (d: GbdtData) => Float32Array.from(d.x);

function tinyData(c: TinyCase): GbdtData {
  return { x: Float64Array.from(c.x.flat(), (v) => (v === null ? NaN : v)), y: c.y, rows: c.x.length, numFeatures: c.x[0]!.length };
}

/** Root split and leaves of a depth-1 tree as (feature, threshold, defaultLeft, left value, right value, covers). */
function depthOneSummary(e: TreeEnsemble, t = 0) {
  const root = e.treeOffsets[t]!;
  const l = e.left[root]!;
  const r = e.right[root]!;
  return { feature: e.feature[root]!, threshold: e.threshold[root]!, defaultLeft: e.defaultLeft[root]!, leftValue: e.value[l]!, rightValue: e.value[r]!, cover: [e.cover[root]!, e.cover[l]!, e.cover[r]!] };
}

describe('binning', () => {
  it('gives every distinct value its own bin when there are few, and x < cut[s] ⇔ bin ≤ s', () => {
    const x = Float64Array.of(3, 1, NaN, 2, 1, 5);
    const cuts = computeCuts(x, 6, 1, 256);
    expect(Array.from(cuts.values.subarray(0, 3))).toEqual([2, 3, 5]);
    expect(cuts.values.length).toBe(4); // plus the sentinel above the maximum
    const b = binRows(x, 6, cuts);
    expect(Array.from(b.bins)).toEqual([2, 0, b.missingBin, 1, 0, 3]);
    const probe = Float64Array.of(-10, 1.5, 2, 4.99, 5, 1e9);
    const pb = binRows(probe, 6, cuts).bins;
    for (let i = 0; i < 6; i++) for (let s = 0; s < 3; s++) expect(pb[i]! <= s).toBe(probe[i]! < cuts.values[s]!);
  });

  it('keeps at most maxBins bins of roughly equal counts', () => {
    const n = 10_000;
    const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 100);
    const cuts = computeCuts(x, n, 1, 16);
    expect(cuts.values.length).toBeLessThanOrEqual(16);
    const counts = new Array<number>(cuts.values.length).fill(0);
    for (const b of binRows(x, n, cuts).bins) counts[b]!++;
    for (const c of counts) expect(Math.abs(c - n / 16)).toBeLessThan(n / 16 * 0.1);
  });
});

describe('trainGbdt against xgboost 1.7.4 hist', () => {
  for (const name of ['tinyRegression', 'tinyLogisticMissing', 'tinyLogisticMissingLeft'] as const) {
    it(`grows the same depth-1 tree as xgboost on ${name} (split, default direction, leaves, covers within 1e-6)`, () => {
      const c = REF[name];
      const objective = name === 'tinyRegression' ? 'reg:squarederror' : 'binary:logistic';
      const res = trainGbdt(tinyData(c), optionsFrom(c, objective));
      const got = depthOneSummary(res.ensemble);
      const t = c.tree;
      const [l, r] = [t.left_children[0]!, t.right_children[0]!];
      expect(res.ensemble.numTrees).toBe(1);
      expect(got.feature).toBe(t.split_indices[0]);
      expect(Math.abs(got.threshold - t.split_conditions[0]!)).toBeLessThanOrEqual(1e-6);
      expect(got.defaultLeft).toBe(t.default_left[0]);
      expect(Math.abs(got.leftValue - t.split_conditions[l]!)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(got.rightValue - t.split_conditions[r]!)).toBeLessThanOrEqual(1e-6);
      expect(got.cover[0]).toBeCloseTo(t.sum_hessian[0]!, 6);
      expect(got.cover[1]).toBeCloseTo(t.sum_hessian[l]!, 6);
      expect(got.cover[2]).toBeCloseTo(t.sum_hessian[r]!, 6);
      for (let i = 0; i < c.margin.length; i++) expect(Math.abs(res.trainMargin[i]! - c.margin[i]!)).toBeLessThanOrEqual(1e-6);
    });
  }

  it('grows the same three depth-1 trees as xgboost on a tiny 3-class multi:softprob case (within 1e-6)', () => {
    const c = REF.tinyMulticlass;
    const res = trainGbdt(tinyData(c), { ...optionsFrom(c, 'multi:softprob'), baseScore: undefined });
    expect(res.ensemble.numTrees).toBe(3);
    expect(Array.from(res.ensemble.treeOutput)).toEqual([0, 1, 2]);
    for (let k = 0; k < 3; k++) {
      const t = c.trees![k]!;
      const got = depthOneSummary(res.ensemble, k);
      expect(got.feature, `tree ${k}`).toBe(t.split_indices[0]);
      expect(Math.abs(got.threshold - t.split_conditions[0]!), `tree ${k}`).toBeLessThanOrEqual(1e-6);
      expect(got.defaultLeft, `tree ${k}`).toBe(t.default_left[0]);
      expect(Math.abs(got.leftValue - t.split_conditions[1]!), `tree ${k}`).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(got.rightValue - t.split_conditions[2]!), `tree ${k}`).toBeLessThanOrEqual(1e-6);
      for (let j = 0; j < 3; j++) expect(Math.abs(got.cover[j]! - t.sum_hessian[j]!), `tree ${k}`).toBeLessThanOrEqual(1e-5);
    }
    for (let i = 0; i < c.margin.length; i++) expect(Math.abs(res.trainMargin[i]! - c.margin[i]!)).toBeLessThanOrEqual(1e-6);
  });

  it("has a held-out error rate within 0.02 and mlogloss within 5% of xgboost's on a synthetic 3-class problem", () => {
    const c = REF.multiclass;
    const { train, test } = split(c, 'multiclass');
    const res = trainGbdt(train, { ...optionsFrom(c, 'multi:softprob'), evalMetrics: ['merror', 'mlogloss'] }, test);
    const last = res.history[res.history.length - 1]!.valid!;
    console.log(`multiclass: Steward merror ${last.merror!.toFixed(4)} mlogloss ${last.mlogloss!.toFixed(4)} vs xgboost ${c.merror!.toFixed(4)} ${c.mlogloss!.toFixed(4)}`);
    expect(Math.abs(last.merror! - c.merror!)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(last.mlogloss! - c.mlogloss!) / c.mlogloss!).toBeLessThanOrEqual(0.05);
    const m = predictMargin(res.ensemble, f32rows(test), test.rows);
    for (let i = 0; i < m.length; i++) expect(m[i]).toBe(res.validMargin![i]);
    // TreeSHAP stays additive per class
    const rows = 10;
    const shap = treeShap(res.ensemble, f32rows(test).subarray(0, rows * 10), rows);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < 3; o++) {
        let sum = shap.bias[o]!;
        for (let f = 0; f < 10; f++) sum += shap.values[(r * 3 + o) * 10 + f]!;
        expect(Math.abs(sum - m[r * 3 + o]!)).toBeLessThan(1e-5);
      }
    }
  });

  it("has a held-out AUC within 0.01 of xgboost's on the synthetic binary problem (5,000 × 10, 100 rounds, depth 4)", () => {
    const c = REF.binary;
    const { train, test } = split(c, 'binary');
    const t0 = performance.now();
    const res = trainGbdt(train, optionsFrom(c, 'binary:logistic'));
    const seconds = (performance.now() - t0) / 1000;
    const m = predictMargin(res.ensemble, f32rows(test), test.rows);
    const got = auc(m, test.y);
    console.log(`binary: Steward AUC ${got.toFixed(4)} (${seconds.toFixed(3)} s) vs xgboost ${c.auc!.toFixed(4)} (${c.xgboostSeconds} s)`);
    expect(Math.abs(got - c.auc!)).toBeLessThanOrEqual(0.01);
    expect(got).toBeGreaterThan(0.85);
  });

  it("has a held-out AUC within 0.01 of xgboost's with row and column subsampling (different PRNGs)", () => {
    const c = REF.binarySubsampled;
    const { train, test } = split(c, 'binary');
    const res = trainGbdt(train, { ...optionsFrom(c, 'binary:logistic'), seed: 3 });
    const got = auc(predictMargin(res.ensemble, f32rows(test), test.rows), test.y);
    console.log(`binary subsampled: Steward AUC ${got.toFixed(4)} vs xgboost ${c.auc!.toFixed(4)}`);
    expect(Math.abs(got - c.auc!)).toBeLessThanOrEqual(0.01);
    // subsampling changed the trees: a different seed gives a different model
    const other = trainGbdt(train, { ...optionsFrom(c, 'binary:logistic'), seed: 4 });
    expect(Array.from(other.trainMargin)).not.toEqual(Array.from(res.trainMargin));
  });

  it("has a held-out RMSE within 5% of xgboost's on the synthetic regression problem", () => {
    const c = REF.regression;
    const { train, test } = split(c, 'regression');
    const res = trainGbdt(train, optionsFrom(c, 'reg:squarederror'));
    const got = rmse(predictMargin(res.ensemble, f32rows(test), test.rows), test.y);
    console.log(`regression: Steward RMSE ${got.toFixed(4)} vs xgboost ${c.rmse!.toFixed(4)}`);
    expect(Math.abs(got - c.rmse!) / c.rmse!).toBeLessThanOrEqual(0.05);
    expect(Array.from(test.y as Float64Array).slice(0, 5)).toEqual(c.labelFirstRows); // same data as the script
  });
});

describe('trainGbdt', () => {
  const { train, test } = split(REF.binary, 'binary');

  it('learns the default direction of missing values from where the missing rows belong', () => {
    // x0 separates the classes; the rows missing x0 are all positive in one data set, all negative in the other
    const rng = new SeededRandom(11);
    for (const missingLabel of [1, 0]) {
      const rows = 400;
      const x = new Float64Array(rows * 2);
      const y = new Float64Array(rows);
      for (let r = 0; r < rows; r++) {
        const v = rng.next();
        y[r] = v > 0.5 ? 1 : 0;
        x[r * 2] = v;
        x[r * 2 + 1] = rng.next();
        if (r % 5 === 0) {
          x[r * 2] = NaN;
          y[r] = missingLabel;
        }
      }
      const res = trainGbdt({ x, y, rows, numFeatures: 2 }, { objective: 'binary:logistic', numRounds: 1, maxDepth: 1 });
      const s = depthOneSummary(res.ensemble);
      expect(s.feature).toBe(0);
      expect(s.threshold).toBeGreaterThan(0.45);
      expect(s.threshold).toBeLessThan(0.55);
      expect(s.defaultLeft).toBe(missingLabel === 1 ? 0 : 1);
      const m = predictMargin(res.ensemble, Float32Array.of(NaN, 0.5, 0.9, 0.5, 0.1, 0.5), 3);
      expect(m[0]).toBe(missingLabel === 1 ? m[1] : m[2]);
    }
  });

  it("gives the evaluator's margins equal to its own running margins, with covers summing to the hessians", () => {
    const res = trainGbdt(train, { objective: 'binary:logistic', numRounds: 30, maxDepth: 5, subsample: 0.7, colsampleByTree: 0.6, seed: 9 }, test);
    expect(checkTreeEnsemble(res.ensemble)).toBeUndefined();
    const mTrain = predictMargin(res.ensemble, f32rows(train), train.rows);
    const mTest = predictMargin(res.ensemble, f32rows(test), test.rows);
    for (let i = 0; i < train.rows; i++) expect(mTrain[i]).toBe(res.trainMargin[i]);
    for (let i = 0; i < test.rows; i++) expect(mTest[i]).toBe(res.validMargin![i]);
    const e = res.ensemble;
    for (let n = 0; n < e.feature.length; n++) {
      if (e.feature[n] === -1) continue;
      expect(e.cover[e.left[n]!]! + e.cover[e.right[n]!]!).toBeCloseTo(e.cover[n]!, 6);
    }
    // trees used only the sampled columns: at most floor(0.6 · 10) = 6 distinct features per tree
    for (let t = 0; t < e.numTrees; t++) {
      const used = new Set<number>();
      for (let n = e.treeOffsets[t]!; n < e.treeOffsets[t + 1]!; n++) if (e.feature[n]! >= 0) used.add(e.feature[n]!);
      expect(used.size).toBeLessThanOrEqual(6);
    }
    // the root cover is the sampled rows' hessian sum: below the full data's
    expect(e.cover[0]).toBeLessThan(train.rows * 0.25 * 0.8);
  });

  it("keeps the evaluator's margins without row sampling too (margins updated from the leaves' row ranges)", () => {
    const cases: GbdtOptions[] = [
      { objective: 'binary:logistic', numRounds: 20, maxDepth: 6, colsampleByTree: 0.6, seed: 3, evalMetrics: ['auc', 'logloss'] },
      { objective: 'binary:logistic', numRounds: 5, maxDepth: 0 },
      { objective: 'reg:squarederror', numRounds: 10, maxDepth: 4 },
    ];
    for (const options of cases) {
      const res = trainGbdt(train, options, test);
      const mTrain = predictMargin(res.ensemble, f32rows(train), train.rows);
      for (let i = 0; i < train.rows; i++) expect(mTrain[i]).toBe(res.trainMargin[i]);
    }
  });

  it('is explained additively by TreeSHAP: Σφ + bias = margin', () => {
    const res = trainGbdt(train, { objective: 'binary:logistic', numRounds: 20, maxDepth: 4 });
    const rows = 50;
    const x = f32rows(test).subarray(0, rows * 10);
    const shap = treeShap(res.ensemble, x, rows);
    const margin = predictMargin(res.ensemble, x, rows);
    let nonZero = 0;
    for (let r = 0; r < rows; r++) {
      let sum = shap.bias[0]!;
      for (let f = 0; f < 10; f++) {
        sum += shap.values[r * 10 + f]!;
        if (shap.values[r * 10 + f] !== 0) nonZero++;
      }
      expect(Math.abs(sum - margin[r]!)).toBeLessThan(1e-5);
    }
    expect(nonZero).toBeGreaterThan(rows);
  });

  it('reports every iteration and stops early on the validation metric, keeping the best round', () => {
    const reports: IterationReport[] = [];
    const res = trainGbdt(
      train,
      { objective: 'binary:logistic', numRounds: 500, learningRate: 0.5, maxDepth: 6, evalMetrics: ['logloss', 'auc'], earlyStoppingRounds: 5, onIteration: (r) => reports.push(r) },
      test,
    );
    expect(res.roundsTrained).toBeLessThan(500);
    expect(reports.length).toBe(res.roundsTrained);
    expect(reports.map((r) => r.iteration)).toEqual(Array.from({ length: res.roundsTrained }, (_, i) => i));
    expect(res.roundsTrained).toBe(res.bestIteration + 6);
    expect(res.ensemble.numTrees).toBe(res.bestIteration + 1);
    const aucs = reports.map((r) => r.valid!.auc!);
    expect(Math.max(...aucs)).toBe(aucs[res.bestIteration]);
    expect(reports[0]!.train.logloss).toBeGreaterThan(reports[res.bestIteration]!.train.logloss!);
    // the returned margins belong to the returned (truncated) ensemble
    const m = predictMargin(res.ensemble, f32rows(test), test.rows);
    for (let i = 0; i < test.rows; i++) expect(m[i]).toBe(res.validMargin![i]);
    expect(auc(m, test.y)).toBeCloseTo(aucs[res.bestIteration]!, 12);
  });

  it('starts regression from the label mean by default and from baseScore when given', () => {
    const { train: rt } = split(REF.regression, 'regression');
    let mean = 0;
    for (let i = 0; i < rt.rows; i++) mean += rt.y[i]!;
    mean /= rt.rows;
    expect(trainGbdt(rt, { objective: 'reg:squarederror', numRounds: 1 }).ensemble.baseMargin[0]).toBe(Math.fround(mean));
    expect(trainGbdt(rt, { objective: 'reg:squarederror', numRounds: 1, baseScore: 2 }).ensemble.baseMargin[0]).toBe(2);
    expect(trainGbdt(train, { objective: 'binary:logistic', numRounds: 1 }).ensemble.baseMargin[0]).toBe(0);
  });

  it('refuses labels that are not 0/1 for binary:logistic', () => {
    expect(() => trainGbdt({ x: new Float64Array(2), y: [0, 2], rows: 2, numFeatures: 1 }, { objective: 'binary:logistic' })).toThrow(RangeError);
  });

  it("reports xgboost's total-gain and split-count importance: a stump's loss_chg computed from the data by hand", () => {
    // squared error from margin 0: g = −y, h = 1, so G_L = −Σ_{x<t} y, H_L = n_L (λ = 1)
    const rng = new SeededRandom(5);
    const rows = 300;
    const x = new Float64Array(rows * 3);
    const y = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      for (let f = 0; f < 3; f++) x[r * 3 + f] = rng.next();
      y[r] = (x[r * 3 + 1]! > 0.6 ? 2 : 0) + 0.1 * rng.next();
    }
    const res = trainGbdt({ x, y, rows, numFeatures: 3 }, { objective: 'reg:squarederror', numRounds: 1, maxDepth: 1, baseScore: 0, lambda: 1 });
    const s = depthOneSummary(res.ensemble);
    expect(s.feature).toBe(1);
    let gl = 0;
    let nl = 0;
    let g = 0;
    for (let r = 0; r < rows; r++) {
      g -= y[r]!;
      if (Math.fround(x[r * 3 + 1]!) < s.threshold) {
        gl -= y[r]!;
        nl++;
      }
    }
    const gr = g - gl;
    const expected = (gl * gl) / (nl + 1) + (gr * gr) / (rows - nl + 1) - (g * g) / (rows + 1);
    expect(res.importance.gain[1]).toBeCloseTo(expected, 2);
    expect(Math.abs(res.importance.gain[1]! - expected) / expected).toBeLessThan(1e-5); // float32 gradients
    expect(Array.from(res.importance.splits)).toEqual([0, 1, 0]);
    expect(res.importance.gain[0]).toBe(0);
    // deeper trees: split counts equal the internal nodes of the returned ensemble, per feature
    const deep = trainGbdt(train, { objective: 'binary:logistic', numRounds: 20, maxDepth: 4 });
    const counts = new Array<number>(train.numFeatures).fill(0);
    for (let i = 0; i < deep.ensemble.feature.length; i++) if (deep.ensemble.feature[i]! >= 0) counts[deep.ensemble.feature[i]!]!++;
    expect(Array.from(deep.importance.splits)).toEqual(counts);
    for (let f = 0; f < train.numFeatures; f++) expect(deep.importance.gain[f]! > 0).toBe(counts[f]! > 0);
  });

  it('stops when shouldStop gives a reason, keeping every round trained (or the best so far with early stopping)', () => {
    const plain = trainGbdt(train, { objective: 'binary:logistic', numRounds: 50, maxDepth: 3, shouldStop: (r) => (r.iteration === 6 ? 'time budget' : undefined) });
    expect(plain.stoppedBy).toBe('time budget');
    expect(plain.roundsTrained).toBe(7);
    expect(plain.ensemble.numTrees).toBe(7);
    const full = trainGbdt(train, { objective: 'binary:logistic', numRounds: 7, maxDepth: 3 });
    expect(full.stoppedBy).toBeUndefined();
    expect(Array.from(plain.ensemble.value)).toEqual(Array.from(full.ensemble.value));
    const early = trainGbdt(
      train,
      { objective: 'binary:logistic', numRounds: 500, learningRate: 1, maxDepth: 6, evalMetrics: ['auc'], earlyStoppingRounds: 1000, shouldStop: (r) => (r.iteration === 39 ? 'cancelled' : undefined) },
      test,
    );
    expect(early.stoppedBy).toBe('cancelled');
    expect(early.roundsTrained).toBe(40);
    expect(early.ensemble.numTrees).toBe(early.bestIteration + 1);
    expect(early.bestIteration).toBeLessThan(39); // eta 1 overfits: the best round came before the stop
  });

  it('skips the per-round train metrics with evalTrain false and grows the same trees', () => {
    const reports: IterationReport[] = [];
    const quiet = trainGbdt(train, { objective: 'binary:logistic', numRounds: 5, maxDepth: 3, evalTrain: false, onIteration: (r) => reports.push(r) });
    const loud = trainGbdt(train, { objective: 'binary:logistic', numRounds: 5, maxDepth: 3 });
    expect(reports.map((r) => r.train)).toEqual([{}, {}, {}, {}, {}]);
    expect(loud.history[4]!.train.logloss).toBeGreaterThan(0);
    expect(Array.from(quiet.ensemble.value)).toEqual(Array.from(loud.ensemble.value));
  });

  describe('best-first growth (maxLeaves, lossguide)', () => {
    const leavesOf = (e: TreeEnsemble, t: number) => {
      let n = 0;
      for (let i = e.treeOffsets[t]!; i < e.treeOffsets[t + 1]!; i++) if (e.feature[i] === -1) n++;
      return n;
    };
    /** Each split of tree t as "path → feature < threshold", the path being the left/right turns from the root. */
    const splitsOf = (e: TreeEnsemble, t: number): Set<string> => {
      const out = new Set<string>();
      const walk = (n: number, path: string) => {
        if (e.feature[n] === -1) return;
        out.add(`${path}:${e.feature[n]}<${e.threshold[n]}`);
        walk(e.left[n]!, `${path}L`);
        walk(e.right[n]!, `${path}R`);
      };
      walk(e.treeOffsets[t]!, '');
      return out;
    };

    it('grows the same trees as depth-wise growth when 2^depth leaves are allowed', () => {
      const depthwise = trainGbdt(train, { objective: 'binary:logistic', numRounds: 8, maxDepth: 4 }).ensemble;
      const bestFirst = trainGbdt(train, { objective: 'binary:logistic', numRounds: 8, maxDepth: 4, maxLeaves: 16 }).ensemble;
      expect(Array.from(bestFirst.feature)).toEqual(Array.from(depthwise.feature));
      expect(Array.from(bestFirst.threshold)).toEqual(Array.from(depthwise.threshold));
      expect(Array.from(bestFirst.value)).toEqual(Array.from(depthwise.value));
    });

    it('stops at maxLeaves, and each extra leaf allowed adds the best remaining split to the same tree', () => {
      let previous: Set<string> | undefined;
      for (let k = 2; k <= 12; k++) {
        const e = trainGbdt(train, { objective: 'binary:logistic', numRounds: 1, maxLeaves: k }).ensemble;
        expect(leavesOf(e, 0)).toBe(k);
        const splits = splitsOf(e, 0);
        if (previous) {
          for (const s of previous) expect(splits.has(s)).toBe(true);
          expect(splits.size).toBe(previous.size + 1);
        }
        previous = splits;
      }
      // without a depth limit a best-first tree goes deeper than a depth-wise one with as many leaves
      const deep = trainGbdt(train, { objective: 'binary:logistic', numRounds: 3, maxLeaves: 31 }).ensemble;
      expect(Math.max(...Array.from(deep.treeDepth))).toBeGreaterThan(5);
      expect(() => trainGbdt(train, { objective: 'binary:logistic', maxLeaves: 1 })).toThrow(RangeError);
    });
  });
});
