import { sql } from 'kysely';
import type { DialectKind } from '../../db/database.js';
import type { Executor } from '../../db/executor.js';
import type { JobRow } from '../../db/schema.js';

export const JOB_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export interface JobListQuery {
  status?: JobStatus;
  type?: string;
  projectId?: string;
  /** Newest first; rows strictly older than this id. */
  beforeId?: string;
  limit: number;
}

/**
 * The jobs table as a queue. `claim` takes the oldest runnable job (queued and due, or running with an
 * expired lease) for one worker, atomically on SQLite and PostgreSQL alike; a worker holds a job by
 * renewing its lease, and only the lease owner may report progress or finish it.
 */
export interface JobRepository {
  insert(row: JobRow): Promise<void>;
  get(id: string): Promise<JobRow | undefined>;
  list(query: JobListQuery): Promise<JobRow[]>;
  claim(owner: string, now: string, leaseUntil: string, types: readonly string[]): Promise<JobRow | undefined>;
  /** Renews the lease and records progress; false when the job is no longer this owner's. */
  heartbeat(id: string, owner: string, fields: { leaseUntil: string; progress: number; message: string; now: string }): Promise<boolean>;
  /** Ends a job this owner holds: SUCCEEDED with a result, FAILED with an error, or QUEUED again for a retry. */
  finish(id: string, owner: string, fields: { status: JobStatus; result?: string | null; error?: string | null; runAfter?: string; now: string }): Promise<boolean>;
}

export class KyselyJobRepository implements JobRepository {
  constructor(
    private readonly db: Executor,
    private readonly dialect: DialectKind,
  ) {}

  async insert(row: JobRow): Promise<void> {
    await this.db.insertInto('jobs').values(row).execute();
  }

  get(id: string): Promise<JobRow | undefined> {
    return this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(query: JobListQuery): Promise<JobRow[]> {
    let q = this.db.selectFrom('jobs').selectAll();
    if (query.status !== undefined) q = q.where('status', '=', query.status);
    if (query.type !== undefined) q = q.where('type', '=', query.type);
    if (query.projectId !== undefined) q = q.where('project_id', '=', query.projectId);
    if (query.beforeId !== undefined) q = q.where('id', '<', query.beforeId);
    return q.orderBy('id', 'desc').limit(query.limit).execute();
  }

  async claim(owner: string, now: string, leaseUntil: string, types: readonly string[]): Promise<JobRow | undefined> {
    if (types.length === 0) return undefined;
    // PostgreSQL: SKIP LOCKED makes concurrent claimers pick different rows instead of queueing on one.
    // SQLite serialises writers, so the plain subquery is enough there. The runnable condition is repeated
    // in the outer WHERE so that a row taken in between is never taken twice.
    const runnable = sql`(status = 'QUEUED' and run_after <= ${now}) or (status = 'RUNNING' and lease_until < ${now})`;
    const lock = this.dialect === 'postgres' ? sql`for update skip locked` : sql``;
    const r = await sql<JobRow>`
      update jobs
      set status = 'RUNNING', lease_owner = ${owner}, lease_until = ${leaseUntil}, attempts = attempts + 1,
          started_at = coalesce(started_at, ${now}), updated_at = ${now}
      where id = (select id from jobs where (${runnable}) and type in (${sql.join(types)}) order by run_after, id limit 1 ${lock})
        and (${runnable})
      returning *`.execute(this.db);
    return r.rows[0];
  }

  async heartbeat(id: string, owner: string, f: { leaseUntil: string; progress: number; message: string; now: string }): Promise<boolean> {
    const r = await this.db
      .updateTable('jobs')
      .set({ lease_until: f.leaseUntil, progress: f.progress, progress_message: f.message, updated_at: f.now })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'RUNNING')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async finish(id: string, owner: string, f: { status: JobStatus; result?: string | null; error?: string | null; runAfter?: string; now: string }): Promise<boolean> {
    const done = f.status === 'SUCCEEDED' || f.status === 'FAILED';
    const r = await this.db
      .updateTable('jobs')
      .set({
        status: f.status,
        result: f.result ?? null,
        error: f.error ?? null,
        lease_owner: null,
        lease_until: null,
        updated_at: f.now,
        ...(done ? { finished_at: f.now, progress: f.status === 'SUCCEEDED' ? 1 : undefined } : {}),
        ...(f.runAfter !== undefined ? { run_after: f.runAfter } : {}),
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'RUNNING')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
}
