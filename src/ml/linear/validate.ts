/** Input checks shared by the linear trainers; every message names the offending row and column. */

export function checkMatrix(name: string, X: Float64Array, nRows: number, nFeatures: number): void {
  if (!Number.isInteger(nRows) || nRows < 1) throw new Error(`${name}: nRows must be a positive integer, got ${nRows}`);
  if (!Number.isInteger(nFeatures) || nFeatures < 1) throw new Error(`${name}: nFeatures must be a positive integer, got ${nFeatures}`);
  if (X.length !== nRows * nFeatures) {
    throw new Error(`${name}: X holds ${X.length} values, expected nRows × nFeatures = ${nRows} × ${nFeatures} = ${nRows * nFeatures}`);
  }
  for (let i = 0; i < X.length; i++) {
    const v = X[i]!;
    if (!Number.isFinite(v)) {
      const row = Math.floor(i / nFeatures);
      throw new Error(`${name}: X[row ${row}, column ${i - row * nFeatures}] is ${v}; all values must be finite numbers`);
    }
  }
}

/** Class labels must be 0..k−1 with at least two distinct classes; returns k (max label + 1). */
export function checkLabels(name: string, y: Int32Array, nRows: number): number {
  if (!(y instanceof Int32Array)) throw new Error(`${name}: y must be an Int32Array of class indices`);
  if (y.length !== nRows) throw new Error(`${name}: y holds ${y.length} labels for ${nRows} rows`);
  let k = 0;
  for (let i = 0; i < nRows; i++) {
    const c = y[i]!;
    if (c < 0) throw new Error(`${name}: y[${i}] is ${c}; class indices must be >= 0`);
    if (c + 1 > k) k = c + 1;
  }
  const seen = new Uint8Array(k);
  let distinct = 0;
  for (let i = 0; i < nRows; i++) {
    if (seen[y[i]!] === 0) {
      seen[y[i]!] = 1;
      distinct++;
    }
  }
  if (distinct < 2) throw new Error(`${name}: y holds only one class (${y[0]}); at least two classes are needed`);
  for (let c = 0; c < k; c++) {
    if (seen[c] === 0) throw new Error(`${name}: class ${c} has no rows; class indices must be 0..${k - 1} with every class present`);
  }
  return k;
}

export function checkTargets(name: string, y: Float64Array, nRows: number): void {
  if (y.length !== nRows) throw new Error(`${name}: y holds ${y.length} values for ${nRows} rows`);
  for (let i = 0; i < nRows; i++) {
    if (!Number.isFinite(y[i]!)) throw new Error(`${name}: y[${i}] is ${y[i]}; targets must be finite numbers`);
  }
}

/** Column means and population standard deviations (ddof 0, as scikit-learn's StandardScaler; a constant column gets scale 1). */
export function columnMoments(X: Float64Array, nRows: number, nFeatures: number): { mean: Float64Array; scale: Float64Array } {
  const mean = new Float64Array(nFeatures);
  const scale = new Float64Array(nFeatures);
  for (let i = 0; i < nRows; i++) for (let j = 0; j < nFeatures; j++) mean[j]! += X[i * nFeatures + j]!;
  for (let j = 0; j < nFeatures; j++) mean[j]! /= nRows;
  for (let i = 0; i < nRows; i++) {
    for (let j = 0; j < nFeatures; j++) {
      const dv = X[i * nFeatures + j]! - mean[j]!;
      scale[j]! += dv * dv;
    }
  }
  for (let j = 0; j < nFeatures; j++) {
    const sd = Math.sqrt(scale[j]! / nRows);
    scale[j] = sd > 0 ? sd : 1;
  }
  return { mean, scale };
}

export function standardizeRows(X: Float64Array, nRows: number, nFeatures: number, mean: Float64Array, scale: Float64Array): Float64Array {
  const Z = new Float64Array(nRows * nFeatures);
  for (let i = 0; i < nRows; i++) {
    for (let j = 0; j < nFeatures; j++) Z[i * nFeatures + j] = (X[i * nFeatures + j]! - mean[j]!) / scale[j]!;
  }
  return Z;
}
