import { describe, expect, it } from 'vitest';
import { dataset, fixtures, type LinearCase, maxScaledDiff } from '../../../test/fixtures/linear/linear-fixtures.js';
import { choleskySolve, predict, trainLinear } from './linear.js';

const linearCases = fixtures.cases.filter((c): c is LinearCase => c.kind === 'linear');

describe('trainLinear against scikit-learn Ridge / Lasso / ElasticNet', () => {
  it('has ridge and L1 cases', () => {
    expect(linearCases.filter((c) => c.penalty === 'l2').length).toBeGreaterThanOrEqual(2);
    expect(linearCases.filter((c) => c.penalty === 'elasticnet').length).toBeGreaterThanOrEqual(2);
  });
  for (const c of linearCases) {
    it(`${c.name}: coefficients, intercept and predictions`, () => {
      const d = dataset(c.data);
      const X = Float64Array.from(d.x);
      const opts = c.penalty === 'l2' ? { alpha: c.alpha } : { penalty: 'elasticnet' as const, alpha: c.alpha, l1Ratio: c.l1Ratio!, tol: 1e-12, maxIter: 100000 };
      const model = trainLinear(X, Float64Array.from(d.y), d.rows, d.features, opts);
      expect(model.converged).toBe(true);
      expect(maxScaledDiff(model.coef, c.coef)).toBeLessThan(1e-8);
      expect(maxScaledDiff([model.intercept], [c.intercept])).toBeLessThan(1e-8);
      expect(maxScaledDiff(predict(model, X.subarray(0, c.predictRows * d.features), c.predictRows), c.predict)).toBeLessThan(1e-8);
      if (c.penalty === 'elasticnet') {
        // The L1 part zeroes coefficients exactly where scikit-learn does.
        for (let j = 0; j < c.coef.length; j++) expect(model.coef[j] === 0).toBe(c.coef[j] === 0);
      }
    });
  }
});

describe('ridge closed form', () => {
  it('one feature: w = Sxy / (Sxx + alpha), b = ȳ − w·x̄', () => {
    const x = [1, 2, 4, 7, 11];
    const y = [2, 3, 7, 8, 15];
    const alpha = 3;
    const xm = x.reduce((a, v) => a + v, 0) / x.length;
    const ym = y.reduce((a, v) => a + v, 0) / y.length;
    let sxx = 0;
    let sxy = 0;
    for (let i = 0; i < x.length; i++) {
      sxx += (x[i]! - xm) ** 2;
      sxy += (x[i]! - xm) * (y[i]! - ym);
    }
    const w = sxy / (sxx + alpha);
    const model = trainLinear(Float64Array.from(x), Float64Array.from(y), 5, 1, { alpha });
    expect(model.coef[0]).toBeCloseTo(w, 13);
    expect(model.intercept).toBeCloseTo(ym - w * xm, 12);
  });
  it('alpha = 0 recovers an exact linear relation', () => {
    const n = 30;
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const X = Float64Array.from({ length: n * 3 }, rand);
    const y = Float64Array.from({ length: n }, (_, i) => 2 * X[i * 3]! - 3 * X[i * 3 + 1]! + 0.5 * X[i * 3 + 2]! + 4);
    const model = trainLinear(X, y, n, 3, { alpha: 0 });
    expect(maxScaledDiff(model.coef, [2, -3, 0.5])).toBeLessThan(1e-10);
    expect(model.intercept).toBeCloseTo(4, 10);
  });
  it('the ridge solution zeroes the gradient of ‖y − Xw − b‖² + alpha‖w‖²', () => {
    const d = dataset('regression');
    const X = Float64Array.from(d.x);
    const y = Float64Array.from(d.y);
    const alpha = 7;
    const m = trainLinear(X, y, d.rows, d.features, { alpha });
    const r = predict(m, X, d.rows).map((v, i) => y[i]! - v);
    expect(Math.abs(r.reduce((a, v) => a + v, 0))).toBeLessThan(1e-9);
    for (let j = 0; j < d.features; j++) {
      let g = alpha * m.coef[j]!;
      for (let i = 0; i < d.rows; i++) g -= X[i * d.features + j]! * r[i]!;
      expect(Math.abs(g)).toBeLessThan(1e-8);
    }
  });
  it('choleskySolve rejects a singular system', () => {
    expect(() => choleskySolve(Float64Array.from([1, 1, 1, 1]), Float64Array.from([1, 2]), 2)).toThrow(/not positive definite/);
  });
});

describe('trainLinear input checks', () => {
  it('names the row and column of a NaN or infinity', () => {
    expect(() => trainLinear(Float64Array.from([1, 2, 3, Infinity]), Float64Array.from([1, 2]), 2, 2)).toThrow(/row 1, column 1.*Infinity/);
  });
  it('rejects bad targets, shapes and options', () => {
    expect(() => trainLinear(Float64Array.from([1, 2]), Float64Array.from([1, NaN]), 2, 1)).toThrow(/y\[1\] is NaN/);
    expect(() => trainLinear(Float64Array.from([1, 2]), Float64Array.from([1]), 2, 1)).toThrow(/1 values for 2 rows/);
    expect(() => trainLinear(Float64Array.from([1, 2]), Float64Array.from([1, 2]), 2, 1, { alpha: -1 })).toThrow(/alpha must be/);
    expect(() => trainLinear(Float64Array.from([1, 2]), Float64Array.from([1, 2]), 2, 1, { penalty: 'elasticnet', l1Ratio: 2 })).toThrow(/l1Ratio/);
    expect(() => trainLinear(Float64Array.from([1, 2, 2, 4]), Float64Array.from([1, 2]), 2, 2, { alpha: 0 })).toThrow(/not positive definite/);
  });
});
