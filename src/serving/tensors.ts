/**
 * Tensors on the serving path: row-major typed arrays with an Open Inference Protocol datatype. The first
 * dimension is always the batch (rows).
 */
import type { V2Datatype } from '../runtime/signature.js';

export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | string[];

export interface Tensor {
  name: string;
  datatype: V2Datatype;
  shape: number[];
  data: TensorData;
}

/** Allocates the typed array that holds `length` values of a datatype. */
export function allocate(datatype: V2Datatype, length: number): TensorData {
  switch (datatype) {
    case 'FP32':
    case 'FP16': // carried as float32 and converted by the runtime
      return new Float32Array(length);
    case 'FP64':
      return new Float64Array(length);
    case 'INT8':
      return new Int8Array(length);
    case 'INT16':
      return new Int16Array(length);
    case 'INT32':
      return new Int32Array(length);
    case 'INT64':
      return new BigInt64Array(length);
    case 'UINT8':
    case 'BOOL':
      return new Uint8Array(length);
    case 'UINT16':
      return new Uint16Array(length);
    case 'UINT32':
      return new Uint32Array(length);
    case 'UINT64':
      return new BigUint64Array(length);
    case 'BYTES':
      return new Array<string>(length);
  }
}

export const INTEGER_RANGES: Partial<Record<V2Datatype, [number, number]>> = {
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
};

export function isFloat(dt: V2Datatype): boolean {
  return dt === 'FP32' || dt === 'FP64' || dt === 'FP16';
}

/** Reads one element as a JSON value (bigints become numbers; they are within the safe range by validation). */
export function elementAt(t: Tensor, i: number): number | string | boolean | null {
  const v = t.data[i];
  if (t.datatype === 'BOOL') return v === 1;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' && Number.isNaN(v)) return null;
  return v as number | string;
}

/** Concatenates tensors of equal name, datatype and inner shape along the batch dimension. */
export function concatRows(parts: Tensor[]): Tensor {
  const first = parts[0]!;
  if (parts.length === 1) return first;
  const rows = parts.reduce((n, p) => n + p.shape[0]!, 0);
  const inner = first.shape.slice(1);
  const width = inner.reduce((a, b) => a * b, 1);
  const data = allocate(first.datatype, rows * width);
  let offset = 0;
  for (const p of parts) {
    if (Array.isArray(data)) {
      const src = p.data as string[];
      for (let i = 0; i < src.length; i++) data[offset + i] = src[i]!;
    } else {
      (data as Float32Array).set(p.data as Float32Array, offset);
    }
    offset += p.data.length;
  }
  return { name: first.name, datatype: first.datatype, shape: [rows, ...inner], data };
}

/** Rows [start, end) of a tensor (a view where the array type allows it). */
export function sliceRows(t: Tensor, start: number, end: number): Tensor {
  const width = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const data = Array.isArray(t.data) ? t.data.slice(start * width, end * width) : (t.data as Float32Array).subarray(start * width, end * width);
  return { name: t.name, datatype: t.datatype, shape: [end - start, ...t.shape.slice(1)], data };
}
