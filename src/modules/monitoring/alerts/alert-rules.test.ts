import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../platform/errors.js';
import { INITIAL_STATE, isKnownMetric, parseMetric, parseRuleSpec, readStateDetail, step, writeStateDetail, type AlertRuleSpec, type StateDetail, type Transition } from './alert-rules.js';

const base = { name: 'errors', metric: 'operations.errorRate', comparison: '>', threshold: 0.05 };

function fieldOf(fn: () => unknown): { field: string; message: string; code: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    const e = err as DomainError;
    expect(e.kind).toBe('invalid');
    return { field: String(e.details?.field), message: e.message, code: e.code };
  }
  throw new Error('expected a DomainError');
}

describe('parseMetric', () => {
  it('accepts every family of the grammar and takes features apart', () => {
    expect(parseMetric('operations.p95Ms')).toEqual({ kind: 'operations', field: 'p95Ms' });
    expect(parseMetric('drift.share')).toEqual({ kind: 'drift', field: 'share' });
    expect(parseMetric('drift.features.age.pValue')).toEqual({ kind: 'drift.feature', feature: 'age', field: 'pValue' });
    expect(parseMetric('drift.output.statistic')).toEqual({ kind: 'drift.output', field: 'statistic' });
    expect(parseMetric('quality.rejectedRate')).toEqual({ kind: 'quality', field: 'rejectedRate' });
    expect(parseMetric('quality.features.zip.code.missingRate')).toEqual({ kind: 'quality.feature', feature: 'zip.code', field: 'missingRate' });
    expect(parseMetric('performance.rocAuc')).toEqual({ kind: 'performance', field: 'rocAuc' });
    expect(parseMetric('attribution.shift')).toEqual({ kind: 'attribution', field: 'shift' });
    expect(parseMetric('attribution.features.zip.code.current')).toEqual({ kind: 'attribution.feature', feature: 'zip.code', field: 'current' });
    // A feature may be named like a field or a family.
    expect(parseMetric('drift.features.statistic.drifted')).toEqual({ kind: 'drift.feature', feature: 'statistic', field: 'drifted' });
  });

  it.each([
    '',
    'operations',
    'operations.',
    'operations.latency',
    'drift.pValue',
    'drift.features.age',
    'drift.features..pValue',
    'drift.features..age.pValue',
    'drift.features.age..pValue',
    'drift.features.age.missingRate',
    'drift.output.share',
    'attribution',
    'attribution.share',
    'attribution.features.age',
    'attribution.features.age.pValue',
    'quality.features.age.typeErrorRate',
    'quality.features.age.',
    'performance.AUC',
    'Performance.f1',
    'performance.f1 ',
    'drift.features.a\u0000b.pValue',
    `drift.features.${'x'.repeat(500)}.pValue`,
  ])('refuses %j', (metric) => {
    expect(isKnownMetric(metric)).toBe(false);
  });
});

describe('parseRuleSpec', () => {
  it('fills in the defaults', () => {
    expect(parseRuleSpec(base)).toEqual({
      name: 'errors',
      metric: 'operations.errorRate',
      comparison: '>',
      threshold: 0.05,
      version: null,
      windows: 1,
      firingAfter: 2,
      resolvingAfter: 2,
      webhook: null,
      enabled: true,
      description: '',
    } satisfies AlertRuleSpec);
  });

  it('keeps every field given', () => {
    const spec = parseRuleSpec({
      ...base,
      version: 3,
      windows: 12,
      firingAfter: 1,
      resolvingAfter: 5,
      webhook: { url: 'https://hooks.example.com/steward?x=1', secret: 's'.repeat(16) },
      enabled: false,
      description: 'too many errors',
    });
    expect(spec).toMatchObject({ version: 3, windows: 12, firingAfter: 1, resolvingAfter: 5, enabled: false, description: 'too many errors', webhook: { url: 'https://hooks.example.com/steward?x=1', secret: 'ssssssssssssssss' } });
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['unknown field', { ...base, severity: 'high' }, 'rule.severity', /not a known field/],
    ['missing name', { ...base, name: undefined }, 'rule.name', /string/],
    ['bad name', { ...base, name: 'no spaces' }, 'rule.name', /not a valid rule name/],
    ['name too long', { ...base, name: 'n'.repeat(101) }, 'rule.name', /1 to 100/],
    ['name starting with a dot', { ...base, name: '..' }, 'rule.name', /not a valid/],
    ['unknown metric', { ...base, metric: 'operations.latency' }, 'rule.metric', /not a known metric/],
    ['metric not a string', { ...base, metric: 5 }, 'rule.metric', /must be a string/],
    ['bad comparison', { ...base, comparison: '==' }, 'rule.comparison', /one of >, >=, <, <=/],
    ['threshold as text', { ...base, threshold: '0.5' }, 'rule.threshold', /must be a finite number/],
    ['threshold infinite', { ...base, threshold: Infinity }, 'rule.threshold', /must be a finite number/],
    ['threshold NaN', { ...base, threshold: NaN }, 'rule.threshold', /must be a finite number/],
    ['version zero', { ...base, version: 0 }, 'rule.version', /integer from 1/],
    ['version fraction', { ...base, version: 1.5 }, 'rule.version', /integer/],
    ['windows too many', { ...base, windows: 1001 }, 'rule.windows', /1 to 1000/],
    ['windows zero', { ...base, windows: 0 }, 'rule.windows', /1 to 1000/],
    ['firingAfter zero', { ...base, firingAfter: 0 }, 'rule.firingAfter', /1 to 1000/],
    ['resolvingAfter text', { ...base, resolvingAfter: '2' }, 'rule.resolvingAfter', /1 to 1000/],
    ['enabled text', { ...base, enabled: 'yes' }, 'rule.enabled', /true or false/],
    ['description too long', { ...base, description: 'd'.repeat(1001) }, 'rule.description', /at most 1000/],
    ['webhook not an object', { ...base, webhook: 'https://x' }, 'rule.webhook', /JSON object/],
    ['webhook unknown field', { ...base, webhook: { url: 'https://x.example', secret: 's'.repeat(16), headers: {} } }, 'rule.webhook.headers', /not a known field/],
    ['webhook ftp', { ...base, webhook: { url: 'ftp://x.example/', secret: 's'.repeat(16) } }, 'rule.webhook.url', /http or https/],
    ['webhook relative', { ...base, webhook: { url: '/hook', secret: 's'.repeat(16) } }, 'rule.webhook.url', /absolute/],
    ['secret too short', { ...base, webhook: { url: 'https://x.example', secret: 'short' } }, 'rule.webhook.secret', /16 to 256/],
    ['secret too long', { ...base, webhook: { url: 'https://x.example', secret: 's'.repeat(257) } }, 'rule.webhook.secret', /16 to 256/],
    ['secret missing', { ...base, webhook: { url: 'https://x.example' } }, 'rule.webhook.secret', /16 to 256/],
  ])('names the field: %s', (_label, body, field, message) => {
    const e = fieldOf(() => parseRuleSpec(body));
    expect(e.field).toBe(field);
    expect(e.message).toMatch(message);
    expect(e.message.startsWith(field)).toBe(true);
  });

  it('refuses a body that is not an object', () => {
    expect(fieldOf(() => parseRuleSpec([1])).field).toBe('rule');
    expect(fieldOf(() => parseRuleSpec(null)).field).toBe('rule');
  });

  it('on replacement, takes the name from the path and may keep the stored secret', () => {
    const spec = parseRuleSpec({ ...base, name: undefined, webhook: { url: 'http://h.example/' } }, { name: 'errors', keptSecret: 'k'.repeat(20) });
    expect(spec.name).toBe('errors');
    expect(spec.webhook).toEqual({ url: 'http://h.example/', secret: 'k'.repeat(20) });
    expect(fieldOf(() => parseRuleSpec({ ...base, name: 'other' }, { name: 'errors' })).field).toBe('rule.name');
    // A new secret replaces the kept one.
    expect(parseRuleSpec({ ...base, webhook: { url: 'http://h.example/', secret: 'n'.repeat(16) } }, { name: 'errors', keptSecret: 'k'.repeat(20) }).webhook!.secret).toBe('n'.repeat(16));
  });
});

describe('state machine', () => {
  const rule = { comparison: '>' as const, threshold: 10, firingAfter: 2, resolvingAfter: 2 };

  /** Feeds values (one window each) and returns the state and transition after each. */
  function run(values: (number | null)[], r = rule, start: StateDetail = INITIAL_STATE): [string, Transition | null][] {
    let detail = start;
    return values.map((value, i) => {
      const result = step(r, detail, { windowKey: String(i).padStart(6, '0'), value });
      detail = result.next;
      return [result.next.state, result.transition];
    });
  }

  it('goes ok → pending → firing, and back only after enough clear windows', () => {
    expect(run([5, 11, 12, 13, 3, 4, 5])).toEqual([
      ['ok', null],
      ['pending', null],
      ['firing', 'fired'],
      ['firing', null],
      ['firing', null],
      ['ok', 'resolved'],
      ['ok', null],
    ]);
  });

  it('does not flap when the value alternates around the threshold', () => {
    const alternating = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 11 : 9));
    const out = run(alternating);
    expect(out.every(([, t]) => t === null)).toBe(true);
    expect(new Set(out.map(([s]) => s))).toEqual(new Set(['pending', 'ok']));
    // Once firing, alternating values keep it firing: one breach restarts the clear count.
    const firing = run([11, 11, ...alternating]);
    expect(firing.filter(([, t]) => t !== null)).toEqual([['firing', 'fired']]);
    expect(firing.at(-1)![0]).toBe('firing');
  });

  it('a pending alert that clears once goes back to ok and starts counting again', () => {
    expect(run([11, 9, 11, 11], { ...rule, firingAfter: 2 }).map(([s, t]) => `${s}:${t}`)).toEqual(['pending:null', 'ok:null', 'pending:null', 'firing:fired']);
  });

  it('fires at once with firingAfter 1 and resolves at once with resolvingAfter 1', () => {
    expect(run([11, 9, 11], { ...rule, firingAfter: 1, resolvingAfter: 1 })).toEqual([
      ['firing', 'fired'],
      ['ok', 'resolved'],
      ['firing', 'fired'],
    ]);
  });

  it.each([
    ['>', 10, 10, false],
    ['>=', 10, 10, true],
    ['<', 10, 10, false],
    ['<=', 10, 10, true],
    ['<', 10, 9.99, true],
    ['>', -1, -0.5, true],
  ] as const)('comparison %s %d with value %d breaches: %s', (comparison, threshold, value, breached) => {
    const r = step({ comparison, threshold, firingAfter: 1, resolvingAfter: 1 }, INITIAL_STATE, { windowKey: 'a', value });
    expect(r.transition).toBe(breached ? 'fired' : null);
  });

  it('a null value changes nothing but records the window', () => {
    const pending: StateDetail = { state: 'pending', breaching: 1, clear: 0, lastWindow: '000001' };
    const r = step(rule, pending, { windowKey: '000002', value: null });
    expect(r).toEqual({ next: { ...pending, lastWindow: '000002' }, transition: null, ignored: false });
    // Nulls between breaches neither break nor extend the run.
    expect(run([11, null, null, 11])).toEqual([
      ['pending', null],
      ['pending', null],
      ['pending', null],
      ['firing', 'fired'],
    ]);
    expect(step(rule, pending, { windowKey: '000003', value: NaN }).next).toEqual({ ...pending, lastWindow: '000003' });
  });

  it('ignores a window evaluated before, or an earlier one', () => {
    const firing: StateDetail = { state: 'firing', breaching: 0, clear: 1, lastWindow: '000010' };
    for (const key of ['000010', '000009', '000001']) {
      const r = step(rule, firing, { windowKey: key, value: 0 });
      expect(r).toEqual({ next: firing, transition: null, ignored: true });
    }
    const later = step(rule, firing, { windowKey: '000011', value: 0 });
    expect(later.transition).toBe('resolved');
  });

  it('re-delivering every window twice (a restart) gives the same transitions as delivering once', () => {
    const values = [1, 11, 12, 2, 3, 15, 16, 17, 0, 0];
    let detail = INITIAL_STATE;
    const twice: (Transition | null)[] = [];
    values.forEach((value, i) => {
      for (let k = 0; k < 2; k++) {
        const r = step(rule, detail, { windowKey: String(i).padStart(4, '0'), value });
        detail = r.next;
        if (k === 1) expect(r.ignored).toBe(true);
        else twice.push(r.transition);
      }
    });
    expect(twice).toEqual(run(values).map(([, t]) => t));
    expect(twice.filter((t) => t !== null)).toEqual(['fired', 'resolved', 'fired', 'resolved']);
  });

  it('stores and reads its detail, and starts from ok when the stored detail is damaged', () => {
    const d: StateDetail = { state: 'firing', breaching: 4, clear: 0, lastWindow: '000123' };
    expect(readStateDetail('firing', writeStateDetail(d))).toEqual(d);
    expect(readStateDetail('firing', 'not json')).toEqual({ state: 'firing', breaching: 0, clear: 0 });
    expect(readStateDetail('weird', '{"breaching":-3}')).toEqual({ state: 'ok', breaching: 0, clear: 0 });
  });
});
