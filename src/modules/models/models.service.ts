import type { Readable } from 'node:stream';
import type { Repositories, MetadataStore } from '../../db/metadata-store.js';
import type { ModelRow, ModelVersionRow, ProjectRow } from '../../db/schema.js';
import { isUniqueViolation } from '../../db/executor.js';
import { isoTime, type Clock } from '../../platform/clock.js';
import { decodeCursor, encodeCursor } from '../../platform/cursor.js';
import { conflict, invalidField, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { checkName, checkTags, printable } from '../../platform/names.js';
import type { Principal } from '../../platform/principal.js';
import { isVersionNumber, MAX_INT32, optionalString } from '../../platform/validate.js';
import { isRecordOnlyFlavor, MLFLOW_FLAVOR } from '../../runtime/model-inspector.js';
import type { ArtifactStore } from '../../storage/artifact-store.js';
import type { PolicyGuard } from '../governance/policy-guard.js';
import { isRiskTier, RISK_TIERS, type RiskTier } from '../governance/policies/policy-document.js';
import { domainEvent } from '../events/domain-event.js';
import { projectNameOrDefault, resolveProject } from '../projects/projects.service.js';
import type { ModelOrderBy, TagChanges } from './models.repository.js';
import {
  aliasHistoryView,
  mlflowOriginView,
  modelView,
  STAGES,
  transitionView,
  versionView,
  type AliasHistoryView,
  type ModelDetailView,
  type ModelView,
  type Stage,
  type VersionDetailView,
  type VersionView,
} from './model-views.js';

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

export interface ModelListInput {
  project?: string;
  name?: string;
  tag?: string | string[];
  stage?: string;
  alias?: string;
  orderBy?: string;
  order?: string;
  limit?: number;
  cursor?: string;
}

export interface VersionListInput {
  status?: string;
  stage?: string;
  tag?: string | string[];
  order?: string;
  limit?: number;
  cursor?: string;
}

export interface ModelsDeps {
  store: MetadataStore;
  artifacts: ArtifactStore;
  clock: Clock;
  /** The policy check every stage and alias move passes, inside the move's transaction. */
  guard: PolicyGuard;
}

/** A resolved model: its row and its project. */
export interface ModelRef {
  project: ProjectRow;
  model: ModelRow;
}

const RESERVED_ALIASES = new Set(['latest']);
const ORDER_BYS: readonly ModelOrderBy[] = ['name', 'createdAt', 'updatedAt'];

function parseTagFilters(field: string, tag: string | string[] | undefined): { key: string; value?: string }[] {
  const list = tag === undefined ? [] : Array.isArray(tag) ? tag : [tag];
  return list.map((t) => {
    const eq = t.indexOf('=');
    const key = eq === -1 ? t : t.slice(0, eq);
    if (key === '') throw invalidField(field, `'${t}' must be "key" or "key=value"`);
    return eq === -1 ? { key } : { key, value: t.slice(eq + 1) };
  });
}

export function parseStage(field: string, value: unknown): Stage {
  if (typeof value === 'string') {
    const match = STAGES.find((s) => s.toLowerCase() === value.toLowerCase());
    if (match) return match;
  }
  throw invalidField(field, `must be one of ${STAGES.join(', ')}`, 'INVALID_STAGE');
}

function parseDirection(field: string, value: string | undefined, fallback: 'asc' | 'desc'): 'asc' | 'desc' {
  if (value === undefined) return fallback;
  if (value === 'asc' || value === 'desc') return value;
  throw invalidField(field, "must be 'asc' or 'desc'");
}

export function checkAlias(field: string, value: unknown): string {
  const alias = checkName(field, value);
  if (RESERVED_ALIASES.has(alias.toLowerCase())) throw invalidField(field, `'${alias}' is reserved`, 'INVALID_ALIAS');
  if (/^v?\d+$/i.test(alias)) throw invalidField(field, `'${alias}' looks like a version number; aliases must not`, 'INVALID_ALIAS');
  return alias;
}

/**
 * Told of alias moves: `onAliasMoved` runs inside the transaction that moves the alias (so that whatever
 * follows the alias changes with it, or the move fails); `afterAliasMoved` runs once it has committed.
 */
export interface AliasFollower {
  onAliasMoved(tx: Repositories, actor: string, modelId: string, alias: string, version: number | null): Promise<void>;
  afterAliasMoved(): void;
}

/** The registry: registered models, their versions, aliases and stages. */
export class ModelsService {
  private aliasFollower: AliasFollower | undefined;

  constructor(private readonly deps: ModelsDeps) {}

  /** Deployments follow aliases; they register here once they exist (they are built after the registry). */
  followAliases(follower: AliasFollower): void {
    this.aliasFollower = follower;
  }

  async resolveModel(projectName: string | undefined, name: string, tx: Repositories = this.deps.store): Promise<ModelRef> {
    const wanted = projectNameOrDefault(projectName);
    checkName('name', name);
    const found = await tx.models.getByNames(wanted, name);
    if (found) return found;
    const project = await resolveProject(tx, wanted); // tells a missing project from a missing model
    throw notFound('MODEL_NOT_FOUND', `there is no model named '${name}' in project '${project.name}'`, { model: name, project: project.name });
  }

  /** A model and one of its versions; a numbered version is found with one query. */
  async resolveModelVersion(projectName: string | undefined, name: string, versionRef: string, tx: Repositories = this.deps.store): Promise<ModelRef & { row: ModelVersionRow }> {
    if (isVersionNumber(versionRef)) {
      const wanted = projectNameOrDefault(projectName);
      checkName('name', name);
      const found = await tx.versions.getByNames(wanted, name, Number(versionRef));
      if (found) return { project: found.project, model: found.model, row: found.version };
    }
    // Not found, or not a number: resolve step by step, which also gives the precise 404.
    const ref = await this.resolveModel(projectName, name, tx);
    return { ...ref, row: await this.resolveVersion(ref, versionRef, tx) };
  }

  /** A version by number, `latest` (the newest READY version) or `@alias`. */
  async resolveVersion(ref: ModelRef, versionRef: string, tx: Repositories = this.deps.store): Promise<ModelVersionRow> {
    const { model, project } = ref;
    let row: ModelVersionRow | undefined;
    if (isVersionNumber(versionRef)) {
      row = await tx.versions.get(model.id, Number(versionRef));
    } else if (versionRef === 'latest') {
      row = (await tx.versions.list({ modelId: model.id, status: 'READY', direction: 'desc', limit: 1 }))[0];
    } else if (versionRef.startsWith('@')) {
      const alias = checkName('version', versionRef.slice(1));
      const a = await tx.aliases.get(model.id, alias);
      if (!a) throw notFound('ALIAS_NOT_FOUND', `model '${model.name}' has no alias '${alias}'`);
      row = await tx.versions.get(model.id, Number(a.version));
    } else {
      throw invalidField('version', `'${printable(versionRef)}' is not a version: use a number from 1 to ${MAX_INT32}, 'latest' or '@alias'`, 'INVALID_VERSION');
    }
    if (!row) throw notFound('MODEL_VERSION_NOT_FOUND', `model '${model.name}' in project '${project.name}' has no version ${versionRef}`);
    return row;
  }

  async createModel(actor: Principal, input: { name: unknown; description?: unknown; tags?: unknown; project?: unknown; owner?: unknown }): Promise<ModelView> {
    const { store, clock } = this.deps;
    const name = checkName('name', input.name);
    const description = optionalString('description', input.description, 10_000) ?? '';
    const tags = checkTags('tags', input.tags) as Record<string, string>;
    if (input.project !== undefined && typeof input.project !== 'string') throw invalidField('project', 'must be a string');
    const project = await resolveProject(this.deps.store, input.project as string | undefined);
    const owner = input.owner === undefined ? actor.name : await this.checkOwner(input.owner);
    const now = isoTime(clock);
    const row: ModelRow = {
      id: newId(clock.now()),
      project_id: project.id,
      name,
      description,
      owner,
      last_version: 0,
      risk_tier: 'low',
      created_at: now,
      created_by: actor.name,
      updated_at: now,
      updated_by: actor.name,
    };
    try {
      await store.transaction(async (tx) => {
        await tx.models.insert(row);
        await tx.models.changeTags(row.id, tags);
        await tx.events.append(domainEvent(clock, actor.name, 'model.created', { type: 'model', id: row.id, projectId: project.id }, { name, project: project.name }));
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('MODEL_EXISTS', `a model named '${name}' already exists in project '${project.name}'`, { field: 'name' });
      throw err;
    }
    return modelView(row, project.name, tags, {});
  }

  private async checkOwner(value: unknown): Promise<string> {
    const owner = checkName('owner', value);
    if (!(await this.deps.store.users.getByName(owner))) throw invalidField('owner', `there is no user named '${owner}'`);
    return owner;
  }

  async listModels(input: ModelListInput): Promise<Page<ModelView>> {
    const { store } = this.deps;
    const project = await resolveProject(this.deps.store, input.project);
    const orderBy = (input.orderBy ?? 'name') as ModelOrderBy;
    if (!ORDER_BYS.includes(orderBy)) throw invalidField('orderBy', `must be one of ${ORDER_BYS.join(', ')}`);
    const direction = parseDirection('order', input.order, orderBy === 'name' ? 'asc' : 'desc');
    const limit = input.limit ?? 100;
    const after =
      input.cursor === undefined
        ? undefined
        : decodeCursor('cursor', input.cursor, (v): v is { value: string; id: string } => typeof (v as { value?: unknown })?.value === 'string' && typeof (v as { id?: unknown })?.id === 'string');
    const rows = await store.models.list({
      projectId: project.id,
      nameContains: input.name,
      tags: parseTagFilters('tag', input.tag),
      stage: input.stage === undefined ? undefined : parseStage('stage', input.stage),
      alias: input.alias,
      orderBy,
      direction,
      after,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const ids = page.map((m) => m.id);
    const [tags, aliases] = await Promise.all([store.models.tags(ids), store.aliases.list(ids)]);
    const items = page.map((m) => modelView(m, project.name, tags.get(m.id) ?? {}, aliasMap(aliases.filter((a) => a.model_id === m.id))));
    const last = page[page.length - 1];
    const column = orderBy === 'name' ? 'name' : orderBy === 'createdAt' ? 'created_at' : 'updated_at';
    return { items, nextCursor: rows.length > limit && last ? encodeCursor({ value: last[column], id: last.id }) : null };
  }

  async getModel(projectName: string | undefined, name: string): Promise<ModelDetailView> {
    const { store } = this.deps;
    const { project, model } = await this.resolveModel(projectName, name);
    const [tags, aliases, latest] = await Promise.all([store.models.tags([model.id]), store.aliases.list([model.id]), store.versions.latestPerStage([model.id])]);
    const order = (s: string) => STAGES.indexOf(s as Stage);
    return {
      ...modelView(model, project.name, tags.get(model.id) ?? {}, aliasMap(aliases)),
      latestVersions: latest.sort((a, b) => order(a.stage) - order(b.stage)).map((v) => ({ stage: v.stage as Stage, version: Number(v.version) })),
    };
  }

  async updateModel(actor: Principal, projectName: string | undefined, name: string, input: { description?: unknown; owner?: unknown; tags?: unknown; riskTier?: unknown }): Promise<ModelDetailView> {
    const { store, clock } = this.deps;
    const description = optionalString('description', input.description, 10_000);
    if (input.riskTier !== undefined && !isRiskTier(input.riskTier)) throw invalidField('riskTier', `must be one of ${RISK_TIERS.join(', ')}`);
    const riskTier = input.riskTier as RiskTier | undefined;
    const tagChanges: TagChanges = checkTags('tags', input.tags, true);
    const owner = input.owner === undefined ? undefined : await this.checkOwner(input.owner);
    await store.transaction(async (tx) => {
      const { project, model } = await this.resolveModel(projectName, name, tx);
      await tx.models.update(model.id, {
        ...(description !== undefined ? { description } : {}),
        ...(owner !== undefined ? { owner } : {}),
        ...(riskTier !== undefined ? { risk_tier: riskTier } : {}),
        updated_at: isoTime(clock),
        updated_by: actor.name,
      });
      await tx.models.changeTags(model.id, tagChanges);
      await tx.events.append(
        domainEvent(clock, actor.name, 'model.updated', { type: 'model', id: model.id, projectId: project.id }, {
          name,
          description,
          owner,
          tags: tagChanges,
          ...(riskTier !== undefined ? { riskTier: { before: model.risk_tier, after: riskTier } } : {}),
        }),
      );
    });
    return this.getModel(projectName, name);
  }

  /**
   * Renames a model (MLflow's registered-models/rename). Versions, aliases, stages and history stay with the
   * model; deployments keep serving it (they refer to it by id) and show the new name from their next revision.
   */
  async renameModel(actor: Principal, projectName: string | undefined, name: string, newNameValue: unknown): Promise<ModelDetailView> {
    const { store, clock } = this.deps;
    const newName = checkName('new_name', newNameValue);
    try {
      await store.transaction(async (tx) => {
        const { project, model } = await this.resolveModel(projectName, name, tx);
        if (newName === model.name) return;
        await tx.models.update(model.id, { name: newName, updated_at: isoTime(clock), updated_by: actor.name });
        await tx.events.append(
          domainEvent(clock, actor.name, 'model.updated', { type: 'model', id: model.id, projectId: project.id }, { name: newName, renamed: { before: model.name, after: newName } }),
        );
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        const project = projectNameOrDefault(projectName);
        throw conflict('MODEL_EXISTS', `a model named '${newName}' already exists in project '${project}'`, { field: 'new_name' });
      }
      throw err;
    }
    return this.getModel(projectName, newName);
  }

  async listVersions(projectName: string | undefined, name: string, input: VersionListInput): Promise<Page<VersionView>> {
    const { store } = this.deps;
    const ref = await this.resolveModel(projectName, name);
    const direction = parseDirection('order', input.order, 'desc');
    const limit = input.limit ?? 100;
    const status = input.status?.toUpperCase();
    if (status !== undefined && !['PENDING', 'READY', 'FAILED'].includes(status)) throw invalidField('status', 'must be PENDING, READY or FAILED');
    const afterVersion = input.cursor === undefined ? undefined : decodeCursor('cursor', input.cursor, (v): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MAX_INT32);
    const rows = await store.versions.list({
      modelId: ref.model.id,
      status,
      stage: input.stage === undefined ? undefined : parseStage('stage', input.stage),
      tags: parseTagFilters('tag', input.tag),
      direction,
      afterVersion,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const items = await this.versionViews(ref, page);
    const last = page[page.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(Number(last.version)) : null };
  }

  private async versionViews(ref: ModelRef, rows: ModelVersionRow[], tx: Repositories = this.deps.store): Promise<VersionView[]> {
    const [tags, aliases] = await Promise.all([tx.versions.tags(rows.map((r) => r.id)), tx.aliases.list([ref.model.id])]);
    return rows.map((r) =>
      versionView(
        r,
        ref.model.name,
        ref.project.name,
        tags.get(r.id) ?? {},
        aliases.filter((a) => Number(a.version) === Number(r.version)).map((a) => a.alias),
      ),
    );
  }

  async versionView(ref: ModelRef, row: ModelVersionRow, tx: Repositories = this.deps.store): Promise<VersionView> {
    const { tags, aliases } = await tx.versions.labels(row);
    return versionView(row, ref.model.name, ref.project.name, tags, aliases);
  }

  async getVersion(projectName: string | undefined, name: string, versionRef: string): Promise<VersionDetailView> {
    const { row, ...ref } = await this.resolveModelVersion(projectName, name, versionRef);
    const [view, transitions, datasets, origins] = await Promise.all([
      this.versionView(ref, row),
      this.deps.store.versions.transitions(row.id),
      this.deps.store.datasets.datasetsOfModelVersion(row.id),
      this.deps.store.tracking.versionOrigins([row.id]),
    ]);
    const origin = origins[0];
    return {
      ...view,
      stageHistory: transitions.map(transitionView),
      datasets,
      servable: row.status === 'READY' && !isRecordOnlyFlavor(row.flavor),
      mlflow: origin ? mlflowOriginView(origin) : null,
    };
  }

  /** Versions are immutable once READY except for their description and tags. */
  async updateVersion(actor: Principal, projectName: string | undefined, name: string, versionRef: string, input: { description?: unknown; tags?: unknown }): Promise<VersionView> {
    const { store, clock } = this.deps;
    const description = optionalString('description', input.description, 10_000);
    const tagChanges = checkTags('tags', input.tags, true);
    return store.transaction(async (tx) => {
      const { row, ...ref } = await this.resolveModelVersion(projectName, name, versionRef, tx);
      const now = isoTime(clock);
      await tx.versions.update(row.id, { ...(description !== undefined ? { description } : {}), updated_at: now, updated_by: actor.name });
      await tx.versions.changeTags(row.id, tagChanges);
      await tx.events.append(
        domainEvent(clock, actor.name, 'model_version.updated', { type: 'model_version', id: row.id, projectId: ref.project.id }, {
          model: name,
          version: Number(row.version),
          description,
          tags: tagChanges,
        }),
      );
      const updated: ModelVersionRow = { ...row, ...(description !== undefined ? { description } : {}), updated_at: now, updated_by: actor.name };
      return this.versionView(ref, updated, tx);
    });
  }

  async openArtifact(projectName: string | undefined, name: string, versionRef: string): Promise<{ version: VersionView; filename: string; size: number; stream: Readable }> {
    const { row, ...ref } = await this.resolveModelVersion(projectName, name, versionRef);
    if (row.status !== 'READY') {
      throw conflict('VERSION_NOT_READY', `version ${row.version} of '${name}' is ${row.status}; only READY versions have an artifact to download`);
    }
    const opened = await this.deps.artifacts.open(row.artifact_sha256);
    const extension = row.flavor === 'onnx' ? 'onnx' : row.flavor === 'xgboost-json' ? 'json' : row.flavor === MLFLOW_FLAVOR ? 'mlflow' : 'bin';
    return { version: await this.versionView(ref, row), filename: `${name}-v${row.version}.${extension}`, size: opened.size, stream: opened.stream };
  }

  async listAliases(projectName: string | undefined, name: string): Promise<{ alias: string; version: number; updatedAt: string; updatedBy: string }[]> {
    const { model } = await this.resolveModel(projectName, name);
    return (await this.deps.store.aliases.list([model.id])).map((a) => ({ alias: a.alias, version: Number(a.version), updatedAt: a.updated_at, updatedBy: a.updated_by }));
  }

  async getAlias(projectName: string | undefined, name: string, aliasName: string): Promise<{ alias: string; version: VersionView; history: AliasHistoryView[] }> {
    const alias = checkName('alias', aliasName);
    const ref = await this.resolveModel(projectName, name);
    const row = await this.deps.store.aliases.get(ref.model.id, alias);
    if (!row) throw notFound('ALIAS_NOT_FOUND', `model '${name}' has no alias '${alias}'`);
    const version = await this.resolveVersion(ref, String(row.version));
    const history = await this.deps.store.aliases.history(ref.model.id, alias);
    return { alias, version: await this.versionView(ref, version), history: history.map(aliasHistoryView) };
  }

  async aliasHistory(projectName: string | undefined, name: string): Promise<AliasHistoryView[]> {
    const { model } = await this.resolveModel(projectName, name);
    return (await this.deps.store.aliases.history(model.id)).map(aliasHistoryView);
  }

  /** Points an alias at a READY version, keeping the move in the alias history. */
  async setAlias(actor: Principal, projectName: string | undefined, name: string, aliasName: string, input: { version: unknown }): Promise<{ alias: string; version: number; previousVersion: number | null }> {
    const alias = checkAlias('alias', aliasName);
    const v = input.version;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_INT32) throw invalidField('version', `must be an integer from 1 to ${MAX_INT32}`);
    const { store, clock } = this.deps;
    const result = await store.transaction(async (tx) => {
      const { row, ...ref } = await this.resolveModelVersion(projectName, name, String(v), tx);
      if (row.status !== 'READY') throw conflict('VERSION_NOT_READY', `version ${v} of '${name}' is ${row.status}; aliases can only point at READY versions`);
      const previous = await tx.aliases.get(ref.model.id, alias);
      const previousVersion = previous ? Number(previous.version) : null;
      if (previousVersion === v) return { alias, version: v, previousVersion };
      await this.deps.guard.enforce(tx, { project: ref.project, model: ref.model, version: row }, { kind: 'alias', target: alias }, actor.name);
      const now = isoTime(clock);
      await tx.aliases.upsert({ model_id: ref.model.id, alias, version: v, updated_at: now, updated_by: actor.name });
      await tx.aliases.addHistory({ id: newId(clock.now()), model_id: ref.model.id, alias, from_version: previousVersion, to_version: v, at: now, by: actor.name });
      await tx.events.append(
        domainEvent(clock, actor.name, 'model_alias.set', { type: 'model', id: ref.model.id, projectId: ref.project.id }, { model: name, alias, version: v, previousVersion }),
      );
      await this.aliasFollower?.onAliasMoved(tx, actor.name, ref.model.id, alias, v);
      return { alias, version: v, previousVersion };
    });
    this.aliasFollower?.afterAliasMoved();
    return result;
  }

  async deleteAlias(actor: Principal, projectName: string | undefined, name: string, aliasName: string): Promise<{ alias: string; previousVersion: number }> {
    const alias = checkName('alias', aliasName);
    const { store, clock } = this.deps;
    return store.transaction(async (tx) => {
      const ref = await this.resolveModel(projectName, name, tx);
      const previous = await tx.aliases.get(ref.model.id, alias);
      if (!previous) throw notFound('ALIAS_NOT_FOUND', `model '${name}' has no alias '${alias}'`);
      const now = isoTime(clock);
      await tx.aliases.delete(ref.model.id, alias);
      await tx.aliases.addHistory({ id: newId(clock.now()), model_id: ref.model.id, alias, from_version: Number(previous.version), to_version: null, at: now, by: actor.name });
      await this.aliasFollower?.onAliasMoved(tx, actor.name, ref.model.id, alias, null);
      await tx.events.append(
        domainEvent(clock, actor.name, 'model_alias.deleted', { type: 'model', id: ref.model.id, projectId: ref.project.id }, { model: name, alias, previousVersion: Number(previous.version) }),
      );
      return { alias, previousVersion: Number(previous.version) };
    });
  }

  /**
   * Moves a READY version to a stage, recording who, when, from, to and why. With archiveExisting, other
   * versions in the target stage (Staging or Production) move to Archived in the same transaction.
   */
  async transitionStage(
    actor: Principal,
    projectName: string | undefined,
    name: string,
    versionRef: string,
    input: { stage: unknown; comment?: unknown; archiveExisting?: unknown },
  ): Promise<VersionDetailView> {
    const to = parseStage('stage', input.stage);
    const comment = optionalString('comment', input.comment, 5_000) ?? '';
    if (input.archiveExisting !== undefined && typeof input.archiveExisting !== 'boolean') throw invalidField('archiveExisting', 'must be true or false');
    const { store, clock } = this.deps;
    const versionNumber = await store.transaction(async (tx) => {
      const { row, ...ref } = await this.resolveModelVersion(projectName, name, versionRef, tx);
      if (row.status !== 'READY') throw conflict('VERSION_NOT_READY', `version ${row.version} of '${name}' is ${row.status}; only READY versions change stage`);
      if (row.stage === to) throw conflict('STAGE_UNCHANGED', `version ${row.version} of '${name}' is already in stage ${to}`);
      await this.deps.guard.enforce(tx, { project: ref.project, model: ref.model, version: row }, { kind: 'stage', target: to }, actor.name);
      const move = async (v: ModelVersionRow, target: Stage, why: string) => {
        const now = isoTime(clock);
        await tx.versions.update(v.id, { stage: target, updated_at: now, updated_by: actor.name });
        await tx.versions.addTransition({ id: newId(clock.now()), version_id: v.id, from_stage: v.stage, to_stage: target, comment: why, at: now, by: actor.name });
        await tx.events.append(
          domainEvent(clock, actor.name, 'model_version.stage_changed', { type: 'model_version', id: v.id, projectId: ref.project.id }, {
            model: name,
            version: Number(v.version),
            from: v.stage,
            to: target,
            comment: why,
          }),
        );
      };
      await move(row, to, comment);
      if (input.archiveExisting === true && (to === 'Staging' || to === 'Production')) {
        for (const other of await tx.versions.inStage(ref.model.id, to)) {
          if (other.id !== row.id) await move(other, 'Archived', `archived when version ${row.version} moved to ${to}`);
        }
      }
      return String(row.version);
    });
    return this.getVersion(projectName, name, versionNumber);
  }
}

function aliasMap(rows: { alias: string; version: number }[]): Record<string, number> {
  return Object.fromEntries(rows.map((a) => [a.alias, Number(a.version)]));
}
