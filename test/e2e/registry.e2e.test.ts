/**
 * End to end: the built `steward serve` as a real listening process, driven by the real `steward` CLI and
 * by plain HTTP, across a restart and a SIGTERM with an upload in flight.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearModel, mlpModel } from '../fixtures/models.js';
import { multipart } from '../support/harness.js';
import { runCli, startServerProcess, type ServerProcess } from '../support/server-process.js';

const TOKEN = 'stw_e2e-admin-token-for-tests-only-000';
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let dir: string;
let home: string;
let server: ServerProcess;
let cliEnv: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-e2e-'));
  home = join(dir, 'home');
  server = await startServerProcess(home, { STEWARD_ADMIN_TOKEN: TOKEN });
  cliEnv = { XDG_CONFIG_HOME: join(dir, 'config'), STEWARD_URL: '', STEWARD_TOKEN: '' };
  await writeFile(join(dir, 'linear.onnx'), linearModel());
  await writeFile(join(dir, 'mlp.onnx'), mlpModel());
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli(args, cliEnv);

describe('steward CLI against a real server', () => {
  it('logs in and keeps the token in a private config file', async () => {
    const r = await cli('login', '--server', server.url, '--token', TOKEN);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/logged in .* as admin \(admin\)/);
    const saved = JSON.parse(await readFile(join(dir, 'config', 'steward', 'config.json'), 'utf8'));
    expect(saved).toEqual({ server: server.url, token: TOKEN });
  });

  it('registers a real ONNX model, shows its signature and downloads it byte-identical', async () => {
    expect((await cli('models', 'create', 'houses', '--description', 'price model', '--tag', 'team=pricing')).code).toBe(0);
    const reg = await cli('--json', 'models', 'register', join(dir, 'linear.onnx'), '--name', 'houses', '--metric', 'rmse=0.31', '--param', 'l2=0.5', '--tag', 'data=2026-11');
    expect(reg.code, reg.stderr).toBe(0);
    const v = JSON.parse(reg.stdout);
    expect(v).toMatchObject({ version: 1, status: 'READY', sha256: sha(linearModel()), metrics: { rmse: 0.31 }, params: { l2: '0.5' } });
    const show = await cli('models', 'show', 'houses', '1');
    expect(show.stdout).toMatch(/signature: inputs \(x: FP32\[\?, 4\]\) → outputs \(y: FP32\[\?, 1\]\)/);
    const out = join(dir, 'back.onnx');
    const dl = await cli('models', 'download', 'houses', '1', '-o', out);
    expect(dl.code, dl.stderr).toBe(0);
    expect(Buffer.compare(await readFile(out), Buffer.from(linearModel()))).toBe(0);
  });

  it('moves aliases and stages by CLI', async () => {
    expect((await cli('models', 'alias', 'houses', 'champion', '1')).stdout).toMatch(/houses@champion → version 1/);
    const staged = await cli('models', 'stage', 'houses', '1', 'Production', '-m', 'launch');
    expect(staged.stdout).toMatch(/now in Production/);
    const shown = JSON.parse((await cli('--json', 'models', 'show', 'houses', '@champion')).stdout);
    expect(shown).toMatchObject({ version: 1, stage: 'Production', aliases: ['champion'] });
    expect(shown.stageHistory).toEqual([expect.objectContaining({ from: 'None', to: 'Production', comment: 'launch', by: 'admin' })]);
  });

  it('exits non-zero with the server message on errors', async () => {
    await writeFile(join(dir, 'junk.onnx'), 'not a model');
    const junk = await cli('models', 'register', join(dir, 'junk.onnx'), '--name', 'houses');
    expect(junk.code).toBe(1);
    expect(junk.stderr).toMatch(/version 2 of 'houses' is FAILED: onnxruntime could not load the model.*\(MODEL_INVALID, HTTP 422\)/);
    const missing = await cli('models', 'register', join(dir, 'linear.onnx'), '--name', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no model named 'nope'.*MODEL_NOT_FOUND, HTTP 404/);
    const badToken = await runCli(['--token', 'stw_wrong', 'models', 'list'], cliEnv);
    expect(badToken.code).toBe(1);
    expect(badToken.stderr).toMatch(/HTTP 401/);
    const dup = await cli('models', 'create', 'houses');
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already exists.*HTTP 409/);
  });

  it('exits with 2 and says why on usage mistakes', async () => {
    const badVersion = await cli('models', 'alias', 'houses', 'champion', 'abc');
    expect(badVersion.code).toBe(2);
    expect(badVersion.stderr).toMatch(/'abc' is not a version number/);
    const missing = await cli('models', 'register', join(dir, 'linear.onnx'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required option '-n, --name <model>' not specified/);
    const badLimit = await cli('models', 'list', '--limit', 'many');
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toMatch(/must be a positive integer/);
    expect((await cli('--version')).code).toBe(0);
  });

  it('registers by plain REST too, and the download is byte-identical', async () => {
    const { body, contentType } = multipart([
      { name: 'metadata', value: JSON.stringify({ description: 'via REST', sha256: sha(mlpModel()) }) },
      { name: 'artifact', value: mlpModel(), filename: 'mlp.onnx' },
    ]);
    await fetch(`${server.url}/api/v1/models`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'classifier' }) });
    const r = await fetch(`${server.url}/api/v1/models/classifier/versions`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': contentType }, body });
    expect(r.status).toBe(201);
    const v = (await r.json()) as { version: number; signature: { outputs: { name: string }[] } };
    expect(v.signature.outputs[0]!.name).toBe('probabilities');
    const dl = await fetch(`${server.url}/api/v1/models/classifier/versions/${v.version}/artifact`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(Buffer.from(await dl.arrayBuffer()).equals(Buffer.from(mlpModel()))).toBe(true);
  });

  it('gives 8 CLI processes registering at once distinct consecutive versions, each READY with its own artifact', async () => {
    expect((await cli('models', 'create', 'contended')).code).toBe(0);
    const files = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const b = Buffer.from(linearModel());
        b.write(String(i), b.indexOf(Buffer.from('0.1')) + 2); // a different producer_version: a different file
        const f = join(dir, `c${i}.onnx`);
        await writeFile(f, b);
        return { f, sha: sha(b) };
      }),
    );
    const results = await Promise.all(files.map(({ f }) => cli('--json', 'models', 'register', f, '--name', 'contended')));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const versions = results.map((r) => JSON.parse(r.stdout) as { version: number; status: string; sha256: string });
    expect(versions.map((v) => v.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(versions.every((v) => v.status === 'READY')).toBe(true);
    expect(new Set(versions.map((v) => v.sha256))).toEqual(new Set(files.map((f) => f.sha)));
    for (const v of versions) {
      const out = join(dir, `dl-${v.version}.onnx`);
      expect((await cli('models', 'download', 'contended', String(v.version), '-o', out)).code).toBe(0);
      expect(sha(await readFile(out))).toBe(v.sha256);
    }
  });

  it('keeps nothing from a client that disconnects mid-upload, and keeps serving', async () => {
    const before = JSON.parse((await cli('--json', 'models', 'show', 'classifier')).stdout);
    const { body, contentType } = multipart([{ name: 'artifact', value: Buffer.concat([Buffer.from(mlpModel()), Buffer.alloc(4 * 1024 * 1024, 7)]), filename: 'cut.onnx' }]);
    await new Promise<void>((resolve) => {
      const req = request(new URL(`${server.url}/api/v1/models/classifier/versions`), {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': contentType, 'content-length': body.length },
      });
      req.on('error', () => resolve());
      req.write(body.subarray(0, 1024 * 1024), () => setTimeout(() => req.destroy(), 200));
      req.on('close', () => resolve());
    });
    await new Promise((r) => setTimeout(r, 300));
    const after = JSON.parse((await cli('--json', 'models', 'show', 'classifier')).stdout);
    expect(after.lastVersion).toBe(before.lastVersion);
    expect(after.versions).toHaveLength(before.versions.length);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(join(home, 'artifacts', 'tmp'))).toEqual([]);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it('finishes an upload in flight when it receives SIGTERM, then stops cleanly', async () => {
    const { body, contentType } = multipart([{ name: 'artifact', value: mlpModel(), filename: 'slow.onnx' }]);
    const url = new URL(`${server.url}/api/v1/models/classifier/versions`);
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': contentType, 'content-length': body.length } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.write(body.subarray(0, 100));
      // The rest arrives after the server has been told to stop.
      setTimeout(() => {
        server.child.kill('SIGTERM');
        setTimeout(() => req.end(body.subarray(100)), 500);
      }, 300);
    });
    const r = await response;
    expect(r.status).toBe(201);
    expect(JSON.parse(r.body)).toMatchObject({ model: 'classifier', status: 'READY' });
    const code = await server.stop();
    expect(code).toBe(0);
    expect(server.output()).toMatch(/finishing in-flight requests/);
  });

  it('keeps everything across a restart', async () => {
    server = await startServerProcess(home, { STEWARD_ADMIN_TOKEN: TOKEN });
    await cli('login', '--server', server.url, '--token', TOKEN);
    const houses = JSON.parse((await cli('--json', 'models', 'show', 'houses')).stdout);
    expect(houses).toMatchObject({ name: 'houses', tags: { team: 'pricing' }, aliases: { champion: 1 } });
    expect(houses.versions.map((v: { version: number; status: string }) => [v.version, v.status])).toEqual([
      [2, 'FAILED'],
      [1, 'READY'],
    ]);
    const out = join(dir, 'after-restart.onnx');
    expect((await cli('models', 'download', 'houses', '@champion', '-o', out)).code).toBe(0);
    expect(sha(await readFile(out))).toBe(sha(linearModel()));
    const contended = JSON.parse((await cli('--json', 'models', 'show', 'contended')).stdout);
    expect(contended.versions).toHaveLength(8);
    expect(server.output()).not.toMatch(/shown only this once/);
  });
});
