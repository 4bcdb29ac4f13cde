/**
 * `steward card …`: show a model version's card, write its fields (from a JSON or YAML file, or
 * --set path=value), and export it as Markdown or HTML.
 */
import { extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { CARD_FIELD_HELP, CARD_FIELD_PATHS, isCardFieldPath } from '../../modules/governance/cards/card-fields.js';
import { renderHtml, renderMarkdown } from '../../modules/governance/cards/card-render.js';
import type { ModelCard } from '../../modules/governance/cards/cards.service.js';
import { cliContext, collectPair, UsageError } from '../context.js';
import { formatBytes } from '../output.js';
import { readSource } from './deployments.js';
import { query } from './monitoring.js';

const LIST_PATHS: ReadonlySet<string> = new Set(CARD_FIELD_PATHS.filter((p) => p !== 'model_details.overview'));

function versionNumber(version: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(version)) throw new UsageError(`version '${version}' must be a version number (1, 2, …)`);
  return Number(version);
}

const cardPath = (model: string, version: string, suffix = '') => `/api/v1/models/${encodeURIComponent(model)}/versions/${versionNumber(version)}/card${suffix}`;

/** A fields document from a file: JSON or YAML; a whole card (as `card show --json` prints it) gives its `fields`. */
export function parseFieldsFile(name: string, text: string): Record<string, unknown> {
  const ext = extname(name).toLowerCase();
  let doc: unknown;
  try {
    doc = ext === '.json' ? JSON.parse(text) : ext === '.yaml' || ext === '.yml' ? parseYaml(text) : parseJsonOrYaml(text);
  } catch (err) {
    throw new UsageError(`${name} is not valid ${ext === '.json' ? 'JSON' : ext === '.yaml' || ext === '.yml' ? 'YAML' : 'JSON or YAML'}: ${(err as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new UsageError(`${name} must hold an object with model_details and/or considerations`);
  const fields = (doc as { fields?: unknown }).fields;
  return (fields !== null && typeof fields === 'object' && !Array.isArray(fields) ? fields : doc) as Record<string, unknown>;
}

function parseJsonOrYaml(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return parseYaml(text);
  }
}

/**
 * `--set path=value` pairs as a document of sections: an empty value removes the field; a list field takes
 * a JSON list or object, or a text as one item (repeating --set for a list adds items).
 */
export function fieldsFromSets(sets: [string, string][]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [path, value] of sets) {
    if (!isCardFieldPath(path)) throw new UsageError(`--set ${path}: not a card field; fields are ${CARD_FIELD_PATHS.join(', ')}`);
    const [section, key] = path.split('.') as [string, string];
    const fields = (out[section] ??= {});
    if (value === '') {
      fields[key] = null;
      continue;
    }
    if (!LIST_PATHS.has(path)) {
      fields[key] = value;
      continue;
    }
    let items: unknown[] = [value];
    if (/^\s*[[{]/.test(value)) {
      try {
        const parsed: unknown = JSON.parse(value);
        items = Array.isArray(parsed) ? parsed : [parsed];
      } catch (err) {
        throw new UsageError(`--set ${path}: the value looks like JSON but does not parse (${(err as Error).message})`);
      }
    }
    const previous = fields[key];
    fields[key] = Array.isArray(previous) ? [...(previous as unknown[]), ...items] : items;
  }
  return out;
}

/** Sections of `over` replace, field by field, those of `base`. */
function overlay(base: Record<string, unknown>, over: Record<string, Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [section, fields] of Object.entries(over)) {
    const current = base[section];
    out[section] = { ...(current !== null && typeof current === 'object' ? current : {}), ...fields };
  }
  return out;
}

function cardSummary(card: ModelCard): string {
  const { filled, missing } = card.completeness;
  return `card of ${card.model} version ${card.version}: ${filled.length} of ${filled.length + missing.length} written fields filled${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`;
}

export function cardsCommands(program: Command): void {
  const card = program.command('card').description("model cards: what Steward knows about a model version, plus the fields people write");

  card
    .command('show <model> <version>')
    .description('print the card of a model version (Markdown; --json for the whole card)')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (model: string, version: string, opts: { project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const c = await client.json<ModelCard>('GET', `${cardPath(model, version)}${query({ project: opts.project })}`);
      out.result(c, () => renderMarkdown(c).trimEnd());
    });

  card
    .command('edit <model> <version>')
    .description(
      'write the card\'s fields: -f replaces them all with a JSON or YAML file (--merge changes only the fields it names); --set path=value changes one field. ' +
        `Fields: ${Object.entries(CARD_FIELD_HELP)
          .map(([p, h]) => `${p} — ${h}`)
          .join('; ')}`,
    )
    .option('-f, --file <file>', "fields.json or fields.yaml ('-' reads standard input)")
    .option('--merge', 'with -f: change only the fields the file names (PATCH) instead of replacing all of them')
    .option('--set <path=value>', 'set one field (repeatable; an empty value removes it; list fields take a text item or JSON)', collectPair, [])
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (model: string, version: string, opts: { file?: string; merge?: boolean; set: [string, string][]; project?: string }, cmd: Command) => {
      if (!opts.file && opts.set.length === 0) throw new UsageError('give -f <file> or at least one --set path=value');
      if (opts.merge && !opts.file) throw new UsageError('--merge goes with -f <file>');
      const sets = fieldsFromSets(opts.set);
      let method: 'PUT' | 'PATCH' = 'PATCH';
      let body: Record<string, unknown> = sets;
      if (opts.file) {
        const text = await readSource(opts.file);
        body = overlay(parseFieldsFile(opts.file === '-' ? '(stdin)' : opts.file, text), sets);
        method = opts.merge ? 'PATCH' : 'PUT';
      }
      const { client, out } = await cliContext(cmd);
      const c = await client.json<ModelCard>(method, `${cardPath(model, version)}${query({ project: opts.project })}`, body);
      out.result(c, () => cardSummary(c));
    });

  card
    .command('export <model> <version>')
    .description('write the card as Markdown or as a standalone HTML page')
    .option('--format <format>', 'md or html (default: from the -o extension, else md)')
    .option('-o, --output <file>', "where to write it ('-' for standard output; default <model>-v<version>-card.<format>)")
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (model: string, version: string, opts: { format?: string; output?: string; project?: string }, cmd: Command) => {
      const fromExt = opts.output && /\.html?$/i.test(opts.output) ? 'html' : 'md';
      const format = opts.format ?? fromExt;
      if (format !== 'md' && format !== 'html') throw new UsageError(`--format '${format}' must be md or html`);
      const { client, out } = await cliContext(cmd);
      if (opts.output === '-') {
        const c = await client.json<ModelCard>('GET', `${cardPath(model, version)}${query({ project: opts.project })}`);
        process.stdout.write(format === 'md' ? renderMarkdown(c) : renderHtml(c));
        return;
      }
      const target = opts.output ?? `${model}-v${versionNumber(version)}-card.${format}`;
      const r = await client.download(`${cardPath(model, version, `.${format}`)}${query({ project: opts.project, download: 1 })}`, target);
      out.result({ file: resolve(target), ...r }, () => `wrote ${target} (${formatBytes(r.size)})`);
    });
}
