import { Readable } from 'node:stream';
import { Type } from 'typebox';
import { ProjectQuery, withErrors } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import { invalidField } from '../../platform/errors.js';
import type { AuditRecord, AuditService } from './audit.service.js';

const Loose = Type.Object({}, { additionalProperties: true });
const Problem = Type.Object({
  kind: Type.String({ description: 'edited, deleted, inserted, relinked, unchained or head' }),
  chain: Type.Union([Type.Integer(), Type.Null()]),
  seq: Type.Union([Type.Integer(), Type.Null()]),
  id: Type.Union([Type.String(), Type.Null()]),
  message: Type.String(),
});
const Report = Type.Object({
  ok: Type.Boolean(),
  checked: Type.Integer(),
  head: Type.Union([Type.Object({ chain: Type.Integer(), hash: Type.String() }), Type.Null()]),
  lastHash: Type.String(),
  problems: Type.Array(Problem),
  truncated: Type.Boolean(),
});
const RecordSchema = Type.Object({
  seq: Type.Integer(),
  chain: Type.Union([Type.Integer(), Type.Null()]),
  id: Type.String(),
  type: Type.String(),
  at: Type.String(),
  actor: Type.String(),
  projectId: Type.Union([Type.String(), Type.Null()]),
  entity: Type.Object({ type: Type.String(), id: Type.String() }),
  payload: Type.Unknown(),
  prevHash: Type.Union([Type.String(), Type.Null()]),
  hash: Type.Union([Type.String(), Type.Null()]),
});
const TAGS = ['audit'];

export function auditRoutes(app: App, audit: AuditService): void {
  app.get(
    '/api/v1/audit/verify',
    {
      config: { auth: 'platform' },
      schema: { tags: TAGS, summary: 'Check the whole hash chain and name every edited, inserted or deleted record (platform admins)', response: withErrors({ 200: Report }, 403) },
    },
    async () => audit.verify(),
  );

  app.get(
    '/api/v1/audit/export',
    {
      config: { auth: 'platform' },
      schema: {
        tags: TAGS,
        summary: 'The audit trail as JSON Lines, one record per line in chain order (platform admins)',
        querystring: Type.Object({ after: Type.Optional(Type.Integer({ minimum: 0, description: 'Start after this seq' })) }),
      },
    },
    async (request, reply) => {
      const lines = async function* (records: AsyncGenerator<AuditRecord>) {
        for await (const r of records) yield `${JSON.stringify(r)}\n`;
      };
      return reply
        .header('content-type', 'application/x-ndjson; charset=utf-8')
        .header('content-disposition', 'attachment; filename="steward-audit.jsonl"')
        .send(Readable.from(lines(audit.export(request.query.after ?? 0))));
    },
  );

  app.get(
    '/api/v1/audit/records',
    {
      config: { auth: 'admin' },
      schema: {
        tags: TAGS,
        summary: "A project's audit records with their hashes (project admins): oldest first after ?after=, or newest first (?order=desc) before ?before=",
        querystring: Type.Object({
          project: Type.Optional(Type.String()),
          order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
          after: Type.Optional(Type.Integer({ minimum: 0 })),
          before: Type.Optional(Type.Integer({ minimum: 1 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        }),
        response: withErrors({ 200: Type.Object({ items: Type.Array(RecordSchema), next: Type.Union([Type.Integer(), Type.Null()], { description: 'The after (or before) of the next page' }) }) }, 400, 403),
      },
    },
    async (request) => {
      const { order = 'asc', after, before, limit = 100 } = request.query;
      if (order === 'asc' && before !== undefined) throw invalidField('before', "goes with order=desc; use 'after' for oldest first");
      if (order === 'desc' && after !== undefined) throw invalidField('after', "goes with order=asc; use 'before' for newest first");
      return audit.records(request.access!.project.id, { order, after, before, limit });
    },
  );

  app.get(
    '/api/v1/audit/served',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: TAGS,
        summary: 'Which version served a deployment, or held a stage or alias, at a time — from the audit trail',
        querystring: Type.Object({
          project: ProjectQuery.properties.project,
          at: Type.String({ description: 'ISO 8601 date and time' }),
          deployment: Type.Optional(Type.String()),
          model: Type.Optional(Type.String()),
          stage: Type.Optional(Type.String()),
          alias: Type.Optional(Type.String()),
        }),
        response: withErrors({ 200: Type.Object({ at: Type.String(), project: Type.String(), subject: Loose, versions: Type.Array(Loose), since: Type.Union([Loose, Type.Null()]) }) }, 400, 403, 404),
      },
    },
    async (request) => {
      const { project: _project, ...input } = request.query;
      return audit.servedAt(request.access!.project.name, input);
    },
  );
}
