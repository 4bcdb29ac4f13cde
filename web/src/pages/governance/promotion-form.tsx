/**
 * "Request promotion" on the version page: ask for a stage, an alias or a deployment; the answer says at
 * once whether the move was made (the policy allowed it) or what is still needed. The version's requests
 * are listed below the form.
 */
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { Promotion } from '../../api/types';
import { useRole, useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { ErrorNote } from '../../components/ui';
import { moveLabel, PromotionCard } from './promotion-card';

type Kind = 'stage' | 'alias' | 'deployment';

function RequestForm({ model, version, stage, onRequested }: { model: string; version: number; stage: string; onRequested: (p: Promotion) => void }) {
  const { project } = useSession();
  const [kind, setKind] = useState<Kind>('stage');
  const [stageTarget, setStageTarget] = useState(stage === 'Staging' ? 'Production' : 'Staging');
  const [alias, setAlias] = useState('champion');
  const [deployment, setDeployment] = useState('');
  const [spec, setSpec] = useState('');
  const [archiveExisting, setArchiveExisting] = useState(false);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const deployments = useApi((signal) => api.get('/api/v1/deployments', { query: { project }, signal }), [project], { enabled: kind === 'deployment' });
  const deploymentNames = (deployments.data?.items ?? []).map((d) => d.name);
  const deploymentTarget = deployment || deploymentNames[0] || '';
  const target = kind === 'stage' ? stageTarget : kind === 'alias' ? alias.trim().replace(/^@/, '') : deploymentTarget;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    let change: Record<string, unknown> | undefined;
    if (kind === 'stage' && archiveExisting) change = { archiveExisting: true };
    if (kind === 'deployment' && spec.trim()) {
      try {
        change = JSON.parse(spec) as Record<string, unknown>;
      } catch (err) {
        setError(new Error(`The deployment spec is not valid JSON: ${(err as Error).message}.`));
        return;
      }
    }
    setBusy(true);
    try {
      const r = await api.post('/api/v1/promotions', { query: { project }, body: { model, version, kind, target, ...(change ? { change } : {}), ...(comment.trim() ? { comment: comment.trim() } : {}) } });
      setComment('');
      onRequested(r);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card form" onSubmit={(e) => void submit(e)} aria-label="Request a promotion" data-testid="promotion-form">
      <h3>Request promotion</h3>
      <p className="muted small">Made at once when the policy already allows it; otherwise the request waits for what the policy asks (gates, approvals, card fields).</p>
      <div className="form-inline">
        <label className="field">
          <span className="field-label">Kind</span>
          <select value={kind} onChange={(e) => setKind(e.target.value as Kind)} data-testid="promotion-kind">
            <option value="stage">stage</option>
            <option value="alias">alias</option>
            <option value="deployment">deployment</option>
          </select>
        </label>
        {kind === 'stage' && (
          <label className="field">
            <span className="field-label">Stage</span>
            <select value={stageTarget} onChange={(e) => setStageTarget(e.target.value)} data-testid="promotion-stage">
              {['Staging', 'Production', 'Archived', 'None'].map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
        )}
        {kind === 'alias' && (
          <label className="field">
            <span className="field-label">Alias</span>
            <input value={alias} onChange={(e) => setAlias(e.target.value)} data-testid="promotion-alias" />
          </label>
        )}
        {kind === 'deployment' && (
          <label className="field">
            <span className="field-label">Deployment</span>
            <input value={deploymentTarget} onChange={(e) => setDeployment(e.target.value)} list="promotion-deployments" data-testid="promotion-deployment" />
            <datalist id="promotion-deployments">
              {deploymentNames.map((n) => (
                <option key={n} value={n} />
              ))}
            </datalist>
          </label>
        )}
      </div>
      {kind === 'stage' && (
        <label className="check">
          <input type="checkbox" checked={archiveExisting} onChange={(e) => setArchiveExisting(e.target.checked)} />
          Archive the versions already in that stage
        </label>
      )}
      {kind === 'deployment' && (
        <label className="field">
          <span className="field-label">Deployment spec to apply (JSON, as PUT /deployments/{'{name}'}; empty: the version joins as a shadow)</span>
          <textarea className="code-input" rows={4} value={spec} onChange={(e) => setSpec(e.target.value)} placeholder={`{"targets": [{"model": "${model}", "version": ${version}, "weight": 100}]}`} data-testid="promotion-spec" />
        </label>
      )}
      <label className="field">
        <span className="field-label">Comment for the reviewers</span>
        <input value={comment} onChange={(e) => setComment(e.target.value)} maxLength={5000} data-testid="promotion-comment" />
      </label>
      <ErrorNote error={error} context="Not requested" />
      <button type="submit" className="button button-primary" disabled={busy || !target} data-testid="promotion-submit">
        {busy ? 'Requesting…' : `Request ${moveLabel(kind, target || '…')}`}
      </button>
    </form>
  );
}

export function PromotionsPanel({ model, version, stage, ready, onMoved }: { model: string; version: number; stage: string; ready: boolean; onMoved: () => void }) {
  const { project } = useSession();
  const { can } = useRole();
  const [latest, setLatest] = useState<Promotion | null>(null);
  const list = useApi((signal) => api.get('/api/v1/promotions', { query: { project, model, version, limit: 50 }, signal }), [project, model, version], { pollMs: 10_000 });
  const items = list.data?.items ?? [];
  const changed = (p: Promotion) => {
    list.reload();
    if (p.status === 'executed') onMoved();
  };
  return (
    <div className="promotions-panel" data-testid="promotions-panel">
      {can('contributor') && ready && (
        <RequestForm
          model={model}
          version={version}
          stage={stage}
          onRequested={(p) => {
            setLatest(p);
            changed(p);
          }}
        />
      )}
      {latest && (
        <div className={`note ${latest.status === 'executed' ? 'note-success' : 'note-warn'}`} role="status" data-testid="promotion-answer">
          <p className="note-title">
            {latest.status === 'executed'
              ? `Done: the policy allowed it, version ${latest.version} entered ${moveLabel(latest.kind, latest.target)}.`
              : `Request ${latest.id} is ${latest.status}: ${latest.evaluation?.unmet.length ? 'the policy still needs what is listed below.' : 'waiting.'}`}
          </p>
        </div>
      )}
      <ErrorNote error={list.error} context="Could not load the promotion requests" onRetry={list.reload} />
      {items.length > 0 && (
        <>
          <h3>Promotion requests of this version</h3>
          <div className="promotions" data-testid="version-promotions">
            {items.map((p) => (
              <PromotionCard key={p.id} p={p} onChanged={changed} showSubject={false} />
            ))}
          </div>
        </>
      )}
    </div>
  );
}
