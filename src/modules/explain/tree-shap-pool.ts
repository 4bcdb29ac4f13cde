/**
 * Explanation work off the event loop: a pool of worker threads (tree-shap.worker.ts) for TreeSHAP and
 * interaction values of row batches, and for k-means background summaries. A TreeSHAP batch is cut into one
 * part per worker; each worker keeps the last few ensembles it was sent (with their precomputed plans, which
 * take a while to build for a large model), so an ensemble crosses to a worker once per key (the runtime's
 * artifact key when given: a model reloaded from the same file is the same key). With no threads (size 0)
 * the work runs inline, for tests and tiny deployments.
 *
 * Explaining 10,000 rows of a 200-tree model, or clustering 10,000 rows into 100 centres, takes seconds of
 * CPU: on the serving thread that would stall every request meanwhile.
 */
import type { Worker } from 'node:worker_threads';
import { summarizeBackground, type Background, type BackgroundOptions } from '../../ml/explain/background.js';
import type { TreeEnsemble } from '../../ml/trees/tree-ensemble.js';
import { shapBias, treeShap, treeShapInteractions, type ShapInteractions, type ShapValues } from '../../ml/trees/tree-shap.js';
import { startWorker } from '../../platform/worker-threads.js';

type Answer = { values?: Float64Array; background?: Background; error?: string; missing?: boolean };

interface Pending {
  settle: (a: Answer) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker | null;
  /** Keys of the ensembles the current worker holds (as far as we know: it may have let some go). */
  holds: Set<string>;
  /** Requests in flight on the current worker. */
  pending: Map<number, Pending>;
}

const MAX_HELD_KEYS = 64;

export class TreeShapPool {
  private readonly slots: Slot[];
  private readonly keys = new WeakMap<TreeEnsemble, string>();
  private nextKey = 0;
  private nextId = 0;
  private nextSlot = 0;
  private closed = false;

  constructor(readonly size = 2) {
    if (!Number.isInteger(size) || size < 0 || size > 64) throw new Error(`the explanation worker pool size must be 0 to 64, not ${size}`);
    this.slots = Array.from({ length: size }, () => ({ worker: null, holds: new Set<string>(), pending: new Map<number, Pending>() }));
  }

  /** SHAP values of `rows` rows (as treeShap), computed by the workers. `key` names the ensemble stably. */
  treeShap(e: TreeEnsemble, x: Float32Array, rows: number, key?: string): Promise<ShapValues> {
    return this.split(e, x, rows, false, key);
  }

  /** SHAP interaction values of `rows` rows (as treeShapInteractions), computed by the workers. */
  treeShapInteractions(e: TreeEnsemble, x: Float32Array, rows: number, key?: string): Promise<ShapInteractions> {
    return this.split(e, x, rows, true, key);
  }

  /** summarizeBackground in a worker. */
  async summarizeBackground(x: Float64Array, rows: number, features: number, options: BackgroundOptions): Promise<Background> {
    if (this.size === 0) return summarizeBackground(x, rows, features, options);
    const slot = this.slots[this.nextSlot++ % this.size]!;
    const answer = await this.send(slot, (id) => ({ id, kind: 'kmeans', x, rows, features, options }));
    if (!answer.background) throw new Error('the explanation worker answered without a background');
    return answer.background;
  }

  private async split(e: TreeEnsemble, x: Float32Array, rows: number, interactions: boolean, given?: string): Promise<ShapValues> {
    if (this.size === 0 || rows === 0) return interactions ? treeShapInteractions(e, x, rows) : treeShap(e, x, rows);
    let key = given;
    if (!key) {
      key = this.keys.get(e);
      if (!key) {
        key = `ensemble-${++this.nextKey}`;
        this.keys.set(e, key);
      }
    }
    const F = e.numFeatures;
    const width = e.numOutputs * F * (interactions ? F : 1);
    const parts = Math.min(this.size, rows);
    const per = Math.ceil(rows / parts);
    const values = new Float64Array(rows * width);
    await Promise.all(
      Array.from({ length: parts }, async (_, p) => {
        const first = p * per;
        const count = Math.min(per, rows - first);
        if (count <= 0) return;
        const part = await this.shapPart(this.slots[p]!, key, e, x.slice(first * F, (first + count) * F), count, interactions);
        values.set(part, first * width);
      }),
    );
    return { rows, numOutputs: e.numOutputs, numFeatures: F, values, bias: shapBias(e) };
  }

  private async shapPart(slot: Slot, key: string, e: TreeEnsemble, x: Float32Array, rows: number, interactions: boolean): Promise<Float64Array> {
    const kind = interactions ? 'interactions' : 'shap';
    // The ensemble goes along the first time this worker sees the key (a copy: serving keeps using ours).
    let answer = await this.send(slot, (id) => {
      const ensemble = slot.holds.has(key) ? undefined : e;
      if (slot.holds.size >= MAX_HELD_KEYS) slot.holds.clear();
      slot.holds.add(key);
      return { id, kind, key, ensemble, x, rows };
    });
    // The worker let it go meanwhile (it keeps only a few): send it again, once.
    if (answer.missing) answer = await this.send(slot, (id) => ({ id, kind, key, ensemble: e, x, rows }));
    if (!answer.values) throw new Error('the explanation worker answered without values');
    return answer.values;
  }

  /** Sends one request to a slot's worker (started if needed); the rows are copied, not transferred. */
  private send(slot: Slot, message: (id: number) => Record<string, unknown>): Promise<Answer> {
    if (this.closed) return Promise.reject(new Error('the explanation worker pool is closed'));
    return new Promise<Answer>((resolve, reject) => {
      const w = this.start(slot);
      const id = ++this.nextId;
      slot.pending.set(id, {
        settle: (a) => (a.error !== undefined ? reject(new Error(`explanation worker: ${a.error}`)) : resolve(a)),
        reject,
      });
      w.ref();
      w.postMessage(message(id));
    });
  }

  private start(slot: Slot): Worker {
    if (slot.worker) return slot.worker;
    const w = startWorker(new URL('./tree-shap.worker.js', import.meta.url));
    // This worker's own requests: a late 'exit' of a replaced worker cannot touch its successor's.
    const pending = new Map<number, Pending>();
    slot.pending = pending;
    slot.holds = new Set();
    w.on('message', (m: Answer & { id: number }) => {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (pending.size === 0) w.unref();
      p.settle(m);
    });
    const fail = (err: unknown) => {
      if (slot.worker === w) slot.worker = null;
      for (const p of pending.values()) p.reject(err instanceof Error ? err : new Error(String(err)));
      pending.clear();
    };
    w.on('error', fail);
    w.on('messageerror', fail);
    w.on('exit', (code) => fail(new Error(`explanation worker exited with code ${code}`)));
    w.unref();
    slot.worker = w;
    return w;
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = this.slots.map((s) => s.worker).filter((w): w is Worker => w !== null);
    for (const s of this.slots) s.worker = null;
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
