import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Random } from '../monitoring/profile.js';
import { TreeEnsembleBuilder, type SourceTree, type TreeEnsemble } from './tree-ensemble.js';
import { predictMargin } from './tree-evaluator.js';
import { shapBias, treeShap, treeShapInteractions, treeShapPlan } from './tree-shap.js';
import { parseXgboostJson } from './xgboost-json.js';

const FIXTURES = new URL('../../../test/fixtures/xgboost/', import.meta.url);

/**
 * The path-dependent value of a coalition S for one tree: known features follow the row, unknown ones
 * average the children by cover (what TreeSHAP's Shapley values are of).
 */
function coalitionValue(e: TreeEnsemble, t: number, x: Float32Array, known: Set<number>): number {
  const walk = (n: number): number => {
    const f = e.feature[n]!;
    if (f < 0) return e.value[n]!;
    const l = e.left[n]!;
    const r = e.right[n]!;
    if (known.has(f)) {
      const v = x[f]!;
      const goLeft = v !== v ? e.defaultLeft[n] === 1 : v < e.threshold[n]!;
      return walk(goLeft ? l : r);
    }
    return (e.cover[l]! * walk(l) + e.cover[r]! * walk(r)) / e.cover[n]!;
  };
  return walk(e.treeOffsets[t]!);
}

/** Shapley values by enumerating every coalition: φ_i = Σ_S |S|!(M−|S|−1)!/M! (v(S∪{i}) − v(S)). */
function bruteForceShap(e: TreeEnsemble, x: Float32Array): Float64Array {
  const M = e.numFeatures;
  const fact = [1];
  for (let i = 1; i <= M; i++) fact.push(fact[i - 1]! * i);
  const phi = new Float64Array(e.numOutputs * M);
  for (let t = 0; t < e.numTrees; t++) {
    const o = e.treeOutput[t]!;
    for (let i = 0; i < M; i++) {
      for (let mask = 0; mask < 1 << M; mask++) {
        if (mask & (1 << i)) continue;
        const S = new Set<number>();
        for (let j = 0; j < M; j++) if (mask & (1 << j)) S.add(j);
        const w = (fact[S.size]! * fact[M - S.size - 1]!) / fact[M]!;
        const without = coalitionValue(e, t, x, S);
        S.add(i);
        phi[o * M + i]! += w * (coalitionValue(e, t, x, S) - without);
      }
    }
  }
  return phi;
}

/** A random full binary tree of the given depth with random covers (children's covers sum to the parent's). */
function randomTree(rng: Random, depth: number, features: number, output: number): SourceTree {
  const left: number[] = [];
  const right: number[] = [];
  const feature: number[] = [];
  const threshold: number[] = [];
  const defaultLeft: number[] = [];
  const value: number[] = [];
  const cover: number[] = [];
  const add = (d: number, c: number): number => {
    const id = left.length;
    left.push(-1);
    right.push(-1);
    feature.push(0);
    threshold.push(0);
    defaultLeft.push(0);
    value.push(0);
    cover.push(c);
    // Some branches stop early, so trees are unbalanced.
    if (d === depth || (d > 0 && rng.next() < 0.2)) {
      value[id] = Math.fround(rng.next() * 4 - 2);
      return id;
    }
    feature[id] = rng.below(features);
    threshold[id] = Math.fround(rng.next() * 2 - 1);
    defaultLeft[id] = rng.next() < 0.5 ? 1 : 0;
    const share = 0.1 + 0.8 * rng.next();
    left[id] = add(d + 1, c * share);
    right[id] = add(d + 1, c * (1 - share));
    return id;
  };
  add(0, 100);
  return { numNodes: left.length, left, right, feature, threshold, defaultLeft, value, cover, output };
}

function randomEnsemble(rng: Random, trees: number, depth: number, features: number, outputs: number): TreeEnsemble {
  const b = new TreeEnsembleBuilder(features, outputs);
  for (let t = 0; t < trees; t++) {
    const problem = b.addTree(randomTree(rng, depth, features, t % outputs));
    if (problem) throw new Error(problem);
  }
  return b.finish({ objective: outputs > 1 ? 'multiclass' : 'regression', sourceObjective: 'test', baseMargin: Array.from({ length: outputs }, () => 0.25) });
}

describe('TreeSHAP', () => {
  it('equals a brute-force Shapley oracle on small random trees (repeated features, missing values) within 1e-9', () => {
    const rng = new Random(21);
    for (let trial = 0; trial < 30; trial++) {
      const features = 2 + rng.below(5);
      const e = randomEnsemble(rng, 1 + rng.below(3), 1 + rng.below(5), features, 1 + rng.below(2));
      const x = Float32Array.from({ length: features }, () => (rng.next() < 0.15 ? NaN : rng.next() * 2 - 1));
      const got = treeShap(e, x, 1);
      const want = bruteForceShap(e, x);
      for (let i = 0; i < want.length; i++) expect(Math.abs(got.values[i]! - want[i]!), `trial ${trial}, value ${i}`).toBeLessThanOrEqual(1e-9);
    }
  });

  it('is additive: Σφ + bias equals the margin for every row and output', () => {
    const rng = new Random(22);
    const e = randomEnsemble(rng, 25, 6, 8, 3);
    const rows = 50;
    const x = Float32Array.from({ length: rows * 8 }, () => (rng.next() < 0.1 ? NaN : rng.next() * 2 - 1));
    const shap = treeShap(e, x, rows);
    const margin = predictMargin(e, x, rows);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < 3; o++) {
        let sum = shap.bias[o]!;
        for (let f = 0; f < 8; f++) sum += shap.values[(r * 3 + o) * 8 + f]!;
        // the evaluator sums in float32, as xgboost does
        expect(Math.abs(sum - margin[r * 3 + o]!)).toBeLessThan(1e-5);
      }
    }
  });

  for (const name of ['binary-logistic', 'multi-softprob', 'reg-squarederror', 'named-features', 'dart-binary', 'bench-200x6']) {
    it(`equals xgboost's pred_contribs within 1e-4 on ${name}`, () => {
      const { ensemble } = parseXgboostJson(new Uint8Array(readFileSync(new URL(`${name}.json`, FIXTURES))));
      const exp = JSON.parse(readFileSync(new URL(`${name}.expected.json`, FIXTURES), 'utf8')) as { x: (number | null)[][]; rows: number };
      const ref = JSON.parse(readFileSync(new URL(`${name}.contribs.json`, FIXTURES), 'utf8')) as { contribs: number[][][]; numOutputs: number; numFeatures: number };
      const x = Float32Array.from(exp.x.flat(), (v) => (v === null ? NaN : v));
      const shap = treeShap(ensemble, x, exp.rows);
      expect(shap.numOutputs).toBe(ref.numOutputs);
      expect(shap.numFeatures).toBe(ref.numFeatures);
      let worst = 0;
      for (let r = 0; r < exp.rows; r++) {
        for (let o = 0; o < ref.numOutputs; o++) {
          const row = ref.contribs[r]![o]!;
          for (let f = 0; f < ref.numFeatures; f++) worst = Math.max(worst, Math.abs(shap.values[(r * ref.numOutputs + o) * ref.numFeatures + f]! - row[f]!));
          worst = Math.max(worst, Math.abs(shap.bias[o]! - row[ref.numFeatures]!));
        }
      }
      expect(worst).toBeLessThanOrEqual(1e-4);
    });
  }

  it('gives the same values with the precomputed plan as with the recursive algorithm (within 1e-12)', () => {
    const rng = new Random(24);
    for (let trial = 0; trial < 20; trial++) {
      const features = 2 + rng.below(8);
      const e = randomEnsemble(rng, 1 + rng.below(20), 1 + rng.below(7), features, 1 + rng.below(3));
      expect(treeShapPlan(e).planned.every((p) => p === 1)).toBe(true);
      const rows = 40;
      const x = Float32Array.from({ length: rows * features }, () => (rng.next() < 0.15 ? NaN : rng.next() * 2 - 1));
      const planned = treeShap(e, x, rows);
      const recursive = treeShap(e, x, rows, { algorithm: 'recursive' });
      for (let i = 0; i < planned.values.length; i++) expect(Math.abs(planned.values[i]! - recursive.values[i]!), `trial ${trial}, value ${i}`).toBeLessThanOrEqual(1e-12);
    }
  });

  it('gives the same interaction values from the leaves as by conditional passes, on random trees with repeated features and missing values', () => {
    const rng = new Random(27);
    for (let trial = 0; trial < 15; trial++) {
      const features = 2 + rng.below(7);
      const K = 1 + rng.below(2);
      const e = randomEnsemble(rng, 1 + rng.below(8), 1 + rng.below(6), features, K);
      const rows = 6;
      const x = Float32Array.from({ length: rows * features }, () => (rng.next() < 0.15 ? NaN : rng.next() * 2 - 1));
      const a = treeShapInteractions(e, x, rows);
      const b = treeShapInteractions(e, x, rows, { algorithm: 'recursive' });
      for (let i = 0; i < a.values.length; i++) expect(Math.abs(a.values[i]! - b.values[i]!), `trial ${trial}, value ${i}`).toBeLessThanOrEqual(1e-10);
    }
  });

  it('leaves a tree too deep for a table to the recursive algorithm and stays additive', () => {
    // A chain of 16 splits on distinct features: its deepest leaf would need 16 · 2^16 table entries.
    const depth = 16;
    const left: number[] = [];
    const right: number[] = [];
    const feature: number[] = [];
    const threshold: number[] = [];
    const defaultLeft: number[] = [];
    const value: number[] = [];
    const cover: number[] = [];
    for (let d = 0; d <= depth; d++) {
      const inner = d < depth;
      // node 2d is on the chain, 2d + 1 is the leaf hanging off it
      left.push(inner ? 2 * d + 1 : -1, -1);
      right.push(inner ? 2 * d + 2 : -1, -1);
      feature.push(inner ? d : 0, 0);
      threshold.push(0, 0);
      defaultLeft.push(d % 2, 0);
      value.push(inner ? 0 : 1.5, Math.fround(d / 10 - 0.5));
      cover.push(2 ** (depth - d + 1), 2 ** (depth - d));
    }
    // The last chain node is a leaf; drop the unused slot after it.
    const n = 2 * depth + 1;
    const chain = { numNodes: n, left: left.slice(0, n), right: right.slice(0, n), feature: feature.slice(0, n), threshold: threshold.slice(0, n), defaultLeft: defaultLeft.slice(0, n), value: value.slice(0, n), cover: cover.slice(0, n), output: 0 };
    const b = new TreeEnsembleBuilder(18, 1);
    expect(b.addTree(chain)).toBeUndefined();
    expect(b.addTree(randomTree(new Random(25), 4, 18, 0))).toBeUndefined();
    const e = b.finish({ objective: 'regression', sourceObjective: 'test', baseMargin: [0.25] });
    expect(Array.from(treeShapPlan(e).planned)).toEqual([0, 1]);
    const rng = new Random(26);
    const rows = 20;
    const x = Float32Array.from({ length: 18 * rows }, () => (rng.next() < 0.1 ? NaN : rng.next() * 2 - 1));
    const shap = treeShap(e, x, rows);
    const margin = predictMargin(e, x, rows);
    for (let r = 0; r < rows; r++) {
      let sum = shap.bias[0]!;
      for (let f = 0; f < 18; f++) sum += shap.values[r * 18 + f]!;
      expect(Math.abs(sum - margin[r]!)).toBeLessThan(1e-5);
    }
  });

  for (const name of ['binary-logistic', 'multi-softprob', 'reg-squarederror', 'named-features']) {
    it(`gives interaction values equal to xgboost's pred_interactions within 1e-4 on ${name}`, () => {
      const { ensemble } = parseXgboostJson(new Uint8Array(readFileSync(new URL(`${name}.json`, FIXTURES))));
      const exp = JSON.parse(readFileSync(new URL(`${name}.expected.json`, FIXTURES), 'utf8')) as { x: (number | null)[][] };
      const ref = JSON.parse(readFileSync(new URL(`${name}.contribs.json`, FIXTURES), 'utf8')) as { interactions: number[][][][]; numOutputs: number; numFeatures: number };
      const rows = ref.interactions.length;
      const F = ref.numFeatures;
      const K = ref.numOutputs;
      const x = Float32Array.from(exp.x.slice(0, rows).flat(), (v) => (v === null ? NaN : v));
      const got = treeShapInteractions(ensemble, x, rows);
      const recursive = treeShapInteractions(ensemble, x, rows, { algorithm: 'recursive' });
      for (let i = 0; i < got.values.length; i++) expect(Math.abs(got.values[i]! - recursive.values[i]!)).toBeLessThan(1e-9);
      const main = treeShap(ensemble, x, rows);
      let worst = 0;
      for (let r = 0; r < rows; r++) {
        for (let o = 0; o < K; o++) {
          for (let i = 0; i < F; i++) {
            let rowSum = 0;
            for (let j = 0; j < F; j++) {
              const v = got.values[((r * K + o) * F + i) * F + j]!;
              rowSum += v;
              worst = Math.max(worst, Math.abs(v - ref.interactions[r]![o]![i]![j]!));
              // symmetric, as theory says
              expect(Math.abs(v - got.values[((r * K + o) * F + j) * F + i]!)).toBeLessThan(1e-9);
            }
            // each row of Φ sums to that feature's SHAP value
            expect(Math.abs(rowSum - main.values[(r * K + o) * F + i]!)).toBeLessThan(1e-9);
          }
          worst = Math.max(worst, Math.abs(got.bias[o]! - ref.interactions[r]![o]![F]![F]!));
        }
      }
      expect(worst).toBeLessThanOrEqual(1e-4);
    });
  }

  it('stays additive when a tree\'s covers do not add up (the bias follows the same cover ratios as the paths)', () => {
    const b = new TreeEnsembleBuilder(1, 1);
    // root cover 10, children 3 and 5
    expect(b.addTree({ numNodes: 3, left: [1, -1, -1], right: [2, -1, -1], feature: [0, 0, 0], threshold: [0, 0, 0], defaultLeft: [0, 0, 0], value: [0, 1, 4], cover: [10, 3, 5], output: 0 })).toBeUndefined();
    const e = b.finish({ objective: 'regression', sourceObjective: 'test', baseMargin: [0] });
    expect(shapBias(e)[0]).toBeCloseTo((3 * 1 + 5 * 4) / 10, 12);
    for (const v of [-1, 1, NaN]) {
      const x = Float32Array.of(v);
      const shap = treeShap(e, x, 1);
      expect(shap.values[0]! + shap.bias[0]!).toBeCloseTo(predictMargin(e, x, 1)[0]!, 6);
    }
  });

  it('gives the bias as the cover-weighted mean margin', () => {
    const rng = new Random(23);
    const e = randomEnsemble(rng, 1, 3, 3, 1);
    // With every feature unknown, the path-dependent value of the tree is its bias minus the base margin.
    expect(shapBias(e)[0]! - 0.25).toBeCloseTo(coalitionValue(e, 0, new Float32Array(3), new Set()), 12);
  });
});
