import type { Signature } from './signature.js';

/** An input example: input name → nested array of values (row-major). */
export type InputExample = Record<string, unknown>;

export interface InspectRequest {
  flavor: string;
  /** Local file with the model bytes. */
  path: string;
  /** When given, run once through the model as a smoke test. */
  example?: InputExample;
}

export type InspectResult =
  | { ok: true; signature: Signature }
  | { ok: false; message: string };

/**
 * Loads a model file with its runtime to prove it is usable, and reads its signature. A model that does
 * not load is a normal result ({ok:false, message}), not an exception.
 */
export interface ModelInspector {
  inspect(request: InspectRequest): Promise<InspectResult>;
  close(): Promise<void>;
}

/** Model formats Steward registers and serves: ONNX (onnxruntime) and xgboost's JSON (the native tree evaluator). */
export const SUPPORTED_FLAVORS = ['onnx', 'xgboost-json'] as const;

/**
 * A model registered through the MLflow API in a format Steward does not run (a pickled scikit-learn model, a
 * PyTorch model, ...): kept in the registry with its MLmodel file as the artifact, READY but never loaded,
 * deployed, or inspected.
 */
export const MLFLOW_FLAVOR = 'mlflow';

/** Whether versions of this flavor are only a record: never inspected, loaded or deployed. */
export function isRecordOnlyFlavor(flavor: string): boolean {
  return flavor === MLFLOW_FLAVOR;
}
