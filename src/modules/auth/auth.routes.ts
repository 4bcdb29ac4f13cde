import { Type } from 'typebox';
import { Name, withErrors } from '../../http/schemas.js';
import { principalOf, type App } from '../../http/types.js';
import { PLATFORM_ROLES, PROJECT_ROLES } from '../../platform/principal.js';
import type { AuthService } from './auth.service.js';

const Role = Type.Union([Type.Literal(PLATFORM_ROLES[0]), Type.Literal(PLATFORM_ROLES[1])], { description: "'admin': a platform admin (every project, users, tokens, the audit trail); 'user': the roles their projects give" });
export const ProjectRoleSchema = Type.Union(PROJECT_ROLES.map((r) => Type.Literal(r)), { description: 'viewer < contributor < reviewer < deployer < admin' });

const UserSchema = Type.Object({ name: Type.String(), role: Role, disabled: Type.Boolean(), createdAt: Type.String(), createdBy: Type.String() });

const TokenSchema = Type.Object({
  id: Type.String(),
  user: Type.String(),
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the token, to tell tokens apart' }),
  createdAt: Type.String(),
  createdBy: Type.String(),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  deployments: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'Null, or the deployments ("project/name") this token may call inference on, and nothing else' }),
});

export function authRoutes(app: App, auth: AuthService): void {
  app.get(
    '/api/v1/whoami',
    { config: { auth: 'user' }, schema: { tags: ['auth'], summary: 'The user behind the token', response: withErrors({ 200: Type.Intersect([UserSchema, Type.Object({ tokenId: Type.String(), projects: Type.Record(Type.String(), Type.String(), { description: 'Project name → role (viewer, contributor, reviewer, deployer, admin); platform admins hold every role everywhere' }) })]) }) } },
    async (request) => auth.whoami(principalOf(request)),
  );

  app.post(
    '/api/v1/users',
    {
      config: { auth: 'platform' },
      schema: {
        tags: ['auth'],
        summary: 'Create a user (admin)',
        body: Type.Object({ name: Name, role: Role, projects: Type.Optional(Type.Record(Type.String(), ProjectRoleSchema, { description: 'Roles in projects: project name → role' })) }, { additionalProperties: false }),
        response: withErrors({ 201: Type.Intersect([UserSchema, Type.Object({ projects: Type.Record(Type.String(), Type.String()) })]) }, 400, 403, 404, 409),
      },
    },
    async (request, reply) => reply.status(201).send(await auth.createUser(principalOf(request), request.body)),
  );

  app.get(
    '/api/v1/users',
    { config: { auth: 'platform' }, schema: { tags: ['auth'], summary: 'List users (admin)', response: withErrors({ 200: Type.Object({ items: Type.Array(UserSchema) }) }, 403) } },
    async () => ({ items: await auth.listUsers() }),
  );

  app.patch(
    '/api/v1/users/:user',
    {
      config: { auth: 'platform' },
      schema: {
        tags: ['auth'],
        summary: "Change a user's role or disable them (admin)",
        params: Type.Object({ user: Type.String() }),
        body: Type.Object({ role: Type.Optional(Role), disabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: withErrors({ 200: UserSchema }, 400, 403, 404, 409),
      },
    },
    async (request) => auth.updateUser(principalOf(request), request.params.user, request.body),
  );

  app.post(
    '/api/v1/tokens',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['auth'],
        summary: 'Create an API token (for yourself; admins may name another user)',
        description: 'The token text is in the response once and is never shown again.',
        body: Type.Object(
          {
            user: Type.Optional(Name),
            name: Type.Optional(Type.String({ maxLength: 200 })),
            expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
            deployments: Type.Optional(
              Type.Array(Type.String(), {
                minItems: 1,
                maxItems: 100,
                description: 'Limit the token to inference on these deployments ("name" in the default project, or "project/name"); it can then do nothing else',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 201: Type.Intersect([TokenSchema, Type.Object({ token: Type.String() })]) }, 400, 403, 404),
      },
    },
    async (request, reply) => reply.status(201).send(await auth.createToken(principalOf(request), request.body)),
  );

  app.get(
    '/api/v1/tokens',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['auth'],
        summary: "List your tokens (admins: any user's with ?user=)",
        querystring: Type.Object({ user: Type.Optional(Type.String()) }),
        response: withErrors({ 200: Type.Object({ items: Type.Array(TokenSchema) }) }, 403, 404),
      },
    },
    async (request) => ({ items: await auth.listTokens(principalOf(request), request.query.user) }),
  );

  app.delete(
    '/api/v1/tokens/:id',
    {
      config: { auth: 'user' },
      schema: { tags: ['auth'], summary: 'Revoke a token', params: Type.Object({ id: Type.String({ maxLength: 100 }) }), response: withErrors({ 200: TokenSchema }, 403, 404) },
    },
    async (request) => auth.revokeToken(principalOf(request), request.params.id),
  );
}
