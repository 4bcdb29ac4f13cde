/**
 * Data for the browser suite, made through a running server.
 * - seedCatalogue: a large catalogue for the page-load timings: 100 models × 20 versions (rows written
 *   straight into the server's SQLite store, all pointing at one real registered artifact) and 100k
 *   predictions sent through a deployment in batches of 1,000 rows.
 * - seedMonitoring: a monitored deployment of the xgboost fixture, through the public API only: a
 *   reference of 2,000 rows, windows of 500 predictions, an alert rule, and 3,000 predictions whose
 *   last 1,000 have their score shifted, folded into 6 closed windows; every other prediction of the
 *   first 2,000 then gets a label (1 with the predicted probability, from a seeded generator).
 * - seedLoanDataset: a dataset version with the xgboost fixture's features and an outcome column drawn by
 *   the rule the fixture was trained on (test/fixtures/xgboost/make_models.py, named()), to explain the
 *   model on.
 */
import { readFile } from 'node:fs/promises';
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
        await tx.models.insert({ id: modelId, project_id: project.id, name: `model-${String(m).padStart(3, '0')}`, description: `seeded model ${m}`, owner: 'admin', last_version: options.versions, risk_tier: 'low', created_at: created, created_by: 'admin', updated_at: created, updated_by: 'admin' });
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

export const MONITORED_FEATURES = ['income', 'age', 'home_owner', 'score'] as const;
type LoanRow = Record<(typeof MONITORED_FEATURES)[number], number>;

/** A small seeded generator (xorshift32) with standard normals by Box–Muller, so the walk sees the same data each run. */
function generator(seed: number): { uniform(): number; normal(): number } {
  let x = seed >>> 0 || 1;
  const uniform = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
  return { uniform, normal: () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()) };
}

function loanRows(n: number, seed: number, shiftFrom = Infinity): LoanRow[] {
  const g = generator(seed);
  return Array.from({ length: n }, (_, i) => ({
    income: Math.exp(10 + 0.5 * g.normal()),
    age: 18 + Math.floor(g.uniform() * 62),
    home_owner: g.uniform() < 0.4 ? 1 : 0,
    score: g.normal() + (i >= shiftFrom ? 1.5 : 0),
  }));
}

export interface MonitoringSeed {
  deployment: string;
  predictions: number;
  windows: number;
  rule: string;
  /** Predictions that were sent a label. */
  labeled: number;
}

async function poll<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`seed: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function seedMonitoring(url: string, token: string, options = { deployment: 'loans', reference: 2000, predictions: 3000, shifted: 1000, window: 500, labelFirst: 2000 }): Promise<MonitoringSeed> {
  const auth = { authorization: `Bearer ${token}` };
  const json = { ...auth, 'content-type': 'application/json' };
  const call = async (method: string, path: string, body: unknown, want: number) => {
    const r = await fetch(`${url}${path}`, { method, headers: json, body: JSON.stringify(body) });
    if (r.status !== want) throw new Error(`seed: ${method} ${path} gave ${r.status}: ${await r.text()}`);
    return (await r.json()) as unknown;
  };
  const name = options.deployment;

  await call('POST', '/api/v1/models', { name }, 201);
  const model = new Uint8Array(await readFile(new URL('../fixtures/xgboost/named-features.json', import.meta.url)));
  const upload = versionUpload(model, { flavor: 'xgboost-json', description: 'loan default, xgboost' });
  const registered = await fetch(`${url}/api/v1/models/${name}/versions`, { method: 'POST', headers: { ...auth, 'content-type': upload.contentType }, body: upload.body });
  if (registered.status !== 201) throw new Error(`seed: registering the xgboost model gave ${registered.status}: ${await registered.text()}`);
  await call('PUT', `/api/v1/deployments/${name}`, { targets: [{ model: name, version: 1, weight: 100 }] }, 201);
  await call('PUT', `/api/v1/deployments/${name}/monitoring/settings`, { window: `rows:${options.window}` }, 200);

  // The reference: a CSV upload, profiled by a background job.
  const csv = [MONITORED_FEATURES.join(','), ...loanRows(options.reference, 1).map((r) => MONITORED_FEATURES.map((f) => r[f]).join(','))].join('\n') + '\n';
  const form = new FormData();
  form.append('file', new Blob([csv], { type: 'text/csv' }), 'reference.csv');
  const posted = await fetch(`${url}/api/v1/models/${name}/versions/1/reference`, { method: 'POST', headers: auth, body: form });
  if (posted.status !== 202) throw new Error(`seed: posting the reference gave ${posted.status}: ${await posted.text()}`);
  await poll('the reference to be READY', async () => {
    const r = (await (await fetch(`${url}/api/v1/models/${name}/versions/1/reference`, { headers: auth })).json()) as { status: string; error: string | null };
    if (r.status === 'FAILED') throw new Error(`seed: the reference failed: ${r.error}`);
    return r.status === 'READY' ? true : undefined;
  });

  // Before the predictions, so that it judges every window as it closes.
  const rule = 'score-drift';
  await call('POST', `/api/v1/deployments/${name}/alerts/rules`, { name: rule, metric: 'drift.features.score.statistic', comparison: '>=', threshold: 0.5, firingAfter: 1, resolvingAfter: 2, description: 'the score moved by half a standard deviation' }, 201);

  const rows = loanRows(options.predictions, 2, options.predictions - options.shifted);
  const served: { id: string; p: number }[] = [];
  for (let i = 0; i < rows.length; i += 100) {
    const answer = (await call('POST', `/api/v1/deployments/${name}/predict`, { rows: rows.slice(i, i + 100) }, 200)) as { predictions: number[]; predictionIds: string[] };
    answer.predictionIds.forEach((id, k) => served.push({ id, p: answer.predictions[k]! }));
  }

  // The server folds the prediction log every STEWARD_MONITORING_FOLD_MS.
  const windows = options.predictions / options.window;
  await poll('the predictions to be folded into closed windows', async () => {
    const r = (await (await fetch(`${url}/api/v1/deployments/${name}/monitoring/windows`, { headers: auth })).json()) as { items: { rows: number; closed: boolean }[] };
    const closed = r.items.filter((w) => w.closed);
    return closed.length === windows && closed.reduce((a, w) => a + w.rows, 0) === options.predictions ? true : undefined;
  });

  // Outcomes for every other prediction of the first windows, once they are in the log (the fold read them).
  const g = generator(3);
  const labels = served.slice(0, options.labelFirst).filter((_, i) => i % 2 === 0).map(({ id, p }) => ({ predictionId: id, label: g.uniform() < p ? 1 : 0 }));
  const stored = (await call('POST', `/api/v1/deployments/${name}/labels`, labels, 200)) as { stored: number; unknown: number };
  if (stored.stored !== labels.length) throw new Error(`seed: ${stored.stored} of ${labels.length} labels were stored (${stored.unknown} unknown ids)`);
  return { deployment: name, predictions: options.predictions, windows, rule, labeled: labels.length };
}

export interface LoanDatasetSeed {
  dataset: string;
  version: number;
  rows: number;
  /** The 0/1 outcome column. */
  target: string;
}

/**
 * A CSV upload of `rows` loan rows with the fixture model's features (income, age, home_owner, score) and
 * `repaid`, 1 when (ln income − 10) + 0.02 (age − 45) + home_owner + score / 2 + noise > 0.3, as the model
 * learnt it. Nothing goes through a deployment, so no prediction is logged.
 */
export async function seedLoanDataset(url: string, token: string, options = { dataset: 'loan-applications', rows: 2000 }): Promise<LoanDatasetSeed> {
  const auth = { authorization: `Bearer ${token}` };
  const created = await fetch(`${url}/api/v1/datasets`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: options.dataset, description: 'loan applications with their outcome' }) });
  if (created.status !== 201) throw new Error(`seed: creating the dataset gave ${created.status}: ${await created.text()}`);
  const g = generator(5);
  const target = 'repaid';
  const lines = loanRows(options.rows, 4).map((r) => {
    const y = Math.log(r.income) - 10 + 0.02 * (r.age - 45) + r.home_owner + 0.5 * r.score + 0.5 * g.normal() > 0.3 ? 1 : 0;
    return [...MONITORED_FEATURES.map((f) => r[f]), y].join(',');
  });
  const csv = [[...MONITORED_FEATURES, target].join(','), ...lines].join('\n') + '\n';
  const form = new FormData();
  form.append('file', new Blob([csv], { type: 'text/csv' }), `${options.dataset}.csv`);
  const uploaded = await fetch(`${url}/api/v1/datasets/${options.dataset}/versions`, { method: 'POST', headers: auth, body: form });
  if (uploaded.status !== 201) throw new Error(`seed: uploading the dataset gave ${uploaded.status}: ${await uploaded.text()}`);
  const v = (await uploaded.json()) as { version: number };
  return { dataset: options.dataset, version: v.version, rows: options.rows, target };
}

export interface UserSeed {
  name: string;
  token: string;
}

/**
 * A second user with one role in the default project (e.g. a reviewer, who is neither the author of the
 * admin's versions nor the requester of their promotions), and a token for them — through the public API.
 */
export async function seedProjectUser(url: string, token: string, options: { name: string; role: 'viewer' | 'contributor' | 'reviewer' | 'deployer' | 'admin' }): Promise<UserSeed> {
  const json = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const created = await fetch(`${url}/api/v1/users`, { method: 'POST', headers: json, body: JSON.stringify({ name: options.name, role: 'user', projects: { default: options.role } }) });
  if (created.status !== 201) throw new Error(`seed: creating ${options.name} gave ${created.status}: ${await created.text()}`);
  const issued = await fetch(`${url}/api/v1/tokens`, { method: 'POST', headers: json, body: JSON.stringify({ user: options.name, name: 'browser walk' }) });
  if (issued.status !== 201) throw new Error(`seed: a token for ${options.name} gave ${issued.status}: ${await issued.text()}`);
  return { name: options.name, token: ((await issued.json()) as { token: string }).token };
}

export interface GovernanceSeed {
  model: string;
  data: LoanDatasetSeed;
  reviewer: UserSeed;
}

/**
 * For the governance leg: the xgboost fixture registered by the admin as its own model (so that its risk
 * tier and promotions touch nothing else), a loan dataset to run gates on, and a reviewer who did not
 * write the version.
 */
export async function seedGovernance(url: string, token: string, options = { model: 'credit', dataset: 'credit-applications', reviewer: 'rita' }): Promise<GovernanceSeed> {
  const auth = { authorization: `Bearer ${token}` };
  const created = await fetch(`${url}/api/v1/models`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: options.model, description: 'credit scoring, xgboost' }) });
  if (created.status !== 201) throw new Error(`seed: creating ${options.model} gave ${created.status}: ${await created.text()}`);
  const model = new Uint8Array(await readFile(new URL('../fixtures/xgboost/named-features.json', import.meta.url)));
  const upload = versionUpload(model, { flavor: 'xgboost-json', description: 'first candidate' });
  const registered = await fetch(`${url}/api/v1/models/${options.model}/versions`, { method: 'POST', headers: { ...auth, 'content-type': upload.contentType }, body: upload.body });
  if (registered.status !== 201) throw new Error(`seed: registering ${options.model} gave ${registered.status}: ${await registered.text()}`);
  await poll(`${options.model} v1 to be READY`, async () => {
    const v = (await (await fetch(`${url}/api/v1/models/${options.model}/versions/1`, { headers: auth })).json()) as { status: string };
    if (v.status === 'FAILED') throw new Error(`seed: ${options.model} v1 failed its checks`);
    return v.status === 'READY' ? true : undefined;
  });
  const data = await seedLoanDataset(url, token, { dataset: options.dataset, rows: 2000 });
  const reviewer = await seedProjectUser(url, token, { name: options.reviewer, role: 'reviewer' });
  return { model: options.model, data, reviewer };
}

export interface ExperimentSeedRun {
  name: string;
  id: string;
  params: Record<string, string>;
  /** The metrics' values at each step, 0 to steps − 1; the last one is the latest. */
  metrics: Record<string, number[]>;
}

export interface ExperimentSeed {
  experiment: string;
  experimentId: string;
  runs: ExperimentSeedRun[];
  steps: number;
  /** The Steward dataset version the first run's input is linked to. */
  dataset: { name: string; version: number };
  /** A file logged as an artifact of the last run. */
  artifact: { folder: string; file: string; text: string };
  /** A Steward model version registered with the last run as its source. */
  model: { name: string; version: number };
}

/**
 * An experiment with 3 finished runs, logged through the MLflow REST API as the MLflow client logs them
 * (experiments/create, runs/create, runs/log-batch with params and metrics at 5 steps, runs/log-inputs,
 * runs/log-model, the artifact proxy, runs/update): an SGD baseline and two Adam runs that differ in
 * learning rate and scheduler. The first run's input names a small Steward dataset version, uploaded first;
 * the last run's model is registered in Steward's registry with the run as its source (sourceRun).
 */
export async function seedExperiment(url: string, token: string, options = { experiment: 'churn-tuning', dataset: 'churn-train', model: 'churn' }): Promise<ExperimentSeed> {
  const auth = { authorization: `Bearer ${token}` };
  const mlflow = async <T>(path: string, body: unknown): Promise<T> => {
    const r = await fetch(`${url}/api/2.0/mlflow/${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (r.status !== 200) throw new Error(`seed: MLflow ${path} gave ${r.status}: ${await r.text()}`);
    return (await r.json()) as T;
  };

  // A small dataset for a run input to link to.
  const created = await fetch(`${url}/api/v1/datasets`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: options.dataset, description: 'churn training rows' }) });
  if (created.status !== 201) throw new Error(`seed: creating ${options.dataset} gave ${created.status}: ${await created.text()}`);
  const g = generator(11);
  const csv = ['tenure,monthly,churned', ...Array.from({ length: 200 }, () => `${Math.floor(g.uniform() * 72)},${(20 + g.uniform() * 100).toFixed(2)},${g.uniform() < 0.3 ? 1 : 0}`)].join('\n') + '\n';
  const form = new FormData();
  form.append('file', new Blob([csv], { type: 'text/csv' }), `${options.dataset}.csv`);
  const uploaded = await fetch(`${url}/api/v1/datasets/${options.dataset}/versions`, { method: 'POST', headers: auth, body: form });
  if (uploaded.status !== 201) throw new Error(`seed: uploading ${options.dataset} gave ${uploaded.status}: ${await uploaded.text()}`);
  const dataset = { name: options.dataset, version: ((await uploaded.json()) as { version: number }).version };

  const { experiment_id: experimentId } = await mlflow<{ experiment_id: string }>('experiments/create', { name: options.experiment, tags: [{ key: 'team', value: 'retention' }] });
  const steps = 5;
  const round = (x: number) => Number(x.toFixed(4));
  const plans = [
    { name: 'sgd-slow', params: { optimizer: 'sgd', learning_rate: '0.01', scheduler: 'step', epochs: '5' }, accuracy: 0.81, rmse: 0.62 },
    { name: 'adam-fast', params: { optimizer: 'adam', learning_rate: '0.001', scheduler: 'cosine', epochs: '5' }, accuracy: 0.93, rmse: 0.45 },
    { name: 'adam-wide', params: { optimizer: 'adam', learning_rate: '0.003', scheduler: 'step', epochs: '5' }, accuracy: 0.95, rmse: 0.42 },
  ];
  const started = Date.now() - 3_600_000;
  const runs: ExperimentSeedRun[] = [];
  for (const [i, plan] of plans.entries()) {
    const start = started + i * 600_000;
    const { run } = await mlflow<{ run: { info: { run_id: string } } }>('runs/create', { experiment_id: experimentId, run_name: plan.name, start_time: start, tags: [{ key: 'mlflow.user', value: 'walker' }, { key: 'stage', value: 'tuning' }] });
    const id = run.info.run_id;
    const metrics: Record<string, number[]> = {
      accuracy: Array.from({ length: steps }, (_, s) => round(plan.accuracy - (steps - 1 - s) * 0.05)),
      f1: Array.from({ length: steps }, (_, s) => round(plan.accuracy - 0.02 - (steps - 1 - s) * 0.05)),
      loss: Array.from({ length: steps }, (_, s) => round((1 - plan.accuracy) * 3 + (steps - 1 - s) * 0.15)),
      rmse: Array.from({ length: steps }, (_, s) => round(plan.rmse + (steps - 1 - s) * 0.1)),
    };
    await mlflow('runs/log-batch', {
      run_id: id,
      params: Object.entries(plan.params).map(([key, value]) => ({ key, value })),
      metrics: Object.entries(metrics).flatMap(([key, values]) => values.map((value, step) => ({ key, value, step, timestamp: start + (step + 1) * 60_000 }))),
    });
    if (i === 0) {
      await mlflow('runs/log-inputs', {
        run_id: id,
        datasets: [{ tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset: { name: dataset.name, digest: 'a1b2c3d4', source_type: 'steward', source: `steward://${dataset.name}@${dataset.version}` } }],
      });
    }
    await mlflow('runs/log-model', {
      run_id: id,
      model_json: JSON.stringify({ run_id: id, artifact_path: 'model', utc_time_created: '2025-01-02 03:04:05.000000', flavors: { python_function: { loader_module: 'mlflow.sklearn' }, sklearn: { sklearn_version: '1.5.0' } } }),
    });
    await mlflow('runs/update', { run_id: id, status: 'FINISHED', end_time: start + (steps + 1) * 60_000 });
    runs.push({ name: plan.name, id, params: plan.params, metrics });
  }

  // A report file logged by the last run, through the artifact proxy.
  const artifact = { folder: 'reports', file: 'summary.txt', text: 'adam-wide: best accuracy 0.95\n' };
  const last = runs[runs.length - 1]!;
  const put = await fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${last.id}/artifacts/${artifact.folder}/${artifact.file}`, { method: 'PUT', headers: { ...auth, 'content-type': 'text/plain' }, body: artifact.text });
  if (put.status !== 200) throw new Error(`seed: uploading an artifact gave ${put.status}: ${await put.text()}`);

  // The last run's model registered in Steward's registry, naming the run as its source.
  const model = { name: options.model, version: 1 };
  const made = await fetch(`${url}/api/v1/models`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: model.name, description: 'churn, from the tuning runs' }) });
  if (made.status !== 201) throw new Error(`seed: creating ${model.name} gave ${made.status}: ${await made.text()}`);
  const upload = versionUpload(linearModel(), { sourceRun: last.id, description: `from run ${last.name}` });
  const registered = await fetch(`${url}/api/v1/models/${model.name}/versions`, { method: 'POST', headers: { ...auth, 'content-type': upload.contentType }, body: upload.body });
  if (registered.status !== 201) throw new Error(`seed: registering ${model.name} gave ${registered.status}: ${await registered.text()}`);
  return { experiment: options.experiment, experimentId, runs, steps, dataset, artifact, model };
}
