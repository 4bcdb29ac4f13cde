/**
 * Worker thread entry for model fits (see fit-runner.ts): receives one FitInput with a shared stop flag and a
 * deadline, posts every iteration's report as it comes, then the result (or the error's message).
 */
import { parentPort } from 'node:worker_threads';
import { fitModel, type FitInput } from './fit.js';
import { STOP_CANCEL, STOP_NONE } from './fit-runner.js';

interface Request {
  input: FitInput;
  stop: SharedArrayBuffer;
  deadline: number | null;
}

parentPort!.on('message', (req: Request) => {
  const flag = new Int32Array(req.stop);
  try {
    const result = fitModel(req.input, {
      onIteration: (report) => parentPort!.postMessage({ kind: 'iteration', report }),
      shouldStop: () => {
        const f = Atomics.load(flag, 0);
        if (f === STOP_CANCEL) return 'cancelled';
        if (f !== STOP_NONE) return 'stopped';
        if (req.deadline !== null && Date.now() >= req.deadline) return 'time budget';
        return undefined;
      },
    });
    parentPort!.postMessage({ kind: 'done', result });
  } catch (err) {
    parentPort!.postMessage({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
  }
});
