/**
 * Webhooks of the project (project admins): subscribe a URL to event patterns, see the signing secret once,
 * edit, pause, delete, send a test delivery, and read each webhook's delivery log.
 */
import { useMemo, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { Webhook } from '../../api/types';
import { formatTime } from '../../lib/format';
import { useRole, useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { TableWrap } from '../../components/table';
import { Badge, Empty, ErrorNote, Loading, PageTitle, Section, Success } from '../../components/ui';
import { GovernanceTabs } from './governance-tabs';

type EventGroup = { kind: string; events: { type: string; description: string }[] };

/** The event types the server offers (GET /api/v1/webhooks/events), grouped by kind ("model_version.*"). */
function groupEvents(items: { type: string; description: string }[]): EventGroup[] {
  const groups = new Map<string, EventGroup>();
  for (const item of items) {
    const kind = item.type.slice(0, item.type.indexOf('.'));
    if (!groups.has(kind)) groups.set(kind, { kind, events: [] });
    groups.get(kind)!.events.push(item);
  }
  return [...groups.values()];
}

function EventPicker({ value, onChange }: { value: string[]; onChange: (events: string[]) => void }) {
  const [extra, setExtra] = useState('');
  const types = useApi((signal) => api.get('/api/v1/webhooks/events', { signal }), []);
  const groups = useMemo(() => groupEvents(types.data?.items ?? []), [types.data]);
  const has = (e: string) => value.includes(e);
  const toggle = (e: string) => onChange(has(e) ? value.filter((x) => x !== e) : [...value, e]);
  const known = new Set(['*', ...groups.flatMap((g) => [`${g.kind}.*`, ...g.events.map((e) => e.type)])]);
  const others = value.filter((v) => !known.has(v));
  return (
    <fieldset className="fieldset event-picker" data-testid="webhook-events">
      <legend>Events</legend>
      <label className="check">
        <input type="checkbox" checked={has('*')} onChange={() => toggle('*')} data-testid="webhook-event-all" />
        Every event (<code>*</code>)
      </label>
      {!has('*') && (
        <div className="event-groups">
          {groups.map((g) => (
            <div key={g.kind} className="event-group">
              <label className="check">
                <input type="checkbox" checked={has(`${g.kind}.*`)} onChange={() => toggle(`${g.kind}.*`)} data-testid={`webhook-event-${g.kind}.*`} />
                <strong>
                  <code>{g.kind}.*</code>
                </strong>
              </label>
              {!has(`${g.kind}.*`) &&
                g.events.map(({ type: e, description }) => (
                  <label key={e} className="check small" title={description}>
                    <input type="checkbox" checked={has(e)} onChange={() => toggle(e)} data-testid={`webhook-event-${e}`} />
                    <code>{e}</code>
                  </label>
                ))}
            </div>
          ))}
        </div>
      )}
      <label className="field field-inline">
        <span className="field-label">Other patterns (comma separated)</span>
        <input
          value={extra || others.join(', ')}
          onChange={(e) => {
            setExtra(e.target.value);
            const typed = e.target.value
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean);
            onChange([...value.filter((v) => known.has(v)), ...typed]);
          }}
          placeholder="dataset.*, recipe_version.created"
          data-testid="webhook-event-other"
        />
      </label>
    </fieldset>
  );
}

function WebhookForm({ initial, onSaved, onCancel }: { initial?: Webhook; onSaved: (message: string, secret?: string) => void; onCancel?: () => void }) {
  const { project } = useSession();
  const [name, setName] = useState(initial?.name ?? '');
  const [url, setUrl] = useState(initial?.url ?? '');
  const [events, setEvents] = useState<string[]>(initial?.events ?? ['promotion.*', 'gate_run.*']);
  const [active, setActive] = useState(initial?.active ?? true);
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const body = { name: name.trim(), url: url.trim(), events, active, ...(secret ? { secret } : {}) };
      if (initial) {
        const r = await api.patch('/api/v1/webhooks/{id}', { path: { id: initial.id }, body });
        onSaved(`Saved ${r.name}.${secret ? ' The new secret signs the next deliveries.' : ''}`);
      } else {
        const r = await api.post('/api/v1/webhooks', { query: { project }, body });
        setName('');
        setUrl('');
        setSecret('');
        onSaved(`Created ${r.name}.`, r.secret);
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card form" onSubmit={(e) => void submit(e)} aria-label={initial ? `Edit ${initial.name}` : 'New webhook'} data-testid={initial ? 'webhook-edit-form' : 'webhook-form'}>
      <h3>{initial ? `Edit ${initial.name}` : 'New webhook'}</h3>
      <div className="form-inline">
        <label className="field">
          <span className="field-label">Name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} data-testid="webhook-name" />
        </label>
        <label className="field field-inline">
          <span className="field-label">URL</span>
          <input type="url" value={url} onChange={(e) => setUrl(e.target.value)} required maxLength={2000} placeholder="https://hooks.example.com/steward" data-testid="webhook-url" />
        </label>
        <label className="field">
          <span className="field-label">{initial ? 'New secret (optional)' : 'Secret (optional; generated)'}</span>
          <input type="password" value={secret} onChange={(e) => setSecret(e.target.value)} minLength={16} maxLength={256} autoComplete="new-password" data-testid="webhook-secret" />
        </label>
        <label className="check">
          <input type="checkbox" checked={active} onChange={(e) => setActive(e.target.checked)} data-testid="webhook-active" />
          Active
        </label>
      </div>
      <EventPicker value={events} onChange={setEvents} />
      <ErrorNote error={error} context="Not saved" />
      <div className="row-actions">
        <button type="submit" className="button button-primary" disabled={busy || !name.trim() || !url.trim() || events.length === 0} data-testid="webhook-submit">
          {initial ? 'Save' : 'Create webhook'}
        </button>
        {onCancel && (
          <button type="button" className="button button-quiet" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

function Deliveries({ webhook }: { webhook: Webhook }) {
  const deliveries = useApi((signal) => api.get('/api/v1/webhooks/{id}/deliveries', { path: { id: webhook.id }, query: { limit: 50 }, signal }), [webhook.id], { pollMs: 5000 });
  const [error, setError] = useState<unknown>();
  const redeliver = async (deliveryId: string) => {
    setError(undefined);
    try {
      await api.post('/api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver', { path: { id: webhook.id, deliveryId } });
      deliveries.reload();
    } catch (err) {
      setError(err);
    }
  };
  const items = deliveries.data?.items ?? [];
  return (
    <div className="deliveries" data-testid={`webhook-deliveries-${webhook.name}`}>
      <h3>Deliveries of {webhook.name}</h3>
      <ErrorNote error={deliveries.error ?? error} context="Deliveries" />
      {!deliveries.data && !deliveries.error && <Loading what="Loading deliveries" />}
      {deliveries.data && items.length === 0 && <p className="muted">Nothing delivered yet.</p>}
      {items.length > 0 && (
        <TableWrap>
          <table className="table table-compact">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last answer</th>
                <th scope="col">Next attempt</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.id} data-testid={`delivery-${d.id}`}>
                  <td>
                    <code>{d.event}</code>
                  </td>
                  <td>
                    <Badge tone={d.status === 'delivered' ? 'good' : d.status === 'failed' ? 'bad' : 'warn'}>{d.status}</Badge>
                  </td>
                  <td className="num">{d.attempts}</td>
                  <td>
                    {d.lastStatus !== null ? `HTTP ${d.lastStatus}` : ''} {d.lastError && <span className="small field-error">{d.lastError}</span>}
                  </td>
                  <td className="nowrap">{d.nextAttemptAt ? formatTime(d.nextAttemptAt) : '—'}</td>
                  <td className="nowrap">{formatTime(d.createdAt)}</td>
                  <td>
                    {d.status !== 'pending' && (
                      <button type="button" className="button button-small" onClick={() => void redeliver(d.id)}>
                        Send again
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </div>
  );
}

export function WebhooksPage() {
  const { project } = useSession();
  const { can } = useRole();
  const list = useApi((signal) => api.get('/api/v1/webhooks', { query: { project }, signal }), [project], { enabled: can('admin') });
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  const [editing, setEditing] = useState<string | null>(null);
  const [shown, setShown] = useState<string | null>(null);

  if (!can('admin')) {
    return (
      <>
        <PageTitle>Webhooks</PageTitle>
        <GovernanceTabs />
        <Empty title={`Webhooks of project ${project} are for its admins.`} />
      </>
    );
  }

  const act = async (what: () => Promise<string>) => {
    setError(undefined);
    setDone(null);
    try {
      setDone(await what());
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  const items = list.data?.items ?? [];
  const shownHook = items.find((w) => w.id === shown);

  return (
    <>
      <PageTitle sub={`Signed POSTs (HMAC-SHA256 in x-steward-signature) for the events of project ${project}, retried with back-off`}>Webhooks</PageTitle>
      <GovernanceTabs />
      {secret && (
        <div className="note note-success token-once" role="status" data-testid="webhook-secret-once">
          <p className="note-title">The signing secret of {secret.name}. Copy it now: it is shown only this once.</p>
          <div className="command">
            <code data-testid="webhook-secret-value">{secret.secret}</code>
          </div>
          <button type="button" className="button button-quiet" onClick={() => setSecret(null)}>
            I have copied it
          </button>
        </div>
      )}
      {done && <Success>{done}</Success>}
      <ErrorNote error={error} context="Not done" />
      <Section title="Webhooks" testId="webhooks">
        <ErrorNote error={list.error} context="Could not load the webhooks" onRetry={list.reload} />
        {!list.data && !list.error && <Loading what="Loading webhooks" />}
        {list.data && items.length === 0 && <Empty title="No webhooks yet." testId="webhooks-empty" />}
        {items.length > 0 && (
          <TableWrap>
            <table className="table" data-testid="webhooks-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">URL</th>
                  <th scope="col">Events</th>
                  <th scope="col">State</th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((w) => (
                  <tr key={w.id} data-testid={`webhook-row-${w.name}`}>
                    <th scope="row">
                      {w.name} {w.project === null && <Badge tone="info">every project</Badge>}
                    </th>
                    <td className="clip">
                      <code>{w.url}</code>
                    </td>
                    <td>{w.events.join(', ')}</td>
                    <td>{w.active ? <Badge tone="good">active</Badge> : <Badge tone="neutral">paused</Badge>}</td>
                    <td className="nowrap">
                      {formatTime(w.createdAt)} <span className="muted">by {w.createdBy}</span>
                    </td>
                    <td>
                      <div className="row-actions">
                        <button type="button" className="button button-small" onClick={() => setShown(shown === w.id ? null : w.id)} data-testid={`webhook-deliveries-button-${w.name}`}>
                          Deliveries
                        </button>
                        <button
                          type="button"
                          className="button button-small"
                          onClick={() =>
                            void act(async () => {
                              await api.post('/api/v1/webhooks/{id}/test', { path: { id: w.id } });
                              setShown(w.id);
                              return `A webhook.test delivery to ${w.name} is on its way; see its deliveries.`;
                            })
                          }
                          data-testid={`webhook-test-${w.name}`}
                        >
                          Test
                        </button>
                        <button type="button" className="button button-small" onClick={() => setEditing(editing === w.id ? null : w.id)} data-testid={`webhook-edit-${w.name}`}>
                          Edit
                        </button>
                        <button
                          type="button"
                          className="button button-small button-danger"
                          onClick={() => {
                            if (!window.confirm(`Delete the webhook ${w.name} and its delivery log?`)) return;
                            void act(async () => {
                              await api.delete('/api/v1/webhooks/{id}', { path: { id: w.id } });
                              return `Deleted ${w.name}.`;
                            });
                          }}
                          data-testid={`webhook-delete-${w.name}`}
                        >
                          Delete
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
        {editing && items.find((w) => w.id === editing) && (
          <WebhookForm
            key={editing}
            initial={items.find((w) => w.id === editing)}
            onCancel={() => setEditing(null)}
            onSaved={(message) => {
              setEditing(null);
              setDone(message);
              list.reload();
            }}
          />
        )}
        {shownHook && <Deliveries webhook={shownHook} />}
      </Section>
      <Section title="Subscribe" testId="webhook-create">
        <WebhookForm
          onSaved={(message, s) => {
            setDone(message);
            if (s) setSecret({ name: message.replace(/^Created (.*)\.$/, '$1'), secret: s });
            list.reload();
          }}
        />
      </Section>
    </>
  );
}
