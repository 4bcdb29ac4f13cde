import type { ReactNode } from 'react';
import { api } from '../../api/client';
import type { VersionDetail } from '../../api/types';
import { formatNumber, formatTime } from '../../lib/format';
import { Link, path, useLocation } from '../../lib/router';
import { useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { TableWrap } from '../../components/table';
import { Empty, ErrorNote, Loading, PageTitle, Section } from '../../components/ui';

/** Versions named in ?versions=1,2,3 (2 to 4 distinct numbers). */
function wanted(search: URLSearchParams): number[] {
  const raw = (search.get('versions') ?? '').split(',');
  const out: number[] = [];
  for (const r of raw) {
    const n = Number(r.trim());
    if (Number.isInteger(n) && n > 0 && !out.includes(n)) out.push(n);
  }
  return out.slice(0, 4);
}

interface Row {
  name: string;
  values: (string | number | undefined)[];
}

function differs(values: Row['values']): boolean {
  return new Set(values.map((v) => (v === undefined ? '\u0000' : String(v)))).size > 1;
}

function delta(v: number | string | undefined, base: number | string | undefined): ReactNode {
  if (typeof v !== 'number' || typeof base !== 'number' || v === base) return null;
  const d = v - base;
  return (
    <span className="delta">
      {' '}
      ({d > 0 ? '+' : ''}
      {formatNumber(d)})
    </span>
  );
}

function CompareTable({ title, rows, versions, testId, numeric }: { title: string; rows: Row[]; versions: VersionDetail[]; testId: string; numeric?: boolean }) {
  if (rows.length === 0) return <p className="muted">None of these versions recorded {title.toLowerCase()}.</p>;
  const changed = rows.filter((r) => differs(r.values)).length;
  return (
    <>
      <p className="muted small">
        {changed === 0 ? 'All the same.' : `${changed} of ${rows.length} differ (highlighted)`}
        {numeric && changed > 0 ? '; the number in brackets is the difference from the first version.' : ''}
      </p>
      <TableWrap>
        <table className="table compare-table" data-testid={testId}>
          <caption className="visually-hidden">{title} of versions {versions.map((v) => v.version).join(', ')}</caption>
          <thead>
            <tr>
              <th scope="col">{title.replace(/s$/, '')}</th>
              {versions.map((v) => (
                <th scope="col" key={v.version} className={numeric ? 'num' : undefined}>
                  v{v.version}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => {
              const diff = differs(r.values);
              return (
                <tr key={r.name} className={diff ? 'diff' : undefined} data-differs={diff ? 'true' : 'false'}>
                  <th scope="row">
                    {r.name}
                    {diff && <span className="visually-hidden"> (differs)</span>}
                  </th>
                  {r.values.map((value, i) => (
                    <td key={i} className={numeric || typeof value === 'number' ? 'num' : undefined}>
                      {value === undefined ? <span className="muted">—</span> : typeof value === 'number' ? formatNumber(value) : value}
                      {numeric && i > 0 && delta(value, r.values[0])}
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

function rowsOf(versions: VersionDetail[], pick: (v: VersionDetail) => Record<string, string | number>): Row[] {
  const names = [...new Set(versions.flatMap((v) => Object.keys(pick(v))))].sort();
  return names.map((name) => ({ name, values: versions.map((v) => pick(v)[name]) }));
}

export function ComparePage({ name }: { name: string }) {
  const { project } = useSession();
  const location = useLocation();
  const numbers = wanted(location.search);
  const loaded = useApi(
    (signal) => Promise.all(numbers.map((n) => api.get('/api/v1/models/{name}/versions/{version}', { path: { name, version: String(n) }, query: { project }, signal }))),
    [project, name, numbers],
    { enabled: numbers.length >= 2 },
  );
  const versions = loaded.data ?? [];

  const general: Row[] = versions.length
    ? [
        { name: 'Status', values: versions.map((v) => v.status) },
        { name: 'Stage', values: versions.map((v) => v.stage) },
        { name: 'Aliases', values: versions.map((v) => (v.aliases.length ? v.aliases.map((a) => `@${a}`).join(' ') : undefined)) },
        { name: 'Flavor', values: versions.map((v) => v.flavor) },
        { name: 'Created', values: versions.map((v) => formatTime(v.createdAt)) },
        { name: 'Author', values: versions.map((v) => v.author) },
        { name: 'Parent version', values: versions.map((v) => (v.lineage.parentVersion === null ? undefined : `v${v.lineage.parentVersion}`)) },
        { name: 'Datasets', values: versions.map((v) => (v.datasets.length ? v.datasets.map((d) => `${d.dataset} v${d.version} (${d.role})`).join(', ') : undefined)) },
        { name: 'Source run', values: versions.map((v) => v.lineage.sourceRun ?? undefined) },
      ]
    : [];

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/models">Models</Link> <span aria-hidden="true">/</span> <Link to={path('models', name)}>{name}</Link> <span aria-hidden="true">/</span>{' '}
        <span aria-current="page">compare</span>
      </nav>
      <PageTitle sub={numbers.length >= 2 ? `Versions ${numbers.join(', ')} side by side` : undefined}>Compare versions of {name}</PageTitle>
      {numbers.length < 2 && (
        <Empty title="Pick at least two versions to compare.">
          <p>
            On the <Link to={path('models', name)}>model's page</Link>, tick 2 to 4 versions and press Compare.
          </p>
        </Empty>
      )}
      <ErrorNote error={loaded.error} context="Could not load the versions" onRetry={loaded.reload} />
      {numbers.length >= 2 && !loaded.data && !loaded.error && <Loading what="Loading versions" />}
      {versions.length > 0 && (
        <>
          <Section title="Metrics">
            <CompareTable title="Metrics" rows={rowsOf(versions, (v) => v.metrics)} versions={versions} testId="compare-metrics" numeric />
          </Section>
          <Section title="Parameters">
            <CompareTable title="Parameters" rows={rowsOf(versions, (v) => v.params)} versions={versions} testId="compare-params" />
          </Section>
          <Section title="Details">
            <CompareTable title="Details" rows={general} versions={versions} testId="compare-details" />
          </Section>
        </>
      )}
    </>
  );
}
