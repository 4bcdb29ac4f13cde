/**
 * The runtime cache: one warmed runtime per artifact, shared by every user and closed after the last
 * release; a model that fails its warm-up is refused and not cached. Real onnxruntime sessions.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINEAR, linearModel } from '../../test/fixtures/models.js';
import { OnnxGraphBuilder } from '../ml/onnx/onnx-builder.js';
import { RuntimeCache } from './runtimes.js';

let dir: string;
const files = new Map<string, string>();
let loads = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-runtimes-'));
  files.set('a'.repeat(64), join(dir, 'linear.onnx'));
  await writeFile(join(dir, 'linear.onnx'), linearModel());
  // A Reshape to [3] loads, but fails on any batch of 4 values: the warm-up call fails.
  const broken = new OnnxGraphBuilder('broken')
    .input('x', 'FLOAT', ['batch', 4])
    .int64Initializer('shape', [1], [3])
    .node('Reshape', ['x', 'shape'], ['y'])
    .output('y', 'FLOAT', [3])
    .toBytes();
  files.set('b'.repeat(64), join(dir, 'broken.onnx'));
  await writeFile(join(dir, 'broken.onnx'), broken);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const cache = () =>
  new RuntimeCache({
    localPath: async (sha) => {
      loads++;
      return files.get(sha)!;
    },
    natives: {},
    options: { intraOpThreads: 1 },
  });

const linearSource = { sha256: 'a'.repeat(64), flavor: 'onnx', signature: { inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [-1, 4] }], outputs: [{ name: 'y', datatype: 'FP32' as const, shape: [-1, 1] }] } };

describe('RuntimeCache', () => {
  it('loads an artifact once for every user, and closes it after the last release', async () => {
    const c = cache();
    loads = 0;
    const [a, b] = await Promise.all([c.acquire(linearSource), c.acquire(linearSource)]);
    expect(a).toBe(b);
    expect(loads).toBe(1);
    expect(c.size).toBe(1);
    const out = await a.run([{ name: 'x', datatype: 'FP32', shape: [1, 4], data: new Float32Array([1, 2, 3, 4]) }], 1);
    const expected = [1, 2, 3, 4].reduce((s, v, i) => s + v * LINEAR.W[i]!, LINEAR.b[0]!);
    expect((out[0]!.data as Float32Array)[0]).toBeCloseTo(expected, 5);
    await c.release(a);
    expect(c.size).toBe(1);
    await c.release(b);
    expect(c.size).toBe(0);
    await expect(a.run([{ name: 'x', datatype: 'FP32', shape: [1, 4], data: new Float32Array(4) }], 1)).rejects.toThrow();
  });

  it('refuses a model that fails its warm-up call, and does not keep it', async () => {
    const c = cache();
    const source = { sha256: 'b'.repeat(64), flavor: 'onnx', signature: { inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [-1, 4] }], outputs: [{ name: 'y', datatype: 'FP32' as const, shape: [3] }] } };
    await expect(c.acquire(source)).rejects.toThrow(/warm-up/);
    expect(c.size).toBe(0);
  });

  it('refuses flavors it cannot serve', async () => {
    await expect(cache().acquire({ sha256: 'a'.repeat(64), flavor: 'pickle', signature: null })).rejects.toMatchObject({ code: 'VERSION_NOT_SERVABLE', message: expect.stringMatching(/flavor 'pickle' cannot be run by Steward/) });
  });
});
