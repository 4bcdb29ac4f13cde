/**
 * Training benchmark (groundwork for issue 10): Steward's histogram GBDT trainer (src/ml/gbdt) against
 * xgboost's `tree_method=hist` (Debian's python3-xgboost), on the same data, split and hyperparameters
 * (200 trees, depth 6, learning rate 0.1, 256 bins, lambda 1, min_child_weight 1), one thread each:
 * - a synthetic binary problem, 100,000 × 20 (seeded; 5% missing values in two features);
 * - flights from vega-datasets (flights-200k.json): delay > 15 minutes from distance and time of day;
 * each split 80/20 after a seeded shuffle.
 * Training time only (data already in memory on both sides); held-out AUC of both computed here by the
 * same function from each side's predictions. Ends with the figures the issue names.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trainGbdt, SeededRandom } from '../src/ml/gbdt/gbdt-trainer.js';
import { rocAuc } from '../src/ml/monitoring/performance.js';
import { trainLogistic } from '../src/ml/linear/logistic.js';
import type { TreeEnsemble } from '../src/ml/trees/tree-ensemble.js';
import { predictMargin } from '../src/ml/trees/tree-evaluator.js';
import { printTable } from './support.js';

const PYTHON = '/usr/bin/python3';
const PARAMS = { numRounds: 200, maxDepth: 6, learningRate: 0.1, maxBins: 256, lambda: 1, minChildWeight: 1 };

interface Split {
  name: string;
  features: number;
  trainX: Float32Array;
  trainY: Float64Array;
  testX: Float32Array;
  testY: Float64Array;
}

function synthetic(rows: number, features: number, seed: number): Split {
  const rnd = new SeededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rnd.next())) * Math.cos(2 * Math.PI * rnd.next());
  const x = new Float32Array(rows * features);
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * features, (r + 1) * features);
    for (let f = 0; f < features; f++) row[f] = normal();
    const z = 1.2 * row[0]! - 0.8 * row[1]! + row[2]! * row[3]! + 0.6 * Math.sin(2 * row[4]!) + 0.5 * (row[5]! > 0.3 ? 1 : -1) + 0.3 * row[6]! * row[6]! - 0.3 + 0.8 * normal();
    y[r] = z > 0 ? 1 : 0;
    if (rnd.next() < 0.05) row[7] = NaN;
    if (rnd.next() < 0.05) row[8] = NaN;
  }
  return splitOf('synthetic 100k x 20', x, y, features);
}

function flights(): Split {
  const path = fileURLToPath(new URL('../node_modules/vega-datasets/data/flights-200k.json', import.meta.url));
  const rows = JSON.parse(readFileSync(path, 'utf8')) as { delay: number; distance: number; time: number }[];
  const x = new Float32Array(rows.length * 2);
  const y = new Float64Array(rows.length);
  rows.forEach((r, i) => {
    x[i * 2] = r.distance;
    x[i * 2 + 1] = r.time;
    y[i] = r.delay > 15 ? 1 : 0;
  });
  return splitOf('flights 200k (delay > 15 min)', x, y, 2);
}

/** A seeded shuffle, then 80% of rows to train on and the rest held out. */
function splitOf(name: string, x: Float32Array, y: Float64Array, features: number): Split {
  const n = y.length;
  const order = Array.from({ length: n }, (_, i) => i);
  const rnd = new SeededRandom(42);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd.next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const take = (from: number, to: number) => {
    const xs = new Float32Array((to - from) * features);
    const ys = new Float64Array(to - from);
    for (let k = from; k < to; k++) {
      xs.set(x.subarray(order[k]! * features, (order[k]! + 1) * features), (k - from) * features);
      ys[k - from] = y[order[k]!]!;
    }
    return { xs, ys };
  };
  const cut = Math.floor(n * 0.8);
  const train = take(0, cut);
  const test = take(cut, n);
  return { name, features, trainX: train.xs, trainY: train.ys, testX: test.xs, testY: test.ys };
}

const XGB_SCRIPT = `
import sys, json, time, numpy as np, xgboost as xgb
d, f, ntr, nte = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
trx = np.fromfile(d + '/trx.bin', dtype=np.float32).reshape(ntr, f)
tr_y = np.fromfile(d + '/try.bin', dtype=np.float64)
tex = np.fromfile(d + '/tex.bin', dtype=np.float32).reshape(nte, f)
dtr = xgb.DMatrix(trx, label=tr_y, missing=np.nan, nthread=1)
dte = xgb.DMatrix(tex, missing=np.nan, nthread=1)
params = {'objective': 'binary:logistic', 'tree_method': 'hist', 'max_depth': 6, 'eta': 0.1, 'max_bin': 256,
          'lambda': 1, 'min_child_weight': 1, 'nthread': 1, 'base_score': 0.5}
times = []
for _ in range(2):
    t = time.perf_counter(); b = xgb.train(params, dtr, num_boost_round=200); times.append(time.perf_counter() - t)
p = b.predict(dte)
p.astype(np.float64).tofile(d + '/pred.bin')
print(json.dumps({'seconds': min(times), 'version': xgb.__version__}))
`;

async function xgboostRun(dir: string, s: Split): Promise<{ seconds: number; auc: number; version: string }> {
  await writeFile(join(dir, 'trx.bin'), Buffer.from(s.trainX.buffer, s.trainX.byteOffset, s.trainX.byteLength));
  await writeFile(join(dir, 'try.bin'), Buffer.from(s.trainY.buffer, s.trainY.byteOffset, s.trainY.byteLength));
  await writeFile(join(dir, 'tex.bin'), Buffer.from(s.testX.buffer, s.testX.byteOffset, s.testX.byteLength));
  const r = spawnSync(PYTHON, ['-c', XGB_SCRIPT, dir, String(s.features), String(s.trainY.length), String(s.testY.length)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`xgboost failed (is python3-xgboost installed?): ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number; version: string };
  const buf = await readFile(join(dir, 'pred.bin'));
  const pred = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
  return { ...out, auc: rocAuc(pred, s.testY)! };
}

function stewardRun(s: Split): { seconds: number; auc: number } {
  let best = Infinity;
  let ensemble: TreeEnsemble | undefined;
  for (let i = 0; i < 2; i++) {
    const started = performance.now();
    // Training only, like xgboost's (given no evaluation sets): no per-round metrics.
    const result = trainGbdt({ x: s.trainX, rows: s.trainY.length, numFeatures: s.features, y: s.trainY }, { objective: 'binary:logistic', ...PARAMS, evalTrain: false });
    best = Math.min(best, (performance.now() - started) / 1000);
    ensemble = result.ensemble;
  }
  return { seconds: best, auc: rocAuc(predictMargin(ensemble!, s.testX, s.testY.length), s.testY)! };
}

const SKLEARN_SCRIPT = `
import sys, json, numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
d, n, f = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
x = np.fromfile(d + '/lrx.bin', dtype=np.float64).reshape(n, f)
y = np.fromfile(d + '/lry.bin', dtype=np.int32)
z = StandardScaler().fit_transform(x)
m = LogisticRegression(C=1.0, solver='lbfgs', tol=1e-10, max_iter=100000).fit(z, y)
print(json.dumps({'coef': m.coef_.ravel().tolist(), 'intercept': m.intercept_.tolist(), 'iterations': int(m.n_iter_[0])}))
`;

/**
 * Logistic regression on the credit card applications (test/fixtures/data/creditcard.csv, `card` from the numeric
 * columns), standardized, C = 1: Steward's coefficients (on standardized features, as its fit path makes
 * them) against scikit-learn's LogisticRegression(solver='lbfgs') on StandardScaler'd features.
 */
async function logisticRun(dir: string): Promise<{ maxDiff: number; features: number; rows: number }> {
  const text = readFileSync(fileURLToPath(new URL('../test/fixtures/data/creditcard.csv', import.meta.url)), 'utf8').trim().split('\n');
  const header = text[0]!.split(',').map((h) => h.replace(/"/g, ''));
  const cols = ['reports', 'age', 'income', 'dependents', 'months', 'majorcards', 'active'];
  const idx = cols.map((c) => header.indexOf(c));
  const rows = text.slice(1).map((l) => l.split(',').map((v) => v.replace(/"/g, '')));
  const x = new Float64Array(rows.length * cols.length);
  const y = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    idx.forEach((j, k) => (x[i * cols.length + k] = Number(r[j])));
    y[i] = r[header.indexOf('card')] === 'yes' ? 1 : 0;
  });
  await writeFile(join(dir, 'lrx.bin'), Buffer.from(x.buffer));
  await writeFile(join(dir, 'lry.bin'), Buffer.from(y.buffer));
  const r = spawnSync(PYTHON, ['-c', SKLEARN_SCRIPT, dir, String(rows.length), String(cols.length)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scikit-learn failed (is python3-sklearn installed?): ${r.stderr}`);
  const sk = JSON.parse(r.stdout.trim().split('\n').pop()!) as { coef: number[]; intercept: number[] };
  const ours = trainLogistic(x, y, rows.length, cols.length, { C: 1, standardize: true, tol: 1e-10, maxIter: 100000 });
  const st = ours.standardization!;
  let maxDiff = Math.abs(st.intercept[0]! - sk.intercept[0]!);
  for (let j = 0; j < cols.length; j++) maxDiff = Math.max(maxDiff, Math.abs(st.coef[j]! - sk.coef[j]!));
  return { maxDiff, features: cols.length, rows: rows.length };
}

export async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'steward-bench-train-'));
  try {
    const rows: (string | number)[][] = [];
    const results: { name: string; steward: { seconds: number; auc: number }; xgb: { seconds: number; auc: number; version: string } }[] = [];
    for (const s of [synthetic(100_000, 20, 7), flights()]) {
      const xgb = await xgboostRun(dir, s);
      const steward = stewardRun(s);
      results.push({ name: s.name, steward, xgb });
      rows.push([s.name, steward.seconds.toFixed(2), xgb.seconds.toFixed(2), (steward.seconds / xgb.seconds).toFixed(2), steward.auc.toFixed(4), xgb.auc.toFixed(4), (xgb.auc - steward.auc).toFixed(4)]);
    }
    printTable(
      `GBDT training, 200 trees, depth 6, eta 0.1, 256 bins, one thread each (xgboost ${results[0]!.xgb.version} hist), best of 2`,
      ['data', 'steward s', 'xgboost s', 'time ratio', 'steward AUC', 'xgboost AUC', 'AUC gap'],
      rows,
    );
    const lr = await logisticRun(dir);
    printTable('Logistic regression, C = 1, standardized features (credit card applications)', ['rows', 'features', 'max |coef − scikit-learn lbfgs coef|'], [[lr.rows, lr.features, lr.maxDiff.toExponential(2)]]);
    const main = results[0]!;
    console.log(
      JSON.stringify({
        bench: 'train',
        figures: {
          time_ratio_vs_xgboost: Math.round((main.steward.seconds / main.xgb.seconds) * 100) / 100,
          auc_gap_vs_xgboost: Math.round((main.xgb.auc - main.steward.auc) * 1e5) / 1e5,
          steward_s: Math.round(main.steward.seconds * 100) / 100,
          xgboost_s: Math.round(main.xgb.seconds * 100) / 100,
          flights_time_ratio_vs_xgboost: Math.round((results[1]!.steward.seconds / results[1]!.xgb.seconds) * 100) / 100,
          flights_auc_gap_vs_xgboost: Math.round((results[1]!.xgb.auc - results[1]!.steward.auc) * 1e5) / 1e5,
          logistic_coef_max_diff_vs_sklearn: Number(lr.maxDiff.toExponential(2)),
        },
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
