import type { Command } from 'commander';
import type { NotificationView, SubjectRef, ThreadView, WrittenCommentView } from '../../modules/comments/comments.service.js';
import { cliContext, UsageError } from '../context.js';
import { table } from '../output.js';
import { query } from './monitoring.js';

interface SubjectOptions {
  model?: string;
  version?: string;
  deployment?: string;
  project?: string;
}

/** The subject the options name: --model m, --model m --version n, or --deployment d. */
export function subjectFromOptions(opts: SubjectOptions): SubjectRef {
  if (opts.deployment !== undefined) {
    if (opts.model !== undefined || opts.version !== undefined) throw new UsageError('give either --deployment, or --model (with --version for a model version), not both');
    return { type: 'deployment', deployment: opts.deployment };
  }
  if (opts.model === undefined) throw new UsageError(opts.version !== undefined ? '--version needs --model' : 'give --model <model> [--version <n>] or --deployment <deployment>');
  if (opts.version === undefined) return { type: 'model', model: opts.model };
  if (!/^[1-9][0-9]{0,9}$/.test(opts.version)) throw new UsageError(`--version '${opts.version}' must be a version number`);
  return { type: 'model_version', model: opts.model, version: Number(opts.version) };
}

/** The query string of GET /api/v1/comments for a subject. */
export function subjectQuery(subject: SubjectRef, project: string | undefined): string {
  return query({
    project,
    subjectType: subject.type,
    model: subject.type === 'deployment' ? undefined : subject.model,
    version: subject.type === 'model_version' ? subject.version : undefined,
    deployment: subject.type === 'deployment' ? subject.deployment : undefined,
  });
}

const indent = (text: string, prefix: string) =>
  text
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');

function commentText(c: { id: string; author: string; createdAt: string; editedAt: string | null; body: string }, reply: boolean): string {
  const head = `${reply ? '    ↳ ' : ''}${c.author} · ${c.createdAt}${c.editedAt ? ` (edited ${c.editedAt})` : ''} · ${c.id}`;
  return `${head}\n${indent(c.body, reply ? '        ' : '  ')}`;
}

/** Threads as text: each root, then its replies indented. */
export function threadsText(threads: ThreadView[]): string {
  if (threads.length === 0) return 'no comments';
  return threads.map((t) => [commentText(t, false), ...t.replies.map((r) => commentText(r, true))].join('\n')).join('\n\n');
}

export function notificationsText(items: NotificationView[], unread: number): string {
  if (items.length === 0) return `no notifications (${unread} unread)`;
  const rows = items.map((n) => {
    const p = n.payload as { author?: string; subject?: string; subjectType?: string; project?: string; excerpt?: string; commentId?: string };
    const what = n.kind === 'mention' ? `${p.author} mentioned you on ${p.subjectType} ${p.project}/${p.subject}: ${p.excerpt}` : JSON.stringify(n.payload);
    return [n.readAt ? '' : '•', n.createdAt, what, p.commentId ?? ''];
  });
  return `${table(['', 'AT', 'WHAT', 'COMMENT'], rows)}\n${unread} unread`;
}

function withSubjectOptions(cmd: Command): Command {
  return cmd
    .option('--model <model>', 'a model')
    .option('--version <n>', 'a version of --model')
    .option('--deployment <deployment>', 'a deployment')
    .option('-p, --project <project>', 'project (default: default)');
}

export function commentsCommands(program: Command): void {
  const comments = program.command('comments').description('comments on models, model versions and deployments: list, add, edit, delete');

  withSubjectOptions(comments.command('list').description('the comment threads on a model, a model version (--version) or a deployment')).action(async (opts: SubjectOptions, cmd: Command) => {
    const subject = subjectFromOptions(opts);
    const { client, out } = await cliContext(cmd);
    const r = await client.json<{ items: ThreadView[] }>('GET', `/api/v1/comments${subjectQuery(subject, opts.project)}`);
    out.result(r, () => threadsText(r.items));
  });

  withSubjectOptions(comments.command('add').description('comment on a subject (@name mentions a user), or reply to a comment (--reply-to)'))
    .requiredOption('-m, --message <text>', 'the comment (Markdown)')
    .option('--reply-to <id>', 'the id of the comment to reply to')
    .action(async (opts: SubjectOptions & { message: string; replyTo?: string }, cmd: Command) => {
      const subject = subjectFromOptions(opts);
      const { client, out } = await cliContext(cmd);
      const c = await client.json<WrittenCommentView>('POST', `/api/v1/comments${query({ project: opts.project })}`, {
        subject,
        body: opts.message,
        ...(opts.replyTo !== undefined ? { parentId: opts.replyTo } : {}),
      });
      out.result(c, () => {
        const lines = [`comment ${c.id} on ${c.subject.type} ${c.subject.label}${c.parentId ? ` (in reply to ${c.parentId})` : ''}`];
        if (c.mentions.length > 0) lines.push(`mentioned: ${c.mentions.join(', ')}`);
        if (c.unresolvedMentions.length > 0) lines.push(`not notified (no such user in the project): ${c.unresolvedMentions.join(', ')}`);
        return lines.join('\n');
      });
    });

  comments
    .command('edit <id>')
    .description('replace the text of your own comment')
    .requiredOption('-m, --message <text>', 'the new text')
    .action(async (id: string, opts: { message: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const c = await client.json<WrittenCommentView>('PATCH', `/api/v1/comments/${encodeURIComponent(id)}`, { body: opts.message });
      out.result(c, () => `comment ${c.id} edited`);
    });

  comments
    .command('delete <id>')
    .description('delete your own comment (project admins: any comment)')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      await client.json<unknown>('DELETE', `/api/v1/comments/${encodeURIComponent(id)}`);
      out.result({ deleted: id }, () => `comment ${id} deleted`);
    });

  program
    .command('notifications')
    .description('your unread notifications (--all: read ones too)')
    .option('--all', 'show read notifications too')
    .option('--mark-read', 'mark the notifications shown as read')
    .option('--limit <n>', 'at most this many, newest first (default 50)')
    .action(async (opts: { all?: boolean; markRead?: boolean; limit?: string }, cmd: Command) => {
      if (opts.limit !== undefined && !/^[1-9][0-9]{0,2}$/.test(opts.limit)) throw new UsageError(`--limit '${opts.limit}' must be a number from 1 to 200`);
      const { client, out } = await cliContext(cmd);
      const r = await client.json<{ items: NotificationView[]; unread: number }>('GET', `/api/v1/notifications${query({ unread: opts.all ? undefined : 'true', limit: opts.limit })}`);
      let marked = 0;
      const unreadIds = r.items.filter((n) => n.readAt === null).map((n) => n.id);
      if (opts.markRead && unreadIds.length > 0) marked = (await client.json<{ marked: number }>('POST', '/api/v1/notifications/read', { ids: unreadIds })).marked;
      out.result(opts.markRead ? { ...r, marked } : r, () => `${notificationsText(r.items, r.unread)}${opts.markRead ? `\nmarked ${marked} read` : ''}`);
    });
}
