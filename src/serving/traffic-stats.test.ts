import { describe, expect, it } from 'vitest';
import { TrafficStats } from './traffic-stats.js';

describe('TrafficStats', () => {
  it('sums seconds into steps with counts, rates and percentiles', () => {
    let now = 1_000_000_000; // ms, on a second boundary
    const stats = new TrafficStats(() => now);
    // second 0: 100 successes at 1..100 ms, 2 server errors, 3 client errors
    for (let i = 1; i <= 100; i++) stats.success('d', i * 1000, 2);
    stats.failure('d', 503);
    stats.failure('d', 500);
    for (let i = 0; i < 3; i++) stats.failure('d', 400);
    now += 1000; // second 1: nothing; second 2: one slow request
    now += 1000;
    stats.success('d', 2_000_000, 1);
    now += 1000;
    const points = stats.series('d', 4, 2);
    expect(points.map((p) => p.t)).toEqual([now - 4000, now - 2000]);
    const [first, second] = points;
    expect(first).toMatchObject({ requests: 105, rows: 200, serverErrors: 2, clientErrors: 3, rps: 52.5 });
    expect(first!.errorRate).toBeCloseTo(2 / 105, 10);
    // Percentiles are the upper bound of the bucket holding the rank: within 25% above the true value.
    expect(first!.p50).toBeGreaterThanOrEqual(50);
    expect(first!.p50).toBeLessThanOrEqual(50 * 1.25);
    expect(first!.p99).toBeGreaterThanOrEqual(99);
    expect(first!.p99).toBeLessThanOrEqual(99 * 1.25);
    expect(second).toMatchObject({ requests: 1, rps: 0.5, errorRate: 0 });
    expect(second!.p50).toBeGreaterThanOrEqual(2000);
    expect(second!.p50).toBeLessThanOrEqual(2500);
  });

  it('forgets seconds older than the ring, and answers empty steps for unknown deployments', () => {
    let now = 5_000_000_000;
    const stats = new TrafficStats(() => now);
    stats.success('d', 100, 1);
    now += 901_000; // the same ring slot comes round again
    stats.success('d', 100, 1);
    now += 1000;
    const all = stats.series('d', 900, 900);
    expect(all[0]!.requests).toBe(1);
    expect(stats.series('other', 10, 5)).toEqual([
      expect.objectContaining({ requests: 0, rps: 0, errorRate: null, p50: null }),
      expect.objectContaining({ requests: 0 }),
    ]);
  });
});
