/** Small shared pieces: error and empty states, loading, badges, page headings. */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError, describeError, type UploadProgress } from '../api/client';
import { percentOf } from '../lib/upload';
import { Link } from '../lib/router';

/** An error in plain words; `title` replaces the generic one derived from the status, `children` follow the message. */
/** The rules a 409 POLICY_NOT_SATISFIED names (error.details.unmet), or null for other errors. */
export function unmetRules(error: unknown): string[] | null {
  if (!(error instanceof ApiError) || error.code !== 'POLICY_NOT_SATISFIED') return null;
  const unmet = error.details.unmet;
  return Array.isArray(unmet) ? unmet.map(String) : null;
}

/** A list of unmet policy rules. */
export function UnmetRules({ rules, testId = 'unmet-rules' }: { rules: string[]; testId?: string }) {
  if (rules.length === 0) return null;
  return (
    <ul className="unmet" data-testid={testId}>
      {rules.map((r) => (
        <li key={r}>{r}</li>
      ))}
    </ul>
  );
}

export function ErrorNote({ error, context, onRetry, title, children }: { error: unknown; context?: string; onRetry?: () => void; title?: string; children?: ReactNode }) {
  if (error === undefined || error === null) return null;
  const unmet = unmetRules(error);
  if (unmet && error instanceof ApiError) {
    // "version 2 of 'x' may not enter stage Production: rule; rule (policy high v1)": the move, then each rule.
    const what = error.message.split(': ')[0] ?? error.message;
    const policy = /\(([^()]*)\)$/.exec(error.message)?.[1];
    return (
      <div className="note note-error" role="alert" data-testid="error">
        <p className="note-title">{context ? `${context}: ` : ''}the policy does not allow this yet</p>
        <p data-testid="policy-refusal">
          {what.charAt(0).toUpperCase() + what.slice(1)}
          {policy ? ` under ${policy}` : ''}. Not met:
        </p>
        <UnmetRules rules={unmet} />
        {children}
        <p className="muted small">Code {error.code}. A promotion request collects the approvals a policy asks for.</p>
      </div>
    );
  }
  const e = describeError(error);
  return (
    <div className="note note-error" role="alert" data-testid="error">
      <p className="note-title">
        {title ?? (
          <>
            {context ? `${context}: ` : ''}
            {e.title}
          </>
        )}
      </p>
      {e.message && <p>{e.message}</p>}
      {children}
      {e.code && (
        <p className="muted small">
          Code {e.code}
          {e.requestId ? ` · request ${e.requestId}` : ''}
        </p>
      )}
      {onRetry && (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Success({ children }: { children: ReactNode }) {
  return (
    <div className="note note-success" role="status" data-testid="success">
      {children}
    </div>
  );
}

export function Empty({ title, children, testId }: { title: string; children?: ReactNode; testId?: string }) {
  return (
    <div className="empty" data-testid={testId ?? 'empty'}>
      <p className="empty-title">{title}</p>
      {children}
    </div>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      {what}…
    </p>
  );
}

/** A command a newcomer can copy. */
export function Command({ children }: { children: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="command">
      <code>{children}</code>
      <button
        type="button"
        className="button button-small"
        onClick={() => {
          void navigator.clipboard?.writeText(children).then(() => setCopied(true));
        }}
        aria-label={`Copy the command ${children}`}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

export function Badge({ tone = 'neutral', children, title }: { tone?: 'neutral' | 'good' | 'warn' | 'bad' | 'info'; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

export function StatusBadge({ status }: { status: string }) {
  const tone = status === 'READY' ? 'good' : status === 'FAILED' ? 'bad' : 'warn';
  return <Badge tone={tone}>{status}</Badge>;
}

export function StageBadge({ stage }: { stage: string }) {
  const tone = stage === 'Production' ? 'good' : stage === 'Staging' ? 'info' : 'neutral';
  return <Badge tone={tone}>{stage}</Badge>;
}

/** The page's heading; it takes the focus after a navigation, so screen readers announce the new page. */
export function PageTitle({ children, sub, actions }: { children: ReactNode; sub?: ReactNode; actions?: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    const title = ref.current?.textContent;
    if (title) document.title = `${title} · Steward`;
  });
  useEffect(() => {
    ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <div className="page-head">
      <div>
        <h1 ref={ref} tabIndex={-1}>
          {children}
        </h1>
        {sub && <div className="page-sub">{sub}</div>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </div>
  );
}

export function Section({ title, children, actions, id, testId }: { title: string; children: ReactNode; actions?: ReactNode; id?: string; testId?: string }) {
  const headingId = `${id ?? title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-heading`;
  return (
    <section className="section" aria-labelledby={headingId} data-testid={testId}>
      <div className="section-head">
        <h2 id={headingId}>{title}</h2>
        {actions && <div className="section-actions">{actions}</div>}
      </div>
      {children}
    </section>
  );
}

export function KeyValues({ items }: { items: [string, ReactNode][] }) {
  return (
    <dl className="kv">
      {items.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Tags({ tags }: { tags: Record<string, string> }) {
  const entries = Object.entries(tags);
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="chips" aria-label="Tags">
      {entries.map(([k, v]) => (
        <li key={k} className="chip">
          {k}
          {v ? `=${v}` : ''}
        </li>
      ))}
    </ul>
  );
}

/** How far an upload has got: a progress bar while bytes are sent, then what the server is doing with them. */
export function UploadStatus({ percent, sent, sentLabel, testId }: { percent: number | null; sent: boolean; sentLabel: string; testId?: string }) {
  const text = sent ? sentLabel : percent === null ? 'Uploading…' : `Uploading… ${percent}%`;
  return (
    <div className="upload-status" data-testid={testId}>
      <progress max={100} value={sent ? undefined : (percent ?? undefined)} aria-label={sent ? sentLabel : 'Upload progress'} />
      <span role="status" aria-live="polite">
        {text}
      </span>
    </div>
  );
}

/**
 * The end of an upload form: the cancelled note, progress while the name is checked and the bytes are
 * sent, the submit button, and Cancel (until every byte is sent: then the server finishes the work
 * whatever the browser does) or Back. Test ids are `<testPrefix>-progress|submit|cancel`.
 */
export function UploadActions(props: {
  busy: 'preparing' | 'uploading' | null;
  progress: UploadProgress | null;
  cancelled: boolean;
  canWrite: boolean;
  onCancel: () => void;
  back: string;
  testPrefix: string;
  labels: { cancelled: string; preparing: string; sent: string; submit: string; submitting: string };
}) {
  const { busy, progress, cancelled, canWrite, onCancel, back, testPrefix, labels } = props;
  return (
    <>
      {cancelled && (
        <p className="note note-warn" role="status">
          {labels.cancelled}
        </p>
      )}
      {busy === 'preparing' && <UploadStatus percent={null} sent sentLabel={labels.preparing} />}
      {busy === 'uploading' && progress && (
        <UploadStatus percent={percentOf(progress.loaded, progress.total)} sent={progress.sent} sentLabel={labels.sent} testId={`${testPrefix}-progress`} />
      )}
      <div className="actions">
        <button type="submit" className="button button-primary" disabled={!canWrite || busy !== null} data-testid={`${testPrefix}-submit`}>
          {busy ? labels.submitting : labels.submit}
        </button>
        {busy ? (
          !progress?.sent && (
            <button type="button" className="button" onClick={onCancel} data-testid={`${testPrefix}-cancel`}>
              Cancel upload
            </button>
          )
        ) : (
          <Link to={back} className="button button-quiet">
            Back
          </Link>
        )}
      </div>
    </>
  );
}
