/**
 * `steward explain …`: SHAP values of a request or of a logged prediction as a ranked table, and global
 * explanation reports of a model version on a dataset version (started, waited for, shown).
 */
import type { Command } from 'commander';
import type { Explanation, ReportView } from '../../modules/explain/explain.service.js';
import { parseCsv } from '../../serving/decode.js';
import { cliContext, UsageError } from '../context.js';
import { keyValues, table } from '../output.js';
import { predictPayload, readSource } from './deployments.js';
import { parseDatasetRef, query } from './monitoring.js';


const fmt = (v: number) => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : String(Number(v.toPrecision(5))));
const show = (v: unknown) => (v === null || v === undefined ? '(missing)' : typeof v === 'number' ? fmt(v) : Array.isArray(v) ? `[${v.map((x) => (typeof x === 'number' ? fmt(x) : String(x))).join(', ')}]` : String(v));

/** The features of one row ranked by |SHAP| (the largest output's, per output column), with the total. */
export function explanationText(e: Pick<Explanation, 'features' | 'outputs' | 'bias' | 'shap' | 'values' | 'predictions' | 'method' | 'note' | 'space'>, row: number, top: number): string {
  const phi = e.shap[row];
  if (!phi) throw new UsageError(`--row ${row} is out of range: the answer has ${e.shap.length} rows`);
  const K = e.outputs.length;
  const order = e.features.map((_, f) => f).sort((a, b) => Math.max(...phi.map((o) => Math.abs(o[b]!))) - Math.max(...phi.map((o) => Math.abs(o[a]!))));
  const shown = order.slice(0, top);
  const rest = order.slice(top);
  const rows: (string | number)[][] = shown.map((f, rank) => [rank + 1, e.features[f]!, show(e.values[row]?.[f]), ...phi.map((o) => fmt(o[f]!))]);
  if (rest.length > 0) rows.push(['', `(${rest.length} other features)`, '', ...phi.map((o) => fmt(rest.reduce((s, f) => s + o[f]!, 0)))]);
  rows.push(['', 'bias (expected value)', '', ...e.bias.map(fmt)]);
  rows.push(['', `total (${e.space})`, '', ...phi.map((o, k) => fmt(o.reduce((s, v) => s + v, e.bias[k]!)))]);
  const heads = K === 1 ? [`SHAP (${e.outputs[0]})`] : e.outputs.map((o) => `SHAP ${o}`);
  return [
    keyValues([
      ['method', e.method === 'tree' ? 'TreeSHAP (exact)' : 'KernelSHAP'],
      ...(e.note ? ([['note', e.note]] as [string, string][]) : []),
      ['prediction', show(e.predictions[row])],
    ]),
    table(['#', 'FEATURE', 'VALUE', ...heads], rows),
  ].join('\n\n');
}

function reportText(r: ReportView): string {
  const head = keyValues([
    ['report', r.id],
    ['model', `${r.model} v${r.version}`],
    ['dataset', `${r.dataset.name}@${r.dataset.version}`],
    ['status', r.status + (r.error ? ` — ${r.error}` : '')],
    ['created', `${r.createdAt} by ${r.createdBy}`],
  ]);
  const res = r.result;
  if (!res) return head;
  const perm = new Map((res.permutation?.features ?? []).map((f) => [f.feature, f]));
  const parts = [
    head,
    keyValues([['method', res.method === 'tree' ? 'TreeSHAP (exact)' : `KernelSHAP${res.note ? ` — ${res.note}` : ''}`], ['rows explained', String(res.samples.shap.length)], ['additivity error', fmt(res.additivityError)]]),
    table(
      ['#', 'FEATURE', 'MEAN |SHAP|', ...(res.permutation ? [`PERMUTATION (${res.permutation.metric})`, '± STD'] : [])],
      res.importance.map((i, k) => [k + 1, i.feature, fmt(i.meanAbsShap), ...(res.permutation ? [fmt(perm.get(i.feature)?.mean ?? 0), fmt(perm.get(i.feature)?.std ?? 0)] : [])]),
    ),
  ];
  if (res.permutation) parts.push(`baseline ${res.permutation.metric}: ${fmt(res.permutation.baseline)} (${res.permutation.repeats} shuffles per feature)`);
  for (const p of res.partialDependence) {
    const avg = p.average[0] ?? [];
    const lo = Math.min(...avg);
    const hi = Math.max(...avg);
    parts.push(`partial dependence of ${p.feature} (${p.outputs[0]}): ${fmt(lo)} … ${fmt(hi)} over ${p.grid.length} ${p.kind === 'categorical' ? 'values' : 'grid points'} (${show(p.grid[0])} … ${show(p.grid[p.grid.length - 1])})`);
  }
  return parts.join('\n\n');
}

/** A CSV file as {rows}: numbers where a cell is a number, null where it is empty, text otherwise. */
export function csvRows(text: string): { rows: Record<string, unknown>[] } {
  const { header, rows } = parseCsv(text);
  return {
    rows: rows.map((cells) =>
      Object.fromEntries(
        header.map((h, i) => {
          const c = cells[i] ?? '';
          const n = Number(c);
          return [h, c.trim() === '' ? null : Number.isFinite(n) ? n : c];
        }),
      ),
    ),
  };
}

export function explainCommands(program: Command): void {
  const explain = program.command('explain').description('explanations: SHAP values of a request or a logged prediction, and global reports of a model version');

  explain
    .command('request <deployment>')
    .description('explain rows exactly as the deployment would serve them (TreeSHAP for tree models, else KernelSHAP)')
    .requiredOption('-f, --file <file>', "rows.csv or rows.json; '-' reads standard input")
    .option('--format <format>', 'csv or json (default: from the extension, else from the content)')
    .option('--background <file>', 'background rows for KernelSHAP (CSV or JSON), instead of the newest report\'s')
    .option('--row <n>', 'which row to print (default 0)', '0')
    .option('--top <n>', 'features shown before the rest are summed (default 15)', '15')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (deployment: string, opts: { file: string; format?: string; background?: string; row: string; top: string; project?: string }, cmd: Command) => {
      const row = Number(opts.row);
      const top = Number(opts.top);
      if (!Number.isInteger(row) || row < 0) throw new UsageError(`--row '${opts.row}' must be a row number from 0`);
      if (!Number.isInteger(top) || top < 1) throw new UsageError(`--top '${opts.top}' must be a whole number ≥ 1`);
      const payload = predictPayload(opts.file === '-' ? '(stdin)' : opts.file, await readSource(opts.file), opts.format);
      const body: Record<string, unknown> = payload.kind === 'csv' ? csvRows(payload.text) : { ...payload.body };
      if (opts.background) {
        const bg = predictPayload(opts.background, await readSource(opts.background));
        body.background = bg.kind === 'csv' ? csvRows(bg.text) : bg.body;
      }
      const { client, out } = await cliContext(cmd);
      const e = await client.json<Explanation>('POST', `/api/v1/deployments/${encodeURIComponent(deployment)}/explain${query({ project: opts.project })}`, body);
      out.result(e, () => `${e.model.name} v${e.model.version}\n\n${explanationText(e, row, top)}`);
    });

  explain
    .command('prediction <id>')
    .description('explain a logged prediction (its id from x-prediction-id or predictionIds) with the version that made it')
    .option('--top <n>', 'features shown before the rest are summed (default 15)', '15')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (id: string, opts: { top: string; project?: string }, cmd: Command) => {
      const top = Number(opts.top);
      if (!Number.isInteger(top) || top < 1) throw new UsageError(`--top '${opts.top}' must be a whole number ≥ 1`);
      const { client, out } = await cliContext(cmd);
      const e = await client.json<Explanation & { deployment: string; time: string }>('GET', `/api/v1/predictions/${encodeURIComponent(id)}/explanation${query({ project: opts.project })}`);
      out.result(e, () => `prediction ${id} by ${e.deployment} (${e.model.name} v${e.model.version}) at ${e.time}\n\n${explanationText(e, 0, top)}`);
    });

  explain
    .command('report <model> <version>')
    .description('start a global explanation report on a dataset version and wait for it (importance, permutation importance, PDP/ICE)')
    .requiredOption('--dataset <name@version>', 'the dataset version to explain')
    .option('--target <column>', 'label column: adds permutation importance')
    .option('--metric <metric>', 'roc_auc, accuracy, precision, recall, f1, log_loss, ece, rmse, mse, mae, r2 or mape (default by task)')
    .option('--rows <n>', 'rows explained (default 1000)')
    .option('--features <list>', 'comma-separated features for partial dependence (default: the 5 most important)')
    .option('--pair <a,b>', '2-D partial dependence of two features (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--no-wait', 'return once the job is queued')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (model: string, version: string, opts: { dataset: string; target?: string; metric?: string; rows?: string; features?: string; pair?: string[]; wait: boolean; project?: string }, cmd: Command) => {
      if (!/^[1-9][0-9]*$/.test(version)) throw new UsageError(`version '${version}' must be a version number`);
      const ref = parseDatasetRef(opts.dataset);
      const body: Record<string, unknown> = { dataset: ref.dataset, version: ref.version };
      if (opts.target) body.target = opts.target;
      if (opts.metric) body.metric = opts.metric;
      if (opts.rows !== undefined) {
        if (!/^[0-9]+$/.test(opts.rows)) throw new UsageError(`--rows '${opts.rows}' must be a whole number`);
        body.rows = Number(opts.rows);
      }
      if (opts.features) body.features = opts.features.split(',').map((s) => s.trim()).filter(Boolean);
      if (opts.pair) {
        body.pairs = opts.pair.map((p) => {
          const two = p.split(',').map((s) => s.trim());
          if (two.length !== 2 || !two[0] || !two[1]) throw new UsageError(`--pair '${p}' must be two features: a,b`);
          return two;
        });
      }
      const { client, out } = await cliContext(cmd);
      const base = `/api/v1/models/${encodeURIComponent(model)}/versions/${version}/explanations`;
      let r = await client.json<ReportView>('POST', `${base}${query({ project: opts.project })}`, body);
      if (opts.wait) {
        const tty = process.stderr.isTTY && !cmd.optsWithGlobals<{ json?: boolean; quiet?: boolean }>().quiet;
        while (r.status === 'queued' || r.status === 'running') {
          await new Promise((res) => setTimeout(res, 500));
          r = await client.json<ReportView>('GET', `${base}/${r.id}${query({ project: opts.project })}`);
          if (tty && r.progress) process.stderr.write(`\r${(r.progress.fraction * 100).toFixed(0).padStart(3)}% ${r.progress.message}\u001b[K`);
        }
        if (tty) process.stderr.write('\n');
      }
      out.result(r, () => reportText(r));
      if (r.status === 'failed') process.exitCode = 1;
    });

  explain
    .command('show <model> <version> [report]')
    .description("a report (default: the version's newest), with features ranked by mean |SHAP|")
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (model: string, version: string, id: string | undefined, opts: { project?: string }, cmd: Command) => {
      if (!/^[1-9][0-9]*$/.test(version)) throw new UsageError(`version '${version}' must be a version number`);
      const { client, out } = await cliContext(cmd);
      const base = `/api/v1/models/${encodeURIComponent(model)}/versions/${version}/explanations`;
      let reportId = id;
      if (!reportId) {
        const list = await client.json<{ items: ReportView[] }>('GET', `${base}${query({ project: opts.project })}`);
        if (list.items.length === 0) throw new UsageError(`${model} v${version} has no explanation report yet: run 'steward explain report ${model} ${version} --dataset name@version'`);
        reportId = list.items[0]!.id;
      }
      const r = await client.json<ReportView>('GET', `${base}/${encodeURIComponent(reportId)}${query({ project: opts.project })}`);
      out.result(r, () => reportText(r));
    });
}
