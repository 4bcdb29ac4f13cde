import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  findPrediction,
  readPredictions,
  type ReadPredictionsOptions,
  type SkippedLine,
} from './prediction-log-reader.js';
import { encodeRecord, PredictionLog, type PredictionLogOptions, type PredictionRecord } from './prediction-log.js';
import { listSegments } from './segment-files.js';

const dirs: string[] = [];
const logs: PredictionLog[] = [];

afterEach(async () => {
  await Promise.all(logs.splice(0).map((log) => log.close()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'steward-predlog-'));
  dirs.push(dir);
  return dir;
}

function openLog(options: PredictionLogOptions): PredictionLog {
  const log = PredictionLog.open(options);
  logs.push(log);
  return log;
}

/** A realistic record: 20 numeric features, one of them missing, class probabilities as the output. */
function record(n: number, overrides: Partial<PredictionRecord> = {}): PredictionRecord {
  const inputs: Record<string, unknown> = {};
  for (let f = 0; f < 20; f++) inputs[`feature_${f}`] = f === 7 ? null : Math.round((n * 31 + f * 17) % 1000) / 7;
  return {
    id: `pred-${String(n).padStart(6, '0')}`,
    time: 1_700_000_000_000 + n,
    deployment: 'churn',
    project: 'default',
    revision: 3,
    model: 'churn-gbdt',
    version: 12,
    latencyMicros: 250 + n,
    inputs,
    outputs: { label: n % 2, probabilities: [0.25, 0.75] },
    ...overrides,
  };
}

async function readAll(dir: string, options: ReadPredictionsOptions = {}): Promise<PredictionRecord[]> {
  const out: PredictionRecord[] = [];
  for await (const r of readPredictions(dir, options)) out.push(r);
  return out;
}

const segmentNames = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.ndjson')).sort();

/** Descriptors of this process that point into `dir` (Linux only; undefined elsewhere). */
function openDescriptorsInto(dir: string): string[] | undefined {
  if (!existsSync('/proc/self/fd')) return undefined;
  const targets: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      targets.push(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // the descriptor used by readdir itself is gone by now
    }
  }
  return targets.filter((t) => t.startsWith(dir));
}

describe('PredictionLog', () => {
  it('reads back exactly the records appended, one by one and in batches', async () => {
    const dir = await tempDir();
    const log = openLog({ dir });
    const records = [
      record(1),
      record(2, { shadow: true, outputs: 0.5 }),
      record(3, { status: 'error', error: 'input "x" must be a number', outputs: null }),
      record(4, { deployment: 'fraud', inputs: { country: 'Zürich ✓', amount: 12.5, missing: null } }),
    ];
    log.append([records[0]!]);
    log.append(records.slice(1));
    log.append([]);

    expect(await readAll(dir)).toEqual(records);
    expect(await findPrediction(dir, 'pred-000003')).toEqual(records[2]);
    expect(await findPrediction(dir, 'pred-999999')).toBeUndefined();
    const stats = log.stats();
    expect(stats).toMatchObject({ segments: 1, recordsAppended: 4 });
    expect(stats.bytes).toBe(statSync(join(dir, stats.currentSegment)).size);
    expect(stats.bytesAppended).toBe(stats.bytes);
  });

  it('writes one JSON line per record with identity first and only the record fields', async () => {
    const dir = await tempDir();
    const log = openLog({ dir });
    const extra = { ...record(1), secret: 'not a record field' } as PredictionRecord;
    log.append([extra, record(2, { outputs: new Float32Array([0.5, 0.25]) })]);
    const lines = readFileSync(join(dir, log.stats().currentSegment), 'utf8').split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(lines[0]).toMatch(/^\{"id":"pred-000001","time":1700000000001,"deployment":"churn",/);
    expect(lines[0]).not.toContain('secret');
    expect(JSON.parse(lines[1]!).outputs).toEqual([0.5, 0.25]);
  });

  it('writes nothing for a batch that cannot be encoded and keeps working', async () => {
    const dir = await tempDir();
    const log = openLog({ dir });
    log.append([record(1)]);
    const before = log.stats().bytes;
    expect(() => log.append([record(2), record(3, { outputs: 10n })])).toThrow(/BigInt/);
    expect(statSync(join(dir, log.stats().currentSegment)).size).toBe(before);
    log.append([record(4)]);
    expect((await readAll(dir)).map((r) => r.id)).toEqual(['pred-000001', 'pred-000004']);
    expect(log.stats().recordsAppended).toBe(2);
  });

  it('filters by time range and deployment', async () => {
    const dir = await tempDir();
    const log = openLog({ dir });
    log.append([1, 2, 3, 4, 5, 6].map((n) => record(n, { deployment: n % 2 ? 'odd' : 'even' })));
    const ids = async (o: ReadPredictionsOptions) => (await readAll(dir, o)).map((r) => r.id.slice(-1));
    expect(await ids({ from: 1_700_000_000_002, to: 1_700_000_000_005 })).toEqual(['2', '3', '4']);
    expect(await ids({ deployment: 'odd' })).toEqual(['1', '3', '5']);
    expect(await ids({ deployment: 'even', from: 1_700_000_000_003 })).toEqual(['4', '6']);
    expect(await ids({ deployment: 'none' })).toEqual([]);
  });

  it('rotates into several sortable segments and reads all of them in order', async () => {
    const dir = await tempDir();
    const segmentBytes = 4096;
    const log = openLog({ dir, segmentBytes });
    const records = Array.from({ length: 200 }, (_, n) => record(n));
    for (let i = 0; i < records.length; ) {
      const size = 1 + (i % 3);
      log.append(records.slice(i, i + size));
      i += size;
    }
    const names = segmentNames(dir);
    expect(names.length).toBeGreaterThan(5);
    expect(names).toEqual(listSegments(dir).map((s) => s.name));
    expect(names[0]).toMatch(/^segment-0000000001-\d{13}\.v1\.ndjson$/);
    for (const name of names) {
      const text = readFileSync(join(dir, name), 'utf8');
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(segmentBytes);
      expect(text.endsWith('\n')).toBe(true);
    }
    expect(log.stats()).toMatchObject({ segments: names.length, recordsAppended: 200, currentSegment: names.at(-1) });
    expect(await readAll(dir)).toEqual(records);

    await log.close();
    const leftOpen = openDescriptorsInto(dir);
    if (leftOpen) expect(leftOpen).toEqual([]);
    expect(() => log.append([record(999)])).toThrow(/closed/);
  });

  it('deletes segments older than maxAgeMs, oldest first, and never the current one', async () => {
    const dir = await tempDir();
    let t = 0;
    // segmentBytes 1: every append after the first starts a new segment, one record per segment.
    const log = openLog({ dir, segmentBytes: 1, retention: { maxAgeMs: 1500 }, now: () => t });
    for (const at of [0, 1000, 2000, 3000]) {
      t = at;
      log.append([record(at)]);
    }
    // The rotation at 3000 removed the first segment: its last write was before 1000 (when the next began).
    expect(segmentNames(dir).map((n) => n.split('-')[2])).toEqual([
      '0000000001000.v1.ndjson',
      '0000000002000.v1.ndjson',
      '0000000003000.v1.ndjson',
    ]);
    expect(log.enforceRetention()).toEqual([]);

    t = 3600;
    expect(log.enforceRetention()).toEqual([expect.stringMatching(/-0000000001000\.v1/)]);
    t = 1_000_000;
    expect(log.enforceRetention()).toEqual([expect.stringMatching(/-0000000002000\.v1/)]);
    expect(segmentNames(dir)).toEqual([log.stats().currentSegment]);
    expect((await readAll(dir)).map((r) => r.id)).toEqual([record(3000).id]);
    expect(log.stats()).toMatchObject({ segments: 1, segmentsDeleted: 3 });
  });

  it('deletes the oldest segments beyond maxTotalBytes and never the current one', async () => {
    const dir = await tempDir();
    // Records of one size: ids, times and latencies of the same width, the same inputs.
    const sized = (n: number) => record(n, { inputs: { x: 1 } });
    const lineBytes = Buffer.byteLength(encodeRecord(sized(100_000))) + 1;
    const log = openLog({ dir, segmentBytes: 1, retention: { maxTotalBytes: Math.floor(2.5 * lineBytes) } });
    for (let n = 100_000; n < 100_005; n++) log.append([sized(n)]);
    expect(segmentNames(dir)).toHaveLength(2);
    expect(await readAll(dir)).toEqual([sized(100_003), sized(100_004)]);
    expect(log.stats()).toMatchObject({ segments: 2, bytes: 2 * lineBytes, segmentsDeleted: 3 });

    const tiny = await tempDir();
    const small = openLog({ dir: tiny, segmentBytes: 1, retention: { maxTotalBytes: 1 } });
    small.append([record(1)]);
    small.append([record(2)]);
    expect(small.enforceRetention()).toEqual([]);
    expect(segmentNames(tiny)).toEqual([small.stats().currentSegment]);
    expect((await readAll(tiny)).map((r) => r.id)).toEqual([record(2).id]);
  });

  it('continues in a new segment after reopening, leaving the old ones untouched', async () => {
    const dir = await tempDir();
    const first = openLog({ dir });
    first.append([record(1), record(2), record(3)]);
    await first.close();
    const [oldName] = segmentNames(dir);
    const oldBytes = readFileSync(join(dir, oldName!));

    const idle = openLog({ dir });
    expect(idle.stats().segments).toBe(2);
    await idle.close();
    expect(segmentNames(dir)).toEqual([oldName]); // an empty segment is removed on close
    expect(idle.stats()).toMatchObject({ segments: 1, bytes: oldBytes.length });

    const second = openLog({ dir });
    second.append([record(4), record(5)]);
    await second.flushToDisk();
    const names = segmentNames(dir);
    expect(names).toHaveLength(2);
    expect(names[0]).toBe(oldName);
    expect(readFileSync(join(dir, oldName!))).toEqual(oldBytes);
    expect(second.stats()).toMatchObject({ segments: 2, recordsAppended: 2, currentSegment: names[1] });
    expect((await readAll(dir)).map((r) => r.id)).toEqual([1, 2, 3, 4, 5].map((n) => record(n).id));
  });

  it('skips a torn last line left by a crash, and reports lines it cannot read', async () => {
    const dir = await tempDir();
    const log = openLog({ dir });
    log.append([record(1), record(2)]);
    await log.close();
    const [segment] = segmentNames(dir);
    const line = encodeRecord(record(3));
    appendFileSync(join(dir, segment!), line.slice(0, Math.floor(line.length / 2)));

    const skipped: SkippedLine[] = [];
    const onSkippedLine = (s: SkippedLine) => skipped.push(s);
    expect((await readAll(dir, { onSkippedLine })).map((r) => r.id)).toEqual([record(1).id, record(2).id]);
    expect(skipped).toEqual([{ segment, line: 3, reason: 'torn' }]);

    // The next process writes after it, in a new segment; the torn line stays where it is, skipped.
    const next = openLog({ dir });
    next.append([record(4)]);
    skipped.length = 0;
    expect((await readAll(dir, { onSkippedLine })).map((r) => r.id)).toEqual([1, 2, 4].map((n) => record(n).id));
    expect(skipped.map((s) => s.reason)).toEqual(['torn']);
    expect(await findPrediction(dir, record(4).id)).toEqual(record(4));

    // Damage inside a segment is passed over and reported, not thrown.
    const damaged = await tempDir();
    const other = openLog({ dir: damaged });
    other.append([record(5)]);
    appendFileSync(join(damaged, other.stats().currentSegment), '{not json\n[1,2]\n');
    other.append([record(6)]);
    skipped.length = 0;
    expect((await readAll(damaged, { onSkippedLine })).map((r) => r.id)).toEqual([record(5).id, record(6).id]);
    expect(skipped.map((s) => [s.line, s.reason])).toEqual([
      [2, 'invalid-json'],
      [3, 'not-a-record'],
    ]);
  });

  it('loses no prediction a client could have seen when the process is killed with SIGKILL', async () => {
    const dir = await tempDir();
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL('./crash-writer.child.mjs', import.meta.url)), dir, String(64 * 1024)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = once(child, 'exit');
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the writer exited early with ${code}:\n${err}`)));
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGKILL');
    const [code, signal] = await exited;
    expect([code, signal]).toEqual([null, 'SIGKILL']);

    // Only whole lines: an id cut short on stdout was not fully reported.
    const acknowledged = out.slice(0, out.lastIndexOf('\n')).split('\n');
    expect(acknowledged.length).toBeGreaterThan(100);

    const logged = new Set<string>();
    const skipped: SkippedLine[] = [];
    for await (const r of readPredictions(dir, { onSkippedLine: (s) => skipped.push(s) })) {
      expect(logged.has(r.id)).toBe(false);
      logged.add(r.id);
    }
    const missing = acknowledged.filter((id) => !logged.has(id));
    expect(missing).toEqual([]);
    expect(skipped.filter((s) => s.reason !== 'torn')).toEqual([]);
    expect(listSegments(dir).length).toBeGreaterThan(1);

    // A new writer after the crash starts its own segment and everything stays readable.
    const after = openLog({ dir });
    after.append([record(1)]);
    expect(await findPrediction(dir, record(1).id)).toEqual(record(1));
    expect(await findPrediction(dir, acknowledged.at(-1)!)).toMatchObject({ deployment: 'crash' });
  });
});
