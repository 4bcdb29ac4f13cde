import type { Executor } from '../../db/executor.js';
import type { EventRow } from '../../db/schema.js';

/** Reads of the audit trail: the events table in chain order, and its head. */
export interface AuditRepository {
  /** Events in the order they were appended (seq), after `afterSeq`; only one project's when given. */
  page(afterSeq: number, limit: number, projectId?: string): Promise<EventRow[]>;
  /** One project's events newest first, before `beforeSeq` when given. */
  pageDesc(projectId: string, beforeSeq: number | undefined, limit: number): Promise<EventRow[]>;
  head(): Promise<{ chain: number; hash: string } | undefined>;
  /** Events of these types about one entity (or, with entityId null, of a project), at or before `at`, oldest first. */
  history(query: { types: string[]; projectId: string; entityId?: string; at: string }): Promise<EventRow[]>;
}

export class KyselyAuditRepository implements AuditRepository {
  constructor(private readonly db: Executor) {}

  page(afterSeq: number, limit: number, projectId?: string): Promise<EventRow[]> {
    let q = this.db.selectFrom('events').selectAll().where('seq', '>', afterSeq);
    if (projectId !== undefined) q = q.where('project_id', '=', projectId);
    return q.orderBy('seq', 'asc').limit(limit).execute();
  }

  pageDesc(projectId: string, beforeSeq: number | undefined, limit: number): Promise<EventRow[]> {
    let q = this.db.selectFrom('events').selectAll().where('project_id', '=', projectId);
    if (beforeSeq !== undefined) q = q.where('seq', '<', beforeSeq);
    return q.orderBy('seq', 'desc').limit(limit).execute();
  }

  async head(): Promise<{ chain: number; hash: string } | undefined> {
    const r = await this.db.selectFrom('audit_head').select(['chain', 'hash']).where('id', '=', 1).executeTakeFirst();
    return r && { chain: Number(r.chain), hash: r.hash };
  }

  history(query: { types: string[]; projectId: string; entityId?: string; at: string }): Promise<EventRow[]> {
    let q = this.db.selectFrom('events').selectAll().where('project_id', '=', query.projectId).where('type', 'in', query.types).where('at', '<=', query.at);
    if (query.entityId !== undefined) q = q.where('entity_id', '=', query.entityId);
    return q.orderBy('seq', 'asc').execute();
  }
}
