/**
 * Shadow traffic: every request is copied to the shadows after the primary has answered; a shadow that
 * hangs or throws changes nothing that the client sees. The shadow models are test doubles (a native
 * flavor whose call waits on a gate the test opens, or throws), because no real model file can be told
 * to hang; the primary is a real ONNX model.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearModel } from '../../../test/fixtures/models.js';
import { createHarness, versionUpload, type Harness } from '../../../test/support/harness.js';
import { versionRow } from '../../../test/support/rows.js';
import { newId } from '../../platform/ids.js';
import { readPredictions } from '../../serving/prediction-log/prediction-log-reader.js';
import type { PredictionRecord } from '../../serving/prediction-log/prediction-log.js';
import type { NativeModel } from '../../serving/runtimes.js';
import type { Tensor } from '../../serving/tensors.js';

let h: Harness;
let maintainer: Record<string, string>;
let openGate: () => void = () => {};
const gate = new Promise<void>((resolve) => (openGate = resolve));
let shadowCalls = 0;

/** A 4-feature model (input x [-1, 4]) that answers the sum of its inputs, after a gate or with an error. */
function doubleModel(bytes: Uint8Array): NativeModel {
  const mode = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { mode: string }).mode;
  return {
    signature: { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }], outputs: [{ name: 'y', datatype: 'FP64', shape: [-1, 1] }] },
    acceptsMissing: false,
    run(inputs: Tensor[], rows: number) {
      const x = inputs[0]!.data as Float32Array;
      const y = new Float64Array(rows);
      for (let r = 0; r < rows; r++) y[r] = x[r * 4]! + x[r * 4 + 1]! + x[r * 4 + 2]! + x[r * 4 + 3]!;
      const out = [{ name: 'y', datatype: 'FP64' as const, shape: [rows, 1], data: y }];
      const warmUp = x.every((v) => v === 0);
      if (warmUp) return out;
      shadowCalls++;
      if (mode === 'throw') throw new Error('shadow model exploded');
      // Answers only when the test opens the gate: the caller gets a promise-like result.
      return gate.then(() => out) as unknown as (Tensor | null)[];
    },
  };
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const row = (i: number) => ({ f0: i, f1: 1, f2: 2, f3: 3 });

async function addDoubleVersion(model: string, version: number, mode: string): Promise<void> {
  const m = await h.store.models.get((await h.store.projects.getByName('default'))!.id, model);
  const staged = await h.artifacts.stage(Readable.from([Buffer.from(JSON.stringify({ mode }))]));
  await staged.commit();
  await h.store.models.allocateVersion(m!.id);
  await h.store.versions.insert(versionRow(m!.id, version, { id: newId(Date.now()), flavor: 'test-double', artifact_sha256: staged.sha256, artifact_size: staged.size }));
}

async function records(): Promise<PredictionRecord[]> {
  const out: PredictionRecord[] = [];
  for await (const r of readPredictions(h.predictionLog.dir)) out.push(r);
  return out;
}

beforeAll(async () => {
  h = await createHarness({ natives: { 'test-double': doubleModel } });
  maintainer = bearer(await h.tokenFor('deployer', 'maria'));
  await h.app.inject({ method: 'POST', url: '/api/v1/models', headers: maintainer, payload: { name: 'lin' } });
  const { body, contentType } = versionUpload(linearModel());
  expect((await h.app.inject({ method: 'POST', url: '/api/v1/models/lin/versions', headers: { ...maintainer, 'content-type': contentType }, payload: body })).statusCode).toBe(201);
  await h.app.inject({ method: 'POST', url: '/api/v1/models', headers: maintainer, payload: { name: 'shadowy' } });
  await addDoubleVersion('shadowy', 1, 'gate');
  await addDoubleVersion('shadowy', 2, 'throw');
});
afterAll(() => h.close());

const predict = (name: string, i: number) => h.app.inject({ method: 'POST', url: `/api/v1/deployments/${name}/predict`, headers: maintainer, payload: { rows: [row(i)] } });

describe('shadow traffic', () => {
  it('answers from the primary while a shadow hangs, then logs the shadow outputs under the same ids', async () => {
    expect((await h.app.inject({ method: 'PUT', url: '/api/v1/deployments/plain', headers: maintainer, payload: { targets: [{ model: 'lin', version: 1, weight: 100 }] } })).statusCode).toBe(201);
    const put = await h.app.inject({
      method: 'PUT',
      url: '/api/v1/deployments/shadowed',
      headers: maintainer,
      payload: { targets: [{ model: 'lin', version: 1, weight: 100 }], shadow: [{ model: 'shadowy', version: 1 }] },
    });
    expect(put.statusCode).toBe(201);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const [plain, shadowed] = await Promise.all([predict('plain', i), predict('shadowed', i)]);
      expect(shadowed.statusCode).toBe(200);
      expect(shadowed.json().predictions).toEqual(plain.json().predictions);
      expect(shadowed.json().modelVersion).toEqual({ model: 'lin', version: 1 });
      ids.push(shadowed.json().predictionIds[0]);
    }
    // Every answer came back while all 20 shadow calls were still waiting at the gate.
    await new Promise((r) => setImmediate(r));
    expect(shadowCalls).toBe(20);
    expect((await records()).filter((r) => r.shadow)).toHaveLength(0);
    openGate();
    await new Promise((r) => setTimeout(r, 50));
    const shadowRecords = (await records()).filter((r) => r.shadow && r.deployment === 'shadowed');
    expect(shadowRecords.map((r) => r.id).sort()).toEqual([...ids].sort());
    const all = await records();
    for (const r of shadowRecords) {
      // Same inputs as the primary: the shadow's record leaves them out; the primary's (same id) has them.
      expect(r).toMatchObject({ model: 'shadowy', version: 1, shadow: true, inputs: {} });
      const primary = all.find((p) => p.id === r.id && !p.shadow)!;
      expect(primary).toMatchObject({ model: 'lin', deployment: 'shadowed' });
      expect(r.outputs).toBe((primary.inputs as Record<string, number>).f0! + 6);
    }
  });

  it('keeps answering unchanged when the shadow throws, and logs the failure', async () => {
    await h.app.inject({
      method: 'PUT',
      url: '/api/v1/deployments/shadowed',
      headers: maintainer,
      payload: { targets: [{ model: 'lin', version: 1, weight: 100 }], shadow: [{ model: 'shadowy', version: 2 }] },
    });
    const plain = await predict('plain', 5);
    const r = await predict('shadowed', 5);
    expect(r.statusCode).toBe(200);
    expect(r.json().predictions).toEqual(plain.json().predictions);
    await new Promise((res) => setTimeout(res, 50));
    const failed = (await records()).find((x) => x.id === r.json().predictionIds[0] && x.shadow);
    expect(failed).toMatchObject({ status: 'error', error: 'shadow model exploded', model: 'shadowy', version: 2 });
    const metrics = await h.app.inject({ method: 'GET', url: '/metrics', headers: maintainer });
    expect(metrics.body).toMatch(/steward_shadow_requests_total\{deployment="default\/shadowed",model="shadowy",version="2",outcome="error"\} 1/);
  });
});
