// Starts a TypeScript worker module under tsx, for code that runs from sources in the test suite.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.tsEntry);
