/** The header's notifications indicator: unread @mentions, a short list, and "mark read". */
import { useEffect, useRef, useState } from 'react';
import { api } from '../../api/client';
import type { Notification } from '../../api/types';
import { formatTime } from '../../lib/format';
import { navigate, path } from '../../lib/router';
import { useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { ErrorNote } from '../../components/ui';

interface MentionPayload {
  project?: string;
  subjectType?: string;
  subject?: string;
  author?: string;
  excerpt?: string;
}

/** Where a mention points: the page of its subject ("price v3" → the version page). */
export function subjectLink(p: MentionPayload): string | null {
  const label = p.subject ?? '';
  if (p.subjectType === 'model_version') {
    const m = /^(.*) v(\d+)$/.exec(label);
    return m ? path('models', m[1]!, 'versions', m[2]!) : null;
  }
  if (p.subjectType === 'model') return label ? path('models', label) : null;
  if (p.subjectType === 'deployment') return label ? path('deployments', label) : null;
  return null;
}

export function NotificationsMenu() {
  const { project, setProject } = useSession();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<unknown>();
  const list = useApi((signal) => api.get('/api/v1/notifications', { query: { limit: 20 }, signal }), [], { pollMs: 15_000 });
  const ref = useRef<HTMLDivElement>(null);
  const unread = list.data?.unread ?? 0;

  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    const escape = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', escape);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', escape);
    };
  }, [open]);

  const mark = async (body: { ids: string[] } | { all: true }) => {
    setError(undefined);
    try {
      await api.post('/api/v1/notifications/read', { body });
      list.reload();
    } catch (err) {
      setError(err);
    }
  };

  const go = (n: Notification) => {
    const p = n.payload as MentionPayload;
    const to = subjectLink(p);
    if (!n.readAt) void mark({ ids: [n.id] });
    setOpen(false);
    if (!to) return;
    if (p.project && p.project !== project) setProject(p.project);
    navigate(to);
  };

  return (
    <div className="notifications" ref={ref}>
      <button
        type="button"
        className="button button-quiet notifications-button"
        aria-expanded={open}
        aria-haspopup="true"
        onClick={() => setOpen((o) => !o)}
        data-testid="notifications-button"
        aria-label={unread ? `Notifications, ${unread} unread` : 'Notifications'}
      >
        <svg aria-hidden="true" width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
          <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
          <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
        </svg>
        {unread > 0 && (
          <span className="badge badge-bad" data-testid="notifications-unread">
            {unread}
          </span>
        )}
      </button>
      {open && (
        <div className="notifications-panel card" role="dialog" aria-label="Notifications" data-testid="notifications-panel">
          <div className="row-between">
            <strong>Notifications</strong>
            {unread > 0 && (
              <button type="button" className="link-button small" onClick={() => void mark({ all: true })} data-testid="notifications-read-all">
                Mark all read
              </button>
            )}
          </div>
          <ErrorNote error={error ?? list.error} context="Notifications" />
          {list.data && list.data.items.length === 0 && <p className="muted small">Nothing yet. You are notified when someone @mentions you in a comment.</p>}
          <ul className="notification-list">
            {list.data?.items.map((n) => {
              const p = n.payload as MentionPayload;
              return (
                <li key={n.id} className={n.readAt ? 'read' : 'unread'} data-testid={`notification-${n.id}`}>
                  <button type="button" className="link-button notification-item" onClick={() => go(n)}>
                    <span>
                      <strong>{p.author ?? 'someone'}</strong> mentioned you on <strong>{p.subject ?? '?'}</strong>
                      {p.project && p.project !== project ? ` (project ${p.project})` : ''}
                    </span>
                    {p.excerpt && <span className="muted small notification-excerpt">{p.excerpt}</span>}
                    <span className="muted small">{formatTime(n.createdAt)}</span>
                  </button>
                </li>
              );
            })}
          </ul>
        </div>
      )}
    </div>
  );
}
