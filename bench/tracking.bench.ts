/**
 * Tracking benchmark, against a real `steward serve` child process on SQLite, through the MLflow REST API
 * with the request shapes the MLflow client sends:
 * - log_metric_per_s: sequential runs/log-metric calls on one keep-alive connection (as the MLflow client
 *   logs, one call after the other), median of 3 rounds; beside it, the same loop on GET /healthz (the HTTP
 *   floor of this machine and server) for the ratio;
 * - log_batch_1000_ms: one runs/log-batch of 1000 metrics (10 keys × 100 steps), round trip, median of 30;
 * - search_1000_runs_ms: runs/search over an experiment of 1000 runs with 5 params, 5 metrics and 3 tags each,
 *   filter `metrics.m0 > 0.5 and params.p0 != 'z'` ordered by `metrics.m1 DESC`, returning every match
 *   (max_results 1000), round trip including the JSON, median of 20; also the same without a filter
 *   (all 1000 runs in the answer) and a first page of 100.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess } from '../test/support/server-process.js';
import { httpClient, median, printTable } from './support.js';

const TOKEN = `stw_bench-${randomBytes(16).toString('hex')}`;
const METRIC_CALLS = 5000;
const ROUNDS = 3;
const BATCHES = 30;
const SEARCHES = 20;
const RUNS = 1000;

type Client = ReturnType<typeof httpClient>;

async function call(client: Client, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const r = await client.send(method, path, body);
  if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${r.body.toString().slice(0, 300)}`);
  return JSON.parse(r.body.toString()) as Record<string, unknown>;
}

/** Calls per second of `op`, one after the other. */
async function sequentialRate(n: number, op: (i: number) => Promise<void>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < n; i++) await op(i);
  return n / ((performance.now() - started) / 1000);
}

async function timed(op: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await op();
  return performance.now() - started;
}

export async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'steward-bench-tracking-'));
  const server = await startServerProcess(join(dir, 'home'), { STEWARD_ADMIN_TOKEN: TOKEN, STEWARD_LOG_LEVEL: 'warn' });
  const client = httpClient(server.url, TOKEN, 1);
  try {
    const api = '/api/2.0/mlflow';
    const exp = (await call(client, 'POST', `${api}/experiments/create`, { name: 'bench-log' })) as { experiment_id: string };
    const created = (await call(client, 'POST', `${api}/runs/create`, { experiment_id: exp.experiment_id, start_time: Date.now(), tags: [{ key: 'mlflow.user', value: 'bench' }] })) as {
      run: { info: { run_id: string } };
    };
    const runId = created.run.info.run_id;

    // 1. Sequential log-metric calls (the body the MLflow client sends).
    const logMetric = async (i: number) => {
      const r = await client.send('POST', `${api}/runs/log-metric`, { run_id: runId, run_uuid: runId, key: `loss${i % 4}`, value: 1 / (i + 1), timestamp: 1_700_000_000_000 + i, step: i });
      if (r.status !== 200) throw new Error(`log-metric: ${r.status} ${r.body.toString()}`);
    };
    const health = async () => {
      const r = await client.send('GET', '/healthz');
      if (r.status !== 200) throw new Error(`healthz: ${r.status}`);
    };
    await sequentialRate(2000, logMetric); // warm-up: JIT, statement cache, page cache
    await sequentialRate(2000, health);
    const metricRounds: number[] = [];
    const floorRounds: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      metricRounds.push(await sequentialRate(METRIC_CALLS, (i) => logMetric(10_000 + round * METRIC_CALLS + i)));
      floorRounds.push(await sequentialRate(METRIC_CALLS, health));
    }
    const logMetricPerS = median(metricRounds);
    const floorPerS = median(floorRounds);

    // 2. log-batch of 1000 metrics.
    const batchTimes: number[] = [];
    for (let b = 0; b < BATCHES + 3; b++) {
      const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: `batch${i % 10}`, value: Math.sin(b * 1000 + i), timestamp: 1_700_000_000_000 + b, step: b * 100 + Math.floor(i / 10) }));
      const ms = await timed(async () => void (await call(client, 'POST', `${api}/runs/log-batch`, { run_id: runId, metrics, params: [], tags: [] })));
      if (b >= 3) batchTimes.push(ms);
    }
    const logBatchMs = median(batchTimes);

    // 3. Search over 1000 runs with 5 params, 5 metrics, 3 tags each.
    const searchExp = (await call(client, 'POST', `${api}/experiments/create`, { name: 'bench-search' })) as { experiment_id: string };
    for (let r = 0; r < RUNS; r++) {
      const run = (await call(client, 'POST', `${api}/runs/create`, { experiment_id: searchExp.experiment_id, start_time: 1_700_000_000_000 + r, run_name: `run-${r}` })) as { run: { info: { run_id: string } } };
      const id = run.run.info.run_id;
      await call(client, 'POST', `${api}/runs/log-batch`, {
        run_id: id,
        params: Array.from({ length: 5 }, (_, i) => ({ key: `p${i}`, value: String.fromCharCode(97 + ((r + i) % 20)) })),
        metrics: Array.from({ length: 5 }, (_, i) => ({ key: `m${i}`, value: ((r * 7919 + i * 104729) % 1000) / 1000, timestamp: 1_700_000_000_000 + r, step: 0 })),
        tags: Array.from({ length: 3 }, (_, i) => ({ key: `t${i}`, value: `v${(r + i) % 7}` })),
      });
    }
    const search = async (body: Record<string, unknown>, expect: (n: number) => boolean) => {
      const res = (await call(client, 'POST', `${api}/runs/search`, { experiment_ids: [searchExp.experiment_id], ...body })) as { runs?: unknown[] };
      const n = res.runs?.length ?? 0;
      if (!expect(n)) throw new Error(`runs/search answered ${n} runs for ${JSON.stringify(body)}`);
    };
    const filtered = { filter: "metrics.m0 > 0.5 and params.p0 != 'z'", order_by: ['metrics.m1 DESC'], max_results: 1000, run_view_type: 'ACTIVE_ONLY' };
    const all = { max_results: 1000 };
    const page = { order_by: ['metrics.m1 DESC'], max_results: 100 };
    const measure = async (body: Record<string, unknown>, expect: (n: number) => boolean) => {
      for (let i = 0; i < 3; i++) await search(body, expect);
      const times: number[] = [];
      for (let i = 0; i < SEARCHES; i++) times.push(await timed(() => search(body, expect)));
      return median(times);
    };
    const searchFilteredMs = await measure(filtered, (n) => n > 300 && n < 700);
    const searchAllMs = await measure(all, (n) => n === RUNS);
    const searchPageMs = await measure(page, (n) => n === 100);

    const r1 = (n: number) => Math.round(n * 10) / 10;
    printTable(
      'Tracking through the MLflow REST API (steward serve, SQLite, one keep-alive connection)',
      ['measure', 'value', 'goal'],
      [
        ['log-metric calls/s (sequential)', Math.round(logMetricPerS), '≥ 3000'],
        ['GET /healthz calls/s (same loop: the HTTP floor)', Math.round(floorPerS), ''],
        ['log-metric / floor', (logMetricPerS / floorPerS).toFixed(2), ''],
        ['log-batch of 1000 metrics, ms (median)', r1(logBatchMs), '≤ 10'],
        ['search 1000 runs, filter + order, all matches, ms', r1(searchFilteredMs), '≤ 50'],
        ['search 1000 runs, no filter, 1000 in the answer, ms', r1(searchAllMs), ''],
        ['search 1000 runs, ordered, first 100, ms', r1(searchPageMs), ''],
      ],
    );
    console.log(
      JSON.stringify({
        bench: 'tracking',
        figures: {
          log_metric_per_s: Math.round(logMetricPerS),
          log_batch_1000_ms: r1(logBatchMs),
          search_1000_runs_ms: r1(searchFilteredMs),
          healthz_per_s: Math.round(floorPerS),
          log_metric_vs_floor: Math.round((logMetricPerS / floorPerS) * 100) / 100,
          search_1000_runs_unfiltered_ms: r1(searchAllMs),
          search_1000_runs_first_100_ms: r1(searchPageMs),
        },
      }),
    );
  } finally {
    client.agent.destroy();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
