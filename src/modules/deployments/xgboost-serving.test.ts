/**
 * The xgboost-json flavor end to end through HTTP: registration reads the signature from the model's
 * feature names, a deployment serves it with the native evaluator, and the answers equal xgboost's own
 * predictions (fixtures made by python3-xgboost, test/fixtures/xgboost/make_models.py) within 1e-5,
 * missing values (null) included.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, versionUpload, type Harness } from '../../../test/support/harness.js';

const fixture = (name: string) => new URL(`../../../test/fixtures/xgboost/${name}`, import.meta.url);
const bytes = (name: string) => new Uint8Array(readFileSync(fixture(name)));
const expected = (name: string) => JSON.parse(readFileSync(fixture(name), 'utf8')) as { x: (number | null)[][]; prediction: number[] | number[][]; numFeatures: number };

let h: Harness;
let maintainer: Record<string, string>;

async function register(model: string, file: string, metadata: Record<string, unknown> = { flavor: 'xgboost-json' }) {
  await h.app.inject({ method: 'POST', url: '/api/v1/models', headers: maintainer, payload: { name: model } });
  const { body, contentType } = versionUpload(bytes(file), metadata);
  return h.app.inject({ method: 'POST', url: `/api/v1/models/${model}/versions`, headers: { ...maintainer, 'content-type': contentType }, payload: body });
}

beforeAll(async () => {
  h = await createHarness({ bodyLimitBytes: 8 * 1024 * 1024 });
  maintainer = { authorization: `Bearer ${await h.tokenFor('deployer', 'maria')}` };
});
afterAll(() => h.close());

describe('xgboost-json models', () => {
  it('registers with a signature from the feature names and types', async () => {
    const r = await register('named', 'named-features.json');
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({
      status: 'READY',
      flavor: 'xgboost-json',
      signature: {
        inputs: ['income', 'age', 'home_owner', 'score'].map((name) => ({ name, datatype: 'FP32', shape: [-1] })),
        outputs: [{ name: 'probability', datatype: 'FP64', shape: [-1, 1] }],
      },
    });
  });

  it('refuses a model it cannot evaluate exactly, and a file that is not a model, with the reason', async () => {
    const cat = await register('cat', 'categorical.json');
    expect(cat.statusCode).toBe(422);
    expect(cat.json().error.message).toMatch(/categorical/);
    await h.app.inject({ method: 'POST', url: '/api/v1/models', headers: maintainer, payload: { name: 'junk' } });
    const { body, contentType } = versionUpload(new TextEncoder().encode('{"learner": {}}'), { flavor: 'xgboost-json' });
    const junk = await h.app.inject({ method: 'POST', url: '/api/v1/models/junk/versions', headers: { ...maintainer, 'content-type': contentType }, payload: body });
    expect(junk.statusCode).toBe(422);
    expect(junk.json().error.message).toMatch(/learner/);
  });

  for (const [model, file] of [
    ['binary', 'binary-logistic'],
    ['multi', 'multi-softprob'],
    ['reg', 'reg-squarederror'],
  ] as const) {
    it(`serves ${file} with xgboost's outputs within 1e-5 through Steward's JSON, MLflow and V2`, async () => {
      expect((await register(model, `${file}.json`)).statusCode).toBe(201);
      expect((await h.app.inject({ method: 'PUT', url: `/api/v1/deployments/${model}`, headers: maintainer, payload: { targets: [{ model, version: 1, weight: 100 }] } })).statusCode).toBe(201);
      const want = expected(`${file}.expected.json`);
      const names = Array.from({ length: want.numFeatures }, (_, i) => `f${i}`);
      const rows = want.x.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i]])));
      const steward = await h.app.inject({ method: 'POST', url: `/api/v1/deployments/${model}/predict`, headers: maintainer, payload: { rows } });
      expect(steward.statusCode).toBe(200);
      const got = steward.json().predictions as (number | number[])[];
      const flat = (v: unknown) => (Array.isArray(v) ? (v as number[]) : [v as number]);
      // xgboost's predictions, row-major (rows × classes for multiclass).
      const reference = (want.prediction as (number | number[])[]).flat();
      const values = got.flatMap(flat);
      expect(got).toHaveLength(want.x.length);
      expect(values).toHaveLength(reference.length);
      const worst = Math.max(...values.map((v, k) => Math.abs(v - reference[k]!)));
      expect(worst).toBeLessThan(1e-5);

      const mlflow = await h.app.inject({ method: 'POST', url: `/deployments/${model}/invocations`, headers: maintainer, payload: { dataframe_split: { columns: names, data: want.x } } });
      expect(mlflow.json().predictions).toEqual(got);

      const v2 = await h.app.inject({
        method: 'POST',
        url: `/v2/models/${model}/infer`,
        headers: maintainer,
        payload: { inputs: names.map((n, i) => ({ name: n, datatype: 'FP32', shape: [want.x.length], data: want.x.map((r) => r[i]) })) },
      });
      expect(v2.statusCode).toBe(200);
      expect(v2.json().outputs[0].data.length).toBe(got.flatMap(flat).length);
      expect(v2.json().outputs[0].data).toEqual(got.flatMap(flat));
    });
  }
});
