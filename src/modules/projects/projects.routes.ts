import { Type } from 'typebox';
import { Name, withErrors } from '../../http/schemas.js';
import { principalOf, type App } from '../../http/types.js';
import type { ProjectsService } from './projects.service.js';

export const ProjectSchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  createdAt: Type.String(),
  createdBy: Type.String(),
});

export function projectRoutes(app: App, projects: ProjectsService): void {
  app.post(
    '/api/v1/projects',
    {
      config: { auth: 'maintainer' },
      schema: {
        tags: ['projects'],
        summary: 'Create a project',
        body: Type.Object({ name: Name, description: Type.Optional(Type.String({ maxLength: 10_000 })) }, { additionalProperties: false }),
        response: withErrors({ 201: ProjectSchema }, 400, 403, 409),
      },
    },
    async (request, reply) => reply.status(201).send(await projects.create(principalOf(request), request.body)),
  );

  app.get(
    '/api/v1/projects',
    { config: { auth: 'viewer' }, schema: { tags: ['projects'], summary: 'List projects', response: withErrors({ 200: Type.Object({ items: Type.Array(ProjectSchema) }) }) } },
    async () => ({ items: await projects.list() }),
  );

  app.get(
    '/api/v1/projects/:project',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['projects'], summary: 'Get a project', params: Type.Object({ project: Type.String() }), response: withErrors({ 200: ProjectSchema }, 400, 404) },
    },
    async (request) => projects.get(request.params.project),
  );
}
