/**
 * Model signatures in the Open Inference Protocol V2 vocabulary: named tensors with a datatype and a shape
 * where -1 marks a variable dimension.
 */
import { invalidField } from '../platform/errors.js';

export const V2_DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
] as const;
export type V2Datatype = (typeof V2_DATATYPES)[number];

/**
 * NON_TENSOR marks a value that is not a tensor (an ONNX sequence or map, such as sklearn-onnx's ZipMap
 * output). It has no V2 datatype; serving reports it separately.
 */
export type SignatureDatatype = V2Datatype | 'NON_TENSOR';

export interface TensorSpec {
  name: string;
  datatype: SignatureDatatype;
  shape: number[];
}

export interface Signature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

/** onnxruntime's tensor type names to V2 datatypes. */
const FROM_ORT: Record<string, V2Datatype> = {
  bool: 'BOOL',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  string: 'BYTES',
};

export function datatypeFromOrt(type: string): V2Datatype {
  const dt = FROM_ORT[type];
  if (!dt) throw new Error(`the ONNX element type '${type}' has no Open Inference Protocol datatype`);
  return dt;
}

/** Parses a signature given by a client; every problem names the field. */
export function parseSignature(field: string, value: unknown): Signature {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidField(field, 'must be an object with "inputs" and "outputs" arrays', 'INVALID_SIGNATURE');
  }
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (key !== 'inputs' && key !== 'outputs') throw invalidField(`${field}.${key}`, 'is not a signature field (use inputs and outputs)', 'INVALID_SIGNATURE');
  }
  return { inputs: parseSpecs(`${field}.inputs`, v.inputs), outputs: parseSpecs(`${field}.outputs`, v.outputs) };
}

function parseSpecs(field: string, value: unknown): TensorSpec[] {
  if (!Array.isArray(value) || value.length === 0) throw invalidField(field, 'must be a non-empty array', 'INVALID_SIGNATURE');
  if (value.length > 10_000) throw invalidField(field, 'has too many entries (at most 10000)', 'INVALID_SIGNATURE');
  const seen = new Set<string>();
  return value.map((item, i) => {
    const f = `${field}[${i}]`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw invalidField(f, 'must be an object {name, datatype, shape}', 'INVALID_SIGNATURE');
    const { name, datatype, shape } = item as Record<string, unknown>;
    if (typeof name !== 'string' || name.length === 0 || name.length > 256 || name.includes('\u0000')) {
      throw invalidField(`${f}.name`, 'must be a string of 1 to 256 characters without NUL', 'INVALID_SIGNATURE');
    }
    if (seen.has(name)) throw invalidField(`${f}.name`, `'${name}' appears twice`, 'INVALID_SIGNATURE');
    seen.add(name);
    if (typeof datatype !== 'string' || !(V2_DATATYPES as readonly string[]).includes(datatype) && datatype !== 'NON_TENSOR') {
      throw invalidField(`${f}.datatype`, `must be one of ${V2_DATATYPES.join(', ')}`, 'INVALID_SIGNATURE');
    }
    if (!Array.isArray(shape) || shape.length > 32 || !shape.every((d) => Number.isInteger(d) && (d === -1 || d >= 0))) {
      throw invalidField(`${f}.shape`, 'must be an array of at most 32 non-negative integers, with -1 for a variable dimension', 'INVALID_SIGNATURE');
    }
    return { name, datatype: datatype as SignatureDatatype, shape: shape as number[] };
  });
}

/**
 * Checks a declared signature against what the model itself reports. Names must match exactly, datatypes
 * must be equal, ranks equal, and a fixed dimension of the model must not be declared differently
 * (declaring a variable model dimension as fixed is allowed: it narrows what clients may send).
 * Returns the problems found, empty when the two agree.
 */
export function compareSignatures(declared: Signature, actual: Signature): string[] {
  const problems: string[] = [];
  for (const side of ['inputs', 'outputs'] as const) {
    const actualByName = new Map(actual[side].map((s) => [s.name, s]));
    const declaredNames = new Set(declared[side].map((s) => s.name));
    for (const d of declared[side]) {
      const a = actualByName.get(d.name);
      if (!a) {
        problems.push(`${side}: the model has no ${side === 'inputs' ? 'input' : 'output'} named '${d.name}' (it has ${[...actualByName.keys()].map((n) => `'${n}'`).join(', ')})`);
        continue;
      }
      if (a.datatype !== d.datatype) problems.push(`${side}.${d.name}: declared ${d.datatype} but the model uses ${a.datatype}`);
      if (a.shape.length > 0 && d.shape.length !== a.shape.length) {
        problems.push(`${side}.${d.name}: declared rank ${d.shape.length} but the model's shape is [${a.shape.join(', ')}]`);
      } else if (a.shape.length > 0) {
        a.shape.forEach((dim, i) => {
          const dd = d.shape[i]!;
          if (dim !== -1 && dd !== dim) problems.push(`${side}.${d.name}: dimension ${i} is ${dim} in the model, declared ${dd}`);
        });
      }
    }
    if (side === 'inputs') {
      for (const a of actual.inputs) {
        if (!declaredNames.has(a.name)) problems.push(`inputs: the model's input '${a.name}' is missing from the declared signature`);
      }
    }
  }
  return problems;
}
