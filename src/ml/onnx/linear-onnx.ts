/**
 * Linear and logistic regression models as ONNX, with standard operators only:
 *   x [N, F] (or one [N, 1] input per named feature, joined by Concat)
 *   → ai.onnx.ml Imputer (NaN → the training means), when impute values are given
 *   → MatMul W [F, K] → Add b [K]
 *   → binary logistic: Sigmoid → p [N, 1]; probabilities = Concat(1 − p, p) [N, 2]; label = (p ≥ 0.5)
 *     multinomial:     Softmax(axis 1) → probabilities [N, K]; label = ArgMax
 *     linear:          the sum is `variable` [N, 1]
 * Output names and shapes are those of the tree exporter (TREE_ONNX_NAMES), so both kinds are served alike.
 */
import type { LinearModel } from '../linear/linear.js';
import type { LogisticModel } from '../linear/logistic.js';
import { namedInputs } from './named-inputs.js';
import { OnnxGraphBuilder } from './onnx-builder.js';
import { ONNX_ML_DOMAIN, TREE_ONNX_NAMES } from './tree-ensemble-onnx.js';

export interface LinearOnnxOptions {
  /** One FP32 [N, 1] input per feature, named so, instead of the [N, F] matrix `input`. */
  readonly featureNames?: readonly string[];
  /** Per feature, the value a missing (NaN) input is replaced by. */
  readonly imputeValues?: ArrayLike<number>;
  readonly graphName?: string;
}

export function linearModelToOnnx(model: LogisticModel | LinearModel, options: LinearOnnxOptions = {}): Uint8Array {
  const F = model.nFeatures;
  const outputs = [TREE_ONNX_NAMES.value, TREE_ONNX_NAMES.label, TREE_ONNX_NAMES.probabilities];
  const g = new OnnxGraphBuilder(options.graphName ?? 'steward_linear_model', 17);
  let x: string;
  if (options.featureNames) {
    if (options.featureNames.length !== F) throw new RangeError(`${options.featureNames.length} feature names for ${F} features`);
    x = namedInputs(g, options.featureNames, outputs);
  } else {
    x = TREE_ONNX_NAMES.input;
    g.input(x, 'FLOAT', ['batch', F]);
  }
  if (options.imputeValues) {
    if (options.imputeValues.length !== F) throw new RangeError(`${options.imputeValues.length} impute values for ${F} features`);
    for (let j = 0; j < F; j++) {
      const v = options.imputeValues[j]!;
      if (!Number.isFinite(v)) throw new RangeError(`the impute value of feature ${options.featureNames?.[j] ?? j} is ${v}, not a finite number`);
    }
    g.opset(ONNX_ML_DOMAIN, 3);
    g.node('Imputer', [x], ['steward.imputed'], { imputed_value_floats: { floats: Array.from(options.imputeValues, (v) => Math.fround(v)) }, replaced_value_float: NaN }, ONNX_ML_DOMAIN);
    x = 'steward.imputed';
  }
  // W is [F, K] (the models keep K × F row-major coefficients)
  const K = model.kind === 'logistic' ? model.nOutputs : 1;
  const w = new Float32Array(F * K);
  for (let k = 0; k < K; k++) for (let j = 0; j < F; j++) w[j * K + k] = model.coef[k * F + j]!;
  const b = model.kind === 'logistic' ? Float32Array.from(model.intercept) : Float32Array.of(model.intercept);
  g.floatInitializer('steward.W', [F, K], w);
  g.floatInitializer('steward.b', [K], b);
  g.node('MatMul', [x, 'steward.W'], ['steward.xw']);
  if (model.kind === 'linear') {
    g.node('Add', ['steward.xw', 'steward.b'], [TREE_ONNX_NAMES.value]);
    g.output(TREE_ONNX_NAMES.value, 'FLOAT', ['batch', 1]);
    return g.toBytes();
  }
  g.node('Add', ['steward.xw', 'steward.b'], ['steward.z']);
  if (K === 1) {
    g.node('Sigmoid', ['steward.z'], ['steward.p']);
    g.floatInitializer('steward.one', [1], [1]);
    g.floatInitializer('steward.half', [1], [0.5]);
    g.node('Sub', ['steward.one', 'steward.p'], ['steward.q']);
    g.node('Concat', ['steward.q', 'steward.p'], [TREE_ONNX_NAMES.probabilities], { axis: 1 });
    // label: p ≥ 0.5 ⇔ not (p < 0.5), as int64 [N]
    g.node('Less', ['steward.p', 'steward.half'], ['steward.below']);
    g.node('Not', ['steward.below'], ['steward.atleast']);
    g.node('Cast', ['steward.atleast'], ['steward.label2d'], { to: 7 });
    g.int64Initializer('steward.flat', [1], [-1]);
    g.node('Reshape', ['steward.label2d', 'steward.flat'], [TREE_ONNX_NAMES.label]);
    g.output(TREE_ONNX_NAMES.label, 'INT64', ['batch']);
    g.output(TREE_ONNX_NAMES.probabilities, 'FLOAT', ['batch', 2]);
    return g.toBytes();
  }
  g.node('Softmax', ['steward.z'], [TREE_ONNX_NAMES.probabilities], { axis: 1 });
  g.node('ArgMax', [TREE_ONNX_NAMES.probabilities], [TREE_ONNX_NAMES.label], { axis: 1, keepdims: 0 });
  g.output(TREE_ONNX_NAMES.label, 'INT64', ['batch']);
  g.output(TREE_ONNX_NAMES.probabilities, 'FLOAT', ['batch', K]);
  return g.toBytes();
}
