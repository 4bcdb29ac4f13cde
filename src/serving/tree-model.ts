/**
 * The `xgboost-json` flavor as a native model: one FP32 input per feature (named and ordered as in the
 * model; null is a missing value and takes the tree's default direction), and one output:
 * - binary: `probability` [-1, 1], the positive class's probability;
 * - multiclass: `probabilities` [-1, K];
 * - regression: `prediction` [-1, T] (T = 1 for one target).
 */
import { predict } from '../ml/trees/tree-evaluator.js';
import type { TreeEnsemble } from '../ml/trees/tree-ensemble.js';
import { parseXgboostJson, type FeatureInfo } from '../ml/trees/xgboost-json.js';
import type { Signature } from '../runtime/signature.js';
import type { NativeModel } from './runtimes.js';
import type { Tensor } from './tensors.js';

export function treeSignature(ensemble: TreeEnsemble, features: FeatureInfo[]): Signature {
  const output =
    ensemble.objective === 'binary' ? 'probability' : ensemble.objective === 'multiclass' ? 'probabilities' : 'prediction';
  return {
    inputs: features.map((f) => ({ name: f.name, datatype: 'FP32', shape: [-1] })),
    outputs: [{ name: output, datatype: 'FP64', shape: [-1, ensemble.numOutputs] }],
  };
}

export interface TreeModel extends NativeModel {
  ensemble: TreeEnsemble;
  features: FeatureInfo[];
}

export function loadXgboostJson(bytes: Uint8Array): TreeModel {
  const { ensemble, features } = parseXgboostJson(bytes);
  const signature = treeSignature(ensemble, features);
  const nf = features.length;
  const outName = signature.outputs[0]!.name;
  return {
    ensemble,
    features,
    signature,
    acceptsMissing: true,
    run(inputs: Tensor[], rows: number): (Tensor | null)[] {
      // Per-feature columns → one row-major matrix, as the evaluator walks rows.
      const x = new Float32Array(rows * nf);
      for (let f = 0; f < nf; f++) {
        const col = inputs[f]!.data as Float32Array;
        for (let r = 0; r < rows; r++) x[r * nf + f] = col[r]!;
      }
      const y = predict(ensemble, x, rows);
      return [{ name: outName, datatype: 'FP64', shape: [rows, ensemble.numOutputs], data: y }];
    },
  };
}
