/**
 * The request formats of the three inference protocols, turned into decoders (schema → typed batch).
 * The format is checked once, before a target is chosen; values are checked against the chosen model's
 * schema by the decoder.
 */
import { DomainError, invalidField } from '../platform/errors.js';
import { printable } from '../platform/names.js';
import { decodeColumns, decodeMatrix, decodeRecords, decodeV2Inputs, parseCsv, type DecodedBatch } from './decode.js';
import type { ModelSchema } from './model-schema.js';

export type Decoder = (schema: ModelSchema) => DecodedBatch;

function object(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidField('body', `must be a JSON object (${what})`);
  return value as Record<string, unknown>;
}

/** Steward's own JSON: {"rows":[{feature: value}]} or {"columns":{feature:[values]}}. */
export function stewardDecoder(body: unknown): Decoder {
  const o = object(body, '{"rows": [...]} or {"columns": {...}}');
  const keys = Object.keys(o);
  for (const k of keys) if (k !== 'rows' && k !== 'columns') throw invalidField(printable(k).slice(0, 100), 'is not a field of a prediction request (send "rows" or "columns")');
  if (keys.length !== 1) throw invalidField('body', keys.length === 0 ? 'needs "rows" or "columns"' : 'send either "rows" or "columns", not both');
  if ('rows' in o) return (schema) => decodeRecords(schema, o.rows, 'rows');
  return (schema) => decodeColumns(schema, o.columns, 'columns');
}

const MLFLOW_FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'];

/** MLflow scoring JSON: exactly one of dataframe_split, dataframe_records, instances, inputs; optional params. */
export function mlflowJsonDecoder(body: unknown): Decoder {
  const o = object(body, `with one of ${MLFLOW_FORMATS.join(', ')}`);
  const formats = Object.keys(o).filter((k) => MLFLOW_FORMATS.includes(k));
  for (const k of Object.keys(o)) if (!MLFLOW_FORMATS.includes(k) && k !== 'params') throw invalidField(printable(k).slice(0, 100), `is not a known key; send one of ${MLFLOW_FORMATS.join(', ')} (and optionally params)`);
  if (formats.length !== 1) {
    throw invalidField('body', formats.length === 0 ? `needs one of ${MLFLOW_FORMATS.join(', ')}` : `has ${formats.join(' and ')}; send exactly one of ${MLFLOW_FORMATS.join(', ')}`);
  }
  const format = formats[0]!;
  const value = o[format];
  if (format === 'dataframe_split') {
    const split = object(value, 'dataframe_split must be {"columns": [...], "data": [[...]]}');
    for (const k of Object.keys(split)) if (!['columns', 'data', 'index'].includes(k)) throw invalidField(`dataframe_split.${printable(k).slice(0, 50)}`, 'is not a field (columns, data, index)');
    let columns: string[] | null = null;
    if (split.columns !== undefined) {
      if (!Array.isArray(split.columns) || !split.columns.every((c) => typeof c === 'string')) throw invalidField('dataframe_split.columns', 'must be an array of column names');
      columns = split.columns as string[];
    }
    return (schema) => decodeMatrix(schema, columns, split.data, 'dataframe_split.data', false, 'dataframe_split.columns');
  }
  if (format === 'dataframe_records') return (schema) => decodeRecords(schema, value, 'dataframe_records');
  // instances / inputs (TF-serving style): a list of rows (objects, or arrays in feature order), or columns.
  if (Array.isArray(value)) {
    if (value.length > 0 && Array.isArray(value[0])) return (schema) => decodeMatrix(schema, null, value, format);
    if (value.length > 0 && value.every((v) => typeof v !== 'object' || v === null)) {
      // A single feature: a flat list of values.
      return (schema) => decodeMatrix(schema, null, value.map((v) => [v]), format);
    }
    return (schema) => decodeRecords(schema, value, format);
  }
  return (schema) => decodeColumns(schema, value, format);
}

/** MLflow scoring CSV (text/csv): a header of feature names, then rows. */
export function csvDecoder(text: string): Decoder {
  const { header, rows } = parseCsv(text);
  return (schema) => decodeMatrix(schema, header, rows, 'rows', true, 'header');
}

/** Open Inference Protocol V2: {id?, parameters?, inputs: [...], outputs?: [{name}]}. */
export function v2Request(body: unknown): { id?: string; outputs?: string[]; decoder: Decoder } {
  const o = object(body, '{"inputs": [...]}');
  for (const k of Object.keys(o)) if (!['id', 'parameters', 'inputs', 'outputs'].includes(k)) throw invalidField(printable(k).slice(0, 100), 'is not a field of an inference request (id, parameters, inputs, outputs)');
  if (o.id !== undefined && typeof o.id !== 'string') throw invalidField('id', 'must be a string');
  let outputs: string[] | undefined;
  if (o.outputs !== undefined) {
    if (!Array.isArray(o.outputs)) throw invalidField('outputs', 'must be an array of {name}');
    outputs = o.outputs.map((x, i) => {
      if (x === null || typeof x !== 'object' || typeof (x as { name?: unknown }).name !== 'string') throw invalidField(`outputs[${i}]`, 'must be an object {name}');
      return (x as { name: string }).name;
    });
  }
  return { ...(o.id !== undefined ? { id: o.id as string } : {}), ...(outputs ? { outputs } : {}), decoder: (schema) => decodeV2Inputs(schema, o.inputs) };
}

export function unsupportedMedia(contentType: string | undefined, allowed: string): DomainError {
  return new DomainError('unsupported_media', 'UNSUPPORTED_MEDIA_TYPE', `content type '${printable(contentType ?? '(none)').slice(0, 100)}' is not accepted here; send ${allowed}`);
}
