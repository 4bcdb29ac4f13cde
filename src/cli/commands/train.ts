/**
 * `steward train …`: training jobs through /api/v1/training-jobs. `steward train --dataset d@v --target y`
 * asks for a training, follows it (a progress line on a terminal; Ctrl-C asks the server to cancel it) and
 * ends with a summary: status, rows, the trials (the best marked), the best trial's feature importance, the
 * run ids and, with --register, the model version made from the best trial with its ONNX check.
 * `list`, `show`, `cancel` and `register` act on jobs already asked for.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { TrainingRegistered } from '../../modules/training/training-registration.js';
import type { TrainingJobView, TrialView } from '../../modules/training/training.service.js';
import { ApiError, type StewardClient } from '../client.js';
import { cliContext, UsageError } from '../context.js';
import type { Output } from '../output.js';
import { keyValues, table as paddedTable } from '../output.js';
import { durationText, timeText } from './tracking.js';

const jobsPath = '/api/v1/training-jobs';
const jobPath = (id: string) => `${jobsPath}/${encodeURIComponent(id)}`;
const POLL_MS = 500;
const ENDED = new Set(['succeeded', 'failed', 'cancelled']);
const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

/** output.ts's table without the padding an empty last cell leaves at the end of a line. */
const table = (headers: string[], rows: (string | number | null | undefined)[][]) =>
  paddedTable(headers, rows)
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');

const section = (title: string, body: string) => `\n${title}:\n${body.replace(/^/gm, '  ')}`;

/** A number for a table: 5 significant digits, exponent form for the very large or small. */
export function num(v: number | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) >= 1e6 || Math.abs(v) < 1e-4)) return v.toExponential(3);
  return String(Number(v.toPrecision(5)));
}

// ---- flags → request body (pure, so that the messages can be tested without a server) ----

export type ParamValue = number | boolean;

/** Repeatable `--param name=value`: a number, or true/false. */
export function collectParam(value: string, previous: Record<string, ParamValue> = {}): Record<string, ParamValue> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`'${value}' must be name=value, e.g. numRounds=100`);
  const name = value.slice(0, eq).trim();
  const text = value.slice(eq + 1).trim();
  if (Object.hasOwn(previous, name)) throw new InvalidArgumentError(`'${name}' is given twice`);
  let v: ParamValue;
  if (text === 'true' || text === 'false') v = text === 'true';
  else {
    const n = Number(text);
    if (text === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`'${value}': the value must be a number or true/false`);
    v = n;
  }
  return { ...previous, [name]: v };
}

export interface TrainFlags {
  dataset?: string;
  target?: string;
  algo?: string;
  task?: string;
  features?: string;
  param?: Record<string, ParamValue>;
  search?: string;
  grid?: boolean;
  space?: string;
  folds?: string;
  validationFraction?: string;
  validationDataset?: string;
  seed?: string;
  metric?: string;
  timeBudget?: string;
  experiment?: string;
  runName?: string;
  register?: string;
  wait?: boolean;
  project?: string;
}

const DATASET_REF = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}@[1-9][0-9]{0,9}$/;

function datasetRef(flag: string, value: string): string {
  if (!DATASET_REF.test(value)) throw new UsageError(`${flag} '${value}' must be name@version, e.g. credit@1`);
  return value;
}

function whole(flag: string, value: string, min: number, max: number): number {
  if (!/^[0-9]{1,10}$/.test(value) || Number(value) < min || Number(value) > max) throw new UsageError(`${flag} '${value}' must be a whole number from ${min} to ${max}`);
  return Number(value);
}

/** The POST /api/v1/training-jobs body the flags ask for; a UsageError for flags that cannot go together. */
export function trainBody(flags: TrainFlags): Record<string, unknown> {
  if (flags.dataset === undefined) throw new UsageError("--dataset is required: the dataset version to train on, e.g. --dataset credit@1 (or a subcommand: list, show, cancel, register)");
  if (flags.target === undefined || flags.target.trim() === '') throw new UsageError('--target is required: the column to predict');
  const body: Record<string, unknown> = { dataset: datasetRef('--dataset', flags.dataset), target: flags.target };
  if (flags.project !== undefined) body.project = flags.project;
  if (flags.task !== undefined) body.task = flags.task;
  if (flags.algo !== undefined) body.algorithm = flags.algo;
  if (flags.features !== undefined) {
    const features = flags.features.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (features.length === 0) throw new UsageError('--features: name at least one column, e.g. --features age,income');
    body.features = features;
  }
  if (flags.param !== undefined && Object.keys(flags.param).length > 0) body.params = flags.param;
  const seed = flags.seed === undefined ? undefined : whole('--seed', flags.seed, 0, 2_147_483_647);

  // Search: --search n (random over --space or the server's default space), --grid (over --space).
  if (flags.grid && flags.space === undefined) throw new UsageError("--grid needs --space with a list of values per parameter, e.g. --space '{\"maxDepth\": [3, 6]}'");
  if (flags.space !== undefined && flags.search === undefined && !flags.grid) throw new UsageError('--space needs --search <trials> (random search) or --grid');
  if (flags.search !== undefined || flags.grid) {
    const search: Record<string, unknown> = {};
    if (flags.grid) search.method = 'grid';
    if (flags.search !== undefined) search.trials = whole('--search', flags.search, 1, 500);
    if (flags.space !== undefined) {
      let space: unknown;
      try {
        space = JSON.parse(flags.space);
      } catch (err) {
        throw new UsageError(`--space is not valid JSON (${(err as Error).message})`);
      }
      if (space === null || typeof space !== 'object' || Array.isArray(space)) {
        throw new UsageError('--space must be a JSON object: {"param": [values]} or {"param": {"min": a, "max": b, "log": true}}');
      }
      search.space = space;
    }
    if (seed !== undefined) search.seed = seed;
    body.search = search;
  }

  // Validation: one of --folds, --validation-fraction, --validation-dataset.
  const given = [
    flags.folds !== undefined ? '--folds' : null,
    flags.validationFraction !== undefined ? '--validation-fraction' : null,
    flags.validationDataset !== undefined ? '--validation-dataset' : null,
  ].filter((x) => x !== null);
  if (given.length > 1) throw new UsageError(`give one of --folds, --validation-fraction or --validation-dataset, not ${given.join(' and ')}`);
  if (flags.folds !== undefined) body.validation = { folds: whole('--folds', flags.folds, 2, 20), ...(seed !== undefined ? { seed } : {}) };
  else if (flags.validationFraction !== undefined) {
    const f = Number(flags.validationFraction);
    if (flags.validationFraction.trim() === '' || !(f >= 0.01 && f <= 0.5)) throw new UsageError(`--validation-fraction '${flags.validationFraction}' must be a number from 0.01 to 0.5`);
    body.validation = { fraction: f, ...(seed !== undefined ? { seed } : {}) };
  } else if (flags.validationDataset !== undefined) body.validation = { dataset: datasetRef('--validation-dataset', flags.validationDataset) };
  else if (seed !== undefined) body.validation = { fraction: 0.2, seed };

  if (flags.metric !== undefined) body.metric = flags.metric;
  if (flags.timeBudget !== undefined) {
    const t = Number(flags.timeBudget);
    if (flags.timeBudget.trim() === '' || !Number.isFinite(t) || t < 1) throw new UsageError(`--time-budget '${flags.timeBudget}' must be a number of seconds (at least 1)`);
    body.timeBudgetSeconds = t;
  }
  if (flags.experiment !== undefined) body.experiment = flags.experiment;
  if (flags.runName !== undefined) body.runName = flags.runName;
  if (flags.register !== undefined && flags.wait === false) throw new UsageError('--register needs the job to finish: drop --no-wait, or run steward train register <id> --model <model> later');
  return body;
}

// ---- views ----

const maximized = (metric: string) => metric === 'auc';

/** Parameters whose values differ between the trials, in the order of the first trial. */
export function varyingParams(trials: readonly Pick<TrialView, 'params'>[]): string[] {
  if (trials.length < 2) return [];
  const names = [...new Set(trials.flatMap((t) => Object.keys(t.params)))];
  return names.filter((name) => new Set(trials.map((t) => String(t.params[name]))).size > 1);
}

/** The trials as a table: index (as `--trial` takes it), status, the params that vary, the metrics (the job's first), rounds, duration, run. */
export function trialsTable(job: Pick<TrainingJobView, 'metric' | 'result'>): string {
  const trials = job.result?.trials ?? [];
  if (trials.length === 0) return 'no trials';
  const best = job.result?.best ?? null;
  const varying = varyingParams(trials);
  const metrics = [job.metric, ...[...new Set(trials.flatMap((t) => Object.keys(t.metrics)))].filter((m) => m !== job.metric).sort()];
  const rows = trials.map((t) => [
    `${t.index}${t.index === best ? ' *' : ''}`,
    t.status + (t.stoppedBy ? ` (${t.stoppedBy})` : ''),
    ...varying.map((p) => num(t.params[p])),
    ...metrics.map((m) => num(m === job.metric ? (t.score ?? t.metrics[m]) : t.metrics[m])),
    t.status === 'RUNNING' || t.roundsTrained === 0 ? '' : t.rounds === t.roundsTrained ? String(t.rounds) : `${t.rounds} of ${t.roundsTrained}`,
    t.status === 'RUNNING' ? '' : durationText(Math.round(t.durationMs)),
    t.runId,
  ]);
  const text = table(['TRIAL', 'STATUS', ...varying, ...metrics.map((m, i) => (i === 0 ? `${m.toUpperCase()} (${maximized(m) ? 'higher' : 'lower'} is better)` : m.toUpperCase())), 'ROUNDS', 'DURATION', 'RUN ID'], rows);
  const errors = trials.filter((t) => t.error).map((t) => `trial ${t.index}: ${t.error}`);
  return [text, ...(best !== null ? [`* best by ${job.metric}`] : []), ...errors].join('\n');
}

/** The best trial's most important features (top 10). */
export function importanceTable(trial: Pick<TrialView, 'importance'>, algorithm: string, top = 10): string {
  const rows = trial.importance.slice(0, top);
  if (rows.length === 0) return 'no importance recorded';
  const withSplits = rows.some((r) => r.splits !== null);
  const total = trial.importance.reduce((s, r) => s + r.gain, 0);
  const text = table(
    ['#', 'FEATURE', algorithm === 'linear' ? '|STD COEF|' : 'GAIN', 'SHARE', ...(withSplits ? ['SPLITS'] : [])],
    rows.map((r, i) => [i + 1, r.feature, num(r.gain), total > 0 ? `${((100 * r.gain) / total).toFixed(1)}%` : '', ...(withSplits ? [r.splits ?? ''] : [])]),
  );
  return trial.importance.length > top ? `${text}\n(${trial.importance.length - top} more features)` : text;
}

function statusText(job: Pick<TrainingJobView, 'status' | 'result' | 'error' | 'cancelRequested'>): string {
  const stopped = job.result?.stoppedBy;
  if (job.status === 'succeeded' && stopped === 'time budget') return 'succeeded (stopped by its time budget: the best model so far is kept)';
  if ((job.status === 'running' || job.status === 'queued') && job.cancelRequested) return `${job.status} (cancel requested)`;
  return job.status;
}

function validationText(v: TrainingJobView['validation']): string {
  if (v.kind === 'holdout') return `holdout ${v.fraction} (seed ${v.seed})`;
  if (v.kind === 'kfold') return `${v.folds}-fold cross-validation (seed ${v.seed})`;
  return `dataset ${v.dataset.name}@${v.dataset.version}`;
}

function paramsText(params: Record<string, number>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${num(v)}`)
    .join(' ');
}

/** The version registered and its ONNX check. */
export function registrationText(r: TrainingRegistered): string {
  const v = r.version;
  const ref = 'jobId' in r.reference ? `requested (job ${r.reference.jobId})` : `not requested: ${r.reference.error}`;
  return keyValues([
    ['registered', `${v.model} version ${v.version}${r.modelCreated ? ' (new model)' : ''}`],
    ['format', `${r.format} (flavor ${v.flavor}, status ${v.status})`],
    ['from', `trial ${r.trial}, run ${r.runId}`],
    ['onnx check', `max |difference| ${num(r.onnx.maxAbsDiff)} against the native model on ${r.onnx.rowsCompared} rows`],
    ['onnx file', `${r.onnx.path} (sha256 ${r.onnx.sha256.slice(0, 12)}…)`],
    ['reference', ref],
  ]);
}

/** A training job as text: what was asked, status, rows, trials (the best marked), the best trial's importance and runs. */
export function jobText(job: TrainingJobView, registration?: TrainingRegistered): string {
  const res = job.result;
  const best = res && res.best !== null ? (res.trials[res.best] ?? null) : null;
  const finished = res ? res.trials.filter((t) => t.status === 'FINISHED').length : 0;
  const elapsed = job.startedAt ? (job.finishedAt ? Date.parse(job.finishedAt) : Date.now()) - Date.parse(job.startedAt) : null;
  const head = keyValues([
    ['training job', job.id],
    ['status', statusText(job)],
    ['error', job.error ?? undefined],
    ['progress', job.progress && !ENDED.has(job.status) ? `${(job.progress.fraction * 100).toFixed(0)}% ${job.progress.message}` : undefined],
    ['project', job.project],
    ['dataset', `${job.dataset.name}@${job.dataset.version}`],
    ['target', `${job.target} (${job.task}${job.classes.length > 0 ? `: classes ${job.classes.join(', ')}` : ''})`],
    ['algorithm', job.algorithm],
    ['metric', `${job.metric} (${maximized(job.metric) ? 'higher' : 'lower'} is better)`],
    ['features', `${job.features.length}${job.skipped.length > 0 ? ` (left out: ${job.skipped.map((s) => `${s.column} (${s.type})`).join(', ')})` : ''}`],
    ['validation', validationText(job.validation)],
    ['params', Object.keys(job.params).length > 0 ? paramsText(job.params) : undefined],
    ['search', job.search ? `${job.search.method}, ${job.search.trials} trials over ${Object.keys(job.search.space).join(', ')}` : undefined],
    ['time budget', job.timeBudgetSeconds !== null ? `${job.timeBudgetSeconds}s` : undefined],
    [
      'rows',
      res && res.rows.total > 0
        ? `${res.rows.total} (train ${res.rows.train}, validation ${res.rows.validation}${res.rows.droppedMissingTarget > 0 ? `, ${res.rows.droppedMissingTarget} left out for a missing target` : ''})`
        : undefined,
    ],
    ['trials', res ? `${finished} of ${res.plannedTrials} finished${res.stoppedBy === 'time budget' ? ' (stopped by its time budget)' : res.stoppedBy ? ` (${res.stoppedBy})` : ''}` : undefined],
    ['experiment', job.experimentId ?? undefined],
    ['parent run', job.runId ?? undefined],
    ['created', `${timeText(job.createdAt)} by ${job.createdBy}`],
    ['duration', elapsed !== null && Number.isFinite(elapsed) ? durationText(elapsed) : undefined],
  ]);
  const parts = [head];
  if (res && res.trials.length > 0) parts.push(section('trials', trialsTable(job)));
  if (best) {
    parts.push(section(`best: trial ${best.index} (run ${best.runId})`, keyValues([['params', paramsText(best.params)], ['model file', best.modelPath ?? undefined], ['note', best.note ?? undefined]])));
    parts.push(section(`feature importance of trial ${best.index} (top ${Math.min(10, best.importance.length)})`, importanceTable(best, job.algorithm)));
  }
  const earlier = (res?.registered ?? []).filter((r) => !registration || r.model !== registration.version.model || r.version !== registration.version.version);
  if (earlier.length > 0) parts.push(section('registered', earlier.map((r) => `${r.model} v${r.version} (trial ${r.trial}) at ${timeText(r.at)} by ${r.by}`).join('\n')));
  if (registration) parts.push(section('registration', registrationText(registration)));
  return parts.join('\n');
}

/** The one-line progress: bar, percentage, the server's message, elapsed time. */
export function progressLine(fraction: number, message: string, elapsedMs: number, columns = 100): string {
  const f = Math.min(Math.max(Number.isFinite(fraction) ? fraction : 0, 0), 1);
  const width = 20;
  const filled = Math.round(f * width);
  const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(f * 100).toFixed(0).padStart(3)}% ${durationText(Math.round(elapsedMs)).padStart(6)}  ${message}`;
  return line.length > columns - 1 ? `${line.slice(0, Math.max(columns - 2, 10))}…` : line;
}

/** 0 when the job succeeded (also when its time budget stopped it), 1 otherwise. */
export const exitCodeOf = (job: Pick<TrainingJobView, 'status'>): number => (job.status === 'succeeded' ? 0 : 1);

// ---- following a job ----

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/**
 * Polls a job every 500 ms until it ends. On a terminal, a progress line on stderr; otherwise a line per
 * trial that ends. Ctrl-C asks the server to cancel (once) and keeps following; a second Ctrl-C stops following.
 */
export async function followJob(client: StewardClient, out: Output, first: TrainingJobView, quiet = false): Promise<TrainingJobView> {
  let job = first;
  const started = Date.now();
  let cancelSent = false;
  let drawn = false;
  const reported = new Set<number>();
  let lastStatus = job.status;
  const clear = () => {
    if (drawn) process.stderr.write('\r\u001b[K');
    drawn = false;
  };
  const onSigint = () => {
    if (cancelSent) {
      clear();
      process.stderr.write(`stopped following training job ${job.id}; it is being cancelled on the server (steward train show ${job.id})\n`);
      process.exit(130);
    }
    cancelSent = true;
    clear();
    process.stderr.write(`cancelling training job ${job.id} (a running fit stops after its current round; Ctrl-C again to stop following)\n`);
    client.json<TrainingJobView>('POST', `${jobPath(job.id)}/cancel`).catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 409) return;
      process.stderr.write(`could not cancel: ${(err as Error).message}\n`);
    });
  };
  process.on('SIGINT', onSigint);
  let failures = 0;
  try {
    while (!ENDED.has(job.status)) {
      await sleep(POLL_MS);
      try {
        job = await client.json<TrainingJobView>('GET', jobPath(job.id));
        failures = 0;
      } catch (err) {
        // A server restarting or a dropped connection: try again for a while.
        if (!(err instanceof ApiError) || (err.status !== 0 && err.status < 500) || ++failures > 20) throw err;
        continue;
      }
      if (out.progress) {
        const message = job.progress?.message ?? job.status;
        const columns = (process.stderr.columns ?? 0) >= 40 ? process.stderr.columns : 100;
        process.stderr.write(`\r${progressLine(job.progress?.fraction ?? 0, job.cancelRequested ? `cancelling · ${message}` : message, Date.now() - started, columns)}\u001b[K`);
        drawn = true;
      } else if (!quiet) {
        if (job.status !== lastStatus && !ENDED.has(job.status)) out.info(`training job ${job.id}: ${job.status}`);
        for (const t of job.result?.trials ?? []) {
          if (t.status === 'RUNNING' || reported.has(t.index)) continue;
          reported.add(t.index);
          const planned = job.result?.plannedTrials ?? 1;
          const score = t.score !== null ? ` ${job.metric} ${num(t.score)}` : '';
          out.info(`trial ${t.index + 1} of ${planned}: ${t.status}${score}${t.status === 'FINISHED' ? ` (${job.algorithm === 'gbdt' ? `${t.rounds} rounds, ` : ''}${durationText(Math.round(t.durationMs))})` : t.error ? `: ${t.error}` : ''}`);
        }
      }
      lastStatus = job.status;
    }
  } finally {
    clear();
    process.off('SIGINT', onSigint);
  }
  return job;
}

async function register(client: StewardClient, id: string, body: Record<string, unknown>): Promise<TrainingRegistered> {
  return client.json<TrainingRegistered>('POST', `${jobPath(id)}/register`, body);
}

function listText(items: readonly TrainingJobView[]): string {
  if (items.length === 0) return 'no training jobs';
  return table(
    ['ID', 'STATUS', 'DATASET', 'TARGET', 'ALGORITHM', 'TRIALS', 'BEST', 'CREATED', 'BY'],
    items.map((j) => {
      const res = j.result;
      const best = res && res.best !== null ? res.trials[res.best] : undefined;
      return [
        j.id,
        statusText(j),
        `${j.dataset.name}@${j.dataset.version}`,
        j.target,
        j.algorithm,
        res ? `${res.trials.filter((t) => t.status === 'FINISHED').length}/${res.plannedTrials}` : '',
        best && best.score !== null ? `${j.metric} ${num(best.score)}` : '',
        timeText(j.createdAt),
        j.createdBy,
      ];
    }),
  );
}

interface Globals {
  json?: boolean;
  quiet?: boolean;
  project?: string;
}

export function trainCommands(program: Command): void {
  const train = program
    .command('train')
    .description('train a model on a dataset version (gbdt or linear; a search over params), follow it, register the best; or: list, show, cancel, register')
    .option('--dataset <name@version>', 'the dataset version to train on')
    .option('--target <column>', 'the column to predict')
    .addOption(new Option('--algo <algorithm>', 'gbdt (default) or linear').choices(['gbdt', 'linear']))
    .addOption(new Option('--task <task>', 'binary, multiclass or regression (default: from the target)').choices(['binary', 'multiclass', 'regression']))
    .option('--features <list>', 'comma-separated feature columns (default: every numeric, integer and boolean column but the target)')
    .option('--param <name=value>', 'a parameter: a number or true/false, e.g. numRounds=100 (repeatable)', collectParam)
    .option('--search <trials>', 'a search of this many trials: random over --space, or over the server\'s default space')
    .option('--grid', 'grid search over --space (every combination, or --search of them)')
    .option('--space <json>', 'the search space: {"param": [values] | {"min": a, "max": b, "log": true}}')
    .option('--folds <k>', 'k-fold cross-validation (then a refit on every row)')
    .option('--validation-fraction <f>', 'hold out this fraction of the rows for validation (default 0.2)')
    .option('--validation-dataset <name@version>', 'validate on another dataset version')
    .option('--seed <n>', 'seed of the validation split and of the search')
    .option('--metric <metric>', 'the validation metric that ranks trials: auc or logloss (binary), mlogloss or merror (multiclass), rmse')
    .option('--time-budget <seconds>', 'stop after this long, keeping the best model so far')
    .option('--experiment <name>', 'the tracking experiment (default: "train <dataset>")')
    .option('--run-name <name>', 'name of the parent run')
    .option('--register <model>', 'when it succeeds, register the best trial as a version of this model')
    .option('--no-wait', 'return once the job is queued')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (opts: TrainFlags, cmd: Command) => {
      const body = trainBody(opts);
      const { client, out } = await cliContext(cmd);
      const submitted = await client.json<TrainingJobView>('POST', jobsPath, body);
      if (opts.wait === false) {
        out.result(submitted, () => `training job ${submitted.id} is ${submitted.status}: follow it with 'steward train show ${submitted.id}'`);
        return;
      }
      out.info(`training job ${submitted.id}: ${submitted.algorithm} ${submitted.task} on ${submitted.dataset.name}@${submitted.dataset.version} predicting ${submitted.target}`);
      const job = await followJob(client, out, submitted, cmd.optsWithGlobals<Globals>().quiet === true);
      let registration: TrainingRegistered | undefined;
      let registerError: unknown;
      if (opts.register !== undefined) {
        if (job.status === 'succeeded') {
          try {
            registration = await register(client, job.id, { model: opts.register });
          } catch (err) {
            registerError = err;
          }
        } else {
          out.info(`not registered: the job ${job.status === 'cancelled' ? 'was cancelled' : 'failed'} (steward train register ${job.id} --model ${opts.register} registers a finished trial)`);
        }
      }
      out.result(registration ? { ...job, registration } : job, () => jobText(job, registration));
      if (registerError) throw registerError;
      process.exitCode = exitCodeOf(job);
    });

  train
    .command('list')
    .description("a project's training jobs, newest first")
    .addOption(new Option('--status <status>', 'only jobs in this status').choices(STATUSES))
    .option('--limit <n>', 'at most this many (1-200, default 50)')
    .option('--cursor <cursor>', 'the next page, as printed after a full page')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (opts: { status?: string; limit?: string; cursor?: string; project?: string }, cmd: Command) => {
      const limit = opts.limit === undefined ? undefined : whole('--limit', opts.limit, 1, 200);
      // `train` has a --project of its own, which commander may have taken: read both.
      const project = opts.project ?? cmd.optsWithGlobals<Globals>().project;
      const { client, out } = await cliContext(cmd);
      const search = new URLSearchParams();
      if (project !== undefined) search.set('project', project);
      if (opts.status !== undefined) search.set('status', opts.status);
      if (limit !== undefined) search.set('limit', String(limit));
      if (opts.cursor !== undefined) search.set('cursor', opts.cursor);
      const q = search.toString();
      const r = await client.json<{ items: TrainingJobView[]; nextCursor: string | null }>('GET', `${jobsPath}${q ? `?${q}` : ''}`);
      out.result(r, () => (r.nextCursor ? `${listText(r.items)}\n(more: --cursor ${r.nextCursor})` : listText(r.items)));
    });

  train
    .command('show <id>')
    .description('a training job: status, rows, trials (the best marked), the best trial\'s feature importance, runs and registrations')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const job = await client.json<TrainingJobView>('GET', jobPath(id));
      out.result(job, () => jobText(job));
    });

  train
    .command('cancel <id>')
    .description('cancel a queued or running training job (a running fit stops after its current round)')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const job = await client.json<TrainingJobView>('POST', `${jobPath(id)}/cancel`);
      out.result(job, () =>
        job.status === 'cancelled' ? `training job ${job.id} is cancelled` : `asked training job ${job.id} to stop (it is ${job.status}; a running fit stops after its current round)`,
      );
    });

  train
    .command('register <id>')
    .description("register a trial's model (the best by default) as a model version, with its ONNX export checked")
    .requiredOption('--model <model>', 'the model (made when it does not exist)')
    .option('--trial <n>', 'the trial index, as in the TRIAL column (default: the best)')
    .addOption(new Option('--format <format>', 'xgboost-json (trees; the default for gbdt) or onnx').choices(['xgboost-json', 'onnx']))
    .option('-d, --description <text>', 'the version\'s description')
    .action(async (id: string, opts: { model: string; trial?: string; format?: string; description?: string }, cmd: Command) => {
      const body: Record<string, unknown> = { model: opts.model };
      if (opts.trial !== undefined) body.trial = whole('--trial', opts.trial, 0, 100_000);
      if (opts.format !== undefined) body.format = opts.format;
      if (opts.description !== undefined) body.description = opts.description;
      const { client, out } = await cliContext(cmd);
      const r = await register(client, id, body);
      out.result(r, () => registrationText(r));
    });
}
