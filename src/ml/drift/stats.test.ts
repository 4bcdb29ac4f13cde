import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DRIFT_TESTS, datasetDrift, defaultDriftTest, driftScore, isDrifted,
} from './defaults.js';
import {
  benjaminiHochberg, binData, categoryCounts, chiSquare, chiSquareDriftPValue, countUnique, fillZeroProportions,
  hellingerDistance, hellingerDrift, jensenShannonDistance, kolmogorovSf, ksAsymptoticPValue, ksTwoSample,
  lInfinityDistance, normalCdf, psi, sturgesEdges, wassersteinDistance, wassersteinNormed, zTestPValue,
} from './stats.js';

// Expected values come from test/fixtures/drift/make_fixtures.py (scipy 1.10.1, numpy 1.24).
interface Fixture {
  samples: Record<string, number[]>;
  ks: { a: string; b: string; statistic: number; pvalue: number; asymp_pvalue: number }[];
  kolmogorov_sf: { x: number; sf: number }[];
  kstwo_sf: { d: number; n: number; sf: number }[];
  chisquare_counts: { obs: number[]; exp: number[]; statistic: number; pvalue: number }[];
  binned_cases: {
    a: string; b: string; numeric: boolean; edges: number[] | null;
    ref_percents: number[]; cur_percents: number[];
    jensenshannon: number; psi: number; linf: number; hellinger: number;
    wasserstein: number; wasserstein_norm: number;
    chisquare_evidently?: number; z_evidently?: number;
  }[];
  z_extra: { a: string; b: string; p: number }[];
  psi_proportions: { ref: number[]; cur: number[]; psi: number }[];
  js_vectors: { p: number[]; q: number[]; js: number }[];
  bh: { p: number[]; adjusted: number[] };
}

const FX = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/drift/drift_fixtures.json', import.meta.url), 'utf8'),
) as Fixture;
const sample = (name: string): Float64Array => {
  if (name === 'same_b') name = 'same_a';
  const s = FX.samples[name];
  if (!s) throw new Error(`no sample ${name}`);
  return Float64Array.from(s);
};

/** |actual − expected| ≤ rel·|expected| (+ abs floor for values at 0). */
function close(actual: number, expected: number, rel = 1e-9, abs = 1e-15): void {
  const tol = Math.max(rel * Math.abs(expected), abs);
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(`expected ${expected}, got ${actual} (diff ${Math.abs(actual - expected)}, tol ${tol})`);
  }
}

describe('Kolmogorov–Smirnov (scipy.stats.ks_2samp)', () => {
  it.each(FX.ks.map((c) => [`${c.a} vs ${c.b}`, c] as const))('auto/exact matches scipy: %s', (_n, c) => {
    const r = ksTwoSample(sample(c.a), sample(c.b));
    expect(r.method).toBe('exact');
    close(r.statistic, c.statistic, 1e-12);
    close(r.pvalue, c.pvalue, 1e-9);
  });

  it('asymptotic p-value is within 15% of scipy asymp (kstwo vs kstwobign) for moderate n', () => {
    const c = FX.ks.find((k) => k.a === 'mid_a');
    if (!c) throw new Error('fixture');
    const r = ksTwoSample(sample(c.a), sample(c.b), 'asymp');
    expect(r.method).toBe('asymp');
    close(r.pvalue, c.asymp_pvalue, 0.15);
  });

  it.each(FX.kolmogorov_sf.map((k) => [k.x, k.sf] as const))('kolmogorovSf(%f) = kstwobign.sf', (x, sf) => {
    close(kolmogorovSf(x), sf, 1e-9, 1e-15);
  });

  it.each(FX.kstwo_sf.map((k) => [k.d, k.n, k.sf] as const))(
    'asymptotic p(d=%f, en=%i) within 5%% of scipy kstwo.sf', (d, n, sf) => {
      // en = n when n1 = n2 = 2n
      close(ksAsymptoticPValue(d, 2 * n, 2 * n), sf, 0.05);
    });

  it('identical samples → D 0, p 1; disjoint → D 1', () => {
    const a = sample('same_a');
    const same = ksTwoSample(a, a.slice());
    expect(same.statistic).toBe(0);
    expect(same.pvalue).toBe(1);
    const b = a.map((v) => v + 1000);
    const dis = ksTwoSample(a, b);
    expect(dis.statistic).toBe(1);
    expect(dis.pvalue).toBeLessThan(1e-10);
  });

  it('drops NaN and ±inf, switches to asymp above 10000 rows', () => {
    const a = sample('small_eq_a');
    const withJunk = Float64Array.from([...a, Number.NaN, Infinity, -Infinity]);
    expect(ksTwoSample(withJunk, sample('small_eq_b'))).toEqual(ksTwoSample(a, sample('small_eq_b')));
    const big = Float64Array.from({ length: 10_001 }, (_, i) => (i * 7919) % 10_007);
    const r = ksTwoSample(big, sample('mid_a'));
    expect(r.method).toBe('asymp');
    expect(() => ksTwoSample([Number.NaN], [1])).toThrow(/empty/);
  });
});

describe('chi-square and Z-test', () => {
  it.each(FX.chisquare_counts.map((c, i) => [i, c] as const))('chiSquare matches scipy.stats.chisquare #%i', (_i, c) => {
    const r = chiSquare(c.obs, c.exp);
    close(r.statistic, c.statistic, 1e-12);
    close(r.pvalue, c.pvalue, 1e-9);
  });

  for (const c of FX.binned_cases.filter((x) => x.chisquare_evidently !== undefined)) {
    it(`Evidently chi-square p-value ${c.a} vs ${c.b}`, () => {
      const cc = categoryCounts(sample(c.a), sample(c.b));
      close(chiSquareDriftPValue(cc.referenceCounts, cc.currentCounts), c.chisquare_evidently as number, 1e-9, 1e-300);
    });
  }

  it('a category absent from the reference gives p = 0 (as scipy: infinite statistic)', () => {
    expect(chiSquareDriftPValue([10, 10, 0], [5, 5, 1])).toBe(0);
  });

  for (const c of FX.binned_cases.filter((x) => x.z_evidently !== undefined)) {
    it(`Evidently z-test p-value ${c.a} vs ${c.b}`, () => {
      const cc = categoryCounts(sample(c.a), sample(c.b));
      close(zTestPValue(cc.referenceCounts, cc.currentCounts), c.z_evidently as number, 1e-9);
      close(driftScore('z', sample(c.a), sample(c.b), 'categorical'), c.z_evidently as number, 1e-9);
    });
  }

  it('z-test: same single category → 1; >2 categories rejected; normalCdf symmetric', () => {
    for (const z of FX.z_extra) {
      const cc = categoryCounts(sample(z.a), sample(z.b));
      expect(zTestPValue(cc.referenceCounts, cc.currentCounts)).toBe(z.p);
    }
    expect(() => zTestPValue([1, 2, 3], [1, 2, 3])).toThrow();
    close(normalCdf(1.959963984540054), 0.975, 1e-12);
    close(normalCdf(-1), 1 - normalCdf(1), 1e-12);
  });
});

describe('binning and histogram distances', () => {
  for (const c of FX.binned_cases) {
    describe(`${c.a} vs ${c.b}`, () => {
      const kind = c.numeric ? 'numeric' : 'categorical';
      const b = binData(sample(c.a), sample(c.b), kind);

      it('bins as Evidently get_binned_data', () => {
        if (c.edges) {
          expect(b.edges).not.toBeNull();
          expect(Array.from(b.edges ?? [])).toEqual(c.edges);
        } else {
          expect(b.edges).toBeNull();
        }
        expect(Array.from(b.referencePercents)).toEqual(c.ref_percents);
        expect(Array.from(b.currentPercents)).toEqual(c.cur_percents);
      });

      it('Jensen–Shannon (base 2), PSI, L∞, Hellinger', () => {
        close(jensenShannonDistance(b.referencePercents, b.currentPercents, 2), c.jensenshannon, 1e-9);
        close(driftScore('jensenshannon', sample(c.a), sample(c.b), kind), c.jensenshannon, 1e-9);
        close(psi(b.referencePercents, b.currentPercents), c.psi, 1e-9);
        close(lInfinityDistance(b.referencePercents, b.currentPercents), c.linf, 1e-12);
        close(hellingerDrift(sample(c.a), sample(c.b), kind), c.hellinger, 1e-9);
      });

      it('Wasserstein and normed Wasserstein', () => {
        close(wassersteinDistance(sample(c.a), sample(c.b)), c.wasserstein, 1e-9);
        close(wassersteinNormed(sample(c.a), sample(c.b)), c.wasserstein_norm, 1e-9);
      });
    });
  }

  it.each(FX.psi_proportions.map((p, i) => [i, p] as const))('PSI empty-bin handling matches Evidently #%i', (_i, p) => {
    close(psi(p.ref, p.cur), p.psi, 1e-9);
  });

  it('fillZeroProportions uses 1e-4, or min/1e6 when the smallest non-zero ≤ 1e-4', () => {
    expect(Array.from(fillZeroProportions([0.5, 0.5, 0]))).toEqual([0.5, 0.5, 0.0001]);
    expect(Array.from(fillZeroProportions([0.99995, 0.00005, 0]))).toEqual([0.99995, 0.00005, 0.00005 / 1e6]);
  });

  it.each(FX.js_vectors.map((v, i) => [i, v] as const))('jensenShannonDistance matches scipy #%i', (_i, v) => {
    close(jensenShannonDistance(v.p, v.q, 2), v.js, 1e-9);
  });

  it('closed forms: identical → 0; disjoint → JS 1, Hellinger 1, L∞ 1', () => {
    expect(jensenShannonDistance([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(psi([0.2, 0.8], [0.2, 0.8])).toBe(0);
    expect(hellingerDistance([0.3, 0.7], [0.3, 0.7])).toBeCloseTo(0, 7);
    close(jensenShannonDistance([1, 0], [0, 1]), 1, 1e-12);
    expect(hellingerDistance([1, 0], [0, 1])).toBe(1);
    expect(lInfinityDistance([1, 0], [0, 1])).toBe(1);
    expect(wassersteinDistance([0, 1], [0, 1])).toBe(0);
    close(wassersteinDistance([0], [3]), 3, 1e-15);
    // constant reference: std 0 → divide by 0.001
    close(wassersteinNormed([1, 1, 1], [1.5, 1.5]), 500, 1e-12);
  });

  it('Sturges edges: constant data spans ±0.5 in one bin; histogram drops non-finite', () => {
    expect(Array.from(sturgesEdges([7, 7, 7]))).toEqual([6.5, 7.5]);
    const e = sturgesEdges(Float64Array.from({ length: 64 }, (_, i) => i)); // log2(64)+1 = 7 bins
    expect(e.length).toBe(8);
    expect(e[0]).toBe(0);
    expect(e[7]).toBe(63);
    expect(countUnique([1, 2, Number.NaN], [2, 3, Infinity, -0, 0])).toBe(4);
  });
});

describe('Benjamini–Hochberg', () => {
  it('matches the step-up formula fixture', () => {
    const adj = benjaminiHochberg(FX.bh.p);
    FX.bh.adjusted.forEach((v, i) => close(adj[i] as number, v, 1e-12));
  });
  it('closed form', () => {
    expect(Array.from(benjaminiHochberg([0.01, 0.02, 0.03]))).toEqual([0.03, 0.03, 0.03]);
    expect(Array.from(benjaminiHochberg([0.9, 0.01]))).toEqual([0.9, 0.02]);
    expect(benjaminiHochberg([]).length).toBe(0);
  });
});

describe('default test choice (REFERENCE §4)', () => {
  const rows: [string, Parameters<typeof defaultDriftTest>[0], string, number, string][] = [
    ['numeric >5 unique, small ref', { referenceRows: 1000, uniqueValues: 6, kind: 'numeric' }, 'ks', 0.05, 'p<='],
    ['numeric >5 unique, large ref', { referenceRows: 1001, uniqueValues: 6, kind: 'numeric' }, 'wasserstein', 0.1, 'score>='],
    ['numeric 5 unique, small ref', { referenceRows: 200, uniqueValues: 5, kind: 'numeric' }, 'chisquare', 0.05, 'p<'],
    ['numeric 3 unique, small ref', { referenceRows: 200, uniqueValues: 3, kind: 'numeric' }, 'chisquare', 0.05, 'p<'],
    ['numeric 2 unique, small ref', { referenceRows: 200, uniqueValues: 2, kind: 'numeric' }, 'z', 0.05, 'p<'],
    ['categorical 40 unique, small ref', { referenceRows: 10, uniqueValues: 40, kind: 'categorical' }, 'chisquare', 0.05, 'p<'],
    ['categorical 2 unique, small ref', { referenceRows: 1000, uniqueValues: 2, kind: 'categorical' }, 'z', 0.05, 'p<'],
    ['numeric 5 unique, large ref', { referenceRows: 5000, uniqueValues: 5, kind: 'numeric' }, 'jensenshannon', 0.1, 'score>='],
    ['categorical, large ref', { referenceRows: 5000, uniqueValues: 40, kind: 'categorical' }, 'jensenshannon', 0.1, 'score>='],
    ['categorical 2 unique, large ref', { referenceRows: 1001, uniqueValues: 2, kind: 'categorical' }, 'jensenshannon', 0.1, 'score>='],
  ];
  it.each(rows)('%s', (_name, profile, method, threshold, rule) => {
    expect(defaultDriftTest(profile)).toEqual({ method, threshold, rule });
  });

  it('drift rules at the threshold: KS p ≤ 0.05 drifts, chi/z need p < 0.05, distances ≥ 0.1', () => {
    expect(isDrifted(DRIFT_TESTS.ks, 0.05)).toBe(true);
    expect(isDrifted(DRIFT_TESTS.chisquare, 0.05)).toBe(false);
    expect(isDrifted(DRIFT_TESTS.z, 0.0499)).toBe(true);
    expect(isDrifted(DRIFT_TESTS.wasserstein, 0.1)).toBe(true);
    expect(isDrifted(DRIFT_TESTS.jensenshannon, 0.0999)).toBe(false);
    expect(isDrifted(DRIFT_TESTS.psi, 0.1)).toBe(true);
  });

  it('dataset drift when share of drifted columns ≥ 0.5', () => {
    expect(datasetDrift([true, false]).drifted).toBe(true);
    expect(datasetDrift([true, false, false]).drifted).toBe(false);
    expect(datasetDrift([true, true, false], 0.7).drifted).toBe(false);
    expect(datasetDrift([]).drifted).toBe(false);
  });
});
