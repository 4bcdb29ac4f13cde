import { describe, expect, it } from 'vitest';
import { attributionRows } from './attribution-drift';

describe('attributionRows', () => {
  it('orders features by the larger of their reference and current attribution', () => {
    const rows = attributionRows({
      method: 'tree',
      rows: { reference: 10, current: 5 },
      shift: 0.4,
      features: { a: { reference: 0.1, current: 0.5, change: 0.4 }, b: { reference: 0.3, current: 0.2, change: -0.1 }, c: { reference: 0.05, current: 0.01, change: -0.04 } },
    });
    expect(rows.map((r) => r.feature)).toEqual(['a', 'b', 'c']);
    expect(rows[1]).toEqual({ feature: 'b', reference: 0.3, current: 0.2, change: -0.1 });
  });
});
