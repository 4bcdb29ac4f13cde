/**
 * SHA-256 of streams. Hashing 1 GB takes ~0.7 s of CPU; done on the event loop it runs in series with
 * receiving the bytes. ThreadedSha256Hasher moves it to a worker thread so that a large upload is
 * received and hashed at the same time on two cores, and the event loop stays free for other requests.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

export interface Sha256Stream {
  update(chunk: Uint8Array): void;
  /** The lowercase hex digest of everything passed to update. */
  digest(): Promise<string>;
  /** Forget the stream without a digest (after a failed upload). */
  discard(): void;
}

export interface Sha256Hasher {
  begin(): Sha256Stream;
  close(): Promise<void>;
}

/** Hashes on the calling thread. */
export const inlineSha256: Sha256Hasher = {
  begin() {
    const h = createHash('sha256');
    return { update: (c) => void h.update(c), digest: async () => h.digest('hex'), discard: () => undefined };
  },
  close: async () => undefined,
};

// The worker is plain JavaScript so that it runs the same from sources and from the build.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const states = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'update') {
    let h = states.get(m.id);
    if (!h) { h = createHash('sha256'); states.set(m.id, h); }
    h.update(new Uint8Array(m.bytes));
  } else if (m.op === 'digest') {
    const h = states.get(m.id) || createHash('sha256');
    states.delete(m.id);
    parentPort.postMessage({ id: m.id, hex: h.digest('hex') });
  } else if (m.op === 'discard') {
    states.delete(m.id);
  }
});
`;

const BATCH = 1 << 20;

export class ThreadedSha256Hasher implements Sha256Hasher {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (hex: string) => void; reject: (e: Error) => void }>();

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', (m: { id: number; hex: string }) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      w?.resolve(m.hex);
    });
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the hashing worker stopped (exit code ${code})`)));
    return worker;
  }

  begin(): Sha256Stream {
    this.worker ??= this.start();
    const worker = this.worker;
    const id = this.nextId++;
    let parts: Uint8Array[] = [];
    let pending = 0;
    let failed: Error | undefined;
    const onExit = (code: number) => (failed = new Error(`the hashing worker stopped (exit code ${code})`));
    worker.once('exit', onExit);
    const flush = () => {
      if (pending === 0) return;
      // A fresh buffer of its own, so that it can be moved to the worker without copying again.
      const bytes = Buffer.concat(parts, pending);
      parts = [];
      pending = 0;
      const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      worker.postMessage({ op: 'update', id, bytes: owned }, [owned as ArrayBuffer]);
    };
    return {
      update(chunk) {
        parts.push(chunk);
        pending += chunk.byteLength;
        if (pending >= BATCH) flush();
      },
      digest: () => {
        flush();
        worker.off('exit', onExit);
        if (failed) return Promise.reject(failed);
        return new Promise<string>((resolve, reject) => {
          this.waiting.set(id, { resolve, reject });
          worker.postMessage({ op: 'digest', id });
        });
      },
      discard() {
        parts = [];
        pending = 0;
        worker.off('exit', onExit);
        worker.postMessage({ op: 'discard', id });
      },
    };
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}
