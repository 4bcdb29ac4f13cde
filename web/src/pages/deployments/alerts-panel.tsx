/**
 * Alert rules of a deployment with their state, silence and acknowledgement, a form for a new rule, the
 * history of state changes and the webhook deliveries.
 */
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { AlertDelivery, AlertEvent, AlertRule } from '../../api/types';
import { formatNumber, formatTime } from '../../lib/format';
import { useRole, useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { TableWrap } from '../../components/table';
import { Badge, Empty, ErrorNote, Loading, Success } from '../../components/ui';
import { EMPTY_DRAFT, metricSuggestions, ruleBody, type RuleDraft } from './monitoring-data';

const POLL_MS = 15_000;
const SILENCE_MINUTES = 60;

function StateBadge({ state }: { state: string }) {
  const tone = state === 'firing' ? 'bad' : state === 'pending' ? 'warn' : state === 'ok' || state === 'resolved' ? 'good' : 'neutral';
  return <Badge tone={tone}>{state}</Badge>;
}

function silenced(rule: AlertRule, now: number): boolean {
  return rule.silencedUntil !== null && Date.parse(rule.silencedUntil) > now;
}

function RuleRows({ rules, canChange, busy, onAction }: { rules: AlertRule[]; canChange: boolean; busy: string | null; onAction: (rule: AlertRule, action: 'acknowledge' | 'silence' | 'unsilence') => void }) {
  const now = Date.now();
  return (
    <TableWrap>
      <table className="table table-compact" data-testid="alert-rules">
        <caption className="visually-hidden">Alert rules and their state</caption>
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">Condition</th>
            <th scope="col">Fires / resolves after</th>
            <th scope="col">State</th>
            <th scope="col">Notes</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rules.map((r) => (
            <tr key={r.id} data-testid={`alert-rule-${r.name}`}>
              <th scope="row">
                {r.name}
                {!r.enabled && <span className="muted small"> (disabled)</span>}
                {r.description && <div className="muted small">{r.description}</div>}
              </th>
              <td>
                <code>
                  {r.metric} {r.comparison} {formatNumber(r.threshold)}
                </code>
                <div className="muted small">
                  {r.windows > 1 ? `over the latest ${r.windows} windows together` : 'per window'}
                  {r.version !== null ? `, version ${r.version} only` : ''}
                </div>
              </td>
              <td className="nowrap">
                {r.firingAfter} / {r.resolvingAfter} windows
              </td>
              <td data-testid={`alert-state-${r.name}`}>
                <StateBadge state={r.state} />
              </td>
              <td className="small">
                {silenced(r, now) && <div>silenced until {formatTime(r.silencedUntil)}</div>}
                {r.acknowledgedAt && (
                  <div>
                    acknowledged by {r.acknowledgedBy} at {formatTime(r.acknowledgedAt)}
                  </div>
                )}
                {r.webhook && <div className="muted">webhook {r.webhook.url}</div>}
              </td>
              <td className="nowrap">
                {canChange && (
                  <span className="row-actions">
                    {r.state === 'firing' && !r.acknowledgedAt && (
                      <button type="button" className="button button-small" disabled={busy !== null} onClick={() => onAction(r, 'acknowledge')} data-testid={`alert-acknowledge-${r.name}`}>
                        Acknowledge
                      </button>
                    )}
                    {silenced(r, now) ? (
                      <button type="button" className="button button-small" disabled={busy !== null} onClick={() => onAction(r, 'unsilence')} data-testid={`alert-unsilence-${r.name}`}>
                        End silence
                      </button>
                    ) : (
                      <button type="button" className="button button-small" disabled={busy !== null} onClick={() => onAction(r, 'silence')} data-testid={`alert-silence-${r.name}`} title={`No webhooks for ${SILENCE_MINUTES} minutes`}>
                        Silence 1 h
                      </button>
                    )}
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function CreateRule({ name, features, onCreated }: { name: string; features: string[]; onCreated: (rule: AlertRule) => void }) {
  const { project } = useSession();
  const [draft, setDraft] = useState<RuleDraft>(EMPTY_DRAFT);
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<RuleDraft>) => setDraft((d) => ({ ...d, ...patch }));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    const checked = ruleBody(draft);
    if ('problem' in checked) {
      setProblem(checked.problem);
      return;
    }
    setProblem(null);
    setBusy(true);
    api.post('/api/v1/deployments/{name}/alerts/rules', { path: { name }, query: { project }, body: checked.body }).then(
      (rule) => {
        setBusy(false);
        setDraft(EMPTY_DRAFT);
        onCreated(rule);
      },
      (err: unknown) => {
        setBusy(false);
        setError(err);
      },
    );
  };

  return (
    <form className="form alert-form" onSubmit={submit} data-testid="alert-rule-create" aria-labelledby="new-rule-heading">
      <h3 id="new-rule-heading">New rule</h3>
      <div className="form-inline">
        <label className="field">
          <span className="field-label">Name</span>
          <input value={draft.name} onChange={(e) => set({ name: e.target.value })} placeholder="feature-drift" required maxLength={100} data-testid="alert-rule-name" />
        </label>
        <label className="field metric-field">
          <span className="field-label">Metric</span>
          <input value={draft.metric} onChange={(e) => set({ metric: e.target.value })} list="alert-metrics" required data-testid="alert-rule-metric" />
          <datalist id="alert-metrics">
            {metricSuggestions(features).map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
        </label>
        <label className="field">
          <span className="field-label">Comparison</span>
          <select value={draft.comparison} onChange={(e) => set({ comparison: e.target.value as RuleDraft['comparison'] })} data-testid="alert-rule-comparison">
            {(['>', '>=', '<', '<='] as const).map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">Threshold</span>
          <input value={draft.threshold} onChange={(e) => set({ threshold: e.target.value })} inputMode="decimal" className="short-input" required data-testid="alert-rule-threshold" />
        </label>
        <label className="field">
          <span className="field-label">Fires after</span>
          <input type="number" min={1} max={1000} value={draft.firingAfter} onChange={(e) => set({ firingAfter: e.target.value })} className="short-input" data-testid="alert-rule-firing-after" />
        </label>
        <label className="field">
          <span className="field-label">Resolves after</span>
          <input type="number" min={1} max={1000} value={draft.resolvingAfter} onChange={(e) => set({ resolvingAfter: e.target.value })} className="short-input" data-testid="alert-rule-resolving-after" />
        </label>
        <button type="submit" className="button button-primary" disabled={busy} data-testid="alert-rule-submit">
          {busy ? 'Creating…' : 'Create rule'}
        </button>
      </div>
      <p className="field-help">
        The rule is checked whenever a window closes; it fires after that many breaching windows in a row and resolves after that many clear ones. Webhooks can be added through the API.
      </p>
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
      <ErrorNote error={error} context="The rule was not created" />
    </form>
  );
}

function History({ items }: { items: AlertEvent[] }) {
  if (items.length === 0) return <Empty title="No alert has fired or changed yet." testId="alert-history-empty" />;
  return (
    <TableWrap>
      <table className="table table-compact" data-testid="alert-history-table">
        <caption className="visually-hidden">Alert history, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Rule</th>
            <th scope="col">State</th>
            <th scope="col">Value</th>
            <th scope="col">Window</th>
          </tr>
        </thead>
        <tbody>
          {items.map((e) => (
            <tr key={e.id}>
              <td className="nowrap">{formatTime(e.at)}</td>
              <th scope="row">{e.rule}</th>
              <td>
                <StateBadge state={e.state} />
                {typeof e.detail.by === 'string' && <span className="muted small"> by {e.detail.by}</span>}
              </td>
              <td className="num">{formatNumber(e.value)}</td>
              <td className="nowrap small">{e.windowStart ? `${formatTime(e.windowStart)} – ${formatTime(e.windowEnd)}` : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function Deliveries({ items }: { items: AlertDelivery[] }) {
  if (items.length === 0) return <Empty title="No webhook deliveries." testId="alert-deliveries-empty" />;
  return (
    <TableWrap>
      <table className="table table-compact" data-testid="alert-deliveries">
        <caption className="visually-hidden">Webhook deliveries, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Rule</th>
            <th scope="col">Event</th>
            <th scope="col">To</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last answer</th>
          </tr>
        </thead>
        <tbody>
          {items.map((d) => (
            <tr key={d.id}>
              <td className="nowrap">{formatTime(d.createdAt)}</td>
              <th scope="row">{d.rule}</th>
              <td>{d.event}</td>
              <td className="clip" title={d.url}>
                {d.url}
              </td>
              <td>
                <Badge tone={d.status === 'delivered' ? 'good' : d.status === 'failed' ? 'bad' : 'warn'}>{d.status}</Badge>
              </td>
              <td className="num">{d.attempts}</td>
              <td className="small">{d.lastError ?? (d.lastStatus !== null ? `HTTP ${d.lastStatus}` : '—')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

export function AlertsPanel({ name, features }: { name: string; features: string[] }) {
  const { project } = useSession();
  const canChange = useRole().can('deployer');
  const rules = useApi((signal) => api.get('/api/v1/deployments/{name}/alerts/rules', { path: { name }, query: { project }, signal }), [project, name], { pollMs: POLL_MS });
  const history = useApi((signal) => api.get('/api/v1/deployments/{name}/alerts', { path: { name }, query: { project, limit: 50 }, signal }), [project, name], { pollMs: POLL_MS });
  const deliveries = useApi((signal) => api.get('/api/v1/deployments/{name}/alerts/deliveries', { path: { name }, query: { project, limit: 50 }, signal }), [project, name], { pollMs: POLL_MS });
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>();
  const [message, setMessage] = useState<string | null>(null);

  const act = (rule: AlertRule, action: 'acknowledge' | 'silence' | 'unsilence') => {
    setBusy(rule.name);
    setActionError(undefined);
    setMessage(null);
    const path = { name, rule: rule.name };
    const call =
      action === 'acknowledge'
        ? api.post('/api/v1/deployments/{name}/alerts/rules/{rule}/acknowledge', { path, query: { project }, body: {} })
        : action === 'silence'
          ? api.post('/api/v1/deployments/{name}/alerts/rules/{rule}/silence', { path, query: { project }, body: { minutes: SILENCE_MINUTES } })
          : api.delete('/api/v1/deployments/{name}/alerts/rules/{rule}/silence', { path, query: { project } });
    call.then(
      () => {
        setBusy(null);
        setMessage(action === 'acknowledge' ? `Acknowledged ${rule.name}.` : action === 'silence' ? `${rule.name} sends no webhooks for ${SILENCE_MINUTES} minutes.` : `The silence of ${rule.name} ended.`);
        rules.reload();
        history.reload();
      },
      (err: unknown) => {
        setBusy(null);
        setActionError(err);
      },
    );
  };

  return (
    <div className="alerts-panel">
      <ErrorNote error={rules.error} context="Could not load the alert rules" onRetry={rules.reload} />
      <ErrorNote error={actionError} context="Not done" />
      {message && <Success>{message}</Success>}
      {!rules.data && !rules.error && <Loading what="Loading the alert rules" />}
      {rules.data &&
        (rules.data.items.length === 0 ? (
          <Empty title="No alert rules yet." testId="alert-rules-empty">
            <p>A rule watches one metric of each closed window, such as drift.share or operations.p99Ms.</p>
          </Empty>
        ) : (
          <RuleRows rules={rules.data.items} canChange={canChange} busy={busy} onAction={act} />
        ))}
      {canChange && (
        <CreateRule
          name={name}
          features={features}
          onCreated={(rule) => {
            setMessage(`Created the rule ${rule.name}.`);
            rules.reload();
          }}
        />
      )}
      <div data-testid="alert-history">
        <h3>History</h3>
        <ErrorNote error={history.error} context="Could not load the alert history" onRetry={history.reload} />
        {history.data ? <History items={history.data.items} /> : !history.error && <Loading what="Loading the history" />}
      </div>
      <div>
        <h3>Webhook deliveries</h3>
        <ErrorNote error={deliveries.error} context="Could not load the deliveries" onRetry={deliveries.reload} />
        {deliveries.data ? <Deliveries items={deliveries.data.items} /> : !deliveries.error && <Loading what="Loading the deliveries" />}
      </div>
    </div>
  );
}
