import { createHash } from 'node:crypto';
/**
 * The registry's HTTP behaviour, run through `inject` on each database (models.routes.test.ts: SQLite;
 * models.routes.postgres.test.ts: PostgreSQL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearModel, mlpModel } from '../../../test/fixtures/models.js';
import { createHarness, multipart, versionUpload, type Harness, type HarnessOptions } from '../../../test/support/harness.js';
import { versionRow } from '../../../test/support/rows.js';

export function registryApiContract(backend: string, options: () => HarnessOptions): void {
describe(`registry HTTP API on ${backend}`, () => {

let h: Harness;
let admin: Record<string, string>;
let maintainer: Record<string, string>;
let viewer: Record<string, string>;

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  h = await createHarness({ bodyLimitBytes: 64 * 1024, ...options() });
  admin = bearer(h.adminToken);
  maintainer = bearer(await h.tokenFor('deployer', 'maria'));
  viewer = bearer(await h.tokenFor('viewer', 'victor'));
});
afterAll(() => h.close());

async function createModel(name: string, extra: Record<string, unknown> = {}, headers = maintainer) {
  return h.app.inject({ method: 'POST', url: '/api/v1/models', headers, payload: { name, ...extra } });
}

async function upload(name: string, model: Uint8Array, metadata?: unknown, query = '') {
  const { body, contentType } = versionUpload(model, metadata);
  return h.app.inject({ method: 'POST', url: `/api/v1/models/${name}/versions${query}`, headers: { ...maintainer, 'content-type': contentType }, payload: body });
}

async function getModel(name: string) {
  return (await h.app.inject({ method: 'GET', url: `/api/v1/models/${name}`, headers: viewer })).json();
}

describe('authentication and roles', () => {
  it('lets health checks through without a token', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', artifacts: 'ok' } });
  });

  it('answers 401 without a token or with a wrong one, in the error shape', async () => {
    const none = await h.app.inject({ method: 'GET', url: '/api/v1/models' });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' }, requestId: expect.any(String) });
    const wrong = await h.app.inject({ method: 'GET', url: '/api/v1/models', headers: bearer('stw_not-a-real-token') });
    expect(wrong.statusCode).toBe(401);
    const scheme = await h.app.inject({ method: 'GET', url: '/api/v1/models', headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
    expect(scheme.statusCode).toBe(401);
    expect((await h.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
  });

  it('answers 403 when the role is too low, and stores nothing', async () => {
    const r = await createModel('viewer-cannot-write', {}, viewer);
    expect(r.statusCode).toBe(403);
    expect(r.json().error.message).toMatch(/needs the contributor role in project 'default'; 'victor' is a viewer there/);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/models/viewer-cannot-write', headers: viewer })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/users', headers: maintainer })).statusCode).toBe(403);
  });

  it('stops accepting a revoked token', async () => {
    const created = await h.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: maintainer, payload: { name: 'short-lived' } });
    expect(created.statusCode).toBe(201);
    const { token, id } = created.json();
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/whoami', headers: bearer(token) })).json()).toMatchObject({ name: 'maria', role: 'user' });
    expect((await h.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${id}`, headers: maintainer })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/whoami', headers: bearer(token) })).statusCode).toBe(401);
  });

  it('serves Prometheus metrics to any user', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/metrics', headers: viewer });
    expect(r.statusCode).toBe(200);
    expect(r.body).toMatch(/steward_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
  });
});

describe('registered models', () => {
  it('creates a model owned by its creator, with tags, and records the event', async () => {
    const r = await createModel('churn', { description: 'Churn classifier', tags: { team: 'growth' } });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ name: 'churn', project: 'default', owner: 'maria', tags: { team: 'growth' }, lastVersion: 0, createdBy: 'maria' });
    const events = (await h.app.inject({ method: 'GET', url: '/api/v1/events?entityType=model', headers: admin })).json().items;
    expect(events.some((e: { type: string; actor: string; payload: { name: string } }) => e.type === 'model.created' && e.actor === 'maria' && e.payload.name === 'churn')).toBe(true);
  });

  it('refuses a duplicate name with 409', async () => {
    await createModel('dup');
    const r = await createModel('dup');
    expect(r.statusCode).toBe(409);
    expect(r.json().error).toMatchObject({ code: 'MODEL_EXISTS', details: { field: 'name' } });
  });

  it.each([
    ['../x', 'path traversal'],
    ['a/b', 'a slash'],
    ['a\u0000b', 'a NUL byte'],
    ['', 'nothing'],
    ['.hidden', 'a leading dot'],
    ['x'.repeat(129), 'too many characters'],
    ['white space', 'a space'],
  ])('rejects the name %j (%s) with 400 naming the field', async (name) => {
    const r = await createModel(name);
    expect(r.statusCode).toBe(400);
    expect(r.json().error.message).toMatch(/name/);
    const list = (await h.app.inject({ method: 'GET', url: '/api/v1/models?limit=1000', headers: viewer })).json();
    expect(list.items.map((m: { name: string }) => m.name)).not.toContain(name);
  });

  it('rejects a path-like name in the URL without touching storage', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/api/v1/models/..%2F..%2Fetc', headers: viewer });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe('INVALID_NAME');
  });

  it('rejects unknown fields, wrong types, malformed JSON and oversized bodies', async () => {
    const unknown = await createModel('typo', { descripton: 'x' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.message).toMatch(/body\.descripton/);
    const wrongType = await createModel('typed', { tags: { a: 1 } });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().error.message).toMatch(/body\.tags\.a/);
    const bad = await h.app.inject({ method: 'POST', url: '/api/v1/models', headers: { ...maintainer, 'content-type': 'application/json' }, payload: '{"name": ' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('INVALID_JSON');
    const big = await createModel('big', { description: 'x'.repeat(100 * 1024) });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    for (const n of ['typo', 'typed', 'big']) expect((await h.app.inject({ method: 'GET', url: `/api/v1/models/${n}`, headers: viewer })).statusCode).toBe(404);
  });

  it('keeps models of different projects apart', async () => {
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/projects', headers: maintainer, payload: { name: 'fraud' } })).statusCode).toBe(201);
    expect((await createModel('scorer')).statusCode).toBe(201);
    expect((await createModel('scorer', { project: 'fraud' })).statusCode).toBe(201);
    expect((await createModel('scorer', { project: 'fraud' })).statusCode).toBe(409);
    // victor has no role in 'fraud' until its admin (maria, who created it) gives him one.
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/models/scorer?project=fraud', headers: viewer })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'PUT', url: '/api/v1/projects/fraud/members/victor', headers: viewer, payload: { role: 'viewer' } })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'PUT', url: '/api/v1/projects/fraud/members/victor', headers: maintainer, payload: { role: 'viewer' } })).statusCode).toBe(200);
    const inFraud = await h.app.inject({ method: 'GET', url: '/api/v1/models/scorer?project=fraud', headers: viewer });
    expect(inFraud.json().project).toBe('fraud');
    const missing = await h.app.inject({ method: 'GET', url: '/api/v1/models/scorer?project=nope', headers: viewer });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('PROJECT_NOT_FOUND');
  });

  it('updates description, owner and tags, removing a tag with null', async () => {
    await createModel('editable', { tags: { a: '1', b: '2' } });
    const r = await h.app.inject({ method: 'PATCH', url: '/api/v1/models/editable', headers: maintainer, payload: { description: 'new', owner: 'victor', tags: { a: null, c: '3' } } });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ description: 'new', owner: 'victor', tags: { b: '2', c: '3' } });
    const badOwner = await h.app.inject({ method: 'PATCH', url: '/api/v1/models/editable', headers: maintainer, payload: { owner: 'nobody' } });
    expect(badOwner.statusCode).toBe(400);
    expect(badOwner.json().error.message).toMatch(/owner/);
  });
});

describe('model versions', () => {
  it('registers an ONNX model: READY, hashed, signature read from the graph, downloadable byte-identical', async () => {
    await createModel('linear');
    const bytes = linearModel();
    const r = await upload('linear', bytes, { metrics: { rmse: 0.25 }, params: { alpha: 0.1 }, tags: { data: 'v1' }, sourceRun: 'run-1', datasetVersion: 'houses@3', description: 'first' });
    expect(r.statusCode).toBe(201);
    expect(r.headers.location).toBe('/api/v1/models/linear/versions/1');
    expect(r.headers['server-timing']).toMatch(/^receive;dur=[\d.]+;desc="[^"]+", load;dur=[\d.]+;desc="[^"]+", store;dur=[\d.]+;desc="[^"]+"$/);
    const v = r.json();
    expect(v).toMatchObject({
      version: 1,
      status: 'READY',
      sha256: sha256(bytes),
      size: bytes.length,
      flavor: 'onnx',
      author: 'maria',
      metrics: { rmse: 0.25 },
      params: { alpha: '0.1' },
      tags: { data: 'v1' },
      lineage: { sourceRun: 'run-1', datasetVersion: 'houses@3', parentVersion: null },
      signature: { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }] },
    });
    const dl = await h.app.inject({ method: 'GET', url: '/api/v1/models/linear/versions/1/artifact', headers: viewer });
    expect(dl.statusCode).toBe(200);
    expect(dl.rawPayload.equals(Buffer.from(bytes))).toBe(true);
    expect(dl.headers['x-steward-sha256']).toBe(sha256(bytes));
    expect(dl.headers['content-length']).toBe(String(bytes.length));
    expect(dl.headers['content-disposition']).toBe('attachment; filename="linear-v1.onnx"');
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/models/linear/versions/latest', headers: viewer })).json().version).toBe(1);
  });

  it('stores identical content once', async () => {
    await createModel('twice');
    const a = (await upload('twice', mlpModel())).json();
    const b = (await upload('twice', mlpModel())).json();
    expect([a.version, b.version]).toEqual([1, 2]);
    expect(a.sha256).toBe(b.sha256);
    expect(await h.store.versions.get((await h.store.models.get((await h.store.projects.getByName('default'))!.id, 'twice'))!.id, 2)).toBeTruthy();
  });

  it('marks a file that is not a model FAILED with the loader message, answers 422 and keeps no blob', async () => {
    await createModel('broken');
    const junk = Buffer.from('this is not an ONNX file at all');
    const r = await upload('broken', junk);
    expect(r.statusCode).toBe(422);
    expect(r.json().error).toMatchObject({ code: 'MODEL_INVALID', details: { version: 1, status: 'FAILED', field: 'artifact' } });
    expect(r.json().error.message).toMatch(/onnxruntime could not load the model/);
    const v = (await h.app.inject({ method: 'GET', url: '/api/v1/models/broken/versions/1', headers: viewer })).json();
    expect(v.status).toBe('FAILED');
    expect(v.statusMessage).toMatch(/protobuf parsing failed/i);
    expect(v.statusMessage).not.toMatch(/\.part|\/tmp\//);
    expect(await h.services.models.openArtifact(undefined, 'broken', '1').catch((e: { code: string }) => e.code)).toBe('VERSION_NOT_READY');
    const { LocalArtifactStore } = await import('../../storage/local-artifact-store.js');
    const { pathToFileURL } = await import('node:url');
    const store = await LocalArtifactStore.create(pathToFileURL(h.artifactsDir).href);
    expect(await store.stat(sha256(junk))).toBeNull();
  });

  it('checks a declared signature against the model', async () => {
    await createModel('sig');
    const wrong = await upload('sig', linearModel(), { signature: { inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }] } });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().error.message).toMatch(/no input named 'features'/);
    const narrowed = await upload('sig', linearModel(), { signature: { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 1] }] } });
    expect(narrowed.statusCode).toBe(201);
    expect(narrowed.json().signature.inputs[0].shape).toEqual([1, 4]);
    const badType = await upload('sig', linearModel(), { signature: { inputs: [{ name: 'x', datatype: 'FLOAT', shape: [1, 4] }], outputs: [] } });
    expect(badType.statusCode).toBe(400);
    expect(badType.json().error.message).toMatch(/metadata\.signature\.inputs\[0\]\.datatype/);
  });

  it('runs the input example through the model and fails the version when it does not fit', async () => {
    await createModel('example');
    expect((await upload('example', linearModel(), { inputExample: { x: [[1, 2, 3, 4]] } })).statusCode).toBe(201);
    const bad = await upload('example', linearModel(), { inputExample: { x: [[1, 2]] } });
    expect(bad.statusCode).toBe(422);
    const stored = (await h.app.inject({ method: 'GET', url: '/api/v1/models/example/versions/1', headers: viewer })).json();
    expect(stored.inputExample).toEqual({ x: [[1, 2, 3, 4]] });
  });

  it('rejects bad uploads with 400 and uses no version number', async () => {
    await createModel('strict');
    const cases: [string, { body: Buffer; contentType: string }, RegExp][] = [
      ['unknown flavor', versionUpload(linearModel(), { flavor: 'pickle' }), /metadata\.flavor.*unknown flavor 'pickle'/],
      ['missing artifact', multipart([{ name: 'metadata', value: '{}' }]), /artifact.*missing/],
      ['metadata not JSON', versionUpload(linearModel(), undefined), /./],
      ['unknown metadata field', versionUpload(linearModel(), { flavour: 'onnx' }), /metadata\.flavour/],
      ['bad metric', versionUpload(linearModel(), { metrics: { auc: 'high' } }), /metadata\.metrics\.auc/],
      ['checksum mismatch', versionUpload(linearModel(), { sha256: 'a'.repeat(64) }), /hashes to/],
      ['unknown parent', versionUpload(linearModel(), { parentVersion: 99 }), /metadata\.parentVersion/],
      ['extra file field', multipart([{ name: 'model', value: linearModel(), filename: 'm.onnx' }]), /'model' goes in 'artifact'|model/],
      ['artifact as a plain field', multipart([{ name: 'artifact', value: 'abc' }]), /file part/],
      ['empty artifact', multipart([{ name: 'artifact', value: new Uint8Array(0), filename: 'm.onnx' }]), /empty/],
    ];
    // "metadata not JSON": replace the metadata with broken JSON
    cases[2]![1] = multipart([
      { name: 'metadata', value: '{"flavor": "onnx",' },
      { name: 'artifact', value: linearModel(), filename: 'm.onnx' },
    ]);
    for (const [what, { body, contentType }, message] of cases) {
      const r = await h.app.inject({ method: 'POST', url: '/api/v1/models/strict/versions', headers: { ...maintainer, 'content-type': contentType }, payload: body });
      expect(r.statusCode, what).toBe(400);
      expect(r.json().error.message, what).toMatch(message);
    }
    expect((await getModel('strict')).lastVersion).toBe(0);
    const listed = (await h.app.inject({ method: 'GET', url: '/api/v1/models/strict/versions', headers: viewer })).json();
    expect(listed.items).toEqual([]);
  });

  it('accepts metadata sent as an application/json part, and rejects it when that JSON is broken', async () => {
    await createModel('typed-parts');
    const ok = multipart([
      { name: 'metadata', value: JSON.stringify({ tags: { via: 'json-part' } }), contentType: 'application/json' },
      { name: 'artifact', value: linearModel(), filename: 'm.onnx' },
    ]);
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/models/typed-parts/versions', headers: { ...maintainer, 'content-type': ok.contentType }, payload: ok.body });
    expect(r.statusCode).toBe(201);
    expect(r.json().tags).toEqual({ via: 'json-part' });
    const broken = multipart([
      { name: 'metadata', value: '{"tags": ', contentType: 'application/json' },
      { name: 'artifact', value: linearModel(), filename: 'm.onnx' },
    ]);
    const b = await h.app.inject({ method: 'POST', url: '/api/v1/models/typed-parts/versions', headers: { ...maintainer, 'content-type': broken.contentType }, payload: broken.body });
    expect(b.statusCode).toBe(400);
    expect(b.json().error.message).toMatch(/^metadata/);
    expect((await getModel('typed-parts')).lastVersion).toBe(1);
  });

  it('rejects a cut multipart body with 400 and stores nothing', async () => {
    await createModel('cut');
    const { body, contentType } = versionUpload(mlpModel(), { description: 'will be cut' });
    const cut = body.subarray(0, body.length - 200);
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/models/cut/versions', headers: { ...maintainer, 'content-type': contentType }, payload: cut });
    expect(r.statusCode).toBe(400);
    expect((await getModel('cut')).lastVersion).toBe(0);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(`${h.artifactsDir}/tmp`)).toEqual([]);
  });

  it('rejects NUL characters, out-of-range numbers and __proto__ keys with 400 and stores nothing', async () => {
    await createModel('edge');
    const nul = await createModel('nul-desc', { description: 'a\u0000b' });
    expect(nul.statusCode).toBe(400);
    expect(nul.json().error.message).toMatch(/^description: must not contain NUL/);
    const cases: [string, { body: Buffer; contentType: string }, RegExp][] = [
      ['NUL in a tag', versionUpload(linearModel(), { tags: { a: 'x\u0000' } }), /metadata\.tags\.a/],
      ['NUL in a param', versionUpload(linearModel(), { params: { p: 'x\u0000' } }), /metadata\.params\.p/],
      ['NUL in the description', versionUpload(linearModel(), { description: '\u0000' }), /metadata\.description/],
      ['huge parent version', versionUpload(linearModel(), { parentVersion: 99_999_999_999 }), /metadata\.parentVersion: must be an integer from 1 to 2147483647/],
      ['__proto__ tag', multipart([{ name: 'metadata', value: '{"tags":{"__proto__":"x","a":"b"}}' }, { name: 'artifact', value: linearModel(), filename: 'm.onnx' }]), /__proto__/],
    ];
    for (const [what, { body, contentType }, message] of cases) {
      const r = await h.app.inject({ method: 'POST', url: '/api/v1/models/edge/versions', headers: { ...maintainer, 'content-type': contentType }, payload: body });
      expect(r.statusCode, what).toBe(400);
      expect(r.json().error.message, what).toMatch(message);
    }
    expect((await getModel('edge')).lastVersion).toBe(0);
    const proto = await h.app.inject({ method: 'POST', url: '/api/v1/models', headers: { ...maintainer, 'content-type': 'application/json' }, payload: '{"name":"p","tags":{"__proto__":"x"}}' });
    expect(proto.statusCode).toBe(400);
    for (const url of ['/api/v1/models/linear/versions/99999999999', '/api/v1/models/linear/versions/2147483648', '/api/v1/models/linear/versions/0']) {
      const r = await h.app.inject({ method: 'GET', url, headers: viewer });
      expect(r.statusCode, url).toBe(400);
      expect(r.json().error.code).toBe('INVALID_VERSION');
    }
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/models/linear/versions/2147483647', headers: viewer })).statusCode).toBe(404);
    const bigAlias = await h.app.inject({ method: 'PUT', url: '/api/v1/models/linear/aliases/far', headers: maintainer, payload: { version: 3_000_000_000 } });
    expect(bigAlias.statusCode).toBe(400);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/events?after=9223372036854775807', headers: admin })).statusCode).toBe(400);
    const forgedCursor = Buffer.from(JSON.stringify(1e15)).toString('base64url');
    expect((await h.app.inject({ method: 'GET', url: `/api/v1/models/linear/versions?cursor=${forgedCursor}`, headers: viewer })).statusCode).toBe(400);
  });

  it('answers a storage failure on the server with 500, marks the version FAILED and leaves no temporary file', async () => {
    await createModel('disk-trouble');
    const { writeFile, rm: remove, readdir, stat } = await import('node:fs/promises');
    const { join } = await import('node:path');
    // Find content whose blob folder does not exist yet, and put a file where that folder must go. Each
    // candidate is the linear model with one more producer_name field (protobuf field 2; the last one wins).
    let bytes: Buffer = Buffer.from(linearModel());
    let sha = sha256(bytes);
    for (let i = 0; (await stat(join(h.artifactsDir, 'sha256', sha.slice(0, 2))).catch(() => null)) !== null; i++) {
      if (i > 200) throw new Error('no free blob folder found');
      const name = Buffer.from(`p${i}`);
      bytes = Buffer.concat([Buffer.from(linearModel()), Buffer.from([0x12, name.length]), name]);
      sha = sha256(bytes);
    }
    const blocker = join(h.artifactsDir, 'sha256', sha.slice(0, 2));
    await writeFile(blocker, 'a file where a folder should be');
    try {
      const r = await upload('disk-trouble', bytes);
      expect(r.statusCode).toBe(500);
      expect(r.json().error).toMatchObject({ code: 'REGISTRATION_FAILED', details: { version: 1, status: 'FAILED' } });
      expect(r.json().error.message).not.toMatch(/\//); // no server paths
      const v = (await h.app.inject({ method: 'GET', url: '/api/v1/models/disk-trouble/versions/1', headers: viewer })).json();
      expect(v.status).toBe('FAILED');
      expect(v.statusMessage).toMatch(/server error/);
      expect(await readdir(join(h.artifactsDir, 'tmp'))).toEqual([]);
      const events = (await h.app.inject({ method: 'GET', url: '/api/v1/events?entityType=model_version&limit=1000', headers: admin })).json().items;
      const mine = events.filter((e: { payload: { model?: string } }) => e.payload.model === 'disk-trouble').map((e: { type: string }) => e.type);
      expect(mine).toEqual(['model_version.created', 'model_version.failed']);
    } finally {
      await remove(blocker);
    }
  });

  it('marks versions left PENDING by an interrupted registration as FAILED, with an event', async () => {
    await createModel('interrupted');
    const { model } = await h.services.models.resolveModel(undefined, 'interrupted');
    const old = new Date(Date.now() - 3_600_000).toISOString();
    await h.store.versions.insert(
      versionRow(model.id, await h.store.models.allocateVersion(model.id), {
        id: '01900000-0000-7000-8000-00000000abcd',
        status: 'PENDING',
        created_at: old,
        updated_at: old,
      }),
    );
    expect(await h.services.registration.recoverInterrupted(new Date(Date.now() - 7_200_000).toISOString())).toBe(0);
    expect(await h.services.registration.recoverInterrupted(new Date().toISOString())).toBe(1);
    const v = (await h.app.inject({ method: 'GET', url: '/api/v1/models/interrupted/versions/1', headers: viewer })).json();
    expect(v).toMatchObject({ status: 'FAILED', statusMessage: expect.stringMatching(/interrupted/), updatedBy: 'system' });
    const events = (await h.app.inject({ method: 'GET', url: '/api/v1/events?entityType=model_version&entityId=01900000-0000-7000-8000-00000000abcd', headers: admin })).json().items;
    expect(events.map((e: { type: string; actor: string }) => [e.type, e.actor])).toEqual([['model_version.failed', 'system']]);
  });

  it('answers 415 for a JSON body and 404 for a missing model before reading the upload', async () => {
    const json = await h.app.inject({ method: 'POST', url: '/api/v1/models/linear/versions', headers: maintainer, payload: { artifact: 'x' } });
    expect(json.statusCode).toBe(415);
    const { body, contentType } = versionUpload(linearModel());
    const missing = await h.app.inject({ method: 'POST', url: '/api/v1/models/ghost/versions', headers: { ...maintainer, 'content-type': contentType }, payload: body });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('MODEL_NOT_FOUND');
  });

  it('gives 8 simultaneous registrations distinct consecutive numbers, each READY with its own artifact', async () => {
    await createModel('race');
    const models = Array.from({ length: 8 }, (_, i) => {
      const b = Buffer.from(linearModel());
      // Same graph, different producer_version text, so each artifact has its own hash: patch '0.1'.
      const at = b.indexOf(Buffer.from('0.1'));
      b.write(String(i), at + 2);
      return b;
    });
    const results = await Promise.all(models.map((m) => upload('race', m)));
    expect(results.map((r) => r.statusCode)).toEqual(Array(8).fill(201));
    const versions = results.map((r) => r.json().version).sort((a, b) => a - b);
    expect(versions).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const r of results) {
      const v = r.json();
      const dl = await h.app.inject({ method: 'GET', url: `/api/v1/models/race/versions/${v.version}/artifact`, headers: viewer });
      expect(sha256(dl.rawPayload)).toBe(v.sha256);
    }
    expect(new Set(results.map((r) => r.json().sha256)).size).toBe(8);
  });

  it('updates only the description and tags of a version', async () => {
    const r = await h.app.inject({ method: 'PATCH', url: '/api/v1/models/linear/versions/1', headers: maintainer, payload: { description: 'better words', tags: { data: null, reviewed: 'yes' } } });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ description: 'better words', tags: { reviewed: 'yes' }, updatedBy: 'maria' });
    const immutable = await h.app.inject({ method: 'PATCH', url: '/api/v1/models/linear/versions/1', headers: maintainer, payload: { sha256: 'f'.repeat(64) } });
    expect(immutable.statusCode).toBe(400);
  });

  it('answers 404 for an unknown version and 400 for a malformed one', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/models/linear/versions/42', headers: viewer })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/models/linear/versions/1.5', headers: viewer })).statusCode).toBe(400);
  });
});

describe('aliases', () => {
  it('points, moves and removes an alias, keeping its history', async () => {
    await createModel('aliased');
    await upload('aliased', linearModel());
    await upload('aliased', mlpModel());
    const set = await h.app.inject({ method: 'PUT', url: '/api/v1/models/aliased/aliases/champion', headers: maintainer, payload: { version: 1 } });
    expect(set.json()).toEqual({ alias: 'champion', version: 1, previousVersion: null });
    const moved = await h.app.inject({ method: 'PUT', url: '/api/v1/models/aliased/aliases/champion', headers: maintainer, payload: { version: 2 } });
    expect(moved.json()).toEqual({ alias: 'champion', version: 2, previousVersion: 1 });
    const byAlias = await h.app.inject({ method: 'GET', url: '/api/v1/models/aliased/versions/@champion', headers: viewer });
    expect(byAlias.json()).toMatchObject({ version: 2, aliases: ['champion'] });
    const resolved = (await h.app.inject({ method: 'GET', url: '/api/v1/models/aliased/aliases/champion', headers: viewer })).json();
    expect(resolved.version.version).toBe(2);
    expect(resolved.history.map((x: { from: number | null; to: number | null; by: string }) => [x.from, x.to, x.by])).toEqual([
      [null, 1, 'maria'],
      [1, 2, 'maria'],
    ]);
    expect((await getModel('aliased')).aliases).toEqual({ champion: 2 });
    expect((await h.app.inject({ method: 'DELETE', url: '/api/v1/models/aliased/aliases/champion', headers: maintainer })).json()).toEqual({ alias: 'champion', previousVersion: 2 });
    const history = (await h.app.inject({ method: 'GET', url: '/api/v1/models/aliased/alias-history', headers: viewer })).json().items;
    expect(history.at(-1)).toMatchObject({ alias: 'champion', from: 2, to: null });
  });

  it('refuses aliases to missing or FAILED versions and reserved alias names', async () => {
    expect((await h.app.inject({ method: 'PUT', url: '/api/v1/models/aliased/aliases/x', headers: maintainer, payload: { version: 9 } })).statusCode).toBe(404);
    const failed = await h.app.inject({ method: 'PUT', url: '/api/v1/models/broken/aliases/x', headers: maintainer, payload: { version: 1 } });
    expect(failed.statusCode).toBe(409);
    expect(failed.json().error.code).toBe('VERSION_NOT_READY');
    for (const alias of ['latest', 'v3', '12']) {
      const r = await h.app.inject({ method: 'PUT', url: `/api/v1/models/aliased/aliases/${alias}`, headers: maintainer, payload: { version: 1 } });
      expect(r.statusCode, alias).toBe(400);
    }
    expect((await h.app.inject({ method: 'PUT', url: '/api/v1/models/aliased/aliases/ok', headers: maintainer, payload: { version: '1' } })).statusCode).toBe(400);
  });
});

describe('stages', () => {
  it('records every transition with who, when, from, to and the comment', async () => {
    await createModel('staged');
    await upload('staged', linearModel());
    await upload('staged', mlpModel());
    const toStaging = await h.app.inject({ method: 'POST', url: '/api/v1/models/staged/versions/1/stage', headers: maintainer, payload: { stage: 'Staging', comment: 'passed offline eval' } });
    expect(toStaging.statusCode).toBe(200);
    const toProd = await h.app.inject({ method: 'POST', url: '/api/v1/models/staged/versions/1/stage', headers: maintainer, payload: { stage: 'production' } });
    expect(toProd.json().stage).toBe('Production');
    expect(toProd.json().stageHistory.map((t: { from: string; to: string; comment: string; by: string }) => [t.from, t.to, t.comment, t.by])).toEqual([
      ['None', 'Staging', 'passed offline eval', 'maria'],
      ['Staging', 'Production', '', 'maria'],
    ]);
    const second = await h.app.inject({ method: 'POST', url: '/api/v1/models/staged/versions/2/stage', headers: maintainer, payload: { stage: 'Production', archiveExisting: true } });
    expect(second.json().stage).toBe('Production');
    const first = (await h.app.inject({ method: 'GET', url: '/api/v1/models/staged/versions/1', headers: viewer })).json();
    expect(first.stage).toBe('Archived');
    expect(first.stageHistory.at(-1)).toMatchObject({ from: 'Production', to: 'Archived', comment: 'archived when version 2 moved to Production' });
    expect((await getModel('staged')).latestVersions).toEqual([
      { stage: 'Production', version: 2 },
      { stage: 'Archived', version: 1 },
    ]);
  });

  it('rejects unknown stages, no-op moves and FAILED versions', async () => {
    const bad = await h.app.inject({ method: 'POST', url: '/api/v1/models/staged/versions/2/stage', headers: maintainer, payload: { stage: 'Prod' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/stage: must be one of None, Staging, Production, Archived/);
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/models/staged/versions/2/stage', headers: maintainer, payload: { stage: 'Production' } })).statusCode).toBe(409);
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/models/broken/versions/1/stage', headers: maintainer, payload: { stage: 'Staging' } })).statusCode).toBe(409);
  });
});

describe('search and pagination', () => {
  it('filters by name, tag, stage and alias, and pages with a cursor', async () => {
    for (const n of ['search-a', 'search-b', 'search-c', 'search-d', 'search-e']) {
      await createModel(n, { tags: { kind: n < 'search-c' ? 'early' : 'late', group: 'search' } });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/models?name=SEARCH-&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await h.app.inject({ method: 'GET', url, headers: viewer })).json();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((m: { name: string }) => m.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['search-a', 'search-b', 'search-c', 'search-d', 'search-e']);
    const late = (await h.app.inject({ method: 'GET', url: '/api/v1/models?tag=kind=late&tag=group', headers: viewer })).json();
    expect(late.items.map((m: { name: string }) => m.name)).toEqual(['search-c', 'search-d', 'search-e']);
    const desc = (await h.app.inject({ method: 'GET', url: '/api/v1/models?name=search&order=desc&limit=1', headers: viewer })).json();
    expect(desc.items[0].name).toBe('search-e');
    const inProd = (await h.app.inject({ method: 'GET', url: '/api/v1/models?stage=Production', headers: viewer })).json();
    expect(inProd.items.map((m: { name: string }) => m.name)).toEqual(['staged']);
    await h.app.inject({ method: 'PUT', url: '/api/v1/models/linear/aliases/prod', headers: maintainer, payload: { version: 1 } });
    const withAlias = (await h.app.inject({ method: 'GET', url: '/api/v1/models?alias=prod', headers: viewer })).json();
    expect(withAlias.items.map((m: { name: string }) => m.name)).toEqual(['linear']);
    const likeIsLiteral = (await h.app.inject({ method: 'GET', url: '/api/v1/models?name=%25', headers: viewer })).json();
    expect(likeIsLiteral.items).toEqual([]);
  });

  it('lists versions newest first with filters and rejects a forged cursor', async () => {
    const all = (await h.app.inject({ method: 'GET', url: '/api/v1/models/race/versions?limit=3', headers: viewer })).json();
    expect(all.items.map((v: { version: number }) => v.version)).toEqual([8, 7, 6]);
    const next = (await h.app.inject({ method: 'GET', url: `/api/v1/models/race/versions?limit=3&cursor=${all.nextCursor}`, headers: viewer })).json();
    expect(next.items.map((v: { version: number }) => v.version)).toEqual([5, 4, 3]);
    const failed = (await h.app.inject({ method: 'GET', url: '/api/v1/models/broken/versions?status=failed', headers: viewer })).json();
    expect(failed.items.map((v: { status: string }) => v.status)).toEqual(['FAILED']);
    const forged = await h.app.inject({ method: 'GET', url: '/api/v1/models?cursor=not-a-cursor', headers: viewer });
    expect(forged.statusCode).toBe(400);
    expect(forged.json().error.message).toMatch(/^cursor/);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/models?limit=0', headers: viewer })).statusCode).toBe(400);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/models?orderBy=size', headers: viewer })).statusCode).toBe(400);
  });
});

describe('API documentation', () => {
  it('serves an OpenAPI 3 document generated from the route schemas', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/docs/json' });
    expect(r.statusCode).toBe(200);
    const doc = r.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/models', '/api/v1/models/{name}/versions', '/api/v1/models/{name}/aliases/{alias}']));
    expect(doc.paths['/api/v1/models/{name}/versions'].post.requestBody.content['multipart/form-data']).toBeDefined();
    expect((await h.app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
  });
});
});
}
