import { describe, expect, it } from 'vitest';
import { cellValue, columnField, effectiveColumns, entryPath, formatDuration, formatMetric, loadColumns, parallelData, parseColumnId, parseTags, quoteKey, runLabels, saveColumns, seriesPoints, stepRows } from './tracking-data';
import type { RunView } from './types';

function run(id: string, name: string, params: Record<string, string>, metrics: Record<string, number | null>): RunView {
  return {
    id,
    experimentId: '1',
    project: 'default',
    name,
    status: 'FINISHED',
    startTime: '2024-01-01T00:00:00.000Z',
    endTime: null,
    durationMs: null,
    user: 'admin',
    lifecycleStage: 'active',
    artifactUri: '',
    parentRunId: null,
    params,
    metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, v === null ? { value: null, text: 'NaN' as const, step: 0, timestamp: 0 } : { value: v, step: 0, timestamp: 0 }])),
    tags: {},
    inputs: [],
    models: [],
    registeredVersions: [],
  };
}

describe('the search grammar', () => {
  it('quotes keys that are not identifiers', () => {
    expect(quoteKey('accuracy')).toBe('accuracy');
    expect(quoteKey('val loss')).toBe('`val loss`');
    expect(quoteKey('a.b')).toBe('`a.b`');
    expect(columnField({ kind: 'param', key: 'learning rate' })).toBe('params.`learning rate`');
    expect(columnField({ kind: 'tag', key: 'team' })).toBe('tags.team');
  });
});

describe('the chosen columns', () => {
  it('shows the first metrics until a choice is stored, then the choice (per experiment)', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    expect(loadColumns('default', '7', storage)).toBeNull();
    expect(effectiveColumns(null, ['a', 'b', 'c', 'd'])).toEqual([
      { kind: 'metric', key: 'a' },
      { kind: 'metric', key: 'b' },
      { kind: 'metric', key: 'c' },
    ]);
    saveColumns('default', '7', [{ kind: 'param', key: 'alpha' }, { kind: 'metric', key: 'rmse:x' }], storage);
    expect(loadColumns('default', '7', storage)).toEqual([
      { kind: 'param', key: 'alpha' },
      { kind: 'metric', key: 'rmse:x' },
    ]);
    expect(loadColumns('default', '8', storage)).toBeNull();
    expect(parseColumnId('bogus:x')).toBeNull();
  });

  it('formats cells: metrics as numbers or NaN, params and tags as text', () => {
    const r = run('r1', 'one', { alpha: '0.5' }, { acc: 0.912345678, bad: null });
    expect(cellValue(r, { kind: 'metric', key: 'acc' })).toBe('0.9123');
    expect(cellValue(r, { kind: 'metric', key: 'bad' })).toBe('NaN');
    expect(cellValue(r, { kind: 'metric', key: 'none' })).toBeUndefined();
    expect(cellValue(r, { kind: 'param', key: 'alpha' })).toBe('0.5');
    expect(formatMetric(undefined)).toBe('—');
  });
});

describe('display helpers', () => {
  it('says durations in the largest sensible units', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_300)).toBe('12 s');
    expect(formatDuration(4_500)).toBe('4.5 s');
    expect(formatDuration(245_000)).toBe('4 min 05 s');
    expect(formatDuration(2 * 3600_000 + 7 * 60_000)).toBe('2 h 07 min');
  });

  it('labels runs by name, adding the id where names repeat', () => {
    const labels = runLabels([
      { id: 'aaaaaaaa11', name: 'x' },
      { id: 'bbbbbbbb22', name: 'x' },
      { id: 'cccccccc33', name: 'y' },
    ]);
    expect([...labels.values()]).toEqual(['x (aaaaaa)', 'x (bbbbbb)', 'y']);
  });

  it('gives artifact paths from the run root, whether listed so or relative to the folder', () => {
    expect(entryPath('', 'reports')).toBe('reports');
    expect(entryPath('reports', 'summary.txt')).toBe('reports/summary.txt');
    expect(entryPath('reports', 'reports/summary.txt')).toBe('reports/summary.txt');
    expect(entryPath('a', 'a')).toBe('a/a');
  });

  it('reads tags typed as key=value lists', () => {
    expect(parseTags('team=risk, purpose = baseline ,flag')).toEqual({ team: 'risk', purpose: 'baseline', flag: '' });
  });
});

describe('comparison data', () => {
  it('lines up the steps of several runs, the last point at a step winning', () => {
    const histories = {
      a: { loss: [{ step: 0, timestamp: 0, value: 1 }, { step: 1, timestamp: 1, value: 0.5 }, { step: 1, timestamp: 2, value: 0.4 }] },
      b: { loss: [{ step: 2, timestamp: 0, value: 0.3 }] },
    };
    const rows = stepRows(histories, ['a', 'b'], 'loss');
    expect(rows.map((r) => r.step)).toEqual([0, 1, 2]);
    expect(rows[1]!.points.map((p) => p?.value)).toEqual([0.4, undefined]);
    expect(seriesPoints([{ step: 3, timestamp: 0, value: 'NaN' }, { step: 1, timestamp: 0, value: 2 }])).toEqual([
      [1, 2],
      [3, null],
    ]);
  });

  it('makes numeric axes of numbers (also in params) and category axes of text', () => {
    const runs = [run('a', 'a', { alpha: '0.5', opt: 'sgd' }, { acc: 0.8 }), run('b', 'b', { alpha: '1e-2', opt: 'adam' }, {}), run('c', 'c', { opt: 'adam' }, { acc: 0.9 })];
    const d = parallelData(runs, [
      { kind: 'param', key: 'alpha' },
      { kind: 'param', key: 'opt' },
      { kind: 'metric', key: 'acc' },
    ]);
    expect(d.axes.map((a) => a.type)).toEqual(['value', 'category', 'value']);
    expect(d.axes[1]!.categories).toEqual(['adam', 'sgd']);
    expect(d.rows).toEqual([
      [0.5, 'sgd', 0.8],
      [0.01, 'adam', null],
      [null, 'adam', 0.9],
    ]);
  });
});
