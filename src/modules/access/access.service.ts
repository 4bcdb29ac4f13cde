import type { MetadataStore } from '../../db/metadata-store.js';
import type { ProjectRow } from '../../db/schema.js';
import { isoTime, type Clock } from '../../platform/clock.js';
import { forbidden, invalidField, notFound } from '../../platform/errors.js';
import { checkName } from '../../platform/names.js';
import { isProjectRole, PROJECT_ROLES, roleAtLeast, type Principal, type ProjectRole } from '../../platform/principal.js';
import { domainEvent } from '../events/domain-event.js';
import { resolveProject } from '../projects/projects.service.js';

export interface MemberView {
  user: string;
  role: ProjectRole;
  since: string;
  grantedBy: string;
}

/** How long a user's project roles are trusted without asking the database again (as tokens are). */
const ROLE_CACHE_MS = 10_000;
const ROLE_CACHE_MAX = 10_000;

/**
 * Roles in projects: who may do what where. Platform admins hold every role in every project; everyone
 * else holds the role their membership gives, or none. Every project-role route is checked here (by the
 * app's hook, or by the handler once it knows the project of the object it addresses).
 */
export class AccessService {
  /** Per user: role by project id and by project name. */
  private readonly cache = new Map<string, { until: number; roles: Map<string, ProjectRole>; byName: Map<string, ProjectRole> }>();
  private generation = 0;
  private readonly projects = new Map<string, ProjectRow>();

  constructor(private readonly deps: { store: MetadataStore; clock: Clock }) {}

  /** The caller's role in a project, or null when they have none. */
  async roleIn(principal: Principal, projectId: string): Promise<ProjectRole | null> {
    if (principal.role === 'admin') return 'admin';
    return (await this.rolesOf(principal.userId)).roles.get(projectId) ?? null;
  }

  /**
   * The inference path's fast lane: whether the caller may read the project (by name), from the cache
   * alone; undefined when the cache cannot say (then use `require`).
   */
  cachedViewer(principal: Principal, projectName: string): boolean | undefined {
    if (principal.role === 'admin') return true;
    const cached = this.cache.get(principal.userId);
    if (!cached || cached.until <= this.deps.clock.now()) return undefined;
    return cached.byName.has(projectName);
  }

  /** Throws 403 unless the caller holds `needed` (or a stronger role) in the project. */
  async require(principal: Principal, projectId: string, needed: ProjectRole): Promise<ProjectRole> {
    const role = await this.roleIn(principal, projectId);
    if (role === null || !roleAtLeast(role, needed)) {
      const project = (await this.deps.store.projects.getById(projectId))?.name ?? projectId;
      throw forbidden(
        role === null
          ? `'${principal.name}' has no role in project '${project}'; this needs ${needed}`
          : `this needs the ${needed} role in project '${project}'; '${principal.name}' is a ${role} there`,
        { required: needed, actual: role, project },
      );
    }
    return role;
  }

  /** The project a request names (the default project when none), checked for the caller's role. */
  async check(principal: Principal, projectName: string | undefined, needed: ProjectRole): Promise<{ project: ProjectRow; role: ProjectRole }> {
    const project = await this.projectNamed(projectName);
    const role = await this.require(principal, project.id, needed);
    return { project, role };
  }

  /** Projects by name, remembered: a project is never renamed or deleted, so its row cannot go stale. */
  async projectNamed(name: string | undefined): Promise<ProjectRow> {
    const known = this.projects.get(name ?? '');
    if (known) return known;
    const row = await resolveProject(this.deps.store, name);
    if (this.projects.size >= ROLE_CACHE_MAX) this.projects.clear();
    this.projects.set(name ?? '', row);
    return row;
  }

  /** Ids of the projects the caller may read (every project for platform admins). */
  async visibleProjectIds(principal: Principal): Promise<Set<string> | 'all'> {
    if (principal.role === 'admin') return 'all';
    return new Set((await this.rolesOf(principal.userId)).roles.keys());
  }

  async listMembers(projectName: string): Promise<MemberView[]> {
    const project = await resolveProject(this.deps.store, projectName);
    return (await this.deps.store.members.list(project.id)).map((m) => ({ user: m.user_name, role: m.role as ProjectRole, since: m.created_at, grantedBy: m.created_by }));
  }

  /** Gives a user a role in a project (replacing the one they had). */
  async setMember(actor: Principal, projectName: string, userName: string, input: { role: unknown }): Promise<MemberView> {
    checkName('user', userName);
    if (!isProjectRole(input.role)) throw invalidField('role', `must be one of ${PROJECT_ROLES.join(', ')}`);
    const role = input.role;
    const { store, clock } = this.deps;
    const view = await store.transaction(async (tx) => {
      const project = await resolveProject(tx, projectName);
      const user = await tx.users.getByName(userName);
      if (!user) throw notFound('USER_NOT_FOUND', `there is no user named '${userName}'`, { field: 'user' });
      const before = await tx.members.get(project.id, user.id);
      const now = isoTime(clock);
      await tx.members.put({ project_id: project.id, user_id: user.id, role, created_at: now, created_by: actor.name });
      await tx.events.append(
        domainEvent(clock, actor.name, 'member.set', { type: 'project', id: project.id, projectId: project.id }, { user: userName, before: before?.role ?? null, after: role }),
      );
      return { user: userName, role, since: now, grantedBy: actor.name };
    });
    this.forget();
    return view;
  }

  async removeMember(actor: Principal, projectName: string, userName: string): Promise<void> {
    const { store, clock } = this.deps;
    await store.transaction(async (tx) => {
      const project = await resolveProject(tx, projectName);
      const user = await tx.users.getByName(userName);
      const before = user ? await tx.members.get(project.id, user.id) : undefined;
      if (!user || !before) throw notFound('MEMBER_NOT_FOUND', `'${userName}' has no role in project '${project.name}'`, { field: 'user' });
      await tx.members.remove(project.id, user.id);
      await tx.events.append(domainEvent(clock, actor.name, 'member.removed', { type: 'project', id: project.id, projectId: project.id }, { user: userName, before: before.role, after: null }));
    });
    this.forget();
  }

  /** Called after a membership change has committed in this process. */
  forget(): void {
    this.generation++;
    this.cache.clear();
  }

  private async rolesOf(userId: string): Promise<{ roles: Map<string, ProjectRole>; byName: Map<string, ProjectRole> }> {
    const now = this.deps.clock.now();
    const cached = this.cache.get(userId);
    if (cached && cached.until > now) return cached;
    const generation = this.generation;
    const rows = await this.deps.store.members.forUser(userId);
    const entry = {
      until: now + ROLE_CACHE_MS,
      roles: new Map(rows.map((m) => [m.project_id, m.role as ProjectRole])),
      byName: new Map(rows.map((m) => [m.project_name, m.role as ProjectRole])),
    };
    if (generation === this.generation) {
      if (this.cache.size >= ROLE_CACHE_MAX) this.cache.clear();
      this.cache.set(userId, entry);
    }
    return entry;
  }
}
