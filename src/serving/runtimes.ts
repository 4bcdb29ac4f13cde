/**
 * Model runtimes on the serving path and their cache. A runtime is loaded once per artifact (keyed by its
 * SHA-256 and flavor), warmed with one call before it takes traffic, shared by every deployment revision
 * that serves it, and closed when the last one lets go.
 */
import { readFile } from 'node:fs/promises';
import ort from 'onnxruntime-node';
import type { TreeEnsemble } from '../ml/trees/tree-ensemble.js';
import { datatypeFromOrt, type Signature, type V2Datatype } from '../runtime/signature.js';
import { unprocessable } from '../platform/errors.js';
import { modelSchema, type ModelSchema } from './model-schema.js';
import { allocate, type Tensor } from './tensors.js';

export interface ModelRuntime {
  readonly key: string;
  readonly flavor: string;
  readonly schema: ModelSchema;
  /** Runs a batch; `inputs` follow schema.inputs. Returns the tensor outputs (null where an output is not a tensor). */
  run(inputs: Tensor[], rows: number): Promise<(Tensor | null)[]>;
  close(): Promise<void>;
  /** The tree ensemble a native tree runtime evaluates (for exact TreeSHAP); absent otherwise. */
  readonly trees?: TreeEnsemble;
}

export interface RuntimeOptions {
  /** onnxruntime's intra-op threads per session (1 suits small models on few cores best). */
  intraOpThreads: number;
}

const ORT_TYPES: Partial<Record<V2Datatype, ort.Tensor.Type>> = {
  FP32: 'float32',
  FP64: 'float64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  BOOL: 'bool',
  BYTES: 'string',
};

class OnnxRuntime implements ModelRuntime {
  readonly flavor = 'onnx';
  private readonly fetches: string[];
  constructor(
    readonly key: string,
    readonly schema: ModelSchema,
    private readonly session: ort.InferenceSession,
  ) {
    this.fetches = schema.outputs.filter((o) => o.datatype !== 'NON_TENSOR').map((o) => o.name);
  }

  async run(inputs: Tensor[], _rows: number): Promise<(Tensor | null)[]> {
    const feeds: Record<string, ort.Tensor> = {};
    for (let i = 0; i < inputs.length; i++) {
      const t = inputs[i]!;
      const type = ORT_TYPES[t.datatype];
      if (!type) throw new Error(`datatype ${t.datatype} cannot be fed to onnxruntime`);
      feeds[t.name] = new ort.Tensor(type, t.data as Float32Array, t.shape);
    }
    const result = await this.session.run(feeds, this.fetches);
    return this.schema.outputs.map((o) => {
      const r = result[o.name];
      if (!r || o.datatype === 'NON_TENSOR') return null;
      return { name: o.name, datatype: datatypeFromOrt(r.type), shape: [...r.dims], data: r.data as Tensor['data'] };
    });
  }

  close(): Promise<void> {
    return this.session.release();
  }
}

/** A native evaluator (tree ensembles) behind the same interface. */
export interface NativeModel {
  signature: Signature;
  acceptsMissing: boolean;
  run(inputs: Tensor[], rows: number): (Tensor | null)[];
  /** Set by tree models: explanations use it for exact TreeSHAP. */
  ensemble?: TreeEnsemble;
}

/** Parses a native model's bytes; registered per flavor by whoever provides the evaluator. */
export type NativeLoader = (bytes: Uint8Array) => NativeModel;

class NativeRuntime implements ModelRuntime {
  readonly schema: ModelSchema;
  readonly trees?: TreeEnsemble;
  constructor(
    readonly key: string,
    readonly flavor: string,
    private readonly model: NativeModel,
  ) {
    this.schema = modelSchema(model.signature, { acceptsMissing: model.acceptsMissing });
    if (model.ensemble) this.trees = model.ensemble;
  }
  async run(inputs: Tensor[], rows: number): Promise<(Tensor | null)[]> {
    return this.model.run(inputs, rows);
  }
  async close(): Promise<void> {}
}

export interface RuntimeSource {
  sha256: string;
  flavor: string;
  /** The registered signature (for ONNX; native models derive theirs). */
  signature: Signature | null;
}

/** What a runtime needs to load a registered model version. */
export function runtimeSourceOf(v: { artifact_sha256: string; flavor: string; signature: string | null }): RuntimeSource {
  return { sha256: v.artifact_sha256, flavor: v.flavor, signature: v.signature ? (JSON.parse(v.signature) as Signature) : null };
}

/** One row of zeros (or empty strings) for warming a runtime up. */
function warmInputs(schema: ModelSchema): Tensor[] {
  return schema.inputs.map((l) => {
    const data = allocate(l.datatype, l.width);
    if (Array.isArray(data)) data.fill('');
    return { name: l.name, datatype: l.datatype, shape: [1, ...l.inner], data };
  });
}

export class RuntimeCache {
  private readonly entries = new Map<string, { runtime: Promise<ModelRuntime>; refs: number }>();

  constructor(
    private readonly deps: {
      /** A local file holding the artifact's verified bytes. */
      localPath: (sha256: string) => Promise<string>;
      natives: Record<string, NativeLoader>;
      options: RuntimeOptions;
    },
  ) {}

  /** A warmed runtime for this artifact; call release() once per acquire(). */
  async acquire(source: RuntimeSource): Promise<ModelRuntime> {
    const key = `${source.flavor}:${source.sha256}`;
    let entry = this.entries.get(key);
    if (!entry) {
      const runtime = this.load(key, source);
      entry = { runtime, refs: 0 };
      this.entries.set(key, entry);
      runtime.catch(() => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      });
    }
    entry.refs++;
    try {
      return await entry.runtime;
    } catch (err) {
      entry.refs--;
      throw err;
    }
  }

  async release(runtime: ModelRuntime): Promise<void> {
    const entry = this.entries.get(runtime.key);
    if (!entry) return;
    entry.refs--;
    if (entry.refs > 0) return;
    this.entries.delete(runtime.key);
    await runtime.close();
  }

  /** How many runtimes are loaded (for tests and /metrics). */
  get size(): number {
    return this.entries.size;
  }

  async closeAll(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map(async (e) => (await e.runtime.catch(() => null))?.close()));
  }

  private async load(key: string, source: RuntimeSource): Promise<ModelRuntime> {
    const path = await this.deps.localPath(source.sha256);
    let runtime: ModelRuntime;
    const native = this.deps.natives[source.flavor];
    if (native) {
      runtime = new NativeRuntime(key, source.flavor, native(await readFile(path)));
    } else if (source.flavor === 'onnx') {
      if (!source.signature) throw new Error('an ONNX version without a signature cannot be served');
      const session = await ort.InferenceSession.create(path, {
        graphOptimizationLevel: 'all',
        intraOpNumThreads: this.deps.options.intraOpThreads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
      });
      runtime = new OnnxRuntime(key, modelSchema(source.signature, { acceptsMissing: false }), session);
    } else {
      // E.g. an MLflow model of another flavor, kept in the registry but not runnable by Steward: a 422 for
      // whoever asked for it to run (gates, explanations, monitoring), not a server fault.
      throw unprocessable('VERSION_NOT_SERVABLE', `flavor '${source.flavor}' cannot be run by Steward (it serves onnx and ${Object.keys(this.deps.natives).join(', ')})`, { flavor: source.flavor });
    }
    try {
      // Tensor-only models with variable inner dimensions have no obvious warm-up input.
      if (runtime.schema.tabularProblem === null) await runtime.run(warmInputs(runtime.schema), 1);
    } catch (err) {
      await runtime.close();
      throw new Error(`the model failed its warm-up call: ${(err as Error).message}`);
    }
    return runtime;
  }
}
