import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { linearModel, mlpModel } from '../../test/fixtures/models.js';
import { OnnxInspector } from './onnx-inspector.js';

const inspector = new OnnxInspector();
afterAll(() => inspector.close());

async function file(bytes: Uint8Array | string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'steward-inspect-'));
  const path = join(dir, 'model.onnx');
  await writeFile(path, bytes);
  return path;
}

describe('OnnxInspector', () => {
  it('reads the signature of a real model, with -1 for the symbolic batch dimension', async () => {
    const result = await inspector.inspect({ flavor: 'onnx', path: await file(mlpModel()) });
    expect(result).toEqual({
      ok: true,
      signature: {
        inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
        outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
      },
    });
  });

  it('reports a file that is not a model as a failed load with the loader message', async () => {
    const result = await inspector.inspect({ flavor: 'onnx', path: await file('definitely not protobuf') });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(/onnxruntime could not load the model/);
  });

  it('runs an input example through the model', async () => {
    const path = await file(linearModel());
    expect((await inspector.inspect({ flavor: 'onnx', path, example: { x: [[1, 2, 3, 4]] } })).ok).toBe(true);
    const wrongWidth = await inspector.inspect({ flavor: 'onnx', path, example: { x: [[1, 2, 3]] } });
    expect(wrongWidth.ok).toBe(false);
    const ragged = await inspector.inspect({ flavor: 'onnx', path, example: { x: [[1, 2, 3, 4], [1]] } });
    expect(!ragged.ok && ragged.message).toMatch(/ragged/);
    const unknown = await inspector.inspect({ flavor: 'onnx', path, example: { x: [[1, 2, 3, 4]], z: [1] } });
    expect(!unknown.ok && unknown.message).toMatch(/'z'/);
    const text = await inspector.inspect({ flavor: 'onnx', path, example: { x: [['a', 'b', 'c', 'd']] } });
    expect(!text.ok && text.message).toMatch(/must hold numbers/);
  });

  it('keeps working for later requests after a failure', async () => {
    await inspector.inspect({ flavor: 'onnx', path: '/nonexistent/model.onnx' });
    expect((await inspector.inspect({ flavor: 'onnx', path: await file(linearModel()) })).ok).toBe(true);
  });
});

describe('OnnxInspector warm-up', () => {
  it('starts onnxruntime ahead of the first request and keeps serving requests after', async () => {
    const warm = new OnnxInspector();
    await warm.warmUp();
    const path = await file(linearModel());
    const r = await warm.inspect({ flavor: 'onnx', path });
    expect(r.ok).toBe(true);
    await warm.close();
    await expect(warm.inspect({ flavor: 'onnx', path })).rejects.toThrow(/closed/);
  });
});

describe('OnnxInspector queue', () => {
  // A stand-in worker: "slow" takes 5 s, "crash" ends the thread, anything else answers at once.
  const FAKE = `
    const { parentPort } = require('node:worker_threads');
    parentPort.postMessage({ ready: true });
    parentPort.on('message', (m) => {
      if (m.path === 'crash') process.exit(3);
      const until = Date.now() + (m.path === 'slow' ? 5000 : 5);
      while (Date.now() < until) {}
      parentPort.postMessage({ id: m.id, result: { ok: true, signature: { inputs: [{ name: m.path, datatype: 'FP32', shape: [1] }], outputs: [] } } });
    });`;
  let started = 0;
  const fake = () => {
    started++;
    return new Worker(FAKE, { eval: true });
  };

  it('fails only the model that is too slow, timed from when the worker takes it, and carries on with the rest', async () => {
    started = 0;
    const q = new OnnxInspector({ timeoutMs: 1000, createWorker: fake });
    const results = await Promise.all(['a', 'slow', 'b', 'c', 'd'].map((path) => q.inspect({ flavor: 'onnx', path })));
    expect(results.map((r) => r.ok)).toEqual([true, false, true, true, true]);
    expect(!results[1]!.ok && results[1]!.message).toMatch(/took longer than 1 s/);
    expect(results.filter((r) => r.ok).map((r) => r.ok && r.signature.inputs[0]!.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(started).toBe(2);
    await q.close();
  });

  it('rejects the model whose load killed the worker, and inspects the next with a new one', async () => {
    started = 0;
    const q = new OnnxInspector({ timeoutMs: 5000, createWorker: fake });
    const [crashed, after] = await Promise.allSettled([q.inspect({ flavor: 'onnx', path: 'crash' }), q.inspect({ flavor: 'onnx', path: 'next' })]);
    expect(crashed.status).toBe('rejected');
    expect((crashed as PromiseRejectedResult).reason.message).toMatch(/worker stopped/);
    expect(after.status).toBe('fulfilled');
    expect(started).toBe(2);
    await q.close();
  });

  it('rejects what is queued when it is closed', async () => {
    const q = new OnnxInspector({ timeoutMs: 10_000, createWorker: fake });
    const settled = Promise.allSettled([q.inspect({ flavor: 'onnx', path: 'slow' }), q.inspect({ flavor: 'onnx', path: 'x' })]);
    await new Promise((r) => setTimeout(r, 200));
    await q.close();
    for (const p of await settled) expect(p.status).toBe('rejected');
  });
});
