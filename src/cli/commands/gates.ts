/**
 * `steward gates …`: run test gates on a model version against a dataset version (waiting with progress),
 * list a version's runs, and show one run's results.
 *
 * The gates file is JSON or YAML: a list of gate specs, or an object {gates: [...], dataset?, target?}
 * (the flags win over the file). YAML is read by a small parser of the block subset gate files need:
 * mappings and sequences by indentation ("- name: auc" items included), comments, quoted and plain
 * scalars (numbers, true/false, null), and one-line flow lists such as [a, b].
 */
import type { Command } from 'commander';
import type { GateResultView, GateRunView } from '../../modules/governance/gates/gates.service.js';
import { cliContext, UsageError } from '../context.js';
import { keyValues, table } from '../output.js';
import { readSource } from './deployments.js';
import { parseDatasetRef, query } from './monitoring.js';

// ------------------------------------------------------------------------------------------------
// A YAML subset

interface Line {
  indent: number;
  text: string;
  no: number;
}

function stripComment(s: string): string {
  let quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(s[i - 1]!))) return s.slice(0, i);
  }
  return s;
}

function scalar(raw: string, no: number): unknown {
  const s = raw.trim();
  if (s === '' || s === '~' || s === 'null') return null;
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (s === '{}') return {};
  if (s.startsWith('"')) {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      throw new UsageError(`line ${no}: bad double-quoted text ${s}`);
    }
  }
  if (s.startsWith("'")) {
    if (!s.endsWith("'") || s.length < 2) throw new UsageError(`line ${no}: unterminated quoted text ${s}`);
    return s.slice(1, -1).replace(/''/g, "'");
  }
  if (s.startsWith('[')) {
    if (!s.endsWith(']')) throw new UsageError(`line ${no}: a flow list must end on its line: ${s}`);
    const inner = s.slice(1, -1).trim();
    if (inner === '') return [];
    const items: string[] = [];
    let quote: string | null = null;
    let start = 0;
    for (let i = 0; i < inner.length; i++) {
      const c = inner[i]!;
      if (quote) {
        if (c === quote) quote = null;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === ',') {
        items.push(inner.slice(start, i));
        start = i + 1;
      }
    }
    items.push(inner.slice(start));
    return items.map((item) => scalar(item, no));
  }
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return Number(s);
  return s;
}

/** "key: value" → [key, value]; null when the text is not a mapping entry. */
function keyValue(text: string): [string, string] | null {
  const m = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^\s"'#[\]{},][^:]*?)\s*:(?:\s+(.*)|)$/.exec(text);
  if (!m) return null;
  const key = m[1]!.startsWith('"') || m[1]!.startsWith("'") ? String(scalar(m[1]!, 0)) : m[1]!;
  return [key, m[2] ?? ''];
}

function block(lines: Line[], at: number, indent: number): [unknown, number] {
  const first = lines[at]!;
  if (first.text === '-' || first.text.startsWith('- ')) {
    const list: unknown[] = [];
    let i = at;
    while (i < lines.length && lines[i]!.indent === indent && (lines[i]!.text === '-' || lines[i]!.text.startsWith('- '))) {
      const line = lines[i]!;
      const rest = line.text.slice(1).trimStart();
      if (rest === '') {
        const next = lines[i + 1];
        if (!next || next.indent <= indent) {
          list.push(null);
          i++;
        } else {
          const [v, j] = block(lines, i + 1, next.indent);
          list.push(v);
          i = j;
        }
      } else if (keyValue(rest)) {
        // "- key: value": a mapping whose first entry shares the dash's line.
        const inner = indent + (line.text.length - rest.length);
        const copy = [...lines];
        copy[i] = { indent: inner, text: rest, no: line.no };
        const [v, j] = block(copy, i, inner);
        list.push(v);
        i = j;
      } else {
        list.push(scalar(rest, line.no));
        i++;
      }
    }
    return [list, i];
  }
  const map: Record<string, unknown> = {};
  let i = at;
  while (i < lines.length && lines[i]!.indent === indent) {
    const line = lines[i]!;
    if (line.text.startsWith('- ')) throw new UsageError(`line ${line.no}: a list item where a key was expected`);
    const kv = keyValue(line.text);
    if (!kv) throw new UsageError(`line ${line.no}: expected "key: value", not ${JSON.stringify(line.text)}`);
    const [key, rest] = kv;
    if (Object.prototype.hasOwnProperty.call(map, key)) throw new UsageError(`line ${line.no}: the key '${key}' is repeated`);
    const next = lines[i + 1];
    if (rest.trim() !== '') {
      map[key] = scalar(rest, line.no);
      i++;
    } else if (next && (next.indent > indent || (next.indent === indent && (next.text === '-' || next.text.startsWith('- '))))) {
      const [v, j] = block(lines, i + 1, next.indent);
      map[key] = v;
      i = j;
    } else {
      map[key] = null;
      i++;
    }
  }
  if (i < lines.length && lines[i]!.indent > indent) throw new UsageError(`line ${lines[i]!.no}: unexpected indentation`);
  return [map, i];
}

/** Parses the YAML subset described in the file comment. */
export function parseYamlSubset(text: string): unknown {
  const lines: Line[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (/^\s*---\s*$/.test(raw)) return;
    if (raw.includes('\t') && /^\s*\t/.test(raw)) throw new UsageError(`line ${i + 1}: indent with spaces, not tabs`);
    const content = stripComment(raw).trimEnd();
    if (content.trim() === '') return;
    lines.push({ indent: content.length - content.trimStart().length, text: content.trim(), no: i + 1 });
  });
  if (lines.length === 0) return null;
  const [value, end] = block(lines, 0, lines[0]!.indent);
  if (end < lines.length) throw new UsageError(`line ${lines[end]!.no}: unexpected text at a lower indentation`);
  return value;
}

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
      value = parseYamlSubset(text);
    } catch (err) {
      throw new UsageError(`${name}: ${(err as Error).message}`);
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
