/**
 * End to end: deployments and predictions through the built `steward` CLI against a real `steward serve`
 * process: deploy, list, show, predict from CSV (MLflow protocol) and JSON (Steward's), canary, rollback,
 * projects, errors, delete.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINEAR, linearModel } from '../fixtures/models.js';
import { CLI, runCli, startServerProcess, type CliResult, type ServerProcess } from '../support/server-process.js';

const TOKEN = 'stw_e2e-deployments-token-for-tests0';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ROWS = [
  { f0: 1, f1: 2, f2: 3, f3: 4 },
  { f0: -1, f1: 0.5, f2: 0, f3: 2 },
  { f0: 0, f1: 0, f2: 0, f3: 0 },
];
/** The linear fixture's prediction, in float64 from its float32 weights. */
const linear = (r: (typeof ROWS)[number]) => [r.f0, r.f1, r.f2, r.f3].reduce((s, v, i) => s + Math.fround(v) * LINEAR.W[i]!, LINEAR.b[0]!);

let dir: string;
let server: ServerProcess;
let env: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-e2e-deploy-'));
  server = await startServerProcess(join(dir, 'home'), { STEWARD_ADMIN_TOKEN: TOKEN });
  env = { XDG_CONFIG_HOME: join(dir, 'config'), STEWARD_URL: server.url, STEWARD_TOKEN: TOKEN };
  await writeFile(join(dir, 'linear.onnx'), linearModel());
  await writeFile(join(dir, 'rows.csv'), `f0,f1,f2,f3\n${ROWS.map((r) => [r.f0, r.f1, r.f2, r.f3].join(',')).join('\n')}\n`);
  await writeFile(join(dir, 'rows.json'), JSON.stringify(ROWS));
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli(args, env);
const json = async (...args: string[]) => {
  const r = await cli('--json', ...args);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

/** Like runCli, with `input` on standard input. */
async function cliWithInput(input: string, ...args: string[]): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input);
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

describe('steward deploy, deployments and predict', () => {
  it('registers two versions of the linear model', async () => {
    expect((await cli('models', 'create', 'houses')).code).toBe(0);
    for (const version of [1, 2]) expect(await json('models', 'register', join(dir, 'linear.onnx'), '--name', 'houses')).toMatchObject({ version, status: 'READY' });
  });

  it('deploys a version (--version reaches deploy, not the program) and prints the revision and targets', async () => {
    const r = await cli('deploy', 'price', '--model', 'houses', '--version', '1', '-m', 'first');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^deployment 'price' is at revision 1 \(live\)/);
    expect(r.stdout).toMatch(/^houses\s+1\s+100%$/m);
    // Before a command, --version is still Steward's own.
    const v = await cli('--version');
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('lists and shows it', async () => {
    const list = await cli('deployments', 'list');
    expect(list.stdout).toMatch(/^NAME\s+REVISION\s+TARGETS/);
    expect(list.stdout).toMatch(/^price\s+1\s+houses v1 100%\s+yes\s+\S+$/m);
    expect((await json('deployments', 'list')).items.map((d: { name: string }) => d.name)).toEqual(['price']);
    const shown = await cli('deployments', 'show', 'price');
    expect(shown.stdout).toMatch(/^revision:\s+1 \(live\)$/m);
    expect(shown.stdout).toMatch(/^batching:\s+off$/m);
    expect(await json('deployments', 'show', 'price')).toMatchObject({
      name: 'price',
      project: 'default',
      revision: 1,
      live: true,
      spec: { targets: [{ model: 'houses', version: 1, alias: null, weight: 100 }], shadow: [], batching: null, public: false },
    });
  });

  it('predicts from a CSV file and from a JSON file, with the same answers and distinct ids', async () => {
    const csv = await json('predict', 'price', '--file', join(dir, 'rows.csv'));
    const fromJson = await json('predict', 'price', '--file', join(dir, 'rows.json'));
    for (const r of [csv, fromJson]) {
      expect(Object.keys(r).sort()).toEqual(['modelVersion', 'predictionIds', 'predictions']);
      expect(r.modelVersion).toEqual({ model: 'houses', version: 1 });
      expect(r.predictions).toHaveLength(ROWS.length);
      r.predictions.forEach((p: unknown, i: number) => {
        expect(typeof p).toBe('number');
        expect(p).toBeCloseTo(linear(ROWS[i]!), 5);
      });
      expect(r.predictionIds).toHaveLength(ROWS.length);
      for (const id of r.predictionIds) expect(id).toMatch(UUID);
    }
    expect(fromJson.predictions).toEqual(csv.predictions);
    expect(new Set([...csv.predictionIds, ...fromJson.predictionIds]).size).toBe(2 * ROWS.length);
  });

  it('prints a table of predictions, and reads columns from standard input', async () => {
    const t = await cli('predict', 'price', '--file', join(dir, 'rows.csv'));
    expect(t.code, t.stderr).toBe(0);
    const lines = t.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ROW\s+PREDICTION\s+PREDICTION ID$/);
    expect(lines).toHaveLength(ROWS.length + 2);
    lines.slice(1, -1).forEach((line, i) => {
      const [row, prediction, id] = line.split(/\s+/);
      expect(Number(row)).toBe(i + 1);
      expect(Number(prediction)).toBeCloseTo(linear(ROWS[i]!), 4);
      expect(id).toMatch(UUID);
    });
    expect(lines.at(-1)).toBe('(3 rows, by houses version 1)');
    const columns = { columns: { f0: [1], f1: [2], f2: [3], f3: [4] } };
    const piped = await cliWithInput(JSON.stringify(columns), '--json', 'predict', 'price', '--file', '-');
    expect(piped.code, piped.stderr).toBe(0);
    expect(JSON.parse(piped.stdout).predictions[0]).toBeCloseTo(linear(ROWS[0]!), 5);
    const pipedCsv = await cliWithInput('f3,f2,f1,f0\n4,3,2,1\n', '--json', 'predict', 'price', '-f', '-');
    expect(JSON.parse(pipedCsv.stdout).predictions[0]).toBeCloseTo(linear(ROWS[0]!), 5);
  });

  it('deploys a canary of two versions, and rolls back', async () => {
    const canary = await json('deploy', 'price', '--model', 'houses', '--version', '1', '--canary', 'houses:2:30', '--batch', '16,200', '--comment', 'canary');
    expect(canary).toMatchObject({ revision: 2, spec: { batching: { maxBatchSize: 16, maxDelayMicros: 200 } } });
    expect(canary.spec.targets.map((t: { version: number; weight: number }) => [t.version, t.weight])).toEqual([
      [1, 70],
      [2, 30],
    ]);
    const revs = await cli('deployments', 'revisions', 'price');
    expect(revs.stdout).toMatch(/^2 \*\s+update\s+houses v1 70%, houses v2 30%\s+admin\s+\S+\s+canary$/m);
    expect(revs.stdout).toMatch(/^1\s+update\s+houses v1 100%\s+admin\s+\S+\s+first$/m);

    const back = await cli('deployments', 'rollback', 'price', '--comment', 'v2 is slower');
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toMatch(/^rolled back 'price': now at revision 3 \(live\)/);
    expect(back.stdout).toMatch(/^houses\s+1\s+100%$/m);
    const items = (await json('deployments', 'revisions', 'price')).items;
    expect(items.map((r: { revision: number; cause: string; current: boolean; comment: string }) => [r.revision, r.cause, r.current, r.comment])).toEqual([
      [3, 'rollback', true, 'rollback to revision 1: v2 is slower'],
      [2, 'update', false, 'canary'],
      [1, 'update', false, 'first'],
    ]);
    expect((await json('predict', 'price', '--file', join(dir, 'rows.json'))).modelVersion).toEqual({ model: 'houses', version: 1 });

    const again = await json('deployments', 'rollback', 'price', '--revision', '2');
    expect(again.revision).toBe(4);
    expect(again.spec.targets).toHaveLength(2);
    const missing = await cli('deployments', 'rollback', 'price', '--revision', '99');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no revision 99 \(REVISION_NOT_FOUND, HTTP 404\)/);
  });

  it('deploys a target that follows an alias, and a shadow', async () => {
    expect((await cli('models', 'alias', 'houses', 'champion', '2')).code).toBe(0);
    const d = await json('deploy', 'follow', '--model', 'houses', '--alias', 'champion', '--shadow', 'houses:1', '--public');
    expect(d.spec).toMatchObject({ public: true, targets: [{ alias: 'champion', version: 2, weight: 100 }], shadow: [{ version: 1, alias: null }] });
    expect((await json('predict', 'follow', '--file', join(dir, 'rows.json'))).modelVersion).toEqual({ model: 'houses', version: 2 });
  });

  it('works in another project with -p, for both protocols', async () => {
    expect((await cli('projects', 'create', 'lab')).code).toBe(0);
    expect(await json('models', 'register', join(dir, 'linear.onnx'), '--name', 'houses', '--create', '-p', 'lab')).toMatchObject({ version: 1 });
    expect(await json('deploy', 'price', '--model', 'houses', '--version', '1', '-p', 'lab')).toMatchObject({ project: 'lab', revision: 1 });
    expect((await json('predict', 'price', '-f', join(dir, 'rows.csv'), '-p', 'lab')).predictions[0]).toBeCloseTo(linear(ROWS[0]!), 5);
    expect((await json('predict', 'price', '-f', join(dir, 'rows.json'), '-p', 'lab')).predictionIds).toHaveLength(ROWS.length);
    expect((await json('deployments', 'list', '-p', 'lab')).items.map((d: { name: string; revision: number }) => [d.name, d.revision])).toEqual([['price', 1]]);
  });

  it('refuses malformed flags and files with exit code 2, before calling the server', async () => {
    const cases: [string[], RegExp][] = [
      [['deploy', 'price', '--model', 'houses', '--version', '1', '--canary', 'x'], /^error: --canary 'x' must be model:version:weight/],
      [['deploy', 'price', '--model', 'houses', '--version', '1', '--canary', 'houses:2:0'], /the weight must be a whole percentage from 1 to 99/],
      [['deploy', 'price', '--model', 'houses', '--version', '1', '--canary', 'houses:2:50', '--canary', 'houses:3:50'], /the --canary weights add up to 100%/],
      [['deploy', 'price', '--model', 'houses', '--version', '1', '--shadow', 'houses'], /--shadow 'houses' must be model:version/],
      [['deploy', 'price', '--model', 'houses', '--version', '1', '--batch', 'big'], /--batch 'big' must be maxBatchSize\[,maxDelayMicros\]/],
      [['deploy', 'price', '--model', 'houses'], /give exactly one of --version and --alias/],
      [['deploy', 'price', '--model', 'houses', '--version'], /--version '' must be a version number/],
      [['deploy', 'price', '--version', '1'], /required option '--model <model>' not specified/],
      [['deployments', 'rollback', 'price', '--revision', 'last'], /--revision 'last' must be a whole number/],
      [['predict', 'price', '--file', join(dir, 'nope.csv')], /cannot read .*nope\.csv/],
      [['predict', 'price'], /required option '-f, --file <file>' not specified/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    await writeFile(join(dir, 'bad.json'), '{"data": [1]}');
    const bad = await cli('predict', 'price', '--file', join(dir, 'bad.json'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.json must hold an array of rows/);
    // Nothing was changed by the refused deploys.
    expect((await json('deployments', 'show', 'price')).revision).toBe(4);
  });

  it("reports the server's errors with exit code 1, for both protocols", async () => {
    const noVersion = await cli('deploy', 'price', '--model', 'houses', '--version', '9');
    expect(noVersion.code).toBe(1);
    expect(noVersion.stderr).toMatch(/model 'houses' has no version 9 \(MODEL_VERSION_NOT_FOUND, HTTP 400\)/);
    await writeFile(join(dir, 'short.csv'), 'f0,f1,f2\n1,2,3\n');
    const short = await cli('predict', 'price', '--file', join(dir, 'short.csv'));
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/f3.*\(BAD_REQUEST, HTTP 400\)/);
    await writeFile(join(dir, 'short.json'), JSON.stringify([{ f0: 1, f1: 2, f2: 3 }]));
    const shortJson = await cli('predict', 'price', '--file', join(dir, 'short.json'));
    expect(shortJson.code).toBe(1);
    expect(shortJson.stderr).toMatch(/rows\[0\]\.f3: is missing.*HTTP 400/);
    const csvMissing = await cli('predict', 'ghost', '--file', join(dir, 'rows.csv'));
    expect(csvMissing.stderr).toMatch(/no deployment named 'ghost'.*\(RESOURCE_DOES_NOT_EXIST, HTTP 404\)/);
  });

  it('deletes only with --yes when not on a terminal; then the deployment is gone', async () => {
    const refused = await cli('deployments', 'delete', 'price');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/needs --yes when not run on a terminal/);
    expect((await json('deployments', 'show', 'price')).revision).toBe(4);
    const del = await cli('deployments', 'delete', 'price', '--yes');
    expect(del.code, del.stderr).toBe(0);
    expect(del.stdout).toMatch(/deleted deployment 'price' in project 'default' \(it was at revision 4\)/);
    const shown = await cli('deployments', 'show', 'price');
    expect(shown.code).toBe(1);
    expect(shown.stderr).toMatch(/DEPLOYMENT_NOT_FOUND, HTTP 404/);
    const predicted = await cli('predict', 'price', '--file', join(dir, 'rows.json'));
    expect(predicted.code).toBe(1);
    expect(predicted.stderr).toMatch(/DEPLOYMENT_NOT_FOUND, HTTP 404/);
    expect((await json('deployments', 'list')).items.map((d: { name: string }) => d.name)).toEqual(['follow']);
  });
});
