import type { Command } from 'commander';
import { cliContext } from '../context.js';
import { keyValues, table } from '../output.js';
import type { TokenView, UserView } from '../../modules/auth/auth.service.js';
import type { ProjectView } from '../../modules/projects/projects.service.js';

type User = UserView;
type Token = TokenView;
type Project = ProjectView;

export function adminCommands(program: Command): void {
  const users = program.command('users').description('users and their roles (admin)');
  users
    .command('create <name>')
    .description('create a user')
    .requiredOption('-r, --role <role>', 'viewer, maintainer or admin')
    .option('--with-token', 'also create a token for the user and print it')
    .action(async (name: string, opts: { role: string; withToken?: boolean }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const user = await client.json<User>('POST', '/api/v1/users', { name, role: opts.role });
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
    .description("change a user's role, or disable or enable them")
    .option('-r, --role <role>', 'viewer, maintainer or admin')
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

  program
    .command('whoami')
    .description('the user behind your token')
    .action(async (_opts: unknown, cmd: Command) => {
      const { client, out, server } = await cliContext(cmd);
      const me = await client.json<User>('GET', '/api/v1/whoami');
      out.result({ ...me, server }, () => keyValues([['server', server], ['user', me.name], ['role', me.role]]));
    });
}
