/**
 * An explanation worker thread (see tree-shap-pool.ts): TreeSHAP and interaction values of row batches of
 * the ensembles it is sent, and k-means background summaries.
 */
import { parentPort } from 'node:worker_threads';
import { summarizeBackground, type BackgroundOptions } from '../../ml/explain/background.js';
import type { TreeEnsemble } from '../../ml/trees/tree-ensemble.js';
import { treeShap, treeShapInteractions } from '../../ml/trees/tree-shap.js';

/** Ensembles by key, the most recently used last; each keeps its TreeSHAP plan (cached per object). */
const ensembles = new Map<string, TreeEnsemble>();
const KEEP = 4;

type Message =
  | { id: number; kind: 'shap' | 'interactions'; key: string; ensemble?: TreeEnsemble; x: Float32Array; rows: number }
  | { id: number; kind: 'kmeans'; x: Float64Array; rows: number; features: number; options: BackgroundOptions };

parentPort!.on('message', (m: Message) => {
  try {
    if (m.kind === 'kmeans') {
      const bg = summarizeBackground(m.x, m.rows, m.features, m.options);
      parentPort!.postMessage({ id: m.id, background: bg }, [bg.x.buffer as ArrayBuffer, bg.weights.buffer as ArrayBuffer]);
      return;
    }
    const e = m.ensemble ?? ensembles.get(m.key);
    if (!e) {
      parentPort!.postMessage({ id: m.id, missing: true });
      return;
    }
    ensembles.delete(m.key);
    ensembles.set(m.key, e);
    while (ensembles.size > KEEP) ensembles.delete(ensembles.keys().next().value!);
    const values = m.kind === 'interactions' ? treeShapInteractions(e, m.x, m.rows).values : treeShap(e, m.x, m.rows).values;
    parentPort!.postMessage({ id: m.id, values }, [values.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort!.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
});
