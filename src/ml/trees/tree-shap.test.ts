import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Random } from '../monitoring/profile.js';
import { TreeEnsembleBuilder, type SourceTree, type TreeEnsemble } from './tree-ensemble.js';
import { predictMargin } from './tree-evaluator.js';
import { shapBias, treeShap } from './tree-shap.js';
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

  it('gives the bias as the cover-weighted mean margin', () => {
    const rng = new Random(23);
    const e = randomEnsemble(rng, 1, 3, 3, 1);
    // With every feature unknown, the path-dependent value of the tree is its bias minus the base margin.
    expect(shapBias(e)[0]! - 0.25).toBeCloseTo(coalitionValue(e, 0, new Float32Array(3), new Set()), 12);
  });
});
