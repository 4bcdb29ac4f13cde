import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { DeploymentView, RevisionView } from '../../modules/deployments/deployments.service.js';
import type { DeploymentSpec, SpecTarget } from '../../serving/deployment-spec.js';
import { cliContext, UsageError } from '../context.js';
import { keyValues, table } from '../output.js';

const q = (project?: string) => (project ? `?project=${encodeURIComponent(project)}` : '');
const deploymentPath = (name: string) => `/api/v1/deployments/${encodeURIComponent(name)}`;
const collect = (value: string, previous: string[] = []) => [...previous, value];

// ---- flags → request body (pure, so that the messages can be tested without a server) ----

export interface TargetRef {
  model: string;
  version?: number;
  alias?: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const WHOLE = /^(0|[1-9][0-9]{0,9})$/;

/** "3" → {version: 3}; "@champion" → {alias: 'champion'}; anything else → null. */
function versionOrAlias(model: string, which: string): TargetRef | null {
  if (!NAME.test(model)) return null;
  if (WHOLE.test(which) && which !== '0') return { model, version: Number(which) };
  if (which.startsWith('@') && NAME.test(which.slice(1))) return { model, alias: which.slice(1) };
  return null;
}

/** `--canary model:version:weight` or `model:@alias:weight`. */
export function parseCanary(value: string): TargetRef & { weight: number } {
  const parts = value.split(':');
  const ref = parts.length === 3 ? versionOrAlias(parts[0]!, parts[1]!) : null;
  if (!ref) throw new UsageError(`--canary '${value}' must be model:version:weight (or model:@alias:weight), e.g. houses:3:10`);
  const w = parts[2]!;
  if (!WHOLE.test(w) || Number(w) < 1 || Number(w) > 99) throw new UsageError(`--canary '${value}': the weight must be a whole percentage from 1 to 99, not '${w}'`);
  return { ...ref, weight: Number(w) };
}

/** `--shadow model:version` or `model:@alias`. */
export function parseShadow(value: string): TargetRef {
  const parts = value.split(':');
  const ref = parts.length === 2 ? versionOrAlias(parts[0]!, parts[1]!) : null;
  if (!ref) throw new UsageError(`--shadow '${value}' must be model:version (or model:@alias), e.g. houses:4`);
  return ref;
}

/** `--batch maxBatchSize[,maxDelayMicros]`. */
export function parseBatch(value: string): { maxBatchSize: number; maxDelayMicros?: number } {
  const m = /^([0-9]+)(?:,([0-9]+))?$/.exec(value.trim());
  if (!m) throw new UsageError(`--batch '${value}' must be maxBatchSize[,maxDelayMicros], e.g. 64,2000`);
  const size = Number(m[1]);
  if (size < 1 || size > 100_000) throw new UsageError(`--batch '${value}': the batch size must be from 1 to 100000 rows`);
  if (m[2] === undefined) return { maxBatchSize: size };
  const delay = Number(m[2]);
  if (delay > 1_000_000) throw new UsageError(`--batch '${value}': the delay must be from 0 to 1000000 microseconds`);
  return { maxBatchSize: size, maxDelayMicros: delay };
}

function wholeFlag(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!WHOLE.test(value) || Number(value) < min || Number(value) > max) throw new UsageError(`${flag} '${value}' must be a whole number from ${min} to ${max}`);
  return Number(value);
}

export interface DeployFlags {
  model: string;
  version?: string;
  alias?: string;
  canary?: string[];
  shadow?: string[];
  batch?: string;
  public?: boolean;
  timeoutMs?: string;
  maxQueue?: string;
  comment?: string;
}

/** The PUT body for `steward deploy`: the main target gets what the canaries leave of 100%. */
export function deployBody(flags: DeployFlags): Record<string, unknown> {
  if ((flags.version === undefined) === (flags.alias === undefined)) throw new UsageError('give exactly one of --version and --alias for the main target');
  const main = versionOrAlias(flags.model, flags.version ?? (flags.alias!.startsWith('@') ? flags.alias! : `@${flags.alias}`));
  if (!main) {
    if (!NAME.test(flags.model)) throw new UsageError(`--model '${flags.model}' is not a model name`);
    throw new UsageError(flags.version !== undefined ? `--version '${flags.version}' must be a version number` : `--alias '${flags.alias}' is not an alias name`);
  }
  const canaries = (flags.canary ?? []).map(parseCanary);
  const share = canaries.reduce((a, c) => a + c.weight, 0);
  if (share >= 100) throw new UsageError(`the --canary weights add up to ${share}%; they must leave the main target some traffic (99% at most in all)`);
  const body: Record<string, unknown> = { targets: [{ ...main, weight: 100 - share }, ...canaries] };
  if (flags.shadow?.length) body.shadow = flags.shadow.map(parseShadow);
  if (flags.batch !== undefined) body.batching = parseBatch(flags.batch);
  if (flags.public) body.public = true;
  const timeoutMs = wholeFlag('--timeout-ms', flags.timeoutMs, 1, 600_000);
  if (timeoutMs !== undefined) body.timeoutMs = timeoutMs;
  const maxQueue = wholeFlag('--max-queue', flags.maxQueue, 1, 1_000_000);
  if (maxQueue !== undefined) body.maxQueue = maxQueue;
  if (flags.comment !== undefined) body.comment = flags.comment;
  return body;
}

// ---- prediction files ----

export type PredictPayload = { kind: 'csv'; text: string } | { kind: 'json'; body: { rows: unknown[] } | { columns: Record<string, unknown> } };

/**
 * What a prediction file holds: CSV (a header of feature names, then rows), or JSON (an array of row
 * objects, {"rows": [...]} or {"columns": {...}}). The format comes from --format, else the extension,
 * else the first character.
 */
export function predictPayload(source: string, raw: string, format?: string): PredictPayload {
  const text = raw.replace(/^\uFEFF/, '');
  if (format !== undefined && format !== 'csv' && format !== 'json') throw new UsageError(`--format must be csv or json, not '${format}'`);
  const ext = extname(source).toLowerCase();
  const kind = format ?? (ext === '.csv' ? 'csv' : ext === '.json' ? 'json' : /^\s*[[{]/.test(text) ? 'json' : 'csv');
  if (text.trim() === '') throw new UsageError(`${source} is empty`);
  if (kind === 'csv') return { kind, text };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${source}: not valid JSON (${(err as Error).message})`);
  }
  const shape = `${source} must hold an array of rows [{feature: value}, …], or {"rows": [...]}, or {"columns": {feature: [values]}}`;
  if (Array.isArray(value)) {
    if (value.length === 0) throw new UsageError(`${source} has no rows`);
    return { kind, body: { rows: value } };
  }
  if (value === null || typeof value !== 'object') throw new UsageError(shape);
  const keys = Object.keys(value);
  const o = value as Record<string, unknown>;
  if (keys.length === 1 && keys[0] === 'rows' && Array.isArray(o.rows)) return { kind, body: { rows: o.rows } };
  if (keys.length === 1 && keys[0] === 'columns' && o.columns !== null && typeof o.columns === 'object' && !Array.isArray(o.columns)) {
    return { kind, body: { columns: o.columns as Record<string, unknown> } };
  }
  throw new UsageError(shape);
}

function compactNumber(n: number, digits: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(digits)));
}

/** A prediction for a table cell: numbers to 6 significant digits, arrays (class probabilities) to 3. */
export function formatPrediction(p: unknown): string {
  if (typeof p === 'number') return compactNumber(p, 6);
  if (Array.isArray(p)) return `[${p.map((x) => (typeof x === 'number' ? compactNumber(x, 3) : String(x))).join(', ')}]`;
  if (typeof p === 'string') return p;
  return JSON.stringify(p) ?? String(p);
}

// ---- views ----

const percent = (t: SpecTarget) => `${t.weight}%`;
const targetName = (t: SpecTarget) => `${t.model} v${t.version}${t.alias ? ` (@${t.alias})` : ''}`;
const targetsLine = (spec: DeploymentSpec) => (spec.targets ?? []).map((t) => `${targetName(t)} ${percent(t)}`).join(', ');

function targetsTable(spec: DeploymentSpec): string {
  const rows = [...(spec.targets ?? []).map((t) => [t.model, t.version, t.alias ? `@${t.alias}` : '', percent(t)]), ...(spec.shadow ?? []).map((t) => [t.model, t.version, t.alias ? `@${t.alias}` : '', 'shadow'])];
  return table(['MODEL', 'VERSION', 'ALIAS', 'TRAFFIC'], rows);
}

function liveText(d: DeploymentView): string {
  return d.live ? 'live' : d.liveRevision === null ? 'not serving here yet' : `this server still serves revision ${d.liveRevision}`;
}

function deploymentText(d: DeploymentView): string {
  const b = d.spec.batching;
  return [
    keyValues([
      ['deployment', d.name],
      ['project', d.project],
      ['revision', `${d.revision} (${liveText(d)})`],
      ['public', d.spec.public ? 'yes (no token needed for inference)' : 'no'],
      ['batching', b ? `up to ${b.maxBatchSize} rows, waiting at most ${b.maxDelayMicros} µs` : 'off'],
      ['timeout', `${d.spec.timeoutMs} ms`],
      ['max queue', `${d.spec.maxQueue} rows per target`],
      ['created', `${d.createdAt} by ${d.createdBy}`],
      ['updated', `${d.updatedAt} by ${d.updatedBy}`],
    ]),
    '',
    targetsTable(d.spec),
  ].join('\n');
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

export async function readSource(file: string): Promise<string> {
  if (file !== '-') return readFile(file, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

interface PredictAnswer {
  predictions: unknown[];
  predictionIds: (string | null)[];
  modelVersion: { model: string; version: number } | null;
  revision?: number;
}

export function deploymentsCommands(program: Command): void {
  program
    .command('deploy <name>')
    .description('create or change a deployment: every deploy writes the whole routing spec as a new revision')
    .requiredOption('--model <model>', 'the main model')
    .option('--version <number>', 'the main version (give this or --alias)')
    .option('--alias <alias>', 'follow this alias of the main model (a new revision is written when it moves)')
    .option('--canary <model:version:weight>', 'also send weight% of the traffic to a version (model:@alias:weight for an alias); repeatable; the main target gets the rest', collect)
    .option('--shadow <model:version>', 'copy every request to a version (model:@alias); its answers are logged, never returned; repeatable', collect)
    .option('--batch <max[,delayMicros]>', 'batch requests: rows per model call, and how long the first may wait (µs)')
    .option('--public', 'allow inference without a token')
    .option('--timeout-ms <n>', 'how long a request may wait for the model before a 503 (default 10000)')
    .option('--max-queue <n>', 'rows that may wait per target before 503s (default 2048)')
    .option('-m, --comment <text>', 'why (kept with the revision)')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (name: string, opts: DeployFlags & { project?: string }, cmd: Command) => {
      const body = deployBody(opts);
      const { client, out } = await cliContext(cmd);
      const d = await client.json<DeploymentView>('PUT', `${deploymentPath(name)}${q(opts.project)}`, body);
      out.result(d, () => `deployment '${d.name}' is at revision ${d.revision} (${liveText(d)})\n\n${targetsTable(d.spec)}`);
    });

  const deployments = program.command('deployments').description('deployments: list, show, revisions, rollback, delete');

  deployments
    .command('list')
    .description('list deployments')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (opts: { project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const r = await client.json<{ items: DeploymentView[] }>('GET', `/api/v1/deployments${q(opts.project)}`);
      out.result(r, () =>
        r.items.length === 0
          ? 'no deployments'
          : table(
              ['NAME', 'REVISION', 'TARGETS', 'SHADOW', 'PUBLIC', 'LIVE', 'UPDATED'],
              r.items.map((d) => [d.name, d.revision, targetsLine(d.spec), (d.spec.shadow ?? []).map(targetName).join(', '), d.spec.public ? 'yes' : '', d.live ? 'yes' : 'no', d.updatedAt]),
            ),
      );
    });

  deployments
    .command('show <name>')
    .description('a deployment and its current revision')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (name: string, opts: { project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const d = await client.json<DeploymentView>('GET', `${deploymentPath(name)}${q(opts.project)}`);
      out.result(d, () => deploymentText(d));
    });

  deployments
    .command('revisions <name>')
    .description('every revision of a deployment, newest first (* marks the current one)')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (name: string, opts: { project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const r = await client.json<{ items: RevisionView[] }>('GET', `${deploymentPath(name)}/revisions${q(opts.project)}`);
      out.result(r, () =>
        table(
          ['REVISION', 'CAUSE', 'TARGETS', 'BY', 'CREATED', 'COMMENT'],
          r.items.map((v) => [`${v.revision}${v.current ? ' *' : ''}`, v.cause, targetsLine(v.spec), v.createdBy, v.createdAt, v.comment]),
        ),
      );
    });

  deployments
    .command('rollback <name>')
    .description('go back to an earlier revision (default: the one before the current), as a new revision')
    .option('--revision <n>', 'the revision to go back to')
    .option('-m, --comment <text>', 'why')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (name: string, opts: { revision?: string; comment?: string; project?: string }, cmd: Command) => {
      const revision = wholeFlag('--revision', opts.revision, 1, 2_147_483_647);
      const { client, out } = await cliContext(cmd);
      const d = await client.json<DeploymentView>('POST', `${deploymentPath(name)}/rollback${q(opts.project)}`, {
        ...(revision !== undefined ? { revision } : {}),
        ...(opts.comment !== undefined ? { comment: opts.comment } : {}),
      });
      out.result(d, () => `rolled back '${d.name}'${revision !== undefined ? ` to the spec of revision ${revision}` : ''}: now at revision ${d.revision} (${liveText(d)})\n\n${targetsTable(d.spec)}`);
    });

  deployments
    .command('delete <name>')
    .description('delete a deployment: its endpoints answer 404 from then on (asks first on a terminal)')
    .option('-y, --yes', 'do not ask (needed when not on a terminal)')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (name: string, opts: { yes?: boolean; project?: string }, cmd: Command) => {
      if (!opts.yes && (!process.stdin.isTTY || !process.stderr.isTTY)) throw new UsageError(`deleting deployment '${name}' needs --yes when not run on a terminal`);
      const { client, out } = await cliContext(cmd);
      if (!opts.yes) {
        const d = await client.json<DeploymentView>('GET', `${deploymentPath(name)}${q(opts.project)}`);
        if (!(await confirm(`delete deployment '${d.name}' in project '${d.project}' (revision ${d.revision}: ${targetsLine(d.spec)})? Its endpoints will answer 404.`))) {
          out.info('nothing deleted');
          process.exitCode = 1;
          return;
        }
      }
      const r = await client.json<{ name: string; project: string; lastRevision: number }>('DELETE', `${deploymentPath(name)}${q(opts.project)}`);
      out.result(r, () => `deleted deployment '${r.name}' in project '${r.project}' (it was at revision ${r.lastRevision})`);
    });

  program
    .command('predict <name>')
    .description('predict with a deployment from a CSV file (header of feature names) or a JSON file (rows or columns)')
    .requiredOption('-f, --file <file>', "rows.csv or rows.json; '-' reads standard input")
    .option('--format <format>', 'csv or json (default: from the extension, else from the content)')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (name: string, opts: { file: string; format?: string; project?: string }, cmd: Command) => {
      let raw: string;
      try {
        raw = await readSource(opts.file);
      } catch (err) {
        throw new UsageError(`cannot read ${opts.file}: ${(err as Error).message}`);
      }
      const payload = predictPayload(opts.file === '-' ? '(stdin)' : opts.file, raw, opts.format);
      const { client, out } = await cliContext(cmd);
      let answer: PredictAnswer;
      if (payload.kind === 'csv') {
        // The MLflow scoring protocol: predictions in the body, ids and the version in headers.
        const r = await client.text<{ predictions: unknown[] }>('POST', `/deployments/${encodeURIComponent(name)}/invocations${q(opts.project)}`, payload.text, 'text/csv');
        const n = r.body.predictions.length;
        const header = r.headers.get('x-prediction-id') ?? '';
        let ids: (string | null)[] = header === '' ? [] : header.split(',');
        if (ids.length !== n) {
          out.info(`note: the server sent ${ids.length} prediction ids for ${n} rows; send a JSON file to get every id`);
          ids = Array.from({ length: n }, (_, i) => (ids[i] !== undefined && ids[i] !== '…' ? ids[i]! : null));
        }
        const mv = /^(.+):([0-9]+)$/.exec(r.headers.get('x-model-version') ?? '');
        answer = { predictions: r.body.predictions, predictionIds: ids, modelVersion: mv ? { model: mv[1]!, version: Number(mv[2]) } : null };
      } else {
        answer = await client.json<PredictAnswer>('POST', `${deploymentPath(name)}/predict${q(opts.project)}`, payload.body);
      }
      const { predictions, predictionIds, modelVersion } = answer;
      out.result({ predictions, predictionIds, modelVersion }, () => {
        const rows = predictions.map((p, i) => [i + 1, formatPrediction(p), predictionIds[i] ?? '']);
        const by = modelVersion ? `, by ${modelVersion.model} version ${modelVersion.version}${answer.revision !== undefined ? ` (deployment revision ${answer.revision})` : ''}` : '';
        return `${table(['ROW', 'PREDICTION', 'PREDICTION ID'], rows)}\n(${predictions.length} row${predictions.length === 1 ? '' : 's'}${by})`;
      });
    });
}
