/**
 * Datasets benchmark, in one run against a real `steward serve` child process:
 * - rows/s to ingest and profile flights-3m.parquet (3,000,000 rows, ZSTD): from the start of the upload
 *   until the profile job has finished, through HTTP;
 * - the server's peak resident memory (VmHWM) and its growth over the idle server, against the stored
 *   columnar size;
 * - the same data as CSV, ingested and profiled by Steward, against pandas (Debian's python3-pandas)
 *   reading it with read_csv and describing it with describe(include='all'), each timed end to end.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataEngine } from '../src/data/engine.js';
import { literal } from '../src/data/sql.js';
import { multipart } from '../test/support/harness.js';
import { startServerProcess } from '../test/support/server-process.js';
import { median, printTable } from './support.js';

const TOKEN = `stw_bench-${randomBytes(16).toString('hex')}`;
const FLIGHTS = fileURLToPath(new URL('../node_modules/vega-datasets/data/flights-3m.parquet', import.meta.url));
const PYTHON = '/usr/bin/python3';
const ROUNDS = 3;

function memoryKb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

async function uploadAndProfile(base: string, dataset: string, file: string, fileName: string): Promise<{ ms: number; rows: number; storedBytes: number }> {
  const { body, contentType } = multipart([{ name: 'file', value: readFileSync(file), filename: fileName }]);
  const headers = { authorization: `Bearer ${TOKEN}` };
  await fetch(`${base}/api/v1/datasets`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ name: dataset }) });
  const started = performance.now();
  const r = await fetch(`${base}/api/v1/datasets/${dataset}/versions`, { method: 'POST', headers: { ...headers, 'content-type': contentType }, body });
  if (r.status !== 201) throw new Error(`upload answered ${r.status}: ${await r.text()}`);
  const v = (await r.json()) as { version: number; rows: number; stored: { size: number } };
  for (;;) {
    const p = await fetch(`${base}/api/v1/datasets/${dataset}/versions/${v.version}/profile`, { headers });
    if (p.status === 200) break;
    if (p.status !== 409) throw new Error(`profile answered ${p.status}: ${await p.text()}`);
    await new Promise((res) => setTimeout(res, 20));
  }
  return { ms: performance.now() - started, rows: v.rows, storedBytes: v.stored.size };
}

function pandasSeconds(csv: string): number | undefined {
  if (!existsSync(PYTHON)) return undefined;
  const script = [
    'import sys, time',
    'import pandas as pd',
    't = time.perf_counter()',
    'df = pd.read_csv(sys.argv[1])',
    "d = df.describe(include='all')",
    'print(time.perf_counter() - t)',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', script, csv], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`pandas is not available here (${(r.stderr || '').trim().split('\n').pop()}); install python3-pandas\n`);
    return undefined;
  }
  return Number(r.stdout.trim());
}

export async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'steward-bench-datasets-'));
  const csv = join(dir, 'flights-3m.csv');
  const engine = await DataEngine.create({ tempDir: join(dir, 'engine') });
  await engine.use((db) => db.run(`copy (select * from read_parquet(${literal(FLIGHTS)})) to ${literal(csv)} (header, delimiter ',')`));
  engine.close();
  const server = await startServerProcess(join(dir, 'home'), { STEWARD_ADMIN_TOKEN: TOKEN, STEWARD_LOG_LEVEL: 'warn' });
  try {
    const pid = server.child.pid!;
    const idleKb = memoryKb(pid, 'VmRSS');
    const parquetRuns: { ms: number; rows: number; storedBytes: number }[] = [];
    for (let i = 0; i < ROUNDS; i++) parquetRuns.push(await uploadAndProfile(server.url, `flights-${i}`, FLIGHTS, 'flights-3m.parquet'));
    const peakKb = memoryKb(pid, 'VmHWM');
    const csvRuns: number[] = [];
    for (let i = 0; i < ROUNDS; i++) csvRuns.push((await uploadAndProfile(server.url, `flights-csv-${i}`, csv, 'flights-3m.csv')).ms);
    const pandasRuns: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const s = pandasSeconds(csv);
      if (s === undefined) break;
      pandasRuns.push(s * 1000);
    }

    const rows = parquetRuns[0]!.rows;
    const stored = parquetRuns[0]!.storedBytes;
    const parquetMs = median(parquetRuns.map((r) => r.ms));
    const csvMs = median(csvRuns);
    const pandasMs = pandasRuns.length ? median(pandasRuns) : undefined;
    const MB = 1024 * 1024;
    printTable(`ingest and profile flights-3m (${rows.toLocaleString('en')} rows), median of ${ROUNDS}`, ['what', 'rounds (ms)', 'median ms', 'rows per second'], [
      ['Steward: Parquet upload → profile ready', parquetRuns.map((r) => r.ms.toFixed(0)).join(' '), parquetMs.toFixed(0), Math.round(rows / (parquetMs / 1000)).toLocaleString('en')],
      ['Steward: CSV upload → profile ready', csvRuns.map((r) => r.toFixed(0)).join(' '), csvMs.toFixed(0), Math.round(rows / (csvMs / 1000)).toLocaleString('en')],
      ...(pandasMs !== undefined ? [['pandas: read_csv + describe(include=all)', pandasRuns.map((r) => r.toFixed(0)).join(' '), pandasMs.toFixed(0), Math.round(rows / (pandasMs / 1000)).toLocaleString('en')]] : []),
    ]);
    printTable('memory of the server process', ['what', 'MB'], [
      ['stored columnar size (Parquet, ZSTD)', (stored / MB).toFixed(1)],
      ['CSV file size', ((await stat(csv)).size / MB).toFixed(1)],
      ['idle server RSS', (idleKb / 1024).toFixed(1)],
      ['peak RSS during the Parquet rounds (VmHWM)', (peakKb / 1024).toFixed(1)],
      ['growth over idle', ((peakKb - idleKb) / 1024).toFixed(1)],
    ]);
    const figures = {
      rows_per_s: Math.round(rows / (parquetMs / 1000)),
      peak_rss_mb: Number((peakKb / 1024).toFixed(1)),
      ratio_vs_pandas: pandasMs !== undefined ? Number((pandasMs / csvMs).toFixed(3)) : null,
      csv_rows_per_s: Math.round(rows / (csvMs / 1000)),
      rss_growth_mb: Number(((peakKb - idleKb) / 1024).toFixed(1)),
      stored_mb: Number((stored / MB).toFixed(1)),
    };
    process.stdout.write(`${JSON.stringify({ bench: 'datasets', figures })}\n`);
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
