/**
 * Pure data work behind the explanation pictures: waterfall steps, beeswarm layout and colours,
 * dependence points and the feature to colour them by, ICE subsampling, and the small parsers of the
 * report form. Nothing here touches the DOM or ECharts, so all of it is unit-tested.
 */
import { formatNumber, plural } from '../../lib/format';
import type { ExplainBody, FeatureValue, ImportanceItem, PartialDependence, PartialDependence2d, PermutationImportance, ReportProgress, ReportResult, ReportStatus } from './types';

// ---------------------------------------------------------------------------------------------------------
// Words and numbers

export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A feature value for a label: numbers shortened, strings as they are, null as "missing". */
export function formatValue(v: FeatureValue | boolean | undefined): string {
  if (v === null || v === undefined) return 'missing';
  if (typeof v === 'number') return formatNumber(v);
  return String(v);
}

/** +0.123 / −0.05 / ±0, with a real minus sign. */
export function signed(v: number): string {
  if (v === 0) return '±0';
  const s = formatNumber(Math.abs(v));
  return v > 0 ? `+${s}` : `−${s}`;
}

const SPACE_WORDS: Record<string, string> = { margin: 'raw margin', logit: 'log-odds', log: 'log-probability', identity: 'output units' };

/**
 * What SHAP values of this space add up to, in words; with the outputs, a tree's margin of a binary
 * classifier is called what it is (log-odds).
 */
export function spaceLabel(space: string, outputs?: string[]): string {
  if (space === 'margin' && outputs?.length === 1 && outputs[0] === 'log-odds') return 'log-odds';
  return SPACE_WORDS[space] ?? space;
}

/**
 * An output as an axis names it: 'log-odds' as it is, a class through a log as its log-probability, other
 * outputs with their space ("class 2 (raw margin)"; "value" alone in output units).
 */
export function outputInSpace(output: string, space: string): string {
  if (output === 'log-odds') return output;
  if (space === 'log') return `log-probability of ${output}`;
  if (space === 'identity') return output;
  return `${output} (${spaceLabel(space)})`;
}

/**
 * The model's output back from the space its SHAP values add up in: a probability from log-odds (a tree's
 * binary margin or KernelSHAP's logit), a class's probability from its log. Null when there is no such way
 * back (regression values, a multiclass tree's margins).
 */
export function fromSpace(space: string, output: string, v: number): { label: string; value: number } | null {
  if (space === 'logit' || output === 'log-odds') return { label: 'probability', value: 1 / (1 + Math.exp(-v)) };
  if (space === 'log') return { label: `probability of ${output}`, value: Math.exp(v) };
  return null;
}

/** What a partial dependence output is a prediction of: a probability for classifiers ('probability', 'class k'), else the value. */
export function predictedLabel(output: string | undefined): string {
  if (output === undefined) return 'predicted value';
  if (output === 'probability') return 'predicted probability';
  if (output.startsWith('class ')) return `predicted probability of ${output}`;
  return `predicted ${output}`;
}

const METRIC_WORDS: Record<string, string> = {
  roc_auc: 'ROC AUC', accuracy: 'accuracy', precision: 'precision', recall: 'recall', f1: 'F1', log_loss: 'log loss', ece: 'calibration error (ECE)',
  rmse: 'RMSE', mse: 'MSE', mae: 'MAE', r2: 'R²', mape: 'MAPE',
};
const LOWER_IS_BETTER = new Set(['log_loss', 'ece', 'rmse', 'mse', 'mae', 'mape']);

/** A permutation metric's name for people ('roc_auc' → 'ROC AUC'). */
export function metricLabel(metric: string): string {
  return METRIC_WORDS[metric] ?? metric;
}

/**
 * What permutation importance measures with this metric: the server reports the loss of score when a
 * feature is shuffled (positive = worse), so a drop for scores and a rise for errors and losses.
 */
export function permutationChange(metric: string): string {
  return `${LOWER_IS_BETTER.has(metric) ? 'rise' : 'drop'} in ${metricLabel(metric)}`;
}

export const METHOD_WORDS: Record<string, string> = { tree: 'exact TreeSHAP', kernel: 'KernelSHAP (an estimate)' };

export function isActive(status: ReportStatus): boolean {
  return status === 'queued' || status === 'running';
}

/** The job's progress as a whole percentage from 0 to 100 (null without progress). */
export function progressPercent(progress: ReportProgress): number | null {
  if (!progress || !Number.isFinite(progress.fraction)) return null;
  return Math.max(0, Math.min(100, Math.floor(progress.fraction * 100)));
}

/** "explained 300 of 1000 rows (35%)". */
export function progressText(progress: ReportProgress): string | null {
  if (!progress) return null;
  const pct = progressPercent(progress);
  const message = progress.message.trim();
  if (pct === null) return message || null;
  return message ? `${message} (${pct}%)` : `${pct}%`;
}

// ---------------------------------------------------------------------------------------------------------
// Columns and sampling

export function column(x: FeatureValue[][], j: number): FeatureValue[] {
  return x.map((row) => row[j] ?? null);
}

/** True when every value that is there is a finite number (and at least one is). */
export function isNumericColumn(values: FeatureValue[]): boolean {
  let any = false;
  for (const v of values) {
    if (v === null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) return false;
    any = true;
  }
  return any;
}

/** At most `max` indices of 0…n−1, evenly spread (the same every time), in order. */
export function subsampleIndices(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_v, i) => i);
  if (max <= 0) return [];
  return Array.from({ length: max }, (_v, i) => Math.floor((i * n) / max));
}

/** The value at quantile q of sorted numbers, interpolated linearly. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Each value scaled to 0…1 between the 5th and 95th percentile of the numeric values (clipped), as SHAP's
 * summary plot does so that a few outliers do not wash out the colours; 1st–99th, then min–max when those
 * coincide, 0.5 for a constant. Strings and missing values are null (drawn grey).
 */
export function colorScale(values: FeatureValue[]): (number | null)[] {
  const nums = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (nums.length === 0) return values.map(() => null);
  let lo = quantile(nums, 0.05);
  let hi = quantile(nums, 0.95);
  if (lo === hi) {
    lo = quantile(nums, 0.01);
    hi = quantile(nums, 0.99);
  }
  if (lo === hi) {
    lo = nums[0]!;
    hi = nums[nums.length - 1]!;
  }
  return values.map((v) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return null;
    if (hi === lo) return 0.5;
    return Math.max(0, Math.min(1, (v - lo) / (hi - lo)));
  });
}

// ---------------------------------------------------------------------------------------------------------
// Importance

/** Features by mean |SHAP|, largest first: over all outputs (null), or for one output. */
export function importanceFor(importance: ImportanceItem[], output: number | null): { feature: string; value: number }[] {
  const rows = importance.map((i) => ({ feature: i.feature, value: output === null ? i.meanAbsShap : (i.perOutput[output] ?? 0) }));
  return rows.sort((a, b) => b.value - a.value);
}

/** Permutation importance, largest mean drop first, with the ends of the ±std error bar. */
export function permutationRows(p: PermutationImportance): { feature: string; mean: number; std: number; low: number; high: number }[] {
  return [...p.features].sort((a, b) => b.mean - a.mean).map((f) => ({ ...f, low: f.mean - f.std, high: f.mean + f.std }));
}

// ---------------------------------------------------------------------------------------------------------
// Waterfall

export interface WaterfallStep {
  kind: 'bias' | 'feature' | 'others' | 'total';
  label: string;
  feature: string | null;
  value: FeatureValue | undefined;
  /** The contribution (0 for bias and total). */
  phi: number;
  /** The running total before and after this step. */
  start: number;
  end: number;
  /** How many features the step stands for. */
  count: number;
}

export interface Waterfall {
  steps: WaterfallStep[];
  bias: number;
  /** bias + Σφ over every feature. */
  total: number;
  /** How many features are grouped into "N other features" (0 when none). */
  grouped: number;
}

export const WATERFALL_TOP = 12;

/**
 * Bias → each feature's contribution, largest |φ| first (ties in feature order) → the final value. Past the
 * top `top` features the rest is one "N other features" step, unless that would stand for a single feature
 * (then it is shown by name).
 */
export function waterfallSteps(input: { features: string[]; values: FeatureValue[]; shap: number[]; bias: number }, top = WATERFALL_TOP): Waterfall {
  const { features, values, shap, bias } = input;
  const order = features.map((_f, j) => j).sort((a, b) => Math.abs(shap[b] ?? 0) - Math.abs(shap[a] ?? 0) || a - b);
  const shown = order.length <= top + 1 ? order : order.slice(0, top);
  const rest = order.slice(shown.length);
  const steps: WaterfallStep[] = [{ kind: 'bias', label: 'Expected value (bias)', feature: null, value: undefined, phi: 0, start: bias, end: bias, count: 0 }];
  let running = bias;
  for (const j of shown) {
    const phi = shap[j] ?? 0;
    const feature = features[j]!;
    const value = values[j] ?? null;
    steps.push({ kind: 'feature', label: `${feature} = ${formatValue(value)}`, feature, value, phi, start: running, end: running + phi, count: 1 });
    running += phi;
  }
  if (rest.length > 0) {
    const phi = rest.reduce((a, j) => a + (shap[j] ?? 0), 0);
    steps.push({ kind: 'others', label: plural(rest.length, 'other feature'), feature: null, value: undefined, phi, start: running, end: running + phi, count: rest.length });
    running += phi;
  }
  steps.push({ kind: 'total', label: 'Prediction f(x)', feature: null, value: undefined, phi: 0, start: running, end: running, count: 0 });
  return { steps, bias, total: running, grouped: rest.length };
}

function argmax(xs: number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if ((xs[i] ?? -Infinity) > (xs[best] ?? -Infinity)) best = i;
  return best;
}

/**
 * The output to show first for a row: the predicted class when the prediction names one of the outputs
 * (or is a list of their probabilities), else the output with the largest value.
 */
export function defaultOutput(e: { outputs: string[]; bias: number[]; shap: number[][][]; predictions: unknown[] }, row: number): number {
  if (e.outputs.length <= 1) return 0;
  let p = e.predictions[row];
  if (typeof p === 'object' && p !== null && !Array.isArray(p) && 'label' in p) p = (p as { label: unknown }).label;
  if (typeof p === 'string' || typeof p === 'number' || typeof p === 'boolean') {
    // Outputs are named 'class k' for multiclass models.
    const i = e.outputs.indexOf(String(p));
    if (i >= 0) return i;
    const k = e.outputs.indexOf(`class ${String(p)}`);
    if (k >= 0) return k;
  }
  if (Array.isArray(p) && p.length === e.outputs.length && p.every((v) => typeof v === 'number')) return argmax(p as number[]);
  const totals = e.outputs.map((_o, k) => (e.bias[k] ?? 0) + (e.shap[row]?.[k] ?? []).reduce((a, v) => a + v, 0));
  return argmax(totals);
}

// ---------------------------------------------------------------------------------------------------------
// Beeswarm

/**
 * Vertical offsets of a beeswarm row (within ±height), the same every time: the x values are put into
 * `bins` bins, and the points of a bin are stacked 0, +1, −1, +2, −2… (in row order), all rows scaled by
 * the tallest bin, so that the thickness follows the density, as in SHAP's summary plot.
 */
export function swarmOffsets(xs: number[], bins = 100, height = 0.4): number[] {
  const n = xs.length;
  if (n === 0) return [];
  let min = Infinity;
  let max = -Infinity;
  for (const x of xs) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const span = max - min;
  const bin = xs.map((x) => (span > 0 ? Math.round((bins * (x - min)) / span) : 0));
  const order = xs.map((_x, i) => i).sort((a, b) => bin[a]! - bin[b]! || a - b);
  const raw = new Array<number>(n).fill(0);
  let layer = 0;
  let last = -1;
  let top = 0;
  for (const i of order) {
    if (bin[i] !== last) layer = 0;
    raw[i] = Math.ceil(layer / 2) * (layer % 2 === 1 ? 1 : -1);
    top = Math.max(top, Math.abs(raw[i]!));
    layer++;
    last = bin[i]!;
  }
  const scale = (0.9 * height) / (top + 1);
  return raw.map((r) => r * scale || 0);
}

export interface BeeswarmPoint {
  /** The SHAP value. */
  x: number;
  /** The row's index plus its offset. */
  y: number;
  /** The feature value scaled 0…1; null for strings and missing values. */
  color: number | null;
  value: FeatureValue;
  /** The sample row. */
  row: number;
}

export interface BeeswarmRow {
  feature: string;
  meanAbs: number;
  points: BeeswarmPoint[];
}

export const BEESWARM_FEATURES = 12;
export const BEESWARM_ROWS = 500;

/** One row per feature (the `top` most important for the output, largest first), over at most `maxRows` sample rows. */
export function beeswarmLayout(result: Pick<ReportResult, 'features' | 'importance' | 'samples'>, output: number, top = BEESWARM_FEATURES, maxRows = BEESWARM_ROWS): { rows: BeeswarmRow[]; sampled: number; total: number } {
  const picked = subsampleIndices(result.samples.shap.length, maxRows);
  const order = importanceFor(result.importance, output).slice(0, top);
  const rows: BeeswarmRow[] = [];
  for (const item of order) {
    const j = result.features.indexOf(item.feature);
    if (j < 0) continue;
    const k = rows.length;
    const xs = picked.map((r) => result.samples.shap[r]?.[output]?.[j] ?? 0);
    const values = picked.map((r) => result.samples.x[r]?.[j] ?? null);
    const colors = colorScale(values);
    const offsets = swarmOffsets(xs);
    rows.push({
      feature: item.feature,
      meanAbs: item.value,
      points: xs.map((x, i) => ({ x, y: k + offsets[i]!, color: colors[i]!, value: values[i]!, row: picked[i]! })),
    });
  }
  return { rows, sampled: picked.length, total: result.samples.shap.length };
}

/** Pearson correlation of paired numbers (null when either side is constant or there are fewer than 3 pairs). */
export function correlation(a: number[], b: number[]): number | null {
  const n = Math.min(a.length, b.length);
  if (n < 3) return null;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return null;
  return sab / Math.sqrt(saa * sbb);
}

/** A beeswarm row in words: the range of its SHAP values and which way higher values of the feature push. */
export function beeswarmTrend(row: BeeswarmRow): { min: number; max: number; trend: string } {
  let min = Infinity;
  let max = -Infinity;
  const xs: number[] = [];
  const vs: number[] = [];
  for (const p of row.points) {
    min = Math.min(min, p.x);
    max = Math.max(max, p.x);
    if (typeof p.value === 'number') {
      xs.push(p.x);
      vs.push(p.value);
    }
  }
  if (row.points.length === 0) return { min: 0, max: 0, trend: 'no rows' };
  const numeric = row.points.every((p) => p.value === null || typeof p.value === 'number');
  if (!numeric || vs.length === 0) return { min, max, trend: 'not numeric' };
  const r = correlation(vs, xs);
  const trend = r === null ? 'no clear direction' : r >= 0.3 ? 'higher values raise the output' : r <= -0.3 ? 'higher values lower the output' : 'no clear direction';
  return { min, max, trend };
}

// ---------------------------------------------------------------------------------------------------------
// Dependence

/** A category's code for sorting and correlating: its place among the sorted distinct strings. */
function categoryCodes(values: FeatureValue[]): { codes: (number | null)[]; categories: string[] } {
  const categories = [...new Set(values.filter((v) => v !== null).map(String))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const index = new Map(categories.map((c, i) => [c, i]));
  return { codes: values.map((v) => (v === null ? null : index.get(String(v))!)), categories };
}

function numericCodes(values: FeatureValue[]): (number | null)[] {
  if (isNumericColumn(values)) return values.map((v) => (typeof v === 'number' ? v : null));
  return categoryCodes(values).codes;
}

/**
 * The feature that seems to interact most with `feature`: the rows are sorted by the feature's value and
 * cut into up to 10 bins; within each bin, the other feature's values are correlated with the feature's
 * SHAP values (what the feature's own value does not explain), and the absolute correlations are summed
 * (a simplified form of SHAP's approximate_interactions). Candidates are the `candidates` most important
 * other features; with no signal at all, the most important other feature.
 */
export function interactionFeature(result: Pick<ReportResult, 'features' | 'importance' | 'samples'>, output: number, feature: string, candidates = 15): string | null {
  const j = result.features.indexOf(feature);
  const others = importanceFor(result.importance, output)
    .map((i) => i.feature)
    .filter((f) => f !== feature && result.features.includes(f))
    .slice(0, candidates);
  if (j < 0 || others.length === 0) return others[0] ?? null;
  const x = numericCodes(column(result.samples.x, j));
  const phi = result.samples.shap.map((r) => r[output]?.[j] ?? 0);
  const rows = x
    .map((v, r) => ({ v, r }))
    .filter((p): p is { v: number; r: number } => p.v !== null)
    .sort((a, b) => a.v - b.v || a.r - b.r)
    .map((p) => p.r);
  if (rows.length < 6) return others[0]!;
  const binCount = Math.min(10, Math.floor(rows.length / 3));
  const bins = Array.from({ length: binCount }, (_v, b) => rows.slice(Math.floor((b * rows.length) / binCount), Math.floor(((b + 1) * rows.length) / binCount)));
  let best: string | null = null;
  let bestScore = 0;
  for (const other of others) {
    const codes = numericCodes(column(result.samples.x, result.features.indexOf(other)));
    let score = 0;
    for (const bin of bins) {
      const a: number[] = [];
      const b: number[] = [];
      for (const r of bin) {
        const c = codes[r];
        if (c === null || c === undefined) continue;
        a.push(c);
        b.push(phi[r]!);
      }
      score += Math.abs(correlation(a, b) ?? 0);
    }
    if (score > bestScore + 1e-12) {
      best = other;
      bestScore = score;
    }
  }
  return best ?? others[0]!;
}

/** A small deterministic spread in −0.5…0.5 for the i-th point (categorical axes). */
export function hashJitter(i: number): number {
  let h = (i + 1) * 2654435761;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  h ^= h >>> 16;
  return ((h >>> 0) % 10007) / 10006 - 0.5;
}

export interface DependencePoint {
  /** The feature's value, or its category's index plus a small spread. */
  x: number;
  /** Its SHAP value. */
  y: number;
  value: FeatureValue;
  /** The colouring feature's value scaled 0…1 (numeric), or its category's index (categorical); null when missing. */
  color: number | null;
  colorValue: FeatureValue;
  row: number;
}

export interface Dependence {
  feature: string;
  /** Categorical for text, and for numbers with at most DISCRETE_VALUES distinct values (0/1 indicators, counts). */
  kind: 'numeric' | 'categorical';
  /** The x axis's categories (categorical features), numbers in numeric order. */
  categories: string[];
  colorBy: string | null;
  colorKind: 'numeric' | 'categorical' | 'none';
  colorCategories: string[];
  points: DependencePoint[];
  /** Rows left out because the feature has no value there. */
  missing: number;
}

/** Numeric features with at most this many distinct values are drawn as categories, their points spread sideways (as SHAP's x_jitter). */
export const DISCRETE_VALUES = 10;

/** The distinct numbers of a numeric column, sorted, when there are at most `max` of them; else null. */
function fewNumbers(values: FeatureValue[], max: number): number[] | null {
  const distinct = new Set<number>();
  for (const v of values) {
    if (typeof v !== 'number') continue;
    distinct.add(v);
    if (distinct.size > max) return null;
  }
  return [...distinct].sort((a, b) => a - b);
}

export function dependenceData(result: Pick<ReportResult, 'features' | 'samples'>, output: number, feature: string, colorBy: string | null): Dependence {
  const j = result.features.indexOf(feature);
  const values = j < 0 ? [] : column(result.samples.x, j);
  const discrete = isNumericColumn(values) ? fewNumbers(values, DISCRETE_VALUES) : null;
  const numeric = isNumericColumn(values) && discrete === null;
  const { categories, codes } = numeric
    ? { categories: [], codes: [] as (number | null)[] }
    : discrete
      ? { categories: discrete.map((v) => formatNumber(v)), codes: values.map((v) => (typeof v === 'number' ? discrete.indexOf(v) : null)) }
      : categoryCodes(values);
  const c = colorBy === null ? -1 : result.features.indexOf(colorBy);
  const colorValues = c < 0 ? values.map(() => null) : column(result.samples.x, c);
  const colorKind = c < 0 ? 'none' : isNumericColumn(colorValues) ? 'numeric' : colorValues.some((v) => v !== null) ? 'categorical' : 'none';
  const scaled = colorKind === 'numeric' ? colorScale(colorValues) : [];
  const colorCats = colorKind === 'categorical' ? categoryCodes(colorValues) : { categories: [], codes: [] as (number | null)[] };
  const points: DependencePoint[] = [];
  let missing = 0;
  values.forEach((v, r) => {
    if (v === null || (numeric && typeof v !== 'number')) {
      missing++;
      return;
    }
    const x = numeric ? (v as number) : codes[r]! + 0.6 * hashJitter(r);
    const color = colorKind === 'numeric' ? scaled[r]! : colorKind === 'categorical' ? colorCats.codes[r]! : null;
    points.push({ x, y: result.samples.shap[r]?.[output]?.[j] ?? 0, value: v, color, colorValue: colorValues[r] ?? null, row: r });
  });
  return { feature, kind: numeric ? 'numeric' : 'categorical', categories, colorBy: c < 0 ? null : colorBy, colorKind, colorCategories: colorCats.categories, points, missing };
}

/** The dependence in a few lines: by category, or by up to `bins` quantile bins of the value (for the table). */
export function dependenceBins(d: Dependence, bins = 10): { label: string; rows: number; meanShap: number; minShap: number; maxShap: number }[] {
  const groups: { label: string; ys: number[] }[] = [];
  if (d.kind === 'categorical') {
    for (const [i, cat] of d.categories.entries()) groups.push({ label: cat, ys: d.points.filter((p) => Math.round(p.x) === i).map((p) => p.y) });
  } else {
    const sorted = [...d.points].sort((a, b) => a.x - b.x);
    const n = Math.min(bins, sorted.length);
    for (let b = 0; b < n; b++) {
      const part = sorted.slice(Math.floor((b * sorted.length) / n), Math.floor(((b + 1) * sorted.length) / n));
      if (part.length === 0) continue;
      const lo = part[0]!.x;
      const hi = part[part.length - 1]!.x;
      groups.push({ label: lo === hi ? formatNumber(lo) : `${formatNumber(lo)} – ${formatNumber(hi)}`, ys: part.map((p) => p.y) });
    }
  }
  return groups
    .filter((g) => g.ys.length > 0)
    .map((g) => ({ label: g.label, rows: g.ys.length, meanShap: g.ys.reduce((a, y) => a + y, 0) / g.ys.length, minShap: Math.min(...g.ys), maxShap: Math.max(...g.ys) }));
}

// ---------------------------------------------------------------------------------------------------------
// Partial dependence

export const ICE_LINES = 100;

/** The ICE lines to draw for an output: at most `max`, evenly picked. */
export function iceLines(pd: PartialDependence, output: number, max = ICE_LINES): { lines: number[][]; total: number } {
  const all = pd.ice[output] ?? [];
  return { lines: subsampleIndices(all.length, max).map((i) => all[i]!), total: all.length };
}

/** The grid with the average and the spread of the ICE lines at each point (for the table). */
export function pdpRows(pd: PartialDependence, output: number): { value: number | string; average: number; low: number | null; high: number | null }[] {
  const avg = pd.average[output] ?? [];
  const ice = pd.ice[output] ?? [];
  return pd.grid.map((value, g) => {
    const at = ice.map((line) => line[g]).filter((v): v is number => typeof v === 'number');
    return { value, average: avg[g] ?? Number.NaN, low: at.length ? Math.min(...at) : null, high: at.length ? Math.max(...at) : null };
  });
}

/** The cells of a two-way partial dependence ([a index, b index, value]) and their range. */
export function pd2Cells(pd: PartialDependence2d, output: number): { cells: [number, number, number][]; min: number; max: number } {
  const cells: [number, number, number][] = [];
  let min = Infinity;
  let max = -Infinity;
  (pd.values[output] ?? []).forEach((row, a) =>
    row.forEach((v, b) => {
      cells.push([a, b, v]);
      if (v < min) min = v;
      if (v > max) max = v;
    }),
  );
  if (cells.length === 0) return { cells, min: 0, max: 0 };
  return { cells, min, max };
}

/** A grid value for a table or tooltip. */
export function gridLabel(v: number | string): string {
  return typeof v === 'number' ? formatNumber(v) : v;
}

/** A grid value for an axis label: numbers to 3 significant digits (1.64347 → 1.64, 16564.9 → 16,600). */
export function shortLabel(v: number | string): string {
  if (typeof v !== 'number') return v;
  if (!Number.isFinite(v) || Number.isInteger(v)) return formatNumber(v);
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e7)) return v.toExponential(2);
  return formatNumber(Number(v.toPrecision(3)));
}

// ---------------------------------------------------------------------------------------------------------
// Forms

/** "a, b ,,c" → ['a', 'b', 'c'] (duplicates dropped). */
export function parseFeatureList(text: string): string[] {
  return [...new Set(text.split(/[,\n]/).map((s) => s.trim()).filter(Boolean))];
}

/** The most feature pairs a report computes two-way partial dependence for (parseReportBody). */
export const MAX_PAIRS = 3;

/**
 * "a:b, c×d" → [['a', 'b'], ['c', 'd']]; an entry that is not two different names is an error naming it, and
 * so are more than MAX_PAIRS pairs.
 */
export function parsePairs(text: string): { pairs: [string, string][]; error: string | null } {
  const pairs: [string, string][] = [];
  for (const part of text.split(/[,\n;]/).map((s) => s.trim()).filter(Boolean)) {
    const names = part.split(/\s*[:×*]\s*|\s+x\s+/).map((s) => s.trim());
    if (names.length !== 2 || !names[0] || !names[1] || names[0] === names[1]) return { pairs: [], error: `“${part}” is not a pair of two different features, such as age:income` };
    pairs.push([names[0], names[1]]);
  }
  if (pairs.length > MAX_PAIRS) return { pairs: [], error: `${pairs.length} pairs were given; a report computes at most ${MAX_PAIRS}` };
  return { pairs, error: null };
}

/**
 * The first row of a /predict body, as an /explain body: {"rows": [r, …]} → {"rows": [r]};
 * {"columns": {f: [v, …]}} → {"rows": [{f: v}]}. Null for anything else.
 */
export function firstRowBody(body: unknown): ExplainBody | null {
  if (typeof body !== 'object' || body === null) return null;
  const b = body as { rows?: unknown; columns?: unknown };
  if (Array.isArray(b.rows)) {
    const first: unknown = b.rows[0];
    if (typeof first !== 'object' || first === null || Array.isArray(first)) return null;
    return { rows: [first as ExplainBody['rows'][number]] };
  }
  if (typeof b.columns === 'object' && b.columns !== null && !Array.isArray(b.columns)) {
    const row: ExplainBody['rows'][number] = {};
    for (const [k, v] of Object.entries(b.columns as Record<string, unknown>)) {
      if (!Array.isArray(v) || v.length === 0) return null;
      row[k] = v[0] as FeatureValue;
    }
    return Object.keys(row).length ? { rows: [row] } : null;
  }
  return null;
}

/** Which report to show: the one asked for when it exists, else the newest that succeeded, else the newest. */
export function pickReport<T extends { id: string; status: ReportStatus; createdAt: string }>(items: T[], wanted: string | null): T | null {
  if (wanted) {
    const w = items.find((i) => i.id === wanted);
    if (w) return w;
  }
  const newest = [...items].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return newest.find((i) => i.status === 'succeeded') ?? newest[0] ?? null;
}
