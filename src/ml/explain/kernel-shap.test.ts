import { describe, expect, it } from 'vitest';
import { summarizeBackground, type Background } from './background.js';
import { applyLink, exactCoalitions, kernelShap, sampledCoalitions, shapleyKernelWeight, type Link } from './kernel-shap.js';
import { weightedLeastSquares } from './least-squares.js';
import { Rng, type BatchModel } from './model.js';

/** One row's outputs: reads x[off .. off + F), writes out[at .. at + K). */
type RowFunction = (x: Float64Array, off: number, out: Float64Array, at: number) => void;

interface TestModel extends BatchModel {
  calls: number[];
}

function modelOf(numFeatures: number, numOutputs: number, fn: RowFunction): TestModel {
  const calls: number[] = [];
  return {
    numFeatures,
    numOutputs,
    calls,
    predict: async (x, rows) => {
      calls.push(rows);
      const out = new Float64Array(rows * numOutputs);
      for (let r = 0; r < rows; r++) fn(x, r * numFeatures, out, r * numOutputs);
      return out;
    },
  };
}

/** A nonlinear function of features 0..M−2 (products, max, thresholds, sin); feature M−1 is ignored. */
function toy(M: number, shift = 0): (x: Float64Array, off: number) => number {
  const used = M - 1;
  return (x, off) => {
    let s = 0;
    for (let j = 0; j < used; j++) {
      const v = x[off + j]!;
      switch ((j + shift) % 4) {
        case 0:
          s += v * x[off + ((j + 1) % used)]!;
          break;
        case 1:
          s += Math.max(v, 0.3 - x[off + ((j + 2) % used)]!);
          break;
        case 2:
          s += v > 0.2 ? 1.5 : -0.5;
          break;
        default:
          s += Math.sin(v) * (x[off + ((j + 1) % used)]! > 0 ? 2 : 1);
      }
    }
    return s;
  };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function normalRows(rng: Rng, rows: number, F: number, scale = 1): Float64Array {
  const x = new Float64Array(rows * F);
  for (let i = 0; i < x.length; i += 2) {
    // Box–Muller
    const u = 1 - rng.next();
    const v = rng.next();
    const r = Math.sqrt(-2 * Math.log(u)) * scale;
    x[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < x.length) x[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return x;
}

/**
 * Brute-force Shapley values of the game v(S) = link(Σ_b w_b f(x_S, b_S̄)) over all F features:
 * φ_i = Σ_{S ∌ i} |S|!(F−|S|−1)!/F! (v(S ∪ {i}) − v(S)). Returns [row][output][feature] and v(∅).
 */
function oracle(model: { F: number; K: number; fn: RowFunction }, x: Float64Array, rows: number, bg: Background, link: Link): { values: Float64Array; bias: Float64Array } {
  const { F, K, fn } = model;
  const fact = [1];
  for (let i = 1; i <= F; i++) fact.push(fact[i - 1]! * i);
  const values = new Float64Array(rows * K * F);
  const z = new Float64Array(F);
  const out = new Float64Array(K);
  const v = new Float64Array((1 << F) * K);
  const bias = new Float64Array(K);
  for (let r = 0; r < rows; r++) {
    v.fill(0);
    for (let mask = 0; mask < 1 << F; mask++) {
      for (let b = 0; b < bg.rows; b++) {
        for (let f = 0; f < F; f++) z[f] = (mask >> f) & 1 ? x[r * F + f]! : bg.x[b * F + f]!;
        fn(z, 0, out, 0);
        for (let o = 0; o < K; o++) v[mask * K + o]! += bg.weights[b]! * out[o]!;
      }
      for (let o = 0; o < K; o++) v[mask * K + o] = applyLink(link, v[mask * K + o]!);
    }
    for (let o = 0; o < K; o++) bias[o] = v[o]!;
    for (let i = 0; i < F; i++) {
      for (let mask = 0; mask < 1 << F; mask++) {
        if ((mask >> i) & 1) continue;
        let s = 0;
        for (let f = 0; f < F; f++) s += (mask >> f) & 1;
        const w = (fact[s]! * fact[F - s - 1]!) / fact[F]!;
        for (let o = 0; o < K; o++) values[(r * K + o) * F + i]! += w * (v[(mask | (1 << i)) * K + o]! - v[mask * K + o]!);
      }
    }
  }
  return { values, bias };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function sampleBackground(rng: Rng, rows: number, F: number): Background {
  return summarizeBackground(normalRows(rng, rows, F), rows, F, { method: 'sample', size: rows });
}

describe('KernelSHAP, exact mode vs a brute-force Shapley oracle', () => {
  for (const M of [3, 5, 8, 10]) {
    it(`nonlinear model, M = ${M}, equal-weight background: within 1e-9, additive, ignored feature 0`, async () => {
      const rng = new Rng(M);
      const f = toy(M);
      const fn: RowFunction = (x, off, out, at) => {
        out[at] = f(x, off);
      };
      const model = modelOf(M, 1, fn);
      const bg = sampleBackground(rng, M === 10 ? 12 : 20, M);
      const rows = 4;
      const x = normalRows(rng, rows, M);
      const res = await kernelShap(model, x, rows, bg);
      expect(res.method).toBe('exact');
      expect(res.samples).toBe(2 ** M - 2);
      const want = oracle({ F: M, K: 1, fn }, x, rows, bg, 'identity');
      expect(maxAbsDiff(res.values, want.values)).toBeLessThan(1e-9);
      expect(maxAbsDiff(res.bias, want.bias)).toBeLessThan(1e-12);
      expect(res.additivityError).toBeLessThan(1e-9);
      for (let r = 0; r < rows; r++) expect(Math.abs(res.values[r * M + M - 1]!)).toBeLessThan(1e-9);
      // background + rows + coalitions × background per row
      expect(res.rowsPredicted).toBe(bg.rows + rows + rows * (2 ** M - 2) * bg.rows);
    });
  }

  for (const M of [5, 8]) {
    it(`weighted k-means background, M = ${M}: within 1e-9`, async () => {
      const rng = new Rng(100 + M);
      const f = toy(M, 1);
      const fn: RowFunction = (x, off, out, at) => {
        out[at] = f(x, off);
      };
      const data = normalRows(rng, 300, M);
      const bg = summarizeBackground(data, 300, M, { method: 'kmeans', size: 10, seed: 5 });
      expect(bg.rows).toBe(10);
      // genuinely unequal weights
      expect(Math.max(...bg.weights) - Math.min(...bg.weights)).toBeGreaterThan(0.01);
      const x = normalRows(rng, 3, M);
      const res = await kernelShap(modelOf(M, 1, fn), x, 3, bg);
      const want = oracle({ F: M, K: 1, fn }, x, 3, bg, 'identity');
      expect(maxAbsDiff(res.values, want.values)).toBeLessThan(1e-9);
      expect(res.additivityError).toBeLessThan(1e-9);
    });
  }

  for (const M of [3, 5, 8, 10]) {
    it(`logit link, three probability outputs, k-means background, M = ${M}: within 1e-9`, async () => {
      const rng = new Rng(200 + M);
      const f0 = toy(M, 0);
      const f1 = toy(M, 2);
      const fn: RowFunction = (x, off, out, at) => {
        out[at] = sigmoid(0.7 * f0(x, off));
        out[at + 1] = sigmoid(f1(x, off) - 0.2);
        out[at + 2] = sigmoid(3 * x[off]! * x[off + 1]!); // nearly saturated at times
      };
      const data = normalRows(rng, 200, M);
      const bg = summarizeBackground(data, 200, M, { method: 'kmeans', size: M === 10 ? 6 : 10, seed: 1 });
      const x = normalRows(rng, 3, M, 1.5);
      const res = await kernelShap(modelOf(M, 3, fn), x, 3, bg, { link: 'logit' });
      const want = oracle({ F: M, K: 3, fn }, x, 3, bg, 'logit');
      expect(maxAbsDiff(res.values, want.values)).toBeLessThan(1e-9);
      expect(maxAbsDiff(res.bias, want.bias)).toBeLessThan(1e-12);
      expect(res.additivityError).toBeLessThan(1e-9);
    });
  }

  it('log link on softmax outputs (multiclass probabilities), M = 6: within 1e-9', async () => {
    const M = 6;
    const rng = new Rng(7);
    const fs = [toy(M, 0), toy(M, 1), toy(M, 3)];
    const fn: RowFunction = (x, off, out, at) => {
      let sum = 0;
      for (let k = 0; k < 3; k++) sum += out[at + k] = Math.exp(fs[k]!(x, off));
      for (let k = 0; k < 3; k++) out[at + k]! /= sum;
    };
    const bg = sampleBackground(rng, 15, M);
    const x = normalRows(rng, 3, M);
    const res = await kernelShap(modelOf(M, 3, fn), x, 3, bg, { link: 'log' });
    const want = oracle({ F: M, K: 3, fn }, x, 3, bg, 'log');
    expect(maxAbsDiff(res.values, want.values)).toBeLessThan(1e-9);
    expect(res.additivityError).toBeLessThan(1e-9);
  });

  it('linear model, identity link: φ_i = a_i (x_i − E_b[x_i]) to 1e-9', async () => {
    const M = 8;
    const a = [1.5, -2, 0.5, 3, 0, -0.25, 1, 2];
    const fn: RowFunction = (x, off, out, at) => {
      let s = 0.7;
      for (let j = 0; j < M; j++) s += a[j]! * x[off + j]!;
      out[at] = s;
    };
    const rng = new Rng(11);
    const data = normalRows(rng, 300, M);
    const bg = summarizeBackground(data, 300, M, { method: 'kmeans', size: 12, seed: 2 });
    const x = normalRows(rng, 5, M);
    const res = await kernelShap(modelOf(M, 1, fn), x, 5, bg);
    for (let r = 0; r < 5; r++) {
      for (let j = 0; j < M; j++) {
        let mean = 0;
        for (let b = 0; b < bg.rows; b++) mean += bg.weights[b]! * bg.x[b * M + j]!;
        expect(Math.abs(res.values[r * M + j]! - a[j]! * (x[r * M + j]! - mean))).toBeLessThan(1e-9);
      }
    }
  });

  it('a feature constant in x and the background gets φ = 0 exactly, and is left out of the regression', async () => {
    const M = 6;
    const rng = new Rng(12);
    const f = toy(M + 1);
    const fn: RowFunction = (x, off, out, at) => {
      out[at] = f(x, off) + 5 * x[off + 2]!; // feature 2 matters to the model
    };
    const bg = sampleBackground(rng, 10, M + 1);
    const x = normalRows(rng, 3, M + 1);
    for (let b = 0; b < bg.rows; b++) bg.x[b * (M + 1) + 2] = 1.25;
    for (let r = 0; r < 3; r++) x[r * (M + 1) + 2] = 1.25;
    const res = await kernelShap(modelOf(M + 1, 1, fn), x, 3, bg);
    for (let r = 0; r < 3; r++) expect(res.values[r * (M + 1) + 2]).toBe(0);
    expect(res.samples).toBe(2 ** M - 2); // 6 varying features, not 7
    const want = oracle({ F: M + 1, K: 1, fn }, x, 3, bg, 'identity');
    expect(maxAbsDiff(res.values, want.values)).toBeLessThan(1e-9);
  });

  it('rows with one or no varying feature', async () => {
    const F = 3;
    const fn: RowFunction = (x, off, out, at) => {
      out[at] = x[off]! * x[off]! + 2 * x[off + 1]! + x[off + 2]!;
    };
    const bg: Background = { x: Float64Array.from([1, 2, 3, 1, 2, 3]), rows: 2, weights: Float64Array.from([0.5, 0.5]) };
    const x = Float64Array.from([1, 2, 3, 4, 2, 3]);
    const res = await kernelShap(modelOf(F, 1, fn), x, 2, bg);
    expect(Array.from(res.values)).toEqual([0, 0, 0, 15, 0, 0]);
    expect(res.bias[0]).toBe(8);
    expect(res.samples).toBe(0);
  });

  it('batches never exceed maxBatchRows and do not change the result', async () => {
    const M = 7;
    const rng = new Rng(13);
    const f = toy(M);
    const fn: RowFunction = (x, off, out, at) => {
      out[at] = f(x, off);
    };
    const bg = sampleBackground(rng, 9, M);
    const x = normalRows(rng, 4, M);
    const big = modelOf(M, 1, fn);
    const small = modelOf(M, 1, fn);
    const a = await kernelShap(big, x, 4, bg);
    const progress: number[] = [];
    const b = await kernelShap(small, x, 4, bg, { maxBatchRows: 100, onProgress: (done) => progress.push(done) });
    expect(Math.max(...small.calls)).toBeLessThanOrEqual(100);
    expect(small.calls.reduce((s, n) => s + n, 0)).toBe(b.rowsPredicted);
    expect(b.calls).toBe(small.calls.length);
    expect(Math.max(...big.calls)).toBeLessThanOrEqual(16384);
    expect(big.calls.length).toBe(3); // background, rows, then 4 × 126 × 9 = 4536 coalition rows in one call
    expect(maxAbsDiff(a.values, b.values)).toBeLessThan(1e-12);
    expect(progress).toEqual([1, 2, 3, 4]);
  });

  it('rejects bad input with clear messages', async () => {
    const model = modelOf(3, 1, (x, off, out, at) => {
      out[at] = x[off]!;
    });
    const bg: Background = { x: new Float64Array(6), rows: 2, weights: Float64Array.from([0.5, 0.5]) };
    await expect(kernelShap(model, new Float64Array(5), 2, bg)).rejects.toThrow(/x holds 5 values; expected rows × features = 2 × 3 = 6/);
    await expect(kernelShap(model, new Float64Array(3), 1, { ...bg, weights: Float64Array.from([1]) })).rejects.toThrow(/1 weights for 2 rows/);
    await expect(kernelShap(model, new Float64Array(3), 1, bg, { link: 'probit' as Link })).rejects.toThrow(/unknown link 'probit'/);
    const liar: BatchModel = { numFeatures: 3, numOutputs: 1, predict: async (_x, rows) => new Float64Array(rows + 1) };
    await expect(kernelShap(liar, new Float64Array(3), 1, bg)).rejects.toThrow(/returned 3 values for 2 rows/);
  });
});

describe('KernelSHAP, sampled mode', () => {
  it('linear model, M = 20: the closed form to 1e-6 although sampled', async () => {
    const M = 20;
    const rng = new Rng(21);
    const a = Array.from({ length: M }, (_, j) => ((j * 7) % 11) - 5);
    const fn: RowFunction = (x, off, out, at) => {
      let s = -1;
      for (let j = 0; j < M; j++) s += a[j]! * x[off + j]!;
      out[at] = s;
    };
    const bg = summarizeBackground(normalRows(rng, 200, M), 200, M, { method: 'kmeans', size: 8, seed: 3 });
    const x = normalRows(rng, 3, M, 2);
    const res = await kernelShap(modelOf(M, 1, fn), x, 3, bg, { seed: 4 });
    expect(res.method).toBe('sampled');
    expect(res.samples).toBe(2 * M + 2048);
    for (let r = 0; r < 3; r++) {
      for (let j = 0; j < M; j++) {
        let mean = 0;
        for (let b = 0; b < bg.rows; b++) mean += bg.weights[b]! * bg.x[b * M + j]!;
        expect(Math.abs(res.values[r * M + j]! - a[j]! * (x[r * M + j]! - mean))).toBeLessThan(1e-6);
      }
    }
  });

  it('nonlinear model, M = 16: exact additivity, close to exact mode (itself = the oracle), deterministic per seed', async () => {
    const M = 16;
    const rng = new Rng(22);
    const f = toy(M);
    const fn: RowFunction = (x, off, out, at) => {
      out[at] = f(x, off);
    };
    const bg = sampleBackground(rng, 4, M);
    const rows = 2;
    const x = normalRows(rng, rows, M);
    const exact = await kernelShap(modelOf(M, 1, fn), x, rows, bg, { exactMaxFeatures: 16 });
    expect(exact.method).toBe('exact');
    const want = oracle({ F: M, K: 1, fn }, x, rows, bg, 'identity');
    expect(maxAbsDiff(exact.values, want.values)).toBeLessThan(1e-9);

    const sampled = await kernelShap(modelOf(M, 1, fn), x, rows, bg, { seed: 1 });
    expect(sampled.method).toBe('sampled');
    expect(sampled.additivityError).toBeLessThan(1e-9);
    let scale = 0;
    for (const v of want.values) scale = Math.max(scale, Math.abs(v));
    const err = maxAbsDiff(sampled.values, want.values);
    expect(err).toBeLessThan(0.1 * scale);
    // A larger budget gets closer.
    const more = await kernelShap(modelOf(M, 1, fn), x, rows, bg, { seed: 1, nsamples: 20000 });
    expect(maxAbsDiff(more.values, want.values)).toBeLessThan(err);

    const again = await kernelShap(modelOf(M, 1, fn), x, rows, bg, { seed: 1 });
    expect(Array.from(again.values)).toEqual(Array.from(sampled.values));
    const other = await kernelShap(modelOf(M, 1, fn), x, rows, bg, { seed: 2 });
    expect(maxAbsDiff(other.values, sampled.values)).toBeGreaterThan(0);
  });

  it("coalition plans: shap's enumeration of the small sizes, paired complements, kernel mass preserved", () => {
    const M = 12;
    const plan = sampledCoalitions(M, 2 * M + 2048, new Rng(3));
    expect(plan.count).toBe(2 * M + 2048);
    expect(plan.complete).toBe(false);
    // Sizes 1, 11, 2, 10, 3, 9 (2·(12 + 66 + 220) = 596) are enumerated, then sampling.
    const sizes = new Map<number, number>();
    let total = 0;
    for (let c = 0; c < plan.count; c++) {
      let s = 0;
      for (let j = 0; j < M; j++) s += plan.masks[c * M + j]!;
      sizes.set(s, (sizes.get(s) ?? 0) + 1);
      total += plan.weights[c]!;
    }
    expect(sizes.get(1)).toBe(12);
    expect(sizes.get(11)).toBe(12);
    expect(sizes.get(2)).toBe(66);
    expect(sizes.get(3)).toBe(220);
    expect(sizes.get(9)).toBe(220);
    expect(sizes.get(4)! < 495).toBe(true);
    expect(total).toBeCloseTo(1, 12);
    // Every coalition distinct.
    const keys = new Set<string>();
    for (let c = 0; c < plan.count; c++) keys.add(plan.masks.subarray(c * M, c * M + M).join(''));
    expect(keys.size).toBe(plan.count);
    // A budget of 2^M − 2 enumerates everything, with weights ∝ the Shapley kernel.
    const full = sampledCoalitions(6, 10_000, new Rng(0));
    expect(full.complete).toBe(true);
    expect(full.count).toBe(62);
    const exact = exactCoalitions(6);
    const ratio = (c: number, p: typeof full) => {
      let s = 0;
      for (let j = 0; j < 6; j++) s += p.masks[c * 6 + j]!;
      return p.weights[c]! / shapleyKernelWeight(6, s);
    };
    for (let c = 0; c < full.count; c++) expect(ratio(c, full) / ratio(0, exact)).toBeCloseTo(ratio(0, full) / ratio(0, exact), 12);
  });
});

describe('weighted least squares', () => {
  it('solves an overdetermined weighted problem as the normal equations do, and handles rank deficiency', () => {
    const n = 6;
    const A = [
      [1, 0, 2],
      [0, 1, 1],
      [1, 1, 0],
      [2, -1, 1],
      [0, 3, 1],
      [1, 2, 3],
    ];
    const b = [1, 2, 0.5, -1, 3, 2];
    const w = [1, 2, 0.5, 1, 3, 0.25];
    const a = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) for (let j = 0; j < 3; j++) a[j * n + i] = A[i]![j]!;
    const { x, rank } = weightedLeastSquares(a, Float64Array.from(b), Float64Array.from(w), n, 3, 1);
    expect(rank).toBe(3);
    // AᵀW(Ax − b) = 0
    for (let j = 0; j < 3; j++) {
      let g = 0;
      for (let i = 0; i < n; i++) {
        let r = -b[i]!;
        for (let k = 0; k < 3; k++) r += A[i]![k]! * x[k]!;
        g += A[i]![j]! * w[i]! * r;
      }
      expect(Math.abs(g)).toBeLessThan(1e-12);
    }
    // Duplicate a column: rank 3 of 4, still a least-squares solution.
    const a2 = new Float64Array(n * 4);
    for (let i = 0; i < n; i++) for (let j = 0; j < 4; j++) a2[j * n + i] = A[i]![j === 3 ? 0 : j]!;
    const r2 = weightedLeastSquares(a2, Float64Array.from(b), Float64Array.from(w), n, 4, 1);
    expect(r2.rank).toBe(3);
    for (let i = 0; i < n; i++) {
      const fit1 = A[i]![0]! * x[0]! + A[i]![1]! * x[1]! + A[i]![2]! * x[2]!;
      const fit2 = A[i]![0]! * (r2.x[0]! + r2.x[3]!) + A[i]![1]! * r2.x[1]! + A[i]![2]! * r2.x[2]!;
      expect(Math.abs(fit1 - fit2)).toBeLessThan(1e-12);
    }
  });
});
