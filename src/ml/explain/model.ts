/**
 * What the model-agnostic explainers (KernelSHAP, permutation importance, partial dependence) share:
 *
 * - `BatchModel`, the only thing they know about a model: a width, an output count and an asynchronous
 *   batch prediction over row-major float64 rows (NaN = missing, categorical features as numeric codes).
 * - `streamBatches`, which feeds the model many small "jobs" (an explained row's coalitions, a permuted
 *   copy of the data, a grid point) concatenated into as few `predict` calls as possible, each of at most
 *   `maxBatchRows` rows. A job's rows may straddle two calls; the explainer fills and reads them segment by
 *   segment, so no per-row objects are created and nothing but one batch buffer is held at a time.
 * - `Rng`, monitoring's seeded generator (`Random`: xoshiro128** seeded through splitmix32; Blackman and
 *   Vigna 2018) with integer, shuffle and sampling helpers, so that every sampled quantity (background samples, k-means++ seeds, coalitions, permutations,
 *   ICE rows) is reproducible from one integer seed, independently of Math.random and of the platform.
 */
import { Random } from '../monitoring/profile.js';

/**
 * Rows are row-major float64, numFeatures wide (NaN = missing; categorical features are numeric codes). Returns rows × numOutputs values, row-major.
 * The explainers reuse `x` for the next batch once the promise settles: predict must neither keep nor transfer it.
 */
export interface BatchModel {
  numFeatures: number;
  numOutputs: number;
  predict(x: Float64Array, rows: number): Promise<Float64Array>;
}

/** Largest batch handed to `BatchModel.predict` unless an explainer is told otherwise. */
export const DEFAULT_MAX_BATCH_ROWS = 16384;

/** Seed used when none is given: results are reproducible by default. */
export const DEFAULT_SEED = 0;

/**
 * xoshiro128** (32-bit state words, period 2^128 − 1), seeded by running splitmix32 over the seed so that
 * nearby seeds give unrelated streams. `next()` gives doubles in [0, 1) with 53 random bits.
 */
export class Rng extends Random {
  constructor(seed: number = DEFAULT_SEED) {
    if (!Number.isFinite(seed)) throw new Error(`the seed must be a finite number, not ${seed}`);
    // Fold the seed's integer part (up to 2^53) into 32 bits, keeping the high word's contribution; the
    // generator itself (xoshiro128** seeded by splitmix32) is monitoring's.
    const whole = Math.trunc(seed);
    super(((whole | 0) ^ Math.trunc(whole / 4294967296) ^ 0x9e3779b9) >>> 0);
  }

  /** A uniform integer in [0, n), without modulo bias (n ≤ 2^32). */
  nextInt(n: number): number {
    if (!(n >= 1 && n <= 4294967296 && Number.isInteger(n))) throw new Error(`nextInt needs a whole number in [1, 2^32], not ${n}`);
    if (n === 1) return 0;
    // Rejection sampling on the top of the 32-bit range.
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const u = this.nextUint32();
      if (u < limit) return u % n;
    }
  }

  /** Shuffles `a` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    return a;
  }

  /** A uniformly random permutation of 0..n−1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** `k` distinct indices of 0..n−1 chosen uniformly (partial Fisher–Yates), in the order drawn. */
  sample(n: number, k: number): Int32Array {
    if (k > n) throw new Error(`cannot sample ${k} distinct indices out of ${n}`);
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = 0; i < k; i++) {
      const j = i + this.nextInt(n - i);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p.slice(0, k);
  }
}


/** Throws unless `model` has a sane width and output count and `x` holds `rows` rows of it. */
export function checkModelInput(model: BatchModel, x: Float64Array, rows: number): void {
  if (!Number.isInteger(model.numFeatures) || model.numFeatures < 1) throw new Error(`the model's numFeatures must be a whole number >= 1, not ${model.numFeatures}`);
  if (!Number.isInteger(model.numOutputs) || model.numOutputs < 1) throw new Error(`the model's numOutputs must be a whole number >= 1, not ${model.numOutputs}`);
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`rows must be a whole number >= 1, not ${rows}`);
  if (x.length !== rows * model.numFeatures) {
    throw new Error(`x holds ${x.length} values; expected rows × features = ${rows} × ${model.numFeatures} = ${rows * model.numFeatures}`);
  }
}

/** Validates the batch-size option. */
export function checkMaxBatchRows(maxBatchRows: number | undefined): number {
  const m = maxBatchRows ?? DEFAULT_MAX_BATCH_ROWS;
  if (!Number.isInteger(m) || m < 1) throw new Error(`maxBatchRows must be a whole number >= 1, not ${m}`);
  return m;
}

/**
 * How an explainer lays out its work for `streamBatches`. Jobs are numbered 0..jobCount−1 and processed in
 * order; each has a number of model rows (`begin`, called exactly once per job, in order, right before the
 * job's first rows are filled, so the job can be planned lazily). `fill` writes rows [first, first+count) of
 * the job into `buffer` starting at row `at`; `accept` receives their predictions (`out`, starting at row
 * `at`, numOutputs values a row); `finish` is called once the job's last rows were accepted (at once for a
 * job with no rows).
 */
export interface BatchJobs {
  jobCount: number;
  begin(job: number): number;
  fill(job: number, first: number, count: number, buffer: Float64Array, at: number): void;
  accept(job: number, first: number, count: number, out: Float64Array, at: number): void;
  finish(job: number): void;
}

/** Totals reported by `streamBatches`. */
export interface StreamStats {
  calls: number;
  rowsPredicted: number;
}

/**
 * Runs all jobs through `model.predict` in batches of at most `maxBatchRows` rows (the last one may be
 * shorter; a batch is never padded). Checks every answer's length.
 */
export async function streamBatches(model: BatchModel, jobs: BatchJobs, maxBatchRows: number): Promise<StreamStats> {
  const F = model.numFeatures;
  const K = model.numOutputs;
  const stats: StreamStats = { calls: 0, rowsPredicted: 0 };
  // Segments of the current batch: job, first row within the job, count, and whether it ends the job.
  const segJob: number[] = [];
  const segFirst: number[] = [];
  const segCount: number[] = [];
  const segLast: boolean[] = [];
  let buffer = new Float64Array(0);
  let job = 0;
  let jobRows = jobs.jobCount > 0 ? jobs.begin(0) : 0;
  let done = 0; // rows of `job` already placed in a batch
  while (job < jobs.jobCount) {
    segJob.length = segFirst.length = segCount.length = segLast.length = 0;
    let filled = 0;
    // Fill one batch, walking across jobs; jobs without rows finish as soon as they come up, unless an
    // earlier job of this batch is still waiting for its predictions.
    while (job < jobs.jobCount && filled < maxBatchRows) {
      const take = Math.min(jobRows - done, maxBatchRows - filled);
      if (take > 0) {
        if (buffer.length === 0) buffer = new Float64Array(maxBatchRows * F);
        jobs.fill(job, done, take, buffer, filled);
        segJob.push(job);
        segFirst.push(done);
        segCount.push(take);
        segLast.push(done + take === jobRows);
        filled += take;
        done += take;
      } else if (jobRows === 0) {
        segJob.push(job);
        segFirst.push(0);
        segCount.push(0);
        segLast.push(true);
      }
      if (done === jobRows) {
        job++;
        done = 0;
        jobRows = job < jobs.jobCount ? jobs.begin(job) : 0;
      }
    }
    let out: Float64Array = new Float64Array(0);
    if (filled > 0) {
      const view = filled === maxBatchRows ? buffer : buffer.subarray(0, filled * F);
      out = await model.predict(view, filled);
      stats.calls++;
      stats.rowsPredicted += filled;
      if (!out || out.length !== filled * K) {
        throw new Error(`the model returned ${out?.length} values for ${filled} rows; expected rows × outputs = ${filled * K}`);
      }
    }
    let at = 0;
    for (let s = 0; s < segJob.length; s++) {
      const count = segCount[s]!;
      if (count > 0) jobs.accept(segJob[s]!, segFirst[s]!, count, out, at);
      at += count;
      if (segLast[s]) jobs.finish(segJob[s]!);
    }
  }
  return stats;
}

/** Predictions for `rows` rows of `x`, in batches of at most `maxBatchRows`; adds to `stats` when given. */
export async function predictRows(model: BatchModel, x: Float64Array, rows: number, maxBatchRows: number, stats?: StreamStats): Promise<Float64Array> {
  const F = model.numFeatures;
  const K = model.numOutputs;
  const out = new Float64Array(rows * K);
  const s = await streamBatches(
    model,
    {
      jobCount: 1,
      begin: () => rows,
      fill: (_job, first, count, buffer, at) => buffer.set(x.subarray(first * F, (first + count) * F), at * F),
      accept: (_job, first, count, o, at) => out.set(o.subarray(at * K, (at + count) * K), first * K),
      finish: () => undefined,
    },
    maxBatchRows,
  );
  if (stats) {
    stats.calls += s.calls;
    stats.rowsPredicted += s.rowsPredicted;
  }
  return out;
}
