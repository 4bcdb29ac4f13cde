/**
 * Preparation recipes: a list of declarative steps that turn one dataset version into another. Steps are
 * data, never SQL: every column is quoted and every value is a checked literal. Steps that need statistics
 * (impute with mean/median/mode, standardize, one-hot categories) are fitted on the input data when the
 * recipe is applied, and the fitted recipe is kept with the output version, so that serving can later apply
 * exactly the same preprocessing.
 */
import { invalidField, unprocessable } from '../platform/errors.js';
import { printable } from '../platform/names.js';
import { asObject } from '../platform/validate.js';
import { COLUMN_TYPES, STORAGE_FOR, type ColumnSchema, type ColumnType } from './column-types.js';
import type { DataEngine } from './engine.js';
import { ident, literal } from './sql.js';

type Scalar = number | string | boolean;
export type ConditionOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not_in' | 'is_null' | 'not_null';
export interface Condition {
  column: string;
  op: ConditionOp;
  value?: Scalar | Scalar[];
}
export const DATE_PARTS = ['year', 'month', 'day', 'dayofweek', 'hour', 'minute'] as const;

export type RecipeStep =
  | { op: 'select'; columns: string[] }
  | { op: 'drop'; columns: string[] }
  | { op: 'rename'; columns: Record<string, string> }
  | { op: 'cast'; columns: Record<string, ColumnType> }
  | { op: 'filter'; where: Condition[] }
  | { op: 'impute'; columns: string[]; strategy: 'mean' | 'median' | 'mode' | 'constant'; value?: Scalar; fitted?: Record<string, Scalar | null> }
  | { op: 'one_hot'; columns: string[]; maxCategories: number; fitted?: Record<string, string[]> }
  | { op: 'standardize'; columns: string[]; fitted?: Record<string, { mean: number; std: number }> }
  | { op: 'date_parts'; column: string; parts: (typeof DATE_PARTS)[number][]; drop: boolean };

const OPS = ['select', 'drop', 'rename', 'cast', 'filter', 'impute', 'one_hot', 'standardize', 'date_parts'] as const;
const CONDITION_OPS: ConditionOp[] = ['=', '!=', '<', '<=', '>', '>=', 'in', 'not_in', 'is_null', 'not_null'];

function stringList(field: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 1000) throw invalidField(field, 'must be a non-empty array of column names');
  return value.map((v, i) => {
    if (typeof v !== 'string' || v === '' || v.length > 256 || v.includes('\u0000')) throw invalidField(`${field}[${i}]`, 'must be a column name');
    return v;
  });
}

function scalar(field: string, v: unknown): Scalar {
  if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') return v;
  if (typeof v === 'string' && v.length <= 10_000 && !v.includes('\u0000')) return v;
  throw invalidField(field, 'must be a finite number, a string or a boolean');
}

function only(field: string, o: Record<string, unknown>, keys: string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw invalidField(`${field}.${printable(k)}`, `is not a field of this step (known: ${keys.join(', ')})`, 'UNKNOWN_FIELD');
}

/** Checks the shape of a recipe's steps (not yet against any data). */
export function parseSteps(value: unknown): RecipeStep[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 100) throw invalidField('steps', 'must be a non-empty array of at most 100 steps');
  return value.map((raw, i): RecipeStep => {
    const f = `steps[${i}]`;
    const s = asObject(f, raw);
    const op = s.op;
    if (typeof op !== 'string' || !(OPS as readonly string[]).includes(op)) throw invalidField(`${f}.op`, `must be one of ${OPS.join(', ')}`);
    switch (op) {
      case 'select':
      case 'drop':
      case 'standardize':
        only(f, s, ['op', 'columns']);
        return { op, columns: stringList(`${f}.columns`, s.columns) };
      case 'rename': {
        only(f, s, ['op', 'columns']);
        const m = asObject(`${f}.columns`, s.columns);
        const out: Record<string, string> = Object.create(null) as Record<string, string>;
        for (const [from, to] of Object.entries(m)) {
          if (typeof to !== 'string' || to === '' || to.length > 256 || to.includes('\u0000')) throw invalidField(`${f}.columns.${printable(from)}`, 'must be the new column name');
          out[from] = to;
        }
        if (Object.keys(out).length === 0) throw invalidField(`${f}.columns`, 'must rename at least one column');
        return { op, columns: out };
      }
      case 'cast': {
        only(f, s, ['op', 'columns']);
        const m = asObject(`${f}.columns`, s.columns);
        const out: Record<string, ColumnType> = Object.create(null) as Record<string, ColumnType>;
        for (const [name, type] of Object.entries(m)) {
          if (typeof type !== 'string' || !(COLUMN_TYPES as readonly string[]).includes(type)) throw invalidField(`${f}.columns.${printable(name)}`, `must be one of ${COLUMN_TYPES.join(', ')}`);
          out[name] = type as ColumnType;
        }
        if (Object.keys(out).length === 0) throw invalidField(`${f}.columns`, 'must cast at least one column');
        return { op, columns: out };
      }
      case 'filter': {
        only(f, s, ['op', 'where']);
        const list = Array.isArray(s.where) ? s.where : [s.where];
        if (list.length === 0 || list.length > 50) throw invalidField(`${f}.where`, 'must be a condition or a non-empty list of conditions (all must hold)');
        const where = list.map((c, k): Condition => {
          const cf = Array.isArray(s.where) ? `${f}.where[${k}]` : `${f}.where`;
          const o = asObject(cf, c);
          only(cf, o, ['column', 'op', 'value']);
          if (typeof o.column !== 'string' || o.column === '') throw invalidField(`${cf}.column`, 'must be a column name');
          if (typeof o.op !== 'string' || !(CONDITION_OPS as string[]).includes(o.op)) throw invalidField(`${cf}.op`, `must be one of ${CONDITION_OPS.join(', ')}`);
          const cop = o.op as ConditionOp;
          if (cop === 'is_null' || cop === 'not_null') {
            if (o.value !== undefined) throw invalidField(`${cf}.value`, `is not used with ${cop}`);
            return { column: o.column, op: cop };
          }
          if (cop === 'in' || cop === 'not_in') {
            if (!Array.isArray(o.value) || o.value.length === 0 || o.value.length > 1000) throw invalidField(`${cf}.value`, 'must be a non-empty array');
            return { column: o.column, op: cop, value: o.value.map((v, j) => scalar(`${cf}.value[${j}]`, v)) };
          }
          return { column: o.column, op: cop, value: scalar(`${cf}.value`, o.value) };
        });
        return { op, where };
      }
      case 'impute': {
        only(f, s, ['op', 'columns', 'strategy', 'value']);
        const strategy = s.strategy ?? 'mean';
        if (strategy !== 'mean' && strategy !== 'median' && strategy !== 'mode' && strategy !== 'constant') throw invalidField(`${f}.strategy`, 'must be mean, median, mode or constant');
        if (strategy === 'constant' && s.value === undefined) throw invalidField(`${f}.value`, 'is required with the constant strategy');
        if (strategy !== 'constant' && s.value !== undefined) throw invalidField(`${f}.value`, 'is only used with the constant strategy');
        return { op, columns: stringList(`${f}.columns`, s.columns), strategy, ...(s.value !== undefined ? { value: scalar(`${f}.value`, s.value) } : {}) };
      }
      case 'one_hot': {
        only(f, s, ['op', 'columns', 'maxCategories']);
        const max = s.maxCategories ?? 50;
        if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 1000) throw invalidField(`${f}.maxCategories`, 'must be an integer from 1 to 1000');
        return { op, columns: stringList(`${f}.columns`, s.columns), maxCategories: max };
      }
      case 'date_parts': {
        only(f, s, ['op', 'column', 'parts', 'drop']);
        if (typeof s.column !== 'string' || s.column === '') throw invalidField(`${f}.column`, 'must be a column name');
        const parts = s.parts ?? ['year', 'month', 'day', 'dayofweek'];
        if (!Array.isArray(parts) || parts.length === 0 || !parts.every((p) => (DATE_PARTS as readonly string[]).includes(p as string))) {
          throw invalidField(`${f}.parts`, `must be a non-empty list of ${DATE_PARTS.join(', ')}`);
        }
        if (s.drop !== undefined && typeof s.drop !== 'boolean') throw invalidField(`${f}.drop`, 'must be true or false');
        return { op, column: s.column, parts: parts as (typeof DATE_PARTS)[number][], drop: s.drop === true };
      }
    }
    throw invalidField(`${f}.op`, 'is not supported');
  });
}

const numeric = (t: ColumnType) => t === 'numeric' || t === 'integer';

/**
 * Follows the steps over a schema without data: every column a step names must exist at that step, and have
 * a type the step can use. Returns the schema after each step (index 0 is the input).
 */
export function plan(steps: RecipeStep[], input: ColumnSchema[]): ColumnSchema[][] {
  const schemas: ColumnSchema[][] = [input];
  let cols = input;
  // Columns a one-hot step will add are only known when it is fitted: names with its prefix pass here and
  // are checked when the recipe is applied.
  const oneHotPrefixes: string[] = [];
  const need = (f: string, name: string, check?: (c: ColumnSchema) => string | undefined): ColumnSchema => {
    const c = cols.find((x) => x.name === name) ?? (oneHotPrefixes.some((p) => name.startsWith(p)) ? { name, type: 'integer' as ColumnType, storage: 'BIGINT' } : undefined);
    if (!c) throw invalidField(f, `there is no column '${name}' at this step (columns: ${cols.map((x) => x.name).join(', ')})`);
    const problem = check?.(c);
    if (problem) throw invalidField(f, problem);
    return c;
  };
  const fresh = (f: string, name: string, taken: ColumnSchema[]) => {
    if (taken.some((x) => x.name === name)) throw invalidField(f, `would make a second column named '${name}'`);
  };
  steps.forEach((step, i) => {
    const f = `steps[${i}]`;
    switch (step.op) {
      case 'select':
        cols = step.columns.map((n, k) => need(`${f}.columns[${k}]`, n));
        break;
      case 'drop':
        step.columns.forEach((n, k) => need(`${f}.columns[${k}]`, n));
        cols = cols.filter((c) => !step.columns.includes(c.name));
        if (cols.length === 0) throw invalidField(`${f}.columns`, 'would drop every column');
        break;
      case 'rename': {
        const next = cols.map((c) => ({ ...c }));
        for (const [from, to] of Object.entries(step.columns)) {
          need(`${f}.columns.${from}`, from);
          next.find((c) => c.name === from)!.name = to;
        }
        if (new Set(next.map((c) => c.name)).size !== next.length) throw invalidField(`${f}.columns`, 'would give two columns the same name');
        cols = next;
        break;
      }
      case 'cast':
        for (const name of Object.keys(step.columns)) need(`${f}.columns.${name}`, name);
        cols = cols.map((c) => (step.columns[c.name] ? { name: c.name, type: step.columns[c.name]!, storage: STORAGE_FOR[step.columns[c.name]!] } : c));
        break;
      case 'filter':
        step.where.forEach((w, k) => need(`${f}.where[${k}].column`, w.column));
        break;
      case 'impute':
        step.columns.forEach((n, k) =>
          need(`${f}.columns[${k}]`, n, (c) => ((step.strategy === 'mean' || step.strategy === 'median') && !numeric(c.type) ? `'${n}' is ${c.type}; ${step.strategy} imputation needs a numeric column` : undefined)),
        );
        break;
      case 'standardize':
        step.columns.forEach((n, k) => need(`${f}.columns[${k}]`, n, (c) => (!numeric(c.type) ? `'${n}' is ${c.type}; standardize needs a numeric column` : undefined)));
        cols = cols.map((c) => (step.columns.includes(c.name) ? { name: c.name, type: 'numeric', storage: 'DOUBLE' } : c));
        break;
      case 'one_hot':
        step.columns.forEach((n, k) => need(`${f}.columns[${k}]`, n));
        // The new columns are only known once fitted (see applyRecipe); they are checked for clashes then.
        oneHotPrefixes.push(...step.columns.map((n) => `${n}_`));
        cols = cols.filter((c) => !step.columns.includes(c.name));
        break;
      case 'date_parts': {
        need(`${f}.column`, step.column, (c) => (c.type !== 'datetime' ? `'${step.column}' is ${c.type}; date_parts needs a datetime column` : undefined));
        const added = step.parts.map((p) => ({ name: `${step.column}_${p}`, type: 'integer' as ColumnType, storage: 'BIGINT' }));
        const kept = step.drop ? cols.filter((c) => c.name !== step.column) : cols;
        added.forEach((a) => fresh(`${f}.parts`, a.name, kept));
        cols = [...kept, ...added];
        break;
      }
    }
    schemas.push(cols);
  });
  return schemas;
}

function condition(w: Condition): string {
  const col = ident(w.column);
  const lit = (v: Scalar) => (typeof v === 'string' ? literal(v) : typeof v === 'boolean' ? String(v) : String(v));
  switch (w.op) {
    case 'is_null':
      return `${col} is null`;
    case 'not_null':
      return `${col} is not null`;
    case 'in':
      return `${col} in (${(w.value as Scalar[]).map(lit).join(', ')})`;
    case 'not_in':
      return `${col} not in (${(w.value as Scalar[]).map(lit).join(', ')})`;
    default:
      return `${col} ${w.op === '!=' ? '<>' : w.op} ${lit(w.value as Scalar)}`;
  }
}

function valueLiteral(v: Scalar | null): string {
  if (v === null) return 'null';
  return typeof v === 'string' ? literal(v) : String(v);
}

export interface PreparedRecipe {
  /** The steps with their fitted statistics. */
  steps: RecipeStep[];
  schema: ColumnSchema[];
  rows: number;
}

/**
 * Fits the steps on the data and writes the result to `outputPath` (ZSTD Parquet). Each step is one SELECT
 * over the previous one; steps that need statistics query the data as it is at that step.
 */
export async function applyRecipe(engine: DataEngine, inputPath: string, input: ColumnSchema[], steps: RecipeStep[], outputPath: string): Promise<PreparedRecipe> {
  plan(steps, input);
  return engine.use(async (db) => {
    let rel = `select * from read_parquet(${literal(inputPath)})`;
    let cols = input;
    const fitted: RecipeStep[] = [];
    const one = async (sql: string) => (await db.runAndReadAll(sql)).getRowObjectsJson()[0]!;
    for (const [i, step] of steps.entries()) {
      const f = `steps[${i}]`;
      const from = `(${rel}) as s${i}`;
      let next: ColumnSchema[] = cols;
      let select: string[];
      switch (step.op) {
        case 'select':
          next = step.columns.map((n) => cols.find((c) => c.name === n)!);
          select = next.map((c) => ident(c.name));
          fitted.push(step);
          break;
        case 'drop':
          next = cols.filter((c) => !step.columns.includes(c.name));
          select = next.map((c) => ident(c.name));
          fitted.push(step);
          break;
        case 'rename':
          select = cols.map((c) => (step.columns[c.name] ? `${ident(c.name)} as ${ident(step.columns[c.name]!)}` : ident(c.name)));
          next = cols.map((c) => (step.columns[c.name] ? { ...c, name: step.columns[c.name]! } : c));
          fitted.push(step);
          break;
        case 'cast':
          select = cols.map((c) => (step.columns[c.name] ? `cast(${ident(c.name)} as ${STORAGE_FOR[step.columns[c.name]!]}) as ${ident(c.name)}` : ident(c.name)));
          next = cols.map((c) => (step.columns[c.name] ? { name: c.name, type: step.columns[c.name]!, storage: STORAGE_FOR[step.columns[c.name]!] } : c));
          fitted.push(step);
          break;
        case 'filter':
          rel = `select * from ${from} where ${step.where.map(condition).join(' and ')}`;
          fitted.push(step);
          continue;
        case 'impute': {
          const values: Record<string, Scalar | null> = {};
          for (const name of step.columns) {
            const c = ident(name);
            if (step.strategy === 'constant') values[name] = step.value!;
            else {
              const agg = step.strategy === 'mean' ? `avg(${c})` : step.strategy === 'median' ? `quantile_cont(${c}, 0.5)` : `mode(${c})`;
              const r = await one(`select ${agg} as v from ${from}`);
              values[name] = (r.v ?? null) as Scalar | null;
              if (typeof values[name] === 'string' && numeric(cols.find((x) => x.name === name)!.type)) values[name] = Number(values[name]);
            }
          }
          select = cols.map((c) => (c.name in values ? `coalesce(${ident(c.name)}, ${valueLiteral(values[c.name]!)}) as ${ident(c.name)}` : ident(c.name)));
          fitted.push({ ...step, fitted: values });
          break;
        }
        case 'standardize': {
          const stats: Record<string, { mean: number; std: number }> = {};
          for (const name of step.columns) {
            const r = await one(`select avg(${ident(name)}) as m, stddev_samp(${ident(name)}) as s from ${from}`);
            stats[name] = { mean: Number(r.m ?? 0), std: Number(r.s ?? 0) };
          }
          select = cols.map((c) => {
            const st = stats[c.name];
            if (!st) return ident(c.name);
            return st.std > 0 ? `(${ident(c.name)} - ${st.mean}) / ${st.std} as ${ident(c.name)}` : `cast(${ident(c.name)} - ${st.mean} as double) as ${ident(c.name)}`;
          });
          next = cols.map((c) => (stats[c.name] ? { name: c.name, type: 'numeric', storage: 'DOUBLE' } : c));
          fitted.push({ ...step, fitted: stats });
          break;
        }
        case 'one_hot': {
          const categories: Record<string, string[]> = {};
          for (const name of step.columns) {
            const r = await db.runAndReadAll(
              `select cast(${ident(name)} as varchar) as v, count(*) as n from ${from} where ${ident(name)} is not null group by 1 order by n desc, v limit ${step.maxCategories}`,
            );
            categories[name] = r.getRowObjectsJson().map((row) => String(row.v));
          }
          const kept = cols.filter((c) => !(c.name in categories));
          const added: ColumnSchema[] = [];
          select = kept.map((c) => ident(c.name));
          for (const [name, values] of Object.entries(categories)) {
            for (const v of values) {
              const col = `${name}_${v}`;
              if ([...kept, ...added].some((c) => c.name === col)) throw unprocessable('RECIPE_CONFLICT', `${f}: one-hot column '${col}' would clash with an existing column`, { field: f });
              added.push({ name: col, type: 'integer', storage: 'BIGINT' });
              select.push(`cast(coalesce(cast(${ident(name)} as varchar) = ${literal(v)}, false) as bigint) as ${ident(col)}`);
            }
          }
          next = [...kept, ...added];
          fitted.push({ ...step, fitted: categories });
          break;
        }
        case 'date_parts': {
          const kept = step.drop ? cols.filter((c) => c.name !== step.column) : cols;
          select = kept.map((c) => ident(c.name));
          for (const p of step.parts) select.push(`cast(${p}(${ident(step.column)}) as bigint) as ${ident(`${step.column}_${p}`)}`);
          next = [...kept, ...step.parts.map((p) => ({ name: `${step.column}_${p}`, type: 'integer' as ColumnType, storage: 'BIGINT' }))];
          fitted.push(step);
          break;
        }
      }
      rel = `select ${select.join(', ')} from ${from}`;
      cols = next;
    }
    try {
      await db.run(`copy (${rel}) to ${literal(outputPath)} (format parquet, compression zstd, row_group_size 122880)`);
    } catch (err) {
      throw unprocessable('RECIPE_FAILED', `applying the recipe failed: ${(err as Error).message.split('\n')[0]}`, { field: 'recipe' });
    }
    const n = await one(`select count(*) as n from read_parquet(${literal(outputPath)})`);
    return { steps: fitted, schema: cols, rows: Number(n.n) };
  });
}
