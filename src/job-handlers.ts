import type { Services } from './app.js';
import type { JobHandler } from './modules/jobs/job-worker.js';

/** Every kind of background job Steward runs, by type. Features add theirs here. */
export function jobHandlers(_services: Services): Record<string, JobHandler> {
  return {};
}
