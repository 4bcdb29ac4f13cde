/**
 * Comments on models, model versions and deployments, in threads (a root comment and its replies, one
 * level deep), with @mentions that notify the users they name. Each change and its domain events
 * (comment.created, comment.edited, comment.deleted, and comment.mentioned per user notified) are written
 * in one transaction. Bodies are stored as given (Markdown-ish text); whoever shows them escapes them.
 */
import type { MetadataStore, Repositories } from '../../db/metadata-store.js';
import type { CommentRow, NotificationRow, ProjectRow } from '../../db/schema.js';
import { isoTime, type Clock } from '../../platform/clock.js';
import { conflict, forbidden, invalidField, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { checkName, printable } from '../../platform/names.js';
import type { Principal, ProjectRole } from '../../platform/principal.js';
import { asObject, onlyKeys, optionalPositiveInt } from '../../platform/validate.js';
import { domainEvent } from '../events/domain-event.js';
import { SUBJECT_TYPES, type SubjectType } from './comments.repository.js';
import { candidateNames, excerpt, MAX_MENTIONS, mentionTokens, resolveMentions } from './mentions.js';

export const MAX_BODY = 10_000;
/** What a deleted comment shows instead of its body. */
export const DELETED_BODY = '[deleted]';
export const MENTION_KIND = 'mention';
const MAX_NOTIFICATIONS = 200;
const MAX_READ_IDS = 1000;

export interface SubjectView {
  type: SubjectType;
  id: string;
  /** How people call it: "price", "price v3". */
  label: string;
}

export interface CommentView {
  id: string;
  subject: SubjectView;
  /** The root comment of the thread this one replies to; null for a root. */
  parentId: string | null;
  author: string;
  /** "[deleted]" once deleted. */
  body: string;
  /** Users the body mentions (who could read the project when it was written). */
  mentions: string[];
  createdAt: string;
  editedAt: string | null;
  deleted: boolean;
}

export interface ThreadView extends CommentView {
  replies: CommentView[];
}

/** A comment just written, with the @names that named no user who can read the project. */
export interface WrittenCommentView extends CommentView {
  unresolvedMentions: string[];
}

export interface MentionPayload {
  commentId: string;
  project: string;
  subjectType: SubjectType;
  subjectId: string;
  subject: string;
  author: string;
  excerpt: string;
}

export interface NotificationView {
  id: string;
  kind: string;
  payload: Record<string, unknown>;
  createdAt: string;
  readAt: string | null;
}

/** A subject named the way users name it (within one project). */
export type SubjectRef = { type: 'model'; model: string } | { type: 'model_version'; model: string; version: number } | { type: 'deployment'; deployment: string };

/**
 * Checks the caller's role in a project; throws (403) when it falls short. Routes pass one bound to the
 * caller (AccessService.require). It reads through the store, so it is never called inside a transaction.
 */
export type Authorize = (projectId: string, role: ProjectRole) => Promise<unknown>;

export interface CommentsDeps {
  store: MetadataStore;
  clock: Clock;
}

function isSubjectType(v: unknown): v is SubjectType {
  return typeof v === 'string' && (SUBJECT_TYPES as readonly string[]).includes(v);
}

/**
 * A subject from its parts. `fields` names where each part came from (the body's "subject.model", or the
 * query's "model"); the type may be left out when `inferType` (then the parts given decide it).
 */
export function parseSubject(
  parts: { type?: unknown; model?: unknown; version?: unknown; deployment?: unknown },
  fields: { type: string; model: string; version: string; deployment: string },
  inferType: boolean,
): SubjectRef {
  let type = parts.type;
  if (type === undefined && inferType) type = parts.deployment !== undefined ? 'deployment' : parts.version !== undefined ? 'model_version' : parts.model !== undefined ? 'model' : undefined;
  if (type === undefined) throw invalidField(fields.type, `is required (one of ${SUBJECT_TYPES.join(', ')})`);
  if (!isSubjectType(type)) throw invalidField(fields.type, `must be one of ${SUBJECT_TYPES.join(', ')}`);
  const absent = (key: 'model' | 'version' | 'deployment') => {
    if (parts[key] !== undefined) throw invalidField(fields[key], `does not apply to a ${type} subject`);
  };
  const required = (key: 'model' | 'deployment') => {
    if (parts[key] === undefined) throw invalidField(fields[key], `is required for a ${type} subject`);
    return checkName(fields[key], parts[key]);
  };
  switch (type) {
    case 'model':
      absent('version');
      absent('deployment');
      return { type, model: required('model') };
    case 'model_version': {
      absent('deployment');
      const model = required('model');
      const version = optionalPositiveInt(fields.version, parts.version);
      if (version === undefined) throw invalidField(fields.version, 'is required for a model_version subject');
      return { type, model, version };
    }
    case 'deployment':
      absent('model');
      absent('version');
      return { type, deployment: required('deployment') };
  }
}

function parseBody(value: unknown): string {
  if (value === undefined || value === null) throw invalidField('body', 'is required');
  if (typeof value !== 'string') throw invalidField('body', 'must be a string');
  if (value.trim().length === 0) throw invalidField('body', 'must not be empty');
  if (value.length > MAX_BODY) throw invalidField('body', `must be at most ${MAX_BODY} characters`);
  if (value.includes('\u0000')) throw invalidField('body', 'must not contain NUL (\\u0000) characters');
  const tokens = mentionTokens(value);
  if (tokens.length > MAX_MENTIONS) throw invalidField('body', `may mention at most ${MAX_MENTIONS} different names`);
  return value;
}

const deletedConflict = (id: string) => conflict('COMMENT_DELETED', `comment '${id}' was deleted; it cannot be edited`, { comment: id });

function readMentions(row: CommentRow): string[] {
  return JSON.parse(row.mentions) as string[];
}

export class CommentsService {
  constructor(private readonly deps: CommentsDeps) {}

  // -------------------------------------------------------------------------------------------------------
  // Comments

  /** Writes a comment (or a reply, with `parentId`) on a subject of the project. */
  async create(actor: Principal, project: ProjectRow, input: unknown): Promise<WrittenCommentView> {
    const obj = asObject('request', input);
    onlyKeys('request', obj, ['subject', 'body', 'parentId']);
    if (obj.subject === undefined) throw invalidField('subject', 'is required');
    const subjectParts = asObject('subject', obj.subject);
    onlyKeys('subject', subjectParts, ['type', 'model', 'version', 'deployment']);
    const ref = parseSubject(subjectParts, { type: 'subject.type', model: 'subject.model', version: 'subject.version', deployment: 'subject.deployment' }, false);
    const body = parseBody(obj.body);
    const parentId = obj.parentId ?? null;
    if (parentId !== null && (typeof parentId !== 'string' || parentId.length === 0 || parentId.length > 100)) throw invalidField('parentId', 'must be the id of a comment');

    const { store, clock } = this.deps;
    return store.transaction(async (tx) => {
      const subject = await this.resolveSubject(tx, project, ref);
      let rootId: string | null = null;
      if (parentId !== null) {
        const parent = await tx.comments.get(parentId);
        if (!parent || parent.subject_type !== subject.type || parent.subject_id !== subject.id) {
          throw invalidField('parentId', `'${printable(parentId)}' is not a comment on ${subject.type} '${subject.label}'`);
        }
        if (parent.deleted_at !== null) throw conflict('COMMENT_DELETED', `comment '${parentId}' was deleted; it cannot be replied to`, { field: 'parentId' });
        rootId = parent.parent_id ?? parent.id;
      }
      const { resolved, unresolved, users } = await this.mentions(tx, project.id, body);
      const row: CommentRow = {
        id: newId(clock.now()),
        project_id: project.id,
        subject_type: subject.type,
        subject_id: subject.id,
        parent_id: rootId,
        author: actor.name,
        body,
        mentions: JSON.stringify(resolved),
        created_at: isoTime(clock),
        edited_at: null,
        deleted_at: null,
      };
      await tx.comments.insert(row);
      await tx.events.append(
        domainEvent(clock, actor.name, 'comment.created', { type: 'comment', id: row.id, projectId: project.id }, { subject, parentId: rootId, body, mentions: resolved }),
      );
      await this.notify(tx, actor, project, row, subject, users);
      return { ...this.view(row, subject), unresolvedMentions: unresolved };
    });
  }

  /** The threads on a subject of the project: roots oldest first, each with its replies oldest first. */
  async threads(project: ProjectRow, query: { subjectType?: unknown; model?: unknown; version?: unknown; deployment?: unknown }): Promise<ThreadView[]> {
    const ref = parseSubject({ type: query.subjectType, model: query.model, version: query.version, deployment: query.deployment }, { type: 'subjectType', model: 'model', version: 'version', deployment: 'deployment' }, true);
    const subject = await this.resolveSubject(this.deps.store, project, ref);
    const rows = await this.deps.store.comments.listForSubject(subject.type, subject.id);
    const threads = new Map<string, ThreadView>();
    for (const row of rows) if (row.parent_id === null) threads.set(row.id, { ...this.view(row, subject), replies: [] });
    for (const row of rows) {
      if (row.parent_id === null) continue;
      const thread = threads.get(row.parent_id);
      // A reply always points at a root on the same subject; were it not so, show it as a thread of its own.
      if (thread) thread.replies.push(this.view(row, subject));
      else threads.set(row.id, { ...this.view(row, subject), replies: [] });
    }
    return [...threads.values()];
  }

  /** One comment by id, for routes that must check the caller's role in its project first. */
  async get(id: string): Promise<CommentRow> {
    const row = await this.deps.store.comments.get(id);
    if (!row) throw notFound('COMMENT_NOT_FOUND', `there is no comment with id '${printable(id)}'`, { comment: id });
    return row;
  }

  /** Replaces the body of the caller's own comment; users it newly mentions are notified. */
  async edit(actor: Principal, id: string, input: unknown, authorize: Authorize): Promise<WrittenCommentView> {
    const obj = asObject('request', input);
    onlyKeys('request', obj, ['body']);
    const body = parseBody(obj.body);
    const found = await this.get(id);
    await authorize(found.project_id, 'contributor');
    if (found.author !== actor.name) throw forbidden('only the author of a comment can edit it', { comment: id, author: found.author });
    if (found.deleted_at !== null) throw deletedConflict(id);

    const { store, clock } = this.deps;
    return store.transaction(async (tx) => {
      const row = await this.current(tx, id);
      if (row.deleted_at !== null) throw deletedConflict(id);
      const subject = await this.subjectOf(tx, row);
      if (body === row.body) return { ...this.view(row, subject), unresolvedMentions: [] };
      const project = await tx.projects.getById(row.project_id);
      if (!project) throw notFound('PROJECT_NOT_FOUND', `the project of comment '${id}' no longer exists`);
      const before = readMentions(row);
      const { resolved, unresolved, users } = await this.mentions(tx, row.project_id, body);
      const after: CommentRow = { ...row, body, mentions: JSON.stringify(resolved), edited_at: isoTime(clock) };
      await tx.comments.update(id, { body: after.body, mentions: after.mentions, edited_at: after.edited_at });
      await tx.events.append(
        domainEvent(clock, actor.name, 'comment.edited', { type: 'comment', id, projectId: row.project_id }, { subject, before: { body: row.body, mentions: before }, after: { body, mentions: resolved } }),
      );
      await this.notify(tx, actor, project, after, subject, users.filter((u) => !before.includes(u.name)));
      return { ...this.view(after, subject), unresolvedMentions: unresolved };
    });
  }

  /**
   * Deletes a comment (softly: it stays in its thread as "[deleted]"). Authors delete their own; project
   * admins any. Deleting a deleted comment changes nothing.
   */
  async remove(actor: Principal, id: string, authorize: Authorize): Promise<void> {
    const found = await this.get(id);
    await authorize(found.project_id, 'contributor');
    const moderated = found.author !== actor.name;
    if (moderated) await authorize(found.project_id, 'admin');
    if (found.deleted_at !== null) return;

    const { store, clock } = this.deps;
    await store.transaction(async (tx) => {
      const row = await this.current(tx, id);
      if (row.deleted_at !== null) return;
      const subject = await this.subjectOf(tx, row);
      await tx.comments.update(id, { deleted_at: isoTime(clock) });
      await tx.events.append(
        domainEvent(clock, actor.name, 'comment.deleted', { type: 'comment', id, projectId: row.project_id }, { subject, author: row.author, moderated, before: { body: row.body } }),
      );
    });
  }

  // -------------------------------------------------------------------------------------------------------
  // Notifications

  /** The caller's notifications, newest first, and how many are unread. */
  async notifications(actor: Principal, query: { unread?: boolean; limit?: number }): Promise<{ items: NotificationView[]; unread: number }> {
    const limit = query.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_NOTIFICATIONS) throw invalidField('limit', `must be an integer from 1 to ${MAX_NOTIFICATIONS}`);
    const { comments } = this.deps.store;
    const rows = await comments.listNotifications(actor.userId, { unreadOnly: query.unread === true, limit });
    return {
      items: rows.map((n) => ({ id: n.id, kind: n.kind, payload: JSON.parse(n.payload) as Record<string, unknown>, createdAt: n.created_at, readAt: n.read_at })),
      unread: await comments.countUnread(actor.userId),
    };
  }

  /** Marks the caller's notifications read: those listed in `ids`, or `all`. Others' ids are ignored. */
  async markRead(actor: Principal, input: unknown): Promise<{ marked: number }> {
    const obj = asObject('request', input);
    onlyKeys('request', obj, ['ids', 'all']);
    const all = obj.all;
    if (all !== undefined && typeof all !== 'boolean') throw invalidField('all', 'must be true or false');
    let ids: string[] | 'all';
    if (all === true) {
      if (obj.ids !== undefined) throw invalidField('ids', 'must be left out when all is true');
      ids = 'all';
    } else {
      if (obj.ids === undefined) throw invalidField('ids', 'is required unless all is true');
      if (!Array.isArray(obj.ids) || obj.ids.length === 0 || obj.ids.length > MAX_READ_IDS) throw invalidField('ids', `must be a list of 1 to ${MAX_READ_IDS} notification ids`);
      obj.ids.forEach((v, i) => {
        if (typeof v !== 'string' || v.length === 0 || v.length > 100) throw invalidField(`ids[${i}]`, 'must be a notification id');
      });
      ids = obj.ids as string[];
    }
    const { store, clock } = this.deps;
    return store.transaction(async (tx) => {
      const marked = await tx.comments.markRead(actor.userId, ids, isoTime(clock));
      if (marked > 0) {
        await tx.events.append(domainEvent(clock, actor.name, 'notification.read', { type: 'user', id: actor.userId, projectId: null }, { count: marked, all: ids === 'all' }));
      }
      return { marked };
    });
  }

  // -------------------------------------------------------------------------------------------------------

  private async resolveSubject(repos: Pick<Repositories, 'models' | 'versions' | 'deployments'>, project: ProjectRow, ref: SubjectRef): Promise<SubjectView> {
    switch (ref.type) {
      case 'model': {
        const model = await repos.models.get(project.id, ref.model);
        if (!model) throw notFound('MODEL_NOT_FOUND', `there is no model named '${ref.model}' in project '${project.name}'`, { model: ref.model, project: project.name });
        return { type: 'model', id: model.id, label: model.name };
      }
      case 'model_version': {
        const model = await repos.models.get(project.id, ref.model);
        const version = model && (await repos.versions.get(model.id, ref.version));
        if (!version) throw notFound('MODEL_VERSION_NOT_FOUND', `model '${ref.model}' has no version ${ref.version} in project '${project.name}'`, { model: ref.model, version: ref.version });
        return { type: 'model_version', id: version.id, label: `${ref.model} v${ref.version}` };
      }
      case 'deployment': {
        const dep = await repos.deployments.get(project.id, ref.deployment);
        if (!dep) throw notFound('DEPLOYMENT_NOT_FOUND', `there is no deployment named '${ref.deployment}' in project '${project.name}'`, { deployment: ref.deployment, project: project.name });
        return { type: 'deployment', id: dep.id, label: dep.name };
      }
    }
  }

  private async subjectOf(repos: Repositories, row: CommentRow): Promise<SubjectView> {
    const type = row.subject_type as SubjectType;
    const found = await repos.comments.subject(type, row.subject_id);
    // The subject may be gone (a deleted deployment); its id still identifies it.
    return { type, id: row.subject_id, label: found?.label ?? row.subject_id };
  }

  private async current(tx: Repositories, id: string): Promise<CommentRow> {
    const row = await tx.comments.get(id);
    if (!row) throw notFound('COMMENT_NOT_FOUND', `there is no comment with id '${printable(id)}'`, { comment: id });
    return row;
  }

  private async mentions(tx: Repositories, projectId: string, body: string) {
    const tokens = mentionTokens(body);
    const users = await tx.comments.usersWhoCanView(projectId, candidateNames(tokens));
    const { resolved, unresolved } = resolveMentions(tokens, new Set(users.map((u) => u.name)));
    return { resolved, unresolved, users: resolved.map((name) => users.find((u) => u.name === name)!) };
  }

  /** One notification and one comment.mentioned event per user mentioned, never the author. */
  private async notify(tx: Repositories, actor: Principal, project: ProjectRow, row: CommentRow, subject: SubjectView, users: { id: string; name: string }[]): Promise<void> {
    const { clock } = this.deps;
    const targets = users.filter((u) => u.name !== actor.name);
    if (targets.length === 0) return;
    const payload: MentionPayload = {
      commentId: row.id,
      project: project.name,
      subjectType: subject.type,
      subjectId: subject.id,
      subject: subject.label,
      author: row.author,
      excerpt: excerpt(row.body),
    };
    const now = isoTime(clock);
    const notifications: NotificationRow[] = targets.map((u) => ({ id: newId(clock.now()), user_id: u.id, kind: MENTION_KIND, payload: JSON.stringify(payload), created_at: now, read_at: null }));
    await tx.comments.insertNotifications(notifications);
    for (const u of targets) {
      await tx.events.append(domainEvent(clock, actor.name, 'comment.mentioned', { type: 'comment', id: row.id, projectId: project.id }, { ...payload, user: u.name }));
    }
  }

  private view(row: CommentRow, subject: SubjectView): CommentView {
    const deleted = row.deleted_at !== null;
    return {
      id: row.id,
      subject,
      parentId: row.parent_id,
      author: row.author,
      body: deleted ? DELETED_BODY : row.body,
      mentions: deleted ? [] : readMentions(row),
      createdAt: row.created_at,
      editedAt: row.edited_at,
      deleted,
    };
  }
}
