/**
 * One run: its status and times, parent and nested runs, params, metrics (each with its curve over steps,
 * loaded when asked for), tags, the datasets it used (linked to Steward's dataset versions), the models it
 * logged and the registry versions made from them, and its artifacts.
 */
import { useState } from 'react';
import { formatTime } from '../../lib/format';
import { Link, path } from '../../lib/router';
import { useRole, useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { TableWrap } from '../../components/table';
import { Badge, ErrorNote, KeyValues, Loading, PageTitle, Section } from '../../components/ui';
import { ArtifactBrowser } from './artifact-browser';
import { StepLineChart, StepTable } from './metric-charts';
import { trackingApi } from './tracking-api';
import { formatDuration, formatMetric, isoOf, isSystemTag, statusTone } from './tracking-data';
import type { RunDetail } from './types';

function MetricHistoryRow({ runId, metric, colSpan }: { runId: string; metric: string; colSpan: number }) {
  const { project } = useSession();
  const history = useApi((signal) => trackingApi.metricHistory(project, runId, metric, signal), [project, runId, metric]);
  const [showTable, setShowTable] = useState(false);
  const series = history.data ? [{ id: runId, name: metric, points: history.data.points }] : [];
  return (
    <tr className="metric-history-row">
      <td colSpan={colSpan}>
        <ErrorNote error={history.error} context={`Could not load the history of ${metric}`} onRetry={history.reload} />
        {history.loading && !history.data && <Loading what={`Loading the history of ${metric}`} />}
        {history.data && history.data.points.length === 0 && <p className="muted">No points were logged.</p>}
        {history.data && history.data.points.length > 0 && (
          <div className="metric-history" data-testid={`metric-history-${metric}`}>
            <StepLineChart metric={metric} series={series} compact height={180} label={`${metric} over ${history.data.points.length} logged points, by step`} testId={`metric-chart-${metric}`} />
            <button type="button" className="button button-small button-quiet" aria-expanded={showTable} onClick={() => setShowTable((s) => !s)}>
              {showTable ? 'Hide the points' : `Show the ${history.data.points.length} points as a table`}
            </button>
            {showTable && <StepTable metric={metric} series={series} testId={`metric-points-${metric}`} />}
          </div>
        )}
      </td>
    </tr>
  );
}

function MetricsTable({ run }: { run: RunDetail }) {
  const [open, setOpen] = useState<string[]>([]);
  const entries = Object.entries(run.metrics).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return <p className="muted">No metrics were logged.</p>;
  return (
    <TableWrap>
      <table className="table" data-testid="run-metrics">
        <caption className="visually-hidden">Latest value of each metric</caption>
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <th scope="col" className="num">
              Latest value
            </th>
            <th scope="col" className="num">
              Step
            </th>
            <th scope="col">Logged</th>
            <th scope="col">
              <span className="visually-hidden">History</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {entries.flatMap(([key, m]) => {
            const shown = open.includes(key);
            const row = (
              <tr key={key} data-testid={`run-metric-${key}`}>
                <th scope="row">{key}</th>
                <td className="num" data-testid="metric-value">
                  {formatMetric(m)}
                </td>
                <td className="num">{m.step}</td>
                <td className="nowrap">{formatTime(isoOf(m.timestamp))}</td>
                <td className="actions">
                  <button
                    type="button"
                    className="button button-small"
                    aria-expanded={shown}
                    onClick={() => setOpen((o) => (shown ? o.filter((k) => k !== key) : [...o, key]))}
                    data-testid={`metric-toggle-${key}`}
                  >
                    {shown ? 'Hide chart' : 'Chart'}
                  </button>
                </td>
              </tr>
            );
            return shown ? [row, <MetricHistoryRow key={`${key}-history`} runId={run.id} metric={key} colSpan={5} />] : [row];
          })}
        </tbody>
      </table>
    </TableWrap>
  );
}

function KeyValueTable({ values, testId, caption, keyLabel }: { values: Record<string, string>; testId: string; caption: string; keyLabel: string }) {
  const entries = Object.entries(values).sort(([a], [b]) => a.localeCompare(b));
  return (
    <TableWrap>
      <table className="table table-compact" data-testid={testId}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{keyLabel}</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k} data-testid={`${testId}-${k}`}>
              <th scope="row">{k}</th>
              <td className="pre-wrap">{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function RunActions({ run, onChanged }: { run: RunDetail; onChanged: () => void }) {
  const { project } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const deleted = run.lifecycleStage === 'deleted';
  const act = async (what: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await what();
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <div className="actions">
        {deleted ? (
          <button type="button" className="button" disabled={busy} onClick={() => void act(() => trackingApi.restoreRun(project, run.id))} data-testid="run-restore">
            Restore
          </button>
        ) : (
          <button
            type="button"
            className="button button-danger"
            disabled={busy}
            onClick={() => {
              if (window.confirm(`Delete the run ${run.name}? It can be restored later.`)) void act(() => trackingApi.deleteRun(project, run.id));
            }}
            data-testid="run-delete"
          >
            Delete
          </button>
        )}
      </div>
      <ErrorNote error={error} context="Not changed" />
    </>
  );
}

export function RunPage({ id }: { id: string }) {
  const { project } = useSession();
  const canWrite = useRole().can('contributor');
  const loaded = useApi((signal) => trackingApi.run(project, id, signal), [project, id]);
  const run = loaded.data;
  const experiment = useApi((signal) => trackingApi.experiment(project, run!.experimentId, signal), [project, run?.experimentId], { enabled: Boolean(run) });

  const crumbs = (
    <nav aria-label="Breadcrumb" className="breadcrumb">
      <Link to="/experiments">Experiments</Link> <span aria-hidden="true">/</span>{' '}
      {run ? <Link to={path('experiments', run.experimentId)}>{experiment.data?.name ?? `experiment ${run.experimentId}`}</Link> : '…'} <span aria-hidden="true">/</span>{' '}
      <span aria-current="page">{run?.name ?? id}</span>
    </nav>
  );

  if (loaded.error && !run) {
    return (
      <>
        {crumbs}
        <PageTitle>Run {id}</PageTitle>
        <ErrorNote error={loaded.error} context="Could not load the run" onRetry={loaded.reload} />
        <p>
          <Link to="/experiments">Back to the experiments</Link>
        </p>
      </>
    );
  }
  if (!run) {
    return (
      <>
        {crumbs}
        <PageTitle>Run</PageTitle>
        <Loading what="Loading the run" />
      </>
    );
  }

  const userTags = Object.fromEntries(Object.entries(run.tags).filter(([k]) => !isSystemTag(k)));
  const systemTags = Object.fromEntries(Object.entries(run.tags).filter(([k]) => isSystemTag(k) && k !== 'mlflow.log-model.history'));
  const params = Object.keys(run.params);

  return (
    <>
      {crumbs}
      <PageTitle
        sub={
          <>
            Run <code className="hash">{run.id}</code>
          </>
        }
        actions={canWrite && <RunActions run={run} onChanged={loaded.reload} />}
      >
        <span data-testid="run-name">{run.name}</span>{' '}
        <Badge tone={statusTone(run.status)}>
          <span data-testid="run-status">{run.status}</span>
        </Badge>
        {run.lifecycleStage === 'deleted' && (
          <>
            {' '}
            <Badge tone="bad">deleted</Badge>
          </>
        )}
      </PageTitle>
      <KeyValues
        items={[
          ['Started', formatTime(isoOf(run.startTime))],
          ['Ended', run.endTime === null ? (run.status === 'RUNNING' ? 'still running' : '—') : formatTime(isoOf(run.endTime))],
          ['Duration', <span key="d" data-testid="run-duration">{formatDuration(run.durationMs)}</span>],
          ['User', run.user || '—'],
          [
            'Parent run',
            run.parentRunId ? (
              <Link key="p" to={path('runs', run.parentRunId)} data-testid="run-parent">
                {run.parentRunId.slice(0, 8)}…
              </Link>
            ) : (
              <span key="p" className="muted">
                none
              </span>
            ),
          ],
          [
            'Nested runs',
            run.children.length === 0 ? (
              <span key="c" className="muted">
                none
              </span>
            ) : (
              <ul key="c" className="chips" data-testid="run-children">
                {run.children.map((c) => (
                  <li key={c.id} className="chip">
                    <Link to={path('runs', c.id)}>{c.name || c.id.slice(0, 8)}</Link> <span className="muted small">{c.status}</span>
                  </li>
                ))}
              </ul>
            ),
          ],
          ['Artifact URI', <code key="a" className="hash">{run.artifactUri}</code>],
        ]}
      />
      <div className="two-col">
        <Section title="Params" testId="params-section">
          {params.length === 0 ? <p className="muted">No params were logged.</p> : <KeyValueTable values={run.params} testId="run-params" caption="Params of the run" keyLabel="Param" />}
        </Section>
        <Section title="Tags" testId="tags-section">
          {Object.keys(userTags).length === 0 ? <p className="muted">No tags besides MLflow&apos;s own.</p> : <KeyValueTable values={userTags} testId="run-tags" caption="Tags of the run" keyLabel="Tag" />}
          {Object.keys(systemTags).length > 0 && (
            <details className="system-tags">
              <summary>MLflow&apos;s tags ({Object.keys(systemTags).length})</summary>
              <KeyValueTable values={systemTags} testId="run-system-tags" caption="Tags MLflow set" keyLabel="Tag" />
            </details>
          )}
        </Section>
      </div>
      <Section title="Metrics" testId="metrics-section">
        <MetricsTable run={run} />
      </Section>
      <Section title="Datasets used" testId="inputs-section">
        {run.inputs.length === 0 ? (
          <p className="muted">No dataset was logged with mlflow.log_input().</p>
        ) : (
          <TableWrap>
            <table className="table table-compact" data-testid="run-inputs">
              <caption className="visually-hidden">Datasets the run used</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Context</th>
                  <th scope="col">Steward dataset</th>
                  <th scope="col">Source</th>
                  <th scope="col">Digest</th>
                </tr>
              </thead>
              <tbody>
                {run.inputs.map((i, k) => (
                  <tr key={`${i.name}-${i.digest}-${k}`} data-testid={`run-input-${i.name}`}>
                    <th scope="row">{i.name}</th>
                    <td>{i.context ?? <span className="muted">—</span>}</td>
                    <td>
                      {i.datasetVersion ? (
                        <Link to={path('datasets', i.datasetVersion.dataset, 'versions', i.datasetVersion.version)} data-testid="input-dataset-link">
                          {i.datasetVersion.dataset} v{i.datasetVersion.version}
                        </Link>
                      ) : (
                        <span className="muted">not linked</span>
                      )}
                    </td>
                    <td className="clip" title={i.source}>
                      {i.sourceType ? <span className="muted">{i.sourceType}: </span> : null}
                      {i.source || <span className="muted">—</span>}
                    </td>
                    <td>
                      <code className="hash">{i.digest}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Section>
      <Section title="Models" testId="models-section">
        {run.models.length === 0 && run.registeredVersions.length === 0 && <p className="muted">The run logged no model.</p>}
        {run.models.length > 0 && (
          <TableWrap>
            <table className="table table-compact" data-testid="run-models">
              <caption className="visually-hidden">Models the run logged</caption>
              <thead>
                <tr>
                  <th scope="col">Artifact path</th>
                  <th scope="col">Flavors</th>
                  <th scope="col">Logged</th>
                </tr>
              </thead>
              <tbody>
                {run.models.map((m, k) => (
                  <tr key={`${m.artifactPath}-${k}`}>
                    <th scope="row">{m.artifactPath}</th>
                    <td>
                      <ul className="chips">
                        {m.flavors.map((f) => (
                          <li key={f} className="chip">
                            {f}
                          </li>
                        ))}
                      </ul>
                    </td>
                    <td className="nowrap">{m.utcTimeCreated ? formatTime(m.utcTimeCreated.includes('T') || m.utcTimeCreated.endsWith('Z') ? m.utcTimeCreated : `${m.utcTimeCreated.replace(' ', 'T')}Z`) : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        {run.registeredVersions.length > 0 && (
          <p data-testid="run-registered">
            Registered as{' '}
            {run.registeredVersions.map((v, k) => (
              <span key={`${v.model}-${v.version}`}>
                {k > 0 ? ', ' : ''}
                <Link to={path('models', v.model, 'versions', v.version)}>
                  {v.model} v{v.version}
                </Link>
              </span>
            ))}
            .
          </p>
        )}
      </Section>
      <Section title="Artifacts" testId="artifacts-section">
        <ArtifactBrowser runId={run.id} />
      </Section>
      <p>
        <Link to={path('experiments', run.experimentId)}>Back to the experiment&apos;s runs</Link>
      </p>
    </>
  );
}
