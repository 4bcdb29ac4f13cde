import type { Executor } from '../../db/executor.js';
import type { ApprovalRow, GateResultRow, PolicyRow, PromotionRequestRow } from '../../db/schema.js';

export type PromotionStatus = 'open' | 'executed' | 'rejected' | 'cancelled' | 'failed';
export type PromotionKind = 'stage' | 'alias' | 'deployment';

export interface PromotionQuery {
  projectId: string;
  status?: PromotionStatus;
  modelVersionId?: string;
  limit: number;
}

/** Policies, promotion requests and approvals, and the facts the policy check reads. */
export interface GovernanceRepository {
  insertPolicy(row: PolicyRow): Promise<void>;
  /** The newest published version of the project's policy for a tier. */
  latestPolicy(projectId: string, tier: string): Promise<PolicyRow | undefined>;
  policyVersion(projectId: string, tier: string, version: number): Promise<PolicyRow | undefined>;
  /** Every version (newest first), of one tier or all. */
  listPolicies(projectId: string, tier?: string): Promise<PolicyRow[]>;

  insertRequest(row: PromotionRequestRow): Promise<void>;
  getRequest(id: string): Promise<PromotionRequestRow | undefined>;
  listRequests(query: PromotionQuery): Promise<PromotionRequestRow[]>;
  /**
   * The request whose approvals count for a move: the newest one for this version, kind and target that
   * is open or was executed (an executed request keeps its approvals, so moving back, e.g. a rollback, needs
   * no new ones; the policy's other rules are checked again).
   */
  requestForMove(modelVersionId: string, kind: PromotionKind, target: string): Promise<PromotionRequestRow | undefined>;
  /** Moves a request from `from` to another status; false when it was not in `from` any more. */
  settleRequest(id: string, from: PromotionStatus, to: PromotionStatus, message: string, at: string): Promise<boolean>;
  insertApproval(row: ApprovalRow): Promise<void>;
  approvals(requestId: string): Promise<ApprovalRow[]>;

  /** The newest result of each spec hash among `hashes` for a version. */
  latestGateResults(modelVersionId: string, hashes: string[]): Promise<GateResultRow[]>;
  hasFinishedExplanation(modelVersionId: string): Promise<boolean>;
  cardFields(modelVersionId: string): Promise<string | undefined>;
  /** Names of the deployments that follow an alias of a model. */
  deploymentsFollowing(modelId: string, alias: string): Promise<string[]>;
}

export class KyselyGovernanceRepository implements GovernanceRepository {
  constructor(private readonly db: Executor) {}

  async insertPolicy(row: PolicyRow): Promise<void> {
    await this.db.insertInto('policies').values(row).execute();
  }

  latestPolicy(projectId: string, tier: string): Promise<PolicyRow | undefined> {
    return this.db.selectFrom('policies').selectAll().where('project_id', '=', projectId).where('tier', '=', tier).orderBy('version', 'desc').limit(1).executeTakeFirst();
  }

  policyVersion(projectId: string, tier: string, version: number): Promise<PolicyRow | undefined> {
    return this.db.selectFrom('policies').selectAll().where('project_id', '=', projectId).where('tier', '=', tier).where('version', '=', version).executeTakeFirst();
  }

  listPolicies(projectId: string, tier?: string): Promise<PolicyRow[]> {
    let q = this.db.selectFrom('policies').selectAll().where('project_id', '=', projectId);
    if (tier !== undefined) q = q.where('tier', '=', tier);
    return q.orderBy('tier').orderBy('version', 'desc').execute();
  }

  async insertRequest(row: PromotionRequestRow): Promise<void> {
    await this.db.insertInto('promotion_requests').values(row).execute();
  }

  getRequest(id: string): Promise<PromotionRequestRow | undefined> {
    return this.db.selectFrom('promotion_requests').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listRequests(query: PromotionQuery): Promise<PromotionRequestRow[]> {
    let q = this.db.selectFrom('promotion_requests').selectAll().where('project_id', '=', query.projectId);
    if (query.status !== undefined) q = q.where('status', '=', query.status);
    if (query.modelVersionId !== undefined) q = q.where('model_version_id', '=', query.modelVersionId);
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
  }

  requestForMove(modelVersionId: string, kind: PromotionKind, target: string): Promise<PromotionRequestRow | undefined> {
    return this.db
      .selectFrom('promotion_requests')
      .selectAll()
      .where('model_version_id', '=', modelVersionId)
      .where('kind', '=', kind)
      .where('target', '=', target)
      .where('status', 'in', ['open', 'executed'])
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  async settleRequest(id: string, from: PromotionStatus, to: PromotionStatus, message: string, at: string): Promise<boolean> {
    const r = await this.db
      .updateTable('promotion_requests')
      .set({ status: to, message, updated_at: at, ...(to === 'executed' ? { executed_at: at } : {}) })
      .where('id', '=', id)
      .where('status', '=', from)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async insertApproval(row: ApprovalRow): Promise<void> {
    await this.db.insertInto('approvals').values(row).execute();
  }

  approvals(requestId: string): Promise<ApprovalRow[]> {
    return this.db.selectFrom('approvals').selectAll().where('request_id', '=', requestId).orderBy('at').orderBy('id').execute();
  }

  async latestGateResults(modelVersionId: string, hashes: string[]): Promise<GateResultRow[]> {
    if (hashes.length === 0) return [];
    const rows = await this.db
      .selectFrom('gate_results')
      .selectAll()
      .where('model_version_id', '=', modelVersionId)
      .where('spec_sha256', 'in', hashes)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    const newest = new Map<string, GateResultRow>();
    for (const r of rows) if (!newest.has(r.spec_sha256)) newest.set(r.spec_sha256, r);
    return [...newest.values()];
  }

  async hasFinishedExplanation(modelVersionId: string): Promise<boolean> {
    const r = await this.db.selectFrom('explanation_reports').select('id').where('model_version_id', '=', modelVersionId).where('status', '=', 'SUCCEEDED').limit(1).executeTakeFirst();
    return r !== undefined;
  }

  async cardFields(modelVersionId: string): Promise<string | undefined> {
    return (await this.db.selectFrom('model_cards').select('fields').where('model_version_id', '=', modelVersionId).executeTakeFirst())?.fields;
  }

  async deploymentsFollowing(modelId: string, alias: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('deployment_alias_bindings as b')
      .innerJoin('deployments as d', 'd.id', 'b.deployment_id')
      .select('d.name')
      .where('b.model_id', '=', modelId)
      .where('b.alias', '=', alias)
      .orderBy('d.name')
      .execute();
    return rows.map((r) => r.name);
  }
}
