/**
 * Part of the drift benchmark: a monitoring report over 30 days of hourly windows read from stored
 * profiles (never the raw log), for two amounts of traffic per window, on the real service with SQLite.
 *
 * Set-up (not timed): the xgboost fixture model (4 features) is registered and deployed with a reference of
 * 5,000 rows; 720 hours of prediction records are written to the prediction log with times 30 days back,
 * and the service folds them into hourly windows. Timed: GET-equivalent reports (the service call behind
 * GET /api/v1/deployments/{name}/monitoring) over all 720 windows.
 */
import { readFileSync } from 'node:fs';
import { createHarness, multipart, versionUpload, type Harness } from '../test/support/harness.js';
import { Random } from '../src/ml/monitoring/profile.js';
import { newId } from '../src/platform/ids.js';
import type { PredictionRecord } from '../src/serving/prediction-log/prediction-log.js';

const HOURS = 720;
const HOUR = 3_600_000;

function normal(r: Random): number {
  return Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
}

function row(r: Random): Record<string, number> {
  return { income: Math.fround(Math.exp(10 + 0.5 * normal(r))), age: 18 + r.below(62), home_owner: r.next() < 0.4 ? 1 : 0, score: Math.fround(normal(r)) };
}

async function setUp(h: Harness, rowsPerWindow: number): Promise<{ foldMs: number; records: number }> {
  const auth = { authorization: `Bearer ${h.adminToken}` };
  await h.app.inject({ method: 'POST', url: '/api/v1/models', headers: auth, payload: { name: 'loans' } });
  const model = new Uint8Array(readFileSync(new URL('../test/fixtures/xgboost/named-features.json', import.meta.url)));
  const { body, contentType } = versionUpload(model, { flavor: 'xgboost-json' });
  await h.app.inject({ method: 'POST', url: '/api/v1/models/loans/versions', headers: { ...auth, 'content-type': contentType }, payload: body });
  await h.app.inject({ method: 'PUT', url: '/api/v1/deployments/loans', headers: auth, payload: { targets: [{ model: 'loans', version: 1, weight: 100 }] } });
  const rng = new Random(9);
  const csv = ['income,age,home_owner,score', ...Array.from({ length: 5000 }, () => Object.values(row(rng)).join(','))].join('\n');
  const upload = multipart([{ name: 'file', value: Buffer.from(csv), filename: 'reference.csv', contentType: 'text/csv' }]);
  const ref = await h.app.inject({ method: 'POST', url: '/api/v1/models/loans/versions/1/reference', headers: { ...auth, 'content-type': upload.contentType }, payload: upload.body });
  if (ref.statusCode !== 202) throw new Error(`reference: ${ref.body}`);
  for (;;) {
    const g = await h.app.inject({ method: 'GET', url: '/api/v1/models/loans/versions/1/reference', headers: auth });
    if (g.json().status === 'READY') break;
    if (g.json().status === 'FAILED') throw new Error(g.json().error);
    await new Promise((r) => setTimeout(r, 50));
  }
  // 30 days of hourly traffic, ending a day ago (so every window is closed).
  const start = Math.floor((Date.now() - 31 * 24 * HOUR) / HOUR) * HOUR;
  let records = 0;
  for (let hour = 0; hour < HOURS; hour++) {
    const batch: PredictionRecord[] = [];
    for (let i = 0; i < rowsPerWindow; i++) {
      const time = start + hour * HOUR + Math.floor((i * HOUR) / rowsPerWindow);
      batch.push({ id: newId(time), time, deployment: 'loans', project: 'default', revision: 1, model: 'loans', version: 1, latencyMicros: 300 + rng.below(500), inputs: row(rng), outputs: rng.next() });
    }
    h.predictionLog.append(batch);
    records += batch.length;
  }
  const t = performance.now();
  const folded = await h.services.monitoring.foldNow();
  if (folded.records !== records) throw new Error(`folded ${folded.records} of ${records} records`);
  return { foldMs: performance.now() - t, records };
}

export interface WindowsResult {
  rowsPerWindow: number;
  records: number;
  foldMs: number;
  runsMs: number[];
  medianMs: number;
  windows: number;
  count: number;
}

export async function windowsReport(rowsPerWindow: number): Promise<WindowsResult> {
  const h = await createHarness({ monitoringFoldMs: 0 });
  try {
    const { foldMs, records } = await setUp(h, rowsPerWindow);
    const runsMs: number[] = [];
    let last;
    await h.services.monitoring.report(undefined, 'loans', {}); // warm-up (loads the reference once)
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      last = await h.services.monitoring.report(undefined, 'loans', {});
      runsMs.push(performance.now() - t);
    }
    if (!last || last.windows !== HOURS || last.operations.count !== records || !last.drift) throw new Error(`unexpected report: ${JSON.stringify(last).slice(0, 300)}`);
    const sorted = [...runsMs].sort((a, b) => a - b);
    return { rowsPerWindow, records, foldMs, runsMs, medianMs: sorted[2]!, windows: last.windows, count: last.operations.count };
  } finally {
    await h.close();
  }
}
