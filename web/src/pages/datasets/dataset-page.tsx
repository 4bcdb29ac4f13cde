import { useState } from 'react';
import { api } from '../../api/client';
import type { DatasetVersion } from '../../api/types';
import { formatBytes, formatTime, plural } from '../../lib/format';
import { Link, path } from '../../lib/router';
import { projectFlag, useRole, useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { TableWrap } from '../../components/table';
import { Badge, Command, Empty, ErrorNote, KeyValues, Loading, PageTitle, Section } from '../../components/ui';

export function lineageText(v: DatasetVersion): string {
  const parts: string[] = [];
  if (v.lineage.derivedFrom) parts.push(`from v${v.lineage.derivedFrom.version}${v.lineage.derivedFrom.dataset !== v.dataset ? ` of ${v.lineage.derivedFrom.dataset}` : ''}`);
  const split = v.lineage.split as { kind?: string; part?: string } | null | undefined;
  if (split && typeof split === 'object') parts.push(`split${split.kind ? ` (${split.kind}${split.part ? `, ${split.part}` : ''})` : ''}`);
  const recipe = v.lineage.recipe as { name?: string; version?: number } | null | undefined;
  if (recipe && typeof recipe === 'object') parts.push(`recipe ${recipe.name ?? ''}${recipe.version ? ` v${recipe.version}` : ''}`.trim());
  if (v.lineage.source) parts.push(`source ${v.lineage.source}`);
  return parts.join('; ');
}

export function ProfileBadge({ status }: { status: string }) {
  return <Badge tone={status === 'READY' ? 'good' : status === 'FAILED' ? 'bad' : 'warn'}>{status === 'READY' ? 'profiled' : status === 'FAILED' ? 'profile failed' : 'profiling'}</Badge>;
}

export function DatasetPage({ name }: { name: string }) {
  const { project } = useSession();
  const { can } = useRole();
  const dataset = useApi((signal) => api.get('/api/v1/datasets/{name}', { path: { name }, query: { project }, signal }), [project, name]);
  const [pages, setPages] = useState<(string | undefined)[]>([undefined]);
  const versions = useApi(
    async (signal) => {
      const out: DatasetVersion[] = [];
      let next: string | null = null;
      for (const cursor of pages) {
        const r = await api.get('/api/v1/datasets/{name}/versions', { path: { name }, query: { project, limit: 50, cursor }, signal });
        out.push(...r.items);
        next = r.nextCursor;
      }
      return { items: out, next };
    },
    [project, name, pages],
  );
  const d = dataset.data;
  const items = versions.data?.items ?? [];

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/datasets">Datasets</Link> <span aria-hidden="true">/</span> <span aria-current="page">{name}</span>
      </nav>
      <PageTitle
        sub={d?.description || undefined}
        actions={
          can('contributor') && (
            <Link to={`/datasets/upload?name=${encodeURIComponent(name)}`} className="button button-primary" data-testid="upload-version">
              Upload a new version
            </Link>
          )
        }
      >
        {name}
      </PageTitle>
      <ErrorNote error={dataset.error} context="Could not load the dataset" onRetry={dataset.reload} />
      {d && (
        <KeyValues
          items={[
            ['Versions', String(d.lastVersion)],
            ['Created', `${formatTime(d.createdAt)} by ${d.createdBy}`],
            ['Updated', `${formatTime(d.updatedAt)} by ${d.updatedBy}`],
          ]}
        />
      )}
      <Section title="Versions" testId="dataset-versions">
        <ErrorNote error={versions.error} context="Could not load the versions" onRetry={versions.reload} />
        {versions.loading && !versions.data && <Loading what="Loading versions" />}
        {versions.data && items.length === 0 && (
          <Empty title="No versions yet.">
            <p>Upload the first one with “Upload a new version” above, or with the CLI:</p>
            <Command>{`steward datasets upload data.csv --name ${name}${projectFlag(project)}`}</Command>
          </Empty>
        )}
        {items.length > 0 && (
          <TableWrap>
            <table className="table" data-testid="dataset-versions-table">
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Rows</th>
                  <th scope="col">Columns</th>
                  <th scope="col">Source</th>
                  <th scope="col">Stored</th>
                  <th scope="col">Profile</th>
                  <th scope="col">Lineage</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {items.map((v) => (
                  <tr key={v.version}>
                    <th scope="row">
                      <Link to={path('datasets', name, 'versions', v.version)}>v{v.version}</Link>
                    </th>
                    <td className="num">{v.rows.toLocaleString('en-US')}</td>
                    <td className="num">{v.columns.length}</td>
                    <td>
                      {v.source.name || '—'} <span className="muted">({v.source.format}, {formatBytes(v.source.size)})</span>
                    </td>
                    <td className="nowrap">{formatBytes(v.stored.size)}</td>
                    <td>
                      <ProfileBadge status={v.profileStatus} />
                    </td>
                    <td>{lineageText(v) || <span className="muted">—</span>}</td>
                    <td className="nowrap">
                      {formatTime(v.createdAt)} <span className="muted">by {v.createdBy}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        {versions.data?.next && (
          <button type="button" className="button" onClick={() => setPages((p) => [...p, versions.data?.next ?? undefined])}>
            Load more versions
          </button>
        )}
        {items.length > 0 && <p className="muted small">{plural(items.length, 'version')} shown.</p>}
      </Section>
    </>
  );
}
