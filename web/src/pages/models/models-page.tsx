import { useState } from 'react';
import { api } from '../../api/client';
import { formatTime } from '../../lib/format';
import { Link, path } from '../../lib/router';
import { projectFlag, useRole, useSession } from '../../lib/session';
import { useApi, useDebounced } from '../../lib/use-api';
import { Pager, SortHeader, TableWrap, type SortOrder } from '../../components/table';
import { Command, Empty, ErrorNote, Loading, PageTitle } from '../../components/ui';

const PAGE_SIZE = 25;

export function ModelsPage() {
  const { project } = useSession();
  const canWrite = useRole().can('contributor');
  const [search, setSearch] = useState('');
  const name = useDebounced(search.trim(), 250);
  const [sort, setSort] = useState<{ field: string; order: SortOrder }>({ field: 'name', order: 'asc' });
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const page = cursors.length - 1;

  const list = useApi(
    (signal) =>
      api.get('/api/v1/models', {
        query: { project, name: name || undefined, orderBy: sort.field, order: sort.order, limit: PAGE_SIZE, cursor: cursors[page] },
        signal,
      }),
    [project, name, sort, cursors],
  );

  const restart = () => setCursors([undefined]);
  const items = list.data?.items ?? [];
  // Shown in the empty state instead, when there is nothing at all yet (one button of each kind on the page).
  const emptyCatalogue = Boolean(list.data) && items.length === 0 && !name;
  const registerButton = (
    <Link to="/models/register" className="button button-primary" data-testid="register-model">
      Register a model
    </Link>
  );

  return (
    <>
      <PageTitle sub={`Registered models in project ${project}`} actions={canWrite && !emptyCatalogue && registerButton}>
        Models
      </PageTitle>
      <div className="toolbar">
        <label className="field field-inline">
          <span className="field-label">Search models by name</span>
          <input
            type="search"
            value={search}
            onChange={(e) => {
              setSearch(e.target.value);
              restart();
            }}
            placeholder="part of a name"
            data-testid="models-search"
          />
        </label>
      </div>
      <ErrorNote error={list.error} context="Could not load the models" onRetry={list.reload} />
      {list.loading && !list.data && <Loading what="Loading models" />}
      {list.data && items.length === 0 && (
        name ? (
          <Empty title={`No model's name contains “${name}”.`}>
            <p>Try a shorter part of the name, or clear the search.</p>
          </Empty>
        ) : (
          <Empty title="No models yet." testId="models-empty">
            {canWrite && (
              <>
                <p>Register one: upload an ONNX or XGBoost JSON file; the model is created with it as its first version.</p>
                <p>{registerButton}</p>
              </>
            )}
            <p>{canWrite ? 'Or with the CLI:' : 'A contributor can register one with the CLI: it creates the model and uploads its first version (ONNX or XGBoost JSON).'}</p>
            <Command>{`steward models register model.onnx --name my-model --create${projectFlag(project)}`}</Command>
          </Empty>
        )
      )}
      {items.length > 0 && (
        <TableWrap>
          <table className="table" data-testid="models-table">
            <caption className="visually-hidden">Models, sorted by {sort.field} {sort.order === 'asc' ? 'ascending' : 'descending'}</caption>
            <thead>
              <tr>
                <SortHeader label="Name" field="name" sort={sort} onSort={(field, order) => (setSort({ field, order }), restart())} />
                <th scope="col">Description</th>
                <th scope="col" className="num">Versions</th>
                <th scope="col">Aliases</th>
                <th scope="col">Owner</th>
                <SortHeader label="Created" field="createdAt" sort={sort} onSort={(field, order) => (setSort({ field, order }), restart())} />
                <SortHeader label="Updated" field="updatedAt" sort={sort} onSort={(field, order) => (setSort({ field, order }), restart())} />
              </tr>
            </thead>
            <tbody>
              {items.map((m) => (
                <tr key={m.name} data-testid={`model-row-${m.name}`}>
                  <th scope="row">
                    <Link to={path('models', m.name)}>{m.name}</Link>
                  </th>
                  <td className="clip">{m.description || <span className="muted">—</span>}</td>
                  <td className="num">{m.lastVersion}</td>
                  <td>
                    {Object.entries(m.aliases).length === 0 ? (
                      <span className="muted">—</span>
                    ) : (
                      <ul className="chips">
                        {Object.entries(m.aliases).map(([a, v]) => (
                          <li key={a} className="chip">
                            @{a} → v{v}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td>{m.owner}</td>
                  <td className="nowrap">{formatTime(m.createdAt)}</td>
                  <td className="nowrap">{formatTime(m.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <Pager
        label="Models"
        page={page}
        hasNext={Boolean(list.data?.nextCursor)}
        onPrevious={() => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c))}
        onNext={() => {
          const next = list.data?.nextCursor;
          if (next) setCursors((c) => [...c, next]);
        }}
      />
    </>
  );
}
