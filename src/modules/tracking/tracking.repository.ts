import { sql } from 'kysely';
import type { Executor } from '../../db/executor.js';
import type { ExperimentRow, ModelVersionMlflowRow, RunInputRow, RunMetricRow, RunRow, TrackingArtifactRow } from '../../db/schema.js';

export type Lifecycle = 'active' | 'deleted' | 'all';

export interface KeyValue {
  key: string;
  value: string;
}

/** One metric point as stored: a NaN is value 0 with isNan. */
export interface MetricPoint {
  key: string;
  value: number;
  isNan: boolean;
  timestamp: number;
  step: number;
}

/** A run's params, tags, latest metric values and inputs. */
export interface RunData {
  params: KeyValue[];
  tags: KeyValue[];
  metrics: RunMetricRow[];
  inputs: RunInputRow[];
}

/** Which parts of runs' data to read: these metric, param and tag keys, and the inputs or not. */
export interface DataKeys {
  metrics: readonly string[];
  params: readonly string[];
  tags: readonly string[];
  inputs: boolean;
}

export type ExperimentChanges = Partial<Pick<ExperimentRow, 'name' | 'lifecycle_stage' | 'last_update_time'>>;
export type RunChanges = Partial<Pick<RunRow, 'name' | 'status' | 'end_time' | 'lifecycle_stage' | 'deleted_time'>>;

/**
 * Experiments, runs and what is logged to them, the run-artifact index, and the MLflow origin of model
 * versions. Lists come back in a stable order (experiments by id, runs newest first by start time then id,
 * metric points by step then timestamp).
 */
export interface TrackingRepository {
  /** The next free experiment id (call inside the transaction that inserts it). */
  nextExperimentId(): Promise<number>;
  insertExperiment(row: ExperimentRow): Promise<void>;
  getExperiment(id: number): Promise<ExperimentRow | undefined>;
  getExperimentByName(projectId: string, name: string): Promise<ExperimentRow | undefined>;
  listExperiments(query: { projectIds: readonly string[] | 'all'; lifecycle: Lifecycle }): Promise<ExperimentRow[]>;
  updateExperiment(id: number, changes: ExperimentChanges): Promise<void>;
  setExperimentTag(id: number, key: string, value: string): Promise<void>;
  deleteExperimentTag(id: number, key: string): Promise<number>;
  experimentTags(ids: readonly number[]): Promise<{ experiment_id: number; key: string; value: string }[]>;

  insertRun(row: RunRow): Promise<void>;
  getRun(id: string): Promise<RunRow | undefined>;
  updateRun(id: string, changes: RunChanges): Promise<void>;
  listRuns(query: { experimentIds: readonly number[]; lifecycle: Lifecycle }): Promise<RunRow[]>;
  /** The children of a run (nested runs). */
  childRuns(parentRunId: string): Promise<RunRow[]>;
  /** Params, tags, latest metrics and inputs of each run asked for (runs with nothing logged get empty lists). */
  runData(runIds: readonly string[]): Promise<Map<string, RunData>>;
  /** The distinct metric, param and tag keys of an experiment's runs in a lifecycle stage, each sorted. */
  keysInExperiment(experimentId: number, lifecycle: Lifecycle): Promise<{ metrics: string[]; params: string[]; tags: string[] }>;
  /**
   * The same for every run of some experiments in a lifecycle stage (one query per table, for search; lists in
   * no set order), or only the keys named in `only` (what a search filters and orders on).
   */
  runDataInExperiments(query: { experimentIds: readonly number[]; lifecycle: Lifecycle; only?: DataKeys }): Promise<Map<string, RunData>>;

  /**
   * Logs metrics, params and tags to a run. Params are write-once: a param logged again with the same value is
   * accepted, with another value it is answered as a conflict (the caller refuses the whole call, and the
   * transaction rolls back). Points already logged are kept once; the latest value of each metric follows.
   */
  log(runId: string, data: { metrics: readonly MetricPoint[]; params: readonly KeyValue[]; tags: readonly KeyValue[] }): Promise<{ conflicts: { key: string; old: string; new: string }[] }>;
  deleteTag(runId: string, key: string): Promise<number>;
  /** Points of one metric, by step then timestamp. */
  metricHistory(runId: string, key: string, page: { offset: number; limit: number }): Promise<RunMetricRow[]>;
  /** Every point of the metrics named, for several runs (comparison). */
  metricHistories(runIds: readonly string[], keys: readonly string[]): Promise<RunMetricRow[]>;
  /** The id of a dataset version of the project whose content SHA-256 is `sha256` (the newest such). */
  datasetVersionBySha(projectId: string, sha256: string): Promise<string | undefined>;
  /** Inputs already logged (same run, name and digest) are kept as they are. */
  insertInputs(rows: readonly RunInputRow[]): Promise<void>;

  putArtifact(row: TrackingArtifactRow): Promise<void>;
  getArtifact(path: string): Promise<TrackingArtifactRow | undefined>;
  /** Files under a folder (every depth), by path. */
  listArtifacts(folder: string, limit: number): Promise<TrackingArtifactRow[]>;
  /** Deletes a file, or every file under a folder; answers how many. */
  deleteArtifacts(path: string): Promise<number>;

  setVersionOrigin(row: ModelVersionMlflowRow): Promise<void>;
  versionOrigins(versionIds: readonly string[]): Promise<ModelVersionMlflowRow[]>;

  /** How many runs each experiment has in a lifecycle stage (experiments with none are not in the map). */
  countRuns(query: { experimentIds: readonly number[]; lifecycle: Lifecycle }): Promise<Map<number, number>>;
  /**
   * Model versions made from these runs: a version's `source_run` is the run id, or its MLflow origin names the
   * run. Each once, with the project of its model, by run id, model name, then version.
   */
  versionsFromRuns(runIds: readonly string[]): Promise<{ run_id: string; project_id: string; model: string; version: number }[]>;
  /** The dataset name and version number of dataset versions, by id (unknown ids are left out). */
  datasetVersionNames(ids: readonly string[]): Promise<{ id: string; dataset: string; version: number }[]>;
}

const IN_CHUNK = 500;
const INSERT_CHUNK = 1000;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The upper bound of a range scan over the paths under `folder/`: '0' is the character after '/'. */
function folderRange(folder: string): [string, string] {
  const base = folder === '' ? '' : folder.endsWith('/') ? folder : `${folder}/`;
  return [base, base === '' ? '\uffff' : `${base.slice(0, -1)}0`];
}

/** The greatest point of each key: by step, then timestamp, then value (MLflow's latest-metric rule). */
export function latestPoints(points: readonly MetricPoint[]): MetricPoint[] {
  const best = new Map<string, MetricPoint>();
  for (const p of points) {
    const b = best.get(p.key);
    if (!b || isLater(p, b)) best.set(p.key, p);
  }
  return [...best.values()];
}

export function isLater(a: Pick<MetricPoint, 'step' | 'timestamp' | 'value'>, b: Pick<MetricPoint, 'step' | 'timestamp' | 'value'>): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  return a.value > b.value;
}

export class KyselyTrackingRepository implements TrackingRepository {
  constructor(private readonly db: Executor) {}

  async nextExperimentId(): Promise<number> {
    const r = await this.db.selectFrom('experiments').select((eb) => eb.fn.max('id').as('max')).executeTakeFirst();
    return r?.max === null || r?.max === undefined ? 1 : Number(r.max) + 1;
  }

  async insertExperiment(row: ExperimentRow): Promise<void> {
    await this.db.insertInto('experiments').values(row).execute();
  }

  getExperiment(id: number): Promise<ExperimentRow | undefined> {
    return this.db.selectFrom('experiments').selectAll().where('id', '=', id).executeTakeFirst();
  }

  getExperimentByName(projectId: string, name: string): Promise<ExperimentRow | undefined> {
    return this.db.selectFrom('experiments').selectAll().where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
  }

  listExperiments(query: { projectIds: readonly string[] | 'all'; lifecycle: Lifecycle }): Promise<ExperimentRow[]> {
    let q = this.db.selectFrom('experiments').selectAll();
    if (query.projectIds !== 'all') {
      if (query.projectIds.length === 0) return Promise.resolve([]);
      q = q.where('project_id', 'in', [...query.projectIds]);
    }
    if (query.lifecycle !== 'all') q = q.where('lifecycle_stage', '=', query.lifecycle);
    return q.orderBy('id').execute();
  }

  async updateExperiment(id: number, changes: ExperimentChanges): Promise<void> {
    if (Object.keys(changes).length === 0) return;
    await this.db.updateTable('experiments').set(changes).where('id', '=', id).execute();
  }

  async setExperimentTag(id: number, key: string, value: string): Promise<void> {
    await this.db
      .insertInto('experiment_tags')
      .values({ experiment_id: id, key, value })
      .onConflict((oc) => oc.columns(['experiment_id', 'key']).doUpdateSet({ value }))
      .execute();
  }

  async deleteExperimentTag(id: number, key: string): Promise<number> {
    const r = await this.db.deleteFrom('experiment_tags').where('experiment_id', '=', id).where('key', '=', key).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async experimentTags(ids: readonly number[]): Promise<{ experiment_id: number; key: string; value: string }[]> {
    const out: { experiment_id: number; key: string; value: string }[] = [];
    for (const part of chunks(ids, IN_CHUNK)) {
      out.push(...(await this.db.selectFrom('experiment_tags').selectAll().where('experiment_id', 'in', part).orderBy('experiment_id').orderBy('key').execute()));
    }
    return out.map((t) => ({ ...t, experiment_id: Number(t.experiment_id) }));
  }

  async insertRun(row: RunRow): Promise<void> {
    await this.db.insertInto('runs').values(row).execute();
  }

  async getRun(id: string): Promise<RunRow | undefined> {
    // SQL text: read before every logged metric (see log()).
    return (await sql<RunRow>`select * from runs where id = ${id}`.execute(this.db)).rows[0];
  }

  async updateRun(id: string, changes: RunChanges): Promise<void> {
    if (Object.keys(changes).length === 0) return;
    await this.db.updateTable('runs').set(changes).where('id', '=', id).execute();
  }

  listRuns(query: { experimentIds: readonly number[]; lifecycle: Lifecycle }): Promise<RunRow[]> {
    if (query.experimentIds.length === 0) return Promise.resolve([]);
    let q = this.db.selectFrom('runs').selectAll().where('experiment_id', 'in', [...query.experimentIds]);
    if (query.lifecycle !== 'all') q = q.where('lifecycle_stage', '=', query.lifecycle);
    return q.orderBy('start_time', 'desc').orderBy('id').execute();
  }

  childRuns(parentRunId: string): Promise<RunRow[]> {
    return this.db.selectFrom('runs').selectAll().where('parent_run_id', '=', parentRunId).orderBy('start_time').orderBy('id').execute();
  }

  async runData(runIds: readonly string[]): Promise<Map<string, RunData>> {
    const out = new Map<string, RunData>();
    for (const id of runIds) out.set(id, { params: [], tags: [], metrics: [], inputs: [] });
    for (const part of chunks(runIds, IN_CHUNK)) {
      const [params, tags, metrics, inputs] = await Promise.all([
        this.db.selectFrom('run_params').selectAll().where('run_id', 'in', part).orderBy('run_id').orderBy('key').execute(),
        this.db.selectFrom('run_tags').selectAll().where('run_id', 'in', part).orderBy('run_id').orderBy('key').execute(),
        this.db.selectFrom('run_latest_metrics').selectAll().where('run_id', 'in', part).orderBy('run_id').orderBy('key').execute(),
        this.db.selectFrom('run_inputs').selectAll().where('run_id', 'in', part).orderBy('run_id').orderBy('created_at').orderBy('name').execute(),
      ]);
      for (const p of params) out.get(p.run_id)!.params.push({ key: p.key, value: p.value });
      for (const t of tags) out.get(t.run_id)!.tags.push({ key: t.key, value: t.value });
      for (const m of metrics) out.get(m.run_id)!.metrics.push(m);
      for (const i of inputs) out.get(i.run_id)!.inputs.push(i);
    }
    return out;
  }

  async runDataInExperiments(query: { experimentIds: readonly number[]; lifecycle: Lifecycle; only?: DataKeys }): Promise<Map<string, RunData>> {
    const out = new Map<string, RunData>();
    if (query.experimentIds.length === 0) return out;
    const ids = [...query.experimentIds];
    const { only } = query;
    const entry = (runId: string) => {
      let d = out.get(runId);
      if (!d) out.set(runId, (d = { params: [], tags: [], metrics: [], inputs: [] }));
      return d;
    };
    const scoped = <T extends 'run_params' | 'run_tags' | 'run_latest_metrics' | 'run_inputs'>(table: T, keys?: readonly string[]) => {
      let q = this.db.selectFrom(`${table} as x` as 'run_params as x').innerJoin('runs as r', 'r.id', 'x.run_id').where('r.experiment_id', 'in', ids);
      if (query.lifecycle !== 'all') q = q.where('r.lifecycle_stage', '=', query.lifecycle);
      if (keys !== undefined) q = q.where('x.key', 'in', [...keys]);
      return q;
    };
    if (!only || only.params.length > 0) {
      for (const p of await scoped('run_params', only?.params).select(['x.run_id', 'x.key', 'x.value']).execute()) entry(p.run_id).params.push({ key: p.key, value: p.value });
    }
    if (!only || only.tags.length > 0) {
      for (const t of await scoped('run_tags', only?.tags).select(['x.run_id', 'x.key', 'x.value']).execute()) entry(t.run_id).tags.push({ key: t.key, value: t.value });
    }
    if (!only || only.metrics.length > 0) {
      const metrics = (await scoped('run_latest_metrics', only?.metrics).selectAll('x').execute()) as unknown as RunMetricRow[];
      for (const m of metrics) entry(m.run_id).metrics.push(m);
    }
    if (!only || only.inputs) {
      const inputs = (await scoped('run_inputs').selectAll('x').execute()) as unknown as RunInputRow[];
      for (const i of inputs) entry(i.run_id).inputs.push(i);
    }
    return out;
  }

  async keysInExperiment(experimentId: number, lifecycle: Lifecycle): Promise<{ metrics: string[]; params: string[]; tags: string[] }> {
    const keys = async (table: 'run_params' | 'run_tags' | 'run_latest_metrics') => {
      let q = this.db
        .selectFrom(`${table} as x` as 'run_params as x')
        .innerJoin('runs as r', 'r.id', 'x.run_id')
        .select('x.key')
        .distinct()
        .where('r.experiment_id', '=', experimentId);
      if (lifecycle !== 'all') q = q.where('r.lifecycle_stage', '=', lifecycle);
      return (await q.orderBy('x.key').execute()).map((r) => r.key);
    };
    return { metrics: await keys('run_latest_metrics'), params: await keys('run_params'), tags: await keys('run_tags') };
  }

  async log(runId: string, data: { metrics: readonly MetricPoint[]; params: readonly KeyValue[]; tags: readonly KeyValue[] }): Promise<{ conflicts: { key: string; old: string; new: string }[] }> {
    const conflicts: { key: string; old: string; new: string }[] = [];
    if (data.params.length > 0) {
      // Last value wins within one call when a key repeats with the same value; different values conflict below.
      const wanted = new Map<string, string>();
      for (const p of data.params) {
        const seen = wanted.get(p.key);
        if (seen !== undefined && seen !== p.value) conflicts.push({ key: p.key, old: seen, new: p.value });
        wanted.set(p.key, p.value);
      }
      const rows = [...wanted].map(([key, value]) => ({ run_id: runId, key, value }));
      for (const part of chunks(rows, INSERT_CHUNK)) {
        await this.db.insertInto('run_params').values(part).onConflict((oc) => oc.columns(['run_id', 'key']).doNothing()).execute();
      }
      // Read back what is stored: a key whose stored value differs was logged before with another value.
      for (const part of chunks([...wanted.keys()], IN_CHUNK)) {
        const stored = await this.db.selectFrom('run_params').select(['key', 'value']).where('run_id', '=', runId).where('key', 'in', part).execute();
        for (const s of stored) {
          const v = wanted.get(s.key)!;
          if (s.value !== v) conflicts.push({ key: s.key, old: s.value, new: v });
        }
      }
    }
    if (data.tags.length > 0) {
      const latest = new Map<string, string>();
      for (const t of data.tags) latest.set(t.key, t.value);
      const rows = [...latest].map(([key, value]) => ({ run_id: runId, key, value }));
      for (const part of chunks(rows, INSERT_CHUNK)) {
        await this.db
          .insertInto('run_tags')
          .values(part)
          .onConflict((oc) => oc.columns(['run_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
          .execute();
      }
    }
    if (data.metrics.length > 0) {
      // Written as SQL text rather than with the query builder: this is the path of every logged metric, and
      // building the statement cost as much as running it.
      const tuple = (m: MetricPoint) => sql`(${runId}, ${m.key}, ${m.step}, ${m.timestamp}, ${m.isNan ? 0 : m.value}, ${m.isNan ? 1 : 0})`;
      for (const part of chunks(data.metrics, INSERT_CHUNK)) {
        await sql`insert into run_metrics (run_id, key, step, timestamp, value, is_nan) values ${sql.join(part.map(tuple))} on conflict do nothing`.execute(this.db);
      }
      for (const part of chunks(latestPoints(data.metrics), INSERT_CHUNK)) {
        await sql`insert into run_latest_metrics (run_id, key, step, timestamp, value, is_nan) values ${sql.join(part.map(tuple))}
          on conflict (run_id, key) do update set step = excluded.step, timestamp = excluded.timestamp, value = excluded.value, is_nan = excluded.is_nan
          where excluded.step > run_latest_metrics.step or (excluded.step = run_latest_metrics.step and (excluded.timestamp > run_latest_metrics.timestamp
            or (excluded.timestamp = run_latest_metrics.timestamp and excluded.value > run_latest_metrics.value)))`.execute(this.db);
      }
    }
    return { conflicts };
  }

  async deleteTag(runId: string, key: string): Promise<number> {
    const r = await this.db.deleteFrom('run_tags').where('run_id', '=', runId).where('key', '=', key).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  metricHistory(runId: string, key: string, page: { offset: number; limit: number }): Promise<RunMetricRow[]> {
    return this.db
      .selectFrom('run_metrics')
      .selectAll()
      .where('run_id', '=', runId)
      .where('key', '=', key)
      .orderBy('step')
      .orderBy('timestamp')
      .orderBy('value')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
  }

  async metricHistories(runIds: readonly string[], keys: readonly string[]): Promise<RunMetricRow[]> {
    if (runIds.length === 0 || keys.length === 0) return [];
    const out: RunMetricRow[] = [];
    for (const part of chunks(runIds, IN_CHUNK)) {
      out.push(
        ...(await this.db
          .selectFrom('run_metrics')
          .selectAll()
          .where('run_id', 'in', part)
          .where('key', 'in', [...keys])
          .orderBy('run_id')
          .orderBy('key')
          .orderBy('step')
          .orderBy('timestamp')
          .execute()),
      );
    }
    return out;
  }

  async datasetVersionBySha(projectId: string, sha256: string): Promise<string | undefined> {
    const r = await this.db
      .selectFrom('dataset_versions as v')
      .innerJoin('datasets as d', 'd.id', 'v.dataset_id')
      .select('v.id')
      .where('d.project_id', '=', projectId)
      .where('v.sha256', '=', sha256)
      .orderBy('v.created_at', 'desc')
      .executeTakeFirst();
    return r?.id;
  }

  async insertInputs(rows: readonly RunInputRow[]): Promise<void> {
    for (const part of chunks(rows, INSERT_CHUNK)) {
      await this.db.insertInto('run_inputs').values(part).onConflict((oc) => oc.doNothing()).execute();
    }
  }

  async putArtifact(row: TrackingArtifactRow): Promise<void> {
    await this.db
      .insertInto('tracking_artifacts')
      .values(row)
      .onConflict((oc) => oc.column('path').doUpdateSet({ sha256: row.sha256, size: row.size, created_at: row.created_at, created_by: row.created_by }))
      .execute();
  }

  getArtifact(path: string): Promise<TrackingArtifactRow | undefined> {
    return this.db.selectFrom('tracking_artifacts').selectAll().where('path', '=', path).executeTakeFirst();
  }

  listArtifacts(folder: string, limit: number): Promise<TrackingArtifactRow[]> {
    const [from, to] = folderRange(folder);
    return this.db.selectFrom('tracking_artifacts').selectAll().where('path', '>=', from).where('path', '<', to).orderBy('path').limit(limit).execute();
  }

  async deleteArtifacts(path: string): Promise<number> {
    const [from, to] = folderRange(path);
    const r = await this.db
      .deleteFrom('tracking_artifacts')
      .where((eb) => eb.or([eb('path', '=', path), eb.and([eb('path', '>=', from), eb('path', '<', to)])]))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async setVersionOrigin(row: ModelVersionMlflowRow): Promise<void> {
    await this.db.insertInto('model_version_mlflow').values(row).execute();
  }

  async versionOrigins(versionIds: readonly string[]): Promise<ModelVersionMlflowRow[]> {
    const out: ModelVersionMlflowRow[] = [];
    for (const part of chunks(versionIds, IN_CHUNK)) out.push(...(await this.db.selectFrom('model_version_mlflow').selectAll().where('version_id', 'in', part).execute()));
    return out;
  }

  async countRuns(query: { experimentIds: readonly number[]; lifecycle: Lifecycle }): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (const part of chunks(query.experimentIds, IN_CHUNK)) {
      let q = this.db
        .selectFrom('runs')
        .select((eb) => ['experiment_id', eb.fn.countAll<number | string | bigint>().as('n')])
        .where('experiment_id', 'in', part);
      if (query.lifecycle !== 'all') q = q.where('lifecycle_stage', '=', query.lifecycle);
      for (const r of await q.groupBy('experiment_id').execute()) out.set(Number(r.experiment_id), Number(r.n));
    }
    return out;
  }

  async versionsFromRuns(runIds: readonly string[]): Promise<{ run_id: string; project_id: string; model: string; version: number }[]> {
    const found = new Map<string, { run_id: string; project_id: string; model: string; version: number }>();
    const add = (rows: { run_id: string | null; project_id: string; model: string; version: number | string }[]) => {
      for (const r of rows) {
        if (r.run_id === null) continue;
        const version = Number(r.version);
        found.set(`${r.run_id}\u0000${r.project_id}\u0000${r.model}\u0000${version}`, { run_id: r.run_id, project_id: r.project_id, model: r.model, version });
      }
    };
    for (const part of chunks(runIds, IN_CHUNK)) {
      add(
        await this.db
          .selectFrom('model_versions as v')
          .innerJoin('models as m', 'm.id', 'v.model_id')
          .select(['v.source_run as run_id', 'm.project_id', 'm.name as model', 'v.version'])
          .where('v.source_run', 'in', part)
          .execute(),
      );
      add(
        await this.db
          .selectFrom('model_version_mlflow as o')
          .innerJoin('model_versions as v', 'v.id', 'o.version_id')
          .innerJoin('models as m', 'm.id', 'v.model_id')
          .select(['o.run_id', 'm.project_id', 'm.name as model', 'v.version'])
          .where('o.run_id', 'in', part)
          .execute(),
      );
    }
    const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    return [...found.values()].sort((a, b) => cmp(a.run_id, b.run_id) || cmp(a.model, b.model) || a.version - b.version);
  }

  async datasetVersionNames(ids: readonly string[]): Promise<{ id: string; dataset: string; version: number }[]> {
    const out: { id: string; dataset: string; version: number }[] = [];
    for (const part of chunks([...new Set(ids)], IN_CHUNK)) {
      const rows = await this.db
        .selectFrom('dataset_versions as v')
        .innerJoin('datasets as d', 'd.id', 'v.dataset_id')
        .select(['v.id', 'd.name as dataset', 'v.version'])
        .where('v.id', 'in', part)
        .execute();
      out.push(...rows.map((r) => ({ id: r.id, dataset: r.dataset, version: Number(r.version) })));
    }
    return out;
  }
}
