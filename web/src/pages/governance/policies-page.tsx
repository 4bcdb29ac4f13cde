/**
 * Policies as code: the policy in force for each risk tier, its published versions, and an editor to check
 * and publish the next version (project admins). Published versions never change.
 */
import { useState } from 'react';
import { api } from '../../api/client';
import type { Policy, PolicyDocumentView } from '../../api/types';
import { formatTime } from '../../lib/format';
import { navigate, useLocation } from '../../lib/router';
import { useRole, useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { TableWrap } from '../../components/table';
import { Badge, ErrorNote, Loading, PageTitle, Section, Success } from '../../components/ui';
import { PolicyView } from './policy-view';
import { GovernanceTabs } from './governance-tabs';

export const TIERS = ['low', 'medium', 'high'] as const;
export type Tier = (typeof TIERS)[number];

const EXAMPLE = `# JSON or YAML. Gates are test specs (as a gate run takes them), named; requirements refer to them.
gates:
  - { name: auc, type: metric, metric: roc_auc, threshold: 0.8 }
  - { name: schema, type: schema }
stages:
  Staging: { gates: [schema] }
  Production: { gates: [auc, schema], maxGateAgeDays: 30, approvals: 1, modelCard: [considerations.use_cases] }
aliases:
  champion: { gates: [auc], approvals: 1 }
deployments: { gates: [auc], approvals: 1 }
`;

function InForce({ p }: { p: Policy }) {
  return (
    <p data-testid="policy-in-force">
      {p.builtIn ? (
        <>
          <Badge tone="neutral">built-in default</Badge> Nothing is published for tier {p.tier}; this default applies.
        </>
      ) : (
        <>
          <Badge tone="good">v{p.version}</Badge> published {formatTime(p.createdAt)} by {p.createdBy}
          {p.comment && <span className="muted"> — {p.comment}</span>}
        </>
      )}
      {p.refusesGovernedMoves && (
        <>
          {' '}
          <Badge tone="bad">refuses governed moves</Badge>
        </>
      )}
    </p>
  );
}

function Editor({ tier, current, onPublished }: { tier: Tier; current: Policy; onPublished: () => void }) {
  const { project } = useSession();
  const { can } = useRole();
  const canPublish = can('admin');
  const [text, setText] = useState(current.builtIn && current.document.gates.length === 0 ? EXAMPLE : current.source);
  const [comment, setComment] = useState('');
  const [checked, setChecked] = useState<PolicyDocumentView | null>(null);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState<'check' | 'publish' | null>(null);

  const check = async () => {
    setBusy('check');
    setError(undefined);
    setDone(null);
    setChecked(null);
    try {
      const r = await api.post('/api/v1/policies/validate', { query: { project }, body: { policy: text } });
      setChecked(r.document);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  const publish = async () => {
    setBusy('publish');
    setError(undefined);
    setDone(null);
    try {
      const r = await api.post('/api/v1/policies/{tier}/versions', { path: { tier }, query: { project }, body: { policy: text, ...(comment.trim() ? { comment: comment.trim() } : {}) } });
      setDone(`Published version ${r.version} of the ${tier} policy. It applies from now on.`);
      setComment('');
      setChecked(null);
      onPublished();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  return (
    <Section title={`Edit the ${tier} policy`} testId="policy-editor">
      <p className="muted small">
        JSON or YAML with <code>gates</code>, <code>stages</code> (Staging, Production), <code>aliases</code> and <code>deployments</code>; each requirement lists <code>gates</code>,{' '}
        <code>maxGateAgeDays</code>, <code>approvals</code>, <code>modelCard</code> fields and <code>explanationReport</code>. Check shows the document as Steward reads it.
      </p>
      <label className="field">
        <span className="field-label">Policy text</span>
        <textarea
          className="code-input policy-text"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setChecked(null);
          }}
          rows={18}
          spellCheck={false}
          data-testid="policy-text"
        />
      </label>
      <label className="field field-inline">
        <span className="field-label">Comment (why this version)</span>
        <input value={comment} onChange={(e) => setComment(e.target.value)} maxLength={2000} disabled={!canPublish} data-testid="policy-comment" />
      </label>
      <ErrorNote error={error} context={busy === 'publish' ? 'Not published' : 'The policy is not valid'} />
      {done && <Success>{done}</Success>}
      <div className="row-actions">
        <button type="button" className="button" onClick={() => void check()} disabled={busy !== null || !text.trim()} data-testid="policy-check">
          {busy === 'check' ? 'Checking…' : 'Check'}
        </button>
        <button type="button" className="button button-primary" onClick={() => void publish()} disabled={!canPublish || busy !== null || !text.trim()} data-testid="policy-publish">
          {busy === 'publish' ? 'Publishing…' : `Publish as the next ${tier} version`}
        </button>
      </div>
      {!canPublish && <p className="muted small">Only project admins can publish; you can check a draft.</p>}
      {checked && (
        <div className="card" data-testid="policy-checked">
          <p className="note note-success" role="status">
            The policy is valid. This is how Steward reads it:
          </p>
          <PolicyView doc={checked} />
        </div>
      )}
    </Section>
  );
}

function History({ tier, reloadKey, onShow }: { tier: Tier; reloadKey: number; onShow: (p: Policy) => void }) {
  const { project } = useSession();
  const versions = useApi((signal) => api.get('/api/v1/policies/{tier}/versions', { path: { tier }, query: { project }, signal }), [project, tier, reloadKey]);
  return (
    <Section title={`Versions of the ${tier} policy`} testId="policy-history">
      <ErrorNote error={versions.error} context="Could not load the versions" onRetry={versions.reload} />
      {!versions.data && !versions.error && <Loading what="Loading versions" />}
      {versions.data && versions.data.items.length === 0 && <p className="muted">No version has been published for this tier; the built-in default applies.</p>}
      {versions.data && versions.data.items.length > 0 && (
        <TableWrap>
          <table className="table" data-testid="policy-versions">
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Published</th>
                <th scope="col">By</th>
                <th scope="col">Comment</th>
                <th scope="col">SHA-256</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {versions.data.items.map((p, i) => (
                <tr key={p.version} data-testid={`policy-version-${p.version}`}>
                  <th scope="row">
                    v{p.version} {i === 0 && <Badge tone="good">in force</Badge>}
                  </th>
                  <td className="nowrap">{formatTime(p.createdAt)}</td>
                  <td>{p.createdBy}</td>
                  <td>{p.comment || <span className="muted">—</span>}</td>
                  <td>
                    <code className="hash">{p.sha256?.slice(0, 12)}</code>
                  </td>
                  <td>
                    <button type="button" className="button button-small" onClick={() => onShow(p)} data-testid={`policy-show-${p.version}`}>
                      Show
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </Section>
  );
}

export function PoliciesPage() {
  const { project } = useSession();
  const location = useLocation();
  const tierParam = location.search.get('tier');
  const tier: Tier = (TIERS as readonly string[]).includes(tierParam ?? '') ? (tierParam as Tier) : 'high';
  const [reloadKey, setReloadKey] = useState(0);
  const [shown, setShown] = useState<Policy | null>(null);
  const current = useApi((signal) => api.get('/api/v1/policies', { query: { project }, signal }), [project, reloadKey]);
  const inForce = current.data?.items.find((p) => p.tier === tier);

  return (
    <>
      <PageTitle sub={`What a model version needs before it enters Staging or Production, takes a protected alias, or serves in a deployment — per risk tier, in project ${project}`}>Policies</PageTitle>
      <GovernanceTabs />
      <div className="tabs" role="tablist" aria-label="Risk tier">
        {TIERS.map((t) => {
          const p = current.data?.items.find((x) => x.tier === t);
          return (
            <button
              key={t}
              type="button"
              role="tab"
              aria-selected={t === tier}
              className="tab"
              onClick={() => {
                setShown(null);
                navigate(`/governance/policies?tier=${t}`, { replace: true });
              }}
              data-testid={`tier-${t}`}
            >
              {t} {p && (p.builtIn ? <span className="muted small">(default)</span> : <span className="muted small">v{p.version}</span>)}
            </button>
          );
        })}
      </div>
      <ErrorNote error={current.error} context="Could not load the policies" onRetry={current.reload} />
      {!current.data && !current.error && <Loading what="Loading the policies" />}
      {inForce && (
        <>
          <Section title={`In force for tier ${tier}`} testId="policy-current">
            <InForce p={inForce} />
            {inForce.refusesGovernedMoves && (
              <p className="note note-warn" data-testid="policy-refuses">
                Nothing of tier {tier} may reach Production, a protected alias or a deployment until a project admin publishes a policy for it.
              </p>
            )}
            <PolicyView doc={inForce.document} refuses={inForce.refusesGovernedMoves} />
          </Section>
          {shown && shown.tier === tier && (
            <Section title={`Version ${shown.version}`} testId="policy-shown" actions={<button type="button" className="button button-small" onClick={() => setShown(null)}>Close</button>}>
              <p className="muted small">
                Published {formatTime(shown.createdAt)} by {shown.createdBy}
                {shown.comment ? ` — ${shown.comment}` : ''}
              </p>
              <PolicyView doc={shown.document} />
              <details>
                <summary>Source</summary>
                <pre className="code-block">{shown.source}</pre>
              </details>
            </Section>
          )}
          <Editor key={`${tier}-${inForce.version}`} tier={tier} current={inForce} onPublished={() => setReloadKey((k) => k + 1)} />
          <History tier={tier} reloadKey={reloadKey} onShow={setShown} />
        </>
      )}
    </>
  );
}
