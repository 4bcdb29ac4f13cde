/**
 * Runs fold steps in worker threads: a pool of `size` workers (default 1), each one step at a time. More
 * than one folds faster but takes cores from serving (on two cores, two fold workers halved inference
 * throughput while the log was folded; one costs nothing measurable: docs/benchmarks.md). Workers start on
 * first use and again after one failed; `close` stops them.
 */
import { startWorker } from '../../platform/worker-threads.js';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { FoldWorkRequest, FoldWorkResult } from './fold-work.js';

export interface FoldRunner {
  /** How many steps can run at once. */
  readonly size: number;
  run(request: FoldWorkRequest): Promise<FoldWorkResult>;
  close(): Promise<void>;
}

interface Slot {
  worker: Worker | null;
  pending: { id: number; resolve: (r: FoldWorkResult) => void; reject: (e: unknown) => void } | null;
}

export class WorkerFoldRunner implements FoldRunner {
  readonly size: number;
  private readonly slots: Slot[];
  private readonly queue: { request: FoldWorkRequest; resolve: (r: FoldWorkResult) => void; reject: (e: unknown) => void }[] = [];
  private nextId = 0;

  constructor(size = 1) {
    if (!Number.isInteger(size) || size < 1 || size > availableParallelism() * 4) throw new Error(`fold worker pool size ${size} is out of range`);
    this.size = size;
    this.slots = Array.from({ length: size }, () => ({ worker: null, pending: null }));
  }

  run(request: FoldWorkRequest): Promise<FoldWorkResult> {
    return new Promise<FoldWorkResult>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.pending || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      const id = ++this.nextId;
      slot.pending = { id, resolve: job.resolve, reject: job.reject };
      const w = this.start(slot);
      // Busy workers keep the process alive (someone awaits their answer); idle ones do not.
      w.ref();
      w.postMessage({ id, request: job.request });
    }
  }

  private start(slot: Slot): Worker {
    if (slot.worker) return slot.worker;
    const w = startWorker(new URL('./fold.worker.js', import.meta.url));
    const settle = (fn: (p: NonNullable<Slot['pending']>) => void) => {
      const p = slot.pending;
      slot.pending = null;
      w.unref();
      if (p) fn(p);
      this.dispatch();
    };
    w.on('message', (m: { id: number; result?: FoldWorkResult; error?: string }) => {
      if (!slot.pending || slot.pending.id !== m.id) return;
      settle((p) => (m.error !== undefined ? p.reject(new Error(`monitoring fold worker: ${m.error}`)) : p.resolve(m.result!)));
    });
    const fail = (err: unknown) => {
      if (slot.worker === w) slot.worker = null;
      settle((p) => p.reject(err instanceof Error ? err : new Error(String(err))));
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`monitoring fold worker exited with code ${code}`)));
    w.unref();
    slot.worker = w;
    return w;
  }

  async close(): Promise<void> {
    const workers = this.slots.map((s) => s.worker).filter((w): w is Worker => w !== null);
    for (const s of this.slots) s.worker = null;
    for (const job of this.queue.splice(0)) job.reject(new Error('the monitoring fold is closed'));
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
