/** Who is signed in, with which role, and which project the pages show. */
import { createContext, useContext } from 'react';
import type { Project, ProjectRole, WhoAmI } from '../api/types';

export interface Session {
  user: WhoAmI;
  project: string;
  projects: Project[];
  setProject(project: string): void;
  reloadProjects(): void;
  signOut(message?: string): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

export const PROJECT_ROLES: ProjectRole[] = ['viewer', 'contributor', 'reviewer', 'deployer', 'admin'];

/** What each project role adds, for hints ("a reviewer can approve"). */
export const ROLE_HINT: Record<ProjectRole, string> = {
  viewer: 'reads everything in the project',
  contributor: 'registers models and versions, uploads datasets, starts reports and gates, comments, requests promotions',
  reviewer: 'approves or rejects promotion requests',
  deployer: 'changes deployments, monitoring settings and alerts',
  admin: 'manages members, policies, risk tiers and webhooks',
};

/** The user's role in a project: platform admins hold every role everywhere; null when they have none. */
export function roleIn(user: WhoAmI, project: string): ProjectRole | null {
  if (user.role === 'admin') return 'admin';
  const role = (user.projects as Record<string, string | undefined>)[project];
  return role && (PROJECT_ROLES as string[]).includes(role) ? (role as ProjectRole) : null;
}

export function roleAtLeast(role: ProjectRole | null, needed: ProjectRole): boolean {
  return role !== null && PROJECT_ROLES.indexOf(role) >= PROJECT_ROLES.indexOf(needed);
}

/** Whether the user holds at least `needed` in the project. */
export function can(user: WhoAmI, project: string, needed: ProjectRole): boolean {
  return roleAtLeast(roleIn(user, project), needed);
}

/** The signed-in user's role in the current project, and `can(needed)` for it. */
export function useRole(): { role: ProjectRole | null; can: (needed: ProjectRole) => boolean; platformAdmin: boolean } {
  const { user, project } = useSession();
  const role = roleIn(user, project);
  return { role, can: (needed) => roleAtLeast(role, needed), platformAdmin: user.role === 'admin' };
}

/** "a contributor" / "an admin". */
export function withArticle(role: string): string {
  return `${/^[aeiou]/.test(role) ? 'an' : 'a'} ${role}`;
}

const PROJECT_KEY = 'steward.project';

export const projectStore = {
  get(): string {
    try {
      return localStorage.getItem(PROJECT_KEY) || 'default';
    } catch {
      return 'default';
    }
  },
  set(project: string): void {
    localStorage.setItem(PROJECT_KEY, project);
  },
};

/** `-p <project>` for CLI hints, when the project is not the default one. */
export function projectFlag(project: string): string {
  return project === 'default' ? '' : ` -p ${project}`;
}
