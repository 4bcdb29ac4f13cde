/**
 * Starting and stopping a Steward server: open the stores, migrate, bootstrap the first admin, recover
 * interrupted work, listen; on shutdown, drain in-flight requests, then close everything.
 */
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildApp } from './app.js';
import type { ServerConfig } from './config.js';
import { migrateToLatest, openDatabase } from './db/database.js';
import { createMetadataStore } from './db/metadata-store.js';
import { systemClock } from './platform/clock.js';
import { createLogger } from './platform/logger.js';
import { JobWorker } from './modules/jobs/job-worker.js';
import { DataEngine } from './data/engine.js';
import { jobHandlers, longJobHandlers } from './job-handlers.js';
import { OnnxInspector } from './runtime/onnx-inspector.js';
import { createArtifactStore } from './storage/create-artifact-store.js';
import { ThreadedSha256Hasher } from './storage/sha256-hasher.js';
import { STEWARD_VERSION } from './version.js';
import { PredictionLog } from './serving/prediction-log/prediction-log.js';

/** Longer than any registration can stay PENDING (the model check's timeout is 10 minutes). */
const PENDING_MAX_MS = 30 * 60_000;

export interface RunningServer {
  /** e.g. http://127.0.0.1:8080 */
  readonly url: string;
  /** Stops accepting connections, finishes in-flight requests, then closes the stores. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Where the first admin's generated token is printed (once). */
  announce?: (text: string) => void;
}

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const startedAt = new Date().toISOString();
  const logger = createLogger(config.logLevel);
  mkdirSync(config.home, { recursive: true });
  const database = await openDatabase(config.database, {
    onIdleConnectionError: (err) => logger.warn({ err: err.message }, 'the database closed an idle connection; it will be reopened on demand'),
  });
  const store = createMetadataStore(database);
  const inspector = new OnnxInspector();
  const hasher = new ThreadedSha256Hasher();
  let engine: DataEngine | undefined;
  let predictionLog: PredictionLog | undefined;
  let stopTimers = () => {};
  try {
    const applied = await migrateToLatest(database);
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
    const artifacts = await createArtifactStore(config.artifactUri, { hasher });
    // The worker needs the services, which buildApp creates; the app needs to wake the worker.
    const workDir = join(config.home, 'work');
    await rm(workDir, { recursive: true, force: true }); // leftovers of an earlier run
    engine = await DataEngine.create({ tempDir: join(workDir, 'engine') });
    const wake: { worker?: JobWorker; long?: JobWorker } = {};
    predictionLog = PredictionLog.open({
      dir: config.predictionLog.dir,
      segmentBytes: config.predictionLog.segmentBytes,
      retention: { maxAgeMs: config.predictionLog.retentionDays * 86_400_000, ...(config.predictionLog.maxBytes ? { maxTotalBytes: config.predictionLog.maxBytes } : {}) },
      onError: (err) => logger.error({ err }, 'prediction log housekeeping failed'),
    });
    const log = predictionLog;
    // Appends reach the operating system before each answer; this puts them on disk every second too
    // (power loss), and applies the retention policy hourly.
    const flushTimer = setInterval(() => void log.flushToDisk().catch((err: unknown) => logger.error({ err }, 'could not flush the prediction log')), 1_000);
    const retentionTimer = setInterval(() => {
      try {
        log.enforceRetention();
      } catch (err) {
        logger.error({ err }, 'prediction log retention failed');
      }
    }, 3_600_000);
    flushTimer.unref();
    retentionTimer.unref();
    stopTimers = () => {
      clearInterval(flushTimer);
      clearInterval(retentionTimer);
    };
    const built = await buildApp({
      predictionLog: log,
      predictionLogDir: config.predictionLog.dir,
      monitoringFoldMs: config.monitoringFoldMs,
      monitoringFoldThreads: config.monitoringFoldThreads,
      explainThreads: config.explainThreads,
      intraOpThreads: config.ortThreads,
      logger,
      store,
      artifacts,
      inspector,
      bodyLimitBytes: config.bodyLimitBytes,
      maxArtifactBytes: config.maxArtifactBytes,
      clock: systemClock,
      onJobsEnqueued: () => {
        wake.worker?.notify();
        wake.long?.notify();
      },
      engine,
      workDir,
    });
    const { app, services } = built;
    const worker = new JobWorker({ store, clock: systemClock, logger, handlers: jobHandlers(services) });
    const longWorker = new JobWorker({ store, clock: systemClock, logger, handlers: longJobHandlers(services) });
    wake.worker = worker;
    wake.long = longWorker;

    const boot = await services.auth.bootstrap(config.adminToken);

    // Versions left PENDING by a registration that was cut short become FAILED. One process owns an SQLite
    // store, so everything PENDING from before this start is such a leftover. Several processes may share
    // PostgreSQL, so there only versions PENDING for longer than any registration can take (the model check
    // times out after 10 minutes) are.
    const cutoff = database.dialect === 'sqlite' ? startedAt : new Date(Date.parse(startedAt) - PENDING_MAX_MS).toISOString();
    const recovered = await services.registration.recoverInterrupted(cutoff);
    if (recovered > 0) logger.warn({ versions: recovered }, 'marked interrupted registrations as FAILED');

    // Start onnxruntime in the background: the first registration should not pay for its start-up.
    inspector.warmUp().catch((err: unknown) => logger.warn({ err }, 'could not warm up the model inspector'));

    worker.start();
    longWorker.start();
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${host}:${address.port}`;
    logger.info({ url, version: STEWARD_VERSION, database: store.describe, artifacts: artifacts.uri }, 'Steward is listening');
    if (boot.generatedToken) {
      const announce = options.announce ?? ((text: string) => process.stdout.write(text));
      announce(
        `\nSteward created the first user, '${boot.admin}' (role admin). Its API token is shown only this once:\n\n` +
          `    ${boot.generatedToken}\n\n` +
          `Open the web UI, signed in:  ${url}/#token=${boot.generatedToken}\n` +
          `Or log in the CLI with:      steward login --server ${url} --token <token>\n\n`,
      );
    } else if (boot.admin) {
      logger.info({ user: boot.admin }, 'created the first admin with the token from STEWARD_ADMIN_TOKEN');
    } else if (config.adminToken && !(await services.auth.tokenIsValid(config.adminToken))) {
      logger.warn('STEWARD_ADMIN_TOKEN is set but is not a valid token here: it is only used when the store has no users yet');
    }

    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        logger.info('shutting down: finishing in-flight requests');
        built.beginShutdown();
        const force = setTimeout(() => {
          logger.warn({ graceMs: config.shutdownGraceMs }, 'grace period over: closing remaining connections');
          app.server.closeAllConnections();
        }, config.shutdownGraceMs);
        force.unref();
        try {
          await app.close();
        } finally {
          clearTimeout(force);
          await Promise.all([worker.stop(), longWorker.stop()]);
          stopTimers();
          await predictionLog?.close();
          engine?.close();
          await inspector.close();
          await hasher.close();
          await store.close();
          logger.info('stopped');
          logger.flush();
        }
      })());
    return { url, close };
  } catch (err) {
    stopTimers();
    await predictionLog?.close().catch(() => undefined);
    await inspector.close().catch(() => undefined);
    await hasher.close().catch(() => undefined);
    engine?.close();
    await store.close().catch(() => undefined);
    throw err;
  }
}
