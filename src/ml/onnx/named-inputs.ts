/**
 * A front end for exported models: one FP32 [N, 1] input per feature, named as the feature (so that a served
 * model's signature carries the column names), joined by Concat(axis 1) into the [N, F] matrix the model's
 * first node reads. Internal value names start with "steward." so they never collide with a feature.
 */
import type { OnnxGraphBuilder } from './onnx-builder.js';

/** Adds the inputs and the Concat; returns the name of the [N, F] matrix. */
export function namedInputs(g: OnnxGraphBuilder, featureNames: readonly string[], reserved: readonly string[], batch = 'batch'): string {
  if (featureNames.length === 0) throw new RangeError('at least one feature name is needed');
  const seen = new Set<string>();
  for (const name of featureNames) {
    if (name === '') throw new RangeError('a feature name is empty');
    if (seen.has(name)) throw new RangeError(`the feature name '${name}' is repeated`);
    if (reserved.includes(name) || name.startsWith('steward.')) throw new RangeError(`the feature name '${name}' is also the name of one of the model's outputs or internal values`);
    seen.add(name);
    g.input(name, 'FLOAT', [batch, 1]);
  }
  if (featureNames.length === 1) {
    g.node('Identity', [featureNames[0]!], ['steward.features']);
  } else {
    g.node('Concat', [...featureNames], ['steward.features'], { axis: 1 });
  }
  return 'steward.features';
}
