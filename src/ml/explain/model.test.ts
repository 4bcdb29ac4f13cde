import { describe, expect, it } from 'vitest';
import { predictRows, Rng, streamBatches, type BatchModel } from './model.js';

describe('Rng (xoshiro128**)', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = new Rng(123);
    const b = new Rng(123);
    const c = new Rng(124);
    const sa = Array.from({ length: 20 }, () => a.nextUint32());
    expect(Array.from({ length: 20 }, () => b.nextUint32())).toEqual(sa);
    expect(Array.from({ length: 20 }, () => c.nextUint32())).not.toEqual(sa);
    // Seeds beyond 32 bits are not folded onto small ones.
    expect(new Rng(2 ** 32 + 5).nextUint32()).not.toBe(new Rng(5).nextUint32());
  });

  it('gives uniform doubles in [0, 1) and unbiased integers', () => {
    const rng = new Rng(1);
    const n = 200_000;
    let sum = 0;
    let min = 1;
    let max = 0;
    const counts = new Float64Array(7);
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      sum += u;
      min = Math.min(min, u);
      max = Math.max(max, u);
      counts[rng.nextInt(7)]!++;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.005); // sd of the mean ≈ 0.00065
    // chi-square with 6 degrees of freedom; 22.5 is its 0.999 quantile
    let chi = 0;
    for (const c of counts) chi += (c - n / 7) ** 2 / (n / 7);
    expect(chi).toBeLessThan(22.5);
  });

  it('permutations and samples are valid', () => {
    const rng = new Rng(9);
    const p = rng.permutation(100);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const s = rng.sample(50, 20);
    expect(new Set(s).size).toBe(20);
    expect(Math.max(...s)).toBeLessThan(50);
    expect(() => rng.sample(3, 4)).toThrow(/cannot sample 4 distinct indices out of 3/);
  });
});

describe('streamBatches', () => {
  it('splits and joins jobs across batches of at most maxBatchRows, in order, with empty jobs', async () => {
    const sizes = [5, 0, 12, 3, 0, 0, 7];
    const calls: number[] = [];
    const model: BatchModel = {
      numFeatures: 2,
      numOutputs: 1,
      predict: async (x, rows) => {
        calls.push(rows);
        return Float64Array.from({ length: rows }, (_, r) => x[r * 2]! * 1000 + x[r * 2 + 1]!);
      },
    };
    const got: number[][] = sizes.map(() => []);
    const events: string[] = [];
    const stats = await streamBatches(
      model,
      {
        jobCount: sizes.length,
        begin: (j) => {
          events.push(`begin ${j}`);
          return sizes[j]!;
        },
        fill: (j, first, count, buffer, at) => {
          for (let i = 0; i < count; i++) {
            buffer[(at + i) * 2] = j;
            buffer[(at + i) * 2 + 1] = first + i;
          }
        },
        accept: (j, first, count, out, at) => {
          for (let i = 0; i < count; i++) {
            expect(out[at + i]).toBe(j * 1000 + first + i);
            got[j]!.push(first + i);
          }
        },
        finish: (j) => events.push(`finish ${j}`),
      },
      4,
    );
    expect(calls.every((c) => c <= 4)).toBe(true);
    expect(calls.reduce((a, b) => a + b, 0)).toBe(27);
    expect(stats).toEqual({ calls: calls.length, rowsPredicted: 27 });
    expect(calls.length).toBe(7);
    sizes.forEach((n, j) => expect(got[j]).toEqual(Array.from({ length: n }, (_, i) => i)));
    expect(events.filter((e) => e.startsWith('finish'))).toEqual(sizes.map((_, j) => `finish ${j}`));
    // Every job begins before it finishes, and begins in order.
    expect(events.filter((e) => e.startsWith('begin'))).toEqual(sizes.map((_, j) => `begin ${j}`));
    for (let j = 0; j < sizes.length; j++) expect(events.indexOf(`begin ${j}`)).toBeLessThan(events.indexOf(`finish ${j}`));
  });

  it('predictRows concatenates chunked predictions', async () => {
    const model: BatchModel = { numFeatures: 1, numOutputs: 2, predict: async (x, rows) => Float64Array.from({ length: rows * 2 }, (_, i) => x[i >> 1]! * (i % 2 ? -1 : 1)) };
    const x = Float64Array.from({ length: 10 }, (_, i) => i + 1);
    const out = await predictRows(model, x, 10, 3);
    expect(Array.from(out)).toEqual(Array.from(x).flatMap((v) => [v, -v]));
  });
});
