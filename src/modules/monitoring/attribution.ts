/**
 * Feature-attribution drift: how much each feature drives the model's output (mean |SHAP| over rows) on
 * the current rows against the reference rows. A model can keep its input distributions and still lean on
 * different features (an interaction shifting), and a drifted feature that the model ignores does not
 * matter: attribution drift sees both.
 *
 * Exact TreeSHAP on the row samples monitoring keeps (the reference's and the windows'), for tree models;
 * `shift` = Σ_f |current_f − reference_f| / Σ_f reference_f, the share of the attribution mass that moved.
 */
import type { RowSample } from '../../ml/monitoring/profile.js';
import type { TreeEnsemble } from '../../ml/trees/tree-ensemble.js';
import { treeShap, type ShapValues } from '../../ml/trees/tree-shap.js';

export interface AttributionDrift {
  method: 'tree';
  rows: { reference: number; current: number };
  shift: number;
  /** Per feature: mean |SHAP| (summed over outputs) on each side, and current − reference. */
  features: Record<string, { reference: number; current: number; change: number }>;
}

/** Mean |SHAP| per feature (summed over outputs) over the first `maxRows` rows of a sample; null when a feature has no column. */
export async function meanAbsShap(
  e: TreeEnsemble,
  features: string[],
  sample: RowSample,
  maxRows: number,
  shap: (e: TreeEnsemble, x: Float32Array, rows: number) => Promise<ShapValues> = async (a, b, c) => treeShap(a, b, c),
): Promise<{ values: Float64Array; rows: number } | null> {
  const F = features.length;
  if (F !== e.numFeatures) return null;
  const index = features.map((f) => sample.columns.indexOf(f));
  if (index.some((i) => i < 0)) return null;
  const rows = Math.min(sample.rows, maxRows);
  if (rows === 0) return { values: new Float64Array(F), rows: 0 };
  const C = sample.columns.length;
  const x = new Float32Array(rows * F);
  for (let r = 0; r < rows; r++) for (let f = 0; f < F; f++) x[r * F + f] = sample.data[r * C + index[f]!]!;
  const values = (await shap(e, x, rows)).values;
  const K = e.numOutputs;
  const out = new Float64Array(F);
  for (let r = 0; r < rows; r++) for (let o = 0; o < K; o++) for (let f = 0; f < F; f++) out[f]! += Math.abs(values[(r * K + o) * F + f]!);
  for (let f = 0; f < F; f++) out[f]! /= rows;
  return { values: out, rows };
}

export function attributionDrift(features: string[], reference: { values: Float64Array; rows: number }, current: { values: Float64Array; rows: number }): AttributionDrift {
  let moved = 0;
  let mass = 0;
  const out: AttributionDrift['features'] = {};
  features.forEach((f, i) => {
    const ref = reference.values[i]!;
    const cur = current.values[i]!;
    moved += Math.abs(cur - ref);
    mass += ref;
    out[f] = { reference: ref, current: cur, change: cur - ref };
  });
  return { method: 'tree', rows: { reference: reference.rows, current: current.rows }, shift: mass > 0 ? moved / mass : 0, features: out };
}
