/** The project's experiments: name, runs, last update and tags; contributors create new ones here. */
import { useState, type FormEvent } from 'react';
import { formatTime } from '../../lib/format';
import { Link, navigate, path } from '../../lib/router';
import { useRole, useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { TableWrap } from '../../components/table';
import { Badge, Command, Empty, ErrorNote, Loading, PageTitle, Tags } from '../../components/ui';
import { trackingApi } from './tracking-api';
import { isSystemTag, parseTags } from './tracking-data';
import type { ViewFilter } from './types';

const VIEWS: { key: ViewFilter; label: string }[] = [
  { key: 'active', label: 'Active' },
  { key: 'deleted', label: 'Deleted' },
  { key: 'all', label: 'All' },
];

/** The MLflow tracking URI of a project on this server. */
export function trackingUri(project: string): string {
  return `${window.location.origin}${project === 'default' ? '' : `/projects/${encodeURIComponent(project)}`}`;
}

export function ViewPicker({ value, onChange, label, testPrefix }: { value: ViewFilter; onChange: (v: ViewFilter) => void; label: string; testPrefix: string }) {
  return (
    <div className="segmented" role="group" aria-label={label} data-testid={`${testPrefix}-view`}>
      {VIEWS.map((v) => (
        <button key={v.key} type="button" className="segment" aria-pressed={v.key === value} onClick={() => onChange(v.key)} data-testid={`${testPrefix}-view-${v.key}`}>
          {v.label}
        </button>
      ))}
    </div>
  );
}

function userTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => !isSystemTag(k)));
}

function CreateExperiment({ onCancel }: { onCancel: () => void }) {
  const { project } = useSession();
  const [name, setName] = useState('');
  const [tags, setTags] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const n = name.trim();
    if (!n) return;
    setBusy(true);
    setError(undefined);
    try {
      const created = await trackingApi.createExperiment(project, { name: n, tags: parseTags(tags) });
      navigate(path('experiments', created.id));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <form className="card form form-inline" onSubmit={(e) => void submit(e)} aria-label="Create an experiment" data-testid="experiment-form">
      <label className="field">
        <span className="field-label">Name</span>
        <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={500} autoComplete="off" placeholder="churn-baselines" data-testid="experiment-name" />
      </label>
      <label className="field field-inline">
        <span className="field-label">Tags (optional)</span>
        <input value={tags} onChange={(e) => setTags(e.target.value)} autoComplete="off" placeholder="team=risk, purpose=baseline" data-testid="experiment-tags" />
      </label>
      <div className="actions">
        <button type="submit" className="button button-primary" disabled={busy || !name.trim()} data-testid="experiment-submit">
          {busy ? 'Creating…' : 'Create experiment'}
        </button>
        <button type="button" className="button button-quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <ErrorNote error={error} context="The experiment was not created" />
    </form>
  );
}

export function ExperimentsPage() {
  const { project } = useSession();
  const canWrite = useRole().can('contributor');
  const [view, setView] = useState<ViewFilter>('active');
  const [creating, setCreating] = useState(false);
  const [search, setSearch] = useState('');
  const list = useApi((signal) => trackingApi.experiments(project, view, signal), [project, view]);

  const all = list.data?.items ?? [];
  const needle = search.trim().toLowerCase();
  const items = needle ? all.filter((e) => e.name.toLowerCase().includes(needle)) : all;
  const createButton = canWrite && !creating && (
    <button type="button" className="button button-primary" onClick={() => setCreating(true)} data-testid="create-experiment">
      Create an experiment
    </button>
  );

  return (
    <>
      <PageTitle sub={`Training runs tracked in project ${project}, through the MLflow API or the UI`} actions={createButton}>
        Experiments
      </PageTitle>
      {creating && <CreateExperiment onCancel={() => setCreating(false)} />}
      <div className="toolbar">
        <label className="field field-inline">
          <span className="field-label">Search experiments by name</span>
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="part of a name" data-testid="experiments-search" />
        </label>
        <ViewPicker value={view} onChange={setView} label="Which experiments" testPrefix="experiments" />
      </div>
      <ErrorNote error={list.error} context="Could not load the experiments" onRetry={list.reload} />
      {list.loading && !list.data && <Loading what="Loading experiments" />}
      {list.data && items.length === 0 &&
        (needle ? (
          <Empty title={`No experiment's name contains “${search.trim()}”.`} />
        ) : view === 'deleted' ? (
          <Empty title="No deleted experiments." testId="experiments-empty" />
        ) : (
          <Empty title="No experiments yet." testId="experiments-empty">
            <p>Point the MLflow client at Steward and log runs as usual; each experiment and its runs show here.</p>
            <Command>{`export MLFLOW_TRACKING_URI=${trackingUri(project)}`}</Command>
            <Command>{'export MLFLOW_TRACKING_TOKEN=<your Steward token>'}</Command>
            {canWrite && <p>Or create an empty experiment with the button above and name it in mlflow.set_experiment().</p>}
          </Empty>
        ))}
      {items.length > 0 && (
        <TableWrap>
          <table className="table" data-testid="experiments-table">
            <caption className="visually-hidden">Experiments in project {project}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" className="num">
                  Runs
                </th>
                <th scope="col">Updated</th>
                <th scope="col">Created</th>
                <th scope="col">Tags</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.id} data-testid={`experiment-row-${e.name}`}>
                  <th scope="row">
                    <Link to={path('experiments', e.id)}>{e.name}</Link>
                    {e.lifecycleStage === 'deleted' && (
                      <>
                        {' '}
                        <Badge tone="bad">deleted</Badge>
                      </>
                    )}
                  </th>
                  <td className="num" data-testid="experiment-run-count">
                    {e.runCount.toLocaleString('en-US')}
                  </td>
                  <td className="nowrap">{formatTime(e.updatedAt)}</td>
                  <td className="nowrap">
                    {formatTime(e.createdAt)} <span className="muted">by {e.createdBy}</span>
                  </td>
                  <td>
                    <Tags tags={userTags(e.tags)} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  );
}
