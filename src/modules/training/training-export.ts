/**
 * The files a trained model is kept and registered as:
 * - trees: xgboost's JSON model format (`model/model.json`), which Steward's native evaluator serves and
 *   TreeSHAP explains (flavor `xgboost-json`), and which xgboost itself loads;
 * - linear models: Steward's own JSON (`model/linear-model.json`: coefficients in the original feature
 *   space, the training means used for missing values, classes);
 * - both: ONNX (ai.onnx.ml TreeEnsembleClassifier/Regressor; MatMul, Add, Sigmoid or Softmax for linear
 *   models), one FP32 [N, 1] input per feature named as the column, checked in onnxruntime against the
 *   native predictions (`checkOnnx`).
 */
import * as ort from 'onnxruntime-node';
import { linearModelToOnnx } from '../../ml/onnx/linear-onnx.js';
import { treeEnsembleToOnnx } from '../../ml/onnx/tree-ensemble-onnx.js';
import { predict as linearPredict, type LinearModel } from '../../ml/linear/linear.js';
import { predictProba, type LogisticModel } from '../../ml/linear/logistic.js';
import { predict as treePredict } from '../../ml/trees/tree-evaluator.js';
import { parseXgboostJson } from '../../ml/trees/xgboost-json.js';
import { treeEnsembleToXgboostJson } from '../../ml/trees/xgboost-json-writer.js';
import { imputed, type FitModel } from './fit.js';
import type { TrainingSpec } from './training-spec.js';

export const TREE_MODEL_PATH = 'model/model.json';
export const LINEAR_MODEL_PATH = 'model/linear-model.json';
export const ONNX_MODEL_PATH = 'model/model.onnx';
/** Largest |ONNX − native| accepted at registration. */
export const ONNX_TOLERANCE = 1e-5;

export interface StoredModel {
  path: string;
  text: string;
}

interface LinearFile {
  format: 'steward-linear';
  formatVersion: 1;
  kind: 'logistic' | 'linear';
  task: string;
  features: string[];
  classes: string[];
  /** outputs × features, original feature space. */
  coef: number[];
  intercept: number[];
  impute: number[];
  model: Record<string, unknown>;
}

const arrays = (o: object): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v && typeof v === 'object' ? arrays(v as object) : v]));

/** The file a trial's model is stored as in its run's artifacts. */
export function modelFileOf(model: FitModel, spec: Pick<TrainingSpec, 'features' | 'classes' | 'task' | 'target'>): StoredModel {
  if (model.kind === 'gbdt') {
    return {
      path: TREE_MODEL_PATH,
      text: treeEnsembleToXgboostJson(model.ensemble, spec.features.map((name) => ({ name })), {
        attributes: { steward_target: spec.target, steward_classes: JSON.stringify(spec.classes) },
      }),
    };
  }
  const m = model.model;
  const file: LinearFile = {
    format: 'steward-linear',
    formatVersion: 1,
    kind: m.kind,
    task: spec.task,
    features: spec.features,
    classes: spec.classes,
    coef: Array.from(m.coef),
    intercept: m.kind === 'logistic' ? Array.from(m.intercept) : [m.intercept],
    impute: Array.from(model.impute),
    model: arrays(m),
  };
  return { path: LINEAR_MODEL_PATH, text: `${JSON.stringify(file)}\n` };
}

export interface Exported {
  /** The native file and flavor, when there is one Steward serves (trees). */
  native: { flavor: 'xgboost-json'; bytes: Uint8Array } | null;
  onnx: Uint8Array;
  /** Native predictions, rows × width: class probabilities (binary: [1 − p, p]) or the prediction. */
  predict(x: Float64Array, rows: number): { values: Float64Array; width: number };
  /** The ONNX output compared with `predict`. */
  onnxOutput: 'probabilities' | 'variable';
}

/** Reads a stored model file back and makes its exports. */
export function exportModel(path: string, text: string, features: string[]): Exported {
  if (path === TREE_MODEL_PATH) {
    const { ensemble } = parseXgboostJson(text);
    const onnx = treeEnsembleToOnnx(ensemble, { featureNames: features });
    const classifier = ensemble.objective !== 'regression';
    return {
      native: { flavor: 'xgboost-json', bytes: Buffer.from(text, 'utf8') },
      onnx,
      onnxOutput: classifier ? 'probabilities' : 'variable',
      predict(x, rows) {
        const y = treePredict(ensemble, Float32Array.from(x), rows);
        if (ensemble.objective !== 'binary') return { values: y, width: ensemble.numOutputs };
        const out = new Float64Array(rows * 2);
        for (let i = 0; i < rows; i++) {
          out[i * 2] = 1 - y[i]!;
          out[i * 2 + 1] = y[i]!;
        }
        return { values: out, width: 2 };
      },
    };
  }
  if (path !== LINEAR_MODEL_PATH) throw new Error(`unknown model file ${path}`);
  const file = JSON.parse(text) as LinearFile;
  const typed = (v: unknown) => Float64Array.from(v as number[]);
  const raw = file.model;
  const impute = typed(file.impute);
  const F = file.features.length;
  let model: LogisticModel | LinearModel;
  if (file.kind === 'logistic') {
    const st = raw.standardization as Record<string, number[]> | null;
    model = {
      ...(raw as unknown as LogisticModel),
      coef: typed(raw.coef),
      intercept: typed(raw.intercept),
      standardization: st ? { mean: typed(st.mean), scale: typed(st.scale), coef: typed(st.coef), intercept: typed(st.intercept) } : null,
    };
  } else {
    model = { ...(raw as unknown as LinearModel), coef: typed(raw.coef), intercept: Number(raw.intercept) };
  }
  const onnx = linearModelToOnnx(model, { featureNames: features, imputeValues: impute });
  return {
    native: null,
    onnx,
    onnxOutput: model.kind === 'logistic' ? 'probabilities' : 'variable',
    predict(x, rows) {
      const filled = imputed(x, F, impute);
      if (model.kind === 'logistic') return { values: predictProba(model, filled, rows), width: model.nClasses };
      return { values: linearPredict(model, filled, rows), width: 1 };
    },
  };
}

/** Runs the ONNX model in onnxruntime on the rows and returns the largest |ONNX − native| difference. */
export async function checkOnnx(exported: Exported, features: string[], x: Float64Array, rows: number): Promise<{ maxAbsDiff: number; rows: number }> {
  const F = features.length;
  const session = await ort.InferenceSession.create(Buffer.from(exported.onnx));
  try {
    const feeds: Record<string, ort.Tensor> = {};
    features.forEach((name, j) => {
      const col = new Float32Array(rows);
      for (let i = 0; i < rows; i++) col[i] = x[i * F + j]!;
      feeds[name] = new ort.Tensor('float32', col, [rows, 1]);
    });
    const out = await session.run(feeds);
    const got = out[exported.onnxOutput]!.data as Float32Array;
    // the native side sees the float32 values ONNX sees
    const native = exported.predict(Float64Array.from(Float32Array.from(x)), rows);
    if (got.length !== native.values.length) throw new Error(`the ONNX model gives ${got.length} values for ${rows} rows; the native model ${native.values.length}`);
    let max = 0;
    for (let i = 0; i < got.length; i++) {
      const d = Math.abs(got[i]! - native.values[i]!);
      if (Number.isNaN(d)) return { maxAbsDiff: Infinity, rows };
      const scale = exported.onnxOutput === 'variable' ? Math.max(1, Math.abs(native.values[i]!)) : 1;
      if (!(d / scale <= max)) max = d / scale;
    }
    return { maxAbsDiff: max, rows };
  } finally {
    await session.release();
  }
}
