import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { FIXTURE_MODELS, LINEAR, MLP, linearModel, mlpModel } from '../../../test/fixtures/models.js';
import { OnnxGraphBuilder } from './onnx-builder.js';
import { ProtoWriter } from './protobuf.js';

describe('ProtoWriter', () => {
  it('encodes varints, strings and negative int64 as the protobuf spec shows', () => {
    // protobuf.dev encoding guide: field 1 = 150 → 08 96 01; field 2 = "testing" → 12 07 74 65 73 74 69 6e 67
    expect(Buffer.from(new ProtoWriter().int(1, 150).finish()).toString('hex')).toBe('089601');
    expect(Buffer.from(new ProtoWriter().string(2, 'testing').finish()).toString('hex')).toBe('120774657374696e67');
    // -1 as int64 is ten bytes: ff ff ff ff ff ff ff ff ff 01
    expect(Buffer.from(new ProtoWriter().int(1, -1).finish()).toString('hex')).toBe('08ffffffffffffffffff01');
  });
});

function linearReference(x: number[][]): number[] {
  return x.map((row) => row.reduce((acc, v, j) => acc + v * LINEAR.W[j]!, 0) + LINEAR.b[0]!);
}

function mlpReference(x: number[][]): number[][] {
  return x.map((row) => {
    const h = Array.from({ length: 8 }, (_, k) => Math.max(0, MLP.b1[k]! + row.reduce((a, v, j) => a + v * MLP.W1[j * 8 + k]!, 0)));
    const z = Array.from({ length: 3 }, (_, c) => MLP.b2[c]! + h.reduce((a, v, k) => a + v * MLP.W2[k * 3 + c]!, 0));
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  });
}

const X = [
  [0.5, -1.25, 2, 3.5],
  [0, 0, 0, 0],
  [-3, 1.5, 0.25, -0.75],
];

describe('fixture models in onnxruntime', () => {
  it('the committed files are exactly what the builder makes', () => {
    for (const [file, build] of Object.entries(FIXTURE_MODELS)) {
      const committed = readFileSync(new URL(`../../../test/fixtures/models/${file}`, import.meta.url));
      expect(Buffer.from(build()).equals(committed), file).toBe(true);
    }
  });

  it('linear model computes x·W + b', async () => {
    const session = await ort.InferenceSession.create(linearModel());
    expect(session.inputNames).toEqual(['x']);
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(X.flat()), [3, 4]) });
    const y = out.y!;
    expect(y.dims).toEqual([3, 1]);
    linearReference(X).forEach((v, i) => expect((y.data as Float32Array)[i]).toBeCloseTo(v, 5));
  });

  it('MLP computes softmax(relu(x·W1 + b1)·W2 + b2)', async () => {
    const session = await ort.InferenceSession.create(mlpModel());
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(X.flat()), [3, 4]) });
    const p = out.probabilities!;
    expect(p.dims).toEqual([3, 3]);
    mlpReference(X).flat().forEach((v, i) => expect((p.data as Float32Array)[i]).toBeCloseTo(v, 5));
  });

  it('writes int64 initializers and list attributes that onnxruntime accepts', async () => {
    const bytes = new OnnxGraphBuilder('reshape')
      .input('x', 'FLOAT', [2, 3])
      .int64Initializer('shape', [2], [3, -1])
      .node('Reshape', ['x', 'shape'], ['r'])
      .node('Transpose', ['r'], ['y'], { perm: [1, 0] })
      .output('y', 'FLOAT', [2, 3])
      .toBytes();
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]) });
    // reshape [[1,2,3],[4,5,6]] to 3×2 = [[1,2],[3,4],[5,6]], transposed = [[1,3,5],[2,4,6]]
    expect(Array.from(out.y!.data as Float32Array)).toEqual([1, 3, 5, 2, 4, 6]);
  });
});
