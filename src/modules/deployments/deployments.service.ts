/**
 * Deployments: named endpoints whose routing spec changes only by adding a revision (who, when, why).
 * A change is checked (weights, READY versions, aliases), its runtimes are loaded and warmed, and only then
 * is the revision committed and swapped in; a change that fails leaves the live revision untouched.
 * Targets bound to an alias follow it: moving the alias writes a new revision in the same transaction.
 */
import type { MetadataStore, Repositories } from '../../db/metadata-store.js';
import { isUniqueViolation } from '../../db/executor.js';
import type { DeploymentRevisionRow, DeploymentRow, ModelVersionRow, ProjectRow } from '../../db/schema.js';
import { isoTime, type Clock } from '../../platform/clock.js';
import { conflict, DomainError, invalidField, notFound, unprocessable } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { Logger } from '../../platform/logger.js';
import { checkName, printable } from '../../platform/names.js';
import type { Principal } from '../../platform/principal.js';
import { asObject, isVersionNumber, MAX_INT32, onlyKeys, optionalString } from '../../platform/validate.js';
import { SPEC_DEFAULTS, type DeploymentSpec, type SpecTarget } from '../../serving/deployment-spec.js';
import type { LiveDeployments, LiveRevision } from '../../serving/live-deployments.js';
import { runtimeSourceOf, type RuntimeSource } from '../../serving/runtimes.js';
import { isRecordOnlyFlavor } from '../../runtime/model-inspector.js';
import { TRAFFIC_SECONDS, type TrafficPoint, type TrafficStats } from '../../serving/traffic-stats.js';
import { PolicyNotSatisfied, type PolicyGuard } from '../governance/policy-guard.js';
import { domainEvent } from '../events/domain-event.js';
import { resolveProject } from '../projects/projects.service.js';

export interface DeploymentView {
  name: string;
  project: string;
  revision: number;
  spec: DeploymentSpec;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
  /** Whether this process serves the current revision (false while it loads, or when it failed to load). */
  live: boolean;
  liveRevision: number | null;
}

export interface RevisionView {
  revision: number;
  spec: DeploymentSpec;
  cause: string;
  comment: string;
  createdAt: string;
  createdBy: string;
  current: boolean;
}

interface TargetInput {
  model: string;
  version?: number;
  alias?: string;
  weight: number;
}

const BODY_KEYS = ['targets', 'shadow', 'batching', 'public', 'timeoutMs', 'maxQueue', 'comment'] as const;

function parseTarget(field: string, value: unknown, shadow: boolean): TargetInput {
  const o = asObject(field, value);
  onlyKeys(field, o, shadow ? ['model', 'version', 'alias'] : ['model', 'version', 'alias', 'weight']);
  const model = checkName(`${field}.model`, o.model);
  if ((o.version === undefined) === (o.alias === undefined)) throw invalidField(field, 'needs exactly one of version and alias');
  let version: number | undefined;
  if (o.version !== undefined) {
    const v = typeof o.version === 'string' && isVersionNumber(o.version) ? Number(o.version) : o.version;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_INT32) throw invalidField(`${field}.version`, `must be a version number from 1 to ${MAX_INT32}`);
    version = v;
  }
  const alias = o.alias === undefined ? undefined : checkName(`${field}.alias`, typeof o.alias === 'string' && o.alias.startsWith('@') ? o.alias.slice(1) : o.alias);
  let weight = 0;
  if (!shadow) {
    if (typeof o.weight !== 'number' || !Number.isInteger(o.weight) || o.weight < 0 || o.weight > 100) throw invalidField(`${field}.weight`, 'must be an integer from 0 to 100');
    weight = o.weight;
  }
  return { model, ...(version !== undefined ? { version } : {}), ...(alias !== undefined ? { alias } : {}), weight };
}

function intSetting(field: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw invalidField(field, `must be an integer from ${min} to ${max}`);
  return value;
}

/** The PUT body, checked field by field (before anything is looked up). */
export function parseDeploymentBody(body: unknown): {
  targets: TargetInput[];
  shadow: TargetInput[];
  batching: DeploymentSpec['batching'];
  public: boolean;
  timeoutMs: number;
  maxQueue: number;
  comment: string;
} {
  const o = asObject('body', body);
  onlyKeys('body', o, BODY_KEYS);
  if (!Array.isArray(o.targets) || o.targets.length === 0) throw invalidField('targets', 'must be a non-empty array of {model, version | alias, weight}');
  if (o.targets.length > 16) throw invalidField('targets', 'at most 16 targets');
  const targets = o.targets.map((t, i) => parseTarget(`targets[${i}]`, t, false));
  const sum = targets.reduce((a, t) => a + t.weight, 0);
  if (sum !== 100) throw invalidField('targets', `the weights must sum to 100; they sum to ${sum}`, 'INVALID_WEIGHTS');
  let shadow: TargetInput[] = [];
  if (o.shadow !== undefined) {
    if (!Array.isArray(o.shadow)) throw invalidField('shadow', 'must be an array of {model, version | alias}');
    if (o.shadow.length > 8) throw invalidField('shadow', 'at most 8 shadow targets');
    shadow = o.shadow.map((t, i) => parseTarget(`shadow[${i}]`, t, true));
  }
  let batching: DeploymentSpec['batching'] = null;
  if (o.batching !== undefined && o.batching !== null) {
    const b = asObject('batching', o.batching);
    onlyKeys('batching', b, ['maxBatchSize', 'maxDelayMicros']);
    batching = {
      maxBatchSize: intSetting('batching.maxBatchSize', b.maxBatchSize, 1, 100_000, 64),
      maxDelayMicros: intSetting('batching.maxDelayMicros', b.maxDelayMicros, 0, 1_000_000, 1_000),
    };
  }
  if (o.public !== undefined && typeof o.public !== 'boolean') throw invalidField('public', 'must be true or false');
  return {
    targets,
    shadow,
    batching,
    public: o.public === true,
    timeoutMs: intSetting('timeoutMs', o.timeoutMs, 1, 600_000, SPEC_DEFAULTS.timeoutMs),
    maxQueue: intSetting('maxQueue', o.maxQueue, 1, 1_000_000, SPEC_DEFAULTS.maxQueue),
    comment: optionalString('comment', o.comment, 2_000) ?? '',
  };
}

function revisionView(r: DeploymentRevisionRow, current: number): RevisionView {
  return { revision: Number(r.revision), spec: JSON.parse(r.spec) as DeploymentSpec, cause: r.cause, comment: r.comment, createdAt: r.created_at, createdBy: r.created_by, current: Number(r.revision) === current };
}

export interface DeploymentsDeps {
  store: MetadataStore;
  live: LiveDeployments;
  traffic: TrafficStats;
  clock: Clock;
  logger: Logger;
  /** The policy check every version newly given traffic passes, inside the transaction that writes the revision. */
  guard: PolicyGuard;
}

/** Targets that get requests (weight above 0) and shadows: the versions a revision serves. */
function servedBy(spec: DeploymentSpec): SpecTarget[] {
  return [...spec.targets.filter((t) => t.weight > 0), ...spec.shadow];
}

export class DeploymentsService {
  /** One change at a time per process, so that builds and swaps happen in commit order. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: DeploymentsDeps) {}

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** What a runtime needs to load a version (used by the route table when it builds a revision). */
  async runtimeSource(modelId: string, version: number): Promise<RuntimeSource> {
    const row = await this.deps.store.versions.get(modelId, version);
    if (!row) throw notFound('MODEL_VERSION_NOT_FOUND', `model version ${version} no longer exists`);
    return runtimeSourceOf(row);
  }

  /** Resolves targets to READY versions, inside the transaction that will write the revision. */
  private async resolveTargets(tx: Repositories, project: ProjectRow, inputs: TargetInput[], field: string): Promise<SpecTarget[]> {
    const out: SpecTarget[] = [];
    for (const [i, t] of inputs.entries()) {
      const f = `${field}[${i}]`;
      const model = await tx.models.get(project.id, t.model);
      if (!model) throw invalidField(`${f}.model`, `there is no model named '${t.model}' in project '${project.name}'`, 'MODEL_NOT_FOUND');
      let version = t.version;
      if (t.alias !== undefined) {
        const a = await tx.aliases.get(model.id, t.alias);
        if (!a) throw invalidField(`${f}.alias`, `model '${t.model}' has no alias '${t.alias}'`, 'ALIAS_NOT_FOUND');
        version = Number(a.version);
      }
      const row = await tx.versions.get(model.id, version!);
      if (!row) throw invalidField(`${f}.version`, `model '${t.model}' has no version ${version}`, 'MODEL_VERSION_NOT_FOUND');
      if (row.status !== 'READY') throw conflict('VERSION_NOT_READY', `${f}: version ${version} of '${t.model}' is ${row.status}; only READY versions can be deployed`, { field: f });
      await refuseUnservable(tx, row, t.model, f);
      if (out.some((o) => o.modelId === model.id && o.version === version)) throw invalidField(f, `${t.model} version ${version} is listed twice`);
      out.push({ model: t.model, modelId: model.id, version: version!, alias: t.alias ?? null, weight: t.weight });
    }
    return out;
  }

  /** Creates the deployment or adds a revision to it (PUT). Answers once the new revision serves. */
  async apply(actor: Principal, projectName: string | undefined, name: string, body: unknown): Promise<DeploymentView> {
    checkName('name', name);
    const input = parseDeploymentBody(body);
    return this.serial(async () => {
      const { store } = this.deps;
      const project = await resolveProject(store, projectName);
      // Resolve and build before committing, so that a model that fails to load changes nothing.
      const draft = await store.transaction(async (tx) => {
        const targets = await this.resolveTargets(tx, project, input.targets, 'targets');
        const shadow = await this.resolveTargets(tx, project, input.shadow, 'shadow');
        const existing = await tx.deployments.get(project.id, name);
        // Refuse a change the policy does not allow before loading any model (checked again when written).
        await this.checkServing(tx, project, name, existing, { targets, shadow }, 'check', undefined, actor.name);
        return { targets, shadow, existing };
      });
      const spec: DeploymentSpec = { targets: draft.targets, shadow: draft.shadow, batching: input.batching, public: input.public, timeoutMs: input.timeoutMs, maxQueue: input.maxQueue };
      return this.commitRevision(actor.name, project, name, draft.existing?.id ?? newId(this.deps.clock.now()), spec, 'update', input.comment, draft.existing ? Number(draft.existing.current_revision) : 0);
    });
  }

  /**
   * Builds the revision's runtimes, then writes it if the deployment is still at `expectedRevision`
   * (0 = does not exist yet), then makes it live.
   */
  private async commitRevision(
    actor: string,
    project: ProjectRow,
    name: string,
    deploymentId: string,
    spec: DeploymentSpec,
    cause: string,
    comment: string,
    expectedRevision: number,
  ): Promise<DeploymentView> {
    const { store, clock, live } = this.deps;
    const revision = expectedRevision + 1;
    let built: LiveRevision;
    try {
      built = await live.build({ deploymentId, project: project.name, name, revision, spec });
    } catch (err) {
      if (err instanceof DomainError) throw err;
      throw unprocessable('DEPLOYMENT_LOAD_FAILED', `the new revision could not be loaded, so the deployment is unchanged: ${(err as Error).message}`);
    }
    try {
      const row = await store.transaction(async (tx) => {
        const now = isoTime(clock);
        if (cause === 'update') {
          // The aliases were resolved before the models loaded; one that moved meanwhile would leave the
          // deployment following it on the old version.
          for (const t of [...spec.targets, ...spec.shadow]) {
            if (t.alias === null) continue;
            const a = await tx.aliases.get(t.modelId, t.alias);
            if (!a || Number(a.version) !== t.version) throw conflict('DEPLOYMENT_CHANGED', `alias '${t.alias}' of '${t.model}' moved while the new revision was loading; send the change again`);
          }
        }
        let dep = await tx.deployments.get(project.id, name);
        if (expectedRevision === 0) {
          if (dep) throw conflict('DEPLOYMENT_CHANGED', `deployment '${name}' was created by someone else meanwhile; read it and try again`);
          dep = { id: deploymentId, project_id: project.id, name, current_revision: revision, created_at: now, created_by: actor, updated_at: now, updated_by: actor };
          await tx.deployments.insert(dep);
        } else {
          if (!dep || !(await tx.deployments.advance(dep.id, expectedRevision, revision, now, actor))) {
            throw conflict('DEPLOYMENT_CHANGED', `deployment '${name}' changed meanwhile (it is no longer at revision ${expectedRevision}); read it and try again`);
          }
          dep = { ...dep, current_revision: revision, updated_at: now, updated_by: actor };
        }
        await this.writeRevision(tx, dep, project, revision, spec, cause, comment, actor);
        return dep;
      });
      live.install(built);
      return this.view(row, project.name, spec);
    } catch (err) {
      live.discard(built);
      if (isUniqueViolation(err)) throw conflict('DEPLOYMENT_CHANGED', `deployment '${name}' changed meanwhile; read it and try again`);
      throw err;
    }
  }

  /**
   * Every version the new spec serves that the deployment's current revision does not must satisfy the
   * policy's deployment rule ('check': evaluate only; 'enforce': also mark the request that carried the
   * approvals executed). Traffic taken away needs nothing.
   */
  private async checkServing(
    tx: Repositories,
    project: ProjectRow,
    name: string,
    current: DeploymentRow | undefined,
    spec: Pick<DeploymentSpec, 'targets' | 'shadow'>,
    mode: 'check' | 'enforce',
    viaAlias: string | undefined,
    actor: string,
  ): Promise<DeploymentSpec | null> {
    const before = current ? await tx.deployments.getRevision(current.id, Number(current.current_revision)) : undefined;
    const previous = before ? (JSON.parse(before.spec) as DeploymentSpec) : null;
    const old = previous ? servedBy(previous) : [];
    for (const t of servedBy(spec as DeploymentSpec)) {
      if (old.some((o) => o.modelId === t.modelId && o.version === t.version)) continue;
      const model = await tx.models.getById(t.modelId);
      const version = await tx.versions.get(t.modelId, t.version);
      if (!model || !version) continue; // resolveTargets has refused these already
      const subject = { project, model, version };
      const move = { kind: 'deployment' as const, target: name, ...(viaAlias !== undefined ? { viaAlias } : {}) };
      if (mode === 'enforce') await this.deps.guard.enforce(tx, subject, move, actor);
      else {
        const evaluation = await this.deps.guard.evaluate(tx, subject, move);
        if (!evaluation.satisfied) throw new PolicyNotSatisfied(subject, move, evaluation);
      }
    }
    return previous;
  }

  private async writeRevision(
    tx: Repositories,
    dep: DeploymentRow,
    project: ProjectRow,
    revision: number,
    spec: DeploymentSpec,
    cause: string,
    comment: string,
    actor: string,
    viaAlias?: string,
  ): Promise<void> {
    const { clock } = this.deps;
    // The deployment as it was before this revision (none when it is being created).
    const previous = revision > 1 ? { ...dep, current_revision: revision - 1 } : undefined;
    const before = await this.checkServing(tx, project, dep.name, previous, spec, 'enforce', viaAlias, actor);
    await tx.deployments.insertRevision({ id: newId(clock.now()), deployment_id: dep.id, revision, spec: JSON.stringify(spec), cause, comment, created_at: isoTime(clock), created_by: actor });
    await tx.deployments.setBindings(dep.id, [...spec.targets, ...spec.shadow].filter((t) => t.alias !== null).map((t) => ({ modelId: t.modelId, alias: t.alias! })));
    await tx.events.append(
      domainEvent(clock, actor, 'deployment.revised', { type: 'deployment', id: dep.id, projectId: project.id }, {
        deployment: dep.name,
        revision,
        cause,
        comment,
        spec,
        before: before && { revision: revision - 1, spec: before },
      }),
    );
  }

  private view(row: DeploymentRow, project: string, spec: DeploymentSpec): DeploymentView {
    const liveRevision = this.deps.live.get(project, row.name);
    return {
      name: row.name,
      project,
      revision: Number(row.current_revision),
      spec,
      createdAt: row.created_at,
      createdBy: row.created_by,
      updatedAt: row.updated_at,
      updatedBy: row.updated_by,
      live: liveRevision?.revision === Number(row.current_revision),
      liveRevision: liveRevision?.revision ?? null,
    };
  }

  private async resolve(projectName: string | undefined, name: string, tx: Repositories = this.deps.store): Promise<{ project: ProjectRow; dep: DeploymentRow }> {
    const project = await resolveProject(tx, projectName);
    checkName('name', name);
    const dep = await tx.deployments.get(project.id, name);
    if (!dep) throw notFound('DEPLOYMENT_NOT_FOUND', `there is no deployment named '${printable(name)}' in project '${project.name}'`, { deployment: name, project: project.name });
    return { project, dep };
  }

  async get(projectName: string | undefined, name: string): Promise<DeploymentView> {
    const { project, dep } = await this.resolve(projectName, name);
    const rev = await this.deps.store.deployments.getRevision(dep.id, Number(dep.current_revision));
    return this.view(dep, project.name, JSON.parse(rev!.spec) as DeploymentSpec);
  }

  async list(projectName: string | undefined): Promise<DeploymentView[]> {
    const { store } = this.deps;
    const project = await resolveProject(store, projectName);
    const rows = await store.deployments.list(project.id);
    const specs = new Map((await store.deployments.live()).map((l) => [`${l.id}:${l.revision}`, l.spec]));
    return Promise.all(
      rows.map(async (r) => {
        // Read together with the rows when they agree; a revision written in between is read by itself.
        const text = specs.get(`${r.id}:${Number(r.current_revision)}`) ?? (await store.deployments.getRevision(r.id, Number(r.current_revision)))!.spec;
        return this.view(r, project.name, JSON.parse(text) as DeploymentSpec);
      }),
    );
  }

  async revisions(projectName: string | undefined, name: string): Promise<RevisionView[]> {
    const { dep } = await this.resolve(projectName, name);
    return (await this.deps.store.deployments.revisions(dep.id)).map((r) => revisionView(r, Number(dep.current_revision)));
  }

  /**
   * Recent traffic as served by this process: requests, errors and latency percentiles per step, over the
   * last `seconds` (at most 900).
   */
  async traffic(projectName: string | undefined, name: string, input: { seconds?: number; step?: number }): Promise<{ seconds: number; step: number; points: TrafficPoint[] }> {
    const { project } = await this.resolve(projectName, name);
    const seconds = input.seconds ?? 300;
    const step = input.step ?? Math.max(1, Math.round(seconds / 60));
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > TRAFFIC_SECONDS) throw invalidField('seconds', `must be an integer from 1 to ${TRAFFIC_SECONDS}`);
    if (!Number.isInteger(step) || step < 1 || step > seconds) throw invalidField('step', 'must be an integer from 1 to seconds');
    return { seconds, step, points: this.deps.traffic.series(`${project.name}/${name}`, seconds, step) };
  }

  /** A new revision with the spec of an earlier one (the one before the current when none is named). */
  async rollback(actor: Principal, projectName: string | undefined, name: string, body: { revision?: unknown; comment?: unknown } | undefined): Promise<DeploymentView> {
    const b = body ?? {};
    const comment = optionalString('comment', b.comment, 2_000) ?? '';
    if (b.revision !== undefined && (typeof b.revision !== 'number' || !Number.isInteger(b.revision) || b.revision < 1 || b.revision > MAX_INT32)) {
      throw invalidField('revision', `must be a revision number from 1 to ${MAX_INT32}`);
    }
    return this.serial(async () => {
      const { project, dep } = await this.resolve(projectName, name);
      const current = Number(dep.current_revision);
      const wanted = (b.revision as number | undefined) ?? current - 1;
      if (wanted < 1) throw conflict('NOTHING_TO_ROLL_BACK', `deployment '${name}' has only one revision; there is nothing earlier to return to`);
      if (wanted === current) throw invalidField('revision', `revision ${wanted} is already the current one`);
      const target = await this.deps.store.deployments.getRevision(dep.id, wanted);
      if (!target) throw notFound('REVISION_NOT_FOUND', `deployment '${name}' has no revision ${wanted}`, { field: 'revision' });
      const spec = JSON.parse(target.spec) as DeploymentSpec;
      // The versions of that revision must still be servable.
      await this.deps.store.transaction(async (tx) => {
        for (const [i, t] of [...spec.targets, ...spec.shadow].entries()) {
          const row = await tx.versions.get(t.modelId, t.version);
          if (!row || row.status !== 'READY') throw conflict('VERSION_NOT_READY', `revision ${wanted} serves ${t.model} version ${t.version}, which is no longer READY`, { index: i });
        }
        await this.checkServing(tx, project, name, dep, spec, 'check', undefined, actor.name);
      });
      return this.commitRevision(actor.name, project, name, dep.id, spec, 'rollback', `rollback to revision ${wanted}${comment ? `: ${comment}` : ''}`, current);
    });
  }

  async remove(actor: Principal, projectName: string | undefined, name: string): Promise<{ name: string; project: string; lastRevision: number }> {
    return this.serial(async () => {
      const { store, clock, live } = this.deps;
      const result = await store.transaction(async (tx) => {
        const { project, dep } = await this.resolve(projectName, name, tx);
        await tx.deployments.delete(dep.id);
        await tx.events.append(domainEvent(clock, actor.name, 'deployment.deleted', { type: 'deployment', id: dep.id, projectId: project.id }, { deployment: name, lastRevision: Number(dep.current_revision) }));
        return { name, project: project.name, lastRevision: Number(dep.current_revision) };
      });
      live.remove(result.project, name);
      this.deps.traffic.forget(`${result.project}/${name}`);
      return result;
    });
  }

  /**
   * Called by the registry inside the transaction that moves an alias: every deployment following it gets a
   * revision that serves the alias's new version. Refuses to delete an alias that deployments follow.
   */
  async onAliasMoved(tx: Repositories, actor: string, modelId: string, alias: string, version: number | null): Promise<void> {
    const bound = await tx.deployments.boundTo(modelId, alias);
    if (bound.length === 0) return;
    if (version === null) {
      throw conflict('ALIAS_IN_USE', `alias '${alias}' is followed by deployment${bound.length > 1 ? 's' : ''} ${bound.map((d) => `'${d.name}'`).join(', ')}; change or delete them first`);
    }
    const row = await tx.versions.get(modelId, version);
    if (row) {
      const model = await tx.models.getById(modelId);
      await refuseUnservable(tx, row, model?.name ?? modelId, `alias '${alias}'`, ` (deployment${bound.length > 1 ? 's' : ''} ${bound.map((d) => `'${d.name}'`).join(', ')} follow${bound.length > 1 ? '' : 's'} it)`);
    }
    for (const dep of bound) {
      const current = await tx.deployments.getRevision(dep.id, Number(dep.current_revision));
      const spec = JSON.parse(current!.spec) as DeploymentSpec;
      const follow = (t: SpecTarget): SpecTarget => (t.modelId === modelId && t.alias === alias ? { ...t, version } : t);
      const next: DeploymentSpec = { ...spec, targets: spec.targets.map(follow), shadow: spec.shadow.map(follow) };
      const twice = (list: SpecTarget[]) => list.some((t, i) => list.findIndex((o) => o.modelId === t.modelId && o.version === t.version) !== i);
      if (twice(next.targets) || twice(next.shadow)) {
        throw conflict('ALIAS_MOVE_CONFLICT', `moving '${alias}' to version ${version} would make deployment '${dep.name}' list that version twice; change the deployment first`);
      }
      const revision = Number(dep.current_revision) + 1;
      const now = isoTime(this.deps.clock);
      if (!(await tx.deployments.advance(dep.id, Number(dep.current_revision), revision, now, actor))) throw conflict('DEPLOYMENT_CHANGED', `deployment '${dep.name}' changed meanwhile; try again`);
      const project = await tx.projects.getById(dep.project_id);
      await this.writeRevision(tx, { ...dep, current_revision: revision }, project!, revision, next, 'alias', `alias '${alias}' moved to version ${version}`, actor, alias);
    }
  }

  /**
   * Brings this process's route table in line with the database: builds and installs revisions it does not
   * serve yet (written by an alias move, or by another process), removes deleted deployments. Failures
   * are logged and retried on the next call; the old revision keeps serving meanwhile.
   */
  sync(): Promise<void> {
    return this.serial(async () => {
      const { store, live, logger } = this.deps;
      const rows = await store.deployments.live();
      const seen = new Set<string>();
      for (const row of rows) {
        const key = `${row.project}/${row.name}`;
        seen.add(key);
        const current = live.get(row.project, row.name);
        if (current && current.revision === Number(row.revision) && current.deploymentId === row.id) continue;
        try {
          const built = await live.build({ deploymentId: row.id, project: row.project, name: row.name, revision: Number(row.revision), spec: JSON.parse(row.spec) as DeploymentSpec });
          live.install(built);
        } catch (err) {
          logger.error({ err, deployment: key, revision: row.revision }, 'could not load a deployment revision; the previous one keeps serving');
        }
      }
      for (const r of live.all()) if (!seen.has(r.key)) live.remove(r.project, r.name);
    });
  }
}

/**
 * Refuses (422 VERSION_NOT_SERVABLE) a version of a flavor Steward does not run, such as a scikit-learn model
 * registered through the MLflow API, naming the version and why, before anything tries to load it.
 */
async function refuseUnservable(tx: Repositories, row: ModelVersionRow, model: string, where: string, note = ''): Promise<void> {
  if (!isRecordOnlyFlavor(row.flavor)) return;
  const origin = (await tx.tracking.versionOrigins([row.id]))[0];
  const reason = origin?.reason ?? `Steward serves ONNX and xgboost-json models, and this is a ${row.flavor} model`;
  throw unprocessable('VERSION_NOT_SERVABLE', `${where}: version ${row.version} of '${model}' cannot be deployed${note}: ${reason}`, {
    field: where,
    model,
    version: Number(row.version),
    flavor: row.flavor,
  });
}
