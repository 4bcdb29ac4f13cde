/** A TreeSHAP worker thread: explains row batches of the ensembles it is sent (see tree-shap-pool.ts). */
import { parentPort } from 'node:worker_threads';
import type { TreeEnsemble } from '../../ml/trees/tree-ensemble.js';
import { treeShap } from '../../ml/trees/tree-shap.js';

/** Ensembles by key, the most recently used last; each keeps its TreeSHAP plan (cached per object). */
const ensembles = new Map<string, TreeEnsemble>();
const KEEP = 4;

parentPort!.on('message', (m: { id: number; key: string; ensemble?: TreeEnsemble; x: Float32Array; rows: number }) => {
  try {
    const e = m.ensemble ?? ensembles.get(m.key);
    if (!e) {
      parentPort!.postMessage({ id: m.id, missing: true });
      return;
    }
    ensembles.delete(m.key);
    ensembles.set(m.key, e);
    while (ensembles.size > KEEP) ensembles.delete(ensembles.keys().next().value!);
    const shap = treeShap(e, m.x, m.rows);
    parentPort!.postMessage({ id: m.id, values: shap.values }, [shap.values.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort!.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
});
