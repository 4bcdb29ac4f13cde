/**
 * A Steward app for the shadow benchmark, in its own process: the real app (buildApp through the test
 * harness, SQLite, prediction log, metrics) with two extra native test flavors a real model file cannot
 * provide: a shadow that takes 50 ms (a timer, not CPU) and a shadow that throws. Deploys three deployments
 * of the same real ONNX model — plain, with the sleeping shadow, with the throwing shadow — and prints
 * {"url", "token"} on stdout.
 */
import { Readable } from 'node:stream';
import { createHarness, versionUpload } from '../test/support/harness.js';
import { versionRow } from '../test/support/rows.js';
import { newId } from '../src/platform/ids.js';
import type { NativeModel } from '../src/serving/runtimes.js';
import type { Tensor } from '../src/serving/tensors.js';
import { benchMlp } from './serving.bench.js';

function double(bytes: Uint8Array): NativeModel {
  const mode = Buffer.from(bytes).toString('utf8');
  return {
    signature: { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 20] }], outputs: [{ name: 'y', datatype: 'FP64', shape: [-1, 1] }] },
    acceptsMissing: false,
    run(inputs: Tensor[], rows: number) {
      const out = [{ name: 'y', datatype: 'FP64' as const, shape: [rows, 1], data: new Float64Array(rows) }];
      const x = inputs[0]!.data as Float32Array;
      if (x.every((v) => v === 0)) return out; // the warm-up call
      if (mode === 'throw') throw new Error('shadow failure');
      return new Promise((resolve) => setTimeout(() => resolve(out), 50)) as unknown as (Tensor | null)[];
    },
  };
}

const h = await createHarness({ natives: { 'bench-double': double }, bodyLimitBytes: 1 << 20 });
const json = { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/json' };
await h.app.inject({ method: 'POST', url: '/api/v1/models', headers: json, payload: { name: 'mlp20' } });
const { body, contentType } = versionUpload(benchMlp());
const reg = await h.app.inject({ method: 'POST', url: '/api/v1/models/mlp20/versions', headers: { authorization: json.authorization, 'content-type': contentType }, payload: body });
if (reg.statusCode !== 201) throw new Error(reg.body);
await h.app.inject({ method: 'POST', url: '/api/v1/models', headers: json, payload: { name: 'shadow' } });
const m = await h.store.models.get((await h.store.projects.getByName('default'))!.id, 'shadow');
for (const [version, mode] of [[1, 'sleep'], [2, 'throw']] as const) {
  const staged = await h.artifacts.stage(Readable.from([Buffer.from(mode)]));
  await staged.commit();
  await h.store.models.allocateVersion(m!.id);
  await h.store.versions.insert(versionRow(m!.id, version, { id: newId(Date.now()), flavor: 'bench-double', artifact_sha256: staged.sha256, artifact_size: staged.size }));
}
const deployments: [string, unknown[]][] = [
  ['plain', []],
  ['sleepy', [{ model: 'shadow', version: 1 }]],
  ['throwing', [{ model: 'shadow', version: 2 }]],
];
for (const [name, shadow] of deployments) {
  const r = await h.app.inject({ method: 'PUT', url: `/api/v1/deployments/${name}`, headers: json, payload: { targets: [{ model: 'mlp20', version: 1, weight: 100 }], shadow } });
  if (r.statusCode !== 201) throw new Error(r.body);
}
const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ url, token: h.adminToken })}\n`);
process.on('SIGTERM', () => void h.close().then(() => process.exit(0)));
