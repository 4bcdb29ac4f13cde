import type { Executor } from '../../../db/executor.js';
import type { ApprovalRow, GateResultRow, ModelCardRow, PromotionRequestRow } from '../../../db/schema.js';

/** A dataset version a model version used, with what a card shows of it. */
export interface CardDatasetLink {
  dataset: string;
  version: number;
  role: string;
  sha256: string;
  rows: number;
}

/**
 * Model cards: the written fields of each model version's card, and the reads that build the generated
 * part of a card from other modules' tables (gate results, executed promotions, lineage datasets).
 */
export interface ModelCardRepository {
  get(modelVersionId: string): Promise<ModelCardRow | undefined>;
  /** Inserts or replaces a version's written fields. */
  put(row: ModelCardRow): Promise<void>;
  /** The newest result of each gate (by name) run on a version, ordered by gate name. */
  latestGateResults(modelVersionId: string): Promise<GateResultRow[]>;
  /** A version's executed promotion requests, oldest first, each with its approvals (oldest first). */
  executedPromotions(modelVersionId: string): Promise<{ request: PromotionRequestRow; approvals: ApprovalRow[] }[]>;
  /** The dataset versions a model version was trained, validated or tested on. */
  datasets(modelVersionId: string): Promise<CardDatasetLink[]>;
}

export class KyselyModelCardRepository implements ModelCardRepository {
  constructor(private readonly db: Executor) {}

  get(modelVersionId: string): Promise<ModelCardRow | undefined> {
    return this.db.selectFrom('model_cards').selectAll().where('model_version_id', '=', modelVersionId).executeTakeFirst();
  }

  async put(row: ModelCardRow): Promise<void> {
    await this.db
      .insertInto('model_cards')
      .values(row)
      .onConflict((oc) => oc.column('model_version_id').doUpdateSet({ fields: row.fields, updated_at: row.updated_at, updated_by: row.updated_by }))
      .execute();
  }

  latestGateResults(modelVersionId: string): Promise<GateResultRow[]> {
    return this.db
      .selectFrom('gate_results as g')
      .selectAll('g')
      .where('g.model_version_id', '=', modelVersionId)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('gate_results as h')
              .select('h.id')
              .whereRef('h.model_version_id', '=', 'g.model_version_id')
              .whereRef('h.name', '=', 'g.name')
              .where((eb) => eb.or([eb('h.created_at', '>', eb.ref('g.created_at')), eb.and([eb('h.created_at', '=', eb.ref('g.created_at')), eb('h.id', '>', eb.ref('g.id'))])])),
          ),
        ),
      )
      .orderBy('g.name')
      .execute();
  }

  async executedPromotions(modelVersionId: string): Promise<{ request: PromotionRequestRow; approvals: ApprovalRow[] }[]> {
    const requests = await this.db
      .selectFrom('promotion_requests')
      .selectAll()
      .where('model_version_id', '=', modelVersionId)
      .where('status', '=', 'executed')
      .orderBy('executed_at')
      .orderBy('id')
      .execute();
    if (requests.length === 0) return [];
    const approvals = await this.db
      .selectFrom('approvals')
      .selectAll()
      .where(
        'request_id',
        'in',
        requests.map((r) => r.id),
      )
      .orderBy('at')
      .orderBy('id')
      .execute();
    return requests.map((request) => ({ request, approvals: approvals.filter((a) => a.request_id === request.id) }));
  }

  async datasets(modelVersionId: string): Promise<CardDatasetLink[]> {
    const rows = await this.db
      .selectFrom('model_version_datasets as l')
      .innerJoin('dataset_versions as v', 'v.id', 'l.dataset_version_id')
      .innerJoin('datasets as d', 'd.id', 'v.dataset_id')
      .select(['d.name as dataset', 'v.version as version', 'l.role as role', 'v.sha256 as sha256', 'v.row_count as rows'])
      .where('l.model_version_id', '=', modelVersionId)
      .orderBy('l.role')
      .orderBy('d.name')
      .orderBy('v.version')
      .execute();
    return rows.map((r) => ({ dataset: r.dataset, version: Number(r.version), role: r.role, sha256: r.sha256, rows: Number(r.rows) }));
  }
}
