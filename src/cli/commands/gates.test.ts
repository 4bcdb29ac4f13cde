import { describe, expect, it } from 'vitest';
import { parseGatesFile, runText } from './gates.js';

describe('gates file', () => {
  it('reads YAML lists of gate specs with nested values, comments and flow lists', () => {
    const text = [
      '# release gates',
      'dataset: loans@3',
      'target: approved',
      'gates:',
      '  - name: auc',
      '    type: metric',
      '    metric: roc_auc',
      '    threshold: 0.8   # absolute floor',
      '    minRelativeChange: 0',
      '  - name: "parity: sex"',
      '    type: fairness',
      '    sensitive: sex',
      '    metric: demographic_parity_ratio',
      "    groups: [female, 'male']",
      '    tolerance: .8',
      '    positiveLabel: yes',
      '  - name: schema',
      '    type: schema',
      '  -',
      '    name: leak',
      '    type: leakage',
      '    keys:',
      '    - customer_id',
      '    greaterIsBetter: false',
      '    baseline: null',
    ].join('\n');
    expect(parseGatesFile(text, 'gates.yaml')).toEqual({
      dataset: 'loans@3',
      target: 'approved',
      gates: [
        { name: 'auc', type: 'metric', metric: 'roc_auc', threshold: 0.8, minRelativeChange: 0 },
        { name: 'parity: sex', type: 'fairness', sensitive: 'sex', metric: 'demographic_parity_ratio', groups: ['female', 'male'], tolerance: 0.8, positiveLabel: 'yes' },
        { name: 'schema', type: 'schema' },
        { name: 'leak', type: 'leakage', keys: ['customer_id'], greaterIsBetter: false, baseline: null },
      ],
    });
  });

  it('reads JSON, a bare list, and says where YAML is wrong', () => {
    expect(parseGatesFile('[{"name":"s","type":"schema"}]', 'g.json')).toEqual({ gates: [{ name: 's', type: 'schema' }] });
    expect(parseGatesFile('- name: s\n  type: schema\n- {}', 'g.yaml')).toEqual({ gates: [{ name: 's', type: 'schema' }, {}] });
    expect(() => parseGatesFile('gates:\n  - name: a\n    type: schema\n   bad: 1', 'g.yaml')).toThrow(/not valid YAML.*line 4/);
    expect(() => parseGatesFile('a: 1\na: 2', 'g.yaml')).toThrow(/not valid YAML.*unique/i);
    expect(() => parseGatesFile('name: x', 'g.yaml')).toThrow(/must hold a list of gate specs/);
    expect(() => parseGatesFile('{"gates": ', 'g.json')).toThrow(/not valid JSON/);
  });

  it('prints a run as a table of gates', () => {
    const text = runText({
      id: 'r1', model: 'loans', version: 2, modelVersionId: 'v', dataset: { name: 'loans', version: 3 }, target: 'y', policyId: null, status: 'succeeded', passed: false, error: null,
      jobId: 'j', progress: null, createdAt: '2030-01-01T00:00:00.000Z', createdBy: 'maria', finishedAt: null, gates: [], baselines: {},
      results: [
        { id: 'a', runId: 'r1', name: 'auc', type: 'metric', specSha256: 'x', spec: { name: 'auc', type: 'schema' }, passed: true, summary: 'roc_auc = 0.91', details: {}, createdAt: '' },
        { id: 'b', runId: 'r1', name: 'p95', type: 'latency', specSha256: 'y', spec: { name: 'p95', type: 'schema' }, passed: false, summary: 'p95 12 ms > 10 ms', details: {}, createdAt: '' },
      ],
    });
    expect(text).toMatch(/auc\s+metric\s+yes\s+roc_auc = 0\.91/);
    expect(text).toMatch(/p95\s+latency\s+NO\s+p95 12 ms > 10 ms/);
    expect(text).toMatch(/passed:\s+no/);
  });
});
