import type { Repositories } from '../../db/metadata-store.js';
import { notFound } from '../../platform/errors.js';
import { resolveProject } from '../projects/projects.service.js';

/** A model version by project, model name and number, or a 404 naming them. */
export async function versionByNames(store: Repositories, projectName: string | undefined, model: string, version: number) {
  const project = await resolveProject(store, projectName);
  const found = await store.versions.getByNames(project.name, model, version);
  if (!found) throw notFound('MODEL_VERSION_NOT_FOUND', `model '${model}' has no version ${version} in project '${project.name}'`, { model, version });
  return found;
}
