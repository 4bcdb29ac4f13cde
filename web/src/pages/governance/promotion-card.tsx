/**
 * One promotion request: what is asked, by whom, what the policy says now (unmet rules, gate statuses,
 * approvals counted) and the decisions so far; reviewers approve or reject with a comment, the requester
 * (or a project admin) can withdraw it.
 */
import { useState } from 'react';
import { api } from '../../api/client';
import type { Promotion } from '../../api/types';
import { formatTime } from '../../lib/format';
import { Link, path } from '../../lib/router';
import { useRole, useSession } from '../../lib/session';
import { Badge, ErrorNote, Success, UnmetRules } from '../../components/ui';
import type { Requirement } from './policy-view';

const STATUS_TONE: Record<string, 'good' | 'bad' | 'warn' | 'neutral' | 'info'> = { open: 'warn', executed: 'good', rejected: 'bad', cancelled: 'neutral', failed: 'bad' };
const GATE_TONE: Record<string, 'good' | 'bad' | 'warn' | 'neutral'> = { passed: 'good', failed: 'bad', stale: 'warn', missing: 'neutral' };

export function PromotionStatus({ status }: { status: string }) {
  return (
    <Badge tone={STATUS_TONE[status] ?? 'neutral'}>
      <span data-testid="promotion-status">{status}</span>
    </Badge>
  );
}

export function moveLabel(kind: string, target: string): string {
  if (kind === 'stage') return `stage ${target}`;
  if (kind === 'alias') return `alias @${target}`;
  return `deployment ${target}`;
}

interface GateStatusView {
  name: string;
  type: string;
  status: string;
  at: string | null;
}

/** The policy's verdict on an open request. */
export function Evaluation({ p }: { p: Promotion }) {
  const e = p.evaluation;
  if (!e) return null;
  const req = e.requirement as Requirement | null;
  const gates = e.gates as unknown as GateStatusView[];
  const approvals = e.approvals as unknown as { reviewer: string; at: string; comment: string }[];
  return (
    <div className="evaluation" data-testid="promotion-evaluation">
      <p>
        {e.satisfied ? <Badge tone="good">policy satisfied</Badge> : <Badge tone="warn">policy not yet satisfied</Badge>}{' '}
        <span className="muted small">
          risk tier {e.tier}, {e.policy ? `policy v${e.policy.version}` : 'built-in default policy'}
        </span>
      </p>
      <UnmetRules rules={e.unmet} />
      {gates.length > 0 && (
        <ul className="chips" aria-label="Gates the policy asks for">
          {gates.map((g) => (
            <li key={g.name} className="chip" data-testid={`evaluation-gate-${g.name}`}>
              {g.name} <span className="muted">({g.type})</span> <Badge tone={GATE_TONE[g.status] ?? 'neutral'}>{g.status}</Badge>
            </li>
          ))}
        </ul>
      )}
      {req && (
        <p className="small" data-testid="evaluation-approvals">
          Approvals counted: {approvals.length} of {req.approvals ?? 0}
          {approvals.length > 0 && <span className="muted"> ({approvals.map((a) => a.reviewer).join(', ')})</span>}
        </p>
      )}
    </div>
  );
}

/** `onChanged` also gets what happened in words, for pages where the card may leave the list (the inbox). */
export function PromotionCard({ p, onChanged, showSubject = true }: { p: Promotion; onChanged: (updated: Promotion, message: string) => void; showSubject?: boolean }) {
  const { project, user } = useSession();
  const { can } = useRole();
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string | null>(null);
  const open = p.status === 'open';
  const mayReview = open && can('reviewer');
  const mayCancel = open && (p.createdBy === user.name || can('admin'));

  const act = async (action: 'approve' | 'reject' | 'cancel') => {
    setBusy(true);
    setError(undefined);
    setDone(null);
    try {
      const id = { path: { id: p.id }, query: { project } };
      const r =
        action === 'cancel'
          ? await api.post('/api/v1/promotions/{id}/cancel', id)
          : await api.post(action === 'approve' ? '/api/v1/promotions/{id}/approve' : '/api/v1/promotions/{id}/reject', { ...id, body: comment.trim() ? { comment: comment.trim() } : {} });
      setComment('');
      const message =
        action === 'cancel'
          ? 'Request withdrawn.'
          : action === 'reject'
            ? 'Rejected: the request is closed.'
            : r.status === 'executed'
              ? `Approved, and the policy is satisfied: version ${r.version} of ${r.model} entered ${moveLabel(r.kind, r.target)}.`
              : `Approved. ${r.evaluation?.unmet.length ? 'Still needed: see the rules below.' : ''}`;
      setDone(message);
      onChanged(r, message);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <article className="card promotion" data-testid={`promotion-${p.id}`} aria-label={`Promotion of ${p.model} v${p.version} to ${moveLabel(p.kind, p.target)}`}>
      <header className="row-between">
        <h3>
          {showSubject && (
            <>
              <Link to={path('models', p.model, 'versions', p.version)} data-testid="promotion-subject">
                {p.model} v{p.version}
              </Link>{' '}
              →{' '}
            </>
          )}
          {moveLabel(p.kind, p.target)}
        </h3>
        <PromotionStatus status={p.status} />
      </header>
      <p className="muted small">
        Asked by <strong>{p.createdBy}</strong> {formatTime(p.createdAt)} · version by {p.versionAuthor}
        {p.executedAt && ` · carried out ${formatTime(p.executedAt)}`}
      </p>
      {p.comment && <p className="promotion-comment">{p.comment}</p>}
      {p.message && <p className={p.status === 'failed' ? 'note note-error' : 'muted small'}>{p.message}</p>}
      {Object.keys(p.change).length > 0 && (
        <details>
          <summary className="small">Change to apply</summary>
          <pre className="code-block">{JSON.stringify(p.change, null, 2)}</pre>
        </details>
      )}
      <Evaluation p={p} />
      {p.decisions.length > 0 && (
        <ul className="decisions" aria-label="Decisions">
          {p.decisions.map((d, i) => (
            <li key={`${d.reviewer}-${i}`} data-testid={`decision-${d.reviewer}`}>
              <Badge tone={d.decision === 'approve' ? 'good' : 'bad'}>{d.decision === 'approve' ? 'approved' : d.decision === 'reject' ? 'rejected' : d.decision}</Badge> by <strong>{d.reviewer}</strong>{' '}
              <span className="muted small">{formatTime(d.at)}</span>
              {d.comment && <span> — {d.comment}</span>}
            </li>
          ))}
        </ul>
      )}
      <ErrorNote error={error} context="Not done" />
      {done && <Success>{done}</Success>}
      {(mayReview || mayCancel) && (
        <div className="promotion-actions">
          {mayReview && (
            <label className="field">
              <span className="field-label">Comment with your decision</span>
              <input value={comment} onChange={(e) => setComment(e.target.value)} maxLength={5000} data-testid={`decision-comment-${p.id}`} />
            </label>
          )}
          <div className="row-actions">
            {mayReview && (
              <>
                <button type="button" className="button button-primary" disabled={busy} onClick={() => void act('approve')} data-testid={`approve-${p.id}`}>
                  Approve
                </button>
                <button type="button" className="button button-danger" disabled={busy} onClick={() => void act('reject')} data-testid={`reject-${p.id}`}>
                  Reject
                </button>
              </>
            )}
            {mayCancel && (
              <button type="button" className="button button-quiet" disabled={busy} onClick={() => void act('cancel')} data-testid={`cancel-${p.id}`}>
                Withdraw request
              </button>
            )}
          </div>
        </div>
      )}
    </article>
  );
}
