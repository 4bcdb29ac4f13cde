/**
 * Traffic weights of a deployment's targets: integers that always sum to 100. Moving one weight shares the
 * rest among the others in proportion to what they had (equally when they all had 0).
 */
export const TOTAL = 100;

/** Integers summing to `total`, each as close to its share as can be (largest remainder; ties go to the earlier one). */
export function apportion(shares: number[], total: number): number[] {
  const out = shares.map((s) => Math.max(0, Math.floor(s + 1e-9)));
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = shares.map((s, i) => ({ i, frac: s - Math.floor(s + 1e-9) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let k = 0; left > 0 && order.length > 0; k = (k + 1) % order.length, left--) out[order[k]!.i]! += 1;
  // Shares summing to more than total (never from the functions below) are trimmed from the largest.
  while (left < 0) {
    const i = out.indexOf(Math.max(...out));
    out[i]! -= 1;
    left++;
  }
  return out;
}

function clampWeight(value: number): number {
  if (!Number.isFinite(value)) return 0;
  return Math.min(TOTAL, Math.max(0, Math.round(value)));
}

/** Weights rescaled to sum to 100 (equal shares when they sum to 0). */
export function normalize(weights: number[]): number[] {
  if (weights.length === 0) return [];
  const w = weights.map((x) => Math.max(0, Number.isFinite(x) ? x : 0));
  const sum = w.reduce((a, b) => a + b, 0);
  return apportion(
    w.map((x) => (sum > 0 ? (x * TOTAL) / sum : TOTAL / w.length)),
    TOTAL,
  );
}

/** Target `index` set to `value`; the others share the rest in proportion to their weights. */
export function setWeight(weights: number[], index: number, value: number): number[] {
  const n = weights.length;
  if (n === 0) return [];
  if (n === 1) return [TOTAL];
  const v = clampWeight(value);
  const rest = TOTAL - v;
  const others = weights.map((w, i) => (i === index ? 0 : Math.max(0, w)));
  const sum = others.reduce((a, b) => a + b, 0);
  const shares = others.map((w, i) => (i === index ? 0 : sum > 0 ? (w * rest) / sum : rest / (n - 1)));
  const out = apportion(shares, rest);
  out[index] = v;
  return out;
}

/** A new target at 0% (or 100% when it is the only one). */
export function addWeight(weights: number[]): number[] {
  return weights.length === 0 ? [TOTAL] : [...weights, 0];
}

/** Target `index` removed; its share goes to the others in proportion to their weights. */
export function removeWeight(weights: number[], index: number): number[] {
  return normalize(weights.filter((_w, i) => i !== index));
}
