/**
 * Folds an ONNX model's external tensor data back into the model file.
 *
 * `mlflow.onnx.log_model` saves with `save_as_external_data=True` by default (mlflow/onnx/__init__.py), so the
 * weights of any tensor of 1 kB or more land in a separate file beside `model.onnx`, which then refers to it
 * by name, offset and length. Steward keeps and serves a version as one content-addressed file, so the data is
 * copied back into each tensor's `raw_data`.
 *
 * Written from the ONNX protobuf schema (onnx/onnx.proto) and the protobuf wire format
 * (protobuf.dev/programming-guides/encoding); only the messages that can hold tensors are parsed, every other
 * field is copied byte for byte.
 *   ModelProto.graph = 7; GraphProto.node = 1, .initializer = 5, .sparse_initializer = 15;
 *   NodeProto.attribute = 5; AttributeProto.t = 5, .g = 6, .tensors = 10, .graphs = 11;
 *   SparseTensorProto.values = 1, .indices = 2;
 *   TensorProto.raw_data = 9, .external_data = 13 (StringStringEntryProto key = 1, value = 2),
 *   .data_location = 14 (EXTERNAL = 1).
 */

/** The largest model this produces (protobuf messages cannot exceed 2 GiB). */
export const MAX_INLINED_BYTES = 2 ** 31 - 1;

interface Field {
  no: number;
  wire: number;
  /** Byte range of the whole field (tag included) and of its payload (for length-delimited fields). */
  start: number;
  end: number;
  valueStart: number;
  valueEnd: number;
  /** A varint field's value. */
  varint?: number;
}

export class OnnxFormatError extends Error {}

function readVarint(buf: Uint8Array, pos: number, end: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new OnnxFormatError('the file ends inside a number');
    const b = buf[pos++]!;
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return [value, pos];
  }
  throw new OnnxFormatError('a number is longer than 10 bytes');
}

function fieldsOf(buf: Uint8Array, start: number, end: number): Field[] {
  const out: Field[] = [];
  let pos = start;
  while (pos < end) {
    const fieldStart = pos;
    const [tag, afterTag] = readVarint(buf, pos, end);
    pos = afterTag;
    const no = Math.floor(tag / 8);
    const wire = tag % 8;
    let valueStart = pos;
    let varint: number | undefined;
    if (wire === 0) {
      [varint, pos] = readVarint(buf, pos, end);
    } else if (wire === 1) {
      pos += 8;
    } else if (wire === 5) {
      pos += 4;
    } else if (wire === 2) {
      const [length, after] = readVarint(buf, pos, end);
      valueStart = after;
      pos = after + length;
    } else {
      throw new OnnxFormatError(`unexpected wire type ${wire}`);
    }
    if (pos > end || no === 0) throw new OnnxFormatError('a field runs past the end of its message');
    out.push({ no, wire, start: fieldStart, end: pos, valueStart, valueEnd: wire === 2 ? pos : pos, ...(varint !== undefined ? { varint } : {}) });
  }
  return out;
}

function varintBytes(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function lengthDelimited(no: number, payload: Uint8Array): Uint8Array[] {
  return [Uint8Array.from([...varintBytes(no * 8 + 2), ...varintBytes(payload.length)]), payload];
}

function concat(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  if (total > MAX_INLINED_BYTES) throw new OnnxFormatError('with its external data folded in, the model would be larger than 2 GiB, the most one ONNX file can hold');
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

type Rewrite = (buf: Uint8Array, start: number, end: number) => Uint8Array | null;

/** Rewrites the fields that have a handler; null when nothing changed. */
function rewrite(buf: Uint8Array, start: number, end: number, handlers: Record<number, Rewrite>): Uint8Array | null {
  const fields = fieldsOf(buf, start, end);
  const parts: Uint8Array[] = [];
  let changed = false;
  for (const f of fields) {
    const handler = f.wire === 2 ? handlers[f.no] : undefined;
    const replaced = handler ? handler(buf, f.valueStart, f.valueEnd) : null;
    if (replaced) {
      changed = true;
      parts.push(...lengthDelimited(f.no, replaced));
    } else {
      parts.push(buf.subarray(f.start, f.end));
    }
  }
  return changed ? concat(parts) : null;
}

const text = new TextDecoder('utf-8', { fatal: false });

/** Reads the bytes of a file beside the model: `location` as the model names it. */
export type ExternalReader = (location: string) => Uint8Array | undefined;

function inlineTensor(read: ExternalReader): Rewrite {
  return (buf, start, end) => {
    const fields = fieldsOf(buf, start, end);
    const location = fields.find((f) => f.no === 14 && f.wire === 0)?.varint;
    if (location !== 1) return null;
    const entries: Record<string, string> = {};
    for (const f of fields) {
      if (f.no !== 13 || f.wire !== 2) continue;
      const kv = fieldsOf(buf, f.valueStart, f.valueEnd);
      const key = kv.find((x) => x.no === 1 && x.wire === 2);
      const value = kv.find((x) => x.no === 2 && x.wire === 2);
      if (key) entries[text.decode(buf.subarray(key.valueStart, key.valueEnd))] = value ? text.decode(buf.subarray(value.valueStart, value.valueEnd)) : '';
    }
    const file = entries.location;
    if (file === undefined || file === '') throw new OnnxFormatError('a tensor is stored externally but names no file');
    const name = file.replace(/^\.\//, '');
    if (name.startsWith('/') || name.includes('\\') || name.split('/').some((p) => p === '' || p === '.' || p === '..')) {
      throw new OnnxFormatError(`a tensor's external data file '${file}' is not a path inside the model's folder`);
    }
    const bytes = read(name);
    if (!bytes) throw new OnnxFormatError(`a tensor's data is in the file '${file}', which was not logged with the model`);
    const offset = entries.offset === undefined ? 0 : Number(entries.offset);
    const length = entries.length === undefined ? bytes.length - offset : Number(entries.length);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > bytes.length) {
      throw new OnnxFormatError(`a tensor's data (offset ${entries.offset ?? 0}, length ${entries.length ?? 'rest'}) lies outside the file '${file}' (${bytes.length} bytes)`);
    }
    const parts: Uint8Array[] = [];
    for (const f of fields) if (f.no !== 13 && f.no !== 14 && f.no !== 9) parts.push(buf.subarray(f.start, f.end));
    parts.push(...lengthDelimited(9, bytes.subarray(offset, offset + length)));
    return concat(parts);
  };
}

/**
 * The model with every externally stored tensor's data copied into it, or null when it stores none outside.
 * Throws OnnxFormatError when the bytes are not an ONNX model it can read, or name data that is missing.
 */
export function inlineExternalData(model: Uint8Array, read: ExternalReader): Uint8Array | null {
  const tensor = inlineTensor(read);
  const graph: Rewrite = (buf, s, e) => rewrite(buf, s, e, { 1: node, 5: tensor, 15: sparse });
  const sparse: Rewrite = (buf, s, e) => rewrite(buf, s, e, { 1: tensor, 2: tensor });
  const attribute: Rewrite = (buf, s, e) => rewrite(buf, s, e, { 5: tensor, 6: graph, 10: tensor, 11: graph });
  const node: Rewrite = (buf, s, e) => rewrite(buf, s, e, { 5: attribute });
  return rewrite(model, 0, model.length, { 7: graph });
}
