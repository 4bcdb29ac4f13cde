/**
 * Group fairness of a binary classifier's decisions, with fairlearn's definitions
 * (fairlearn.metrics: selection_rate, true/false_positive_rate, demographic_parity_difference/_ratio,
 * equal_opportunity_difference, equalized_odds_difference with the defaults method="between_groups",
 * agg="worst_case"):
 *
 * - per group a: count, selection rate P(ŷ = 1 | A = a), true positive rate P(ŷ = 1 | A = a, y = 1),
 *   false positive rate P(ŷ = 1 | A = a, y = 0) and accuracy P(ŷ = y | A = a);
 * - demographic parity difference = max − min selection rate over groups; ratio = min / max;
 * - equal opportunity difference = max − min true positive rate;
 * - equalized odds difference = the larger of the TPR difference and the FPR difference.
 *
 * Why: a governance gate must be able to say "the model denies group A's applicants much more often than
 * group B's" with numbers that match the usual open-source definitions.
 *
 * Undefined rates. A group without positive labels has no true positive rate (without negatives, no
 * false positive rate): groupRates reports null there, and the differences are taken over the groups
 * where the rate is defined (fairlearn would count such a group's rate as 0, from scikit-learn's
 * normalised confusion matrix, which makes a difference out of a missing quantity). A difference is null
 * when no group defines the rate; the ratio is null when every selection rate is 0 (0/0).
 *
 * Inputs: labels and decisions are 0/1 (anything else throws, naming the row), groups are strings or
 * numbers (1 and "1" are different groups; NaN is refused). Groups are listed numbers first (ascending),
 * then strings (code-unit order), as fairlearn's sorted index.
 */

export type GroupValue = string | number;

export interface GroupRates {
  group: GroupValue;
  /** Rows in the group. */
  count: number;
  /** Rows with label 1 / label 0. */
  positives: number;
  negatives: number;
  /** P(ŷ = 1). */
  selectionRate: number;
  /** P(ŷ = 1 | y = 1); null without positive labels. */
  truePositiveRate: number | null;
  /** P(ŷ = 1 | y = 0); null without negative labels. */
  falsePositiveRate: number | null;
  /** P(ŷ = y). */
  accuracy: number;
}

export interface FairnessReport {
  groups: GroupRates[];
  demographicParityDifference: number | null;
  demographicParityRatio: number | null;
  equalOpportunityDifference: number | null;
  equalizedOddsDifference: number | null;
}

function checkBinary(name: string, values: ArrayLike<number>, n: number): void {
  if (values.length !== n) throw new Error(`${name} has ${values.length} values but there are ${n} rows`);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v !== 0 && v !== 1) throw new Error(`${name}[${i}] is ${String(v)}: labels and decisions must be 0 or 1`);
  }
}

function compareGroups(a: GroupValue, b: GroupValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Per-group rates (see the file comment), groups in sorted order. */
export function groupRates(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, group: ArrayLike<GroupValue>): GroupRates[] {
  const n = group.length;
  if (n === 0) throw new Error('fairness needs at least one row');
  checkBinary('yTrue', yTrue, n);
  checkBinary('yPred', yPred, n);
  // Per group: [count, positives, selected, true positives, false positives, correct].
  const tallies = new Map<GroupValue, Float64Array>();
  for (let i = 0; i < n; i++) {
    const g = group[i];
    if (typeof g === 'number') {
      if (Number.isNaN(g)) throw new Error(`group[${i}] is NaN: give missing groups a name of their own`);
    } else if (typeof g !== 'string') {
      throw new Error(`group[${i}] is ${String(g)}: groups must be strings or numbers`);
    }
    let t = tallies.get(g);
    if (!t) tallies.set(g, (t = new Float64Array(6)));
    const y = yTrue[i]!;
    const p = yPred[i]!;
    t[0]!++;
    t[1]! += y;
    t[2]! += p;
    if (p === 1) {
      if (y === 1) t[3]!++;
      else t[4]!++;
    }
    if (p === y) t[5]!++;
  }
  return [...tallies.keys()].sort(compareGroups).map((g) => {
    const [count, positives, selected, tp, fp, correct] = tallies.get(g)! as unknown as [number, number, number, number, number, number];
    const negatives = count - positives;
    return {
      group: g,
      count,
      positives,
      negatives,
      selectionRate: selected / count,
      truePositiveRate: positives > 0 ? tp / positives : null,
      falsePositiveRate: negatives > 0 ? fp / negatives : null,
      accuracy: correct / count,
    };
  });
}

function spread(values: (number | null)[]): { min: number; max: number } | null {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v === null) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? { min, max } : null;
}

function difference(values: (number | null)[]): number | null {
  const s = spread(values);
  return s ? s.max - s.min : null;
}

/** All four summary measures from per-group rates (as returned by groupRates). */
export function summarizeFairness(groups: GroupRates[]): FairnessReport {
  const selection = spread(groups.map((g) => g.selectionRate));
  const tprDiff = difference(groups.map((g) => g.truePositiveRate));
  const fprDiff = difference(groups.map((g) => g.falsePositiveRate));
  return {
    groups,
    demographicParityDifference: selection ? selection.max - selection.min : null,
    demographicParityRatio: selection && selection.max > 0 ? selection.min / selection.max : null,
    equalOpportunityDifference: tprDiff,
    equalizedOddsDifference: tprDiff === null ? fprDiff : fprDiff === null ? tprDiff : Math.max(tprDiff, fprDiff),
  };
}

/** Per-group rates and all four summary measures in one pass. */
export function fairnessReport(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, group: ArrayLike<GroupValue>): FairnessReport {
  return summarizeFairness(groupRates(yTrue, yPred, group));
}

/** max − min selection rate over groups. */
export function demographicParityDifference(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, group: ArrayLike<GroupValue>): number {
  return fairnessReport(yTrue, yPred, group).demographicParityDifference!;
}

/** min / max selection rate over groups; null when no group is ever selected. */
export function demographicParityRatio(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, group: ArrayLike<GroupValue>): number | null {
  return fairnessReport(yTrue, yPred, group).demographicParityRatio;
}

/** max − min true positive rate over the groups with positive labels; null when there are none. */
export function equalOpportunityDifference(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, group: ArrayLike<GroupValue>): number | null {
  return fairnessReport(yTrue, yPred, group).equalOpportunityDifference;
}

/** The larger of the true positive rate difference and the false positive rate difference. */
export function equalizedOddsDifference(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, group: ArrayLike<GroupValue>): number | null {
  return fairnessReport(yTrue, yPred, group).equalizedOddsDifference;
}
