import type { Executor } from '../../db/executor.js';
import type { ExplanationReportTable } from '../../db/schema.js';

export type ExplanationReportRow = ExplanationReportTable;

/** Global explanation reports per model version. */
export interface ExplanationRepository {
  put(row: ExplanationReportRow): Promise<void>;
  get(id: string): Promise<ExplanationReportRow | undefined>;
  /** Moves a report to status `to` if its status is one of `from`; false when it was not. */
  claim(id: string, from: string[], to: string): Promise<boolean>;
  update(id: string, patch: Partial<Pick<ExplanationReportRow, 'status' | 'job_id' | 'result_sha256' | 'summary' | 'error' | 'finished_at'>>): Promise<void>;
  /** A version's reports, newest first. */
  byVersion(modelVersionId: string, limit: number): Promise<ExplanationReportRow[]>;
  /** The newest succeeded report of a version, if any. */
  latestSucceeded(modelVersionId: string): Promise<ExplanationReportRow | undefined>;
}

export class KyselyExplanationRepository implements ExplanationRepository {
  constructor(private readonly db: Executor) {}

  async put(row: ExplanationReportRow): Promise<void> {
    await this.db.insertInto('explanation_reports').values(row).execute();
  }

  get(id: string): Promise<ExplanationReportRow | undefined> {
    return this.db.selectFrom('explanation_reports').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async claim(id: string, from: string[], to: string): Promise<boolean> {
    const r = await this.db.updateTable('explanation_reports').set({ status: to }).where('id', '=', id).where('status', 'in', from).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async update(id: string, patch: Partial<Pick<ExplanationReportRow, 'status' | 'job_id' | 'result_sha256' | 'summary' | 'error' | 'finished_at'>>): Promise<void> {
    await this.db.updateTable('explanation_reports').set(patch).where('id', '=', id).execute();
  }

  byVersion(modelVersionId: string, limit: number): Promise<ExplanationReportRow[]> {
    return this.db.selectFrom('explanation_reports').selectAll().where('model_version_id', '=', modelVersionId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  }

  latestSucceeded(modelVersionId: string): Promise<ExplanationReportRow | undefined> {
    return this.db
      .selectFrom('explanation_reports')
      .selectAll()
      .where('model_version_id', '=', modelVersionId)
      .where('status', '=', 'SUCCEEDED')
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
  }
}

/** The per-feature mean |SHAP| a succeeded report recorded in its summary (monitoring's drift weights). */
export function importanceOf(row: ExplanationReportRow | undefined): Record<string, number> | null {
  if (!row?.summary) return null;
  const summary = JSON.parse(row.summary) as { importance?: Record<string, number> };
  return summary.importance ?? null;
}
