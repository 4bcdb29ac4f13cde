/**
 * Builds ONNX models (onnx.proto, IR version 8, default opset 17) from code: graphs of standard operators
 * with float32/int64 initializers. Field numbers follow onnx/onnx onnx/onnx.proto.
 */
import { ProtoWriter } from './protobuf.js';

/** TensorProto.DataType values. */
export const OnnxDataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  DOUBLE: 11,
} as const;
export type OnnxDataTypeName = keyof typeof OnnxDataType;

/** A dimension: a fixed size, or a symbolic name for a variable size (e.g. 'batch'). */
export type Dim = number | string;

export type AttributeValue = number | string | number[] | { ints: number[] } | { floats: number[] } | { strings: string[] };

interface NodeSpec {
  opType: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attributes: Record<string, AttributeValue>;
  domain: string;
}

interface ValueSpec {
  name: string;
  type: OnnxDataTypeName;
  shape: Dim[];
}

interface InitializerSpec {
  name: string;
  type: 'FLOAT' | 'INT64';
  dims: number[];
  raw: Uint8Array;
}

export class OnnxGraphBuilder {
  private readonly nodes: NodeSpec[] = [];
  private readonly inputs: ValueSpec[] = [];
  private readonly outputs: ValueSpec[] = [];
  private readonly initializers: InitializerSpec[] = [];
  private readonly opsets = new Map<string, number>();

  constructor(
    readonly graphName: string,
    opset = 17,
  ) {
    this.opsets.set('', opset);
  }

  input(name: string, type: OnnxDataTypeName, shape: Dim[]): this {
    this.inputs.push({ name, type, shape });
    return this;
  }

  output(name: string, type: OnnxDataTypeName, shape: Dim[]): this {
    this.outputs.push({ name, type, shape });
    return this;
  }

  /** A float32 constant; `values.length` must equal the product of `dims`. */
  floatInitializer(name: string, dims: number[], values: Float32Array | number[]): this {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    checkCount(name, dims, data.length);
    this.initializers.push({ name, type: 'FLOAT', dims, raw: littleEndianBytes(data) });
    return this;
  }

  int64Initializer(name: string, dims: number[], values: number[]): this {
    checkCount(name, dims, values.length);
    this.initializers.push({ name, type: 'INT64', dims, raw: littleEndianBytes(BigInt64Array.from(values.map((v) => BigInt(v)))) });
    return this;
  }

  node(opType: string, inputs: string[], outputs: string[], attributes: Record<string, AttributeValue> = {}, domain = ''): this {
    if (domain !== '' && !this.opsets.has(domain)) throw new Error(`declare an opset for domain '${domain}' first`);
    this.nodes.push({ opType, inputs, outputs, name: `${opType}_${this.nodes.length}`, attributes, domain });
    return this;
  }

  opset(domain: string, version: number): this {
    this.opsets.set(domain, version);
    return this;
  }

  /** The serialized ModelProto. */
  toBytes(producer = 'steward'): Uint8Array {
    const graph = new ProtoWriter();
    for (const n of this.nodes) graph.message(1, encodeNode(n));
    graph.string(2, this.graphName);
    for (const init of this.initializers) graph.message(5, encodeInitializer(init));
    for (const v of this.inputs) graph.message(11, encodeValueInfo(v));
    for (const v of this.outputs) graph.message(12, encodeValueInfo(v));

    const model = new ProtoWriter().int(1, 8).string(2, producer).string(3, '0.1');
    model.message(7, graph);
    for (const [domain, version] of this.opsets) {
      const op = new ProtoWriter();
      if (domain !== '') op.string(1, domain);
      op.int(2, version);
      model.message(8, op);
    }
    return model.finish();
  }
}

function checkCount(name: string, dims: number[], count: number): void {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (expected !== count) throw new Error(`initializer ${name}: dims [${dims.join(', ')}] need ${expected} values, got ${count}`);
}

function littleEndianBytes(view: Float32Array | BigInt64Array): Uint8Array {
  // Node only runs on little-endian hosts we support; the typed array's bytes are already little-endian.
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function encodeNode(n: NodeSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.opType);
  for (const [name, value] of Object.entries(n.attributes)) w.message(5, encodeAttribute(name, value));
  if (n.domain !== '') w.string(7, n.domain);
  return w;
}

// AttributeProto: name=1 f=2 i=3 s=4 floats=7 ints=8 strings=9 type=20;
// AttributeType FLOAT=1 INT=2 STRING=3 FLOATS=6 INTS=7 STRINGS=8
function encodeAttribute(name: string, value: AttributeValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (typeof value === 'number') {
    if (Number.isInteger(value)) w.int(3, value).int(20, 2);
    else w.float(2, value).int(20, 1);
  } else if (typeof value === 'string') {
    w.string(4, value).int(20, 3);
  } else if (Array.isArray(value) || 'ints' in value) {
    const ints = Array.isArray(value) ? value : value.ints;
    for (const v of ints) w.int(8, v);
    w.int(20, 7);
  } else if ('strings' in value) {
    for (const v of value.strings) w.string(9, v);
    w.int(20, 8);
  } else {
    for (const v of value.floats) w.float(7, v);
    w.int(20, 6);
  }
  return w;
}

// TensorProto: dims=1 data_type=2 name=8 raw_data=9
function encodeInitializer(t: InitializerSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d);
  w.int(2, OnnxDataType[t.type]);
  w.string(8, t.name);
  w.bytes(9, t.raw);
  return w;
}

// ValueInfoProto{name=1,type=2} TypeProto{tensor_type=1} Tensor{elem_type=1,shape=2} Shape{dim=1}
// Dimension{dim_value=1, dim_param=2}
function encodeValueInfo(v: ValueSpec): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensor = new ProtoWriter().int(1, OnnxDataType[v.type]).message(2, shape);
  const type = new ProtoWriter().message(1, tensor);
  return new ProtoWriter().string(1, v.name).message(2, type);
}
