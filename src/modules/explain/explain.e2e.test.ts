/**
 * Explanations end to end through HTTP on a real app (SQLite, real onnxruntime, real xgboost model,
 * real prediction log):
 * - a deployed xgboost model explains requests with exact TreeSHAP equal to xgboost's own pred_contribs
 *   (test/fixtures/xgboost/make_contribs.py) within 1e-4, additive to the served prediction's log-odds;
 * - an ONNX classifier falls back to KernelSHAP and says so; its values equal the exact Shapley values of
 *   the background game, computed here from the deployment's own /predict answers (2^4 coalitions);
 * - logged predictions are explained by id with the version that made them;
 * - global reports run as jobs: importance, permutation importance, PDP/ICE, 2-D PD; a failing report is
 *   marked failed with its reason and can be retried;
 * - bad input gets a 400 naming the field, and nothing changes.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { weights } from '../../../test/fixtures/models.js';
import { OnnxGraphBuilder } from '../../ml/onnx/onnx-builder.js';
import { treeShapInteractions } from '../../ml/trees/tree-shap.js';
import { parseXgboostJson } from '../../ml/trees/xgboost-json.js';
import { createHarness, multipart, versionUpload, type Harness } from '../../../test/support/harness.js';

const XGB = new URL('../../../test/fixtures/xgboost/', import.meta.url);
const FEATURES = ['income', 'age', 'home_owner', 'score'] as const;

let h: Harness;
let maintainer: Record<string, string>;
let viewer: Record<string, string>;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function register(model: string, bytes: Uint8Array, metadata: Record<string, unknown>): Promise<void> {
  await h.app.inject({ method: 'POST', url: '/api/v1/models', headers: maintainer, payload: { name: model } });
  const { body, contentType } = versionUpload(bytes, metadata);
  const r = await h.app.inject({ method: 'POST', url: `/api/v1/models/${model}/versions`, headers: { ...maintainer, 'content-type': contentType }, payload: body });
  expect(r.statusCode, r.body).toBe(201);
}

async function deploy(name: string, model: string, extra: Record<string, unknown> = {}): Promise<void> {
  const r = await h.app.inject({ method: 'PUT', url: `/api/v1/deployments/${name}`, headers: maintainer, payload: { targets: [{ model, version: 1, weight: 100 }], ...extra } });
  expect(r.statusCode, r.body).toBe(201);
}

async function datasetVersion(name: string, header: string[], rows: (number | string | null)[][]): Promise<void> {
  await h.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: maintainer, payload: { name } });
  const text = [header.join(','), ...rows.map((r) => r.map((v) => (v === null ? '' : String(v))).join(','))].join('\n') + '\n';
  const { body, contentType } = multipart([{ name: 'file', value: Buffer.from(text), filename: `${name}.csv` }]);
  const r = await h.app.inject({ method: 'POST', url: `/api/v1/datasets/${name}/versions`, headers: { ...maintainer, 'content-type': contentType }, payload: body });
  expect(r.statusCode, r.body).toBe(201);
}

const logit = (p: number) => Math.log(p / (1 - p));

/** A seeded generator (Park–Miller) for test data. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

beforeAll(async () => {
  h = await createHarness({ bodyLimitBytes: 8 * 1024 * 1024 });
  maintainer = { authorization: `Bearer ${await h.tokenFor('deployer', 'maria')}` };
  viewer = { authorization: `Bearer ${await h.tokenFor('viewer', 'vera')}` };
  await register('loans', new Uint8Array(readFileSync(new URL('named-features.json', XGB))), { flavor: 'xgboost-json' });
  await deploy('loans', 'loans', { public: true });
  await register('mlp', new Uint8Array(readFileSync(new URL('../../../test/fixtures/models/mlp.onnx', import.meta.url))), {});
  await deploy('mlp', 'mlp');
}, 60_000);
afterAll(() => h.close());

describe('explaining requests', () => {
  it("gives xgboost's own SHAP values (within 1e-4) for a tree model, additive to the served prediction", async () => {
    const exp = JSON.parse(readFileSync(new URL('named-features.expected.json', XGB), 'utf8')) as { x: (number | null)[][] };
    const ref = JSON.parse(readFileSync(new URL('named-features.contribs.json', XGB), 'utf8')) as { contribs: number[][][] };
    const rows = exp.x.map((r) => Object.fromEntries(FEATURES.map((f, i) => [f, r[i]])));
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/loans/explain', headers: viewer, payload: { rows } });
    expect(r.statusCode, r.body).toBe(200);
    const e = r.json();
    expect(e).toMatchObject({ method: 'tree', note: null, features: [...FEATURES], outputs: ['log-odds'], space: 'margin', model: { name: 'loans', version: 1 } });
    const predicted = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/loans/predict', headers: viewer, payload: { rows } });
    expect(e.predictions).toEqual(predicted.json().predictions);
    let worst = 0;
    rows.forEach((_, i) => {
      const phi = e.shap[i][0] as number[];
      phi.forEach((v, f) => (worst = Math.max(worst, Math.abs(v - ref.contribs[i]![0]![f]!))));
      worst = Math.max(worst, Math.abs(e.bias[0] - ref.contribs[i]![0]![4]!));
      const total = phi.reduce((a, b) => a + b, e.bias[0] as number);
      expect(Math.abs(total - logit(e.predictions[i]))).toBeLessThan(1e-5);
    });
    expect(worst).toBeLessThanOrEqual(1e-4);
    expect(e.additivityError).toBeLessThan(1e-5);
    // the values explained are the rows sent, missing values as null
    expect(e.values[0]).toEqual(exp.x[0]!.map((v) => (v === null ? null : Math.fround(v))));
  });

  it("gives one output per class for a multiclass tree model, equal to xgboost's pred_contribs", async () => {
    await register('iris3', new Uint8Array(readFileSync(new URL('multi-softprob.json', XGB))), { flavor: 'xgboost-json' });
    await deploy('iris3', 'iris3');
    const exp = JSON.parse(readFileSync(new URL('multi-softprob.expected.json', XGB), 'utf8')) as { x: (number | null)[][] };
    const ref = JSON.parse(readFileSync(new URL('multi-softprob.contribs.json', XGB), 'utf8')) as { contribs: number[][][]; numFeatures: number };
    const F = ref.numFeatures;
    const rows = exp.x.map((r) => Object.fromEntries(r.map((v, i) => [`f${i}`, v])));
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/iris3/explain', headers: viewer, payload: { rows } });
    expect(r.statusCode, r.body).toBe(200);
    const e = r.json();
    expect(e.outputs).toEqual(['class 0', 'class 1', 'class 2']);
    let worst = 0;
    rows.forEach((_, i) => {
      for (let o = 0; o < 3; o++) {
        for (let f = 0; f < F; f++) worst = Math.max(worst, Math.abs(e.shap[i][o][f] - ref.contribs[i]![o]![f]!));
        worst = Math.max(worst, Math.abs(e.bias[o] - ref.contribs[i]![o]![F]!));
      }
      // softmax of the margins (Σ φ + bias per class) gives the served probabilities
      const margins = [0, 1, 2].map((o) => (e.shap[i][o] as number[]).reduce((a, b) => a + b, e.bias[o] as number));
      const z = margins.map((m) => Math.exp(m - Math.max(...margins)));
      const sum = z.reduce((a, b) => a + b, 0);
      z.forEach((v, o) => expect(Math.abs(v / sum - e.predictions[i][o])).toBeLessThan(1e-5));
    });
    expect(worst).toBeLessThanOrEqual(1e-4);
  });

  it("gives xgboost's own SHAP interaction values (within 1e-4) when asked, and refuses them for a model without trees", async () => {
    const exp = JSON.parse(readFileSync(new URL('named-features.expected.json', XGB), 'utf8')) as { x: (number | null)[][] };
    const ref = JSON.parse(readFileSync(new URL('named-features.contribs.json', XGB), 'utf8')) as { interactions: number[][][][] };
    const rows = exp.x.slice(0, 8).map((r) => Object.fromEntries(FEATURES.map((f, i) => [f, r[i]])));
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/loans/explain', headers: viewer, payload: { rows, interactions: true } });
    expect(r.statusCode, r.body).toBe(200);
    const inter = r.json().interactions as number[][][][];
    expect(inter).toHaveLength(8);
    let worst = 0;
    inter.forEach((row, i) => row[0]!.forEach((line, a) => line.forEach((v, b) => (worst = Math.max(worst, Math.abs(v - ref.interactions[i]![0]![a]![b]!))))));
    expect(worst).toBeLessThanOrEqual(1e-4);
    const onnx = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/mlp/explain', headers: viewer, payload: { rows: [{ f0: 0, f1: 0, f2: 0, f3: 0 }], interactions: true } });
    expect(onnx.statusCode).toBe(400);
    expect(onnx.json().error.message).toMatch(/interaction values need exact TreeSHAP/);
  });

  it('explains with the version the next request would get, without taking its turn in the split', async () => {
    const { body, contentType } = versionUpload(new Uint8Array(readFileSync(new URL('named-features.json', XGB))), { flavor: 'xgboost-json' });
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/models/loans/versions', headers: { ...maintainer, 'content-type': contentType }, payload: body })).statusCode).toBe(201);
    const put = await h.app.inject({ method: 'PUT', url: '/api/v1/deployments/split', headers: maintainer, payload: { targets: [{ model: 'loans', version: 1, weight: 90 }, { model: 'loans', version: 2, weight: 10 }] } });
    expect(put.statusCode, put.body).toBe(201);
    const row = { income: 30000, age: 40, home_owner: 0, score: 0.1 };
    const explained = new Set<number>();
    for (let i = 0; i < 10; i++) {
      const r = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/split/explain', headers: viewer, payload: { rows: [row] } });
      explained.add(r.json().model.version);
    }
    // Ten requests through a 90/10 split reach the canary once; ten explanations take no turn at all.
    expect([...explained]).toEqual([1]);
    const served: number[] = [];
    for (let i = 0; i < 10; i++) served.push((await h.app.inject({ method: 'POST', url: '/api/v1/deployments/split/predict', headers: viewer, payload: { rows: [row] } })).json().modelVersion.version);
    expect(served.filter((v) => v === 2)).toHaveLength(1);
  });

  it('refuses bad input with a 400 naming the field, and anonymous callers even on a public deployment', async () => {
    const bad = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/loans/explain', headers: viewer, payload: { rows: [{ income: 1, age: 2, home_owner: 0, score: 1, colour: 'red' }] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/colour/);
    const field = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/loans/explain', headers: viewer, payload: { rows: [{ income: 'lots', age: 2, home_owner: 0, score: 1 }] } });
    expect(field.statusCode).toBe(400);
    expect(field.json().error.message).toMatch(/income/);
    const bg = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/loans/explain', headers: viewer, payload: { rows: [{ income: 1, age: 2, home_owner: 0, score: 1 }], background: { rows: [{ wrong: 1 }] } } });
    expect(bg.statusCode).toBe(400);
    expect(bg.json().error.message).toMatch(/background\.rows/);
    const anon = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/loans/explain', payload: { rows: [{ income: 1, age: 2, home_owner: 0, score: 1 }] } });
    expect(anon.statusCode).toBe(401);
    const missing = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/nowhere/explain', headers: viewer, payload: { rows: [] } });
    expect(missing.statusCode).toBe(404);
  });

  it('falls back to KernelSHAP for an ONNX model, says so, and matches the exact Shapley values of the background game', async () => {
    const rnd = lcg(7);
    const background = Array.from({ length: 6 }, () => Object.fromEntries([0, 1, 2, 3].map((k) => [`f${k}`, Math.fround(rnd() * 2 - 1)])));
    const x = { f0: 0.5, f1: -0.25, f2: 0.75, f3: -0.5 };
    const none = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/mlp/explain', headers: viewer, payload: { rows: [x] } });
    expect(none.statusCode).toBe(400);
    expect(none.json().error.message).toMatch(/background/);
    const tooMuch = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/mlp/explain', headers: viewer, payload: { rows: Array.from({ length: 100 }, () => x), background: { rows: Array.from({ length: 1000 }, (_, i) => background[i % 6]) }, nsamples: 100_000 } });
    expect(tooMuch.statusCode).toBe(200); // 4 features: 14 coalitions at most, whatever nsamples says
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/mlp/explain', headers: viewer, payload: { rows: [x], background: { rows: background } } });
    expect(r.statusCode, r.body).toBe(200);
    const e = r.json();
    expect(e.method).toBe('kernel');
    expect(e.note).toMatch(/KernelSHAP.*onnx/);
    expect(e.space).toBe('log');
    expect(e.outputs).toHaveLength(3);
    expect(e.additivityError).toBeLessThan(1e-9);
    // The oracle: v(S) = log(mean over the background of p(x_S, b_rest)), from the deployment's answers.
    const M = 4;
    const coalitionRows: Record<string, number>[] = [];
    for (let mask = 0; mask < 1 << M; mask++) {
      for (const b of background) coalitionRows.push(Object.fromEntries([0, 1, 2, 3].map((k) => [`f${k}`, mask & (1 << k) ? x[`f${k}` as keyof typeof x] : b[`f${k}`]!])));
    }
    const p = (await h.app.inject({ method: 'POST', url: '/api/v1/deployments/mlp/predict', headers: viewer, payload: { rows: coalitionRows } })).json().predictions as number[][];
    const v = (mask: number, o: number) => Math.log(background.reduce((s, _, j) => s + p[mask * background.length + j]![o]!, 0) / background.length);
    const fact = [1, 1, 2, 6, 24];
    for (let o = 0; o < 3; o++) {
      expect(Math.abs(e.bias[o] - v(0, o))).toBeLessThan(1e-6);
      for (let i = 0; i < M; i++) {
        let phi = 0;
        for (let mask = 0; mask < 1 << M; mask++) {
          if (mask & (1 << i)) continue;
          const s = [0, 1, 2, 3].filter((k) => mask & (1 << k)).length;
          phi += ((fact[s]! * fact[M - s - 1]!) / fact[M]!) * (v(mask | (1 << i), o) - v(mask, o));
        }
        // onnxruntime computes in float32: the game itself is known to about 1e-7
        expect(Math.abs(e.shap[0][o][i] - phi), `output ${o}, feature ${i}`).toBeLessThan(1e-6);
      }
    }
  });

  it('samples coalitions for an ONNX model with 20 features (exact for a linear model), and bounds the work of one request', async () => {
    const W = weights(20, 41);
    const bytes = new OnnxGraphBuilder('wide_linear')
      .input('x', 'FLOAT', ['batch', 20])
      .floatInitializer('W', [20, 1], W)
      .floatInitializer('b', [1], Float32Array.of(0.5))
      .node('MatMul', ['x', 'W'], ['xw'])
      .node('Add', ['xw', 'b'], ['y'])
      .output('y', 'FLOAT', ['batch', 1])
      .toBytes();
    await register('wide', bytes, {});
    await deploy('wide', 'wide');
    const rnd = lcg(13);
    const row = () => Object.fromEntries(Array.from({ length: 20 }, (_, k) => [`f${k}`, Math.fround(rnd() * 4 - 2)]));
    const background = Array.from({ length: 30 }, row);
    const x = row();
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/wide/explain', headers: viewer, payload: { rows: [x], background: { rows: background } } });
    expect(r.statusCode, r.body).toBe(200);
    const e = r.json();
    expect(e).toMatchObject({ method: 'kernel', space: 'identity', outputs: ['value'] });
    expect(e.note).toMatch(/2088 coalitions sampled/);
    // A linear game is fitted exactly by the regression: φ_i = w_i (x_i − mean of the background's x_i).
    for (let i = 0; i < 20; i++) {
      const mean = background.reduce((s, b) => s + b[`f${i}`]!, 0) / background.length;
      expect(Math.abs(e.shap[0][0][i] - W[i]! * (x[`f${i}`]! - mean)), `f${i}`).toBeLessThan(1e-4);
    }
    const tooMuch = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/wide/explain', headers: viewer, payload: { rows: Array.from({ length: 100 }, row), background: { rows: Array.from({ length: 200 }, row) }, nsamples: 5000 } });
    expect(tooMuch.statusCode).toBe(400);
    expect(tooMuch.json().error.message).toMatch(/nsamples.*at most 25,000,000/s);
  });

  it('explains a logged prediction by its id with the version that made it', async () => {
    const row = { income: 42000, age: 37, home_owner: 1, score: 0.3 };
    const predicted = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/loans/predict', headers: viewer, payload: { rows: [row] } });
    const id = predicted.json().predictionIds[0] as string;
    const direct = (await h.app.inject({ method: 'POST', url: '/api/v1/deployments/loans/explain', headers: viewer, payload: { rows: [row] } })).json();
    const r = await h.app.inject({ method: 'GET', url: `/api/v1/predictions/${id}/explanation`, headers: viewer });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ predictionId: id, deployment: 'loans', model: { name: 'loans', version: 1 }, method: 'tree', shap: direct.shap, bias: direct.bias, predictions: predicted.json().predictions });
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/predictions/not-an-id/explanation', headers: viewer })).statusCode).toBe(400);
    const unknown = await h.app.inject({ method: 'GET', url: `/api/v1/predictions/${id.slice(0, -4)}ffff/explanation`, headers: viewer });
    expect(unknown.statusCode).toBe(404);
  });
});

describe('global explanation reports', () => {
  const rnd = lcg(11);
  const rows = Array.from({ length: 400 }, () => {
    const income = Math.round(5000 + rnd() * 60000);
    const age = Math.round(20 + rnd() * 50);
    const owner = rnd() < 0.4 ? 1 : 0;
    const score = Number((rnd() * 4 - 2).toFixed(3));
    const label = score + owner * 0.5 + (rnd() - 0.5) > 0 ? 1 : 0;
    return [income, age, owner, score, label, label === 1 ? 'yes' : rnd() < 0.5 ? 'no' : 'maybe'];
  });

  beforeAll(async () => {
    await datasetVersion('applications', [...FEATURES, 'approved', 'verdict'], rows);
  });

  async function finished(model: string, id: string): Promise<ReturnType<typeof JSON.parse>> {
    return waitFor('the report', async () => {
      const r = await h.app.inject({ method: 'GET', url: `/api/v1/models/${model}/versions/1/explanations/${id}`, headers: viewer });
      const s = r.json().status;
      return s === 'succeeded' || s === 'failed' ? r.json() : undefined;
    });
  }

  it('computes importance, permutation importance, PDP/ICE and 2-D PD for a tree model as a job', async () => {
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/v1/models/loans/versions/1/explanations',
      headers: maintainer,
      payload: { dataset: 'applications', version: 1, target: 'approved', rows: 300, pairs: [['score', 'income']] },
    });
    expect(r.statusCode, r.body).toBe(202);
    expect(r.json()).toMatchObject({ status: 'queued', dataset: { name: 'applications', version: 1 } });
    const report = await finished('loans', r.json().id);
    expect(report.status, report.error).toBe('succeeded');
    const res = report.result;
    expect(res.method).toBe('tree');
    expect(res.features).toEqual([...FEATURES]);
    expect(res.samples.shap).toHaveLength(300);
    // importance = mean |SHAP| over the sample, largest first
    const f0 = res.importance[0].feature as string;
    const idx = FEATURES.indexOf(f0 as (typeof FEATURES)[number]);
    const mean = res.samples.shap.reduce((s: number, row: number[][]) => s + Math.abs(row[0]![idx]!), 0) / 300;
    expect(res.importance[0].meanAbsShap).toBeCloseTo(mean, 10);
    for (let i = 1; i < res.importance.length; i++) expect(res.importance[i - 1].meanAbsShap).toBeGreaterThanOrEqual(res.importance[i].meanAbsShap);
    expect(res.additivityError).toBeLessThan(1e-5);
    expect(res.permutation).toMatchObject({ metric: 'roc_auc', repeats: 5 });
    expect(res.permutation.baseline).toBeGreaterThan(0.5);
    expect(res.permutation.features).toHaveLength(4);
    // PDP for the five most important features (four here), probabilities in [0, 1]
    expect(res.partialDependence.map((p: { feature: string }) => p.feature)).toEqual(res.importance.map((i: { feature: string }) => i.feature));
    const owner = res.partialDependence.find((p: { feature: string }) => p.feature === 'home_owner');
    expect(owner.grid).toEqual([0, 1]);
    for (const p of res.partialDependence) {
      expect(p.outputs).toEqual(['probability']);
      expect(p.ice[0].length).toBe(50);
      for (const v of p.average[0]) expect(v).toBeGreaterThanOrEqual(0);
      // the average curve is the mean of every row's curve, so it lies within the ICE lines' range
      for (let g = 0; g < p.grid.length; g++) {
        const at = p.ice[0].map((line: number[]) => line[g]);
        expect(p.average[0][g]).toBeLessThanOrEqual(Math.max(...at) + 1e-12);
      }
    }
    // Interaction values of the first 200 explained rows: mean |Φ_ij|, as the library computes them directly.
    expect(res.interactions.rows).toBe(200);
    expect(res.interactions.features).toEqual([...FEATURES]);
    const { ensemble } = parseXgboostJson(new Uint8Array(readFileSync(new URL('named-features.json', XGB))));
    const xs = Float32Array.from((res.samples.x as (number | null)[][]).slice(0, 200).flat(), (v) => (v === null ? NaN : v));
    const direct = treeShapInteractions(ensemble, xs, 200).values;
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        let m = 0;
        for (let r = 0; r < 200; r++) m += Math.abs(direct[(r * 4 + i) * 4 + j]!) / 200;
        expect(res.interactions.meanAbs[i][j]).toBeCloseTo(m, 9);
      }
    }
    expect(res.interactions.meanAbs.some((row: number[], i: number) => row.some((v, j) => i !== j && v > 0))).toBe(true);
    expect(res.partialDependence2d).toHaveLength(1);
    expect(res.partialDependence2d[0].features).toEqual(['score', 'income']);
    expect(res.partialDependence2d[0].values[0]).toHaveLength(res.partialDependence2d[0].grid[0].length);

    const list = await h.app.inject({ method: 'GET', url: '/api/v1/models/loans/versions/1/explanations', headers: viewer });
    expect(list.json().items[0]).toMatchObject({ id: report.id, status: 'succeeded', summary: { method: 'tree' } });
    expect(list.json().items[0].result).toBeUndefined();
  });

  it('refuses unknown datasets, columns and features with a 400 naming them, and stores nothing', async () => {
    const url = '/api/v1/models/loans/versions/1/explanations';
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ dataset: 'nope', version: 1 }, /dataset/],
      [{ dataset: 'applications', version: 9 }, /version 9/],
      [{ dataset: 'applications', version: 1, target: 'missing_col' }, /missing_col/],
      [{ dataset: 'applications', version: 1, features: ['colour'] }, /colour/],
      [{ dataset: 'applications', version: 1, pairs: [['score', 'score']] }, /pairs\[0\]/],
      [{ dataset: 'applications', version: 1, rows: 5 }, /rows/],
      [{ dataset: 'applications', version: 1, metric: 'roc_auc' }, /metric/],
      [{ dataset: 'applications', version: 1, target: 'approved', metric: 'rmse' }, /metric: rmse scores regression/],
    ];
    const before = (await h.app.inject({ method: 'GET', url, headers: viewer })).json().items.length;
    for (const [payload, message] of cases) {
      const r = await h.app.inject({ method: 'POST', url, headers: maintainer, payload });
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.json().error.message).toMatch(message);
    }
    expect((await h.app.inject({ method: 'GET', url, headers: viewer })).json().items.length).toBe(before);
    expect((await h.app.inject({ method: 'POST', url, headers: viewer, payload: { dataset: 'applications', version: 1 } })).statusCode).toBe(403);
  });

  it('notes a feature whose percentiles leave no grid instead of failing the report', async () => {
    // score: 97% zeros and 150 distinct other values, so its 5th and 95th percentiles are both 0.
    const r = lcg(17);
    const sparse = Array.from({ length: 5000 }, (_, i) => [Math.round(5000 + r() * 60000), Math.round(20 + r() * 50), r() < 0.4 ? 1 : 0, i % 33 === 0 ? Number((i / 1000 + 0.001).toFixed(3)) : 0]);
    await datasetVersion('sparse', [...FEATURES], sparse);
    const post = await h.app.inject({ method: 'POST', url: '/api/v1/models/loans/versions/1/explanations', headers: maintainer, payload: { dataset: 'sparse', version: 1, rows: 5000, features: ['score', 'age'] } });
    expect(post.statusCode, post.body).toBe(202);
    const report = await finished('loans', post.json().id);
    expect(report.status, report.error).toBe('succeeded');
    expect(report.result.notes).toEqual([expect.stringMatching(/^no partial dependence for score: .*percentiles/)]);
    expect(report.result.partialDependence.map((p: { feature: string }) => p.feature)).toEqual(['age']);
  });

  it('marks a failing report failed with its reason, and retries it on request', async () => {
    // 'verdict' has three values: too many classes for a binary model, found only once the job reads it.
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/models/loans/versions/1/explanations', headers: maintainer, payload: { dataset: 'applications', version: 1, target: 'verdict', rows: 50 } });
    expect(r.statusCode).toBe(202);
    const failed = await finished('loans', r.json().id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/verdict.*3 distinct values/);
    const retried = await h.app.inject({ method: 'POST', url: `/api/v1/models/loans/versions/1/explanations/${failed.id}/retry`, headers: maintainer });
    expect(retried.statusCode).toBe(202);
    expect(retried.json()).toMatchObject({ status: 'queued', error: null });
    expect(retried.json().jobId).not.toBe(failed.jobId);
    expect((await finished('loans', failed.id)).status).toBe('failed');
    const done = (await h.app.inject({ method: 'GET', url: '/api/v1/models/loans/versions/1/explanations', headers: viewer })).json().items.find((i: { status: string }) => i.status === 'succeeded');
    const again = await h.app.inject({ method: 'POST', url: `/api/v1/models/loans/versions/1/explanations/${done.id}/retry`, headers: maintainer });
    expect(again.statusCode).toBe(409);
  });

  it("weights monitoring's drift share by the report's importance, and reports attribution drift", async () => {
    const ref = await h.app.inject({ method: 'POST', url: '/api/v1/models/loans/versions/1/reference', headers: maintainer, payload: { dataset: 'applications', version: 1 } });
    expect(ref.statusCode, ref.body).toBe(202);
    await waitFor('the reference', async () => {
      const g = (await h.app.inject({ method: 'GET', url: '/api/v1/models/loans/versions/1/reference', headers: viewer })).json();
      if (g.status === 'FAILED') throw new Error(g.error);
      return g.status === 'READY' ? true : undefined;
    });
    // Current rows with the score shifted up: score's drift counts by its weight.
    const current = rows.slice(0, 200).map((r) => ({ income: r[0], age: r[1], home_owner: r[2], score: (r[3] as number) + 2 }));
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/deployments/loans/predict', headers: viewer, payload: { rows: current } })).statusCode).toBe(200);
    await h.services.monitoring.foldNow();
    const m = (await h.app.inject({ method: 'GET', url: '/api/v1/deployments/loans/monitoring', headers: viewer })).json();
    expect(m.importanceSource).toBe('explanation');
    const reports = (await h.app.inject({ method: 'GET', url: '/api/v1/models/loans/versions/1/explanations', headers: viewer })).json().items;
    const report = (await h.app.inject({ method: 'GET', url: `/api/v1/models/loans/versions/1/explanations/${reports.find((i: { status: string }) => i.status === 'succeeded').id}`, headers: viewer })).json();
    const weights = Object.fromEntries(report.result.importance.map((i: { feature: string; meanAbsShap: number }) => [i.feature, i.meanAbsShap]));
    const total = Object.values(weights).reduce((a: number, b) => a + (b as number), 0);
    const hit = Object.entries(m.drift.features).filter(([, d]) => (d as { drifted: boolean }).drifted).reduce((a, [f]) => a + weights[f], 0);
    expect(m.drift.features.score.drifted).toBe(true);
    expect(m.drift.weightedShare).toBeCloseTo(hit / total, 12);
    expect(m.drift.weightedDatasetDrift).toBe(hit / total >= 0.5);
    expect(m.attribution.method).toBe('tree');
    expect(m.attribution.features.score.current).toBeGreaterThan(m.attribution.features.score.reference);
  });

  it("explains an ONNX model's requests over its monitoring reference's rows until a report exists", async () => {
    const data = Array.from({ length: 200 }, () => [0, 1, 2, 3].map(() => Number((rnd() * 2 - 1).toFixed(4))));
    await datasetVersion('mlp-rows', ['f0', 'f1', 'f2', 'f3'], data);
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/models/mlp/versions/1/reference', headers: maintainer, payload: { dataset: 'mlp-rows', version: 1 } })).statusCode).toBe(202);
    await waitFor('the reference', async () => {
      const g = (await h.app.inject({ method: 'GET', url: '/api/v1/models/mlp/versions/1/reference', headers: viewer })).json();
      if (g.status === 'FAILED') throw new Error(g.error);
      return g.status === 'READY' ? true : undefined;
    });
    const e = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/mlp/explain', headers: viewer, payload: { rows: [{ f0: 0.1, f1: 0.2, f2: 0.3, f3: 0.4 }], nsamples: 14 } });
    expect(e.statusCode, e.body).toBe(200);
    expect(e.json().note).toMatch(/100 background rows \(k-means centres of the monitoring reference's rows\)/);
    expect(e.json().additivityError).toBeLessThan(1e-9);
  });

  it("reuses a report's background to explain an ONNX model's requests", async () => {
    const sampled = await h.app.inject({ method: 'POST', url: '/api/v1/models/mlp/versions/1/explanations', headers: maintainer, payload: { dataset: 'mlp-rows', version: 1, rows: 10, background: 12, backgroundMethod: 'sample' } });
    expect(sampled.statusCode, sampled.body).toBe(202);
    const bySample = await finished('mlp', sampled.json().id);
    expect(bySample.status, bySample.error).toBe('succeeded');
    expect(bySample.result.note).toMatch(/12 background rows/);
    expect(bySample.result.additivityError).toBeLessThan(1e-9);
    const bad = await h.app.inject({ method: 'POST', url: '/api/v1/models/mlp/versions/1/explanations', headers: maintainer, payload: { dataset: 'mlp-rows', version: 1, backgroundMethod: 'median' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/backgroundMethod/);
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/models/mlp/versions/1/explanations', headers: maintainer, payload: { dataset: 'mlp-rows', version: 1, rows: 20, background: 10 } });
    expect(r.statusCode, r.body).toBe(202);
    const report = await finished('mlp', r.json().id);
    expect(report.status, report.error).toBe('succeeded');
    expect(report.result.method).toBe('kernel');
    expect(report.result.note).toMatch(/10 background rows/);
    expect(report.result.partialDependence[0].outputs).toEqual(['class 0', 'class 1', 'class 2']);
    const e = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/mlp/explain', headers: viewer, payload: { rows: [{ f0: 0.1, f1: 0.2, f2: 0.3, f3: 0.4 }] } });
    expect(e.statusCode, e.body).toBe(200);
    expect(e.json().note).toMatch(/10 background rows/);
    expect(e.json().additivityError).toBeLessThan(1e-9);
  });
});
