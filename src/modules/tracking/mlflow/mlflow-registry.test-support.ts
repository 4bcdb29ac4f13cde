/**
 * Fixtures for the MLflow registry tests: MLmodel files as MLflow 2.x writes them (mlflow.onnx, mlflow.sklearn,
 * mlflow.xgboost) and the linear test model saved the way mlflow.onnx.log_model saves by default
 * (save_as_external_data=True: the weights in a file beside model.onnx).
 */
import { LINEAR } from '../../../../test/fixtures/models.js';
import { OnnxDataType } from '../../../ml/onnx/onnx-builder.js';
import { ProtoWriter } from '../../../ml/onnx/protobuf.js';

export function onnxMlmodel(runId: string, data = 'model.onnx'): string {
  return `artifact_path: model
flavors:
  onnx:
    code: null
    data: ${data}
    onnx_session_options: null
    onnx_version: 1.15.0
    providers:
    - CUDAExecutionProvider
    - CPUExecutionProvider
  python_function:
    data: ${data}
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.onnx
    python_version: 3.10.12
mlflow_version: 2.14.1
model_size_bytes: 1234
model_uuid: 9f0c5b1f2d7e4c1e8a3b6d2f0e1c2a3b
run_id: ${runId}
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}}]'
  params: null
utc_time_created: '2024-05-01 12:00:00.123456'
`;
}

export function sklearnMlmodel(runId: string): string {
  return `artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.10.12
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.3.2
mlflow_version: 2.14.1
model_uuid: 0a1b2c3d4e5f60718293a4b5c6d7e8f9
run_id: ${runId}
utc_time_created: '2024-05-01 12:00:00.123456'
`;
}

export function xgboostJsonMlmodel(runId: string): string {
  return `artifact_path: model
flavors:
  python_function:
    data: model.json
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.xgboost
    python_version: 3.10.12
  xgboost:
    code: null
    data: model.json
    model_class: xgboost.sklearn.XGBClassifier
    model_format: json
    xgb_version: 2.0.3
mlflow_version: 2.14.1
run_id: ${runId}
utc_time_created: '2024-05-01 12:00:00.123456'
`;
}

export const CONDA_YAML = 'name: mlflow-env\nchannels: [conda-forge]\ndependencies: [python=3.10.12, pip]\n';
export const PYTHON_ENV_YAML = 'python: 3.10.12\nbuild_dependencies: [pip]\ndependencies: [-r requirements.txt]\n';
export const REQUIREMENTS_TXT = 'mlflow==2.14.1\nonnx==1.15.0\n';

function float32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/**
 * test/fixtures/models.ts's linear model with its weight matrix W stored externally, at `offset` in the file
 * `location` (as onnx.save_model(save_as_external_data=True) writes it). The fields are written in the order
 * OnnxGraphBuilder writes them, so folding the data back in gives exactly `linearModel()`'s bytes.
 */
export function externalDataLinearModel(location = 'a3f1c2d4-weights', offset = 8): { model: Uint8Array; data: Uint8Array } {
  const w = float32Bytes(LINEAR.W);
  const data = new Uint8Array(offset + w.length + 4);
  data.set(w, offset);
  const entry = (key: string, value: string) => new ProtoWriter().string(1, key).string(2, value);
  const W = new ProtoWriter().int(1, 4).int(1, 1).int(2, OnnxDataType.FLOAT).string(8, 'W');
  W.message(13, entry('location', location)).message(13, entry('offset', String(offset))).message(13, entry('length', String(w.length))).int(14, 1);
  const b = new ProtoWriter().int(1, 1).int(2, OnnxDataType.FLOAT).string(8, 'b').bytes(9, float32Bytes(LINEAR.b));
  const valueInfo = (name: string, dims: (number | string)[]) => {
    const shape = new ProtoWriter();
    for (const d of dims) shape.message(1, typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d));
    const tensor = new ProtoWriter().int(1, OnnxDataType.FLOAT).message(2, shape);
    return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensor));
  };
  const node = (op: string, inputs: string[], outputs: string[], i: number) => {
    const n = new ProtoWriter();
    for (const x of inputs) n.string(1, x);
    for (const y of outputs) n.string(2, y);
    return n.string(3, `${op}_${i}`).string(4, op);
  };
  const graph = new ProtoWriter()
    .message(1, node('MatMul', ['x', 'W'], ['xw'], 0))
    .message(1, node('Add', ['xw', 'b'], ['y'], 1))
    .string(2, 'linear_regression')
    .message(5, W)
    .message(5, b)
    .message(11, valueInfo('x', ['batch', 4]))
    .message(12, valueInfo('y', ['batch', 1]));
  const model = new ProtoWriter().int(1, 8).string(2, 'steward').string(3, '0.1').message(7, graph).message(8, new ProtoWriter().int(2, 17));
  return { model: model.finish(), data };
}
