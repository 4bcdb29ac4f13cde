/**
 * One experiment: its details and its runs — a table with the metric, param and tag columns the user
 * picks (remembered per experiment), MLflow's filter grammar, sorting on the server by any column, pages,
 * and a selection of runs to compare.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client';
import { formatTime, plural } from '../../lib/format';
import { Link, navigate, path, useLocation } from '../../lib/router';
import { useRole, useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { Pager, SortHeader, TableWrap, type SortOrder } from '../../components/table';
import { Badge, Empty, ErrorNote, KeyValues, Loading, PageTitle, Section, Tags } from '../../components/ui';
import { trackingApi } from './tracking-api';
import { cellValue, columnField, columnId, effectiveColumns, formatDuration, isoOf, isSystemTag, loadColumns, orderClause, saveColumns, statusTone, type Column, type ColumnKind } from './tracking-data';
import { ViewPicker } from './experiments-page';
import type { ExperimentView, RunView, ViewFilter } from './types';

const PAGE_SIZE = 50;
/** Runs compared at once at most (their lines stay readable). */
export const MAX_COMPARE = 20;
const FILTER_EXAMPLE = "metrics.accuracy > 0.9 and params.optimizer = 'adam'";
const DEFAULT_SORT = { field: 'attributes.start_time', order: 'desc' as SortOrder };

interface Keys {
  metricKeys: string[];
  paramKeys: string[];
  tagKeys: string[];
}

/** The message of a 400 about the filter, or null for other errors. */
function filterProblem(error: unknown): string | null {
  if (!(error instanceof ApiError) || error.status !== 400) return null;
  const field = error.details.field;
  if (field === 'filter' || (field === undefined && /^filter\b/i.test(error.message))) return error.message;
  return null;
}

function ExperimentActions({ experiment, onChanged }: { experiment: ExperimentView; onChanged: () => void }) {
  const { project } = useSession();
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(experiment.name);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const deleted = experiment.lifecycleStage === 'deleted';

  const act = async (what: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await what();
      setRenaming(false);
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const rename = (e: FormEvent) => {
    e.preventDefault();
    const n = name.trim();
    if (n && n !== experiment.name) void act(() => trackingApi.renameExperiment(project, experiment.id, n));
  };
  const remove = () => {
    if (!window.confirm(`Delete the experiment ${experiment.name}? Its runs go with it; an admin or contributor can restore it later.`)) return;
    void act(() => trackingApi.deleteExperiment(project, experiment.id));
  };

  return (
    <>
      <div className="actions">
        {!deleted && !renaming && (
          <button type="button" className="button" onClick={() => setRenaming(true)} data-testid="experiment-rename">
            Rename
          </button>
        )}
        {deleted ? (
          <button type="button" className="button" disabled={busy} onClick={() => void act(() => trackingApi.restoreExperiment(project, experiment.id))} data-testid="experiment-restore">
            Restore
          </button>
        ) : (
          <button type="button" className="button button-danger" disabled={busy} onClick={remove} data-testid="experiment-delete">
            Delete
          </button>
        )}
      </div>
      {renaming && (
        <form className="form form-inline" onSubmit={rename} aria-label="Rename the experiment">
          <label className="field">
            <span className="field-label">New name</span>
            <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={500} data-testid="experiment-new-name" />
          </label>
          <div className="actions">
            <button type="submit" className="button button-primary" disabled={busy || !name.trim()}>
              Save
            </button>
            <button type="button" className="button button-quiet" onClick={() => setRenaming(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <ErrorNote error={error} context="Not changed" />
    </>
  );
}

function ColumnChooser({ keys, columns, onChange }: { keys: Keys; columns: Column[]; onChange: (columns: Column[]) => void }) {
  const chosen = new Set(columns.map(columnId));
  // Chosen columns stay offered (to take them away) even when no run on the page has them.
  const withChosen = (kind: ColumnKind, list: string[]) => [...new Set([...list, ...columns.filter((c) => c.kind === kind).map((c) => c.key)])].sort();
  const groups: { kind: ColumnKind; title: string; keys: string[] }[] = [
    { kind: 'metric', title: 'Metrics', keys: withChosen('metric', keys.metricKeys) },
    { kind: 'param', title: 'Params', keys: withChosen('param', keys.paramKeys) },
    { kind: 'tag', title: 'Tags', keys: withChosen('tag', keys.tagKeys.filter((k) => !isSystemTag(k))) },
  ];
  const toggle = (c: Column) => onChange(chosen.has(columnId(c)) ? columns.filter((x) => columnId(x) !== columnId(c)) : [...columns, c]);
  return (
    <details className="column-chooser" data-testid="column-chooser">
      <summary className="button" data-testid="column-chooser-button">
        Columns ({columns.length})
      </summary>
      <div className="column-chooser-panel">
        {groups.map((g) => (
          <fieldset key={g.kind} className="column-group">
            <legend>{g.title}</legend>
            {g.keys.length === 0 && <p className="muted small">None logged.</p>}
            {g.keys.map((key) => {
              const c = { kind: g.kind, key };
              return (
                <label key={key} className="check">
                  <input type="checkbox" checked={chosen.has(columnId(c))} onChange={() => toggle(c)} data-testid={`column-${g.kind}-${key}`} />
                  <span>{key}</span>
                </label>
              );
            })}
          </fieldset>
        ))}
      </div>
    </details>
  );
}

function columnLabel(c: Column): string {
  return c.kind === 'metric' ? c.key : `${c.key} (${c.kind})`;
}

export function ExperimentPage({ id }: { id: string }) {
  const { project } = useSession();
  const canWrite = useRole().can('contributor');
  const location = useLocation();
  const filter = location.search.get('filter') ?? '';
  const [draft, setDraft] = useState(filter);
  const [view, setView] = useState<ViewFilter>('active');
  const [sort, setSort] = useState<{ field: string; order: SortOrder }>(DEFAULT_SORT);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const page = cursors.length - 1;
  const [selected, setSelected] = useState<string[]>([]);
  const [stored, setStored] = useState<Column[] | null>(() => loadColumns(project, id));
  const [keys, setKeys] = useState<Keys>({ metricKeys: [], paramKeys: [], tagKeys: [] });

  const experiment = useApi((signal) => trackingApi.experiment(project, id, signal), [project, id]);
  const orderBy = sort.field === DEFAULT_SORT.field && sort.order === DEFAULT_SORT.order ? [] : [orderClause(sort.field, sort.order)];
  const runs = useApi((signal) => trackingApi.runs(project, id, { filter, orderBy, maxResults: PAGE_SIZE, pageToken: cursors[page], view }, signal), [project, id, filter, orderBy, cursors, view]);

  // The keys are those of the runs on the page: every key seen is kept, so the chooser stays the same while
  // another page or filter loads, when a filter narrows the runs, and when a filter is refused.
  const data = runs.data;
  useEffect(() => {
    if (!data) return;
    const union = (a: string[], b: string[] | undefined) => (b ?? []).every((k) => a.includes(k)) ? a : [...new Set([...a, ...(b ?? [])])].sort();
    setKeys((k) => {
      const next = { metricKeys: union(k.metricKeys, data.metricKeys), paramKeys: union(k.paramKeys, data.paramKeys), tagKeys: union(k.tagKeys, data.tagKeys) };
      return next.metricKeys === k.metricKeys && next.paramKeys === k.paramKeys && next.tagKeys === k.tagKeys ? k : next;
    });
  }, [data]);

  const restart = () => setCursors([undefined]);
  const applyFilter = (e: FormEvent) => {
    e.preventDefault();
    const f = draft.trim();
    restart();
    navigate(f ? `${path('experiments', id)}?filter=${encodeURIComponent(f)}` : path('experiments', id), { replace: true });
  };
  const clearFilter = () => {
    setDraft('');
    restart();
    navigate(path('experiments', id), { replace: true });
  };
  const onSort = (field: string, order: SortOrder) => {
    setSort({ field, order });
    restart();
  };
  const chooseColumns = (next: Column[]) => {
    setStored(next);
    saveColumns(project, id, next);
  };
  const toggle = (runId: string) => setSelected((s) => (s.includes(runId) ? s.filter((x) => x !== runId) : s.length >= MAX_COMPARE ? s : [...s, runId]));

  const e = experiment.data;
  if (experiment.error && !e) {
    return (
      <>
        <nav aria-label="Breadcrumb" className="breadcrumb">
          <Link to="/experiments">Experiments</Link> <span aria-hidden="true">/</span> <span aria-current="page">{id}</span>
        </nav>
        <PageTitle>Experiment {id}</PageTitle>
        <ErrorNote error={experiment.error} context="Could not load the experiment" onRetry={experiment.reload} />
        <p>
          <Link to="/experiments">Back to the experiments</Link>
        </p>
      </>
    );
  }

  const columns = effectiveColumns(stored, keys.metricKeys);
  const problem = filterProblem(runs.error);
  const items: RunView[] = data?.items ?? [];
  const pageIds = items.map((r) => r.id);
  const allOnPage = pageIds.length > 0 && pageIds.every((x) => selected.includes(x));
  const canCompare = selected.length >= 2;

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/experiments">Experiments</Link> <span aria-hidden="true">/</span> <span aria-current="page">{e?.name ?? id}</span>
      </nav>
      <PageTitle
        sub={e ? `${plural(e.runCount, 'run')} · experiment ${e.id}` : undefined}
        actions={e && canWrite && <ExperimentActions experiment={e} onChanged={() => (experiment.reload(), runs.reload())} />}
      >
        {e?.name ?? `Experiment ${id}`}
        {e?.lifecycleStage === 'deleted' && (
          <>
            {' '}
            <Badge tone="bad">deleted</Badge>
          </>
        )}
      </PageTitle>
      {!e && <Loading what="Loading the experiment" />}
      {e && (
        <KeyValues
          items={[
            ['Artifact location', <code key="a" className="hash">{e.artifactLocation}</code>],
            ['Created', `${formatTime(e.createdAt)} by ${e.createdBy}`],
            ['Updated', formatTime(e.updatedAt)],
            ['Tags', <Tags key="t" tags={Object.fromEntries(Object.entries(e.tags).filter(([k]) => !isSystemTag(k)))} />],
          ]}
        />
      )}

      <Section
        title="Runs"
        testId="runs-section"
        actions={
          <button
            type="button"
            className="button button-primary"
            disabled={!canCompare}
            onClick={() => navigate(`/runs/compare?runs=${selected.map(encodeURIComponent).join(',')}`)}
            data-testid="compare-runs"
            aria-describedby="compare-runs-help"
          >
            Compare ({selected.length})
          </button>
        }
      >
        <p id="compare-runs-help" className="muted small">
          Tick 2 to {MAX_COMPARE} runs to compare their params, metric curves and a parallel-coordinates view.
          {selected.length > 0 && (
            <>
              {' '}
              <button type="button" className="link-button" onClick={() => setSelected([])} data-testid="clear-selection">
                Clear the selection
              </button>
            </>
          )}
        </p>
        <form className="filter-box" onSubmit={applyFilter} role="search" aria-label="Filter runs">
          <label className="field filter-field">
            <span className="field-label">Filter (MLflow search syntax; Enter to apply)</span>
            <input
              type="search"
              className="filter-input"
              value={draft}
              onChange={(ev) => setDraft(ev.target.value)}
              placeholder={FILTER_EXAMPLE}
              spellCheck={false}
              autoComplete="off"
              aria-invalid={problem ? true : undefined}
              aria-describedby={problem ? 'filter-error' : 'filter-help'}
              data-testid="runs-filter"
            />
          </label>
          <div className="actions">
            <button type="submit" className="button" data-testid="runs-filter-apply">
              Apply
            </button>
            {filter && (
              <button type="button" className="button button-quiet" onClick={clearFilter} data-testid="runs-filter-clear">
                Clear
              </button>
            )}
          </div>
        </form>
        {problem ? (
          <p id="filter-error" className="field-error small" role="alert" data-testid="filter-error">
            {problem}
          </p>
        ) : (
          <p id="filter-help" className="field-help small">
            Compare metrics.&lt;key&gt;, params.&lt;key&gt;, tags.&lt;key&gt; or attributes (status, run_name, start_time…) and join the conditions with and. Quote strings: params.alpha = &apos;0.5&apos;.
          </p>
        )}
        <div className="toolbar runs-toolbar">
          <ColumnChooser keys={keys} columns={columns} onChange={chooseColumns} />
          <ViewPicker
            value={view}
            onChange={(v) => {
              setView(v);
              restart();
            }}
            label="Which runs"
            testPrefix="runs"
          />
        </div>
        {!problem && <ErrorNote error={runs.error} context="Could not load the runs" onRetry={runs.reload} />}
        {runs.loading && !data && !runs.error && <Loading what="Loading runs" />}
        {data && items.length === 0 &&
          (filter ? (
            <Empty title="No run matches the filter." testId="runs-empty">
              <p>Loosen a condition, or clear the filter.</p>
            </Empty>
          ) : (
            <Empty title={view === 'deleted' ? 'No deleted runs.' : 'No runs yet.'} testId="runs-empty">
              {view !== 'deleted' && e && (
                <>
                  <p>Log runs to this experiment with the MLflow client pointed at Steward:</p>
                  <pre className="code-block">{`import mlflow\nmlflow.set_experiment(${JSON.stringify(e.name)})\nwith mlflow.start_run():\n    mlflow.log_param("alpha", 0.5)\n    mlflow.log_metric("rmse", 0.78, step=1)`}</pre>
                </>
              )}
            </Empty>
          ))}
        {items.length > 0 && (
          <TableWrap label="Runs">
            <table className="table runs-table" data-testid="runs-table">
              <caption className="visually-hidden">
                Runs of {e?.name ?? id}
                {filter ? ` matching ${filter}` : ''}, sorted by {sort.field} {sort.order === 'asc' ? 'ascending' : 'descending'}
              </caption>
              <thead>
                <tr>
                  <th scope="col">
                    <input
                      type="checkbox"
                      checked={allOnPage}
                      onChange={() => setSelected((s) => (allOnPage ? s.filter((x) => !pageIds.includes(x)) : [...s, ...pageIds.filter((x) => !s.includes(x))].slice(0, MAX_COMPARE)))}
                      aria-label="Select every run on this page"
                      data-testid="select-page"
                    />
                  </th>
                  <SortHeader label="Run" field="attributes.run_name" sort={sort} onSort={onSort} />
                  <SortHeader label="Status" field="attributes.status" sort={sort} onSort={onSort} />
                  <SortHeader label="Started" field="attributes.start_time" sort={sort} onSort={onSort} />
                  <th scope="col">Duration</th>
                  <SortHeader label="User" field="attributes.user_id" sort={sort} onSort={onSort} />
                  {columns.map((c) => (
                    <SortHeader key={columnId(c)} label={columnLabel(c)} field={columnField(c)} sort={sort} onSort={onSort} />
                  ))}
                </tr>
              </thead>
              <tbody>
                {items.map((r) => {
                  const on = selected.includes(r.id);
                  return (
                    <tr key={r.id} data-testid={`run-row-${r.name}`} className={on ? 'selected' : undefined}>
                      <td>
                        <input
                          type="checkbox"
                          checked={on}
                          onChange={() => toggle(r.id)}
                          disabled={!on && selected.length >= MAX_COMPARE}
                          aria-label={`Compare run ${r.name}`}
                          data-testid={`select-run-${r.name}`}
                        />
                      </td>
                      <th scope="row">
                        <Link to={path('runs', r.id)}>{r.name || r.id.slice(0, 8)}</Link>
                        {r.parentRunId && (
                          <span className="muted small" title={`Nested in run ${r.parentRunId}`}>
                            {' '}
                            (nested)
                          </span>
                        )}
                        {r.lifecycleStage === 'deleted' && (
                          <>
                            {' '}
                            <Badge tone="bad">deleted</Badge>
                          </>
                        )}
                      </th>
                      <td>
                        <Badge tone={statusTone(r.status)}>{r.status}</Badge>
                      </td>
                      <td className="nowrap">{formatTime(isoOf(r.startTime))}</td>
                      <td className="nowrap num">{formatDuration(r.durationMs)}</td>
                      <td>{r.user}</td>
                      {columns.map((c) => {
                        const v = cellValue(r, c);
                        return (
                          <td key={columnId(c)} className={c.kind === 'metric' ? 'num' : 'clip'} data-testid={`cell-${c.kind}-${c.key}`}>
                            {v === undefined ? <span className="muted">—</span> : v}
                          </td>
                        );
                      })}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableWrap>
        )}
        <Pager
          label="Runs"
          page={page}
          hasNext={Boolean(data?.nextPageToken)}
          onPrevious={() => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c))}
          onNext={() => {
            const next = data?.nextPageToken;
            if (next) setCursors((c) => [...c, next]);
          }}
        />
      </Section>
    </>
  );
}
