import { Type } from 'typebox';
import { Cursor, Limit, Page, withErrors } from '../../http/schemas.js';
import { principalOf, type App } from '../../http/types.js';
import { forbidden } from '../../platform/errors.js';
import type { AccessService } from '../access/access.service.js';
import type { JobsService } from './jobs.service.js';

export const JobSchema = Type.Object({
  id: Type.String(),
  type: Type.String(),
  status: Type.String({ description: 'QUEUED, RUNNING, SUCCEEDED or FAILED' }),
  project: Type.Union([Type.String(), Type.Null()]),
  progress: Type.Number({ description: '0 to 1' }),
  progressMessage: Type.String(),
  attempts: Type.Integer(),
  maxAttempts: Type.Integer(),
  payload: Type.Unknown(),
  result: Type.Unknown(),
  error: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  createdBy: Type.String(),
  startedAt: Type.Union([Type.String(), Type.Null()]),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  updatedAt: Type.String(),
});

export function jobRoutes(app: App, jobs: JobsService, access: Pick<AccessService, 'check'>): void {
  app.get(
    '/api/v1/jobs',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['jobs'],
        summary: "Background jobs, newest first: a project's (viewer), or every job (platform admins, without ?project)",
        querystring: Type.Object({
          status: Type.Optional(Type.String()),
          type: Type.Optional(Type.String({ maxLength: 100 })),
          project: Type.Optional(Type.String()),
          limit: Limit,
          cursor: Cursor,
        }),
        response: withErrors({ 200: Page(JobSchema) }, 400, 404),
      },
    },
    async (request) => {
      const principal = principalOf(request);
      // Platform admins list every job unless they name a project; others list one project's jobs.
      if (principal.role === 'admin' && request.query.project === undefined) return jobs.list(request.query);
      const { project } = await access.check(principal, request.query.project, 'viewer');
      return jobs.list({ ...request.query, project: project.name });
    },
  );

  app.get(
    '/api/v1/jobs/:id',
    {
      config: { auth: 'viewer', projectFrom: 'handler' },
      schema: { tags: ['jobs'], summary: 'A job: status, progress, result or error', params: Type.Object({ id: Type.String({ maxLength: 100 }) }), response: withErrors({ 200: JobSchema }, 404) },
    },
    async (request) => {
      const job = await jobs.get(request.params.id);
      const principal = principalOf(request);
      // A job of no project (Steward's own work) is for platform admins.
      if (job.project === null) {
        if (principal.role !== 'admin') throw forbidden('this job belongs to no project; only platform admins can read it');
      } else await access.check(principal, job.project, 'viewer');
      return job;
    },
  );
}
