/**
 * Inference: pick a target of a live deployment, decode the payload against that model's schema, run it,
 * log every row to the prediction log before answering, count it, and copy the request to the shadows.
 */
import { DomainError, notFound, STATUS_BY_KIND, unauthenticated, unprocessable } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Logger } from '../platform/logger.js';
import { rowInputs, type DecodedBatch } from './decode.js';
import type { LiveDeployments, LiveRevision, LiveTarget } from './live-deployments.js';
import type { ModelSchema } from './model-schema.js';
import type { PredictionRecord } from './prediction-log/prediction-log.js';
import { timedOut, type Outputs } from './runners.js';
import type { ServingMetrics } from './serving-metrics.js';
import type { TrafficStats } from './traffic-stats.js';
import { elementAt, type Tensor } from './tensors.js';

export interface PredictionSink {
  /** Must have handed the records to the operating system when it returns. */
  append(records: readonly PredictionRecord[]): void;
}

/**
 * Group commit for the prediction log: records of requests that finish in the same turn of the event loop
 * are written with one append (one write system call) at the end of that turn, and only then are their
 * answers released. Every answer still waits for its records to reach the operating system.
 */
export class GroupCommit {
  private records: PredictionRecord[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;

  constructor(private readonly sink: PredictionSink) {}

  append(records: readonly PredictionRecord[]): Promise<void> {
    for (const r of records) this.records.push(r);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private flush(): void {
    this.scheduled = false;
    const records = this.records;
    const waiters = this.waiters;
    this.records = [];
    this.waiters = [];
    try {
      this.sink.append(records);
    } catch (err) {
      for (const w of waiters) w.reject(err);
      return;
    }
    for (const w of waiters) w.resolve();
  }
}

export interface InferenceRequest {
  project: string;
  deployment: string;
  /** Decodes the payload for the chosen target's model (called again for each shadow). */
  decode: (schema: ModelSchema) => DecodedBatch;
  /** Pin a version (Open Inference Protocol /versions/{v}). */
  version?: number;
  /** No token was sent: allowed only while the deployment is public (checked again on the revision that serves). */
  anonymous?: boolean;
  /**
   * Whether the answer needs one prediction per row (the row protocols). V2 answers with the raw outputs,
   * so a model whose outputs have no per-row prediction still answers there (its log records hold null).
   */
  rowPredictions?: boolean;
}

export interface InferenceResult {
  revision: LiveRevision;
  target: LiveTarget;
  rows: number;
  outputs: Outputs;
  predictionIds: string[];
  /** One value per row, as the row protocols answer. */
  predictions: unknown[];
}

const MAX_SHADOW_IN_FLIGHT = 256;

/** Each row's prediction from the schema's prediction output (see model-schema.ts for the rules). */
export function predictionsOf(schema: ModelSchema, outputs: Outputs, rows: number): unknown[] {
  const t = outputs[schema.predictionOutput];
  const useV2 = 'use the Open Inference Protocol (POST /v2/models/<deployment>/infer), which answers with the raw outputs';
  if (!t) throw unprocessable('NO_ROW_PREDICTION', `the model has no tensor output to predict from; ${useV2}`);
  const width = t.data.length / rows;
  if (!Number.isInteger(width) || t.shape[0] !== rows) throw unprocessable('NO_ROW_PREDICTION', `the model's output '${t.name}' has shape [${t.shape.join(', ')}] for ${rows} rows, not one prediction per row; ${useV2}`);
  const out = new Array<unknown>(rows);
  if (width === 1) for (let r = 0; r < rows; r++) out[r] = elementAt(t, r);
  else if (width === 2 && schema.probabilities) for (let r = 0; r < rows; r++) out[r] = elementAt(t, r * 2 + 1);
  else for (let r = 0; r < rows; r++) out[r] = Array.from({ length: width }, (_, k) => elementAt(t, r * width + k));
  return out;
}

export class InferenceService {
  private shadowInFlight = 0;
  private readonly commit: GroupCommit;

  constructor(
    private readonly deps: {
      live: LiveDeployments;
      log: PredictionSink;
      metrics: ServingMetrics;
      traffic: TrafficStats;
      logger: Logger;
      now?: () => number;
    },
  ) {
    this.commit = new GroupCommit(deps.log);
  }

  /** The live revision of a deployment, or a 404. */
  revision(project: string, deployment: string): LiveRevision {
    const r = this.deps.live.get(project, deployment);
    if (!r) throw notFound('DEPLOYMENT_NOT_FOUND', `there is no deployment named '${deployment}' in project '${project}'`, { deployment, project });
    return r;
  }

  target(revision: LiveRevision, version?: number): LiveTarget {
    if (version === undefined) return revision.pick();
    const t = revision.byVersion(version);
    if (!t) {
      throw notFound('DEPLOYMENT_VERSION_NOT_FOUND', `deployment '${revision.name}' does not serve version ${version} (it serves ${revision.targets.map((x) => `${x.model} v${x.version}`).join(', ')})`, {
        version,
      });
    }
    return t;
  }

  async predict(req: InferenceRequest): Promise<InferenceResult> {
    const time = (this.deps.now ?? Date.now)();
    const revision = this.revision(req.project, req.deployment);
    if (req.anonymous && !revision.spec.public) throw unauthenticated('missing Authorization header: send "Authorization: Bearer <token>" (this deployment is not public)');
    const target = this.target(revision, req.version);
    const { metrics } = this.deps;
    let batch: DecodedBatch;
    try {
      batch = req.decode(target.runtime.schema);
    } catch (err) {
      const status = err instanceof DomainError ? 400 : 500;
      metrics.predictions.inc({ ...target.labels, status: String(status) });
      this.deps.traffic.failure(revision.key, status);
      this.logFailure(revision, target, time, 0, 'rejected', err);
      throw err;
    }
    const started = performance.now();
    revision.enter();
    let outputs: Outputs;
    let predictions: unknown[];
    let shadowsHeld = 0;
    try {
      outputs = await this.runWithTimeout(target, batch, revision.spec.timeoutMs, started);
      try {
        predictions = predictionsOf(target.runtime.schema, outputs, batch.rows);
      } catch (err) {
        if (req.rowPredictions !== false) throw err;
        predictions = new Array<unknown>(batch.rows).fill(null);
      }
      // The shadows will use this revision's runtimes after the answer: hold it for them now, before the
      // primary lets go, so that a swap in between cannot release a runtime a shadow is about to use.
      for (let i = 0; i < revision.shadows.length; i++) revision.enter();
      shadowsHeld = revision.shadows.length;
    } catch (err) {
      const status = err instanceof DomainError ? STATUS_BY_KIND[err.kind] : 500;
      metrics.predictions.inc({ ...target.labels, status: String(status) });
      this.deps.traffic.failure(revision.key, status);
      this.logFailure(revision, target, time, Math.round((performance.now() - started) * 1000), status < 500 && status !== 429 ? 'rejected' : 'error', err);
      throw err;
    } finally {
      revision.leave();
    }
    const latencyMicros = Math.round((performance.now() - started) * 1000);
    const ids = new Array<string>(batch.rows);
    const records = new Array<PredictionRecord>(batch.rows);
    const schema = target.runtime.schema;
    for (let r = 0; r < batch.rows; r++) {
      const id = newId(time);
      ids[r] = id;
      records[r] = {
        id,
        time,
        deployment: revision.name,
        project: revision.project,
        revision: revision.revision,
        model: target.model,
        version: target.version,
        latencyMicros,
        inputs: rowInputs(schema, batch, r),
        outputs: predictions[r],
      };
    }
    // Written before the answer leaves: a client never holds an id that the log could lose to a crash.
    try {
      await this.commit.append(records);
    } catch (err) {
      for (let i = 0; i < shadowsHeld; i++) revision.leave();
      throw err;
    }
    target.series.ok.inc();
    target.series.rows.inc(batch.rows);
    target.series.latency.observe(latencyMicros / 1e6);
    this.deps.traffic.success(revision.key, latencyMicros, batch.rows);
    if (revision.shadows.length > 0) this.shadow(revision, req, ids, time, target, batch);
    return { revision, target, rows: batch.rows, outputs, predictionIds: ids, predictions };
  }

  /**
   * Records a failed request in the prediction log (one record, no prediction) for monitoring's error and
   * rejection rates. Never awaited by the request and never fails it.
   */
  private logFailure(revision: LiveRevision, target: LiveTarget, time: number, latencyMicros: number, status: 'rejected' | 'error', err: unknown): void {
    try {
      const error = String((err as Error)?.message ?? err).slice(0, 300);
      this.deps.log.append([{ id: newId(time), time, deployment: revision.name, project: revision.project, revision: revision.revision, model: target.model, version: target.version, latencyMicros, inputs: {}, outputs: null, status, error }]);
    } catch (logErr) {
      this.deps.logger.error({ err: logErr }, 'could not log a failed request');
    }
  }

  /**
   * Runs with the deployment's timeout. One sweeper timer (every 50 ms) serves all requests, instead of a
   * timer and a Promise.race per request; a request is refused within 50 ms after its deadline.
   */
  private runWithTimeout(target: LiveTarget, batch: DecodedBatch, timeoutMs: number, started: number): Promise<Outputs> {
    return new Promise<Outputs>((resolve, reject) => {
      const waiting = { deadline: started + timeoutMs, timeoutMs, target, batch, reject, done: false };
      this.waiting.add(waiting);
      this.ensureSweeper();
      target.runner.run(batch, started + timeoutMs).then(
        (o) => {
          if (waiting.done) return;
          waiting.done = true;
          this.waiting.delete(waiting);
          resolve(o);
        },
        (e: unknown) => {
          if (waiting.done) return;
          waiting.done = true;
          this.waiting.delete(waiting);
          reject(e);
        },
      );
    });
  }

  private readonly waiting = new Set<{ deadline: number; timeoutMs: number; target: LiveTarget; batch: DecodedBatch; reject: (e: unknown) => void; done: boolean }>();
  private sweeper: NodeJS.Timeout | null = null;

  private ensureSweeper(): void {
    if (this.sweeper !== null) return;
    this.sweeper = setInterval(() => {
      const now = performance.now();
      for (const w of this.waiting) {
        if (w.deadline > now) continue;
        w.done = true;
        this.waiting.delete(w);
        w.target.runner.abandon(w.batch);
        w.reject(timedOut(w.timeoutMs));
      }
      if (this.waiting.size === 0 && this.sweeper !== null) {
        clearInterval(this.sweeper);
        this.sweeper = null;
      }
    }, 50);
    this.sweeper.unref();
  }

  /** Copies the request to every shadow after the primary has answered; never awaited by the caller. */
  private shadow(revision: LiveRevision, req: InferenceRequest, ids: string[], time: number, primary: LiveTarget, primaryBatch: DecodedBatch): void {
    const { metrics, logger } = this.deps;
    for (const s of revision.shadows) {
      // predict() holds the revision once per shadow; each shadow lets go when it is done or dropped.
      if (this.shadowInFlight >= MAX_SHADOW_IN_FLIGHT) {
        metrics.shadow.inc({ ...s.labels, outcome: 'dropped' });
        revision.leave();
        continue;
      }
      this.shadowInFlight++;
      setImmediate(() => {
        const started = performance.now();
        let batch: DecodedBatch | undefined;
        // A shadow with the primary's inputs reuses its decoded batch, and its records leave the inputs out
        // (the primary's record with the same id has them).
        const same = sameInputs(s.runtime.schema, primary.runtime.schema);
        const record = (id: string, latencyMicros: number, rest: Pick<PredictionRecord, 'inputs' | 'outputs' | 'status' | 'error'>): PredictionRecord => ({
          id,
          time,
          deployment: revision.name,
          project: revision.project,
          revision: revision.revision,
          model: s.model,
          version: s.version,
          shadow: true,
          latencyMicros,
          ...rest,
        });
        void (async () => {
          batch = same ? primaryBatch : req.decode(s.runtime.schema);
          if (batch.rows !== ids.length) throw new Error('the shadow decoded a different number of rows');
          const outputs = await s.runner.run(batch, started + revision.spec.timeoutMs);
          return predictionsOf(s.runtime.schema, outputs, batch.rows);
        })()
          .then(
            (predictions) => {
              const latencyMicros = Math.round((performance.now() - started) * 1000);
              this.deps.log.append(predictions.map((p, r) => record(ids[r]!, latencyMicros, { inputs: same ? {} : rowInputs(s.runtime.schema, batch!, r), outputs: p })));
              metrics.shadow.inc({ ...s.labels, outcome: 'ok' });
            },
            (err: unknown) => {
              metrics.shadow.inc({ ...s.labels, outcome: 'error' });
              if (logger.isLevelEnabled('debug')) logger.debug({ err, deployment: revision.key, model: s.model, version: s.version }, 'shadow prediction failed');
              try {
                const latencyMicros = Math.round((performance.now() - started) * 1000);
                const error = String((err as Error)?.message ?? err).slice(0, 500);
                this.deps.log.append(ids.map((id) => record(id, latencyMicros, { inputs: {}, outputs: null, status: 'error', error })));
              } catch (logErr) {
                logger.error({ err: logErr }, 'could not log a failed shadow prediction');
              }
            },
          )
          .catch((err: unknown) => logger.error({ err }, 'shadow bookkeeping failed'))
          .finally(() => {
            this.shadowInFlight--;
            revision.leave();
          });
      });
    }
  }
}

function sameInputs(a: ModelSchema, b: ModelSchema): boolean {
  if (a === b) return true;
  if (a.inputs.length !== b.inputs.length || a.acceptsMissing !== b.acceptsMissing) return false;
  return a.inputs.every((l, i) => {
    const o = b.inputs[i]!;
    return l.name === o.name && l.datatype === o.datatype && l.declared.length === o.declared.length && l.declared.every((d, k) => d === o.declared[k]);
  });
}

/** V2 response outputs: every tensor output (or those asked for), data flattened. */
export function v2Outputs(outputs: Outputs, names?: string[]): { name: string; datatype: string; shape: number[]; data: unknown[] }[] {
  const out: { name: string; datatype: string; shape: number[]; data: unknown[] }[] = [];
  for (const t of outputs) {
    if (!t) continue;
    if (names && !names.includes(t.name)) continue;
    out.push({ name: t.name, datatype: t.datatype, shape: t.shape, data: tensorJson(t) });
  }
  return out;
}

function tensorJson(t: Tensor): unknown[] {
  const n = t.data.length;
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) out[i] = elementAt(t, i);
  return out;
}
