/** The native (non-ONNX) model flavors Steward serves, by flavor name. */
import type { NativeLoader } from './runtimes.js';
import { loadXgboostJson } from './tree-model.js';

export const NATIVE_FLAVORS: Record<string, NativeLoader> = {
  'xgboost-json': loadXgboostJson,
};
