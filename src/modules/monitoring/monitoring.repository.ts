import type { DialectKind } from '../../db/database.js';
import type { Executor } from '../../db/executor.js';
import type { MonitoringLabelTable, MonitoringReferenceTable, MonitoringWindowTable } from '../../db/schema.js';

export type WindowRow = MonitoringWindowTable;
export type ReferenceRow = MonitoringReferenceTable;
export type LabelRow = MonitoringLabelTable;

/** A stored window without its samples (read apart with windowSamples). */
export type WindowHead = Omit<WindowRow, 'sample' | 'sample_head'>;

export interface WindowRange {
  /** ISO times: windows starting at or after `from` and before `to`. */
  from?: string;
  to?: string;
  model?: string;
  version?: number;
  kind?: string;
  /** Window numbers, both ends included. */
  seqFrom?: number;
  seqTo?: number;
}

/** Rows of a window's sample kept apart in `sample_head`. */
export const SAMPLE_HEAD_ROWS = 64;

/**
 * Monitoring's tables: per-deployment settings, reference profiles per model version, window profiles,
 * the fold cursor of each prediction log folder, and labels joined to their predictions.
 */
export interface MonitoringRepository {
  settings(deploymentId: string): Promise<string | undefined>;
  putSettings(deploymentId: string, settings: string, at: string, by: string): Promise<void>;
  reference(modelVersionId: string): Promise<ReferenceRow | undefined>;
  referenceById(id: string): Promise<ReferenceRow | undefined>;
  putReference(row: ReferenceRow): Promise<void>;
  updateReference(id: string, patch: Partial<Pick<ReferenceRow, 'status' | 'rows' | 'profile_sha256' | 'error' | 'job_id'>>): Promise<void>;
  /** Stored windows with these keys (deployment, model, version, kind, seq). */
  windowsByKey(keys: { deploymentId: string; model: string; version: number; kind: string; seq: number }[]): Promise<WindowRow[]>;
  putWindow(row: WindowRow, exists: boolean): Promise<void>;
  /** The newest window of each (model, version) of this kind for a deployment. */
  lastWindows(deploymentId: string, kind: string): Promise<Omit<WindowRow, 'stats' | 'sample' | 'sample_head'>[]>;
  /** Windows in the range (start in [from, to), ISO), oldest first, without their samples. */
  windows(deploymentId: string, range: WindowRange): Promise<WindowHead[]>;
  /** The samples of these windows (their heads when `sampleRows` ≤ SAMPLE_HEAD_ROWS), by window id. */
  windowSamples(ids: string[], sampleRows: number): Promise<Map<string, string>>;
  /** Windows not yet closed, for the closing check. */
  openWindows(): Promise<Omit<WindowRow, 'stats' | 'sample' | 'sample_head'>[]>;
  closeWindow(id: string): Promise<void>;
  cursor(logDir: string): Promise<{ segment: string; offset: number } | undefined>;
  putCursor(logDir: string, segment: string, offset: number, at: string): Promise<void>;
  /** Labels already stored for these prediction ids. */
  existingLabels(ids: string[]): Promise<Set<string>>;
  putLabels(rows: LabelRow[]): Promise<void>;
  labels(deploymentId: string, range: { from?: string; to?: string; model?: string; version?: number }): Promise<Pick<LabelRow, 'prediction_id' | 'prediction' | 'label' | 'predicted_at' | 'version'>[]>;
}

const HEAD_COLUMNS = ['id', 'deployment_id', 'model', 'version', 'kind', 'start_at', 'end_at', 'seq', 'rows', 'closed', 'updated_at'] as const;

export class KyselyMonitoringRepository implements MonitoringRepository {
  constructor(
    private readonly db: Executor,
    private readonly dialect: DialectKind = 'sqlite',
  ) {}

  async settings(deploymentId: string): Promise<string | undefined> {
    const r = await this.db.selectFrom('monitoring_settings').select('settings').where('deployment_id', '=', deploymentId).executeTakeFirst();
    return r?.settings;
  }

  async putSettings(deploymentId: string, settings: string, at: string, by: string): Promise<void> {
    await this.db
      .insertInto('monitoring_settings')
      .values({ deployment_id: deploymentId, settings, updated_at: at, updated_by: by })
      .onConflict((oc) => oc.column('deployment_id').doUpdateSet({ settings, updated_at: at, updated_by: by }))
      .execute();
  }

  reference(modelVersionId: string): Promise<ReferenceRow | undefined> {
    return this.db.selectFrom('monitoring_references').selectAll().where('model_version_id', '=', modelVersionId).executeTakeFirst();
  }

  referenceById(id: string): Promise<ReferenceRow | undefined> {
    return this.db.selectFrom('monitoring_references').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async putReference(row: ReferenceRow): Promise<void> {
    await this.db.deleteFrom('monitoring_references').where('model_version_id', '=', row.model_version_id).execute();
    await this.db.insertInto('monitoring_references').values(row).execute();
  }

  async updateReference(id: string, patch: Partial<Pick<ReferenceRow, 'status' | 'rows' | 'profile_sha256' | 'error' | 'job_id'>>): Promise<void> {
    await this.db.updateTable('monitoring_references').set(patch).where('id', '=', id).execute();
  }

  async windowsByKey(keys: { deploymentId: string; model: string; version: number; kind: string; seq: number }[]): Promise<WindowRow[]> {
    if (keys.length === 0) return [];
    const out: WindowRow[] = [];
    // Grouped by deployment and kind: one query per group with the seqs listed.
    const groups = new Map<string, typeof keys>();
    for (const k of keys) {
      const g = `${k.deploymentId}\u0000${k.kind}\u0000${k.model}\u0000${k.version}`;
      (groups.get(g) ?? groups.set(g, []).get(g)!).push(k);
    }
    for (const list of groups.values()) {
      const k = list[0]!;
      for (let i = 0; i < list.length; i += 500) {
        const seqs = list.slice(i, i + 500).map((x) => x.seq);
        const q = this.db
          .selectFrom('monitoring_windows')
          .selectAll()
          .where('deployment_id', '=', k.deploymentId)
          .where('model', '=', k.model)
          .where('version', '=', k.version)
          .where('kind', '=', k.kind)
          .where('seq', 'in', seqs);
        // Read to be merged and written back: on PostgreSQL, lock the rows so that two processes folding into
        // the same window take turns instead of overwriting each other's merge (SQLite has one writer anyway).
        out.push(...(await (this.dialect === 'postgres' ? q.forUpdate() : q).execute()));
      }
    }
    return out.map((r) => ({ ...r, version: Number(r.version), seq: Number(r.seq), rows: Number(r.rows), closed: Number(r.closed) }));
  }

  async putWindow(row: WindowRow, exists: boolean): Promise<void> {
    if (!exists) {
      await this.db.insertInto('monitoring_windows').values(row).execute();
      return;
    }
    await this.db
      .updateTable('monitoring_windows')
      .set({ rows: row.rows, stats: row.stats, sample: row.sample, sample_head: row.sample_head, start_at: row.start_at, end_at: row.end_at, closed: row.closed, updated_at: row.updated_at })
      .where('id', '=', row.id)
      .execute();
  }

  async lastWindows(deploymentId: string, kind: string): Promise<Omit<WindowRow, 'stats' | 'sample' | 'sample_head'>[]> {
    const rows = await this.db
      .selectFrom('monitoring_windows as w')
      .select(HEAD_COLUMNS.map((c) => `w.${c}` as const))
      .where('w.deployment_id', '=', deploymentId)
      .where('w.kind', '=', kind)
      .where(({ eb, selectFrom }) =>
        eb(
          'w.seq',
          '=',
          selectFrom('monitoring_windows as m')
            .select((e) => e.fn.max('m.seq').as('s'))
            .whereRef('m.deployment_id', '=', 'w.deployment_id')
            .whereRef('m.model', '=', 'w.model')
            .whereRef('m.version', '=', 'w.version')
            .whereRef('m.kind', '=', 'w.kind'),
        ),
      )
      .execute();
    return rows.map(numberHead);
  }

  async windows(deploymentId: string, range: WindowRange): Promise<WindowHead[]> {
    let q = this.db
      .selectFrom('monitoring_windows')
      .select([...HEAD_COLUMNS, 'stats'])
      .where('deployment_id', '=', deploymentId);
    if (range.from !== undefined) q = q.where('start_at', '>=', range.from);
    if (range.to !== undefined) q = q.where('start_at', '<', range.to);
    if (range.model !== undefined) q = q.where('model', '=', range.model);
    if (range.version !== undefined) q = q.where('version', '=', range.version);
    if (range.kind !== undefined) q = q.where('kind', '=', range.kind);
    if (range.seqFrom !== undefined) q = q.where('seq', '>=', range.seqFrom);
    if (range.seqTo !== undefined) q = q.where('seq', '<=', range.seqTo);
    const rows = await q.orderBy('start_at').orderBy('seq').execute();
    return rows.map((r) => numberHead(r));
  }

  async windowSamples(ids: string[], sampleRows: number): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500);
      const rows =
        sampleRows <= SAMPLE_HEAD_ROWS
          ? await this.db.selectFrom('monitoring_windows').select(['id', 'sample_head as sample']).where('id', 'in', part).execute()
          : await this.db.selectFrom('monitoring_windows').select(['id', 'sample']).where('id', 'in', part).execute();
      for (const r of rows) out.set(r.id, r.sample);
    }
    return out;
  }

  async openWindows(): Promise<Omit<WindowRow, 'stats' | 'sample' | 'sample_head'>[]> {
    const rows = await this.db.selectFrom('monitoring_windows').select([...HEAD_COLUMNS]).where('closed', '=', 0).execute();
    return rows.map(numberHead);
  }

  async closeWindow(id: string): Promise<void> {
    await this.db.updateTable('monitoring_windows').set({ closed: 1 }).where('id', '=', id).execute();
  }

  async cursor(logDir: string): Promise<{ segment: string; offset: number } | undefined> {
    const r = await this.db.selectFrom('monitoring_cursors').select(['segment', 'offset']).where('log_dir', '=', logDir).executeTakeFirst();
    return r ? { segment: r.segment, offset: Number(r.offset) } : undefined;
  }

  async putCursor(logDir: string, segment: string, offset: number, at: string): Promise<void> {
    await this.db
      .insertInto('monitoring_cursors')
      .values({ log_dir: logDir, segment, offset, updated_at: at })
      .onConflict((oc) => oc.column('log_dir').doUpdateSet({ segment, offset, updated_at: at }))
      .execute();
  }

  async existingLabels(ids: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.db.selectFrom('monitoring_labels').select('prediction_id').where('prediction_id', 'in', ids.slice(i, i + 500)).execute();
      for (const r of rows) out.add(r.prediction_id);
    }
    return out;
  }

  async putLabels(rows: LabelRow[]): Promise<void> {
    // 9 values per row; 100 rows per statement stays under every driver's parameter limit.
    for (let i = 0; i < rows.length; i += 100) {
      await this.db
        .insertInto('monitoring_labels')
        .values(rows.slice(i, i + 100))
        .onConflict((oc) =>
          oc.column('prediction_id').doUpdateSet((eb) => ({ label: eb.ref('excluded.label'), labeled_at: eb.ref('excluded.labeled_at') })),
        )
        .execute();
    }
  }

  async labels(deploymentId: string, range: { from?: string; to?: string; model?: string; version?: number }): Promise<Pick<LabelRow, 'prediction_id' | 'prediction' | 'label' | 'predicted_at' | 'version'>[]> {
    let q = this.db.selectFrom('monitoring_labels').select(['prediction_id', 'prediction', 'label', 'predicted_at', 'version']).where('deployment_id', '=', deploymentId);
    if (range.from !== undefined) q = q.where('predicted_at', '>=', range.from);
    if (range.to !== undefined) q = q.where('predicted_at', '<', range.to);
    if (range.model !== undefined) q = q.where('model', '=', range.model);
    if (range.version !== undefined) q = q.where('version', '=', range.version);
    const rows = await q.orderBy('predicted_at').execute();
    return rows.map((r) => ({ ...r, version: Number(r.version) }));
  }
}

function numberHead<T extends { version: number; seq: number; rows: number; closed: number }>(r: T): T {
  return { ...r, version: Number(r.version), seq: Number(r.seq), rows: Number(r.rows), closed: Number(r.closed) };
}
