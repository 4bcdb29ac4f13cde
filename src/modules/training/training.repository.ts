import type { Executor } from '../../db/executor.js';
import type { TrainingJobTable } from '../../db/schema.js';

export type TrainingJobRow = TrainingJobTable;

export type TrainingJobPatch = Partial<Pick<TrainingJobRow, 'status' | 'experiment_id' | 'run_id' | 'result' | 'error' | 'started_at' | 'finished_at'>>;

/** Training jobs per project. */
export interface TrainingRepository {
  insert(row: TrainingJobRow): Promise<void>;
  get(id: string): Promise<TrainingJobRow | undefined>;
  update(id: string, patch: TrainingJobPatch): Promise<void>;
  /** Asks a queued or running job to stop; false when it had already ended. */
  requestCancel(id: string): Promise<boolean>;
  /** A project's jobs, newest first, optionally of one status, before a (created_at, id) cursor. */
  list(projectId: string, query: { status?: string; limit: number; before?: { createdAt: string; id: string } }): Promise<TrainingJobRow[]>;
}

const normalize = (row: TrainingJobRow): TrainingJobRow => ({
  ...row,
  cancel_requested: Number(row.cancel_requested),
  experiment_id: row.experiment_id === null ? null : Number(row.experiment_id),
});

export class KyselyTrainingRepository implements TrainingRepository {
  constructor(private readonly db: Executor) {}

  async insert(row: TrainingJobRow): Promise<void> {
    await this.db.insertInto('training_jobs').values(row).execute();
  }

  async get(id: string): Promise<TrainingJobRow | undefined> {
    const row = await this.db.selectFrom('training_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return row && normalize(row);
  }

  async update(id: string, patch: TrainingJobPatch): Promise<void> {
    if (Object.keys(patch).length === 0) return;
    await this.db.updateTable('training_jobs').set(patch).where('id', '=', id).execute();
  }

  async requestCancel(id: string): Promise<boolean> {
    const r = await this.db.updateTable('training_jobs').set({ cancel_requested: 1 }).where('id', '=', id).where('status', 'in', ['QUEUED', 'RUNNING']).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async list(projectId: string, query: { status?: string; limit: number; before?: { createdAt: string; id: string } }): Promise<TrainingJobRow[]> {
    let q = this.db.selectFrom('training_jobs').selectAll().where('project_id', '=', projectId);
    if (query.status !== undefined) q = q.where('status', '=', query.status);
    const before = query.before;
    if (before) q = q.where((eb) => eb.or([eb('created_at', '<', before.createdAt), eb.and([eb('created_at', '=', before.createdAt), eb('id', '<', before.id)])]));
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
    return rows.map(normalize);
  }
}
