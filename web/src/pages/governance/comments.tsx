/**
 * Comment threads on a model, a model version or a deployment: roots oldest first, each with its replies.
 * Bodies are shown as plain text (React escapes them); @mentions of users who were notified are marked.
 * Contributors write, reply and edit or delete their own; project admins may delete anyone's.
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import { api } from '../../api/client';
import type { Comment, CommentSubject, CommentThread } from '../../api/types';
import { formatTime } from '../../lib/format';
import { useRole, useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { ErrorNote, Loading, Section } from '../../components/ui';

const MENTION = /(^|[^A-Za-z0-9_@])@([A-Za-z0-9][A-Za-z0-9_.-]*)/g;

/** The body with each @name that notified someone marked; everything stays text. */
export function withMentions(body: string, mentions: readonly string[]): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  for (const m of body.matchAll(MENTION)) {
    const start = m.index + m[1]!.length;
    let name = m[2]!;
    if (!mentions.includes(name)) name = name.replace(/[._-]+$/, '');
    if (!mentions.includes(name)) continue;
    if (start > last) out.push(body.slice(last, start));
    out.push(
      <mark key={start} className="mention" data-testid="mention">
        @{name}
      </mark>,
    );
    last = start + 1 + name.length;
  }
  if (last < body.length) out.push(body.slice(last));
  return out;
}

function query(subject: CommentSubject, project: string) {
  return {
    project,
    subjectType: subject.type,
    ...(subject.model !== undefined ? { model: subject.model } : {}),
    ...(subject.version !== undefined ? { version: subject.version } : {}),
    ...(subject.deployment !== undefined ? { deployment: subject.deployment } : {}),
  };
}

function Composer({ label, initial = '', submitLabel, onSubmit, onCancel, testId }: { label: string; initial?: string; submitLabel: string; onSubmit: (body: string) => Promise<string | void>; onCancel?: () => void; testId: string }) {
  const [body, setBody] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [note, setNote] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!body.trim()) return;
    setBusy(true);
    setError(undefined);
    setNote(null);
    try {
      const n = await onSubmit(body);
      setBody('');
      if (n) setNote(n);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="comment-form" onSubmit={(e) => void submit(e)} aria-label={label}>
      <label className="field">
        <span className="visually-hidden">{label}</span>
        <textarea value={body} onChange={(e) => setBody(e.target.value)} rows={3} maxLength={20_000} placeholder="Write a comment; @name notifies a user" data-testid={`${testId}-body`} />
      </label>
      <ErrorNote error={error} context="Not saved" />
      {note && (
        <p className="note note-warn" role="status" data-testid={`${testId}-note`}>
          {note}
        </p>
      )}
      <div className="row-actions">
        <button type="submit" className="button button-primary button-small" disabled={busy || !body.trim()} data-testid={`${testId}-submit`}>
          {busy ? 'Saving…' : submitLabel}
        </button>
        {onCancel && (
          <button type="button" className="button button-quiet button-small" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

const unresolvedNote = (names: string[]) => (names.length ? `Nobody was notified for ${names.map((n) => `@${n}`).join(', ')}: no user of that name can read this project.` : undefined);

function CommentItem({ c, canWrite, canModerate, onChanged, onReply }: { c: Comment; canWrite: boolean; canModerate: boolean; onChanged: () => void; onReply?: () => void }) {
  const { user } = useSession();
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<unknown>();
  const mine = c.author === user.name;
  const remove = async () => {
    if (!window.confirm('Delete this comment? It stays in the thread as [deleted].')) return;
    setError(undefined);
    try {
      await api.delete('/api/v1/comments/{id}', { path: { id: c.id } });
      onChanged();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <article className="comment" data-testid={`comment-${c.id}`} aria-label={`Comment by ${c.author}`}>
      <header className="comment-head">
        <strong>{c.author}</strong> <span className="muted small">{formatTime(c.createdAt)}</span>
        {c.editedAt && <span className="muted small"> · edited {formatTime(c.editedAt)}</span>}
      </header>
      {editing ? (
        <Composer
          label="Edit the comment"
          initial={c.body}
          submitLabel="Save"
          testId="comment-edit"
          onCancel={() => setEditing(false)}
          onSubmit={async (body) => {
            const r = await api.patch('/api/v1/comments/{id}', { path: { id: c.id }, body: { body } });
            setEditing(false);
            onChanged();
            return unresolvedNote(r.unresolvedMentions);
          }}
        />
      ) : (
        <p className={`comment-body${c.deleted ? ' muted' : ''}`} data-testid="comment-body">
          {c.deleted ? '[deleted]' : withMentions(c.body, c.mentions)}
        </p>
      )}
      <ErrorNote error={error} context="Not deleted" />
      {!c.deleted && !editing && (
        <div className="row-actions">
          {onReply && canWrite && (
            <button type="button" className="link-button small" onClick={onReply} data-testid={`comment-reply-${c.id}`}>
              Reply
            </button>
          )}
          {mine && canWrite && (
            <button type="button" className="link-button small" onClick={() => setEditing(true)} data-testid={`comment-edit-${c.id}`}>
              Edit
            </button>
          )}
          {((mine && canWrite) || canModerate) && (
            <button type="button" className="link-button small" onClick={() => void remove()} data-testid={`comment-delete-${c.id}`}>
              Delete
            </button>
          )}
        </div>
      )}
    </article>
  );
}

function Thread({ t, subject, canWrite, canModerate, onChanged }: { t: CommentThread; subject: CommentSubject; canWrite: boolean; canModerate: boolean; onChanged: () => void }) {
  const { project } = useSession();
  const [replying, setReplying] = useState(false);
  return (
    <li className="thread">
      <CommentItem c={t} canWrite={canWrite} canModerate={canModerate} onChanged={onChanged} onReply={() => setReplying(true)} />
      {(t.replies.length > 0 || replying) && (
        <ul className="replies">
          {t.replies.map((r) => (
            <li key={r.id}>
              <CommentItem c={r} canWrite={canWrite} canModerate={canModerate} onChanged={onChanged} onReply={() => setReplying(true)} />
            </li>
          ))}
          {replying && (
            <li>
              <Composer
                label={`Reply to ${t.author}`}
                submitLabel="Reply"
                testId="comment-reply"
                onCancel={() => setReplying(false)}
                onSubmit={async (body) => {
                  const r = await api.post('/api/v1/comments', { query: { project }, body: { subject, body, parentId: t.id } });
                  setReplying(false);
                  onChanged();
                  return unresolvedNote(r.unresolvedMentions);
                }}
              />
            </li>
          )}
        </ul>
      )}
    </li>
  );
}

/** The Comments section of a model, version or deployment page. */
export function CommentThreads({ subject }: { subject: CommentSubject }) {
  const { project } = useSession();
  const { can } = useRole();
  const canWrite = can('contributor');
  const canModerate = can('admin');
  const threads = useApi((signal) => api.get('/api/v1/comments', { query: query(subject, project), signal }), [project, subject], { pollMs: 15_000 });
  const items = threads.data?.items ?? [];
  const count = items.reduce((n, t) => n + 1 + t.replies.length, 0);
  return (
    <Section title={`Comments${count ? ` (${count})` : ''}`} id="comments" testId="comments">
      <ErrorNote error={threads.error} context="Could not load the comments" onRetry={threads.reload} />
      {!threads.data && !threads.error && <Loading what="Loading comments" />}
      {threads.data && items.length === 0 && <p className="muted">No comments yet.</p>}
      {items.length > 0 && (
        <ul className="threads" data-testid="comment-threads">
          {items.map((t) => (
            <Thread key={t.id} t={t} subject={subject} canWrite={canWrite} canModerate={canModerate} onChanged={threads.reload} />
          ))}
        </ul>
      )}
      {canWrite ? (
        <Composer
          label="New comment"
          submitLabel="Comment"
          testId="comment-new"
          onSubmit={async (body) => {
            const r = await api.post('/api/v1/comments', { query: { project }, body: { subject, body } });
            threads.reload();
            return unresolvedNote(r.unresolvedMentions);
          }}
        />
      ) : (
        <p className="muted small">Contributors can comment.</p>
      )}
    </Section>
  );
}
