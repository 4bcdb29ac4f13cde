import type { Command } from 'commander';
import { cliContext, UsageError } from '../context.js';
import { keyValues, table } from '../output.js';
import type { TokenView, UserView } from '../../modules/auth/auth.service.js';
import type { ProjectView } from '../../modules/projects/projects.service.js';
import type { MemberView } from '../../modules/access/access.service.js';

type User = UserView;
type Token = TokenView;
type Project = ProjectView;

/** Collects repeated `--project name=role` options into an object. */
function collectPair(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new UsageError(`--project takes project=role, not '${value}'`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

export function adminCommands(program: Command): void {
  const users = program.command('users').description('users and their platform roles (platform admins)');
  users
    .command('create <name>')
    .description('create a user, optionally with roles in projects')
    .option('--admin', 'make them a platform admin (every project, users, tokens, the audit trail)')
    .option('-p, --project <project=role>', 'a role in a project (viewer, contributor, reviewer, deployer or admin); repeatable', collectPair, {})
    .option('--with-token', 'also create a token for the user and print it')
    .action(async (name: string, opts: { admin?: boolean; project: Record<string, string>; withToken?: boolean }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const user = await client.json<User>('POST', '/api/v1/users', { name, role: opts.admin ? 'admin' : 'user', projects: opts.project });
      const token = opts.withToken ? await client.json<Token & { token: string }>('POST', '/api/v1/tokens', { user: name, name: 'initial' }) : undefined;
      out.result(token ? { ...user, token: token.token } : user, () => `created user '${user.name}' (${user.role})${token ? `\ntoken (shown once): ${token.token}` : ''}`);
    });
  users
    .command('list')
    .description('list users')
    .action(async (_opts: unknown, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const r = await client.json<{ items: User[] }>('GET', '/api/v1/users');
      out.result(r, () => table(['NAME', 'ROLE', 'DISABLED', 'CREATED'], r.items.map((u) => [u.name, u.role, u.disabled ? 'yes' : '', u.createdAt])));
    });
  users
    .command('update <name>')
    .description("change a user's platform role, or disable or enable them (roles in projects: steward projects members)")
    .option('-r, --role <role>', 'user or admin (platform admin)')
    .option('--disable', 'disable the user (their tokens stop working)')
    .option('--enable', 'enable the user again')
    .action(async (name: string, opts: { role?: string; disable?: boolean; enable?: boolean }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const body: Record<string, unknown> = {};
      if (opts.role) body.role = opts.role;
      if (opts.disable) body.disabled = true;
      if (opts.enable) body.disabled = false;
      const u = await client.json<User>('PATCH', `/api/v1/users/${encodeURIComponent(name)}`, body);
      out.result(u, () => `${u.name}: ${u.role}${u.disabled ? ' (disabled)' : ''}`);
    });

  const tokens = program.command('tokens').description('API tokens');
  tokens
    .command('create')
    .description('create a token (for yourself, or for --user as an admin); it is shown once')
    .option('-u, --user <name>', 'the user (admins only)')
    .option('-n, --name <name>', 'a label for the token')
    .option('--expires-in-days <n>', 'expiry in days', (v: string) => Number(v))
    .action(async (opts: { user?: string; name?: string; expiresInDays?: number }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const t = await client.json<Token & { token: string }>('POST', '/api/v1/tokens', opts);
      out.result(t, () => `token for '${t.user}' (shown once):\n${t.token}`);
    });
  tokens
    .command('list')
    .description('list tokens (yours, or --user as an admin)')
    .option('-u, --user <name>', 'the user (admins only)')
    .action(async (opts: { user?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const r = await client.json<{ items: Token[] }>('GET', `/api/v1/tokens${opts.user ? `?user=${encodeURIComponent(opts.user)}` : ''}`);
      out.result(r, () =>
        table(
          ['ID', 'NAME', 'PREFIX', 'CREATED', 'LAST USED', 'STATE'],
          r.items.map((t) => [t.id, t.name, `${t.prefix}…`, t.createdAt, t.lastUsedAt ?? 'never', t.revokedAt ? 'revoked' : t.expiresAt && t.expiresAt < new Date().toISOString() ? 'expired' : 'active']),
        ),
      );
    });
  tokens
    .command('revoke <id>')
    .description('revoke a token')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const t = await client.json<Token>('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
      out.result(t, () => `revoked token ${t.id} (${t.name}) of '${t.user}'`);
    });

  const projects = program.command('projects').description('projects');
  projects
    .command('create <name>')
    .description('create a project')
    .option('-d, --description <text>', 'what the project is for')
    .action(async (name: string, opts: { description?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const p = await client.json<Project>('POST', '/api/v1/projects', { name, description: opts.description });
      out.result(p, () => `created project '${p.name}'`);
    });
  projects
    .command('list')
    .description('list projects')
    .action(async (_opts: unknown, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const r = await client.json<{ items: Project[] }>('GET', '/api/v1/projects');
      out.result(r, () => table(['NAME', 'DESCRIPTION', 'CREATED', 'BY'], r.items.map((p) => [p.name, p.description, p.createdAt, p.createdBy])));
    });

  const members = projects.command('members').description("who has which role in a project (viewer < contributor < reviewer < deployer < admin)");
  members
    .command('list <project>')
    .description("list a project's members")
    .action(async (project: string, _opts: unknown, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const r = await client.json<{ items: MemberView[] }>('GET', `/api/v1/projects/${encodeURIComponent(project)}/members`);
      out.result(r, () => table(['USER', 'ROLE', 'SINCE', 'GRANTED BY'], r.items.map((m) => [m.user, m.role, m.since, m.grantedBy])));
    });
  members
    .command('set <project> <user> <role>')
    .description('give a user a role in a project (project admins)')
    .action(async (project: string, user: string, role: string, _opts: unknown, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const m = await client.json<MemberView>('PUT', `/api/v1/projects/${encodeURIComponent(project)}/members/${encodeURIComponent(user)}`, { role });
      out.result(m, () => `${m.user} is now a ${m.role} in '${project}'`);
    });
  members
    .command('remove <project> <user>')
    .description("take away a user's role in a project (project admins)")
    .action(async (project: string, user: string, _opts: unknown, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      await client.json('DELETE', `/api/v1/projects/${encodeURIComponent(project)}/members/${encodeURIComponent(user)}`);
      out.result({ project, user, removed: true }, () => `${user} has no role in '${project}' any more`);
    });

  program
    .command('whoami')
    .description('the user behind your token')
    .action(async (_opts: unknown, cmd: Command) => {
      const { client, out, server } = await cliContext(cmd);
      const me = await client.json<User>('GET', '/api/v1/whoami');
      out.result({ ...me, server }, () => keyValues([['server', server], ['user', me.name], ['role', me.role]]));
    });
}
