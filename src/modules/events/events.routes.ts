import { Type } from 'typebox';
import { withErrors } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import type { EventRepository } from './events.repository.js';

const EventSchema = Type.Object({
  seq: Type.Integer(),
  id: Type.String(),
  type: Type.String(),
  at: Type.String(),
  actor: Type.String(),
  projectId: Type.Union([Type.String(), Type.Null()]),
  entityType: Type.String(),
  entityId: Type.String(),
  payload: Type.Object({}, { additionalProperties: true }),
});

export function eventRoutes(app: App, events: EventRepository): void {
  app.get(
    '/api/v1/events',
    {
      config: { auth: 'platform' },
      schema: {
        tags: ['events'],
        summary: 'The domain event stream, oldest first (platform admin)',
        description: 'Every state change is recorded here in the same transaction as the change. Page with ?after=<last seq>.',
        querystring: Type.Object({
          after: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          entityType: Type.Optional(Type.String()),
          entityId: Type.Optional(Type.String()),
        }),
        response: withErrors({ 200: Type.Object({ items: Type.Array(EventSchema) }) }, 400, 403),
      },
    },
    async (request) => {
      const { after = 0, limit = 100, entityType, entityId } = request.query;
      return { items: await events.list({ after, limit, entityType, entityId }) };
    },
  );
}
