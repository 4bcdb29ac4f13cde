import { useState } from 'react';
import { api } from '../../api/client';
import { formatTime } from '../../lib/format';
import { Link, path } from '../../lib/router';
import { projectFlag, useRole, useSession } from '../../lib/session';
import { useApi, useDebounced } from '../../lib/use-api';
import { Pager, TableWrap } from '../../components/table';
import { Command, Empty, ErrorNote, Loading, PageTitle } from '../../components/ui';

const PAGE_SIZE = 25;

export function DatasetsPage() {
  const { project } = useSession();
  const canWrite = useRole().can('contributor');
  const [search, setSearch] = useState('');
  const name = useDebounced(search.trim(), 250);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const page = cursors.length - 1;
  const list = useApi((signal) => api.get('/api/v1/datasets', { query: { project, name: name || undefined, limit: PAGE_SIZE, cursor: cursors[page] }, signal }), [project, name, cursors]);
  const items = list.data?.items ?? [];
  // Shown in the empty state instead, when there is nothing at all yet (one button of each kind on the page).
  const emptyCatalogue = Boolean(list.data) && items.length === 0 && !name;
  const uploadButton = (
    <Link to="/datasets/upload" className="button button-primary" data-testid="upload-dataset">
      Upload a dataset
    </Link>
  );

  return (
    <>
      <PageTitle sub={`Versioned tables in project ${project}`} actions={canWrite && !emptyCatalogue && uploadButton}>
        Datasets
      </PageTitle>
      <div className="toolbar">
        <label className="field field-inline">
          <span className="field-label">Search datasets by name</span>
          <input
            type="search"
            value={search}
            onChange={(e) => {
              setSearch(e.target.value);
              setCursors([undefined]);
            }}
            placeholder="part of a name"
            data-testid="datasets-search"
          />
        </label>
      </div>
      <ErrorNote error={list.error} context="Could not load the datasets" onRetry={list.reload} />
      {list.loading && !list.data && <Loading what="Loading datasets" />}
      {list.data && items.length === 0 && (
        name ? (
          <Empty title={`No dataset's name contains “${name}”.`} />
        ) : (
          <Empty title="No datasets yet." testId="datasets-empty">
            <p>Upload a CSV or Parquet file; Steward stores it as a version, infers its schema and profiles it.</p>
            {canWrite && <p>{uploadButton}</p>}
            <p>{canWrite ? 'Or with the CLI:' : 'A contributor can upload one with the CLI:'}</p>
            <Command>{`steward datasets upload data.csv --name my-data --create${projectFlag(project)}`}</Command>
          </Empty>
        )
      )}
      {items.length > 0 && (
        <TableWrap>
          <table className="table" data-testid="datasets-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Description</th>
                <th scope="col" className="num">Versions</th>
                <th scope="col">Created</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.name} data-testid={`dataset-row-${d.name}`}>
                  <th scope="row">
                    <Link to={path('datasets', d.name)}>{d.name}</Link>
                  </th>
                  <td className="clip">{d.description || <span className="muted">—</span>}</td>
                  <td className="num">{d.lastVersion}</td>
                  <td className="nowrap">
                    {formatTime(d.createdAt)} <span className="muted">by {d.createdBy}</span>
                  </td>
                  <td className="nowrap">{formatTime(d.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <Pager
        label="Datasets"
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
