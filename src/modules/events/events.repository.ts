import { sql } from 'kysely';
import type { Executor } from '../../db/executor.js';
import type { EventRow } from '../../db/schema.js';

export interface DomainEvent {
  id: string;
  type: string;
  at: string;
  actor: string;
  projectId: string | null;
  entityType: string;
  entityId: string;
  payload: Record<string, unknown>;
}

export interface StoredEvent extends DomainEvent {
  seq: number;
}

/**
 * The domain event stream. Every state change appends an event in the same transaction as the change;
 * the audit trail, webhooks and UI refreshes read from here.
 */
export interface EventRepository {
  append(event: DomainEvent): Promise<void>;
  /** Events with seq greater than `after`, oldest first. */
  list(query: { after: number; limit: number; entityType?: string; entityId?: string }): Promise<StoredEvent[]>;
}

export class KyselyEventRepository implements EventRepository {
  constructor(private readonly db: Executor) {}

  async append(e: DomainEvent): Promise<void> {
    // One SQL text rather than the builder: every change in Steward appends an event.
    await sql`insert into events (id, type, at, actor, project_id, entity_type, entity_id, payload)
              values (${e.id}, ${e.type}, ${e.at}, ${e.actor}, ${e.projectId}, ${e.entityType}, ${e.entityId}, ${JSON.stringify(e.payload)})`.execute(this.db);
  }

  async list(query: { after: number; limit: number; entityType?: string; entityId?: string }): Promise<StoredEvent[]> {
    let q = this.db.selectFrom('events').selectAll().where('seq', '>', query.after);
    if (query.entityType !== undefined) q = q.where('entity_type', '=', query.entityType);
    if (query.entityId !== undefined) q = q.where('entity_id', '=', query.entityId);
    const rows = await q.orderBy('seq', 'asc').limit(query.limit).execute();
    return rows.map(toEvent);
  }
}

function toEvent(r: EventRow): StoredEvent {
  return {
    seq: Number(r.seq),
    id: r.id,
    type: r.type,
    at: r.at,
    actor: r.actor,
    projectId: r.project_id,
    entityType: r.entity_type,
    entityId: r.entity_id,
    payload: JSON.parse(r.payload) as Record<string, unknown>,
  };
}
