/**
 * Test gates on the version page: the newest result of each gate (pass/fail, with what was measured —
 * fairness as a per-group table and the gap against the tolerance), the gate runs with their progress, and
 * a form to run gates on a dataset version (the policy's gates for the model's risk tier, or any list).
 */
import { Fragment, useEffect, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { GateResult, GateRun } from '../../api/types';
import { formatNumber, formatPercent, formatTime } from '../../lib/format';
import { Link } from '../../lib/router';
import { useRole, useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { TableWrap } from '../../components/table';
import { Badge, ErrorNote, Loading, Success } from '../../components/ui';
import { gateParameters } from './policy-view';

interface FairnessGroup {
  group: string | number;
  count: number | null;
  selectionRate: number | null;
  tpr: number | null;
  fpr: number | null;
}

export function PassBadge({ passed }: { passed: boolean }) {
  return <Badge tone={passed ? 'good' : 'bad'}>{passed ? 'pass' : 'fail'}</Badge>;
}

/** Per-group rates of a fairness gate and its measure against the tolerance. */
export function FairnessTable({ details }: { details: Record<string, unknown> }) {
  const groups = (details.groups as FairnessGroup[] | undefined) ?? [];
  const metric = String(details.metric ?? '');
  const ratio = metric === 'demographic_parity_ratio';
  const gap = (details.gap as Record<string, number | null> | undefined) ?? {};
  return (
    <div className="fairness" data-testid="fairness-details">
      <p>
        <strong>{metric}</strong> over the groups of <code>{String(details.sensitive ?? '?')}</code>: <strong data-testid="fairness-value">{formatNumber(details.value)}</strong>{' '}
        {ratio ? 'must be at least' : 'must be at most'} <strong>{formatNumber(details.tolerance)}</strong>
        {details.positiveClass !== undefined && <span className="muted"> (positive class {String(details.positiveClass)})</span>}.
      </p>
      <TableWrap>
        <table className="table table-compact" data-testid="fairness-groups">
          <thead>
            <tr>
              <th scope="col">Group</th>
              <th scope="col">Rows</th>
              <th scope="col">Selection rate</th>
              <th scope="col">True positive rate</th>
              <th scope="col">False positive rate</th>
            </tr>
          </thead>
          <tbody>
            {groups.map((g) => (
              <tr key={String(g.group)}>
                <th scope="row">{String(g.group)}</th>
                <td className="num">{formatNumber(g.count)}</td>
                <td className="num">{formatPercent(g.selectionRate)}</td>
                <td className="num">{formatPercent(g.tpr)}</td>
                <td className="num">{formatPercent(g.fpr)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      <p className="muted small">
        Gaps: demographic parity difference {formatNumber(gap.demographicParityDifference)}, ratio {formatNumber(gap.demographicParityRatio)}, equal opportunity difference{' '}
        {formatNumber(gap.equalOpportunityDifference)}, equalized odds difference {formatNumber(gap.equalizedOddsDifference)}.
      </p>
    </div>
  );
}

function ResultDetails({ r }: { r: GateResult }) {
  const d = r.details;
  return (
    <div className="gate-details" data-testid={`gate-details-${r.name}`}>
      {typeof d.error === 'string' && (
        <p className="note note-error">
          The gate could not be evaluated: <span>{d.error}</span>
        </p>
      )}
      {r.type === 'fairness' && Array.isArray(d.groups) && <FairnessTable details={d} />}
      <p className="small">
        Spec: <code>{gateParameters(r.spec) || r.type}</code> <span className="muted">· spec hash {r.specSha256.slice(0, 12)} · run {r.runId}</span>
      </p>
      {r.type !== 'fairness' && <pre className="code-block">{JSON.stringify(d, null, 2)}</pre>}
    </div>
  );
}

export function GateResultsTable({ items }: { items: GateResult[] }) {
  const [open, setOpen] = useState<string[]>([]);
  const toggle = (id: string) => setOpen((o) => (o.includes(id) ? o.filter((x) => x !== id) : [...o, id]));
  return (
    <TableWrap>
      <table className="table" data-testid="gate-results">
        <thead>
          <tr>
            <th scope="col">Gate</th>
            <th scope="col">Type</th>
            <th scope="col">Result</th>
            <th scope="col">Measured</th>
            <th scope="col">When</th>
            <th scope="col">
              <span className="visually-hidden">Details</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((r) => (
            <Fragment key={r.id}>
              <tr data-testid={`gate-result-${r.name}`}>
                <th scope="row">{r.name}</th>
                <td>{r.type}</td>
                <td>
                  <PassBadge passed={r.passed} />
                </td>
                <td>{r.summary}</td>
                <td className="nowrap">{formatTime(r.createdAt)}</td>
                <td>
                  <button type="button" className="button button-small" aria-expanded={open.includes(r.id)} onClick={() => toggle(r.id)} data-testid={`gate-toggle-${r.name}`}>
                    {open.includes(r.id) ? 'Hide details' : 'Details'}
                  </button>
                </td>
              </tr>
              {open.includes(r.id) && (
                <tr>
                  <td colSpan={6}>
                    <ResultDetails r={r} />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

const RUN_TONE: Record<GateRun['status'], 'good' | 'bad' | 'warn' | 'info'> = { queued: 'info', running: 'warn', succeeded: 'good', failed: 'bad' };

function Runs({ items, name, version, onRetried }: { items: GateRun[]; name: string; version: number; onRetried: () => void }) {
  const { project } = useSession();
  const { can } = useRole();
  const [error, setError] = useState<unknown>();
  const retry = async (id: string) => {
    setError(undefined);
    try {
      await api.post('/api/v1/models/{name}/versions/{version}/gate-runs/{id}/retry', { path: { name, version, id }, query: { project } });
      onRetried();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <ErrorNote error={error} context="Not retried" />
      <TableWrap>
        <table className="table table-compact" data-testid="gate-runs">
          <caption className="visually-hidden">Gate runs, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Dataset</th>
              <th scope="col">Gates</th>
              <th scope="col">Status</th>
              <th scope="col">Outcome</th>
              <th scope="col">By</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.id} data-testid={`gate-run-${r.id}`}>
                <td className="nowrap">{formatTime(r.createdAt)}</td>
                <td>
                  <Link to={`/datasets/${encodeURIComponent(r.dataset.name)}/versions/${r.dataset.version}`}>
                    {r.dataset.name} v{r.dataset.version}
                  </Link>
                  {r.target && <span className="muted small"> · target {r.target}</span>}
                </td>
                <td>{r.gates.map((g) => String(g.name)).join(', ')}</td>
                <td>
                  <Badge tone={RUN_TONE[r.status]}>
                    <span data-testid="gate-run-status">{r.status}</span>
                  </Badge>
                  {r.progress && r.status === 'running' && (
                    <span className="small">
                      {' '}
                      <progress max={1} value={r.progress.fraction} aria-label="Gate run progress" /> {r.progress.message}
                    </span>
                  )}
                  {r.error && <div className="small field-error">{r.error}</div>}
                </td>
                <td>{r.passed === null ? <span className="muted">—</span> : r.passed ? <Badge tone="good">all passed</Badge> : <Badge tone="bad">a gate failed</Badge>}</td>
                <td>{r.createdBy}</td>
                <td>
                  {r.status === 'failed' && can('contributor') && (
                    <button type="button" className="button button-small" onClick={() => void retry(r.id)} data-testid={`gate-run-retry-${r.id}`}>
                      Retry
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </>
  );
}

const DEFAULT_GATES = JSON.stringify([{ name: 'schema', type: 'schema' }], null, 2);

function RunForm({ name, version, riskTier, lineage, onStarted }: { name: string; version: number; riskTier: string | null; lineage: { dataset: string; version: number }[]; onStarted: () => void }) {
  const { project } = useSession();
  const datasets = useApi((signal) => api.get('/api/v1/datasets', { query: { project, limit: 1000 }, signal }), [project]);
  const names = (datasets.data?.items ?? []).map((d) => d.name);
  const [datasetChoice, setDataset] = useState('');
  const dataset = datasetChoice || lineage.find((l) => names.includes(l.dataset))?.dataset || names[0] || '';
  const versions = useApi((signal) => api.get('/api/v1/datasets/{name}/versions', { path: { name: dataset }, query: { project, limit: 100 }, signal }), [project, dataset], { enabled: dataset !== '' });
  const versionItems = versions.data?.items ?? [];
  const [versionChoice, setVersion] = useState('');
  const datasetVersion = versionItems.some((x) => String(x.version) === versionChoice) ? versionChoice : versionItems[0] ? String(versionItems[0].version) : '';
  const columns = versionItems.find((x) => String(x.version) === datasetVersion)?.columns.map((c) => c.name) ?? [];
  const [target, setTarget] = useState('');
  const [gates, setGates] = useState(DEFAULT_GATES);
  const [policyId, setPolicyId] = useState<string | null>(null);
  const [busy, setBusy] = useState<'policy' | 'run' | null>(null);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string | null>(null);

  const usePolicy = async () => {
    setBusy('policy');
    setError(undefined);
    setDone(null);
    try {
      const r = await api.get('/api/v1/policies', { query: { project } });
      const p = r.items.find((x) => x.tier === riskTier);
      if (!p) throw new Error(`No policy is in force for risk tier ${riskTier ?? '?'}.`);
      if (p.document.gates.length === 0) throw new Error(`The ${p.tier} policy (${p.builtIn ? 'built-in default' : `v${p.version}`}) defines no gates.`);
      setGates(JSON.stringify(p.document.gates, null, 2));
      setPolicyId(p.id);
      setDone(`Loaded the ${p.document.gates.length} gates of the ${p.tier} policy (${p.builtIn ? 'built-in default' : `v${p.version}`}).`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    setDone(null);
    let list: unknown;
    try {
      list = JSON.parse(gates);
    } catch (err) {
      setError(new Error(`The gates are not valid JSON: ${(err as Error).message}.`));
      return;
    }
    if (!Array.isArray(list) || list.length === 0) {
      setError(new Error('The gates must be a JSON list of 1 to 20 gate specs.'));
      return;
    }
    setBusy('run');
    try {
      const r = await api.post('/api/v1/models/{name}/versions/{version}/gate-runs', {
        path: { name, version },
        query: { project },
        body: { dataset: `${dataset}@${datasetVersion}`, ...(target && columns.includes(target) ? { target } : {}), gates: list as { name: string; type: string }[], ...(policyId ? { policyId } : {}) },
      });
      setDone(`Queued gate run ${r.id} on ${dataset} v${datasetVersion}; its results show above when it finishes.`);
      onStarted();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  if (datasets.data && names.length === 0) {
    return (
      <p className="muted" data-testid="gates-no-datasets">
        Gates run against a dataset version: <Link to="/datasets/upload">upload one</Link> whose columns are the model&apos;s features.
      </p>
    );
  }
  return (
    <form className="card form" onSubmit={(e) => void submit(e)} data-testid="gate-run-form" aria-label="Run gates">
      <h3>Run gates</h3>
      <div className="form-inline">
        <label className="field">
          <span className="field-label">Dataset</span>
          <select
            value={dataset}
            onChange={(e) => {
              setDataset(e.target.value);
              setVersion('');
            }}
            data-testid="gate-dataset"
          >
            {names.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">Version</span>
          <select value={datasetVersion} onChange={(e) => setVersion(e.target.value)} data-testid="gate-dataset-version">
            {versionItems.map((x) => (
              <option key={x.version} value={String(x.version)}>
                v{x.version}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">Label column</span>
          <select value={columns.includes(target) ? target : ''} onChange={(e) => setTarget(e.target.value)} data-testid="gate-target">
            <option value="">none</option>
            {columns.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
      </div>
      <label className="field">
        <span className="field-label">Gates (JSON list of gate specs)</span>
        <textarea
          className="code-input"
          rows={8}
          value={gates}
          spellCheck={false}
          onChange={(e) => {
            setGates(e.target.value);
            setPolicyId(null);
          }}
          data-testid="gate-specs"
        />
      </label>
      <p className="muted small">
        Types: metric, schema, robustness, latency, fairness, leakage. Metric and fairness gates other than demographic parity need the label column.
      </p>
      <ErrorNote error={error} context="Not started" />
      {done && <Success>{done}</Success>}
      <div className="row-actions">
        <button type="button" className="button" onClick={() => void usePolicy()} disabled={busy !== null || !riskTier} data-testid="gate-use-policy">
          {busy === 'policy' ? 'Loading…' : `Use the ${riskTier ?? ''} policy's gates`}
        </button>
        <button type="submit" className="button button-primary" disabled={busy !== null || !dataset || !datasetVersion} data-testid="gate-run-submit">
          {busy === 'run' ? 'Starting…' : 'Run gates'}
        </button>
      </div>
    </form>
  );
}

export function GatesPanel({ name, version, ready, riskTier, lineage }: { name: string; version: number; ready: boolean; riskTier: string | null; lineage: { dataset: string; version: number }[] }) {
  const { project } = useSession();
  const { can } = useRole();
  // Polled often while a run is queued or running, rarely otherwise.
  const [active, setActive] = useState(false);
  const runs = useApi((signal) => api.get('/api/v1/models/{name}/versions/{version}/gate-runs', { path: { name, version }, query: { project }, signal }), [project, name, version], { pollMs: active ? 1500 : 20_000 });
  const runItems = runs.data?.items ?? [];
  const running = runItems.some((r) => r.status === 'queued' || r.status === 'running');
  useEffect(() => setActive(running), [running]);
  // Results change when a run finishes: their count is part of the results' key.
  const finished = runItems.filter((r) => r.status === 'succeeded' || r.status === 'failed').length;
  const results = useApi((signal) => api.get('/api/v1/models/{name}/versions/{version}/gate-results', { path: { name, version }, query: { project, latest: true }, signal }), [project, name, version, finished]);
  const items = results.data?.items ?? [];
  const passed = items.filter((r) => r.passed).length;

  return (
    <div className="gates-panel" data-testid="gates-panel">
      <h3>Test results</h3>
      <ErrorNote error={results.error} context="Could not load the gate results" onRetry={results.reload} />
      {!results.data && !results.error && <Loading what="Loading gate results" />}
      {results.data && items.length === 0 && (
        <p className="muted" data-testid="gate-results-empty">
          No gate has run on this version yet.
        </p>
      )}
      {items.length > 0 && (
        <>
          <p data-testid="gate-results-summary">
            {passed} of {items.length} gates pass (newest result of each).
          </p>
          <GateResultsTable items={items} />
        </>
      )}
      {runItems.length > 0 && (
        <details open={runItems.some((r) => r.status === 'queued' || r.status === 'running')}>
          <summary>Gate runs ({runItems.length})</summary>
          <Runs items={runItems} name={name} version={version} onRetried={runs.reload} />
        </details>
      )}
      <ErrorNote error={runs.error} context="Could not load the gate runs" onRetry={runs.reload} />
      {can('contributor') && ready && <RunForm name={name} version={version} riskTier={riskTier} lineage={lineage} onStarted={() => {
            setActive(true);
            runs.reload();
          }} />}
    </div>
  );
}
