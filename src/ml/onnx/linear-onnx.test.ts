import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../gbdt/gbdt-trainer.js';
import { predict as linearPredict, trainLinear } from '../linear/linear.js';
import { predictProba, trainLogistic } from '../linear/logistic.js';
import { linearModelToOnnx } from './linear-onnx.js';

const F = 4;

function data(rows: number, seed: number, label: (z: number) => number): { x: Float64Array; y: Float64Array } {
  const rnd = new SeededRandom(seed);
  const x = new Float64Array(rows * F);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < F; f++) x[r * F + f] = (rnd.next() - 0.5) * 6 + f * 10; // different centres and scales
    const z = 0.8 * (x[r * F]! - 0) - 0.5 * (x[r * F + 1]! - 10) + 0.3 * (x[r * F + 2]! - 20) + (rnd.next() - 0.5);
    y[r] = label(z);
  }
  return { x, y };
}

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(Buffer.from(bytes));
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

const matrix = (x: Float64Array, rows: number) => ({ input: new ort.Tensor('float32', Float32Array.from(x), [rows, F]) });
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>, relative = false): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / (relative ? Math.max(1, Math.abs(b[i]!)) : 1);
    if (!(d <= m)) m = d;
  }
  return m;
}

describe('linearModelToOnnx', () => {
  it('exports binary logistic regression: probabilities [1 − p, p] and labels, equal to predictProba within 1e-5', async () => {
    const { x, y } = data(600, 1, (z) => (z > 0 ? 1 : 0));
    const model = trainLogistic(x, Int32Array.from(y), 600, F, { C: 0.5, standardize: true });
    // evaluate on float32-rounded inputs, which is what the ONNX model sees
    const x32 = Float64Array.from(Float32Array.from(x));
    const out = await run(linearModelToOnnx(model), matrix(x, 600));
    expect(out.probabilities!.dims).toEqual([600, 2]);
    const native = predictProba(model, x32, 600);
    expect(maxDiff(out.probabilities!.data as Float32Array, native)).toBeLessThan(1e-5);
    const labels = out.label!.data as BigInt64Array;
    expect(out.label!.dims).toEqual([600]);
    for (let r = 0; r < 600; r++) if (Math.abs(native[r * 2 + 1]! - 0.5) > 1e-6) expect(labels[r]).toBe(native[r * 2 + 1]! >= 0.5 ? 1n : 0n);
  });

  it('exports multinomial logistic regression with Softmax and ArgMax', async () => {
    const { x, y } = data(600, 2, (z) => (z < -1 ? 0 : z < 1 ? 1 : 2));
    const model = trainLogistic(x, Int32Array.from(y), 600, F, { C: 2, standardize: true });
    const out = await run(linearModelToOnnx(model), matrix(x, 600));
    const native = predictProba(model, Float64Array.from(Float32Array.from(x)), 600);
    expect(out.probabilities!.dims).toEqual([600, 3]);
    expect(maxDiff(out.probabilities!.data as Float32Array, native)).toBeLessThan(1e-5);
    const labels = out.label!.data as BigInt64Array;
    for (let r = 0; r < 600; r++) {
      const row = Array.from(native.subarray(r * 3, r * 3 + 3));
      const best = row.indexOf(Math.max(...row));
      if (Math.max(...row) - [...row].sort((a, b) => b - a)[1]! > 1e-5) expect(labels[r]).toBe(BigInt(best));
    }
  });

  it('exports ridge regression as `variable` [N, 1], equal to predict within 1e-5 relative', async () => {
    const { x, y } = data(500, 3, (z) => 100 + 7 * z);
    const model = trainLinear(x, y, 500, F, { alpha: 0.5 });
    const out = await run(linearModelToOnnx(model), matrix(x, 500));
    expect(out.variable!.dims).toEqual([500, 1]);
    expect(maxDiff(out.variable!.data as Float32Array, linearPredict(model, Float64Array.from(Float32Array.from(x)), 500), true)).toBeLessThan(1e-5);
  });

  it('replaces missing values by the impute values and takes named inputs', async () => {
    const { x, y } = data(400, 4, (z) => (z > 0 ? 1 : 0));
    const model = trainLogistic(x, Int32Array.from(y), 400, F, { standardize: true });
    const impute = [1, 11, 19, 31];
    const names = ['a', 'b', 'c', 'd'];
    const holes = Float64Array.from(x);
    for (let i = 0; i < holes.length; i += 7) holes[i] = NaN;
    const filled = Float64Array.from(holes, (v, i) => (Number.isNaN(v) ? impute[i % F]! : v));
    const feeds: Record<string, ort.Tensor> = {};
    names.forEach((n, j) => (feeds[n] = new ort.Tensor('float32', Float32Array.from({ length: 400 }, (_, r) => holes[r * F + j]!), [400, 1])));
    const bytes = linearModelToOnnx(model, { featureNames: names, imputeValues: impute });
    const s = await ort.InferenceSession.create(Buffer.from(bytes));
    expect(s.inputNames).toEqual(names);
    await s.release();
    const out = await run(bytes, feeds);
    expect(maxDiff(out.probabilities!.data as Float32Array, predictProba(model, Float64Array.from(Float32Array.from(filled)), 400))).toBeLessThan(1e-5);
    expect(() => linearModelToOnnx(model, { featureNames: ['a', 'b', 'label', 'd'] })).toThrow(/label/);
    expect(() => linearModelToOnnx(model, { imputeValues: [1, 2] })).toThrow(/2 impute values/);
  });

  it('imputes the training means into the matrix input (multinomial and ridge), NaNs in every feature', async () => {
    const rows = 500;
    const { x, y } = data(rows, 5, (z) => (z < -1 ? 0 : z < 1 ? 1 : 2));
    const model = trainLogistic(x, Int32Array.from(y), rows, F, { standardize: true });
    const means = model.standardization!.mean;
    const holes = Float64Array.from(x);
    const rnd = new SeededRandom(6);
    for (let i = 0; i < holes.length; i++) if (rnd.next() < 0.2) holes[i] = NaN;
    for (let j = 0; j < F; j++) expect(Array.from({ length: rows }, (_, r) => holes[r * F + j]).some(Number.isNaN)).toBe(true);
    // the native side: NaN replaced by the float32 mean, inputs as float32
    const filled = Float64Array.from(holes, (v, i) => Math.fround(Number.isNaN(v) ? means[i % F]! : v));
    const out = await run(linearModelToOnnx(model, { imputeValues: means }), matrix(holes, rows));
    const probs = out.probabilities!.data as Float32Array;
    expect(probs.some(Number.isNaN)).toBe(false);
    expect(maxDiff(probs, predictProba(model, filled, rows))).toBeLessThan(1e-5);
    // without the Imputer a NaN stays NaN: the Imputer is what fills them
    const raw = await run(linearModelToOnnx(model), matrix(holes, rows));
    expect((raw.probabilities!.data as Float32Array).some(Number.isNaN)).toBe(true);

    const reg = data(rows, 7, (z) => 50 + 4 * z);
    const ridge = trainLinear(reg.x, reg.y, rows, F, { alpha: 2 });
    const colMeans = Array.from({ length: F }, (_, j) => Array.from({ length: rows }, (_, r) => reg.x[r * F + j]!).reduce((a, b) => a + b, 0) / rows);
    const regHoles = Float64Array.from(reg.x, (v) => (rnd.next() < 0.2 ? NaN : v));
    const regFilled = Float64Array.from(regHoles, (v, i) => Math.fround(Number.isNaN(v) ? colMeans[i % F]! : v));
    const regOut = await run(linearModelToOnnx(ridge, { imputeValues: Float64Array.from(colMeans) }), matrix(regHoles, rows));
    expect(maxDiff(regOut.variable!.data as Float32Array, linearPredict(ridge, regFilled, rows), true)).toBeLessThan(1e-5);
  });

  it('takes one [N, 1] input per named feature for every kind of model, with the matrix model\'s outputs', async () => {
    const rows = 300;
    const names = ['Concat_0', 'MatMul_1', 'x y', 'input']; // node-like names and the matrix input's name are fine
    const columns = (x: Float64Array): Record<string, ort.Tensor> =>
      Object.fromEntries(names.map((n, j) => [n, new ort.Tensor('float32', Float32Array.from({ length: rows }, (_, r) => x[r * F + j]!), [rows, 1])]));
    const bin = data(rows, 8, (z) => (z > 0 ? 1 : 0));
    const multi = data(rows, 9, (z) => (z < -1 ? 0 : z < 1 ? 1 : 2));
    const reg = data(rows, 10, (z) => -20 + 3 * z);
    const models = [
      { model: trainLogistic(bin.x, Int32Array.from(bin.y), rows, F, { standardize: true }), x: bin.x, out: 'probabilities' },
      { model: trainLogistic(multi.x, Int32Array.from(multi.y), rows, F, { standardize: true }), x: multi.x, out: 'probabilities' },
      { model: trainLinear(reg.x, reg.y, rows, F, { alpha: 1 }), x: reg.x, out: 'variable' },
    ];
    for (const { model, x, out } of models) {
      const bytes = linearModelToOnnx(model, { featureNames: names });
      const s = await ort.InferenceSession.create(Buffer.from(bytes));
      try {
        expect(s.inputNames).toEqual(names);
        for (const m of s.inputMetadata) expect(m.isTensor && { type: m.type, shape: m.shape }).toEqual({ type: 'float32', shape: ['batch', 1] });
        expect(s.outputNames).toEqual(out === 'variable' ? ['variable'] : ['label', 'probabilities']);
        const named = await s.run(columns(x));
        const viaMatrix = await run(linearModelToOnnx(model), matrix(x, rows));
        expect(Array.from(named[out]!.data as Float32Array)).toEqual(Array.from(viaMatrix[out]!.data as Float32Array));
        const x32 = Float64Array.from(Float32Array.from(x));
        const native = model.kind === 'linear' ? linearPredict(model, x32, rows) : predictProba(model, x32, rows);
        expect(maxDiff(named[out]!.data as Float32Array, native, model.kind === 'linear')).toBeLessThan(1e-5);
        if (out !== 'variable') expect(Array.from(named.label!.data as BigInt64Array)).toEqual(Array.from(viaMatrix.label!.data as BigInt64Array));
      } finally {
        await s.release();
      }
    }
  });

  it('refuses feature names that are an output name, repeated, internal or of the wrong count', () => {
    const { x, y } = data(100, 11, (z) => (z > 0 ? 1 : 0));
    const logistic = trainLogistic(x, Int32Array.from(y), 100, F);
    const ridge = trainLinear(x, y, 100, F);
    for (const model of [logistic, ridge]) {
      for (const output of ['label', 'probabilities', 'variable']) {
        const names = ['a', output, 'c', 'd'];
        expect(() => linearModelToOnnx(model, { featureNames: names }), output).toThrow(RangeError);
        expect(() => linearModelToOnnx(model, { featureNames: names }), output).toThrow(new RegExp(`'${output}'`));
      }
      expect(() => linearModelToOnnx(model, { featureNames: ['a', 'b', 'a', 'd'] })).toThrow(/'a' is repeated/);
      expect(() => linearModelToOnnx(model, { featureNames: ['a', 'b', 'steward.z', 'd'] })).toThrow(/'steward.z'/);
      expect(() => linearModelToOnnx(model, { featureNames: ['a', 'b', 'c'] })).toThrow(/3 feature names for 4 features/);
      expect(() => linearModelToOnnx(model, { imputeValues: [0, 0, NaN, 0] })).toThrow(RangeError);
    }
  });
});
