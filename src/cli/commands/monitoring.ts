import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { MonitoringReport, LabelsResult, ReferenceView } from '../../modules/monitoring/monitoring.service.js';
import { cliContext, UsageError } from '../context.js';
import { keyValues, table } from '../output.js';

/** A query string from the parameters that are set (`?a=1&b=x`, or nothing). */
export const query = (params: Record<string, string | number | undefined>) => {
  const q = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join('&');
  return q ? `?${q}` : '';
};

const num = (v: number | null | undefined, digits = 4) => (v === null || v === undefined ? '' : Number.isInteger(v) ? String(v) : v.toFixed(digits));
const pct = (v: number | null | undefined) => (v === null || v === undefined ? '' : `${(v * 100).toFixed(2)}%`);

/** `name@version` → {dataset, version}. */
export function parseDatasetRef(value: string): { dataset: string; version: number } {
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]{0,127})@([1-9][0-9]{0,9})$/.exec(value);
  if (!m) throw new UsageError(`--dataset '${value}' must be name@version, e.g. loans@3`);
  return { dataset: m[1]!, version: Number(m[2]) };
}

/** The report as text: drift per feature, then quality, performance and operations. */
export function reportText(r: MonitoringReport): string {
  const parts: string[] = [];
  parts.push(
    keyValues([
      ['deployment', r.deployment ?? '(offline)'],
      ['model', r.model ? `${r.model} v${r.version}` : 'none'],
      ['range', `${r.from ?? 'start'} → ${r.to ?? 'now'}`],
      ['windows', String(r.windows)],
      ['reference', r.reference ? `${r.reference.rows} rows` : 'none'],
    ]),
  );
  if (r.drift) {
    const rows = Object.entries(r.drift.features).map(([f, d]) => [
      f, d.kind, d.test, num(d.statistic), d.pValue === undefined ? '' : d.pValue.toExponential(2), d.adjustedPValue === undefined ? '' : d.adjustedPValue.toExponential(2),
      String(d.threshold), d.effectSize ? `${d.effectSize.measure} ${num(d.effectSize.value, 3)}` : '', d.drifted ? 'DRIFT' : '',
    ]);
    if (r.drift.output) {
      const d = r.drift.output;
      rows.push(['(prediction)', d.kind, d.test, num(d.statistic), d.pValue === undefined ? '' : d.pValue.toExponential(2), '', String(d.threshold), d.effectSize ? `${d.effectSize.measure} ${num(d.effectSize.value, 3)}` : '', d.drifted ? 'DRIFT' : '']);
    }
    parts.push(table(['FEATURE', 'KIND', 'TEST', 'STATISTIC', 'P-VALUE', 'ADJUSTED', 'THRESHOLD', 'EFFECT', 'DRIFT'], rows));
    parts.push(`dataset drift: ${r.drift.datasetDrift ? 'YES' : 'no'} (${r.drift.driftedFeatures} of ${Object.keys(r.drift.features).length} features, share ${num(r.drift.share, 3)}${r.drift.weightedShare === null ? '' : `, weighted ${num(r.drift.weightedShare, 3)}: ${r.drift.weightedDatasetDrift ? 'DRIFT' : 'no drift'}`})`);
  } else parts.push(`drift: ${r.driftNote ?? 'not available'}`);
  const q = r.quality;
  parts.push(
    table(
      ['QUALITY', 'ROWS', 'MISSING', 'TYPE ERRORS', 'OUT OF RANGE', 'UNSEEN CATEGORIES'],
      [
        ['all features', q.rows, pct(q.missingRate), pct(q.typeErrorRate), pct(q.outOfRangeRate), pct(q.unseenCategoryRate)],
        ...Object.entries(q.features).map(([f, x]) => [f, x.rows, pct(x.missingRate), pct(x.typeErrorRate), pct(x.outOfRangeRate), pct(x.unseenCategoryRate)]),
      ],
    ),
  );
  parts.push(`rejected requests: ${q.rejected} (${pct(q.rejectedRate)})`);
  const p = r.performance;
  if (p.labeled > 0) {
    const metrics = Object.entries(p.metrics).filter(([, v]) => v !== undefined);
    parts.push(
      table(
        ['PERFORMANCE', 'VALUE', 'VALIDATION', 'DELTA'],
        metrics.map(([m, v]) => [m, num(v as number | null), num(p.validation[m]?.validation), num(p.validation[m]?.delta)]),
      ),
    );
    parts.push(`${p.labeled} labeled predictions (${p.task}${p.skipped ? `, ${p.skipped} labels did not fit the task` : ''})`);
  } else parts.push('performance: no labels yet (POST /api/v1/deployments/<name>/labels, or steward labels)');
  const o = r.operations;
  parts.push(
    keyValues([
      ['predictions', String(o.count)],
      ['errors', `${o.errors} failed, ${o.rejected} rejected (error rate ${pct(o.errorRate)})`],
      ['latency', `p50 ${num(o.p50Ms, 2)} ms, p95 ${num(o.p95Ms, 2)} ms, p99 ${num(o.p99Ms, 2)} ms`],
      ['throughput', o.throughputPerS === null ? '' : `${num(o.throughputPerS, 1)} predictions/s`],
    ]),
  );
  return parts.join('\n\n');
}

export function monitoringCommands(program: Command): void {
  program
    .command('monitor <deployment>')
    .description('monitoring report of a deployment: drift, data quality, performance from labels, operations')
    .option('--from <time>', 'ISO 8601 start (windows starting at or after it)')
    .option('--to <time>', 'ISO 8601 end (windows starting before it)')
    .option('--version <n>', 'only this model version')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (deployment: string, opts: { from?: string; to?: string; version?: string; project?: string }, cmd: Command) => {
      if (opts.version !== undefined && !/^[1-9][0-9]*$/.test(opts.version)) throw new UsageError(`--version '${opts.version}' must be a version number`);
      const { client, out } = await cliContext(cmd);
      const r = await client.json<MonitoringReport>('GET', `/api/v1/deployments/${encodeURIComponent(deployment)}/monitoring${query({ from: opts.from, to: opts.to, version: opts.version, project: opts.project })}`);
      out.result(r, () => reportText(r));
    });

  const reference = program.command('reference').description("a model version's reference rows for monitoring: set, show");
  reference
    .command('set <model> <version>')
    .description('set the reference from a dataset version (--dataset name@version) or a CSV/Parquet file (--file)')
    .option('--dataset <name@version>', 'a dataset version')
    .option('--file <path>', 'a CSV or Parquet file with the model features as columns')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (model: string, version: string, opts: { dataset?: string; file?: string; project?: string }, cmd: Command) => {
      if ((opts.dataset === undefined) === (opts.file === undefined)) throw new UsageError('give exactly one of --dataset name@version or --file path');
      const body = opts.dataset !== undefined ? parseDatasetRef(opts.dataset) : undefined;
      const { client, out } = await cliContext(cmd);
      const path = `/api/v1/models/${encodeURIComponent(model)}/versions/${encodeURIComponent(version)}/reference${query({ project: opts.project })}`;
      const r = body
        ? await client.json<{ reference: ReferenceView; job: { id: string } }>('POST', path, body)
        : await client.uploadVersion<{ reference: ReferenceView; job: { id: string } }>(path, opts.file!, /\.parquet$/i.test(opts.file!) ? { format: 'parquet' } : { format: 'csv' }, {}, 'file');
      // Wait for the profile job, so that the command ends with the reference ready (or its error).
      let view: ReferenceView = r.reference;
      for (let i = 0; view.status === 'PENDING' && i < 3600; i++) {
        await new Promise((res) => setTimeout(res, 500));
        view = await client.json<ReferenceView>('GET', path);
      }
      out.result(view, () => (view.status === 'READY' ? `reference of ${model} v${version} is ready: ${view.rows} rows` : `reference of ${model} v${version}: ${view.status}${view.error ? ` — ${view.error}` : ''}`));
      if (view.status === 'FAILED') process.exitCode = 1;
    });
  reference
    .command('show <model> <version>')
    .description('the reference: status, source and per-column summary')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (model: string, version: string, opts: { project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const r = await client.json<ReferenceView & { columns: { name: string; kind: string; rows: number; missing: number; min?: number; max?: number; mean?: number; std?: number; categories?: Record<string, number> }[] }>(
        'GET',
        `/api/v1/models/${encodeURIComponent(model)}/versions/${encodeURIComponent(version)}/reference${query({ project: opts.project })}`,
      );
      out.result(r, () =>
        [
          keyValues([['status', r.status], ['rows', String(r.rows)], ['source', JSON.stringify(r.source)], ['created', `${r.createdAt} by ${r.createdBy}`]]),
          table(
            ['COLUMN', 'KIND', 'ROWS', 'MISSING', 'MIN', 'MAX', 'MEAN', 'STD / CATEGORIES'],
            r.columns.map((c) => [c.name, c.kind, c.rows, c.missing, num(c.min), num(c.max), num(c.mean), c.kind === 'numeric' ? num(c.std) : String(Object.keys(c.categories ?? {}).length)]),
          ),
        ].join('\n\n'),
      );
    });

  program
    .command('labels <deployment> <file>')
    .description('send labels for served predictions: a JSON array [{"predictionId","label"}] or a CSV with predictionId,label columns')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (deployment: string, file: string, opts: { project?: string }, cmd: Command) => {
      const text = await readFile(file, 'utf8');
      const labels = parseLabelsFile(text, file);
      const { client, out } = await cliContext(cmd);
      const total: LabelsResult = { received: 0, stored: 0, replaced: 0, duplicatesInBatch: 0, unknown: 0, unknownIds: [], invalid: 0, invalidItems: [] };
      for (let i = 0; i < labels.length; i += 100_000) {
        const r = await client.json<LabelsResult>('POST', `/api/v1/deployments/${encodeURIComponent(deployment)}/labels${query({ project: opts.project })}`, labels.slice(i, i + 100_000));
        total.received += r.received;
        total.stored += r.stored;
        total.replaced += r.replaced;
        total.duplicatesInBatch += r.duplicatesInBatch;
        total.unknown += r.unknown;
        total.invalid += r.invalid;
        total.unknownIds.push(...r.unknownIds.slice(0, 100 - total.unknownIds.length));
        total.invalidItems.push(...r.invalidItems.map((x) => ({ ...x, index: x.index + i })).slice(0, 20 - total.invalidItems.length));
      }
      out.result(total, () =>
        keyValues([
          ['received', String(total.received)],
          ['stored', String(total.stored)],
          ['replaced', `${total.replaced} (an earlier label of the same prediction)`],
          ['unknown ids', `${total.unknown}${total.unknownIds.length ? ` e.g. ${total.unknownIds.slice(0, 3).join(', ')}` : ''}`],
          ['invalid', `${total.invalid}${total.invalidItems.length ? ` e.g. #${total.invalidItems[0]!.index}: ${total.invalidItems[0]!.problem}` : ''}`],
        ]),
      );
    });
}

/** Labels from a JSON array or a CSV file with predictionId and label columns (numbers stay numbers). */
export function parseLabelsFile(text: string, name: string): unknown[] {
  const t = text.trimStart();
  if (t.startsWith('[') || t.startsWith('{')) {
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch (err) {
      throw new UsageError(`${name} is not valid JSON: ${(err as Error).message}`);
    }
    const list = Array.isArray(v) ? v : (v as { labels?: unknown }).labels;
    if (!Array.isArray(list)) throw new UsageError(`${name} must hold an array [{"predictionId", "label"}]`);
    return list;
  }
  const lines = t.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0]?.split(',').map((h) => h.trim()) ?? [];
  const idCol = header.indexOf('predictionId');
  const labelCol = header.indexOf('label');
  if (idCol < 0 || labelCol < 0) throw new UsageError(`${name}: a CSV needs the columns predictionId and label (found ${header.join(', ')})`);
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    const raw = (cells[labelCol] ?? '').trim();
    const n = Number(raw);
    return { predictionId: (cells[idCol] ?? '').trim(), label: raw !== '' && Number.isFinite(n) ? n : raw };
  });
}
