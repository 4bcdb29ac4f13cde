/**
 * MLflow's model registry (mlflow/protos/model_registry.proto) over Steward's registry: a registered model is
 * a Steward model of the scope project, a model version is a Steward version. Everything goes through
 * ModelsService and RegistrationService, so a version registered with `mlflow.register_model` is an ordinary
 * Steward version (events, audit, policies, deployments), and every stage or alias move passes the same policy
 * check as Steward's own API.
 *
 * Roles are those of Steward's API for the same action (src/modules/models/models.routes.ts): viewer to read,
 * contributor to create, change, tag, move stages and aliases.
 *
 * Differences from MLflow's server, on purpose:
 *  - Names follow Steward's rule (letters, digits, '.', '_', '-'); other MLflow names are refused.
 *  - Registered models and versions are never deleted (the audit trail keeps what was registered and
 *    served): delete answers INVALID_STATE (409), and the way out is to archive (transition-stage Archived).
 *  - model-versions/create resolves the source to files logged to Steward (the artifact proxy) and registers
 *    what it finds: an ONNX model (or XGBoost JSON) is loaded like an upload and can be deployed; any other
 *    MLflow model is kept READY, with its MLmodel file as the artifact, and cannot be deployed.
 *  - A version is PENDING_REGISTRATION while Steward loads it; create waits a few seconds for that and the
 *    client polls model-versions/get after (as mlflow.register_model does).
 */
import { Readable } from 'node:stream';
import type { MetadataStore } from '../../../db/metadata-store.js';
import type { ModelRow, ModelVersionMlflowRow, ModelVersionRow, ProjectRow, RunRow } from '../../../db/schema.js';
import type { Clock } from '../../../platform/clock.js';
import { conflict, DomainError, invalid, notFound } from '../../../platform/errors.js';
import type { Logger } from '../../../platform/logger.js';
import { checkName, checkTags, NAME_PATTERN, printable } from '../../../platform/names.js';
import type { Principal } from '../../../platform/principal.js';
import { MAX_INT32 } from '../../../platform/validate.js';
import { isRecordOnlyFlavor, MLFLOW_FLAVOR } from '../../../runtime/model-inspector.js';
import type { ArtifactStore } from '../../../storage/artifact-store.js';
import type { AccessService } from '../../access/access.service.js';
import { STAGES, type Stage } from '../../models/model-views.js';
import { parseStage, type ModelRef, type ModelsService } from '../../models/models.service.js';
import type { HeldArtifact, RegistrationService } from '../../models/registration.service.js';
import type { VersionMetadata } from '../../models/version-metadata.js';
import { matchesModel, matchesModelVersion, paginate, parseModelFilter, parseModelVersionFilter, SearchFilterError } from '../search-filter.js';
import { RUN_ID_PATTERN } from '../tracking-validation.js';
import type { TrackingService } from '../tracking.service.js';
import { epochMs, modelVersionJson, registeredModelJson, type MlflowModelVersion, type MlflowRegisteredModel } from './mlflow-registry-views.js';
import { externalDataCandidates, MAX_MLMODEL_BYTES, mayHaveExternalData, MLMODEL_FILE, parseMlmodel, parseSource, planModel, planSingleFile, type MlmodelInfo, type ModelPlan, type SourceFile } from './mlmodel.js';
import { inlineExternalData, OnnxFormatError } from './onnx-external-data.js';

export interface MlflowRegistryDeps {
  store: MetadataStore;
  artifacts: ArtifactStore;
  access: AccessService;
  models: ModelsService;
  registration: RegistrationService;
  tracking: TrackingService;
  clock: Clock;
  logger: Logger;
}

/** A request's fields: the JSON body, or the query parameters of a GET. */
export type Fields = Record<string, unknown>;

export const MAX_REGISTERED_MODELS_RESULTS = 1000;
export const DEFAULT_REGISTERED_MODELS_RESULTS = 100;
export const MAX_MODEL_VERSIONS_RESULTS = 200_000;
const MAX_SOURCE_LENGTH = 4000;
const MAX_RUN_LINK_LENGTH = 4000;
/** Files read into memory to fold external ONNX data back into the model. */
const MAX_EXTERNAL_DATA_BYTES = 2 ** 31 - 1;
const IN_CHUNK = 500;

const SERVES_NOTE = "Steward serves ONNX and xgboost-json models: log the model with mlflow.onnx (or mlflow.xgboost with model_format='json') to this server to deploy it";

function mlflowInvalid(message: string, field?: string): DomainError {
  return invalid('INVALID_PARAMETER_VALUE', message, field === undefined ? undefined : { field });
}

function missing(field: string): DomainError {
  return mlflowInvalid(`Missing value for required parameter '${field}'. See the API docs for more information about request parameters.`, field);
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

function requiredString(fields: Fields, field: string, max = 10_000): string {
  const v = fields[field];
  if (!present(v)) throw missing(field);
  if (typeof v !== 'string') throw mlflowInvalid(`Invalid value ${JSON.stringify(v)} for parameter '${field}' supplied: it must be a string.`, field);
  if (v.length > max) throw mlflowInvalid(`Parameter '${field}' must be at most ${max} characters, got ${v.length}.`, field);
  return v;
}

function optionalString(fields: Fields, field: string, max: number): string | undefined {
  const v = fields[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw mlflowInvalid(`Invalid value ${JSON.stringify(v)} for parameter '${field}' supplied: it must be a string.`, field);
  if (v.length > max) throw mlflowInvalid(`Parameter '${field}' must be at most ${max} characters, got ${v.length}.`, field);
  return v;
}

/** A registered model name: required, and one Steward can hold (its NAME_PATTERN). */
function modelName(fields: Fields, field = 'name'): string {
  const v = requiredString(fields, field, 1000);
  try {
    return checkName(field, v);
  } catch (err) {
    if (err instanceof DomainError) throw mlflowInvalid(`${err.message} (Steward model names match ${NAME_PATTERN.source})`, field);
    throw err;
  }
}

/** A version number as MLflow sends it: a string (or number) holding a positive integer. */
function versionNumber(fields: Fields, field = 'version'): number {
  const v = fields[field];
  if (!present(v)) throw missing(field);
  const text = typeof v === 'number' ? String(v) : v;
  if (typeof text !== 'string' || !/^\d{1,10}$/.test(text) || Number(text) < 1 || Number(text) > MAX_INT32) {
    throw mlflowInvalid(`Model version must be an integer, got '${printable(String(v))}'`, field);
  }
  return Number(text);
}

function booleanField(fields: Fields, field: string): boolean {
  const v = fields[field];
  if (v === undefined || v === null || v === '') return false;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'True') return true;
  if (v === 'false' || v === 'False') return false;
  throw mlflowInvalid(`Invalid value ${JSON.stringify(v)} for parameter '${field}' supplied: it must be true or false.`, field);
}

function maxResults(fields: Fields, fallback: number, max: number): number {
  const v = fields.max_results;
  if (v === undefined || v === null || v === '') return fallback;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw mlflowInvalid(`Invalid value for request parameter max_results. It must be a positive integer, but got value ${printable(String(v))}`, 'max_results');
  if (n > max) throw mlflowInvalid(`Invalid value for request parameter max_results. It must be at most ${max}, but got value ${n}`, 'max_results');
  return n;
}

/** A list field: a JSON array, or a query parameter given once or repeated. */
function stringList(fields: Fields, field: string): string[] {
  const v = fields[field];
  if (v === undefined || v === null || v === '') return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((item, i) => {
    if (typeof item !== 'string') throw mlflowInvalid(`Invalid value ${JSON.stringify(item)} for parameter '${field}[${i}]' supplied: it must be a string.`, field);
    return item;
  });
}

/** MLflow's tag list [{key, value}] as Steward's tag map (same limits: keys 1..250, values ≤ 5000). */
function tagList(fields: Fields, field: string): Record<string, string> {
  const v = fields[field];
  if (v === undefined || v === null) return {};
  if (!Array.isArray(v)) throw mlflowInvalid(`Invalid value for parameter '${field}': it must be a list of {key, value}.`, field);
  const map: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [i, t] of v.entries()) {
    if (t === null || typeof t !== 'object' || typeof (t as Fields).key !== 'string') throw mlflowInvalid(`Invalid value for parameter '${field}[${i}]': it must be {key, value}.`, field);
    map[(t as Fields).key as string] = (t as Fields).value ?? '';
  }
  return checkTags(field, map) as Record<string, string>;
}

function searchInvalid(field: string, err: unknown): never {
  if (err instanceof SearchFilterError) throw mlflowInvalid(err.message, field);
  throw err;
}

function compare(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface OrderKey<K extends string> {
  key: K;
  ascending: boolean;
}

/** `order_by` items: `<key> [ASC|DESC]`, keys from `allowed` (aliases map to a key). */
function parseOrder<K extends string>(items: string[], allowed: Record<string, K>): OrderKey<K>[] {
  return items.map((item) => {
    const m = /^\s*(?:attribute\.)?`?([A-Za-z_]+)`?\s*(ASC|DESC)?\s*$/i.exec(item);
    const key = m ? allowed[m[1]!] : undefined;
    if (!m || key === undefined) {
      throw mlflowInvalid(`Invalid order_by clause '${printable(item)}': order by ${Object.keys(allowed).join(', ')}, then ASC or DESC.`, 'order_by');
    }
    return { key, ascending: (m[2] ?? 'ASC').toUpperCase() === 'ASC' };
  });
}

const MODEL_ORDER = { name: 'name', timestamp: 'last_updated_timestamp', last_updated_timestamp: 'last_updated_timestamp', creation_timestamp: 'creation_timestamp' } as const;
const VERSION_ORDER = {
  name: 'name',
  version_number: 'version_number',
  timestamp: 'last_updated_timestamp',
  last_updated_timestamp: 'last_updated_timestamp',
  creation_timestamp: 'creation_timestamp',
} as const;

/** Where a version's files are: a folder (or file) of Steward's run-artifact index, or nowhere Steward can read. */
type ResolvedSource =
  | { kind: 'steward'; path: string; run: RunRow | null }
  | { kind: 'copy'; ref: ModelRef; row: ModelVersionRow; origin: ModelVersionMlflowRow | undefined }
  | { kind: 'outside' };

/** What will be registered: the flavor, the bytes, and the MLflow record kept with the version. */
interface Prepared {
  flavor: string;
  artifact: HeldArtifact;
  flavors: string[];
  mlmodel: string | null;
  reason: string | null;
}

export class MlflowRegistryService {
  /**
   * How long model-versions/create waits for Steward to load a new version before it answers
   * PENDING_REGISTRATION (the client then polls model-versions/get); 0 answers PENDING_REGISTRATION at once.
   */
  registrationWaitMs = 5_000;
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(readonly deps: MlflowRegistryDeps) {}

  /** Waits for registrations still loading their models (called when the server closes). */
  async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  // ----------------------------------------------------------------------------------------------
  // Lookups and views
  // ----------------------------------------------------------------------------------------------

  private async model(scope: ProjectRow, name: string): Promise<ModelRef> {
    const model = await this.deps.store.models.get(scope.id, name);
    if (!model) throw notFound('MODEL_NOT_FOUND', `Registered Model with name=${name} not found`, { field: 'name' });
    return { project: scope, model };
  }

  private async version(ref: ModelRef, version: number): Promise<ModelVersionRow> {
    const row = await this.deps.store.versions.get(ref.model.id, version);
    if (!row) throw notFound('MODEL_VERSION_NOT_FOUND', `Model Version (name=${ref.model.name}, version=${version}) not found`, { field: 'version' });
    return row;
  }

  /** Versions (of models of one project) in MLflow's JSON, with their tags, aliases and MLflow origin. */
  private async versionJsons(project: ProjectRow, items: { model: ModelRow; row: ModelVersionRow }[]): Promise<MlflowModelVersion[]> {
    if (items.length === 0) return [];
    const { store } = this.deps;
    const ids = items.map((i) => i.row.id);
    const tags = new Map<string, Record<string, string>>();
    for (let i = 0; i < ids.length; i += IN_CHUNK) for (const [k, v] of await store.versions.tags(ids.slice(i, i + IN_CHUNK))) tags.set(k, v);
    const modelIds = [...new Set(items.map((i) => i.model.id))];
    const aliases: { model_id: string; alias: string; version: number }[] = [];
    for (let i = 0; i < modelIds.length; i += IN_CHUNK) aliases.push(...(await store.aliases.list(modelIds.slice(i, i + IN_CHUNK))));
    const origins = new Map((await store.tracking.versionOrigins(ids)).map((o) => [o.version_id, o]));
    return items.map(({ model, row }) =>
      modelVersionJson(
        project.name,
        model.name,
        row,
        {
          tags: tags.get(row.id) ?? {},
          aliases: aliases.filter((a) => a.model_id === model.id && Number(a.version) === Number(row.version)).map((a) => a.alias),
        },
        origins.get(row.id),
      ),
    );
  }

  private async versionJson(ref: ModelRef, row: ModelVersionRow): Promise<MlflowModelVersion> {
    return (await this.versionJsons(ref.project, [{ model: ref.model, row }]))[0]!;
  }

  private async registeredModelJsons(project: ProjectRow, models: ModelRow[]): Promise<MlflowRegisteredModel[]> {
    if (models.length === 0) return [];
    const { store } = this.deps;
    const ids = models.map((m) => m.id);
    const [tags, aliases, latest] = await Promise.all([store.models.tags(ids), store.aliases.list(ids), store.versions.latestPerStage(ids)]);
    const byId = new Map(models.map((m) => [m.id, m]));
    const order = (s: string) => STAGES.indexOf(s as Stage);
    latest.sort((a, b) => order(a.stage) - order(b.stage));
    const latestJson = await this.versionJsons(project, latest.map((row) => ({ model: byId.get(row.model_id)!, row })));
    return models.map((m) =>
      registeredModelJson(
        m,
        tags.get(m.id) ?? {},
        aliases.filter((a) => a.model_id === m.id).map((a) => ({ alias: a.alias, version: Number(a.version) })),
        latestJson.filter((_, i) => latest[i]!.model_id === m.id),
      ),
    );
  }

  private async registeredModelJson(scope: ProjectRow, name: string): Promise<MlflowRegisteredModel> {
    const { model } = await this.model(scope, name);
    return (await this.registeredModelJsons(scope, [model]))[0]!;
  }

  // ----------------------------------------------------------------------------------------------
  // Registered models
  // ----------------------------------------------------------------------------------------------

  async createRegisteredModel(actor: Principal, scope: ProjectRow, fields: Fields): Promise<{ registered_model: MlflowRegisteredModel }> {
    await this.deps.access.require(actor, scope.id, 'contributor');
    const name = modelName(fields);
    const tags = tagList(fields, 'tags');
    const description = optionalString(fields, 'description', 10_000);
    try {
      await this.deps.models.createModel(actor, { name, tags, project: scope.name, ...(description !== undefined ? { description } : {}) });
    } catch (err) {
      if (err instanceof DomainError && err.code === 'MODEL_EXISTS') throw conflict('MODEL_EXISTS', `Registered Model (name=${name}) already exists.`, { field: 'name' });
      throw err;
    }
    return { registered_model: await this.registeredModelJson(scope, name) };
  }

  async getRegisteredModel(actor: Principal, scope: ProjectRow, fields: Fields): Promise<{ registered_model: MlflowRegisteredModel }> {
    await this.deps.access.require(actor, scope.id, 'viewer');
    return { registered_model: await this.registeredModelJson(scope, modelName(fields)) };
  }

  async renameRegisteredModel(actor: Principal, scope: ProjectRow, fields: Fields): Promise<{ registered_model: MlflowRegisteredModel }> {
    await this.deps.access.require(actor, scope.id, 'contributor');
    const name = modelName(fields);
    const newName = modelName(fields, 'new_name');
    await this.model(scope, name);
    try {
      await this.deps.models.renameModel(actor, scope.name, name, newName);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'MODEL_EXISTS') throw conflict('MODEL_EXISTS', `Registered Model (name=${newName}) already exists.`, { field: 'new_name' });
      throw err;
    }
    return { registered_model: await this.registeredModelJson(scope, newName) };
  }

  async updateRegisteredModel(actor: Principal, scope: ProjectRow, fields: Fields): Promise<{ registered_model: MlflowRegisteredModel }> {
    await this.deps.access.require(actor, scope.id, 'contributor');
    const name = modelName(fields);
    const description = optionalString(fields, 'description', 10_000);
    await this.model(scope, name);
    if (description !== undefined) await this.deps.models.updateModel(actor, scope.name, name, { description });
    return { registered_model: await this.registeredModelJson(scope, name) };
  }

  /** Refused: Steward keeps every model for the audit trail (archive its versions instead). */
  async deleteRegisteredModel(actor: Principal, scope: ProjectRow, fields: Fields): Promise<never> {
    await this.deps.access.require(actor, scope.id, 'contributor');
    const name = modelName(fields);
    await this.model(scope, name);
    throw conflict(
      'MODEL_KEPT',
      `Registered model '${name}' cannot be deleted: Steward keeps registered models and their versions for the audit trail. ` +
        `Archive its versions instead (model-versions/transition-stage with stage 'Archived'; MlflowClient.transition_model_version_stage(name, version, 'Archived')).`,
      { model: name },
    );
  }

  async searchRegisteredModels(actor: Principal, scope: ProjectRow, fields: Fields): Promise<{ registered_models?: MlflowRegisteredModel[]; next_page_token?: string }> {
    await this.deps.access.require(actor, scope.id, 'viewer');
    const limit = maxResults(fields, DEFAULT_REGISTERED_MODELS_RESULTS, MAX_REGISTERED_MODELS_RESULTS);
    const filter = optionalString(fields, 'filter', 10_000);
    let clauses;
    try {
      clauses = parseModelFilter(filter);
    } catch (err) {
      searchInvalid('filter', err);
    }
    const order = parseOrder(stringList(fields, 'order_by'), MODEL_ORDER);
    const { store } = this.deps;
    const models = await store.models.list({ projectId: scope.id, orderBy: 'name', direction: 'asc', limit: Number.MAX_SAFE_INTEGER });
    const needsTags = clauses.some((c) => c.type === 'tag');
    const tags = needsTags ? await this.modelTags(models.map((m) => m.id)) : new Map<string, Record<string, string>>();
    const matched = models.filter((m) => matchesModel({ name: m.name, tags: tags.get(m.id) ?? {} }, clauses));
    const value = (m: ModelRow, key: (typeof MODEL_ORDER)[keyof typeof MODEL_ORDER]) =>
      key === 'name' ? m.name : key === 'creation_timestamp' ? epochMs(m.created_at) : epochMs(m.updated_at);
    matched.sort((a, b) => {
      for (const o of order) {
        const c = compare(value(a, o.key), value(b, o.key));
        if (c !== 0) return o.ascending ? c : -c;
      }
      return compare(a.name, b.name);
    });
    let page;
    try {
      page = paginate(matched, optionalString(fields, 'page_token', 1000), limit);
    } catch (err) {
      searchInvalid('page_token', err);
    }
    const items = await this.registeredModelJsons(scope, page.items);
    return { ...(items.length > 0 ? { registered_models: items } : {}), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
  }

  private async modelTags(ids: string[]): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>();
    for (let i = 0; i < ids.length; i += IN_CHUNK) for (const [k, v] of await this.deps.store.models.tags(ids.slice(i, i + IN_CHUNK))) out.set(k, v);
    return out;
  }

  async getLatestVersions(actor: Principal, scope: ProjectRow, fields: Fields): Promise<{ model_versions?: MlflowModelVersion[] }> {
    await this.deps.access.require(actor, scope.id, 'viewer');
    const ref = await this.model(scope, modelName(fields));
    const stages = stringList(fields, 'stages').map((s) => {
      const match = STAGES.find((x) => x.toLowerCase() === s.toLowerCase());
      if (!match) throw mlflowInvalid(`Invalid Model Version stage: ${printable(s)}. Value must be one of ${STAGES.join(', ')}.`, 'stages');
      return match;
    });
    const order = (s: string) => STAGES.indexOf(s as Stage);
    const latest = (await this.deps.store.versions.latestPerStage([ref.model.id]))
      .filter((v) => stages.length === 0 || stages.includes(v.stage as Stage))
      .sort((a, b) => order(a.stage) - order(b.stage));
    const versions = await this.versionJsons(scope, latest.map((row) => ({ model: ref.model, row })));
    return versions.length > 0 ? { model_versions: versions } : {};
  }

  async setRegisteredModelTag(actor: Principal, scope: ProjectRow, fields: Fields): Promise<Record<string, never>> {
    await this.deps.access.require(actor, scope.id, 'contributor');
    const name = modelName(fields);
    const key = requiredString(fields, 'key', 250);
    const value = optionalString(fields, 'value', 5000) ?? '';
    await this.model(scope, name);
    await this.deps.models.updateModel(actor, scope.name, name, { tags: { [key]: value } });
    return {};
  }

  /** Removes a tag; removing one that is not there does nothing (as in MLflow). */
  async deleteRegisteredModelTag(actor: Principal, scope: ProjectRow, fields: Fields): Promise<Record<string, never>> {
    await this.deps.access.require(actor, scope.id, 'contributor');
    const name = modelName(fields);
    const key = requiredString(fields, 'key', 250);
    const ref = await this.model(scope, name);
    const tags = (await this.deps.store.models.tags([ref.model.id])).get(ref.model.id) ?? {};
    if (Object.hasOwn(tags, key)) await this.deps.models.updateModel(actor, scope.name, name, { tags: { [key]: null } });
    return {};
  }

  // ----------------------------------------------------------------------------------------------
  // Aliases
  // ----------------------------------------------------------------------------------------------

  async setAlias(actor: Principal, scope: ProjectRow, fields: Fields): Promise<Record<string, never>> {
    await this.deps.access.require(actor, scope.id, 'contributor');
    const name = modelName(fields);
    const alias = requiredString(fields, 'alias', 255);
    const version = versionNumber(fields);
    const ref = await this.model(scope, name);
    await this.version(ref, version);
    await this.deps.models.setAlias(actor, scope.name, name, alias, { version });
    return {};
  }

  /** Removes an alias; one that is not there is no error (as in MLflow). */
  async deleteAlias(actor: Principal, scope: ProjectRow, fields: Fields): Promise<Record<string, never>> {
    await this.deps.access.require(actor, scope.id, 'contributor');
    const name = modelName(fields);
    const alias = requiredString(fields, 'alias', 255);
    const ref = await this.model(scope, name);
    if (!(await this.deps.store.aliases.get(ref.model.id, alias))) return {};
    await this.deps.models.deleteAlias(actor, scope.name, name, alias);
    return {};
  }

  async getVersionByAlias(actor: Principal, scope: ProjectRow, fields: Fields): Promise<{ model_version: MlflowModelVersion }> {
    await this.deps.access.require(actor, scope.id, 'viewer');
    const ref = await this.model(scope, modelName(fields));
    const alias = requiredString(fields, 'alias', 255);
    const a = await this.deps.store.aliases.get(ref.model.id, alias);
    // MLflow answers an unknown alias with INVALID_PARAMETER_VALUE (400) and this exact message.
    if (!a) throw mlflowInvalid(`Registered model alias ${alias} not found.`, 'alias');
    return { model_version: await this.versionJson(ref, await this.version(ref, Number(a.version))) };
  }

  // ----------------------------------------------------------------------------------------------
  // Model versions
  // ----------------------------------------------------------------------------------------------

  async getModelVersion(actor: Principal, scope: ProjectRow, fields: Fields): Promise<{ model_version: MlflowModelVersion }> {
    await this.deps.access.require(actor, scope.id, 'viewer');
    const ref = await this.model(scope, modelName(fields));
    return { model_version: await this.versionJson(ref, await this.version(ref, versionNumber(fields))) };
  }

  async updateModelVersion(actor: Principal, scope: ProjectRow, fields: Fields): Promise<{ model_version: MlflowModelVersion }> {
    await this.deps.access.require(actor, scope.id, 'contributor');
    const ref = await this.model(scope, modelName(fields));
    const version = versionNumber(fields);
    await this.version(ref, version);
    const description = optionalString(fields, 'description', 10_000);
    if (description !== undefined) await this.deps.models.updateVersion(actor, scope.name, ref.model.name, String(version), { description });
    return { model_version: await this.versionJson(ref, await this.version(ref, version)) };
  }

  /** Refused: Steward keeps every version for the audit trail (archive it instead). */
  async deleteModelVersion(actor: Principal, scope: ProjectRow, fields: Fields): Promise<never> {
    await this.deps.access.require(actor, scope.id, 'contributor');
    const ref = await this.model(scope, modelName(fields));
    const version = versionNumber(fields);
    await this.version(ref, version);
    throw conflict(
      'MODEL_VERSION_KEPT',
      `Version ${version} of registered model '${ref.model.name}' cannot be deleted: Steward keeps model versions for the audit trail. ` +
        `Archive it instead (model-versions/transition-stage with stage 'Archived'; MlflowClient.transition_model_version_stage('${ref.model.name}', ${version}, 'Archived')).`,
      { model: ref.model.name, version },
    );
  }

  async setModelVersionTag(actor: Principal, scope: ProjectRow, fields: Fields): Promise<Record<string, never>> {
    await this.deps.access.require(actor, scope.id, 'contributor');
    const ref = await this.model(scope, modelName(fields));
    const version = versionNumber(fields);
    const key = requiredString(fields, 'key', 250);
    const value = optionalString(fields, 'value', 5000) ?? '';
    await this.version(ref, version);
    await this.deps.models.updateVersion(actor, scope.name, ref.model.name, String(version), { tags: { [key]: value } });
    return {};
  }

  async deleteModelVersionTag(actor: Principal, scope: ProjectRow, fields: Fields): Promise<Record<string, never>> {
    await this.deps.access.require(actor, scope.id, 'contributor');
    const ref = await this.model(scope, modelName(fields));
    const version = versionNumber(fields);
    const key = requiredString(fields, 'key', 250);
    const row = await this.version(ref, version);
    const tags = (await this.deps.store.versions.tags([row.id])).get(row.id) ?? {};
    if (Object.hasOwn(tags, key)) await this.deps.models.updateVersion(actor, scope.name, ref.model.name, String(version), { tags: { [key]: null } });
    return {};
  }

  /**
   * Moves a version to a stage through ModelsService.transitionStage, so the project's policy decides (a
   * refusal is INVALID_STATE naming the unmet rules). Moving a version to the stage it is in changes nothing.
   */
  async transitionStage(actor: Principal, scope: ProjectRow, fields: Fields): Promise<{ model_version: MlflowModelVersion }> {
    await this.deps.access.require(actor, scope.id, 'contributor');
    const ref = await this.model(scope, modelName(fields));
    const version = versionNumber(fields);
    const stageText = requiredString(fields, 'stage', 100);
    const stage = parseStage('stage', stageText);
    const archive = booleanField(fields, 'archive_existing_versions');
    if (archive && stage !== 'Staging' && stage !== 'Production') {
      throw mlflowInvalid(
        `Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. Valid stages are ['Staging', 'Production']`,
        'archive_existing_versions',
      );
    }
    const row = await this.version(ref, version);
    if (row.stage !== stage) {
      await this.deps.models.transitionStage(actor, scope.name, ref.model.name, String(version), { stage, archiveExisting: archive });
    }
    return { model_version: await this.versionJson(ref, await this.version(ref, version)) };
  }

  async searchModelVersions(actor: Principal, scope: ProjectRow, fields: Fields): Promise<{ model_versions?: MlflowModelVersion[]; next_page_token?: string }> {
    await this.deps.access.require(actor, scope.id, 'viewer');
    const limit = maxResults(fields, MAX_MODEL_VERSIONS_RESULTS, MAX_MODEL_VERSIONS_RESULTS);
    let clauses;
    try {
      clauses = parseModelVersionFilter(optionalString(fields, 'filter', 10_000));
    } catch (err) {
      searchInvalid('filter', err);
    }
    const order = parseOrder(stringList(fields, 'order_by'), VERSION_ORDER);
    const { store } = this.deps;
    // One model named exactly: read only its versions.
    const exact = clauses.find((c) => c.type === 'attribute' && c.key === 'name' && c.comparator === '=');
    let models: ModelRow[];
    let rows: ModelVersionRow[];
    if (exact && typeof exact.value === 'string') {
      const m = await store.models.get(scope.id, exact.value);
      models = m ? [m] : [];
      rows = m ? await store.versions.list({ modelId: m.id, direction: 'asc', limit: Number.MAX_SAFE_INTEGER }) : [];
    } else {
      models = await store.models.list({ projectId: scope.id, orderBy: 'name', direction: 'asc', limit: Number.MAX_SAFE_INTEGER });
      rows = await store.versions.inProject(scope.id);
    }
    const byId = new Map(models.map((m) => [m.id, m]));
    const ids = rows.map((r) => r.id);
    const tags = new Map<string, Record<string, string>>();
    if (clauses.some((c) => c.type === 'tag')) {
      for (let i = 0; i < ids.length; i += IN_CHUNK) for (const [k, v] of await store.versions.tags(ids.slice(i, i + IN_CHUNK))) tags.set(k, v);
    }
    const origins = clauses.some((c) => c.type === 'attribute' && (c.key === 'run_id' || c.key === 'source_path'))
      ? new Map((await store.tracking.versionOrigins(ids)).map((o) => [o.version_id, o]))
      : new Map<string, ModelVersionMlflowRow>();
    const matched = rows
      .filter((r) => byId.has(r.model_id))
      .map((row) => ({ model: byId.get(row.model_id)!, row }))
      .filter(({ model, row }) => {
        const origin = origins.get(row.id);
        return matchesModelVersion(
          {
            name: model.name,
            version: Number(row.version),
            runId: origin ? origin.run_id : row.source_run,
            source: origin ? origin.source : `steward:/${scope.name}/${model.name}/${row.version}`,
            tags: tags.get(row.id) ?? {},
          },
          clauses,
        );
      });
    type Item = (typeof matched)[number];
    const value = (i: Item, key: (typeof VERSION_ORDER)[keyof typeof VERSION_ORDER]) =>
      key === 'name' ? i.model.name : key === 'version_number' ? Number(i.row.version) : key === 'creation_timestamp' ? epochMs(i.row.created_at) : epochMs(i.row.updated_at);
    // MLflow's default order: last_updated_timestamp DESC, name ASC, version_number DESC.
    const keys = [...order, { key: 'last_updated_timestamp' as const, ascending: false }, { key: 'name' as const, ascending: true }, { key: 'version_number' as const, ascending: false }];
    matched.sort((a, b) => {
      for (const o of keys) {
        const c = compare(value(a, o.key), value(b, o.key));
        if (c !== 0) return o.ascending ? c : -c;
      }
      return 0;
    });
    let page;
    try {
      page = paginate(matched, optionalString(fields, 'page_token', 1000), limit);
    } catch (err) {
      searchInvalid('page_token', err);
    }
    const items = await this.versionJsons(scope, page.items);
    return { ...(items.length > 0 ? { model_versions: items } : {}), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
  }

  /** Where the MLflow client downloads the version's files from: the source's artifact URI. */
  async getDownloadUri(actor: Principal, scope: ProjectRow, fields: Fields): Promise<{ artifact_uri: string }> {
    await this.deps.access.require(actor, scope.id, 'viewer');
    const ref = await this.model(scope, modelName(fields));
    const row = await this.version(ref, versionNumber(fields));
    return { artifact_uri: await this.downloadUri(scope, ref, row, 0) };
  }

  /** A version's files as an artifact URI the MLflow client can read (`runs:/` and `models:/` sources resolved). */
  private async downloadUri(scope: ProjectRow, ref: ModelRef, row: ModelVersionRow, depth: number): Promise<string> {
    const origin = (await this.deps.store.tracking.versionOrigins([row.id]))[0];
    if (!origin) return `steward:/${scope.name}/${ref.model.name}/${row.version}`;
    const source = parseSource(origin.source);
    if (source.kind === 'runs') {
      const run = RUN_ID_PATTERN.test(source.runId) ? await this.deps.store.tracking.getRun(source.runId) : undefined;
      return run?.artifact_uri ? joinUri(run.artifact_uri, source.path) : origin.source;
    }
    if (source.kind === 'models' && depth < 3 && /^\d{1,10}$/.test(source.version)) {
      const model = await this.deps.store.models.get(scope.id, source.name);
      const copied = model ? await this.deps.store.versions.get(model.id, Number(source.version)) : undefined;
      if (model && copied) return this.downloadUri(scope, { project: scope, model }, copied, depth + 1);
    }
    return origin.source;
  }

  // ----------------------------------------------------------------------------------------------
  // model-versions/create
  // ----------------------------------------------------------------------------------------------

  /**
   * Registers a version from the files at `source` (see mlmodel.ts for what becomes what). Answers with the
   * version READY or FAILED_REGISTRATION when loading it takes less than `registrationWaitMs`, else
   * PENDING_REGISTRATION (it goes on in the background; model-versions/get shows the outcome).
   */
  async createModelVersion(actor: Principal, scope: ProjectRow, fields: Fields): Promise<{ model_version: MlflowModelVersion }> {
    await this.deps.access.require(actor, scope.id, 'contributor');
    const name = modelName(fields);
    const source = requiredString(fields, 'source', MAX_SOURCE_LENGTH);
    const tags = tagList(fields, 'tags');
    const description = optionalString(fields, 'description', 10_000) ?? '';
    const runLink = optionalString(fields, 'run_link', MAX_RUN_LINK_LENGTH) || null;
    const givenRunId = optionalString(fields, 'run_id', 500) || null;
    const ref = await this.model(scope, name);

    const resolved = await this.resolveSource(actor, scope, source);
    const run = resolved.kind === 'steward' ? resolved.run : null;
    const runId = givenRunId ?? run?.id ?? (resolved.kind === 'copy' ? (resolved.origin?.run_id ?? resolved.row.source_run) : null);
    const lineageRun = run ?? (givenRunId && RUN_ID_PATTERN.test(givenRunId) ? await this.readableRun(actor, givenRunId) : null);
    const { metrics, params } = lineageRun ? await this.runValues(lineageRun) : { metrics: {}, params: {} };
    // Last before registering: this may stage new bytes, which registerArtifact then commits or drops.
    const prepared = await this.prepare(actor, source, resolved);
    const metadata: VersionMetadata = {
      flavor: prepared.flavor,
      metrics,
      params,
      tags,
      description,
      ...(runId ? { sourceRun: runId.slice(0, 500) } : {}),
      datasets: [],
    };
    const servable = !isRecordOnlyFlavor(prepared.flavor);
    const started = await this.deps.registration.registerArtifact(actor, scope.name, ref.model.name, {
      metadata,
      artifact: prepared.artifact,
      onInsert: (tx, row) =>
        tx.tracking.setVersionOrigin({
          version_id: row.id,
          source,
          run_id: runId,
          run_link: runLink,
          mlmodel: prepared.mlmodel,
          flavors: JSON.stringify(prepared.flavors),
          servable: servable ? 1 : 0,
          reason: prepared.reason,
        }),
    });
    if (started.row.status !== 'PENDING') return { model_version: await this.versionJson(ref, started.row) };
    const settled = started.settled.finally(() => this.inflight.delete(settled));
    this.inflight.add(settled);
    // 0: answer PENDING_REGISTRATION at once.
    if (this.registrationWaitMs <= 0) return { model_version: await this.versionJson(ref, started.row) };
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([settled, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.registrationWaitMs)))]);
    clearTimeout(timer);
    return { model_version: await this.versionJson(ref, await this.version(ref, Number(started.row.version))) };
  }

  /** A run the caller can read, or null when it is not one of Steward's (a run of another tracking server). */
  private async readableRun(actor: Principal, runId: string): Promise<RunRow | null> {
    const row = await this.deps.store.tracking.getRun(runId);
    if (!row) return null;
    await this.deps.access.require(actor, row.project_id, 'viewer');
    return row;
  }

  /** A run's latest metrics and its params, copied to the version (what Steward shows and policies read). */
  private async runValues(run: RunRow): Promise<{ metrics: Record<string, number>; params: Record<string, string> }> {
    const data = (await this.deps.store.tracking.runData([run.id])).get(run.id);
    const metrics: Record<string, number> = Object.create(null) as Record<string, number>;
    const params: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const m of (data?.metrics ?? []).slice(0, 1000)) if (!m.is_nan && Number.isFinite(m.value)) metrics[m.key] = m.value;
    for (const p of (data?.params ?? []).slice(0, 1000)) params[p.key] = p.value.slice(0, 6000);
    return { metrics, params };
  }

  private async resolveSource(actor: Principal, scope: ProjectRow, source: string, depth = 0): Promise<ResolvedSource> {
    const ref = parseSource(source);
    if (ref.kind === 'runs') {
      const run = await this.deps.tracking.run(actor, ref.runId);
      const base = run.artifact_uri ? parseSource(run.artifact_uri) : ({ kind: 'outside' } as const);
      if (base.kind !== 'artifacts') return { kind: 'outside' };
      return { kind: 'steward', path: [base.path, ref.path].filter((p) => p !== '').join('/'), run };
    }
    if (ref.kind === 'artifacts') {
      const parts = ref.path.split('/');
      let run: RunRow | null = null;
      if (parts.length >= 3 && RUN_ID_PATTERN.test(parts[1]!) && parts[2] === 'artifacts') {
        const found = await this.deps.store.tracking.getRun(parts[1]!);
        if (found && String(found.experiment_id) === parts[0]) run = found;
      }
      return { kind: 'steward', path: ref.path, run };
    }
    if (ref.kind === 'models' && depth === 0) {
      const target = await this.model(scope, checkName('source', ref.name));
      const version = versionNumber({ source: ref.version }, 'source');
      const row = await this.version(target, version);
      const origin = (await this.deps.store.tracking.versionOrigins([row.id]))[0];
      return { kind: 'copy', ref: target, row, origin };
    }
    return { kind: 'outside' };
  }

  /** Finds the model in the files of a source and decides what to register. */
  private async prepare(actor: Principal, source: string, resolved: ResolvedSource): Promise<Prepared> {
    if (resolved.kind === 'outside') {
      const reason = `the source '${source}' is outside Steward's artifact store, so Steward cannot load it; ${SERVES_NOTE}`;
      return { flavor: MLFLOW_FLAVOR, artifact: await this.descriptor(source, []), flavors: [], mlmodel: null, reason };
    }
    if (resolved.kind === 'copy') {
      const { row, origin } = resolved;
      if (row.status !== 'READY') throw conflict('VERSION_NOT_READY', `source '${source}': version ${row.version} of '${resolved.ref.model.name}' is ${row.status}; only READY versions can be copied`);
      return {
        flavor: row.flavor,
        artifact: { kind: 'blob', sha256: row.artifact_sha256, size: Number(row.artifact_size) },
        flavors: origin ? (JSON.parse(origin.flavors) as string[]) : [row.flavor],
        mlmodel: origin?.mlmodel ?? null,
        reason: origin?.reason ?? null,
      };
    }
    let path = resolved.path;
    if (path === '') throw mlflowInvalid(`Invalid model version source: '${printable(source)}': it names no folder of logged artifacts.`, 'source');
    let rows = await this.deps.tracking.filesUnder(actor, path);
    // The MLmodel file itself names its folder.
    if (rows.length === 1 && rows[0]!.path === path && path.endsWith(`/${MLMODEL_FILE}`)) {
      path = path.slice(0, -MLMODEL_FILE.length - 1);
      rows = await this.deps.tracking.filesUnder(actor, path);
    }
    if (rows.length === 0) throw mlflowInvalid(`Invalid model version source: '${printable(source)}': no artifacts were logged at '${printable(path)}'.`, 'source');
    let plan: ModelPlan;
    let info: MlmodelInfo | null = null;
    let mlmodelText: string | null = null;
    let files: SourceFile[];
    if (rows.length === 1 && rows[0]!.path === path) {
      const only = rows[0]!;
      files = [{ path: path.slice(path.lastIndexOf('/') + 1), sha256: only.sha256, size: Number(only.size) }];
      plan = planSingleFile(files[0]!);
    } else {
      files = rows.map((r) => ({ path: r.path.slice(path.length + 1), sha256: r.sha256, size: Number(r.size) }));
      const mlmodel = files.find((f) => f.path === MLMODEL_FILE);
      if (mlmodel) {
        if (mlmodel.size > MAX_MLMODEL_BYTES) throw mlflowInvalid(`Invalid model version source: '${printable(source)}': its MLmodel file is larger than ${MAX_MLMODEL_BYTES} bytes.`, 'source');
        mlmodelText = (await this.readBlob(mlmodel.sha256)).toString('utf8');
        try {
          info = parseMlmodel(mlmodelText);
        } catch (err) {
          throw mlflowInvalid(`Invalid model version source: '${printable(source)}': its MLmodel file cannot be read: ${(err as Error).message}.`, 'source');
        }
      }
      try {
        plan = planModel(files, info);
      } catch (err) {
        throw mlflowInvalid(`Invalid model version source: '${printable(source)}': ${(err as Error).message}.`, 'source');
      }
    }
    const flavors = info ? info.names : plan.flavor === MLFLOW_FLAVOR ? [] : [plan.flavor === 'onnx' ? 'onnx' : 'xgboost'];
    if (plan.flavor === MLFLOW_FLAVOR) {
      const artifact: HeldArtifact = plan.file ? { kind: 'blob', sha256: plan.file.sha256, size: plan.file.size } : await this.descriptor(source, files);
      return { flavor: MLFLOW_FLAVOR, artifact, flavors, mlmodel: mlmodelText, reason: plan.reason };
    }
    let artifact: HeldArtifact = { kind: 'blob', sha256: plan.file.sha256, size: plan.file.size };
    if (plan.flavor === 'onnx' && mayHaveExternalData(files, plan.file)) artifact = await this.withExternalData(source, files, plan.file);
    return { flavor: plan.flavor, artifact, flavors, mlmodel: mlmodelText, reason: null };
  }

  /** The ONNX file with the tensor data it keeps in files beside it folded in (or as it is, when it keeps none). */
  private async withExternalData(source: string, files: SourceFile[], onnx: SourceFile): Promise<HeldArtifact> {
    const others = externalDataCandidates(files, onnx);
    const total = others.reduce((n, f) => n + f.size, onnx.size);
    if (total > MAX_EXTERNAL_DATA_BYTES) {
      throw mlflowInvalid(`Invalid model version source: '${printable(source)}': the ONNX model and the files beside it are larger than 2 GiB, the most one ONNX file can hold.`, 'source');
    }
    const model = await this.readBlob(onnx.sha256);
    const loaded = new Map<string, Uint8Array>();
    for (const f of others) loaded.set(f.path, await this.readBlob(f.sha256));
    const folder = onnx.path.includes('/') ? onnx.path.slice(0, onnx.path.lastIndexOf('/') + 1) : '';
    let inlined: Uint8Array | null;
    try {
      inlined = inlineExternalData(model, (location) => loaded.get(`${folder}${location}`));
    } catch (err) {
      if (err instanceof OnnxFormatError) throw mlflowInvalid(`Invalid model version source: '${printable(source)}': ${onnx.path}: ${err.message}.`, 'source');
      throw err;
    }
    if (!inlined) return { kind: 'blob', sha256: onnx.sha256, size: onnx.size };
    return { kind: 'staged', staged: await this.deps.artifacts.stage(Readable.from([inlined])) };
  }

  /** A small JSON document standing for files Steward does not hold as one model file. */
  private async descriptor(source: string, files: SourceFile[]): Promise<HeldArtifact> {
    const doc = { source, files: files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })) };
    return { kind: 'staged', staged: await this.deps.artifacts.stage(Readable.from([Buffer.from(JSON.stringify(doc))])) };
  }

  private async readBlob(sha256: string): Promise<Buffer> {
    const opened = await this.deps.artifacts.open(sha256);
    const chunks: Buffer[] = [];
    for await (const c of opened.stream) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }
}

function joinUri(base: string, path: string): string {
  return path === '' ? base : `${base.replace(/\/+$/, '')}/${path}`;
}
