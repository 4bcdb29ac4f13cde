/**
 * Robustness to small input noise: how much a model's predictions move when every numeric feature is
 * jittered by a small fraction of its spread. A model whose decisions flip under noise far below the
 * data's measurement precision is brittle, whatever its test score.
 *
 * Method. For each numeric feature j, σ_j = relativeNoise · std_j, where std_j is the population
 * standard deviation of the column's finite values (0 for a constant or all-missing column). In each of
 * `repeats` rounds every cell x_ij of a non-skipped feature gets independent Gaussian noise N(0, σ_j²);
 * missing cells (NaN) stay missing and skipped features (categorical codes) are left alone. The noisy
 * copy goes through `predict` once per round and is compared with the prediction on the original rows:
 * - maxAbsoluteChange / meanAbsoluteChange over every (round, row, output) of |f(x + ε) − f(x)|;
 * - for classifiers, the predicted class (one output: probability ≥ threshold, default 0.5; several
 *   outputs: arg-max, first on ties): flipShare is the share of rows whose class changes in at least one
 *   round, flipRate the share of (round, row) pairs where it changes.
 *
 * Noise comes from the explainers' seeded generator (model.ts `Rng`, Box–Muller for the normals), so a
 * result is reproducible from its seed. For a linear model f(x) = w·x the change is Σ w_j ε_j ~
 * N(0, Σ w_j² σ_j²), so E|change| = √(2/π) · √(Σ w_j² σ_j²) and |change| ≤ Σ |w_j| |ε_j|.
 *
 * `predict` receives row-major float64 rows and must return rows × outputs values; it may not keep the
 * buffer it is given (a fresh copy is passed each call).
 */
import { DEFAULT_SEED, Rng } from '../explain/model.js';

export type PredictFunction = (x: Float64Array, rows: number) => Promise<Float64Array>;

export interface PerturbationOptions {
  /** Noise standard deviation as a fraction of each numeric feature's standard deviation (default 0.01). */
  relativeNoise?: number;
  /** Noisy rounds (default 5). */
  repeats?: number;
  seed?: number;
  /** Per feature: true to leave it unperturbed (categorical codes, identifiers). */
  skip?: boolean[];
  /** 'classification' (default) also reports class flips; 'regression' does not. */
  task?: 'classification' | 'regression';
  /** Class threshold for a single probability output (default 0.5). */
  threshold?: number;
}

export interface PerturbationResult {
  rows: number;
  outputs: number;
  repeats: number;
  /** The noise standard deviation applied to each feature (0 for skipped ones). */
  noise: Float64Array;
  maxAbsoluteChange: number;
  meanAbsoluteChange: number;
  /** Share of rows whose predicted class changes in at least one round; null for regression. */
  flipShare: number | null;
  /** Share of (round, row) pairs whose predicted class changes; null for regression. */
  flipRate: number | null;
}

function classOf(p: Float64Array, row: number, outputs: number, threshold: number): number {
  if (outputs === 1) return p[row]! >= threshold ? 1 : 0;
  const base = row * outputs;
  let best = 0;
  for (let k = 1; k < outputs; k++) if (p[base + k]! > p[base + best]!) best = k;
  return best;
}

async function callPredict(predict: PredictFunction, x: Float64Array, rows: number, expected: number | null): Promise<Float64Array> {
  const out = await predict(x.slice(), rows);
  if (!(out instanceof Float64Array)) throw new Error('predict must return a Float64Array');
  if (out.length === 0 || out.length % rows !== 0) throw new Error(`predict returned ${out.length} values for ${rows} rows: expected rows × outputs`);
  if (expected !== null && out.length !== expected) throw new Error(`predict returned ${out.length} values on noisy rows but ${expected} on the original rows`);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i]!)) throw new Error(`predict returned ${out[i]} for row ${Math.floor(i / (out.length / rows))}: predictions must be finite`);
  }
  return out;
}

/** How far predictions move under small Gaussian input noise; see the file comment. */
export async function perturbationStability(predict: PredictFunction, x: Float64Array, rows: number, features: number, options: PerturbationOptions = {}): Promise<PerturbationResult> {
  if (!(Number.isInteger(rows) && rows >= 1)) throw new Error(`rows must be a whole number ≥ 1, not ${rows}`);
  if (!(Number.isInteger(features) && features >= 1)) throw new Error(`features must be a whole number ≥ 1, not ${features}`);
  if (x.length !== rows * features) throw new Error(`x has ${x.length} values but rows × features = ${rows} × ${features} = ${rows * features}`);
  const relativeNoise = options.relativeNoise ?? 0.01;
  if (!(Number.isFinite(relativeNoise) && relativeNoise >= 0)) throw new Error(`relativeNoise must be a finite number ≥ 0, not ${relativeNoise}`);
  const repeats = options.repeats ?? 5;
  if (!(Number.isInteger(repeats) && repeats >= 1)) throw new Error(`repeats must be a whole number ≥ 1, not ${repeats}`);
  const skip = options.skip;
  if (skip !== undefined && skip.length !== features) throw new Error(`skip has ${skip.length} entries but there are ${features} features`);
  const task = options.task ?? 'classification';
  if (task !== 'classification' && task !== 'regression') throw new Error(`task must be 'classification' or 'regression', not ${String(task)}`);
  const threshold = options.threshold ?? 0.5;
  if (!Number.isFinite(threshold)) throw new Error(`threshold must be a finite number, not ${threshold}`);
  const rng = new Rng(options.seed ?? DEFAULT_SEED);

  // σ_j = relativeNoise · population std of the column's finite values.
  const noise = new Float64Array(features);
  for (let j = 0; j < features; j++) {
    if (skip?.[j]) continue;
    let n = 0;
    let mean = 0;
    let m2 = 0;
    for (let i = 0; i < rows; i++) {
      const v = x[i * features + j]!;
      if (!Number.isFinite(v)) continue;
      n++;
      const d = v - mean;
      mean += d / n;
      m2 += d * (v - mean);
    }
    noise[j] = n > 0 ? relativeNoise * Math.sqrt(m2 / n) : 0;
  }

  const base = await callPredict(predict, x, rows, null);
  const outputs = base.length / rows;
  const baseClass = task === 'classification' ? Int32Array.from({ length: rows }, (_, i) => classOf(base, i, outputs, threshold)) : null;
  const flipped = new Uint8Array(rows);
  let flips = 0;
  let maxChange = 0;
  let sumChange = 0;

  const noisy = new Float64Array(x.length);
  let spare: number | null = null;
  const normal = (): number => {
    if (spare !== null) {
      const z = spare;
      spare = null;
      return z;
    }
    const r = Math.sqrt(-2 * Math.log(1 - rng.next())); // 1 − next() ∈ (0, 1]
    const t = 2 * Math.PI * rng.next();
    spare = r * Math.sin(t);
    return r * Math.cos(t);
  };
  for (let k = 0; k < repeats; k++) {
    for (let i = 0, c = 0; i < rows; i++) {
      for (let j = 0; j < features; j++, c++) {
        const v = x[c]!;
        const s = noise[j]!;
        noisy[c] = s > 0 && !Number.isNaN(v) ? v + s * normal() : v;
      }
    }
    const out = await callPredict(predict, noisy, rows, base.length);
    for (let i = 0; i < out.length; i++) {
      const d = Math.abs(out[i]! - base[i]!);
      sumChange += d;
      if (d > maxChange) maxChange = d;
    }
    if (baseClass) {
      for (let i = 0; i < rows; i++) {
        if (classOf(out, i, outputs, threshold) !== baseClass[i]) {
          flips++;
          flipped[i] = 1;
        }
      }
    }
  }
  let flippedRows = 0;
  for (let i = 0; i < rows; i++) flippedRows += flipped[i]!;
  return {
    rows,
    outputs,
    repeats,
    noise,
    maxAbsoluteChange: maxChange,
    meanAbsoluteChange: sumChange / (repeats * base.length),
    flipShare: baseClass ? flippedRows / rows : null,
    flipRate: baseClass ? flips / (rows * repeats) : null,
  };
}
