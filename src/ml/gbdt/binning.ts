/**
 * Quantile binning for the histogram trainer (xgboost's tree_method=hist, in the same spirit).
 *
 * Values are rounded to float32 first, as xgboost stores them, so that a cut point found here compares
 * with input rows exactly as the float32 tree evaluator will compare them.
 *
 * Per feature the cut points `c_0 < c_1 < … < c_{k-1}` are float32 values; a value `x` falls in bin
 * `b(x)` = the first index with `c_b > x` (values at or above the last cut fall in the last bin). Hence
 * `b(x) <= s` ⇔ `x < c_s`, so a split after bin `s` is the evaluator's test `x < c_s`.
 * - With at most `maxBins` distinct values the cuts are the distinct values from the second one on, plus
 *   a sentinel above the maximum (xgboost does the same), so every distinct value has its own bin and the
 *   thresholds are data values.
 * - Otherwise the cuts are the unweighted quantiles `sorted[floor(i·n/maxBins)]`, i = 1..maxBins-1
 *   (repeats dropped), plus the sentinel. xgboost uses a hessian-weighted sketch; this is an exact
 *   unweighted quantile, so cut points may differ slightly from xgboost's.
 * Missing values (NaN) are kept apart in bin code `missingBin` (the largest code of the bin type).
 */

export interface FeatureCuts {
  readonly numFeatures: number;
  /** numFeatures + 1 entries: feature f's cuts are values[offsets[f] .. offsets[f+1]-1]. */
  readonly offsets: Int32Array;
  /** All cut points, float32. Feature f has offsets[f+1] - offsets[f] bins. */
  readonly values: Float32Array;
}

export interface BinMatrix {
  readonly rows: number;
  readonly numFeatures: number;
  /** Column-major: the bin of row r, feature f is bins[f * rows + r]. */
  readonly bins: Uint8Array | Uint16Array;
  /** The code of a missing value. */
  readonly missingBin: number;
}

/** Cut points per feature from row-major `x` (rows × numFeatures), NaN meaning missing. */
export function computeCuts(x: Float64Array | Float32Array, rows: number, numFeatures: number, maxBins = 256): FeatureCuts {
  if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > 65535) throw new RangeError(`maxBins ${maxBins} must be a whole number in [2, 65535]`);
  if (x.length !== rows * numFeatures) throw new RangeError(`x has ${x.length} values; expected rows × numFeatures = ${rows * numFeatures}`);
  const offsets = new Int32Array(numFeatures + 1);
  const all: number[] = [];
  const column = new Float32Array(rows);
  for (let f = 0; f < numFeatures; f++) {
    let n = 0;
    for (let r = 0; r < rows; r++) {
      const v = x[r * numFeatures + f]!;
      if (v === v) column[n++] = v;
    }
    const sorted = column.subarray(0, n).sort();
    const cuts: number[] = [];
    if (n > 0) {
      let distinct = 1;
      for (let i = 1; i < n && distinct <= maxBins; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
      if (distinct <= maxBins) {
        for (let i = 1; i < n; i++) if (sorted[i] !== sorted[i - 1]) cuts.push(sorted[i]!);
      } else {
        for (let i = 1; i < maxBins; i++) {
          const c = sorted[Math.floor((i * n) / maxBins)]!;
          if (c > sorted[0]! && (cuts.length === 0 || c > cuts[cuts.length - 1]!)) cuts.push(c);
        }
      }
      const last = sorted[n - 1]!;
      cuts.push(Math.fround(last + Math.abs(last) + 1e-5));
    } else {
      cuts.push(0); // a feature that is always missing: one (empty) bin
    }
    for (const c of cuts) all.push(c);
    offsets[f + 1] = all.length;
  }
  return { numFeatures, offsets, values: Float32Array.from(all) };
}

/** Number of bins of feature f. */
export const binCount = (cuts: FeatureCuts, f: number): number => cuts.offsets[f + 1]! - cuts.offsets[f]!;

/** Bins row-major `x` with the given cuts (training or validation rows alike). */
export function binRows(x: Float64Array | Float32Array, rows: number, cuts: FeatureCuts): BinMatrix {
  const F = cuts.numFeatures;
  if (x.length !== rows * F) throw new RangeError(`x has ${x.length} values; expected rows × numFeatures = ${rows * F}`);
  let widest = 0;
  for (let f = 0; f < F; f++) widest = Math.max(widest, binCount(cuts, f));
  const small = widest <= 255;
  const bins = small ? new Uint8Array(rows * F) : new Uint16Array(rows * F);
  const missingBin = small ? 0xff : 0xffff;
  const { offsets, values } = cuts;
  for (let f = 0; f < F; f++) {
    const lo = offsets[f]!;
    const hi = offsets[f + 1]!;
    const last = hi - lo - 1;
    for (let r = 0; r < rows; r++) {
      const v = Math.fround(x[r * F + f]!);
      let b: number;
      if (v !== v) b = missingBin;
      else {
        // first cut > v (binary search), clamped to the last bin
        let a = lo;
        let z = hi;
        while (a < z) {
          const m = (a + z) >>> 1;
          if (values[m]! > v) z = m;
          else a = m + 1;
        }
        b = Math.min(a - lo, last);
      }
      bins[f * rows + r] = b;
    }
  }
  return { rows, numFeatures: F, bins, missingBin };
}
