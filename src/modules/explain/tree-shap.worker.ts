/** A TreeSHAP worker thread: explains row batches of the ensembles it is sent (see tree-shap-pool.ts). */
import { parentPort } from 'node:worker_threads';
import type { TreeEnsemble } from '../../ml/trees/tree-ensemble.js';
import { treeShap, treeShapInteractions } from '../../ml/trees/tree-shap.js';

/** Ensembles by key, the most recently used last; each keeps its TreeSHAP plan (cached per object). */
const ensembles = new Map<string, TreeEnsemble>();
const KEEP = 4;

parentPort!.on('message', (m: { id: number; key: string; ensemble?: TreeEnsemble; x: Float32Array; rows: number; interactions?: boolean }) => {
  try {
    const e = m.ensemble ?? ensembles.get(m.key);
    if (!e) {
      parentPort!.postMessage({ id: m.id, missing: true });
      return;
    }
    ensembles.delete(m.key);
    ensembles.set(m.key, e);
    while (ensembles.size > KEEP) ensembles.delete(ensembles.keys().next().value!);
    const values = m.interactions ? treeShapInteractions(e, m.x, m.rows).values : treeShap(e, m.x, m.rows).values;
    parentPort!.postMessage({ id: m.id, values }, [values.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort!.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
});
