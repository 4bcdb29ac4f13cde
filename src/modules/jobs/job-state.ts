import type { JobsService } from './jobs.service.js';

export interface JobBackedState {
  status: string;
  error: string | null;
  progress: { fraction: number; message: string } | null;
}

/**
 * The state of a row that a background job settles (a report, a gate run): while it is queued or running,
 * its job's progress; and FAILED, with the job's error, when the job ended without settling it (its process
 * died, its lease ran out).
 */
export async function jobBackedState(jobs: Pick<JobsService, 'get'>, row: { status: string; error: string | null; job_id: string }, failedMessage: string): Promise<JobBackedState> {
  if (row.status !== 'QUEUED' && row.status !== 'RUNNING') return { status: row.status, error: row.error, progress: null };
  const job = await jobs.get(row.job_id).catch(() => null);
  if (job?.status === 'FAILED') return { status: 'FAILED', error: job.error ?? failedMessage, progress: null };
  return { status: row.status, error: row.error, progress: job ? { fraction: job.progress, message: job.progressMessage } : null };
}
