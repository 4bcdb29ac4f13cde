import { Type } from 'typebox';
import { Name, ProjectQuery, withErrors } from '../../http/schemas.js';
import { principalOf, type App } from '../../http/types.js';
import type { ProjectRow } from '../../db/schema.js';
import type { Principal, ProjectRole } from '../../platform/principal.js';
import { MAX_BODY, type CommentsService } from './comments.service.js';

/** The part of AccessService these routes use: throws 403/404 unless the caller holds the role in the project. */
export interface ProjectAccess {
  require(principal: Principal, projectId: string, role: ProjectRole): Promise<unknown>;
}

const subjectType = (description?: string) => Type.Union([Type.Literal('model'), Type.Literal('model_version'), Type.Literal('deployment')], description ? { description } : {});
const SubjectType = subjectType();
const Version = Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'Model version number (model_version subjects)' });

const Body = Type.String({
  minLength: 1,
  maxLength: MAX_BODY,
  description:
    'Markdown-ish text, stored as given (shown escaped). `@name` mentions a user: a user name after an @ that starts the text or follows ' +
    'a character other than a letter, digit, _ or @ (so e-mail addresses mention nobody); trailing ".", "_" and "-" are dropped unless a user has ' +
    'that exact name. Users who can read the project are notified; other names come back in unresolvedMentions',
});

const SubjectInput = Type.Object(
  {
    type: SubjectType,
    model: Type.Optional(Name),
    version: Type.Optional(Version),
    deployment: Type.Optional(Name),
  },
  { additionalProperties: false, description: 'model: {type, model}; model_version: {type, model, version}; deployment: {type, deployment}' },
);

const CreateBody = Type.Object(
  {
    subject: SubjectInput,
    body: Body,
    parentId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Reply to this comment (a reply to a reply joins the same thread)' })),
  },
  { additionalProperties: false },
);

const EditBody = Type.Object({ body: Body }, { additionalProperties: false });

const ListQuery = Type.Object({
  project: Type.Optional(Type.String({ description: "Project name; 'default' when omitted" })),
  subjectType: Type.Optional(subjectType('Inferred from the fields given when omitted (deployment, else version, else model)')),
  model: Type.Optional(Name),
  version: Type.Optional(Version),
  deployment: Type.Optional(Name),
});

const SubjectSchema = Type.Object({ type: SubjectType, id: Type.String(), label: Type.String({ description: 'e.g. "price" or "price v3"' }) });

const commentFields = {
  id: Type.String(),
  subject: SubjectSchema,
  parentId: Type.Union([Type.String(), Type.Null()], { description: 'The root comment of the thread; null for a root' }),
  author: Type.String(),
  body: Type.String({ description: '"[deleted]" once deleted' }),
  mentions: Type.Array(Type.String(), { description: 'Users mentioned (and able to read the project when it was written)' }),
  createdAt: Type.String(),
  editedAt: Type.Union([Type.String(), Type.Null()]),
  deleted: Type.Boolean(),
};
const CommentSchema = Type.Object(commentFields);
const WrittenCommentSchema = Type.Object({
  ...commentFields,
  unresolvedMentions: Type.Array(Type.String(), { description: '@names that named no user who can read the project (nobody was notified)' }),
});
const ThreadSchema = Type.Object({ ...commentFields, replies: Type.Array(CommentSchema) });

const NotificationSchema = Type.Object({
  id: Type.String(),
  kind: Type.String({ description: "'mention'" }),
  payload: Type.Object({}, { additionalProperties: true, description: 'mention: commentId, project, subjectType, subjectId, subject, author, excerpt' }),
  createdAt: Type.String(),
  readAt: Type.Union([Type.String(), Type.Null()]),
});

const NotificationsQuery = Type.Object({
  unread: Type.Optional(Type.Boolean({ description: 'Only unread notifications' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, description: 'At most this many, newest first (default 50)' })),
});

const ReadBody = Type.Object(
  {
    ids: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 1000 })),
    all: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, description: 'Either ids, or all: true' },
);

/** The project the app's hook checked the caller's role in (project-role routes with projectFrom 'query'). */
function projectOf(request: { access: { project: ProjectRow } | null }): ProjectRow {
  if (!request.access) throw new Error('project-role route reached without an access check');
  return request.access.project;
}

const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const TAGS = ['comments'];

export function commentRoutes(app: App, comments: CommentsService, access: ProjectAccess): void {
  const authorize = (principal: Principal) => (projectId: string, role: ProjectRole) => access.require(principal, projectId, role);

  app.post(
    '/api/v1/comments',
    {
      config: { auth: 'contributor', projectFrom: 'query' },
      schema: {
        tags: TAGS,
        summary: 'Comment on a model, model version or deployment (or reply to a comment)',
        querystring: ProjectQuery,
        body: CreateBody,
        response: withErrors({ 201: WrittenCommentSchema }, 400, 403, 404, 409),
      },
    },
    async (request, reply) => {
      return reply.status(201).send(await comments.create(principalOf(request), projectOf(request), request.body));
    },
  );

  app.get(
    '/api/v1/comments',
    {
      config: { auth: 'viewer', projectFrom: 'query' },
      schema: {
        tags: TAGS,
        summary: 'The comment threads on a subject: roots oldest first, each with its replies oldest first',
        querystring: ListQuery,
        response: withErrors({ 200: Type.Object({ items: Type.Array(ThreadSchema) }) }, 400, 403, 404),
      },
    },
    async (request) => ({ items: await comments.threads(projectOf(request), request.query) }),
  );

  app.patch(
    '/api/v1/comments/:id',
    {
      config: { auth: 'viewer', projectFrom: 'handler' },
      schema: {
        tags: TAGS,
        summary: 'Edit your own comment (contributor role); users it newly mentions are notified',
        params: IdParams,
        body: EditBody,
        response: withErrors({ 200: WrittenCommentSchema }, 400, 403, 404, 409),
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return comments.edit(principal, request.params.id, request.body, authorize(principal));
    },
  );

  app.delete(
    '/api/v1/comments/:id',
    {
      config: { auth: 'viewer', projectFrom: 'handler' },
      schema: {
        tags: TAGS,
        summary: "Delete a comment: your own (contributor role) or anyone's (project admin). It stays in its thread as [deleted]",
        params: IdParams,
        response: withErrors({ 204: Type.Null() }, 403, 404),
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await comments.remove(principal, request.params.id, authorize(principal));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/notifications',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'Your notifications, newest first, and how many are unread',
        querystring: NotificationsQuery,
        response: withErrors({ 200: Type.Object({ items: Type.Array(NotificationSchema), unread: Type.Integer() }) }, 400),
      },
    },
    async (request) => comments.notifications(principalOf(request), request.query),
  );

  app.post(
    '/api/v1/notifications/read',
    {
      config: { auth: 'user' },
      schema: {
        tags: TAGS,
        summary: 'Mark your notifications read: some (ids) or all',
        body: ReadBody,
        response: withErrors({ 200: Type.Object({ marked: Type.Integer({ description: 'How many were unread and are now read' }) }) }, 400),
      },
    },
    async (request) => comments.markRead(principalOf(request), request.body),
  );
}
