import { describe, expect, it } from 'vitest';
import { interactionView } from './interaction-chart';
import type { ReportResult } from './types';

describe('interactionView', () => {
  it('orders features by importance and finds the strongest pair off the diagonal', () => {
    const result = {
      importance: [
        { feature: 'b', meanAbsShap: 3, perOutput: [3] },
        { feature: 'a', meanAbsShap: 2, perOutput: [2] },
        { feature: 'c', meanAbsShap: 1, perOutput: [1] },
      ],
      interactions: { rows: 10, features: ['a', 'b', 'c'], meanAbs: [[5, 0.2, 0.1], [0.2, 6, 0.4], [0.1, 0.4, 1]] },
    } as unknown as ReportResult;
    const view = interactionView(result)!;
    expect(view.features).toEqual(['b', 'a', 'c']);
    expect(view.matrix[0]).toEqual([6, 0.2, 0.4]);
    expect(view.strongest).toEqual({ a: 'b', b: 'c', value: 0.4 });
  });

  it('is null without interaction values (KernelSHAP reports)', () => {
    expect(interactionView({ importance: [], interactions: null } as unknown as ReportResult)).toBeNull();
  });
});
