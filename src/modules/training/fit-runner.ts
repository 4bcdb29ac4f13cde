/**
 * Runs a fit in a worker thread of its own (one per fit: a fit is seconds to minutes of CPU, so starting a
 * thread is cheap beside it, and a stuck or cancelled fit can always be ended by terminating its thread).
 * Iteration reports arrive on the event loop as the fit makes them; `stop()` asks the fit to end after its
 * current round (it then returns what it has, with the reason), and a fit still running 10 s after a stop
 * is terminated.
 */
import type { IterationReport } from '../../ml/gbdt/gbdt-trainer.js';
import { startWorker } from '../../platform/worker-threads.js';
import type { FitInput, FitResult } from './fit.js';

export const STOP_NONE = 0;
export const STOP_CANCEL = 1;
export const STOP_SHUTDOWN = 2;

export interface RunningFit {
  result: Promise<FitResult>;
  stop(reason: typeof STOP_CANCEL | typeof STOP_SHUTDOWN): void;
}

export function startFit(input: FitInput, options: { deadline: number | null; onIteration: (r: IterationReport) => void }): RunningFit {
  const worker = startWorker(new URL('./training.worker.js', import.meta.url));
  const stopBuffer = new SharedArrayBuffer(4);
  const flag = new Int32Array(stopBuffer);
  let killTimer: NodeJS.Timeout | undefined;
  const result = new Promise<FitResult>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(killTimer);
      fn();
      void worker.terminate();
    };
    worker.on('message', (m: { kind: 'iteration'; report: IterationReport } | { kind: 'done'; result: FitResult } | { kind: 'error'; message: string }) => {
      if (m.kind === 'iteration') options.onIteration(m.report);
      else if (m.kind === 'done') settle(() => resolve(m.result));
      else settle(() => reject(new Error(m.message)));
    });
    worker.on('error', (err) => settle(() => reject(err)));
    worker.on('exit', (code) => settle(() => reject(new Error(Atomics.load(flag, 0) !== STOP_NONE ? 'the fit was stopped' : `the training thread exited (code ${code})`))));
  });
  // Large inputs are copied once into the worker (structured clone); transferring would detach the caller's data.
  worker.postMessage({ input, stop: stopBuffer, deadline: options.deadline });
  return {
    result,
    stop(reason) {
      Atomics.store(flag, 0, reason);
      killTimer ??= setTimeout(() => void worker.terminate(), 10_000);
      killTimer.unref();
    },
  };
}
