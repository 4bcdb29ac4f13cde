import type { Executor } from '../../../db/executor.js';
import type { GateResultTable, GateRunTable } from '../../../db/schema.js';

export type GateRunRow = GateRunTable;
export type GateResultRow = GateResultTable;

/** The fields of a run that move while it is not finished (and when a failed run is retried). */
export type GateRunPatch = Partial<Pick<GateRunRow, 'status' | 'passed' | 'job_id' | 'error' | 'finished_at'>>;

/**
 * Test gate runs and their results. Results are written once, when their run succeeds, and never
 * changed: there is no update or delete for them.
 */
export interface GateRepository {
  insertRun(row: GateRunRow): Promise<void>;
  getRun(id: string): Promise<GateRunRow | undefined>;
  /** Moves a run to status `to` if its status is one of `from`; false when it was not. */
  claimRun(id: string, from: string[], to: string): Promise<boolean>;
  updateRun(id: string, patch: GateRunPatch): Promise<void>;
  /** A version's runs, newest first. */
  runsOfVersion(modelVersionId: string, limit: number): Promise<GateRunRow[]>;
  insertResults(rows: GateResultRow[]): Promise<void>;
  /** A run's results in the order they were written (the order of its gates). */
  resultsOfRun(runId: string): Promise<GateResultRow[]>;
  /** Every result of a version, newest first (optionally only those of one gate name). */
  resultsOfVersion(modelVersionId: string, name?: string): Promise<GateResultRow[]>;
  /** Whether a policy with this id exists (a run may name the policy it was started for). */
  policyExists(id: string): Promise<boolean>;
  /** The project, model name and number of a model version (for events written by the run's job). */
  versionNames(modelVersionId: string): Promise<{ projectId: string; model: string; version: number } | undefined>;
}

export class KyselyGateRepository implements GateRepository {
  constructor(readonly db: Executor) {}

  async insertRun(row: GateRunRow): Promise<void> {
    await this.db.insertInto('gate_runs').values(row).execute();
  }

  async getRun(id: string): Promise<GateRunRow | undefined> {
    const r = await this.db.selectFrom('gate_runs').selectAll().where('id', '=', id).executeTakeFirst();
    return r && runRow(r);
  }

  async claimRun(id: string, from: string[], to: string): Promise<boolean> {
    const r = await this.db.updateTable('gate_runs').set({ status: to }).where('id', '=', id).where('status', 'in', from).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async updateRun(id: string, patch: GateRunPatch): Promise<void> {
    await this.db.updateTable('gate_runs').set(patch).where('id', '=', id).execute();
  }

  async runsOfVersion(modelVersionId: string, limit: number): Promise<GateRunRow[]> {
    const rows = await this.db.selectFrom('gate_runs').selectAll().where('model_version_id', '=', modelVersionId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map(runRow);
  }

  async insertResults(rows: GateResultRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.insertInto('gate_results').values(rows).execute();
  }

  async resultsOfRun(runId: string): Promise<GateResultRow[]> {
    // Ids are time-ordered (UUIDv7) and written in gate order within a run.
    const rows = await this.db.selectFrom('gate_results').selectAll().where('run_id', '=', runId).orderBy('id').execute();
    return rows.map(resultRow);
  }

  async resultsOfVersion(modelVersionId: string, name?: string): Promise<GateResultRow[]> {
    let q = this.db.selectFrom('gate_results').selectAll().where('model_version_id', '=', modelVersionId);
    if (name !== undefined) q = q.where('name', '=', name);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map(resultRow);
  }

  async policyExists(id: string): Promise<boolean> {
    const r = await this.db.selectFrom('policies').select('id').where('id', '=', id).executeTakeFirst();
    return r !== undefined;
  }

  async versionNames(modelVersionId: string): Promise<{ projectId: string; model: string; version: number } | undefined> {
    const r = await this.db
      .selectFrom('model_versions as v')
      .innerJoin('models as m', 'm.id', 'v.model_id')
      .select(['m.project_id as projectId', 'm.name as model', 'v.version as version'])
      .where('v.id', '=', modelVersionId)
      .executeTakeFirst();
    return r && { projectId: r.projectId, model: r.model, version: Number(r.version) };
  }
}

/** PostgreSQL gives integer columns back as they are; SQLite too, but keep both as numbers. */
function runRow(r: GateRunRow): GateRunRow {
  return { ...r, passed: r.passed === null ? null : Number(r.passed) };
}

function resultRow(r: GateResultRow): GateResultRow {
  return { ...r, passed: Number(r.passed) };
}
