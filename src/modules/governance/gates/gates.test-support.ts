/**
 * Shared set-up of the gate tests: a real SQLite store, artifact folder and DuckDB engine; models
 * registered through the registry's own services (the real inspector, so versions are READY with their
 * real signatures); datasets uploaded through the datasets service (CSV → Parquet); and a GatesService
 * whose jobs run on a real job worker.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { DataEngine } from '../../../data/engine.js';
import { migrateToLatest, openDatabase } from '../../../db/database.js';
import { createMetadataStore, type MetadataStore } from '../../../db/metadata-store.js';
import { systemClock } from '../../../platform/clock.js';
import { createLogger } from '../../../platform/logger.js';
import type { Principal } from '../../../platform/principal.js';
import type { UploadPart } from '../../../platform/upload-part.js';
import { OnnxInspector } from '../../../runtime/onnx-inspector.js';
import { NATIVE_FLAVORS } from '../../../serving/native-flavors.js';
import { RuntimeCache } from '../../../serving/runtimes.js';
import { LocalArtifactStore } from '../../../storage/local-artifact-store.js';
import { DatasetsService } from '../../datasets/datasets.service.js';
import { JobWorker, type JobContext } from '../../jobs/job-worker.js';
import { JobsService } from '../../jobs/jobs.service.js';
import { ModelsService } from '../../models/models.service.js';
import { PolicyGuard } from '../policy-guard.js';
import { RegistrationService } from '../../models/registration.service.js';
import { RecipesService } from '../../recipes/recipes.service.js';
import { GATE_RUN_JOB, GatesService, type GateRunView } from './gates.service.js';

export const principal = (name: string): Principal => ({ userId: name, name, role: 'user', tokenId: `t-${name}`, deployments: null });

export interface GateFixture {
  dir: string;
  store: MetadataStore;
  artifacts: LocalArtifactStore;
  gates: GatesService;
  models: ModelsService;
  maria: Principal;
  /** Runs handed to the onRunFinished hook. */
  finished: GateRunView[];
  /** Called before each gate job runs (tests use it to break the data under a queued run). */
  beforeJob: (() => Promise<void>) | null;
  /** Creates the model if needed and registers a version; returns its number. */
  register(model: string, bytes: Uint8Array, metadata?: Record<string, unknown>): Promise<number>;
  /** Creates the dataset if needed and uploads a CSV as a new version; returns its number. */
  dataset(name: string, csv: string): Promise<number>;
  /** Polls a run until it is finished. */
  waitFor(model: string, version: number, id: string): Promise<GateRunView>;
  close(): Promise<void>;
}

async function* parts(list: UploadPart[]): AsyncIterable<UploadPart> {
  for (const p of list) yield p;
}

export async function gateFixture(): Promise<GateFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'steward-gates-'));
  const database = await openDatabase({ kind: 'sqlite', file: join(dir, 'steward.db') });
  await migrateToLatest(database);
  const store = createMetadataStore(database);
  const clock = systemClock;
  const logger = createLogger('silent');
  const artifacts = await LocalArtifactStore.create(pathToFileURL(join(dir, 'artifacts')).href);
  const engine = await DataEngine.create({ tempDir: join(dir, 'engine') });
  const inspector = new OnnxInspector();
  const wake: { worker?: JobWorker } = {};
  const jobs = new JobsService({ store, clock, onEnqueued: () => wake.worker?.notify() });
  const models = new ModelsService({ store, artifacts, clock, guard: new PolicyGuard({ clock }) });
  const registration = new RegistrationService({ store, artifacts, inspector, models, clock, logger, maxArtifactBytes: 64 * 1024 * 1024 });
  const datasets = new DatasetsService({ store, recipes: new RecipesService({ store, clock }), artifacts, engine, jobs, clock, workDir: dir, maxUploadBytes: 64 * 1024 * 1024 });
  const runtimes = new RuntimeCache({ localPath: (sha) => artifacts.localPath(sha), natives: NATIVE_FLAVORS, options: { intraOpThreads: 1 } });
  const finished: GateRunView[] = [];
  const gates = new GatesService({ store, artifacts, engine, runtimes, jobs, clock, logger, onRunFinished: async (run) => void finished.push(run) });
  const maria = principal('maria');
  const fixture: GateFixture = {
    dir,
    store,
    artifacts,
    gates,
    models,
    maria,
    finished,
    beforeJob: null,
    async register(model, bytes, metadata = {}) {
      if (!(await store.models.getByNames('default', model))) await models.createModel(maria, { name: model });
      const r = await registration.register(maria, undefined, model, parts([
        { kind: 'field', name: 'metadata', value: JSON.stringify(metadata) },
        { kind: 'file', name: 'artifact', filename: 'model.bin', stream: Readable.from([Buffer.from(bytes)]) },
      ]));
      return r.version.version;
    },
    async dataset(name, csv) {
      const project = await store.projects.getByName('default');
      if (!(await store.datasets.get(project!.id, name))) await datasets.createDataset(maria, { name });
      const r = await datasets.uploadVersion(maria, undefined, name, parts([{ kind: 'file', name: 'file', filename: `${name}.csv`, stream: Readable.from([Buffer.from(csv)]) }]));
      return r.version.version;
    },
    async waitFor(model, version, id) {
      const until = Date.now() + 60_000;
      for (;;) {
        const run = await gates.getRun(undefined, model, version, id);
        if (run.status === 'succeeded' || run.status === 'failed') return run;
        if (Date.now() > until) throw new Error(`gate run ${id} did not finish: ${run.status}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close() {
      await worker.stop();
      await runtimes.closeAll();
      engine.close();
      await inspector.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  const run = async (payload: unknown, ctx: JobContext) => {
    await fixture.beforeJob?.();
    return gates.runJob(payload, ctx);
  };
  const worker = new JobWorker({ store, clock, logger, handlers: { [GATE_RUN_JOB]: run }, pollMs: 50 });
  wake.worker = worker;
  worker.start();
  return fixture;
}

/** A seeded generator (Park–Miller) for test data. */
export function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

/** Rows as CSV text (null as an empty cell). */
export function csvText(header: string[], rows: (number | string | null)[][]): string {
  return [header.join(','), ...rows.map((r) => r.map((v) => (v === null ? '' : String(v))).join(','))].join('\n') + '\n';
}
