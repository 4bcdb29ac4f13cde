import { describe, expect, it } from 'vitest';
import { addWeight, apportion, normalize, removeWeight, setWeight, TOTAL } from './weights';

const sum = (w: number[]) => w.reduce((a, b) => a + b, 0);

describe('deployment weights', () => {
  it('rebalances the others in proportion when one moves, keeping integers that sum to 100', () => {
    expect(setWeight([50, 30, 20], 0, 80)).toEqual([80, 12, 8]);
    expect(setWeight([90, 10], 1, 25)).toEqual([75, 25]);
    expect(setWeight([100, 0, 0], 0, 70)).toEqual([70, 15, 15]);
    expect(setWeight([34, 33, 33], 2, 0)).toEqual([51, 49, 0]);
    expect(setWeight([60, 40], 0, 100)).toEqual([100, 0]);
    expect(setWeight([100], 0, 40)).toEqual([100]);
  });

  it('always sums to 100, whatever the moves', () => {
    let w = [100];
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let step = 0; step < 2000; step++) {
      const r = rnd();
      if (r < 0.1 && w.length < 16) w = addWeight(w);
      else if (r < 0.2 && w.length > 1) w = removeWeight(w, Math.floor(rnd() * w.length));
      else w = setWeight(w, Math.floor(rnd() * w.length), Math.floor(rnd() * 101));
      expect(sum(w)).toBe(TOTAL);
      for (const x of w) expect(Number.isInteger(x) && x >= 0 && x <= 100).toBe(true);
    }
  });

  it('clamps and rounds what it is given', () => {
    expect(setWeight([50, 50], 0, 140)).toEqual([100, 0]);
    expect(setWeight([50, 50], 0, -3)).toEqual([0, 100]);
    expect(setWeight([50, 50], 0, 33.6)).toEqual([34, 66]);
    expect(setWeight([50, 50], 0, Number.NaN)).toEqual([0, 100]);
  });

  it('adds targets at 0 and gives a removed target’s share to the rest', () => {
    expect(addWeight([])).toEqual([100]);
    expect(addWeight([100])).toEqual([100, 0]);
    expect(removeWeight([50, 25, 25], 0)).toEqual([50, 50]);
    expect(removeWeight([100, 0, 0], 0)).toEqual([50, 50]);
    expect(normalize([1, 1, 1])).toEqual([34, 33, 33]);
    expect(apportion([33.3, 33.3, 33.4], 100)).toEqual([33, 33, 34]);
  });
});
