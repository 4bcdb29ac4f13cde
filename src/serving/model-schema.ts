/**
 * The tabular view of a model: which named features a row has, which input tensor and column each one
 * fills, and which output gives a row's prediction. Row-shaped protocols (Steward's JSON, MLflow's
 * dataframes and CSV) use it; the Open Inference Protocol speaks the model's tensors directly.
 *
 * Rules:
 * - an input of shape [-1] or [-1, 1] is one feature named like the input;
 * - an input of shape [-1, N] is N features: f0 … f(N-1) when it is the model's only input, otherwise
 *   <input>_0 … <input>_(N-1);
 * - other inputs (images, sequences) make the model tensor-only: rows are refused with a message that
 *   points to the V2 protocol.
 * - the prediction comes from the output named probabilities / probability / output_probability when there
 *   is one, otherwise the first tensor output. One value per row gives a number; two values per row from a
 *   probabilities output give the positive class's probability; more give an array.
 */
import type { Signature, TensorSpec, V2Datatype } from '../runtime/signature.js';

export interface Feature {
  name: string;
  datatype: V2Datatype;
  /** Index of the input tensor this feature fills, and its column in that tensor. */
  tensor: number;
  column: number;
}

export interface InputLayout {
  name: string;
  datatype: V2Datatype;
  /** Values per row (1 for a column input). */
  width: number;
  /** The shape after the batch dimension ([] for [-1], [1] for [-1, 1], [N] for a matrix). */
  inner: number[];
  /** The signature's dimensions after the batch one, with -1 where they vary. */
  declared: number[];
}

export interface ModelSchema {
  inputs: InputLayout[];
  /** Null when the model's inputs are not tabular; `tabularProblem` says why. */
  features: Feature[] | null;
  featureIndex: Map<string, number>;
  tabularProblem: string | null;
  /** Whether a missing value (null) may be sent for a float feature; it reaches the model as NaN. */
  acceptsMissing: boolean;
  outputs: TensorSpec[];
  /** Index (in outputs) of the output that gives each row's prediction. */
  predictionOutput: number;
  /** Whether the prediction output holds class probabilities (for picking the positive class). */
  probabilities: boolean;
  /** The most rows one model call takes (1 for a model whose batch dimension is fixed at 1). */
  maxRows: number;
}

const PROBABILITY_NAMES = ['probabilities', 'probability', 'output_probability', 'probas'];

export function modelSchema(signature: Signature, options: { acceptsMissing: boolean }): ModelSchema {
  const inputs: InputLayout[] = [];
  let tabularProblem: string | null = null;
  let maxRows = Number.MAX_SAFE_INTEGER;
  for (const spec of signature.inputs) {
    if (spec.datatype === 'NON_TENSOR') {
      tabularProblem = `input '${spec.name}' is not a tensor`;
      inputs.push({ name: spec.name, datatype: 'FP32', width: 0, inner: [], declared: [] });
      continue;
    }
    const inner = spec.shape.length === 0 ? [] : spec.shape.slice(1);
    if (spec.shape.length > 0 && spec.shape[0] !== -1 && spec.shape[0] !== 1) tabularProblem ??= `input '${spec.name}' has a fixed batch size of ${spec.shape[0]}`;
    if (spec.shape.length > 0 && spec.shape[0] !== -1) maxRows = Math.min(maxRows, spec.shape[0]!);
    if (inner.some((d) => d < 0)) tabularProblem ??= `input '${spec.name}' has variable dimensions [${spec.shape.join(', ')}]`;
    if (inner.length > 1) tabularProblem ??= `input '${spec.name}' has rank ${spec.shape.length}`;
    const width = inner.reduce((a, b) => a * Math.max(b, 0), 1);
    inputs.push({ name: spec.name, datatype: spec.datatype, width, inner: inner.map((d) => Math.max(d, 0)), declared: inner });
  }
  let features: Feature[] | null = null;
  if (tabularProblem === null) {
    features = [];
    inputs.forEach((layout, t) => {
      if (layout.inner.length === 0 || (layout.inner.length === 1 && layout.inner[0] === 1)) {
        features!.push({ name: layout.name, datatype: layout.datatype, tensor: t, column: 0 });
      } else {
        const prefix = inputs.length === 1 ? 'f' : `${layout.name}_`;
        for (let c = 0; c < layout.width; c++) features!.push({ name: `${prefix}${c}`, datatype: layout.datatype, tensor: t, column: c });
      }
    });
    const seen = new Set<string>();
    for (const f of features) {
      if (seen.has(f.name)) {
        tabularProblem = `two features would be named '${f.name}'`;
        features = null;
        break;
      }
      seen.add(f.name);
    }
  }
  const tensorOutputs = signature.outputs.map((o, i) => ({ o, i })).filter(({ o }) => o.datatype !== 'NON_TENSOR');
  const named = tensorOutputs.find(({ o }) => PROBABILITY_NAMES.includes(o.name.toLowerCase()));
  const chosen = named ?? tensorOutputs[0];
  return {
    inputs,
    features,
    featureIndex: new Map((features ?? []).map((f, i) => [f.name, i])),
    tabularProblem: features ? null : (tabularProblem ?? 'the model has no inputs'),
    acceptsMissing: options.acceptsMissing,
    outputs: signature.outputs,
    predictionOutput: chosen ? chosen.i : -1,
    probabilities: named !== undefined,
    maxRows,
  };
}
