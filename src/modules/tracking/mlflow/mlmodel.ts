/**
 * What a source given to MLflow's model-versions/create points at, and what Steward makes of the files there.
 *
 * Sources: `runs:/<run id>/<path>` (a folder of the run's artifacts), `mlflow-artifacts:/<path>` (the artifact
 * proxy; MLflow's client resolves `runs:/` to this form before it calls the registry), the http(s) URL of the
 * proxy (`…/api/2.0/mlflow-artifacts/artifacts/<path>`), and `models:/<name>/<version>` (a copy of another
 * version). Anything else (s3://, gs://, dbfs:/, a local path) is outside Steward's artifact store.
 *
 * An MLflow model folder holds an `MLmodel` YAML file whose `flavors` map names each way to load the model
 * (mlflow/models/model.py). Steward serves two of them: `onnx` (its `data` key names the .onnx file,
 * mlflow/onnx/__init__.py) and `xgboost` saved with `model_format: json` (mlflow/xgboost/__init__.py writes
 * `model.<format>`). Every other model is kept as a record, not served.
 */
import { parse as parseYaml } from 'yaml';
import { MLFLOW_FLAVOR } from '../../../runtime/model-inspector.js';

/** The largest MLmodel file read (real ones are a few kB). */
export const MAX_MLMODEL_BYTES = 1024 * 1024;
export const MLMODEL_FILE = 'MLmodel';

export type SourceRef =
  | { kind: 'runs'; runId: string; path: string }
  | { kind: 'artifacts'; path: string }
  | { kind: 'models'; name: string; version: string }
  | { kind: 'outside' };

const PROXY_MARKER = '/api/2.0/mlflow-artifacts/artifacts';

/** Reads a source URI; the artifact paths it gives are relative, without leading or trailing slashes. */
export function parseSource(source: string): SourceRef {
  const trim = (p: string) => p.replace(/^\/+/, '').replace(/\/+$/, '');
  let m = /^runs:\/+([^/]+)(?:\/(.*))?$/.exec(source);
  if (m) return { kind: 'runs', runId: m[1]!, path: trim(m[2] ?? '') };
  m = /^mlflow-artifacts:(?:\/\/[^/]*)?(\/.*)?$/.exec(source);
  if (m) return { kind: 'artifacts', path: trim(decodePath(m[1] ?? '')) };
  m = /^models:\/+([^/@]+)\/([^/]+)\/*$/.exec(source);
  if (m) return { kind: 'models', name: m[1]!, version: m[2]! };
  if (/^https?:\/\//i.test(source)) {
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      return { kind: 'outside' };
    }
    const at = url.pathname.indexOf(PROXY_MARKER);
    const rest = at < 0 ? undefined : url.pathname.slice(at + PROXY_MARKER.length);
    if (rest !== undefined && (rest === '' || rest.startsWith('/'))) return { kind: 'artifacts', path: trim(decodePath(rest)) };
  }
  return { kind: 'outside' };
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export interface MlmodelInfo {
  /** Flavor name → its settings, as the MLmodel file lists them. */
  flavors: Record<string, Record<string, unknown>>;
  /** The flavor names, in the file's order. */
  names: string[];
}

/** Parses an MLmodel file; throws an Error whose message says what is wrong. */
export function parseMlmodel(text: string): MlmodelInfo {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new Error(`it is not valid YAML (${(err as Error).message.split('\n')[0]})`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('it is not a YAML mapping');
  const raw = (doc as Record<string, unknown>).flavors;
  if (raw === undefined || raw === null) return { flavors: {}, names: [] };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new Error("its 'flavors' is not a mapping");
  const flavors: Record<string, Record<string, unknown>> = Object.create(null) as Record<string, Record<string, unknown>>;
  for (const [name, settings] of Object.entries(raw as Record<string, unknown>)) {
    flavors[name] = settings !== null && typeof settings === 'object' && !Array.isArray(settings) ? (settings as Record<string, unknown>) : {};
  }
  return { flavors, names: Object.keys(flavors) };
}

/** A file of the source folder, with its path relative to the folder. */
export interface SourceFile {
  path: string;
  sha256: string;
  size: number;
}

/** What to register for a set of files. */
export type ModelPlan =
  | { flavor: 'onnx' | 'xgboost-json'; file: SourceFile }
  | { flavor: typeof MLFLOW_FLAVOR; file: SourceFile | null; reason: string };

const SERVES = "Steward serves ONNX and xgboost-json models: log the model with mlflow.onnx (or mlflow.xgboost with model_format='json') to deploy it";

/** Joins a flavor's `data` path to the folder; null when it would leave it. */
function dataPath(value: unknown, fallback: string): string | null {
  const text = typeof value === 'string' && value !== '' ? value : fallback;
  const parts = text.replace(/^\.\//, '').split('/');
  if (text.startsWith('/') || text.includes('\\') || parts.some((p) => p === '' || p === '.' || p === '..')) return null;
  return parts.join('/');
}

/** What a source naming one file (not a folder) becomes: an ONNX version for a .onnx file, else a record. */
export function planSingleFile(file: SourceFile): ModelPlan {
  if (file.path.toLowerCase().endsWith('.onnx')) return { flavor: 'onnx', file };
  return { flavor: MLFLOW_FLAVOR, file, reason: `the source is a single file, not an ONNX model or an MLflow model folder; ${SERVES}` };
}

/**
 * Decides what a folder of files becomes: an ONNX or xgboost-json version Steward loads, or a record of an
 * MLflow model it does not serve (with the MLmodel file as its artifact when there is one). Throws an Error
 * for a folder that contradicts its MLmodel file.
 */
export function planModel(files: readonly SourceFile[], mlmodel: MlmodelInfo | null): ModelPlan {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const mlmodelFile = byPath.get(MLMODEL_FILE) ?? null;
  if (mlmodel) {
    const onnx = mlmodel.flavors.onnx;
    if (onnx) {
      const path = dataPath(onnx.data, 'model.onnx');
      const file = path === null ? undefined : byPath.get(path);
      if (!file) throw new Error(`its MLmodel names the ONNX file '${String(onnx.data ?? 'model.onnx')}', but no such file was logged with it`);
      return { flavor: 'onnx', file };
    }
    const xgb = mlmodel.flavors.xgboost;
    if (xgb && (xgb.model_format === 'json' || (typeof xgb.data === 'string' && xgb.data.endsWith('.json')))) {
      const path = dataPath(xgb.data, 'model.json');
      const file = path === null ? undefined : byPath.get(path);
      if (!file) throw new Error(`its MLmodel names the XGBoost file '${String(xgb.data ?? 'model.json')}', but no such file was logged with it`);
      return { flavor: 'xgboost-json', file };
    }
    const names = mlmodel.names.length > 0 ? `MLflow flavors ${mlmodel.names.join(', ')}` : 'an MLmodel file without flavors';
    return { flavor: MLFLOW_FLAVOR, file: mlmodelFile, reason: `${names}: ${SERVES}` };
  }
  const onnxFiles = files.filter((f) => f.path.toLowerCase().endsWith('.onnx'));
  if (onnxFiles.length === 1) return { flavor: 'onnx', file: onnxFiles[0]! };
  return { flavor: MLFLOW_FLAVOR, file: null, reason: `the source has no MLmodel file${onnxFiles.length > 1 ? ' and several .onnx files' : ''}; ${SERVES}` };
}

/** Files MLflow writes next to a model that are never part of the model's weights. */
const MLFLOW_SIDE_FILES = new Set([MLMODEL_FILE, 'conda.yaml', 'python_env.yaml', 'requirements.txt', 'constraints.txt', 'input_example.json', 'serving_input_example.json', 'registered_model_meta']);

/**
 * Whether an ONNX file may keep its weights in other files of the folder: mlflow.onnx.log_model saves with
 * `save_as_external_data=True` by default, which moves every tensor of 1 kB or more to a file beside it.
 */
export function mayHaveExternalData(files: readonly SourceFile[], onnx: SourceFile): boolean {
  return externalDataCandidates(files, onnx).length > 0;
}

/** The files beside an ONNX file that may hold its external tensor data. */
export function externalDataCandidates(files: readonly SourceFile[], onnx: SourceFile): SourceFile[] {
  return files.filter((f) => f !== onnx && !MLFLOW_SIDE_FILES.has(f.path) && !f.path.startsWith('metadata/') && !f.path.startsWith('code/') && !f.path.endsWith('.onnx'));
}
