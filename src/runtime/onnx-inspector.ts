import { Worker } from 'node:worker_threads';
import type { InspectRequest, InspectResult, ModelInspector } from './model-inspector.js';

interface Pending {
  resolve: (r: InspectResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Runs model inspection in one worker thread, one model at a time, started on first use. When the worker
 * dies or a load exceeds the timeout, pending requests fail and the next request starts a fresh worker.
 */
export class OnnxInspector implements ModelInspector {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly timeoutMs = 10 * 60_000) {}

  private start(): Worker {
    const worker = startWorker(new URL('./onnx-inspect.worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (msg: { id: number; result: InspectResult }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      p.resolve(msg.result);
    });
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(err);
        this.pending.delete(id);
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the model inspection worker stopped (exit code ${code})`)));
    return worker;
  }

  inspect(request: InspectRequest): Promise<InspectResult> {
    return this.send(request);
  }

  /** Starts the worker and initialises onnxruntime in it, so that the first registration does not wait. */
  async warmUp(): Promise<void> {
    const r = await this.send({ warmUp: true });
    if (!r.ok) throw new Error(r.message);
  }

  private send(message: InspectRequest | { warmUp: true }): Promise<InspectResult> {
    if (this.closed) return Promise.reject(new Error('the model inspector is closed'));
    this.worker ??= this.start();
    const worker = this.worker;
    const id = this.nextId++;
    return new Promise<InspectResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, message: `loading the model took longer than ${Math.round(this.timeoutMs / 1000)} s` });
        void worker.terminate();
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      worker.postMessage({ id, ...message });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}

/**
 * Built code runs the compiled .js worker. When running from TypeScript sources (the test suite), the
 * worker is a .ts file, started through a small bootstrap that registers tsx (a development dependency).
 */
function startWorker(jsUrl: URL): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(jsUrl);
  const tsEntry = jsUrl.href.replace(/\.js$/, '.ts');
  return new Worker(new URL('../../test/support/ts-worker.mjs', import.meta.url), { workerData: { tsEntry } });
}
