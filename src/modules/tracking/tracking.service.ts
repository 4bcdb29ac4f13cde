/**
 * Experiments, runs and run artifacts: the one store behind Steward's own tracking API and the MLflow REST
 * API. Callers pass the principal; the service checks the caller's role in the object's project (viewer to
 * read, contributor to write).
 *
 * Events: creating, renaming, deleting and restoring experiments and runs, and a run's status changes, are
 * domain events. Metrics, params and tags logged to a run are the run's content, not events: logging at
 * thousands of points a second through the audit chain would drown the trail it exists to keep readable.
 */
import { randomBytes } from 'node:crypto';
import type { MetadataStore, Repositories } from '../../db/metadata-store.js';
import { isUniqueViolation } from '../../db/executor.js';
import type { ExperimentRow, ProjectRow, RunInputRow, RunRow, TrackingArtifactRow } from '../../db/schema.js';
import type { Clock } from '../../platform/clock.js';
import { conflict, invalid, invalidField, notFound } from '../../platform/errors.js';
import { printable } from '../../platform/names.js';
import type { Principal, ProjectRole } from '../../platform/principal.js';
import type { ArtifactStore, OpenedArtifact } from '../../storage/artifact-store.js';
import type { AccessService } from '../access/access.service.js';
import { domainEvent } from '../events/domain-event.js';
import {
  compareRuns,
  decodePageToken,
  encodePageToken,
  matchesModel,
  matchesRun,
  paginate,
  parseModelFilter,
  parseOrderBy,
  parseRunFilter,
  SearchFilterError,
  type OrderKey,
  type RunClause,
  type RunForSearch,
} from './search-filter.js';
import type { DataKeys, KeyValue, Lifecycle, MetricPoint, RunData } from './tracking.repository.js';
import {
  columnKeys,
  experimentView,
  isoOf,
  LOGGED_MODELS_TAG,
  metricPointView,
  metricValue,
  runView,
  type ArtifactListView,
  type ExperimentView,
  type MetricHistoryView,
  type MetricPointView,
  type RunComparisonView,
  type RunContext,
  type RunDetailView,
  type RunsPageView,
  type RunView,
} from './tracking-views.js';
import {
  checkArtifactPath,
  checkExperimentName,
  checkInteger,
  checkKey,
  checkList,
  checkMetric,
  checkParam,
  checkRunStatus,
  checkTag,
  checkValue,
  MAX_BATCH_METRICS,
  MAX_BATCH_PARAMS,
  MAX_BATCH_TAGS,
  MAX_BATCH_TOTAL,
  MAX_RUN_NAME_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  optionalInteger,
  RUN_ID_PATTERN,
} from './tracking-validation.js';

export interface TrackingDeps {
  store: MetadataStore;
  artifacts: ArtifactStore;
  access: AccessService;
  clock: Clock;
  maxArtifactBytes: number;
}

export interface ExperimentRecord {
  row: ExperimentRow;
  tags: KeyValue[];
}

export interface RunRecord {
  row: RunRow;
  data: RunData;
}

export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
export const VIEW_TYPES: readonly ViewType[] = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'];

/** The name MLflow gives the experiment that runs go to when none is named (id "0"). */
export const DEFAULT_EXPERIMENT_NAME = 'Default';
/** The experiment id MLflow clients use when none is set: the scope project's Default experiment. */
export const DEFAULT_EXPERIMENT_ID = '0';
export const RUN_NAME_TAG = 'mlflow.runName';
export const PARENT_RUN_TAG = 'mlflow.parentRunId';
export { LOGGED_MODELS_TAG };
export const ARTIFACT_SCHEME = 'mlflow-artifacts:';
export const MAX_SEARCH_RESULTS = 50_000;
export const DEFAULT_SEARCH_RESULTS = 1000;
export const MAX_HISTORY_RESULTS = 25_000;
export const MAX_ARTIFACT_LIST = 10_000;

function lifecycleOf(view: ViewType): Lifecycle {
  return view === 'ACTIVE_ONLY' ? 'active' : view === 'DELETED_ONLY' ? 'deleted' : 'all';
}

/** Steward's API's `view`: active (default), deleted or all. */
function checkLifecycle(field: string, value: unknown): Lifecycle {
  if (value === undefined || value === null || value === '') return 'active';
  if (value !== 'active' && value !== 'deleted' && value !== 'all') throw invalidField(field, 'must be one of active, deleted, all');
  return value;
}

/** Runs listed at once by Steward's API (MLflow's search allows up to MAX_SEARCH_RESULTS). */
export const DEFAULT_RUN_PAGE = 100;
export const MAX_RUN_PAGE = 1000;

export function checkViewType(field: string, value: unknown): ViewType {
  if (value === undefined || value === null || value === '') return 'ACTIVE_ONLY';
  if (typeof value === 'number' && value >= 1 && value <= 3) return VIEW_TYPES[value - 1]!;
  if (typeof value !== 'string' || !(VIEW_TYPES as readonly string[]).includes(value)) throw invalidField(field, `must be one of ${VIEW_TYPES.join(', ')}`);
  return value as ViewType;
}

/** A search-grammar error as a 400 naming the field. */
function searchError(field: string, err: unknown): never {
  if (err instanceof SearchFilterError) throw invalid('INVALID_PARAMETER_VALUE', `${field}: ${err.message}`, { field, problem: err.message });
  throw err;
}

const ADJECTIVES = ['able', 'bold', 'brave', 'bright', 'calm', 'clever', 'crisp', 'eager', 'fair', 'gentle', 'glad', 'keen', 'kind', 'lucid', 'merry', 'nimble', 'quick', 'sharp', 'steady', 'wise'];
const NOUNS = ['ant', 'bat', 'bee', 'crow', 'deer', 'dove', 'fox', 'hare', 'hawk', 'lark', 'lynx', 'mole', 'newt', 'owl', 'ram', 'seal', 'swan', 'toad', 'wolf', 'wren'];

/** A readable run name, as MLflow gives runs that are not named ("bright-owl-417"). */
function generatedRunName(): string {
  const b = randomBytes(4);
  return `${ADJECTIVES[b[0]! % ADJECTIVES.length]}-${NOUNS[b[1]! % NOUNS.length]}-${((b[2]! << 8) | b[3]!) % 1000}`;
}

export function runForSearch(r: RunRecord): RunForSearch {
  const metrics: Record<string, number> = {};
  for (const m of r.data.metrics) metrics[m.key] = m.is_nan ? NaN : m.value;
  const params: Record<string, string> = {};
  for (const p of r.data.params) params[p.key] = p.value;
  const tags: Record<string, string> = {};
  for (const t of r.data.tags) tags[t.key] = t.value;
  return {
    runId: r.row.id,
    runName: r.row.name,
    status: r.row.status,
    startTime: Number(r.row.start_time),
    endTime: r.row.end_time === null ? null : Number(r.row.end_time),
    userId: r.row.user_id,
    artifactUri: r.row.artifact_uri,
    lifecycleStage: r.row.lifecycle_stage,
    metrics,
    params,
    tags,
    datasets: r.data.inputs.map((i) => ({ name: i.name, digest: i.digest, context: contextOf(i) })),
  };
}

/** Steward dataset versions named by an MLflow dataset source (see TrackingService.logInputs). */
export function datasetRefs(source: string): { dataset: string; version: number }[] {
  let candidates = [source];
  try {
    const parsed = JSON.parse(source) as unknown;
    if (parsed !== null && typeof parsed === 'object') {
      candidates = [];
      for (const k of ['url', 'uri', 'path']) {
        const v = (parsed as Record<string, unknown>)[k];
        if (typeof v === 'string') candidates.push(v);
      }
    }
  } catch {
    // a plain string source
  }
  const out: { dataset: string; version: number }[] = [];
  for (const c of candidates) {
    const m = /^steward:\/\/([A-Za-z0-9][A-Za-z0-9._-]*)@(\d{1,9})$/.exec(c) ?? /\/api\/v1\/datasets\/([A-Za-z0-9][A-Za-z0-9._-]*)\/versions\/(\d{1,9})(?:[/?#]|$)/.exec(c);
    if (m) out.push({ dataset: m[1]!, version: Number(m[2]) });
  }
  return out;
}

/** The metric, param and tag keys (and whether datasets) a filter and an order_by look at. */
function keysNamed(clauses: readonly RunClause[], order: readonly OrderKey[]): DataKeys {
  const keys = { metrics: new Set<string>(), params: new Set<string>(), tags: new Set<string>() };
  let inputs = false;
  for (const c of [...clauses, ...order]) {
    if (c.type === 'metric') keys.metrics.add(c.key);
    else if (c.type === 'parameter') keys.params.add(c.key);
    else if (c.type === 'tag') keys.tags.add(c.key);
    else if (c.type === 'dataset') inputs = true;
  }
  return { metrics: [...keys.metrics], params: [...keys.params], tags: [...keys.tags], inputs };
}

function contextOf(input: RunInputRow): string | null {
  const tags = JSON.parse(input.tags) as KeyValue[];
  return tags.find((t) => t.key === 'mlflow.data.context')?.value ?? null;
}

export class TrackingService {
  constructor(private readonly deps: TrackingDeps) {}

  // ------------------------------------------------------------------------------------------------
  // Experiments
  // ------------------------------------------------------------------------------------------------

  private now(): number {
    return this.deps.clock.now();
  }

  private async experimentRecord(row: ExperimentRow, tx: Repositories = this.deps.store): Promise<ExperimentRecord> {
    const tags = (await tx.tracking.experimentTags([Number(row.id)])).map((t) => ({ key: t.key, value: t.value }));
    return { row: { ...row, id: Number(row.id) }, tags };
  }

  /** An experiment by id ("0": the scope project's Default experiment), checked for the caller's role. */
  async experiment(actor: Principal, scope: ProjectRow, id: unknown, needed: ProjectRole = 'viewer'): Promise<ExperimentRow> {
    const row = await this.findExperiment(scope, id, actor);
    await this.deps.access.require(actor, row.project_id, needed);
    return row;
  }

  private async findExperiment(scope: ProjectRow, id: unknown, actor: Principal): Promise<ExperimentRow> {
    const text = typeof id === 'number' ? String(id) : id;
    if (typeof text !== 'string' || text === '') throw invalidField('experiment_id', 'is required');
    if (text === DEFAULT_EXPERIMENT_ID) return this.defaultExperiment(actor, scope);
    if (!/^\d{1,15}$/.test(text)) throw notFound('EXPERIMENT_NOT_FOUND', `No Experiment with id=${printable(text)} exists`, { field: 'experiment_id' });
    const row = await this.deps.store.tracking.getExperiment(Number(text));
    if (!row) throw notFound('EXPERIMENT_NOT_FOUND', `No Experiment with id=${text} exists`, { field: 'experiment_id' });
    return row;
  }

  /** The project's "Default" experiment, made on first use (MLflow clients log to id "0" when none is set). */
  private async defaultExperiment(actor: Principal, project: ProjectRow): Promise<ExperimentRow> {
    const found = await this.deps.store.tracking.getExperimentByName(project.id, DEFAULT_EXPERIMENT_NAME);
    if (found) return found;
    await this.deps.access.require(actor, project.id, 'viewer');
    try {
      return (await this.insertExperiment(actor, project, DEFAULT_EXPERIMENT_NAME, undefined, [])).row;
    } catch (err) {
      const again = await this.deps.store.tracking.getExperimentByName(project.id, DEFAULT_EXPERIMENT_NAME);
      if (again) return again;
      throw err;
    }
  }

  private async insertExperiment(actor: Principal, project: ProjectRow, name: string, artifactLocation: string | undefined, tags: KeyValue[]): Promise<ExperimentRecord> {
    const { store, clock } = this.deps;
    const now = this.now();
    try {
      return await store.transaction(async (tx) => {
        const id = await tx.tracking.nextExperimentId();
        const row: ExperimentRow = {
          id,
          project_id: project.id,
          name,
          artifact_location: artifactLocation ?? `${ARTIFACT_SCHEME}/${id}`,
          lifecycle_stage: 'active',
          creation_time: now,
          last_update_time: now,
          created_by: actor.name,
        };
        await tx.tracking.insertExperiment(row);
        for (const t of tags) await tx.tracking.setExperimentTag(id, t.key, t.value);
        await tx.events.append(domainEvent(clock, actor.name, 'experiment.created', { type: 'experiment', id: String(id), projectId: project.id }, { name, project: project.name }));
        return { row, tags };
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw conflict('EXPERIMENT_EXISTS', `Experiment '${name}' already exists in project '${project.name}'`, { field: 'name' });
      }
      throw err;
    }
  }

  async createExperiment(actor: Principal, project: ProjectRow, input: { name: unknown; artifactLocation?: unknown; tags?: unknown }): Promise<ExperimentRecord> {
    await this.deps.access.require(actor, project.id, 'contributor');
    const name = checkExperimentName('name', input.name);
    let location: string | undefined;
    if (input.artifactLocation !== undefined && input.artifactLocation !== null && input.artifactLocation !== '') {
      location = checkValue('artifact_location', input.artifactLocation, 1000);
    }
    const tags = checkList('tags', input.tags, MAX_BATCH_TAGS).map((t, i) => checkTag(`tags[${i}]`, t));
    return this.insertExperiment(actor, project, name, location, tags);
  }

  async getExperiment(actor: Principal, scope: ProjectRow, id: unknown): Promise<ExperimentRecord> {
    return this.experimentRecord(await this.experiment(actor, scope, id));
  }

  async getExperimentByName(actor: Principal, project: ProjectRow, name: unknown): Promise<ExperimentRecord> {
    await this.deps.access.require(actor, project.id, 'viewer');
    const wanted = checkExperimentName('experiment_name', name);
    const row = await this.deps.store.tracking.getExperimentByName(project.id, wanted);
    if (!row) throw notFound('EXPERIMENT_NOT_FOUND', `Could not find experiment with name '${printable(wanted)}'`, { field: 'experiment_name' });
    return this.experimentRecord(row);
  }

  /**
   * Experiments the caller can read in the projects given (all visible ones when `projectIds` is 'visible'),
   * filtered by name and tags (the registry grammar: `name LIKE '%churn%' and tags.team = 'risk'`), ordered by
   * `order_by` (name, creation_time, last_update_time, experiment_id; default last_update_time DESC).
   */
  async searchExperiments(
    actor: Principal,
    input: { projectIds: readonly string[] | 'visible'; viewType?: unknown; filter?: unknown; orderBy?: unknown; maxResults?: unknown; pageToken?: unknown },
  ): Promise<{ experiments: ExperimentRecord[]; nextPageToken: string | undefined }> {
    const visible = await this.deps.access.visibleProjectIds(actor);
    let projectIds: readonly string[] | 'all';
    if (input.projectIds === 'visible') projectIds = visible === 'all' ? 'all' : [...visible];
    else {
      for (const id of input.projectIds) await this.deps.access.require(actor, id, 'viewer');
      projectIds = input.projectIds;
    }
    const view = checkViewType('view_type', input.viewType);
    const maxResults = optionalInteger('max_results', input.maxResults, DEFAULT_SEARCH_RESULTS, { min: 1 });
    if (maxResults > MAX_SEARCH_RESULTS) throw invalidField('max_results', `must be at most ${MAX_SEARCH_RESULTS}`);
    let clauses;
    try {
      clauses = parseModelFilter(typeof input.filter === 'string' ? input.filter : undefined);
    } catch (err) {
      searchError('filter', err);
    }
    const order = checkExperimentOrder(input.orderBy);
    const rows = await this.deps.store.tracking.listExperiments({ projectIds, lifecycle: lifecycleOf(view) });
    const tags = await this.deps.store.tracking.experimentTags(rows.map((r) => Number(r.id)));
    const byId = new Map<number, KeyValue[]>();
    for (const t of tags) (byId.get(t.experiment_id) ?? byId.set(t.experiment_id, []).get(t.experiment_id)!).push({ key: t.key, value: t.value });
    const records = rows
      .map((row) => ({ row: { ...row, id: Number(row.id) }, tags: byId.get(Number(row.id)) ?? [] }))
      .filter((r) => matchesModel({ name: r.row.name, tags: Object.fromEntries(r.tags.map((t) => [t.key, t.value])) }, clauses));
    records.sort((a, b) => {
      for (const o of order) {
        const va = a.row[o.column];
        const vb = b.row[o.column];
        const c = va < vb ? -1 : va > vb ? 1 : 0;
        if (c !== 0) return o.ascending ? c : -c;
      }
      return a.row.id - b.row.id;
    });
    let page;
    try {
      page = paginate(records, typeof input.pageToken === 'string' ? input.pageToken : undefined, maxResults);
    } catch (err) {
      searchError('page_token', err);
    }
    return { experiments: page.items, nextPageToken: page.nextPageToken };
  }

  async renameExperiment(actor: Principal, scope: ProjectRow, id: unknown, newName: unknown): Promise<ExperimentRecord> {
    const row = await this.experiment(actor, scope, id, 'contributor');
    await this.renameRow(actor, row, newName, 'new_name');
    return this.getExperiment(actor, scope, String(row.id));
  }

  /** Renames an experiment the caller may write to; `field` is the request's name for the new name. */
  private async renameRow(actor: Principal, row: ExperimentRow, newName: unknown, field: string): Promise<void> {
    const name = checkExperimentName(field, newName);
    const { store, clock } = this.deps;
    try {
      await store.transaction(async (tx) => {
        await tx.tracking.updateExperiment(Number(row.id), { name, last_update_time: this.now() });
        await tx.events.append(domainEvent(clock, actor.name, 'experiment.renamed', { type: 'experiment', id: String(row.id), projectId: row.project_id }, { before: { name: row.name }, after: { name } }));
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('EXPERIMENT_EXISTS', `Experiment '${name}' already exists`, { field });
      throw err;
    }
  }

  /** Deletes (marks deleted; restorable) or restores an experiment and its runs, as MLflow does. */
  async setExperimentLifecycle(actor: Principal, scope: ProjectRow, id: unknown, stage: 'active' | 'deleted'): Promise<void> {
    const row = await this.experiment(actor, scope, id, 'contributor');
    await this.changeLifecycle(actor, row, stage, 'experiment_id');
  }

  /** Marks an experiment the caller may write to, and its runs, deleted or active; `field` names the experiment in errors. */
  private async changeLifecycle(actor: Principal, row: ExperimentRow, stage: 'active' | 'deleted', field: string): Promise<void> {
    if (stage === 'deleted' && row.name === DEFAULT_EXPERIMENT_NAME) {
      throw invalid('INVALID_PARAMETER_VALUE', `${field}: the Default experiment cannot be deleted`, { field });
    }
    if (row.lifecycle_stage === stage) {
      if (stage === 'active') throw invalid('INVALID_PARAMETER_VALUE', `${field}: experiment ${row.id} is not deleted`, { field });
      return;
    }
    const { store, clock } = this.deps;
    const now = this.now();
    await store.transaction(async (tx) => {
      await tx.tracking.updateExperiment(Number(row.id), { lifecycle_stage: stage, last_update_time: now });
      const runs = await tx.tracking.listRuns({ experimentIds: [Number(row.id)], lifecycle: stage === 'deleted' ? 'active' : 'deleted' });
      for (const r of runs) await tx.tracking.updateRun(r.id, { lifecycle_stage: stage, deleted_time: stage === 'deleted' ? now : null });
      await tx.events.append(
        domainEvent(clock, actor.name, stage === 'deleted' ? 'experiment.deleted' : 'experiment.restored', { type: 'experiment', id: String(row.id), projectId: row.project_id }, { name: row.name, runs: runs.length }),
      );
    });
  }

  async setExperimentTag(actor: Principal, scope: ProjectRow, id: unknown, key: unknown, value: unknown): Promise<void> {
    const row = await this.experiment(actor, scope, id, 'contributor');
    const k = checkKey('key', key);
    const v = checkValue('value', value ?? '', MAX_TAG_VALUE_LENGTH);
    await this.deps.store.transaction(async (tx) => {
      await tx.tracking.setExperimentTag(Number(row.id), k, v);
      await tx.tracking.updateExperiment(Number(row.id), { last_update_time: this.now() });
    });
  }

  async deleteExperimentTag(actor: Principal, scope: ProjectRow, id: unknown, key: unknown): Promise<void> {
    const row = await this.experiment(actor, scope, id, 'contributor');
    const k = checkKey('key', key);
    if ((await this.deps.store.tracking.deleteExperimentTag(Number(row.id), k)) === 0) {
      throw notFound('TAG_NOT_FOUND', `No tag with name: ${k} in experiment ${row.id}`, { field: 'key' });
    }
  }

  // ------------------------------------------------------------------------------------------------
  // Runs
  // ------------------------------------------------------------------------------------------------

  /** A run by id, checked for the caller's role in its project. */
  async run(actor: Principal, runId: unknown, needed: ProjectRole = 'viewer'): Promise<RunRow> {
    return this.runById(actor, runId, needed, 'run_id');
  }

  private async runById(actor: Principal, runId: unknown, needed: ProjectRole, field: string): Promise<RunRow> {
    if (typeof runId !== 'string' || runId === '') throw invalidField(field, 'is required');
    const row = RUN_ID_PATTERN.test(runId) ? await this.deps.store.tracking.getRun(runId) : undefined;
    if (!row) throw notFound('RUN_NOT_FOUND', `Run with id=${printable(runId)} not found`, { field });
    await this.deps.access.require(actor, row.project_id, needed);
    return row;
  }

  /** A run that can be written to: it must not be deleted. */
  private async activeRun(actor: Principal, runId: unknown): Promise<RunRow> {
    const row = await this.run(actor, runId, 'contributor');
    if (row.lifecycle_stage !== 'active') {
      throw invalid('INVALID_PARAMETER_VALUE', `The run ${row.id} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`, { field: 'run_id' });
    }
    return row;
  }

  async getRun(actor: Principal, runId: unknown): Promise<RunRecord> {
    const row = await this.run(actor, runId);
    const data = (await this.deps.store.tracking.runData([row.id])).get(row.id)!;
    return { row, data };
  }

  async createRun(actor: Principal, scope: ProjectRow, input: { experimentId?: unknown; runName?: unknown; startTime?: unknown; tags?: unknown }): Promise<RunRecord> {
    const experiment = await this.experiment(actor, scope, input.experimentId ?? DEFAULT_EXPERIMENT_ID, 'contributor');
    if (experiment.lifecycle_stage !== 'active') {
      throw invalid('INVALID_PARAMETER_VALUE', `The experiment ${experiment.id} must be in the 'active' state. Current state is ${experiment.lifecycle_stage}.`, { field: 'experiment_id' });
    }
    const tags = checkList('tags', input.tags, MAX_BATCH_TAGS).map((t, i) => checkTag(`tags[${i}]`, t));
    let name = input.runName === undefined || input.runName === null || input.runName === '' ? undefined : checkValue('run_name', input.runName, MAX_RUN_NAME_LENGTH);
    const tagged = tags.find((t) => t.key === RUN_NAME_TAG)?.value;
    if (name !== undefined && tagged !== undefined && tagged !== name) {
      throw invalidField('run_name', `'${printable(name)}' differs from the ${RUN_NAME_TAG} tag '${printable(tagged)}'`);
    }
    name ??= tagged ?? generatedRunName();
    const parent = tags.find((t) => t.key === PARENT_RUN_TAG)?.value;
    const startTime = optionalInteger('start_time', input.startTime, this.now(), { min: 0 });
    const id = randomBytes(16).toString('hex');
    const row: RunRow = {
      id,
      experiment_id: Number(experiment.id),
      project_id: experiment.project_id,
      name,
      status: 'RUNNING',
      start_time: startTime,
      end_time: null,
      user_id: actor.name,
      lifecycle_stage: 'active',
      artifact_uri: `${experiment.artifact_location.replace(/\/+$/, '')}/${id}/artifacts`,
      parent_run_id: parent !== undefined && RUN_ID_PATTERN.test(parent) ? parent : null,
      deleted_time: null,
    };
    const allTags = [...tags.filter((t) => t.key !== RUN_NAME_TAG), { key: RUN_NAME_TAG, value: name }];
    const { store, clock } = this.deps;
    await store.transaction(async (tx) => {
      await tx.tracking.insertRun(row);
      await tx.tracking.log(id, { metrics: [], params: [], tags: allTags });
      await tx.events.append(
        domainEvent(clock, actor.name, 'run.created', { type: 'run', id, projectId: row.project_id }, { experimentId: String(experiment.id), name, parentRunId: row.parent_run_id }),
      );
    });
    return this.getRun(actor, id);
  }

  async updateRun(actor: Principal, runId: unknown, input: { status?: unknown; endTime?: unknown; runName?: unknown }): Promise<RunRow> {
    const row = await this.activeRun(actor, runId);
    const changes: { status?: string; end_time?: number; name?: string } = {};
    if (input.status !== undefined && input.status !== null && input.status !== '') changes.status = checkRunStatus('status', input.status);
    if (input.endTime !== undefined && input.endTime !== null && input.endTime !== '') changes.end_time = checkInteger('end_time', input.endTime, { min: 0 });
    if (input.runName !== undefined && input.runName !== null && input.runName !== '') changes.name = checkValue('run_name', input.runName, MAX_RUN_NAME_LENGTH);
    const { store, clock } = this.deps;
    await store.transaction(async (tx) => {
      await tx.tracking.updateRun(row.id, changes);
      if (changes.name !== undefined) await tx.tracking.log(row.id, { metrics: [], params: [], tags: [{ key: RUN_NAME_TAG, value: changes.name }] });
      await tx.events.append(
        domainEvent(clock, actor.name, 'run.updated', { type: 'run', id: row.id, projectId: row.project_id }, {
          before: { status: row.status, endTime: row.end_time, name: row.name },
          after: { status: changes.status ?? row.status, endTime: changes.end_time ?? row.end_time, name: changes.name ?? row.name },
        }),
      );
    });
    return { ...row, ...changes };
  }

  async setRunLifecycle(actor: Principal, runId: unknown, stage: 'active' | 'deleted'): Promise<void> {
    const row = await this.run(actor, runId, 'contributor');
    if (row.lifecycle_stage === stage) return;
    const { store, clock } = this.deps;
    await store.transaction(async (tx) => {
      await tx.tracking.updateRun(row.id, { lifecycle_stage: stage, deleted_time: stage === 'deleted' ? this.now() : null });
      await tx.events.append(domainEvent(clock, actor.name, stage === 'deleted' ? 'run.deleted' : 'run.restored', { type: 'run', id: row.id, projectId: row.project_id }, { name: row.name }));
    });
  }

  /** One metric point (MLflow's log-metric). */
  async logMetric(actor: Principal, runId: unknown, input: { key: unknown; value: unknown; timestamp?: unknown; step?: unknown }): Promise<void> {
    const point = checkMetric('body', input, this.now());
    const row = await this.activeRun(actor, runId);
    await this.deps.store.transaction((tx) => tx.tracking.log(row.id, { metrics: [point], params: [], tags: [] }));
  }

  async logParam(actor: Principal, runId: unknown, input: { key: unknown; value: unknown }): Promise<void> {
    await this.logBatch(actor, runId, { params: [input] });
  }

  async setTag(actor: Principal, runId: unknown, input: { key: unknown; value: unknown }): Promise<void> {
    await this.logBatch(actor, runId, { tags: [input] });
  }

  /**
   * Metrics, params and tags in one transaction (MLflow's log-batch and its limits). All or nothing: a param
   * logged before with another value refuses the whole batch.
   */
  async logBatch(actor: Principal, runId: unknown, input: { metrics?: unknown; params?: unknown; tags?: unknown }): Promise<void> {
    const now = this.now();
    const rawMetrics = checkList('metrics', input.metrics, MAX_BATCH_METRICS);
    const rawParams = checkList('params', input.params, MAX_BATCH_PARAMS);
    const rawTags = checkList('tags', input.tags, MAX_BATCH_TAGS);
    const total = rawMetrics.length + rawParams.length + rawTags.length;
    if (total > MAX_BATCH_TOTAL) {
      throw invalid('INVALID_PARAMETER_VALUE', `A batch logging request can contain at most ${MAX_BATCH_TOTAL} metrics, params, and tags in total. Received a batch with ${total}.`, { field: 'body' });
    }
    const metrics: MetricPoint[] = rawMetrics.map((m, i) => checkMetric(`metrics[${i}]`, m, now));
    const params = rawParams.map((p, i) => checkParam(`params[${i}]`, p));
    const tags = rawTags.map((t, i) => checkTag(`tags[${i}]`, t));
    const row = await this.activeRun(actor, runId);
    const { store, clock } = this.deps;
    await store.transaction(async (tx) => {
      const { conflicts } = await tx.tracking.log(row.id, { metrics, params, tags });
      if (conflicts.length > 0) {
        const c = conflicts[0]!;
        throw invalid(
          'INVALID_PARAMETER_VALUE',
          `Changing param values is not allowed. Param with key='${printable(c.key)}' was already logged with value='${printable(c.old)}' for run ID='${row.id}'. Attempted logging new value '${printable(c.new)}'.`,
          { field: 'params', key: c.key },
        );
      }
      const name = tags.findLast((t) => t.key === RUN_NAME_TAG)?.value;
      if (name !== undefined && name !== row.name) {
        await tx.tracking.updateRun(row.id, { name });
        await tx.events.append(domainEvent(clock, actor.name, 'run.updated', { type: 'run', id: row.id, projectId: row.project_id }, { before: { name: row.name }, after: { name } }));
      }
    });
  }

  async deleteTag(actor: Principal, runId: unknown, key: unknown): Promise<void> {
    const row = await this.activeRun(actor, runId);
    const k = checkKey('key', key);
    if ((await this.deps.store.tracking.deleteTag(row.id, k)) === 0) {
      throw notFound('TAG_NOT_FOUND', `No tag with name: ${k} in run with id ${row.id}`, { field: 'key' });
    }
  }

  /**
   * Datasets a run used (MLflow's log-inputs). A dataset is linked to a Steward dataset version of the run's
   * project when its digest is that version's SHA-256, or its source names one: `steward://<dataset>@<version>`,
   * or a URL of Steward's dataset API (`…/api/v1/datasets/<dataset>/versions/<version>…`), given as the source
   * itself or inside MLflow's JSON source (`{"url": …}`, `{"uri": …}`, `{"path": …}`).
   */
  async logInputs(actor: Principal, runId: unknown, input: { datasets?: unknown }): Promise<void> {
    const row = await this.activeRun(actor, runId);
    const items = checkList('datasets', input.datasets, 1000);
    const now = this.now();
    const rows: RunInputRow[] = [];
    for (const [i, item] of items.entries()) {
      const field = `datasets[${i}]`;
      if (item === null || typeof item !== 'object') throw invalidField(field, 'must be an object {dataset, tags}');
      const d = (item as { dataset?: unknown }).dataset;
      if (d === null || typeof d !== 'object') throw invalidField(`${field}.dataset`, 'is required');
      const ds = d as Record<string, unknown>;
      const tags = checkList(`${field}.tags`, (item as { tags?: unknown }).tags, 100).map((t, j) => checkTag(`${field}.tags[${j}]`, t));
      const name = checkValue(`${field}.dataset.name`, ds.name, 500);
      if (name === '') throw invalidField(`${field}.dataset.name`, 'must not be empty');
      const digest = checkValue(`${field}.dataset.digest`, ds.digest, 64);
      if (digest === '') throw invalidField(`${field}.dataset.digest`, 'must not be empty');
      const source = checkValue(`${field}.dataset.source`, ds.source ?? '', 65_535);
      rows.push({
        run_id: row.id,
        name,
        digest,
        source_type: checkValue(`${field}.dataset.source_type`, ds.source_type ?? '', 100),
        source,
        schema: ds.schema === undefined || ds.schema === null ? null : checkValue(`${field}.dataset.schema`, ds.schema, 1_048_576),
        profile: ds.profile === undefined || ds.profile === null ? null : checkValue(`${field}.dataset.profile`, ds.profile, 16_384),
        tags: JSON.stringify(tags),
        dataset_version_id: await this.linkedDatasetVersion(row.project_id, digest, source),
        created_at: now,
      });
    }
    await this.deps.store.transaction((tx) => tx.tracking.insertInputs(rows));
  }

  private async linkedDatasetVersion(projectId: string, digest: string, source: string): Promise<string | null> {
    const { datasets } = this.deps.store;
    for (const ref of datasetRefs(source)) {
      const ds = await datasets.get(projectId, ref.dataset);
      const v = ds ? await datasets.getVersion(ds.id, ref.version) : undefined;
      if (v) return v.id;
    }
    if (/^[0-9a-f]{64}$/.test(digest)) return (await this.deps.store.tracking.datasetVersionBySha(projectId, digest)) ?? null;
    return null;
  }

  /** MLflow's log-model: the model's JSON description is added to the run's `mlflow.log-model.history` tag. */
  async logModel(actor: Principal, runId: unknown, modelJson: unknown): Promise<void> {
    const text = checkValue('model_json', modelJson, 1_048_576);
    let model: unknown;
    try {
      model = JSON.parse(text);
    } catch {
      throw invalidField('model_json', 'is not valid JSON');
    }
    if (model === null || typeof model !== 'object' || Array.isArray(model)) throw invalidField('model_json', 'must be a JSON object');
    const row = await this.activeRun(actor, runId);
    await this.deps.store.transaction(async (tx) => {
      const data = (await tx.tracking.runData([row.id])).get(row.id)!;
      const existing = data.tags.find((t) => t.key === LOGGED_MODELS_TAG)?.value;
      let history: unknown[] = [];
      try {
        const parsed = existing ? (JSON.parse(existing) as unknown) : [];
        if (Array.isArray(parsed)) history = parsed;
      } catch {
        history = [];
      }
      history.push(model);
      const value = JSON.stringify(history);
      if (value.length > MAX_TAG_VALUE_LENGTH * 128) throw invalidField('model_json', 'the run has logged too many models to record another');
      // Stored as a tag like MLflow does; tags written here may exceed the API's tag limit.
      await tx.tracking.log(row.id, { metrics: [], params: [], tags: [{ key: LOGGED_MODELS_TAG, value }] });
    });
  }

  async metricHistory(actor: Principal, runId: unknown, input: { metricKey: unknown; maxResults?: unknown; pageToken?: unknown }): Promise<{ metrics: { key: string; value: number; timestamp: number; step: number }[]; nextPageToken: string | undefined }> {
    const row = await this.run(actor, runId);
    const key = checkKey('metric_key', input.metricKey);
    const limit = optionalInteger('max_results', input.maxResults, MAX_HISTORY_RESULTS, { min: 1 });
    if (limit > MAX_HISTORY_RESULTS) throw invalidField('max_results', `must be at most ${MAX_HISTORY_RESULTS}`);
    if (input.pageToken !== undefined && input.pageToken !== null && typeof input.pageToken !== 'string') throw invalidField('page_token', 'must be a string');
    let offset = 0;
    try {
      offset = decodePageToken(input.pageToken as string | null | undefined);
    } catch (err) {
      searchError('page_token', err);
    }
    const points = await this.deps.store.tracking.metricHistory(row.id, key, { offset, limit: limit + 1 });
    const more = points.length > limit;
    const page = points.slice(0, limit).map((p) => ({ key: p.key, value: p.is_nan ? NaN : p.value, timestamp: Number(p.timestamp), step: Number(p.step) }));
    return { metrics: page, nextPageToken: more ? encodePageToken(offset + limit) : undefined };
  }

  /**
   * Runs of the experiments given that match `filter`, in `order_by` order (MLflow's grammar), one page.
   * Experiments the caller cannot read are refused (403), unknown ones are 404.
   */
  async searchRuns(
    actor: Principal,
    scope: ProjectRow,
    input: { experimentIds: unknown; filter?: unknown; runViewType?: unknown; maxResults?: unknown; orderBy?: unknown; pageToken?: unknown },
  ): Promise<{ runs: RunRecord[]; nextPageToken: string | undefined }> {
    const ids = checkList('experiment_ids', input.experimentIds, 1000);
    if (ids.length === 0) throw invalidField('experiment_ids', 'must name at least one experiment');
    const experiments = await Promise.all(ids.map((id) => this.experiment(actor, scope, id)));
    const view = checkViewType('run_view_type', input.runViewType);
    const maxResults = optionalInteger('max_results', input.maxResults, DEFAULT_SEARCH_RESULTS, { min: 1 });
    if (maxResults > MAX_SEARCH_RESULTS) throw invalidField('max_results', `must be at most ${MAX_SEARCH_RESULTS}`);
    if (input.filter !== undefined && input.filter !== null && typeof input.filter !== 'string') throw invalidField('filter', 'must be a string');
    if (input.orderBy !== undefined && input.orderBy !== null && !Array.isArray(input.orderBy)) throw invalidField('order_by', 'must be a list of strings');
    let clauses;
    let order;
    try {
      clauses = parseRunFilter((input.filter as string | undefined) ?? undefined);
    } catch (err) {
      searchError('filter', err);
    }
    try {
      order = parseOrderBy((input.orderBy as string[] | undefined) ?? undefined);
    } catch (err) {
      searchError('order_by', err);
    }
    const runScope = { experimentIds: [...new Set(experiments.map((e) => Number(e.id)))], lifecycle: lifecycleOf(view) };
    return this.matchRuns(runScope, clauses, order, input.pageToken, maxResults, 'page_token');
  }

  /** One page of the runs in scope that match the clauses, in order; `tokenField` names the page token in errors. */
  private async matchRuns(
    runScope: { experimentIds: readonly number[]; lifecycle: Lifecycle },
    clauses: ReturnType<typeof parseRunFilter>,
    order: ReturnType<typeof parseOrderBy>,
    pageToken: unknown,
    maxResults: number,
    tokenField: string,
  ): Promise<{ runs: RunRecord[]; nextPageToken: string | undefined }> {
    // Filter and order on the keys the filter and order_by name; read everything else only for the page.
    const { tracking } = this.deps.store;
    const rows = await tracking.listRuns(runScope);
    const only = keysNamed(clauses, order);
    const data = await tracking.runDataInExperiments({ ...runScope, only });
    const matched: { row: RunRow; search: RunForSearch }[] = [];
    for (const row of rows) {
      const search = runForSearch({ row, data: data.get(row.id) ?? { params: [], tags: [], metrics: [], inputs: [] } });
      if (matchesRun(search, clauses)) matched.push({ row, search });
    }
    matched.sort((a, b) => compareRuns(a.search, b.search, order));
    let page;
    try {
      page = paginate(matched, typeof pageToken === 'string' ? pageToken : undefined, maxResults);
    } catch (err) {
      searchError(tokenField, err);
    }
    const full = await tracking.runData(page.items.map((m) => m.row.id));
    return { runs: page.items.map((m) => ({ row: m.row, data: full.get(m.row.id)! })), nextPageToken: page.nextPageToken };
  }

  /**
   * Runs side by side: each run's params, latest metrics and tags, which params differ, and the full
   * history of the metrics asked for (all metrics when none are named).
   */
  async compareRuns(actor: Principal, runIds: readonly string[], metricKeys?: readonly string[]): Promise<{
    runs: RunRecord[];
    differingParams: string[];
    histories: Record<string, Record<string, { step: number; timestamp: number; value: number }[]>>;
  }> {
    if (runIds.length < 1) throw invalidField('runs', 'name at least one run');
    if (runIds.length > 100) throw invalidField('runs', 'at most 100 runs can be compared at once');
    const rows = await Promise.all(runIds.map((id) => this.run(actor, id)));
    const data = await this.deps.store.tracking.runData(rows.map((r) => r.id));
    const runs = rows.map((row) => ({ row, data: data.get(row.id)! }));
    const paramKeys = new Set(runs.flatMap((r) => r.data.params.map((p) => p.key)));
    const differingParams = [...paramKeys]
      .filter((k) => new Set(runs.map((r) => r.data.params.find((p) => p.key === k)?.value ?? '\u0000absent')).size > 1)
      .sort();
    const keys = metricKeys && metricKeys.length > 0 ? metricKeys.map((k, i) => checkKey(`metrics[${i}]`, k)) : [...new Set(runs.flatMap((r) => r.data.metrics.map((m) => m.key)))].sort();
    const histories: Record<string, Record<string, { step: number; timestamp: number; value: number }[]>> = {};
    for (const r of runs) histories[r.row.id] = {};
    for (const p of await this.deps.store.tracking.metricHistories(rows.map((r) => r.id), keys)) {
      const byKey = histories[p.run_id]!;
      (byKey[p.key] ??= []).push({ step: Number(p.step), timestamp: Number(p.timestamp), value: p.is_nan ? NaN : p.value });
    }
    return { runs, differingParams, histories };
  }

  // ------------------------------------------------------------------------------------------------
  // Artifacts (MLflow's artifact proxy): "<experiment id>/<run id>/artifacts/<path>"
  // ------------------------------------------------------------------------------------------------

  /** The project an artifact path belongs to: that of the experiment named by its first part. */
  private async artifactProject(actor: Principal, path: string, needed: ProjectRole): Promise<string> {
    const first = path.split('/')[0] ?? '';
    if (!/^\d{1,15}$/.test(first)) {
      throw invalidField('path', `'${printable(path)}' does not start with an experiment id (artifact paths are <experiment id>/<run id>/artifacts/...)`);
    }
    const experiment = await this.deps.store.tracking.getExperiment(Number(first));
    if (!experiment) throw notFound('EXPERIMENT_NOT_FOUND', `No Experiment with id=${first} exists`, { field: 'path' });
    await this.deps.access.require(actor, experiment.project_id, needed);
    return experiment.project_id;
  }

  async putArtifact(actor: Principal, rawPath: unknown, body: AsyncIterable<Uint8Array>): Promise<TrackingArtifactRow> {
    const path = checkArtifactPath('path', rawPath);
    const projectId = await this.artifactProject(actor, path, 'contributor');
    const runId = path.split('/')[1];
    if (runId !== undefined && RUN_ID_PATTERN.test(runId)) {
      const run = await this.deps.store.tracking.getRun(runId);
      if (run && run.lifecycle_stage !== 'active') {
        throw invalid('INVALID_PARAMETER_VALUE', `The run ${run.id} must be in the 'active' state. Current state is ${run.lifecycle_stage}.`, { field: 'path' });
      }
    }
    const staged = await this.deps.artifacts.stage(body, { maxBytes: this.deps.maxArtifactBytes });
    try {
      await staged.commit();
    } catch (err) {
      await staged.discard();
      throw err;
    }
    const row: TrackingArtifactRow = { path, project_id: projectId, sha256: staged.sha256, size: staged.size, created_at: this.now(), created_by: actor.name };
    await this.deps.store.transaction(async (tx) => {
      // A file cannot also be a folder: refuse "a/b" when "a/b/c" exists and the other way round.
      if ((await tx.tracking.listArtifacts(path, 1)).length > 0) throw conflict('ARTIFACT_IS_FOLDER', `path: '${printable(path)}' is a folder of artifacts`, { field: 'path' });
      const parts = path.split('/');
      for (let i = 1; i < parts.length; i++) {
        if (await tx.tracking.getArtifact(parts.slice(0, i).join('/'))) {
          throw conflict('ARTIFACT_IS_FILE', `path: '${printable(parts.slice(0, i).join('/'))}' is a file, not a folder`, { field: 'path' });
        }
      }
      await tx.tracking.putArtifact(row);
    });
    return row;
  }

  async openArtifact(actor: Principal, rawPath: unknown): Promise<{ row: TrackingArtifactRow; opened: OpenedArtifact }> {
    const path = checkArtifactPath('path', rawPath);
    await this.artifactProject(actor, path, 'viewer');
    const row = await this.deps.store.tracking.getArtifact(path);
    if (!row) throw notFound('ARTIFACT_NOT_FOUND', `No artifact at '${printable(path)}'`, { field: 'path' });
    return { row, opened: await this.deps.artifacts.open(row.sha256) };
  }

  /** The direct children of a folder: files with their size, and sub-folders. */
  async listArtifacts(actor: Principal, rawPath: unknown): Promise<{ path: string; isDir: boolean; size?: number }[]> {
    const path = checkArtifactPath('path', rawPath, true);
    if (path === '') {
      // The root lists the experiments the caller can read.
      const visible = await this.deps.access.visibleProjectIds(actor);
      const experiments = await this.deps.store.tracking.listExperiments({ projectIds: visible === 'all' ? 'all' : [...visible], lifecycle: 'all' });
      return experiments.map((e) => ({ path: String(e.id), isDir: true }));
    }
    await this.artifactProject(actor, path, 'viewer');
    return this.childrenOf(path, await this.deps.store.tracking.listArtifacts(path, MAX_ARTIFACT_LIST));
  }

  private childrenOf(folder: string, rows: TrackingArtifactRow[]): { path: string; isDir: boolean; size?: number }[] {
    const out = new Map<string, { path: string; isDir: boolean; size?: number }>();
    const prefix = `${folder}/`;
    for (const r of rows) {
      const rest = r.path.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash < 0) out.set(rest, { path: rest, isDir: false, size: Number(r.size) });
      else out.set(rest.slice(0, slash), { path: rest.slice(0, slash), isDir: true });
    }
    return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Every file under a folder (for resolving a registered model's source). */
  async filesUnder(actor: Principal, rawPath: string): Promise<TrackingArtifactRow[]> {
    const path = checkArtifactPath('source', rawPath);
    await this.artifactProject(actor, path, 'viewer');
    const exact = await this.deps.store.tracking.getArtifact(path);
    if (exact) return [exact];
    return this.deps.store.tracking.listArtifacts(path, MAX_ARTIFACT_LIST);
  }

  async deleteArtifact(actor: Principal, rawPath: unknown): Promise<number> {
    const path = checkArtifactPath('path', rawPath);
    await this.artifactProject(actor, path, 'contributor');
    const n = await this.deps.store.transaction((tx) => tx.tracking.deleteArtifacts(path));
    if (n === 0) throw notFound('ARTIFACT_NOT_FOUND', `No artifact at '${printable(path)}'`, { field: 'path' });
    return n;
  }

  // ------------------------------------------------------------------------------------------------
  // Steward's own API (/api/v1/experiments, /api/v1/runs): the same objects as the views of
  // tracking-views.ts, with errors naming that API's fields (id, name, tags, view, filter, orderBy, ...)
  // ------------------------------------------------------------------------------------------------

  /** An experiment by its id in Steward's API (a positive integer: MLflow's "0" names none here), checked for the caller's role. */
  private async experimentById(actor: Principal, id: unknown, needed: ProjectRole): Promise<ExperimentRow> {
    const text = typeof id === 'number' ? String(id) : typeof id === 'string' ? id : '';
    const row = /^[1-9]\d{0,14}$/.test(text) ? await this.deps.store.tracking.getExperiment(Number(text)) : undefined;
    if (!row) throw notFound('EXPERIMENT_NOT_FOUND', `No experiment with id '${printable(text)}'`, { field: 'id' });
    await this.deps.access.require(actor, row.project_id, needed);
    return { ...row, id: Number(row.id) };
  }

  private async projectNames(ids: Iterable<string>): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const id of new Set(ids)) out.set(id, (await this.deps.store.projects.getById(id))?.name ?? id);
    return out;
  }

  private async experimentViews(rows: readonly ExperimentRow[]): Promise<ExperimentView[]> {
    const ids = rows.map((r) => Number(r.id));
    const [tags, counts, projects] = await Promise.all([
      this.deps.store.tracking.experimentTags(ids),
      this.deps.store.tracking.countRuns({ experimentIds: ids, lifecycle: 'active' }),
      this.projectNames(rows.map((r) => r.project_id)),
    ]);
    const byId = new Map<number, KeyValue[]>();
    for (const t of tags) (byId.get(t.experiment_id) ?? byId.set(t.experiment_id, []).get(t.experiment_id)!).push({ key: t.key, value: t.value });
    return rows.map((r) => experimentView(r, projects.get(r.project_id)!, byId.get(Number(r.id)) ?? [], counts.get(Number(r.id)) ?? 0));
  }

  private async experimentViewById(id: number): Promise<ExperimentView> {
    const row = await this.deps.store.tracking.getExperiment(id);
    if (!row) throw notFound('EXPERIMENT_NOT_FOUND', `No experiment with id '${id}'`, { field: 'id' });
    return (await this.experimentViews([row]))[0]!;
  }

  /** A project's experiments in a lifecycle stage (`view`: active, the default, deleted or all), most recently updated first. */
  async listExperimentViews(actor: Principal, project: ProjectRow, input: { view?: unknown }): Promise<ExperimentView[]> {
    await this.deps.access.require(actor, project.id, 'viewer');
    const lifecycle = checkLifecycle('view', input.view);
    const rows = await this.deps.store.tracking.listExperiments({ projectIds: [project.id], lifecycle });
    rows.sort((a, b) => Number(b.last_update_time) - Number(a.last_update_time) || Number(b.id) - Number(a.id));
    return this.experimentViews(rows);
  }

  /** Creates an experiment; `tags` is an object of string tags. */
  async createExperimentView(actor: Principal, project: ProjectRow, input: { name: unknown; tags?: unknown }): Promise<ExperimentView> {
    await this.deps.access.require(actor, project.id, 'contributor');
    const created = await this.createExperiment(actor, project, { name: input.name, tags: tagList('tags', input.tags) });
    return experimentView(created.row, project.name, created.tags, 0);
  }

  async experimentDetailView(actor: Principal, id: unknown): Promise<ExperimentView> {
    return (await this.experimentViews([await this.experimentById(actor, id, 'viewer')]))[0]!;
  }

  async renameExperimentView(actor: Principal, id: unknown, name: unknown): Promise<ExperimentView> {
    const row = await this.experimentById(actor, id, 'contributor');
    await this.renameRow(actor, row, name, 'name');
    return this.experimentViewById(Number(row.id));
  }

  /** Deletes (restorably: marks deleted, with its runs) or restores an experiment. Deleting twice is not an error. */
  async setExperimentStage(actor: Principal, id: unknown, stage: 'active' | 'deleted'): Promise<ExperimentView> {
    const row = await this.experimentById(actor, id, 'contributor');
    await this.changeLifecycle(actor, row, stage, 'id');
    return this.experimentViewById(Number(row.id));
  }

  /** Views of runs: with project names, the model versions registered from them and their inputs' dataset versions. */
  private async runViews(records: readonly RunRecord[]): Promise<RunView[]> {
    const datasetIds = records.flatMap((r) => r.data.inputs.flatMap((i) => (i.dataset_version_id === null ? [] : [i.dataset_version_id])));
    const [projects, versions, datasets] = await Promise.all([
      this.projectNames(records.map((r) => r.row.project_id)),
      this.deps.store.tracking.versionsFromRuns(records.map((r) => r.row.id)),
      this.deps.store.tracking.datasetVersionNames(datasetIds),
    ]);
    const projectOf = new Map(records.map((r) => [r.row.id, r.row.project_id]));
    const registered = new Map<string, { model: string; version: number }[]>();
    for (const v of versions) {
      // Only versions in the run's own project: a version's source_run is text any project's version may carry.
      if (projectOf.get(v.run_id) !== v.project_id) continue;
      (registered.get(v.run_id) ?? registered.set(v.run_id, []).get(v.run_id)!).push({ model: v.model, version: v.version });
    }
    const context: RunContext = {
      projects,
      registeredVersions: registered,
      datasetVersions: new Map(datasets.map((d) => [d.id, { dataset: d.dataset, version: d.version }])),
    };
    return records.map((r) => runView(r.row, r.data, context));
  }

  private async runViewOf(row: RunRow): Promise<RunView> {
    const data = (await this.deps.store.tracking.runData([row.id])).get(row.id)!;
    return (await this.runViews([{ row, data }]))[0]!;
  }

  /**
   * One page of an experiment's runs matching an MLflow filter, in `orderBy` order (MLflow's grammar), with the
   * metric, param and tag keys of all the experiment's runs in that view.
   */
  async searchRunViews(
    actor: Principal,
    experimentId: unknown,
    input: { filter?: unknown; orderBy?: unknown; maxResults?: unknown; pageToken?: unknown; view?: unknown },
  ): Promise<RunsPageView> {
    const experiment = await this.experimentById(actor, experimentId, 'viewer');
    const lifecycle = checkLifecycle('view', input.view);
    const maxResults = optionalInteger('maxResults', input.maxResults, DEFAULT_RUN_PAGE, { min: 1 });
    if (maxResults > MAX_RUN_PAGE) throw invalidField('maxResults', `must be at most ${MAX_RUN_PAGE}`);
    if (input.filter !== undefined && input.filter !== null && typeof input.filter !== 'string') throw invalidField('filter', 'must be a string');
    const orderBy: unknown[] = input.orderBy === undefined || input.orderBy === null ? [] : Array.isArray(input.orderBy) ? input.orderBy : [input.orderBy];
    if (orderBy.some((o) => typeof o !== 'string')) throw invalidField('orderBy', 'must be a list of strings');
    if (input.pageToken !== undefined && input.pageToken !== null && typeof input.pageToken !== 'string') throw invalidField('pageToken', 'must be a string');
    let clauses;
    let order;
    try {
      clauses = parseRunFilter((input.filter as string | null | undefined) ?? undefined);
    } catch (err) {
      searchError('filter', err);
    }
    try {
      order = parseOrderBy(orderBy as string[]);
    } catch (err) {
      searchError('orderBy', err);
    }
    const page = await this.matchRuns({ experimentIds: [Number(experiment.id)], lifecycle }, clauses, order, input.pageToken, maxResults, 'pageToken');
    const items = await this.runViews(page.runs);
    // The columns a table can offer: every key of the experiment's runs, not only of this page's.
    const keys = await this.deps.store.tracking.keysInExperiment(Number(experiment.id), lifecycle);
    return {
      items,
      ...(page.nextPageToken !== undefined ? { nextPageToken: page.nextPageToken } : {}),
      metricKeys: keys.metrics,
      paramKeys: keys.params,
      tagKeys: keys.tags.filter((k) => k !== LOGGED_MODELS_TAG),
    };
  }

  /** A run with its nested runs (those in its project). */
  async runDetailView(actor: Principal, runId: unknown): Promise<RunDetailView> {
    const row = await this.runById(actor, runId, 'viewer', 'id');
    const [view, children] = await Promise.all([this.runViewOf(row), this.deps.store.tracking.childRuns(row.id)]);
    return { ...view, children: children.filter((c) => c.project_id === row.project_id).map((c) => ({ id: c.id, name: c.name, status: c.status })) };
  }

  /** Deletes (restorably) or restores a run. */
  async setRunStage(actor: Principal, runId: unknown, stage: 'active' | 'deleted'): Promise<RunView> {
    const row = await this.runById(actor, runId, 'contributor', 'id');
    await this.setRunLifecycle(actor, row.id, stage);
    return this.runViewOf((await this.deps.store.tracking.getRun(row.id))!);
  }

  /** One page of a metric's points, by step then timestamp (an unknown key has none). */
  async metricHistoryView(actor: Principal, runId: unknown, metricKey: unknown, input: { maxResults?: unknown; pageToken?: unknown }): Promise<MetricHistoryView> {
    const row = await this.runById(actor, runId, 'viewer', 'id');
    const key = checkKey('key', metricKey);
    const limit = optionalInteger('maxResults', input.maxResults, MAX_HISTORY_RESULTS, { min: 1 });
    if (limit > MAX_HISTORY_RESULTS) throw invalidField('maxResults', `must be at most ${MAX_HISTORY_RESULTS}`);
    if (input.pageToken !== undefined && input.pageToken !== null && typeof input.pageToken !== 'string') throw invalidField('pageToken', 'must be a string');
    let offset = 0;
    try {
      offset = decodePageToken((input.pageToken as string | null | undefined) || undefined);
    } catch (err) {
      searchError('pageToken', err);
    }
    const points = await this.deps.store.tracking.metricHistory(row.id, key, { offset, limit: limit + 1 });
    const more = points.length > limit;
    return { key, points: points.slice(0, limit).map(metricPointView), ...(more ? { nextPageToken: encodePageToken(offset + limit) } : {}) };
  }

  /**
   * Where a run's files are in the artifact index: the path of its artifact_uri when that is under Steward's
   * proxy (`mlflow-artifacts:/<experiment id>/<run id>/artifacts`), else `<experiment id>/<run id>/artifacts`.
   */
  private runArtifactRoot(row: RunRow): string {
    const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(row.artifact_uri);
    if (m) {
      try {
        const path = checkArtifactPath('artifact_uri', m[1]);
        if (/^\d{1,15}$/.test(path.split('/')[0]!)) return path;
      } catch {
        // not a path of the index: use the default place
      }
    }
    return `${row.experiment_id}/${row.id}/artifacts`;
  }

  /** The files and folders directly in a folder of a run's artifacts (`path` relative to the run's root; '' is the root). */
  async runArtifactsView(actor: Principal, runId: unknown, rawPath: unknown): Promise<ArtifactListView> {
    const row = await this.runById(actor, runId, 'viewer', 'id');
    const path = checkArtifactPath('path', rawPath, true);
    const root = this.runArtifactRoot(row);
    const entries = await this.listArtifacts(actor, path === '' ? root : `${root}/${path}`);
    return { path, files: entries.map((e) => ({ ...e, path: path === '' ? e.path : `${path}/${e.path}` })) };
  }

  /** One file of a run's artifacts (`path` relative to the run's root), opened for reading. */
  async openRunArtifact(actor: Principal, runId: unknown, rawPath: unknown): Promise<{ path: string; opened: OpenedArtifact }> {
    const row = await this.runById(actor, runId, 'viewer', 'id');
    const path = checkArtifactPath('path', rawPath);
    const full = `${this.runArtifactRoot(row)}/${path}`;
    await this.artifactProject(actor, full, 'viewer');
    const found = await this.deps.store.tracking.getArtifact(full);
    if (!found) throw notFound('ARTIFACT_NOT_FOUND', `No artifact at '${printable(path)}' in run ${row.id}`, { field: 'path' });
    return { path, opened: await this.deps.artifacts.open(found.sha256) };
  }

  /**
   * Runs side by side (`runs`: comma-separated ids): their views, the params whose values differ, the union of
   * their metric and param keys, and the history of each metric named in `metrics` (all when none), run by run.
   */
  async compareRunViews(actor: Principal, input: { runs: unknown; metrics?: unknown }): Promise<RunComparisonView> {
    const ids = [...new Set(commaList('runs', input.runs))];
    if (ids.length === 0) throw invalidField('runs', 'name at least one run id (comma-separated)');
    if (ids.length > 100) throw invalidField('runs', 'at most 100 runs can be compared at once');
    const metrics = commaList('metrics', input.metrics).map((k) => checkKey('metrics', k));
    for (const id of ids) await this.runById(actor, id, 'viewer', 'runs');
    const compared = await this.compareRuns(actor, ids, metrics);
    const runs = await this.runViews(compared.runs);
    const keys = columnKeys(runs);
    const wanted = metrics.length > 0 ? [...new Set(metrics)] : keys.metricKeys;
    const histories: Record<string, Record<string, MetricPointView[]>> = {};
    for (const r of runs) {
      const byKey: Record<string, MetricPointView[]> = {};
      for (const key of wanted) {
        byKey[key] = (compared.histories[r.id]?.[key] ?? []).map((p) => ({ step: p.step, timestamp: isoOf(p.timestamp), ...metricValue(p.value, false) }));
      }
      histories[r.id] = byKey;
    }
    return { runs, differingParams: compared.differingParams, metricKeys: keys.metricKeys, paramKeys: keys.paramKeys, histories };
  }
}

/** Tags given as an object of strings ({"team": "risk"}), as the service's list of {key, value}. */
function tagList(field: string, value: unknown): KeyValue[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidField(field, 'must be an object of string tags');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_BATCH_TAGS) throw invalidField(field, `has ${entries.length} tags; at most ${MAX_BATCH_TAGS} are allowed`);
  return entries.map(([key, v]) => ({ key: checkKey(field, key), value: checkValue(`${field}.${printable(key)}`, v, MAX_TAG_VALUE_LENGTH) }));
}

/** A comma-separated list (or several, from a repeated query parameter): the non-empty items, trimmed. */
function commaList(field: string, value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const parts = Array.isArray(value) ? value : [value];
  if (parts.some((p) => typeof p !== 'string')) throw invalidField(field, 'must be a comma-separated list');
  return (parts as string[]).flatMap((p) => p.split(',')).map((p) => p.trim()).filter((p) => p !== '');
}

/** Experiments' order_by: name, creation_time, last_update_time or experiment_id, with ASC/DESC. */
function checkExperimentOrder(value: unknown): { column: 'name' | 'creation_time' | 'last_update_time' | 'id'; ascending: boolean }[] {
  if (value === undefined || value === null) return [{ column: 'last_update_time', ascending: false }];
  if (!Array.isArray(value)) throw invalidField('order_by', 'must be a list of strings');
  const columns = { name: 'name', creation_time: 'creation_time', last_update_time: 'last_update_time', experiment_id: 'id' } as const;
  return value.map((item, i) => {
    const m = typeof item === 'string' ? /^\s*(?:attributes?\.)?(\w+)\s*(ASC|DESC)?\s*$/i.exec(item) : null;
    const column = m ? columns[m[1]!.toLowerCase() as keyof typeof columns] : undefined;
    if (!m || column === undefined) {
      throw invalid('INVALID_PARAMETER_VALUE', `order_by[${i}]: '${printable(String(item))}' is not valid: use name, creation_time, last_update_time or experiment_id, then ASC or DESC`, { field: `order_by[${i}]` });
    }
    return { column, ascending: (m[2] ?? 'ASC').toUpperCase() === 'ASC' };
  });
}

