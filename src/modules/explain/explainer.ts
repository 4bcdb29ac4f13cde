/**
 * Explaining a model runtime on decoded rows: the bridge between serving's tensors and the explainers.
 *
 * - Feature matrix: every tabular feature of the schema as a float64 column (NaN = missing, booleans 0/1,
 *   strings as codes of a per-feature dictionary), row-major. The model-agnostic explainers work on it.
 * - Tree runtimes (xgboost-json) get exact TreeSHAP in margin space (log-odds for binary, per-class margins
 *   for multiclass, the value for regression).
 * - Every other runtime (ONNX) gets KernelSHAP over a background summary, through the same prediction
 *   output the row protocols answer with; probabilities are explained through a link (logit of the
 *   positive class for binary, log per class for multiclass) so that the values are in margin space too.
 */
import { kernelShap, type Background, type Link } from '../../ml/explain/kernel-shap.js';
import type { BatchModel } from '../../ml/explain/model.js';
import { predictMargin } from '../../ml/trees/tree-evaluator.js';
import type { TreeEnsemble } from '../../ml/trees/tree-ensemble.js';
import { treeShap, type ShapValues } from '../../ml/trees/tree-shap.js';
import { invalidField } from '../../platform/errors.js';
import { decodeColumns, type DecodedBatch } from '../../serving/decode.js';
import type { ModelSchema } from '../../serving/model-schema.js';
import type { ModelRuntime } from '../../serving/runtimes.js';
import { allocate, type Tensor } from '../../serving/tensors.js';

export type ExplainMethod = 'tree' | 'kernel';

export interface RowExplanation {
  method: ExplainMethod;
  note: string | null;
  features: string[];
  outputs: string[];
  space: 'margin' | 'logit' | 'log' | 'identity';
  bias: number[];
  /** [row][output][feature] */
  shap: number[][][];
  additivityError: number;
}

/** Per-feature dictionaries for string features: value → code, and code → value. */
export class Dictionaries {
  private readonly codes = new Map<number, Map<string, number>>();
  private readonly values = new Map<number, string[]>();

  code(feature: number, value: string): number {
    let m = this.codes.get(feature);
    if (!m) {
      m = new Map();
      this.codes.set(feature, m);
      this.values.set(feature, []);
    }
    let c = m.get(value);
    if (c === undefined) {
      c = m.size;
      m.set(value, c);
      this.values.get(feature)!.push(value);
    }
    return c;
  }

  value(feature: number, code: number): string {
    return this.values.get(feature)?.[code] ?? '';
  }

  toJSON(): Record<string, string[]> {
    return Object.fromEntries([...this.values].map(([k, v]) => [String(k), v]));
  }

  static fromJSON(json: Record<string, string[]> | undefined): Dictionaries {
    const d = new Dictionaries();
    for (const [k, list] of Object.entries(json ?? {})) for (const v of list) d.code(Number(k), v);
    return d;
  }
}

export function featureNames(schema: ModelSchema): string[] {
  if (!schema.features) throw invalidField('deployment', `the model is not tabular (${schema.tabularProblem}); explanations need named features`, 'NOT_TABULAR');
  return schema.features.map((f) => f.name);
}

/** The decoded rows as a float64 feature matrix (see the file comment). */
export function featureMatrix(schema: ModelSchema, batch: DecodedBatch, dict: Dictionaries): Float64Array {
  const features = schema.features!;
  const F = features.length;
  const x = new Float64Array(batch.rows * F);
  features.forEach((f, j) => {
    const t = batch.inputs[f.tensor]!;
    const width = schema.inputs[f.tensor]!.width;
    const data = t.data;
    for (let r = 0; r < batch.rows; r++) {
      const v = data[r * width + f.column];
      x[r * F + j] = typeof v === 'string' ? dict.code(j, v) : typeof v === 'bigint' ? Number(v) : (v as number);
    }
  });
  return x;
}

/**
 * Decodes dataset columns (name → values, as DuckDB read them) into the model's feature matrix, a chunk of
 * rows at a time; a chunk with a row the model refuses is taken row by row, and such rows are left out.
 * Answers the matrix (row-major, one row per kept row) and the dataset rows it holds, in order.
 */
export function datasetMatrix(schema: ModelSchema, values: Record<string, unknown[]>, rows: number, dict: Dictionaries): { x: Float64Array; kept: number[] } {
  const features = schema.features!.map((f) => f.name);
  const kept: number[] = [];
  const parts: Float64Array[] = [];
  const CHUNK = 10_000;
  const slice = (a: number, b: number) => Object.fromEntries(features.map((f) => [f, values[f]!.slice(a, b)]));
  for (let start = 0; start < rows; start += CHUNK) {
    const end = Math.min(rows, start + CHUNK);
    try {
      parts.push(featureMatrix(schema, decodeColumns(schema, slice(start, end), 'dataset'), dict));
      for (let r = start; r < end; r++) kept.push(r);
    } catch {
      for (let r = start; r < end; r++) {
        try {
          parts.push(featureMatrix(schema, decodeColumns(schema, slice(r, r + 1), 'dataset'), dict));
          kept.push(r);
        } catch {
          /* a row the model cannot take */
        }
      }
    }
  }
  const x = new Float64Array(kept.length * features.length);
  let at = 0;
  for (const p of parts) {
    x.set(p, at);
    at += p.length;
  }
  return { x, kept };
}

/** The feature values of a row as a client sent them (strings decoded, missing as null). */
export function rowValues(schema: ModelSchema, x: Float64Array, r: number, dict: Dictionaries): (number | string | null)[] {
  const features = schema.features!;
  const F = features.length;
  return features.map((f, j) => {
    const v = x[r * F + j]!;
    if (f.datatype === 'BYTES') return dict.value(j, v);
    return Number.isNaN(v) ? null : v;
  });
}

/** Input tensors for a feature matrix (the inverse of featureMatrix). */
export function tensorsOf(schema: ModelSchema, x: Float64Array, rows: number, dict: Dictionaries): Tensor[] {
  const features = schema.features!;
  const F = features.length;
  const inputs: Tensor[] = schema.inputs.map((l) => ({ name: l.name, datatype: l.datatype, shape: [rows, ...l.inner], data: allocate(l.datatype, rows * l.width) }));
  features.forEach((f, j) => {
    const t = inputs[f.tensor]!;
    const width = schema.inputs[f.tensor]!.width;
    const data = t.data;
    for (let r = 0; r < rows; r++) {
      const v = x[r * F + j]!;
      const at = r * width + f.column;
      // Integer features cannot be missing: a centre without a value for one (k-means of missing cells) sends 0.
      const whole = Number.isFinite(v) ? Math.round(v) : 0;
      if (f.datatype === 'BYTES') (data as string[])[at] = dict.value(j, v);
      else if (data instanceof BigInt64Array || data instanceof BigUint64Array) (data as BigInt64Array)[at] = BigInt(whole);
      else if (f.datatype === 'FP32' || f.datatype === 'FP64' || f.datatype === 'FP16') (data as Float64Array)[at] = v;
      else (data as Int32Array)[at] = whole;
    }
  });
  return inputs;
}

/** How a runtime's prediction output reads as explainable outputs. */
export interface OutputShape {
  /** Values per row in the prediction output. */
  width: number;
  /** Which of them are explained (the positive class for binary probabilities). */
  pick: number[];
  names: string[];
  link: Link;
  /** Whether the prediction output holds class probabilities. */
  probabilities: boolean;
}

export function outputShape(runtime: ModelRuntime, width: number): OutputShape {
  const schema = runtime.schema;
  if (schema.probabilities && width === 2) return { width, pick: [1], names: ['log-odds'], link: 'logit', probabilities: true };
  if (schema.probabilities && width === 1) return { width, pick: [0], names: ['log-odds'], link: 'logit', probabilities: true };
  if (schema.probabilities) return { width, pick: Array.from({ length: width }, (_, k) => k), names: Array.from({ length: width }, (_, k) => `class ${k}`), link: 'log', probabilities: true };
  return { width, pick: Array.from({ length: width }, (_, k) => k), names: width === 1 ? ['value'] : Array.from({ length: width }, (_, k) => `value ${k}`), link: 'identity', probabilities: false };
}

/** Runs the runtime on a feature matrix and returns its prediction output, rows × width. */
export async function runMatrix(runtime: ModelRuntime, x: Float64Array, rows: number, dict: Dictionaries): Promise<{ values: Float64Array; width: number }> {
  const schema = runtime.schema;
  const F = schema.features!.length;
  const step = Math.max(1, Math.min(schema.maxRows, 8192));
  let out: Float64Array | null = null;
  let width = 0;
  for (let start = 0; start < rows; start += step) {
    const n = Math.min(step, rows - start);
    const outputs = await runtime.run(tensorsOf(schema, x.subarray(start * F, (start + n) * F), n, dict), n);
    const t = outputs[schema.predictionOutput];
    if (!t) throw invalidField('deployment', 'the model has no tensor output to explain', 'NO_ROW_PREDICTION');
    const w = t.data.length / n;
    if (!Number.isInteger(w) || w < 1) throw invalidField('deployment', `the model's output '${t.name}' does not have one prediction per row`, 'NO_ROW_PREDICTION');
    if (!out) {
      width = w;
      out = new Float64Array(rows * w);
    }
    for (let i = 0; i < n * w; i++) out[start * w + i] = Number(t.data[i]);
  }
  return { values: out ?? new Float64Array(0), width };
}

/** The runtime as a BatchModel returning the explained outputs (probabilities or values, before any link). */
export function batchModel(runtime: ModelRuntime, shape: OutputShape, dict: Dictionaries): BatchModel {
  const F = runtime.schema.features!.length;
  return {
    numFeatures: F,
    numOutputs: shape.pick.length,
    async predict(x, rows) {
      const { values, width } = await runMatrix(runtime, x, rows, dict);
      if (width !== shape.width) throw new Error(`the model answered ${width} values per row, then ${shape.width}`);
      const out = new Float64Array(rows * shape.pick.length);
      for (let r = 0; r < rows; r++) for (let k = 0; k < shape.pick.length; k++) out[r * shape.pick.length + k] = values[r * width + shape.pick[k]!]!;
      return out;
    },
  };
}

/** Tree models' output names, by objective. */
export function treeOutputs(runtime: ModelRuntime): string[] {
  const e = runtime.trees!;
  if (e.objective === 'binary') return ['log-odds'];
  if (e.objective === 'multiclass') return Array.from({ length: e.numOutputs }, (_, k) => `class ${k}`);
  return e.numOutputs === 1 ? ['value'] : Array.from({ length: e.numOutputs }, (_, k) => `value ${k}`);
}

function nested(values: Float64Array, rows: number, K: number, F: number): number[][][] {
  const out: number[][][] = new Array<number[][]>(rows);
  for (let r = 0; r < rows; r++) {
    const row: number[][] = new Array<number[]>(K);
    for (let o = 0; o < K; o++) row[o] = Array.from(values.subarray((r * K + o) * F, (r * K + o + 1) * F));
    out[r] = row;
  }
  return out;
}

export interface ExplainOptions {
  /** Computes TreeSHAP (a worker pool's, to keep it off the event loop); default: inline. */
  treeShap?: (e: TreeEnsemble, x: Float32Array, rows: number) => Promise<ShapValues>;
  /** Needed unless the runtime is a tree model. */
  background?: Background | null;
  /** Why there is no background (said in the 400 when KernelSHAP needs one). */
  backgroundHint?: string;
  /** Where the background came from, for the note. */
  backgroundSource?: string;
  nsamples?: number;
  seed?: number;
  onProgress?(done: number, total: number): void;
}

/** Exact TreeSHAP for tree runtimes; KernelSHAP (with the fallback said in `note`) for the rest. */
export async function explainMatrix(runtime: ModelRuntime, x: Float64Array, rows: number, dict: Dictionaries, options: ExplainOptions): Promise<RowExplanation & { values: Float64Array }> {
  const schema = runtime.schema;
  const features = featureNames(schema);
  const F = features.length;
  if (runtime.trees) {
    const e = runtime.trees;
    const x32 = Float32Array.from(x);
    const shap = options.treeShap ? await options.treeShap(e, x32, rows) : treeShap(e, x32, rows);
    const K = e.numOutputs;
    const margin = predictMargin(e, x32, rows);
    let worst = 0;
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < K; o++) {
        let sum = shap.bias[o]!;
        for (let f = 0; f < F; f++) sum += shap.values[(r * K + o) * F + f]!;
        worst = Math.max(worst, Math.abs(sum - margin[r * K + o]!));
      }
    }
    options.onProgress?.(rows, rows);
    return { method: 'tree', note: null, features, outputs: treeOutputs(runtime), space: 'margin', bias: Array.from(shap.bias), shap: nested(shap.values, rows, K, F), values: shap.values, additivityError: worst };
  }
  const background = options.background;
  if (!background || background.rows === 0) {
    throw invalidField('background', `${runtime.flavor} models have no exact explainer, and KernelSHAP needs background rows: ${options.backgroundHint ?? 'send "background": {"rows": [...]}'}`, 'NO_BACKGROUND');
  }
  // One probe row tells the output's width.
  const probe = await runMatrix(runtime, x.subarray(0, F), 1, dict);
  const shape = outputShape(runtime, probe.width);
  const model = batchModel(runtime, shape, dict);
  const result = await kernelShap(model, x, rows, background, { link: shape.link, nsamples: options.nsamples, seed: options.seed ?? 0, onProgress: options.onProgress });
  const note = `KernelSHAP: ${runtime.flavor} models have no exact method; ${background.rows} background rows${options.backgroundSource ? ` (${options.backgroundSource})` : ''}, ${result.method === 'exact' ? 'every coalition enumerated' : `${result.samples} coalitions sampled`}`;
  const space = shape.link === 'identity' ? 'identity' : shape.link;
  return { method: 'kernel', note, features, outputs: shape.names, space, bias: Array.from(result.bias), shap: nested(result.values, rows, shape.pick.length, F), values: result.values, additivityError: result.additivityError };
}
