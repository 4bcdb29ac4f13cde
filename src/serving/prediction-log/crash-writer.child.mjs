// Child process of the crash test in prediction-log.test.ts: appends predictions as fast as it can and,
// after each append returns, writes the ids it appended to stdout. The parent kills it with SIGKILL.
// Runs the TypeScript sources through tsx, as test/support/ts-worker.mjs does for workers.
import { writeSync } from 'node:fs';
import { register } from 'tsx/esm/api';

register();
const { PredictionLog } = await import('./prediction-log.ts');

const [dir, segmentBytes] = process.argv.slice(2);
const log = PredictionLog.open({ dir, segmentBytes: Number(segmentBytes) });
let n = 0;
for (;;) {
  const batch = [];
  const size = 1 + (n % 4);
  for (let i = 0; i < size; i++, n++) {
    const inputs = {};
    for (let f = 0; f < 20; f++) inputs[`f${f}`] = n + f / 100;
    batch.push({
      id: `crash-${process.pid}-${n}`,
      time: Date.now(),
      deployment: 'crash',
      project: 'default',
      revision: 1,
      model: 'm',
      version: 1,
      latencyMicros: 100,
      inputs,
      outputs: [n % 2, 1 - (n % 2)],
    });
  }
  log.append(batch);
  // Written synchronously after the append returned: the parent never sees an id that was not appended.
  writeAll(batch.map((r) => r.id).join('\n') + '\n');
}

function writeAll(text) {
  const bytes = Buffer.from(text);
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(1, bytes, off);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err; // a full pipe: wait for the parent to read
    }
  }
}
