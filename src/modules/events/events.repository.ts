import { sql } from 'kysely';
import { POSTGRES_WRITE_LOCK, type Executor } from '../../db/executor.js';
import type { EventRow } from '../../db/schema.js';
import { chainHash } from '../audit/audit-chain.js';

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
  constructor(
    private readonly db: Executor,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {}

  /**
   * Appends the event as the next record of the audit chain: its chain number and hash follow the head
   * (audit_head), which moves in the same transaction. Writers are serialised (SQLite has one connection;
   * on PostgreSQL every write transaction first takes one advisory lock, see metadata-store.ts), so two
   * transactions never chain from the same head.
   */
  async append(e: DomainEvent): Promise<void> {
    if (!this.db.isTransaction) {
      await this.db.transaction().execute(async (trx) => {
        if (this.dialect === 'postgres') await POSTGRES_WRITE_LOCK.execute(trx);
        await new KyselyEventRepository(trx, this.dialect).append(e);
      });
      return;
    }
    const payload = JSON.stringify(e.payload);
    // Single SQL texts rather than the builder: every change in Steward appends an event.
    const head = (await sql<{ chain: number; hash: string }>`select chain, hash from audit_head where id = 1`.execute(this.db)).rows[0];
    if (!head) throw new Error('the audit chain has no head row (migration 0009 not applied?)');
    const chain = Number(head.chain) + 1;
    const hash = chainHash(head.hash, { chain, id: e.id, type: e.type, at: e.at, actor: e.actor, project_id: e.projectId, entity_type: e.entityType, entity_id: e.entityId, payload });
    await sql`insert into events (id, type, at, actor, project_id, entity_type, entity_id, payload, chain, prev_hash, hash)
              values (${e.id}, ${e.type}, ${e.at}, ${e.actor}, ${e.projectId}, ${e.entityType}, ${e.entityId}, ${payload}, ${chain}, ${head.hash}, ${hash})`.execute(this.db);
    await sql`update audit_head set chain = ${chain}, hash = ${hash} where id = 1`.execute(this.db);
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
