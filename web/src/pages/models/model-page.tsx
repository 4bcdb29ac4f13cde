import { useState } from 'react';
import { api } from '../../api/client';
import type { ModelVersion } from '../../api/types';
import { formatTime } from '../../lib/format';
import { Link, navigate, path } from '../../lib/router';
import { projectFlag, useRole, useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { TableWrap } from '../../components/table';
import { Badge, Command, Empty, ErrorNote, KeyValues, Loading, PageTitle, Section, StageBadge, StatusBadge, Tags } from '../../components/ui';
import { MetricsInline } from './metrics';
import { CommentThreads } from '../governance/comments';
import { RiskTier } from './risk-tier';

const VERSIONS_PAGE = 50;

export function ModelPage({ name }: { name: string }) {
  const { project } = useSession();
  const { can } = useRole();
  const model = useApi((signal) => api.get('/api/v1/models/{name}', { path: { name }, query: { project }, signal }), [project, name]);
  const history = useApi((signal) => api.get('/api/v1/models/{name}/alias-history', { path: { name }, query: { project }, signal }), [project, name]);
  const [pages, setPages] = useState<(string | undefined)[]>([undefined]);
  const versions = useApi(
    async (signal) => {
      // Every page loaded so far, in order ("Load more" adds one).
      const out: ModelVersion[] = [];
      let next: string | null = null;
      for (const cursor of pages) {
        const r = await api.get('/api/v1/models/{name}/versions', { path: { name }, query: { project, limit: VERSIONS_PAGE, cursor }, signal });
        out.push(...r.items);
        next = r.nextCursor;
      }
      return { items: out, next };
    },
    [project, name, pages],
  );
  const [selected, setSelected] = useState<number[]>([]);

  const toggle = (v: number) => setSelected((s) => (s.includes(v) ? s.filter((x) => x !== v) : [...s, v].sort((a, b) => a - b)));
  const canCompare = selected.length >= 2 && selected.length <= 4;

  if (model.error) {
    return (
      <>
        <PageTitle>{name}</PageTitle>
        <ErrorNote error={model.error} context="Could not load the model" onRetry={model.reload} />
        <p>
          <Link to="/models">Back to the models</Link>
        </p>
      </>
    );
  }
  const m = model.data;
  const items = versions.data?.items ?? [];

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/models">Models</Link> <span aria-hidden="true">/</span> <span aria-current="page">{name}</span>
      </nav>
      <PageTitle
        sub={m?.description || undefined}
        actions={
          can('contributor') && (
            <Link to={`/models/register?name=${encodeURIComponent(name)}`} className="button button-primary" data-testid="register-version">
              Register a new version
            </Link>
          )
        }
      >
        {name}
      </PageTitle>
      {!m && <Loading what="Loading the model" />}
      {m && (
        <KeyValues
          items={[
            ['Owner', m.owner],
            ['Risk tier', <RiskTier key="risk" name={name} tier={m.riskTier} onChanged={model.reload} />],
            ['Versions', String(m.lastVersion)],
            [
              'Aliases',
              Object.keys(m.aliases).length === 0 ? (
                <span className="muted">none</span>
              ) : (
                <ul className="chips">
                  {Object.entries(m.aliases).map(([a, v]) => (
                    <li key={a} className="chip">
                      <Link to={path('models', name, 'versions', v)}>
                        @{a} → v{v}
                      </Link>
                    </li>
                  ))}
                </ul>
              ),
            ],
            [
              'Latest by stage',
              m.latestVersions.length === 0 ? (
                <span className="muted">none</span>
              ) : (
                <ul className="chips">
                  {m.latestVersions.map((l) => (
                    <li key={l.stage} className="chip">
                      {l.stage}: <Link to={path('models', name, 'versions', l.version)}>v{l.version}</Link>
                    </li>
                  ))}
                </ul>
              ),
            ],
            ['Tags', <Tags key="t" tags={m.tags} />],
            ['Created', `${formatTime(m.createdAt)} by ${m.createdBy}`],
            ['Updated', `${formatTime(m.updatedAt)} by ${m.updatedBy}`],
          ]}
        />
      )}

      <Section
        title="Versions"
        testId="versions-section"
        actions={
          <button
            type="button"
            className="button button-primary"
            disabled={!canCompare}
            onClick={() => navigate(`${path('models', name, 'compare')}?versions=${selected.join(',')}`)}
            data-testid="compare-button"
            aria-describedby="compare-help"
          >
            Compare {selected.length > 0 ? `${selected.length} versions` : 'versions'}
          </button>
        }
      >
        <p id="compare-help" className="muted small">
          Tick 2 to 4 versions to compare their metrics and parameters side by side.
        </p>
        <ErrorNote error={versions.error} context="Could not load the versions" onRetry={versions.reload} />
        {versions.loading && !versions.data && <Loading what="Loading versions" />}
        {versions.data && items.length === 0 && (
          <Empty title="No versions yet.">
            <p>Upload the first one with “Register a new version” above, or with the CLI:</p>
            <Command>{`steward models register model.onnx --name ${name}${projectFlag(project)}`}</Command>
          </Empty>
        )}
        {items.length > 0 && (
          <TableWrap>
            <table className="table" data-testid="versions-table">
              <caption className="visually-hidden">Versions of {name}, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">
                    <span className="visually-hidden">Compare</span>
                  </th>
                  <th scope="col">Version</th>
                  <th scope="col">Status</th>
                  <th scope="col">Stage</th>
                  <th scope="col">Aliases</th>
                  <th scope="col">Metrics</th>
                  <th scope="col">Flavor</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {items.map((v) => (
                  <tr key={v.version} data-testid={`version-row-${v.version}`} className={selected.includes(v.version) ? 'selected' : undefined}>
                    <td>
                      <input
                        type="checkbox"
                        checked={selected.includes(v.version)}
                        onChange={() => toggle(v.version)}
                        disabled={!selected.includes(v.version) && selected.length >= 4}
                        aria-label={`Compare version ${v.version}`}
                        data-testid={`compare-${v.version}`}
                      />
                    </td>
                    <th scope="row">
                      <Link to={path('models', name, 'versions', v.version)}>v{v.version}</Link>
                    </th>
                    <td>
                      <StatusBadge status={v.status} />
                    </td>
                    <td>
                      <StageBadge stage={v.stage} />
                    </td>
                    <td>
                      {v.aliases.length === 0 ? (
                        <span className="muted">—</span>
                      ) : (
                        v.aliases.map((a) => (
                          <Badge key={a} tone="info">
                            @{a}
                          </Badge>
                        ))
                      )}
                    </td>
                    <td>
                      <MetricsInline metrics={v.metrics} />
                    </td>
                    <td>{v.flavor}</td>
                    <td className="nowrap">
                      {formatTime(v.createdAt)} <span className="muted">by {v.author}</span>
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
      </Section>

      <Section title="Alias history" testId="alias-history">
        <ErrorNote error={history.error} context="Could not load the alias history" />
        {history.data && history.data.items.length === 0 && <p className="muted">No alias has been set on this model yet.</p>}
        {history.data && history.data.items.length > 0 && (
          <TableWrap>
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Alias</th>
                  <th scope="col">From</th>
                  <th scope="col">To</th>
                  <th scope="col">By</th>
                </tr>
              </thead>
              <tbody>
                {[...history.data.items].reverse().map((h, i) => (
                  <tr key={`${h.at}-${h.alias}-${i}`}>
                    <td className="nowrap">{formatTime(h.at)}</td>
                    <td>@{h.alias}</td>
                    <td>{h.from === null ? <span className="muted">—</span> : <Link to={path('models', name, 'versions', h.from)}>v{h.from}</Link>}</td>
                    <td>{h.to === null ? <span className="muted">removed</span> : <Link to={path('models', name, 'versions', h.to)}>v{h.to}</Link>}</td>
                    <td>{h.by}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </Section>

      <CommentThreads subject={{ type: 'model', model: name }} />
    </>
  );
}
