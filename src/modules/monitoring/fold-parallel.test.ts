/**
 * The fold in parallel: a log cut into line-aligned ranges, folded by the worker pool, merged per window,
 * gives the same windows as folding the whole log in one go.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PREDICTION_COLUMN, Random, type ColumnSpec } from '../../ml/monitoring/profile.js';
import { newId } from '../../platform/ids.js';
import { PredictionLog, type PredictionRecord } from '../../serving/prediction-log/prediction-log.js';
import { foldWork, mergeFolded, type FoldContext } from './fold-work.js';
import { WorkerFoldRunner } from './fold-runner.js';
import { planRanges, readRange } from './log-tail.js';

const dir = mkdtempSync(join(tmpdir(), 'steward-fold-'));
const pool = new WorkerFoldRunner(2);
afterAll(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

const columns: ColumnSpec[] = [
  { name: 'a', kind: 'numeric' },
  { name: 'b', kind: 'categorical' },
  { name: PREDICTION_COLUMN, kind: 'numeric' },
];
const context: FoldContext = {
  kinds: { 'default/d': 'minute' },
  models: { 'default/m/1': { columns, layout: { id: 'l', edges: { a: [-2, -1, 0, 1, 2], [PREDICTION_COLUMN]: [0, 0.5, 1] } } } },
  rowStarts: {},
};

describe('parallel fold', () => {
  it('cuts the log at line ends and merges per window to what one fold of everything gives', async () => {
    const rng = new Random(3);
    const log = PredictionLog.open({ dir });
    const start = Date.UTC(2026, 10, 27, 10, 0, 0);
    const records: PredictionRecord[] = [];
    for (let i = 0; i < 6000; i++) {
      const time = start + i * 20; // two minutes of traffic: two windows
      records.push({ id: newId(time), time, deployment: 'd', project: 'default', revision: 1, model: 'm', version: 1, latencyMicros: 100 + i, inputs: { a: rng.next() * 4 - 2, b: rng.next() < 0.3 ? 'x' : 'y' }, outputs: rng.next() });
    }
    for (let i = 0; i < records.length; i += 100) log.append(records.slice(i, i + 100));
    await log.close();

    const ranges = await planRanges(dir, undefined, 64 * 1024, 100);
    expect(ranges.length).toBeGreaterThan(5);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.start).toBe(ranges[i - 1]!.end);
    let lines = 0;
    for (const r of ranges) lines += (await readRange(r)).records.length;
    expect(lines).toBe(6000);

    const parts = await Promise.all(ranges.map((range) => pool.run({ ...context, range })));
    const merged = mergeFolded(parts.map((p) => (p.kind === 'folded' ? p.windows : [])));
    const whole = await foldWork({ ...context, range: { ...ranges[0]!, end: ranges[ranges.length - 1]!.end } });
    if (whole.kind !== 'folded') throw new Error('expected folded');
    expect(merged.map((w) => w.seq).sort()).toEqual(whole.windows.map((w) => w.seq).sort());
    for (const w of whole.windows) {
      const m = merged.find((x) => x.seq === w.seq)!;
      expect(m.profile.stats.rows).toBe(w.profile.stats.rows);
      const a = m.profile.stats.columns.a!;
      const b = w.profile.stats.columns.a!;
      if (a.kind !== 'numeric' || b.kind !== 'numeric') throw new Error('numeric expected');
      expect(a.bins).toEqual(b.bins);
      expect(a.mean).toBeCloseTo(b.mean, 12);
      expect(a.m2).toBeCloseTo(b.m2, 8);
      expect(m.profile.stats.columns.b).toEqual(w.profile.stats.columns.b);
      expect(m.profile.stats.ops.latency).toEqual(w.profile.stats.ops.latency);
      expect(m.profile.sample.rows).toBe(Math.min(2000, w.profile.stats.rows));
    }
  });

  it('asks for what it does not know instead of guessing', async () => {
    const [range] = await planRanges(dir, undefined, 64 * 1024, 1);
    const r = await pool.run({ kinds: {}, models: {}, rowStarts: {}, range: range! });
    expect(r).toEqual({ kind: 'needs', deployments: ['default/d'], models: ['default/m/1'] });
  });
});
