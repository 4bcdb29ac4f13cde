/**
 * TreeSHAP benchmark, in one run, on one model and one set of rows, both single-threaded: Steward's exact
 * path-dependent TreeSHAP (src/ml/trees/tree-shap.ts with its precomputed plan) against xgboost's own
 * (python3-xgboost, Booster.predict(pred_contribs=True), nthread=1), on bench-200x6.json (200 trees of
 * depth 6, 20 features, binary:logistic) and 10,000 rows with 2% missing values.
 *
 * Figures: rows/s of each (best of 3 runs), their ratio, the largest absolute difference between the two
 * answers (every SHAP value and the bias), the one-off time to build the plan, and the recursive
 * algorithm's rate (the paper's, without the plan) for scale. Then SHAP interaction values on the first
 * 50 rows: Steward's against xgboost's pred_interactions (both one thread), with their largest difference.
 * Prints a table and one JSON line {"bench":"shap","figures":{...}}.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planTreeShap } from '../src/ml/trees/tree-shap-plan.js';
import { treeShap, treeShapInteractions, treeShapPlan } from '../src/ml/trees/tree-shap.js';
import { parseXgboostJson } from '../src/ml/trees/xgboost-json.js';
import { TreeShapPool } from '../src/modules/explain/tree-shap-pool.js';

const PYTHON = '/usr/bin/python3';
const MODEL = fileURLToPath(new URL('../test/fixtures/xgboost/bench-200x6.json', import.meta.url));
const ROWS = 10_000;
const RECURSIVE_ROWS = 1_000;
const INTERACTION_ROWS = 50;
const ROUNDS = 3;

function rows(count: number, width: number): Float32Array {
  const x = new Float32Array(count * width);
  let s = 7;
  for (let i = 0; i < x.length; i++) {
    s = (s * 16807) % 2147483647;
    x[i] = s % 50 === 0 ? NaN : (s / 2147483647 - 0.5) * 4;
  }
  return x;
}

function xgboostContribs(dataFile: string, outFile: string, width: number): { rowsPerSec: number; interactionRowsPerSec: number } {
  const script = `
import json, sys, time
import numpy as np, xgboost as xgb
b = xgb.Booster(model_file=sys.argv[1]); b.set_param({"nthread": 1})
x = np.fromfile(sys.argv[2], dtype=np.float32).reshape(-1, ${width})
dm = xgb.DMatrix(x, missing=np.nan, nthread=1)
best = None
for _ in range(${ROUNDS}):
    t = time.perf_counter(); c = b.predict(dm, pred_contribs=True); dt = time.perf_counter() - t
    best = dt if best is None else min(best, dt)
np.asarray(c, dtype=np.float64).tofile(sys.argv[3])
small = xgb.DMatrix(x[:${INTERACTION_ROWS}], missing=np.nan, nthread=1)
t = time.perf_counter(); i = b.predict(small, pred_interactions=True); dt = time.perf_counter() - t
np.asarray(i, dtype=np.float64).tofile(sys.argv[3] + ".interactions")
print(json.dumps({"rowsPerSec": x.shape[0] / best, "interactionRowsPerSec": ${INTERACTION_ROWS} / dt, "version": xgb.__version__}))
`;
  const r = spawnSync(PYTHON, ['-c', script, MODEL, dataFile, outFile], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`xgboost run failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { rowsPerSec: number; interactionRowsPerSec: number };
}

export async function main(): Promise<void> {
  const { ensemble } = parseXgboostJson(readFileSync(MODEL));
  const F = ensemble.numFeatures;
  const x = rows(ROWS, F);

  let t = performance.now();
  planTreeShap(ensemble);
  const planMs = performance.now() - t;
  treeShapPlan(ensemble); // the cached plan the timed runs use
  treeShap(ensemble, x.subarray(0, 100 * F), 100); // warm up
  let best = Infinity;
  let ours = treeShap(ensemble, x, ROWS);
  for (let i = 0; i < ROUNDS; i++) {
    t = performance.now();
    ours = treeShap(ensemble, x, ROWS);
    best = Math.min(best, performance.now() - t);
  }
  const stewardRowsPerSec = ROWS / (best / 1000);
  t = performance.now();
  treeShap(ensemble, x.subarray(0, RECURSIVE_ROWS * F), RECURSIVE_ROWS, { algorithm: 'recursive' });
  const recursiveRowsPerSec = RECURSIVE_ROWS / ((performance.now() - t) / 1000);

  // The worker pool the server uses (two threads here), for scale: not part of the single-thread comparison.
  const pool = new TreeShapPool(2);
  await pool.treeShap(ensemble, x.subarray(0, 200 * F), 200); // ships the ensemble and builds the plans
  t = performance.now();
  await pool.treeShap(ensemble, x, ROWS);
  const poolRowsPerSec = ROWS / ((performance.now() - t) / 1000);
  await pool.close();

  const dir = mkdtempSync(join(tmpdir(), 'steward-shap-'));
  const dataFile = join(dir, 'x.f32');
  const outFile = join(dir, 'contribs.f64');
  writeFileSync(dataFile, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  const xg = xgboostContribs(dataFile, outFile, F);
  const xgboostRowsPerSec = xg.rowsPerSec;
  const theirs = new Float64Array(new Uint8Array(readFileSync(outFile)).buffer);
  let maxDiff = 0;
  for (let r = 0; r < ROWS; r++) {
    for (let f = 0; f < F; f++) maxDiff = Math.max(maxDiff, Math.abs(ours.values[r * F + f]! - theirs[r * (F + 1) + f]!));
    maxDiff = Math.max(maxDiff, Math.abs(ours.bias[0]! - theirs[r * (F + 1) + F]!));
  }

  const xi = x.subarray(0, INTERACTION_ROWS * F);
  treeShapInteractions(ensemble, xi.subarray(0, F), 1); // warm up
  t = performance.now();
  const inter = treeShapInteractions(ensemble, xi, INTERACTION_ROWS);
  const interRowsPerSec = INTERACTION_ROWS / ((performance.now() - t) / 1000);
  const theirInter = new Float64Array(new Uint8Array(readFileSync(`${outFile}.interactions`)).buffer);
  let interDiff = 0;
  for (let r = 0; r < INTERACTION_ROWS; r++) {
    for (let a = 0; a < F; a++) for (let b = 0; b < F; b++) interDiff = Math.max(interDiff, Math.abs(inter.values[(r * F + a) * F + b]! - theirInter[(r * (F + 1) + a) * (F + 1) + b]!));
  }

  const figures = {
    ratio_vs_xgboost: Number((stewardRowsPerSec / xgboostRowsPerSec).toFixed(2)),
    steward_rows_per_s: Math.round(stewardRowsPerSec),
    xgboost_rows_per_s: Math.round(xgboostRowsPerSec),
    max_abs_diff_vs_xgboost: Number(maxDiff.toExponential(2)),
    plan_ms: Number(planMs.toFixed(1)),
    recursive_rows_per_s: Math.round(recursiveRowsPerSec),
    pool_2_threads_rows_per_s: Math.round(poolRowsPerSec),
    interactions_ratio_vs_xgboost: Number((interRowsPerSec / xg.interactionRowsPerSec).toFixed(2)),
    interactions_steward_rows_per_s: Number(interRowsPerSec.toFixed(1)),
    interactions_xgboost_rows_per_s: Number(xg.interactionRowsPerSec.toFixed(1)),
    interactions_max_abs_diff: Number(interDiff.toExponential(2)),
  };
  process.stdout.write(
    `\nTreeSHAP, 200 trees x depth 6, 20 features, ${ROWS} rows, one thread each\n` +
      `  steward (plan)      ${figures.steward_rows_per_s} rows/s   (plan built once in ${figures.plan_ms} ms)\n` +
      `  steward (recursive) ${figures.recursive_rows_per_s} rows/s   (the paper's algorithm, ${RECURSIVE_ROWS} rows)\n` +
      `  steward (2 worker threads, as served) ${figures.pool_2_threads_rows_per_s} rows/s\n` +
      `  xgboost pred_contribs ${figures.xgboost_rows_per_s} rows/s\n` +
      `  ratio ${figures.ratio_vs_xgboost}x, max |difference| ${figures.max_abs_diff_vs_xgboost}\n` +
      `Interaction values, ${INTERACTION_ROWS} rows: steward ${figures.interactions_steward_rows_per_s} rows/s, xgboost pred_interactions ${figures.interactions_xgboost_rows_per_s} rows/s ` +
      `(ratio ${figures.interactions_ratio_vs_xgboost}x, max |difference| ${figures.interactions_max_abs_diff})\n`,
  );
  process.stdout.write(`${JSON.stringify({ bench: 'shap', figures })}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
