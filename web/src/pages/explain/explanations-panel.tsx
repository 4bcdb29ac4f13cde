/**
 * The explanations of a model version (its page's "Explanations" section): the global reports with their
 * status and progress (polled while queued or running), Retry for failed ones, a form to start one on a
 * dataset version, and the pictures of the chosen report (?explanation=<id> in the address).
 */
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { formatTime, plural } from '../../lib/format';
import { Link, navigate, path, useLocation } from '../../lib/router';
import { useRole, useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { TableWrap } from '../../components/table';
import { Badge, Empty, ErrorNote, Loading, Success } from '../../components/ui';
import { explainApi } from './explain-api';
import { isActive, MAX_PAIRS, metricLabel, parseFeatureList, parsePairs, pickReport, progressPercent, progressText } from './explain-data';
import { ReportView } from './report-view';
import { EXPLAIN_METRICS, type ExplainMetric, type ExplanationReport, type ExplanationReportSummary, type ReportStatus, type StartReportBody } from './types';

const POLL_MS = 2000;
/** The rows a report explains (parseReportBody: 10–10,000, default 1,000). */
const DEFAULT_ROWS = 1000;
const MIN_ROWS = 10;
const MAX_ROWS = 10_000;
/** Partial dependence features a report accepts. */
const MAX_PD_FEATURES = 20;

/** The metrics the server accepts for permutation importance, by the task they suit. */
const METRIC_GROUPS: { label: string; metrics: ExplainMetric[] }[] = [
  { label: 'Classification', metrics: ['roc_auc', 'accuracy', 'precision', 'recall', 'f1', 'log_loss', 'ece'] },
  { label: 'Regression', metrics: ['rmse', 'mse', 'mae', 'r2', 'mape'] },
];
const isMetric = (m: string): m is ExplainMetric => (EXPLAIN_METRICS as readonly string[]).includes(m);

const STATUS_TONE: Record<ReportStatus, 'warn' | 'info' | 'good' | 'bad'> = { queued: 'warn', running: 'info', succeeded: 'good', failed: 'bad' };

export function ReportStatusBadge({ status }: { status: ReportStatus }) {
  return <Badge tone={STATUS_TONE[status] ?? 'neutral'}>{status}</Badge>;
}

function Progress({ report }: { report: ExplanationReportSummary }) {
  const text = progressText(report.progress);
  if (!isActive(report.status)) return null;
  const pct = progressPercent(report.progress);
  return (
    <span className="report-progress">
      <progress max={100} value={pct ?? undefined} aria-label={`Progress of the report on ${report.dataset.name} v${report.dataset.version}`} />
      <span className="muted small">{text ?? (report.status === 'queued' ? 'waiting for a worker' : 'starting')}</span>
    </span>
  );
}

export interface LineageDataset {
  dataset: string;
  version: number | string;
  role: string;
}

export function ExplanationsPanel({ name, version, ready, lineage, features }: { name: string; version: number; ready: boolean; lineage: LineageDataset[]; features: string[] | null }) {
  const { project } = useSession();
  const canStart = useRole().can('contributor');
  const location = useLocation();
  const wanted = location.search.get('explanation');
  const v = { name, version };

  const [polling, setPolling] = useState(false);
  const list = useApi((signal) => explainApi.reports(project, v, signal), [project, name, version], { pollMs: polling ? POLL_MS : undefined });
  const items = list.data?.items ?? [];
  const anyActive = items.some((i) => isActive(i.status));
  useEffect(() => setPolling(anyActive), [anyActive]);

  const selected = pickReport(items, wanted);
  const [detailPolling, setDetailPolling] = useState(false);
  const detail = useApi((signal) => explainApi.report(project, v, selected!.id, signal), [project, name, version, selected?.id], { enabled: selected !== null, pollMs: detailPolling ? POLL_MS : undefined });
  const shown: ExplanationReport | undefined = detail.data && detail.data.id === selected?.id ? detail.data : undefined;
  const detailActive = selected !== null && (isActive(selected.status) || (shown !== undefined && isActive(shown.status)));
  useEffect(() => setDetailPolling(detailActive), [detailActive]);
  // The list saw the report finish before the detail did: fetch it now rather than at the next tick.
  const listStatus = selected?.status;
  const reloadDetail = detail.reload;
  useEffect(() => {
    if (listStatus && shown && listStatus !== shown.status && !isActive(listStatus)) reloadDetail();
  }, [listStatus, shown, reloadDetail]);

  const select = (id: string) => {
    const search = new URLSearchParams(location.search);
    search.set('explanation', id);
    navigate(`${location.path}?${search.toString()}`, { replace: true });
  };

  const [retrying, setRetrying] = useState<string | null>(null);
  const [retryError, setRetryError] = useState<unknown>();
  const retry = (id: string) => {
    setRetrying(id);
    setRetryError(undefined);
    explainApi.retry(project, v, id).then(
      () => {
        setRetrying(null);
        select(id);
        list.reload();
        detail.reload();
      },
      (err: unknown) => {
        setRetrying(null);
        setRetryError(err);
      },
    );
  };

  return (
    <div className="explanations" data-testid="explanations-panel">
      <p className="muted small">
        SHAP values tell how much each feature moved each prediction away from the model&apos;s average output. A report explains rows of a dataset version: which features matter overall, how
        their values push the output, and how the prediction changes as one feature moves. One prediction at a time is explained from a deployment&apos;s “Try it”, or by its id on the{' '}
        <Link to="/predictions">prediction explanation page</Link>.
      </p>
      <ErrorNote error={list.error} context="Could not load the explanation reports" onRetry={list.reload} />
      <ErrorNote error={retryError} context="The report was not retried" />
      {list.loading && !list.data && <Loading what="Loading the explanation reports" />}
      {list.data && items.length === 0 && (
        <Empty title="No explanation reports yet." testId="explanations-empty">
          <p>
            {canStart
              ? 'Start one below: pick a dataset version whose columns carry the model’s features (the training or validation data is a good choice). Add the target column to measure permutation importance as well.'
              : 'A contributor can start one on a dataset version whose columns carry the model’s features.'}
          </p>
        </Empty>
      )}
      {items.length > 0 && (
        <TableWrap label="Explanation reports">
          <table className="table table-compact" data-testid="explanations-table">
            <caption className="visually-hidden">Explanation reports of this version, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Dataset</th>
                <th scope="col" className="num">
                  Rows
                </th>
                <th scope="col">Status</th>
                <th scope="col">Finished</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {[...items]
                .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
                .map((r) => {
                  const current = r.id === selected?.id;
                  return (
                    <tr key={r.id} className={current ? 'selected' : undefined} data-testid={`explanation-row-${r.id}`}>
                      <td className="nowrap">
                        {formatTime(r.createdAt)}
                        <span className="muted small"> by {r.createdBy}</span>
                      </td>
                      <td>
                        <Link to={path('datasets', r.dataset.name, 'versions', r.dataset.version)}>
                          {r.dataset.name} v{r.dataset.version}
                        </Link>
                        {r.params.target && <span className="muted small"> · target {r.params.target}</span>}
                        {r.summary && r.summary.top.length > 0 && (
                          <span className="muted small explain-top" data-testid="explanation-top">
                            {' '}
                            · most important: {r.summary.top.slice(0, 3).map((t) => t.feature).join(', ')}
                          </span>
                        )}
                      </td>
                      <td className="num">{r.params.rows.toLocaleString('en-US')}</td>
                      <td data-testid="explanation-status">
                        <ReportStatusBadge status={r.status} />
                        <Progress report={r} />
                        {r.status === 'failed' && <p className="field-error small explain-error">{r.error ?? 'The report failed without a reason.'}</p>}
                      </td>
                      <td className="nowrap">{formatTime(r.finishedAt)}</td>
                      <td>
                        <span className="row-actions">
                          <button type="button" className="button button-small" aria-pressed={current} onClick={() => select(r.id)} aria-label={`Show the report on ${r.dataset.name} v${r.dataset.version} started ${formatTime(r.createdAt)}`} data-testid="explanation-show">
                            {current ? 'Shown' : 'Show'}
                          </button>
                          {r.status === 'failed' && canStart && (
                            <button type="button" className="button button-small" disabled={retrying !== null} onClick={() => retry(r.id)} data-testid="explanation-retry">
                              {retrying === r.id ? 'Retrying…' : 'Retry'}
                            </button>
                          )}
                        </span>
                      </td>
                    </tr>
                  );
                })}
            </tbody>
          </table>
        </TableWrap>
      )}

      {canStart ? (
        <StartReportForm name={name} version={version} ready={ready} lineage={lineage} features={features} onStarted={(r) => {
          select(r.id);
          list.reload();
        }} />
      ) : (
        items.length > 0 && <p className="muted small">Contributors can start and retry reports.</p>
      )}

      {selected && (
        <div className="explain-selected" data-testid="explanation-report">
          <h3>
            Report on {selected.dataset.name} v{selected.dataset.version} <span className="muted small">started {formatTime(selected.createdAt)}</span>
          </h3>
          <ErrorNote error={detail.error} context="Could not load the report" onRetry={detail.reload} />
          {!shown && !detail.error && <Loading what="Loading the report" />}
          {shown && isActive(shown.status) && (
            <div className="note note-warn" role="status" aria-live="polite" data-testid="explanation-pending">
              <p className="note-title">
                The report is {shown.status === 'queued' ? 'waiting for a worker' : 'being computed'}. The pictures appear here when it is done.
              </p>
              <Progress report={shown} />
            </div>
          )}
          {shown && shown.status === 'failed' && (
            <div className="note note-error" role="alert" data-testid="explanation-failed">
              <p className="note-title">The report failed.</p>
              <p>{shown.error ?? 'No reason was given.'}</p>
              {canStart && (
                <button type="button" className="button" disabled={retrying !== null} onClick={() => retry(shown.id)}>
                  {retrying === shown.id ? 'Retrying…' : 'Retry'}
                </button>
              )}
            </div>
          )}
          {shown && shown.status === 'succeeded' && (shown.result ? <ReportView report={shown} result={shown.result} /> : <p className="muted">The report succeeded but holds no result.</p>)}
        </div>
      )}
    </div>
  );
}

function StartReportForm({ name, version, ready, lineage, features, onStarted }: { name: string; version: number; ready: boolean; lineage: LineageDataset[]; features: string[] | null; onStarted: (r: ExplanationReport) => void }) {
  const { project } = useSession();
  const datasets = useApi((signal) => api.get('/api/v1/datasets', { query: { project, limit: 1000 }, signal }), [project]);
  const names = (datasets.data?.items ?? []).map((d) => d.name);
  // The version's own data first: validation or test data, else whatever it was trained on.
  const preferred = [...lineage].sort((a, b) => rank(a.role) - rank(b.role)).find((l) => names.includes(l.dataset));
  const [datasetChoice, setDataset] = useState('');
  const dataset = datasetChoice || preferred?.dataset || names[0] || '';
  const versions = useApi((signal) => api.get('/api/v1/datasets/{name}/versions', { path: { name: dataset }, query: { project, limit: 100 }, signal }), [project, dataset], { enabled: dataset !== '' });
  const versionItems = versions.data?.items ?? [];
  const [versionChoice, setVersion] = useState('');
  const lineageVersion = lineage.find((l) => l.dataset === dataset && versionItems.some((x) => String(x.version) === String(l.version)))?.version;
  const datasetVersion = versionItems.some((x) => String(x.version) === versionChoice) ? versionChoice : lineageVersion !== undefined ? String(lineageVersion) : versionItems[0] ? String(versionItems[0].version) : '';
  const columns = versionItems.find((x) => String(x.version) === datasetVersion)?.columns.map((c) => c.name) ?? [];
  const missing = features && columns.length > 0 ? features.filter((f) => !columns.includes(f)) : [];

  const [target, setTarget] = useState('');
  const [metric, setMetric] = useState<ExplainMetric | ''>('');
  const [rows, setRows] = useState(String(DEFAULT_ROWS));
  const [pdFeatures, setPdFeatures] = useState('');
  const [pairs, setPairs] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string | null>(null);
  const targetValue = columns.includes(target) ? target : '';

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    setDone(null);
    const n = Number(rows);
    if (!Number.isInteger(n) || n < MIN_ROWS || n > MAX_ROWS) {
      setError(new Error(`Rows must be a whole number from ${MIN_ROWS} to ${MAX_ROWS.toLocaleString('en-US')}.`));
      return;
    }
    const parsedPairs = parsePairs(pairs);
    if (parsedPairs.error) {
      setError(new Error(`${parsedPairs.error}.`));
      return;
    }
    const featureList = parseFeatureList(pdFeatures);
    if (featureList.length > MAX_PD_FEATURES) {
      setError(new Error(`Name at most ${MAX_PD_FEATURES} features for partial dependence (${featureList.length} were given).`));
      return;
    }
    const body: StartReportBody = {
      dataset,
      version: Number(datasetVersion),
      rows: n,
      ...(targetValue ? { target: targetValue } : {}),
      ...(targetValue && metric ? { metric } : {}),
      ...(featureList.length ? { features: featureList } : {}),
      ...(parsedPairs.pairs.length ? { pairs: parsedPairs.pairs } : {}),
    };
    setBusy(true);
    explainApi.start(project, { name, version }, body).then(
      (r) => {
        setBusy(false);
        setDone(`Queued a report on ${dataset} v${datasetVersion}; it shows below and updates by itself.`);
        onStarted(r);
      },
      (err: unknown) => {
        setBusy(false);
        setError(err);
      },
    );
  };

  if (datasets.data && names.length === 0) {
    return (
      <Empty title={`No datasets in project ${project} to explain the model on.`} testId="explain-no-datasets">
        <p>
          <Link to="/datasets/upload">Upload a dataset</Link> whose columns are the model&apos;s features, then start a report here.
        </p>
      </Empty>
    );
  }

  return (
    <form className="card form explain-start" onSubmit={submit} data-testid="explanation-start">
      <h3>Start a report</h3>
      <ErrorNote error={datasets.error} context="Could not load the datasets" onRetry={datasets.reload} />
      <ErrorNote error={versions.error} context={`Could not load the versions of ${dataset}`} onRetry={versions.reload} />
      <div className="form-inline">
        <label className="field">
          <span className="field-label">Dataset</span>
          <select
            value={dataset}
            onChange={(e) => {
              setDataset(e.target.value);
              setVersion('');
              setTarget('');
            }}
            disabled={!datasets.data}
            data-testid="explain-dataset"
          >
            {names.map((d) => (
              <option key={d} value={d}>
                {d}
                {lineage.some((l) => l.dataset === d) ? ' (lineage)' : ''}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">Version</span>
          <select value={datasetVersion} onChange={(e) => setVersion(e.target.value)} disabled={versionItems.length === 0} data-testid="explain-dataset-version">
            {versionItems.map((x) => (
              <option key={x.version} value={String(x.version)}>
                v{x.version} · {plural(x.rows, 'row')}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">Target column (optional)</span>
          <select value={targetValue} onChange={(e) => setTarget(e.target.value)} disabled={columns.length === 0} data-testid="explain-target" aria-describedby="explain-target-help">
            <option value="">none</option>
            {columns.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">Metric (optional)</span>
          <select value={metric} onChange={(e) => setMetric(isMetric(e.target.value) ? e.target.value : '')} disabled={!targetValue} data-testid="explain-metric" aria-describedby="explain-metric-help">
            <option value="">the task&apos;s default</option>
            {METRIC_GROUPS.map((g) => (
              <optgroup key={g.label} label={g.label}>
                {g.metrics.map((m) => (
                  <option key={m} value={m}>
                    {metricLabel(m)}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">Rows</span>
          <input type="number" min={MIN_ROWS} max={MAX_ROWS} step={1} value={rows} onChange={(e) => setRows(e.target.value)} className="short-input" data-testid="explain-rows" />
        </label>
      </div>
      <p id="explain-target-help" className="field-help">
        With a target column the report also measures permutation importance with the metric.{' '}
        <span id="explain-metric-help">
          Left to the default, that is ROC AUC for a binary classifier, accuracy for several classes and RMSE for regression.
        </span>{' '}
        The rows are a seeded sample of the dataset version ({MIN_ROWS}–{MAX_ROWS.toLocaleString('en-US')}).
      </p>
      {missing.length > 0 && (
        <p className="note note-warn" role="status" data-testid="explain-missing-columns">
          {dataset} v{datasetVersion} has no column {missing.slice(0, 5).join(', ')}
          {missing.length > 5 ? ` or ${missing.length - 5} more` : ''}, which the model needs: the report will likely fail. Pick a dataset with the model&apos;s features.
        </p>
      )}
      <details className="explain-more">
        <summary>Partial dependence options</summary>
        <div className="form-inline">
          <label className="field explain-wide-field">
            <span className="field-label">Features (comma-separated)</span>
            <input value={pdFeatures} onChange={(e) => setPdFeatures(e.target.value)} placeholder="the 5 most important" data-testid="explain-pd-features" />
          </label>
          <label className="field explain-wide-field">
            <span className="field-label">Pairs for two-feature heatmaps (at most {MAX_PAIRS})</span>
            <input value={pairs} onChange={(e) => setPairs(e.target.value)} placeholder="age:income, city:age" data-testid="explain-pd-pairs" />
          </label>
        </div>
      </details>
      {!ready && <p className="muted small">The version is not READY, so it cannot be explained yet.</p>}
      <button type="submit" className="button button-primary" disabled={busy || !ready || !dataset || !datasetVersion} data-testid="explanation-submit">
        {busy ? 'Starting…' : 'Start the report'}
      </button>
      {done && <Success>{done}</Success>}
      <ErrorNote error={error} context="The report was not started" />
    </form>
  );
}

function rank(role: string): number {
  const r = role.toLowerCase();
  return r.includes('valid') ? 0 : r.includes('test') ? 1 : r.includes('train') ? 2 : 3;
}
