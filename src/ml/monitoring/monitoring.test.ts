import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  Random, binIndex, decodeSample, encodeSample, latencyBucket, latencyQuantileMs, mergeSamples, mergeStats, PREDICTION_COLUMN,
  ProfileBuilder, quantileEdges, samplePrefixChars, sampleColumn, type BinLayout, type ColumnSpec, type Profile,
} from './profile.js';
import { binaryMetrics, inferTask, multiclassMetrics, performanceOf, regressionMetrics } from './performance.js';
import { driftReport, operationsReport, qualityReport, type ReferenceInput } from './report.js';

const fx = JSON.parse(readFileSync(new URL('../../../test/fixtures/monitoring/monitoring_fixtures.json', import.meta.url), 'utf8'));

const COLUMNS: ColumnSpec[] = [
  { name: 'x', kind: 'numeric' },
  { name: 'k', kind: 'numeric' },
  { name: 'b', kind: 'categorical' },
  { name: 'c', kind: 'categorical' },
];

function profileOf(data: Record<string, unknown[]>, options: { layout?: BinLayout | null; sampleSize?: number; seed?: number } = {}): Profile {
  const b = new ProfileBuilder(COLUMNS, { layout: options.layout ?? null, sampleSize: options.sampleSize ?? 100_000, seed: options.seed });
  const n = data.x!.length;
  for (let r = 0; r < n; r++) b.add((i) => data[COLUMNS[i]!.name]![r]);
  return b.build();
}

function referenceOf(data: Record<string, unknown[]>): ReferenceInput {
  const edges: Record<string, number[]> = {};
  for (const c of COLUMNS) if (c.kind === 'numeric') edges[c.name] = quantileEdges(data[c.name] as number[])!;
  const layout = { id: 'ref-1', edges };
  const p = profileOf(data, { layout });
  return { stats: p.stats, sample: p.sample, edges, layout: layout.id };
}

const close = (actual: number | null | undefined, expected: number, tol = 1e-9) => {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected)));
};

describe('drift on profiles agrees with scipy', () => {
  it('small reference: KS, chi-square and Z-test by Evidently defaults', () => {
    const ref = referenceOf(fx.small.reference);
    const cur = profileOf(fx.small.current, { layout: { id: ref.layout, edges: ref.edges } });
    const report = driftReport(['x', 'k', 'b', 'c'], ref, cur);
    for (const f of ['x', 'k', 'b', 'c']) {
      const r = report.features[f]!;
      expect(r.test, f).toBe(fx.small[f].test);
      close(r.statistic, fx.small[f].statistic);
      // p-values within 1e-6 relative
      expect(Math.abs(r.pValue! - fx.small[f].pValue)).toBeLessThanOrEqual(1e-6 * Math.max(fx.small[f].pValue, 1e-300));
      expect(r.effectSize).not.toBeNull();
      expect(r.drifted).toBe(fx.small[f].pValue <= 0.05);
    }
    expect(report.share).toBe(Object.values(report.features).filter((r) => r.drifted).length / 4);
  });

  it('large reference: normed Wasserstein and Jensen-Shannon; JS and PSI on the quantile bins', () => {
    const ref = referenceOf(fx.large.reference);
    expect(ref.edges.x).toEqual(fx.large.edges);
    const cur = profileOf(fx.large.current, { layout: { id: ref.layout, edges: ref.edges } });
    const report = driftReport(['x', 'k', 'b', 'c'], ref, cur);
    for (const f of ['x', 'k', 'b', 'c']) {
      expect(report.features[f]!.test, f).toBe(fx.large[f].test);
      close(report.features[f]!.statistic, fx.large[f].statistic);
    }
    const chosen = driftReport(['x'], ref, cur, { tests: { x: { method: 'jensenshannon' } } });
    close(chosen.features.x!.statistic, fx.large.x_js_bins);
    expect(chosen.features.x!.basis).toBe('bins');
    const psi = driftReport(['x'], ref, cur, { tests: { x: { method: 'psi', threshold: 0.2 } } });
    close(psi.features.x!.statistic, fx.large.x_psi_bins);
    expect(psi.features.x!.threshold).toBe(0.2);
    expect(psi.features.x!.defaultTest).toBe(false);
  });

  it('Benjamini-Hochberg adjusts p-values and can only make fewer features drift', () => {
    const ref = referenceOf(fx.small.reference);
    const cur = profileOf(fx.small.current);
    const plain = driftReport(['x', 'k', 'b', 'c'], ref, cur);
    const bh = driftReport(['x', 'k', 'b', 'c'], ref, cur, { correction: 'bh' });
    for (const f of ['x', 'k', 'b', 'c']) {
      expect(bh.features[f]!.adjustedPValue!).toBeGreaterThanOrEqual(plain.features[f]!.pValue!);
      if (bh.features[f]!.drifted) expect(plain.features[f]!.drifted).toBe(true);
    }
    expect(bh.correction).toBe('bh');
  });

  it('importance-weighted share weighs drifted features', () => {
    const ref = referenceOf(fx.small.reference);
    const cur = profileOf(fx.small.current);
    const r = driftReport(['x', 'k', 'b', 'c'], ref, cur, { importance: { x: 3, k: 1, b: 0, c: 0 } });
    const expected = ((r.features.x!.drifted ? 3 : 0) + (r.features.k!.drifted ? 1 : 0)) / 4;
    expect(r.weightedShare).toBe(expected);
  });

  it('identical data does not drift', () => {
    const ref = referenceOf(fx.large.reference);
    const same = profileOf(fx.large.reference, { layout: { id: ref.layout, edges: ref.edges } });
    const r = driftReport(['x', 'k', 'b', 'c'], ref, same);
    for (const f of ['x', 'k', 'b', 'c']) {
      expect(r.features[f]!.drifted).toBe(false);
      expect(r.features[f]!.statistic).toBeCloseTo(0, 12);
    }
    expect(r.datasetDrift).toBe(false);
  });
});

describe('profiles', () => {
  it('merged window stats equal the stats of all rows at once (counts, bins, moments)', () => {
    const ref = referenceOf(fx.large.reference);
    const layout = { id: ref.layout, edges: ref.edges };
    const data = fx.large.current as Record<string, unknown[]>;
    const whole = profileOf(data, { layout });
    const half = Math.floor(data.x!.length / 3);
    const slice = (a: number, b: number) => Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.slice(a, b)]));
    const merged = mergeStats(profileOf(slice(0, half), { layout }).stats, profileOf(slice(half, data.x!.length), { layout }).stats);
    const x = merged.columns.x!;
    const w = whole.stats.columns.x!;
    if (x.kind !== 'numeric' || w.kind !== 'numeric') throw new Error('numeric expected');
    expect(x.bins).toEqual(w.bins);
    expect(x.n).toBe(w.n);
    close(x.mean, w.mean, 1e-12);
    close(x.m2, w.m2, 1e-10);
    expect(merged.columns.c).toEqual(whole.stats.columns.c);
    const k = merged.columns.k!;
    const kw = whole.stats.columns.k!;
    if (k.kind !== 'numeric' || kw.kind !== 'numeric') throw new Error('numeric expected');
    expect([k.bins, k.values, k.n, k.min, k.max]).toEqual([kw.bins, kw.values, kw.n, kw.min, kw.max]);
    close(k.mean, kw.mean, 1e-12);
    // mean and variance against a direct computation
    const xs = data.x as number[];
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    close(w.mean, mean, 1e-12);
    close(w.m2 / w.n, xs.reduce((a, v) => a + (v - mean) ** 2, 0) / xs.length, 1e-10);
  });

  it('counts missing values, non-finite numbers and type errors', () => {
    const p = profileOf({ x: [1, null, NaN, 'oops', 2], k: [1, 1, 1, 1, 1], b: ['a', null, 'b', { no: 1 }, 'a'], c: [1, 2, 3, 4, 5] });
    const x = p.stats.columns.x!;
    const b = p.stats.columns.b!;
    if (x.kind !== 'numeric' || b.kind !== 'categorical') throw new Error('kinds');
    expect([x.count, x.missing, x.nonFinite, x.typeErrors, x.n]).toEqual([5, 1, 1, 1, 2]);
    expect([b.missing, b.typeErrors]).toEqual([1, 1]);
    expect(b.categories).toEqual({ a: 2, b: 1 });
  });

  it('the reservoir keeps a uniform sample whose prefixes are uniform too, and survives encoding', () => {
    const n = 20_000;
    const b = new ProfileBuilder([{ name: 'v', kind: 'numeric' }], { sampleSize: 1000, seed: 7 });
    for (let r = 0; r < n; r++) b.add(() => r);
    const p = b.build();
    expect(p.sample.rows).toBe(1000);
    const values = sampleColumn(p.sample, 'v');
    const mean = values.reduce((a, v) => a + v, 0) / values.length;
    // mean of a uniform sample of 0..n-1: (n-1)/2 ± 3 standard errors
    expect(Math.abs(mean - (n - 1) / 2)).toBeLessThan(3 * (n / Math.sqrt(12)) / Math.sqrt(1000));
    const prefix = values.slice(0, 100);
    const pm = prefix.reduce((a, v) => a + v, 0) / 100;
    expect(Math.abs(pm - (n - 1) / 2)).toBeLessThan(4 * (n / Math.sqrt(12)) / 10);
    const text = encodeSample(p.sample);
    expect(decodeSample(text, ['v']).data).toEqual(p.sample.data);
    const cut = decodeSample(text.slice(0, samplePrefixChars(10, 1)), ['v']);
    expect(cut.rows).toBe(10);
    expect(Array.from(cut.data)).toEqual(Array.from(p.sample.data.slice(0, 10)));
  });

  it('a batch of columns gives the same profile as the same rows one by one', () => {
    const data = fx.small.current as Record<string, unknown[]>;
    const ref = referenceOf(fx.small.reference);
    const layout = { id: ref.layout, edges: ref.edges };
    const rowWise = profileOf(data, { layout, sampleSize: 100, seed: 3 });
    const b = new ProfileBuilder(COLUMNS, { layout, sampleSize: 100, seed: 3 });
    const n = data.x!.length;
    const half = 250;
    const cols = (a: number, z: number) => [Float64Array.from(data.x!.slice(a, z) as number[]), data.k!.slice(a, z), { codes: Int32Array.from(data.b!.slice(a, z), (v) => (v === 'no' ? 0 : 1)), table: ['no', 'yes'] }, data.c!.slice(a, z)];
    b.addColumns(cols(0, half), half);
    b.addColumns(cols(half, n), n - half);
    const batched = b.build();
    // Moments agree to rounding (Welford row by row, two-pass batches merged by Chan's formula); all else exactly.
    const moments = (p: Profile) => Object.values(p.stats.columns).flatMap((c) => (c.kind === 'numeric' ? [c.mean, c.m2] : []));
    const a = moments(batched);
    const z = moments(rowWise);
    a.forEach((v, i) => close(v, z[i]!, 1e-12));
    const strip = (p: Profile) => JSON.parse(JSON.stringify(p.stats, (k, v) => (k === 'mean' || k === 'm2' ? undefined : v)));
    expect(strip(batched)).toEqual(strip(rowWise));
    expect(Array.from(batched.sample.data)).toEqual(Array.from(rowWise.sample.data));
  });

  it('keeps mean and variance accurate far from zero, with an outlier first', () => {
    // 1e9 + small noise, the first value far off: naive sums of squares lose every digit here.
    const rng = new Random(8);
    const xs = [1e12, ...Array.from({ length: 100_000 }, () => 1e9 + rng.next())];
    const b = new ProfileBuilder([{ name: 'v', kind: 'numeric' }], { sampleSize: 0 });
    for (let i = 0; i < xs.length; i += 30_000) b.addColumns([Float64Array.from(xs.slice(i, i + 30_000))], Math.min(30_000, xs.length - i));
    const st = b.build().stats.columns.v!;
    if (st.kind !== 'numeric') throw new Error('numeric expected');
    // reference: exact-ish two-pass over the values around 1e9, with the outlier added by Chan's formula
    const rest = xs.slice(1);
    const m = rest.reduce((s, v) => s + (v - 1e9), 0) / rest.length + 1e9;
    const m2rest = rest.reduce((s, v) => s + (v - m) ** 2, 0);
    const n = xs.length;
    const delta = 1e12 - m;
    const mean = m + delta / n;
    const m2 = m2rest + (delta * delta * rest.length) / n;
    close(st.mean, mean, 1e-12);
    close(st.m2, m2, 1e-9);
  });

  it('the reservoir (algorithm L) samples every part of a long stream equally', () => {
    const n = 1_000_000;
    const b = new ProfileBuilder([{ name: 'v', kind: 'numeric' }], { sampleSize: 10_000, seed: 11 });
    const chunk = 100_000;
    for (let start = 0; start < n; start += chunk) b.addColumns([Float64Array.from({ length: chunk }, (_, i) => start + i)], chunk);
    const v = sampleColumn(b.build().sample, 'v');
    expect(v.length).toBe(10_000);
    const tenths = new Array<number>(10).fill(0);
    for (const x of v) tenths[Math.floor(x / (n / 10))]!++;
    // 1,000 expected per tenth; binomial sd ≈ 30: allow 4 sd
    for (const t of tenths) expect(Math.abs(t - 1000)).toBeLessThan(120);
    expect(new Set(v).size).toBe(10_000);
  });

  it('merged samples are proportional to the rows of each window', () => {
    const mk = (from: number, count: number) => {
      const b = new ProfileBuilder([{ name: 'v', kind: 'numeric' }], { sampleSize: 500, seed: from + 1 });
      for (let r = 0; r < count; r++) b.add(() => from);
      return { rows: count, sample: b.build().sample };
    };
    const merged = mergeSamples([mk(1, 3000), mk(2, 1000), mk(3, 200)], 1000, ['v']);
    const v = sampleColumn(merged, 'v');
    const count = (x: number) => v.filter((y) => y === x).length;
    // the first window's sample (500 of 3000) bounds the total at 500 * 4200 / 3000 = 700
    expect(merged.rows).toBe(700);
    expect(count(1)).toBe(500);
    expect(count(2)).toBeGreaterThanOrEqual(166);
    expect(count(2)).toBeLessThanOrEqual(167);
    expect(count(3)).toBeGreaterThanOrEqual(33);
    expect(count(3)).toBeLessThanOrEqual(34);
  });

  it('binning through the grid equals a binary search, edges and skewed layouts included', () => {
    const rng = new Random(5);
    const skewed = Array.from({ length: 5000 }, () => Math.exp(3 * rng.next()) * (rng.next() < 0.3 ? 1 : 100));
    for (const data of [skewed, Array.from({ length: 300 }, () => rng.below(7)), [1, 2], [0, 0, 0, 1, 1e-300, 1e300]]) {
      const edges = quantileEdges(data)!;
      const b = new ProfileBuilder([{ name: 'v', kind: 'numeric' }], { layout: { id: 'l', edges: { v: edges } }, sampleSize: 0 });
      const probes = [...data, ...edges, ...edges.map((e) => e * (1 + 1e-12)), ...edges.map((e) => e - 1e-9), -1e308, 1e308];
      b.addColumns([Float64Array.from(probes)], probes.length);
      const expected = new Array<number>(edges.length === 1 ? 3 : edges.length + 1).fill(0);
      for (const v of probes) expected[binIndex(edges, v)]!++;
      const st = b.build().stats.columns.v!;
      expect(st.kind === 'numeric' && st.bins).toEqual(expected);
    }
  });

  it('bins: under-range, quantile bins, over-range', () => {
    expect(binIndex([0, 1, 2], -1)).toBe(0);
    expect(binIndex([0, 1, 2], 0)).toBe(1);
    expect(binIndex([0, 1, 2], 1)).toBe(2);
    expect(binIndex([0, 1, 2], 2)).toBe(2);
    expect(binIndex([0, 1, 2], 2.5)).toBe(3);
    expect(binIndex([5], 5)).toBe(1);
    expect(binIndex([5], 6)).toBe(2);
    expect(quantileEdges([1, 1, 1])).toEqual([1]);
  });

  it('latency percentiles within the 2 % bucket resolution', () => {
    const b = new ProfileBuilder([], { sampleSize: 0 });
    const lat: number[] = [];
    for (let i = 1; i <= 1000; i++) {
      const us = i * 37;
      lat.push(us);
      b.latency(us);
    }
    const ops = operationsReport(b.build().stats, 10);
    const exact = (q: number) => lat[Math.ceil(q * lat.length) - 1]! / 1000;
    for (const [q, v] of [[0.5, ops.p50Ms], [0.95, ops.p95Ms], [0.99, ops.p99Ms]] as const) {
      expect(v!).toBeGreaterThanOrEqual(exact(q) * 0.999);
      expect(v!).toBeLessThanOrEqual(exact(q) * 1.021);
    }
    expect(latencyBucket(1)).toBe(0);
    expect(latencyQuantileMs({}, 0.5)).toBeNull();
  });
});

describe('quality', () => {
  it('missing, out-of-range and unseen categories against the reference', () => {
    const ref = referenceOf({ x: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], k: [1, 1, 1, 1, 1, 2, 2, 2, 2, 2], b: Array(10).fill('a'), c: ['p', 'q', 'p', 'q', 'p', 'q', 'p', 'q', 'p', 'q'] });
    const cur = profileOf({ x: [-1, 5, 10, null], k: [1, 2, 1, 2], b: ['a', 'a', 'z', null], c: ['p', 'q', 'r', 'r'] }, { layout: { id: ref.layout, edges: ref.edges } });
    cur.stats.ops.rejected = 1;
    const q = qualityReport(['x', 'k', 'b', 'c'], cur.stats, ref.stats);
    expect(q.features.x!.missingRate).toBe(0.25);
    expect(q.features.x!.outOfRangeRate).toBeCloseTo(2 / 3, 12);
    expect(q.features.b!.unseenCategoryRate).toBeCloseTo(1 / 3, 12);
    expect(q.features.c!.unseenCategoryRate).toBe(0.5);
    expect(q.missingRate).toBe(2 / 16);
    expect(q.rejectedRate).toBe(1 / 5);
  });
});

describe('performance agrees with scikit-learn', () => {
  it('binary', () => {
    const m = binaryMetrics(fx.binary.scores, fx.binary.labels);
    for (const k of ['accuracy', 'precision', 'recall', 'f1', 'rocAuc', 'logLoss', 'ece'] as const) close(m[k], fx.binary[k], 1e-9);
  });
  it('multiclass', () => {
    const m = multiclassMetrics(fx.multiclass.probabilities, fx.multiclass.labels);
    for (const k of ['accuracy', 'precision', 'recall', 'f1', 'rocAuc', 'logLoss', 'ece'] as const) close(m[k], fx.multiclass[k], 1e-9);
  });
  it('regression', () => {
    const m = regressionMetrics(fx.regression.predictions, fx.regression.labels);
    for (const k of ['mae', 'rmse', 'r2', 'mape'] as const) close(m[k], fx.regression[k], 1e-9);
  });
  it('infers the task and skips pairs that do not fit it', () => {
    expect(inferTask([0.2, 0.9], [0, 1])).toBe('binary');
    expect(inferTask([[0.2, 0.8]], [1])).toBe('multiclass');
    expect(inferTask([3.5, 2], [3, 1])).toBe('regression');
    const r = performanceOf('binary', [0.9, 0.1, 'x', 0.7], [1, 0, 1, 7]);
    expect(r.used).toBe(2);
    expect(r.skipped).toBe(2);
    expect(r.metrics.accuracy).toBe(1);
  });
});

it('the prediction column is profiled like a feature', () => {
  expect(PREDICTION_COLUMN).toBe('$prediction');
});
