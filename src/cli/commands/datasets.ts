import { basename, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { DatasetVersionView, DatasetView } from '../../modules/datasets/dataset-views.js';
import type { JobView } from '../../modules/jobs/jobs.service.js';
import type { DatasetProfile } from '../../data/profile.js';
import { ApiError, type StewardClient } from '../client.js';
import { cliContext, collectPair, UsageError } from '../context.js';
import { formatBytes, keyValues, table, type Output } from '../output.js';
import { createProgress } from '../progress.js';

const q = (project?: string) => (project ? `?project=${encodeURIComponent(project)}` : '');
const datasetPath = (name: string) => `/api/v1/datasets/${encodeURIComponent(name)}`;

function count(value: string): number {
  if (!/^[0-9]{1,9}$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}

/** Follows a job to its end with a progress bar; throws with the job's error when it fails. */
export async function followJob(client: StewardClient, out: Output, jobId: string, label: string): Promise<JobView> {
  const progress = createProgress(label, 100, out.progress);
  for (;;) {
    const job = await client.json<JobView>('GET', `/api/v1/jobs/${encodeURIComponent(jobId)}`);
    progress.update(Math.round(job.progress * 100));
    if (job.status === 'SUCCEEDED') {
      progress.finish();
      return job;
    }
    if (job.status === 'FAILED') {
      progress.finish();
      throw new ApiError(0, 'JOB_FAILED', `${label} failed: ${job.error ?? 'no reason given'}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

function versionText(v: DatasetVersionView): string {
  return [
    keyValues([
      ['dataset', v.dataset],
      ['version', v.version],
      ['rows', v.rows],
      ['sha256', v.sha256],
      ['source', `${v.source.name} (${v.source.format}, ${formatBytes(v.source.size)})`],
      ['stored', `parquet, ${formatBytes(v.stored.size)}`],
      ['lineage', v.lineage.derivedFrom ? `from ${v.lineage.derivedFrom.dataset} v${v.lineage.derivedFrom.version}` : (v.lineage.source ?? undefined)],
      ['profile', v.profileStatus],
      ['created', `${v.createdAt} by ${v.createdBy}`],
    ]),
    '',
    table(['COLUMN', 'TYPE', 'STORED AS'], v.columns.map((c) => [c.name, c.type, c.storage])),
  ].join('\n');
}

function fmt(x: unknown): string {
  if (x === null || x === undefined) return '';
  if (typeof x === 'number') return Number.isInteger(x) ? String(x) : x.toPrecision(6);
  return String(x);
}

function profileText(p: DatasetProfile): string {
  const rows = p.columns.map((c) => [
    c.name,
    c.type,
    c.count,
    c.missing,
    `${c.distinct}${c.distinctExact ? '' : '~'}`,
    fmt(c.mean ?? (c.top?.[0] ? `top: ${String(c.top[0].value)} (${c.top[0].count})` : '')),
    fmt(c.std),
    fmt(c.min),
    fmt(c.quantiles?.p50),
    fmt(c.max),
  ]);
  return `${p.rows} rows\n\n${table(['COLUMN', 'TYPE', 'COUNT', 'MISSING', 'DISTINCT', 'MEAN / TOP', 'STD', 'MIN', 'MEDIAN', 'MAX'], rows)}`;
}

export function datasetsCommand(program: Command): void {
  const datasets = program.command('datasets').description('datasets: upload, profile and download versions of tabular data');

  datasets
    .command('create <name>')
    .description('create a dataset')
    .option('-d, --description <text>', 'what the data is')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (name: string, opts: { description?: string; project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const d = await client.json<DatasetView>('POST', '/api/v1/datasets', { name, description: opts.description, project: opts.project });
      out.result(d, () => `created dataset '${d.name}' in project '${d.project}'`);
    });

  datasets
    .command('list')
    .description('list datasets')
    .option('--name <text>', 'part of the name')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (opts: { name?: string; project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const items: DatasetView[] = [];
      let cursor: string | null = null;
      do {
        const params = new URLSearchParams();
        if (opts.project) params.set('project', opts.project);
        if (opts.name) params.set('name', opts.name);
        if (cursor) params.set('cursor', cursor);
        const page: { items: DatasetView[]; nextCursor: string | null } = await client.json('GET', `/api/v1/datasets?${params}`);
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      out.result({ items }, () => (items.length === 0 ? 'no datasets' : table(['NAME', 'VERSIONS', 'UPDATED', 'DESCRIPTION'], items.map((d) => [d.name, d.lastVersion, d.updatedAt, d.description]))));
    });

  datasets
    .command('upload <file>')
    .description('upload a CSV or Parquet file as a new version, and wait for its profile')
    .requiredOption('-n, --name <dataset>', 'the dataset')
    .option('--format <format>', 'csv or parquet (detected)')
    .option('--delimiter <char>', 'CSV delimiter (detected)')
    .option('--no-header', 'the CSV has no header line')
    .option('--type <column=type>', 'a column type: numeric, integer, categorical, boolean, datetime or text (repeatable)', collectPair)
    .option('--source <text>', 'where the data comes from')
    .option('-d, --description <text>', 'what this version is')
    .option('--create', 'create the dataset first if it does not exist')
    .option('--no-wait', 'do not wait for the profile')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (file: string, opts: Record<string, unknown>, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const name = opts.name as string;
      const project = opts.project as string | undefined;
      try {
        await client.json('GET', `${datasetPath(name)}${q(project)}`);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 'DATASET_NOT_FOUND' && opts.create)) throw err;
        await client.json('POST', '/api/v1/datasets', { name, project });
        out.info(`created dataset '${name}'`);
      }
      const csv: Record<string, unknown> = {};
      if (opts.delimiter !== undefined) csv.delimiter = opts.delimiter;
      if (opts.header === false) csv.header = false;
      const metadata: Record<string, unknown> = {};
      if (opts.format !== undefined) metadata.format = opts.format;
      if (Object.keys(csv).length > 0) metadata.csv = csv;
      if (opts.type) metadata.schema = Object.fromEntries(opts.type as [string, string][]);
      if (opts.source !== undefined) metadata.source = opts.source;
      if (opts.description !== undefined) metadata.description = opts.description;
      const path = resolve(file);
      const progress = createProgress(`uploading ${basename(path)}`, undefined, out.progress);
      const v = await client.uploadVersion<DatasetVersionView>(`${datasetPath(name)}/versions${q(project)}`, path, metadata, { onProgress: (done) => progress.update(done) }, 'file');
      progress.finish();
      if (opts.wait !== false && v.profileStatus === 'PENDING' && v.profileJob) await followJob(client, out, v.profileJob, 'profiling');
      const final = opts.wait !== false ? await client.json<DatasetVersionView>('GET', `${datasetPath(name)}/versions/${v.version}${q(project)}`) : v;
      out.result(final, () => `${name} version ${final.version}: ${final.rows} rows\n${versionText(final)}`);
    });

  datasets
    .command('show <name> [version]')
    .description("a dataset's versions, or one version (a number or 'latest') with its columns")
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (name: string, version: string | undefined, opts: { project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      if (version !== undefined) {
        const v = await client.json<DatasetVersionView>('GET', `${datasetPath(name)}/versions/${encodeURIComponent(version)}${q(opts.project)}`);
        out.result(v, () => versionText(v));
        return;
      }
      const d = await client.json<DatasetView>('GET', `${datasetPath(name)}${q(opts.project)}`);
      const versions = await client.json<{ items: DatasetVersionView[] }>('GET', `${datasetPath(name)}/versions${q(opts.project)}`);
      out.result({ ...d, versions: versions.items }, () =>
        [
          keyValues([
            ['dataset', d.name],
            ['project', d.project],
            ['description', d.description || undefined],
            ['created', `${d.createdAt} by ${d.createdBy}`],
          ]),
          '',
          versions.items.length === 0
            ? 'no versions yet'
            : table(['VERSION', 'ROWS', 'COLUMNS', 'SOURCE', 'PROFILE', 'SHA256', 'CREATED'], versions.items.map((v) => [v.version, v.rows, v.columns.length, v.source.name, v.profileStatus, v.sha256.slice(0, 12), v.createdAt])),
        ].join('\n'),
      );
    });

  datasets
    .command('profile <name> [version]')
    .description("a version's profile (default: latest)")
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (name: string, version: string | undefined, opts: { project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const r = await client.json<{ profile: DatasetProfile }>('GET', `${datasetPath(name)}/versions/${encodeURIComponent(version ?? 'latest')}/profile${q(opts.project)}`);
      out.result(r, () => profileText(r.profile));
    });

  datasets
    .command('rows <name> [version]')
    .description('rows of a version, in stored order')
    .option('--offset <n>', 'rows to skip', count, 0)
    .option('--limit <n>', 'rows to show (at most 1000)', count, 20)
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (name: string, version: string | undefined, opts: { offset: number; limit: number; project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      if (opts.limit < 1 || opts.limit > 1000) throw new UsageError('--limit must be from 1 to 1000');
      const params = new URLSearchParams({ offset: String(opts.offset), limit: String(opts.limit) });
      if (opts.project) params.set('project', opts.project);
      const r = await client.json<{ rows: Record<string, unknown>[]; total: number; offset: number }>('GET', `${datasetPath(name)}/versions/${encodeURIComponent(version ?? 'latest')}/rows?${params}`);
      out.result(r, () => {
        if (r.rows.length === 0) return `no rows at offset ${r.offset} (of ${r.total})`;
        const columns = Object.keys(r.rows[0]!);
        return `${table(columns, r.rows.map((row) => columns.map((c) => fmt(row[c]))))}\n(rows ${r.offset + 1}–${r.offset + r.rows.length} of ${r.total})`;
      });
    });

  datasets
    .command('split <name> <version>')
    .description('split a version reproducibly into new versions (random, stratified or by time)')
    .requiredOption('--fractions <parts>', 'parts in order with their fractions, e.g. train=0.8,test=0.2')
    .option('--kind <kind>', 'random, stratified or time', 'random')
    .option('--by <column>', 'the stratify column (stratified) or the time column (time)')
    .option('--seed <n>', 'seed of the random order', count, 0)
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (name: string, version: string, opts: { fractions: string; kind: string; by?: string; seed: number; project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const fractions: Record<string, number> = {};
      for (const item of opts.fractions.split(',')) {
        const [part, value] = item.split('=');
        const f = Number(value);
        if (!part || value === undefined || value.trim() === '' || !Number.isFinite(f)) throw new UsageError(`--fractions: '${item}' must be name=fraction`);
        fractions[part.trim()] = f;
      }
      const job = await client.json<JobView>('POST', `${datasetPath(name)}/versions/${encodeURIComponent(version)}/split${q(opts.project)}`, {
        kind: opts.kind,
        fractions,
        seed: opts.seed,
        ...(opts.by !== undefined ? { column: opts.by } : {}),
      });
      const done = await followJob(client, out, job.id, 'splitting');
      const result = done.result as { parts: { name: string; version: number; rows: number; created: boolean }[] };
      out.result(result, () => table(['PART', 'VERSION', 'ROWS', 'NEW'], result.parts.map((p) => [p.name, p.version, p.rows, p.created ? 'yes' : 'no (same split before)'])));
    });

  datasets
    .command('prepare <name> <version>')
    .description('apply a recipe to a version, making a new version with the fitted recipe in its lineage')
    .requiredOption('-r, --recipe <name[@version]>', 'the recipe (default: its newest version)')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (name: string, version: string, opts: { recipe: string; project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const m = /^([^@]+)(?:@([1-9][0-9]{0,9}))?$/.exec(opts.recipe);
      if (!m) throw new UsageError(`--recipe: '${opts.recipe}' must be name or name@version`);
      const job = await client.json<JobView>('POST', `${datasetPath(name)}/versions/${encodeURIComponent(version)}/prepare${q(opts.project)}`, {
        recipe: m[1],
        ...(m[2] ? { recipeVersion: Number(m[2]) } : {}),
      });
      const done = await followJob(client, out, job.id, 'preparing');
      const result = done.result as { version: number; rows: number; created: boolean };
      out.result(result, () => `${name} version ${result.version}: ${result.rows} rows${result.created ? '' : ' (prepared the same way before)'}`);
    });

  datasets
    .command('download <name> <version>')
    .description('download a version as Parquet (default), CSV, or the original upload')
    .option('--format <format>', 'parquet, csv or original', 'parquet')
    .option('-o, --output <file>', 'where to write it')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (name: string, version: string, opts: { format: string; output?: string; project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      if (!['parquet', 'csv', 'original'].includes(opts.format)) throw new UsageError('--format must be parquet, csv or original');
      const target = opts.output ?? `${name}-v${version}.${opts.format === 'original' ? 'data' : opts.format}`;
      const params = new URLSearchParams({ format: opts.format });
      if (opts.project) params.set('project', opts.project);
      const progress = createProgress(`downloading ${basename(target)}`, undefined, out.progress);
      const r = await client.download(`${datasetPath(name)}/versions/${encodeURIComponent(version)}/download?${params}`, target, { onProgress: (done) => progress.update(done) });
      progress.finish();
      out.result({ file: resolve(target), ...r }, () => `wrote ${target} (${formatBytes(r.size)})`);
    });
}
