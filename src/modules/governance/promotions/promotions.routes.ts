import { Type } from 'typebox';
import { ProjectQuery, withErrors } from '../../../http/schemas.js';
import { principalOf, type App } from '../../../http/types.js';
import type { PromotionsService } from './promotions.service.js';

const Loose = Type.Object({}, { additionalProperties: true });
const PromotionSchema = Type.Object({
  id: Type.String(),
  project: Type.String(),
  model: Type.String(),
  version: Type.Integer(),
  versionAuthor: Type.String(),
  kind: Type.String({ description: 'stage, alias or deployment' }),
  target: Type.String({ description: 'The stage, alias or deployment name' }),
  change: Loose,
  status: Type.String({ description: 'open, executed, rejected, cancelled or failed' }),
  message: Type.String(),
  comment: Type.String(),
  createdAt: Type.String(),
  createdBy: Type.String(),
  updatedAt: Type.String(),
  executedAt: Type.Union([Type.String(), Type.Null()]),
  decisions: Type.Array(Type.Object({ reviewer: Type.String(), decision: Type.String(), comment: Type.String(), at: Type.String() })),
  evaluation: Type.Union(
    [
      Type.Object({
        move: Type.String(),
        tier: Type.String(),
        policy: Type.Union([Type.Object({ id: Type.String(), version: Type.Integer() }), Type.Null()]),
        requirement: Type.Union([Loose, Type.Null()]),
        satisfied: Type.Boolean(),
        unmet: Type.Array(Type.String()),
        gates: Type.Array(Loose),
        approvals: Type.Array(Loose),
      }),
      Type.Null(),
    ],
    { description: 'For open requests: what the policy says now' },
  ),
});
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const Decision = Type.Object({ comment: Type.Optional(Type.String({ maxLength: 5000 })) }, { additionalProperties: false });
const TAGS = ['governance'];

export function promotionRoutes(app: App, promotions: PromotionsService): void {
  app.post(
    '/api/v1/promotions',
    {
      config: { auth: 'contributor' },
      schema: {
        tags: TAGS,
        summary: 'Ask for a version to enter a stage, take an alias, or serve in a deployment; made at once when the policy already allows it',
        querystring: ProjectQuery,
        body: Type.Object(
          {
            model: Type.String(),
            version: Type.Integer(),
            kind: Type.String({ description: 'stage | alias | deployment' }),
            target: Type.String({ description: 'Staging/Production/Archived/None, an alias, or a deployment name' }),
            change: Type.Optional(Type.Union([Loose, Type.Null()], { description: 'stage: {archiveExisting}; deployment: the deployment spec to apply (as PUT /deployments/{name}); without it the version joins as a shadow' })),
            comment: Type.Optional(Type.String({ maxLength: 5000 })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 201: PromotionSchema }, 400, 403, 404, 409),
      },
    },
    async (request, reply) => reply.status(201).send(await promotions.request(principalOf(request), request.access!.project.name, request.body)),
  );

  app.get(
    '/api/v1/promotions',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: TAGS,
        summary: 'Promotion requests, newest first; ?inbox=true: the open ones the caller may still review',
        querystring: Type.Object({
          project: Type.Optional(Type.String()),
          status: Type.Optional(Type.String()),
          model: Type.Optional(Type.String()),
          version: Type.Optional(Type.Integer({ minimum: 1 })),
          inbox: Type.Optional(Type.Boolean()),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
        }),
        response: withErrors({ 200: Type.Object({ items: Type.Array(PromotionSchema) }) }, 400, 403, 404),
      },
    },
    async (request) => {
      const { inbox, project: _project, ...query } = request.query;
      return { items: await promotions.list(request.access!.project.name, { ...query, ...(inbox ? { reviewer: principalOf(request).name } : {}) }) };
    },
  );

  app.get(
    '/api/v1/promotions/:id',
    { config: { auth: 'viewer' }, schema: { tags: TAGS, summary: 'A promotion request with its decisions and what the policy says now', params: IdParams, querystring: ProjectQuery, response: withErrors({ 200: PromotionSchema }, 403, 404) } },
    async (request) => promotions.get(request.access!.project.name, request.params.id),
  );

  app.post(
    '/api/v1/promotions/:id/approve',
    {
      config: { auth: 'reviewer' },
      schema: { tags: TAGS, summary: 'Approve (reviewers other than the version’s author and the requester); the move happens once the policy is satisfied', params: IdParams, querystring: ProjectQuery, body: Decision, response: withErrors({ 200: PromotionSchema }, 400, 403, 404, 409) },
    },
    async (request) => promotions.approve(principalOf(request), request.access!.project.name, request.params.id, request.body),
  );

  app.post(
    '/api/v1/promotions/:id/reject',
    {
      config: { auth: 'reviewer' },
      schema: { tags: TAGS, summary: 'Reject (closes the request)', params: IdParams, querystring: ProjectQuery, body: Decision, response: withErrors({ 200: PromotionSchema }, 400, 403, 404, 409) },
    },
    async (request) => promotions.reject(principalOf(request), request.access!.project.name, request.params.id, request.body),
  );

  app.post(
    '/api/v1/promotions/:id/cancel',
    {
      config: { auth: 'contributor' },
      schema: { tags: TAGS, summary: 'Withdraw an open request (its requester or a project admin)', params: IdParams, querystring: ProjectQuery, response: withErrors({ 200: PromotionSchema }, 403, 404, 409) },
    },
    async (request) => promotions.cancel(principalOf(request), request.access!.project.name, request.params.id),
  );
}
