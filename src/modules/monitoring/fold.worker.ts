/** The fold worker thread: answers fold requests one at a time (see fold-work.ts). */
import { parentPort } from 'node:worker_threads';
import { foldWork, type FoldWorkRequest } from './fold-work.js';

parentPort!.on('message', (message: { id: number; request: FoldWorkRequest }) => {
  foldWork(message.request).then(
    (result) => {
      const transfer = result.kind === 'folded' ? result.windows.map((w) => w.profile.sample.data.buffer as ArrayBuffer) : [];
      parentPort!.postMessage({ id: message.id, result }, transfer);
    },
    (err: unknown) => parentPort!.postMessage({ id: message.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
