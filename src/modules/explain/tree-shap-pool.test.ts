/**
 * The TreeSHAP worker pool gives exactly the inline answer, splits rows across its workers, sends an
 * ensemble to a worker again when the worker has let it go, and runs inline with no threads.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { treeShap, treeShapInteractions } from '../../ml/trees/tree-shap.js';
import { parseXgboostJson } from '../../ml/trees/xgboost-json.js';
import { summarizeBackground } from '../../ml/explain/background.js';
import { TreeShapPool } from './tree-shap-pool.js';

const load = (name: string) => parseXgboostJson(new Uint8Array(readFileSync(new URL(`../../../test/fixtures/xgboost/${name}.json`, import.meta.url)))).ensemble;

function rows(count: number, width: number, seed: number): Float32Array {
  const x = new Float32Array(count * width);
  let s = seed;
  for (let i = 0; i < x.length; i++) {
    s = (s * 16807) % 2147483647;
    x[i] = s % 23 === 0 ? NaN : (s / 2147483647 - 0.5) * 4;
  }
  return x;
}

const pool = new TreeShapPool(2);
afterAll(() => pool.close());

describe('TreeShapPool', () => {
  it('equals inline TreeSHAP bit for bit, over an odd number of rows split across two workers', async () => {
    const e = load('bench-200x6');
    const x = rows(301, e.numFeatures, 3);
    const got = await pool.treeShap(e, x, 301);
    const want = treeShap(e, x, 301);
    expect(got.values).toEqual(want.values);
    expect(Array.from(got.bias)).toEqual(Array.from(want.bias));
    // the caller's rows are untouched (copied to the workers, not transferred)
    expect(x.length).toBe(301 * e.numFeatures);
  });

  it('computes interaction values in the workers equal to inline ones', async () => {
    const e = load('multi-softprob');
    const x = rows(9, e.numFeatures, 4);
    const got = await pool.treeShapInteractions(e, x, 9);
    expect(got.values).toEqual(treeShapInteractions(e, x, 9).values);
    expect(got.values.length).toBe(9 * e.numOutputs * e.numFeatures * e.numFeatures);
  });

  it('keeps answering when more ensembles pass through than a worker keeps', async () => {
    const names = ['binary-logistic', 'multi-softprob', 'reg-squarederror', 'named-features', 'dart-binary'];
    const models = names.map(load);
    for (let round = 0; round < 2; round++) {
      for (const e of models) {
        const x = rows(7, e.numFeatures, 5 + round);
        expect((await pool.treeShap(e, x, 7)).values).toEqual(treeShap(e, x, 7).values);
      }
    }
  });

  it('summarizes a background in a worker exactly as inline', async () => {
    const x = Float64Array.from({ length: 500 * 3 }, (_, i) => Math.sin(i * 0.37) * 5);
    const options = { method: 'kmeans' as const, size: 20, seed: 4 };
    const got = await pool.summarizeBackground(x, 500, 3, options);
    const want = summarizeBackground(x, 500, 3, options);
    expect(got.x).toEqual(want.x);
    expect(got.weights).toEqual(want.weights);
  });

  it('runs inline with no threads, and refuses work once closed', async () => {
    const e = load('binary-logistic');
    const inline = new TreeShapPool(0);
    const x = rows(4, e.numFeatures, 9);
    expect((await inline.treeShap(e, x, 4)).values).toEqual(treeShap(e, x, 4).values);
    const closing = new TreeShapPool(1);
    await closing.close();
    await expect(closing.treeShap(e, x, 4)).rejects.toThrow(/closed/);
  });
});
