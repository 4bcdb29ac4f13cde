/**
 * `steward gates …`: run test gates on a model version against a dataset version (waiting with progress),
 * list a version's runs, and show one run's results.
 *
 * The gates file is JSON or YAML: a list of gate specs, or an object {gates: [...], dataset?, target?}
 * (the flags win over the file).
 */
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { GateResultView, GateRunView } from '../../modules/governance/gates/gates.service.js';
import { cliContext, UsageError } from '../context.js';
import { keyValues, table } from '../output.js';
import { readSource } from './deployments.js';
import { parseDatasetRef, query } from './monitoring.js';

/** A gates file (JSON or YAML) as {gates, dataset?, target?}. */
export function parseGatesFile(text: string, name: string): { gates: unknown[]; dataset?: string; target?: string } {
  const trimmed = text.trim();
  let value: unknown;
  if (name.endsWith('.json') || trimmed.startsWith('[') || trimmed.startsWith('{')) {
    try {
      value = JSON.parse(trimmed) as unknown;
    } catch (err) {
      throw new UsageError(`${name} is not valid JSON: ${(err as Error).message}`);
    }
  } else {
    try {
      value = parseYaml(text) as unknown;
    } catch (err) {
      throw new UsageError(`${name} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (Array.isArray(value)) return { gates: value };
  if (value !== null && typeof value === 'object' && Array.isArray((value as { gates?: unknown }).gates)) {
    const v = value as { gates: unknown[]; dataset?: unknown; target?: unknown };
    return { gates: v.gates, dataset: typeof v.dataset === 'string' ? v.dataset : undefined, target: typeof v.target === 'string' ? v.target : undefined };
  }
  throw new UsageError(`${name} must hold a list of gate specs, or {gates: [...]}`);
}

// ------------------------------------------------------------------------------------------------
// Output

function resultsTable(results: GateResultView[]): string {
  return table(['GATE', 'TYPE', 'PASSED', 'SUMMARY'], results.map((r) => [r.name, r.type, r.passed ? 'yes' : 'NO', r.summary]));
}

export function runText(r: GateRunView): string {
  const head = keyValues([
    ['run', r.id],
    ['model', `${r.model} v${r.version}`],
    ['dataset', `${r.dataset.name}@${r.dataset.version}${r.target ? ` (target ${r.target})` : ''}`],
    ['status', r.status + (r.error ? ` — ${r.error}` : '')],
    ['passed', r.passed === null ? '-' : r.passed ? 'yes' : 'no'],
    ['created', `${r.createdAt} by ${r.createdBy}`],
  ]);
  return r.results && r.results.length > 0 ? `${head}\n\n${resultsTable(r.results)}` : head;
}

export function gatesCommands(program: Command): void {
  const gates = program.command('gates').description('test gates: metric, schema, robustness, latency, fairness and leakage checks of a model version');

  gates
    .command('run <model> <version>')
    .description('run the gates of a file on a dataset version and wait for the results')
    .requiredOption('-f, --file <file>', "gates.json or gates.yaml: a list of gate specs (or {gates: [...]}); '-' reads standard input")
    .option('--dataset <name@version>', 'the evaluation data (default: the file\'s dataset)')
    .option('--target <column>', 'label column (default: the file\'s target)')
    .option('--policy <id>', 'the policy this run is for')
    .option('--no-wait', 'return once the run is queued')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (model: string, version: string, opts: { file: string; dataset?: string; target?: string; policy?: string; wait: boolean; project?: string }, cmd: Command) => {
      if (!/^[1-9][0-9]*$/.test(version)) throw new UsageError(`version '${version}' must be a version number`);
      const file = parseGatesFile(await readSource(opts.file), opts.file === '-' ? '(stdin)' : opts.file);
      const dataset = opts.dataset ?? file.dataset;
      if (!dataset) throw new UsageError('--dataset name@version is required (or a "dataset" in the gates file)');
      parseDatasetRef(dataset);
      const body: Record<string, unknown> = { dataset, gates: file.gates };
      const target = opts.target ?? file.target;
      if (target) body.target = target;
      if (opts.policy) body.policyId = opts.policy;
      const { client, out } = await cliContext(cmd);
      const base = `/api/v1/models/${encodeURIComponent(model)}/versions/${version}/gate-runs`;
      let r = await client.json<GateRunView>('POST', `${base}${query({ project: opts.project })}`, body);
      if (opts.wait) {
        const tty = process.stderr.isTTY && !cmd.optsWithGlobals<{ json?: boolean; quiet?: boolean }>().quiet;
        while (r.status === 'queued' || r.status === 'running') {
          await new Promise((res) => setTimeout(res, 500));
          r = await client.json<GateRunView>('GET', `${base}/${r.id}${query({ project: opts.project })}`);
          if (tty && r.progress) process.stderr.write(`\r${(r.progress.fraction * 100).toFixed(0).padStart(3)}% ${r.progress.message}\u001b[K`);
        }
        if (tty) process.stderr.write('\n');
      }
      out.result(r, () => runText(r));
      if (r.status === 'failed' || r.passed === false) process.exitCode = 1;
    });

  gates
    .command('list <model> <version>')
    .description("a version's gate runs, newest first")
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (model: string, version: string, opts: { project?: string }, cmd: Command) => {
      if (!/^[1-9][0-9]*$/.test(version)) throw new UsageError(`version '${version}' must be a version number`);
      const { client, out } = await cliContext(cmd);
      const list = await client.json<{ items: GateRunView[] }>('GET', `/api/v1/models/${encodeURIComponent(model)}/versions/${version}/gate-runs${query({ project: opts.project })}`);
      out.result(list, () =>
        list.items.length === 0
          ? `${model} v${version} has no gate runs yet: run 'steward gates run ${model} ${version} --dataset name@version -f gates.yaml'`
          : table(['RUN', 'DATASET', 'STATUS', 'PASSED', 'GATES', 'CREATED'], list.items.map((r) => [r.id, `${r.dataset.name}@${r.dataset.version}`, r.status, r.passed === null ? '-' : r.passed ? 'yes' : 'no', r.gates.map((g) => g.name).join(', '), `${r.createdAt} ${r.createdBy}`])),
      );
    });

  gates
    .command('show <model> <version> <run>')
    .description('one gate run with each gate\'s result')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (model: string, version: string, id: string, opts: { project?: string }, cmd: Command) => {
      if (!/^[1-9][0-9]*$/.test(version)) throw new UsageError(`version '${version}' must be a version number`);
      const { client, out } = await cliContext(cmd);
      const r = await client.json<GateRunView>('GET', `/api/v1/models/${encodeURIComponent(model)}/versions/${version}/gate-runs/${encodeURIComponent(id)}${query({ project: opts.project })}`);
      out.result(r, () => runText(r));
    });
}
