import type { MetadataStore, Repositories } from '../../db/metadata-store.js';
import type { ProjectRow } from '../../db/schema.js';
import { isoTime, type Clock } from '../../platform/clock.js';
import { conflict, notFound } from '../../platform/errors.js';
import { isUniqueViolation } from '../../db/executor.js';
import { newId } from '../../platform/ids.js';
import { checkName } from '../../platform/names.js';
import type { Principal } from '../../platform/principal.js';
import { optionalString } from '../../platform/validate.js';
import { domainEvent } from '../events/domain-event.js';

export const DEFAULT_PROJECT = 'default';

export interface ProjectView {
  name: string;
  description: string;
  createdAt: string;
  createdBy: string;
}

export function projectView(p: ProjectRow): ProjectView {
  return { name: p.name, description: p.description, createdAt: p.created_at, createdBy: p.created_by };
}

/** Every model (and later dataset, experiment, deployment) belongs to a project. */
export class ProjectsService {
  constructor(private readonly deps: { store: MetadataStore; clock: Clock }) {}

  async create(actor: Principal, input: { name: unknown; description?: unknown }): Promise<ProjectView> {
    const name = checkName('name', input.name);
    const description = optionalString('description', input.description, 10_000) ?? '';
    const { store, clock } = this.deps;
    const row: ProjectRow = { id: newId(clock.now()), name, description, created_at: isoTime(clock), created_by: actor.name };
    try {
      await store.transaction(async (tx) => {
        await tx.projects.insert(row);
        await tx.events.append(domainEvent(clock, actor.name, 'project.created', { type: 'project', id: row.id, projectId: row.id }, { name }));
        // Whoever creates a project administers it.
        await tx.members.put({ project_id: row.id, user_id: actor.userId, role: 'admin', created_at: row.created_at, created_by: actor.name });
        await tx.events.append(domainEvent(clock, actor.name, 'member.set', { type: 'project', id: row.id, projectId: row.id }, { user: actor.name, before: null, after: 'admin' }));
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('PROJECT_EXISTS', `a project named '${name}' already exists`, { field: 'name' });
      throw err;
    }
    return projectView(row);
  }

  /** Every project, or those whose ids are given (the projects a caller can see). */
  async list(visible: Set<string> | 'all' = 'all'): Promise<ProjectView[]> {
    return (await this.deps.store.projects.list()).filter((p) => visible === 'all' || visible.has(p.id)).map(projectView);
  }

  async get(name: string): Promise<ProjectView> {
    return projectView(await this.resolve(name));
  }

  /** The project named in a request (`?project=`), or the default project. */
  resolve(name: string | undefined): Promise<ProjectRow> {
    return resolveProject(this.deps.store, name);
  }
}

/** The project name a request gives (checked), or the default project's when it gives none. */
export function projectNameOrDefault(name: string | undefined): string {
  return name === undefined || name === '' ? DEFAULT_PROJECT : checkName('project', name);
}

/**
 * The project named in a request, or the default project. Takes the repositories to read from, so that
 * code inside a transaction reads through that transaction (SQLite has one connection: reading through the
 * store while a transaction holds it would wait forever).
 */
export async function resolveProject(repos: Pick<Repositories, 'projects'>, name: string | undefined): Promise<ProjectRow> {
  const wanted = projectNameOrDefault(name);
  const row = await repos.projects.getByName(wanted);
  if (!row) throw notFound('PROJECT_NOT_FOUND', `there is no project named '${wanted}'`, { field: 'project' });
  return row;
}
