/**
 * Runs fold steps in a worker thread, one at a time. The worker starts on first use and again after it
 * failed; `close` stops it.
 */
import { Worker } from 'node:worker_threads';
import type { FoldWorkRequest, FoldWorkResult } from './fold-work.js';

export interface FoldRunner {
  run(request: FoldWorkRequest): Promise<FoldWorkResult>;
  close(): Promise<void>;
}

export class WorkerFoldRunner implements FoldRunner {
  private worker: Worker | null = null;
  private nextId = 0;
  private pending: { id: number; resolve: (r: FoldWorkResult) => void; reject: (e: unknown) => void } | null = null;

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = startWorker(new URL('./fold.worker.js', import.meta.url));
    w.on('message', (m: { id: number; result?: FoldWorkResult; error?: string }) => {
      const p = this.pending;
      if (!p || p.id !== m.id) return;
      this.pending = null;
      if (m.error !== undefined) p.reject(new Error(`monitoring fold worker: ${m.error}`));
      else p.resolve(m.result!);
    });
    const fail = (err: unknown) => {
      if (this.worker === w) this.worker = null;
      const p = this.pending;
      this.pending = null;
      p?.reject(err instanceof Error ? err : new Error(String(err)));
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`monitoring fold worker exited with code ${code}`)));
    w.unref();
    this.worker = w;
    return w;
  }

  run(request: FoldWorkRequest): Promise<FoldWorkResult> {
    if (this.pending) return Promise.reject(new Error('a fold step is already running'));
    const w = this.start();
    const id = ++this.nextId;
    return new Promise<FoldWorkResult>((resolve, reject) => {
      this.pending = { id, resolve, reject };
      w.postMessage({ id, request });
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

/**
 * Built code runs the compiled .js worker. From TypeScript sources (the test suite, benches), the worker is
 * a .ts file started through a small bootstrap that registers tsx (a development dependency).
 */
function startWorker(jsUrl: URL): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(jsUrl);
  const tsEntry = jsUrl.href.replace(/\.js$/, '.ts');
  return new Worker(new URL('../../../test/support/ts-worker.mjs', import.meta.url), { workerData: { tsEntry } });
}
