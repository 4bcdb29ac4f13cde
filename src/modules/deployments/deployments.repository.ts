import type { Executor } from '../../db/executor.js';
import type { DeploymentRevisionRow, DeploymentRow } from '../../db/schema.js';

/** A deployment with its live revision's spec, as the serving layer loads it. */
export interface LiveDeploymentRow {
  id: string;
  project: string;
  name: string;
  revision: number;
  spec: string;
}

/**
 * Deployments and their revisions. A deployment row points at its current revision; revisions are never
 * changed once written. Alias bindings list which (model, alias) pairs a deployment follows.
 */
export interface DeploymentRepository {
  get(projectId: string, name: string): Promise<DeploymentRow | undefined>;
  getById(id: string): Promise<DeploymentRow | undefined>;
  list(projectId: string): Promise<DeploymentRow[]>;
  insert(row: DeploymentRow): Promise<void>;
  /** Moves current_revision from `expected` to `next`; false when another writer moved it first. */
  advance(id: string, expected: number, next: number, at: string, by: string): Promise<boolean>;
  delete(id: string): Promise<void>;
  insertRevision(row: DeploymentRevisionRow): Promise<void>;
  getRevision(deploymentId: string, revision: number): Promise<DeploymentRevisionRow | undefined>;
  revisions(deploymentId: string): Promise<DeploymentRevisionRow[]>;
  setBindings(deploymentId: string, bindings: { modelId: string; alias: string }[]): Promise<void>;
  /** Deployments that follow this alias of this model. */
  boundTo(modelId: string, alias: string): Promise<DeploymentRow[]>;
  /** Every deployment with the spec of its current revision (for the serving route table). */
  live(): Promise<LiveDeploymentRow[]>;
}

export class KyselyDeploymentRepository implements DeploymentRepository {
  constructor(private readonly db: Executor) {}

  getById(id: string): Promise<DeploymentRow | undefined> {
    return this.db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirst();
  }

  get(projectId: string, name: string): Promise<DeploymentRow | undefined> {
    return this.db.selectFrom('deployments').selectAll().where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
  }

  list(projectId: string): Promise<DeploymentRow[]> {
    return this.db.selectFrom('deployments').selectAll().where('project_id', '=', projectId).orderBy('name').execute();
  }

  async insert(row: DeploymentRow): Promise<void> {
    await this.db.insertInto('deployments').values(row).execute();
  }

  async advance(id: string, expected: number, next: number, at: string, by: string): Promise<boolean> {
    const r = await this.db
      .updateTable('deployments')
      .set({ current_revision: next, updated_at: at, updated_by: by })
      .where('id', '=', id)
      .where('current_revision', '=', expected)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('deployment_alias_bindings').where('deployment_id', '=', id).execute();
    await this.db.deleteFrom('deployment_revisions').where('deployment_id', '=', id).execute();
    await this.db.deleteFrom('deployments').where('id', '=', id).execute();
  }

  async insertRevision(row: DeploymentRevisionRow): Promise<void> {
    await this.db.insertInto('deployment_revisions').values(row).execute();
  }

  getRevision(deploymentId: string, revision: number): Promise<DeploymentRevisionRow | undefined> {
    return this.db.selectFrom('deployment_revisions').selectAll().where('deployment_id', '=', deploymentId).where('revision', '=', revision).executeTakeFirst();
  }

  revisions(deploymentId: string): Promise<DeploymentRevisionRow[]> {
    return this.db.selectFrom('deployment_revisions').selectAll().where('deployment_id', '=', deploymentId).orderBy('revision', 'desc').execute();
  }

  async setBindings(deploymentId: string, bindings: { modelId: string; alias: string }[]): Promise<void> {
    await this.db.deleteFrom('deployment_alias_bindings').where('deployment_id', '=', deploymentId).execute();
    const unique = new Map(bindings.map((b) => [`${b.modelId}\u0000${b.alias}`, b]));
    if (unique.size === 0) return;
    await this.db
      .insertInto('deployment_alias_bindings')
      .values([...unique.values()].map((b) => ({ deployment_id: deploymentId, model_id: b.modelId, alias: b.alias })))
      .execute();
  }

  boundTo(modelId: string, alias: string): Promise<DeploymentRow[]> {
    return this.db
      .selectFrom('deployments')
      .selectAll('deployments')
      .where('deployments.id', 'in', (qb) => qb.selectFrom('deployment_alias_bindings').select('deployment_id').where('model_id', '=', modelId).where('alias', '=', alias))
      .orderBy('deployments.id')
      .execute();
  }

  live(): Promise<LiveDeploymentRow[]> {
    return this.db
      .selectFrom('deployments as d')
      .innerJoin('projects as p', 'p.id', 'd.project_id')
      .innerJoin('deployment_revisions as r', (j) => j.onRef('r.deployment_id', '=', 'd.id').onRef('r.revision', '=', 'd.current_revision'))
      .select(['d.id as id', 'p.name as project', 'd.name as name', 'd.current_revision as revision', 'r.spec as spec'])
      .execute();
  }
}
