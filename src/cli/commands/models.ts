import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { ApiError } from '../client.js';
import { cliContext, collectPair, UsageError } from '../context.js';
import { formatBytes, keyValues, table } from '../output.js';
import { createProgress } from '../progress.js';
import type { ModelDetailView, VersionDetailView, VersionView } from '../../modules/models/model-views.js';

// The API's own response types (type-only imports: no server code is loaded by the CLI).
type ModelView = ModelDetailView;
type Page<T> = { items: T[]; nextCursor: string | null };

const q = (project?: string) => (project ? `?project=${encodeURIComponent(project)}` : '');
const modelPath = (name: string) => `/api/v1/models/${encodeURIComponent(name)}`;

function signatureText(sig: VersionView['signature']): string {
  if (!sig) return '(none)';
  const fmt = (t: { name: string; datatype: string; shape: number[] }) => `${t.name}: ${t.datatype}[${t.shape.map((d) => (d === -1 ? '?' : d)).join(', ')}]`;
  return `inputs (${sig.inputs.map(fmt).join('; ')}) → outputs (${sig.outputs.map(fmt).join('; ')})`;
}

function versionText(v: VersionView | VersionDetailView): string {
  const datasets = 'datasets' in v && v.datasets.length > 0 ? v.datasets.map((d) => `${d.dataset}@${d.version} (${d.role})`).join(', ') : undefined;
  return keyValues([
    ['model', v.model],
    ['version', v.version],
    ['status', v.statusMessage ? `${v.status}: ${v.statusMessage}` : v.status],
    ['stage', v.stage],
    ['aliases', v.aliases.join(', ') || '(none)'],
    ['flavor', v.flavor],
    ['sha256', v.sha256],
    ['size', formatBytes(v.size)],
    ['signature', signatureText(v.signature)],
    ['metrics', Object.keys(v.metrics).length ? v.metrics : undefined],
    ['params', Object.keys(v.params).length ? v.params : undefined],
    ['tags', Object.keys(v.tags).length ? v.tags : undefined],
    ['datasets', datasets],
    ['author', v.author],
    ['created', v.createdAt],
  ]);
}

/** A JSON value given inline or as @file. */
async function jsonArg(flag: string, value: string | undefined): Promise<unknown> {
  if (value === undefined) return undefined;
  const text = value.startsWith('@') ? await readFile(value.slice(1), 'utf8') : value;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${flag}: not valid JSON (${(err as Error).message})`);
  }
}

/** For option values (Commander reports the error). */
function positiveInt(value: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(value)) throw new InvalidArgumentError('must be a positive integer');
  return Number(value);
}

/** "--dataset hmda@2:train" → {dataset, version, role}. */
function collectDataset(value: string, previous: { dataset: string; version: number; role: string }[] = []) {
  const m = /^([^@:]+)@([1-9][0-9]{0,9})(?::([a-z]+))?$/.exec(value);
  if (!m) throw new InvalidArgumentError(`'${value}' must be name@version or name@version:role`);
  return [...previous, { dataset: m[1]!, version: Number(m[2]), role: m[3] ?? 'train' }];
}

/** For positional arguments checked inside an action. */
function versionNumber(value: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(value)) throw new UsageError(`'${value}' is not a version number`);
  return Number(value);
}

export function modelsCommand(program: Command): void {
  const models = program.command('models').description('registered models and their versions');

  models
    .command('create <name>')
    .description('register a model name')
    .option('-d, --description <text>', 'what the model is for')
    .option('--tag <key=value>', 'a tag (repeatable)', collectPair)
    .option('--owner <user>', 'owner (defaults to you)')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (name: string, opts: { description?: string; tag?: [string, string][]; owner?: string; project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const m = await client.json<ModelView>('POST', '/api/v1/models', {
        name,
        description: opts.description,
        tags: opts.tag ? Object.fromEntries(opts.tag) : undefined,
        owner: opts.owner,
        project: opts.project,
      });
      out.result(m, () => `created model '${m.name}' in project '${m.project}'`);
    });

  models
    .command('list')
    .description('search registered models')
    .option('-p, --project <project>', 'project (default: default)')
    .option('--name <text>', 'part of the name')
    .option('--tag <key[=value]>', 'has this tag (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--stage <stage>', 'has a version in this stage')
    .option('--alias <alias>', 'has this alias')
    .option('--order-by <field>', 'name, createdAt or updatedAt')
    .option('--order <dir>', 'asc or desc')
    .option('--limit <n>', 'page size', positiveInt)
    .option('--all', 'follow every page')
    .action(async (opts: Record<string, string | string[] | number | boolean | undefined>, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const items: ModelView[] = [];
      let cursor: string | null = null;
      do {
        const params = new URLSearchParams();
        for (const [key, param] of [['project', 'project'], ['name', 'name'], ['stage', 'stage'], ['alias', 'alias'], ['orderBy', 'orderBy'], ['order', 'order'], ['limit', 'limit']] as const) {
          if (opts[key] !== undefined) params.set(param, String(opts[key]));
        }
        for (const t of (opts.tag as string[] | undefined) ?? []) params.append('tag', t);
        if (cursor) params.set('cursor', cursor);
        const page: Page<ModelView> = await client.json('GET', `/api/v1/models?${params}`);
        items.push(...page.items);
        cursor = opts.all ? page.nextCursor : null;
      } while (cursor);
      out.result({ items }, () =>
        items.length === 0
          ? 'no models'
          : table(
              ['NAME', 'VERSIONS', 'ALIASES', 'OWNER', 'UPDATED'],
              items.map((m) => [m.name, m.lastVersion, Object.entries(m.aliases).map(([a, v]) => `${a}→${v}`).join(' '), m.owner, m.updatedAt]),
            ),
      );
    });

  models
    .command('show <name> [version]')
    .description("a model and its versions, or one version ('latest', a number or @alias)")
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (name: string, version: string | undefined, opts: { project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      if (version !== undefined) {
        const v = await client.json<VersionDetailView>('GET', `${modelPath(name)}/versions/${encodeURIComponent(version)}${q(opts.project)}`);
        out.result(v, () => versionText(v));
        return;
      }
      const m = await client.json<ModelView>('GET', `${modelPath(name)}${q(opts.project)}`);
      const versions = await client.json<Page<VersionView>>('GET', `${modelPath(name)}/versions${opts.project ? `?project=${encodeURIComponent(opts.project)}&` : '?'}limit=1000`);
      out.result({ ...m, versions: versions.items }, () => {
        const head = keyValues([
          ['model', m.name],
          ['project', m.project],
          ['description', m.description || undefined],
          ['owner', m.owner],
          ['tags', Object.keys(m.tags).length ? m.tags : undefined],
          ['aliases', Object.entries(m.aliases).map(([a, v]) => `${a}→${v}`).join(', ') || '(none)'],
          ['created', `${m.createdAt} by ${m.createdBy}`],
        ]);
        if (versions.items.length === 0) return `${head}\n\nno versions yet`;
        const rows = versions.items.map((v) => [v.version, v.status, v.stage, v.aliases.join(','), v.sha256.slice(0, 12), formatBytes(v.size), v.author, v.createdAt]);
        const latest = versions.items[0]!;
        return `${head}\nsignature:   ${signatureText(latest.signature)}  (version ${latest.version})\n\n${table(['VERSION', 'STATUS', 'STAGE', 'ALIASES', 'SHA256', 'SIZE', 'AUTHOR', 'CREATED'], rows)}`;
      });
    });

  models
    .command('register <file>')
    .description('upload a model file as a new version')
    .requiredOption('-n, --name <model>', 'the registered model')
    .option('--flavor <flavor>', 'model format', 'onnx')
    .option('--signature <json|@file>', 'declared signature {inputs, outputs} (read from the model when omitted)')
    .option('--example <json|@file>', 'an input example {input: nested array}, run once through the model')
    .option('--metric <key=value>', 'a metric (repeatable)', collectPair)
    .option('--param <key=value>', 'a parameter (repeatable)', collectPair)
    .option('--tag <key=value>', 'a tag (repeatable)', collectPair)
    .option('-d, --description <text>', 'what changed in this version')
    .option('--source-run <id>', 'the run that produced it')
    .option('--dataset-version <ref>', 'the data it was trained on')
    .option('--parent-version <n>', 'the version it was derived from', positiveInt)
    .option('--dataset <name@version[:role]>', 'a dataset version it used; role train (default), validation, test or evaluation (repeatable)', collectDataset)
    .option('--create', 'create the model first if it does not exist')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (file: string, opts: Record<string, unknown>, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const name = opts.name as string;
      const project = opts.project as string | undefined;
      const path = resolve(file);
      // Check the model first, so that a typo does not cost a whole upload.
      try {
        await client.json('GET', `${modelPath(name)}${q(project)}`);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 'MODEL_NOT_FOUND' && opts.create)) throw err;
        await client.json('POST', '/api/v1/models', { name, project });
        out.info(`created model '${name}'`);
      }
      const metrics: Record<string, number> = {};
      for (const [k, v] of (opts.metric as [string, string][] | undefined) ?? []) {
        const n = Number(v);
        if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--metric ${k}=${v}: the value must be a number`);
        metrics[k] = n;
      }
      const metadata: Record<string, unknown> = {
        flavor: opts.flavor,
        signature: await jsonArg('--signature', opts.signature as string | undefined),
        inputExample: await jsonArg('--example', opts.example as string | undefined),
        metrics,
        params: Object.fromEntries((opts.param as [string, string][] | undefined) ?? []),
        tags: Object.fromEntries((opts.tag as [string, string][] | undefined) ?? []),
        description: opts.description,
        sourceRun: opts.sourceRun,
        datasetVersion: opts.datasetVersion,
        parentVersion: opts.parentVersion,
        datasets: opts.dataset,
      };
      for (const k of Object.keys(metadata)) if (metadata[k] === undefined) delete metadata[k];
      const progress = createProgress(`uploading ${basename(path)}`, undefined, out.progress);
      const v = await client.uploadVersion<VersionView>(`${modelPath(name)}/versions${q(project)}`, path, metadata, {
        onProgress: (done) => progress.update(done),
      });
      progress.finish();
      out.result(v, () => `registered ${v.model} version ${v.version} (${v.status})\n${versionText(v)}`);
    });

  models
    .command('download <name> <version>')
    .description("download a version's artifact ('latest', a number or @alias), checking its SHA-256")
    .option('-o, --output <file>', 'where to write it (default: <name>-v<version>.onnx)')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (name: string, version: string, opts: { output?: string; project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      let target = opts.output;
      if (!target) {
        const v = await client.json<VersionView>('GET', `${modelPath(name)}/versions/${encodeURIComponent(version)}${q(opts.project)}`);
        target = `${name}-v${v.version}.${v.flavor === 'onnx' ? 'onnx' : 'bin'}`;
      }
      const progress = createProgress(`downloading ${basename(target)}`, undefined, out.progress);
      const r = await client.download(`${modelPath(name)}/versions/${encodeURIComponent(version)}/artifact${q(opts.project)}`, target, {
        onProgress: (done) => progress.update(done),
      });
      progress.finish();
      out.result({ file: resolve(target), ...r }, () => `wrote ${target} (${formatBytes(r.size)}, sha256 ${r.sha256})`);
    });

  models
    .command('alias <name> <alias> [version]')
    .description('point an alias at a version (or remove it with --delete)')
    .option('--delete', 'remove the alias')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (name: string, alias: string, version: string | undefined, opts: { delete?: boolean; project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const path = `${modelPath(name)}/aliases/${encodeURIComponent(alias)}${q(opts.project)}`;
      if (opts.delete) {
        const r = await client.json<{ previousVersion: number }>('DELETE', path);
        out.result(r, () => `removed alias '${alias}' (was version ${r.previousVersion})`);
        return;
      }
      if (version === undefined) throw new UsageError('give the version to point the alias at, or --delete');
      const r = await client.json<{ version: number; previousVersion: number | null }>('PUT', path, { version: versionNumber(version) });
      out.result(r, () => `${name}@${alias} → version ${r.version}${r.previousVersion ? ` (was ${r.previousVersion})` : ''}`);
    });

  models
    .command('stage <name> <version> <stage>')
    .description('move a version to None, Staging, Production or Archived')
    .option('-m, --comment <text>', 'why')
    .option('--archive-existing', 'archive the versions already in that stage')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (name: string, version: string, stage: string, opts: { comment?: string; archiveExisting?: boolean; project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const v = await client.json<VersionView>('POST', `${modelPath(name)}/versions/${encodeURIComponent(version)}/stage${q(opts.project)}`, {
        stage,
        comment: opts.comment,
        archiveExisting: opts.archiveExisting,
      });
      out.result(v, () => `${name} version ${v.version} is now in ${v.stage}`);
    });
  models
    .command('set-tier <name> <tier>')
    .description("set a model's risk tier (low, medium or high), which decides the policy that governs it (project admins)")
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (name: string, tier: string, opts: { project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const m = await client.json<{ name: string; riskTier: string }>('PATCH', `${modelPath(name)}${q(opts.project)}`, { riskTier: tier });
      out.result(m, () => `${m.name} is now risk tier ${m.riskTier}`);
    });
}
