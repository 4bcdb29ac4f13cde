/**
 * `steward experiments …` and `steward runs …`: experiment tracking through Steward's own API
 * (/api/v1/experiments, /api/v1/runs). Filters and orders are MLflow's grammar, passed through as given.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { ExperimentView, MetricValueView, RunComparisonView, RunDetailView, RunsPageView, RunView } from '../../modules/tracking/tracking-views.js';
import { cliContext, collectPair, UsageError } from '../context.js';
import { keyValues, table as paddedTable } from '../output.js';

const experimentPath = (id: string) => `/api/v1/experiments/${encodeURIComponent(id)}`;
const runPath = (id: string) => `/api/v1/runs/${encodeURIComponent(id)}`;

/** A query string from the parameters that are set; arrays repeat the parameter. */
function queryOf(params: Record<string, string | number | readonly string[] | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value as readonly string[]) search.append(key, v);
    else search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

const VIEWS = ['active', 'deleted', 'all'];

function viewOption(value: string): string {
  if (!VIEWS.includes(value)) throw new InvalidArgumentError(`must be one of ${VIEWS.join(', ')}`);
  return value;
}

function maxOption(value: string): number {
  if (!/^[1-9][0-9]{0,3}$/.test(value) || Number(value) > 1000) throw new InvalidArgumentError('must be a number from 1 to 1000');
  return Number(value);
}

const repeat = (value: string, previous: string[] = []) => [...previous, value];

/** output.ts's table without the padding an empty last cell leaves at the end of a line. */
const table = (headers: string[], rows: (string | number | null | undefined)[][]) =>
  paddedTable(headers, rows)
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');

/** "2024-01-15T12:00:00.000Z" → "2024-01-15 12:00:00Z" (other text as it is). */
export function timeText(iso: string | null | undefined): string {
  if (!iso) return '';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** 850 → "850ms", 90000 → "1m 30s", 7_380_000 → "2h 3m". */
export function durationText(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  if (ms < 1000) return `${ms}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** A metric value as text: the number, or NaN / Infinity / -Infinity. */
export function metricText(m: Pick<MetricValueView, 'value' | 'text'> | undefined): string {
  if (!m) return '';
  return m.value === null ? (m.text ?? 'NaN') : String(m.value);
}

export interface Column {
  kind: 'metrics' | 'params' | 'tags';
  key: string;
}

/** "--columns metrics.acc,params.alpha,tags.team" → columns (metric./param./tag. are accepted too). */
export function parseColumns(text: string): Column[] {
  const kinds: Record<string, Column['kind']> = { metrics: 'metrics', metric: 'metrics', params: 'params', param: 'params', tags: 'tags', tag: 'tags' };
  const out: Column[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const dot = item.indexOf('.');
    const kind = dot > 0 ? kinds[item.slice(0, dot)] : undefined;
    if (kind === undefined || dot === item.length - 1) throw new UsageError(`--columns: '${item}' must be metrics.<key>, params.<key> or tags.<key>`);
    out.push({ kind, key: item.slice(dot + 1) });
  }
  if (out.length === 0) throw new UsageError('--columns: name at least one column, e.g. metrics.acc,params.alpha');
  return out;
}

function cell(run: RunView, c: Column): string {
  if (c.kind === 'metrics') return metricText(run.metrics[c.key]);
  return (c.kind === 'params' ? run.params[c.key] : run.tags[c.key]) ?? '';
}

/** Runs as a table: id, name, status, start, duration, then the columns asked for. */
export function runsTable(runs: readonly RunView[], columns: readonly Column[]): string {
  if (runs.length === 0) return 'no runs';
  return table(
    ['RUN ID', 'NAME', 'STATUS', 'STARTED', 'DURATION', ...columns.map((c) => `${c.kind}.${c.key}`)],
    runs.map((r) => [r.id, r.name, r.lifecycleStage === 'deleted' ? `${r.status} (deleted)` : r.status, timeText(r.startTime), durationText(r.durationMs), ...columns.map((c) => cell(r, c))]),
  );
}

export function experimentsTable(items: readonly ExperimentView[]): string {
  if (items.length === 0) return 'no experiments';
  return table(
    ['ID', 'NAME', 'RUNS', 'STAGE', 'UPDATED', 'CREATED BY', 'TAGS'],
    items.map((e) => [e.id, e.name, e.runCount, e.lifecycleStage, timeText(e.updatedAt), e.createdBy, Object.entries(e.tags).map(([k, v]) => `${k}=${v}`).join(' ')]),
  );
}

function experimentText(e: ExperimentView): string {
  return keyValues([
    ['id', e.id],
    ['name', e.name],
    ['project', e.project],
    ['stage', e.lifecycleStage],
    ['runs', String(e.runCount)],
    ['artifacts', e.artifactLocation],
    ['created', `${timeText(e.createdAt)} by ${e.createdBy}`],
    ['updated', timeText(e.updatedAt)],
    ['tags', Object.keys(e.tags).length > 0 ? e.tags : undefined],
  ]);
}

const section = (title: string, body: string) => `\n${title}:\n${body.replace(/^/gm, '  ')}`;

export function runText(r: RunDetailView): string {
  const parts = [
    keyValues([
      ['id', r.id],
      ['name', r.name],
      ['experiment', r.experimentId],
      ['project', r.project],
      ['status', r.status],
      ['stage', r.lifecycleStage],
      ['user', r.user],
      ['started', timeText(r.startTime)],
      ['ended', r.endTime ? timeText(r.endTime) : undefined],
      ['duration', r.durationMs === null ? undefined : durationText(r.durationMs)],
      ['parent run', r.parentRunId ?? undefined],
      ['artifacts', r.artifactUri],
    ]),
  ];
  const params = Object.entries(r.params);
  if (params.length > 0) parts.push(section('params', table(['KEY', 'VALUE'], params)));
  const metrics = Object.entries(r.metrics);
  if (metrics.length > 0) parts.push(section('metrics (latest)', table(['KEY', 'VALUE', 'STEP', 'LOGGED'], metrics.map(([k, m]) => [k, metricText(m), m.step, timeText(m.timestamp)]))));
  const tags = Object.entries(r.tags);
  if (tags.length > 0) parts.push(section('tags', table(['KEY', 'VALUE'], tags)));
  if (r.inputs.length > 0) {
    parts.push(
      section(
        'inputs',
        table(
          ['NAME', 'DIGEST', 'CONTEXT', 'SOURCE', 'DATASET VERSION'],
          r.inputs.map((i) => [i.name, i.digest, i.context, i.source, i.datasetVersion ? `${i.datasetVersion.dataset}@${i.datasetVersion.version}` : '']),
        ),
      ),
    );
  }
  if (r.models.length > 0) parts.push(section('models', table(['PATH', 'FLAVORS', 'CREATED'], r.models.map((m) => [m.artifactPath, m.flavors.join(', '), m.utcTimeCreated]))));
  if (r.registeredVersions.length > 0) parts.push(section('registered versions', r.registeredVersions.map((v) => `${v.model} v${v.version}`).join('\n')));
  if (r.children.length > 0) parts.push(section('child runs', table(['RUN ID', 'NAME', 'STATUS'], r.children.map((c) => [c.id, c.name, c.status]))));
  return parts.join('\n');
}

/** Metrics where a lower value is better (by name); for the others the highest is best. */
const LOWER_IS_BETTER = /loss|err|rmse|mse|mae|mape|perplexity|latency|time|duration/i;

/** The run with the best latest value of a metric (highest, or lowest for loss- and error-like names); non-finite values never win. */
export function bestRun(metric: string, runs: readonly RunView[]): { run: RunView; direction: 'lowest' | 'highest' } | undefined {
  const direction = LOWER_IS_BETTER.test(metric) ? 'lowest' : 'highest';
  let best: RunView | undefined;
  for (const r of runs) {
    const v = r.metrics[metric]?.value;
    if (v === null || v === undefined) continue;
    const current = best?.metrics[metric]?.value;
    if (best === undefined || current === null || current === undefined || (direction === 'highest' ? v > current : v < current)) best = r;
  }
  return best ? { run: best, direction } : undefined;
}

/** Runs side by side: one column per run; params (those that differ marked *), latest metrics, and each metric's best run. */
export function comparisonText(c: RunComparisonView, metrics?: readonly string[]): string {
  const differing = new Set(c.differingParams);
  const label = (r: RunView) => (c.runs.filter((x) => x.name === r.name).length > 1 ? `${r.name} (${r.id.slice(0, 8)})` : r.name);
  const rows: string[][] = [['run id', ...c.runs.map((r) => r.id), ''], ['status', ...c.runs.map((r) => r.status), '']];
  for (const key of c.paramKeys) rows.push([`params.${key}${differing.has(key) ? ' *' : ''}`, ...c.runs.map((r) => r.params[key] ?? '-'), '']);
  for (const key of metrics && metrics.length > 0 ? metrics : c.metricKeys) {
    const best = bestRun(key, c.runs);
    rows.push([`metrics.${key}`, ...c.runs.map((r) => (r.metrics[key] ? metricText(r.metrics[key]) : '-')), best ? `${label(best.run)} (${best.direction})` : '']);
  }
  const text = table(['', ...c.runs.map(label), 'BEST'], rows);
  return differing.size > 0 ? `${text}\n* differs between the runs` : text;
}

export function trackingCommands(program: Command): void {
  const experiments = program.command('experiments').description('experiment tracking: experiments (list, show, create)');

  experiments
    .command('list')
    .description("a project's experiments, most recently changed first")
    .option('-p, --project <project>', 'project (default: default)')
    .option('--view <view>', 'active (default), deleted or all', viewOption)
    .action(async (opts: { project?: string; view?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const r = await client.json<{ items: ExperimentView[] }>('GET', `/api/v1/experiments${queryOf({ project: opts.project, view: opts.view })}`);
      out.result(r, () => experimentsTable(r.items));
    });

  experiments
    .command('show <id>')
    .description('an experiment, with its newest runs')
    .option('--runs <n>', 'how many runs to show (default 10)', maxOption)
    .action(async (id: string, opts: { runs?: number }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const experiment = await client.json<ExperimentView>('GET', experimentPath(id));
      const runs = await client.json<RunsPageView>('GET', `${experimentPath(id)}/runs${queryOf({ maxResults: opts.runs ?? 10 })}`);
      out.result({ experiment, runs: runs.items }, () => {
        const more = runs.nextPageToken !== undefined ? `\n(newest ${runs.items.length} of ${experiment.runCount}; steward runs list --experiment ${experiment.id} for more)` : '';
        return `${experimentText(experiment)}\n\n${runsTable(runs.items, runs.metricKeys.slice(0, 4).map((key) => ({ kind: 'metrics' as const, key })))}${more}`;
      });
    });

  experiments
    .command('create <name>')
    .description('create an experiment')
    .option('-p, --project <project>', 'project (default: default)')
    .option('--tag <key=value>', 'a tag (repeatable)', collectPair)
    .action(async (name: string, opts: { project?: string; tag?: [string, string][] }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const e = await client.json<ExperimentView>('POST', '/api/v1/experiments', { name, project: opts.project, tags: opts.tag ? Object.fromEntries(opts.tag) : undefined });
      out.result(e, () => `created experiment ${e.id} '${e.name}' in project '${e.project}'`);
    });

  const runs = program.command('runs').description('experiment tracking: runs (list, show, compare)');

  runs
    .command('list')
    .description("an experiment's runs: newest first, or as --order-by says; the latest value of each metric unless --columns says otherwise")
    .requiredOption('-e, --experiment <id>', 'the experiment')
    .option('--filter <filter>', `an MLflow search filter, e.g. "metrics.acc > 0.9 and params.alpha = '0.1'"`)
    .option('--order-by <clause>', 'an MLflow order_by clause, e.g. "metrics.acc DESC" (repeatable)', repeat)
    .option('--max <n>', 'at most this many runs (1-1000, default 100)', maxOption)
    .option('--page-token <token>', 'the next page, as printed after a full page')
    .option('--columns <list>', 'the columns to show after the run: metrics.<key>, params.<key>, tags.<key>, comma-separated')
    .option('--view <view>', 'active (default), deleted or all', viewOption)
    .action(async (opts: { experiment: string; filter?: string; orderBy?: string[]; max?: number; pageToken?: string; columns?: string; view?: string }, cmd: Command) => {
      const columns = opts.columns !== undefined ? parseColumns(opts.columns) : undefined;
      const { client, out } = await cliContext(cmd);
      const page = await client.json<RunsPageView>(
        'GET',
        `${experimentPath(opts.experiment)}/runs${queryOf({ filter: opts.filter, orderBy: opts.orderBy, maxResults: opts.max, pageToken: opts.pageToken, view: opts.view })}`,
      );
      out.result(page, () => {
        const text = runsTable(page.items, columns ?? page.metricKeys.map((key) => ({ kind: 'metrics' as const, key })));
        return page.nextPageToken !== undefined ? `${text}\n(more: --page-token ${page.nextPageToken})` : text;
      });
    });

  runs
    .command('show <run-id>')
    .description("a run: info, params, latest metrics, tags, inputs, logged models and the model versions registered from it")
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const r = await client.json<RunDetailView>('GET', runPath(id));
      out.result(r, () => runText(r));
    });

  runs
    .command('compare <run-ids...>')
    .description("runs side by side: params (those that differ marked *), latest metrics and each metric's best run")
    .option('--metrics <list>', 'only these metrics, comma-separated')
    .action(async (ids: string[], opts: { metrics?: string }, cmd: Command) => {
      if (ids.length < 2) throw new UsageError('give at least two run ids to compare');
      const metrics = opts.metrics
        ?.split(',')
        .map((m) => m.trim())
        .filter((m) => m !== '');
      if (metrics !== undefined && metrics.length === 0) throw new UsageError('--metrics: name at least one metric');
      const { client, out } = await cliContext(cmd);
      const c = await client.json<RunComparisonView>('GET', `/api/v1/runs/compare${queryOf({ runs: ids.join(','), metrics: metrics?.join(',') })}`);
      out.result(c, () => comparisonText(c, metrics));
    });
}
