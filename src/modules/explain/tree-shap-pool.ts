/**
 * TreeSHAP off the event loop: a pool of worker threads (tree-shap.worker.ts) that explain row batches.
 * A batch is cut into one part per worker; each worker keeps the last few ensembles it was sent (with their
 * precomputed plans, which take a while to build for a large model), so an ensemble crosses to a worker
 * once. With no threads (size 0) the work runs inline, for tests and tiny deployments.
 *
 * Explaining 10,000 rows of a 200-tree model takes seconds of CPU: on the serving thread that would stall
 * every request meanwhile.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { TreeEnsemble } from '../../ml/trees/tree-ensemble.js';
import { shapBias, treeShap, treeShapInteractions, type ShapInteractions, type ShapValues } from '../../ml/trees/tree-shap.js';
import { startWorker } from '../../platform/worker-threads.js';

interface Pending {
  resolve: (v: Float64Array) => void;
  reject: (e: unknown) => void;
  retry: () => void;
}

interface Slot {
  worker: Worker | null;
  /** Keys of the ensembles this worker holds. */
  holds: Set<string>;
  pending: Map<number, Pending>;
}

export class TreeShapPool {
  private readonly slots: Slot[];
  private readonly keys = new WeakMap<TreeEnsemble, string>();
  private nextKey = 0;
  private nextId = 0;
  private closed = false;

  constructor(readonly size = Math.min(2, availableParallelism())) {
    if (!Number.isInteger(size) || size < 0 || size > availableParallelism() * 4) throw new Error(`TreeSHAP pool size ${size} is out of range`);
    this.slots = Array.from({ length: size }, () => ({ worker: null, holds: new Set(), pending: new Map() }));
  }

  /** SHAP values of `rows` rows (as treeShap), computed by the workers. */
  treeShap(e: TreeEnsemble, x: Float32Array, rows: number): Promise<ShapValues> {
    return this.split(e, x, rows, false);
  }

  /** SHAP interaction values of `rows` rows (as treeShapInteractions), computed by the workers. */
  treeShapInteractions(e: TreeEnsemble, x: Float32Array, rows: number): Promise<ShapInteractions> {
    return this.split(e, x, rows, true);
  }

  private async split(e: TreeEnsemble, x: Float32Array, rows: number, interactions: boolean): Promise<ShapValues> {
    if (this.size === 0 || rows === 0) return interactions ? treeShapInteractions(e, x, rows) : treeShap(e, x, rows);
    if (this.closed) throw new Error('the TreeSHAP pool is closed');
    let key = this.keys.get(e);
    if (!key) {
      key = `e${++this.nextKey}`;
      this.keys.set(e, key);
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
        const part = await this.run(this.slots[p]!, key, e, x.slice(first * F, (first + count) * F), count, interactions);
        values.set(part, first * width);
      }),
    );
    return { rows, numOutputs: e.numOutputs, numFeatures: F, values, bias: shapBias(e) };
  }

  private run(slot: Slot, key: string, e: TreeEnsemble, x: Float32Array, rows: number, interactions: boolean): Promise<Float64Array> {
    return new Promise<Float64Array>((resolve, reject) => {
      const send = (withEnsemble: boolean) => {
        const w = this.start(slot);
        const id = ++this.nextId;
        // The ensemble goes along the first time this worker sees it (a copy: serving keeps using ours), and
        // again when the worker has let it go (it keeps only a few) and answers `missing`.
        const ensemble = withEnsemble || !slot.holds.has(key) ? e : undefined;
        if (ensemble) slot.holds.add(key);
        slot.pending.set(id, { resolve, reject, retry: () => send(true) });
        w.ref();
        // The rows are copied, not transferred, so that a retry can send them again.
        w.postMessage({ id, key, ensemble, x, rows, interactions });
      };
      send(false);
    });
  }

  private start(slot: Slot): Worker {
    if (slot.worker) return slot.worker;
    const w = startWorker(new URL('./tree-shap.worker.js', import.meta.url));
    w.on('message', (m: { id: number; values?: Float64Array; error?: string; missing?: boolean }) => {
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      if (slot.pending.size === 0) w.unref();
      if (m.missing) p.retry();
      else if (m.error !== undefined) p.reject(new Error(`TreeSHAP worker: ${m.error}`));
      else p.resolve(m.values!);
    });
    const fail = (err: unknown) => {
      if (slot.worker === w) slot.worker = null;
      slot.holds.clear();
      for (const p of slot.pending.values()) p.reject(err instanceof Error ? err : new Error(String(err)));
      slot.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`TreeSHAP worker exited with code ${code}`)));
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
