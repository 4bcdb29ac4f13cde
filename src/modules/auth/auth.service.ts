import type { MetadataStore } from '../../db/metadata-store.js';
import type { ApiTokenRow, UserRow } from '../../db/schema.js';
import { isUniqueViolation } from '../../db/executor.js';
import { isoTime, type Clock } from '../../platform/clock.js';
import { conflict, forbidden, invalidField, notFound, unauthenticated } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { checkName } from '../../platform/names.js';
import { isPlatformRole, isProjectRole, PLATFORM_ROLES, PROJECT_ROLES, SYSTEM_ACTOR, type PlatformRole, type Principal, type ProjectRole } from '../../platform/principal.js';
import { resolveProject } from '../projects/projects.service.js';
import { optionalString } from '../../platform/validate.js';
import { domainEvent } from '../events/domain-event.js';
import { displayPrefix, generateToken, hashToken } from './tokens.js';

export interface UserView {
  name: string;
  /** The platform role: 'admin' (platform admin) or 'user'. */
  role: PlatformRole;
  disabled: boolean;
  createdAt: string;
  createdBy: string;
}

export interface TokenView {
  id: string;
  user: string;
  name: string;
  prefix: string;
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  /** When set, the token may only call inference on these deployments ("project/name"). */
  deployments: string[] | null;
}

export interface BootstrapResult {
  /** A newly created admin, or undefined when the store already had users. */
  admin?: string;
  /** The generated token, to be shown once; absent when STEWARD_ADMIN_TOKEN was used. */
  generatedToken?: string;
}

const TOUCH_EVERY_MS = 60_000;
/**
 * How long a checked token is trusted without asking the database again. Revoking a token or changing a
 * user clears this process's cache at once; other processes sharing a PostgreSQL store notice within this time.
 */
const AUTH_CACHE_MS = 10_000;
const AUTH_CACHE_MAX = 10_000;

interface CachedToken {
  principal: Principal;
  expiresAt: string | null;
  until: number;
}

function userView(u: UserRow): UserView {
  return { name: u.name, role: u.role as PlatformRole, disabled: u.disabled === 1, createdAt: u.created_at, createdBy: u.created_by };
}

function tokenView(t: ApiTokenRow, user: string): TokenView {
  return {
    id: t.id,
    user,
    name: t.name,
    prefix: t.prefix,
    createdAt: t.created_at,
    createdBy: t.created_by,
    expiresAt: t.expires_at,
    revokedAt: t.revoked_at,
    lastUsedAt: t.last_used_at,
    deployments: parseScope(t.scope),
  };
}

function parseScope(scope: string | null): string[] | null {
  if (scope === null) return null;
  return (JSON.parse(scope) as { deployments: string[] }).deployments;
}

/** "name" or "project/name" → "project/name" (the default project when none is named). */
function scopeEntry(field: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidField(field, 'must be a string "deployment" or "project/deployment"');
  const parts = value.split('/');
  if (parts.length > 2) throw invalidField(field, `'${value}' must be "deployment" or "project/deployment"`);
  const [project, name] = parts.length === 2 ? [parts[0], parts[1]] : ['default', parts[0]];
  checkName(field, project);
  checkName(field, name);
  return `${project}/${name}`;
}

/** Users, API tokens and authentication. */
export class AuthService {
  private readonly lastTouched = new Map<string, number>();
  private readonly authCache = new Map<string, CachedToken>();
  /** Bumped whenever the cache is cleared; a lookup that started before a clear must not refill it. */
  private cacheGeneration = 0;

  constructor(private readonly deps: { store: MetadataStore; clock: Clock }) {}

  /** On first start with no users, creates the admin user and its first token. */
  async bootstrap(adminToken: string | undefined): Promise<BootstrapResult> {
    const { store, clock } = this.deps;
    return store.transaction(async (tx) => {
      if ((await tx.users.count()) > 0) return {};
      const token = adminToken ?? generateToken();
      const now = isoTime(clock);
      const user: UserRow = { id: newId(clock.now()), name: 'admin', role: 'admin', disabled: 0, created_at: now, created_by: SYSTEM_ACTOR };
      await tx.users.insert(user);
      await tx.tokens.insert({
        id: newId(clock.now()),
        user_id: user.id,
        name: 'bootstrap',
        token_hash: hashToken(token),
        prefix: displayPrefix(token),
        created_at: now,
        created_by: SYSTEM_ACTOR,
        expires_at: null,
        revoked_at: null,
        last_used_at: null,
        scope: null,
      });
      await tx.events.append(domainEvent(clock, SYSTEM_ACTOR, 'user.created', { type: 'user', id: user.id }, { name: 'admin', role: 'admin', bootstrap: true }));
      return adminToken === undefined ? { admin: user.name, generatedToken: token } : { admin: user.name };
    });
  }

  /** Whether this token exists and is usable (for start-up warnings). */
  async tokenIsValid(token: string): Promise<boolean> {
    try {
      await this.authenticate(`Bearer ${token}`);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The principal of a token checked within the last few seconds, without waiting for anything; undefined
   * when the token must be checked by `authenticate`. (The inference path's fast lane.)
   */
  cachedPrincipal(header: string | undefined): Principal | undefined {
    if (header === undefined || header.length < 8 || !/^bearer /i.test(header.slice(0, 7))) return undefined;
    const token = header.slice(7).trim();
    if (token === '' || /\s/.test(token)) return undefined;
    const now = this.deps.clock.now();
    const cached = this.authCache.get(hashToken(token));
    if (!cached || cached.until <= now || (cached.expiresAt !== null && cached.expiresAt <= new Date(now).toISOString())) return undefined;
    if (now - (this.lastTouched.get(cached.principal.tokenId) ?? 0) >= TOUCH_EVERY_MS) return undefined; // let authenticate record the use
    return cached.principal;
  }

  /** Resolves an Authorization header to a principal, or throws 401. */
  async authenticate(header: string | undefined): Promise<Principal> {
    if (header === undefined || header === '') throw unauthenticated('missing Authorization header: send "Authorization: Bearer <token>"');
    const { token, user } = tokenOfHeader(header);
    const principal = await this.principalOfToken(token);
    if (user !== undefined && user !== '' && user !== principal.name) {
      throw unauthenticated(`the token belongs to '${principal.name}', not to '${user}' (Basic authentication: the user name and a Steward token as the password)`);
    }
    return principal;
  }

  private async principalOfToken(token: string): Promise<Principal> {
    const hash = hashToken(token);
    const now = this.deps.clock.now();
    const nowIso = new Date(now).toISOString();
    const cached = this.authCache.get(hash);
    if (cached && cached.until > now && (cached.expiresAt === null || cached.expiresAt > nowIso)) {
      await this.touch(cached.principal.tokenId, now);
      return cached.principal;
    }
    const generation = this.cacheGeneration;
    const found = await this.deps.store.tokens.findByHash(hash);
    if (!found || found.token.revoked_at !== null || found.user.disabled === 1 || (found.token.expires_at !== null && found.token.expires_at <= nowIso)) {
      this.authCache.delete(hash);
      throw unauthenticated('the token is not valid (unknown, revoked, expired, or its user is disabled)');
    }
    const principal: Principal = { userId: found.user.id, name: found.user.name, role: found.user.role as PlatformRole, tokenId: found.token.id, deployments: parseScope(found.token.scope) };
    if (generation === this.cacheGeneration) {
      if (this.authCache.size >= AUTH_CACHE_MAX) this.authCache.clear();
      this.authCache.set(hash, { principal, expiresAt: found.token.expires_at, until: now + AUTH_CACHE_MS });
    }
    await this.touch(found.token.id, now);
    return principal;
  }

  /**
   * Called after a revocation or user change has committed: empties the cache, and the generation bump
   * stops lookups that read the old state before the commit from caching it afterwards.
   */
  private forgetCachedTokens(): void {
    this.cacheGeneration++;
    this.authCache.clear();
  }

  /** Records when a token was last used, at most once a minute per token. */
  private async touch(tokenId: string, now: number): Promise<void> {
    const last = this.lastTouched.get(tokenId) ?? 0;
    if (now - last < TOUCH_EVERY_MS) return;
    this.lastTouched.set(tokenId, now);
    await this.deps.store.tokens.touch(tokenId, new Date(now).toISOString());
  }

  /** The caller, with their roles in projects (platform admins hold every role everywhere). */
  async whoami(actor: Principal): Promise<UserView & { tokenId: string; projects: Record<string, ProjectRole> }> {
    const u = await this.deps.store.users.getByName(actor.name);
    if (!u) throw notFound('USER_NOT_FOUND', `there is no user named '${actor.name}'`);
    const projects = Object.fromEntries((await this.deps.store.members.forUser(u.id)).map((m) => [m.project_name, m.role as ProjectRole]));
    return { ...userView(u), tokenId: actor.tokenId, projects };
  }

  /**
   * Creates a user with a platform role ('user' or 'admin') and, optionally, roles in projects
   * (`projects: { "<project>": "<role>" }`), all in one transaction.
   */
  async createUser(actor: Principal, input: { name: unknown; role: unknown; projects?: unknown }): Promise<UserView & { projects: Record<string, ProjectRole> }> {
    const name = checkName('name', input.name);
    if (name === SYSTEM_ACTOR) throw invalidField('name', `'${SYSTEM_ACTOR}' is reserved`, 'INVALID_NAME');
    if (!isPlatformRole(input.role)) throw invalidField('role', `must be one of ${PLATFORM_ROLES.join(', ')} (roles in projects go in 'projects')`);
    const grants: [string, ProjectRole][] = [];
    if (input.projects !== undefined) {
      if (typeof input.projects !== 'object' || input.projects === null || Array.isArray(input.projects)) throw invalidField('projects', 'must be an object: project name → role');
      for (const [project, role] of Object.entries(input.projects)) {
        checkName(`projects.${project}`, project);
        if (!isProjectRole(role)) throw invalidField(`projects.${project}`, `must be one of ${PROJECT_ROLES.join(', ')}`);
        grants.push([project, role]);
      }
    }
    const { store, clock } = this.deps;
    const now = isoTime(clock);
    const row: UserRow = { id: newId(clock.now()), name, role: input.role, disabled: 0, created_at: now, created_by: actor.name };
    try {
      await store.transaction(async (tx) => {
        await tx.users.insert(row);
        await tx.events.append(domainEvent(clock, actor.name, 'user.created', { type: 'user', id: row.id }, { name, role: row.role }));
        for (const [projectName, role] of grants) {
          const project = await resolveProject(tx, projectName);
          await tx.members.put({ project_id: project.id, user_id: row.id, role, created_at: now, created_by: actor.name });
          await tx.events.append(domainEvent(clock, actor.name, 'member.set', { type: 'project', id: project.id, projectId: project.id }, { user: name, before: null, after: role }));
        }
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('USER_EXISTS', `a user named '${name}' already exists`, { field: 'name' });
      throw err;
    }
    return { ...userView(row), projects: Object.fromEntries(grants) };
  }

  async listUsers(): Promise<UserView[]> {
    return (await this.deps.store.users.list()).map(userView);
  }

  async updateUser(actor: Principal, name: string, input: { role?: unknown; disabled?: unknown }): Promise<UserView> {
    const { store, clock } = this.deps;
    if (input.role !== undefined && !isPlatformRole(input.role)) throw invalidField('role', `must be one of ${PLATFORM_ROLES.join(', ')}`);
    if (input.disabled !== undefined && typeof input.disabled !== 'boolean') throw invalidField('disabled', 'must be true or false');
    const mayRemoveAdmin = (input.role !== undefined && input.role !== 'admin') || input.disabled === true;
    const updated = await store.transaction(async (tx) => {
      // Lock the active admins first, so that two concurrent demotions cannot both see "another admin left".
      const activeAdmins = mayRemoveAdmin ? await tx.users.lockActiveAdmins() : Infinity;
      const user = await tx.users.getByName(name);
      if (!user) throw notFound('USER_NOT_FOUND', `there is no user named '${name}'`);
      const patch: Partial<Pick<UserRow, 'role' | 'disabled'>> = {};
      if (input.role !== undefined) patch.role = input.role as PlatformRole;
      if (input.disabled !== undefined) patch.disabled = input.disabled ? 1 : 0;
      const losesAdmin = user.role === 'admin' && user.disabled === 0 && ((patch.role !== undefined && patch.role !== 'admin') || patch.disabled === 1);
      if (losesAdmin && activeAdmins <= 1) throw conflict('LAST_ADMIN', `'${name}' is the last active admin; make another admin first`);
      await tx.users.update(user.id, patch);
      await tx.events.append(domainEvent(clock, actor.name, 'user.updated', { type: 'user', id: user.id }, { name, ...input }));
      return userView({ ...user, ...patch });
    });
    this.forgetCachedTokens();
    return updated;
  }

  /**
   * Creates a token. Admins may create tokens for anyone; other users only for themselves. The token text
   * is returned once and never again.
   */
  async createToken(actor: Principal, input: { user?: unknown; name?: unknown; expiresInDays?: unknown; deployments?: unknown }): Promise<TokenView & { token: string }> {
    const { store, clock } = this.deps;
    const userName = input.user === undefined ? actor.name : checkName('user', input.user);
    if (userName !== actor.name && actor.role !== 'admin') throw forbidden('only admins can create tokens for other users');
    const name = optionalString('name', input.name, 200) ?? 'token';
    let expiresAt: string | null = null;
    if (input.expiresInDays !== undefined) {
      const d = input.expiresInDays;
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > 3650) throw invalidField('expiresInDays', 'must be an integer from 1 to 3650');
      expiresAt = new Date(clock.now() + d * 86_400_000).toISOString();
    }
    let scope: string | null = null;
    if (input.deployments !== undefined) {
      if (!Array.isArray(input.deployments) || input.deployments.length === 0 || input.deployments.length > 100) {
        throw invalidField('deployments', 'must be a list of 1 to 100 deployment names ("name" or "project/name")');
      }
      scope = JSON.stringify({ deployments: [...new Set(input.deployments.map((d, i) => scopeEntry(`deployments[${i}]`, d)))] });
    }
    if (actor.deployments && scope === null) throw forbidden('a token limited to inference can only create tokens with the same or a narrower limit');
    if (actor.deployments && scope !== null && !parseScope(scope)!.every((d) => actor.deployments!.includes(d))) {
      throw forbidden('a token limited to inference can only create tokens for the deployments it may call');
    }
    const token = generateToken();
    return store.transaction(async (tx) => {
      const user = await tx.users.getByName(userName);
      if (!user) throw notFound('USER_NOT_FOUND', `there is no user named '${userName}'`, { field: 'user' });
      const row: ApiTokenRow = {
        id: newId(clock.now()),
        user_id: user.id,
        name,
        token_hash: hashToken(token),
        prefix: displayPrefix(token),
        created_at: isoTime(clock),
        created_by: actor.name,
        expires_at: expiresAt,
        revoked_at: null,
        last_used_at: null,
        scope,
      };
      await tx.tokens.insert(row);
      await tx.events.append(domainEvent(clock, actor.name, 'token.created', { type: 'token', id: row.id }, { user: userName, name, deployments: parseScope(scope) }));
      return { ...tokenView(row, userName), token };
    });
  }

  async listTokens(actor: Principal, userName?: string): Promise<TokenView[]> {
    const name = userName ?? actor.name;
    if (name !== actor.name && actor.role !== 'admin') throw forbidden("only admins can list other users' tokens");
    const user = await this.deps.store.users.getByName(name);
    if (!user) throw notFound('USER_NOT_FOUND', `there is no user named '${name}'`, { field: 'user' });
    return (await this.deps.store.tokens.listForUser(user.id)).map((t) => tokenView(t, name));
  }

  async revokeToken(actor: Principal, id: string): Promise<TokenView> {
    const { store, clock } = this.deps;
    const revoked = await store.transaction(async (tx) => {
      const token = await tx.tokens.getById(id);
      if (!token) throw notFound('TOKEN_NOT_FOUND', `there is no token with id '${id}'`);
      if (token.user_id !== actor.userId && actor.role !== 'admin') throw forbidden("only admins can revoke other users' tokens");
      const at = isoTime(clock);
      await tx.tokens.revoke(id, at);
      await tx.events.append(domainEvent(clock, actor.name, 'token.revoked', { type: 'token', id }, {}));
      const owner = (await tx.users.getById(token.user_id))?.name ?? '';
      return tokenView({ ...token, revoked_at: token.revoked_at ?? at }, owner);
    });
    this.forgetCachedTokens();
    return revoked;
  }
}

/**
 * The token in an Authorization header: "Bearer <token>" (Steward's clients, and MLflow's with
 * MLFLOW_TRACKING_TOKEN), or "Basic base64(user:token)" (MLflow's with MLFLOW_TRACKING_USERNAME and
 * MLFLOW_TRACKING_PASSWORD, the password being a Steward token).
 */
export function tokenOfHeader(header: string): { token: string; user?: string } {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer) return { token: bearer[1]! };
  const basic = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0 || (colon === 0 && decoded.length > 1)) {
      const token = decoded.slice(colon + 1);
      if (token !== '') return { token, user: decoded.slice(0, colon) };
    }
  }
  throw unauthenticated('the Authorization header must be "Bearer <token>" (or "Basic" with a user name and a token as the password)');
}
