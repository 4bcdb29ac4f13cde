/**
 * The monitoring of a deployment over a time range: a summary (rows, drift, errors, latency, performance
 * from labels), drift of every feature window by window, reference vs current histograms, performance,
 * quality and latency over time, alert rules, and the monitoring settings. Everything comes from the stored
 * window profiles the server folds the prediction log into; nothing here reads raw predictions.
 */
import { useEffect, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError, buildUrl, uploadForm } from '../../api/client';
import type { MonitoringReport, MonitoringSettings, MonitoringSettingsBody, ReferenceView, WindowSummary } from '../../api/types';
import { formatNumber, formatPercent, formatTime, plural } from '../../lib/format';
import { Link, navigate, path, useLocation } from '../../lib/router';
import { projectFlag, useRole, useSession } from '../../lib/session';
import { useApi, type Loaded } from '../../lib/use-api';
import { Badge, Command, Empty, ErrorNote, Loading, PageTitle, Section, Success } from '../../components/ui';
import { AlertsPanel } from './alerts-panel';
import { AttributionPanel } from './attribution-drift';
import { DeploymentTabs } from './deployment-tabs';
import { DriftFeatures } from './drift-features';
import { DriftHeatmap } from './drift-heatmap';
import { headlineMetrics, isRangeKey, METRIC_LABELS, RANGES, rangeQuery, type RangeKey } from './monitoring-data';
import { PerformanceChart } from './performance-chart';
import { WindowCharts } from './window-charts';

const POLL_MS = 30_000;
const WINDOW_LIMIT = 100;

const ms = (v: number | null) => (v === null ? '—' : `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`);

function signed(v: number): string {
  const s = formatNumber(Math.abs(v));
  return v > 0 ? `+${s}` : v < 0 ? `−${s}` : '±0';
}

function RangePicker({ value, onChange }: { value: RangeKey; onChange: (key: RangeKey) => void }) {
  return (
    <div className="segmented" role="group" aria-label="Time range" data-testid="range-picker">
      {RANGES.map((r) => (
        <button key={r.key} type="button" className="segment" aria-pressed={r.key === value} onClick={() => onChange(r.key)} data-testid={`range-${r.key}`}>
          {r.label}
        </button>
      ))}
    </div>
  );
}

function Card({ label, testId, children, note }: { label: string; testId: string; children: ReactNode; note?: ReactNode }) {
  return (
    <div className="summary-card" data-testid={testId}>
      <span className="summary-label">{label}</span>
      <strong className="summary-value">{children}</strong>
      {note && <span className="summary-note">{note}</span>}
    </div>
  );
}

function Summary({ report }: { report: MonitoringReport }) {
  const { drift, operations: ops, performance: perf } = report;
  const tested = drift ? Object.values(drift.features).filter((f) => f.statistic !== null).length : 0;
  const headline = headlineMetrics(perf);
  return (
    <div className="summary-cards" data-testid="monitoring-summary">
      <Card label="Rows" testId="summary-card-rows" note={`in ${plural(report.windows, 'window')}${ops.throughputPerS !== null ? `, ${formatNumber(ops.throughputPerS)} per second` : ''}`}>
        <span data-testid="summary-rows">{ops.count.toLocaleString('en-US')}</span>
      </Card>
      <Card
        label="Dataset drift"
        testId="summary-card-drift"
        note={drift ? `${drift.driftedFeatures} of ${plural(tested, 'feature')} drifted${drift.output?.drifted ? '; the prediction drifted' : ''}` : (report.driftNote ?? 'not computed')}
      >
        {drift ? (
          <span data-testid="summary-drift">
            {formatPercent(drift.share, 0)} {drift.datasetDrift ? <Badge tone="bad">drift</Badge> : <Badge tone="good">no drift</Badge>}
          </span>
        ) : (
          <span data-testid="summary-drift">—</span>
        )}
      </Card>
      <Card label="Errors" testId="summary-card-errors" note={`${plural(ops.errors, 'error')}, ${ops.rejected.toLocaleString('en-US')} refused as invalid`}>
        <span data-testid="summary-error-rate">{ops.count + ops.errors + ops.rejected === 0 ? '—' : formatPercent(ops.errorRate, 2)}</span>
      </Card>
      <Card label="Latency" testId="summary-card-latency" note={ops.p50Ms === null ? 'no requests' : `p50 ${ms(ops.p50Ms)} · p95 ${ms(ops.p95Ms)}`}>
        <span data-testid="summary-p99">p99 {ms(ops.p99Ms)}</span>
      </Card>
      <Card
        label="Performance"
        testId="summary-card-performance"
        note={
          perf.labeled === 0 ? (
            'no labels yet: POST them to …/labels'
          ) : (
            <>
              {plural(perf.labeled, 'labeled prediction')}
              {perf.task ? `, ${perf.task}` : ''}
              {perf.skipped > 0 ? `, ${perf.skipped} skipped` : ''}
            </>
          )
        }
      >
        {headline.length === 0 ? (
          <span data-testid="summary-performance">—</span>
        ) : (
          <span className="metric-list" data-testid="summary-performance">
            {headline.map((m) => (
              <span key={m.metric} className="metric-item">
                {METRIC_LABELS[m.metric]} {formatNumber(m.value)}
                {m.delta !== null && (
                  <span className={m.worse ? 'delta-bad' : 'delta-good'} title={`validation ${formatNumber(m.validation)}`}>
                    {' '}
                    ({signed(m.delta)} vs validation)
                  </span>
                )}
              </span>
            ))}
          </span>
        )}
      </Card>
    </div>
  );
}

/** Drift needs a reference: its state for the model version, and how to set one (a command, or an upload here). */
function ReferenceNote({ report, target, onReady }: { report: MonitoringReport; target: { model: string; version: number } | null; onReady: () => void }) {
  const { project } = useSession();
  const canSetReference = useRole().can('contributor');
  const reference = useApi<ReferenceView | null>(
    async (signal) => {
      if (!target) return null;
      try {
        return (await api.get('/api/v1/models/{name}/versions/{version}/reference', { path: { name: target.model, version: target.version }, query: { project }, signal })) as unknown as ReferenceView;
      } catch (err) {
        if (err instanceof ApiError && err.status === 404 && err.code === 'REFERENCE_NOT_FOUND') return null;
        throw err;
      }
    },
    [project, target?.model, target?.version],
    // Shown only while there is no drift: a reference being profiled is watched until it is ready.
    { pollMs: 5000 },
  );
  const ref = reference.data;
  // A reference that has just become ready: load the report again for its drift.
  const lastStatus = useRef<string | undefined>(undefined);
  useEffect(() => {
    const status = ref?.status;
    if (lastStatus.current === 'PENDING' && status === 'READY') onReady();
    lastStatus.current = status;
  }, [ref?.status, onReady]);
  const endpoint = target ? buildUrl('/api/v1/models/{name}/versions/{version}/reference', { name: target.model, version: target.version }) : '';

  return (
    <div className="note note-warn reference-note" role="status" data-testid="reference-note">
      <p className="note-title">No drift yet{report.driftNote ? `: ${report.driftNote}` : ''}.</p>
      {!target ? (
        <p>The deployment serves no model version yet.</p>
      ) : ref?.status === 'PENDING' ? (
        <p data-testid="reference-status">
          A reference for {target.model} v{target.version} is being profiled (started {formatTime(ref.createdAt)} by {ref.createdBy}); drift appears when it is ready.
        </p>
      ) : ref?.status === 'READY' ? (
        <p data-testid="reference-status">
          {target.model} v{target.version} has a reference of {ref.rows.toLocaleString('en-US')} rows;{' '}
          {report.windows === 0 ? 'drift appears once predictions in this range are folded into windows.' : 'the drift tests could not be run on these windows (see the reason above; the tests are chosen in the settings below).'}
        </p>
      ) : (
        <>
          {ref?.status === 'FAILED' && (
            <p data-testid="reference-status">
              The last reference of {target.model} v{target.version} failed: {ref.error ?? 'no reason given'}.
            </p>
          )}
          <p>
            Drift compares the served rows with reference rows, such as the training data: set them for{' '}
            <Link to={path('models', target.model, 'versions', target.version)}>
              {target.model} v{target.version}
            </Link>{' '}
            with a CSV or Parquet file whose columns are named as the model&apos;s features, or with a dataset version:
          </p>
          <Command>{`steward reference set ${target.model} ${target.version} --file reference.csv${projectFlag(project)}`}</Command>
          <p className="small">
            Through the API: POST the file as the multipart field <code>file</code>, or JSON {'{"dataset": name, "version": n}'}, to <code>{endpoint}</code>.
          </p>
          {canSetReference && <ReferenceUpload target={target} onSent={reference.reload} />}
        </>
      )}
      <ErrorNote error={reference.error} context="Could not read the reference" />
    </div>
  );
}

function ReferenceUpload({ target, onSent }: { target: { model: string; version: number }; onSent: () => void }) {
  const { project } = useSession();
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    const form = new FormData();
    form.append('file', file, file.name);
    setBusy(true);
    setError(undefined);
    uploadForm(buildUrl('/api/v1/models/{name}/versions/{version}/reference', { name: target.model, version: target.version }, { project }), form).then(
      () => {
        setBusy(false);
        onSent();
      },
      (err: unknown) => {
        setBusy(false);
        setError(err);
      },
    );
  };
  return (
    <form className="form-inline" onSubmit={submit} data-testid="reference-upload">
      <label className="field">
        <span className="field-label">Or upload the reference rows here</span>
        <input type="file" accept=".csv,.parquet,text/csv" onChange={(e) => setFile(e.target.files?.[0] ?? null)} data-testid="reference-file" />
      </label>
      <button type="submit" className="button" disabled={!file || busy} data-testid="reference-submit">
        {busy ? 'Uploading…' : 'Set as reference'}
      </button>
      <ErrorNote error={error} context="The reference was not set" />
    </form>
  );
}

const WINDOW_CHOICES = ['minute', 'hour', 'day', 'rows'] as const;

function SettingsPanel({ name, settings }: { name: string; settings: Loaded<MonitoringSettings> }) {
  const canChange = useRole().can('deployer');
  const s = settings.data;
  return (
    <div data-testid="monitoring-settings">
      <ErrorNote error={settings.error} context="Could not load the monitoring settings" onRetry={settings.reload} />
      {!s && !settings.error && <Loading what="Loading the settings" />}
      {s && <SettingsForm key={JSON.stringify(s)} name={name} settings={s} canChange={canChange} onSaved={settings.reload} />}
      {s && !canChange && <p className="muted small">Deployers can change these settings.</p>}
    </div>
  );
}

function SettingsForm({ name, settings, canChange, onSaved }: { name: string; settings: MonitoringSettings; canChange: boolean; onSaved: () => void }) {
  const { project } = useSession();
  const rows = /^rows:(\d+)$/.exec(settings.window);
  const [kind, setKind] = useState<(typeof WINDOW_CHOICES)[number]>(rows ? 'rows' : (WINDOW_CHOICES.find((k) => k === settings.window) ?? 'hour'));
  const [size, setSize] = useState(rows ? rows[1]! : '1000');
  const [correction, setCorrection] = useState(settings.correction);
  const [share, setShare] = useState(String(settings.driftShare));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setSaved(false);
    const body: MonitoringSettingsBody = { window: kind === 'rows' ? `rows:${size.trim()}` : kind, correction, driftShare: Number(share) };
    api.put('/api/v1/deployments/{name}/monitoring/settings', { path: { name }, query: { project }, body }).then(
      () => {
        setBusy(false);
        setSaved(true);
        onSaved();
      },
      (err: unknown) => {
        setBusy(false);
        setError(err);
      },
    );
  };
  const tests = Object.entries(settings.tests);
  return (
    <form onSubmit={submit} className="form">
      <div className="form-inline">
        <label className="field">
          <span className="field-label">Window</span>
          <select value={kind} onChange={(e) => setKind(e.target.value as (typeof WINDOW_CHOICES)[number])} disabled={!canChange} data-testid="settings-window">
            <option value="minute">a minute</option>
            <option value="hour">an hour</option>
            <option value="day">a day</option>
            <option value="rows">a number of predictions</option>
          </select>
        </label>
        {kind === 'rows' && (
          <label className="field">
            <span className="field-label">Predictions per window</span>
            <input type="number" min={10} max={10_000_000} value={size} onChange={(e) => setSize(e.target.value)} disabled={!canChange} className="short-input" data-testid="settings-window-rows" />
          </label>
        )}
        <label className="field">
          <span className="field-label">p-value correction</span>
          <select value={correction} onChange={(e) => setCorrection(e.target.value as 'none' | 'bh')} disabled={!canChange} data-testid="settings-correction">
            <option value="none">none</option>
            <option value="bh">Benjamini–Hochberg</option>
          </select>
        </label>
        <label className="field">
          <span className="field-label">Dataset drift from a share of</span>
          <input type="number" min={0.01} max={1} step={0.01} value={share} onChange={(e) => setShare(e.target.value)} disabled={!canChange} className="short-input" data-testid="settings-drift-share" />
        </label>
        {canChange && (
          <button type="submit" className="button" disabled={busy} data-testid="settings-save">
            {busy ? 'Saving…' : 'Save settings'}
          </button>
        )}
      </div>
      <p className="field-help">
        A new window size applies to windows opened from now on. Tests: {tests.length === 0 ? 'the defaults for every column' : tests.map(([f, t]) => `${f} ${t.method}${t.threshold !== undefined ? ` (${t.threshold})` : ''}`).join(', ')}
        ; {formatNumber(settings.sampleRows)} sampled rows per report.
      </p>
      {saved && <Success>Saved the monitoring settings.</Success>}
      <ErrorNote error={error} context="The settings were not saved" />
    </form>
  );
}

export function MonitoringPage({ name }: { name: string }) {
  const { project } = useSession();
  const location = useLocation();
  const rangeParam = location.search.get('range');
  const range: RangeKey = isRangeKey(rangeParam) ? rangeParam : 'all';
  const setRange = (key: RangeKey) => navigate(key === 'all' ? path('deployments', name, 'monitoring') : `${path('deployments', name, 'monitoring')}?range=${key}`, { replace: true });

  const deployment = useApi((signal) => api.get('/api/v1/deployments/{name}', { path: { name }, query: { project }, signal }), [project, name]);
  // The range's start is computed at each load, so a polled "last hour" moves with the clock.
  const report = useApi(
    (signal) => api.get('/api/v1/deployments/{name}/monitoring', { path: { name }, query: { project, ...rangeQuery(range, Date.now()) }, signal }) as Promise<unknown> as Promise<MonitoringReport>,
    [project, name, range],
    { pollMs: POLL_MS },
  );
  const windows = useApi(
    (signal) =>
      api.get('/api/v1/deployments/{name}/monitoring/windows', { path: { name }, query: { project, limit: WINDOW_LIMIT, ...rangeQuery(range, Date.now()) }, signal }) as Promise<unknown> as Promise<{ items: WindowSummary[] }>,
    [project, name, range],
    { pollMs: POLL_MS },
  );
  const settings = useApi((signal) => api.get('/api/v1/deployments/{name}/monitoring/settings', { path: { name }, query: { project }, signal }) as Promise<unknown> as Promise<MonitoringSettings>, [project, name]);

  const r = report.data;
  const order = useMemo(() => Object.keys(r?.drift?.features ?? {}), [r]);
  const features = useMemo(() => (order.length > 0 ? order : Object.keys(r?.quality.features ?? {})), [order, r]);
  const items = useMemo(() => windows.data?.items ?? [], [windows.data]);
  const first = deployment.data?.spec.targets[0];
  const target = r?.model && r.version ? { model: r.model, version: r.version } : first ? { model: first.model, version: first.version } : null;
  const notFound = report.error instanceof ApiError && report.error.status === 404;
  const refresh = () => {
    report.reload();
    windows.reload();
  };

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/deployments">Deployments</Link> <span aria-hidden="true">/</span> <Link to={path('deployments', name)}>{name}</Link> <span aria-hidden="true">/</span>{' '}
        <span aria-current="page">Monitoring</span>
      </nav>
      <PageTitle
        sub={
          r ? (
            <span>
              {r.model ? `${r.model} v${r.version}` : 'No predictions yet'}
              {r.reference ? ` against a reference of ${r.reference.rows.toLocaleString('en-US')} rows (set ${formatTime(r.reference.createdAt)})` : ''}
            </span>
          ) : undefined
        }
        actions={
          <button type="button" className="button button-quiet" onClick={refresh} disabled={report.loading || windows.loading} data-testid="monitoring-refresh">
            {report.loading || windows.loading ? 'Refreshing…' : 'Refresh'}
          </button>
        }
      >
        {name}
      </PageTitle>
      <DeploymentTabs name={name} current="monitoring" />
      <div className="toolbar monitoring-toolbar">
        <RangePicker value={range} onChange={setRange} />
        <span className="muted small">
          {r ? `${plural(r.windows, 'window')} from ${r.from ? formatTime(r.from) : 'the start'}; updated every ${POLL_MS / 1000} s` : ''}
        </span>
      </div>

      <ErrorNote error={report.error} context="Could not load the monitoring report" onRetry={notFound ? undefined : report.reload} />
      {!r && !report.error && <Loading what="Loading the monitoring report" />}
      {r && (
        <>
          <Summary report={r} />
          {!r.drift && <ReferenceNote report={r} target={target} onReady={report.reload} />}

          <Section title="Drift over time" testId="drift-over-time">
            <ErrorNote error={windows.error} context="Could not load the windows" onRetry={windows.reload} />
            {!windows.data && !windows.error && <Loading what="Loading the windows" />}
            {windows.data && <DriftHeatmap windows={items} order={order} />}
          </Section>

          <Section title="Drift by feature" testId="drift-by-feature">
            {r.drift ? (
              <DriftFeatures drift={r.drift} />
            ) : (
              <Empty title="No drift tests in this range." testId="feature-table-empty">
                <p>{r.driftNote ? `The server says: ${r.driftNote}.` : 'There were no predictions in this range.'}</p>
              </Empty>
            )}
          </Section>

          <Section title="Attribution drift" testId="attribution">
            <AttributionPanel attribution={r.attribution ?? null} note={r.attributionNote} windows={items} />
          </Section>

          <Section title="Performance over time" testId="performance-over-time">
            {windows.data && <PerformanceChart windows={items} deployment={name} />}
          </Section>

          <Section title="Quality and operations over time" testId="quality-over-time">
            {windows.data && items.length > 0 ? <WindowCharts windows={items} /> : windows.data && <Empty title="No windows yet." testId="window-charts-empty" />}
          </Section>
        </>
      )}

      {!notFound && (
        <>
          <Section title="Alerts" testId="alerts">
            <AlertsPanel name={name} features={features} />
          </Section>

          <Section title="Monitoring settings" testId="settings">
            <SettingsPanel name={name} settings={settings} />
          </Section>
        </>
      )}
    </>
  );
}
