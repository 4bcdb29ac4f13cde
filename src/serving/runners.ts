/**
 * Runners put requests onto a runtime. The direct runner calls the runtime once per request; the batching
 * runner merges requests that arrive close together into one call (dynamic batching) and splits the outputs
 * back in order. Both bound what may wait: beyond the limit a request is refused at once with 503 and
 * Retry-After, and a request that waits past its deadline is refused the same way.
 */
import { DomainError, unprocessable } from '../platform/errors.js';
import type { DecodedBatch } from './decode.js';
import type { ModelRuntime } from './runtimes.js';
import { concatRows, sliceRows, type Tensor } from './tensors.js';

/** Requests can share a model call only when every input has the same shape after the batch dimension. */
function sameInnerShapes(a: DecodedBatch, b: DecodedBatch): boolean {
  return a.inputs.every((t, i) => {
    const o = b.inputs[i]!.shape;
    return t.shape.length === o.length && t.shape.every((d, k) => k === 0 || d === o[k]);
  });
}

export type Outputs = (Tensor | null)[];

export interface Runner {
  run(batch: DecodedBatch, deadline: number): Promise<Outputs>;
  /** The caller gave up on this batch (its timeout passed): drop it if it has not started. */
  abandon(batch: DecodedBatch): void;
  /** Rows waiting or running. */
  readonly depth: number;
}

export interface RunnerObserver {
  batch(rows: number): void;
  depth(rows: number): void;
}

export function overloaded(message: string): DomainError {
  return new DomainError('unavailable', 'OVERLOADED', message, { retryAfterSeconds: 1 });
}

export function timedOut(ms: number): DomainError {
  return new DomainError('unavailable', 'INFERENCE_TIMEOUT', `the prediction did not start within the deployment's timeout of ${ms} ms`, { retryAfterSeconds: 1 });
}

export class DirectRunner implements Runner {
  depth = 0;
  constructor(
    private readonly runtime: ModelRuntime,
    private readonly maxQueue: number,
    private readonly observer: RunnerObserver,
  ) {}

  abandon(): void {}

  async run(batch: DecodedBatch): Promise<Outputs> {
    if (this.depth + batch.rows > this.maxQueue && this.depth > 0) throw overloaded(`the deployment has ${this.depth} rows in progress (limit ${this.maxQueue}); retry shortly`);
    this.depth += batch.rows;
    this.observer.depth(this.depth);
    try {
      this.observer.batch(batch.rows);
      return await this.runtime.run(batch.inputs, batch.rows);
    } finally {
      this.depth -= batch.rows;
      this.observer.depth(this.depth);
    }
  }
}

interface Waiting {
  batch: DecodedBatch;
  deadline: number;
  resolve: (o: Outputs) => void;
  reject: (e: unknown) => void;
}

export interface BatchingOptions {
  maxBatchSize: number;
  maxDelayMicros: number;
  maxQueue: number;
  timeoutMs: number;
}

export class BatchingRunner implements Runner {
  private queue: Waiting[] = [];
  private queuedRows = 0;
  private running = 0;
  private runningRows = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate = false;
  /** Concurrent runtime calls; two keep a core busy while the other merges and splits. */
  private readonly maxRunning = 2;

  constructor(
    private readonly runtime: ModelRuntime,
    private readonly options: BatchingOptions,
    private readonly observer: RunnerObserver,
  ) {}

  get depth(): number {
    return this.queuedRows + this.runningRows;
  }

  run(batch: DecodedBatch, deadline: number): Promise<Outputs> {
    if (this.queuedRows + batch.rows > this.options.maxQueue && this.queuedRows > 0) {
      return Promise.reject(overloaded(`the deployment's queue holds ${this.queuedRows} rows (limit ${this.options.maxQueue}); retry shortly`));
    }
    return new Promise<Outputs>((resolve, reject) => {
      this.queue.push({ batch, deadline, resolve, reject });
      this.queuedRows += batch.rows;
      this.observer.depth(this.depth);
      this.schedule();
    });
  }

  abandon(batch: DecodedBatch): void {
    const i = this.queue.findIndex((w) => w.batch === batch);
    if (i < 0) return;
    const [w] = this.queue.splice(i, 1);
    this.queuedRows -= w!.batch.rows;
    this.observer.depth(this.depth);
    w!.reject(timedOut(this.options.timeoutMs));
  }

  private schedule(): void {
    if (this.running >= this.maxRunning || this.queue.length === 0) return;
    if (this.queuedRows >= this.options.maxBatchSize || this.running > 0) {
      // Full, or a call is in progress (requests have been gathering while it ran): go now.
      this.dispatch();
      return;
    }
    if (this.timer === null && !this.immediate) {
      if (this.options.maxDelayMicros < 1000) {
        // Node's timers count whole milliseconds (0 means 1): below one, wait one turn of the event loop,
        // which gathers every request that arrived in it.
        this.immediate = true;
        setImmediate(() => {
          this.immediate = false;
          this.dispatch();
        });
      } else {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.dispatch();
        }, Math.round(this.options.maxDelayMicros / 1000));
      }
    }
  }

  private dispatch(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const now = performance.now();
    const taken: Waiting[] = [];
    let rows = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (next.deadline < now) {
        this.queue.shift();
        this.queuedRows -= next.batch.rows;
        next.reject(timedOut(this.options.timeoutMs));
        continue;
      }
      if (taken.length > 0 && (rows + next.batch.rows > this.options.maxBatchSize || !sameInnerShapes(taken[0]!.batch, next.batch))) break;
      this.queue.shift();
      this.queuedRows -= next.batch.rows;
      taken.push(next);
      rows += next.batch.rows;
    }
    if (taken.length === 0) return;
    this.running++;
    this.runningRows += rows;
    this.observer.batch(rows);
    let inputs: Tensor[];
    try {
      inputs = taken.length === 1 ? taken[0]!.batch.inputs : taken[0]!.batch.inputs.map((_, i) => concatRows(taken.map((w) => w.batch.inputs[i]!)));
    } catch (err) {
      // Never leave a taken request unsettled or the counters off, whatever went wrong.
      for (const w of taken) w.reject(err);
      this.finish(rows);
      return;
    }
    this.runtime.run(inputs, rows).then(
      (outputs) => {
        if (taken.length > 1 && outputs.some((o) => o !== null && o.shape[0] !== rows)) {
          const err = unprocessable('OUTPUTS_NOT_PER_ROW', "this model's outputs do not have one entry per row, so its requests cannot be batched together; turn batching off for it");
          for (const w of taken) w.reject(err);
          this.finish(rows);
          return;
        }
        let start = 0;
        for (const w of taken) {
          const end = start + w.batch.rows;
          w.resolve(taken.length === 1 ? outputs : outputs.map((o) => (o === null ? null : sliceRows(o, start, end))));
          start = end;
        }
        this.finish(rows);
      },
      (err: unknown) => {
        for (const w of taken) w.reject(err);
        this.finish(rows);
      },
    );
  }

  private finish(rows: number): void {
    this.running--;
    this.runningRows -= rows;
    this.observer.depth(this.depth);
    this.schedule();
  }
}
