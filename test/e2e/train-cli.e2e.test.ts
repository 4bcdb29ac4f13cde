/**
 * End to end: training through the built `steward` CLI alone against a real `steward serve` process, on the
 * credit card applications data (test/fixtures/data/creditcard.csv, label "card"): upload it, train a GBDT and
 * register it, deploy it, predict with it (CLI and HTTP), explain a request and the logged prediction with
 * TreeSHAP (the SHAP values add up to the margin of the served probability); a random search of linear
 * models; the server's refusals naming the field, and the CLI's own usage errors.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServerProcess, type ServerProcess } from '../support/server-process.js';

const TOKEN = 'stw_e2e-train-token-for-tests0000000';
const CREDIT = fileURLToPath(new URL('../fixtures/data/creditcard.csv', import.meta.url));
const FEATURES = ['reports', 'age', 'income', 'share', 'expenditure', 'owner', 'selfemp', 'dependents', 'months', 'majorcards', 'active'];
/** Two applications from the file (owner/selfemp yes/no as 1/0): the first accepted, the second (no spending, two reports) refused. */
const ROWS = [
  { reports: 0, age: 37.66667, income: 4.52, share: 0.03326991, expenditure: 124.9833, owner: 1, selfemp: 0, dependents: 3, months: 54, majorcards: 1, active: 12 },
  { reports: 2, age: 30, income: 2.1, share: 0.0005, expenditure: 0, owner: 0, selfemp: 0, dependents: 1, months: 20, majorcards: 0, active: 3 },
];

let dir: string;
let server: ServerProcess;
let env: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-e2e-train-'));
  server = await startServerProcess(join(dir, 'home'), { STEWARD_ADMIN_TOKEN: TOKEN });
  env = { XDG_CONFIG_HOME: join(dir, 'config'), STEWARD_URL: server.url, STEWARD_TOKEN: TOKEN };
  await writeFile(join(dir, 'rows.csv'), `${FEATURES.join(',')}\n${ROWS.map((r) => FEATURES.map((f) => r[f as keyof typeof r]).join(',')).join('\n')}\n`);
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI; when the server cannot be reached, the answer's stderr also tells how the server ended. */
const cli = async (...args: string[]) => {
  const r = await runCli(args, env);
  if (/cannot reach the Steward server/.test(r.stderr)) {
    r.stderr += `\n[server exit code ${String(server.child.exitCode)}, signal ${String(server.child.signalCode)}; its output ends:]\n${server.output().slice(-3000)}`;
  }
  return r;
};
const logit = (p: number) => Math.log(p / (1 - p));

describe('steward train', () => {
  it('trains and registers a GBDT, which deploys, predicts and is explained by TreeSHAP', async () => {
    const up = await cli('datasets', 'upload', CREDIT, '--name', 'credit', '--create', '-q');
    expect(up.code, up.stderr).toBe(0);

    const t = await cli('train', '--dataset', 'credit@1', '--target', 'card', '--algo', 'gbdt', '--param', 'numRounds=30', '--register', 'credit-gbdt');
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/^status:\s+succeeded$/m);
    expect(t.stdout).toMatch(/^rows:\s+1319 \(train \d+, validation \d+\)$/m);
    expect(t.stdout).toMatch(/^\s+0 \*\s+FINISHED\s+0\.9\d*\s/m);
    expect(t.stdout).toMatch(/^\s+registered:\s+credit-gbdt version 1 \(new model\)$/m);
    expect(t.stdout).toMatch(/^\s+format:\s+xgboost-json \(flavor xgboost-json, status READY\)$/m);
    const diff = /onnx check:\s+max \|difference\| (\S+) against the native model on (\d+) rows/.exec(t.stdout);
    expect(diff, t.stdout).not.toBeNull();
    expect(Number(diff![1])).toBeLessThanOrEqual(1e-5);
    expect(Number(diff![2])).toBe(1000);
    // the feature importance of the best trial names the features it was given
    const important = [...t.stdout.matchAll(/^\s+(\d+)\s+(\w+)\s+[\d.e+-]+\s+[\d.]+%/gm)].map((m) => m[2]);
    expect(important.length).toBe(10);
    for (const f of important) expect(FEATURES).toContain(f);

    const deploy = await cli('deploy', 'credit', '--model', 'credit-gbdt', '--version', '1');
    expect(deploy.code, deploy.stderr).toBe(0);
    const predicted = await cli('--json', 'predict', 'credit', '-f', join(dir, 'rows.csv'));
    expect(predicted.code, predicted.stderr).toBe(0);
    const { predictions, predictionIds, modelVersion } = JSON.parse(predicted.stdout) as { predictions: number[]; predictionIds: string[]; modelVersion: unknown };
    expect(modelVersion).toEqual({ model: 'credit-gbdt', version: 1 });
    expect(predictions[0]).toBeGreaterThan(0.5);
    expect(predictions[1]).toBeLessThan(0.5);

    // the same rows through HTTP: the same probabilities
    const res = await fetch(`${server.url}/api/v1/deployments/credit/predict`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ rows: ROWS }),
    });
    expect(res.status).toBe(200);
    const http = (await res.json()) as { predictions: number[] };
    expect(http.predictions[0]).toBeCloseTo(predictions[0]!, 6);
    expect(http.predictions[1]).toBeCloseTo(predictions[1]!, 6);

    // TreeSHAP: the printed total is the margin of the served probability, and so is bias + Σ SHAP
    const shown = await cli('explain', 'request', 'credit', '-f', join(dir, 'rows.csv'), '--row', '1');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^method:\s+TreeSHAP \(exact\)$/m);
    expect(shown.stdout).toMatch(/^#\s+FEATURE\s+VALUE\s+SHAP \(log-odds\)$/m);
    const total = /^\s+total \((?:margin|log-odds)\)\s+(\S+)$/m.exec(shown.stdout);
    expect(total, shown.stdout).not.toBeNull();
    expect(Number(total![1])).toBeCloseTo(logit(predictions[1]!), 3);
    const e = JSON.parse((await cli('--json', 'explain', 'request', 'credit', '-f', join(dir, 'rows.csv'))).stdout) as { features: string[]; bias: number[]; shap: number[][][]; predictions: number[] };
    expect([...e.features].sort()).toEqual([...FEATURES].sort());
    for (const row of [0, 1]) {
      const margin = e.shap[row]![0]!.reduce((a, b) => a + b, e.bias[0]!);
      expect(Math.abs(margin - logit(predictions[row]!))).toBeLessThan(1e-4);
    }
    // the most important feature of row 1 is printed first
    const phi = e.shap[1]![0]!;
    const top = e.features[phi.map((v, i) => [Math.abs(v), i] as const).sort((a, b) => b[0] - a[0])[0]![1]]!;
    expect(shown.stdout).toMatch(new RegExp(`^1\\s+${top}\\s`, 'm'));

    // the logged prediction, explained by its id with the version that made it
    const logged = await cli('explain', 'prediction', predictionIds[0]!);
    expect(logged.code, logged.stderr).toBe(0);
    expect(logged.stdout).toContain(`prediction ${predictionIds[0]} by credit (credit-gbdt v1)`);
    const loggedTotal = /^\s+total \((?:margin|log-odds)\)\s+(\S+)$/m.exec(logged.stdout);
    expect(Number(loggedTotal![1])).toBeCloseTo(logit(predictions[0]!), 3);
  });

  it('runs a random search of linear models and marks the best trial', async () => {
    const r = await cli('train', '--dataset', 'credit@1', '--target', 'card', '--search', '3', '--algo', 'linear');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^trials:\s+3 of 3 finished$/m);
    const trials = [...r.stdout.matchAll(/^\s+(\d)( \*)?\s+FINISHED\s+(\S+)\s+(0\.\d+)\s/gm)];
    expect(trials.map((m) => m[1])).toEqual(['0', '1', '2']);
    expect(trials.filter((m) => m[2] === ' *')).toHaveLength(1);
    // the best has the highest AUC
    const best = trials.find((m) => m[2] === ' *')!;
    expect(Number(best[4])).toBe(Math.max(...trials.map((m) => Number(m[4]))));
    expect(r.stdout).toMatch(/^\s+\* best by auc$/m);
    // not a terminal: one line per trial on stderr
    expect(r.stderr.match(/^trial \d of 3: FINISHED auc /gm)).toHaveLength(3);

    const list = await cli('--json', 'train', 'list', '--status', 'succeeded');
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { items: unknown[] }).items).toHaveLength(2);
  });

  it('exits non-zero with the server\'s message naming the field, and 2 for bad flags', async () => {
    const target = await cli('train', '--dataset', 'credit@1', '--target', 'accepted');
    expect(target.code).toBe(1);
    expect(target.stderr).toMatch(/^error: target: there is no column 'accepted' in credit@1 .*\(INVALID_FIELD, HTTP 400\)$/m);
    const depth = await cli('train', '--dataset', 'credit@1', '--target', 'card', '--param', 'maxDepth=99');
    expect(depth.code).toBe(1);
    expect(depth.stderr).toMatch(/^error: params\.maxDepth: is 99; maxDepth must be/m);
    const flag = await cli('train', '--dataset', 'credit@1', '--target', 'card', '--folds', '3', '--validation-fraction', '0.1');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/give one of --folds, --validation-fraction or --validation-dataset/);
    const param = await cli('train', '--dataset', 'credit@1', '--target', 'card', '--param', 'maxDepth');
    expect(param.code).toBe(2);
    expect(param.stderr).toMatch(/'maxDepth' must be name=value/);
  });
});
