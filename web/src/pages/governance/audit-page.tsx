/**
 * The audit trail: the project's records (each carrying the SHA-256 of the one before), the verification of
 * the whole chain (platform admins), a JSON Lines export (platform admins), and "which version served at
 * time T" answered from the trail.
 */
import { Fragment, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { AuditRecord, AuditReport } from '../../api/types';
import { downloadFile } from '../../lib/download';
import { formatTime } from '../../lib/format';
import { Link, path } from '../../lib/router';
import { useRole, useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { Pager, TableWrap } from '../../components/table';
import { Badge, Empty, ErrorNote, Loading, PageTitle, Section } from '../../components/ui';
import { GovernanceTabs } from './governance-tabs';

const PAGE = 50;

function Payload({ payload }: { payload: unknown }) {
  const p = payload as Record<string, unknown> | null;
  if (p && typeof p === 'object' && ('before' in p || 'after' in p)) {
    const { before, after, ...rest } = p;
    return (
      <div className="audit-payload" data-testid="audit-payload">
        <div className="two-col">
          <div>
            <h3>Before</h3>
            <pre className="code-block">{JSON.stringify(before ?? null, null, 2)}</pre>
          </div>
          <div>
            <h3>After</h3>
            <pre className="code-block">{JSON.stringify(after ?? null, null, 2)}</pre>
          </div>
        </div>
        {Object.keys(rest).length > 0 && <pre className="code-block">{JSON.stringify(rest, null, 2)}</pre>}
      </div>
    );
  }
  return (
    <pre className="code-block" data-testid="audit-payload">
      {JSON.stringify(payload, null, 2)}
    </pre>
  );
}

function Records() {
  const { project } = useSession();
  // Newest first: the `before` cursor of each page seen (none for the first); the last one is the page shown.
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined]);
  const before = cursors[cursors.length - 1];
  const records = useApi((signal) => api.get('/api/v1/audit/records', { query: { project, order: 'desc', ...(before !== undefined ? { before } : {}), limit: PAGE }, signal }), [project, before]);
  const [open, setOpen] = useState<string[]>([]);
  const toggle = (id: string) => setOpen((o) => (o.includes(id) ? o.filter((x) => x !== id) : [...o, id]));
  const items: AuditRecord[] = records.data?.items ?? [];

  return (
    <Section title={`Records of ${project}`} testId="audit-records" actions={<button type="button" className="button button-small" onClick={records.reload}>Refresh</button>}>
      <p className="muted small">Newest first. Every record holds the SHA-256 of the previous record of the chain, so an edited, inserted or deleted record breaks the chain after it.</p>
      <ErrorNote error={records.error} context="Could not load the audit records" onRetry={records.reload} />
      {!records.data && !records.error && <Loading what="Loading audit records" />}
      {records.data && items.length === 0 && <Empty title="No records." />}
      {items.length > 0 && (
        <TableWrap>
          <table className="table table-compact" data-testid="audit-table">
            <thead>
              <tr>
                <th scope="col">Chain #</th>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Type</th>
                <th scope="col">Entity</th>
                <th scope="col">Hash</th>
                <th scope="col">
                  <span className="visually-hidden">Payload</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <Fragment key={r.id}>
                  <tr data-testid={`audit-row-${r.seq}`}>
                    <td className="num">{r.chain ?? <span className="muted">—</span>}</td>
                    <td className="nowrap">{formatTime(r.at)}</td>
                    <td>{r.actor}</td>
                    <td>
                      <code>{r.type}</code>
                    </td>
                    <td>
                      {r.entity.type} <code className="muted small">{r.entity.id.slice(0, 26)}</code>
                    </td>
                    <td>
                      <code className="hash" title={`hash ${r.hash ?? '—'}\nprevious ${r.prevHash ?? '—'}`}>
                        {r.hash ? r.hash.slice(0, 12) : '—'}
                      </code>
                    </td>
                    <td>
                      <button type="button" className="button button-small" aria-expanded={open.includes(r.id)} onClick={() => toggle(r.id)} data-testid={`audit-toggle-${r.seq}`}>
                        {open.includes(r.id) ? 'Hide' : 'Payload'}
                      </button>
                    </td>
                  </tr>
                  {open.includes(r.id) && (
                    <tr>
                      <td colSpan={7}>
                        <p className="small muted">
                          Record {r.id} · previous hash <code className="hash">{r.prevHash ?? '—'}</code> · hash <code className="hash">{r.hash ?? '—'}</code>
                        </p>
                        <Payload payload={r.payload} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <Pager
        label="Audit records"
        page={cursors.length - 1}
        hasNext={records.data?.next !== null && records.data?.next !== undefined}
        onPrevious={() => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c))}
        onNext={() => {
          const next = records.data?.next;
          if (next !== null && next !== undefined) setCursors((c) => [...c, next]);
        }}
      />
    </Section>
  );
}

function Verify() {
  const [report, setReport] = useState<AuditReport | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [exported, setExported] = useState<string | null>(null);
  const verify = async () => {
    setBusy(true);
    setError(undefined);
    setReport(null);
    try {
      setReport(await api.get('/api/v1/audit/verify'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const exportAll = async () => {
    setError(undefined);
    setExported(null);
    try {
      setExported(await downloadFile('/api/v1/audit/export', 'steward-audit.jsonl', 'application/x-ndjson'));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Section title="Verification" testId="audit-verify">
      <p className="muted small">Checks the whole chain (every project) and names each edited, inserted or deleted record.</p>
      <div className="row-actions">
        <button type="button" className="button button-primary" onClick={() => void verify()} disabled={busy} data-testid="audit-verify-button">
          {busy ? 'Verifying…' : 'Verify chain'}
        </button>
        <button type="button" className="button" onClick={() => void exportAll()} data-testid="audit-export">
          Export JSON Lines
        </button>
      </div>
      <ErrorNote error={error} context="Audit" />
      {exported && (
        <p className="muted small" role="status" data-testid="audit-exported">
          Downloaded {exported}.
        </p>
      )}
      {report && (
        <div className={`note ${report.ok ? 'note-success' : 'note-error'}`} role="status" data-testid="audit-verify-result">
          <p className="note-title" data-testid="audit-verify-status">
            {report.ok ? 'OK: the chain is intact' : `Broken: ${report.problems.length}${report.truncated ? '+' : ''} problem${report.problems.length === 1 ? '' : 's'} found`}
          </p>
          <p className="small">
            {report.checked.toLocaleString('en-US')} records checked
            {report.head && (
              <>
                ; head #{report.head.chain} <code className="hash">{report.head.hash.slice(0, 16)}</code>
              </>
            )}
            .
          </p>
          {report.problems.length > 0 && (
            <ul data-testid="audit-problems">
              {report.problems.map((p, i) => (
                <li key={i}>
                  <Badge tone="bad">{p.kind}</Badge> {p.chain !== null && `#${p.chain} `}
                  {p.message}
                </li>
              ))}
            </ul>
          )}
          {report.truncated && <p className="small">Only the first problems are listed.</p>}
        </div>
      )}
    </Section>
  );
}

type ServedMode = 'deployment' | 'stage' | 'alias';
interface ServedVersion {
  model: string;
  version: number;
  weight?: number;
  role?: string;
  alias?: string | null;
}

function ServedAt() {
  const { project } = useSession();
  const [mode, setMode] = useState<ServedMode>('deployment');
  const [at, setAt] = useState(() => new Date(Date.now() - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16));
  const [deployment, setDeployment] = useState('');
  const [model, setModel] = useState('');
  const [stage, setStage] = useState('Production');
  const [alias, setAlias] = useState('champion');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [answer, setAnswer] = useState<{ at: string; versions: ServedVersion[]; since: Record<string, unknown> | null; subject: Record<string, unknown> } | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setAnswer(null);
    try {
      const when = new Date(at);
      if (Number.isNaN(when.getTime())) throw new Error('Give a date and time.');
      const query = { project, at: when.toISOString(), ...(mode === 'deployment' ? { deployment } : mode === 'stage' ? { model, stage } : { model, alias }) };
      const r = await api.get('/api/v1/audit/served', { query });
      setAnswer(r as unknown as typeof answer);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Section title="What served when" testId="audit-served">
      <form className="card form form-inline" onSubmit={(e) => void submit(e)} aria-label="Which version served at a time">
        <label className="field">
          <span className="field-label">At</span>
          <input type="datetime-local" value={at} onChange={(e) => setAt(e.target.value)} required data-testid="served-at" />
        </label>
        <label className="field">
          <span className="field-label">Of</span>
          <select value={mode} onChange={(e) => setMode(e.target.value as ServedMode)} data-testid="served-mode">
            <option value="deployment">a deployment</option>
            <option value="stage">a model's stage</option>
            <option value="alias">a model's alias</option>
          </select>
        </label>
        {mode === 'deployment' ? (
          <label className="field">
            <span className="field-label">Deployment</span>
            <input value={deployment} onChange={(e) => setDeployment(e.target.value)} required data-testid="served-deployment" />
          </label>
        ) : (
          <label className="field">
            <span className="field-label">Model</span>
            <input value={model} onChange={(e) => setModel(e.target.value)} required data-testid="served-model" />
          </label>
        )}
        {mode === 'stage' && (
          <label className="field">
            <span className="field-label">Stage</span>
            <select value={stage} onChange={(e) => setStage(e.target.value)} data-testid="served-stage">
              {['Production', 'Staging', 'Archived', 'None'].map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
        )}
        {mode === 'alias' && (
          <label className="field">
            <span className="field-label">Alias</span>
            <input value={alias} onChange={(e) => setAlias(e.target.value)} required data-testid="served-alias" />
          </label>
        )}
        <button type="submit" className="button button-primary" disabled={busy} data-testid="served-submit">
          Ask the trail
        </button>
      </form>
      <ErrorNote error={error} context="No answer" />
      {answer && (
        <div className="card" role="status" data-testid="served-answer">
          {answer.versions.length === 0 ? (
            <p>Nothing served or held it at {formatTime(answer.at)}.</p>
          ) : (
            <ul>
              {answer.versions.map((v, i) => (
                <li key={i}>
                  <Link to={path('models', v.model, 'versions', v.version)}>
                    {v.model} v{v.version}
                  </Link>
                  {v.role && ` (${v.role}${v.weight !== undefined ? `, weight ${v.weight}` : ''}${v.alias ? `, following @${v.alias}` : ''})`}
                </li>
              ))}
            </ul>
          )}
          {answer.since && (
            <p className="muted small">
              Since record #{String(answer.since.chain ?? answer.since.seq)}: {String(answer.since.type)} by {String(answer.since.actor)} at {formatTime(String(answer.since.at))}.
            </p>
          )}
        </div>
      )}
    </Section>
  );
}

export function AuditPage() {
  const { project } = useSession();
  const { can, platformAdmin } = useRole();
  return (
    <>
      <PageTitle sub="Every state change in Steward — who, what, when, before and after — in a hash chain">Audit log</PageTitle>
      <GovernanceTabs />
      {platformAdmin ? <Verify /> : <p className="muted small">Platform admins can verify the whole chain and export it.</p>}
      {can('admin') ? <Records /> : <p className="note note-warn">The records of project {project} are for its admins.</p>}
      <ServedAt />
    </>
  );
}
