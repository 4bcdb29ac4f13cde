import { useEffect, useMemo, useState } from 'react';
import { api, ApiError } from '../../api/client';
import type { ColumnProfile, DatasetProfile } from '../../api/types';
import { formatBytes, formatNumber, formatPercent, formatTime } from '../../lib/format';
import { Link, path, useLocation } from '../../lib/router';
import { useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { Chart, type ChartOption } from '../../components/chart';
import { TableWrap } from '../../components/table';
import { Badge, ErrorNote, KeyValues, Loading, PageTitle, Section } from '../../components/ui';
import { lineageText, ProfileBadge } from './dataset-page';

const ROWS_PAGE = 20;

function isProfile(p: unknown): p is DatasetProfile {
  return typeof p === 'object' && p !== null && Array.isArray((p as DatasetProfile).columns);
}

/** A bin edge: numbers compact, ISO times without the parts that are zero. */
function edge(x: number | string | undefined): string {
  if (typeof x === 'number') return formatNumber(x);
  const s = String(x ?? '');
  const iso = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2})?(\.\d+)?Z?$/.exec(s);
  if (!iso) return s;
  return iso[2] === '00:00' && (!iso[3] || iso[3] === ':00') ? iso[1]! : `${iso[1]} ${iso[2]}`;
}

function binLabel(edges: (number | string)[], i: number): string {
  return `${edge(edges[i])} – ${edge(edges[i + 1])}`;
}

function Histogram({ column }: { column: ColumnProfile }) {
  const h = column.histogram!;
  const option = useMemo<ChartOption>(
    () => ({
      grid: { left: 40, right: 8, top: 8, bottom: 24 },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'category', data: h.counts.map((_c, i) => binLabel(h.edges, i)), axisLabel: { show: false }, axisTick: { show: false } },
      yAxis: { type: 'value', minInterval: 1, splitNumber: 3 },
      series: [{ type: 'bar', name: 'rows', data: h.counts, barCategoryGap: '8%' }],
    }),
    [h],
  );
  const peak = h.counts.reduce((best, c, i) => (c > (h.counts[best] ?? -1) ? i : best), 0);
  return (
    <figure className="dist">
      <Chart option={option} height={140} testId={`histogram-${column.name}`} label={`Histogram of ${column.name}: ${h.counts.length} bins from ${binLabel(h.edges, 0).split(' – ')[0]} to ${binLabel(h.edges, h.counts.length - 1).split(' – ')[1]}`} />
      <figcaption className="muted small">
        {h.counts.length} equal-width bins; the fullest is {binLabel(h.edges, peak)} ({formatNumber(h.counts[peak] ?? 0)} rows).
      </figcaption>
    </figure>
  );
}

function TopValues({ column, rows }: { column: ColumnProfile; rows: number }) {
  const top = column.top ?? [];
  if (top.length === 0) return <p className="muted small">No values.</p>;
  const max = Math.max(...top.map((t) => t.count));
  return (
    <table className="table table-compact top-values" data-testid={`top-values-${column.name}`}>
      <caption className="visually-hidden">Most frequent values of {column.name}</caption>
      <thead>
        <tr>
          <th scope="col">Value</th>
          <th scope="col">Rows</th>
        </tr>
      </thead>
      <tbody>
        {top.map((t) => (
          <tr key={String(t.value)}>
            <th scope="row" className="clip">
              {String(t.value)}
            </th>
            <td className="bar-cell">
              <span className="bar" style={{ width: `${(t.count / max) * 100}%` }} aria-hidden="true" />
              <span className="bar-text">
                {formatNumber(t.count)} <span className="muted">({formatPercent(rows ? t.count / rows : null)})</span>
              </span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ColumnCard({ column, rows }: { column: ColumnProfile; rows: number }) {
  const numeric = column.histogram && column.histogram.counts.length > 0 && (column.type === 'numeric' || column.type === 'integer' || column.type === 'datetime');
  const stats: [string, string][] = [
    ['present', formatNumber(column.count)],
    ['missing', `${formatNumber(column.missing)} (${formatPercent(rows ? column.missing / rows : null)})`],
    ['distinct', `${column.distinctExact ? '' : '≈'}${formatNumber(column.distinct)}`],
  ];
  if (column.min !== undefined) stats.push(['min', formatNumber(column.min)]);
  if (column.max !== undefined) stats.push(['max', formatNumber(column.max)]);
  if (column.mean !== undefined) stats.push(['mean', formatNumber(column.mean)]);
  if (column.std !== undefined) stats.push(['std', formatNumber(column.std)]);
  if (column.quantiles?.p50 !== undefined) stats.push(['median', formatNumber(column.quantiles.p50)]);
  if (column.trueCount !== undefined) stats.push(['true', formatNumber(column.trueCount)], ['false', formatNumber(column.falseCount ?? 0)]);
  return (
    <article className="card column-card" data-testid={`column-${column.name}`} aria-labelledby={`col-${column.name}`}>
      <h3 id={`col-${column.name}`}>
        <code>{column.name}</code> <Badge tone="neutral">{column.type}</Badge>
      </h3>
      <dl className="stats">
        {stats.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      {numeric ? <Histogram column={column} /> : column.top ? <TopValues column={column} rows={rows} /> : null}
    </article>
  );
}

function ProfileSection({ name, version, status, onReady }: { name: string; version: number; status: string; onReady: () => void }) {
  const { project } = useSession();
  const pending = status === 'PENDING';
  const profile = useApi(
    async (signal) => {
      try {
        const r = await api.get('/api/v1/datasets/{name}/versions/{version}/profile', { path: { name, version: String(version) }, query: { project }, signal });
        return r.profile;
      } catch (err) {
        // 409 while the profile job runs: keep polling; its details say when the job has failed instead.
        if (err instanceof ApiError && err.status === 409) return err.details.status === 'FAILED' ? ('FAILED' as const) : null;
        throw err;
      }
    },
    [project, name, version],
    { pollMs: pending ? 1000 : undefined },
  );
  const p = profile.data;
  // Done (profiled or failed) while the version still says PENDING: load the version again.
  const settled = pending && p !== undefined && p !== null;
  useEffect(() => {
    if (settled) onReady();
  }, [settled, onReady]);

  if (status === 'FAILED') return <p className="note note-error">The profile could not be computed for this version. The job's error is under Jobs in the API (GET /api/v1/jobs).</p>;
  if (profile.error) return <ErrorNote error={profile.error} context="Could not load the profile" onRetry={profile.reload} />;
  if (p === undefined) return <Loading what="Loading the profile" />;
  if (p === null || !isProfile(p)) return <Loading what="The profile is being computed; this page updates when it is ready" />;
  return (
    <>
      <TableWrap label="Column summary">
        <table className="table table-compact" data-testid="profile-table">
          <caption className="visually-hidden">Profile of every column</caption>
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">Type</th>
              <th scope="col">Missing</th>
              <th scope="col">Distinct</th>
              <th scope="col">Min</th>
              <th scope="col">Max</th>
              <th scope="col">Mean</th>
              <th scope="col">Std</th>
            </tr>
          </thead>
          <tbody>
            {p.columns.map((c) => (
              <tr key={c.name}>
                <th scope="row">
                  <a href={`#col-${c.name}`}>{c.name}</a>
                </th>
                <td>{c.type}</td>
                <td className="num">
                  {formatNumber(c.missing)} <span className="muted">({formatPercent(p.rows ? c.missing / p.rows : null)})</span>
                </td>
                <td className="num">{formatNumber(c.distinct)}</td>
                <td className="num">{c.min === undefined ? '—' : formatNumber(c.min)}</td>
                <td className="num">{c.max === undefined ? '—' : formatNumber(c.max)}</td>
                <td className="num">{c.mean === undefined ? '—' : formatNumber(c.mean)}</td>
                <td className="num">{c.std === undefined ? '—' : formatNumber(c.std)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
      <div className="column-grid">
        {p.columns.map((c) => (
          <ColumnCard key={c.name} column={c} rows={p.rows} />
        ))}
      </div>
    </>
  );
}

function RowsSection({ name, version, columns }: { name: string; version: number; columns: { name: string; type: string }[] }) {
  const numeric = new Set(columns.filter((c) => c.type === 'numeric' || c.type === 'integer').map((c) => c.name));
  const { project } = useSession();
  const [offset, setOffset] = useState(0);
  const rows = useApi((signal) => api.get('/api/v1/datasets/{name}/versions/{version}/rows', { path: { name, version: String(version) }, query: { project, offset, limit: ROWS_PAGE }, signal }), [project, name, version, offset]);
  const r = rows.data;
  return (
    <>
      <ErrorNote error={rows.error} context="Could not load the rows" onRetry={rows.reload} />
      {!r && !rows.error && <Loading what="Loading rows" />}
      {r && (
        <>
          <TableWrap label="Example rows">
            <table className="table table-compact rows-table" data-testid="rows-table">
              <caption className="visually-hidden">
                Rows {r.offset + 1} to {r.offset + r.rows.length} of {r.total}
              </caption>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  {columns.map((c) => (
                    <th scope="col" key={c.name} className={numeric.has(c.name) ? 'num' : undefined}>
                      {c.name}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {r.rows.map((row, i) => (
                  <tr key={r.offset + i}>
                    <th scope="row" className="muted">
                      {r.offset + i + 1}
                    </th>
                    {columns.map(({ name: c }) => (
                      <td key={c} className={numeric.has(c) ? 'num' : undefined}>
                        {row[c] === null || row[c] === undefined ? <span className="muted">null</span> : formatNumber(row[c])}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          <nav className="pager" aria-label="Row pages">
            <button type="button" className="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - ROWS_PAGE))}>
              Previous rows
            </button>
            <span className="muted">
              Rows {r.rows.length ? r.offset + 1 : 0}–{r.offset + r.rows.length} of {r.total.toLocaleString('en-US')}
            </span>
            <button type="button" className="button" disabled={r.offset + r.rows.length >= r.total} onClick={() => setOffset(offset + ROWS_PAGE)}>
              Next rows
            </button>
          </nav>
        </>
      )}
    </>
  );
}

export function DatasetVersionPage({ name, version }: { name: string; version: string }) {
  const { project } = useSession();
  // Set by the upload form when the file uploaded was already this version.
  const existing = useLocation().search.get('existing') === '1';
  const detail = useApi((signal) => api.get('/api/v1/datasets/{name}/versions/{version}', { path: { name, version }, query: { project }, signal }), [project, name, version]);
  const models = useApi((signal) => api.get('/api/v1/datasets/{name}/versions/{version}/models', { path: { name, version }, query: { project }, signal }), [project, name, version]);
  const v = detail.data;

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/datasets">Datasets</Link> <span aria-hidden="true">/</span> <Link to={path('datasets', name)}>{name}</Link> <span aria-hidden="true">/</span>{' '}
        <span aria-current="page">v{v?.version ?? version}</span>
      </nav>
      <PageTitle sub={v?.description || undefined}>
        {name} v{v?.version ?? version}
      </PageTitle>
      <ErrorNote error={detail.error} context="Could not load the version" onRetry={detail.reload} />
      {existing && v && (
        <p className="note note-warn" role="status" data-testid="upload-existing">
          The file you uploaded has the same content as this version, so no new version was made.
        </p>
      )}
      {!v && !detail.error && <Loading what="Loading the version" />}
      {v && (
        <>
          <KeyValues
            items={[
              ['Rows', v.rows.toLocaleString('en-US')],
              ['Columns', String(v.columns.length)],
              ['Source', `${v.source.name || '—'} (${v.source.format}, ${formatBytes(v.source.size)})`],
              ['Stored', `${v.stored.format}, ${formatBytes(v.stored.size)}`],
              ['Profile', <ProfileBadge key="p" status={v.profileStatus} />],
              ['Lineage', lineageText(v) || '—'],
              [
                'Used by',
                models.data && models.data.items.length > 0 ? (
                  <ul className="chips">
                    {models.data.items.map((m) => (
                      <li key={`${m.model}-${m.version}-${m.role}`} className="chip">
                        <Link to={path('models', m.model, 'versions', m.version)}>
                          {m.model} v{m.version}
                        </Link>{' '}
                        <span className="muted">({m.role})</span>
                      </li>
                    ))}
                  </ul>
                ) : (
                  <span className="muted">no model version</span>
                ),
              ],
              ['Created', `${formatTime(v.createdAt)} by ${v.createdBy}`],
            ]}
          />
          <Section title="Profile" testId="profile">
            <ProfileSection name={name} version={v.version} status={v.profileStatus} onReady={detail.reload} />
          </Section>
          <Section title="Rows" testId="rows">
            <RowsSection name={name} version={v.version} columns={v.columns} />
          </Section>
        </>
      )}
    </>
  );
}
