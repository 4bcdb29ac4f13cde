/** A project's members and their roles: project admins grant, change and take away roles. */
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { Member, ProjectRole } from '../../api/types';
import { formatTime } from '../../lib/format';
import { PROJECT_ROLES, ROLE_HINT, useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { TableWrap } from '../../components/table';
import { Empty, ErrorNote, Loading, Section, Success } from '../../components/ui';

/** `users`: the user names to offer (platform admins can list them), or null to type a name. */
export function MembersPanel({ users }: { users: string[] | null }) {
  const { project, user: me, reloadProjects } = useSession();
  const members = useApi((signal) => api.get('/api/v1/projects/{project}/members', { path: { project }, signal }), [project]);
  const [name, setName] = useState('');
  const [role, setRole] = useState<ProjectRole>('viewer');
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (what: () => Promise<string>) => {
    setBusy(true);
    setError(undefined);
    setDone(null);
    try {
      setDone(await what());
      members.reload();
      reloadProjects();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const grant = (user: string, r: ProjectRole) =>
    run(async () => {
      const m = await api.put('/api/v1/projects/{project}/members/{user}', { path: { project, user }, body: { role: r } });
      return `${m.user} is now ${r} in ${project}.`;
    });
  const remove = (m: Member) => {
    if (!window.confirm(`Take away ${m.user}'s role (${m.role}) in ${project}?`)) return;
    void run(async () => {
      await api.delete('/api/v1/projects/{project}/members/{user}', { path: { project, user: m.user } });
      return `${m.user} no longer has a role in ${project}.`;
    });
  };
  const add = (e: FormEvent) => {
    e.preventDefault();
    const n = name.trim();
    if (!n) return;
    void grant(n, role).then(() => setName(''));
  };

  const items = members.data?.items ?? [];
  return (
    <Section title={`Members of ${project}`} id="members" testId="members">
      <ErrorNote error={error} context="Not changed" />
      {done && <Success>{done}</Success>}
      <form className="card form form-inline" onSubmit={add} aria-label={`Give a user a role in ${project}`}>
        <label className="field">
          <span className="field-label">User</span>
          <input value={name} onChange={(e) => setName(e.target.value)} list={users ? 'member-users' : undefined} required maxLength={128} autoComplete="off" data-testid="member-name" />
          {users && (
            <datalist id="member-users">
              {users
                .filter((u) => !items.some((m) => m.user === u))
                .map((u) => (
                  <option key={u} value={u} />
                ))}
            </datalist>
          )}
        </label>
        <label className="field">
          <span className="field-label">Role</span>
          <select value={role} onChange={(e) => setRole(e.target.value as ProjectRole)} data-testid="member-role">
            {PROJECT_ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="button button-primary" disabled={busy || !name.trim()} data-testid="member-submit">
          Give role
        </button>
      </form>
      <ul className="muted small">
        {PROJECT_ROLES.map((r) => (
          <li key={r}>
            <strong>{r}</strong>: {ROLE_HINT[r]}
            {r !== 'viewer' && ', and all the roles before'}
          </li>
        ))}
      </ul>
      <ErrorNote error={members.error} context="Could not load the members" onRetry={members.reload} />
      {!members.data && !members.error && <Loading what="Loading members" />}
      {members.data && items.length === 0 && <Empty title={`Nobody has a role in ${project} yet (platform admins have every role).`} />}
      {items.length > 0 && (
        <TableWrap>
          <table className="table" data-testid="members-table">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Since</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((m) => (
                <tr key={m.user} data-testid={`member-row-${m.user}`}>
                  <th scope="row">
                    {m.user} {m.user === me.name && <span className="muted">(you)</span>}
                  </th>
                  <td>
                    <select value={m.role} onChange={(e) => void grant(m.user, e.target.value as ProjectRole)} aria-label={`Role of ${m.user} in ${project}`} disabled={busy} data-testid={`member-role-${m.user}`}>
                      {PROJECT_ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td className="nowrap">
                    {formatTime(m.since)} <span className="muted">by {m.grantedBy}</span>
                  </td>
                  <td>
                    <button type="button" className="button button-small button-danger" onClick={() => remove(m)} disabled={busy} aria-label={`Remove ${m.user} from ${project}`} data-testid={`member-remove-${m.user}`}>
                      Remove
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
