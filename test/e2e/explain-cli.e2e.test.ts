/**
 * End to end: explanations through the built `steward` CLI against a real `steward serve` process — a
 * request explained as a ranked table equal to the API's answer, a logged prediction explained by id,
 * and a global report on an uploaded dataset started, waited for and shown.
 */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/ml/monitoring/profile.js';
import { runCli, startServerProcess, type ServerProcess } from '../support/server-process.js';

const TOKEN = 'stw_e2e-explain-token-for-tests00000';
let dir: string;
let server: ServerProcess;
let env: Record<string, string>;

const normal = (r: Random) => Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-e2e-explain-'));
  server = await startServerProcess(join(dir, 'home'), { STEWARD_ADMIN_TOKEN: TOKEN });
  env = { XDG_CONFIG_HOME: join(dir, 'config'), STEWARD_URL: server.url, STEWARD_TOKEN: TOKEN };
  await copyFile(new URL('../fixtures/xgboost/named-features.json', import.meta.url), join(dir, 'loans.json'));
  const rng = new Random(8);
  const lines = ['income,age,home_owner,score,approved'];
  for (let i = 0; i < 500; i++) {
    const score = normal(rng);
    const owner = rng.next() < 0.4 ? 1 : 0;
    lines.push([Math.exp(10 + 0.5 * normal(rng)), 18 + rng.below(62), owner, score, score + owner > 0.3 ? 1 : 0].join(','));
  }
  await writeFile(join(dir, 'applications.csv'), lines.join('\n') + '\n');
  await writeFile(join(dir, 'rows.csv'), 'income,age,home_owner,score\n42000,37,1,0.3\n18000,61,,-1.2\n');
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli(args, env);

describe('steward explain', () => {
  it('explains a request as a ranked table, the same numbers as the API', async () => {
    expect((await cli('models', 'create', 'loans')).code).toBe(0);
    expect((await cli('models', 'register', join(dir, 'loans.json'), '--name', 'loans', '--flavor', 'xgboost-json')).code).toBe(0);
    expect((await cli('deploy', 'loans', '--model', 'loans', '--version', '1')).code).toBe(0);
    const r = await cli('explain', 'request', 'loans', '-f', join(dir, 'rows.csv'), '--row', '1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^method:\s+TreeSHAP \(exact\)$/m);
    expect(r.stdout).toMatch(/^#\s+FEATURE\s+VALUE\s+SHAP \(log-odds\)$/m);
    expect(r.stdout).toMatch(/^\s*home_owner\s+\(missing\)|^\d\s+home_owner\s+\(missing\)/m);
    const json = JSON.parse((await cli('--json', 'explain', 'request', 'loans', '-f', join(dir, 'rows.csv'))).stdout);
    const phi = json.shap[1][0] as number[];
    // ranks follow |SHAP| of row 1
    const ranked = json.features.map((f: string, i: number) => [f, Math.abs(phi[i]!)] as const).sort((a: readonly [string, number], b: readonly [string, number]) => b[1] - a[1]).map((x: readonly [string, number]) => x[0]);
    const printed = [...r.stdout.matchAll(/^([1-4])\s+(\w+)\s/gm)].map((m) => m[2]);
    expect(printed).toEqual(ranked);
    const total = phi.reduce((a, b) => a + b, json.bias[0]);
    expect(Math.abs(total - Math.log(json.predictions[1] / (1 - json.predictions[1])))).toBeLessThan(1e-5);
    const bad = await cli('explain', 'request', 'loans', '-f', join(dir, 'rows.csv'), '--top', '0');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--top/);
  });

  it('explains a logged prediction by its id', async () => {
    const res = await fetch(`${server.url}/api/v1/deployments/loans/predict`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ rows: [{ income: 42000, age: 37, home_owner: 1, score: 0.3 }] }),
    });
    const id = ((await res.json()) as { predictionIds: string[] }).predictionIds[0]!;
    const r = await cli('explain', 'prediction', id);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`prediction ${id} by loans (loans v1)`);
    expect(r.stdout).toMatch(/^bias \(expected value\)|\s+bias \(expected value\)\s+-?[\d.]/m);
    const missing = await cli('explain', 'prediction', '0190a0a0-0000-7000-8000-000000000000');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no logged prediction/);
  });

  it('runs a global report on a dataset version and shows it', async () => {
    expect((await cli('datasets', 'create', 'applications')).code).toBe(0);
    const up = await cli('datasets', 'upload', join(dir, 'applications.csv'), '--name', 'applications');
    expect(up.code, up.stderr).toBe(0);
    const r = await cli('explain', 'report', 'loans', '1', '--dataset', 'applications@1', '--target', 'approved', '--rows', '200', '--pair', 'score,income');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^status:\s+succeeded$/m);
    expect(r.stdout).toMatch(/^#\s+FEATURE\s+MEAN \|SHAP\|\s+PERMUTATION \(roc_auc\)\s+± STD$/m);
    expect(r.stdout).toMatch(/^partial dependence of \w+ \(probability\)/m);
    const shown = await cli('explain', 'show', 'loans', '1');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^1\s+\w+\s+[\d.e-]+\s+/m);
    const bad = await cli('explain', 'report', 'loans', '1', '--dataset', 'applications@1', '--features', 'colour');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/colour/);
  });
});
