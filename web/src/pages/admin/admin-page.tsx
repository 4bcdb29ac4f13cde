import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { NewToken, ProjectRole, Role, User } from '../../api/types';
import { formatTime } from '../../lib/format';
import { PROJECT_ROLES, useRole, useSession } from '../../lib/session';
import { useApi, type Loaded } from '../../lib/use-api';
import { TableWrap } from '../../components/table';
import { Badge, Empty, ErrorNote, Loading, PageTitle, Section, Success } from '../../components/ui';
import { MembersPanel } from './members-panel';

const ROLES: Role[] = ['user', 'admin'];

function ShownOnce({ token, onDone }: { token: NewToken; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="note note-success token-once" role="status" data-testid="new-token">
      <p className="note-title">Token for {token.user} created. Copy it now: it is shown only this once.</p>
      <div className="command">
        <code data-testid="new-token-value">{token.token}</code>
        <button type="button" className="button button-small" onClick={() => void navigator.clipboard?.writeText(token.token).then(() => setCopied(true))}>
          {copied ? 'Copied' : 'Copy token'}
        </button>
      </div>
      <button type="button" className="button button-quiet" onClick={onDone}>
        I have copied it
      </button>
    </div>
  );
}

type UsersList = Loaded<{ items: User[] }>;

function Users({ users, onTokens }: { users: UsersList; onTokens: (user: string) => void }) {
  const { user: me, project } = useSession();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('user');
  const [projectRole, setProjectRole] = useState<ProjectRole | ''>('viewer');
  const [withToken, setWithToken] = useState(true);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string | null>(null);
  const [token, setToken] = useState<NewToken | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (what: () => Promise<string>) => {
    setBusy(true);
    setError(undefined);
    setDone(null);
    try {
      setDone(await what());
      users.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const create = (e: FormEvent) => {
    e.preventDefault();
    const n = name.trim();
    void run(async () => {
      const u = await api.post('/api/v1/users', { body: { name: n, role, ...(projectRole && role === 'user' ? { projects: { [project]: projectRole } } : {}) } });
      if (withToken) setToken(await api.post('/api/v1/tokens', { body: { user: u.name, name: 'initial' } }));
      setName('');
      const roles = Object.entries(u.projects).map(([p, r]) => `${r} in ${p}`);
      return `Created ${u.name} (${u.role === 'admin' ? 'platform admin' : roles.length ? roles.join(', ') : 'no project role yet'}).`;
    });
  };
  const update = (u: User, body: { role?: Role; disabled?: boolean }) =>
    void run(async () => {
      const r = await api.patch('/api/v1/users/{user}', { path: { user: u.name }, body });
      return body.role ? (r.role === 'admin' ? `${r.name} is now a platform admin.` : `${r.name} is no longer a platform admin.`) : r.disabled ? `${r.name} is disabled: their tokens no longer work.` : `${r.name} is enabled again.`;
    });

  return (
    <Section title="Users" testId="users">
      <ErrorNote error={error} context="Not changed" />
      {done && <Success>{done}</Success>}
      {token && <ShownOnce token={token} onDone={() => setToken(null)} />}
      <form className="card form form-inline" onSubmit={create} aria-label="Create a user">
        <label className="field">
          <span className="field-label">New user's name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={128} autoComplete="off" data-testid="new-user-name" />
        </label>
        <label className="field">
          <span className="field-label">Platform role</span>
          <select value={role} onChange={(e) => setRole(e.target.value as Role)} data-testid="new-user-role">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r === 'admin' ? 'admin (platform)' : r}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">Role in project {project}</span>
          <select value={projectRole} onChange={(e) => setProjectRole(e.target.value as ProjectRole | '')} disabled={role === 'admin'} data-testid="new-user-project-role">
            <option value="">none</option>
            {PROJECT_ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={withToken} onChange={(e) => setWithToken(e.target.checked)} />
          Also create a first token
        </label>
        <button type="submit" className="button button-primary" disabled={busy || !name.trim()} data-testid="new-user-submit">
          Create user
        </button>
      </form>
      <p className="muted small">
        Platform admins hold every role in every project and manage users, tokens and the audit trail. Users hold the roles their projects give them (see Members below).
      </p>
      <ErrorNote error={users.error} context="Could not load the users" onRetry={users.reload} />
      {!users.data && !users.error && <Loading what="Loading users" />}
      {users.data && (
        <TableWrap>
          <table className="table" data-testid="users-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Platform role</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.data.items.map((u) => (
                <tr key={u.name} data-testid={`user-row-${u.name}`}>
                  <th scope="row">
                    {u.name} {u.name === me.name && <span className="muted">(you)</span>}
                  </th>
                  <td>
                    <select value={u.role} onChange={(e) => update(u, { role: e.target.value as Role })} aria-label={`Role of ${u.name}`} disabled={busy} data-testid={`user-role-${u.name}`}>
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r === 'admin' ? 'admin (platform)' : r}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>{u.disabled ? <Badge tone="bad">disabled</Badge> : <Badge tone="good">active</Badge>}</td>
                  <td className="nowrap">
                    {formatTime(u.createdAt)} <span className="muted">by {u.createdBy}</span>
                  </td>
                  <td className="actions">
                    <button type="button" className="button button-small" onClick={() => onTokens(u.name)} aria-label={`Show the tokens of ${u.name}`}>
                      Tokens
                    </button>
                    <button
                      type="button"
                      className={`button button-small${u.disabled ? '' : ' button-danger'}`}
                      onClick={() => update(u, { disabled: !u.disabled })}
                      disabled={busy || u.name === me.name}
                      aria-label={`${u.disabled ? 'Enable' : 'Disable'} ${u.name}`}
                      data-testid={`user-toggle-${u.name}`}
                    >
                      {u.disabled ? 'Enable' : 'Disable'}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </Section>
  );
}

function Tokens({ users, user, setUser }: { users: UsersList; user: string; setUser: (u: string) => void }) {
  const tokens = useApi((signal) => api.get('/api/v1/tokens', { query: { user }, signal }), [user]);
  const [label, setLabel] = useState('');
  const [days, setDays] = useState('');
  const [deployments, setDeployments] = useState('');
  const [error, setError] = useState<unknown>();
  const [created, setCreated] = useState<NewToken | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setDone(null);
    try {
      const limited = deployments
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const t = await api.post('/api/v1/tokens', {
        body: { user, ...(label.trim() ? { name: label.trim() } : {}), ...(days ? { expiresInDays: Number(days) } : {}), ...(limited.length ? { deployments: limited } : {}) },
      });
      setCreated(t);
      setLabel('');
      setDays('');
      setDeployments('');
      tokens.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (id: string, name: string) => {
    if (!window.confirm(`Revoke the token ${name || id}? Whatever uses it stops working at once.`)) return;
    setError(undefined);
    setDone(null);
    try {
      await api.delete('/api/v1/tokens/{id}', { path: { id } });
      setDone(`Token ${name || id} revoked.`);
      tokens.reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <Section title="Tokens" testId="tokens">
      <label className="field field-inline">
        <span className="field-label">Tokens of</span>
        <select value={user} onChange={(e) => setUser(e.target.value)} data-testid="tokens-user">
          {(users.data?.items.map((u) => u.name) ?? [user]).map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      <ErrorNote error={error} context="Not done" />
      {done && <Success>{done}</Success>}
      {created && <ShownOnce token={created} onDone={() => setCreated(null)} />}
      <form className="card form form-inline" onSubmit={(e) => void create(e)} aria-label={`Create a token for ${user}`}>
        <label className="field">
          <span className="field-label">Label</span>
          <input value={label} onChange={(e) => setLabel(e.target.value)} placeholder="ci" maxLength={200} data-testid="new-token-name" />
        </label>
        <label className="field">
          <span className="field-label">Expires in (days)</span>
          <input type="number" min={1} max={3650} value={days} onChange={(e) => setDays(e.target.value)} placeholder="never" data-testid="new-token-days" />
        </label>
        <label className="field">
          <span className="field-label">Only for inference on (optional)</span>
          <input value={deployments} onChange={(e) => setDeployments(e.target.value)} placeholder="fraud, other-project/scoring" data-testid="new-token-deployments" />
        </label>
        <button type="submit" className="button button-primary" disabled={busy} data-testid="new-token-submit">
          Create token for {user}
        </button>
      </form>
      <ErrorNote error={tokens.error} context="Could not load the tokens" onRetry={tokens.reload} />
      {!tokens.data && !tokens.error && <Loading what="Loading tokens" />}
      {tokens.data && tokens.data.items.length === 0 && <Empty title={`${user} has no tokens.`} />}
      {tokens.data && tokens.data.items.length > 0 && (
        <TableWrap>
          <table className="table" data-testid="tokens-table">
            <thead>
              <tr>
                <th scope="col">Label</th>
                <th scope="col">Starts with</th>
                <th scope="col">Limited to</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.items.map((t) => (
                <tr key={t.id} data-testid={`token-row-${t.id}`}>
                  <th scope="row">{t.name || <span className="muted">(no label)</span>}</th>
                  <td>
                    <code>{t.prefix}…</code>
                  </td>
                  <td>{t.deployments ? t.deployments.join(', ') : <span className="muted">everything the role allows</span>}</td>
                  <td className="nowrap">
                    {formatTime(t.createdAt)} <span className="muted">by {t.createdBy}</span>
                  </td>
                  <td className="nowrap">{t.expiresAt ? formatTime(t.expiresAt) : <span className="muted">never</span>}</td>
                  <td className="nowrap">{t.lastUsedAt ? formatTime(t.lastUsedAt) : <span className="muted">never</span>}</td>
                  <td>{t.revokedAt ? <Badge tone="bad">revoked</Badge> : t.expiresAt && new Date(t.expiresAt) < new Date() ? <Badge tone="warn">expired</Badge> : <Badge tone="good">active</Badge>}</td>
                  <td>
                    {!t.revokedAt && (
                      <button type="button" className="button button-small button-danger" onClick={() => void revoke(t.id, t.name)} aria-label={`Revoke token ${t.name || t.prefix}`} data-testid={`revoke-${t.id}`}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </Section>
  );
}

export function AdminPage() {
  const { user, project } = useSession();
  const { role, can, platformAdmin } = useRole();
  const [tokensOf, setTokensOf] = useState(user.name);
  const users = useApi((signal) => api.get('/api/v1/users', { signal }), [], { enabled: platformAdmin });
  if (!can('admin')) {
    return (
      <>
        <PageTitle>Admin</PageTitle>
        <Empty title="This page is for admins.">
          <p>
            You are signed in as {user.name}, {role ? `a ${role}` : 'without a role'} in project {project}. A project admin can change your role.
          </p>
        </Empty>
      </>
    );
  }
  if (!platformAdmin) {
    return (
      <>
        <PageTitle sub={`Who may do what in project ${project}`}>Admin</PageTitle>
        <MembersPanel users={null} />
      </>
    );
  }
  return (
    <>
      <PageTitle sub="Users, project members, roles and API tokens">Admin</PageTitle>
      <MembersPanel users={users.data?.items.map((u) => u.name) ?? null} />
      <Users
        users={users}
        onTokens={(u) => {
          setTokensOf(u);
          document.getElementById('tokens-heading')?.scrollIntoView({ behavior: 'smooth' });
        }}
      />
      <Tokens users={users} user={tokensOf} setUser={setTokensOf} />
    </>
  );
}
