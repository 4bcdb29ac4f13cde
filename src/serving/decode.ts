/**
 * Decoding request payloads straight into the model's input tensors, validating every value against the
 * model's schema on the way. Any problem is a 400 naming the field; nothing has run and nothing is logged.
 */
import { invalidField } from '../platform/errors.js';
import { printable } from '../platform/names.js';
import type { V2Datatype } from '../runtime/signature.js';
import type { ModelSchema } from './model-schema.js';
import { allocate, elementAt, INTEGER_RANGES, isFloat, type Tensor, type TensorData } from './tensors.js';

export interface DecodedBatch {
  rows: number;
  inputs: Tensor[];
}

export const MAX_ROWS = 100_000;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${printable(JSON.stringify(v) ?? String(v)).slice(0, 40)}`;
}

/** Writes one value into a typed array, or throws a 400 naming the field. */
function put(data: TensorData, datatype: V2Datatype, index: number, value: unknown, field: string, acceptsMissing: boolean, fromText: boolean): void {
  if (isFloat(datatype)) {
    let n: number;
    if (value === null || (fromText && value === '')) {
      if (!acceptsMissing) throw invalidField(field, 'is missing (null), and this model does not accept missing values');
      n = NaN;
    } else if (typeof value === 'number') n = value;
    else if (typeof value === 'boolean') n = value ? 1 : 0; // boolean columns are 0/1 features (as training reads them)
    else if (fromText && typeof value === 'string' && /^\s*(true|false)\s*$/i.test(value)) n = /true/i.test(value) ? 1 : 0;
    else if (fromText && typeof value === 'string') {
      n = Number(value);
      if (Number.isNaN(n) && !/^\s*nan\s*$/i.test(value)) throw invalidField(field, `'${printable(value).slice(0, 40)}' is not a number`);
    } else throw invalidField(field, `must be a number, not ${describe(value)}`);
    if (!Number.isFinite(n) && !(Number.isNaN(n) && acceptsMissing)) throw invalidField(field, `must be a finite number${acceptsMissing ? ' or null' : ''}`);
    (data as Float32Array)[index] = n;
    return;
  }
  if (datatype === 'BYTES') {
    if (typeof value !== 'string') throw invalidField(field, `must be a string, not ${describe(value)}`);
    (data as string[])[index] = value;
    return;
  }
  if (datatype === 'BOOL') {
    let b: boolean;
    if (typeof value === 'boolean') b = value;
    else if (value === 0 || value === 1) b = value === 1;
    else if (fromText && typeof value === 'string' && /^(true|false|0|1)$/i.test(value.trim())) b = /^(true|1)$/i.test(value.trim());
    else throw invalidField(field, `must be true or false, not ${describe(value)}`);
    (data as Uint8Array)[index] = b ? 1 : 0;
    return;
  }
  // integers
  let n: number;
  if (typeof value === 'number') n = value;
  else if (fromText && typeof value === 'string' && value.trim() !== '') n = Number(value);
  else throw invalidField(field, `must be an integer, not ${value === null ? 'null (this feature does not accept missing values)' : describe(value)}`);
  const range = INTEGER_RANGES[datatype]!;
  if (!Number.isInteger(n) || n < range[0] || n > range[1]) throw invalidField(field, `must be an integer from ${range[0]} to ${range[1]} (${datatype})`);
  if (datatype === 'INT64' || datatype === 'UINT64') (data as BigInt64Array)[index] = BigInt(n);
  else (data as Int32Array)[index] = n;
}

function tabular(schema: ModelSchema): NonNullable<ModelSchema['features']> {
  if (!schema.features) {
    throw invalidField('body', `this model takes tensors, not rows (${schema.tabularProblem}); send them with the Open Inference Protocol: POST /v2/models/<deployment>/infer`, 'NOT_TABULAR');
  }
  return schema.features;
}

function allocateInputs(schema: ModelSchema, rows: number): Tensor[] {
  return schema.inputs.map((l) => ({ name: l.name, datatype: l.datatype, shape: [rows, ...l.inner], data: allocate(l.datatype, rows * l.width) }));
}

function checkRowCount(field: string, n: number, schema?: ModelSchema): void {
  if (n === 0) throw invalidField(field, 'has no rows');
  if (n > MAX_ROWS) throw invalidField(field, `has ${n} rows; at most ${MAX_ROWS} can be sent in one request`);
  if (schema && n > schema.maxRows) throw invalidField(field, `has ${n} rows; this model takes ${schema.maxRows} row${schema.maxRows === 1 ? '' : 's'} per call`);
}

/** Rows as objects {feature: value}. */
export function decodeRecords(schema: ModelSchema, records: unknown, field: string, fromText = false): DecodedBatch {
  const features = tabular(schema);
  if (!Array.isArray(records)) throw invalidField(field, 'must be an array of objects {feature: value}');
  checkRowCount(field, records.length, schema);
  const rows = records.length;
  const inputs = allocateInputs(schema, rows);
  const widths = schema.inputs.map((l) => l.width);
  const nf = features.length;
  for (let r = 0; r < rows; r++) {
    const rec = records[r] as Record<string, unknown>;
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) throw invalidField(`${field}[${r}]`, `must be an object {feature: value}, not ${describe(rec)}`);
    let seen = 0;
    for (const key in rec) {
      const fi = schema.featureIndex.get(key);
      if (fi === undefined) throw invalidField(`${field}[${r}].${printable(key).slice(0, 100)}`, `is not a feature of this model (it has ${nf} features: ${features.slice(0, 10).map((f) => f.name).join(', ')}${nf > 10 ? ', …' : ''})`);
      const f = features[fi]!;
      put(inputs[f.tensor]!.data, f.datatype, r * widths[f.tensor]! + f.column, rec[key], `${field}[${r}].${f.name}`, schema.acceptsMissing, fromText);
      seen++;
    }
    if (seen !== nf) {
      const missing = features.find((f) => !Object.prototype.hasOwnProperty.call(rec, f.name))!;
      throw invalidField(`${field}[${r}].${missing.name}`, `is missing; every row needs all ${nf} features${schema.acceptsMissing ? ' (send null for a missing value)' : ''}`);
    }
  }
  return { rows, inputs };
}

/** Rows as arrays of values in feature order, with an optional header naming the columns. */
export function decodeMatrix(schema: ModelSchema, columns: string[] | null, data: unknown, field: string, fromText = false, columnsField = 'columns'): DecodedBatch {
  const features = tabular(schema);
  const nf = features.length;
  // order[i] = feature index of column i
  let order: number[];
  if (columns) {
    order = columns.map((c, i) => {
      const fi = schema.featureIndex.get(c);
      if (fi === undefined) throw invalidField(`${columnsField}[${i}]`, `'${printable(c).slice(0, 100)}' is not a feature of this model`);
      return fi;
    });
    const dup = order.findIndex((fi, i) => order.indexOf(fi) !== i);
    if (dup >= 0) throw invalidField(`${columnsField}[${dup}]`, `'${columns[dup]}' appears twice`);
    if (order.length !== nf) {
      const missing = features.find((_, fi) => !order.includes(fi))!;
      throw invalidField(columnsField, `has no column '${missing.name}'; every row needs all ${nf} features`);
    }
  } else {
    order = features.map((_, i) => i);
  }
  if (!Array.isArray(data)) throw invalidField(field, 'must be an array of rows (arrays of values)');
  checkRowCount(field, data.length, schema);
  const rows = data.length;
  const inputs = allocateInputs(schema, rows);
  const widths = schema.inputs.map((l) => l.width);
  for (let r = 0; r < rows; r++) {
    const row = data[r] as unknown[];
    if (!Array.isArray(row)) throw invalidField(`${field}[${r}]`, `must be an array of ${nf} values, not ${describe(row)}`);
    if (row.length !== order.length) throw invalidField(`${field}[${r}]`, `has ${row.length} values; expected ${order.length}`);
    for (let i = 0; i < order.length; i++) {
      const f = features[order[i]!]!;
      put(inputs[f.tensor]!.data, f.datatype, r * widths[f.tensor]! + f.column, row[i], `${field}[${r}][${i}] (${f.name})`, schema.acceptsMissing, fromText);
    }
  }
  return { rows, inputs };
}

/** Columns as {feature: [values]}. */
export function decodeColumns(schema: ModelSchema, cols: unknown, field: string): DecodedBatch {
  const features = tabular(schema);
  if (cols === null || typeof cols !== 'object' || Array.isArray(cols)) throw invalidField(field, 'must be an object {feature: [values]}');
  const obj = cols as Record<string, unknown>;
  let rows = -1;
  for (const key in obj) {
    if (!schema.featureIndex.has(key)) throw invalidField(`${field}.${printable(key).slice(0, 100)}`, 'is not a feature of this model');
    const v = obj[key];
    if (!Array.isArray(v)) throw invalidField(`${field}.${key}`, 'must be an array of values');
    if (rows === -1) rows = v.length;
    else if (v.length !== rows) throw invalidField(`${field}.${key}`, `has ${v.length} values but other columns have ${rows}`);
  }
  const missing = features.find((f) => !Object.prototype.hasOwnProperty.call(obj, f.name));
  if (missing) throw invalidField(`${field}.${missing.name}`, `is missing; every one of the ${features.length} features needs a column`);
  checkRowCount(field, rows, schema);
  const inputs = allocateInputs(schema, rows);
  for (const f of features) {
    const values = obj[f.name] as unknown[];
    const width = schema.inputs[f.tensor]!.width;
    const data = inputs[f.tensor]!.data;
    for (let r = 0; r < rows; r++) put(data, f.datatype, r * width + f.column, values[r], `${field}.${f.name}[${r}]`, schema.acceptsMissing, false);
  }
  return { rows, inputs };
}

/** A small RFC 4180 CSV reader: a header of feature names, then rows; empty fields are missing values. */
export function parseCsv(text: string): { header: string[]; rows: string[][] } {
  const out: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  let atFieldStart = true;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"' && atFieldStart) {
      quoted = true;
      atFieldStart = false;
      i++;
      continue;
    }
    if (c === ',') {
      row.push(field);
      field = '';
      atFieldStart = true;
      i++;
      continue;
    }
    if (c === '\n' || c === '\r') {
      row.push(field);
      field = '';
      atFieldStart = true;
      if (!(row.length === 1 && row[0] === '')) out.push(row);
      row = [];
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      continue;
    }
    field += c;
    atFieldStart = false;
    i++;
  }
  if (quoted) throw invalidField('body', 'the CSV ends inside a quoted field');
  if (field !== '' || row.length > 0) {
    row.push(field);
    out.push(row);
  }
  if (out.length === 0) throw invalidField('body', 'the CSV is empty; send a header of feature names and at least one row');
  const [header, ...rows] = out;
  return { header: header!.map((h) => h.trim()), rows };
}

/** Converts nested arrays (or a flat array) into a flat list, checking it is rectangular with the given shape. */
function flatten(value: unknown, shape: number[], field: string): unknown[] {
  const total = shape.reduce((a, b) => a * b, 1);
  if (!Array.isArray(value)) throw invalidField(field, 'must be an array');
  if (value.length === total && !value.some(Array.isArray)) return value;
  const out: unknown[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      out.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) throw invalidField(field, `does not match the shape [${shape.join(', ')}] (flat or nested row-major data)`);
    for (const x of v) walk(x, depth + 1);
  };
  walk(value, 0);
  return out;
}

/** Open Inference Protocol V2 inputs: [{name, shape, datatype, data}], one per model input. */
export function decodeV2Inputs(schema: ModelSchema, value: unknown): DecodedBatch {
  if (!Array.isArray(value) || value.length === 0) throw invalidField('inputs', 'must be a non-empty array of tensors {name, shape, datatype, data}');
  const byName = new Map<string, { item: Record<string, unknown>; i: number }>();
  value.forEach((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw invalidField(`inputs[${i}]`, 'must be an object {name, shape, datatype, data}');
    const o = item as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!['name', 'shape', 'datatype', 'data', 'parameters'].includes(k)) throw invalidField(`inputs[${i}].${printable(k).slice(0, 50)}`, 'is not a field of an input tensor');
    if (typeof o.name !== 'string') throw invalidField(`inputs[${i}].name`, 'must be a string');
    if (!schema.inputs.some((l) => l.name === o.name)) throw invalidField(`inputs[${i}].name`, `'${printable(o.name).slice(0, 100)}' is not an input of this model (inputs: ${schema.inputs.map((l) => l.name).join(', ')})`);
    if (byName.has(o.name)) throw invalidField(`inputs[${i}].name`, `'${o.name}' appears twice`);
    byName.set(o.name, { item: o, i });
  });
  let rows = -1;
  const inputs: Tensor[] = [];
  for (const layout of schema.inputs) {
    const found = byName.get(layout.name);
    if (!found) throw invalidField('inputs', `has no tensor for the model's input '${layout.name}'`);
    const { item, i } = found;
    const f = `inputs[${i}]`;
    if (item.datatype !== layout.datatype) throw invalidField(`${f}.datatype`, `must be ${layout.datatype} for input '${layout.name}'`);
    const shape = item.shape;
    if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw invalidField(`${f}.shape`, 'must be a non-empty array of non-negative integers');
    const dims = shape as number[];
    const inner = dims.slice(1);
    const expected = layout.declared;
    const compatible =
      (inner.length === expected.length && inner.every((d, k) => expected[k] === -1 || d === expected[k])) ||
      // [n] for an input of shape [-1, 1], and [n, 1] for [-1]
      (expected.length === 1 && expected[0] === 1 && inner.length === 0) ||
      (expected.length === 0 && inner.length === 1 && inner[0] === 1);
    if (!compatible) throw invalidField(`${f}.shape`, `[${dims.join(', ')}] does not fit the input's shape [-1${expected.map((d) => `, ${d}`).join('')}]`);
    if (dims.reduce((a, b) => a * b, 1) > MAX_ROWS * 10_000) throw invalidField(`${f}.shape`, 'describes too many values');
    if (rows === -1) rows = dims[0]!;
    else if (dims[0] !== rows) throw invalidField(`${f}.shape`, `has ${dims[0]} rows but another input has ${rows}`);
    checkRowCount(`${f}.shape[0]`, dims[0]!, schema);
    const flat = flatten(item.data, dims, `${f}.data`);
    const data = allocate(layout.datatype, flat.length);
    for (let k = 0; k < flat.length; k++) put(data, layout.datatype, k, flat[k], `${f}.data[${k}]`, schema.acceptsMissing, false);
    inputs.push({ name: layout.name, datatype: layout.datatype, shape: inner.length === expected.length ? dims : [dims[0]!, ...expected], data });
  }
  return { rows, inputs };
}

/** One row's inputs as {feature: value} (or {input: values} for tensor models), for the prediction log. */
export function rowInputs(schema: ModelSchema, batch: DecodedBatch, r: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (schema.features) {
    for (const f of schema.features) out[f.name] = elementAt(batch.inputs[f.tensor]!, r * schema.inputs[f.tensor]!.width + f.column);
    return out;
  }
  schema.inputs.forEach((l, i) => {
    const t = batch.inputs[i]!;
    const w = t.data.length / batch.rows;
    out[l.name] = Array.from({ length: w }, (_, k) => elementAt(t, r * w + k));
  });
  return out;
}
