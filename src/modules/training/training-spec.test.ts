import { describe, expect, it } from 'vitest';
import type { ColumnSchema } from '../../data/column-types.js';
import { DomainError } from '../../platform/errors.js';
import { searchTrials } from './search.js';
import { assignFolds, holdoutMask } from './training-data.js';
import { effectiveParams, parseTrainingRequest, resolveTrainingSpec, type TargetSummary } from './training-spec.js';

const COLUMNS: ColumnSchema[] = [
  { name: 'age', type: 'numeric', storage: 'DOUBLE' },
  { name: 'count', type: 'integer', storage: 'BIGINT' },
  { name: 'owner', type: 'boolean', storage: 'BOOLEAN' },
  { name: 'city', type: 'categorical', storage: 'VARCHAR' },
  { name: 'label', type: 'categorical', storage: 'VARCHAR' },
  { name: 'price', type: 'numeric', storage: 'DOUBLE' },
];
const summary = (distinct: string[], rows = 100, moreDistinct = false): TargetSummary => ({ rows, distinct, moreDistinct });

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return String((err as DomainError).details?.field);
  }
  throw new Error('no error');
}

describe('training requests', () => {
  it('infers the task from the target and takes the numeric, integer and boolean columns as features', () => {
    const spec = resolveTrainingSpec(parseTrainingRequest({ dataset: 'd@1', target: 'label' }), COLUMNS, summary(['no', 'yes']));
    expect(spec.task).toBe('binary');
    expect(spec.metric).toBe('auc');
    expect(spec.features).toEqual(['age', 'count', 'owner', 'price']);
    expect(spec.skipped).toEqual([{ column: 'city', type: 'categorical' }]);
    expect(spec.classes).toEqual(['no', 'yes']);
    expect(resolveTrainingSpec(parseTrainingRequest({ dataset: 'd@1', target: 'label' }), COLUMNS, summary(['a', 'b', 'c'])).task).toBe('multiclass');
    expect(resolveTrainingSpec(parseTrainingRequest({ dataset: 'd@1', target: 'price' }), COLUMNS, summary(['1', '2', '3'], 100, true)).task).toBe('regression');
    expect(resolveTrainingSpec(parseTrainingRequest({ dataset: 'd@1', target: 'count' }), COLUMNS, summary(['1', '2', '3'])).task).toBe('multiclass');
  });

  it('names the field of every problem', () => {
    const parse = (b: Record<string, unknown>) => () => parseTrainingRequest({ dataset: 'd@1', target: 'label', ...b });
    expect(fieldOf(parse({ params: { learningRate: 0 } }))).toBe('params.learningRate');
    expect(fieldOf(parse({ params: { numRounds: 2.5 } }))).toBe('params.numRounds');
    expect(fieldOf(parse({ params: { standardize: 1 }, algorithm: 'linear' }))).toBe('params.standardize');
    expect(fieldOf(parse({ search: { trials: 0 } }))).toBe('search.trials');
    expect(fieldOf(parse({ params: { maxLeaves: 1 } }))).toBe('params.maxLeaves');
    expect(fieldOf(parse({ params: { maxDepth: 0 } }))).toBe('params.maxDepth');
    expect(parseTrainingRequest({ dataset: 'd@1', target: 'y', params: { maxDepth: 0, maxLeaves: 31 } }).params).toEqual({ maxDepth: 0, maxLeaves: 31 });
    expect(fieldOf(parse({ search: { space: { maxDepth: [3] } }, params: { maxDepth: 4 } }))).toBe('params.maxDepth');
    expect(fieldOf(parse({ search: { space: { learningRate: { min: 0.5, max: 0.1 } } } }))).toBe('search.space.learningRate.max');
    expect(fieldOf(parse({ search: { space: { lambda: { min: 0, max: 1, log: true } } } }))).toBe('search.space.lambda.min');
    expect(fieldOf(parse({ validation: { fraction: 0.9 } }))).toBe('validation.fraction');
    expect(fieldOf(parse({ validation: { folds: 1 } }))).toBe('validation.folds');
    expect(fieldOf(parse({ validation: { folds: 3, fraction: 0.2 } }))).toBe('validation');
    expect(fieldOf(parse({ algorithm: 'svm' }))).toBe('algorithm');
    expect(fieldOf(parse({ features: ['a', 'a'] }))).toBe('features[1]');
    const resolve = (b: Record<string, unknown>, s: TargetSummary) => () => resolveTrainingSpec(parseTrainingRequest({ dataset: 'd@1', ...b }), COLUMNS, s);
    expect(fieldOf(resolve({ target: 'label' }, summary(['yes'])))).toBe('target');
    expect(fieldOf(resolve({ target: 'label', task: 'regression' }, summary(['a', 'b'])))).toBe('target');
    expect(fieldOf(resolve({ target: 'label' }, summary([], 0)))).toBe('target');
    expect(fieldOf(resolve({ target: 'label', validation: { folds: 5 } }, summary(['a', 'b'], 4)))).toBe('validation.folds');
    expect(fieldOf(resolve({ target: 'label', features: ['city'] }, summary(['a', 'b'])))).toBe('features[0]');
    expect(fieldOf(resolve({ target: 'label', features: ['label'] }, summary(['a', 'b'])))).toBe('features[0]');
    expect(fieldOf(resolve({ target: 'label', metric: 'mlogloss' }, summary(['a', 'b'])))).toBe('metric');
    expect(fieldOf(resolve({ target: 'label' }, summary(['a', 'b'], 100, true)))).toBe('target');
  });

  it('layers defaults, request params and trial values', () => {
    const p = effectiveParams('gbdt', 'binary', { maxDepth: 3 }, { learningRate: 0.05 });
    expect(p).toMatchObject({ numRounds: 200, maxDepth: 3, maxLeaves: 0, learningRate: 0.05, maxBins: 256, earlyStoppingRounds: 20 });
    expect(effectiveParams('linear', 'binary', {})).toEqual({ C: 1, maxIter: 1000, tol: 1e-4, standardize: 1 });
    expect(effectiveParams('linear', 'regression', {})).toEqual({ alpha: 1, l1Ratio: 0, maxIter: 1000, tol: 1e-4, standardize: 1 });
  });
});

describe('search trials', () => {
  it('walks a grid in order, the last parameter fastest, up to the trials asked', () => {
    const req = parseTrainingRequest({ dataset: 'd@1', target: 'y', search: { method: 'grid', space: { maxDepth: [2, 4], learningRate: [0.1, 0.2, 0.3] } } });
    expect(req.search!.trials).toBe(6);
    expect(searchTrials(req.search!, 'gbdt')).toEqual([
      { maxDepth: 2, learningRate: 0.1 },
      { maxDepth: 2, learningRate: 0.2 },
      { maxDepth: 2, learningRate: 0.3 },
      { maxDepth: 4, learningRate: 0.1 },
      { maxDepth: 4, learningRate: 0.2 },
      { maxDepth: 4, learningRate: 0.3 },
    ]);
    const part = parseTrainingRequest({ dataset: 'd@1', target: 'y', search: { method: 'grid', trials: 4, space: { maxDepth: [2, 4], learningRate: [0.1, 0.2, 0.3] } } });
    expect(searchTrials(part.search!, 'gbdt')).toHaveLength(4);
  });

  it('draws random trials inside their ranges (whole numbers for integer params), the same for the same seed', () => {
    const req = parseTrainingRequest({ dataset: 'd@1', target: 'y', search: { trials: 200, seed: 3, space: { maxDepth: { min: 2, max: 9 }, learningRate: { min: 0.01, max: 0.5, log: true }, subsample: [0.5, 1] } } });
    const trials = searchTrials(req.search!, 'gbdt');
    expect(trials).toHaveLength(200);
    for (const t of trials) {
      expect(Number.isInteger(t.maxDepth)).toBe(true);
      expect(t.maxDepth).toBeGreaterThanOrEqual(2);
      expect(t.maxDepth).toBeLessThanOrEqual(9);
      expect(t.learningRate).toBeGreaterThanOrEqual(0.01);
      expect(t.learningRate).toBeLessThanOrEqual(0.5);
      expect([0.5, 1]).toContain(t.subsample);
    }
    // log-uniform: about half the draws below the geometric middle sqrt(0.01 × 0.5) ≈ 0.0707
    const low = trials.filter((t) => t.learningRate! < Math.sqrt(0.005)).length;
    expect(low).toBeGreaterThan(70);
    expect(low).toBeLessThan(130);
    expect(new Set(trials.map((t) => t.maxDepth)).size).toBe(8);
    expect(searchTrials(req.search!, 'gbdt')).toEqual(trials);
  });
});

describe('splits', () => {
  it('holds out round(fraction × count) rows of each class, reproducibly', () => {
    const y = Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 1 : 0));
    const m = holdoutMask(y, 1000, 0.2, 7, true);
    const held = [...m.keys()].filter((i) => m[i] === 1);
    expect(held).toHaveLength(200);
    expect(held.filter((i) => y[i] === 1)).toHaveLength(20);
    expect(holdoutMask(y, 1000, 0.2, 7, true)).toEqual(m);
    expect(holdoutMask(y, 1000, 0.2, 8, true)).not.toEqual(m);
  });

  it('deals every class evenly over k folds', () => {
    const y = Array.from({ length: 103 }, (_, i) => (i < 30 ? 1 : 0));
    const fold = assignFolds(y, 103, 5, 1, true);
    for (let k = 0; k < 5; k++) {
      const inFold = [...fold.keys()].filter((i) => fold[i] === k);
      expect(inFold.filter((i) => y[i] === 1)).toHaveLength(6);
      expect(Math.abs(inFold.length - 103 / 5)).toBeLessThanOrEqual(1);
    }
  });
});
