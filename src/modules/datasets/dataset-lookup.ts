import type { Repositories } from '../../db/metadata-store.js';
import type { DatasetVersionRow, ProjectRow } from '../../db/schema.js';
import { invalidField } from '../../platform/errors.js';

/**
 * A dataset version named in a request body ({"dataset", "version"}): a 400 naming `dataset` or `version`
 * when there is no such dataset or version in the project.
 */
export async function datasetVersionByName(store: Repositories, project: ProjectRow, dataset: string, version: number): Promise<DatasetVersionRow> {
  const ds = await store.datasets.get(project.id, dataset);
  if (!ds) throw invalidField('dataset', `there is no dataset named '${dataset}' in project '${project.name}'`, 'DATASET_NOT_FOUND');
  const dv = await store.datasets.getVersion(ds.id, version);
  if (!dv) throw invalidField('version', `dataset '${dataset}' has no version ${version}`, 'DATASET_VERSION_NOT_FOUND');
  return dv;
}
