import { describe, expect, it } from 'vitest';
import { summarizeBackground } from './background.js';
import { Rng } from './model.js';

/** `perBlob` points around each centre (uniform noise of half-width `spread`), blobs interleaved. */
function blobs(centres: number[][], perBlob: number, spread: number, seed: number): { x: Float64Array; label: Int32Array } {
  const F = centres[0]!.length;
  const n = centres.length * perBlob;
  const rng = new Rng(seed);
  const x = new Float64Array(n * F);
  const label = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % centres.length;
    label[i] = c;
    for (let f = 0; f < F; f++) x[i * F + f] = centres[c]![f]! + (rng.next() * 2 - 1) * spread;
  }
  return { x, label };
}

const CENTRES = [
  [0, 0, 0],
  [20, 20, 0],
  [-20, 10, 10],
  [10, -20, 20],
];

describe('summarizeBackground', () => {
  it('k-means finds well-separated blobs: centres = the blobs’ means, weights = their shares', () => {
    const perBlob = [50, 30, 80, 40];
    // Unequal blob sizes: build each blob separately and concatenate.
    const parts = CENTRES.map((c, k) => blobs([c], perBlob[k]!, 1, k).x);
    const n = perBlob.reduce((a, b) => a + b, 0);
    const x = new Float64Array(n * 3);
    let at = 0;
    for (const p of parts) {
      x.set(p, at);
      at += p.length;
    }
    for (const seed of [0, 1, 2, 3, 4]) {
      const bg = summarizeBackground(x, n, 3, { method: 'kmeans', size: 4, seed });
      expect(bg.rows).toBe(4);
      expect(bg.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
      for (let k = 0; k < 4; k++) {
        // the blob's own sample mean
        const mean = [0, 1, 2].map((f) => {
          let s = 0;
          for (let i = 0; i < perBlob[k]!; i++) s += parts[k]![i * 3 + f]!;
          return s / perBlob[k]!;
        });
        let found = -1;
        for (let c = 0; c < 4; c++) if (Math.abs(bg.x[c * 3]! - CENTRES[k]![0]!) < 2) found = c;
        expect(found).toBeGreaterThanOrEqual(0);
        for (let f = 0; f < 3; f++) expect(Math.abs(bg.x[found * 3 + f]! - mean[f]!)).toBeLessThan(1e-12);
        for (let f = 0; f < 3; f++) expect(Math.abs(bg.x[found * 3 + f]! - CENTRES[k]![f]!)).toBeLessThan(0.5);
        expect(bg.weights[found]).toBeCloseTo(perBlob[k]! / n, 15);
      }
    }
  });

  it('k-means is deterministic for a seed', () => {
    const { x } = blobs(CENTRES, 60, 8, 9); // overlapping: the result depends on the seeding
    const a = summarizeBackground(x, 240, 3, { method: 'kmeans', size: 10, seed: 42 });
    const b = summarizeBackground(x, 240, 3, { method: 'kmeans', size: 10, seed: 42 });
    expect(Array.from(a.x)).toEqual(Array.from(b.x));
    expect(Array.from(a.weights)).toEqual(Array.from(b.weights));
    expect(a.weights.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 14);
    const c = summarizeBackground(x, 240, 3, { method: 'kmeans', size: 10, seed: 43 });
    expect(Array.from(c.x)).not.toEqual(Array.from(a.x));
  });

  it('k-means with missing values: distances ignore them, centres average the present values (NaN when none)', () => {
    const { x } = blobs(CENTRES.slice(0, 2), 40, 1, 5);
    // Blob 0 loses feature 2 entirely, blob 1 loses feature 0 in every other row.
    for (let i = 0; i < 80; i++) {
      if (i % 2 === 0) x[i * 3 + 2] = NaN;
      else if (i % 4 === 1) x[i * 3] = NaN;
    }
    const bg = summarizeBackground(x, 80, 3, { method: 'kmeans', size: 2, seed: 1 });
    expect(bg.rows).toBe(2);
    const c0 = Math.abs(bg.x[1]!) < 5 ? 0 : 1;
    const c1 = 1 - c0;
    expect(Number.isNaN(bg.x[c0 * 3 + 2]!)).toBe(true);
    let s = 0;
    let m = 0;
    for (let i = 1; i < 80; i += 2) {
      if (i % 4 === 1) continue;
      s += x[i * 3]!;
      m++;
    }
    expect(bg.x[c1 * 3]).toBeCloseTo(s / m, 12);
    expect(Array.from(bg.weights)).toEqual([0.5, 0.5]);
  });

  it('k-means with fewer distinct rows than clusters drops the empty ones', () => {
    const x = new Float64Array(60);
    for (let i = 0; i < 30; i++) x[i * 2] = x[i * 2 + 1] = i % 3;
    const bg = summarizeBackground(x, 30, 2, { method: 'kmeans', size: 5, seed: 0 });
    expect(bg.rows).toBe(3);
    expect(Array.from(bg.weights)).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(Array.from(bg.x).sort()).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it('sample: distinct rows of the data, equal weights, seeded; all rows when there are few', () => {
    const n = 500;
    const x = Float64Array.from({ length: n * 2 }, (_, i) => (i % 2 === 0 ? Math.floor(i / 2) : -Math.floor(i / 2)));
    const a = summarizeBackground(x, n, 2, { method: 'sample', size: 100, seed: 3 });
    expect(a.rows).toBe(100);
    const ids = new Set<number>();
    for (let r = 0; r < 100; r++) {
      expect(a.x[r * 2 + 1]).toBe(-a.x[r * 2]!);
      ids.add(a.x[r * 2]!);
    }
    expect(ids.size).toBe(100);
    expect(a.weights.every((w) => w === 0.01)).toBe(true);
    expect(Array.from(summarizeBackground(x, n, 2, { method: 'sample', size: 100, seed: 3 }).x)).toEqual(Array.from(a.x));
    const few = summarizeBackground(x.subarray(0, 20), 10, 2, { method: 'kmeans' });
    expect(few.rows).toBe(10);
    expect(Array.from(few.x)).toEqual(Array.from(x.subarray(0, 20)));
    expect(few.weights.every((w) => w === 0.1)).toBe(true);
  });

  it('k-means gives categorical features the most frequent code of each cluster, never a mean of codes', () => {
    const rng = new Rng(5);
    const n = 300;
    const F = 2;
    const x = new Float64Array(n * F);
    for (let i = 0; i < n; i++) {
      x[i * F] = rng.next() * 10;
      x[i * F + 1] = rng.nextInt(3); // a city code 0, 1 or 2
    }
    const bg = summarizeBackground(x, n, F, { method: 'kmeans', size: 20, seed: 1, categorical: [false, true] });
    let fractional = 0;
    for (let c = 0; c < bg.rows; c++) {
      const code = bg.x[c * F + 1]!;
      expect([0, 1, 2]).toContain(code);
      if (!Number.isInteger(bg.x[c * F]!)) fractional++;
    }
    // the numeric feature is still a mean
    expect(fractional).toBeGreaterThan(0);
    // Each centre's code is the mode of its cluster: rebuild the clusters by nearest centre and check.
    const plain = summarizeBackground(x, n, F, { method: 'kmeans', size: 20, seed: 1 });
    expect(Array.from({ length: plain.rows }, (_, c) => plain.x[c * F + 1]!).some((v) => !Number.isInteger(v))).toBe(true);
  });

  it('k-means takes the mode per cluster: a cluster of codes 0, 0, 2 gets 0', () => {
    // Two far-apart groups on the numeric feature; the first holds codes 0, 0, 2, the second 1, 1, 1.
    const x = Float64Array.from([0, 0, 0.1, 0, 0.2, 2, 100, 1, 100.1, 1, 100.2, 1]);
    const bg = summarizeBackground(x, 6, 2, { method: 'kmeans', size: 2, seed: 3, categorical: [false, true] });
    const centres = Array.from({ length: bg.rows }, (_, c) => [bg.x[c * 2]!, bg.x[c * 2 + 1]!]).sort((a, b) => a[0]! - b[0]!);
    expect(centres[0]![1]).toBe(0);
    expect(centres[1]![1]).toBe(1);
    expect(centres[0]![0]).toBeCloseTo(0.1, 12);
  });

  it('rejects bad input', () => {
    expect(() => summarizeBackground(new Float64Array(5), 2, 3, { method: 'sample' })).toThrow(/x holds 5 values; expected rows × features = 2 × 3 = 6/);
    expect(() => summarizeBackground(new Float64Array(6), 2, 3, { method: 'median' as 'sample' })).toThrow(/unknown background method 'median'/);
    expect(() => summarizeBackground(new Float64Array(6), 2, 3, { method: 'sample', size: 0 })).toThrow(/size must be a whole number >= 1/);
  });
});
