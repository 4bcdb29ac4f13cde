/**
 * Exports a TreeEnsemble as an ONNX model with the ai.onnx.ml tree operators (opset 3), so that a model
 * trained by Steward (src/ml/gbdt) registers and serves like any ONNX upload.
 *
 * Graph. One input `input`, float32 [batch, numFeatures] (a row-major matrix; Steward's model schema names
 * its columns f0 … f(F-1)) — or, with `featureNames`, one float32 [batch, 1] input per feature, named as the
 * feature and joined by Concat(axis 1) (named-inputs.ts) — and
 * - regression: TreeEnsembleRegressor → `variable` float32 [batch, numOutputs] (the margin itself);
 * - binary: TreeEnsembleClassifier, post_transform LOGISTIC → `label` int64 [batch] and
 *   `probabilities` float32 [batch, 2] = [1 − p, p];
 * - multiclass: TreeEnsembleClassifier, post_transform SOFTMAX → `label` int64 [batch] and
 *   `probabilities` float32 [batch, K].
 * No ZipMap: `probabilities` is a plain tensor, which Steward's model schema takes as the prediction
 * output (and, for two columns, the positive class's probability), as for other classifiers.
 *
 * Trees. Node ids restart at 0 in every tree (the ensemble's global id minus the tree's offset; ONNX
 * requires per-tree ids). Every internal node is BRANCH_LT: `x < threshold` takes the true branch, which
 * is the ensemble's left child; `nodes_missing_value_tracks_true` is the node's default-left flag, so a
 * NaN goes where the native evaluator sends it. Leaves carry their value as one class/target weight for
 * the tree's output.
 *
 * Binary classifiers follow the convention of the xgboost converters (onnxmltools): the trees all vote for
 * class id 0 with classlabels [0, 1] and one base value, the margin. onnxruntime treats that single score
 * column as the positive class's margin: it adds the base value, applies the sigmoid, and writes the
 * two-column [1 − p, p]; the label is 1 when the margin is > 0 (p > 0.5).
 *
 * Precision. Thresholds, leaf values and base margins are written as float32 attributes; thresholds and
 * leaf values are already float32 in a TreeEnsemble (the evaluator compares float32 inputs with float32
 * thresholds), so splits are bit-identical to the native evaluator's, including rows right at a
 * threshold. Base margins are doubles in a TreeEnsemble and are rounded to float32 here. Sums differ:
 * the native evaluator (like xgboost) starts from the base margin and rounds the running sum to float32
 * after each tree; onnxruntime sums the leaves in float32 from 0, adds the base value last, and for large
 * batches splits the trees into chunks summed apart. So margins differ by float32 rounding steps of the
 * margin: measured 1.7e-6 relative (9.5e-6 absolute, margins near 10–20) with 30 trees, 1.5e-5 absolute
 * with 100 trees on margins near 15; probabilities agree within 2e-7. (Folding the base margin into the
 * first tree's leaves makes small batches bit-identical, but not large ones, so base_values is kept.)
 *
 * Missing values. The graph sends NaN the trees' default directions. Steward's serving does not pass
 * NaN to 'onnx' models today (OnnxRuntime is built with acceptsMissing: false, so null and NaN are
 * refused by every protocol); serving exported models with missing values needs that to change.
 */
import { checkTreeEnsemble, type TreeEnsemble } from '../trees/tree-ensemble.js';
import { namedInputs } from './named-inputs.js';
import { OnnxGraphBuilder } from './onnx-builder.js';

export const ONNX_ML_DOMAIN = 'ai.onnx.ml';
/** Names of the exported graph's tensors. */
export const TREE_ONNX_NAMES = { input: 'input', value: 'variable', label: 'label', probabilities: 'probabilities' } as const;

export interface TreeOnnxOptions {
  /** Graph name; default 'steward_tree_ensemble'. */
  readonly graphName?: string;
  /** ModelProto.producer_name; default 'steward'. */
  readonly producer?: string;
  /**
   * One FP32 [N, 1] input per feature, named so (in feature order), instead of the one [N, F] matrix
   * `input`; a name may not be one of the outputs' names.
   */
  readonly featureNames?: readonly string[];
}

interface TreeAttributes {
  treeIds: number[];
  nodeIds: number[];
  featureIds: number[];
  modes: string[];
  values: number[];
  trueIds: number[];
  falseIds: number[];
  missingTracksTrue: number[];
  leafTree: number[];
  leafNode: number[];
  leafOutput: number[];
  leafWeight: number[];
}

function treeAttributes(e: TreeEnsemble, binary: boolean): TreeAttributes {
  const a: TreeAttributes = {
    treeIds: [],
    nodeIds: [],
    featureIds: [],
    modes: [],
    values: [],
    trueIds: [],
    falseIds: [],
    missingTracksTrue: [],
    leafTree: [],
    leafNode: [],
    leafOutput: [],
    leafWeight: [],
  };
  for (let t = 0; t < e.numTrees; t++) {
    const start = e.treeOffsets[t]!;
    const end = e.treeOffsets[t + 1]!;
    const output = binary ? 0 : e.treeOutput[t]!;
    for (let n = start; n < end; n++) {
      const local = n - start;
      a.treeIds.push(t);
      a.nodeIds.push(local);
      const f = e.feature[n]!;
      if (f === -1) {
        a.featureIds.push(0);
        a.modes.push('LEAF');
        a.values.push(0);
        a.trueIds.push(0);
        a.falseIds.push(0);
        a.missingTracksTrue.push(0);
        a.leafTree.push(t);
        a.leafNode.push(local);
        a.leafOutput.push(output);
        a.leafWeight.push(e.value[n]!);
      } else {
        a.featureIds.push(f);
        a.modes.push('BRANCH_LT');
        a.values.push(e.threshold[n]!);
        a.trueIds.push(e.left[n]! - start);
        a.falseIds.push(e.right[n]! - start);
        a.missingTracksTrue.push(e.defaultLeft[n] ? 1 : 0);
      }
    }
  }
  return a;
}

/**
 * The ONNX model (serialized ModelProto) computing what `predict` computes for this ensemble: values for
 * regression, class probabilities (and the arg-max label) for binary and multiclass.
 */
export function treeEnsembleToOnnx(e: TreeEnsemble, options: TreeOnnxOptions = {}): Uint8Array {
  const problem = checkTreeEnsemble(e);
  if (problem) throw new Error(`the tree ensemble is inconsistent: ${problem}`);
  if (e.numTrees === 0) throw new Error('the tree ensemble has no trees; ONNX tree operators need at least one');
  if (e.objective === 'binary' && e.numOutputs !== 1) throw new Error(`a binary ensemble has one output, not ${e.numOutputs}`);
  if (e.objective === 'multiclass' && e.numOutputs < 2) throw new Error(`a multiclass ensemble needs at least 2 outputs, not ${e.numOutputs}`);

  const g = new OnnxGraphBuilder(options.graphName ?? 'steward_tree_ensemble').opset(ONNX_ML_DOMAIN, 3);
  let x: string = TREE_ONNX_NAMES.input;
  if (options.featureNames) {
    if (options.featureNames.length !== e.numFeatures) throw new RangeError(`${options.featureNames.length} feature names for ${e.numFeatures} features`);
    x = namedInputs(g, options.featureNames, [TREE_ONNX_NAMES.value, TREE_ONNX_NAMES.label, TREE_ONNX_NAMES.probabilities]);
  } else g.input(TREE_ONNX_NAMES.input, 'FLOAT', ['batch', e.numFeatures]);
  const binary = e.objective === 'binary';
  const a = treeAttributes(e, binary);
  const nodes = {
    nodes_treeids: a.treeIds,
    nodes_nodeids: a.nodeIds,
    nodes_featureids: a.featureIds,
    nodes_modes: { strings: a.modes },
    nodes_values: { floats: a.values },
    nodes_truenodeids: a.trueIds,
    nodes_falsenodeids: a.falseIds,
    nodes_missing_value_tracks_true: a.missingTracksTrue,
  };
  const base = { floats: Array.from(e.baseMargin, (v) => Math.fround(v)) };

  if (e.objective === 'regression') {
    g.node(
      'TreeEnsembleRegressor',
      [x],
      [TREE_ONNX_NAMES.value],
      {
        ...nodes,
        n_targets: e.numOutputs,
        target_treeids: a.leafTree,
        target_nodeids: a.leafNode,
        target_ids: a.leafOutput,
        target_weights: { floats: a.leafWeight },
        base_values: base,
        aggregate_function: 'SUM',
        post_transform: 'NONE',
      },
      ONNX_ML_DOMAIN,
    );
    g.output(TREE_ONNX_NAMES.value, 'FLOAT', ['batch', e.numOutputs]);
  } else {
    const classes = binary ? 2 : e.numOutputs;
    g.node(
      'TreeEnsembleClassifier',
      [x],
      [TREE_ONNX_NAMES.label, TREE_ONNX_NAMES.probabilities],
      {
        ...nodes,
        classlabels_int64s: Array.from({ length: classes }, (_, k) => k),
        class_treeids: a.leafTree,
        class_nodeids: a.leafNode,
        class_ids: a.leafOutput,
        class_weights: { floats: a.leafWeight },
        base_values: base,
        post_transform: binary ? 'LOGISTIC' : 'SOFTMAX',
      },
      ONNX_ML_DOMAIN,
    );
    g.output(TREE_ONNX_NAMES.label, 'INT64', ['batch']);
    g.output(TREE_ONNX_NAMES.probabilities, 'FLOAT', ['batch', classes]);
  }
  return g.toBytes(options.producer ?? 'steward');
}
