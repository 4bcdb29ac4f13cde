import type { MetadataStore, Repositories } from '../../db/metadata-store.js';
import { isUniqueViolation } from '../../db/executor.js';
import type { ProjectRow, RecipeRow, RecipeVersionRow } from '../../db/schema.js';
import { parseSteps, type RecipeStep } from '../../data/recipe.js';
import { isoTime, type Clock } from '../../platform/clock.js';
import { conflict, invalidField, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { checkName, printable } from '../../platform/names.js';
import type { Principal } from '../../platform/principal.js';
import { isVersionNumber, MAX_INT32, optionalString } from '../../platform/validate.js';
import { domainEvent } from '../events/domain-event.js';
import { resolveProject } from '../projects/projects.service.js';

export interface RecipeVersionView {
  recipe: string;
  project: string;
  version: number;
  steps: RecipeStep[];
  description: string;
  createdAt: string;
  createdBy: string;
}

export interface RecipeView {
  name: string;
  project: string;
  lastVersion: number;
  createdAt: string;
  createdBy: string;
  versions: RecipeVersionView[];
}

function versionView(v: RecipeVersionRow, recipe: string, project: string): RecipeVersionView {
  return { recipe, project, version: Number(v.version), steps: JSON.parse(v.steps) as RecipeStep[], description: v.description, createdAt: v.created_at, createdBy: v.created_by };
}

/** Preparation recipes: named, versioned lists of steps, applied to dataset versions by DatasetsService. */
export class RecipesService {
  constructor(private readonly deps: { store: MetadataStore; clock: Clock }) {}

  private async addVersion(tx: Repositories, actor: string, project: ProjectRow, recipe: RecipeRow, steps: RecipeStep[], description: string): Promise<RecipeVersionRow> {
    const { clock } = this.deps;
    const version = await tx.recipes.allocateVersion(recipe.id);
    const row: RecipeVersionRow = { id: newId(clock.now()), recipe_id: recipe.id, version, steps: JSON.stringify(steps), description, created_at: isoTime(clock), created_by: actor };
    await tx.recipes.insertVersion(row);
    await tx.events.append(domainEvent(clock, actor, 'recipe_version.created', { type: 'recipe', id: recipe.id, projectId: project.id }, { recipe: recipe.name, version }));
    return row;
  }

  async create(actor: Principal, input: { name: unknown; steps: unknown; description?: unknown; project?: unknown }): Promise<RecipeVersionView> {
    const { store, clock } = this.deps;
    const name = checkName('name', input.name);
    const steps = parseSteps(input.steps);
    const description = optionalString('description', input.description, 10_000) ?? '';
    if (input.project !== undefined && typeof input.project !== 'string') throw invalidField('project', 'must be a string');
    const project = await resolveProject(store, input.project as string | undefined);
    const recipe: RecipeRow = { id: newId(clock.now()), project_id: project.id, name, last_version: 0, created_at: isoTime(clock), created_by: actor.name };
    try {
      const v = await store.transaction(async (tx) => {
        await tx.recipes.insert(recipe);
        return this.addVersion(tx, actor.name, project, recipe, steps, description);
      });
      return versionView(v, name, project.name);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('RECIPE_EXISTS', `a recipe named '${name}' already exists in project '${project.name}'; add a version to it instead`, { field: 'name' });
      throw err;
    }
  }

  async addRecipeVersion(actor: Principal, projectName: string | undefined, name: string, input: { steps: unknown; description?: unknown }): Promise<RecipeVersionView> {
    const steps = parseSteps(input.steps);
    const description = optionalString('description', input.description, 10_000) ?? '';
    const v = await this.deps.store.transaction(async (tx) => {
      const { project, recipe } = await this.resolve(projectName, name, tx);
      return { row: await this.addVersion(tx, actor.name, project, recipe, steps, description), project };
    });
    return versionView(v.row, name, v.project.name);
  }

  async resolve(projectName: string | undefined, name: string, tx: Repositories = this.deps.store): Promise<{ project: ProjectRow; recipe: RecipeRow }> {
    const project = await resolveProject(tx, projectName);
    checkName('recipe', name);
    const recipe = await tx.recipes.get(project.id, name);
    if (!recipe) throw notFound('RECIPE_NOT_FOUND', `there is no recipe named '${name}' in project '${project.name}'`, { field: 'recipe' });
    return { project, recipe };
  }

  /** A version by number, or the newest when none is given. */
  async getVersion(projectName: string | undefined, name: string, version?: number | string): Promise<RecipeVersionView> {
    const { project, recipe } = await this.resolve(projectName, name);
    let row: RecipeVersionRow | undefined;
    if (version === undefined || version === 'latest') row = (await this.deps.store.recipes.versions(recipe.id))[0];
    else {
      const n = typeof version === 'number' ? version : isVersionNumber(version) ? Number(version) : NaN;
      if (!Number.isInteger(n) || n < 1 || n > MAX_INT32) throw invalidField('version', `'${printable(String(version))}' is not a version: use a number or 'latest'`, 'INVALID_VERSION');
      row = await this.deps.store.recipes.getVersion(recipe.id, n);
    }
    if (!row) throw notFound('RECIPE_VERSION_NOT_FOUND', `recipe '${name}' has no version ${String(version)}`);
    return versionView(row, name, project.name);
  }

  async get(projectName: string | undefined, name: string): Promise<RecipeView> {
    const { project, recipe } = await this.resolve(projectName, name);
    const versions = await this.deps.store.recipes.versions(recipe.id);
    return {
      name,
      project: project.name,
      lastVersion: Number(recipe.last_version),
      createdAt: recipe.created_at,
      createdBy: recipe.created_by,
      versions: versions.map((v) => versionView(v, name, project.name)),
    };
  }

  async list(projectName: string | undefined): Promise<{ name: string; lastVersion: number; createdAt: string; createdBy: string }[]> {
    const project = await resolveProject(this.deps.store, projectName);
    return (await this.deps.store.recipes.list(project.id)).map((r) => ({ name: r.name, lastVersion: Number(r.last_version), createdAt: r.created_at, createdBy: r.created_by }));
  }
}
