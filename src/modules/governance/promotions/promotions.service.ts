/**
 * Promotion requests: someone asks for a version to enter a stage, take an alias, or serve in a deployment;
 * reviewers approve or reject with comments; once the policy is satisfied the move is made — through the
 * same service call any direct request makes, so it passes the same policy check (policy-guard.ts) inside
 * its transaction. A request is also tried again when a gate run of its version finishes.
 */
import type { MetadataStore, Repositories } from '../../../db/metadata-store.js';
import type { ProjectRow, PromotionRequestRow } from '../../../db/schema.js';
import { isUniqueViolation } from '../../../db/executor.js';
import { isoTime, type Clock } from '../../../platform/clock.js';
import { conflict, DomainError, forbidden, invalidField, notFound } from '../../../platform/errors.js';
import { newId } from '../../../platform/ids.js';
import type { Logger } from '../../../platform/logger.js';
import { checkName } from '../../../platform/names.js';
import type { Principal, ProjectRole } from '../../../platform/principal.js';
import { optionalString } from '../../../platform/validate.js';
import type { DeploymentsService } from '../../deployments/deployments.service.js';
import { parseDeploymentBody } from '../../deployments/deployments.service.js';
import { domainEvent } from '../../events/domain-event.js';
import { checkAlias, parseStage, type ModelsService } from '../../models/models.service.js';
import { resolveProject } from '../../projects/projects.service.js';
import type { PromotionKind, PromotionStatus } from '../governance.repository.js';
import { describeMove, type Evaluation, type Move, type MoveSubject, type PolicyGuard } from '../policy-guard.js';

export const PROMOTION_KINDS: readonly PromotionKind[] = ['stage', 'alias', 'deployment'];
export const PROMOTION_STATUSES: readonly PromotionStatus[] = ['open', 'executed', 'rejected', 'cancelled', 'failed'];

export interface PromotionView {
  id: string;
  project: string;
  model: string;
  version: number;
  versionAuthor: string;
  kind: PromotionKind;
  target: string;
  change: Record<string, unknown>;
  status: PromotionStatus;
  message: string;
  comment: string;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  executedAt: string | null;
  decisions: { reviewer: string; decision: 'approve' | 'reject'; comment: string; at: string }[];
  /** The policy's verdict now (for open requests; null once closed). */
  evaluation: (Pick<Evaluation, 'tier' | 'policy' | 'requirement' | 'satisfied' | 'unmet' | 'gates' | 'approvals'> & { move: string }) | null;
}

export interface PromotionsDeps {
  store: MetadataStore;
  clock: Clock;
  logger: Logger;
  guard: PolicyGuard;
  models: ModelsService;
  deployments: DeploymentsService;
  /** Checks a caller's role in a project (AccessService.require). */
  access: { require(principal: Principal, projectId: string, role: ProjectRole): Promise<unknown> };
}

function moveOf(row: Pick<PromotionRequestRow, 'kind' | 'target'>): Move {
  return { kind: row.kind as PromotionKind, target: row.target };
}

/** A stand-in principal for moves Steward makes on a requester's behalf (after a gate run finished). */
function onBehalfOf(name: string): Principal {
  return { userId: '', name, role: 'user', tokenId: '', deployments: null };
}

export class PromotionsService {
  constructor(private readonly deps: PromotionsDeps) {}

  /** Opens a request; when the policy is already satisfied (no approvals needed), the move is made at once. */
  async request(
    actor: Principal,
    projectName: string | undefined,
    input: { model: unknown; version: unknown; kind: unknown; target: unknown; change?: unknown; comment?: unknown },
  ): Promise<PromotionView> {
    const { store, clock } = this.deps;
    const modelName = checkName('model', input.model);
    if (typeof input.version !== 'number' || !Number.isInteger(input.version) || input.version < 1) throw invalidField('version', 'must be a version number');
    if (!(PROMOTION_KINDS as readonly unknown[]).includes(input.kind)) throw invalidField('kind', `must be one of ${PROMOTION_KINDS.join(', ')}`);
    const kind = input.kind as PromotionKind;
    const target = kind === 'stage' ? parseStage('target', input.target) : kind === 'alias' ? checkAlias('target', input.target) : checkName('target', input.target);
    const comment = optionalString('comment', input.comment, 5_000) ?? '';
    const change = this.parseChange(kind, modelName, input.version, input.change);
    const project = await resolveProject(store, projectName);
    const found = await store.versions.getByNames(project.name, modelName, input.version);
    if (!found) throw notFound('MODEL_VERSION_NOT_FOUND', `model '${modelName}' has no version ${input.version} in project '${project.name}'`, { field: 'version' });
    if (found.version.status !== 'READY') throw conflict('VERSION_NOT_READY', `version ${input.version} of '${modelName}' is ${found.version.status}; only READY versions can be promoted`);
    if (kind === 'deployment' && !(await store.deployments.get(project.id, target)) && change === null) {
      throw invalidField('change', 'a new deployment needs its spec in change');
    }
    const now = isoTime(clock);
    const row: PromotionRequestRow = {
      id: newId(clock.now()),
      project_id: project.id,
      model_version_id: found.version.id,
      kind,
      target,
      change: JSON.stringify(change ?? {}),
      status: 'open',
      message: '',
      comment,
      created_at: now,
      created_by: actor.name,
      updated_at: now,
      executed_at: null,
    };
    await store.transaction(async (tx) => {
      const open = await tx.governance.listRequests({ projectId: project.id, status: 'open', modelVersionId: found.version.id, limit: 100 });
      const same = open.find((r) => r.kind === kind && r.target === target);
      if (same) throw conflict('PROMOTION_EXISTS', `request ${same.id} already asks for this move; approve or cancel it`, { request: same.id });
      await tx.governance.insertRequest(row);
      const evaluation = await this.deps.guard.evaluate(tx, found, moveOf(row));
      await tx.events.append(
        domainEvent(clock, actor.name, 'promotion.requested', { type: 'promotion', id: row.id, projectId: project.id }, {
          model: modelName,
          version: input.version,
          kind,
          target,
          comment,
          unmet: evaluation.unmet,
          after: 'open',
        }),
      );
    });
    await this.tryExecute(row.id, actor);
    return this.get(projectName, row.id);
  }

  /** For a deployment request: the deployment spec to apply, which must serve the version (by number or alias). */
  private parseChange(kind: PromotionKind, model: string, version: number, value: unknown): Record<string, unknown> | null {
    if (kind === 'stage') {
      if (value === undefined || value === null) return null;
      if (typeof value !== 'object' || Array.isArray(value)) throw invalidField('change', 'must be an object');
      const o = value as Record<string, unknown>;
      for (const k of Object.keys(o)) if (k !== 'archiveExisting') throw invalidField(`change.${k}`, 'a stage request takes only archiveExisting');
      if (o.archiveExisting !== undefined && typeof o.archiveExisting !== 'boolean') throw invalidField('change.archiveExisting', 'must be true or false');
      return o;
    }
    if (kind === 'alias') {
      if (value !== undefined && value !== null) throw invalidField('change', 'an alias request takes no change');
      return null;
    }
    if (value === undefined || value === null) return null;
    const spec = parseDeploymentBody(value);
    const serves = [...spec.targets.filter((t) => t.weight > 0), ...spec.shadow].some((t) => t.model === model && (t.version === version || t.alias !== undefined));
    if (!serves) throw invalidField('change.targets', `the deployment spec must serve ${model} version ${version}`);
    return value as Record<string, unknown>;
  }

  async approve(actor: Principal, projectName: string | undefined, id: string, input: { comment?: unknown }): Promise<PromotionView> {
    return this.decide(actor, projectName, id, 'approve', input);
  }

  async reject(actor: Principal, projectName: string | undefined, id: string, input: { comment?: unknown }): Promise<PromotionView> {
    return this.decide(actor, projectName, id, 'reject', input);
  }

  private async decide(actor: Principal, projectName: string | undefined, id: string, decision: 'approve' | 'reject', input: { comment?: unknown }): Promise<PromotionView> {
    const { store, clock } = this.deps;
    const comment = optionalString('comment', input.comment, 5_000) ?? '';
    const { row, subject } = await this.load(projectName, id, store);
    await this.deps.access.require(actor, row.project_id, 'reviewer');
    if (actor.name === subject.version.created_by) {
      throw forbidden(`four eyes: '${actor.name}' registered version ${subject.version.version} of '${subject.model.name}' and cannot review its promotion`, { rule: 'four-eyes' });
    }
    if (actor.name === row.created_by) throw forbidden(`four eyes: '${actor.name}' asked for this promotion and cannot review it`, { rule: 'four-eyes' });
    try {
      await store.transaction(async (tx) => {
        const current = await tx.governance.getRequest(id);
        if (!current || current.status !== 'open') throw conflict('PROMOTION_CLOSED', `request ${id} is ${current?.status ?? 'gone'}; only open requests are reviewed`);
        const at = isoTime(clock);
        await tx.governance.insertApproval({ id: newId(clock.now()), request_id: id, reviewer: actor.name, decision, comment, at });
        if (decision === 'reject') await tx.governance.settleRequest(id, 'open', 'rejected', `rejected by ${actor.name}${comment ? `: ${comment}` : ''}`, at);
        await tx.events.append(
          domainEvent(clock, actor.name, decision === 'approve' ? 'promotion.approved' : 'promotion.rejected', { type: 'promotion', id, projectId: row.project_id }, {
            model: subject.model.name,
            version: Number(subject.version.version),
            kind: row.kind,
            target: row.target,
            comment,
            before: 'open',
            after: decision === 'approve' ? 'open' : 'rejected',
          }),
        );
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('ALREADY_REVIEWED', `'${actor.name}' has already reviewed request ${id}`);
      throw err;
    }
    if (decision === 'approve') await this.tryExecute(id, actor);
    return this.get(projectName, id);
  }

  /** Withdraws an open request (its requester, or a project admin). */
  async cancel(actor: Principal, projectName: string | undefined, id: string): Promise<PromotionView> {
    const { store, clock } = this.deps;
    const { row, subject } = await this.load(projectName, id, store);
    if (actor.name !== row.created_by) await this.deps.access.require(actor, row.project_id, 'admin');
    await store.transaction(async (tx) => {
      if (!(await tx.governance.settleRequest(id, 'open', 'cancelled', `cancelled by ${actor.name}`, isoTime(clock)))) {
        throw conflict('PROMOTION_CLOSED', `request ${id} is not open`);
      }
      await tx.events.append(
        domainEvent(clock, actor.name, 'promotion.cancelled', { type: 'promotion', id, projectId: row.project_id }, {
          model: subject.model.name,
          version: Number(subject.version.version),
          kind: row.kind,
          target: row.target,
          before: 'open',
          after: 'cancelled',
        }),
      );
    });
    return this.get(projectName, id);
  }

  /**
   * Makes the move of an open request if the policy now allows it. The move goes through the registry or
   * the deployments service like any other request, whose policy check marks the request executed. A move
   * that fails for another reason (the version is gone, a conflict) fails the request with the reason.
   */
  async tryExecute(id: string, actor: Principal): Promise<void> {
    const { store, clock, logger } = this.deps;
    const loaded = await this.load(undefined, id, store, false);
    const { row, subject } = loaded;
    if (row.status !== 'open') return;
    const evaluation = await this.deps.guard.evaluate(store, subject, moveOf(row));
    if (!evaluation.satisfied) return;
    const project = subject.project.name;
    const change = JSON.parse(row.change) as Record<string, unknown>;
    try {
      if (row.kind === 'stage') {
        await this.deps.models.transitionStage(actor, project, subject.model.name, String(subject.version.version), {
          stage: row.target,
          comment: `promotion ${row.id}${row.comment ? `: ${row.comment}` : ''}`,
          ...(change.archiveExisting !== undefined ? { archiveExisting: change.archiveExisting } : {}),
        });
      } else if (row.kind === 'alias') {
        await this.deps.models.setAlias(actor, project, subject.model.name, row.target, { version: Number(subject.version.version) });
      } else {
        const spec = Object.keys(change).length > 0 ? change : await this.addToDeployment(project, row.target, subject);
        await this.deps.deployments.apply(actor, project, row.target, { ...spec, comment: `promotion ${row.id}` });
      }
    } catch (err) {
      if (err instanceof DomainError && err.code === 'POLICY_NOT_SATISFIED') return; // changed meanwhile; stays open
      if (!(err instanceof DomainError)) {
        logger.error({ err, request: id }, 'a promotion could not be carried out');
      }
      const message = `the move failed: ${(err as Error).message}`;
      await store.transaction(async (tx) => {
        if (!(await tx.governance.settleRequest(id, 'open', 'failed', message, isoTime(clock)))) return;
        await tx.events.append(
          domainEvent(clock, actor.name, 'promotion.failed', { type: 'promotion', id, projectId: row.project_id }, { model: subject.model.name, version: Number(subject.version.version), kind: row.kind, target: row.target, message, before: 'open', after: 'failed' }),
        );
      });
      return;
    }
    // A move that was a no-op for the registry (the alias already pointed there) leaves the request open.
    await store.transaction(async (tx) => {
      const current = await tx.governance.getRequest(id);
      if (current?.status === 'open') await this.deps.guard.markExecuted(tx, subject, current, actor.name);
    });
  }

  /** A deployment request without a spec: the deployment's current spec with the version as a shadow. */
  private async addToDeployment(project: string, name: string, subject: MoveSubject): Promise<Record<string, unknown>> {
    const d = await this.deps.deployments.get(project, name);
    const strip = (t: { model: string; version: number; alias: string | null; weight: number }, shadow: boolean) => ({
      model: t.model,
      ...(t.alias !== null ? { alias: t.alias } : { version: t.version }),
      ...(shadow ? {} : { weight: t.weight }),
    });
    return {
      targets: d.spec.targets.map((t) => strip(t, false)),
      shadow: [...d.spec.shadow.map((t) => strip(t, true)), { model: subject.model.name, version: Number(subject.version.version) }],
      batching: d.spec.batching,
      public: d.spec.public,
      timeoutMs: d.spec.timeoutMs,
      maxQueue: d.spec.maxQueue,
    };
  }

  /** Called when a gate run of a version has finished: its open requests may now be satisfied. */
  async onGateRunFinished(modelVersionId: string): Promise<void> {
    const version = await this.deps.store.versions.getById(modelVersionId);
    if (!version) return;
    const model = await this.deps.store.models.getById(version.model_id);
    if (!model) return;
    for (const r of await this.deps.store.governance.listRequests({ projectId: model.project_id, status: 'open', modelVersionId, limit: 100 })) {
      await this.tryExecute(r.id, onBehalfOf(r.created_by));
    }
  }

  async list(projectName: string | undefined, query: { status?: string; model?: string; version?: number; reviewer?: string; limit?: number }): Promise<PromotionView[]> {
    const { store } = this.deps;
    const project = await resolveProject(store, projectName);
    if (query.status !== undefined && !(PROMOTION_STATUSES as readonly string[]).includes(query.status)) throw invalidField('status', `must be one of ${PROMOTION_STATUSES.join(', ')}`);
    let modelVersionId: string | undefined;
    if (query.model !== undefined) {
      if (query.version === undefined) throw invalidField('version', 'is needed with model');
      const found = await store.versions.getByNames(project.name, query.model, query.version);
      if (!found) throw notFound('MODEL_VERSION_NOT_FOUND', `model '${query.model}' has no version ${query.version}`, { field: 'version' });
      modelVersionId = found.version.id;
    }
    const rows = await store.governance.listRequests({ projectId: project.id, status: query.status as PromotionStatus | undefined, modelVersionId, limit: query.limit ?? 100 });
    const views = await Promise.all(rows.map(async (r) => this.view(r, await this.subjectOf(r, project, store))));
    // The inbox: requests this reviewer may still decide (not theirs, not their version's, not decided by them).
    if (query.reviewer !== undefined) {
      const who = query.reviewer;
      return views.filter((v) => v.status === 'open' && v.createdBy !== who && v.versionAuthor !== who && !v.decisions.some((d) => d.reviewer === who));
    }
    return views;
  }

  async get(projectName: string | undefined, id: string): Promise<PromotionView> {
    const { row, subject } = await this.load(projectName, id, this.deps.store);
    return this.view(row, subject);
  }

  private async load(projectName: string | undefined, id: string, tx: Repositories, checkProject = true): Promise<{ row: PromotionRequestRow; subject: MoveSubject }> {
    const row = await tx.governance.getRequest(id);
    const project = row ? await tx.projects.getById(row.project_id) : undefined;
    if (!row || !project || (checkProject && project.name !== (await resolveProject(tx, projectName)).name)) {
      throw notFound('PROMOTION_NOT_FOUND', `there is no promotion request '${id}' in this project`);
    }
    return { row, subject: await this.subjectOf(row, project, tx) };
  }

  /** The version a request moves, with its model and project. */
  private async subjectOf(row: PromotionRequestRow, project: ProjectRow, tx: Repositories): Promise<MoveSubject> {
    const version = await tx.versions.getById(row.model_version_id);
    const model = version ? await tx.models.getById(version.model_id) : undefined;
    if (!version || !model) throw notFound('MODEL_VERSION_NOT_FOUND', `the version of request ${row.id} no longer exists`);
    return { project, model, version };
  }

  private async view(row: PromotionRequestRow, subject: MoveSubject): Promise<PromotionView> {
    const { store } = this.deps;
    const decisions = (await store.governance.approvals(row.id)).map((a) => ({ reviewer: a.reviewer, decision: a.decision as 'approve' | 'reject', comment: a.comment, at: a.at }));
    let evaluation: PromotionView['evaluation'] = null;
    if (row.status === 'open') {
      const e = await this.deps.guard.evaluate(store, subject, moveOf(row));
      evaluation = { move: describeMove(moveOf(row)), tier: e.tier, policy: e.policy, requirement: e.requirement, satisfied: e.satisfied, unmet: e.unmet, gates: e.gates, approvals: e.approvals };
    }
    return {
      id: row.id,
      project: subject.project.name,
      model: subject.model.name,
      version: Number(subject.version.version),
      versionAuthor: subject.version.created_by,
      kind: row.kind as PromotionKind,
      target: row.target,
      change: JSON.parse(row.change) as Record<string, unknown>,
      status: row.status as PromotionStatus,
      message: row.message,
      comment: row.comment,
      createdAt: row.created_at,
      createdBy: row.created_by,
      updatedAt: row.updated_at,
      executedAt: row.executed_at,
      decisions,
      evaluation,
    };
  }
}
