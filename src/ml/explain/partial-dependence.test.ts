import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { predict } from '../trees/tree-evaluator.js';
import { parseXgboostJson } from '../trees/xgboost-json.js';
import { type BatchModel } from './model.js';
import { gridFor, linspace, mquantile, partialDependence, partialDependence2d } from './partial-dependence.js';

// From test/fixtures/explain/make_fixtures.py: xgboost 1.7 models and scikit-learn 1.2's partial_dependence(method='brute').
const FIXTURES = new URL('../../../test/fixtures/explain/', import.meta.url);

interface FeatureExpectation {
  feature: number;
  source: string;
  grid: number[];
  average: number[];
  ice: number[][];
}
interface ModelExpectation {
  predictions: number[];
  features: FeatureExpectation[];
  pairs: { features: [number, number]; resolution: number; grids: [number[], number[]]; average: number[] }[];
  categorical: { feature: number; grid: number[]; average: number[] };
}
interface Expected {
  rows: number;
  numFeatures: number;
  x: (number | null)[][];
  iceRows: number[];
  models: Record<'regressor' | 'classifier', ModelExpectation>;
}

const expected = JSON.parse(readFileSync(new URL('pd-expected.json', FIXTURES), 'utf8')) as Expected;
const X = Float64Array.from(expected.x.flat(), (v) => (v === null ? NaN : v));
const ROWS = expected.rows;
const F = expected.numFeatures;

/** The xgboost model as a BatchModel: float64 rows → float32, the tree evaluator's predictions (positive-class probability for the classifier). */
function xgboostModel(name: string, calls: number[] = []): BatchModel {
  const { ensemble } = parseXgboostJson(readFileSync(new URL(`pd-${name}.json`, FIXTURES)));
  return {
    numFeatures: ensemble.numFeatures,
    numOutputs: ensemble.numOutputs,
    predict: async (x, rows) => {
      calls.push(rows);
      return predict(ensemble, Float32Array.from(x), rows);
    },
  };
}

function column(f: number): Float64Array {
  return Float64Array.from({ length: ROWS }, (_, i) => X[i * F + f]!);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return m;
}

const TOL = 1e-6;

describe('partial dependence vs scikit-learn (xgboost fixtures)', () => {
  for (const name of ['regressor', 'classifier'] as const) {
    const want = expected.models[name];

    it(`${name}: the wrapped model reproduces xgboost's predictions`, async () => {
      const model = xgboostModel(name);
      expect(model.numFeatures).toBe(F);
      expect(model.numOutputs).toBe(1);
      expect(maxAbsDiff(await model.predict(X, ROWS), want.predictions)).toBeLessThan(TOL);
    });

    it(`${name}: grids, averages and ICE lines of every feature`, async () => {
      const calls: number[] = [];
      const model = xgboostModel(name, calls);
      for (const e of want.features) {
        const grid = gridFor(column(e.feature));
        expect(maxRelDiff(grid, e.grid), `grid of feature ${e.feature}`).toBeLessThan(1e-12);
        const res = await partialDependence(model, X, ROWS, e.feature, grid, { iceRowIndices: expected.iceRows, maxBatchRows: 2048 });
        expect(res.average.length).toBe(grid.length);
        expect(maxAbsDiff(res.average, e.average), `average of feature ${e.feature} (${e.source})`).toBeLessThan(TOL);
        expect(Array.from(res.iceRows)).toEqual(expected.iceRows);
        expect(maxAbsDiff(res.ice, e.ice.flat()), `ICE of feature ${e.feature}`).toBeLessThan(TOL);
        expect(res.rowsPredicted).toBe(ROWS * grid.length);
      }
      expect(Math.max(...calls)).toBeLessThanOrEqual(2048);
    });

    it(`${name}: two-feature partial dependence`, async () => {
      const model = xgboostModel(name);
      for (const pair of want.pairs) {
        const grids = [gridFor(column(pair.features[0]), { resolution: pair.resolution }), gridFor(column(pair.features[1]), { resolution: pair.resolution })] as const;
        expect(maxRelDiff(grids[0], pair.grids[0])).toBeLessThan(1e-12);
        expect(maxRelDiff(grids[1], pair.grids[1])).toBeLessThan(1e-12);
        const res = await partialDependence2d(model, X, ROWS, pair.features, grids);
        expect(res.values.length).toBe(grids[0].length * grids[1].length);
        expect(maxAbsDiff(res.values, pair.average)).toBeLessThan(TOL);
      }
    });

    it(`${name}: a categorical feature uses its distinct values`, async () => {
      const c = want.categorical;
      const grid = gridFor(column(c.feature), { categorical: true });
      expect(Array.from(grid)).toEqual(c.grid);
      const res = await partialDependence(xgboostModel(name), X, ROWS, c.feature, grid, { iceRows: 0 });
      expect(maxAbsDiff(res.average, c.average)).toBeLessThan(TOL);
      expect(res.ice.length).toBe(0);
    });
  }
});

describe('gridFor', () => {
  it('computes quantiles as scipy.stats.mstats.mquantiles and grids as numpy.linspace', () => {
    // scipy: mquantiles([1..10], [0.05, 0.5, 0.95]) = [1, 5.5, 10]; mquantiles([1, 2, 4, 8, 16], 0.3) = 1.96
    const ten = Float64Array.from({ length: 10 }, (_, i) => i + 1);
    expect(mquantile(ten, 0.05)).toBe(1);
    expect(mquantile(ten, 0.5)).toBe(5.5);
    expect(mquantile(ten, 0.95)).toBe(10);
    expect(mquantile(Float64Array.from([1, 2, 4, 8, 16]), 0.3)).toBeCloseTo(1.96, 14);
    expect(Array.from(linspace(0, 1, 5))).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it('uses the distinct values when fewer than the resolution; leaves missing values out', () => {
    const v = Float64Array.from([3, NaN, 1, 3, 2, NaN, 1]);
    expect(Array.from(gridFor(v))).toEqual([1, 2, 3]);
    // As scikit-learn: distinct values only when strictly fewer than the resolution.
    expect(Array.from(gridFor(Float64Array.from([10, 1, NaN, 2]), { resolution: 4 }))).toEqual([1, 2, 10]);
    expect(Array.from(gridFor(Float64Array.from([10, 1, NaN, 2]), { resolution: 3 }))).toEqual([1, 5.5, 10]);
    const many = Float64Array.from({ length: 1000 }, (_, i) => (i % 7 === 0 ? NaN : i));
    const g = gridFor(many, { resolution: 11 });
    expect(g.length).toBe(11);
    const present = Float64Array.from(Array.from(many).filter((u) => !Number.isNaN(u)));
    expect(g[0]).toBe(mquantile(present, 0.05));
    expect(g[10]).toBe(mquantile(present, 0.95));
  });

  it('rejects unusable settings like scikit-learn', () => {
    const v = Float64Array.from({ length: 200 }, (_, i) => (i < 195 ? 1 : i));
    expect(() => gridFor(v, { resolution: 3 })).toThrow(/too close to build a grid/);
    expect(() => gridFor(v, { resolution: 1 })).toThrow(/resolution must be a whole number > 1/);
    expect(() => gridFor(v, { percentiles: [0.9, 0.1] })).toThrow(/must be below/);
    expect(() => gridFor(Float64Array.from([NaN, NaN]))).toThrow(/all are missing/);
  });
});

describe('partialDependence', () => {
  const linear: BatchModel = {
    numFeatures: 3,
    numOutputs: 2,
    predict: async (x, rows) => {
      const out = new Float64Array(rows * 2);
      for (let r = 0; r < rows; r++) {
        out[r * 2] = 2 * x[r * 3]! + x[r * 3 + 1]!;
        out[r * 2 + 1] = x[r * 3]! * x[r * 3 + 2]!;
      }
      return out;
    },
  };
  const rows = 300;
  const x = Float64Array.from({ length: rows * 3 }, (_, i) => ((i * 7919) % 101) / 10);

  it('averages the brute-force predictions per output, ICE lines seeded', async () => {
    const grid = Float64Array.from([0, 1, 5]);
    let mean1 = 0;
    let mean2 = 0;
    for (let r = 0; r < rows; r++) {
      mean1 += x[r * 3 + 1]! / rows;
      mean2 += x[r * 3 + 2]! / rows;
    }
    const res = await partialDependence(linear, x, rows, 0, grid, { seed: 4, maxBatchRows: 128 });
    for (let g = 0; g < 3; g++) {
      expect(res.average[g]).toBeCloseTo(2 * grid[g]! + mean1, 12);
      expect(res.average[3 + g]).toBeCloseTo(grid[g]! * mean2, 12);
    }
    expect(res.iceRows.length).toBe(50);
    const again = await partialDependence(linear, x, rows, 0, grid, { seed: 4 });
    expect(Array.from(again.iceRows)).toEqual(Array.from(res.iceRows));
    expect(Array.from(again.ice)).toEqual(Array.from(res.ice));
    // ICE line l of output 1 for row r: r's x2 times the grid value.
    const L = res.iceRows.length;
    for (let l = 0; l < L; l++) {
      const r = res.iceRows[l]!;
      for (let g = 0; g < 3; g++) expect(res.ice[(1 * L + l) * 3 + g]).toBeCloseTo(grid[g]! * x[r * 3 + 2]!, 12);
    }
    const all = await partialDependence(linear, x.subarray(0, 60), 20, 0, grid, { iceRows: 50 });
    expect(Array.from(all.iceRows)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('rejects bad arguments', async () => {
    await expect(partialDependence(linear, x, rows, 3, Float64Array.from([1]))).rejects.toThrow(/feature must be a feature index in \[0, 2\], not 3/);
    await expect(partialDependence(linear, x, rows, 0, new Float64Array(0))).rejects.toThrow(/grid is empty/);
    await expect(partialDependence2d(linear, x, rows, [1, 1], [Float64Array.from([1]), Float64Array.from([1])])).rejects.toThrow(/must differ/);
  });
});
