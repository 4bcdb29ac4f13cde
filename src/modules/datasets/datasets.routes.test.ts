import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearModel } from '../../../test/fixtures/models.js';
import { createHarness, multipart, versionUpload, type Harness } from '../../../test/support/harness.js';

const HMDA = readFileSync(new URL('../../../test/fixtures/data/hmda.csv', import.meta.url));
let h: Harness;
let maintainer: Record<string, string>;
let viewer: Record<string, string>;

beforeAll(async () => {
  h = await createHarness();
  maintainer = { authorization: `Bearer ${await h.tokenFor('deployer', 'maria')}` };
  viewer = { authorization: `Bearer ${await h.tokenFor('viewer', 'victor')}` };
  await h.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: maintainer, payload: { name: 'hmda', description: 'Boston HMDA' } });
});
afterAll(() => h.close());

function upload(dataset: string, file: Buffer | string, fileName: string, metadata?: unknown) {
  const parts = [];
  if (metadata !== undefined) parts.push({ name: 'metadata', value: JSON.stringify(metadata) });
  parts.push({ name: 'file', value: typeof file === 'string' ? Buffer.from(file) : file, filename: fileName });
  const { body, contentType } = multipart(parts);
  return h.app.inject({ method: 'POST', url: `/api/v1/datasets/${dataset}/versions`, headers: { ...maintainer, 'content-type': contentType }, payload: body });
}

async function profileOf(dataset: string, version: number) {
  for (let i = 0; i < 300; i++) {
    const r = await h.app.inject({ method: 'GET', url: `/api/v1/datasets/${dataset}/versions/${version}/profile`, headers: viewer });
    if (r.statusCode === 200) return r.json().profile;
    expect(r.statusCode).toBe(409);
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error('the profile did not become ready');
}

/** An independent reading of hmda.csv: its fields hold no commas, so splitting and unquoting suffice. */
function hmdaFields(): string[][] {
  return HMDA.toString('utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(',').map((f) => f.replace(/^"(.*)"$/, '$1')));
}

function hmdaColumn(name: string): number[] {
  const [header, ...rows] = hmdaFields();
  const k = header!.indexOf(name);
  return rows.map((r) => Number(r[k]));
}

/** The result of a job, once it has succeeded. */
async function jobResult(jobId: string) {
  for (let i = 0; i < 300; i++) {
    const j = (await h.app.inject({ method: 'GET', url: `/api/v1/jobs/${jobId}`, headers: viewer })).json();
    if (j.status === 'SUCCEEDED') return j.result;
    if (j.status === 'FAILED') throw new Error(`job ${j.type} failed: ${j.error}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${jobId} did not finish`);
}

function linearQuantile(sorted: number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

describe('datasets API', () => {
  it('uploads a CSV, infers its schema, and profiles it in the background', async () => {
    const r = await upload('hmda', HMDA, 'hmda.csv', { source: 'R package AER, data(HMDA)', description: 'first upload' });
    expect(r.statusCode).toBe(201);
    const v = r.json();
    expect(v).toMatchObject({
      dataset: 'hmda',
      version: 1,
      rows: 2380,
      sha256: createHash('sha256').update(HMDA).digest('hex'),
      source: { format: 'csv', name: 'hmda.csv', size: HMDA.length, csv: { delimiter: ',', header: true } },
      lineage: { source: 'R package AER, data(HMDA)', derivedFrom: null },
      profileStatus: 'PENDING',
      createdBy: 'maria',
    });
    const types = Object.fromEntries(v.columns.map((c: { name: string; type: string }) => [c.name, c.type]));
    expect(types).toMatchObject({ deny: 'boolean', pirat: 'numeric', chist: 'integer', afam: 'boolean' });
    const job = (await h.app.inject({ method: 'GET', url: `/api/v1/jobs/${v.profileJob}`, headers: viewer })).json();
    expect(job.type).toBe('dataset.profile');

    const profile = await profileOf('hmda', 1);
    expect(profile.rows).toBe(2380);
    const pirat = profile.columns.find((c: { name: string }) => c.name === 'pirat');
    const xs = hmdaColumn('pirat');
    const sorted = [...xs].sort((a, b) => a - b);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
    expect(pirat.count).toBe(2380);
    expect(pirat.missing).toBe(0);
    expect(pirat.distinct).toBe(new Set(xs).size);
    expect(Math.abs(pirat.mean - mean) / mean).toBeLessThan(1e-9);
    expect(Math.abs(pirat.std - std) / std).toBeLessThan(1e-9);
    expect(pirat.min).toBe(sorted[0]);
    expect(pirat.max).toBe(sorted.at(-1));
    for (const [key, q] of [['p01', 0.01], ['p25', 0.25], ['p50', 0.5], ['p75', 0.75], ['p99', 0.99]] as const) {
      expect(Math.abs(pirat.quantiles[key] - linearQuantile(sorted, q))).toBeLessThan(1e-12);
    }
    expect(pirat.histogram.counts.reduce((a: number, b: number) => a + b, 0)).toBe(2380);
    expect(pirat.histogram.edges).toHaveLength(21);
    const deny = profile.columns.find((c: { name: string }) => c.name === 'deny');
    const denied = hmdaFields().slice(1).filter((r) => r[0] === 'yes').length;
    expect(deny).toMatchObject({ trueCount: denied, falseCount: 2380 - denied, distinct: 2 });
    expect(profile.examples).toHaveLength(5);
  });

  it('keeps one version for the same content uploaded again', async () => {
    const again = await upload('hmda', HMDA, 'copy-of-hmda.csv');
    expect(again.statusCode).toBe(200);
    expect(again.json().version).toBe(1);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/datasets/hmda', headers: viewer })).json().lastVersion).toBe(1);
  });

  it('pages through rows in stored order, with integers as numbers', async () => {
    const r = (await h.app.inject({ method: 'GET', url: '/api/v1/datasets/hmda/versions/1/rows?offset=2&limit=3', headers: viewer })).json();
    expect(r.total).toBe(2380);
    expect(r.rows).toHaveLength(3);
    const third = hmdaFields()[3]!;
    expect(r.rows[0].pirat).toBe(Number(third[1]));
    expect(r.rows[0].chist).toBe(Number(third[4]));
    expect(typeof r.rows[0].chist).toBe('number');
  });

  it('downloads the original upload byte-identical, the stored Parquet checked, and a CSV export', async () => {
    const original = await h.app.inject({ method: 'GET', url: '/api/v1/datasets/hmda/versions/1/download?format=original', headers: viewer });
    expect(original.rawPayload.equals(HMDA)).toBe(true);
    const parquet = await h.app.inject({ method: 'GET', url: '/api/v1/datasets/hmda/versions/latest/download', headers: viewer });
    expect(parquet.rawPayload.subarray(0, 4).toString()).toBe('PAR1');
    expect(createHash('sha256').update(parquet.rawPayload).digest('hex')).toBe(parquet.headers['x-steward-sha256']);
    const csv = await h.app.inject({ method: 'GET', url: '/api/v1/datasets/hmda/versions/1/download?format=csv', headers: viewer });
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe('deny,pirat,hirat,lvrat,chist,mhist,phist,unemp,selfemp,insurance,condomin,afam,single,hschool');
    expect(lines).toHaveLength(2381);
  });

  it('answers bad data with a 4xx naming the line, column or field, and keeps no version', async () => {
    await h.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: maintainer, payload: { name: 'strict' } });
    const cases: [string, Promise<{ statusCode: number; json: () => { error: { message: string } } }>, number, RegExp][] = [
      ['ragged rows', upload('strict', 'a,b,c\n1,2,3\n4,5,6,7\n', 'r.csv'), 422, /line 3 has 4 fields, but line 1 has 3/],
      ['mixed types against an override', upload('strict', 'x,y\n1,2\n3,abc\n', 'm.csv', { schema: { y: 'integer' } }), 422, /column 'y', row 2 \(line 3 of the file\): the value 'abc' is not integer/],
      ['an override of a missing column', upload('strict', 'x,y\n1,2\n', 'm.csv', { schema: { z: 'integer' } }), 400, /metadata\.schema\.z: there is no column 'z'/],
      ['an unknown type', upload('strict', 'x,y\n1,2\n', 'm.csv', { schema: { x: 'float' } }), 400, /metadata\.schema\.x: must be one of/],
      ['an empty file', upload('strict', '', 'e.csv'), 400, /file: e\.csv is empty/],
      ['a header and no rows', upload('strict', 'x,y\n', 'h.csv'), 422, /has no rows/],
      ['a truncated Parquet file', upload('strict', readFileSync(new URL('../../../node_modules/vega-datasets/data/flights-3m.parquet', import.meta.url)).subarray(0, 4096), 'f.parquet'), 422, /f\.parquet: .*(magic|Parquet)/i],
      ['not Parquet at all', upload('strict', 'plain text', 'g.parquet', { format: 'parquet' }), 422, /g\.parquet/],
      ['an unclosed quote', upload('strict', 'a,b\n1,"open\n2,3\n', 'q.csv'), 422, /never closed/],
      ['bytes that are not UTF-8', upload('strict', Buffer.concat([Buffer.from('name,n\nok,1\n'), Buffer.from([0x62, 0xff, 0xfe, 0x2c, 0x32, 0x0a])]), 'latin.csv'), 422, /latin\.csv: .*(unicode|UTF-8|utf8)/i],
      ['a two-character delimiter', upload('strict', 'a;b\n1;2\n', 'd.csv', { csv: { delimiter: ';;' } }), 400, /metadata\.csv\.delimiter/],
      ['an unknown metadata field', upload('strict', 'a,b\n1,2\n', 'u.csv', { fromat: 'csv' }), 400, /metadata\.fromat/],
    ];
    for (const [what, pending, status, message] of cases) {
      const r = await pending;
      expect(r.statusCode, what).toBe(status);
      expect(r.json().error.message, what).toMatch(message);
    }
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/datasets/strict', headers: viewer })).json().lastVersion).toBe(0);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(`${h.artifactsDir}/tmp`)).toEqual([]);
    expect((await readdir(`${h.home}/work`)).filter((f) => f !== 'engine')).toEqual([]);
  });

  it('reads a semicolon-separated file with quoted fields and a type override', async () => {
    await h.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: maintainer, payload: { name: 'semi' } });
    const r = await upload('semi', 'city;zip;note\n"Paris";75001;"a; b"\n"Lyon";69001;"c ""quoted"""\n', 's.csv', { schema: { zip: 'categorical' } });
    expect(r.statusCode).toBe(201);
    expect(r.json().columns).toEqual([
      { name: 'city', type: expect.stringMatching(/categorical|text/), storage: 'VARCHAR' },
      { name: 'zip', type: 'categorical', storage: 'VARCHAR' },
      { name: 'note', type: expect.stringMatching(/categorical|text/), storage: 'VARCHAR' },
    ]);
    const rows = (await h.app.inject({ method: 'GET', url: '/api/v1/datasets/semi/versions/1/rows', headers: viewer })).json().rows;
    expect(rows).toEqual([
      { city: 'Paris', zip: '75001', note: 'a; b' },
      { city: 'Lyon', zip: '69001', note: 'c "quoted"' },
    ]);
  });

  it('refuses viewers, unknown datasets and duplicate names', async () => {
    const { body, contentType } = multipart([{ name: 'file', value: HMDA, filename: 'hmda.csv' }]);
    const asViewer = await h.app.inject({ method: 'POST', url: '/api/v1/datasets/hmda/versions', headers: { ...viewer, 'content-type': contentType }, payload: body });
    expect(asViewer.statusCode).toBe(403);
    expect((await upload('nope', 'a\n1\n', 'n.csv')).json().error.code).toBe('DATASET_NOT_FOUND');
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: maintainer, payload: { name: 'hmda' } })).statusCode).toBe(409);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/datasets/hmda/versions/7', headers: viewer })).statusCode).toBe(404);
    const list = (await h.app.inject({ method: 'GET', url: '/api/v1/datasets', headers: viewer })).json();
    expect(list.items.map((d: { name: string }) => d.name)).toEqual(['hmda', 'semi', 'strict']);
  });

  describe('splits', () => {
    function split(dataset: string, version: string, body: unknown) {
      return h.app.inject({ method: 'POST', url: `/api/v1/datasets/${dataset}/versions/${version}/split`, headers: maintainer, payload: body as object });
    }

    async function csvRows(dataset: string, version: number): Promise<string[]> {
      const r = await h.app.inject({ method: 'GET', url: `/api/v1/datasets/${dataset}/versions/${version}/download?format=csv`, headers: viewer });
      return r.body.trim().split('\n').slice(1);
    }

    it('splits by class in the given proportions, within one row of exact, and keeps every row exactly once', async () => {
      const r = await split('hmda', '1', { kind: 'stratified', column: 'deny', fractions: { train: 0.7, validation: 0.15, test: 0.15 }, seed: 42 });
      expect(r.statusCode).toBe(202);
      const result = await jobResult(r.json().id);
      expect(result.parts.map((p: { name: string; version: number; created: boolean }) => [p.name, p.version, p.created])).toEqual([
        ['train', 2, true],
        ['validation', 3, true],
        ['test', 4, true],
      ]);
      const parent = await csvRows('hmda', 1);
      const parts = await Promise.all([2, 3, 4].map((v) => csvRows('hmda', v)));
      expect(parts.flat().sort()).toEqual([...parent].sort());
      const denied = (rows: string[]) => rows.filter((l) => l.startsWith('true,')).length;
      const classes = { yes: denied(parent), no: parent.length - denied(parent) };
      const fractions = [0.7, 0.15, 0.15];
      parts.forEach((rows, k) => {
        expect(Math.abs(denied(rows) - fractions[k]! * classes.yes)).toBeLessThan(1);
        expect(Math.abs(rows.length - denied(rows) - fractions[k]! * classes.no)).toBeLessThan(1);
      });
      const train = (await h.app.inject({ method: 'GET', url: '/api/v1/datasets/hmda/versions/2', headers: viewer })).json();
      expect(train.lineage).toMatchObject({ derivedFrom: { dataset: 'hmda', version: 1 }, split: { kind: 'stratified', seed: 42, column: 'deny', part: 'train' } });
      expect(train.rows).toBe(parts[0]!.length);
    });

    it('gives the same rows for the same seed (the same versions), and other rows for another seed', async () => {
      const again = await jobResult((await split('hmda', '1', { kind: 'stratified', column: 'deny', fractions: { train: 0.7, validation: 0.15, test: 0.15 }, seed: 42 })).json().id);
      expect(again.parts.map((p: { version: number; created: boolean }) => [p.version, p.created])).toEqual([
        [2, false],
        [3, false],
        [4, false],
      ]);
      const other = await jobResult((await split('hmda', '1', { kind: 'random', fractions: { train: 0.5, test: 0.5 }, seed: 7 })).json().id);
      expect(other.parts.map((p: { rows: number }) => p.rows)).toEqual([1190, 1190]);
      const seven = await csvRows('hmda', other.parts[0].version);
      const eight = await jobResult((await split('hmda', '1', { kind: 'random', fractions: { train: 0.5, test: 0.5 }, seed: 8 })).json().id);
      expect((await csvRows('hmda', eight.parts[0].version)).sort()).not.toEqual([...seven].sort());
    });

    it('splits by time, earlier rows first', async () => {
      await h.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: maintainer, payload: { name: 'weather' } });
      const weather = readFileSync(new URL('../../../node_modules/vega-datasets/data/seattle-weather.csv', import.meta.url));
      expect((await upload('weather', weather, 'seattle-weather.csv')).statusCode).toBe(201);
      const result = await jobResult((await split('weather', '1', { kind: 'time', column: 'date', fractions: { past: 0.75, future: 0.25 } })).json().id);
      const [past, future]: string[][] = await Promise.all(result.parts.map((p: { version: number }) => csvRows('weather', p.version)));
      expect(past!.length + future!.length).toBe(1461);
      const lastPast = past!.map((l) => l.split(',')[0]!).sort().at(-1)!;
      const firstFuture = future!.map((l) => l.split(',')[0]!).sort()[0]!;
      expect(lastPast <= firstFuture).toBe(true);
    });

    it('refuses bad split requests with 400 naming the field, and queues nothing', async () => {
      const before = (await h.app.inject({ method: 'GET', url: '/api/v1/jobs?type=dataset.split&limit=1000', headers: viewer })).json().items.length;
      const cases: [unknown, RegExp][] = [
        [{ kind: 'stratified', column: 'nope', fractions: { a: 0.5, b: 0.5 } }, /^column: there is no column 'nope'/],
        [{ kind: 'random', fractions: { a: 0.5, b: 0.4 } }, /^fractions: must add up to 1 \(they add up to 0\.9\)/],
        [{ kind: 'shuffle', fractions: { a: 0.5, b: 0.5 } }, /^kind: must be one of random, stratified, time/],
        [{ kind: 'time', column: 'afam', fractions: { a: 0.5, b: 0.5 } }, /^column: 'afam' is boolean; a time split needs/],
        [{ kind: 'random', column: 'deny', fractions: { a: 0.5, b: 0.5 } }, /^column: is only used by stratified and time splits/],
        [{ fractions: { only: 1 } }, /^fractions/],
        [{ fractions: { a: 0.5, b: 0.5 }, seed: -1 }, /^seed/],
      ];
      for (const [body, message] of cases) {
        const r = await split('hmda', '1', body);
        expect(r.statusCode, JSON.stringify(body)).toBe(400);
        expect(r.json().error.message, JSON.stringify(body)).toMatch(message);
      }
      const after = (await h.app.inject({ method: 'GET', url: '/api/v1/jobs?type=dataset.split&limit=1000', headers: viewer })).json().items.length;
      expect(after).toBe(before);
    });
  });

  describe('lineage between models and datasets', () => {
    it('links a model version to the dataset versions it used, and walks the link both ways', async () => {
      await h.app.inject({ method: 'POST', url: '/api/v1/models', headers: maintainer, payload: { name: 'denial' } });
      const register = (metadata: unknown) => {
        const { body, contentType } = versionUpload(linearModel(), metadata);
        return h.app.inject({ method: 'POST', url: '/api/v1/models/denial/versions', headers: { ...maintainer, 'content-type': contentType }, payload: body });
      };
      const ok = await register({ datasets: [{ dataset: 'hmda', version: 2, role: 'train' }, { dataset: 'hmda', version: 4, role: 'test' }, { dataset: 'hmda', version: 3 }] });
      expect(ok.statusCode).toBe(201);
      const detail = (await h.app.inject({ method: 'GET', url: '/api/v1/models/denial/versions/1', headers: viewer })).json();
      expect(detail.datasets).toEqual([
        { dataset: 'hmda', version: 4, role: 'test' },
        { dataset: 'hmda', version: 2, role: 'train' },
        { dataset: 'hmda', version: 3, role: 'train' },
      ]);
      const back = (await h.app.inject({ method: 'GET', url: '/api/v1/datasets/hmda/versions/2/models', headers: viewer })).json();
      expect(back.items).toEqual([{ model: 'denial', version: 1, status: 'READY', role: 'train' }]);
      expect((await h.app.inject({ method: 'GET', url: '/api/v1/datasets/hmda/versions/1/models', headers: viewer })).json().items).toEqual([]);

      const missingSet = await register({ datasets: [{ dataset: 'ghost', version: 1 }] });
      expect(missingSet.statusCode).toBe(400);
      expect(missingSet.json().error.message).toMatch(/^metadata\.datasets\[0\]\.dataset: there is no dataset named 'ghost'/);
      const missingVersion = await register({ datasets: [{ dataset: 'hmda', version: 99 }] });
      expect(missingVersion.json().error.message).toMatch(/^metadata\.datasets\[0\]\.version: dataset 'hmda' has no version 99/);
      const badRole = await register({ datasets: [{ dataset: 'hmda', version: 1, role: 'training' }] });
      expect(badRole.json().error.message).toMatch(/^metadata\.datasets\[0\]\.role: must be one of train, validation, test, evaluation/);
      expect((await h.app.inject({ method: 'GET', url: '/api/v1/models/denial', headers: viewer })).json().lastVersion).toBe(1);
    });
  });

  describe('recipes', () => {
    const steps = [
      { op: 'filter', where: [{ column: 'lvrat', op: '<', value: 1 }] },
      { op: 'impute', columns: ['pirat'], strategy: 'median' },
      { op: 'standardize', columns: ['hirat'] },
      { op: 'one_hot', columns: ['chist'], maxCategories: 2 },
      { op: 'rename', columns: { afam: 'group' } },
      { op: 'select', columns: ['deny', 'pirat', 'hirat', 'chist_1', 'chist_2', 'group'] },
    ];

    it('keeps recipes as versioned steps, and refuses malformed steps naming the step', async () => {
      const created = await h.app.inject({ method: 'POST', url: '/api/v1/recipes', headers: maintainer, payload: { name: 'denial-features', steps } });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({ recipe: 'denial-features', version: 1, createdBy: 'maria' });
      const v2 = await h.app.inject({ method: 'POST', url: '/api/v1/recipes/denial-features/versions', headers: maintainer, payload: { steps: steps.slice(0, 3), description: 'fewer steps' } });
      expect(v2.json().version).toBe(2);
      expect((await h.app.inject({ method: 'GET', url: '/api/v1/recipes/denial-features', headers: viewer })).json().versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
      const bad: [unknown, RegExp][] = [
        [[{ op: 'explode' }], /^steps\[0\]\.op: must be one of/],
        [[{ op: 'impute', columns: ['x'], strategy: 'constant' }], /^steps\[0\]\.value: is required/],
        [[{ op: 'filter', where: { column: 'x', op: 'like', value: 'a%' } }], /^steps\[0\]\.where\.op: must be one of/],
        [[{ op: 'select', columns: [] }], /^steps\[0\]\.columns/],
        [[{ op: 'date_parts', column: 'd', parts: ['century'] }], /^steps\[0\]\.parts/],
      ];
      for (const [badSteps, message] of bad) {
        const r = await h.app.inject({ method: 'POST', url: '/api/v1/recipes', headers: maintainer, payload: { name: 'bad', steps: badSteps } });
        expect(r.statusCode, JSON.stringify(badSteps)).toBe(400);
        expect(r.json().error.message).toMatch(message);
      }
      expect((await h.app.inject({ method: 'POST', url: '/api/v1/recipes', headers: maintainer, payload: { name: 'denial-features', steps } })).statusCode).toBe(409);
    });

    it('applies a recipe to a version: a new version with lineage and the fitted statistics', async () => {
      const r = await h.app.inject({ method: 'POST', url: '/api/v1/datasets/hmda/versions/1/prepare', headers: maintainer, payload: { recipe: 'denial-features', recipeVersion: 1 } });
      expect(r.statusCode).toBe(202);
      const result = await jobResult(r.json().id);
      expect(result.created).toBe(true);
      const v = (await h.app.inject({ method: 'GET', url: `/api/v1/datasets/hmda/versions/${result.version}`, headers: viewer })).json();
      expect(v.columns.map((c: { name: string; type: string }) => `${c.name}:${c.type}`)).toEqual(['deny:boolean', 'pirat:numeric', 'hirat:numeric', 'chist_1:integer', 'chist_2:integer', 'group:boolean']);
      expect(v.lineage.derivedFrom).toEqual({ dataset: 'hmda', version: 1 });
      expect(v.lineage.recipe).toMatchObject({ name: 'denial-features', version: 1 });

      // The fitted statistics against a direct computation on the same rows.
      const fields = HMDA.toString('utf8').trim().split('\n').slice(1).map((l) => l.split(',').map((f) => f.replace(/^"(.*)"$/, '$1')));
      const kept = fields.filter((f) => Number(f[3]) < 1);
      expect(v.rows).toBe(kept.length);
      const hirat = kept.map((f) => Number(f[2]));
      const mean = hirat.reduce((a, b) => a + b, 0) / hirat.length;
      const std = Math.sqrt(hirat.reduce((a, b) => a + (b - mean) ** 2, 0) / (hirat.length - 1));
      const fitted = v.lineage.recipe.steps[2].fitted.hirat;
      expect(Math.abs(fitted.mean - mean) / mean).toBeLessThan(1e-9);
      expect(Math.abs(fitted.std - std) / std).toBeLessThan(1e-9);
      const counts = new Map<string, number>();
      for (const f of kept) counts.set(f[4]!, (counts.get(f[4]!) ?? 0) + 1);
      const top2 = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 2).map(([k]) => k);
      expect(v.lineage.recipe.steps[3].fitted.chist).toEqual(top2);

      const rows = (await h.app.inject({ method: 'GET', url: `/api/v1/datasets/hmda/versions/${result.version}/rows?limit=1000`, headers: viewer })).json().rows;
      const firstKept = kept[0]!;
      expect(rows[0].hirat).toBeCloseTo((Number(firstKept[2]) - mean) / std, 9);
      expect(rows[0].chist_1).toBe(firstKept[4] === '1' ? 1 : 0);

      const again = await jobResult((await h.app.inject({ method: 'POST', url: '/api/v1/datasets/hmda/versions/1/prepare', headers: maintainer, payload: { recipe: 'denial-features', recipeVersion: 1 } })).json().id);
      expect(again).toEqual({ version: result.version, rows: result.rows, created: false });
    });

    it('refuses a recipe that does not fit the version, naming the step, and queues nothing', async () => {
      await h.app.inject({ method: 'POST', url: '/api/v1/recipes', headers: maintainer, payload: { name: 'wrong', steps: [{ op: 'rename', columns: { pirat: 'ratio' } }, { op: 'standardize', columns: ['pirat'] }] } });
      const before = (await h.app.inject({ method: 'GET', url: '/api/v1/jobs?type=dataset.prepare&limit=1000', headers: viewer })).json().items.length;
      const r = await h.app.inject({ method: 'POST', url: '/api/v1/datasets/hmda/versions/1/prepare', headers: maintainer, payload: { recipe: 'wrong' } });
      expect(r.statusCode).toBe(400);
      expect(r.json().error.message).toMatch(/^steps\[1\]\.columns\[0\]: there is no column 'pirat' at this step \(columns: deny, ratio,/);
      expect((await h.app.inject({ method: 'POST', url: '/api/v1/datasets/hmda/versions/1/prepare', headers: maintainer, payload: { recipe: 'nope' } })).json().error.code).toBe('RECIPE_NOT_FOUND');
      expect((await h.app.inject({ method: 'GET', url: '/api/v1/jobs?type=dataset.prepare&limit=1000', headers: viewer })).json().items.length).toBe(before);
    });
  });
});
