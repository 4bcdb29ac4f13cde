import { Type } from 'typebox';
import { Cursor, Limit, Page, withErrors } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
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

export function jobRoutes(app: App, jobs: JobsService): void {
  app.get(
    '/api/v1/jobs',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['jobs'],
        summary: 'Background jobs, newest first',
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
    async (request) => jobs.list(request.query),
  );

  app.get(
    '/api/v1/jobs/:id',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['jobs'], summary: 'A job: status, progress, result or error', params: Type.Object({ id: Type.String({ maxLength: 100 }) }), response: withErrors({ 200: JobSchema }, 404) },
    },
    async (request) => jobs.get(request.params.id),
  );
}
