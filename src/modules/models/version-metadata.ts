import { invalidField } from '../../platform/errors.js';
import { checkName, checkTags } from '../../platform/names.js';
import { SUPPORTED_FLAVORS, type InputExample } from '../../runtime/model-inspector.js';
import { parseSignature, type Signature } from '../../runtime/signature.js';
import { SHA256_PATTERN } from '../../storage/artifact-store.js';
import { asObject, metricMap, onlyKeys, optionalPositiveInt, optionalString, paramMap } from '../../platform/validate.js';

/** The `metadata` JSON document sent with a new version's artifact. */
export interface VersionMetadata {
  flavor: string;
  signature?: Signature;
  inputExample?: InputExample;
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
  description: string;
  sourceRun?: string;
  datasetVersion?: string;
  parentVersion?: number;
  /** When given, the uploaded bytes must hash to this. */
  sha256?: string;
  /** Dataset versions (of the model's project) the model was trained, validated or tested on. */
  datasets: DatasetLink[];
}

export const DATASET_ROLES = ['train', 'validation', 'test', 'evaluation'] as const;
export interface DatasetLink {
  dataset: string;
  version: number;
  role: (typeof DATASET_ROLES)[number];
}

function parseDatasetLinks(value: unknown): DatasetLink[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidField('metadata.datasets', 'must be an array of {dataset, version, role}');
  if (value.length > 50) throw invalidField('metadata.datasets', 'at most 50 dataset versions can be named');
  return value.map((item, i) => {
    const f = `metadata.datasets[${i}]`;
    const o = asObject(f, item);
    onlyKeys(f, o, ['dataset', 'version', 'role']);
    const dataset = checkName(`${f}.dataset`, o.dataset);
    const version = optionalPositiveInt(`${f}.version`, o.version);
    if (version === undefined) throw invalidField(`${f}.version`, 'is required');
    const role = o.role ?? 'train';
    if (typeof role !== 'string' || !(DATASET_ROLES as readonly string[]).includes(role)) throw invalidField(`${f}.role`, `must be one of ${DATASET_ROLES.join(', ')}`);
    return { dataset, version, role: role as DatasetLink['role'] };
  });
}

const KEYS = ['flavor', 'signature', 'inputExample', 'metrics', 'params', 'tags', 'description', 'sourceRun', 'datasetVersion', 'parentVersion', 'sha256', 'datasets'] as const;


export const MAX_EXAMPLE_CHARS = 1_000_000;

export function parseVersionMetadata(text: string | undefined): VersionMetadata {
  if (text === undefined || text.trim() === '') return { flavor: 'onnx', metrics: {}, params: {}, tags: {}, description: '', datasets: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(text, (key, value: unknown) => {
      // As for JSON bodies (Fastify's protection against prototype poisoning): refuse, do not drop.
      if (key === '__proto__') throw new SyntaxError('"__proto__" is not allowed as a key');
      return value;
    });
  } catch (err) {
    throw invalidField('metadata', `is not valid JSON (${(err as Error).message})`, 'INVALID_JSON');
  }
  const m = asObject('metadata', raw);
  onlyKeys('metadata', m, KEYS);
  const flavor = m.flavor === undefined ? 'onnx' : m.flavor;
  if (typeof flavor !== 'string' || !(SUPPORTED_FLAVORS as readonly string[]).includes(flavor)) {
    throw invalidField('metadata.flavor', `unknown flavor${typeof flavor === 'string' ? ` '${flavor}'` : ''}: supported flavors are ${SUPPORTED_FLAVORS.join(', ')}`, 'UNKNOWN_FLAVOR');
  }
  let inputExample: InputExample | undefined;
  if (m.inputExample !== undefined && m.inputExample !== null) {
    inputExample = asObject('metadata.inputExample', m.inputExample);
    if (Object.keys(inputExample).length === 0) throw invalidField('metadata.inputExample', 'must name at least one input');
    if (JSON.stringify(inputExample).length > MAX_EXAMPLE_CHARS) throw invalidField('metadata.inputExample', `must be at most ${MAX_EXAMPLE_CHARS} characters of JSON`);
  }
  const sha256 = optionalString('metadata.sha256', m.sha256, 64);
  if (sha256 !== undefined && !SHA256_PATTERN.test(sha256)) throw invalidField('metadata.sha256', 'must be 64 lowercase hexadecimal characters');
  const tags = checkTags('metadata.tags', m.tags) as Record<string, string>;
  return {
    flavor,
    signature: m.signature === undefined || m.signature === null ? undefined : parseSignature('metadata.signature', m.signature),
    inputExample,
    metrics: metricMap('metadata.metrics', m.metrics),
    params: paramMap('metadata.params', m.params),
    tags,
    description: optionalString('metadata.description', m.description, 10_000) ?? '',
    sourceRun: optionalString('metadata.sourceRun', m.sourceRun, 500),
    datasetVersion: optionalString('metadata.datasetVersion', m.datasetVersion, 500),
    parentVersion: optionalPositiveInt('metadata.parentVersion', m.parentVersion),
    sha256,
    datasets: parseDatasetLinks(m.datasets),
  };
}
