import { describe, expect, it } from 'vitest';
import { Rng } from '../explain/model.js';
import { perturbationStability, type PredictFunction } from './robustness.js';

function normals(rng: Rng, n: number, scale: number): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = scale * Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  return x;
}

/** rows × features, feature j ~ N(0, scales[j]²). */
function data(rows: number, scales: number[], seed = 1): Float64Array {
  const rng = new Rng(seed);
  const f = scales.length;
  const x = new Float64Array(rows * f);
  for (let j = 0; j < f; j++) {
    const col = normals(rng, rows, scales[j]!);
    for (let i = 0; i < rows; i++) x[i * f + j] = col[i]!;
  }
  return x;
}

function populationStd(x: Float64Array, rows: number, f: number, j: number): number {
  let s = 0;
  for (let i = 0; i < rows; i++) s += x[i * f + j]!;
  const m = s / rows;
  let v = 0;
  for (let i = 0; i < rows; i++) v += (x[i * f + j]! - m) ** 2;
  return Math.sqrt(v / rows);
}

const linear = (w: number[], b = 0): PredictFunction => async (x, rows) => {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = b;
    for (let j = 0; j < w.length; j++) s += w[j]! * x[i * w.length + j]!;
    out[i] = s;
  }
  return out;
};

describe('perturbationStability', () => {
  it('a constant model does not move', async () => {
    const rows = 200;
    const x = data(rows, [1, 5, 0.1]);
    const r = await perturbationStability(async (_x, n) => new Float64Array(n).fill(0.7), x, rows, 3, { seed: 3 });
    expect(r).toMatchObject({ rows, outputs: 1, repeats: 5, maxAbsoluteChange: 0, meanAbsoluteChange: 0, flipShare: 0, flipRate: 0 });
  });

  it('a linear model: noise is σ_j = 0.01·std_j, change = w·ε exactly, mean |change| ≈ √(2/π)·√(Σ w_j² σ_j²)', async () => {
    const rows = 4000;
    const scales = [1, 10, 0.5, 3];
    const w = [2, -0.3, 4, 1];
    const f = scales.length;
    const x = data(rows, scales, 7);
    x[5 * f + 2] = NaN; // a missing cell stays missing (the model then predicts NaN → excluded below)
    const seen: Float64Array[] = [];
    const predict: PredictFunction = async (xs, n) => {
      seen.push(xs.slice());
      const out = await linear(w)(xs, n);
      out[5] = 0; // row 5 has a NaN input: give it a fixed prediction
      return out;
    };
    const r = await perturbationStability(predict, x, rows, f, { seed: 11, skip: [false, false, false, true] });
    // σ_j from the population std of the finite values; the skipped feature gets none.
    const finite = (j: number) => {
      const vals = Float64Array.from({ length: rows }, (_, i) => x[i * f + j]!).filter((v) => !Number.isNaN(v));
      return populationStd(vals, vals.length, 1, 0);
    };
    for (let j = 0; j < 3; j++) expect(r.noise[j]).toBeCloseTo(0.01 * finite(j), 14);
    expect(r.noise[3]).toBe(0);
    expect(seen).toHaveLength(1 + 5);
    expect(seen[0]).toEqual(x);

    // Recompute every change from the noisy inputs the model saw.
    let max = 0;
    let sum = 0;
    for (let k = 1; k <= 5; k++) {
      const xs = seen[k]!;
      expect(Number.isNaN(xs[5 * f + 2]!)).toBe(true);
      for (let i = 0; i < rows; i++) {
        expect(xs[i * f + 3]).toBe(x[i * f + 3]); // skipped: untouched
        let change = 0;
        let bound = 0;
        for (let j = 0; j < 3; j++) {
          const eps = xs[i * f + j]! - x[i * f + j]!;
          if (i === 5 && j === 2) continue;
          expect(Math.abs(eps)).toBeLessThan(7 * r.noise[j]!); // Gaussian: beyond 7σ has probability ~1e-12
          change += w[j]! * eps;
          bound += Math.abs(w[j]!) * Math.abs(eps);
        }
        if (i === 5) change = 0;
        expect(Math.abs(change)).toBeLessThanOrEqual(bound + 1e-12);
        max = Math.max(max, Math.abs(change));
        sum += Math.abs(change);
      }
    }
    expect(r.maxAbsoluteChange).toBeCloseTo(max, 12);
    expect(r.meanAbsoluteChange).toBeCloseTo(sum / (5 * rows), 12);

    // Closed form: change ~ N(0, s²) with s² = Σ w_j² σ_j² → E|change| = √(2/π)·s; sd of |change| is
    // s·√(1 − 2/π) ≈ 0.60 s, so over 20,000 draws the standard error is 0.0043 s: allow 5 of them.
    let s2 = 0;
    for (let j = 0; j < 3; j++) s2 += (w[j]! * r.noise[j]!) ** 2;
    const s = Math.sqrt(s2);
    expect(Math.abs(r.meanAbsoluteChange - Math.sqrt(2 / Math.PI) * s)).toBeLessThan(5 * 0.0043 * s);
    // And never beyond Σ |w_j| · 7σ_j.
    expect(r.maxAbsoluteChange).toBeLessThan(7 * (2 * r.noise[0]! + 0.3 * r.noise[1]! + 4 * r.noise[2]!));
  });

  it('scales with relativeNoise and is zero with no noise', async () => {
    const rows = 500;
    const x = data(rows, [1, 2]);
    const a = await perturbationStability(linear([1, 1]), x, rows, 2, { seed: 5, relativeNoise: 0.01, task: 'regression' });
    const b = await perturbationStability(linear([1, 1]), x, rows, 2, { seed: 5, relativeNoise: 0.04, task: 'regression' });
    // Same seed → same normals, scaled by 4 (up to rounding in x + ε − x).
    expect(b.meanAbsoluteChange / a.meanAbsoluteChange).toBeCloseTo(4, 6);
    const zero = await perturbationStability(linear([1, 1]), x, rows, 2, { relativeNoise: 0 });
    expect(zero.maxAbsoluteChange).toBe(0);
  });

  it('is deterministic for a seed and differs between seeds', async () => {
    const rows = 300;
    const x = data(rows, [1, 3, 2]);
    const model = linear([1, -2, 0.5]);
    const a = await perturbationStability(model, x, rows, 3, { seed: 42, task: 'regression' });
    const b = await perturbationStability(model, x, rows, 3, { seed: 42, task: 'regression' });
    const c = await perturbationStability(model, x, rows, 3, { seed: 43, task: 'regression' });
    expect(b).toEqual(a);
    expect(c.meanAbsoluteChange).not.toBe(a.meanAbsoluteChange);
    expect(a.flipShare).toBeNull();
    expect(a.flipRate).toBeNull();
  });

  it('counts class flips: rows at the decision boundary flip, rows far from it never do', async () => {
    // x0 = ±10 for even rows (far), ±1e-4 for odd rows (at the boundary); std(x0) ≈ 7.07 → σ ≈ 0.0707.
    const rows = 400;
    const x = new Float64Array(rows);
    for (let i = 0; i < rows; i++) x[i] = (i % 4 < 2 ? 1 : -1) * (i % 2 === 0 ? 10 : 1e-4);
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    const proba: PredictFunction = async (xs, n) => Float64Array.from({ length: n }, (_, i) => sigmoid(xs[i]!));
    const twoClass: PredictFunction = async (xs, n) => {
      const out = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) {
        out[2 * i + 1] = sigmoid(xs[i]!);
        out[2 * i] = 1 - out[2 * i + 1]!;
      }
      return out;
    };
    const one = await perturbationStability(proba, x, rows, 1, { seed: 9 });
    const two = await perturbationStability(twoClass, x, rows, 1, { seed: 9 });
    // A boundary row flips in a round with probability ≈ 1/2, in at least one of 5 rounds ≈ 31/32.
    expect(one.flipShare!).toBeLessThanOrEqual(0.5);
    expect(one.flipShare!).toBeGreaterThan(0.4);
    expect(one.flipRate!).toBeGreaterThan(0.18);
    expect(one.flipRate!).toBeLessThan(0.32);
    expect(one.flipRate!).toBeLessThanOrEqual(one.flipShare!);
    expect(two.outputs).toBe(2);
    expect([two.flipShare, two.flipRate]).toEqual([one.flipShare, one.flipRate]);
  });

  it('rejects bad input with clear messages', async () => {
    const x = new Float64Array(6);
    const ok: PredictFunction = async (_x, n) => new Float64Array(n);
    await expect(perturbationStability(ok, x, 4, 2)).rejects.toThrow('x has 6 values but rows × features = 4 × 2 = 8');
    await expect(perturbationStability(ok, x, 3, 2, { repeats: 0 })).rejects.toThrow('repeats must be a whole number ≥ 1, not 0');
    await expect(perturbationStability(ok, x, 3, 2, { relativeNoise: -1 })).rejects.toThrow('relativeNoise must be a finite number ≥ 0, not -1');
    await expect(perturbationStability(ok, x, 3, 2, { skip: [true] })).rejects.toThrow('skip has 1 entries but there are 2 features');
    await expect(perturbationStability(async () => new Float64Array(4), x, 3, 2)).rejects.toThrow('predict returned 4 values for 3 rows');
    await expect(perturbationStability(async (_x, n) => new Float64Array(n).fill(NaN), x, 3, 2)).rejects.toThrow('predict returned NaN for row 0');
    let calls = 0;
    const shrinking: PredictFunction = async (_x, n) => new Float64Array(calls++ === 0 ? 2 * n : n);
    await expect(perturbationStability(shrinking, x, 3, 2)).rejects.toThrow('predict returned 3 values on noisy rows but 6 on the original rows');
  });
});
