/**
 * End to end: monitoring through the built `steward` CLI against a real `steward serve` process that folds
 * its prediction log on its own timer: a reference from a CSV file, predictions over HTTP, labels from a CSV
 * file, and the report as a table and as JSON.
 */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/ml/monitoring/profile.js';
import { runCli, startServerProcess, type ServerProcess } from '../support/server-process.js';

const TOKEN = 'stw_e2e-monitoring-token-for-tests00';
let dir: string;
let server: ServerProcess;
let env: Record<string, string>;

const normal = (r: Random) => Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
const row = (r: Random, shift: number) => ({ income: Math.exp(10 + 0.5 * normal(r)), age: 18 + r.below(62), home_owner: r.next() < 0.4 ? 1 : 0, score: normal(r) + shift });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-e2e-monitor-'));
  server = await startServerProcess(join(dir, 'home'), { STEWARD_ADMIN_TOKEN: TOKEN, STEWARD_MONITORING_FOLD_MS: '200' });
  env = { XDG_CONFIG_HOME: join(dir, 'config'), STEWARD_URL: server.url, STEWARD_TOKEN: TOKEN };
  await copyFile(new URL('../fixtures/xgboost/named-features.json', import.meta.url), join(dir, 'loans.json'));
  const rng = new Random(4);
  const rows = Array.from({ length: 3000 }, () => row(rng, 0));
  await writeFile(join(dir, 'reference.csv'), ['income,age,home_owner,score', ...rows.map((x) => [x.income, x.age, x.home_owner, x.score].join(','))].join('\n') + '\n');
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli(args, env);

describe('steward reference, labels and monitor', () => {
  const ids: string[] = [];
  const scores: number[] = [];

  it('sets a reference from a CSV file and waits until it is ready', async () => {
    expect((await cli('models', 'create', 'loans')).code).toBe(0);
    expect((await cli('models', 'register', join(dir, 'loans.json'), '--name', 'loans', '--flavor', 'xgboost-json')).code).toBe(0);
    expect((await cli('deploy', 'loans', '--model', 'loans', '--version', '1')).code).toBe(0);
    const bad = await cli('reference', 'set', 'loans', '1');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/exactly one of --dataset name@version or --file path/);
    const r = await cli('reference', 'set', 'loans', '1', '--file', join(dir, 'reference.csv'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/reference of loans v1 is ready: 3000 rows/);
    const show = await cli('reference', 'show', 'loans', '1');
    expect(show.stdout).toMatch(/^score\s+numeric\s+3000\s+0/m);
  });

  it('reports drift after shifted traffic, and performance after labels', async () => {
    const rng = new Random(5);
    for (let b = 0; b < 20; b++) {
      const res = await fetch(`${server.url}/api/v1/deployments/loans/predict`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ rows: Array.from({ length: 100 }, () => row(rng, 2)) }),
      });
      expect(res.status).toBe(200);
      ids.push(...String(res.headers.get('x-prediction-id')).split(','));
      scores.push(...((await res.json()) as { predictions: number[] }).predictions);
    }
    const labels = ['predictionId,label', ...ids.map((id, i) => `${id},${rng.next() < scores[i]! ? 1 : 0}`), 'not-an-id,1'];
    await writeFile(join(dir, 'labels.csv'), labels.join('\n'));
    const l = await cli('labels', 'loans', join(dir, 'labels.csv'));
    expect(l.code, l.stderr).toBe(0);
    expect(l.stdout).toMatch(/^received:\s+2001$/m);
    expect(l.stdout).toMatch(/^stored:\s+2000$/m);
    expect(l.stdout).toMatch(/^invalid:\s+1 e\.g\. #2000: predictionId must be a prediction id/m);

    // The server folds its log every 200 ms: wait until the report has every prediction.
    let report: { operations: { count: number }; drift: { features: Record<string, { drifted: boolean }> } } | undefined;
    for (let i = 0; i < 100; i++) {
      const r = await cli('--json', 'monitor', 'loans');
      expect(r.code, r.stderr).toBe(0);
      report = JSON.parse(r.stdout);
      if (report!.operations.count === 2000) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(report!.operations.count).toBe(2000);
    expect(report!.drift.features.score!.drifted).toBe(true);
    expect(report!.drift.features.age!.drifted).toBe(false);

    const text = await cli('monitor', 'loans', '--version', '1');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^FEATURE\s+KIND\s+TEST\s+STATISTIC/m);
    expect(text.stdout).toMatch(/^score\s+numeric\s+wasserstein\s+[\d.]+.*DRIFT$/m);
    expect(text.stdout).toMatch(/^2000 labeled predictions \(binary\)/m);
    expect(text.stdout).toMatch(/^predictions:\s+2000$/m);
    const bad = await cli('monitor', 'loans', '--from', 'yesterday');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/from: must be an ISO 8601 time/);
  });
});
