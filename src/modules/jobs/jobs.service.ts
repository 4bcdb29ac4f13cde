import type { MetadataStore, Repositories } from '../../db/metadata-store.js';
import type { JobRow } from '../../db/schema.js';
import { isoTime, type Clock } from '../../platform/clock.js';
import { decodeCursor, encodeCursor } from '../../platform/cursor.js';
import { invalidField, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { domainEvent } from '../events/domain-event.js';
import { resolveProject } from '../projects/projects.service.js';
import { JOB_STATUSES, type JobStatus } from './jobs.repository.js';

export interface JobView {
  id: string;
  type: string;
  status: JobStatus;
  project: string | null;
  /** 0..1 */
  progress: number;
  progressMessage: string;
  attempts: number;
  maxAttempts: number;
  payload: unknown;
  result: unknown;
  error: string | null;
  createdAt: string;
  createdBy: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
}

export interface EnqueueRequest {
  type: string;
  payload: unknown;
  projectId?: string | null;
  maxAttempts?: number;
}

export function jobView(row: JobRow, project: string | null): JobView {
  return {
    id: row.id,
    type: row.type,
    status: row.status as JobStatus,
    project,
    progress: Number(row.progress),
    progressMessage: row.progress_message,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    payload: JSON.parse(row.payload) as unknown,
    result: row.result === null ? null : (JSON.parse(row.result) as unknown),
    error: row.error,
    createdAt: row.created_at,
    createdBy: row.created_by,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    updatedAt: row.updated_at,
  };
}

/** Background jobs: enqueued in the same transaction as the change that needs them, read by clients. */
export class JobsService {
  constructor(private readonly deps: { store: MetadataStore; clock: Clock; onEnqueued?: () => void }) {}

  /** Adds a job inside the caller's transaction, with its event. Call `jobsEnqueued()` after the commit. */
  async enqueue(tx: Repositories, actor: string, request: EnqueueRequest): Promise<JobRow> {
    const { clock } = this.deps;
    const now = isoTime(clock);
    const row: JobRow = {
      id: newId(clock.now()),
      type: request.type,
      status: 'QUEUED',
      project_id: request.projectId ?? null,
      payload: JSON.stringify(request.payload ?? {}),
      result: null,
      error: null,
      progress: 0,
      progress_message: 'queued',
      attempts: 0,
      max_attempts: request.maxAttempts ?? 3,
      run_after: now,
      lease_owner: null,
      lease_until: null,
      created_at: now,
      created_by: actor,
      started_at: null,
      finished_at: null,
      updated_at: now,
    };
    await tx.jobs.insert(row);
    await tx.events.append(domainEvent(clock, actor, 'job.enqueued', { type: 'job', id: row.id, projectId: row.project_id }, { jobType: row.type }));
    return row;
  }

  /** Wakes the local worker (after the transaction that enqueued has committed). */
  jobsEnqueued(): void {
    this.deps.onEnqueued?.();
  }

  async get(id: string): Promise<JobView> {
    const row = await this.deps.store.jobs.get(id);
    if (!row) throw notFound('JOB_NOT_FOUND', `there is no job with id '${id}'`);
    return this.view(row);
  }

  async list(input: { status?: string; type?: string; project?: string; limit?: number; cursor?: string }): Promise<{ items: JobView[]; nextCursor: string | null }> {
    const status = input.status?.toUpperCase();
    if (status !== undefined && !(JOB_STATUSES as readonly string[]).includes(status)) throw invalidField('status', `must be one of ${JOB_STATUSES.join(', ')}`);
    const projectId = input.project === undefined ? undefined : (await resolveProject(this.deps.store, input.project)).id;
    const limit = input.limit ?? 100;
    const beforeId = input.cursor === undefined ? undefined : decodeCursor('cursor', input.cursor, (v): v is string => typeof v === 'string');
    const rows = await this.deps.store.jobs.list({ status: status as JobStatus | undefined, type: input.type, projectId, beforeId, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const items = await Promise.all(page.map((r) => this.view(r)));
    return { items, nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.id) : null };
  }

  private async view(row: JobRow): Promise<JobView> {
    const project = row.project_id === null ? null : ((await this.deps.store.projects.getById(row.project_id))?.name ?? null);
    return jobView(row, project);
  }
}
