/**
 * End to end on a real `steward serve` process over real HTTP: deployment changes and rollbacks under
 * load answer no 5xx and drop no connection; SIGKILL under load loses no prediction a client received.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearModel } from '../fixtures/models.js';
import { versionUpload } from '../support/harness.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { readPredictions } from '../../src/serving/prediction-log/prediction-log-reader.js';

const TOKEN = 'stw_e2e-serving-admin-token-0000000';
const auth = { authorization: `Bearer ${TOKEN}` };

let dir: string;
let home: string;
let server: ServerProcess;

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: { predictionIds: string[] } & Record<string, unknown> }> {
  const r = await fetch(`${server.url}${path}`, { method, headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}

async function registerLinear(times: number): Promise<void> {
  await api('POST', '/api/v1/models', { name: 'lin' });
  for (let i = 0; i < times; i++) {
    const { body, contentType } = versionUpload(linearModel(), { description: `v${i + 1}` });
    const r = await fetch(`${server.url}/api/v1/models/lin/versions`, { method: 'POST', headers: { ...auth, 'content-type': contentType }, body });
    expect(r.status).toBe(201);
  }
}

interface Load {
  ok: number;
  statuses: Map<number, number>;
  errors: string[];
  ids: string[];
  versions: Set<number>;
}

/** `connections` loops sending single-row predictions until `stop()` resolves. */
function load(connections: number, until: Promise<void>): Promise<Load> {
  const result: Load = { ok: 0, statuses: new Map(), errors: [], ids: [], versions: new Set() };
  let done = false;
  void until.then(() => (done = true));
  const loop = async (c: number) => {
    let i = 0;
    while (!done) {
      try {
        const r = await fetch(`${server.url}/api/v1/deployments/live/predict`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ rows: [{ f0: c, f1: i++, f2: 0.5, f3: -1 }] }),
        });
        const body = (await r.json()) as { predictionIds?: string[]; modelVersion?: { version: number } };
        result.statuses.set(r.status, (result.statuses.get(r.status) ?? 0) + 1);
        if (r.status === 200) {
          result.ok++;
          result.ids.push(...body.predictionIds!);
          result.versions.add(body.modelVersion!.version);
        }
      } catch (err) {
        result.errors.push(String((err as Error).cause ?? err));
        if (done) break;
      }
    }
  };
  return Promise.all(Array.from({ length: connections }, (_, c) => loop(c))).then(() => result);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-serving-e2e-'));
  home = join(dir, 'home');
  server = await startServerProcess(home, { STEWARD_ADMIN_TOKEN: TOKEN });
  await registerLinear(3);
  expect((await api('PUT', '/api/v1/deployments/live', { targets: [{ model: 'lin', version: 1, weight: 100 }] })).status).toBe(201);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('serving under load', () => {
  it('changes and rolls back a deployment under load with no 5xx and no dropped connection', async () => {
    let finish!: () => void;
    const running = load(8, new Promise<void>((r) => (finish = r)));
    const specs = [
      { targets: [{ model: 'lin', version: 2, weight: 100 }] },
      { targets: [{ model: 'lin', version: 1, weight: 90 }, { model: 'lin', version: 3, weight: 10 }], batching: { maxBatchSize: 16, maxDelayMicros: 500 } },
      { targets: [{ model: 'lin', version: 3, weight: 100 }], shadow: [{ model: 'lin', version: 1 }] },
    ];
    const changes: number[] = [];
    for (let round = 0; round < 4; round++) {
      for (const spec of specs) {
        await sleep(150);
        const r = await api('PUT', '/api/v1/deployments/live', spec);
        changes.push(r.status);
      }
      await sleep(150);
      changes.push((await api('POST', '/api/v1/deployments/live/rollback', {})).status);
    }
    await sleep(200);
    finish();
    const result = await running;
    expect(changes.every((s) => s === 200)).toBe(true);
    expect(result.errors).toEqual([]);
    expect([...result.statuses.keys()]).toEqual([200]);
    expect(result.ok).toBeGreaterThan(200);
    expect([...result.versions].sort()).toEqual([1, 2, 3]);
  }, 60_000);

  it('loses no prediction a client received when the server is killed with SIGKILL under load', async () => {
    await api('PUT', '/api/v1/deployments/live', { targets: [{ model: 'lin', version: 1, weight: 100 }] });
    let stopLoad!: () => void;
    const running = load(8, new Promise<void>((r) => (stopLoad = r)));
    // A 20 s load, cut by SIGKILL part-way through.
    const planned = setTimeout(() => stopLoad(), 20_000);
    await sleep(4_000);
    server.child.kill('SIGKILL');
    await new Promise((r) => server.child.once('exit', r));
    stopLoad();
    clearTimeout(planned);
    const result = await running;
    expect(result.ids.length).toBeGreaterThan(500);
    expect(result.errors.length).toBeGreaterThan(0); // requests in flight at the kill fail; none of them gave an id

    server = await startServerProcess(home, { STEWARD_ADMIN_TOKEN: TOKEN });
    const logged = new Set<string>();
    for await (const r of readPredictions(join(home, 'predictions'))) logged.add(r.id);
    const lost = result.ids.filter((id) => !logged.has(id));
    expect(lost).toEqual([]);
    // After the restart the deployment serves again, from the revision in the database.
    const again = await api('POST', '/api/v1/deployments/live/predict', { rows: [{ f0: 1, f1: 2, f2: 3, f3: 4 }] });
    expect(again.status).toBe(200);
    expect(logged.has(again.json.predictionIds[0]!)).toBe(false);
  }, 90_000);

  it('prints, at a first start, the admin token and a signed-in web UI address that works', async () => {
    const fresh = await startServerProcess(join(dir, 'first-start'), { STEWARD_ADMIN_TOKEN: '' });
    try {
      const m = /Open the web UI, signed in: +(http:\/\/\S+)\/#token=(stw_\S+)/.exec(fresh.output());
      expect(m).not.toBeNull();
      expect(m![1]).toBe(fresh.url);
      const who = await fetch(`${fresh.url}/api/v1/whoami`, { headers: { authorization: `Bearer ${m![2]}` } });
      expect(who.status).toBe(200);
      expect(((await who.json()) as { name: string }).name).toBe('admin');
    } finally {
      await fresh.stop();
    }
  }, 60_000);
});
