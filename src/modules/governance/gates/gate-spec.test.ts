import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, gateSpecHash, parseDatasetRef, parseGateSpecs } from './gate-spec.js';

describe('parseGateSpecs', () => {
  it('fills the defaults that do not depend on the data, and drops nulls', () => {
    const [metric, robust, latency, fairness, leakage, schema] = parseGateSpecs([
      { name: 'm', type: 'metric', metric: 'rmse', threshold: 3, baseline: null },
      { name: 'r', type: 'robustness', tolerance: 0.1 },
      { name: 'l', type: 'latency', p95Ms: 20 },
      { name: 'f', type: 'fairness', sensitive: 'sex', metric: 'equalized_odds_difference', tolerance: 0.1, groups: ['m', 'f'] },
      { name: 'k', type: 'leakage' },
      { name: 's', type: 'schema' },
    ]);
    expect(metric).toEqual({ name: 'm', type: 'metric', metric: 'rmse', threshold: 3, greaterIsBetter: false, baseline: 'champion' });
    expect(robust).toEqual({ name: 'r', type: 'robustness', tolerance: 0.1, noise: 0.01, rows: 500, seed: 1 });
    expect(latency).toEqual({ name: 'l', type: 'latency', p95Ms: 20, rows: 200 });
    expect(fairness).toEqual({ name: 'f', type: 'fairness', sensitive: 'sex', metric: 'equalized_odds_difference', tolerance: 0.1, threshold: 0.5, groups: ['f', 'm'] });
    expect(leakage).toEqual({ name: 'k', type: 'leakage', maxOverlap: 0 });
    expect(schema).toEqual({ name: 's', type: 'schema' });
  });

  it('names the field at fault', () => {
    const fails = (gates: unknown, pattern: RegExp) => expect(() => parseGateSpecs(gates)).toThrow(pattern);
    fails({}, /^gates: must be a list/);
    fails([{ type: 'schema' }], /^gates\[0\]\.name: is required/);
    fails([{ name: 'a', type: 'schema' }, { name: 'b', type: 'metric', metric: 'auc', threshold: 1 }], /^gates\[1\]\.metric: must be one of/);
    fails([{ name: 'a', type: 'metric', metric: 'f1', minAbsoluteChange: 0 }], /^gates\[0\]\.minAbsoluteChange: must be a finite number greater than 0/);
    fails([{ name: 'a', type: 'metric', metric: 'f1', minRelativeChange: 1.5 }], /^gates\[0\]\.minRelativeChange/);
    fails([{ name: 'a', type: 'metric', metric: 'f1', threshold: 0.5, greaterIsBetter: 'yes' }], /^gates\[0\]\.greaterIsBetter/);
    fails([{ name: 'a', type: 'latency', p95Ms: 0 }], /^gates\[0\]\.p95Ms/);
    fails([{ name: 'a', type: 'robustness', tolerance: 0.1, rows: 2.5 }], /^gates\[0\]\.rows: must be a whole number/);
    fails([{ name: 'a', type: 'fairness', sensitive: 'x', metric: 'demographic_parity_difference', tolerance: 0.1, groups: ['only'] }], /^gates\[0\]\.groups/);
    fails([{ name: 'a', type: 'fairness', sensitive: 'x', metric: 'demographic_parity_difference', tolerance: 0.1, positiveLabel: {} }], /^gates\[0\]\.positiveLabel/);
    fails([{ name: 'a', type: 'leakage', trainingDataset: 'train' }], /^gates\[0\]\.trainingDataset: must be "name@version"/);
    fails([{ name: 'a', type: 'leakage', keys: ['id', 'id'] }], /^gates\[0\]\.keys: names a value twice/);
    fails([{ name: 'a', type: 'schema', threshold: 1 }], /^gates\[0\]\.threshold: is not a field of a schema gate/);
  });
});

describe('gateSpecHash', () => {
  it('is the SHA-256 of the canonical JSON (sorted keys) of the normalised spec without its name', () => {
    const [spec] = parseGateSpecs([{ type: 'latency', name: 'fast', p95Ms: 20 }]);
    const canonical = '{"p95Ms":20,"rows":200,"type":"latency"}';
    expect(canonicalJson({ ...spec, name: undefined })).toBe(canonical);
    expect(gateSpecHash(spec!)).toBe(createHash('sha256').update(canonical).digest('hex'));
  });

  it('is the same for specs that mean the same gate, and differs otherwise', () => {
    const [a, b, c, d] = parseGateSpecs([
      { name: 'a', type: 'robustness', tolerance: 0.1 },
      { name: 'b', tolerance: 0.1, type: 'robustness', noise: 0.01, rows: 500, seed: 1 },
      { name: 'c', type: 'robustness', tolerance: 0.2 },
      { name: 'd', type: 'fairness', sensitive: 's', metric: 'demographic_parity_ratio', tolerance: 0.8, groups: ['y', 'x'] },
    ]);
    const [e] = parseGateSpecs([{ name: 'e', type: 'fairness', sensitive: 's', metric: 'demographic_parity_ratio', tolerance: 0.8, groups: ['x', 'y'] }]);
    expect(gateSpecHash(a!)).toBe(gateSpecHash(b!));
    expect(gateSpecHash(a!)).not.toBe(gateSpecHash(c!));
    expect(gateSpecHash(d!)).toBe(gateSpecHash(e!));
    expect(gateSpecHash(a!)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('parseDatasetRef', () => {
  it('splits name@version at the last @', () => {
    expect(parseDatasetRef('loans@3')).toEqual({ name: 'loans', version: 3 });
    expect(parseDatasetRef('a@b@12')).toEqual({ name: 'a@b', version: 12 });
    expect(parseDatasetRef('loans')).toBeNull();
    expect(parseDatasetRef('loans@0')).toBeNull();
  });
});
