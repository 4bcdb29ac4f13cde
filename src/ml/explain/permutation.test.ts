import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { binaryMetrics } from '../monitoring/performance.js';
import { Rng, type BatchModel } from './model.js';
import { accuracyScore, logLossScore, meanAbsoluteError, meanSquaredError, permutationImportance, permutationOrders, r2Score, rocAucScore, rootMeanSquaredError, SCORERS, precisionScore, recallScore, f1Score, meanAbsolutePercentageError, eceScore } from './permutation.js';

// From test/fixtures/explain/make_fixtures.py (scikit-learn 1.2.1).
const FIXTURES = new URL('../../../test/fixtures/explain/', import.meta.url);
interface RegressionFixture {
  labels: number[];
  predictions: number[];
  numOutputs?: number;
  mse: number;
  rmse: number;
  mae: number;
  r2: number;
}
interface ScorerFixtures {
  binary: { labels: number[]; scores: number[]; accuracy: number; rocAuc: number; logLoss: number; precision: number; recall: number; f1: number };
  multiclass: { labels: number[]; probabilities: number[][]; numOutputs: number; accuracy: number; rocAuc: number; logLoss: number; precision: number; recall: number; f1: number };
  regression: RegressionFixture;
  multiOutput: RegressionFixture;
}
const fixtures = JSON.parse(readFileSync(new URL('scorers.json', FIXTURES), 'utf8')) as ScorerFixtures;

function normals(rng: Rng, n: number): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  return x;
}

function modelOf(F: number, K: number, fn: (x: Float64Array, off: number, out: Float64Array, at: number) => void, calls: number[] = []): BatchModel {
  return {
    numFeatures: F,
    numOutputs: K,
    predict: async (x, rows) => {
      calls.push(rows);
      const out = new Float64Array(rows * K);
      for (let r = 0; r < rows; r++) fn(x, r * F, out, r * K);
      return out;
    },
  };
}

describe('scorers vs scikit-learn', () => {
  const TOL = 1e-9;
  it('precision, recall and F1 (binary: positive class; multiclass: macro) and MAPE', () => {
    const b = fixtures.binary;
    const pb = Float64Array.from(b.scores);
    expect(Math.abs(precisionScore(b.labels, pb, 1) - b.precision)).toBeLessThan(TOL);
    expect(Math.abs(recallScore(b.labels, pb, 1) - b.recall)).toBeLessThan(TOL);
    expect(Math.abs(f1Score(b.labels, pb, 1) - b.f1)).toBeLessThan(TOL);
    const m = fixtures.multiclass;
    const pm = Float64Array.from(m.probabilities.flat());
    expect(Math.abs(precisionScore(m.labels, pm, m.numOutputs) - m.precision)).toBeLessThan(TOL);
    expect(Math.abs(recallScore(m.labels, pm, m.numOutputs) - m.recall)).toBeLessThan(TOL);
    expect(Math.abs(f1Score(m.labels, pm, m.numOutputs) - m.f1)).toBeLessThan(TOL);
    const r = fixtures.regression as RegressionFixture & { mape: number };
    expect(Math.abs(meanAbsolutePercentageError(r.labels, Float64Array.from(r.predictions), 1) - r.mape)).toBeLessThan(TOL);
    // Macro averages run over the classes in the labels or the predictions (scikit-learn's values, computed
    // with /usr/bin/python3: labels [0,1,0,1,1,0], predictions [0,2,1,1,0,0] of 3 classes).
    const onehot = Float64Array.from([0, 2, 1, 1, 0, 0].flatMap((c) => [0, 1, 2].map((k) => (k === c ? 0.9 : 0.05))));
    expect(precisionScore([0, 1, 0, 1, 1, 0], onehot, 3)).toBeCloseTo(0.38888888888888884, 12);
    expect(recallScore([0, 1, 0, 1, 1, 0], onehot, 3)).toBeCloseTo(0.3333333333333333, 12);
    expect(f1Score([0, 1, 0, 1, 1, 0], onehot, 3)).toBeCloseTo(0.35555555555555557, 12);
    const absent = Float64Array.from([0, 1, 1, 1, 0, 0].flatMap((c) => [0, 1, 2].map((k) => (k === c ? 0.9 : 0.05))));
    expect(f1Score([0, 1, 0, 1, 1, 0], absent, 3)).toBeCloseTo(0.6666666666666666, 12);
    // ECE is monitoring's: the same number as its report gives
    expect(eceScore(b.labels, pb, 1)).toBe(binaryMetrics(pb, Float64Array.from(b.labels)).ece);
  });

  it('binary: accuracy, ROC AUC, log loss (with clipped 0, 1 and 1e-18 probabilities)', () => {
    const { labels, scores } = fixtures.binary;
    const p = Float64Array.from(scores);
    expect(Math.abs(accuracyScore(labels, p, 1) - fixtures.binary.accuracy)).toBeLessThan(TOL);
    expect(Math.abs(rocAucScore(labels, p, 1) - fixtures.binary.rocAuc)).toBeLessThan(TOL);
    expect(Math.abs(logLossScore(labels, p, 1) - fixtures.binary.logLoss)).toBeLessThan(TOL);
    // Two columns [1 − p, p] give the same scores.
    const two = Float64Array.from(scores.flatMap((s) => [1 - s, s]));
    expect(Math.abs(rocAucScore(labels, two, 2) - fixtures.binary.rocAuc)).toBeLessThan(TOL);
    expect(Math.abs(accuracyScore(labels.slice(3), two.subarray(6), 2) - accuracyScore(labels.slice(3), p.subarray(3), 1))).toBe(0);
  });

  it('multiclass: accuracy, macro one-vs-rest ROC AUC, log loss', () => {
    const { labels, probabilities, numOutputs } = fixtures.multiclass;
    const p = Float64Array.from(probabilities.flat());
    expect(Math.abs(accuracyScore(labels, p, numOutputs) - fixtures.multiclass.accuracy)).toBeLessThan(TOL);
    expect(Math.abs(rocAucScore(labels, p, numOutputs) - fixtures.multiclass.rocAuc)).toBeLessThan(TOL);
    expect(Math.abs(logLossScore(labels, p, numOutputs) - fixtures.multiclass.logLoss)).toBeLessThan(TOL);
  });

  it('regression, one and two outputs: MSE, RMSE, MAE, R²', () => {
    for (const set of [fixtures.regression, fixtures.multiOutput]) {
      const K = set.numOutputs ?? 1;
      const p = Float64Array.from(set.predictions);
      expect(Math.abs(meanSquaredError(set.labels, p, K) - set.mse)).toBeLessThan(TOL);
      expect(Math.abs(rootMeanSquaredError(set.labels, p, K) - set.rmse)).toBeLessThan(TOL);
      expect(Math.abs(meanAbsoluteError(set.labels, p, K) - set.mae)).toBeLessThan(TOL);
      expect(Math.abs(r2Score(set.labels, p, K) - set.r2)).toBeLessThan(TOL);
    }
    // R² with constant labels, as scikit-learn's force_finite: 1 for a perfect fit, else 0.
    expect(r2Score([2, 2, 2], Float64Array.from([2, 2, 2]), 1)).toBe(1);
    expect(r2Score([2, 2, 2], Float64Array.from([2, 2, 3]), 1)).toBe(0);
  });

  it('rejects what does not fit', () => {
    expect(() => rocAucScore([1, 1], Float64Array.from([0.2, 0.3]), 1)).toThrow(/only one class/);
    expect(() => accuracyScore([0, 3], Float64Array.from([0.2, 0.3]), 1)).toThrow(/label 1 is 3; expected a class index in \[0, 1\]/);
    expect(() => logLossScore([0, 1], Float64Array.from([0.2, 0.3, 0.5]), 1)).toThrow(/2 labels for 3 rows/);
  });
});

describe('permutationImportance', () => {
  it('equals an independent computation with the same permutations (classifier, ROC AUC and log loss)', async () => {
    const F = 5;
    const n = 700;
    const rng = new Rng(31);
    const x = normals(rng, n * F);
    const logit = (x: Float64Array, o: number) => 1.2 * x[o]! - 0.8 * x[o + 1]! * x[o + 2]! + (x[o + 3]! > 0.5 ? 1 : -0.2);
    const prob = (x: Float64Array, o: number) => 1 / (1 + Math.exp(-logit(x, o)));
    const y = Int32Array.from({ length: n }, (_, i) => (rng.next() < prob(x, i * F) ? 1 : 0));
    const calls: number[] = [];
    const model = modelOf(F, 1, (z, off, out, at) => {
      out[at] = prob(z, off);
    }, calls);
    for (const [name, scorer] of [['rocAuc', SCORERS.rocAuc], ['logLoss', SCORERS.logLoss]] as const) {
      calls.length = 0;
      const repeats = 4;
      const res = await permutationImportance(model, x, n, y, { ...scorer, repeats, seed: 77, maxBatchRows: 1000 });
      expect(Math.max(...calls)).toBeLessThanOrEqual(1000);
      // Plain loops: shuffle column f with order k, predict row by row, score.
      const orders = permutationOrders(n, repeats, 77);
      const base = new Float64Array(n);
      for (let i = 0; i < n; i++) base[i] = prob(x, i * F);
      const baseline = scorer.score(y, base, 1);
      expect(res.baseline).toBe(baseline);
      const row = new Float64Array(F);
      for (let f = 0; f < F; f++) {
        const vals: number[] = [];
        for (let k = 0; k < repeats; k++) {
          const p = new Float64Array(n);
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < F; j++) row[j] = x[i * F + j]!;
            row[f] = x[orders[k * n + i]! * F + f]!;
            p[i] = prob(row, 0);
          }
          const s = scorer.score(y, p, 1);
          vals.push(scorer.greaterIsBetter ? baseline - s : s - baseline);
        }
        const mean = vals.reduce((a, b) => a + b, 0) / repeats;
        const std = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / repeats);
        const got = res.features[f]!;
        expect(got.index).toBe(f);
        for (let k = 0; k < repeats; k++) expect(Math.abs(got.values[k]! - vals[k]!)).toBeLessThan(1e-12);
        expect(Math.abs(got.mean - mean)).toBeLessThan(1e-12);
        expect(Math.abs(got.std - std)).toBeLessThan(1e-12);
      }
      // Feature 4 is ignored by the model: exactly zero. The others matter.
      expect(res.features[4]!.mean).toBe(0);
      expect(res.features[4]!.std).toBe(0);
      for (let f = 0; f < 4; f++) expect(res.features[f]!.mean, `${name} feature ${f}`).toBeGreaterThan(0.005);
    }
  });

  it('linear regression with MSE: importance ≈ 2·a_i²·Var(x_i) within 5 %; an ignored feature gives exactly 0', async () => {
    const a = [1, -2, 0.5, 0, 3];
    const F = a.length;
    const n = 20000;
    const rng = new Rng(32);
    const x = normals(rng, n * F);
    const fn = (z: Float64Array, off: number, out: Float64Array, at: number) => {
      let s = 0;
      for (let j = 0; j < F; j++) s += a[j]! * z[off + j]!;
      out[at] = s;
    };
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) fn(x, i * F, y, i);
    const progress: number[] = [];
    const res = await permutationImportance(modelOf(F, 1, fn), x, n, y, { ...SCORERS.mse, seed: 5, onProgress: (d) => progress.push(d) });
    expect(progress.length).toBe(F * 5);
    expect(res.baseline).toBe(0);
    for (let j = 0; j < F; j++) {
      const got = res.features[j]!;
      expect(got.values.length).toBe(5);
      if (a[j] === 0) {
        expect(got.mean).toBe(0);
        expect(got.std).toBe(0);
        expect(got.values).toEqual([0, 0, 0, 0, 0]);
      } else {
        const want = 2 * a[j]! ** 2;
        expect(Math.abs(got.mean - want) / want).toBeLessThan(0.05);
        expect(got.std).toBeGreaterThan(0);
      }
    }
    // Greater-is-better (R²): importance is still a loss of score, positive.
    const r2 = await permutationImportance(modelOf(F, 1, fn), x, n, y, { score: r2Score, greaterIsBetter: true, repeats: 2 });
    expect(r2.baseline).toBe(1);
    expect(r2.features[1]!.mean).toBeGreaterThan(0.5);
  });

  it('permutationOrders: seeded permutations', () => {
    const o = permutationOrders(50, 3, 8);
    expect(o.length).toBe(150);
    for (let k = 0; k < 3; k++) expect(Array.from(o.subarray(k * 50, k * 50 + 50)).sort((p, q) => p - q)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(permutationOrders(50, 3, 8))).toEqual(Array.from(o));
    expect(Array.from(permutationOrders(50, 3, 9))).not.toEqual(Array.from(o));
  });

  it('rejects bad input', async () => {
    const model = modelOf(2, 1, (z, off, out, at) => {
      out[at] = z[off]!;
    });
    await expect(permutationImportance(model, new Float64Array(4), 2, [1], SCORERS.mse)).rejects.toThrow(/y holds 1 values; expected one per row \(2\)/);
    await expect(permutationImportance(model, new Float64Array(4), 2, [1, 2], { ...SCORERS.mse, repeats: 0 })).rejects.toThrow(/repeats must be a whole number >= 1/);
  });
});
