import { describe, expect, it } from 'vitest';
import { detectLeakage, type Frame } from './leakage.js';

describe('detectLeakage: exact duplicates', () => {
  const train: Frame = {
    id: [1, 2, 3, 4, 5],
    x: new Float64Array([0.5, NaN, -0, 2, 1e-300]),
    city: ['Boston', 'Salem', null, 'boston', '1'],
    flag: [true, false, true, true, false],
  };
  const evaluation: Frame = {
    id: [10, 2, 30, 40, 50, 60, 70],
    // row 0 = train 0; row 1 = train 1 (NaN = NaN); row 2 = train 2 (0 = −0, null = null);
    // row 3 differs from train 3 only by the city's case; row 4: "1" is not 1; row 5: null vs NaN in x
    // (both missing) = train 1 except the flag; row 6 = train 1 with x missing as null (JSON-style).
    x: [0.5, NaN, 0, 2, 1e-300, null, null],
    city: ['Boston', 'Salem', undefined, 'Boston', 1, 'Salem', 'Salem'],
    flag: [true, false, true, true, false, true, false],
  };

  it('finds rows equal in every compared column, with NaN/null as one missing value and no type coercion', () => {
    const r = detectLeakage(train, evaluation, { columns: ['x', 'city', 'flag'] });
    // Matches: 0→0, 1→1, 2→2, 6→1 → 4 of 7.
    expect(r.duplicates.count).toBe(4);
    expect(r.duplicates.share).toBe(4 / 7);
    expect(r.duplicates.examples).toEqual([
      { evaluationRow: 0, trainingRow: 0 },
      { evaluationRow: 1, trainingRow: 1 },
      { evaluationRow: 2, trainingRow: 2 },
      { evaluationRow: 6, trainingRow: 1 },
    ]);
    expect(r).toMatchObject({ evaluationRows: 7, trainingRows: 5, columns: ['x', 'city', 'flag'] });
    expect(r.keys).toBeUndefined();
  });

  it('compares every evaluation column by default (here the differing ids hide all but row 1)', () => {
    const r = detectLeakage(train, evaluation);
    expect(r.columns).toEqual(['id', 'x', 'city', 'flag']);
    expect(r.duplicates.count).toBe(1);
    expect(r.duplicates.examples).toEqual([{ evaluationRow: 1, trainingRow: 1 }]);
  });

  it('does not let separators inside strings create matches', () => {
    const a: Frame = { p: ['a|sb', 'a'], q: ['c', 'b|sc'] };
    const b: Frame = { p: ['a', 'a|sb'], q: ['b|sc', 'd'] };
    // a's row 1 = ("a", "b|sc") = b's row 0; ("a|sb","c") ≠ ("a|sb","d").
    expect(detectLeakage(a, b).duplicates.examples).toEqual([{ evaluationRow: 0, trainingRow: 1 }]);
  });

  it('reports the first training match and caps examples at 10', () => {
    const n = 25;
    const t: Frame = { v: Array.from({ length: n }, (_, i) => i % 5) };
    const e: Frame = { v: Array.from({ length: n }, (_, i) => (i % 2 === 0 ? i % 5 : 100 + i)) };
    const r = detectLeakage(t, e);
    expect(r.duplicates.count).toBe(13);
    expect(r.duplicates.share).toBe(13 / 25);
    expect(r.duplicates.examples).toHaveLength(10);
    expect(r.duplicates.examples[3]).toEqual({ evaluationRow: 6, trainingRow: 1 });
    expect(detectLeakage(t, e, { maxExamples: 2 }).duplicates.examples).toHaveLength(2);
  });

  it('a frame against itself is 100% leaked', () => {
    const r = detectLeakage(train, train, { keyColumns: ['id'] });
    expect(r.duplicates.count).toBe(5);
    expect(r.duplicates.share).toBe(1);
    expect(r.duplicates.examples.map((x) => x.trainingRow)).toEqual([0, 1, 2, 3, 4]);
    expect(r.keys!.share).toBe(1);
  });

  it('an empty evaluation frame has share 0', () => {
    expect(detectLeakage(train, { x: [], city: [], flag: [] }).duplicates).toEqual({ count: 0, share: 0, examples: [] });
  });
});

describe('detectLeakage: key overlap', () => {
  it('counts evaluation rows whose (composite) key occurs in training, never on a missing key', () => {
    const train: Frame = { customer: ['c1', 'c2', 'c3', null], year: [2020, 2021, 2020, 2020], y: [1, 2, 3, 4] };
    const evaluation: Frame = { customer: ['c2', 'c2', 'c4', null, 'c1'], year: [2021, 2020, 2020, 2020, 2020], y: [9, 9, 9, 4, 1] };
    const single = detectLeakage(train, evaluation, { columns: ['y'], keyColumns: ['customer'] });
    // c2, c2, c1 occur in training; the null customer does not count → 3 of 5.
    expect(single.keys).toEqual({
      keyColumns: ['customer'],
      count: 3,
      share: 3 / 5,
      examples: [
        { evaluationRow: 0, trainingRow: 1 },
        { evaluationRow: 1, trainingRow: 1 },
        { evaluationRow: 4, trainingRow: 0 },
      ],
    });
    // y alone: 4 (eval row 3) and 1 (eval row 4) occur in training.
    expect(single.duplicates.count).toBe(2);
    const composite = detectLeakage(train, evaluation, { columns: ['y'], keyColumns: ['customer', 'year'] });
    // (c2, 2021) and (c1, 2020) → 2 of 5.
    expect(composite.keys!.count).toBe(2);
    expect(composite.keys!.examples.map((x) => x.evaluationRow)).toEqual([0, 4]);
  });
});

describe('detectLeakage: errors', () => {
  it('names the problem', () => {
    expect(() => detectLeakage({ a: [1] }, { a: [1], b: [2] })).toThrow('column "b" is missing from the training frame');
    expect(() => detectLeakage({ a: [1], b: [1, 2] }, { a: [1], b: [2] })).toThrow(`the training frame's columns differ in length: "a" has 1 values, "b" has 2`);
    expect(() => detectLeakage({ a: [1] }, { a: [{}] as never })).toThrow('evaluation.a[0] is an object');
    expect(() => detectLeakage({ a: [1] }, { a: [1] }, { columns: [] })).toThrow('no columns to compare');
    expect(() => detectLeakage({ a: [1] }, { a: [1] }, { maxExamples: 11 })).toThrow('maxExamples must be a whole number from 0 to 10');
  });
});
