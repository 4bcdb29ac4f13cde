import { api } from '../../api/client';
import { formatTime, targetLabel } from '../../lib/format';
import { Link, path } from '../../lib/router';
import { projectFlag, useRole, useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { TableWrap } from '../../components/table';
import { Command, Empty, ErrorNote, Loading, PageTitle } from '../../components/ui';
import { LiveBadge } from './deployment-page';

export function DeploymentsPage() {
  const { project } = useSession();
  const list = useApi((signal) => api.get('/api/v1/deployments', { query: { project }, signal }), [project], { pollMs: 5000 });
  const items = list.data?.items ?? [];
  const canCreate = useRole().can('deployer');

  return (
    <>
      <PageTitle
        sub={`Serving endpoints in project ${project}`}
        actions={
          canCreate && (
            <Link to="/deployments/new" className="button button-primary" data-testid="new-deployment">
              New deployment
            </Link>
          )
        }
      >
        Deployments
      </PageTitle>
      <ErrorNote error={list.error} context="Could not load the deployments" onRetry={list.reload} />
      {list.loading && !list.data && <Loading what="Loading deployments" />}
      {list.data && items.length === 0 && (
        <Empty title="No deployments yet." testId="deployments-empty">
          <p>A deployment serves one or more READY model versions at an endpoint, with weights, shadows and rollback. {canCreate ? 'Press New deployment, or use the CLI:' : 'A deployer can create one with the CLI:'}</p>
          <Command>{`steward deploy my-model --model my-model --version 1${projectFlag(project)}`}</Command>
        </Empty>
      )}
      {items.length > 0 && (
        <TableWrap>
          <table className="table" data-testid="deployments-table">
            <caption className="visually-hidden">Deployments and their live status</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Revision</th>
                <th scope="col">Targets</th>
                <th scope="col">Shadow</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.name} data-testid={`deployment-row-${d.name}`}>
                  <th scope="row">
                    <Link to={path('deployments', d.name)}>{d.name}</Link>
                  </th>
                  <td>
                    <LiveBadge d={d} />
                  </td>
                  <td className="num">r{d.revision}</td>
                  <td>
                    <ul className="chips">
                      {d.spec.targets.map((t, i) => (
                        <li key={i} className="chip">
                          {targetLabel(t)} · {t.weight}%
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td>{d.spec.shadow.length ? d.spec.shadow.map((s) => targetLabel(s)).join(', ') : <span className="muted">—</span>}</td>
                  <td className="nowrap">
                    {formatTime(d.updatedAt)} <span className="muted">by {d.updatedBy}</span>
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
