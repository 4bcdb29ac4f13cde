/**
 * Training through HTTP on a real app (SQLite, DuckDB, worker threads, onnxruntime), on the credit card
 * applications data (test/fixtures/data/creditcard.csv: "card" yes/no) and synthetic sets:
 * - bad requests are 400s naming the field, before anything is queued;
 * - a GBDT training is a tracked run with per-iteration metrics, importance and its model file; its held-out
 *   AUC, recomputed here from the registered version's own predictions, equals the run's;
 * - registration: an xgboost-json version (native, TreeSHAP) with ONNX checked within 1e-5, metrics,
 *   lineage and a reference profile; a linear model as ONNX;
 * - a random search makes child runs and picks the best by the metric; k folds; regression; multiclass;
 * - a cancel stops a running training; a time budget stops it with its model so far, saying so.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rocAuc } from '../../ml/monitoring/performance.js';
import { createHarness, multipart, type Harness } from '../../../test/support/harness.js';
import { holdoutMask } from './training-data.js';

const CREDIT = readFileSync(new URL('../../../test/fixtures/data/creditcard.csv', import.meta.url), 'utf8');

let h: Harness;
let contributor: Record<string, string>;
let viewer: Record<string, string>;
let deployer: Record<string, string>;

async function dataset(name: string, text: string): Promise<void> {
  await h.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: contributor, payload: { name } });
  const { body, contentType } = multipart([{ name: 'file', value: Buffer.from(text), filename: `${name}.csv` }]);
  const r = await h.app.inject({ method: 'POST', url: `/api/v1/datasets/${name}/versions`, headers: { ...contributor, 'content-type': contentType }, payload: body });
  expect(r.statusCode, r.body).toBe(201);
}

/** A seeded generator (Park–Miller). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

function csv(header: string[], rows: (number | string | null)[][]): string {
  return [header.join(','), ...rows.map((r) => r.map((v) => (v === null ? '' : String(v))).join(','))].join('\n') + '\n';
}

async function submit(body: Record<string, unknown>) {
  return h.app.inject({ method: 'POST', url: '/api/v1/training-jobs', headers: contributor, payload: body });
}

async function finished(id: string, ms = 120_000): Promise<ReturnType<typeof JSON.parse>> {
  const until = Date.now() + ms;
  for (;;) {
    const j = (await h.app.inject({ method: 'GET', url: `/api/v1/training-jobs/${id}`, headers: viewer })).json();
    if (['succeeded', 'failed', 'cancelled'].includes(j.status)) return j;
    if (Date.now() > until) throw new Error(`training ${id} did not finish: ${JSON.stringify(j.progress)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function history(runId: string, key: string): Promise<{ step: number; value: number }[]> {
  const r = await h.app.inject({ method: 'GET', url: `/api/v1/runs/${runId}/metrics/${key}?maxResults=25000`, headers: viewer });
  expect(r.statusCode, r.body).toBe(200);
  return r.json().points;
}

beforeAll(async () => {
  h = await createHarness({ bodyLimitBytes: 8 * 1024 * 1024 });
  contributor = { authorization: `Bearer ${await h.tokenFor('contributor', 'carla')}` };
  viewer = { authorization: `Bearer ${await h.tokenFor('viewer', 'vic')}` };
  deployer = { authorization: `Bearer ${await h.tokenFor('deployer', 'dora')}` };
  await dataset('credit', CREDIT);
  // regression and multiclass sets with a known structure
  const rnd = lcg(7);
  const reg: number[][] = [];
  const multi: (number | string)[][] = [];
  for (let i = 0; i < 1500; i++) {
    const a = rnd() * 4 - 2;
    const b = rnd() * 4 - 2;
    const c = rnd();
    reg.push([a, b, c, 3 * a - 2 * b + 0.5 * (a > 0 ? 1 : 0) + 0.1 * (rnd() - 0.5)]);
    multi.push([a, b, c, a + 0.2 * (rnd() - 0.5) < -0.5 ? 'low' : a > 0.5 ? 'high' : 'mid']);
  }
  await dataset('reg', csv(['a', 'b', 'c', 'y'], reg));
  await dataset('tri', csv(['a', 'b', 'c', 'level'], multi));
  await dataset('const', csv(['x', 'y', 'label'], [[1, 2, 'a'], [2, 3, 'a'], [3, 4, 'a']]));
}, 60_000);
afterAll(() => h.close());

describe('training requests are checked before anything is queued', () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['a target that does not exist', { dataset: 'credit@1', target: 'nope' }, 'target', /no column 'nope'/],
    ['a target with one class', { dataset: 'const@1', target: 'label' }, 'target', /one class \(a\)/],
    ['a non-numeric target for regression', { dataset: 'credit@1', target: 'card', task: 'regression' }, 'target', /regression needs a numeric target/],
    ['fewer rows than folds', { dataset: 'const@1', target: 'y', task: 'regression', validation: { folds: 5 } }, 'validation.folds', /only 3 rows/],
    ['a parameter out of range', { dataset: 'credit@1', target: 'card', params: { maxDepth: 99 } }, 'params.maxDepth', /at most 16/],
    ['a parameter of another algorithm', { dataset: 'credit@1', target: 'card', algorithm: 'linear', params: { maxDepth: 3 } }, 'params.maxDepth', /not a parameter of linear/],
    ['a parameter for another task', { dataset: 'credit@1', target: 'card', algorithm: 'linear', params: { alpha: 3 } }, 'params.alpha', /for regression, not binary/],
    ['a range in a grid search', { dataset: 'credit@1', target: 'card', search: { method: 'grid', space: { maxDepth: { min: 2, max: 5 } } } }, 'search.space.maxDepth', /list of values/],
    ['a categorical feature', { dataset: 'tri@1', target: 'a', features: ['b', 'level'] }, 'features[1]', /'level' is categorical/],
    ['an unknown dataset', { dataset: 'nothing@1', target: 'y' }, 'dataset', /no dataset named 'nothing'/],
    ['a missing dataset version', { dataset: 'credit@9', target: 'card' }, 'dataset', /no version 9/],
    ['a bad dataset reference', { dataset: 'credit', target: 'card' }, 'dataset', /name@version/],
    ['a metric of another task', { dataset: 'credit@1', target: 'card', metric: 'rmse' }, 'metric', /auc, logloss/],
    ['an unknown field', { dataset: 'credit@1', target: 'card', epochs: 3 }, 'body.epochs', /not a known field/],
    ['a time budget of 0', { dataset: 'credit@1', target: 'card', timeBudgetSeconds: 0 }, 'timeBudgetSeconds', /from 1/],
    ['a two-class task on three classes', { dataset: 'tri@1', target: 'level', task: 'binary' }, 'task', /has 3/],
  ];
  it.each(cases)('%s → 400 naming %s', async (_what, body, field, message) => {
    const before = (await h.app.inject({ method: 'GET', url: '/api/v1/jobs?limit=200', headers: contributor })).json().items.length;
    const r = await submit(body);
    expect(r.statusCode, r.body).toBe(400);
    expect(r.json().error.details.field).toBe(field);
    expect(r.json().error.message).toMatch(message);
    const after = (await h.app.inject({ method: 'GET', url: '/api/v1/jobs?limit=200', headers: contributor })).json().items.length;
    expect(after).toBe(before);
  });

  it('needs the contributor role', async () => {
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/training-jobs', headers: viewer, payload: { dataset: 'credit@1', target: 'card' } });
    expect(r.statusCode).toBe(403);
  });
});

describe('training a GBDT on the credit card data', () => {
  let job: ReturnType<typeof JSON.parse>;

  beforeAll(async () => {
    const r = await submit({ dataset: 'credit@1', target: 'card', params: { numRounds: 60, maxDepth: 3, learningRate: 0.2, earlyStoppingRounds: 0 }, validation: { fraction: 0.25, seed: 3 } });
    expect(r.statusCode, r.body).toBe(202);
    expect(r.json().status).toBe('queued');
    job = await finished(r.json().id);
  }, 120_000);

  it('succeeds with one finished trial on every column but the target (yes/no columns are booleans, read as 0/1)', () => {
    expect(job.status, job.error).toBe('succeeded');
    expect(job.task).toBe('binary');
    expect(job.classes).toEqual(['false', 'true']);
    expect(job.features).toEqual(['reports', 'age', 'income', 'share', 'expenditure', 'owner', 'selfemp', 'dependents', 'months', 'majorcards', 'active']);
    expect(job.skipped).toEqual([]);
    const lines = CREDIT.trim().split('\n').length - 1;
    expect(job.result.rows.total).toBe(lines);
    const yes = CREDIT.trim().split('\n').slice(1).filter((l) => l.startsWith('"yes"')).length;
    expect(job.result.rows.validation).toBe(Math.round(yes * 0.25) + Math.round((lines - yes) * 0.25)); // stratified
    expect(job.result.rows.train + job.result.rows.validation).toBe(lines);
    expect(job.result.trials).toHaveLength(1);
    const t = job.result.trials[0];
    expect(t.status).toBe('FINISHED');
    expect(t.runId).toBe(job.runId);
    expect(t.rounds).toBe(60);
    expect(t.metrics.auc).toBeGreaterThan(0.95); // "card" is nearly determined by expenditure and share
    expect(t.score).toBe(t.metrics.auc);
    expect(job.result.best).toBe(0);
    expect(job.progress).toBeNull();
  });

  it('is a tracked run: params, one point per round of train and validation metrics, best metrics, inputs, artifacts', async () => {
    const run = (await h.app.inject({ method: 'GET', url: `/api/v1/runs/${job.runId}`, headers: viewer })).json();
    expect(run.status).toBe('FINISHED');
    expect(run.params).toMatchObject({ algorithm: 'gbdt', task: 'binary', target: 'card', dataset: 'credit@1', maxDepth: '3', numRounds: '60', learningRate: '0.2' });
    expect(run.inputs[0].datasetVersion).toEqual({ dataset: 'credit', version: 1 });
    const auc = await history(job.runId, 'valid_auc');
    expect(auc.map((p) => p.step)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(auc[59]!.value).toBeCloseTo(job.result.trials[0].metrics.auc, 12);
    const train = await history(job.runId, 'train_logloss');
    expect(train).toHaveLength(60);
    expect(train[59]!.value).toBeLessThan(train[0]!.value);
    expect(run.metrics.best_valid_auc.value).toBeCloseTo(job.result.trials[0].metrics.auc, 12);
    expect(run.metrics.training_seconds.value).toBeGreaterThan(0);
    const files = (await h.app.inject({ method: 'GET', url: `/api/v1/runs/${job.runId}/artifacts?path=model`, headers: viewer })).json();
    expect(JSON.stringify(files)).toContain('model/model.json');
    const importance = job.result.trials[0].importance;
    expect(importance).toHaveLength(11);
    for (let i = 1; i < importance.length; i++) expect(importance[i - 1].gain).toBeGreaterThanOrEqual(importance[i].gain);
    expect(['expenditure', 'share']).toContain(importance[0].feature);
    expect(importance.reduce((a: number, f: { splits: number }) => a + f.splits, 0)).toBeGreaterThan(0);
  });

  it('registers as an xgboost-json version with ONNX checked, metrics, lineage and a reference; its predictions give the run’s AUC', async () => {
    const r = await h.app.inject({ method: 'POST', url: `/api/v1/training-jobs/${job.id}/register`, headers: contributor, payload: { model: 'credit-gbdt' } });
    expect(r.statusCode, r.body).toBe(201);
    const reg = r.json();
    expect(reg.modelCreated).toBe(true);
    expect(reg.format).toBe('xgboost-json');
    expect(reg.version.status).toBe('READY');
    expect(reg.version.flavor).toBe('xgboost-json');
    expect(reg.onnx.maxAbsDiff).toBeLessThanOrEqual(1e-5);
    expect(reg.onnx.rowsCompared).toBeGreaterThan(100);
    expect(reg.reference.jobId).toEqual(expect.any(String));
    for (let i = 0; ; i++) {
      const j = (await h.app.inject({ method: 'GET', url: `/api/v1/jobs/${reg.reference.jobId}`, headers: contributor })).json();
      if (j.status === 'SUCCEEDED') break;
      expect(j.status, j.error).not.toBe('FAILED');
      expect(i).toBeLessThan(600);
      await new Promise((res) => setTimeout(res, 50));
    }
    const ref = await h.app.inject({ method: 'GET', url: '/api/v1/models/credit-gbdt/versions/1/reference', headers: viewer });
    expect(ref.statusCode, ref.body).toBe(200);
    const v = (await h.app.inject({ method: 'GET', url: '/api/v1/models/credit-gbdt/versions/1', headers: viewer })).json();
    expect(v.metrics.valid_auc).toBeCloseTo(job.result.trials[0].metrics.auc, 12);
    expect(v.sourceRun ?? v.source_run ?? JSON.stringify(v)).toContain(job.runId);
    expect(JSON.stringify(v)).toContain('credit');
    const run = (await h.app.inject({ method: 'GET', url: `/api/v1/runs/${job.runId}`, headers: viewer })).json();
    expect(run.registeredVersions).toEqual([{ model: 'credit-gbdt', version: 1 }]);
    const files = (await h.app.inject({ method: 'GET', url: `/api/v1/runs/${job.runId}/artifacts?path=model`, headers: viewer })).json();
    expect(JSON.stringify(files)).toContain('model/model.onnx');
    const again = (await h.app.inject({ method: 'GET', url: `/api/v1/training-jobs/${job.id}`, headers: viewer })).json();
    expect(again.result.registered).toEqual([expect.objectContaining({ model: 'credit-gbdt', version: 1, trial: 0, by: 'carla' })]);

    // Deploy, predict the validation rows (the same seeded split), and recompute the AUC.
    const d = await h.app.inject({ method: 'PUT', url: '/api/v1/deployments/credit', headers: deployer, payload: { targets: [{ model: 'credit-gbdt', version: 1, weight: 100 }] } });
    expect(d.statusCode, d.body).toBe(201);
    const header = CREDIT.trim().split('\n')[0]!.split(',').map((s) => s.replace(/"/g, ''));
    const rows = CREDIT.trim().split('\n').slice(1).map((l) => l.split(',').map((s) => s.replace(/"/g, '')));
    const y = rows.map((r) => (r[0] === 'yes' ? 1 : 0));
    const mask = holdoutMask(y, rows.length, 0.25, 3, true);
    const valid = rows.filter((_, i) => mask[i] === 1);
    const value = (v: string) => (v === 'yes' ? 1 : v === 'no' ? 0 : Number(v));
    const request = valid.map((r) => Object.fromEntries(job.features.map((f: string) => [f, value(r[header.indexOf(f)]!)])));
    const p = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/credit/predict', headers: deployer, payload: { rows: request } });
    expect(p.statusCode, p.body).toBe(200);
    const scores = p.json().predictions as number[];
    const auc = rocAuc(scores, valid.map((r) => (r[0] === 'yes' ? 1 : 0)));
    expect(auc).toBeCloseTo(job.result.trials[0].metrics.auc, 5);

    // Explained with TreeSHAP (the tree format), additive to the log-odds of what was served.
    const ex = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/credit/explain', headers: deployer, payload: { rows: request.slice(0, 5) } });
    expect(ex.statusCode, ex.body).toBe(200);
    expect(ex.json().method).toBe('tree');
    expect(ex.json().additivityError).toBeLessThan(1e-4);
    const shap = ex.json().shap as number[][][];
    for (let i = 0; i < 5; i++) {
      const total = shap[i]![0]!.reduce((a, b) => a + b, ex.json().bias[0]);
      expect(1 / (1 + Math.exp(-total))).toBeCloseTo(scores[i]!, 5);
    }
  }, 60_000);

  it('refuses to register a job that is not finished, an unknown trial, and a bad model name', async () => {
    const bad = await h.app.inject({ method: 'POST', url: `/api/v1/training-jobs/${job.id}/register`, headers: contributor, payload: { model: 'x', trial: 5 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.field).toBe('trial');
    const name = await h.app.inject({ method: 'POST', url: `/api/v1/training-jobs/${job.id}/register`, headers: contributor, payload: { model: 'no spaces allowed' } });
    expect(name.statusCode).toBe(400);
    expect(name.json().error.details.field).toBe('model');
    const viewerTry = await h.app.inject({ method: 'POST', url: `/api/v1/training-jobs/${job.id}/register`, headers: viewer, payload: { model: 'x' } });
    expect(viewerTry.statusCode).toBe(403);
  });
});

describe('searches, folds and other tasks', () => {
  it('runs a random search of logistic regressions as child runs and picks the best by AUC; registers it as ONNX', async () => {
    const r = await submit({ dataset: 'credit@1', target: 'card', algorithm: 'linear', search: { trials: 4, space: { C: { min: 0.001, max: 100, log: true } }, seed: 5 } });
    expect(r.statusCode, r.body).toBe(202);
    const job = await finished(r.json().id);
    expect(job.status, job.error).toBe('succeeded');
    const trials = job.result.trials as { runId: string; score: number; params: { C: number }; status: string }[];
    expect(trials).toHaveLength(4);
    expect(new Set(trials.map((t) => t.params.C)).size).toBe(4);
    const best = trials.reduce((a, t, i) => (t.score > trials[a]!.score ? i : a), 0);
    expect(job.result.best).toBe(best);
    for (const t of trials) {
      expect(t.runId).not.toBe(job.runId);
      const run = (await h.app.inject({ method: 'GET', url: `/api/v1/runs/${t.runId}`, headers: viewer })).json();
      expect(run.parentRunId).toBe(job.runId);
      expect(Number(run.params.C)).toBe(t.params.C);
    }
    const parent = (await h.app.inject({ method: 'GET', url: `/api/v1/runs/${job.runId}`, headers: viewer })).json();
    expect(parent.tags['steward.best_trial_run_id']).toBe(trials[best]!.runId);
    const reg = await h.app.inject({ method: 'POST', url: `/api/v1/training-jobs/${job.id}/register`, headers: contributor, payload: { model: 'credit-linear' } });
    expect(reg.statusCode, reg.body).toBe(201);
    expect(reg.json().format).toBe('onnx');
    expect(reg.json().version.flavor).toBe('onnx');
    expect(reg.json().onnx.maxAbsDiff).toBeLessThanOrEqual(1e-5);
    const xgb = await h.app.inject({ method: 'POST', url: `/api/v1/training-jobs/${job.id}/register`, headers: contributor, payload: { model: 'credit-linear', format: 'xgboost-json' } });
    expect(xgb.statusCode).toBe(400);
    expect(xgb.json().error.details.field).toBe('format');
  }, 120_000);

  it('cross-validates a regression with k folds: a mean validation curve, then a refit on every row', async () => {
    const r = await submit({ dataset: 'reg@1', target: 'y', params: { numRounds: 40, maxDepth: 3, learningRate: 0.3, earlyStoppingRounds: 5 }, validation: { folds: 3, seed: 1 } });
    expect(r.statusCode, r.body).toBe(202);
    const job = await finished(r.json().id);
    expect(job.status, job.error).toBe('succeeded');
    expect(job.task).toBe('regression');
    expect(job.metric).toBe('rmse');
    const t = job.result.trials[0];
    expect(t.metrics.rmse).toBeLessThan(0.5); // the target's spread is about 3; noise 0.03
    const cv = await history(job.runId, 'cv_valid_rmse');
    expect(cv.length).toBeGreaterThan(5);
    expect(cv[cv.length - 1]!.value).toBeLessThan(cv[0]!.value);
    const refit = await history(job.runId, 'train_rmse');
    expect(refit).toHaveLength(t.rounds);
    const reg = await h.app.inject({ method: 'POST', url: `/api/v1/training-jobs/${job.id}/register`, headers: contributor, payload: { model: 'reg-gbdt', format: 'onnx' } });
    expect(reg.statusCode, reg.body).toBe(201);
    expect(reg.json().onnx.maxAbsDiff).toBeLessThanOrEqual(1e-5);
  }, 120_000);

  it('trains a three-class model (text classes, sorted) and a ridge regression', async () => {
    const m = await finished((await submit({ dataset: 'tri@1', target: 'level', params: { numRounds: 20, maxDepth: 3 } })).json().id);
    expect(m.status, m.error).toBe('succeeded');
    expect(m.task).toBe('multiclass');
    expect(m.classes).toEqual(['high', 'low', 'mid']);
    expect(m.result.trials[0].metrics.merror).toBeLessThan(0.1);
    const reg = await h.app.inject({ method: 'POST', url: `/api/v1/training-jobs/${m.id}/register`, headers: contributor, payload: { model: 'tri' } });
    expect(reg.statusCode, reg.body).toBe(201);
    expect(reg.json().onnx.maxAbsDiff).toBeLessThanOrEqual(1e-5);
    const ridge = await finished((await submit({ dataset: 'reg@1', target: 'y', algorithm: 'linear', params: { alpha: 0.1 } })).json().id);
    expect(ridge.status, ridge.error).toBe('succeeded');
    expect(ridge.result.trials[0].metrics.rmse).toBeLessThan(0.4);
    const lr = await h.app.inject({ method: 'POST', url: `/api/v1/training-jobs/${ridge.id}/register`, headers: contributor, payload: { model: 'ridge' } });
    expect(lr.statusCode, lr.body).toBe(201);
    expect(lr.json().onnx.maxAbsDiff).toBeLessThanOrEqual(1e-5);
  }, 120_000);
});

describe('stopping', () => {
  let big: string;
  beforeAll(async () => {
    const rnd = lcg(11);
    const rows: number[][] = [];
    for (let i = 0; i < 20_000; i++) {
      const x = Array.from({ length: 8 }, () => rnd() * 2 - 1);
      rows.push([...x, x[0]! + x[1]! * x[2]! + 0.5 * (rnd() - 0.5) > 0 ? 1 : 0]);
    }
    await dataset('big', csv(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'label'], rows));
    big = 'big@1';
  }, 60_000);

  it('stops at its time budget with the model so far, and says so', async () => {
    const r = await submit({ dataset: big, target: 'label', timeBudgetSeconds: 1, params: { numRounds: 10_000, maxDepth: 8, learningRate: 0.01, earlyStoppingRounds: 0 } });
    const job = await finished(r.json().id);
    expect(job.status, job.error).toBe('succeeded');
    expect(job.result.stoppedBy).toBe('time budget');
    const t = job.result.trials[0];
    expect(t.stoppedBy).toBe('time budget');
    expect(t.roundsTrained).toBeGreaterThan(0);
    expect(t.roundsTrained).toBeLessThan(10_000);
    expect(t.modelPath).toBe('model/model.json');
    const run = (await h.app.inject({ method: 'GET', url: `/api/v1/runs/${job.runId}`, headers: viewer })).json();
    expect(run.tags['steward.stopped_by']).toBe('time budget');
    const reg = await h.app.inject({ method: 'POST', url: `/api/v1/training-jobs/${job.id}/register`, headers: contributor, payload: { model: 'budgeted' } });
    expect(reg.statusCode, reg.body).toBe(201);
  }, 60_000);

  it('cancels a running training; a second cancel is a 409', async () => {
    const r = await submit({ dataset: big, target: 'label', params: { numRounds: 10_000, maxDepth: 8, earlyStoppingRounds: 0 } });
    const id = r.json().id;
    for (let i = 0; i < 400; i++) {
      const j = (await h.app.inject({ method: 'GET', url: `/api/v1/training-jobs/${id}`, headers: viewer })).json();
      if (j.status === 'running' && j.result?.trials?.length) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    const c = await h.app.inject({ method: 'POST', url: `/api/v1/training-jobs/${id}/cancel`, headers: contributor });
    expect(c.statusCode, c.body).toBe(200);
    expect(c.json().cancelRequested).toBe(true);
    const job = await finished(id, 30_000);
    expect(job.status).toBe('cancelled');
    expect(job.result.stoppedBy).toBe('cancelled');
    expect(job.result.trials[0].status).toBe('KILLED');
    const run = (await h.app.inject({ method: 'GET', url: `/api/v1/runs/${job.runId}`, headers: viewer })).json();
    expect(run.status).toBe('KILLED');
    const again = await h.app.inject({ method: 'POST', url: `/api/v1/training-jobs/${id}/cancel`, headers: contributor });
    expect(again.statusCode).toBe(409);
    const list = (await h.app.inject({ method: 'GET', url: '/api/v1/training-jobs?status=cancelled', headers: viewer })).json();
    expect(list.items.map((j: { id: string }) => j.id)).toContain(id);
  }, 60_000);

  it("with k folds, a time budget that ends inside a fold keeps that fold's model and says so", async () => {
    const r = await submit({ dataset: big, target: 'label', timeBudgetSeconds: 1, validation: { folds: 4 }, params: { numRounds: 5000, maxDepth: 8, learningRate: 0.01, earlyStoppingRounds: 0 } });
    const job = await finished(r.json().id);
    expect(job.status, job.error).toBe('succeeded');
    expect(job.result.stoppedBy).toBe('time budget');
    const t = job.result.trials[0];
    expect(t.status).toBe('FINISHED');
    expect(t.note).toMatch(/time budget ran out in fold 1 of 4/);
    expect(t.score).toBeGreaterThan(0.5);
    expect(t.modelPath).toBe('model/model.json');
  }, 60_000);

  it('runs a long fit on a small data set in a worker thread, so a cancel stops it', async () => {
    const r = await submit({ dataset: 'credit@1', target: 'card', params: { numRounds: 10_000, learningRate: 0.001, earlyStoppingRounds: 0 } });
    const id = r.json().id;
    for (let i = 0; i < 400; i++) {
      const j = (await h.app.inject({ method: 'GET', url: `/api/v1/training-jobs/${id}`, headers: viewer })).json();
      if (j.status === 'running' && j.result?.trials?.length) break;
      await new Promise((res) => setTimeout(res, 25));
    }
    const c = await h.app.inject({ method: 'POST', url: `/api/v1/training-jobs/${id}/cancel`, headers: contributor });
    expect(c.statusCode, c.body).toBe(200);
    const job = await finished(id, 30_000);
    expect(job.status).toBe('cancelled');
    expect(job.result.trials[0].roundsTrained).toBeLessThan(10_000);
  }, 60_000);
});
