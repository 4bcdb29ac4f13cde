import type { Services } from './app.js';
import { PREPARE_JOB, PROFILE_JOB, SPLIT_JOB } from './modules/datasets/datasets.service.js';
import type { JobHandler } from './modules/jobs/job-worker.js';
import { REFERENCE_JOB } from './modules/monitoring/monitoring.service.js';
import { EXPLAIN_REPORT_JOB } from './modules/explain/explain.service.js';
import { GATE_RUN_JOB } from './modules/governance/gates/gates.service.js';
import { TRAINING_JOB } from './modules/training/training.service.js';

/** Every kind of background job Steward runs, by type. Features add theirs here. */
export function jobHandlers(services: Services): Record<string, JobHandler> {
  return {
    [PROFILE_JOB]: (payload, ctx) => services.datasets.runProfileJob(payload, ctx),
    [SPLIT_JOB]: (payload, ctx) => services.datasets.runSplitJob(payload, ctx),
    [PREPARE_JOB]: (payload, ctx) => services.datasets.runPrepareJob(payload, ctx),
    [REFERENCE_JOB]: (payload, ctx) => services.monitoring.runReferenceJob(payload, ctx),
    [EXPLAIN_REPORT_JOB]: (payload, ctx) => services.explain.runReportJob(payload, ctx),
    [GATE_RUN_JOB]: (payload, ctx) => services.gates.runJob(payload, ctx),
  };
}

/**
 * Jobs that can run for many minutes (trainings). They get a job worker of their own, so that a training
 * never holds up the short jobs above (profiles, splits, gates, reports), which queue behind each other.
 */
export function longJobHandlers(services: Services): Record<string, JobHandler> {
  return {
    [TRAINING_JOB]: (payload, ctx) => services.training.runJob(payload, ctx),
  };
}
