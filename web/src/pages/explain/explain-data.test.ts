import { describe, expect, it } from 'vitest';
import {
  beeswarmLayout,
  beeswarmTrend,
  colorScale,
  defaultOutput,
  dependenceBins,
  dependenceData,
  firstRowBody,
  fromSpace,
  outputInSpace,
  hashJitter,
  iceLines,
  importanceFor,
  interactionFeature,
  parseFeatureList,
  parsePairs,
  pd2Cells,
  predictedLabel,
  progressPercent,
  spaceLabel,
  pdpRows,
  permutationRows,
  pickReport,
  progressText,
  shortLabel,
  signed,
  subsampleIndices,
  swarmOffsets,
  waterfallSteps,
} from './explain-data';
import type { FeatureValue, PartialDependence, ReportResult } from './types';

/** A small deterministic generator, so that the fixtures are the same on every run. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const sum = (xs: number[]) => xs.reduce((a, v) => a + v, 0);

describe('waterfall', () => {
  const features = Array.from({ length: 20 }, (_v, i) => `f${i}`);
  const rand = lcg(7);
  const shap = features.map(() => (rand() - 0.5) * 4);
  const values: FeatureValue[] = features.map((_f, i) => (i % 3 === 0 ? null : i % 3 === 1 ? i * 1.5 : `c${i}`));

  it('starts at the bias and ends at bias + Σφ, each step starting where the last ended', () => {
    const w = waterfallSteps({ features, values, shap, bias: 0.75 });
    expect(w.steps[0]).toMatchObject({ kind: 'bias', start: 0.75, end: 0.75 });
    const last = w.steps[w.steps.length - 1]!;
    expect(last.kind).toBe('total');
    expect(last.end).toBeCloseTo(0.75 + sum(shap), 12);
    expect(w.total).toBeCloseTo(0.75 + sum(shap), 12);
    for (let i = 1; i < w.steps.length; i++) {
      expect(w.steps[i]!.start).toBeCloseTo(w.steps[i - 1]!.end, 12);
      expect(w.steps[i]!.end - w.steps[i]!.start).toBeCloseTo(w.steps[i]!.phi, 12);
    }
    expect(sum(w.steps.map((s) => s.phi))).toBeCloseTo(sum(shap), 12);
  });

  it('shows the 12 largest |φ| by name, in order, with feature = value labels, and groups the rest', () => {
    const w = waterfallSteps({ features, values, shap, bias: 0 });
    const named = w.steps.filter((s) => s.kind === 'feature');
    expect(named).toHaveLength(12);
    const mags = named.map((s) => Math.abs(s.phi));
    expect(mags).toEqual([...mags].sort((a, b) => b - a));
    const largest = shap.map((v, j) => ({ v: Math.abs(v), j })).sort((a, b) => b.v - a.v).slice(0, 12).map((x) => features[x.j]);
    expect(named.map((s) => s.feature)).toEqual(largest);
    const others = w.steps.find((s) => s.kind === 'others')!;
    expect(others.count).toBe(8);
    expect(w.grouped).toBe(8);
    expect(others.label).toBe('8 other features');
    const rest = shap.filter((_v, j) => !largest.includes(features[j]));
    expect(others.phi).toBeCloseTo(sum(rest), 12);
    expect(named.find((s) => s.feature === 'f0')?.label ?? 'f0 = missing').toBe('f0 = missing');
    const f2 = w.steps.find((s) => s.feature === 'f2');
    if (f2) expect(f2.label).toBe('f2 = c2');
  });

  it('never groups a single feature, and keeps ties in feature order', () => {
    const w = waterfallSteps({ features: ['a', 'b', 'c'], values: [1, 2, 3], shap: [0.5, -0.5, 0.1], bias: 1 }, 2);
    expect(w.steps.map((s) => s.kind)).toEqual(['bias', 'feature', 'feature', 'feature', 'total']);
    expect(w.steps.slice(1, 4).map((s) => s.feature)).toEqual(['a', 'b', 'c']);
    expect(w.grouped).toBe(0);
    const grouped = waterfallSteps({ features: ['a', 'b', 'c', 'd'], values: [1, 2, 3, 4], shap: [0.5, -0.5, 0.1, 0.2], bias: 1 }, 2);
    expect(grouped.steps.map((s) => s.kind)).toEqual(['bias', 'feature', 'feature', 'others', 'total']);
    expect(grouped.steps[3]).toMatchObject({ label: '2 other features', count: 2 });
    expect(grouped.steps[3]!.phi).toBeCloseTo(0.3, 12);
    expect(grouped.total).toBeCloseTo(1.3, 12);
  });

  it('shows the value in the output space when the space has an inverse', () => {
    expect(fromSpace('logit', 'log-odds', 0)).toEqual({ label: 'probability', value: 0.5 });
    // A binary tree's margin is its log-odds.
    expect(fromSpace('margin', 'log-odds', 0)).toEqual({ label: 'probability', value: 0.5 });
    const p = fromSpace('log', 'class 2', Math.log(0.25))!;
    expect(p.label).toBe('probability of class 2');
    expect(p.value).toBeCloseTo(0.25);
    expect(fromSpace('identity', 'value', 3)).toBeNull();
    expect(fromSpace('margin', 'class 1', 3)).toBeNull();
    expect(fromSpace('margin', 'value', 3)).toBeNull();
    expect(outputInSpace('log-odds', 'logit')).toBe('log-odds');
    expect(outputInSpace('log-odds', 'margin')).toBe('log-odds');
    expect(outputInSpace('value', 'identity')).toBe('value');
    expect(outputInSpace('class 1', 'margin')).toBe('class 1 (raw margin)');
    expect(outputInSpace('class 1', 'log')).toBe('log-probability of class 1');
    expect(spaceLabel('margin', ['log-odds'])).toBe('log-odds');
    expect(spaceLabel('margin', ['class 0', 'class 1', 'class 2'])).toBe('raw margin');
    expect(spaceLabel('margin')).toBe('raw margin');
    expect(spaceLabel('identity', ['value'])).toBe('output units');
    // Partial dependence of classifiers is in probabilities.
    expect(predictedLabel('probability')).toBe('predicted probability');
    expect(predictedLabel('class 2')).toBe('predicted probability of class 2');
    expect(predictedLabel('value')).toBe('predicted value');
    expect(predictedLabel(undefined)).toBe('predicted value');
    expect(signed(0.25)).toBe('+0.25');
    expect(signed(-0.25)).toBe('−0.25');
    expect(signed(0)).toBe('±0');
  });

  it('starts multiclass rows at the predicted class', () => {
    const e = { outputs: ['setosa', 'versicolor', 'virginica'], bias: [0, 0, 0], shap: [[[1], [2], [0]]], predictions: ['virginica'] };
    expect(defaultOutput(e, 0)).toBe(2);
    expect(defaultOutput({ ...e, predictions: [{ label: 'setosa' }] }, 0)).toBe(0);
    expect(defaultOutput({ ...e, predictions: [[0.1, 0.2, 0.7]] }, 0)).toBe(2);
    // Nothing to go by: the output with the largest value.
    expect(defaultOutput({ ...e, predictions: [null] }, 0)).toBe(1);
    expect(defaultOutput({ ...e, outputs: ['value'] }, 0)).toBe(0);
    // The server names multiclass outputs 'class k'; predictions are the classes' probabilities, or a class.
    const k = { ...e, outputs: ['class 0', 'class 1', 'class 2'] };
    expect(defaultOutput({ ...k, predictions: [[0.2, 0.5, 0.3]] }, 0)).toBe(1);
    expect(defaultOutput({ ...k, predictions: [2] }, 0)).toBe(2);
  });
});

describe('beeswarm', () => {
  it('spreads points by density, within ±0.4 and the same every time', () => {
    const rand = lcg(3);
    const xs = Array.from({ length: 400 }, () => (rand() + rand() + rand() - 1.5) * 2);
    const a = swarmOffsets(xs);
    expect(a).toEqual(swarmOffsets(xs));
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(0.4);
    expect(a.some((v) => v > 0) && a.some((v) => v < 0)).toBe(true);
    // Dense middle, thin tails: points near the centre are spread wider than the extremes.
    const centre = a.filter((_v, i) => Math.abs(xs[i]!) < 0.3).map(Math.abs);
    const tails = a.filter((_v, i) => Math.abs(xs[i]!) > 2).map(Math.abs);
    expect(Math.max(...centre)).toBeGreaterThan(Math.max(0, ...tails));
    // The first point of each bin stays on the line; a lone point is not moved.
    expect(swarmOffsets([5])).toEqual([0]);
    expect(swarmOffsets([1, 1, 1])).toEqual([0, expect.closeTo(0.18, 10), expect.closeTo(-0.18, 10)]);
    expect(swarmOffsets([])).toEqual([]);
  });

  it('scales colours between the 5th and 95th percentile, clipped, grey (null) for strings and missing values', () => {
    const values: FeatureValue[] = [...Array.from({ length: 101 }, (_v, i) => i), null, 'x'];
    const c = colorScale(values);
    expect(c[5]).toBeCloseTo(0);
    expect(c[95]).toBeCloseTo(1);
    expect(c[50]).toBeCloseTo(0.5);
    expect(c[0]).toBe(0);
    expect(c[100]).toBe(1);
    expect(c[101]).toBeNull();
    expect(c[102]).toBeNull();
    // Mostly constant: falls back to a wider range; all constant: the middle.
    const mostly = colorScale([...Array.from({ length: 98 }, () => 1), 0, 10]);
    expect(mostly[98]).toBe(0);
    expect(mostly[99]).toBe(1);
    expect(colorScale([2, 2, 2])).toEqual([0.5, 0.5, 0.5]);
    expect(colorScale(['a', null])).toEqual([null, null]);
  });

  const result: Pick<ReportResult, 'features' | 'importance' | 'samples'> = (() => {
    const rand = lcg(11);
    const features = ['age', 'income', 'city', 'noise'];
    const x: FeatureValue[][] = [];
    const shap: number[][][] = [];
    for (let r = 0; r < 300; r++) {
      const age = 20 + Math.floor(rand() * 50);
      const income = rand() * 100;
      const city = rand() < 0.5 ? 'paris' : 'lyon';
      x.push([age, r % 10 === 0 ? null : income, city, rand()]);
      // age interacts with income: age's effect grows with income.
      const phiAge = ((age - 45) / 25) * (income / 50);
      shap.push([
        [phiAge, (income - 50) / 100, city === 'paris' ? 0.2 : -0.2, (rand() - 0.5) * 0.01],
        [-phiAge, 0, 0, 0],
      ]);
    }
    return {
      features,
      samples: { x, shap },
      importance: [
        { feature: 'age', meanAbsShap: 0.6, perOutput: [0.6, 0.6] },
        { feature: 'income', meanAbsShap: 0.2, perOutput: [0.25, 0] },
        { feature: 'city', meanAbsShap: 0.1, perOutput: [0.2, 0] },
        { feature: 'noise', meanAbsShap: 0.001, perOutput: [0.0025, 0] },
      ],
    };
  })();

  it('lays out one row per important feature, largest first, with the row index as the centre line', () => {
    const b = beeswarmLayout(result, 0, 3);
    expect(b.rows.map((r) => r.feature)).toEqual(['age', 'income', 'city']);
    expect(b.sampled).toBe(300);
    b.rows.forEach((row, k) => {
      expect(row.points).toHaveLength(300);
      for (const p of row.points) expect(Math.abs(p.y - k)).toBeLessThanOrEqual(0.4);
    });
    // Colours: numbers scaled, strings and missing values grey.
    expect(b.rows[0]!.points.every((p) => p.color !== null && p.color >= 0 && p.color <= 1)).toBe(true);
    expect(b.rows[1]!.points.filter((p) => p.color === null)).toHaveLength(30);
    expect(b.rows[2]!.points.every((p) => p.color === null)).toBe(true);
    // x is the row's SHAP value for the output.
    expect(b.rows[1]!.points[7]!.x).toBe(result.samples.shap[7]![0]![1]);
    // Another output has another order.
    expect(beeswarmLayout(result, 1, 2).rows.map((r) => r.feature)).toEqual(['age', 'income']);
    // Subsampled rows, evenly.
    const small = beeswarmLayout(result, 0, 1, 100);
    expect(small.sampled).toBe(100);
    expect(small.total).toBe(300);
    expect(small.rows[0]!.points.map((p) => p.row).slice(0, 3)).toEqual([0, 3, 6]);
  });

  it('says which way higher values push', () => {
    const b = beeswarmLayout(result, 0, 4);
    expect(beeswarmTrend(b.rows[1]!).trend).toBe('higher values raise the output');
    expect(beeswarmTrend(b.rows[2]!).trend).toBe('not numeric');
  });
});

describe('importance', () => {
  it('orders by mean |SHAP| overall or for one output', () => {
    const imp = [
      { feature: 'a', meanAbsShap: 0.5, perOutput: [0.1, 0.9] },
      { feature: 'b', meanAbsShap: 0.4, perOutput: [0.7, 0.1] },
    ];
    expect(importanceFor(imp, null).map((i) => i.feature)).toEqual(['a', 'b']);
    expect(importanceFor(imp, 0)).toEqual([
      { feature: 'b', value: 0.7 },
      { feature: 'a', value: 0.1 },
    ]);
  });

  it('gives permutation importance its error bar', () => {
    const rows = permutationRows({ metric: 'accuracy', baseline: 0.9, repeats: 5, features: [
      { feature: 'a', mean: 0.01, std: 0.02 },
      { feature: 'b', mean: 0.2, std: 0.05 },
    ] });
    expect(rows.map((r) => r.feature)).toEqual(['b', 'a']);
    expect(rows[0]!.low).toBeCloseTo(0.15);
    expect(rows[0]!.high).toBeCloseTo(0.25);
    expect(rows[1]!.low).toBeCloseTo(-0.01);
  });
});

describe('dependence', () => {
  const rand = lcg(5);
  const features = ['age', 'income', 'city', 'noise'];
  const x: FeatureValue[][] = [];
  const shap: number[][][] = [];
  for (let r = 0; r < 400; r++) {
    const age = 20 + rand() * 50;
    const income = rand() * 100;
    const noise = rand();
    const city = rand() < 0.5 ? 'paris' : 'lyon';
    x.push([r === 3 ? null : age, income, city, noise]);
    shap.push([[((age - 45) / 25) * (income / 50), (income - 50) / 100, city === 'paris' ? 0.2 : -0.2, 0]]);
  }
  const result = {
    features,
    samples: { x, shap },
    importance: [
      { feature: 'age', meanAbsShap: 0.6, perOutput: [0.6] },
      // The most important other feature does not interact with age; income does.
      { feature: 'noise', meanAbsShap: 0.3, perOutput: [0.3] },
      { feature: 'city', meanAbsShap: 0.2, perOutput: [0.2] },
      { feature: 'income', meanAbsShap: 0.1, perOutput: [0.1] },
    ],
  };

  it('colours by the feature that explains the spread of the SHAP values, not simply the next one', () => {
    expect(interactionFeature(result, 0, 'age')).toBe('income');
    // No other feature: nothing to colour by.
    expect(interactionFeature({ ...result, features: ['age'], importance: [result.importance[0]!] }, 0, 'age')).toBeNull();
  });

  it('plots value against SHAP value, leaving out missing values', () => {
    const d = dependenceData(result, 0, 'age', 'income');
    expect(d.kind).toBe('numeric');
    expect(d.missing).toBe(1);
    expect(d.points).toHaveLength(399);
    expect(d.points[0]).toMatchObject({ x: x[0]![0], y: shap[0]![0]![0], row: 0 });
    expect(d.colorKind).toBe('numeric');
    expect(d.points.every((p) => p.color !== null && p.color >= 0 && p.color <= 1)).toBe(true);
  });

  it('puts categories on their own positions with a small deterministic spread', () => {
    const d = dependenceData(result, 0, 'city', 'age');
    expect(d.kind).toBe('categorical');
    expect(d.categories).toEqual(['lyon', 'paris']);
    for (const p of d.points) expect(Math.abs(p.x - d.categories.indexOf(String(p.value)))).toBeLessThanOrEqual(0.3);
    expect(dependenceData(result, 0, 'city', 'age').points.map((p) => p.x)).toEqual(d.points.map((p) => p.x));
    const colored = dependenceData(result, 0, 'age', 'city');
    expect(colored.colorKind).toBe('categorical');
    expect(colored.colorCategories).toEqual(['lyon', 'paris']);
    const table = dependenceBins(d);
    expect(table.map((t) => t.label)).toEqual(['lyon', 'paris']);
    expect(table[0]!.meanShap).toBeCloseTo(-0.2);
    expect(table[1]!.meanShap).toBeCloseTo(0.2);
    expect(sum(table.map((t) => t.rows))).toBe(400);
  });

  it('draws numbers with few distinct values (an indicator) as categories in numeric order, spread sideways', () => {
    const owner = { features: ['owner', 'age'], samples: { x: x.map((r, i) => [i % 3 === 0 ? 10 : i % 3 === 1 ? 2 : -1, r[0] ?? null]), shap: shap.map((s, i) => [[i % 3, s[0]![0]!]]) } };
    const d = dependenceData(owner, 0, 'owner', 'age');
    expect(d.kind).toBe('categorical');
    expect(d.categories).toEqual(['-1', '2', '10']);
    for (const p of d.points) expect(Math.abs(p.x - d.categories.indexOf(String(p.value)))).toBeLessThanOrEqual(0.3 + 1e-12);
    expect(dependenceBins(d).map((b) => [b.label, b.meanShap])).toEqual([
      ['-1', 2],
      ['2', 1],
      ['10', 0],
    ]);
    // Past DISCRETE_VALUES distinct numbers, a numeric axis.
    expect(dependenceData(result, 0, 'income', null).kind).toBe('numeric');
  });

  it('bins numeric values into quantile bins for the table', () => {
    const bins = dependenceBins(dependenceData(result, 0, 'income', null), 4);
    expect(bins).toHaveLength(4);
    expect(sum(bins.map((b) => b.rows))).toBe(400);
    expect(bins[0]!.meanShap).toBeLessThan(bins[3]!.meanShap);
  });

  it('spreads deterministically within ±0.5', () => {
    const js = Array.from({ length: 1000 }, (_v, i) => hashJitter(i));
    expect(Math.min(...js)).toBeGreaterThanOrEqual(-0.5);
    expect(Math.max(...js)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(sum(js) / js.length)).toBeLessThan(0.05);
  });
});

describe('partial dependence', () => {
  const pd: PartialDependence = {
    feature: 'age',
    kind: 'numeric',
    grid: [20, 40, 60],
    outputs: ['value'],
    average: [[1, 2, 3]],
    ice: [Array.from({ length: 250 }, (_v, i) => [i, i + 1, i + 2])],
  };

  it('draws at most 100 ICE lines, evenly picked', () => {
    const { lines, total } = iceLines(pd, 0);
    expect(total).toBe(250);
    expect(lines).toHaveLength(100);
    expect(lines[0]).toEqual([0, 1, 2]);
    expect(lines[1]).toEqual([2, 3, 4]);
    expect(iceLines(pd, 0, 500).lines).toHaveLength(250);
    expect(iceLines(pd, 3).lines).toEqual([]);
    expect(subsampleIndices(10, 4)).toEqual([0, 2, 5, 7]);
    expect(subsampleIndices(3, 10)).toEqual([0, 1, 2]);
  });

  it('tabulates the average and the ICE spread at each grid value', () => {
    expect(pdpRows(pd, 0)[1]).toEqual({ value: 40, average: 2, low: 1, high: 250 });
  });

  it('turns a two-way grid into heatmap cells', () => {
    expect(shortLabel(1.64347)).toBe('1.64');
    expect(shortLabel(-0.05233)).toBe('-0.0523');
    expect(shortLabel(16564.9)).toBe('16,600');
    expect(shortLabel(3)).toBe('3');
    expect(shortLabel('paris')).toBe('paris');
    const c = pd2Cells({ features: ['a', 'b'], grid: [[1, 2], ['x', 'y', 'z']], outputs: ['value'], values: [[[1, 2, 3], [4, 5, 6]]] }, 0);
    expect(c.cells).toHaveLength(6);
    expect(c.cells[5]).toEqual([1, 2, 6]);
    expect([c.min, c.max]).toEqual([1, 6]);
  });
});

describe('forms and lists', () => {
  it('reads feature lists and pairs', () => {
    expect(parseFeatureList(' age, income,,age\ncity ')).toEqual(['age', 'income', 'city']);
    expect(parsePairs('age:income, city × age')).toEqual({ pairs: [['age', 'income'], ['city', 'age']], error: null });
    expect(parsePairs('')).toEqual({ pairs: [], error: null });
    expect(parsePairs('age').error).toMatch(/“age” is not a pair/);
    expect(parsePairs('age:age').error).toMatch(/not a pair of two different features/);
    // The server computes at most 3 pairs.
    expect(parsePairs('a:b, a:c, b:c').pairs).toHaveLength(3);
    expect(parsePairs('a:b, a:c, b:c, c:d')).toEqual({ pairs: [], error: '4 pairs were given; a report computes at most 3' });
  });

  it('explains the first row of a /predict body', () => {
    expect(firstRowBody({ rows: [{ a: 1 }, { a: 2 }] })).toEqual({ rows: [{ a: 1 }] });
    expect(firstRowBody({ columns: { a: [1, 2], b: ['x', 'y'] } })).toEqual({ rows: [{ a: 1, b: 'x' }] });
    expect(firstRowBody({ rows: [] })).toBeNull();
    expect(firstRowBody({ columns: { a: [] } })).toBeNull();
    expect(firstRowBody([1, 2])).toBeNull();
    expect(firstRowBody('x')).toBeNull();
  });

  it('shows progress in words', () => {
    expect(progressText({ fraction: 0.35, message: 'explained 500 of 1000 rows' })).toBe('explained 500 of 1000 rows (35%)');
    expect(progressText({ fraction: 0.02, message: 'reading rows' })).toBe('reading rows (2%)');
    expect(progressText({ fraction: 0.5, message: '' })).toBe('50%');
    expect(progressText(null)).toBeNull();
    expect(progressPercent({ fraction: 0.999, message: '' })).toBe(99);
    expect(progressPercent({ fraction: 1.2, message: '' })).toBe(100);
    expect(progressPercent({ fraction: -0.1, message: '' })).toBe(0);
    expect(progressPercent(null)).toBeNull();
  });

  it('picks the report asked for, else the newest that succeeded', () => {
    const items = [
      { id: 'a', status: 'succeeded' as const, createdAt: '2026-01-01T00:00:00Z' },
      { id: 'b', status: 'succeeded' as const, createdAt: '2026-01-02T00:00:00Z' },
      { id: 'c', status: 'failed' as const, createdAt: '2026-01-03T00:00:00Z' },
    ];
    expect(pickReport(items, 'a')?.id).toBe('a');
    expect(pickReport(items, 'zz')?.id).toBe('b');
    expect(pickReport(items, null)?.id).toBe('b');
    expect(pickReport([items[2]!], null)?.id).toBe('c');
    expect(pickReport([], null)).toBeNull();
  });
});
