/**
 * Gate runs on a real SQLite store with a real registered xgboost model (test/fixtures/xgboost/
 * named-features.json: income, age, home_owner, score → P(approved)) and real datasets (CSV → Parquet):
 * one pass and one fail case per gate type, numbers checked against independent computations, validation
 * errors (400 naming the field, nothing queued), events, the finished-run hook, retry of a failed run, and
 * results that never change once written.
 */
import { readFileSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadXgboostJson } from '../../../serving/tree-model.js';
import { gateSpecHash } from './gate-spec.js';
import type { GateRunView } from './gates.service.js';
import { csvText, gateFixture, lcg, type GateFixture } from './gates.test-support.js';

const MODEL = new Uint8Array(readFileSync(new URL('../../../../test/fixtures/xgboost/named-features.json', import.meta.url)));
const HEADER = ['customer_id', 'income', 'age', 'home_owner', 'score', 'tenure', 'approved'];

let f: GateFixture;
let rows: (number | string | null)[][];
/** The model's P(approved) for each row of `rows`, from the tree evaluator directly. */
let proba: number[];

function makeRows(n: number, seed: number, firstId: number): (number | string | null)[][] {
  const u = lcg(seed);
  const normal = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return Array.from({ length: n }, (_, i) => {
    const income = Math.round(Math.exp(10 + 0.5 * normal()));
    const age = 18 + Math.floor(u() * 62);
    const owner = u() < 0.4 ? 1 : 0;
    const score = Math.round(normal() * 1000) / 1000;
    const approved = Math.log(income) - 10 + 0.02 * (age - 45) + owner + 0.5 * score + 0.5 * normal() > 0.3 ? 1 : 0;
    return [firstId + i, income, age, owner, score, owner ? 'owner' : 'renter', approved];
  });
}

function predictRows(data: (number | string | null)[][]): number[] {
  const m = loadXgboostJson(MODEL);
  const cols = [1, 2, 3, 4].map((c) => ({ data: Float32Array.from(data, (r) => r[c] as number) }));
  const out = m.run(cols.map((c, i) => ({ name: `f${i}`, datatype: 'FP32', shape: [data.length], data: c.data })), data.length)[0]!;
  return Array.from(out.data as Float64Array);
}

/** ROC AUC by counting ordered pairs (ties count half): independent of the scorers under test. */
function pairAuc(p: number[], y: number[]): number {
  let pairs = 0;
  let wins = 0;
  for (let i = 0; i < p.length; i++) {
    if (y[i] !== 1) continue;
    for (let j = 0; j < p.length; j++) {
      if (y[j] !== 0) continue;
      pairs++;
      wins += p[i]! > p[j]! ? 1 : p[i] === p[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

async function run(version: number, body: Record<string, unknown>, model = 'loans'): Promise<GateRunView> {
  const queued = await f.gates.requestRun(f.maria, undefined, model, version, body);
  expect(queued.status).toBe('queued');
  return f.waitFor(model, version, queued.id);
}

const result = (r: GateRunView, name: string) => {
  const found = r.results!.find((x) => x.name === name);
  if (!found) throw new Error(`no result named ${name}`);
  return found;
};

beforeAll(async () => {
  f = await gateFixture();
  rows = makeRows(300, 11, 1);
  proba = predictRows(rows);
  await f.dataset('applicants', csvText(HEADER, rows));
  // Training data: the first 100 evaluation rows again, and 100 rows of their own.
  await f.dataset('history', csvText(HEADER, [...rows.slice(0, 100), ...makeRows(100, 99, 10_000)]));
  await f.register('loans', MODEL, { flavor: 'xgboost-json', datasets: [{ dataset: 'history', version: 1, role: 'train' }] });
}, 60_000);
afterAll(() => f.close());

describe('metric gates', () => {
  it('scores the model on the labelled rows (ROC AUC equal to a pair count) and checks absolute thresholds', async () => {
    const r = await run(1, {
      dataset: 'applicants@1',
      target: 'approved',
      gates: [
        { name: 'auc', type: 'metric', metric: 'roc_auc', threshold: 0.6 },
        { name: 'auc-perfect', type: 'metric', metric: 'roc_auc', threshold: 0.9999 },
        { name: 'loss', type: 'metric', metric: 'log_loss', threshold: 0.1 },
      ],
    });
    expect(r.status).toBe('succeeded');
    expect(r.passed).toBe(false);
    const auc = result(r, 'auc');
    const expected = pairAuc(proba, rows.map((x) => x[6] as number));
    expect(auc.details.value as number).toBeCloseTo(expected, 12);
    expect(auc).toMatchObject({ passed: true, type: 'metric', details: { rows: 300, greaterIsBetter: true, reasons: [], baseline: null } });
    expect(result(r, 'auc-perfect').passed).toBe(false);
    expect(result(r, 'auc-perfect').details.reasons).toEqual([expect.stringMatching(/below the threshold 0.9999/)]);
    // log loss is lower-is-better by default: a loss above 0.1 fails
    expect(result(r, 'loss')).toMatchObject({ passed: false, spec: { greaterIsBetter: false } });
    expect(f.finished.map((x) => x.id)).toContain(r.id);
  });

  it('compares with the version the baseline alias points at, on the same rows; without one the change part passes with a note', async () => {
    const first = await run(1, { dataset: 'applicants@1', target: 'approved', gates: [{ name: 'better', type: 'metric', metric: 'accuracy', minAbsoluteChange: 0.01 }] });
    expect(result(first, 'better')).toMatchObject({ passed: true, details: { baseline: null, note: expect.stringMatching(/^no baseline: alias 'champion' does not exist/) } });

    const v2 = await f.register('loans', MODEL, { flavor: 'xgboost-json' });
    const loans = await f.store.models.getByNames('default', 'loans');
    await f.store.aliases.upsert({ model_id: loans!.model.id, alias: 'champion', version: 1, updated_at: new Date().toISOString(), updated_by: 'maria' });
    const second = await run(v2, {
      dataset: 'applicants@1',
      target: 'approved',
      gates: [
        { name: 'better', type: 'metric', metric: 'accuracy', minAbsoluteChange: 0.01 },
        { name: 'no-worse', type: 'metric', metric: 'accuracy', minRelativeChange: 0 },
      ],
    });
    // the same model: no improvement, so an absolute change of 0.01 fails and a relative change of 0 passes
    const better = result(second, 'better');
    expect(better.passed).toBe(false);
    expect(better.details.baseline).toEqual({ alias: 'champion', version: 1, value: better.details.value });
    expect(better.details.reasons).toEqual([expect.stringMatching(/does not exceed the baseline/)]);
    expect(result(second, 'no-worse').passed).toBe(true);
    expect(second.baselines).toEqual({ champion: { version: 1, versionId: expect.any(String) } });

    // the alias pointing at the candidate itself is no baseline either
    const self = await run(1, { dataset: 'applicants@1', target: 'approved', gates: [{ name: 'better', type: 'metric', metric: 'accuracy', minAbsoluteChange: 0.01 }] });
    expect(result(self, 'better').details.note).toMatch(/points at this version/);
  });
});

describe('schema gates', () => {
  it('passes when every feature is a column of a compatible type, and lists each problem otherwise', async () => {
    const ok = await run(1, { dataset: 'applicants@1', target: 'approved', gates: [{ name: 'schema', type: 'schema' }] });
    expect(result(ok, 'schema')).toMatchObject({ passed: true, details: { columnsChecked: 5, problems: [] } });

    await f.dataset('broken', csvText(['income', 'age', 'home_owner', 'approved'], [['lots', 30, 1, 1], ['some', 40, 0, 0]]));
    const bad = await run(1, { dataset: 'broken@1', target: 'approved', gates: [{ name: 'schema', type: 'schema' }, { name: 'auc', type: 'metric', metric: 'roc_auc', threshold: 0.5 }] });
    expect(bad.status).toBe('succeeded');
    expect(bad.passed).toBe(false);
    const problems = result(bad, 'schema').details.problems as { column: string; problem: string }[];
    expect(problems.map((p) => p.column).sort()).toEqual(['income', 'score']);
    expect(problems.find((p) => p.column === 'income')!.problem).toMatch(/VARCHAR.*numbers/);
    // a gate that needs the missing column fails with the reason, and the run still finishes
    expect(result(bad, 'auc')).toMatchObject({ passed: false, details: { error: expect.stringMatching(/no column 'score'/) } });
  });
});

describe('robustness gates', () => {
  it('measures the share of rows whose class flips under noise against the tolerance', async () => {
    const r = await run(1, {
      dataset: 'applicants@1',
      gates: [
        { name: 'no-noise', type: 'robustness', noise: 0, tolerance: 0 },
        { name: 'heavy-noise', type: 'robustness', noise: 0.5, tolerance: 0.01, rows: 200 },
        { name: 'lenient', type: 'robustness', noise: 0.5, tolerance: 1, rows: 200 },
      ],
    });
    expect(result(r, 'no-noise')).toMatchObject({ passed: true, details: { value: 0, flipShare: 0, rows: 300 } });
    const heavy = result(r, 'heavy-noise');
    expect(heavy.passed).toBe(false);
    expect(heavy.details.value as number).toBeGreaterThan(0.01);
    expect(heavy.details.rows).toBe(200);
    // the same seed and spec give the same measurement
    expect(result(r, 'lenient')).toMatchObject({ passed: true, details: { value: heavy.details.value } });
  });
});

describe('latency gates', () => {
  it('times single-row predictions and compares the p95', async () => {
    const r = await run(1, { dataset: 'applicants@1', gates: [{ name: 'fast', type: 'latency', p95Ms: 10_000, rows: 50 }, { name: 'impossible', type: 'latency', p95Ms: 1e-9, rows: 50 }] });
    const fast = result(r, 'fast');
    expect(fast.passed).toBe(true);
    const d = fast.details as { p50: number; p95: number; p99: number; max: number; rows: number };
    expect(d.rows).toBe(50);
    expect(d.p50).toBeLessThanOrEqual(d.p95);
    expect(d.p95).toBeLessThanOrEqual(d.p99);
    expect(d.p99).toBeLessThanOrEqual(d.max);
    expect(result(r, 'impossible').passed).toBe(false);
  });
});

describe('fairness gates', () => {
  it('reports per-group rates equal to a direct count, and the gap against the tolerance', async () => {
    const r = await run(1, {
      dataset: 'applicants@1',
      target: 'approved',
      gates: [
        { name: 'parity', type: 'fairness', sensitive: 'tenure', metric: 'demographic_parity_difference', tolerance: 0.05 },
        { name: 'parity-lenient', type: 'fairness', sensitive: 'tenure', metric: 'demographic_parity_difference', tolerance: 1 },
        { name: 'ratio', type: 'fairness', sensitive: 'tenure', metric: 'demographic_parity_ratio', tolerance: 0.01 },
      ],
    });
    const parity = result(r, 'parity');
    const decisions = proba.map((p) => (p >= 0.5 ? 1 : 0));
    const rate = (group: string, filter: (i: number) => boolean = () => true) => {
      const idx = rows.map((_, i) => i).filter((i) => rows[i]![5] === group && filter(i));
      return idx.reduce((s, i) => s + decisions[i]!, 0) / idx.length;
    };
    const groups = parity.details.groups as { group: string; count: number; selectionRate: number; tpr: number; fpr: number }[];
    expect(groups.map((g) => g.group)).toEqual(['owner', 'renter']);
    for (const g of groups) {
      expect(g.count).toBe(rows.filter((x) => x[5] === g.group).length);
      expect(g.selectionRate).toBeCloseTo(rate(g.group), 15);
      expect(g.tpr).toBeCloseTo(rate(g.group, (i) => rows[i]![6] === 1), 15);
      expect(g.fpr).toBeCloseTo(rate(g.group, (i) => rows[i]![6] === 0), 15);
    }
    const gap = Math.abs(rate('owner') - rate('renter'));
    expect(parity.details.value as number).toBeCloseTo(gap, 15);
    expect(gap).toBeGreaterThan(0.05);
    expect(parity.passed).toBe(false);
    expect(result(r, 'parity-lenient').passed).toBe(true);
    expect(result(r, 'ratio')).toMatchObject({ passed: true, details: { value: Math.min(rate('owner'), rate('renter')) / Math.max(rate('owner'), rate('renter')) } });
  });

  it('restricts to the named groups, and refuses a sensitive column the data lacks', async () => {
    const r = await run(1, { dataset: 'applicants@1', gates: [{ name: 'one-vs-one', type: 'fairness', sensitive: 'tenure', metric: 'demographic_parity_difference', tolerance: 1, groups: ['renter', 'owner'] }] });
    expect(result(r, 'one-vs-one').spec).toMatchObject({ groups: ['owner', 'renter'] });
    // without a target there are no true/false positive rates
    expect((result(r, 'one-vs-one').details.groups as { tpr: unknown }[]).every((g) => g.tpr === null)).toBe(true);
    await expect(f.gates.requestRun(f.maria, undefined, 'loans', 1, { dataset: 'applicants@1', gates: [{ name: 'x', type: 'fairness', sensitive: 'race', metric: 'demographic_parity_difference', tolerance: 0.1 }] })).rejects.toThrow(/^gates\[0\]\.sensitive/);
    await expect(f.gates.requestRun(f.maria, undefined, 'loans', 1, { dataset: 'applicants@1', gates: [{ name: 'x', type: 'fairness', sensitive: 'tenure', metric: 'equal_opportunity_difference', tolerance: 0.1 }] })).rejects.toThrow(/^target/);
  });
});

describe('leakage gates', () => {
  it("finds the evaluation rows that are in the version's training data (its lineage by default)", async () => {
    const r = await run(1, {
      dataset: 'applicants@1',
      gates: [
        { name: 'strict', type: 'leakage' },
        { name: 'lenient', type: 'leakage', maxOverlap: 0.5, keys: ['customer_id'] },
        { name: 'clean', type: 'leakage', trainingDataset: 'broken@1' },
      ],
    });
    const strict = result(r, 'strict');
    expect(strict.passed).toBe(false);
    expect(strict.details).toMatchObject({ evaluationRows: 300, trainingRows: 200, duplicates: { count: 100, share: 100 / 300 }, trainingDatasets: ["dataset 'history' version 1"] });
    expect(result(r, 'lenient')).toMatchObject({ passed: true, details: { keys: { count: 100, keyColumns: ['customer_id'] } } });
    // the broken dataset shares no feature values with the evaluation rows
    expect(result(r, 'clean')).toMatchObject({ passed: true, details: { duplicates: { count: 0 } } });
  });

  it('needs training data: a version without lineage must name it', async () => {
    await f.register('bare', MODEL, { flavor: 'xgboost-json' });
    await expect(f.gates.requestRun(f.maria, undefined, 'bare', 1, { dataset: 'applicants@1', gates: [{ name: 'l', type: 'leakage' }] })).rejects.toThrow(/^gates\[0\]\.trainingDataset: is required/);
    await expect(f.gates.requestRun(f.maria, undefined, 'bare', 1, { dataset: 'applicants@1', gates: [{ name: 'l', type: 'leakage', trainingDataset: 'nothing@1' }] })).rejects.toThrow(/^gates\[0\]\.trainingDataset/);
  });
});

describe('validation', () => {
  it('refuses a bad request with a 400 naming the field, and queues nothing', async () => {
    const before = (await f.gates.listRuns(undefined, 'loans', 1)).items.length;
    const bad = async (body: unknown, pattern: RegExp) => {
      const err = await f.gates.requestRun(f.maria, undefined, 'loans', 1, body).then(() => null, (e: Error & { kind?: string }) => e);
      expect(err, JSON.stringify(body)).not.toBeNull();
      expect(err!.message).toMatch(pattern);
      expect(err!.kind).toBe('invalid');
    };
    const gate = { name: 'a', type: 'schema' };
    await bad({ dataset: 'applicants@1', gates: [gate, { name: 'b', type: 'latency', p95Ms: 5 }, { name: 'c', type: 'robustness' }] }, /^gates\[2\]\.tolerance: is required/);
    await bad({ dataset: 'applicants@1', gates: [{ name: 'c', type: 'robustness', tolerance: -1 }] }, /^gates\[0\]\.tolerance/);
    await bad({ dataset: 'applicants@1', gates: [{ name: 'a', type: 'magic' }] }, /^gates\[0\]\.type: must be one of/);
    await bad({ dataset: 'applicants@1', gates: [gate, gate] }, /^gates\[1\]\.name: repeats/);
    await bad({ dataset: 'applicants@1', gates: [{ ...gate, extra: 1 }] }, /^gates\[0\]\.extra/);
    await bad({ dataset: 'applicants@1', gates: [] }, /^gates: must be a list of 1 to 20/);
    await bad({ dataset: 'applicants@1', gates: Array.from({ length: 21 }, (_, i) => ({ name: `g${i}`, type: 'schema' })) }, /^gates: must be a list of 1 to 20/);
    await bad({ dataset: 'applicants@1', gates: [{ name: 'm', type: 'metric', metric: 'roc_auc' }] }, /^gates\[0\]\.threshold: no rule given/);
    await bad({ dataset: 'applicants@1', gates: [{ name: 'm', type: 'metric', metric: 'roc_auc', threshold: 0.5 }] }, /^target: is required/);
    await bad({ dataset: 'applicants@1', target: 'approved', gates: [{ name: 'm', type: 'metric', metric: 'rmse', threshold: 0.5 }] }, /^gates\[0\]\.metric: rmse scores regression/);
    await bad({ dataset: 'applicants@1', target: 'nope', gates: [gate] }, /^target: .* no column named 'nope'/);
    await bad({ dataset: 'applicants@1', target: 'income', gates: [gate] }, /^target: 'income' is one of the model's features/);
    await bad({ dataset: 'applicants', gates: [gate] }, /^dataset: must be "name@version"/);
    await bad({ dataset: 'nothing@1', gates: [gate] }, /^dataset/);
    await bad({ dataset: 'applicants@9', gates: [gate] }, /^version/);
    await bad({ dataset: 'applicants@1', gates: [gate], policyId: 'no-such-policy' }, /^policyId/);
    await bad({ dataset: 'applicants@1', gates: [gate], colour: 'red' }, /^colour: is not a field/);
    await bad({ dataset: 'applicants@1', gates: [{ name: 'f', type: 'fairness', sensitive: 'tenure', metric: 'demographic_parity_ratio', tolerance: 2 }] }, /^gates\[0\]\.tolerance/);
    expect((await f.gates.listRuns(undefined, 'loans', 1)).items).toHaveLength(before);
  });

  it('runs on READY versions only, and 404s for unknown versions', async () => {
    await f.models.createModel(f.maria, { name: 'junk' });
    await expect(f.register('junk', new Uint8Array([1, 2, 3]), { flavor: 'xgboost-json' })).rejects.toThrow();
    await expect(f.gates.requestRun(f.maria, undefined, 'junk', 1, { dataset: 'applicants@1', gates: [{ name: 's', type: 'schema' }] })).rejects.toMatchObject({ code: 'MODEL_VERSION_NOT_READY' });
    await expect(f.gates.requestRun(f.maria, undefined, 'loans', 99, { dataset: 'applicants@1', gates: [{ name: 's', type: 'schema' }] })).rejects.toMatchObject({ code: 'MODEL_VERSION_NOT_FOUND' });
  });
});

describe('runs and results', () => {
  it('never changes a result: a second run adds rows, and the latest per gate comes from it', async () => {
    const body = { dataset: 'applicants@1', target: 'approved', gates: [{ name: 'auc', type: 'metric', metric: 'roc_auc', threshold: 0.6 }, { name: 'schema', type: 'schema' }] };
    const first = await run(1, body);
    const firstResults = await f.store.gates.resultsOfRun(first.id);
    const allBefore = await f.store.gates.resultsOfVersion(first.modelVersionId);
    const second = await run(1, { ...body, gates: [{ name: 'auc', type: 'metric', metric: 'roc_auc', threshold: 0.99 }, body.gates[1]] });
    expect(await f.store.gates.resultsOfRun(first.id)).toEqual(firstResults);
    const allAfter = await f.store.gates.resultsOfVersion(first.modelVersionId);
    expect(allAfter).toHaveLength(allBefore.length + 2);
    expect(allAfter.filter((r) => allBefore.some((b) => b.id === r.id))).toEqual(allBefore);

    const latest = (await f.gates.listResults(undefined, 'loans', 1, { latest: true })).items;
    expect(latest.find((x) => x.name === 'auc')).toMatchObject({ runId: second.id, passed: false });
    expect(new Set(latest.map((x) => x.name)).size).toBe(latest.length);
    const byName = (await f.gates.listResults(undefined, 'loans', 1, { name: 'auc' })).items;
    expect(byName.every((x) => x.name === 'auc')).toBe(true);
    expect(byName[0]!.runId).toBe(second.id);

    // latestResults keys on (name, spec hash): each auc spec once, with its newest result
    const forPolicy = await f.gates.latestResults(first.modelVersionId);
    const aucs = forPolicy.filter((x) => x.name === 'auc');
    const hash = (threshold: number) => gateSpecHash({ name: 'auc', type: 'metric', metric: 'roc_auc', threshold, greaterIsBetter: true, baseline: 'champion' });
    expect(new Set(aucs.map((x) => x.specSha256)).size).toBe(aucs.length);
    expect(aucs.find((x) => x.specSha256 === hash(0.6))!.runId).toBe(first.id);
    expect(aucs.find((x) => x.specSha256 === hash(0.99))!.runId).toBe(second.id);

    // a finished run cannot be retried
    await expect(f.gates.retryRun(f.maria, undefined, 'loans', 1, first.id)).rejects.toMatchObject({ code: 'GATE_RUN_NOT_FAILED' });
    const list = (await f.gates.listRuns(undefined, 'loans', 1)).items;
    expect(list[0]!.id).toBe(second.id);
    expect(list.findIndex((x) => x.id === first.id)).toBeGreaterThan(0);
  });

  it('marks a run whose job fails as failed (gate_run.errored), and a retry runs it again', async () => {
    await f.dataset('fragile', csvText(HEADER, rows.slice(0, 50)));
    const project = await f.store.projects.getByName('default');
    const ds = await f.store.datasets.get(project!.id, 'fragile');
    const dv = await f.store.datasets.getVersion(ds!.id, 1);
    const path = await f.artifacts.localPath(dv!.stored_sha256);
    f.beforeJob = () => rename(path, `${path}.away`);
    const queued = await f.gates.requestRun(f.maria, undefined, 'loans', 1, { dataset: 'fragile@1', gates: [{ name: 's', type: 'schema' }] });
    const failed = await f.waitFor('loans', 1, queued.id);
    expect(failed).toMatchObject({ status: 'failed', passed: null, error: expect.stringMatching(/fragile/) });
    expect(await f.store.gates.resultsOfRun(queued.id)).toEqual([]);
    f.beforeJob = () => rename(`${path}.away`, path);
    const retried = await f.gates.retryRun(f.maria, undefined, 'loans', 1, queued.id);
    expect(retried.status).toBe('queued');
    f.beforeJob = null;
    const done = await f.waitFor('loans', 1, queued.id);
    expect(done).toMatchObject({ status: 'succeeded', passed: true, results: [{ name: 's', passed: true }] });

    const events = await f.store.events.list({ after: 0, limit: 10_000, entityType: 'model_version', entityId: done.modelVersionId });
    const mine = events.filter((e) => (e.payload as { runId?: string }).runId === queued.id).map((e) => e.type);
    expect(mine).toEqual(['gate_run.requested', 'gate_run.started', 'gate_run.errored', 'gate_run.requested', 'gate_run.started', 'gate_run.passed']);
    const passedEvent = events.find((e) => e.type === 'gate_run.passed' && (e.payload as { runId?: string }).runId === queued.id)!;
    expect(passedEvent.payload).toMatchObject({ model: 'loans', version: 1, results: [{ name: 's', type: 'schema', passed: true }] });
    expect(f.finished.filter((x) => x.id === queued.id).map((x) => x.status)).toEqual(['failed', 'succeeded']);
  });
});
