/**
 * `steward experiments …` and `steward runs …` against a real Steward server (the test harness listening on a
 * local port), with experiments and runs logged through TrackingService; plus the pure helpers.
 */
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHarness, type Harness } from '../../../test/support/harness.js';
import type { RunView } from '../../modules/tracking/tracking-views.js';
import { ApiError } from '../client.js';
import { UsageError } from '../context.js';
import { bestRun, durationText, parseColumns, timeText, trackingCommands } from './tracking.js';

const T = Date.UTC(2024, 0, 15, 12, 0, 0);

let h: Harness;
let base: string;
let viewerToken: string;
let experimentId: string;
let r1: string;
let r2: string;

beforeAll(async () => {
  h = await createHarness();
  base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  viewerToken = await h.tokenFor('viewer', 'cli-viewer');
  const admin = await h.services.auth.authenticate(`Bearer ${h.adminToken}`);
  const project = (await h.store.projects.getByName('default'))!;
  const tracking = h.services.tracking;
  experimentId = String((await tracking.createExperiment(admin, project, { name: 'churn', tags: [{ key: 'team', value: 'risk' }] })).row.id);
  r1 = (await tracking.createRun(admin, project, { experimentId, runName: 'alpha-1', startTime: T })).row.id;
  r2 = (await tracking.createRun(admin, project, { experimentId, runName: 'alpha-5', startTime: T + 60_000 })).row.id;
  await tracking.logBatch(admin, r1, {
    params: [{ key: 'alpha', value: '0.1' }, { key: 'depth', value: '4' }],
    metrics: [
      { key: 'acc', value: 0.81, step: 0, timestamp: T },
      { key: 'acc', value: 0.9, step: 1, timestamp: T + 1 },
      { key: 'loss', value: 0.3, step: 1, timestamp: T + 1 },
    ],
    tags: [{ key: 'team', value: 'risk' }],
  });
  await tracking.logBatch(admin, r2, {
    params: [{ key: 'alpha', value: '0.5' }, { key: 'depth', value: '4' }],
    metrics: [{ key: 'acc', value: 0.95, step: 0, timestamp: T + 60_000 }, { key: 'loss', value: 'NaN', step: 0, timestamp: T + 60_000 }],
  });
  await tracking.updateRun(admin, r1, { status: 'FINISHED', endTime: T + 90_000 });
  await tracking.logModel(admin, r1, JSON.stringify({ artifact_path: 'model', flavors: { sklearn: {}, python_function: {} } }));
});
afterAll(() => h?.close());

/** Runs the commands in-process with --server/--token; answers stdout, or throws what the command threw. */
async function steward(...args: string[]): Promise<string> {
  const program = new Command('steward').option('--server <url>').option('--token <token>').option('--json').option('-q, --quiet').exitOverride();
  program.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  trackingCommands(program);
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  try {
    await program.parseAsync(['--server', base, '--token', viewerToken, ...args], { from: 'user' });
  } finally {
    spy.mockRestore();
  }
  return out.join('');
}

const lines = (text: string) => text.trimEnd().split('\n');

describe('steward experiments', () => {
  it('lists experiments as a table and as JSON', async () => {
    const text = await steward('experiments', 'list');
    expect(lines(text)[0]).toMatch(/^ID\s+NAME\s+RUNS\s+STAGE\s+UPDATED\s+CREATED BY\s+TAGS$/);
    expect(text).toMatch(new RegExp(`^${experimentId}\\s+churn\\s+2\\s+active\\s+\\S+ \\S+\\s+admin\\s+team=risk$`, 'm'));
    const json = JSON.parse(await steward('--json', 'experiments', 'list', '--view', 'all'));
    expect(json.items.map((e: { name: string }) => e.name)).toEqual(['churn']);
    expect(await steward('experiments', 'list', '--view', 'deleted')).toBe('no experiments\n');
  });

  it('shows an experiment with its newest runs', async () => {
    const text = await steward('experiments', 'show', experimentId);
    expect(text).toMatch(/^name:\s+churn$/m);
    expect(text).toMatch(/^runs:\s+2$/m);
    expect(text).toMatch(/^tags:\s+\{"team":"risk"\}$/m);
    const table = lines(text.slice(text.indexOf('RUN ID')));
    expect(table[0]).toMatch(/^RUN ID\s+NAME\s+STATUS\s+STARTED\s+DURATION\s+metrics\.acc\s+metrics\.loss$/);
    expect(table[1]).toMatch(new RegExp(`^${r2}\\s+alpha-5\\s+RUNNING\\s+2024-01-15 12:01:00Z\\s+0\\.95\\s+NaN$`));
    expect(table[2]).toMatch(new RegExp(`^${r1}\\s+alpha-1\\s+FINISHED\\s+2024-01-15 12:00:00Z\\s+1m 30s\\s+0\\.9\\s+0\\.3$`));
    const json = JSON.parse(await steward('--json', 'experiments', 'show', experimentId, '--runs', '1'));
    expect(json.experiment).toMatchObject({ id: experimentId, name: 'churn', runCount: 2 });
    expect(json.runs.map((r: { id: string }) => r.id)).toEqual([r2]);
  });

  it('needs the contributor role to create one, and says why', async () => {
    const err = await steward('experiments', 'create', 'price', '--tag', 'team=ops').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(403);
    expect((err as ApiError).message).toMatch(/contributor/);
  });
});

describe('steward runs', () => {
  it('lists runs with a filter, an order and chosen columns', async () => {
    const text = await steward('runs', 'list', '--experiment', experimentId, '--filter', 'metrics.acc > 0.85', '--order-by', 'metrics.acc ASC', '--columns', 'metrics.acc,params.alpha,tags.team');
    const rows = lines(text);
    expect(rows[0]).toMatch(/^RUN ID\s+NAME\s+STATUS\s+STARTED\s+DURATION\s+metrics\.acc\s+params\.alpha\s+tags\.team$/);
    expect(rows.slice(1).map((r) => r.split(/\s+/)[1])).toEqual(['alpha-1', 'alpha-5']);
    expect(rows[1]).toMatch(/0\.9\s+0\.1\s+risk$/);
    const only = await steward('runs', 'list', '-e', experimentId, '--filter', "params.alpha = '0.5'", '--columns', 'params.depth');
    expect(lines(only).slice(1)).toEqual([expect.stringMatching(new RegExp(`^${r2}\\s+alpha-5\\s+RUNNING\\s+.*\\s+4$`))]);
    const paged = await steward('runs', 'list', '-e', experimentId, '--max', '1');
    expect(paged).toMatch(/^\(more: --page-token \S+\)$/m);
    const json = JSON.parse(await steward('--json', 'runs', 'list', '-e', experimentId, '--order-by', 'attributes.start_time ASC'));
    expect(json.items.map((r: { id: string }) => r.id)).toEqual([r1, r2]);
    expect(json.paramKeys).toEqual(['alpha', 'depth']);
  });

  it('reports a bad filter with the server message, and bad flags before calling', async () => {
    const err = await steward('runs', 'list', '-e', experimentId, '--filter', 'metrics.acc >> 1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).message).toMatch(/^filter: /);
    await expect(steward('runs', 'list', '-e', experimentId, '--columns', 'acc')).rejects.toThrow(/--columns: 'acc' must be metrics.<key>, params.<key> or tags.<key>/);
    await expect(steward('runs', 'list', '-e', experimentId, '--max', '5000')).rejects.toThrow(/must be a number from 1 to 1000/);
    await expect(steward('runs', 'list')).rejects.toThrow(/--experiment/);
    await expect(steward('runs', 'compare', r1)).rejects.toThrow(UsageError);
  });

  it('shows a run', async () => {
    const text = await steward('runs', 'show', r1);
    expect(text).toMatch(/^name:\s+alpha-1$/m);
    expect(text).toMatch(/^status:\s+FINISHED$/m);
    expect(text).toMatch(/^duration:\s+1m 30s$/m);
    expect(text).toMatch(/^params:\n\s+KEY\s+VALUE\n\s+alpha\s+0\.1\n\s+depth\s+4$/m);
    expect(text).toMatch(/^ {2}acc\s+0\.9\s+1\s+2024-01-15 12:00:00Z$/m);
    expect(text).toMatch(/^models:\n\s+PATH\s+FLAVORS\s+CREATED\n\s+model\s+python_function, sklearn$/m);
    const json = JSON.parse(await steward('--json', 'runs', 'show', r2));
    expect(json).toMatchObject({ id: r2, metrics: { loss: { value: null, text: 'NaN' } }, children: [] });
    const missing = await steward('runs', 'show', 'f'.repeat(32)).catch((e: unknown) => e);
    expect((missing as ApiError).code).toBe('RUN_NOT_FOUND');
  });

  it('compares runs side by side, marking params that differ and each metric\'s best run', async () => {
    const text = await steward('runs', 'compare', r1, r2);
    const rows = lines(text);
    expect(rows[0]).toMatch(/^\s+alpha-1\s+alpha-5\s+BEST$/);
    expect(text).toMatch(/^params\.alpha \*\s+0\.1\s+0\.5$/m);
    expect(text).toMatch(/^params\.depth\s+4\s+4$/m);
    expect(text).toMatch(/^metrics\.acc\s+0\.9\s+0\.95\s+alpha-5 \(highest\)$/m);
    // NaN never wins; lower is better for a loss.
    expect(text).toMatch(/^metrics\.loss\s+0\.3\s+NaN\s+alpha-1 \(lowest\)$/m);
    expect(rows.at(-1)).toBe('* differs between the runs');
    const only = await steward('runs', 'compare', r1, r2, '--metrics', 'acc');
    expect(only).not.toMatch(/metrics\.loss/);
    const json = JSON.parse(await steward('--json', 'runs', 'compare', r1, r2, '--metrics', 'acc'));
    expect(json.differingParams).toEqual(['alpha']);
    expect(json.histories[r1].acc.map((p: { value: number }) => p.value)).toEqual([0.81, 0.9]);
    expect(Object.keys(json.histories[r2])).toEqual(['acc']);
  });
});

describe('tracking CLI helpers', () => {
  it('parses --columns', () => {
    expect(parseColumns('metrics.acc, params.alpha,tag.team,metric.val/loss')).toEqual([
      { kind: 'metrics', key: 'acc' },
      { kind: 'params', key: 'alpha' },
      { kind: 'tags', key: 'team' },
      { kind: 'metrics', key: 'val/loss' },
    ]);
    expect(() => parseColumns('metrics.')).toThrow(UsageError);
    expect(() => parseColumns(' , ')).toThrow(/at least one column/);
  });

  it('formats times and durations', () => {
    expect(timeText('2024-01-15T12:00:00.000Z')).toBe('2024-01-15 12:00:00Z');
    expect(timeText(null)).toBe('');
    expect([850, 1500, 90_000, 7_380_000, 200_000_000].map(durationText)).toEqual(['850ms', '1.5s', '1m 30s', '2h 3m', '2d 7h']);
    expect(durationText(null)).toBe('');
  });

  it('picks the best run per metric, skipping non-finite values', () => {
    const run = (id: string, metrics: Record<string, number | null>) =>
      ({ id, name: id, metrics: Object.fromEntries(Object.entries(metrics).map(([k, value]) => [k, { value, step: 0, timestamp: '' }])) }) as unknown as RunView;
    const runs = [run('a', { acc: null, val_loss: 0.2 }), run('b', { acc: 0.5, val_loss: 0.1 }), run('c', { acc: 0.7 })];
    expect(bestRun('acc', runs)).toMatchObject({ run: { id: 'c' }, direction: 'highest' });
    expect(bestRun('val_loss', runs)).toMatchObject({ run: { id: 'b' }, direction: 'lowest' });
    expect(bestRun('f1', runs)).toBeUndefined();
  });
});
