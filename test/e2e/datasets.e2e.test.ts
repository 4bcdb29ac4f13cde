/** End to end: the datasets CLI against a real `steward serve` process, with the background profile job. */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServerProcess, type ServerProcess } from '../support/server-process.js';

const TOKEN = 'stw_e2e-datasets-token-for-tests-00';
const WEATHER = fileURLToPath(new URL('../../node_modules/vega-datasets/data/seattle-weather.csv', import.meta.url));
let dir: string;
let server: ServerProcess;
let env: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-e2e-data-'));
  server = await startServerProcess(join(dir, 'home'), { STEWARD_ADMIN_TOKEN: TOKEN });
  env = { XDG_CONFIG_HOME: join(dir, 'config'), STEWARD_URL: server.url, STEWARD_TOKEN: TOKEN };
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli(args, env);

describe('steward datasets', () => {
  it('uploads a CSV, waits for its profile, and shows it', async () => {
    const up = await cli('--json', 'datasets', 'upload', WEATHER, '--name', 'weather', '--create', '--type', 'weather=categorical', '--source', 'vega-datasets');
    expect(up.code, up.stderr).toBe(0);
    const v = JSON.parse(up.stdout);
    expect(v).toMatchObject({ dataset: 'weather', version: 1, rows: 1461, profileStatus: 'READY', lineage: { source: 'vega-datasets' } });
    expect(v.columns.map((c: { name: string; type: string }) => `${c.name}:${c.type}`)).toEqual([
      'date:datetime',
      'precipitation:numeric',
      'temp_max:numeric',
      'temp_min:numeric',
      'wind:numeric',
      'weather:categorical',
    ]);
    const profile = await cli('datasets', 'profile', 'weather');
    expect(profile.code, profile.stderr).toBe(0);
    expect(profile.stdout).toMatch(/^1461 rows/);
    expect(profile.stdout).toMatch(/weather\s+categorical\s+1461\s+0\s+5\s+top: (sun|rain)/);
    const rows = await cli('datasets', 'rows', 'weather', '1', '--limit', '2');
    expect(rows.stdout).toMatch(/rows 1–2 of 1461/);
    const shown = await cli('datasets', 'show', 'weather');
    expect(shown.stdout).toMatch(/1\s+1461\s+6\s+seattle-weather\.csv\s+READY/);
  });

  it('downloads the original byte-identical and a CSV export', async () => {
    const original = join(dir, 'original.csv');
    expect((await cli('datasets', 'download', 'weather', '1', '--format', 'original', '-o', original)).code).toBe(0);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(sha(await readFile(original))).toBe(sha(await readFile(WEATHER)));
    const exported = join(dir, 'export.csv');
    expect((await cli('datasets', 'download', 'weather', 'latest', '--format', 'csv', '-o', exported)).code).toBe(0);
    expect((await readFile(exported, 'utf8')).trim().split('\n')).toHaveLength(1462);
  });

  it('splits a version by time and shows the parts', async () => {
    const r = await cli('datasets', 'split', 'weather', '1', '--kind', 'time', '--by', 'date', '--fractions', 'past=0.8,future=0.2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/past\s+2\s+1169\s+yes/);
    expect(r.stdout).toMatch(/future\s+3\s+292\s+yes/);
    const bad = await cli('datasets', 'split', 'weather', '1', '--fractions', 'a=0.5,b=0.6');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/fractions: must add up to 1/);
  });

  it('registers a model version trained on a dataset version and shows the link', async () => {
    const onnx = join(dir, 'linear.onnx');
    const { linearModel } = await import('../fixtures/models.js');
    await writeFile(onnx, linearModel());
    const reg = await cli('models', 'register', onnx, '--name', 'forecast', '--create', '--dataset', 'weather@2:train', '--dataset', 'weather@3:test', '-q');
    expect(reg.code, reg.stderr).toBe(0);
    const shown = await cli('models', 'show', 'forecast', '1');
    expect(shown.stdout).toMatch(/datasets:\s+weather@3 \(test\), weather@2 \(train\)/);
    const bad = await cli('models', 'register', onnx, '--name', 'forecast', '--dataset', 'weather');
    expect(bad.code).toBe(2);
  });

  it('creates a recipe from a file and prepares a version with it', async () => {
    const recipe = join(dir, 'recipe.json');
    await writeFile(recipe, JSON.stringify({ steps: [{ op: 'date_parts', column: 'date', parts: ['year', 'month'], drop: true }, { op: 'one_hot', columns: ['weather'] }] }));
    expect((await cli('recipes', 'create', 'weather-features', recipe)).stdout).toMatch(/created recipe 'weather-features' version 1/);
    const prepared = await cli('datasets', 'prepare', 'weather', '1', '--recipe', 'weather-features@1');
    expect(prepared.code, prepared.stderr).toBe(0);
    expect(prepared.stdout).toMatch(/weather version 4: 1461 rows/);
    const shown = JSON.parse((await cli('--json', 'datasets', 'show', 'weather', '4')).stdout);
    expect(shown.columns.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['date_year', 'date_month', 'weather_sun', 'weather_rain']));
    expect((await cli('recipes', 'show', 'weather-features')).stdout).toMatch(/1\. \{"op":"date_parts"/);
  });

  it('reports bad data with the line and exits 1', async () => {
    await writeFile(join(dir, 'ragged.csv'), 'a,b\n1,2\n3,4,5\n');
    const r = await cli('datasets', 'upload', join(dir, 'ragged.csv'), '--name', 'weather');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ragged\.csv: line 3 has 3 fields, but line 1 has 2 \(INVALID_DATA, HTTP 422\)/);
  });
});
