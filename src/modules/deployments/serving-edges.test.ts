/**
 * Edge cases of the serving path found in review: tensor models with variable inner dimensions under
 * batching, models with a fixed batch size of 1, outputs without one prediction per row, a failed revision
 * build releasing every runtime it loaded, and anonymous calls to a deployment that is not public.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearModel } from '../../../test/fixtures/models.js';
import { createHarness, versionUpload, type Harness } from '../../../test/support/harness.js';
import { OnnxGraphBuilder } from '../../ml/onnx/onnx-builder.js';

let h: Harness;
let maintainer: Record<string, string>;

async function register(model: string, bytes: Uint8Array) {
  await h.app.inject({ method: 'POST', url: '/api/v1/models', headers: maintainer, payload: { name: model } });
  const { body, contentType } = versionUpload(bytes);
  const r = await h.app.inject({ method: 'POST', url: `/api/v1/models/${model}/versions`, headers: { ...maintainer, 'content-type': contentType }, payload: body });
  expect(r.statusCode).toBe(201);
}
const put = (name: string, payload: unknown) => h.app.inject({ method: 'PUT', url: `/api/v1/deployments/${name}`, headers: maintainer, payload: payload as object });
const v2 = (name: string, inputs: unknown) => h.app.inject({ method: 'POST', url: `/v2/models/${name}/infer`, headers: maintainer, payload: { inputs } as object });

beforeAll(async () => {
  h = await createHarness();
  maintainer = { authorization: `Bearer ${await h.tokenFor('deployer', 'maria')}` };
  // y = x, any width: x float32 [batch, n].
  await register('echo', new OnnxGraphBuilder('echo').input('x', 'FLOAT', ['batch', 'n']).node('Identity', ['x'], ['y']).output('y', 'FLOAT', ['batch', 'n']).toBytes());
  // A linear model whose batch dimension is fixed at 1.
  await register(
    'single',
    new OnnxGraphBuilder('single')
      .input('x', 'FLOAT', [1, 4])
      .floatInitializer('W', [4, 1], [1, 2, 3, 4])
      .node('MatMul', ['x', 'W'], ['y'])
      .output('y', 'FLOAT', [1, 1])
      .toBytes(),
  );
  // The sum of all inputs: one number for the whole batch, not one per row.
  await register('total', new OnnxGraphBuilder('total').input('x', 'FLOAT', ['batch', 4]).node('ReduceSum', ['x'], ['s'], { keepdims: 0 }).output('s', 'FLOAT', []).toBytes());
  await register('lin', linearModel());
});
afterAll(() => h.close());

describe('serving edge cases', () => {
  it('batches only requests whose inner shapes match, and answers each with its own data', async () => {
    expect((await put('echo', { targets: [{ model: 'echo', version: 1, weight: 100 }], batching: { maxBatchSize: 64, maxDelayMicros: 20_000 } })).statusCode).toBe(201);
    const [a, b, c] = await Promise.all([
      v2('echo', [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }]),
      v2('echo', [{ name: 'x', datatype: 'FP32', shape: [1, 5], data: [1, 2, 3, 4, 5] }]),
      v2('echo', [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [7, 8] }]),
    ]);
    expect([a.statusCode, b.statusCode, c.statusCode]).toEqual([200, 200, 200]);
    expect(a.json().outputs[0]).toMatchObject({ shape: [1, 2], data: [1, 2] });
    expect(b.json().outputs[0]).toMatchObject({ shape: [1, 5], data: [1, 2, 3, 4, 5] });
    expect(c.json().outputs[0]).toMatchObject({ shape: [1, 2], data: [7, 8] });
  });

  it('refuses more rows than a fixed-batch model takes, and never merges its requests', async () => {
    expect((await put('single', { targets: [{ model: 'single', version: 1, weight: 100 }], batching: { maxBatchSize: 64, maxDelayMicros: 20_000 } })).statusCode).toBe(201);
    const row = (i: number) => ({ f0: i, f1: 1, f2: 1, f3: 1 });
    const two = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/single/predict', headers: maintainer, payload: { rows: [row(1), row(2)] } });
    expect(two.statusCode).toBe(400);
    expect(two.json().error.message).toMatch(/takes 1 row per call/);
    const answers = await Promise.all([1, 2, 3].map((i) => h.app.inject({ method: 'POST', url: '/api/v1/deployments/single/predict', headers: maintainer, payload: { rows: [row(i)] } })));
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    expect(answers.map((r) => r.json().predictions[0])).toEqual([1 + 2 + 3 + 4, 2 + 2 + 3 + 4, 3 + 2 + 3 + 4]);
  });

  it('answers V2 with the raw outputs of a model without per-row predictions, and row protocols with a 422 that says so', async () => {
    expect((await put('total', { targets: [{ model: 'total', version: 1, weight: 100 }] })).statusCode).toBe(201);
    const r = await v2('total', [{ name: 'x', datatype: 'FP32', shape: [2, 4], data: [1, 1, 1, 1, 2, 2, 2, 2] }]);
    expect(r.statusCode).toBe(200);
    expect(r.json().outputs[0].data).toEqual([12]);
    const rows = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/total/predict', headers: maintainer, payload: { rows: [{ f0: 1, f1: 1, f2: 1, f3: 1 }] } });
    expect(rows.statusCode).toBe(422);
    expect(rows.json().error.message).toMatch(/Open Inference Protocol/);
  });

  it('releases every runtime a failed revision loaded, late ones included', async () => {
    const before = h.services.runtimes.size;
    const source = async (modelId: string, version: number) => {
      if (modelId === 'slow') {
        await new Promise((r) => setTimeout(r, 100));
        return h.services.deployments.runtimeSource((await h.store.models.get((await h.store.projects.getByName('default'))!.id, 'echo'))!.id, version);
      }
      return { sha256: 'f'.repeat(64), flavor: 'pickle', signature: null };
    };
    const { LiveDeployments } = await import('../../serving/live-deployments.js');
    const { ServingMetrics } = await import('../../serving/serving-metrics.js');
    const { Registry } = await import('prom-client');
    const live = new LiveDeployments({ runtimes: h.services.runtimes, metrics: new ServingMetrics(new Registry()), source });
    const spec = { targets: [{ model: 'a', modelId: 'slow', version: 1, alias: null, weight: 50 }, { model: 'b', modelId: 'bad', version: 1, alias: null, weight: 50 }], shadow: [], batching: null, public: false, timeoutMs: 1000, maxQueue: 10 };
    await expect(live.build({ deploymentId: 'x', project: 'default', name: 'x', revision: 1, spec })).rejects.toThrow(/no artifact/);
    expect(h.services.runtimes.size).toBe(before);
  });

  it('refuses an anonymous call once the deployment is no longer public', async () => {
    await put('open', { targets: [{ model: 'lin', version: 1, weight: 100 }], public: false });
    await expect(
      h.services.inference.predict({ project: 'default', deployment: 'open', anonymous: true, decode: () => ({ rows: 1, inputs: [] }) }),
    ).rejects.toMatchObject({ kind: 'unauthenticated' });
  });
});
