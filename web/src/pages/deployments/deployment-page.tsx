import { useState } from 'react';
import { api } from '../../api/client';
import type { Deployment, DeploymentSpec, Revision } from '../../api/types';
import { formatTime, targetLabel } from '../../lib/format';
import { Link, navigate, path } from '../../lib/router';
import { useRole, useSession } from '../../lib/session';
import { CommentThreads } from '../governance/comments';
import { useApi } from '../../lib/use-api';
import { TableWrap } from '../../components/table';
import { Badge, ErrorNote, KeyValues, Loading, PageTitle, Section, Success } from '../../components/ui';
import { DeploymentTabs } from './deployment-tabs';
import { draftFromSpec, RoutingEditor } from './routing-editor';
import { TrafficCharts } from './traffic-charts';
import { TryIt } from './try-it';

export function LiveBadge({ d }: { d: Pick<Deployment, 'live' | 'liveRevision' | 'revision'> }) {
  if (d.live) return <Badge tone="good">live</Badge>;
  return (
    <Badge tone="warn" title={d.liveRevision ? `this server serves revision ${d.liveRevision}` : 'not served by this server'}>
      {d.liveRevision ? `serving r${d.liveRevision}` : 'not live'}
    </Badge>
  );
}

export function specSummary(spec: DeploymentSpec): string {
  return spec.targets.map((t) => `${targetLabel(t)} ${t.weight}%`).join(', ');
}

function Routing({ spec, name }: { spec: DeploymentSpec; name: string }) {
  return (
    <div data-testid="current-routing">
      <TableWrap>
        <table className="table">
          <caption className="visually-hidden">Targets of {name}</caption>
          <thead>
            <tr>
              <th scope="col">Target</th>
              <th scope="col">Follows</th>
              <th scope="col">Weight</th>
            </tr>
          </thead>
          <tbody>
            {spec.targets.map((t, i) => (
              <tr key={`${t.model}-${t.version}-${i}`} data-testid={`routing-target-${i}`}>
                <th scope="row">
                  <Link to={path('models', t.model, 'versions', t.version)}>
                    {t.model} v{t.version}
                  </Link>
                </th>
                <td>{t.alias ? `@${t.alias}` : <span className="muted">a fixed version</span>}</td>
                <td className="weight-cell">
                  <span className="bar" style={{ width: `${t.weight}%` }} aria-hidden="true" />
                  <span className="bar-text" data-testid={`routing-weight-${i}`}>
                    {t.weight}%
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      <KeyValues
        items={[
          [
            'Shadow',
            spec.shadow.length === 0 ? (
              <span className="muted">none</span>
            ) : (
              <ul className="chips">
                {spec.shadow.map((s, i) => (
                  <li key={i} className="chip">
                    {targetLabel(s)}
                  </li>
                ))}
              </ul>
            ),
          ],
          ['Batching', spec.batching ? `up to ${spec.batching.maxBatchSize} rows, waiting at most ${spec.batching.maxDelayMicros} µs` : 'off (one model call per request)'],
          ['Access', spec.public ? 'public: no token needed to predict' : 'a token is needed to predict'],
          ['Limits', `timeout ${spec.timeoutMs} ms, queue ${spec.maxQueue} rows per target`],
        ]}
      />
    </div>
  );
}

function Revisions({ items, canChange, onRollback, busy }: { items: Revision[]; canChange: boolean; onRollback: (revision: number) => void; busy: number | null }) {
  return (
    <TableWrap>
      <table className="table" data-testid="revisions-table">
        <caption className="visually-hidden">Revisions, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Revision</th>
            <th scope="col">Targets</th>
            <th scope="col">Cause</th>
            <th scope="col">Comment</th>
            <th scope="col">When</th>
            <th scope="col">
              <span className="visually-hidden">Action</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((r) => (
            <tr key={r.revision} data-testid={`revision-row-${r.revision}`} className={r.current ? 'selected' : undefined}>
              <th scope="row">
                r{r.revision} {r.current && <Badge tone="good">current</Badge>}
              </th>
              <td>
                {specSummary(r.spec)}
                {r.spec.shadow.length > 0 && <span className="muted"> · shadow {r.spec.shadow.map((s) => targetLabel(s)).join(', ')}</span>}
              </td>
              <td>{r.cause}</td>
              <td>{r.comment || <span className="muted">—</span>}</td>
              <td className="nowrap">
                {formatTime(r.createdAt)} <span className="muted">by {r.createdBy}</span>
              </td>
              <td>
                {!r.current && canChange && (
                  <button type="button" className="button button-small" onClick={() => onRollback(r.revision)} disabled={busy !== null} data-testid={`rollback-${r.revision}`} aria-label={`Roll back to revision ${r.revision}`}>
                    {busy === r.revision ? 'Rolling back…' : 'Rollback'}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

export function DeploymentPage({ name }: { name: string }) {
  const { project } = useSession();
  const canChange = useRole().can('deployer');
  const deployment = useApi((signal) => api.get('/api/v1/deployments/{name}', { path: { name }, query: { project }, signal }), [project, name], { pollMs: 10_000 });
  const revisions = useApi((signal) => api.get('/api/v1/deployments/{name}/revisions', { path: { name }, query: { project }, signal }), [project, name]);
  const [message, setMessage] = useState<string | null>(null);
  const [rollbackError, setRollbackError] = useState<unknown>();
  const [rollingBack, setRollingBack] = useState<number | null>(null);
  const [deleteError, setDeleteError] = useState<unknown>();
  const d = deployment.data;

  const refresh = () => {
    deployment.reload();
    revisions.reload();
  };

  const rollback = (revision: number) => {
    setRollingBack(revision);
    setRollbackError(undefined);
    setMessage(null);
    api.post('/api/v1/deployments/{name}/rollback', { path: { name }, query: { project }, body: { revision } }).then(
      (r) => {
        setMessage(`Rolled back: revision ${r.revision} has the spec of revision ${revision} and is live.`);
        setRollingBack(null);
        refresh();
      },
      (err: unknown) => {
        setRollbackError(err);
        setRollingBack(null);
      },
    );
  };

  const remove = () => {
    if (!window.confirm(`Delete the deployment ${name}? Its endpoints answer 404 from then on.`)) return;
    api.delete('/api/v1/deployments/{name}', { path: { name }, query: { project } }).then(
      () => navigate('/deployments'),
      (err: unknown) => setDeleteError(err),
    );
  };

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/deployments">Deployments</Link> <span aria-hidden="true">/</span> <span aria-current="page">{name}</span>
      </nav>
      <PageTitle
        sub={d ? <span>Revision {d.revision} · updated {formatTime(d.updatedAt)} by {d.updatedBy}</span> : undefined}
        actions={
          d && (
            <>
              <span data-testid="live-status">
                <LiveBadge d={d} />
              </span>
              {canChange && (
                <button type="button" className="button button-danger" onClick={remove} data-testid="delete-deployment">
                  Delete
                </button>
              )}
            </>
          )
        }
      >
        {name}
      </PageTitle>
      <DeploymentTabs name={name} current="overview" />
      <ErrorNote error={deleteError} context="Not deleted" />
      <ErrorNote error={deployment.error} context="Could not load the deployment" onRetry={deployment.reload} />
      {!d && !deployment.error && <Loading what="Loading the deployment" />}
      {message && <Success>{message}</Success>}
      {d && (
        <>
          <Section title="Current routing">
            <Routing spec={d.spec} name={name} />
          </Section>

          <Section title="Live traffic" testId="live-traffic">
            <TrafficCharts name={name} />
          </Section>

          <Section title="Change the routing" testId="edit-routing">
            <RoutingEditor
              key={d.revision}
              initial={draftFromSpec(d.spec)}
              readOnly={!canChange}
              saveLabel="Save as a new revision"
              onSave={async (body) => {
                setMessage(null);
                const r = await api.put('/api/v1/deployments/{name}', { path: { name }, query: { project }, body });
                setMessage(`Saved: revision ${r.revision} is live.`);
                refresh();
              }}
            />
          </Section>

          <Section title="Revisions" testId="revisions">
            <ErrorNote error={rollbackError} context="Not rolled back" />
            <ErrorNote error={revisions.error} context="Could not load the revisions" onRetry={revisions.reload} />
            {revisions.data && <Revisions items={revisions.data.items} canChange={canChange} onRollback={rollback} busy={rollingBack} />}
          </Section>

          <Section title="Try it" testId="try-it-section">
            <TryIt name={name} first={d.spec.targets[0]} />
          </Section>

          <CommentThreads subject={{ type: 'deployment', deployment: name }} />
        </>
      )}
    </>
  );
}
