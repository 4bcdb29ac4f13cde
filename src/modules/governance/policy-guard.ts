/**
 * The one check every move of a model version goes through — into a stage, onto an alias, into a
 * deployment's traffic — whatever path asked for it (REST, CLI, UI, an approved promotion request, an alias
 * followed by deployments, a rollback, a compatible API added later). The registry and the deployments
 * service call `enforce` inside the transaction that makes the move, so nothing can slip between the
 * check and the change; there is no flag or role that skips it.
 */
import type { Repositories } from '../../db/metadata-store.js';
import type { ModelRow, ModelVersionRow, PolicyRow, ProjectRow, PromotionRequestRow } from '../../db/schema.js';
import { isoTime, type Clock } from '../../platform/clock.js';
import { DomainError } from '../../platform/errors.js';
import { domainEvent } from '../events/domain-event.js';
import { cardFieldFilled, storedCardFields } from './cards/card-fields.js';
import type { PromotionKind } from './governance.repository.js';
import { defaultPolicy, gateByName, GOVERNED_STAGES, isRiskTier, type PolicyDocument, type Requirement, type RiskTier } from './policies/policy-document.js';

/** A move of a version. A deployment move made because an alias it follows moved carries that alias. */
export type Move = { kind: 'stage'; target: string } | { kind: 'alias'; target: string } | { kind: 'deployment'; target: string; viaAlias?: string };

export interface MoveSubject {
  project: ProjectRow;
  model: ModelRow;
  version: ModelVersionRow;
}

export interface GateStatus {
  name: string;
  type: string;
  status: 'passed' | 'failed' | 'missing' | 'stale';
  at: string | null;
  resultId: string | null;
}

export interface Evaluation {
  tier: RiskTier;
  /** The published policy applied, or null for the built-in default of the tier. */
  policy: { id: string; version: number } | null;
  /** What the move needs; null when the policy asks nothing of it. */
  requirement: Requirement | null;
  satisfied: boolean;
  /** One sentence per rule not met. */
  unmet: string[];
  gates: GateStatus[];
  approvals: { reviewer: string; at: string; comment: string }[];
  /** The request whose approvals count (see GovernanceRepository.requestForMove). */
  request: PromotionRequestRow | null;
}

export function describeMove(move: Move): string {
  if (move.kind === 'stage') return `stage ${move.target}`;
  if (move.kind === 'alias') return `alias '${move.target}'`;
  return `deployment '${move.target}'${move.viaAlias ? ` (following alias '${move.viaAlias}')` : ''}`;
}

export class PolicyNotSatisfied extends DomainError {
  constructor(subject: MoveSubject, move: Move, evaluation: Evaluation) {
    const what = `version ${subject.version.version} of '${subject.model.name}' may not enter ${describeMove(move)}`;
    const policy = evaluation.policy ? `policy ${evaluation.tier} v${evaluation.policy.version}` : `the default policy of risk tier ${evaluation.tier}`;
    super('conflict', 'POLICY_NOT_SATISFIED', `${what}: ${evaluation.unmet.join('; ')} (${policy})`, {
      move: { kind: move.kind, target: move.target },
      tier: evaluation.tier,
      policy: evaluation.policy,
      unmet: evaluation.unmet,
      request: evaluation.request?.id ?? null,
    });
  }
}

export interface LoadedPolicy {
  tier: RiskTier;
  row: PolicyRow | null;
  doc: PolicyDocument;
  /** True while a high-risk project has no published policy: governed moves are refused. */
  refuseGoverned: boolean;
}

/** The policy that governs a model now: the newest published one for its tier, or the tier's default. */
export async function policyFor(tx: Repositories, projectId: string, tierText: string): Promise<LoadedPolicy> {
  const tier: RiskTier = isRiskTier(tierText) ? tierText : 'high';
  const row = await tx.governance.latestPolicy(projectId, tier);
  if (row) return { tier, row, doc: JSON.parse(row.document) as PolicyDocument, refuseGoverned: false };
  return { tier, row: null, ...defaultPolicy(tier) };
}

export function requirementFor(doc: PolicyDocument, move: Move): Requirement | null {
  if (move.kind === 'stage') return (GOVERNED_STAGES as readonly string[]).includes(move.target) ? (doc.stages[move.target as 'Staging' | 'Production'] ?? null) : null;
  if (move.kind === 'alias') return doc.aliases[move.target] ?? null;
  return doc.deployments;
}

/** Where the approvals for a move are recorded: a deployment move caused by an alias uses the alias's request. */
function approvalKey(move: Move): { kind: PromotionKind; target: string } {
  if (move.kind === 'deployment' && move.viaAlias !== undefined) return { kind: 'alias', target: move.viaAlias };
  return { kind: move.kind, target: move.target };
}

export class PolicyGuard {
  constructor(private readonly deps: { clock: Clock }) {}

  /** Whether the policy allows the move now, and what is missing if not. Reads through `tx` only. */
  async evaluate(tx: Repositories, subject: MoveSubject, move: Move): Promise<Evaluation> {
    const policy = await policyFor(tx, subject.project.id, subject.model.risk_tier);
    const requirement = requirementFor(policy.doc, move);
    const key = approvalKey(move);
    const request = (await tx.governance.requestForMove(subject.version.id, key.kind, key.target)) ?? null;
    const base = { tier: policy.tier, policy: policy.row && { id: policy.row.id, version: Number(policy.row.version) }, requirement, request };
    if (requirement === null) return { ...base, satisfied: true, unmet: [], gates: [], approvals: [] };
    const unmet: string[] = [];
    if (policy.refuseGoverned) {
      unmet.push(`no policy is published for risk tier '${policy.tier}' in project '${subject.project.name}'; a project admin must publish one first`);
    }

    // Gates: a passing result of exactly the policy's spec, recent enough.
    const wanted = requirement.gates.map((name) => ({ name, ...gateByName(policy.doc, name)! }));
    const results = await tx.governance.latestGateResults(
      subject.version.id,
      wanted.map((g) => g.hash),
    );
    const now = this.deps.clock.now();
    const gates: GateStatus[] = wanted.map((g) => {
      const r = results.find((x) => x.spec_sha256 === g.hash);
      if (!r) return { name: g.name, type: g.spec.type, status: 'missing', at: null, resultId: null };
      if (r.passed !== 1) return { name: g.name, type: g.spec.type, status: 'failed', at: r.created_at, resultId: r.id };
      const ageDays = (now - Date.parse(r.created_at)) / 86_400_000;
      if (requirement.maxGateAgeDays !== null && ageDays > requirement.maxGateAgeDays) return { name: g.name, type: g.spec.type, status: 'stale', at: r.created_at, resultId: r.id };
      return { name: g.name, type: g.spec.type, status: 'passed', at: r.created_at, resultId: r.id };
    });
    for (const g of gates) {
      if (g.status === 'missing') unmet.push(`gate '${g.name}' (${g.type}) has no result for the policy's spec: run it`);
      if (g.status === 'failed') unmet.push(`gate '${g.name}' (${g.type}) failed (${g.at})`);
      if (g.status === 'stale') unmet.push(`gate '${g.name}' (${g.type}) passed on ${g.at}, more than ${requirement.maxGateAgeDays} days ago: run it again`);
    }

    // Four eyes: approvals from reviewers who neither wrote the version nor asked for the move.
    const approvals: Evaluation['approvals'] = [];
    if (request) {
      const barred = new Set([subject.version.created_by, request.created_by]);
      for (const a of await tx.governance.approvals(request.id)) {
        if (a.decision === 'approve' && !barred.has(a.reviewer) && !approvals.some((x) => x.reviewer === a.reviewer)) approvals.push({ reviewer: a.reviewer, at: a.at, comment: a.comment });
      }
    }
    if (approvals.length < requirement.approvals) {
      const need = requirement.approvals;
      unmet.push(
        request
          ? `needs ${need} approval${need > 1 ? 's' : ''} from reviewers other than the author; promotion request ${request.id} has ${approvals.length}`
          : `needs ${need} approval${need > 1 ? 's' : ''} from reviewers other than the author: open a promotion request`,
      );
    }

    if (requirement.modelCard.length > 0) {
      const fields = storedCardFields(await tx.governance.cardFields(subject.version.id));
      const missing = requirement.modelCard.filter((p) => !cardFieldFilled({ fields, model_details: { overview: subject.model.description } }, p));
      if (missing.length > 0) unmet.push(`the model card must fill ${missing.join(', ')}`);
    }
    if (requirement.explanationReport && !(await tx.governance.hasFinishedExplanation(subject.version.id))) {
      unmet.push('needs a finished explanation report of this version');
    }
    return { ...base, satisfied: unmet.length === 0, unmet, gates, approvals };
  }

  /**
   * Throws PolicyNotSatisfied (409, naming each unmet rule) unless the policy allows the move. When an open
   * promotion request carried the approvals, it is marked executed in the same transaction.
   */
  async enforce(tx: Repositories, subject: MoveSubject, move: Move, actor: string): Promise<Evaluation> {
    const evaluation = await this.evaluate(tx, subject, move);
    if (!evaluation.satisfied) throw new PolicyNotSatisfied(subject, move, evaluation);
    if (evaluation.request && evaluation.request.status === 'open' && evaluation.requirement !== null) {
      await this.markExecuted(tx, subject, evaluation.request, actor);
    }
    return evaluation;
  }

  async markExecuted(tx: Repositories, subject: MoveSubject, request: PromotionRequestRow, actor: string): Promise<void> {
    const { clock } = this.deps;
    if (!(await tx.governance.settleRequest(request.id, 'open', 'executed', 'done', isoTime(clock)))) return;
    await tx.events.append(
      domainEvent(clock, actor, 'promotion.executed', { type: 'promotion', id: request.id, projectId: subject.project.id }, {
        model: subject.model.name,
        version: Number(subject.version.version),
        kind: request.kind,
        target: request.target,
        before: 'open',
        after: 'executed',
      }),
    );
  }
}
