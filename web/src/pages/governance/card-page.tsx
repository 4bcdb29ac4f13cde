/**
 * A model version's card: what Steward knows (details, parameters, data, metrics, gates with fairness,
 * explanations, approvals, stage history) and the fields people write (Model Card Toolkit names), with
 * completeness, an edit form for contributors and Markdown / HTML downloads (fetched with the token).
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import { api, buildUrl } from '../../api/client';
import type { ModelCard } from '../../api/types';
import { downloadFile } from '../../lib/download';
import { formatBytes, formatNumber, formatTime } from '../../lib/format';
import { Link, path } from '../../lib/router';
import { useRole, useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { TableWrap } from '../../components/table';
import { Badge, ErrorNote, KeyValues, Loading, PageTitle, Section, StageBadge, Success, Tags } from '../../components/ui';
import { FairnessTable, PassBadge } from './gates-panel';

type Fields = ModelCard['fields'];
type ItemField = 'licenses' | 'references' | 'citations' | 'users' | 'use_cases' | 'out_of_scope_uses' | 'limitations' | 'tradeoffs' | 'ethical_considerations';

/** The written fields, in the card's order, with how each is edited: a text, or one item per line. */
const WRITTEN: { path: string; section: 'model_details' | 'considerations'; key: 'overview' | ItemField; label: string; help: string }[] = [
  { path: 'model_details.overview', section: 'model_details', key: 'overview', label: 'Overview', help: 'What the model is and does (replaces the model description on the card).' },
  { path: 'model_details.licenses', section: 'model_details', key: 'licenses', label: 'Licenses', help: 'One per line: an SPDX identifier or "proprietary"; "custom: …" for a licence text.' },
  { path: 'model_details.references', section: 'model_details', key: 'references', label: 'References', help: 'One link or document per line.' },
  { path: 'model_details.citations', section: 'model_details', key: 'citations', label: 'Citations', help: 'One citation per line.' },
  { path: 'considerations.users', section: 'considerations', key: 'users', label: 'Intended users', help: 'One per line.' },
  { path: 'considerations.use_cases', section: 'considerations', key: 'use_cases', label: 'Intended uses', help: 'One per line.' },
  { path: 'considerations.out_of_scope_uses', section: 'considerations', key: 'out_of_scope_uses', label: 'Out-of-scope uses', help: 'Uses the model is not meant for; one per line.' },
  { path: 'considerations.limitations', section: 'considerations', key: 'limitations', label: 'Limitations', help: 'Known technical limitations; one per line.' },
  { path: 'considerations.tradeoffs', section: 'considerations', key: 'tradeoffs', label: 'Tradeoffs', help: 'Known accuracy/performance tradeoffs; one per line.' },
  { path: 'considerations.ethical_considerations', section: 'considerations', key: 'ethical_considerations', label: 'Ethical considerations', help: 'One risk per line, "risk | how it is mitigated".' },
];

type Item = Record<string, string | undefined>;

/** A written field as editable text. */
function textOf(fields: Fields, section: 'model_details' | 'considerations', key: string): string {
  const value = (fields[section] as Record<string, unknown> | undefined)?.[key];
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return (value as Item[])
    .map((i) => {
      if (key === 'licenses') return i.identifier ?? `custom: ${i.custom_text ?? ''}`;
      if (key === 'references') return i.reference ?? '';
      if (key === 'citations') return i.citation ?? '';
      if (key === 'ethical_considerations') return i.mitigation_strategy ? `${i.name} | ${i.mitigation_strategy}` : (i.name ?? '');
      return i.description ?? '';
    })
    .join('\n');
}

/** Editable text back into the field's value (null: remove the field). */
function valueOf(key: string, text: string): unknown {
  if (key === 'overview') return text.trim() ? text : null;
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (lines.length === 0) return null;
  return lines.map((l) => {
    if (key === 'licenses') return /^custom:/i.test(l) ? { custom_text: l.replace(/^custom:\s*/i, '') } : { identifier: l };
    if (key === 'references') return { reference: l };
    if (key === 'citations') return { citation: l };
    if (key === 'ethical_considerations') {
      const [name, ...rest] = l.split('|');
      const mitigation = rest.join('|').trim();
      return { name: name!.trim(), ...(mitigation ? { mitigation_strategy: mitigation } : {}) };
    }
    return { description: l };
  });
}

function EditForm({ card, onSaved, onCancel }: { card: ModelCard; onSaved: (c: ModelCard) => void; onCancel: () => void }) {
  const { project } = useSession();
  const initial = Object.fromEntries(WRITTEN.map((w) => [w.path, textOf(card.fields, w.section, w.key)]));
  const [texts, setTexts] = useState<Record<string, string>>(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    // Only the fields that changed, so that parts the form does not show (a citation's style) stay.
    const body: Record<string, Record<string, unknown>> = {};
    for (const w of WRITTEN) {
      if (texts[w.path] === initial[w.path]) continue;
      (body[w.section] ??= {})[w.key] = valueOf(w.key, texts[w.path] ?? '');
    }
    if (Object.keys(body).length === 0) {
      onCancel();
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      onSaved(await api.patch('/api/v1/models/{name}/versions/{version}/card', { path: { name: card.model, version: card.version }, query: { project }, body }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card form card-edit" onSubmit={(e) => void submit(e)} aria-label="Edit the written fields" data-testid="card-edit-form">
      {WRITTEN.map((w) => (
        <label key={w.path} className="field">
          <span className="field-label">
            {w.label} <code className="muted small">{w.path}</code>
          </span>
          <textarea rows={w.key === 'overview' ? 4 : 3} value={texts[w.path] ?? ''} onChange={(e) => setTexts((t) => ({ ...t, [w.path]: e.target.value }))} data-testid={`card-field-${w.path}`} />
          <span className="field-help">{w.help}</span>
        </label>
      ))}
      <ErrorNote error={error} context="Not saved" />
      <div className="row-actions">
        <button type="submit" className="button button-primary" disabled={busy} data-testid="card-save">
          {busy ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="button button-quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function Written({ card }: { card: ModelCard }) {
  return (
    <dl className="kv card-written" data-testid="card-written">
      {WRITTEN.map((w) => {
        const text = textOf(card.fields, w.section, w.key);
        const value: ReactNode =
          w.key === 'overview' ? (
            text
          ) : text ? (
            <ul>
              {text.split('\n').map((l, i) => (
                <li key={i}>{l}</li>
              ))}
            </ul>
          ) : (
            ''
          );
        return (
          <div key={w.path} data-testid={`card-written-${w.path}`}>
            <dt>{w.label}</dt>
            <dd>{text ? value : <span className="muted">Not written yet.</span>}</dd>
          </div>
        );
      })}
    </dl>
  );
}

function SimpleTable({ headers, rows, testId, empty }: { headers: string[]; rows: ReactNode[][]; testId?: string; empty: string }) {
  if (rows.length === 0) return <p className="muted">{empty}</p>;
  return (
    <TableWrap>
      <table className="table table-compact" data-testid={testId}>
        <thead>
          <tr>
            {headers.map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {r.map((c, j) => (
                <td key={j}>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

export function CardPage({ name, version }: { name: string; version: string }) {
  const { project } = useSession();
  const { can } = useRole();
  const [edited, setEdited] = useState<ModelCard | null>(null);
  const loaded = useApi((signal) => api.get('/api/v1/models/{name}/versions/{version}/card', { path: { name, version: Number(version) }, query: { project }, signal }), [project, name, version]);
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState(false);
  const [download, setDownload] = useState<{ busy: boolean; error?: unknown; done?: string }>({ busy: false });
  const card = edited ?? loaded.data;

  const get = (format: 'md' | 'html') => {
    setDownload({ busy: true });
    const url = buildUrl(format === 'md' ? '/api/v1/models/{name}/versions/{version}/card.md' : '/api/v1/models/{name}/versions/{version}/card.html', { name, version }, { project, download: '1' });
    downloadFile(url, `${name}-v${version}-card.${format}`, format === 'md' ? 'text/markdown' : 'text/html').then(
      (file) => setDownload({ busy: false, done: file }),
      (error: unknown) => setDownload({ busy: false, error }),
    );
  };

  const versionPath = path('models', name, 'versions', version);
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/models">Models</Link> <span aria-hidden="true">/</span> <Link to={path('models', name)}>{name}</Link> <span aria-hidden="true">/</span> <Link to={versionPath}>v{version}</Link>{' '}
        <span aria-hidden="true">/</span> <span aria-current="page">card</span>
      </nav>
      <PageTitle
        sub="Generated from what Steward knows on each read, plus the fields people write (Model Card Toolkit names)"
        actions={
          <>
            <button type="button" className="button" onClick={() => get('md')} disabled={download.busy} data-testid="card-download-md">
              Download Markdown
            </button>
            <button type="button" className="button" onClick={() => get('html')} disabled={download.busy} data-testid="card-download-html">
              Download HTML
            </button>
          </>
        }
      >
        Model card: {name} v{version}
      </PageTitle>
      <ErrorNote error={download.error} context="Could not download the card" />
      {download.done && (
        <p className="muted small" role="status" data-testid="card-downloaded">
          Downloaded {download.done}.
        </p>
      )}
      <ErrorNote error={loaded.error} context="Could not load the card" onRetry={loaded.reload} />
      {!card && !loaded.error && <Loading what="Loading the card" />}
      {card && (
        <>
          <Section title="Completeness" testId="card-completeness">
            <p data-testid="card-completeness-summary">
              {card.completeness.filled.length} of {card.completeness.filled.length + card.completeness.missing.length} written fields filled.
            </p>
            {card.completeness.missing.length > 0 && (
              <p className="small">
                Missing:{' '}
                {card.completeness.missing.map((m) => (
                  <Badge key={m} tone="warn">
                    {m}
                  </Badge>
                ))}
              </p>
            )}
            {card.completeness.filled.length > 0 && (
              <p className="small">
                Filled:{' '}
                {card.completeness.filled.map((m) => (
                  <Badge key={m} tone="good">
                    {m}
                  </Badge>
                ))}
              </p>
            )}
          </Section>

          <Section title="Model details" testId="card-details">
            <p data-testid="card-overview">{card.fields.model_details?.overview ?? card.model_details.overview ?? <span className="muted">No overview.</span>}</p>
            <KeyValues
              items={[
                ['Owners', card.model_details.owners.map((o) => o.name).join(', ') || '—'],
                ['Version', `${card.model_details.version.name} of ${formatTime(card.model_details.version.date)} by ${card.model_details.version.author}`],
                ['What changed', card.model_details.version.diff || '—'],
                ['Risk tier', card.model_details.risk_tier],
                ['Status', card.model_details.status],
                ['Stage', <StageBadge key="s" stage={card.model_details.stage} />],
                ['Aliases', card.model_details.aliases.length ? card.model_details.aliases.map((a) => `@${a}`).join(', ') : '—'],
                ['Flavor', card.model_details.flavor],
                ['Artifact', <code key="a" className="hash">{`${card.model_details.artifact.sha256.slice(0, 16)}… (${formatBytes(card.model_details.artifact.size)})`}</code>],
                ['Model tags', <Tags key="mt" tags={card.model_details.tags.model} />],
                ['Version tags', <Tags key="vt" tags={card.model_details.tags.version} />],
              ]}
            />
          </Section>

          <Section
            title="Written fields"
            testId="card-fields"
            actions={
              can('contributor') &&
              !editing && (
                <button type="button" className="button" onClick={() => setEditing(true)} data-testid="card-edit">
                  Edit
                </button>
              )
            }
          >
            {saved && <Success>Saved.</Success>}
            {card.fields_updated && (
              <p className="muted small">
                Last written {formatTime(card.fields_updated.at)} by {card.fields_updated.by}.
              </p>
            )}
            {editing ? (
              <EditForm
                card={card}
                onCancel={() => setEditing(false)}
                onSaved={(c) => {
                  setEdited(c);
                  setEditing(false);
                  setSaved(true);
                }}
              />
            ) : (
              <Written card={card} />
            )}
          </Section>

          <Section title="Model parameters" testId="card-parameters">
            <KeyValues
              items={[
                ['Architecture', card.model_parameters.model_architecture],
                ['Input format', card.model_parameters.input_format ?? '—'],
                ['Output format', card.model_parameters.output_format ?? '—'],
                ['Inputs', card.model_parameters.inputs.map((t) => `${t.name} (${t.datatype} [${t.shape.join(', ')}])`).join(', ') || '—'],
                ['Outputs', card.model_parameters.outputs.map((t) => `${t.name} (${t.datatype} [${t.shape.join(', ')}])`).join(', ') || '—'],
                ['Source run', card.model_parameters.lineage.source_run ?? '—'],
                ['Parent version', card.model_parameters.lineage.parent_version === null ? '—' : `v${card.model_parameters.lineage.parent_version}`],
                [
                  'Parameters',
                  Object.keys(card.model_parameters.params).length
                    ? Object.entries(card.model_parameters.params)
                        .map(([k, v]) => `${k}=${v}`)
                        .join(', ')
                    : '—',
                ],
              ]}
            />
            <h3>Data</h3>
            <SimpleTable
              testId="card-data"
              headers={['Dataset', 'Role', 'Rows', 'SHA-256']}
              rows={card.model_parameters.data.map((d) => [
                <Link key="d" to={path('datasets', d.name, 'versions', d.version)}>
                  {d.name} v{d.version}
                </Link>,
                d.role,
                formatNumber(d.rows),
                <code key="h" className="hash">
                  {d.sha256.slice(0, 12)}
                </code>,
              ])}
              empty="No dataset is linked to this version."
            />
          </Section>

          <Section title="Performance metrics" testId="card-metrics">
            <SimpleTable
              testId="card-metrics-table"
              headers={['Metric', 'Value', 'Slice', 'Confidence interval', 'Source']}
              rows={card.quantitative_analysis.performance_metrics.map((m) => [
                m.type,
                formatNumber(m.value),
                m.slice ?? '—',
                m.confidence_interval ? `${formatNumber(m.confidence_interval.lower_bound)} – ${formatNumber(m.confidence_interval.upper_bound)}` : '—',
                m.source,
              ])}
              empty="No metrics were logged or measured by gates."
            />
          </Section>

          <Section title="Test gates" testId="card-gates">
            {card.gates.length === 0 ? (
              <p className="muted">No gate has run on this version.</p>
            ) : (
              <>
                <SimpleTable
                  testId="card-gates-table"
                  headers={['Gate', 'Type', 'Result', 'Measured', 'When']}
                  rows={card.gates.map((g) => [g.name, g.type, <PassBadge key="p" passed={g.passed} />, g.summary, formatTime(g.created_at)])}
                  empty=""
                />
                {card.gates
                  .filter((g) => g.fairness)
                  .map((g) => (
                    <div key={g.name} className="card-fairness">
                      <h3>Fairness: {g.name}</h3>
                      <FairnessTable details={g.details} />
                    </div>
                  ))}
              </>
            )}
          </Section>

          <Section title="Explanations" testId="card-explanations">
            {card.explanations ? (
              <>
                <p className="small">
                  Report {card.explanations.report} of {formatTime(card.explanations.created_at)}
                  {card.explanations.dataset ? ` on ${card.explanations.dataset}` : ''}
                  {card.explanations.method ? `, ${card.explanations.method}` : ''}.
                </p>
                <SimpleTable testId="card-top-features" headers={['Feature', 'Importance']} rows={card.explanations.top_features.map((f) => [f.feature, formatNumber(f.importance)])} empty="No feature importance." />
              </>
            ) : (
              <p className="muted">No finished explanation report.</p>
            )}
          </Section>

          <Section title="Approvals" testId="card-approvals">
            <SimpleTable
              testId="card-approvals-table"
              headers={['Move', 'Asked by', 'Approved by', 'Carried out']}
              rows={card.approvals.map((a) => [
                `${a.kind} ${a.target}`,
                `${a.requested_by}, ${formatTime(a.requested_at)}`,
                a.approvers.length ? a.approvers.map((x) => `${x.name}${x.comment ? ` (“${x.comment}”)` : ''}`).join(', ') : 'no approval needed',
                formatTime(a.executed_at),
              ])}
              empty="No promotion of this version has been carried out."
            />
          </Section>

          <Section title="Stage history" testId="card-stage-history">
            <SimpleTable
              headers={['When', 'From', 'To', 'By', 'Comment']}
              rows={card.stage_history.map((s) => [formatTime(s.at), s.from, s.to, s.by, s.comment || '—'])}
              empty="This version has stayed in stage None."
            />
          </Section>
        </>
      )}
    </>
  );
}
