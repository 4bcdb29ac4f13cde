/**
 * Reproducible splits of a stored dataset version, computed by DuckDB from the stored rows alone:
 * - random: rows ordered by MD5(seed:row number), a standard hash, so the same seed gives the same rows on
 *   any machine and any DuckDB version;
 * - stratified: the same, within each value of a column (missing values form their own group), so that every
 *   class is split in the given proportions;
 * - time: rows ordered by a datetime or numeric column (ties by row number; missing values last), earliest
 *   first, so that later parts are later in time.
 * Within each group of m rows, part k takes the positions from round(m·a) up to round(m·b), where a and b
 * are the cumulative fractions before and after it: each part's count is within one row of exact.
 */
import { invalidField } from '../platform/errors.js';
import { checkName } from '../platform/names.js';
import { asObject, MAX_INT32, onlyKeys } from '../platform/validate.js';
import type { ColumnSchema } from './column-types.js';
import type { DataEngine } from './engine.js';
import { ident, literal } from './sql.js';

export const SPLIT_KINDS = ['random', 'stratified', 'time'] as const;
export type SplitKind = (typeof SPLIT_KINDS)[number];

export interface SplitSpec {
  kind: SplitKind;
  /** Parts in order, with fractions adding up to 1. */
  parts: { name: string; fraction: number }[];
  seed: number;
  /** The stratify column (stratified) or the time column (time). */
  column?: string;
}

/** Checks a split request against the version's columns; every problem names its field. */
export function parseSplitSpec(input: unknown, schema: ColumnSchema[]): SplitSpec {
  const o = asObject('body', input);
  onlyKeys('body', o, ['kind', 'fractions', 'seed', 'column']);
  const kind = o.kind ?? 'random';
  if (typeof kind !== 'string' || !(SPLIT_KINDS as readonly string[]).includes(kind)) throw invalidField('kind', `must be one of ${SPLIT_KINDS.join(', ')}`);
  const fractions = asObject('fractions', o.fractions);
  const entries = Object.entries(fractions);
  if (entries.length < 2 || entries.length > 10) throw invalidField('fractions', 'must name 2 to 10 parts, e.g. {"train": 0.8, "test": 0.2}');
  const parts = entries.map(([name, f]) => {
    checkName(`fractions.${name}`, name);
    if (typeof f !== 'number' || !Number.isFinite(f) || f <= 0 || f >= 1) throw invalidField(`fractions.${name}`, 'must be a number between 0 and 1');
    return { name, fraction: f };
  });
  const sum = parts.reduce((a, p) => a + p.fraction, 0);
  if (Math.abs(sum - 1) > 1e-9) throw invalidField('fractions', `must add up to 1 (they add up to ${Number(sum.toFixed(12))})`);
  const seed = o.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > MAX_INT32) throw invalidField('seed', `must be an integer from 0 to ${MAX_INT32}`);
  let column: string | undefined;
  if (kind === 'random') {
    if (o.column !== undefined) throw invalidField('column', 'is only used by stratified and time splits');
  } else {
    if (typeof o.column !== 'string' || o.column === '') throw invalidField('column', `is required for a ${kind} split`);
    const c = schema.find((s) => s.name === o.column);
    if (!c) throw invalidField('column', `there is no column '${o.column}' (columns: ${schema.map((s) => s.name).join(', ')})`);
    if (kind === 'time' && !['datetime', 'numeric', 'integer'].includes(c.type)) throw invalidField('column', `'${c.name}' is ${c.type}; a time split needs a datetime or numeric column`);
    column = c.name;
  }
  return { kind: kind as SplitKind, parts, seed, column };
}

/** Writes each part of the split to its own Parquet file; returns the files and their row counts, in part order. */
export async function writeSplit(engine: DataEngine, parquetPath: string, spec: SplitSpec, outputs: string[]): Promise<number[]> {
  const src = `read_parquet(${literal(parquetPath)}, file_row_number = true)`;
  const order =
    spec.kind === 'time'
      ? `${ident(spec.column!)} asc nulls last, file_row_number`
      : `md5(${literal(`${spec.seed}:`)} || cast(file_row_number as varchar)), file_row_number`;
  const partition = spec.kind === 'stratified' ? `partition by ${ident(spec.column!)}` : '';
  // Each row's part, computed once: the cumulative fraction boundaries, rounded per group.
  const bounds: number[] = [];
  let cumulative = 0;
  for (const p of spec.parts.slice(0, -1)) bounds.push((cumulative += p.fraction));
  const part = `case ${bounds.map((b, k) => `when pos < round(m * ${b}) then ${k}`).join(' ')} else ${spec.parts.length - 1} end`;
  const counts: number[] = [];
  await engine.use(async (db) => {
    await db.run(
      `create temp table split_assignment as
       select file_row_number, ${part} as part
       from (select file_row_number, row_number() over (${partition} order by ${order}) - 1 as pos, count(*) over (${partition}) as m from ${src})`,
    );
    for (const [k] of spec.parts.entries()) {
      const out = outputs[k]!;
      await db.run(
        `copy (select * exclude (file_row_number) from ${src}
               where file_row_number in (select file_row_number from split_assignment where part = ${k})
               order by file_row_number)
         to ${literal(out)} (format parquet, compression zstd, row_group_size 122880)`,
      );
      const n = (await db.runAndReadAll(`select count(*) as n from read_parquet(${literal(out)})`)).getRowObjectsJson()[0]!;
      counts.push(Number(n.n));
    }
    await db.run('drop table split_assignment');
  });
  return counts;
}
