import { Type } from 'typebox';
import { Name, ProjectQuery, withErrors } from '../../http/schemas.js';
import { principalOf, type App } from '../../http/types.js';
import type { DeploymentsService } from './deployments.service.js';

const Target = Type.Object(
  {
    model: Name,
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'A version number; give this or alias' })),
    alias: Type.Optional(Type.String({ description: 'An alias the target follows (a new revision is written when the alias moves); give this or version' })),
    weight: Type.Integer({ minimum: 0, maximum: 100, description: 'Share of the traffic in percent; the weights of all targets sum to 100' }),
  },
  { additionalProperties: false },
);
const ShadowTarget = Type.Object({ model: Name, version: Type.Optional(Type.Integer({ minimum: 1 })), alias: Type.Optional(Type.String()) }, { additionalProperties: false });

const SpecTargetSchema = Type.Object({ model: Type.String(), modelId: Type.String(), version: Type.Integer(), alias: Type.Union([Type.String(), Type.Null()]), weight: Type.Integer() });
const SpecSchema = Type.Object({
  targets: Type.Array(SpecTargetSchema),
  shadow: Type.Array(SpecTargetSchema),
  batching: Type.Union([Type.Object({ maxBatchSize: Type.Integer(), maxDelayMicros: Type.Integer() }), Type.Null()]),
  public: Type.Boolean(),
  timeoutMs: Type.Integer(),
  maxQueue: Type.Integer(),
});
const DeploymentSchema = Type.Object({
  name: Type.String(),
  project: Type.String(),
  revision: Type.Integer({ description: 'The current revision' }),
  spec: SpecSchema,
  createdAt: Type.String(),
  createdBy: Type.String(),
  updatedAt: Type.String(),
  updatedBy: Type.String(),
  live: Type.Boolean({ description: 'Whether this server process serves the current revision' }),
  liveRevision: Type.Union([Type.Integer(), Type.Null()]),
});
const RevisionSchema = Type.Object({
  revision: Type.Integer(),
  spec: SpecSchema,
  cause: Type.String({ description: 'update, rollback, or alias (an alias that a target follows moved)' }),
  comment: Type.String(),
  createdAt: Type.String(),
  createdBy: Type.String(),
  current: Type.Boolean(),
});
const NameParams = Type.Object({ name: Type.String() });

export function deploymentRoutes(app: App, deployments: DeploymentsService): void {
  app.put(
    '/api/v1/deployments/:name',
    {
      config: { auth: 'deployer' },
      schema: {
        tags: ['deployments'],
        summary: 'Create a deployment (201), or change it (200); every change is a new revision',
        description:
          'The new revision loads and warms its models first and only then replaces the live one; in-flight requests finish on the old one. ' +
          'A change that fails (weights not summing to 100, a version that is not READY, an unknown alias, a model that does not load) leaves the live revision untouched.',
        params: NameParams,
        querystring: ProjectQuery,
        body: Type.Object(
          {
            targets: Type.Array(Target, { minItems: 1, maxItems: 16 }),
            shadow: Type.Optional(Type.Array(ShadowTarget, { maxItems: 8, description: 'Versions that get a copy of every request; their outputs are logged, never returned' })),
            batching: Type.Optional(
              Type.Union([
                Type.Object(
                  {
                    maxBatchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'Rows per model call (default 64)' })),
                    maxDelayMicros: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'How long the first request may wait for others (default 1000)' })),
                  },
                  { additionalProperties: false },
                ),
                Type.Null(),
              ]),
            ),
            public: Type.Optional(Type.Boolean({ description: 'Allow inference without a token (default false)' })),
            timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000, description: 'How long a request may wait for the model before a 503 (default 10000)' })),
            maxQueue: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Rows that may wait or run per target before 503s (default 2048)' })),
            comment: Type.Optional(Type.String({ maxLength: 2000, description: 'Why: kept with the revision' })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: DeploymentSchema, 201: DeploymentSchema }, 400, 403, 404, 409, 422),
      },
    },
    async (request, reply) => {
      const d = await deployments.apply(principalOf(request), request.query.project, request.params.name, request.body);
      return reply.status(d.revision === 1 ? 201 : 200).send(d);
    },
  );

  app.get(
    '/api/v1/deployments',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['deployments'], summary: 'List deployments', querystring: ProjectQuery, response: withErrors({ 200: Type.Object({ items: Type.Array(DeploymentSchema) }) }, 404) },
    },
    async (request) => ({ items: await deployments.list(request.query.project) }),
  );

  app.get(
    '/api/v1/deployments/:name',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['deployments'], summary: 'A deployment and its current revision', params: NameParams, querystring: ProjectQuery, response: withErrors({ 200: DeploymentSchema }, 400, 404) },
    },
    async (request) => deployments.get(request.query.project, request.params.name),
  );

  app.get(
    '/api/v1/deployments/:name/revisions',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['deployments'],
        summary: 'Every revision of a deployment, newest first',
        params: NameParams,
        querystring: ProjectQuery,
        response: withErrors({ 200: Type.Object({ items: Type.Array(RevisionSchema) }) }, 400, 404),
      },
    },
    async (request) => ({ items: await deployments.revisions(request.query.project, request.params.name) }),
  );

  app.get(
    '/api/v1/deployments/:name/traffic',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['deployments'],
        summary: 'Recent traffic (this server process): requests/s, errors and latency percentiles per step',
        params: NameParams,
        querystring: Type.Object({
          project: Type.Optional(Type.String()),
          seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 900, description: 'Window, ending at the last whole second (default 300)' })),
          step: Type.Optional(Type.Integer({ minimum: 1, maximum: 900, description: 'Seconds per point (default: window / 60)' })),
        }),
        response: withErrors(
          {
            200: Type.Object({
              seconds: Type.Integer(),
              step: Type.Integer(),
              points: Type.Array(
                Type.Object({
                  t: Type.Number({ description: 'Start of the step, epoch ms' }),
                  requests: Type.Integer(),
                  rows: Type.Integer(),
                  clientErrors: Type.Integer(),
                  serverErrors: Type.Integer(),
                  rps: Type.Number(),
                  errorRate: Type.Union([Type.Number(), Type.Null()]),
                  p50: Type.Union([Type.Number(), Type.Null()], { description: 'ms' }),
                  p95: Type.Union([Type.Number(), Type.Null()]),
                  p99: Type.Union([Type.Number(), Type.Null()]),
                }),
              ),
            }),
          },
          400,
          404,
        ),
      },
    },
    async (request) => deployments.traffic(request.query.project, request.params.name, request.query),
  );

  app.post(
    '/api/v1/deployments/:name/rollback',
    {
      config: { auth: 'deployer' },
      schema: {
        tags: ['deployments'],
        summary: 'Return to an earlier revision (the previous one by default), as a new revision',
        params: NameParams,
        querystring: ProjectQuery,
        body: Type.Optional(
          Type.Object({ revision: Type.Optional(Type.Integer({ minimum: 1 })), comment: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
        ),
        response: withErrors({ 200: DeploymentSchema }, 400, 403, 404, 409, 422),
      },
    },
    async (request) => deployments.rollback(principalOf(request), request.query.project, request.params.name, request.body),
  );

  app.delete(
    '/api/v1/deployments/:name',
    {
      config: { auth: 'deployer' },
      schema: {
        tags: ['deployments'],
        summary: 'Delete a deployment (its endpoints answer 404 from then on)',
        params: NameParams,
        querystring: ProjectQuery,
        response: withErrors({ 200: Type.Object({ name: Type.String(), project: Type.String(), lastRevision: Type.Integer() }) }, 400, 403, 404),
      },
    },
    async (request) => deployments.remove(principalOf(request), request.query.project, request.params.name),
  );
}
