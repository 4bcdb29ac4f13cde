import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { OnnxInspector } from '../../runtime/onnx-inspector.js';
import { modelSchema } from '../../serving/model-schema.js';
import { trainGbdt, SeededRandom, type GbdtOptions } from '../gbdt/gbdt-trainer.js';
import type { TreeEnsemble } from '../trees/tree-ensemble.js';
import { predict } from '../trees/tree-evaluator.js';
import { parseXgboostJson } from '../trees/xgboost-json.js';
import { treeEnsembleToOnnx } from './tree-ensemble-onnx.js';

const F = 5;
const TOL = 1e-5;

/** Rows with a signal in features 0..2, feature 4 pure noise, and about 12% of values missing. */
function makeData(rows: number, seed: number): { x: Float32Array; signal: Float64Array } {
  const rnd = new SeededRandom(seed);
  const x = new Float32Array(rows * F);
  const signal = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < F; f++) x[r * F + f] = rnd.next() < 0.12 ? NaN : (rnd.next() - 0.5) * 4;
    const v = (f: number): number => (Number.isNaN(x[r * F + f]!) ? 0.7 : x[r * F + f]!);
    signal[r] = 1.5 * v(0) - v(1) * v(2) + (v(3) > 0.5 ? 1 : -0.5);
  }
  return { x, signal };
}

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
/** The float32 next to `v` towards -Infinity (v finite). */
function float32Below(v: number): number {
  f32[0] = v;
  if (v === 0) return -1.401298464324817e-45;
  i32[0] = v > 0 ? i32[0]! - 1 : i32[0]! + 1;
  return f32[0];
}

/**
 * Test rows: random rows with NaNs, plus rows built on the ensemble's own splits, with the split feature
 * set exactly to the threshold, to the float32 just below it, and to NaN.
 */
function testRows(e: TreeEnsemble, randomRows: number, seed: number): { x: Float32Array; rows: number } {
  const { x: random } = makeData(randomRows, seed);
  const internal: number[] = [];
  for (let n = 0; n < e.feature.length; n++) if (e.feature[n]! >= 0) internal.push(n);
  const rnd = new SeededRandom(seed + 1);
  const extra: number[] = [];
  for (let i = 0; i < 150; i++) {
    const n = internal[Math.floor(rnd.next() * internal.length)]!;
    const t = e.threshold[n]!;
    const row = Array.from(random.subarray((i % randomRows) * F, (i % randomRows) * F + F));
    for (const v of [t, float32Below(t), NaN]) {
      row[e.feature[n]!] = v;
      extra.push(...row);
    }
  }
  const x = new Float32Array(random.length + extra.length);
  x.set(random);
  x.set(extra, random.length);
  return { x, rows: x.length / F };
}

async function runOnnx(bytes: Uint8Array, x: Float32Array, rows: number): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(Buffer.from(bytes));
  try {
    return await session.run({ input: new ort.Tensor('float32', x, [rows, F]) });
  } finally {
    await session.release();
  }
}

/**
 * Largest |onnx − native| over all values; with `relative`, divided by max(1, |native|) (regression
 * margins are unbounded and both sides keep float32 sums). NaN anywhere gives NaN.
 */
function maxDiff(onnx: Float32Array, native: Float64Array, relative: boolean): number {
  expect(onnx.length).toBe(native.length);
  let worst = 0;
  for (let i = 0; i < native.length; i++) {
    const d = Math.abs(onnx[i]! - native[i]!) / (relative ? Math.max(1, Math.abs(native[i]!)) : 1);
    if (Number.isNaN(d)) return NaN;
    if (d > worst) worst = d;
  }
  return worst;
}

function train(options: GbdtOptions, label: (s: number) => number): TreeEnsemble {
  const { x, signal } = makeData(800, 7);
  const y = Array.from(signal, label);
  return trainGbdt({ x, rows: 800, numFeatures: F, y }, { numRounds: 30, maxDepth: 4, ...options }).ensemble;
}

describe('treeEnsembleToOnnx', () => {
  it('exports a squared-error regression as TreeEnsembleRegressor with the base score', async () => {
    const e = train({ objective: 'reg:squarederror' }, (s) => 10 + 3 * s);
    expect(Math.abs(e.baseMargin[0]!)).toBeGreaterThan(1); // the mean label: the base value matters
    const { x, rows } = testRows(e, 400, 11);
    const out = await runOnnx(treeEnsembleToOnnx(e), x, rows);
    expect(Object.keys(out)).toEqual(['variable']);
    expect(out.variable!.dims).toEqual([rows, 1]);
    const d = maxDiff(out.variable!.data as Float32Array, predict(e, x, rows), true);
    expect(d).toBeLessThan(TOL);
  });

  it('exports binary:logistic as a LOGISTIC TreeEnsembleClassifier with [1 − p, p] and labels', async () => {
    const e = train({ objective: 'binary:logistic', baseScore: 0.3 }, (s) => (s > 0.4 ? 1 : 0));
    const { x, rows } = testRows(e, 400, 12);
    const out = await runOnnx(treeEnsembleToOnnx(e), x, rows);
    const probs = out.probabilities!;
    expect(probs.dims).toEqual([rows, 2]);
    const p = predict(e, x, rows);
    const both = new Float64Array(rows * 2);
    for (let r = 0; r < rows; r++) [both[2 * r], both[2 * r + 1]] = [1 - p[r]!, p[r]!];
    expect(maxDiff(probs.data as Float32Array, both, false)).toBeLessThan(TOL);
    const labels = out.label!.data as BigInt64Array;
    expect(out.label!.dims).toEqual([rows]);
    for (let r = 0; r < rows; r++) if (Math.abs(p[r]! - 0.5) > 1e-6) expect(labels[r]).toBe(p[r]! > 0.5 ? 1n : 0n);
  });

  it('exports multi:softprob as a SOFTMAX TreeEnsembleClassifier with K columns', async () => {
    const e = train({ objective: 'multi:softprob', numClass: 3 }, (s) => (s < -1 ? 0 : s < 1 ? 1 : 2));
    const { x, rows } = testRows(e, 400, 13);
    const out = await runOnnx(treeEnsembleToOnnx(e), x, rows);
    expect(out.probabilities!.dims).toEqual([rows, 3]);
    const p = predict(e, x, rows);
    expect(maxDiff(out.probabilities!.data as Float32Array, p, false)).toBeLessThan(TOL);
    const labels = out.label!.data as BigInt64Array;
    for (let r = 0; r < rows; r++) {
      const row = Array.from(p.subarray(3 * r, 3 * r + 3));
      const sorted = [...row].sort((a, b) => b - a);
      if (sorted[0]! - sorted[1]! > 1e-6) expect(Number(labels[r])).toBe(row.indexOf(sorted[0]!));
    }
  });

  it('exports xgboost JSON models loaded by Steward with the native predictions', async () => {
    const fixtures = new URL('../../../test/fixtures/xgboost/', import.meta.url);
    for (const name of ['binary-logistic', 'multi-softprob', 'reg-squarederror', 'multi-target', 'dart-binary', 'named-features', 'bench-200x6']) {
      const { ensemble: e } = parseXgboostJson(readFileSync(new URL(`${name}.json`, fixtures)));
      const rnd = new SeededRandom(5);
      const rows = 300;
      const x = Float32Array.from({ length: rows * e.numFeatures }, () => (rnd.next() < 0.1 ? NaN : (rnd.next() - 0.5) * 6));
      const session = await ort.InferenceSession.create(Buffer.from(treeEnsembleToOnnx(e)));
      const out = await session.run({ input: new ort.Tensor('float32', x, [rows, e.numFeatures]) });
      await session.release();
      const p = predict(e, x, rows);
      if (e.objective === 'binary') {
        const pos = Float32Array.from({ length: rows }, (_, r) => (out.probabilities!.data as Float32Array)[2 * r + 1]!);
        expect(maxDiff(pos, p, false), name).toBeLessThan(TOL);
      } else if (e.objective === 'multiclass') {
        expect(maxDiff(out.probabilities!.data as Float32Array, p, false), name).toBeLessThan(TOL);
      } else {
        expect(maxDiff(out.variable!.data as Float32Array, p, true), name).toBeLessThan(TOL);
      }
    }
  });

  it('registers like an ONNX classifier: the inspector reads input [-1, F], label and probabilities', async () => {
    const e = train({ objective: 'binary:logistic', numRounds: 5 }, (s) => (s > 0.4 ? 1 : 0));
    const dir = await mkdtemp(join(tmpdir(), 'steward-tree-onnx-'));
    const inspector = new OnnxInspector();
    try {
      const path = join(dir, 'model.onnx');
      await writeFile(path, treeEnsembleToOnnx(e));
      const result = await inspector.inspect({ flavor: 'onnx', path, example: { input: [[0.1, -1, 2, 0.5, 0]] } });
      expect(result).toEqual({
        ok: true,
        signature: {
          inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, F] }],
          outputs: [
            { name: 'label', datatype: 'INT64', shape: [-1] },
            { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
          ],
        },
      });
      const schema = modelSchema(result.ok ? result.signature : { inputs: [], outputs: [] }, { acceptsMissing: false });
      expect(schema.features?.map((f) => f.name)).toEqual(['f0', 'f1', 'f2', 'f3', 'f4']);
      expect(schema.probabilities).toBe(true);
      expect(schema.outputs[schema.predictionOutput]!.name).toBe('probabilities');
    } finally {
      await inspector.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an ensemble without trees', () => {
    const e = train({ objective: 'reg:squarederror', numRounds: 1 }, (s) => s);
    const empty: TreeEnsemble = { ...e, numTrees: 0, treeOffsets: Int32Array.of(0), treeOutput: new Int32Array(0), treeDepth: new Int32Array(0), feature: new Int32Array(0), threshold: new Float32Array(0), left: new Int32Array(0), right: new Int32Array(0), defaultLeft: new Uint8Array(0), value: new Float64Array(0), cover: new Float64Array(0) };
    expect(() => treeEnsembleToOnnx(empty)).toThrow(/no trees/);
  });

  it('takes one input per named feature when featureNames is given, with the same outputs, NaN included', async () => {
    const e = train({ objective: 'binary:logistic' }, (s) => (s > 0.4 ? 1 : 0));
    const { x, rows } = testRows(e, 300, 14);
    const names = ['income', 'age', 'debt', 'score', 'noise'];
    const session = await ort.InferenceSession.create(Buffer.from(treeEnsembleToOnnx(e, { featureNames: names })));
    try {
      expect(session.inputNames).toEqual(names);
      const feeds: Record<string, ort.Tensor> = {};
      names.forEach((n, j) => {
        const col = new Float32Array(rows);
        for (let r = 0; r < rows; r++) col[r] = x[r * F + j]!;
        feeds[n] = new ort.Tensor('float32', col, [rows, 1]);
      });
      const named = await session.run(feeds);
      const matrix = await runOnnx(treeEnsembleToOnnx(e), x, rows);
      expect(Array.from(named.probabilities!.data as Float32Array)).toEqual(Array.from(matrix.probabilities!.data as Float32Array));
      expect(Array.from(named.label!.data as BigInt64Array)).toEqual(Array.from(matrix.label!.data as BigInt64Array));
      // and the native evaluator's probabilities, on rows with NaN at split features (both default directions)
      const p = predict(e, x, rows);
      const pos = Float32Array.from({ length: rows }, (_, r) => (named.probabilities!.data as Float32Array)[2 * r + 1]!);
      expect(maxDiff(pos, p, false)).toBeLessThan(TOL);
    } finally {
      await session.release();
    }
    expect(() => treeEnsembleToOnnx(e, { featureNames: ['a', 'b', 'c', 'd', 'probabilities'] })).toThrow(/probabilities/);
    expect(() => treeEnsembleToOnnx(e, { featureNames: ['a', 'b', 'c', 'a', 'e'] })).toThrow(/repeated/);
    expect(() => treeEnsembleToOnnx(e, { featureNames: ['a', 'b'] })).toThrow(/2 feature names for 5/);
  });

  it('named inputs for regression and multiclass: same outputs as the matrix model and the native evaluator, NaN taking the default way', async () => {
    const names = ['Concat_0', 'income', 'TreeEnsembleRegressor_1', 'input', 'noise'];
    const cases = [
      { e: train({ objective: 'reg:squarederror' }, (s) => 10 + 3 * s), out: 'variable', relative: true },
      { e: train({ objective: 'multi:softprob', numClass: 3 }, (s) => (s < -1 ? 0 : s < 1 ? 1 : 2)), out: 'probabilities', relative: false },
    ];
    for (const { e, out, relative } of cases) {
      expect(new Set(e.defaultLeft.filter((_, n) => e.feature[n]! >= 0))).toEqual(new Set([0, 1]));
      const { x, rows } = testRows(e, 200, 15);
      const session = await ort.InferenceSession.create(Buffer.from(treeEnsembleToOnnx(e, { featureNames: names })));
      try {
        expect(session.inputNames).toEqual(names);
        for (const m of session.inputMetadata) expect(m.isTensor && { type: m.type, shape: m.shape }).toEqual({ type: 'float32', shape: ['batch', 1] });
        const feeds = Object.fromEntries(names.map((n, j) => [n, new ort.Tensor('float32', Float32Array.from({ length: rows }, (_, r) => x[r * F + j]!), [rows, 1])]));
        const named = await session.run(feeds);
        const matrix = await runOnnx(treeEnsembleToOnnx(e), x, rows);
        const got = named[out]!.data as Float32Array;
        expect(Array.from(got), out).toEqual(Array.from(matrix[out]!.data as Float32Array));
        const native = predict(e, x, rows);
        expect(maxDiff(got, native, relative), out).toBeLessThan(TOL);
        // rows with a missing value, alone: they follow the default directions
        const k = e.numOutputs;
        const nanRows = Array.from({ length: rows }, (_, r) => r).filter((r) => x.subarray(r * F, r * F + F).some(Number.isNaN));
        expect(nanRows.length).toBeGreaterThan(100);
        const pick = (a: ArrayLike<number>) => nanRows.flatMap((r) => Array.from({ length: k }, (_, o) => a[r * k + o]!));
        expect(maxDiff(Float32Array.from(pick(got)), Float64Array.from(pick(native)), relative), out).toBeLessThan(TOL);
      } finally {
        await session.release();
      }
    }
    const reg = cases[0]!.e;
    for (const output of ['variable', 'label', 'probabilities']) {
      expect(() => treeEnsembleToOnnx(reg, { featureNames: ['a', 'b', output, 'd', 'e'] }), output).toThrow(RangeError);
      expect(() => treeEnsembleToOnnx(reg, { featureNames: ['a', 'b', output, 'd', 'e'] }), output).toThrow(new RegExp(`'${output}'`));
    }
    expect(() => treeEnsembleToOnnx(reg, { featureNames: ['a', 'b', 'c', 'd', 'steward.features'] })).toThrow(/'steward.features'/);
  });
});
