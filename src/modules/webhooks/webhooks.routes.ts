import { Type, type TSchema } from 'typebox';
import { Cursor, Limit, Page, ProjectQuery, withErrors } from '../../http/schemas.js';
import { principalOf, type App } from '../../http/types.js';
import { forbidden } from '../../platform/errors.js';
import type { Principal, ProjectRole } from '../../platform/principal.js';
import { WEBHOOK_EVENT_PREFIXES, WEBHOOK_EVENT_TYPES } from './webhook-events.js';
import type { WebhooksService } from './webhooks.service.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

const EVENTS_DESCRIPTION = `Event patterns: '*', '<kind>.*' or an event type such as 'model_version.created'. Kinds: ${WEBHOOK_EVENT_PREFIXES.join(', ')}`;

const fields = {
  name: Type.String({ minLength: 1, maxLength: 100, description: 'What the webhook is for' }),
  url: Type.String({ maxLength: 2000, description: 'http or https URL without credentials; receives a signed POST per event' }),
  events: Type.Array(Type.String({ maxLength: 200 }), { minItems: 1, maxItems: 100, description: EVENTS_DESCRIPTION }),
  active: Type.Boolean({ description: 'Inactive webhooks receive nothing; their queued deliveries wait (default true)' }),
};

const CreateBody = Type.Object(
  {
    name: fields.name,
    url: fields.url,
    secret: Type.Optional(Type.String({ minLength: 16, maxLength: 256, description: 'HMAC-SHA256 key for x-steward-signature; generated when left out. Shown only in this answer' })),
    events: fields.events,
    active: Type.Optional(fields.active),
    allProjects: Type.Optional(Type.Boolean({ description: "Every project's events instead of the request's project (platform admins only)" })),
  },
  { additionalProperties: false },
);

const UpdateBody = Type.Object(
  {
    name: Type.Optional(fields.name),
    url: Type.Optional(fields.url),
    secret: Type.Optional(Type.String({ minLength: 16, maxLength: 256, description: 'A new signing key; not shown again' })),
    events: Type.Optional(fields.events),
    active: Type.Optional(fields.active),
  },
  { additionalProperties: false },
);

const WebhookSchema = Type.Object({
  id: Type.String(),
  project: Nullable(Type.String({ description: 'null: every project' })),
  name: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  active: Type.Boolean(),
  createdAt: Type.String(),
  createdBy: Type.String(),
  updatedAt: Type.String(),
});

const CreatedSchema = Type.Object({ ...WebhookSchema.properties, secret: Type.String({ description: 'The signing key: shown only here' }) });

const DeliverySchema = Type.Object({
  id: Type.String({ description: 'Sent as x-steward-delivery (the same on every attempt)' }),
  event: Type.String(),
  eventSeq: Type.Integer(),
  status: Type.String({ description: 'pending, delivered or failed' }),
  attempts: Type.Integer(),
  nextAttemptAt: Nullable(Type.String()),
  lastStatus: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  log: Type.Array(Type.Object({ at: Type.String(), status: Type.Optional(Type.Integer()), error: Type.Optional(Type.String()), ms: Type.Number() })),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const DeliveryParams = Type.Object({ id: Type.String({ maxLength: 100 }), deliveryId: Type.String({ maxLength: 100 }) });
const TAGS = ['webhooks'];

/**
 * Webhook subscriptions. Listing and creating act in the request's project (`?project=`, project admins);
 * routes by id check the webhook's own project once it is loaded, and a webhook of every project needs a
 * platform admin.
 */
export function webhookRoutes(app: App, webhooks: WebhooksService, access: { require(principal: Principal, projectId: string, role: ProjectRole): Promise<unknown> }): void {
  /** Throws unless the caller administers the webhook's project (or is a platform admin, for a webhook of every project). */
  async function mayManage(principal: Principal, id: string): Promise<void> {
    const { projectId } = await webhooks.ownerOf(id);
    if (projectId === null) {
      if (principal.role !== 'admin') throw forbidden('this webhook receives the events of every project; only platform admins can manage it', { required: 'platform admin' });
      return;
    }
    await access.require(principal, projectId, 'admin');
  }

  app.post(
    '/api/v1/webhooks',
    {
      config: { auth: 'admin' },
      schema: {
        tags: TAGS,
        summary: "Subscribe a URL to the project's events (the answer shows the secret, once)",
        querystring: ProjectQuery,
        body: CreateBody,
        response: withErrors({ 201: CreatedSchema }, 400, 403, 404),
      },
    },
    async (request, reply) => reply.status(201).send(await webhooks.create(principalOf(request), request.access!.project, request.body)),
  );

  app.get(
    '/api/v1/webhooks/events',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'The event types a webhook can subscribe to, with what each means',
        response: withErrors({ 200: Type.Object({ items: Type.Array(Type.Object({ type: Type.String(), description: Type.String() })) }) }),
      },
    },
    async () => ({ items: Object.entries(WEBHOOK_EVENT_TYPES).map(([type, description]) => ({ type, description })) }),
  );

  app.get(
    '/api/v1/webhooks',
    {
      config: { auth: 'admin' },
      schema: {
        tags: TAGS,
        summary: "The project's webhooks (and, for platform admins, the webhooks of every project), without secrets",
        querystring: ProjectQuery,
        response: withErrors({ 200: Type.Object({ items: Type.Array(WebhookSchema) }) }, 400, 403, 404),
      },
    },
    async (request) => webhooks.list(principalOf(request), request.access!.project),
  );

  app.get(
    '/api/v1/webhooks/:id',
    {
      config: { auth: 'admin', projectFrom: 'handler' },
      schema: { tags: TAGS, summary: 'A webhook, without its secret', params: IdParams, response: withErrors({ 200: WebhookSchema }, 403, 404) },
    },
    async (request) => {
      await mayManage(principalOf(request), request.params.id);
      return webhooks.get(request.params.id);
    },
  );

  app.patch(
    '/api/v1/webhooks/:id',
    {
      config: { auth: 'admin', projectFrom: 'handler' },
      schema: { tags: TAGS, summary: "Change a webhook's name, URL, secret, events or active flag", params: IdParams, body: UpdateBody, response: withErrors({ 200: WebhookSchema }, 400, 403, 404) },
    },
    async (request) => {
      const principal = principalOf(request);
      await mayManage(principal, request.params.id);
      return webhooks.update(principal, request.params.id, request.body);
    },
  );

  app.delete(
    '/api/v1/webhooks/:id',
    {
      config: { auth: 'admin', projectFrom: 'handler' },
      schema: { tags: TAGS, summary: 'Delete a webhook and its delivery log', params: IdParams, response: withErrors({ 204: Type.Null() }, 403, 404) },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await mayManage(principal, request.params.id);
      await webhooks.remove(principal, request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/webhooks/:id/deliveries',
    {
      config: { auth: 'admin', projectFrom: 'handler' },
      schema: {
        tags: TAGS,
        summary: "A webhook's deliveries, newest first, with every attempt",
        params: IdParams,
        querystring: Type.Object({ limit: Limit, cursor: Cursor }),
        response: withErrors({ 200: Page(DeliverySchema) }, 400, 403, 404),
      },
    },
    async (request) => {
      await mayManage(principalOf(request), request.params.id);
      return webhooks.deliveries(request.params.id, request.query);
    },
  );

  app.post(
    '/api/v1/webhooks/:id/test',
    {
      config: { auth: 'admin', projectFrom: 'handler' },
      schema: { tags: TAGS, summary: 'Send a webhook.test delivery to this webhook only', params: IdParams, response: withErrors({ 202: DeliverySchema }, 403, 404, 409) },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await mayManage(principal, request.params.id);
      return reply.status(202).send(await webhooks.test(principal, request.params.id));
    },
  );

  app.post(
    '/api/v1/webhooks/:id/deliveries/:deliveryId/redeliver',
    {
      config: { auth: 'admin', projectFrom: 'handler' },
      schema: { tags: TAGS, summary: 'Send a delivered or failed delivery again (same id and body)', params: DeliveryParams, response: withErrors({ 202: DeliverySchema }, 403, 404, 409) },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await mayManage(principal, request.params.id);
      return reply.status(202).send(await webhooks.redeliver(principal, request.params.id, request.params.deliveryId));
    },
  );
}
