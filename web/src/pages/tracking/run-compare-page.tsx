/**
 * Runs side by side (?runs=id1,id2,…): their params with the differing ones highlighted, their latest
 * metrics, one metric's curve over steps with a line per run, and a parallel-coordinates view over the
 * params and metrics picked — each chart with its numbers as a table.
 */
import { useMemo, useState } from 'react';
import { formatNumber, formatTime } from '../../lib/format';
import { Link, path, useLocation } from '../../lib/router';
import { useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { CHART_COLORS } from '../../components/chart';
import { TableWrap } from '../../components/table';
import { Badge, Empty, ErrorNote, Loading, PageTitle, Section } from '../../components/ui';
import { ExplainFigure, FeatureSelect } from '../explain/explain-figure';
import { MAX_COMPARE } from './experiment-page';
import { ParallelChart, StepLineChart, StepTable, type StepSeries } from './metric-charts';
import { trackingApi } from './tracking-api';
import { columnId, formatDuration, formatMetric, isoOf, parallelData, runLabels, statusTone, type Column } from './tracking-data';
import type { RunComparison, RunView } from './types';

/** Run ids named in ?runs=a,b,c (distinct, at most MAX_COMPARE). */
function wanted(search: URLSearchParams): string[] {
  const out: string[] = [];
  for (const raw of (search.get('runs') ?? '').split(',')) {
    const id = raw.trim();
    if (id && !out.includes(id)) out.push(id);
  }
  return out.slice(0, MAX_COMPARE);
}

/** Axes offered by default: the params that differ, then the metrics (at most 8 in all). */
function defaultAxes(c: RunComparison): Column[] {
  const params = c.differingParams.slice(0, 5).map((key): Column => ({ kind: 'param', key }));
  const metrics = c.metricKeys.slice(0, Math.max(1, 8 - params.length)).map((key): Column => ({ kind: 'metric', key }));
  return [...params, ...metrics];
}

const Swatch = ({ index }: { index: number }) => <span className="swatch" style={{ background: CHART_COLORS[index % CHART_COLORS.length] }} aria-hidden="true" />;

function RunsHeader({ runs, labels }: { runs: RunView[]; labels: Map<string, string> }) {
  return (
    <>
      {runs.map((r, i) => (
        <th scope="col" key={r.id}>
          <Swatch index={i} /> <Link to={path('runs', r.id)}>{labels.get(r.id)}</Link>
        </th>
      ))}
    </>
  );
}

function ParamsTable({ comparison, labels }: { comparison: RunComparison; labels: Map<string, string> }) {
  const [onlyDiffering, setOnlyDiffering] = useState(false);
  const differing = new Set(comparison.differingParams);
  const keys = comparison.paramKeys.filter((k) => !onlyDiffering || differing.has(k));
  if (comparison.paramKeys.length === 0) return <p className="muted">None of these runs logged params.</p>;
  return (
    <>
      <p className="muted small" data-testid="differing-summary">
        {differing.size === 0 ? 'Every param is the same in every run.' : `${differing.size} of ${comparison.paramKeys.length} params differ (highlighted).`}
      </p>
      <label className="check">
        <input type="checkbox" checked={onlyDiffering} onChange={(e) => setOnlyDiffering(e.target.checked)} data-testid="only-differing" />
        <span>Show only the params that differ</span>
      </label>
      <TableWrap label="Params">
        <table className="table table-compact compare-table" data-testid="compare-params">
          <caption className="visually-hidden">Params of the runs; the rows that differ are marked</caption>
          <thead>
            <tr>
              <th scope="col">Param</th>
              <RunsHeader runs={comparison.runs} labels={labels} />
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => {
              const diff = differing.has(k);
              return (
                <tr key={k} className={diff ? 'diff' : undefined} data-differs={diff ? 'true' : 'false'} data-testid={`compare-param-${k}`}>
                  <th scope="row">
                    {k}
                    {diff && <span className="visually-hidden"> (differs)</span>}
                  </th>
                  {comparison.runs.map((r) => (
                    <td key={r.id} className="clip">
                      {r.params[k] ?? <span className="muted">—</span>}
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableWrap>
    </>
  );
}

function MetricsTable({ comparison, labels }: { comparison: RunComparison; labels: Map<string, string> }) {
  if (comparison.metricKeys.length === 0) return <p className="muted">None of these runs logged metrics.</p>;
  return (
    <TableWrap label="Latest metrics">
      <table className="table table-compact compare-table" data-testid="compare-metrics">
        <caption className="visually-hidden">Latest value of each metric in each run</caption>
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <RunsHeader runs={comparison.runs} labels={labels} />
          </tr>
        </thead>
        <tbody>
          {comparison.metricKeys.map((k) => (
            <tr key={k} data-testid={`compare-metric-${k}`}>
              <th scope="row">{k}</th>
              {comparison.runs.map((r) => (
                <td key={r.id} className="num">
                  {r.metrics[k] ? formatMetric(r.metrics[k]) : <span className="muted">—</span>}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function MetricCurves({ comparison, labels }: { comparison: RunComparison; labels: Map<string, string> }) {
  const [chosen, setChosen] = useState<string | null>(null);
  const metric = chosen !== null && comparison.metricKeys.includes(chosen) ? chosen : (comparison.metricKeys[0] ?? null);
  const series = useMemo<StepSeries[]>(
    () => (metric === null ? [] : comparison.runs.map((r) => ({ id: r.id, name: labels.get(r.id) ?? r.name, points: comparison.histories[r.id]?.[metric] }))),
    [comparison, labels, metric],
  );
  if (metric === null) return <p className="muted">None of these runs logged metrics.</p>;
  const logged = series.filter((s) => (s.points?.length ?? 0) > 0).length;
  const points = series.reduce((n, s) => n + (s.points?.length ?? 0), 0);
  return (
    <ExplainFigure
      title="Metric over steps"
      testId="metric-curves"
      controls={<FeatureSelect label="Metric" features={comparison.metricKeys} value={metric} onChange={(m) => setChosen(m)} testId="compare-metric-select" />}
      summary={
        <>
          {metric} at each logged step, a line per run ({logged} of {series.length} runs logged it; {formatNumber(points)} points in all).
          {logged < series.length ? ' Runs without it have no line.' : ''}
        </>
      }
      table={() => <StepTable metric={metric} series={series} testId="metric-curves-table" />}
    >
      <StepLineChart metric={metric} series={series} label={`Metric ${metric} over steps`} testId="chart-metric-curves" height={320} />
    </ExplainFigure>
  );
}

function ParallelView({ comparison, labels }: { comparison: RunComparison; labels: Map<string, string> }) {
  const [axes, setAxes] = useState<Column[]>(() => defaultAxes(comparison));
  const chosen = new Set(axes.map(columnId));
  const data = useMemo(() => parallelData(comparison.runs, axes), [comparison.runs, axes]);
  const names = useMemo(() => comparison.runs.map((r) => labels.get(r.id) ?? r.name), [comparison.runs, labels]);
  const toggle = (c: Column) => setAxes((a) => (chosen.has(columnId(c)) ? a.filter((x) => columnId(x) !== columnId(c)) : [...a, c]));
  const offered: { kind: Column['kind']; title: string; keys: string[] }[] = [
    { kind: 'param', title: 'Params', keys: comparison.paramKeys },
    { kind: 'metric', title: 'Metrics (latest value)', keys: comparison.metricKeys },
  ];
  return (
    <ExplainFigure
      title="Parallel coordinates"
      testId="parallel"
      summary={
        <>
          A line per run through one axis per param or metric ({data.axes.length} axes). Numeric axes span the runs&apos; values; params with text values get an axis of their values in
          alphabetical order. A run without a value skips that axis.
        </>
      }
      table={() => (
        <TableWrap>
          <table className="table table-compact" data-testid="parallel-table">
            <caption className="visually-hidden">The value of each run on each axis</caption>
            <thead>
              <tr>
                <th scope="col">Run</th>
                {data.axes.map((a) => (
                  <th scope="col" key={columnId(a.column)} className={a.type === 'value' ? 'num' : undefined}>
                    {a.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {comparison.runs.map((r, i) => (
                <tr key={r.id}>
                  <th scope="row">
                    <Swatch index={i} /> {names[i]}
                  </th>
                  {data.rows[i]!.map((v, k) => (
                    <td key={k} className={typeof v === 'number' ? 'num' : undefined}>
                      {v === null ? <span className="muted">—</span> : typeof v === 'number' ? formatNumber(v) : v}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    >
      <details className="column-chooser" data-testid="parallel-axes">
        <summary className="button button-small">Axes ({axes.length})</summary>
        <div className="column-chooser-panel">
          {offered.map((g) => (
            <fieldset key={g.kind} className="column-group">
              <legend>{g.title}</legend>
              {g.keys.length === 0 && <p className="muted small">None logged.</p>}
              {g.keys.map((key) => {
                const c: Column = { kind: g.kind, key };
                return (
                  <label key={key} className="check">
                    <input type="checkbox" checked={chosen.has(columnId(c))} onChange={() => toggle(c)} data-testid={`axis-${g.kind}-${key}`} />
                    <span>{key}</span>
                  </label>
                );
              })}
            </fieldset>
          ))}
        </div>
      </details>
      {data.axes.length < 2 ? (
        <p className="muted" data-testid="parallel-too-few">
          Pick at least two axes.
        </p>
      ) : (
        <ParallelChart data={data} names={names} label="Parallel coordinates of the runs" testId="chart-parallel" />
      )}
    </ExplainFigure>
  );
}

export function RunComparePage() {
  const { project } = useSession();
  const location = useLocation();
  const ids = wanted(location.search);
  const loaded = useApi((signal) => trackingApi.compare(project, ids, undefined, signal), [project, ids], { enabled: ids.length >= 2 });
  const comparison = loaded.data;
  const labels = useMemo(() => runLabels(comparison?.runs ?? []), [comparison]);
  const experimentIds = [...new Set((comparison?.runs ?? []).map((r) => r.experimentId))];
  const oneExperiment = experimentIds.length === 1 ? experimentIds[0]! : null;
  const experiment = useApi((signal) => trackingApi.experiment(project, oneExperiment!, signal), [project, oneExperiment], { enabled: oneExperiment !== null });

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/experiments">Experiments</Link> <span aria-hidden="true">/</span>{' '}
        {oneExperiment !== null && (
          <>
            <Link to={path('experiments', oneExperiment)}>{experiment.data?.name ?? `experiment ${oneExperiment}`}</Link> <span aria-hidden="true">/</span>{' '}
          </>
        )}
        <span aria-current="page">compare</span>
      </nav>
      <PageTitle sub={ids.length >= 2 ? `${ids.length} runs side by side` : undefined}>Compare runs</PageTitle>
      {ids.length < 2 && (
        <Empty title="Pick at least two runs to compare." testId="compare-empty">
          <p>
            On an <Link to="/experiments">experiment&apos;s page</Link>, tick 2 to {MAX_COMPARE} runs and press Compare.
          </p>
        </Empty>
      )}
      <ErrorNote error={loaded.error} context="Could not load the runs" onRetry={loaded.reload} />
      {ids.length >= 2 && !comparison && !loaded.error && <Loading what="Loading the runs" />}
      {comparison && (
        <>
          <Section title="Runs" testId="compare-runs-section">
            <TableWrap>
              <table className="table table-compact" data-testid="compare-runs-table">
                <caption className="visually-hidden">The runs compared, with the colour of their lines</caption>
                <thead>
                  <tr>
                    <th scope="col">Run</th>
                    <th scope="col">Status</th>
                    <th scope="col">Started</th>
                    <th scope="col" className="num">
                      Duration
                    </th>
                    <th scope="col">User</th>
                    {oneExperiment === null && <th scope="col">Experiment</th>}
                  </tr>
                </thead>
                <tbody>
                  {comparison.runs.map((r, i) => (
                    <tr key={r.id} data-testid={`compare-run-${r.name}`}>
                      <th scope="row">
                        <Swatch index={i} /> <Link to={path('runs', r.id)}>{labels.get(r.id)}</Link>
                      </th>
                      <td>
                        <Badge tone={statusTone(r.status)}>{r.status}</Badge>
                      </td>
                      <td className="nowrap">{formatTime(isoOf(r.startTime))}</td>
                      <td className="num nowrap">{formatDuration(r.durationMs)}</td>
                      <td>{r.user}</td>
                      {oneExperiment === null && (
                        <td>
                          <Link to={path('experiments', r.experimentId)}>{r.experimentId}</Link>
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          </Section>
          <Section title="Params" testId="compare-params-section">
            <ParamsTable comparison={comparison} labels={labels} />
          </Section>
          <Section title="Metrics" testId="compare-metrics-section">
            <MetricsTable comparison={comparison} labels={labels} />
          </Section>
          <Section title="Charts" testId="compare-charts">
            <div className="compare-charts">
              <MetricCurves comparison={comparison} labels={labels} />
              <ParallelView comparison={comparison} labels={labels} />
            </div>
          </Section>
        </>
      )}
    </>
  );
}
