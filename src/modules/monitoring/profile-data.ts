/**
 * Profiles a table of rows (a dataset version's Parquet, or an uploaded CSV/Parquet file) for a model
 * version: reads the model's feature columns with DuckDB, runs the model on them for its predictions, and
 * folds everything into a profile. Used for references and for offline "current" reports.
 */
import type { DataEngine } from '../../data/engine.js';
import { ident, literal } from '../../data/sql.js';
import {
  PREDICTION_COLUMN, ProfileBuilder, quantileEdges, type BinLayout, type ColumnSpec, type Profile,
} from '../../ml/monitoring/profile.js';
import { invalidField } from '../../platform/errors.js';
import { decodeColumns } from '../../serving/decode.js';
import { predictionsOf } from '../../serving/inference.service.js';
import type { ModelSchema } from '../../serving/model-schema.js';
import type { ModelRuntime } from '../../serving/runtimes.js';
import { predictionValue } from './window-folder.js';

/** At most this many rows are profiled; larger tables are sampled (DuckDB reservoir, fixed seed). */
export const MAX_PROFILE_ROWS = 1_000_000;
/** Rows kept in a reference's sample (for KS and Wasserstein). */
export const REFERENCE_SAMPLE_ROWS = 20_000;
const PREDICT_BATCH = 1024;

export interface TableSource {
  path: string;
  format: 'csv' | 'parquet';
  /** Name shown in errors (the upload's file name or dataset@version). */
  label: string;
}

/** The feature columns of a model and the prediction column, with their kinds. */
export function columnsOf(schema: ModelSchema): ColumnSpec[] {
  const features = (schema.features ?? []).map((f) => ({ name: f.name, kind: f.datatype === 'BYTES' || f.datatype === 'BOOL' ? ('categorical' as const) : ('numeric' as const) }));
  return [...features, { name: PREDICTION_COLUMN, kind: predictionKind(schema) }];
}

function predictionKind(schema: ModelSchema): 'numeric' | 'categorical' {
  const out = schema.outputs[schema.predictionOutput];
  if (!out) return 'numeric';
  if (out.datatype === 'BYTES' || out.datatype === 'BOOL') return 'categorical';
  const width = out.shape.slice(1).reduce((a, b) => a * Math.max(b, 1), 1);
  if (schema.probabilities && width === 2) return 'numeric';
  return width > 1 ? 'categorical' : 'numeric';
}

function from(source: TableSource): string {
  return source.format === 'parquet' ? `read_parquet(${literal(source.path)})` : `read_csv(${literal(source.path)}, header = true)`;
}

/** The table's column names and DuckDB types; a 400 when the file cannot be read as a table. */
export async function describeTable(engine: DataEngine, source: TableSource, field: string): Promise<Map<string, string>> {
  try {
    return await engine.use(async (db) => {
      const r = await db.runAndReadAll(`describe select * from ${from(source)}`);
      return new Map(r.getRowObjectsJson().map((row) => [String(row.column_name), String(row.column_type)]));
    });
  } catch (err) {
    throw invalidField(field, `${source.label} could not be read as ${source.format.toUpperCase()}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Checks that every feature is a column of the table (400 naming the first missing one). */
export function checkColumns(table: Map<string, string>, columns: ColumnSpec[], field: string, label: string): void {
  const missing = columns.filter((c) => c.name !== PREDICTION_COLUMN && !table.has(c.name));
  if (missing.length > 0) {
    throw invalidField(field, `${label} has no column named ${missing.slice(0, 5).map((m) => `'${m.name}'`).join(', ')}${missing.length > 5 ? ` (and ${missing.length - 5} more)` : ''}; the model's features are ${columns.filter((c) => c.name !== PREDICTION_COLUMN).map((c) => c.name).join(', ')}`, 'UNKNOWN_COLUMN');
  }
}

const NUMERIC_TYPES = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|REAL|DECIMAL.*|BOOLEAN)$/i;

/** Reads the feature columns: numbers for numeric features (text that is not a number stays text: a type error), text for categorical ones. */
export async function readColumns(engine: DataEngine, source: TableSource, table: Map<string, string>, columns: ColumnSpec[]): Promise<{ rows: number; total: number; values: Record<string, unknown[]> }> {
  const features = columns.filter((c) => c.name !== PREDICTION_COLUMN);
  const select = features
    .map((c) => {
      const t = table.get(c.name) ?? '';
      if (c.kind === 'numeric') return NUMERIC_TYPES.test(t) ? `cast(${ident(c.name)} as double) as ${ident(c.name)}` : `cast(${ident(c.name)} as varchar) as ${ident(c.name)}`;
      return `cast(${ident(c.name)} as varchar) as ${ident(c.name)}`;
    })
    .join(', ');
  return engine.use(async (db) => {
    const total = Number((await db.runAndReadAll(`select count(*) as n from ${from(source)}`)).getRowObjectsJson()[0]!.n);
    const sample = total > MAX_PROFILE_ROWS ? ` using sample reservoir(${MAX_PROFILE_ROWS} rows) repeatable (42)` : '';
    const r = await db.runAndReadAll(`select ${select || '1 as one'} from ${from(source)}${sample}`);
    const values = r.getColumnsObjectJS() as Record<string, unknown[]>;
    for (const c of features) {
      const col = values[c.name]!;
      if (c.kind === 'numeric' && !NUMERIC_TYPES.test(table.get(c.name) ?? '')) {
        for (let i = 0; i < col.length; i++) {
          const v = col[i];
          if (typeof v === 'string') {
            const t = v.trim();
            const n = t === '' ? NaN : Number(t);
            col[i] = t === '' ? null : Number.isFinite(n) ? n : v;
          }
        }
      }
    }
    return { rows: Math.min(total, MAX_PROFILE_ROWS), total, values };
  });
}

/**
 * The model's prediction for every row (null where the row cannot be predicted: a missing value the model
 * does not accept, or a value of the wrong type). Runs in batches.
 */
export async function predictAll(runtime: ModelRuntime, schema: ModelSchema, values: Record<string, unknown[]>, rows: number, onProgress?: (done: number) => Promise<void>): Promise<unknown[]> {
  const out = new Array<unknown>(rows).fill(null);
  const features = schema.features ?? [];
  const slice = (a: number, b: number) => Object.fromEntries(features.map((f) => [f.name, values[f.name]!.slice(a, b)]));
  for (let start = 0; start < rows; start += PREDICT_BATCH) {
    const end = Math.min(rows, start + PREDICT_BATCH);
    try {
      const batch = decodeColumns(schema, slice(start, end), 'rows');
      const outputs = await runtime.run(batch.inputs, batch.rows);
      const p = predictionsOf(schema, outputs, batch.rows);
      for (let i = 0; i < p.length; i++) out[start + i] = predictionValue(p[i]);
    } catch {
      // Some row in the batch cannot be decoded: predict row by row and leave those rows without one.
      for (let r = start; r < end; r++) {
        try {
          const one = decodeColumns(schema, slice(r, r + 1), 'rows');
          const outputs = await runtime.run(one.inputs, 1);
          out[r] = predictionValue(predictionsOf(schema, outputs, 1)[0]);
        } catch {
          out[r] = null;
        }
      }
    }
    if (onProgress && (start / PREDICT_BATCH) % 50 === 0) await onProgress(end);
  }
  return out;
}

/** A layout of quantile bins for every numeric column that has values. */
export function layoutOf(id: string, columns: ColumnSpec[], values: Record<string, unknown[]>): BinLayout {
  const edges: Record<string, number[]> = {};
  for (const c of columns) {
    if (c.kind !== 'numeric') continue;
    const col = values[c.name] ?? [];
    const nums = new Float64Array(col.length);
    for (let i = 0; i < col.length; i++) nums[i] = typeof col[i] === 'number' ? (col[i] as number) : NaN;
    const e = quantileEdges(nums);
    if (e) edges[c.name] = e;
  }
  return { id, edges };
}

export function profileColumns(columns: ColumnSpec[], values: Record<string, unknown[]>, rows: number, layout: BinLayout | null, sampleSize: number): Profile {
  const builder = new ProfileBuilder(columns, { layout, sampleSize, seed: 42 });
  const cols = columns.map((c) => values[c.name] ?? []);
  for (let r = 0; r < rows; r++) builder.add((i) => cols[i]![r] ?? null);
  return builder.build();
}
