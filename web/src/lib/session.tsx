/** Who is signed in, with which role, and which project the pages show. */
import { createContext, useContext } from 'react';
import type { Project, Role, WhoAmI } from '../api/types';

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

const ORDER: Role[] = ['viewer', 'maintainer', 'admin'];

export function roleAtLeast(role: Role, needed: Role): boolean {
  return ORDER.indexOf(role) >= ORDER.indexOf(needed);
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
