import { Type } from 'typebox';
import { ProjectQuery, withErrors } from '../../../http/schemas.js';
import { principalOf, type App } from '../../../http/types.js';
import type { PoliciesService } from './policies.service.js';

const Loose = Type.Object({}, { additionalProperties: true });
const PolicySchema = Type.Object({
  id: Type.Union([Type.String(), Type.Null()]),
  project: Type.String(),
  tier: Type.String({ description: 'low, medium or high' }),
  version: Type.Integer({ description: '0 for the built-in default of the tier' }),
  document: Type.Object(
    { gates: Type.Array(Loose), stages: Loose, aliases: Loose, deployments: Type.Union([Loose, Type.Null()]) },
    { description: 'The checked policy: gates (gate specs by name), stages / aliases / deployments (requirements: gates, maxGateAgeDays, approvals, modelCard, explanationReport)' },
  ),
  source: Type.String({ description: 'The text as published (JSON or YAML)' }),
  sha256: Type.Union([Type.String(), Type.Null()]),
  comment: Type.String(),
  createdAt: Type.Union([Type.String(), Type.Null()]),
  createdBy: Type.Union([Type.String(), Type.Null()]),
  builtIn: Type.Boolean(),
  refusesGovernedMoves: Type.Boolean({ description: 'A high tier with nothing published: nothing may reach Production, a protected alias or a deployment' }),
});
const TierParams = Type.Object({ tier: Type.String({ description: 'low, medium or high' }) });
const TAGS = ['governance'];

export function policyRoutes(app: App, policies: PoliciesService): void {
  app.get(
    '/api/v1/policies',
    {
      config: { auth: 'viewer' },
      schema: { tags: TAGS, summary: 'The policy in force for each risk tier of the project (published, or the built-in default)', querystring: ProjectQuery, response: withErrors({ 200: Type.Object({ items: Type.Array(PolicySchema) }) }, 403, 404) },
    },
    async (request) => ({ items: await policies.current(request.access!.project.name) }),
  );

  app.post(
    '/api/v1/policies/validate',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: TAGS,
        summary: 'Check policy text without publishing it',
        querystring: ProjectQuery,
        body: Type.Object({ policy: Type.String({ description: 'JSON or YAML' }) }, { additionalProperties: false }),
        response: withErrors({ 200: Type.Object({ document: PolicySchema.properties.document }) }, 400, 403),
      },
    },
    async (request) => ({ document: policies.validate(request.body) }),
  );

  app.get(
    '/api/v1/policies/:tier/versions',
    {
      config: { auth: 'viewer' },
      schema: { tags: TAGS, summary: 'Every published version of a tier’s policy, newest first', params: TierParams, querystring: ProjectQuery, response: withErrors({ 200: Type.Object({ items: Type.Array(PolicySchema) }) }, 400, 403, 404) },
    },
    async (request) => ({ items: await policies.history(request.access!.project.name, request.params.tier) }),
  );

  app.post(
    '/api/v1/policies/:tier/versions',
    {
      config: { auth: 'admin' },
      schema: {
        tags: TAGS,
        summary: 'Publish the next version of a tier’s policy (project admins); published versions never change',
        params: TierParams,
        querystring: ProjectQuery,
        body: Type.Object({ policy: Type.String({ description: 'The policy as JSON or YAML' }), comment: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
        response: withErrors({ 201: PolicySchema }, 400, 403, 404, 409),
      },
    },
    async (request, reply) => reply.status(201).send(await policies.publish(principalOf(request), request.access!.project.name, request.params.tier, request.body)),
  );

  app.get(
    '/api/v1/policies/:tier/versions/:version',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: TAGS,
        summary: "One version of a tier's policy ('current' for the one in force, 0 for the built-in default)",
        params: Type.Object({ tier: Type.String(), version: Type.String() }),
        querystring: ProjectQuery,
        response: withErrors({ 200: PolicySchema }, 400, 403, 404),
      },
    },
    async (request) => policies.get(request.access!.project.name, request.params.tier, request.params.version),
  );
}
