/**
 * A large catalogue for the browser suite's page-load timings: 100 models × 20 versions (rows written
 * straight into the server's SQLite store, all pointing at one real registered artifact) and 100k
 * predictions sent through a deployment in batches of 1,000 rows.
 */
import { join } from 'node:path';
import { openDatabase } from '../../src/db/database.js';
import { createMetadataStore } from '../../src/db/metadata-store.js';
import { newId } from '../../src/platform/ids.js';
import { linearModel } from '../fixtures/models.js';
import { versionUpload } from '../support/harness.js';

export interface SeedResult {
  models: number;
  versionsPerModel: number;
  predictions: number;
}

export async function seedCatalogue(url: string, token: string, home: string, options = { models: 100, versions: 20, predictions: 100_000 }): Promise<SeedResult> {
  const auth = { authorization: `Bearer ${token}` };
  const json = { ...auth, 'content-type': 'application/json' };
  await fetch(`${url}/api/v1/models`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'seed-source' }) });
  const { body, contentType } = versionUpload(linearModel());
  const registered = await fetch(`${url}/api/v1/models/seed-source/versions`, { method: 'POST', headers: { ...auth, 'content-type': contentType }, body });
  if (registered.status !== 201) throw new Error(`seed: registering the source model gave ${registered.status}`);
  const source = (await registered.json()) as { sha256: string; size: number; signature: unknown };

  const db = await openDatabase({ kind: 'sqlite', file: join(home, 'steward.db') });
  const store = createMetadataStore(db);
  try {
    const project = (await store.projects.getByName('default'))!;
    let t = Date.now() - options.models * options.versions * 1000;
    for (let m = 0; m < options.models; m++) {
      await store.transaction(async (tx) => {
        const at = () => new Date((t += 1000)).toISOString();
        const modelId = newId(t);
        const created = at();
        await tx.models.insert({ id: modelId, project_id: project.id, name: `model-${String(m).padStart(3, '0')}`, description: `seeded model ${m}`, owner: 'admin', last_version: options.versions, created_at: created, created_by: 'admin', updated_at: created, updated_by: 'admin' });
        for (let v = 1; v <= options.versions; v++) {
          const when = at();
          await tx.versions.insert({
            id: newId(t),
            model_id: modelId,
            version: v,
            status: 'READY',
            status_message: null,
            flavor: 'onnx',
            artifact_sha256: source.sha256,
            artifact_size: source.size,
            signature: JSON.stringify(source.signature),
            input_example: null,
            metrics: JSON.stringify({ rmse: 1 / v, mae: 0.5 / v }),
            params: JSON.stringify({ alpha: String(v / 10) }),
            source_run: null,
            dataset_version: null,
            parent_version: v > 1 ? v - 1 : null,
            description: '',
            stage: v === options.versions ? 'Production' : 'None',
            created_at: when,
            created_by: 'admin',
            updated_at: when,
            updated_by: 'admin',
          });
        }
      });
    }
  } finally {
    await store.close();
  }

  const put = await fetch(`${url}/api/v1/deployments/seeded`, { method: 'PUT', headers: json, body: JSON.stringify({ targets: [{ model: 'model-000', version: 20, weight: 100 }] }) });
  if (put.status !== 201) throw new Error(`seed: deploying gave ${put.status}: ${await put.text()}`);
  const rows = Array.from({ length: 1000 }, (_, i) => ({ f0: i / 1000, f1: 1, f2: -1, f3: 0.5 }));
  const payload = JSON.stringify({ rows });
  for (let sent = 0; sent < options.predictions; sent += rows.length) {
    const r = await fetch(`${url}/api/v1/deployments/seeded/predict`, { method: 'POST', headers: json, body: payload });
    if (r.status !== 200) throw new Error(`seed: predicting gave ${r.status}`);
    await r.arrayBuffer();
  }
  return { models: options.models, versionsPerModel: options.versions, predictions: options.predictions };
}
