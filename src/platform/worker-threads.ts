import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread from a module URL given as its compiled `.js`. Built code runs that file. From
 * TypeScript sources (the test suite, benches) the module is a `.ts` file, started through a small bootstrap
 * that registers tsx (a development dependency).
 */
export function startWorker(jsUrl: URL): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(jsUrl);
  const tsEntry = jsUrl.href.replace(/\.js$/, '.ts');
  return new Worker(new URL('../../test/support/ts-worker.mjs', import.meta.url), { workerData: { tsEntry } });
}
