import { useState, type FormEvent } from 'react';
import { api, buildUrl } from '../../api/client';
import { downloadFile } from '../../lib/download';
import type { VersionDetail } from '../../api/types';
import { formatBytes, formatNumber, formatTime } from '../../lib/format';
import { Link, path } from '../../lib/router';
import { useRole, useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { TableWrap } from '../../components/table';
import { Badge, ErrorNote, KeyValues, Loading, PageTitle, Section, StageBadge, StatusBadge, Success, Tags } from '../../components/ui';
import { featuresOf } from '../deployments/try-it';
import { ExplanationsPanel } from '../explain/explanations-panel';
import { CommentThreads } from '../governance/comments';
import { GatesPanel } from '../governance/gates-panel';
import { PromotionsPanel } from '../governance/promotion-form';

const STAGES = ['None', 'Staging', 'Production', 'Archived'];

/** Fetches the artifact with the bearer token and hands it to the browser as a file. */
async function downloadArtifact(project: string, name: string, version: number): Promise<void> {
  await downloadFile(buildUrl('/api/v1/models/{name}/versions/{version}/artifact', { name, version }, { project }), `${name}-v${version}`, 'application/octet-stream');
}

function SignatureTable({ title, specs }: { title: string; specs: { name: string; datatype: string; shape: number[] }[] }) {
  return (
    <TableWrap>
      <table className="table table-compact">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Shape</th>
          </tr>
        </thead>
        <tbody>
          {specs.map((s) => (
            <tr key={s.name}>
              <th scope="row">
                <code>{s.name}</code>
              </th>
              <td>{s.datatype}</td>
              <td>
                <code>[{s.shape.map((d) => (d === -1 ? '?' : d)).join(', ')}]</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function NameValueTable({ caption, values, empty }: { caption: string; values: Record<string, string | number>; empty: string }) {
  const entries = Object.entries(values);
  if (entries.length === 0) return <p className="muted">{empty}</p>;
  return (
    <TableWrap>
      <table className="table table-compact">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td className="num">{typeof v === 'number' ? formatNumber(v) : v}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function Actions({ v, onChanged }: { v: VersionDetail; onChanged: () => void }) {
  const { project } = useSession();
  const [stage, setStage] = useState(v.stage === 'Production' ? 'Archived' : v.stage === 'Staging' ? 'Production' : 'Staging');
  const [comment, setComment] = useState('');
  const [archiveExisting, setArchiveExisting] = useState(false);
  const [alias, setAlias] = useState('');
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (what: () => Promise<string>) => {
    setBusy(true);
    setError(undefined);
    setDone(null);
    try {
      setDone(await what());
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const moveStage = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await api.post('/api/v1/models/{name}/versions/{version}/stage', {
        path: { name: v.model, version: String(v.version) },
        query: { project },
        body: { stage, ...(comment ? { comment } : {}), archiveExisting },
      });
      setComment('');
      return `Version ${v.version} is now in ${stage}.`;
    });
  };
  const setAliasTo = (e: FormEvent) => {
    e.preventDefault();
    const a = alias.trim().replace(/^@/, '');
    if (!a) return;
    void run(async () => {
      const r = await api.put('/api/v1/models/{name}/aliases/{alias}', { path: { name: v.model, alias: a }, query: { project }, body: { version: v.version } });
      setAlias('');
      return r.previousVersion ? `@${a} moved from v${r.previousVersion} to v${r.version}.` : `@${a} now points at v${r.version}.`;
    });
  };

  return (
    <Section title="Change">
      <ErrorNote error={error} context="Not changed" />
      {done && <Success>{done}</Success>}
      <div className="forms-row">
        <form className="card form" onSubmit={moveStage}>
          <h3>Move to a stage</h3>
          <label className="field">
            <span className="field-label">Stage</span>
            <select value={stage} onChange={(e) => setStage(e.target.value)} data-testid="stage-select">
              {STAGES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field-label">Comment (why)</span>
            <input value={comment} onChange={(e) => setComment(e.target.value)} maxLength={5000} />
          </label>
          <label className="check">
            <input type="checkbox" checked={archiveExisting} onChange={(e) => setArchiveExisting(e.target.checked)} />
            Archive the versions already in that stage
          </label>
          <button type="submit" className="button button-primary" disabled={busy || stage === v.stage} data-testid="stage-submit">
            Move to {stage}
          </button>
        </form>
        <form className="card form" onSubmit={setAliasTo}>
          <h3>Point an alias here</h3>
          <label className="field">
            <span className="field-label">Alias</span>
            <input value={alias} onChange={(e) => setAlias(e.target.value)} placeholder="champion" data-testid="alias-input" />
          </label>
          <p className="muted small">Deployments that follow the alias move to this version at once.</p>
          <button type="submit" className="button button-primary" disabled={busy || v.status !== 'READY' || !alias.trim()} data-testid="alias-submit">
            Set alias
          </button>
        </form>
      </div>
    </Section>
  );
}

export function VersionPage({ name, version }: { name: string; version: string }) {
  const { project } = useSession();
  const { can } = useRole();
  const detail = useApi((signal) => api.get('/api/v1/models/{name}/versions/{version}', { path: { name, version }, query: { project }, signal }), [project, name, version]);
  const model = useApi((signal) => api.get('/api/v1/models/{name}', { path: { name }, query: { project }, signal }), [project, name]);
  const riskTier = model.data?.riskTier ?? null;
  const [downloading, setDownloading] = useState(false);
  const [downloadError, setDownloadError] = useState<unknown>();
  const v = detail.data;

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/models">Models</Link> <span aria-hidden="true">/</span> <Link to={path('models', name)}>{name}</Link> <span aria-hidden="true">/</span>{' '}
        <span aria-current="page">{v ? `v${v.version}` : version}</span>
      </nav>
      <PageTitle
        sub={v?.description || undefined}
        actions={
          v && (
            <>
              <Link to={`${path('models', name, 'versions', v.version)}/card`} className="button" data-testid="card-link">
                Model card
              </Link>
              <a href="#comments" className="button button-quiet" data-testid="comments-link">
                Comments
              </a>
              <button
              type="button"
              className="button button-primary"
              disabled={downloading || v.status !== 'READY'}
              data-testid="download-artifact"
              onClick={() => {
                setDownloading(true);
                setDownloadError(undefined);
                downloadArtifact(project, name, v.version).then(
                  () => setDownloading(false),
                  (err: unknown) => {
                    setDownloadError(err);
                    setDownloading(false);
                  },
                );
              }}
            >
              {downloading ? 'Downloading…' : `Download artifact (${formatBytes(v.size)})`}
              </button>
            </>
          )
        }
      >
        {name} v{v?.version ?? version}
      </PageTitle>
      <ErrorNote error={downloadError} context="Could not download the artifact" />
      <ErrorNote error={detail.error} context="Could not load the version" onRetry={detail.reload} />
      {!v && !detail.error && <Loading what="Loading the version" />}
      {v && (
        <>
          <KeyValues
            items={[
              ['Status', <span key="s">
                <StatusBadge status={v.status} /> {v.statusMessage && <span className="muted">{v.statusMessage}</span>}
              </span>],
              ['Stage', <span key="st" data-testid="version-stage"><StageBadge stage={v.stage} /></span>],
              ['Aliases', v.aliases.length ? v.aliases.map((a) => <Badge key={a} tone="info">@{a}</Badge>) : <span className="muted">none</span>],
              ['Risk tier', riskTier ? <Badge key="r" tone={riskTier === 'high' ? 'bad' : riskTier === 'medium' ? 'warn' : 'neutral'}>{riskTier}</Badge> : '…'],
              ['Flavor', v.flavor],
              ['Size', formatBytes(v.size)],
              ['SHA-256', <code key="h" className="hash">{v.sha256}</code>],
              ['Created', `${formatTime(v.createdAt)} by ${v.author}`],
              ['Tags', <Tags key="t" tags={v.tags} />],
            ]}
          />

          <Section title="Signature" testId="signature">
            {v.signature ? (
              <div className="two-col">
                <SignatureTable title="Inputs" specs={v.signature.inputs} />
                <SignatureTable title="Outputs" specs={v.signature.outputs} />
              </div>
            ) : (
              <p className="muted">No signature was recorded for this version.</p>
            )}
          </Section>

          <div className="two-col">
            <Section title="Metrics">
              <NameValueTable caption="Metrics" values={v.metrics} empty="No metrics were recorded. Add them at registration with --metric name=value." />
            </Section>
            <Section title="Parameters">
              <NameValueTable caption="Parameters" values={v.params} empty="No parameters were recorded. Add them at registration with --param name=value." />
            </Section>
          </div>

          <Section title="Lineage" testId="lineage">
            <ul className="lineage">
              {v.datasets.map((d) => (
                <li key={`${d.dataset}-${d.version}-${d.role}`}>
                  <span className="muted">{d.role} data:</span>{' '}
                  <Link to={path('datasets', d.dataset, 'versions', d.version)} data-testid="lineage-dataset">
                    {d.dataset} v{d.version}
                  </Link>
                </li>
              ))}
              {v.lineage.datasetVersion && (
                <li>
                  <span className="muted">dataset version:</span> {v.lineage.datasetVersion}
                </li>
              )}
              {v.lineage.parentVersion !== null && (
                <li>
                  <span className="muted">parent version:</span>{' '}
                  <Link to={path('models', name, 'versions', v.lineage.parentVersion)} data-testid="lineage-parent">
                    {name} v{v.lineage.parentVersion}
                  </Link>
                </li>
              )}
              {v.lineage.sourceRun && (
                <li>
                  <span className="muted">source run:</span>{' '}
                  {/^[0-9a-f]{32}$/.test(v.lineage.sourceRun) ? (
                    <Link to={path('runs', v.lineage.sourceRun)} data-testid="lineage-run">
                      <code>{v.lineage.sourceRun}</code>
                    </Link>
                  ) : (
                    <code>{v.lineage.sourceRun}</code>
                  )}
                </li>
              )}
              {v.datasets.length === 0 && !v.lineage.datasetVersion && v.lineage.parentVersion === null && !v.lineage.sourceRun && (
                <li className="muted">No lineage was recorded. Register with --dataset name@version, --parent-version or --source-run to keep it.</li>
              )}
            </ul>
          </Section>

          <Section title="Governance" testId="governance">
            <p className="muted small">
              Risk tier {riskTier ?? '…'}: the project&apos;s <Link to={`/governance/policies?tier=${riskTier ?? 'high'}`}>{riskTier ?? ''} policy</Link> says what this version needs before it enters Staging or Production, takes a protected alias or serves in a deployment.
              The <Link to={`${path('models', name, 'versions', v.version)}/card`}>model card</Link> gathers it for readers.
            </p>
            <GatesPanel name={v.model} version={v.version} ready={v.status === 'READY'} riskTier={riskTier} lineage={v.datasets} />
            <PromotionsPanel model={v.model} version={v.version} stage={v.stage} ready={v.status === 'READY'} onMoved={detail.reload} />
          </Section>

          <Section title="Explanations" testId="explanations">
            <ExplanationsPanel name={v.model} version={v.version} ready={v.status === 'READY'} lineage={v.datasets} features={v.signature ? (featuresOf(v.signature)?.map((f) => f.name) ?? null) : null} />
          </Section>

          <Section title="Stage transitions" testId="stage-history">
            {v.stageHistory.length === 0 ? (
              <p className="muted">This version has stayed in stage None since it was registered.</p>
            ) : (
              <TableWrap>
                <table className="table">
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">From</th>
                      <th scope="col">To</th>
                      <th scope="col">By</th>
                      <th scope="col">Comment</th>
                    </tr>
                  </thead>
                  <tbody>
                    {[...v.stageHistory].reverse().map((t, i) => (
                      <tr key={`${t.at}-${i}`}>
                        <td className="nowrap">{formatTime(t.at)}</td>
                        <td>
                          <StageBadge stage={t.from} />
                        </td>
                        <td>
                          <StageBadge stage={t.to} />
                        </td>
                        <td>{t.by}</td>
                        <td>{t.comment || <span className="muted">—</span>}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            )}
          </Section>

          {can('contributor') && <Actions v={v} onChanged={detail.reload} />}

          <CommentThreads subject={{ type: 'model_version', model: v.model, version: v.version }} />
        </>
      )}
    </>
  );
}
