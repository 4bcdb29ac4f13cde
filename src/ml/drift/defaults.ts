/**
 * Evidently's default drift test per column (registry._get_default_stattest) and the
 * dataset-level drift-share rule. Pure decision logic; scores come from ./stats.ts.
 */
import {
  binData, categoryCounts, chiSquareDriftPValue, jensenShannonDistance, ksTwoSample, psi,
  wassersteinNormed, zTestPValue,
} from './stats.js';
import type { ColumnKind, Sample } from './stats.js';

export type DriftMethod = 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon' | 'psi';

/** How a score is compared with the threshold to declare drift. */
export type DriftRule = 'p<=' | 'p<' | 'score>=';

export interface DriftTestChoice {
  method: DriftMethod;
  threshold: number;
  rule: DriftRule;
}

/** Evidently's threshold and comparison for each method. */
export const DRIFT_TESTS: Readonly<Record<DriftMethod, DriftTestChoice>> = {
  ks: { method: 'ks', threshold: 0.05, rule: 'p<=' },
  chisquare: { method: 'chisquare', threshold: 0.05, rule: 'p<' },
  z: { method: 'z', threshold: 0.05, rule: 'p<' },
  wasserstein: { method: 'wasserstein', threshold: 0.1, rule: 'score>=' },
  jensenshannon: { method: 'jensenshannon', threshold: 0.1, rule: 'score>=' },
  psi: { method: 'psi', threshold: 0.1, rule: 'score>=' },
};

/** Reference row count above which Evidently switches from tests to distances. */
export const LARGE_REFERENCE_ROWS = 1000;

export interface ColumnProfile {
  /** Finite rows in the reference sample. */
  referenceRows: number;
  /** Distinct finite values over reference ∪ current. */
  uniqueValues: number;
  kind: ColumnKind;
}

/** Default test for a column (REFERENCE §4 table). */
export function defaultDriftTest({ referenceRows, uniqueValues, kind }: ColumnProfile): DriftTestChoice {
  const fewValues = kind === 'categorical' || uniqueValues <= 5;
  let method: DriftMethod;
  if (referenceRows <= LARGE_REFERENCE_ROWS) {
    method = fewValues ? (uniqueValues > 2 ? 'chisquare' : 'z') : 'ks';
  } else {
    method = fewValues ? 'jensenshannon' : 'wasserstein';
  }
  return DRIFT_TESTS[method];
}

export function isDrifted(choice: DriftTestChoice, score: number): boolean {
  switch (choice.rule) {
    case 'p<=': return score <= choice.threshold;
    case 'p<': return score < choice.threshold;
    case 'score>=': return score >= choice.threshold;
  }
}

/** Score of `method` on two samples (non-finite values dropped), as Evidently computes it. */
export function driftScore(method: DriftMethod, reference: Sample, current: Sample, kind: ColumnKind): number {
  switch (method) {
    case 'ks': return ksTwoSample(reference, current).pvalue;
    case 'wasserstein': return wassersteinNormed(reference, current);
    case 'chisquare': {
      const c = categoryCounts(reference, current);
      return chiSquareDriftPValue(c.referenceCounts, c.currentCounts);
    }
    case 'z': {
      const c = categoryCounts(reference, current);
      return zTestPValue(c.referenceCounts, c.currentCounts);
    }
    case 'jensenshannon': {
      const b = binData(reference, current, kind);
      return jensenShannonDistance(b.referencePercents, b.currentPercents, 2);
    }
    case 'psi': {
      const b = binData(reference, current, kind);
      return psi(b.referencePercents, b.currentPercents);
    }
  }
}

/** Evidently's dataset drift: share of drifted columns ≥ `share` (default 0.5). */
export function datasetDrift(columnDrifted: readonly boolean[], share = 0.5): {
  drifted: boolean; driftedColumns: number; share: number;
} {
  const n = columnDrifted.filter(Boolean).length;
  const s = columnDrifted.length === 0 ? 0 : n / columnDrifted.length;
  return { drifted: columnDrifted.length > 0 && s >= share, driftedColumns: n, share: s };
}
