import { startWorker } from '../platform/worker-threads.js';
import type { Worker } from 'node:worker_threads';
import { isRecordOnlyFlavor, type InspectRequest, type InspectResult, type ModelInspector } from './model-inspector.js';

type Message = InspectRequest | { warmUp: true };

interface Job {
  message: Message;
  resolve: (r: InspectResult) => void;
  reject: (e: Error) => void;
}

/**
 * Runs model inspection in one worker thread, one model at a time, started on first use. A load that
 * exceeds the timeout fails on its own (the worker is replaced); the models queued behind it are then
 * inspected by the new worker. If the worker dies, the model it was loading fails with an error and the
 * queue goes on with a fresh worker.
 */
export class OnnxInspector implements ModelInspector {
  private worker: Worker | undefined;
  /** Whether the current worker has loaded onnxruntime and said so; jobs are timed from then on. */
  private ready = false;
  private readonly queue: Job[] = [];
  private current: { job: Job; id: number; timer: NodeJS.Timeout } | undefined;
  private nextId = 1;
  private closed = false;

  private readonly timeoutMs: number;
  private readonly createWorker: () => Worker;

  /** `createWorker` replaces the onnxruntime worker in tests of the queue itself. */
  constructor(options: { timeoutMs?: number; createWorker?: () => Worker } = {}) {
    this.timeoutMs = options.timeoutMs ?? 10 * 60_000;
    this.createWorker = options.createWorker ?? (() => startWorker(new URL('./onnx-inspect.worker.js', import.meta.url)));
  }

  private start(): Worker {
    const worker = this.createWorker();
    this.ready = false;
    worker.unref();
    worker.on('message', (msg: { ready?: true; id?: number; result?: InspectResult }) => {
      if (msg.ready) {
        if (this.worker === worker) {
          this.ready = true;
          this.pump();
        }
        return;
      }
      if (this.current?.id !== msg.id || !msg.result) return;
      this.finish().resolve(msg.result);
    });
    const died = (err: Error) => {
      if (this.worker !== worker) return; // replaced on purpose (timeout, close)
      this.worker = undefined;
      if (this.current) this.finish().reject(err);
      else queueMicrotask(() => this.pump()); // died before its first job: start another for the queue
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`the model inspection worker stopped (exit code ${code})`)));
    return worker;
  }

  /** Ends the current job, starts the next one, and returns the ended job to settle. */
  private finish(): Job {
    const { job, timer } = this.current!;
    clearTimeout(timer);
    this.current = undefined;
    queueMicrotask(() => this.pump());
    return job;
  }

  private pump(): void {
    if (this.current || this.closed || this.queue.length === 0) return;
    this.worker ??= this.start();
    if (!this.ready) return; // pumped again when the worker says it is ready
    const worker = this.worker;
    const job = this.queue.shift()!;
    const id = this.nextId++;
    const timer = setTimeout(() => {
      // Replace the stuck worker; only this job fails.
      this.worker = undefined;
      void worker.terminate();
      this.finish().resolve({ ok: false, message: `loading the model took longer than ${Math.round(this.timeoutMs / 1000)} s` });
    }, this.timeoutMs);
    this.current = { job, id, timer };
    worker.postMessage({ id, ...job.message });
  }

  private send(message: Message): Promise<InspectResult> {
    if (this.closed) return Promise.reject(new Error('the model inspector is closed'));
    return new Promise<InspectResult>((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
      this.pump();
    });
  }

  inspect(request: InspectRequest): Promise<InspectResult> {
    // Flavors Steward does not run (e.g. 'mlflow') are never handed to a runtime.
    if (isRecordOnlyFlavor(request.flavor)) return Promise.resolve({ ok: false, message: `flavor '${request.flavor}' is not loaded by Steward` });
    return this.send(request);
  }

  /** Starts the worker and initialises onnxruntime in it, so that the first registration does not wait. */
  async warmUp(): Promise<void> {
    const r = await this.send({ warmUp: true });
    if (!r.ok) throw new Error(r.message);
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    const stopped = new Error('the model inspector is closed');
    if (this.current) this.finish().reject(stopped);
    for (const job of this.queue.splice(0)) job.reject(stopped);
    if (w) await w.terminate();
  }
}
