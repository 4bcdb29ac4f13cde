/**
 * `steward train …` against a real Steward server (the test harness listening on a local port, its job
 * worker training for real on the credit card applications data), and the pure helpers: flags → request
 * body, the trials table, the importance table, the summary and the progress line.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHarness, multipart, type Harness } from '../../../test/support/harness.js';
import type { TrainingRegistered } from '../../modules/training/training-registration.js';
import type { TrainingJobView, TrialView } from '../../modules/training/training.service.js';
import { ApiError } from '../client.js';
import { UsageError } from '../context.js';
import { collectParam, exitCodeOf, importanceTable, jobText, num, progressLine, registrationText, trainBody, trainCommands, trialsTable, varyingParams } from './train.js';

const CREDIT = readFileSync(new URL('../../../test/fixtures/data/creditcard.csv', import.meta.url), 'utf8');

let h: Harness;
let base: string;
let token: string;

beforeAll(async () => {
  h = await createHarness();
  base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  token = await h.tokenFor('contributor', 'cli-carla');
  const headers = { authorization: `Bearer ${token}` };
  expect((await h.app.inject({ method: 'POST', url: '/api/v1/datasets', headers, payload: { name: 'credit' } })).statusCode).toBe(201);
  const { body, contentType } = multipart([{ name: 'file', value: Buffer.from(CREDIT), filename: 'creditcard.csv' }]);
  const r = await h.app.inject({ method: 'POST', url: '/api/v1/datasets/credit/versions', headers: { ...headers, 'content-type': contentType }, payload: body });
  expect(r.statusCode, r.body).toBe(201);
}, 60_000);
afterAll(() => h?.close());

interface Ran {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs the commands in-process with --server/--token; answers stdout, stderr and the exit code set, or throws what the command threw. */
async function steward(...args: string[]): Promise<Ran> {
  const program = new Command('steward').option('--server <url>').option('--token <token>').option('--json').option('-q, --quiet').exitOverride();
  program.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  trainCommands(program);
  for (const c of program.commands) c.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  const out: string[] = [];
  const err: string[] = [];
  const spyOut = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  const spyErr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err.push(String(chunk));
    return true;
  });
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await program.parseAsync(['--server', base, '--token', token, ...args], { from: 'user' });
    return { stdout: out.join(''), stderr: err.join(''), exitCode: Number(process.exitCode ?? 0) };
  } finally {
    process.exitCode = before;
    spyOut.mockRestore();
    spyErr.mockRestore();
  }
}

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('train flags', () => {
  it('parses --param values as numbers or booleans, and refuses the rest', () => {
    let p = collectParam('numRounds=30');
    p = collectParam('learningRate=0.05', p);
    p = collectParam(' standardize = false', p);
    expect(p).toEqual({ numRounds: 30, learningRate: 0.05, standardize: false });
    expect(collectParam('C=1e-3')).toEqual({ C: 0.001 });
    expect(() => collectParam('numRounds')).toThrow(InvalidArgumentError);
    expect(() => collectParam('=3')).toThrow(/must be name=value/);
    expect(() => collectParam('maxDepth=deep')).toThrow(/the value must be a number or true\/false/);
    expect(() => collectParam('maxDepth=')).toThrow(/the value must be a number or true\/false/);
    expect(() => collectParam('maxDepth=Infinity')).toThrow(/must be a number/);
    expect(() => collectParam('maxDepth=3', { maxDepth: 4 })).toThrow(/'maxDepth' is given twice/);
  });

  it('builds the request body from the flags', () => {
    expect(trainBody({ dataset: 'credit@1', target: 'card' })).toEqual({ dataset: 'credit@1', target: 'card' });
    expect(
      trainBody({
        dataset: 'credit@2',
        target: 'card',
        algo: 'gbdt',
        task: 'binary',
        features: 'age, income,,share',
        param: { numRounds: 30 },
        folds: '5',
        seed: '7',
        metric: 'logloss',
        timeBudget: '90',
        experiment: 'cards',
        runName: 'first',
        project: 'risk',
        register: 'credit-gbdt',
      }),
    ).toEqual({
      dataset: 'credit@2',
      target: 'card',
      project: 'risk',
      task: 'binary',
      algorithm: 'gbdt',
      features: ['age', 'income', 'share'],
      params: { numRounds: 30 },
      validation: { folds: 5, seed: 7 },
      metric: 'logloss',
      timeBudgetSeconds: 90,
      experiment: 'cards',
      runName: 'first',
    });
    // --search alone: random search over the server's default space; --seed goes to the search and the split.
    expect(trainBody({ dataset: 'credit@1', target: 'card', search: '3', seed: '2' })).toMatchObject({ search: { trials: 3, seed: 2 }, validation: { fraction: 0.2, seed: 2 } });
    expect(trainBody({ dataset: 'credit@1', target: 'card', search: '3' }).search).toEqual({ trials: 3 });
    expect(trainBody({ dataset: 'credit@1', target: 'card', grid: true, space: '{"maxDepth": [3, 6]}' }).search).toEqual({ method: 'grid', space: { maxDepth: [3, 6] } });
    expect(trainBody({ dataset: 'credit@1', target: 'card', search: '4', grid: true, space: '{"maxDepth": [3, 6]}' }).search).toEqual({ method: 'grid', trials: 4, space: { maxDepth: [3, 6] } });
    expect(trainBody({ dataset: 'credit@1', target: 'card', validationFraction: '0.25' }).validation).toEqual({ fraction: 0.25 });
    // a validation dataset takes no seed
    expect(trainBody({ dataset: 'credit@1', target: 'card', validationDataset: 'credit@2', seed: '3' }).validation).toEqual({ dataset: 'credit@2' });
  });

  it('says which flags are missing, malformed or do not go together', () => {
    expect(usageError(() => trainBody({ target: 'card' }))).toMatch(/^--dataset is required/);
    expect(usageError(() => trainBody({ dataset: 'credit@1' }))).toMatch(/^--target is required/);
    expect(usageError(() => trainBody({ dataset: 'credit', target: 'card' }))).toBe("--dataset 'credit' must be name@version, e.g. credit@1");
    expect(usageError(() => trainBody({ dataset: 'credit@0', target: 'card' }))).toMatch(/must be name@version/);
    expect(usageError(() => trainBody({ dataset: 'credit@1', target: 'card', search: '0' }))).toBe("--search '0' must be a whole number from 1 to 500");
    expect(usageError(() => trainBody({ dataset: 'credit@1', target: 'card', search: '2.5' }))).toMatch(/--search '2.5' must be a whole number/);
    expect(usageError(() => trainBody({ dataset: 'credit@1', target: 'card', grid: true }))).toMatch(/^--grid needs --space/);
    expect(usageError(() => trainBody({ dataset: 'credit@1', target: 'card', space: '{"C": [1]}' }))).toBe('--space needs --search <trials> (random search) or --grid');
    expect(usageError(() => trainBody({ dataset: 'credit@1', target: 'card', search: '2', space: '{maxDepth: [3]}' }))).toMatch(/^--space is not valid JSON/);
    expect(usageError(() => trainBody({ dataset: 'credit@1', target: 'card', search: '2', space: '[3, 4]' }))).toMatch(/^--space must be a JSON object/);
    expect(usageError(() => trainBody({ dataset: 'credit@1', target: 'card', folds: '5', validationFraction: '0.1' }))).toBe(
      'give one of --folds, --validation-fraction or --validation-dataset, not --folds and --validation-fraction',
    );
    expect(usageError(() => trainBody({ dataset: 'credit@1', target: 'card', folds: '1' }))).toBe("--folds '1' must be a whole number from 2 to 20");
    expect(usageError(() => trainBody({ dataset: 'credit@1', target: 'card', validationFraction: '0.9' }))).toMatch(/from 0.01 to 0.5/);
    expect(usageError(() => trainBody({ dataset: 'credit@1', target: 'card', validationDataset: 'other' }))).toMatch(/^--validation-dataset 'other' must be name@version/);
    expect(usageError(() => trainBody({ dataset: 'credit@1', target: 'card', timeBudget: 'soon' }))).toMatch(/^--time-budget 'soon' must be a number of seconds/);
    expect(usageError(() => trainBody({ dataset: 'credit@1', target: 'card', seed: '-1' }))).toMatch(/^--seed '-1' must be a whole number/);
    expect(usageError(() => trainBody({ dataset: 'credit@1', target: 'card', register: 'm', wait: false }))).toMatch(/^--register needs the job to finish/);
  });

  it('refuses bad flags before calling the server', async () => {
    await expect(steward('train', '--dataset', 'credit@1', '--target', 'card', '--algo', 'xgb')).rejects.toBeInstanceOf(CommanderError);
    await expect(steward('train', '--dataset', 'credit@1', '--target', 'card', '--param', 'maxDepth=deep')).rejects.toThrow(/the value must be a number or true\/false/);
    await expect(steward('train', '--target', 'card')).rejects.toThrow(UsageError);
    await expect(steward('train', 'list', '--status', 'done')).rejects.toBeInstanceOf(CommanderError);
    await expect(steward('train', 'register', 'x', '--model', 'm', '--trial', 'best')).rejects.toThrow(/--trial 'best' must be a whole number/);
    await expect(steward('train', 'register', 'x')).rejects.toThrow(/--model/);
  });
});

// ---- the views, on a job made up here ----

function trial(index: number, over: Partial<TrialView>): TrialView {
  return {
    index,
    runId: `run${index}`.padEnd(32, '0'),
    params: { numRounds: 30, maxDepth: 6, learningRate: 0.1 },
    status: 'FINISHED',
    metrics: { auc: 0.9, logloss: 0.3 },
    score: 0.9,
    rounds: 30,
    roundsTrained: 30,
    durationMs: 1500,
    stoppedBy: null,
    error: null,
    importance: [],
    modelPath: 'model/model.json',
    note: null,
    ...over,
  };
}

const importance = Array.from({ length: 12 }, (_, i) => ({ feature: `f${i}`, gain: 12 - i, splits: 2 * (12 - i) }));

function job(over: Partial<TrainingJobView> = {}): TrainingJobView {
  return {
    id: 'job-1',
    project: 'default',
    status: 'succeeded',
    dataset: { name: 'credit', version: 1 },
    target: 'card',
    task: 'binary',
    algorithm: 'gbdt',
    metric: 'auc',
    features: ['f0', 'f1'],
    skipped: [{ column: 'owner', type: 'categorical' }],
    classes: ['no', 'yes'],
    params: { numRounds: 30 },
    search: { method: 'random', space: { maxDepth: { values: [3, 6] } }, trials: 3, seed: 0 },
    validation: { kind: 'holdout', fraction: 0.2, seed: 0 },
    timeBudgetSeconds: null,
    experimentId: '4',
    runId: 'parent'.padEnd(32, '0'),
    jobId: 'j',
    progress: null,
    cancelRequested: false,
    result: {
      rows: { total: 1319, train: 1055, validation: 264, droppedMissingTarget: 2 },
      trials: [
        trial(0, { params: { numRounds: 30, maxDepth: 3, learningRate: 0.1 }, score: 0.91, metrics: { auc: 0.91, logloss: 0.31 } }),
        trial(1, { params: { numRounds: 30, maxDepth: 6, learningRate: 0.1 }, score: 0.95, metrics: { auc: 0.95, logloss: 0.2 }, rounds: 16, importance }),
        trial(2, { params: { numRounds: 30, maxDepth: 6, learningRate: 0.1 }, status: 'FAILED', score: null, metrics: {}, rounds: 0, roundsTrained: 0, error: 'out of memory', modelPath: null }),
      ],
      best: 1,
      stoppedBy: null,
      plannedTrials: 3,
      registered: [],
    },
    error: null,
    createdAt: '2024-01-15T12:00:00.000Z',
    createdBy: 'carla',
    startedAt: '2024-01-15T12:00:01.000Z',
    finishedAt: '2024-01-15T12:01:31.000Z',
    ...over,
  };
}

const lines = (text: string) => text.trimEnd().split('\n');

describe('train views', () => {
  it('shows only the params that vary between trials', () => {
    expect(varyingParams(job().result!.trials)).toEqual(['maxDepth']);
    expect(varyingParams([trial(0, {})])).toEqual([]);
    expect(varyingParams([trial(0, {}), trial(1, {})])).toEqual([]);
  });

  it('lists the trials with the best marked, the metric first, rounds kept of trained and the errors', () => {
    const rows = lines(trialsTable(job()));
    expect(rows[0]).toMatch(/^TRIAL\s+STATUS\s+maxDepth\s+AUC \(higher is better\)\s+LOGLOSS\s+ROUNDS\s+DURATION\s+RUN ID$/);
    expect(rows[1]).toMatch(/^0\s+FINISHED\s+3\s+0\.91\s+0\.31\s+30\s+1\.5s\s+run00/);
    expect(rows[2]).toMatch(/^1 \*\s+FINISHED\s+6\s+0\.95\s+0\.2\s+16 of 30\s+1\.5s\s+run10/);
    expect(rows[3]).toMatch(/^2\s+FAILED\s+6\s+1\.5s\s+run20/);
    expect(rows[4]).toBe('* best by auc');
    expect(rows[5]).toBe('trial 2: out of memory');
    // a lower-is-better metric says so; no best: no mark
    const loss = trialsTable(job({ metric: 'logloss', result: { ...job().result!, best: null } }));
    expect(lines(loss)[0]).toMatch(/LOGLOSS \(lower is better\)\s+AUC\s+ROUNDS/);
    expect(loss).not.toMatch(/\*/);
    expect(trialsTable(job({ result: null }))).toBe('no trials');
  });

  it('shows the top 10 features with their share of the gain', () => {
    const text = importanceTable({ importance }, 'gbdt');
    const rows = lines(text);
    expect(rows[0]).toMatch(/^#\s+FEATURE\s+GAIN\s+SHARE\s+SPLITS$/);
    expect(rows[1]).toMatch(/^1\s+f0\s+12\s+15\.4%\s+24$/);
    expect(rows).toHaveLength(12);
    expect(rows[11]).toBe('(2 more features)');
    expect(lines(importanceTable({ importance: [{ feature: 'x', gain: 0.5, splits: null }] }, 'linear'))[0]).toMatch(/^#\s+FEATURE\s+\|STD COEF\|\s+SHARE$/);
    expect(importanceTable({ importance: [] }, 'gbdt')).toBe('no importance recorded');
  });

  it('summarizes a job: what was asked, rows, trials, the best trial and its importance', () => {
    const text = jobText(job());
    expect(text).toMatch(/^status:\s+succeeded$/m);
    expect(text).toMatch(/^target:\s+card \(binary: classes no, yes\)$/m);
    expect(text).toMatch(/^features:\s+2 \(left out: owner \(categorical\)\)$/m);
    expect(text).toMatch(/^rows:\s+1319 \(train 1055, validation 264, 2 left out for a missing target\)$/m);
    expect(text).toMatch(/^trials:\s+2 of 3 finished$/m);
    expect(text).toMatch(/^duration:\s+1m 30s$/m);
    expect(text).toMatch(/^parent run:\s+parent0+$/m);
    expect(text).toMatch(/^best: trial 1 \(run run10+\):\n\s+params:\s+numRounds=30 maxDepth=6 learningRate=0\.1$/m);
    expect(text).toMatch(/^feature importance of trial 1 \(top 10\):\n\s+#\s+FEATURE/m);
    expect(text).not.toMatch(/^registration:/m);
  });

  it('says when the time budget stopped a job, and what failed', () => {
    const budget = job({ timeBudgetSeconds: 60, result: { ...job().result!, stoppedBy: 'time budget' } });
    expect(jobText(budget)).toMatch(/^status:\s+succeeded \(stopped by its time budget: the best model so far is kept\)$/m);
    expect(jobText(budget)).toMatch(/^time budget:\s+60s$/m);
    expect(exitCodeOf(budget)).toBe(0);
    const failed = job({ status: 'failed', error: 'no trial produced a model', result: { ...job().result!, best: null } });
    expect(jobText(failed)).toMatch(/^status:\s+failed\nerror:\s+no trial produced a model$/m);
    expect(jobText(failed)).not.toMatch(/^best:/m);
    expect(exitCodeOf(failed)).toBe(1);
    expect(exitCodeOf(job({ status: 'cancelled' }))).toBe(1);
    const running = job({ status: 'running', cancelRequested: true, progress: { fraction: 0.42, message: 'trial 2/3 · round 5/30' }, finishedAt: null });
    expect(jobText(running)).toMatch(/^status:\s+running \(cancel requested\)\nprogress:\s+42% trial 2\/3 · round 5\/30$/m);
  });

  it('shows a registration: version, format and the ONNX check', () => {
    const reg = {
      version: { model: 'credit-gbdt', version: 2, flavor: 'xgboost-json', status: 'READY' },
      trial: 1,
      runId: 'r1',
      format: 'xgboost-json',
      onnx: { path: 'model/model.onnx', sha256: 'ab'.repeat(32), size: 100, maxAbsDiff: 1.2e-7, rowsCompared: 1000 },
      reference: { jobId: 'ref-job' },
      modelCreated: true,
    } as unknown as TrainingRegistered;
    const text = registrationText(reg);
    expect(text).toMatch(/^registered:\s+credit-gbdt version 2 \(new model\)$/m);
    expect(text).toMatch(/^format:\s+xgboost-json \(flavor xgboost-json, status READY\)$/m);
    expect(text).toMatch(/^onnx check:\s+max \|difference\| 1\.200e-7 against the native model on 1000 rows$/m);
    expect(text).toMatch(/^reference:\s+requested \(job ref-job\)$/m);
    expect(registrationText({ ...reg, reference: { error: 'no dataset' } })).toMatch(/^reference:\s+not requested: no dataset$/m);
    expect(jobText(job(), reg)).toMatch(/^registration:\n\s+registered:\s+credit-gbdt version 2/m);
  });

  it('draws the progress line within the terminal width', () => {
    expect(progressLine(0.5, 'round 15/30', 12_300)).toBe('[##########----------]  50%  12.3s  round 15/30');
    expect(progressLine(1.7, 'done', 0)).toMatch(/^\[#{20}\] 100%/);
    expect(progressLine(Number.NaN, 'x', 0)).toMatch(/^\[-{20}\] {3}0%/);
    const long = progressLine(0.1, 'm'.repeat(300), 1000, 80);
    expect(long.length).toBeLessThan(80);
    expect(long.endsWith('…')).toBe(true);
    expect([0.912345678, 1e-7, 2e7, null, 3].map(num)).toEqual(['0.91235', '1.000e-7', '2.000e+7', '', '3']);
  });
});

// ---- against the server ----

describe('steward train against a server', () => {
  let jobId: string;

  it('trains, follows the job to its end and registers the best trial', async () => {
    const r = await steward('train', '--dataset', 'credit@1', '--target', 'card', '--param', 'numRounds=10', '--register', 'credit-gbdt');
    expect(r.exitCode, r.stderr).toBe(0);
    jobId = /^training job:\s+(\S+)$/m.exec(r.stdout)![1]!;
    expect(r.stdout).toMatch(/^status:\s+succeeded$/m);
    expect(r.stdout).toMatch(/^rows:\s+1319 \(train \d+, validation \d+\)$/m);
    expect(r.stdout).toMatch(/^\s+0 \*\s+FINISHED\s+0\.\d+\s+0\.\d+\s+\d+( of 10)?\s/m);
    expect(r.stdout).toMatch(/^\s+registered:\s+credit-gbdt version 1 \(new model\)$/m);
    expect(r.stdout).toMatch(/^\s+onnx check:\s+max \|difference\| \S+ against the native model on 1000 rows$/m);
    // not a terminal: a line per trial on stderr
    expect(r.stderr).toMatch(/^trial 1 of 1: FINISHED auc 0\.\d+/m);
  });

  it('prints the final job view and the registration as JSON', async () => {
    const r = await steward('--json', 'train', '--dataset', 'credit@1', '--target', 'card', '--algo', 'linear', '--search', '2', '--seed', '3', '--register', 'credit-linear');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ status: 'succeeded', algorithm: 'linear', search: { method: 'random', trials: 2, seed: 3 } });
    expect(j.result.trials).toHaveLength(2);
    expect(j.registration).toMatchObject({ version: { model: 'credit-linear', version: 1 }, format: 'onnx', trial: j.result.best });
    expect(j.registration.onnx.maxAbsDiff).toBeLessThanOrEqual(1e-5);
  });

  it('lists, shows and registers a job again; cancelling an ended job is a conflict', async () => {
    const list = await steward('train', 'list', '--status', 'succeeded');
    expect(lines(list.stdout)[0]).toMatch(/^ID\s+STATUS\s+DATASET\s+TARGET\s+ALGORITHM\s+TRIALS\s+BEST\s+CREATED\s+BY$/);
    expect(list.stdout).toMatch(new RegExp(`^${jobId}\\s+succeeded\\s+credit@1\\s+card\\s+gbdt\\s+1/1\\s+auc 0\\.\\d+`, 'm'));
    expect((await steward('train', 'list', '--status', 'failed')).stdout).toBe('no training jobs\n');
    const shown = await steward('train', 'show', jobId);
    expect(shown.stdout).toMatch(/^registered:\n\s+credit-gbdt v1 \(trial 0\)/m);
    const again = await steward('train', 'register', jobId, '--model', 'credit-onnx', '--format', 'onnx');
    expect(again.stdout).toMatch(/^registered:\s+credit-onnx version 1 \(new model\)$/m);
    expect(again.stdout).toMatch(/^format:\s+onnx \(flavor onnx, status READY\)$/m);
    const err = await steward('train', 'cancel', jobId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(409);
    const missing = await steward('train', 'show', 'nope').catch((e: unknown) => e);
    expect((missing as ApiError).code).toBe('TRAINING_JOB_NOT_FOUND');
  });

  it('returns at once with --no-wait', async () => {
    const r = await steward('train', '--dataset', 'credit@1', '--target', 'card', '--param', 'numRounds=5', '--no-wait');
    expect(r.exitCode).toBe(0);
    const m = /^training job (\S+) is (queued|running|succeeded): follow it with 'steward train show \1'\n$/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    // it goes on without the CLI
    let status = '';
    for (let i = 0; i < 200 && status !== 'succeeded'; i++) {
      status = JSON.parse((await steward('--json', 'train', 'show', m![1]!)).stdout).status;
      if (status !== 'succeeded') await new Promise((res) => setTimeout(res, 100));
    }
    expect(status).toBe('succeeded');
  });

  it('passes the server\'s message naming the field', async () => {
    const target = await steward('train', '--dataset', 'credit@1', '--target', 'cards').catch((e: unknown) => e);
    expect(target).toBeInstanceOf(ApiError);
    expect((target as ApiError).status).toBe(400);
    expect((target as ApiError).message).toMatch(/^target: there is no column 'cards'/);
    const depth = await steward('train', '--dataset', 'credit@1', '--target', 'card', '--param', 'maxDepth=99').catch((e: unknown) => e);
    expect((depth as ApiError).message).toMatch(/^params\.maxDepth: /);
    const space = await steward('train', '--dataset', 'credit@1', '--target', 'card', '--grid', '--space', '{"maxDepth": {"min": 2, "max": 4}}').catch((e: unknown) => e);
    expect((space as ApiError).message).toMatch(/^search\.space\.maxDepth: must be a list of values for a grid search/);
  });
});
