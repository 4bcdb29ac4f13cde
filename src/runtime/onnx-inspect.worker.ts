/**
 * Worker thread that loads ONNX models with onnxruntime-node. onnxruntime's model loading is synchronous,
 * so it runs here to keep the HTTP event loop free while a large model is parsed.
 */
import { parentPort } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { OnnxGraphBuilder } from '../ml/onnx/onnx-builder.js';
import { datatypeFromOrt, type Signature, type TensorSpec } from './signature.js';
import type { InspectRequest, InspectResult } from './model-inspector.js';
import { readFile } from 'node:fs/promises';
import { NATIVE_FLAVORS } from '../serving/native-flavors.js';
import type { NativeLoader, NativeModel } from '../serving/runtimes.js';
import type { Tensor } from '../serving/tensors.js';

const VALIDATION_OPTIONS: ort.InferenceSession.SessionOptions = {
  graphOptimizationLevel: 'disabled',
  enableCpuMemArena: false,
  extra: { session: { disable_prepacking: '1' } },
};

interface WorkerRequest extends InspectRequest {
  id: number;
}

function toSpecs(metadata: readonly ort.InferenceSession.ValueMetadata[]): TensorSpec[] {
  return metadata.map((m) =>
    m.isTensor
      ? { name: m.name, datatype: datatypeFromOrt(m.type), shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) }
      : { name: m.name, datatype: 'NON_TENSOR', shape: [] },
  );
}

function shapeOf(value: unknown, field: string): number[] {
  const shape: number[] = [];
  let cur: unknown = value;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  if (shape.length === 0) throw new Error(`input example '${field}' must be an array (nested for more than one dimension)`);
  return shape;
}

function buildTensor(name: string, value: unknown, meta: ort.InferenceSession.ValueMetadata): ort.Tensor {
  if (!meta.isTensor) throw new Error(`input '${name}' is not a tensor; examples can only feed tensors`);
  const shape = shapeOf(value, name);
  const flat = (value as unknown[]).flat(Infinity);
  const expected = shape.reduce((a, b) => a * b, 1);
  if (flat.length !== expected) throw new Error(`input example '${name}' is ragged: its nesting says [${shape.join(', ')}] but it holds ${flat.length} values`);
  switch (meta.type) {
    case 'string':
      if (!flat.every((v) => typeof v === 'string')) throw new Error(`input example '${name}' must hold strings`);
      return new ort.Tensor('string', flat as string[], shape);
    case 'bool':
      if (!flat.every((v) => typeof v === 'boolean')) throw new Error(`input example '${name}' must hold booleans`);
      return new ort.Tensor('bool', Uint8Array.from(flat as boolean[], (b) => (b ? 1 : 0)), shape);
    case 'int64':
    case 'uint64':
      if (!flat.every((v) => Number.isInteger(v))) throw new Error(`input example '${name}' must hold integers`);
      return new ort.Tensor(meta.type, meta.type === 'int64' ? BigInt64Array.from(flat as number[], BigInt) : BigUint64Array.from(flat as number[], BigInt), shape);
    default: {
      if (!flat.every((v) => typeof v === 'number')) throw new Error(`input example '${name}' must hold numbers`);
      const ctor = ({ float32: Float32Array, float64: Float64Array, int32: Int32Array, int16: Int16Array, int8: Int8Array, uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array } as const)[meta.type as 'float32'];
      if (!ctor) throw new Error(`input '${name}' has element type ${meta.type}, which examples do not support`);
      return new ort.Tensor(meta.type as 'float32', ctor.from(flat as number[]), shape);
    }
  }
}

/** Native flavors (tree ensembles): parsed and, with an example, run once, like ONNX models. */
async function inspectNative(req: InspectRequest, load: NativeLoader): Promise<InspectResult> {
  let model: NativeModel;
  try {
    model = load(await readFile(req.path));
  } catch (err) {
    return { ok: false, message: `the ${req.flavor} model could not be read: ${(err as Error).message}` };
  }
  if (req.example) {
    try {
      const names = model.signature.inputs.map((i) => i.name);
      for (const key of Object.keys(req.example)) if (!names.includes(key)) return { ok: false, message: `the input example names '${key}', which is not an input of the model` };
      let rows = -1;
      const inputs: Tensor[] = model.signature.inputs.map((spec) => {
        const value = req.example![spec.name];
        if (!Array.isArray(value)) throw new Error(`the input example needs an array of values for '${spec.name}'`);
        const flat = (value as unknown[]).flat(Infinity);
        if (rows === -1) rows = flat.length;
        if (flat.length !== rows) throw new Error(`input example '${spec.name}' has ${flat.length} values; other inputs have ${rows}`);
        if (!flat.every((v) => v === null || typeof v === 'number')) throw new Error(`input example '${spec.name}' must hold numbers (or null for missing)`);
        return { name: spec.name, datatype: 'FP32', shape: [rows], data: Float32Array.from(flat as (number | null)[], (v) => (v === null ? NaN : v)) };
      });
      if (rows < 1) throw new Error('the input example has no rows');
      await model.run(inputs, rows);
    } catch (err) {
      return { ok: false, message: (err as Error).message };
    }
  }
  return { ok: true, signature: model.signature };
}

async function inspect(req: InspectRequest): Promise<InspectResult> {
  const native = NATIVE_FLAVORS[req.flavor];
  if (native) return inspectNative(req, native);
  if (req.flavor !== 'onnx') return { ok: false, message: `flavor '${req.flavor}' cannot be loaded` };
  let session: ort.InferenceSession;
  try {
    // Proving that the model loads and reading its signature needs no graph optimisation and no weight
    // prepacking; serving loads its own session with those. This makes checking a large model about 40% faster.
    session = await ort.InferenceSession.create(req.path, VALIDATION_OPTIONS);
  } catch (err) {
    // The loader names the local file; that path is internal to the server, so leave it out.
    const message = (err as Error).message.split(req.path).join('the artifact');
    return { ok: false, message: `onnxruntime could not load the model: ${message}` };
  }
  try {
    const signature: Signature = { inputs: toSpecs(session.inputMetadata), outputs: toSpecs(session.outputMetadata) };
    if (req.example) {
      const feeds: Record<string, ort.Tensor> = {};
      for (const meta of session.inputMetadata) {
        if (!(meta.name in req.example)) return { ok: false, message: `the input example has no value for input '${meta.name}'` };
        feeds[meta.name] = buildTensor(meta.name, req.example[meta.name], meta);
      }
      for (const key of Object.keys(req.example)) {
        if (!session.inputNames.includes(key)) return { ok: false, message: `the input example names '${key}', which is not an input of the model` };
      }
      await session.run(feeds);
    }
    return { ok: true, signature };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  } finally {
    await session.release();
  }
}

/** Loads a one-node model so that onnxruntime's environment is initialised before the first real request. */
async function warmUp(): Promise<InspectResult> {
  const bytes = new OnnxGraphBuilder('warm_up').input('x', 'FLOAT', [1]).node('Identity', ['x'], ['y']).output('y', 'FLOAT', [1]).toBytes();
  const session = await ort.InferenceSession.create(bytes, VALIDATION_OPTIONS);
  await session.release();
  return { ok: true, signature: { inputs: [], outputs: [] } };
}

parentPort?.on('message', (req: WorkerRequest | { id: number; warmUp: true }) => {
  void ('warmUp' in req ? warmUp() : inspect(req)).then(
    (result) => parentPort!.postMessage({ id: req.id, result }),
    (err: unknown) => parentPort!.postMessage({ id: req.id, result: { ok: false, message: String((err as Error)?.message ?? err) } }),
  );
});

// onnxruntime is loaded: jobs may now be timed.
parentPort?.postMessage({ ready: true });
