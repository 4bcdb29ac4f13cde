/**
 * Monitoring end to end over real HTTP handlers (inject), a real database (SQLite file or PostgreSQL), the
 * real prediction log and a real xgboost model: a reference from an uploaded CSV, 50,000 predictions with a shift in two features in
 * the middle, labels for half of them, windows of 5,000 predictions, and an alert rule with a webhook
 * received by a local HTTP server.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, multipart, versionUpload, type Harness, type HarnessOptions } from '../../../test/support/harness.js';
import { Random } from '../../ml/monitoring/profile.js';
import { verifySignature } from './alerts/webhooks.js';

const FEATURES = ['income', 'age', 'home_owner', 'score'] as const;
type Row = Record<(typeof FEATURES)[number], number>;

/** A standard normal from two uniforms (Box–Muller). */
function normal(r: Random): number {
  return Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
}

function row(r: Random, shifted: boolean): Row {
  return {
    income: Math.exp(10 + 0.5 * normal(r) + (shifted ? 0.75 : 0)),
    age: 18 + r.below(62),
    home_owner: r.next() < 0.4 ? 1 : 0,
    score: normal(r) + (shifted ? 1.5 : 0),
  };
}

function csv(rows: Row[]): string {
  return [FEATURES.join(','), ...rows.map((x) => FEATURES.map((f) => x[f]).join(','))].join('\n') + '\n';
}

/** A multipart body with one CSV file in the field `file`. */
function multipartFile(name: string, content: string): { body: Buffer; contentType: string } {
  return multipart([{ name: 'file', value: Buffer.from(content), filename: name, contentType: 'text/csv' }]);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}


export function monitoringContract(name: string, options: () => HarnessOptions): void {
 describe(`monitoring on ${name}`, () => {
let h: Harness;
let maintainer: Record<string, string>;
let viewer: Record<string, string>;
let hooks: Server;
let hookUrl: string;
const received: { headers: IncomingMessage['headers']; body: string }[] = [];
const SECRET = 'a-webhook-secret-of-some-length';


beforeAll(async () => {
  hooks = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`;
  h = await createHarness({ ...options(), bodyLimitBytes: 8 * 1024 * 1024, webhooks: { baseDelayMs: 20, pollMs: 50 } });
  maintainer = { authorization: `Bearer ${await h.tokenFor('deployer', 'mona')}` };
  viewer = { authorization: `Bearer ${await h.tokenFor('viewer', 'vic')}` };
  await h.app.inject({ method: 'POST', url: '/api/v1/models', headers: maintainer, payload: { name: 'loans' } });
  const model = new Uint8Array(readFileSync(new URL('../../../test/fixtures/xgboost/named-features.json', import.meta.url)));
  const { body, contentType } = versionUpload(model, { flavor: 'xgboost-json' });
  const v = await h.app.inject({ method: 'POST', url: '/api/v1/models/loans/versions', headers: { ...maintainer, 'content-type': contentType }, payload: body });
  expect(v.statusCode).toBe(201);
  const d = await h.app.inject({ method: 'PUT', url: '/api/v1/deployments/loans', headers: maintainer, payload: { targets: [{ model: 'loans', version: 1, weight: 100 }] } });
  expect(d.statusCode).toBe(201);
}, 60_000);

afterAll(async () => {
  await h?.close();
  await new Promise<void>((resolve) => hooks.close(() => resolve()));
});

describe('references', () => {
  it('refuses a file without the model features, naming them, and changes nothing', async () => {
    const bad = multipartFile('bad.csv', 'income,age\n1,2\n');
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/models/loans/versions/1/reference', headers: { ...maintainer, 'content-type': bad.contentType }, payload: bad.body });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.message).toMatch(/no column named 'home_owner', 'score'/);
    const g = await h.app.inject({ method: 'GET', url: '/api/v1/models/loans/versions/1/reference', headers: viewer });
    expect(g.statusCode).toBe(404);
  });

  it('profiles an uploaded CSV in a job, with the model run on every row', async () => {
    const rng = new Random(1);
    const rows = Array.from({ length: 5000 }, () => row(rng, false));
    const file = multipartFile('reference.csv', csv(rows));
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/models/loans/versions/1/reference', headers: { ...maintainer, 'content-type': file.contentType }, payload: file.body });
    expect(r.statusCode, r.body).toBe(202);
    expect(r.json().reference.status).toBe('PENDING');
    const ready = await waitFor('the reference', async () => {
      const g = await h.app.inject({ method: 'GET', url: '/api/v1/models/loans/versions/1/reference', headers: viewer });
      const b = g.json();
      if (b.status === 'FAILED') throw new Error(b.error);
      return b.status === 'READY' ? b : undefined;
    });
    expect(ready.rows).toBe(5000);
    const byName = Object.fromEntries(ready.columns.map((c: { name: string }) => [c.name, c]));
    expect(Object.keys(byName).sort()).toEqual(['age', 'home_owner', 'income', 'prediction', 'score']);
    const meanScore = rows.reduce((s, x) => s + x.score, 0) / rows.length;
    expect(byName.score.mean).toBeCloseTo(meanScore, 9);
    expect(byName.prediction.rows).toBe(5000);
    expect(byName.prediction.min).toBeGreaterThan(0);
    expect(byName.prediction.max).toBeLessThan(1);
  });
});

describe('settings', () => {
  it('refuses malformed settings with the field named and keeps the old ones', async () => {
    for (const [payload, field] of [
      [{ window: 'week' }, /window/],
      [{ tests: { income: { method: 'magic' } } }, /tests\.income\.method/],
      [{ correction: 'bonferroni' }, /correction/],
      [{ driftShare: 2 }, /driftShare/],
      [{ colour: 'red' }, /colour/],
    ] as const) {
      const r = await h.app.inject({ method: 'PUT', url: '/api/v1/deployments/loans/monitoring/settings', headers: maintainer, payload });
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.json().error.message).toMatch(field);
    }
    const g = await h.app.inject({ method: 'GET', url: '/api/v1/deployments/loans/monitoring/settings', headers: viewer });
    expect(g.json().window).toBe('hour');
    const ok = await h.app.inject({ method: 'PUT', url: '/api/v1/deployments/loans/monitoring/settings', headers: maintainer, payload: { window: 'rows:5000' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().window).toBe('rows:5000');
  });
});

describe('50,000 predictions with a shift in two features from the middle', () => {
  const ids: string[] = [];
  const predictions: number[] = [];

  it('serves them, folds the log into windows of 5,000, and fires then resolves one alert', async () => {
    const rule = await h.app.inject({
      method: 'POST', url: '/api/v1/deployments/loans/alerts/rules', headers: maintainer,
      payload: { name: 'feature-drift', metric: 'drift.share', comparison: '>=', threshold: 0.5, firingAfter: 2, resolvingAfter: 2, webhook: { url: hookUrl, secret: SECRET } },
    });
    expect(rule.statusCode, rule.body).toBe(201);

    const rng = new Random(2);
    // rows 0–24,999 as the reference; 25,000–39,999 shifted; 40,000–49,999 back to normal
    for (let start = 0; start < 50_000; start += 100) {
      const rows = Array.from({ length: 100 }, (_, i) => row(rng, start + i >= 25_000 && start + i < 40_000));
      const r = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/loans/predict', headers: viewer, payload: { rows } });
      expect(r.statusCode).toBe(200);
      ids.push(...String(r.headers['x-prediction-id']).split(','));
      predictions.push(...(r.json().predictions as number[]));
    }
    expect(ids.length).toBe(50_000);
    const folded = await h.services.monitoring.foldNow();
    expect(folded.records).toBe(50_000);
    expect(folded.closed).toBe(10);

    const w = await h.app.inject({ method: 'GET', url: '/api/v1/deployments/loans/monitoring/windows', headers: viewer });
    expect(w.statusCode).toBe(200);
    const windows = w.json().items as { seq: number; rows: number; drift: { features: Record<string, { drifted: boolean }> } }[];
    expect(windows.map((x) => x.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const win of windows) {
      expect(win.rows).toBe(5000);
      const shifted = win.seq >= 5 && win.seq <= 7;
      expect(win.drift.features.income!.drifted, `income in window ${win.seq}`).toBe(shifted);
      expect(win.drift.features.score!.drifted, `score in window ${win.seq}`).toBe(shifted);
      expect(win.drift.features.age!.drifted, `age in window ${win.seq}`).toBe(false);
      expect(win.drift.features.home_owner!.drifted, `home_owner in window ${win.seq}`).toBe(false);
    }
    // Attribution drift (mean |SHAP| per feature against the reference's): every shifted window moved more
    // of the model's attribution than any unshifted one.
    const shifts = (w.json().items as { seq: number; attribution: { shift: number; features: Record<string, { reference: number; current: number }> } }[]).map((x) => ({ seq: x.seq, shift: x.attribution.shift, score: x.attribution.features.score! }));
    const moved = shifts.filter((x) => x.seq >= 5 && x.seq <= 7).map((x) => x.shift);
    const still = shifts.filter((x) => x.seq < 5 || x.seq > 7).map((x) => x.shift);
    expect(Math.min(...moved)).toBeGreaterThan(Math.max(...still));
    expect(shifts[0]!.score.reference).toBeGreaterThan(0);

    const history = await h.app.inject({ method: 'GET', url: '/api/v1/deployments/loans/alerts', headers: viewer });
    const states = (history.json().items as { state: string }[]).map((e) => e.state).reverse();
    expect(states).toEqual(['firing', 'resolved']);

    await waitFor('two webhook deliveries', async () => (received.length >= 2 ? true : undefined));
    expect(received.map((x) => x.headers['x-steward-event'])).toEqual(['alert.fired', 'alert.resolved']);
    for (const hook of received) {
      const ts = String(hook.headers['x-steward-timestamp']);
      const expected = 'sha256=' + createHmac('sha256', SECRET).update(`${ts}.${hook.body}`).digest('hex');
      expect(hook.headers['x-steward-signature']).toBe(expected);
      expect(verifySignature(SECRET, ts, hook.body, String(hook.headers['x-steward-signature']))).toBe(true);
    }
  }, 120_000);

  it('reports drift over a range, and performance once labels arrive for half of the predictions', async () => {
    const rng = new Random(3);
    const labels = ids.slice(0, 25_000).map((id, i) => ({ predictionId: id, label: rng.next() < predictions[i]! ? 1 : 0 }));
    const l = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/loans/labels', headers: maintainer, payload: labels });
    expect(l.statusCode, l.body).toBe(200);
    expect(l.json()).toMatchObject({ received: 25_000, stored: 25_000, replaced: 0, unknown: 0, invalid: 0 });

    const report = await h.app.inject({ method: 'GET', url: '/api/v1/deployments/loans/monitoring', headers: viewer });
    expect(report.statusCode).toBe(200);
    const rep = report.json();
    expect(rep.operations.count).toBe(50_000);
    expect(rep.operations.p99Ms).toBeGreaterThan(0);
    expect(rep.performance.labeled).toBe(25_000);
    expect(rep.performance.task).toBe('binary');
    // labels drawn from the predicted probabilities: a calibrated model, so a small calibration error
    expect(rep.performance.metrics.ece).toBeLessThan(0.03);
    expect(rep.performance.metrics.rocAuc).toBeGreaterThan(0.6);
    for (const f of ['income', 'age', 'home_owner', 'score']) expect(rep.drift.features[f]).toHaveProperty('statistic');
    expect(rep.drift.features.income.test).toBe('wasserstein');
    expect(rep.drift.features.home_owner.test).toBe('jensenshannon');
    expect(rep.quality.missingRate).toBe(0);
  });

  it('per window: labels fall in the windows of their predictions; each test says its threshold', async () => {
    const w = await h.app.inject({ method: 'GET', url: '/api/v1/deployments/loans/monitoring/windows', headers: viewer });
    const items = w.json().items as { seq: number; performance: { labeled: number; metrics: { rocAuc?: number } }; drift: { features: Record<string, { threshold: number; pValue: number | null; test: string }>; output: { test: string } } }[];
    // labels were sent for the first 25,000 predictions: windows 0–4
    expect(items.map((x) => x.performance.labeled)).toEqual([5000, 5000, 5000, 5000, 5000, 0, 0, 0, 0, 0]);
    expect(items[0]!.performance.metrics.rocAuc).toBeGreaterThan(0.5);
    expect(items[0]!.drift.features.income).toMatchObject({ test: 'wasserstein', threshold: 0.1, pValue: null });
    expect(items[0]!.drift.output.test).toBe('wasserstein');
  });

  it('counts unknown, duplicate and malformed labels without failing the batch', async () => {
    const batch = [
      { predictionId: ids[0], label: 0 },
      { predictionId: ids[0], label: 1 },
      { predictionId: '01890a5d-ac96-774b-bcce-b302099a8057', label: 1 },
      { predictionId: 'not-an-id', label: 1 },
      { predictionId: ids[1], label: { nested: true } },
      { predictionId: ids[30_000], label: 1 },
    ];
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/loans/labels', headers: maintainer, payload: batch });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ received: 6, duplicatesInBatch: 1, unknown: 1, invalid: 2, replaced: 1, stored: 1 });
    expect(r.json().unknownIds).toEqual(['01890a5d-ac96-774b-bcce-b302099a8057']);
    expect(r.json().invalidItems.map((x: { index: number }) => x.index)).toEqual([3, 4]);
    const tooMany = await h.app.inject({ method: 'POST', url: '/api/v1/deployments/loans/labels', headers: maintainer, payload: { labels: 'x' } });
    expect(tooMany.statusCode).toBe(400);
  });

  it('a time range selects windows; bad times are refused', async () => {
    const bad = await h.app.inject({ method: 'GET', url: '/api/v1/deployments/loans/monitoring?from=yesterday', headers: viewer });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/from/);
    const future = await h.app.inject({ method: 'GET', url: '/api/v1/deployments/loans/monitoring?from=2999-01-01T00:00:00Z', headers: viewer });
    expect(future.json().operations.count).toBe(0);
    expect(future.json().drift).toBeNull();
  });
});


describe('offline monitoring with dataset versions', () => {
  async function datasetVersion(name: string, rows: Row[]): Promise<number> {
    await h.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: maintainer, payload: { name } });
    const { body, contentType } = multipart([{ name: 'file', value: Buffer.from(csv(rows)), filename: `${name}.csv` }]);
    const r = await h.app.inject({ method: 'POST', url: `/api/v1/datasets/${name}/versions`, headers: { ...maintainer, 'content-type': contentType }, payload: body });
    expect(r.statusCode, r.body).toBe(201);
    return r.json().version as number;
  }

  it('takes a reference from a dataset version and reports a shifted dataset version against it', async () => {
    await h.app.inject({ method: 'POST', url: '/api/v1/models', headers: maintainer, payload: { name: 'loans-offline' } });
    const model = new Uint8Array(readFileSync(new URL('../../../test/fixtures/xgboost/named-features.json', import.meta.url)));
    const { body, contentType } = versionUpload(model, { flavor: 'xgboost-json' });
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/models/loans-offline/versions', headers: { ...maintainer, 'content-type': contentType }, payload: body })).statusCode).toBe(201);

    const rng = new Random(7);
    const train = await datasetVersion('train', Array.from({ length: 3000 }, () => row(rng, false)));
    const later = await datasetVersion('later', Array.from({ length: 2000 }, () => row(rng, true)));

    // bad references: unknown dataset, unknown version, unknown field — 400 naming it, nothing stored
    for (const [payload, field] of [
      [{ dataset: 'nope', version: 1 }, /dataset/],
      [{ dataset: 'train', version: 99 }, /version/],
      [{ dataset: 'train', version: train, extra: 1 }, /extra/],
    ] as const) {
      const r = await h.app.inject({ method: 'POST', url: '/api/v1/models/loans-offline/versions/1/reference', headers: maintainer, payload });
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.json().error.message).toMatch(field);
    }
    const early = await h.app.inject({ method: 'POST', url: '/api/v1/models/loans-offline/versions/1/monitoring', headers: viewer, payload: { dataset: 'later', version: later } });
    expect(early.statusCode).toBe(409);

    const set = await h.app.inject({ method: 'POST', url: '/api/v1/models/loans-offline/versions/1/reference', headers: maintainer, payload: { dataset: 'train', version: train } });
    expect(set.statusCode, set.body).toBe(202);
    expect(set.json().reference.source).toMatchObject({ kind: 'dataset', dataset: 'train', version: train });
    await waitFor('the dataset reference', async () => {
      const g = (await h.app.inject({ method: 'GET', url: '/api/v1/models/loans-offline/versions/1/reference', headers: viewer })).json();
      if (g.status === 'FAILED') throw new Error(g.error);
      return g.status === 'READY' ? g : undefined;
    });

    const r = await h.app.inject({ method: 'POST', url: '/api/v1/models/loans-offline/versions/1/monitoring', headers: viewer, payload: { dataset: 'later', version: later } });
    expect(r.statusCode, r.body).toBe(200);
    const rep = r.json();
    expect(rep.quality.rows).toBe(2000);
    expect(rep.drift.features.income.drifted).toBe(true);
    expect(rep.drift.features.score.drifted).toBe(true);
    expect(rep.drift.features.age.drifted).toBe(false);
    expect(rep.drift.features.home_owner.drifted).toBe(false);
    expect(rep.drift.output.drifted).toBe(true);
    const same = (await h.app.inject({ method: 'POST', url: '/api/v1/models/loans-offline/versions/1/monitoring', headers: viewer, payload: { dataset: 'train', version: train } })).json();
    expect(same.drift.driftedFeatures).toBe(0);
  });
});

 });
}
