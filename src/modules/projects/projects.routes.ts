import { Type } from 'typebox';
import { Name, withErrors } from '../../http/schemas.js';
import { principalOf, type App } from '../../http/types.js';
import type { AccessService } from '../access/access.service.js';
import { ProjectRoleSchema } from '../auth/auth.routes.js';
import type { ProjectsService } from './projects.service.js';

const MemberSchema = Type.Object({ user: Type.String(), role: Type.String(), since: Type.String(), grantedBy: Type.String() });

export const ProjectSchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  createdAt: Type.String(),
  createdBy: Type.String(),
});

export function projectRoutes(app: App, projects: ProjectsService, access: AccessService): void {
  app.post(
    '/api/v1/projects',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['projects'],
        summary: 'Create a project (any user; the creator becomes its admin)',
        body: Type.Object({ name: Name, description: Type.Optional(Type.String({ maxLength: 10_000 })) }, { additionalProperties: false }),
        response: withErrors({ 201: ProjectSchema }, 400, 403, 409),
      },
    },
    async (request, reply) => {
      const created = await projects.create(principalOf(request), request.body);
      access.forget(); // the creator is now the project's admin
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/api/v1/projects',
    { config: { auth: 'user' }, schema: { tags: ['projects'], summary: 'List the projects the caller has a role in (all of them for platform admins)', response: withErrors({ 200: Type.Object({ items: Type.Array(ProjectSchema) }) }) } },
    async (request) => ({ items: await projects.list(await access.visibleProjectIds(principalOf(request))) }),
  );

  app.get(
    '/api/v1/projects/:project',
    {
      config: { auth: 'viewer', projectFrom: 'params' },
      schema: { tags: ['projects'], summary: 'Get a project', params: Type.Object({ project: Type.String() }), response: withErrors({ 200: ProjectSchema }, 400, 404) },
    },
    async (request) => projects.get(request.params.project),
  );

  app.get(
    '/api/v1/projects/:project/members',
    {
      config: { auth: 'viewer', projectFrom: 'params' },
      schema: { tags: ['projects'], summary: "A project's members and their roles", params: Type.Object({ project: Type.String() }), response: withErrors({ 200: Type.Object({ items: Type.Array(MemberSchema) }) }, 403, 404) },
    },
    async (request) => ({ items: await access.listMembers(request.params.project) }),
  );

  app.put(
    '/api/v1/projects/:project/members/:user',
    {
      config: { auth: 'admin', projectFrom: 'params' },
      schema: {
        tags: ['projects'],
        summary: "Give a user a role in the project (replacing their role there); project admins",
        params: Type.Object({ project: Type.String(), user: Type.String() }),
        body: Type.Object({ role: ProjectRoleSchema }, { additionalProperties: false }),
        response: withErrors({ 200: MemberSchema }, 400, 403, 404),
      },
    },
    async (request) => access.setMember(principalOf(request), request.params.project, request.params.user, request.body),
  );

  app.delete(
    '/api/v1/projects/:project/members/:user',
    {
      config: { auth: 'admin', projectFrom: 'params' },
      schema: { tags: ['projects'], summary: "Take away a user's role in the project; project admins", params: Type.Object({ project: Type.String(), user: Type.String() }), response: withErrors({ 204: Type.Null() }, 403, 404) },
    },
    async (request, reply) => {
      await access.removeMember(principalOf(request), request.params.project, request.params.user);
      return reply.status(204).send(null);
    },
  );
}
