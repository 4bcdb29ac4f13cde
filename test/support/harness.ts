import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildApp, type BuiltApp } from '../../src/app.js';
import type { WebhookOptions } from '../../src/modules/monitoring/alerts/webhooks.js';
import { migrateToLatest, openDatabase } from '../../src/db/database.js';
import { createMetadataStore, type MetadataStore } from '../../src/db/metadata-store.js';
import { createLogger } from '../../src/platform/logger.js';
import type { ProjectRole } from '../../src/platform/principal.js';
import { OnnxInspector } from '../../src/runtime/onnx-inspector.js';
import { DataEngine } from '../../src/data/engine.js';
import { jobHandlers, longJobHandlers } from '../../src/job-handlers.js';
import { JobWorker } from '../../src/modules/jobs/job-worker.js';
import { systemClock } from '../../src/platform/clock.js';
import { LocalArtifactStore } from '../../src/storage/local-artifact-store.js';
import { ThreadedSha256Hasher } from '../../src/storage/sha256-hasher.js';
import { createDatabase, dropDatabase } from './postgres.js';
import { PredictionLog } from '../../src/serving/prediction-log/prediction-log.js';
import { NATIVE_FLAVORS } from '../../src/serving/native-flavors.js';
import type { NativeLoader } from '../../src/serving/runtimes.js';

export const ADMIN_TOKEN = 'stw_test-admin-token-0123456789abcdef';

export interface Harness extends BuiltApp {
  home: string;
  store: MetadataStore;
  artifactsDir: string;
  artifacts: LocalArtifactStore;
  predictionLog: PredictionLog;
  adminToken: string;
  /** Creates a user with this role in the default project (or the projects named) and returns a token for them. */
  tokenFor(role: ProjectRole, name?: string, projects?: string[]): Promise<string>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  bodyLimitBytes?: number;
  maxArtifactBytes?: number;
  /** Run on a fresh database on this PostgreSQL server instead of SQLite. */
  postgresUrl?: string;
  deploymentSyncMs?: number;
  /** Extra native model flavors (test doubles for models with behaviour real files cannot have). */
  natives?: Record<string, NativeLoader>;
  /** Fold the prediction log every this many ms (default 0: only when a test calls foldNow()). */
  monitoringFoldMs?: number;
  monitoringCloseGraceMs?: number;
  webhooks?: WebhookOptions;
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const home = await mkdtemp(join(tmpdir(), 'steward-test-'));
  const pgDb = options.postgresUrl ? await createDatabase(options.postgresUrl) : undefined;
  const database = await openDatabase(pgDb ? { kind: 'postgres', url: pgDb.url } : { kind: 'sqlite', file: join(home, 'steward.db') });
  await migrateToLatest(database);
  const store = createMetadataStore(database);
  const artifactsDir = join(home, 'artifacts');
  const hasher = new ThreadedSha256Hasher();
  const artifacts = await LocalArtifactStore.create(pathToFileURL(artifactsDir).href, { hasher });
  const inspector = new OnnxInspector();
  const workDir = join(home, 'work');
  const engine = await DataEngine.create({ tempDir: join(workDir, 'engine') });
  const wake: { worker?: JobWorker; long?: JobWorker } = {};
  const predictionLog = PredictionLog.open({ dir: join(home, 'predictions') });
  const built = await buildApp({
    predictionLog,
    predictionLogDir: predictionLog.dir,
    // Tests fold the log by calling services.monitoring.foldNow() when they need to.
    monitoringFoldMs: options.monitoringFoldMs ?? 0,
    monitoringCloseGraceMs: options.monitoringCloseGraceMs,
    // Two fold workers in tests, so that the parallel fold is exercised end to end.
    monitoringFoldThreads: 2,
    webhooks: options.webhooks,
    deploymentSyncMs: options.deploymentSyncMs ?? 60_000,
    natives: { ...NATIVE_FLAVORS, ...options.natives },
    logger: createLogger('silent'),
    store,
    artifacts,
    inspector,
    bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
    maxArtifactBytes: options.maxArtifactBytes ?? 64 * 1024 * 1024,
    engine,
    workDir,
    onJobsEnqueued: () => {
      wake.worker?.notify();
      wake.long?.notify();
    },
  });
  const worker = new JobWorker({ store, clock: systemClock, logger: createLogger('silent'), handlers: jobHandlers(built.services), pollMs: 100 });
  const longWorker = new JobWorker({ store, clock: systemClock, logger: createLogger('silent'), handlers: longJobHandlers(built.services), pollMs: 100 });
  wake.worker = worker;
  wake.long = longWorker;
  worker.start();
  longWorker.start();
  await built.services.auth.bootstrap(ADMIN_TOKEN);
  const admin = await built.services.auth.authenticate(`Bearer ${ADMIN_TOKEN}`);
  let n = 0;
  return {
    ...built,
    home,
    store,
    artifactsDir,
    artifacts,
    predictionLog,
    adminToken: ADMIN_TOKEN,
    async tokenFor(role, name, projects = ['default']) {
      const user = await built.services.auth.createUser(admin, { name: name ?? `${role}-${++n}`, role: 'user', projects: Object.fromEntries(projects.map((p) => [p, role])) });
      return (await built.services.auth.createToken(admin, { user: user.name })).token;
    },
    async close() {
      await built.app.close();
      await Promise.all([worker.stop(), longWorker.stop()]);
      await predictionLog.close();
      engine.close();
      await inspector.close();
      await hasher.close();
      await store.close();
      if (pgDb) await dropDatabase(options.postgresUrl!, pgDb.name);
      await rm(home, { recursive: true, force: true });
    },
  };
}

export interface Part {
  name: string;
  value: string | Uint8Array;
  filename?: string;
  contentType?: string;
}

/** A multipart/form-data body, built by hand so tests control every byte (and can cut it short). */
export function multipart(parts: Part[], boundary = `----steward${Math.random().toString(16).slice(2)}`): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`;
    const type = p.contentType ?? (p.filename !== undefined ? 'application/octet-stream' : undefined);
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type ? `Content-Type: ${type}\r\n` : ''}\r\n`));
    chunks.push(Buffer.from(p.value));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

export function versionUpload(model: Uint8Array, metadata?: unknown): { body: Buffer; contentType: string } {
  const parts: Part[] = [];
  if (metadata !== undefined) parts.push({ name: 'metadata', value: JSON.stringify(metadata) });
  parts.push({ name: 'artifact', value: model, filename: 'model.onnx' });
  return multipart(parts);
}
