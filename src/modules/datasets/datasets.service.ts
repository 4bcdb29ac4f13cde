import { createReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { MetadataStore, Repositories } from '../../db/metadata-store.js';
import { isUniqueViolation } from '../../db/executor.js';
import type { DatasetRow, DatasetVersionRow, ProjectRow } from '../../db/schema.js';
import { COLUMN_TYPES, type ColumnSchema, type ColumnType } from '../../data/column-types.js';
import type { DataEngine } from '../../data/engine.js';
import { detectFormat, ingest, type CsvOptions, type SourceFormat } from '../../data/ingest.js';
import { profileDataset, type DatasetProfile } from '../../data/profile.js';
import { literal } from '../../data/sql.js';
import { parseSplitSpec, writeSplit, type SplitSpec } from '../../data/split.js';
import { applyRecipe, plan, type RecipeStep } from '../../data/recipe.js';
import type { RecipesService } from '../recipes/recipes.service.js';
import { isoTime, type Clock } from '../../platform/clock.js';
import { decodeCursor, encodeCursor } from '../../platform/cursor.js';
import { conflict, invalidField, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { checkName, printable } from '../../platform/names.js';
import { SYSTEM_ACTOR, type Principal } from '../../platform/principal.js';
import { asObject, isVersionNumber, MAX_INT32, onlyKeys, optionalString } from '../../platform/validate.js';
import type { ArtifactStore, StagedArtifact } from '../../storage/artifact-store.js';
import { domainEvent } from '../events/domain-event.js';
import type { JobContext } from '../jobs/job-worker.js';
import type { JobsService, JobView } from '../jobs/jobs.service.js';
import type { UploadPart } from '../../platform/upload-part.js';
import { resolveProject } from '../projects/projects.service.js';
import { datasetVersionView, datasetView, type DatasetVersionView, type DatasetView } from './dataset-views.js';

export const PROFILE_JOB = 'dataset.profile';
export const SPLIT_JOB = 'dataset.split';
export const PREPARE_JOB = 'dataset.prepare';

export interface DatasetsDeps {
  store: MetadataStore;
  recipes: RecipesService;
  artifacts: ArtifactStore;
  engine: DataEngine;
  jobs: JobsService;
  clock: Clock;
  /** A folder for the engine's temporary files. */
  workDir: string;
  maxUploadBytes: number;
}

interface UploadMetadata {
  format?: SourceFormat;
  csv?: CsvOptions;
  schema?: Record<string, ColumnType>;
  source?: string;
  description?: string;
}

function parseUploadMetadata(text: string | undefined): UploadMetadata {
  if (text === undefined || text.trim() === '') return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text, (key, v: unknown) => {
      if (key === '__proto__') throw new SyntaxError('"__proto__" is not allowed as a key');
      return v;
    });
  } catch (err) {
    throw invalidField('metadata', `is not valid JSON (${(err as Error).message})`, 'INVALID_JSON');
  }
  const m = asObject('metadata', raw);
  onlyKeys('metadata', m, ['format', 'csv', 'schema', 'source', 'description']);
  const out: UploadMetadata = {
    source: optionalString('metadata.source', m.source, 2000),
    description: optionalString('metadata.description', m.description, 10_000),
  };
  if (m.format !== undefined) {
    if (m.format !== 'csv' && m.format !== 'parquet') throw invalidField('metadata.format', "must be 'csv' or 'parquet'");
    out.format = m.format;
  }
  if (m.csv !== undefined) {
    const c = asObject('metadata.csv', m.csv);
    onlyKeys('metadata.csv', c, ['delimiter', 'header', 'quote']);
    if (c.header !== undefined && typeof c.header !== 'boolean') throw invalidField('metadata.csv.header', 'must be true or false');
    out.csv = {
      delimiter: optionalString('metadata.csv.delimiter', c.delimiter, 1),
      quote: optionalString('metadata.csv.quote', c.quote, 1),
      header: c.header as boolean | undefined,
    };
  }
  if (m.schema !== undefined) {
    const s = asObject('metadata.schema', m.schema);
    const schema: Record<string, ColumnType> = Object.create(null) as Record<string, ColumnType>;
    for (const [name, type] of Object.entries(s)) {
      if (typeof type !== 'string' || !(COLUMN_TYPES as readonly string[]).includes(type)) {
        throw invalidField(`metadata.schema.${printable(name)}`, `must be one of ${COLUMN_TYPES.join(', ')}`);
      }
      schema[name] = type as ColumnType;
    }
    out.schema = schema;
  }
  return out;
}

/** Integer columns come back from the engine as text (64-bit); give them as numbers when exact. */
function jsonRows(rows: Record<string, unknown>[], schema: ColumnSchema[]): Record<string, unknown>[] {
  const ints = schema.filter((c) => c.type === 'integer').map((c) => c.name);
  if (ints.length === 0) return rows;
  for (const row of rows) {
    for (const name of ints) {
      const v = row[name];
      if (typeof v === 'string' && Number.isSafeInteger(Number(v))) row[name] = Number(v);
    }
  }
  return rows;
}

interface DatasetRef {
  project: ProjectRow;
  dataset: DatasetRow;
}

/** Datasets: content-addressed versions of tabular data, stored as Parquet, profiled in the background. */
export class DatasetsService {
  constructor(private readonly deps: DatasetsDeps) {}

  async createDataset(actor: Principal, input: { name: unknown; description?: unknown; project?: unknown }): Promise<DatasetView> {
    const { store, clock } = this.deps;
    const name = checkName('name', input.name);
    const description = optionalString('description', input.description, 10_000) ?? '';
    if (input.project !== undefined && typeof input.project !== 'string') throw invalidField('project', 'must be a string');
    const project = await resolveProject(store, input.project as string | undefined);
    const now = isoTime(clock);
    const row: DatasetRow = { id: newId(clock.now()), project_id: project.id, name, description, last_version: 0, created_at: now, created_by: actor.name, updated_at: now, updated_by: actor.name };
    try {
      await store.transaction(async (tx) => {
        await tx.datasets.insert(row);
        await tx.events.append(domainEvent(clock, actor.name, 'dataset.created', { type: 'dataset', id: row.id, projectId: project.id }, { name, project: project.name }));
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('DATASET_EXISTS', `a dataset named '${name}' already exists in project '${project.name}'`, { field: 'name' });
      throw err;
    }
    return datasetView(row, project.name);
  }

  async resolveDataset(projectName: string | undefined, name: string, tx: Repositories = this.deps.store): Promise<DatasetRef> {
    const project = await resolveProject(tx, projectName);
    checkName('name', name);
    const dataset = await tx.datasets.get(project.id, name);
    if (!dataset) throw notFound('DATASET_NOT_FOUND', `there is no dataset named '${name}' in project '${project.name}'`, { dataset: name, project: project.name });
    return { project, dataset };
  }

  /** A version by number or `latest`. */
  async resolveVersion(ref: DatasetRef, versionRef: string): Promise<DatasetVersionRow> {
    let row: DatasetVersionRow | undefined;
    if (versionRef === 'latest') row = (await this.deps.store.datasets.listVersions({ datasetId: ref.dataset.id, limit: 1 }))[0];
    else if (isVersionNumber(versionRef)) row = await this.deps.store.datasets.getVersion(ref.dataset.id, Number(versionRef));
    else throw invalidField('version', `'${printable(versionRef)}' is not a version: use a number or 'latest'`, 'INVALID_VERSION');
    if (!row) throw notFound('DATASET_VERSION_NOT_FOUND', `dataset '${ref.dataset.name}' has no version ${versionRef}`);
    return row;
  }

  async listDatasets(input: { project?: string; name?: string; limit?: number; cursor?: string }): Promise<{ items: DatasetView[]; nextCursor: string | null }> {
    const project = await resolveProject(this.deps.store, input.project);
    const limit = input.limit ?? 100;
    const afterName = input.cursor === undefined ? undefined : decodeCursor('cursor', input.cursor, (v): v is string => typeof v === 'string');
    const rows = await this.deps.store.datasets.list({ projectId: project.id, nameContains: input.name, afterName, limit: limit + 1 });
    const page = rows.slice(0, limit);
    return { items: page.map((d) => datasetView(d, project.name)), nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.name) : null };
  }

  async getDataset(projectName: string | undefined, name: string): Promise<DatasetView> {
    const { project, dataset } = await this.resolveDataset(projectName, name);
    return datasetView(dataset, project.name);
  }

  private async versionView(ref: DatasetRef, v: DatasetVersionRow): Promise<DatasetVersionView> {
    let derivedFrom: { dataset: string; version: number } | null = null;
    if (v.derived_from) {
      const parent = await this.deps.store.datasets.getVersionById(v.derived_from);
      const parentSet = parent ? await this.deps.store.datasets.getById(parent.dataset_id) : undefined;
      if (parent && parentSet) derivedFrom = { dataset: parentSet.name, version: Number(parent.version) };
    }
    return datasetVersionView(v, ref.dataset.name, ref.project.name, derivedFrom);
  }

  async listVersions(projectName: string | undefined, name: string, input: { limit?: number; cursor?: string }): Promise<{ items: DatasetVersionView[]; nextCursor: string | null }> {
    const ref = await this.resolveDataset(projectName, name);
    const limit = input.limit ?? 100;
    const beforeVersion = input.cursor === undefined ? undefined : decodeCursor('cursor', input.cursor, (v): v is number => Number.isInteger(v) && (v as number) > 0 && (v as number) <= MAX_INT32);
    const rows = await this.deps.store.datasets.listVersions({ datasetId: ref.dataset.id, beforeVersion, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const items = await Promise.all(page.map((v) => this.versionView(ref, v)));
    return { items, nextCursor: rows.length > limit ? encodeCursor(Number(page[page.length - 1]!.version)) : null };
  }

  async getVersion(projectName: string | undefined, name: string, versionRef: string): Promise<DatasetVersionView> {
    const ref = await this.resolveDataset(projectName, name);
    return this.versionView(ref, await this.resolveVersion(ref, versionRef));
  }

  /** The model versions trained, validated or tested on a dataset version. */
  async models(projectName: string | undefined, name: string, versionRef: string): Promise<{ model: string; version: number; status: string; role: string }[]> {
    const ref = await this.resolveDataset(projectName, name);
    const v = await this.resolveVersion(ref, versionRef);
    return this.deps.store.datasets.modelVersionsOfDataset(v.id);
  }

  async getProfile(projectName: string | undefined, name: string, versionRef: string): Promise<{ dataset: string; version: number; profile: DatasetProfile }> {
    const ref = await this.resolveDataset(projectName, name);
    const v = await this.resolveVersion(ref, versionRef);
    if (v.profile_status !== 'READY' || v.profile === null) {
      throw conflict('PROFILE_NOT_READY', `the profile of ${name} version ${v.version} is ${v.profile_status}${v.profile_job_id ? ` (job ${v.profile_job_id})` : ''}`, {
        status: v.profile_status,
        job: v.profile_job_id,
      });
    }
    return { dataset: name, version: Number(v.version), profile: JSON.parse(v.profile) as DatasetProfile };
  }

  async rows(projectName: string | undefined, name: string, versionRef: string, input: { offset?: number; limit?: number }): Promise<{ offset: number; rows: Record<string, unknown>[]; total: number }> {
    const ref = await this.resolveDataset(projectName, name);
    const v = await this.resolveVersion(ref, versionRef);
    const offset = input.offset ?? 0;
    const limit = input.limit ?? 100;
    const path = await this.deps.artifacts.localPath(v.stored_sha256);
    const schema = JSON.parse(v.schema) as ColumnSchema[];
    const rows = await this.deps.engine.use(async (db) =>
      (await db.runAndReadAll(`select * from read_parquet(${literal(path)}) limit ${limit} offset ${offset}`)).getRowObjectsJson(),
    );
    return { offset, rows: jsonRows(rows as Record<string, unknown>[], schema), total: Number(v.row_count) };
  }

  /** The stored Parquet, the original upload, or a CSV export made on the fly. */
  async download(projectName: string | undefined, name: string, versionRef: string, format: 'parquet' | 'original' | 'csv'): Promise<{ filename: string; contentType: string; size?: number; sha256?: string; stream: Readable }> {
    const ref = await this.resolveDataset(projectName, name);
    const v = await this.resolveVersion(ref, versionRef);
    const base = `${name}-v${v.version}`;
    if (format === 'parquet' || format === 'original') {
      const sha = format === 'parquet' ? v.stored_sha256 : v.source_sha256;
      const opened = await this.deps.artifacts.open(sha);
      const ext = format === 'parquet' ? 'parquet' : v.source_format;
      return { filename: `${base}.${ext}`, contentType: ext === 'csv' ? 'text/csv' : 'application/octet-stream', size: opened.size, sha256: sha, stream: opened.stream };
    }
    const path = await this.deps.artifacts.localPath(v.stored_sha256);
    const out = join(this.deps.workDir, `${newId()}.csv`);
    await this.deps.engine.use((db) => db.run(`copy (select * from read_parquet(${literal(path)})) to ${literal(out)} (header, delimiter ',')`));
    const stream = createReadStream(out);
    stream.once('close', () => void rm(out, { force: true }));
    return { filename: `${base}.csv`, contentType: 'text/csv', stream };
  }

  /**
   * Uploads a CSV or Parquet file as a new version: streamed to storage while hashed; identical content
   * returns the existing version; otherwise read by the engine into Parquet with its schema settled, stored,
   * recorded, and profiled by a background job.
   */
  async uploadVersion(actor: Principal, projectName: string | undefined, name: string, parts: AsyncIterable<UploadPart>): Promise<{ version: DatasetVersionView; created: boolean }> {
    const { store, artifacts } = this.deps;
    const ref = await this.resolveDataset(projectName, name);
    let staged: StagedArtifact | undefined;
    let fileName = 'upload';
    let metadataText: string | undefined;
    let storedCommitted: StagedArtifact | undefined;
    const output = join(this.deps.workDir, `${newId()}.parquet`);
    try {
      for await (const part of parts) {
        if (part.kind === 'field') {
          if (part.name !== 'metadata') throw invalidField(printable(part.name), "is not a field of this upload (send 'metadata' and 'file')", 'UNKNOWN_FIELD');
          if (metadataText !== undefined) throw invalidField('metadata', 'was sent more than once');
          metadataText = part.value;
          parseUploadMetadata(metadataText);
        } else {
          if (part.name !== 'file') throw invalidField(printable(part.name), "is not a file field of this upload (the data goes in 'file')", 'UNKNOWN_FIELD');
          if (staged) throw invalidField('file', 'only one file can be sent per version');
          fileName = part.filename || 'upload';
          staged = await artifacts.stage(part.stream, { maxBytes: this.deps.maxUploadBytes });
        }
      }
      if (!staged) throw invalidField('file', "is missing: send the data as the multipart file field 'file'", 'MISSING_FILE');
      if (staged.size === 0) throw invalidField('file', `${fileName} is empty`, 'EMPTY_FILE');
      const metadata = parseUploadMetadata(metadataText);

      const existing = await store.datasets.getVersionBySha(ref.dataset.id, staged.sha256);
      if (existing) return { version: await this.versionView(ref, existing), created: false };

      const head = Buffer.alloc(4);
      const fh = await open(staged.localPath, 'r');
      await fh.read(head, 0, 4, 0).finally(() => fh.close());
      const format = metadata.format ?? detectFormat(fileName, head);
      const result = await ingest(this.deps.engine, { sourcePath: staged.localPath, sourceName: fileName, format, csv: metadata.csv, overrides: metadata.schema, outputPath: output });
      const stored = await artifacts.stage(createReadStream(output));
      await stored.commit();
      storedCommitted = stored;
      await staged.commit();

      const row = await this.recordVersion(ref, actor.name, {
        sha256: staged.sha256,
        source_format: format,
        source_name: fileName.slice(0, 500),
        source_sha256: staged.sha256,
        source_size: staged.size,
        stored_sha256: stored.sha256,
        stored_size: stored.size,
        row_count: result.rowCount,
        schema: JSON.stringify(result.schema),
        csv: result.csv ? JSON.stringify(result.csv) : null,
        source: metadata.source ?? null,
        derived_from: null,
        recipe: null,
        split: null,
        description: metadata.description ?? '',
      });
      this.deps.jobs.jobsEnqueued();
      return { version: await this.versionView(ref, row), created: true };
    } catch (err) {
      // The same content uploaded twice at once: the second finds the first's version.
      if (isUniqueViolation(err) && staged) {
        const existing = await store.datasets.getVersionBySha(ref.dataset.id, staged.sha256);
        if (existing) return { version: await this.versionView(ref, existing), created: false };
      }
      throw err;
    } finally {
      if (staged && !storedCommitted) await staged.discard();
      await rm(output, { force: true });
    }
  }

  /** Adds a version (next number) with its profile job and event, in one transaction. */
  private async recordVersion(
    ref: DatasetRef,
    actor: string,
    fields: Omit<DatasetVersionRow, 'id' | 'dataset_id' | 'version' | 'profile_status' | 'profile' | 'profile_job_id' | 'created_at' | 'created_by'>,
  ): Promise<DatasetVersionRow> {
    const { store, clock } = this.deps;
    return store.transaction(async (tx) => {
      const version = await tx.datasets.allocateVersion(ref.dataset.id);
      const now = isoTime(clock);
      const row: DatasetVersionRow = {
        ...fields,
        id: newId(clock.now()),
        dataset_id: ref.dataset.id,
        version,
        profile_status: 'PENDING',
        profile: null,
        profile_job_id: null,
        created_at: now,
        created_by: actor,
      };
      const job = await this.deps.jobs.enqueue(tx, actor, { type: PROFILE_JOB, payload: { datasetVersionId: row.id }, projectId: ref.project.id });
      row.profile_job_id = job.id;
      await tx.datasets.insertVersion(row);
      await tx.datasets.touch(ref.dataset.id, now, actor);
      await tx.events.append(
        domainEvent(clock, actor, 'dataset_version.created', { type: 'dataset_version', id: row.id, projectId: ref.project.id }, {
          dataset: ref.dataset.name,
          version,
          sha256: row.sha256,
          rows: Number(row.row_count),
          ...(row.derived_from ? { derivedFrom: row.derived_from } : {}),
        }),
      );
      return row;
    });
  }

  /** Queues a reproducible split of a version; its parts become new versions of the same dataset. */
  async requestSplit(actor: Principal, projectName: string | undefined, name: string, versionRef: string, body: unknown): Promise<JobView> {
    const { store, clock } = this.deps;
    const ref = await this.resolveDataset(projectName, name);
    const v = await this.resolveVersion(ref, versionRef);
    const spec = parseSplitSpec(body, JSON.parse(v.schema) as ColumnSchema[]);
    const job = await store.transaction(async (tx) => {
      const j = await this.deps.jobs.enqueue(tx, actor.name, { type: SPLIT_JOB, payload: { datasetVersionId: v.id, spec }, projectId: ref.project.id, maxAttempts: 2 });
      await tx.events.append(
        domainEvent(clock, actor.name, 'dataset_version.split_requested', { type: 'dataset_version', id: v.id, projectId: ref.project.id }, { dataset: name, version: Number(v.version), spec }),
      );
      return j;
    });
    this.deps.jobs.jobsEnqueued();
    return this.deps.jobs.get(job.id);
  }

  /** The split job: writes each part, stores it, and records it as a version (or finds it, when done before). */
  async runSplitJob(payload: unknown, ctx: JobContext): Promise<{ parts: { name: string; version: number; rows: number; created: boolean }[] }> {
    const { store, artifacts } = this.deps;
    const { datasetVersionId, spec } = payload as { datasetVersionId: string; spec: SplitSpec };
    const parent = await store.datasets.getVersionById(datasetVersionId);
    if (!parent) throw notFound('DATASET_VERSION_NOT_FOUND', `there is no dataset version with id '${datasetVersionId}'`);
    const dataset = await store.datasets.getById(parent.dataset_id);
    const project = dataset ? await store.projects.getById(dataset.project_id) : undefined;
    if (!dataset || !project) throw notFound('DATASET_NOT_FOUND', 'the dataset of this version is gone');
    const ref: DatasetRef = { project, dataset };
    const path = await artifacts.localPath(parent.stored_sha256);
    const outputs = spec.parts.map(() => join(this.deps.workDir, `${newId()}.parquet`));
    try {
      await ctx.progress(0.1, 'assigning rows to parts');
      const counts = await writeSplit(this.deps.engine, path, spec, outputs);
      const parts: { name: string; version: number; rows: number; created: boolean }[] = [];
      for (const [k, part] of spec.parts.entries()) {
        await ctx.progress(0.5 + (0.5 * k) / spec.parts.length, `storing part '${part.name}'`);
        const stored = await artifacts.stage(createReadStream(outputs[k]!));
        await stored.commit();
        const existing = await store.datasets.getVersionBySha(dataset.id, stored.sha256);
        if (existing) {
          parts.push({ name: part.name, version: Number(existing.version), rows: Number(existing.row_count), created: false });
          continue;
        }
        const row = await this.recordVersion(ref, (await store.jobs.get(ctx.id))?.created_by ?? SYSTEM_ACTOR, {
          sha256: stored.sha256,
          source_format: 'parquet',
          source_name: `${dataset.name}-v${parent.version}-${part.name}.parquet`,
          source_sha256: stored.sha256,
          source_size: stored.size,
          stored_sha256: stored.sha256,
          stored_size: stored.size,
          row_count: counts[k]!,
          schema: parent.schema,
          csv: null,
          source: parent.source,
          derived_from: parent.id,
          recipe: null,
          split: JSON.stringify({ kind: spec.kind, seed: spec.seed, column: spec.column ?? null, fractions: Object.fromEntries(spec.parts.map((p) => [p.name, p.fraction])), part: part.name }),
          description: `part '${part.name}' of a ${spec.kind} split of version ${parent.version}`,
        });
        parts.push({ name: part.name, version: Number(row.version), rows: counts[k]!, created: true });
      }
      this.deps.jobs.jobsEnqueued();
      return { parts };
    } finally {
      for (const o of outputs) await rm(o, { force: true });
    }
  }

  /**
   * Queues the application of a recipe version to a dataset version. Its steps are checked against the
   * version's columns now (400 naming the step), so that the job only fails for reasons in the data.
   */
  async requestPrepare(actor: Principal, projectName: string | undefined, name: string, versionRef: string, body: unknown): Promise<JobView> {
    const { store, clock } = this.deps;
    const input = asObject('body', body);
    onlyKeys('body', input, ['recipe', 'recipeVersion']);
    if (typeof input.recipe !== 'string') throw invalidField('recipe', 'must be the name of a recipe');
    const ref = await this.resolveDataset(projectName, name);
    const v = await this.resolveVersion(ref, versionRef);
    const recipe = await this.deps.recipes.getVersion(ref.project.name, input.recipe, input.recipeVersion as number | string | undefined);
    plan(recipe.steps, JSON.parse(v.schema) as ColumnSchema[]);
    const job = await store.transaction(async (tx) => {
      const j = await this.deps.jobs.enqueue(tx, actor.name, {
        type: PREPARE_JOB,
        payload: { datasetVersionId: v.id, recipe: recipe.recipe, recipeVersion: recipe.version, steps: recipe.steps },
        projectId: ref.project.id,
        maxAttempts: 2,
      });
      await tx.events.append(
        domainEvent(clock, actor.name, 'dataset_version.prepare_requested', { type: 'dataset_version', id: v.id, projectId: ref.project.id }, {
          dataset: name,
          version: Number(v.version),
          recipe: recipe.recipe,
          recipeVersion: recipe.version,
        }),
      );
      return j;
    });
    this.deps.jobs.jobsEnqueued();
    return this.deps.jobs.get(job.id);
  }

  /** The prepare job: fits and applies the recipe, and records the result as a new version (or finds it). */
  async runPrepareJob(payload: unknown, ctx: JobContext): Promise<{ version: number; rows: number; created: boolean }> {
    const { store, artifacts } = this.deps;
    const p = payload as { datasetVersionId: string; recipe: string; recipeVersion: number; steps: RecipeStep[] };
    const parent = await store.datasets.getVersionById(p.datasetVersionId);
    if (!parent) throw notFound('DATASET_VERSION_NOT_FOUND', `there is no dataset version with id '${p.datasetVersionId}'`);
    const dataset = await store.datasets.getById(parent.dataset_id);
    const project = dataset ? await store.projects.getById(dataset.project_id) : undefined;
    if (!dataset || !project) throw notFound('DATASET_NOT_FOUND', 'the dataset of this version is gone');
    const output = join(this.deps.workDir, `${newId()}.parquet`);
    try {
      await ctx.progress(0.1, `applying recipe ${p.recipe} v${p.recipeVersion}`);
      const prepared = await applyRecipe(this.deps.engine, await artifacts.localPath(parent.stored_sha256), JSON.parse(parent.schema) as ColumnSchema[], p.steps, output);
      await ctx.progress(0.8, 'storing the result');
      const stored = await artifacts.stage(createReadStream(output));
      await stored.commit();
      const existing = await store.datasets.getVersionBySha(dataset.id, stored.sha256);
      if (existing) return { version: Number(existing.version), rows: Number(existing.row_count), created: false };
      const row = await this.recordVersion({ project, dataset }, (await store.jobs.get(ctx.id))?.created_by ?? SYSTEM_ACTOR, {
        sha256: stored.sha256,
        source_format: 'parquet',
        source_name: `${dataset.name}-v${parent.version}-${p.recipe}-v${p.recipeVersion}.parquet`,
        source_sha256: stored.sha256,
        source_size: stored.size,
        stored_sha256: stored.sha256,
        stored_size: stored.size,
        row_count: prepared.rows,
        schema: JSON.stringify(prepared.schema),
        csv: null,
        source: parent.source,
        derived_from: parent.id,
        recipe: JSON.stringify({ name: p.recipe, version: p.recipeVersion, steps: prepared.steps }),
        split: null,
        description: `version ${parent.version} prepared with recipe ${p.recipe} v${p.recipeVersion}`,
      });
      this.deps.jobs.jobsEnqueued();
      return { version: Number(row.version), rows: prepared.rows, created: true };
    } finally {
      await rm(output, { force: true });
    }
  }

  /** The job that computes and stores a version's profile. */
  async runProfileJob(payload: unknown, ctx: JobContext): Promise<{ datasetVersionId: string; rows: number; columns: number }> {
    const { store, clock } = this.deps;
    const id = (payload as { datasetVersionId?: unknown })?.datasetVersionId;
    if (typeof id !== 'string') throw invalidField('payload.datasetVersionId', 'must be a dataset version id');
    const v = await store.datasets.getVersionById(id);
    if (!v) throw notFound('DATASET_VERSION_NOT_FOUND', `there is no dataset version with id '${id}'`);
    try {
      const path = await this.deps.artifacts.localPath(v.stored_sha256);
      const profile = await profileDataset(this.deps.engine, path, JSON.parse(v.schema) as ColumnSchema[], (f, m) => ctx.progress(f, m));
      const projectId = (await store.datasets.getById(v.dataset_id))?.project_id ?? null;
      await store.transaction(async (tx) => {
        await tx.datasets.setProfile(v.id, { status: 'READY', profile: JSON.stringify(profile) });
        await tx.events.append(domainEvent(clock, SYSTEM_ACTOR, 'dataset_version.profiled', { type: 'dataset_version', id: v.id, projectId }, { rows: profile.rows }));
      });
      return { datasetVersionId: v.id, rows: profile.rows, columns: profile.columns.length };
    } catch (err) {
      if (ctx.lastAttempt) await store.datasets.setProfile(v.id, { status: 'FAILED' });
      throw err;
    }
  }
}
