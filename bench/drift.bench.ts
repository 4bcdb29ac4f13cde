/**
 * Drift monitoring benchmark (`npm run bench -- drift`), in one run:
 *
 * 1. report_1m_s — fold 1,000,000 current rows × 20 features (held in column typed arrays) into a
 *    ProfileBuilder that follows the reference's quantile-bin layout (sample of 10,000 rows), then compute
 *    driftReport + qualityReport against a reference profile of 100,000 rows. The reference is built once,
 *    outside the clock, with a row sample of REFERENCE_SAMPLE_ROWS = 20,000: the Wasserstein and KS tests
 *    read the samples, and with a 10,000-row current sample the error is dominated by the current side, so a
 *    larger reference sample costs sorting time without buying accuracy. Median of ROUNDS runs.
 * 2. ratio_vs_numpy — bench/drift_numpy.py (Debian's /usr/bin/python3 with numpy and scipy) loads the same
 *    columns from raw files and computes, on every row, what Evidently computes for the tests Steward chose
 *    (passed per feature in the manifest), plus the same quality counts. Median of 3 runs of the computation
 *    only; ratio = numpy seconds / Steward seconds. Per feature the table shows both statistics and drift
 *    decisions: Steward's Wasserstein and KS read the row samples, so they differ a little from the peer's
 *    (max_stat_diff); decisions should agree (decision_disagreements), and the quality counts are exact
 *    (quality_mismatches).
 * 3. fold_rows_per_s — 200,000 prediction records like the serving path writes them (20 inputs, float32
 *    numbers, a probability as the output) written with the real PredictionLog, then read back with
 *    readPredictions and folded by a WindowFolder into hourly windows (one day of traffic) plus drain().
 *    Median of ROUNDS runs, in this process.
 * 4. peak_rss_mb — the same fold of 400,000 records (same day, twice the traffic) and of the 200,000 ones,
 *    each in a fresh child process so that this process's data does not count: the child samples
 *    process.memoryUsage.rss() every 5 ms with setInterval (the timer runs while the reader waits for its
 *    1 MiB reads) and after every 1,024 records, and reports the highest value (peak_rss_mb for 400k,
 *    peak_rss_mb_200k). The kernel's high-water mark (resourceUsage().maxRSS) is shown beside it as a check;
 *    it also covers the child's start-up, which is why it is not the figure.
 *
 * Other figures: numpy_s, quality_mismatches, drifted_features (5 of the 20 are made to drift), and
 * windows_30d_ms, a placeholder (null) for the monitoring service's part.
 * Prints tables, then one JSON line {"bench":"drift","figures":{...}}.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  PREDICTION_COLUMN, ProfileBuilder, quantileEdges, type BinLayout, type ColumnSpec, type Profile,
} from '../src/ml/monitoring/profile.js';
import { driftReport, qualityReport, type DriftReport, type QualityReport, type ReferenceInput } from '../src/ml/monitoring/report.js';
import type { FoldModel, FoldedWindow } from '../src/modules/monitoring/window-folder.js';
import { newId } from '../src/platform/ids.js';
import { PredictionLog, type PredictionRecord } from '../src/serving/prediction-log/prediction-log.js';
import { planRanges, type LogCursor } from '../src/modules/monitoring/log-tail.js';
import { mergeFolded } from '../src/modules/monitoring/fold-work.js';
import { WorkerFoldRunner } from '../src/modules/monitoring/fold-runner.js';
import { median, printTable } from './support.js';

const PYTHON = '/usr/bin/python3';
const PEER = fileURLToPath(new URL('./drift_numpy.py', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const REFERENCE_ROWS = 100_000;
const CURRENT_ROWS = 1_000_000;
const CURRENT_SAMPLE_ROWS = 10_000;
const REFERENCE_SAMPLE_ROWS = 20_000;
const LOG_ROWS = 200_000;
const LOG_ROWS_LARGE = 400_000;
/** Timed runs per measurement (the median is reported), each side after one untimed warm-up run. */
const ROUNDS = 5;
const MB = 1024 * 1024;

// The served model of parts 3 and 4.
const PROJECT = 'default';
const DEPLOYMENT = 'churn';
const MODEL = 'churn-classifier';
const VERSION = 3;
/** Midnight UTC, 2026-03-02: the logged day starts here, so it spans exactly 24 hourly windows. */
const DAY_START = Date.UTC(2026, 2, 2);
const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Data: 14 numeric and 6 categorical features; five of them change between reference and current.

/**
 * Seeded draws. The generator is sfc32 (a 32-bit "small fast counting" generator; its counter guarantees a
 * period of at least 2^32), two outputs per double. Kept apart from the profile module's Random, so that the
 * data never share a generator with the reservoir sampler under test.
 */
class Draw {
  private a: number;
  private b = 0x9e3779b9;
  private c = 0x243f6a88;
  private d = 1;
  private spare = NaN;
  constructor(seed: number) {
    this.a = seed >>> 0;
    for (let i = 0; i < 16; i++) this.next32();
  }
  private next32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  /** A double in [0, 1) with 53 random bits. */
  private next(): number {
    return ((this.next32() >>> 5) * 67_108_864 + (this.next32() >>> 6)) / 9_007_199_254_740_992;
  }
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }
  /** Standard normal (Box–Muller, both values used). */
  normal(mean = 0, sd = 1): number {
    if (!Number.isNaN(this.spare)) {
      const z = this.spare;
      this.spare = NaN;
      return mean + sd * z;
    }
    const u = 1 - this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    const t = 2 * Math.PI * this.next();
    this.spare = r * Math.sin(t);
    return mean + sd * r * Math.cos(t);
  }
  lognormal(mu: number, sigma: number): number {
    return Math.exp(this.normal(mu, sigma));
  }
  exponential(scale: number): number {
    return -Math.log(1 - this.next()) * scale;
  }
  /** Index drawn from cumulative weights (last entry = total). */
  pick(cumulative: readonly number[]): number {
    const u = this.next() * cumulative[cumulative.length - 1]!;
    let i = 0;
    while (cumulative[i]! <= u) i++;
    return i;
  }
}

interface FeatureBase {
  name: string;
  /** Shape in words, and whether the current data was made to drift. */
  shape: string;
  drifts: boolean;
  /** Share of missing values (same in reference and current). */
  missing: number;
}
interface NumericFeature extends FeatureBase {
  kind: 'numeric';
  draw: (d: Draw, current: boolean) => number;
}
interface CategoricalFeature extends FeatureBase {
  kind: 'categorical';
  categories: string[];
  /** Weights per category in the reference and in the current data. */
  reference: number[];
  current: number[];
}
type Feature = NumericFeature | CategoricalFeature;

const cumulative = (w: readonly number[]): number[] => {
  let s = 0;
  return w.map((x) => (s += x));
};
const zipf = (n: number, power: number): number[] => Array.from({ length: n }, (_, i) => 1 / (i + 1) ** power);
const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);
const ROOMS = cumulative([0.1, 0.3, 0.35, 0.2, 0.05]);
const RATING = cumulative([0.1, 0.2, 0.4, 0.3]);

function numeric(name: string, shape: string, drifts: boolean, missing: number, draw: (d: Draw, current: boolean) => number): NumericFeature {
  return { kind: 'numeric', name, shape, drifts, missing, draw };
}
function categorical(name: string, shape: string, categories: string[], reference: number[], current = reference, missing = 0): CategoricalFeature {
  return { kind: 'categorical', name, shape, drifts: current !== reference, missing, categories, reference, current };
}

const FEATURES: Feature[] = [
  numeric('age', 'integer normal(40, 12) in 18..90', false, 0, (d) => Math.min(90, Math.max(18, Math.round(d.normal(40, 12))))),
  numeric('income', 'lognormal(10.5, 0.6)', false, 0.01, (d) => d.lognormal(10.5, 0.6)),
  numeric('score', 'uniform(0, 1)', false, 0, (d) => d.uniform()),
  numeric('balance', 'normal(0, 1) → mean +0.5', true, 0, (d, cur) => d.normal(cur ? 0.5 : 0, 1)),
  numeric('tenure', 'lognormal(1, 0.8) → ×1.5', true, 0, (d, cur) => d.lognormal(1, 0.8) * (cur ? 1.5 : 1)),
  numeric('temperature', 'normal(20, 5)', false, 0.01, (d) => d.normal(20, 5)),
  numeric('ratio', 'uniform(-1, 1)', false, 0, (d) => d.uniform(-1, 1)),
  numeric('session_s', 'lognormal(3, 0.5)', false, 0, (d) => d.lognormal(3, 0.5)),
  numeric('spend', 'normal(100, 30) → mean +15', true, 0, (d, cur) => d.normal(cur ? 115 : 100, 30)),
  numeric('mixture', 'normal(±2, 1), half each', false, 0, (d) => d.normal(d.uniform() < 0.5 ? -2 : 2, 1)),
  numeric('distance_km', 'exponential(10)', false, 0, (d) => d.exponential(10)),
  numeric('weight', 'uniform(50, 100) → (55, 110)', true, 0, (d, cur) => (cur ? d.uniform(55, 110) : d.uniform(50, 100))),
  numeric('rooms', 'integer 1..5', false, 0, (d) => 1 + d.pick(ROOMS)),
  numeric('rating', 'integer 0..3', false, 0.01, (d) => d.pick(RATING)),
  categorical('country', '50 categories, Zipf', names('country', 50), zipf(50, 1), undefined, 0.01),
  categorical('device', '3 categories', ['mobile', 'desktop', 'tablet'], [0.6, 0.3, 0.1]),
  categorical('plan', '5 categories → new mix + unseen "trial"', ['free', 'basic', 'plus', 'pro', 'team', 'trial'], [0.4, 0.3, 0.15, 0.1, 0.05, 0], [0.2, 0.25, 0.2, 0.15, 0.12, 0.08]),
  categorical('channel', '8 categories', names('channel', 8), [8, 7, 6, 5, 4, 3, 2, 1]),
  categorical('region', '12 categories, uniform', names('region', 12), new Array<number>(12).fill(1)),
  categorical('browser', '20 categories, Zipf 0.7', names('browser', 20), zipf(20, 0.7), undefined, 0.01),
];

const FEATURE_NAMES = FEATURES.map((f) => f.name);
const COLUMNS: ColumnSpec[] = FEATURES.map((f) => ({ name: f.name, kind: f.kind }));

/** One feature's values: float64 with NaN for missing, or int32 codes into the categories with -1. */
interface Column {
  feature: Feature;
  values: Float64Array | null;
  codes: Int32Array | null;
}

function generate(rows: number, seed: number, current: boolean): Column[] {
  const d = new Draw(seed);
  return FEATURES.map((feature) => {
    if (feature.kind === 'numeric') {
      const values = new Float64Array(rows);
      for (let r = 0; r < rows; r++) values[r] = feature.missing > 0 && d.uniform() < feature.missing ? NaN : feature.draw(d, current);
      return { feature, values, codes: null };
    }
    const c = cumulative(current ? feature.current : feature.reference);
    const codes = new Int32Array(rows);
    for (let r = 0; r < rows; r++) codes[r] = feature.missing > 0 && d.uniform() < feature.missing ? -1 : d.pick(c);
    return { feature, values: null, codes };
  });
}

/** Adds rows [0, rows) of the columns to a builder, a batch of columns at a time (NaN and code -1 are missing). */
function foldColumns(builder: ProfileBuilder, columns: Column[], rows: number): void {
  const BATCH = 65_536;
  for (let start = 0; start < rows; start += BATCH) {
    const end = Math.min(rows, start + BATCH);
    builder.addColumns(
      columns.map((c) => (c.values ? c.values.subarray(start, end) : { codes: c.codes!.subarray(start, end), table: (c.feature as { categories: string[] }).categories })),
      end - start,
    );
  }
}

function profileOf(columns: Column[], rows: number, layout: BinLayout, sampleSize: number, seed: number): Profile {
  const b = new ProfileBuilder(COLUMNS, { layout, sampleSize, seed });
  foldColumns(b, columns, rows);
  return b.build();
}

// ---------------------------------------------------------------------------------------------
// Part 1: the report over one million rows

interface ReportRun {
  totalMs: number;
  foldMs: number;
  reportMs: number;
  drift: DriftReport;
  quality: QualityReport;
  current: Profile;
}

function reportOnce(current: Column[], reference: ReferenceInput, layout: BinLayout): ReportRun {
  const started = performance.now();
  const b = new ProfileBuilder(COLUMNS, { layout, sampleSize: CURRENT_SAMPLE_ROWS, seed: 7 });
  foldColumns(b, current, CURRENT_ROWS);
  const folded = performance.now();
  const profile = b.build();
  const drift = driftReport(FEATURE_NAMES, reference, { stats: profile.stats, sample: profile.sample });
  const quality = qualityReport(FEATURE_NAMES, profile.stats, reference.stats);
  const done = performance.now();
  return { totalMs: done - started, foldMs: folded - started, reportMs: done - folded, drift, quality, current: profile };
}

// ---------------------------------------------------------------------------------------------
// Part 2: the numpy/scipy peer

interface PeerFeature {
  test: string;
  statistic: number;
  p_value?: number;
  drifted: boolean;
}
interface PeerResult {
  seconds: number;
  runs: number[];
  features: Record<string, PeerFeature>;
  quality: Record<string, { missing: number; out_of_range?: number; unseen?: number }>;
}

function peerAvailable(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', 'import numpy, scipy'], { encoding: 'utf8' });
  return r.status === 0 ? null : (r.stderr || '').trim().split('\n').pop() || `exit ${r.status}`;
}

/** Writes the columns as raw little-endian files plus manifest.json; returns the manifest's path. */
function writePeerData(dir: string, reference: Column[], current: Column[], drift: DriftReport): string {
  const raw = (a: Float64Array | Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const features = FEATURES.map((f, i) => {
    const ext = f.kind === 'numeric' ? 'f64' : 'i32';
    const ref = reference[i]!;
    const cur = current[i]!;
    writeFileSync(join(dir, `reference-${f.name}.${ext}`), raw(ref.values ?? ref.codes!));
    writeFileSync(join(dir, `current-${f.name}.${ext}`), raw(cur.values ?? cur.codes!));
    const d = drift.features[f.name]!;
    return {
      name: f.name, kind: f.kind, test: d.test, threshold: d.threshold,
      reference: `reference-${f.name}.${ext}`, current: `current-${f.name}.${ext}`,
      ...(f.kind === 'categorical' ? { categories: f.categories } : {}),
    };
  });
  const manifest = join(dir, 'manifest.json');
  writeFileSync(manifest, JSON.stringify({ reference_rows: REFERENCE_ROWS, current_rows: CURRENT_ROWS, features }, null, 1));
  return manifest;
}

function runPeer(manifest: string): PeerResult {
  const r = spawnSync(PYTHON, [PEER, manifest, String(ROUNDS)], { encoding: 'utf8', maxBuffer: 16 * MB });
  if (r.status !== 0) throw new Error(`drift_numpy.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as PeerResult;
}

/** Steward's quality counts per feature, recovered from the report's rates and the profile's denominators. */
function stewardCounts(quality: QualityReport, current: Profile): Record<string, { missing: number; out_of_range?: number; unseen?: number }> {
  const out: Record<string, { missing: number; out_of_range?: number; unseen?: number }> = {};
  for (const f of FEATURE_NAMES) {
    const q = quality.features[f]!;
    const c = current.stats.columns[f]!;
    const missing = Math.round(q.missingRate * q.rows);
    if (c.kind === 'numeric') out[f] = { missing, out_of_range: Math.round((q.outOfRangeRate ?? NaN) * c.n) };
    else out[f] = { missing, unseen: Math.round((q.unseenCategoryRate ?? NaN) * (c.count - c.missing - c.typeErrors)) };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parts 3 and 4: prediction logs folded into hourly windows

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** The probability the fake classifier serves for row r (reads a few features; missing ones add nothing). */
function probability(columns: Column[], r: number): number {
  const num = (name: string) => {
    const x = columns[FEATURE_NAMES.indexOf(name)]!.values![r]!;
    return Number.isNaN(x) ? 0 : x;
  };
  const plan = columns[FEATURE_NAMES.indexOf('plan')]!.codes![r]!;
  return sigmoid(-0.4 + 0.9 * num('balance') + 0.02 * (num('age') - 40) + 0.01 * (num('spend') - 100) + (plan === 0 ? 0.5 : 0));
}

/** The model as the folder sees it: 20 features and the prediction, with the reference's layout. */
function foldModel(layout: BinLayout): FoldModel {
  return { columns: [...COLUMNS, { name: PREDICTION_COLUMN, kind: 'numeric' }], layout };
}

/**
 * Writes `rows` records spread evenly over one day with the real writer, in requests of 1..16 rows that share
 * a time and a latency, as the inference service logs them (float32 inputs, missing ones null). Returns bytes.
 */
async function writeLog(dir: string, columns: Column[], rows: number): Promise<number> {
  const log = PredictionLog.open({ dir });
  const d = new Draw(99);
  let r = 0;
  while (r < rows) {
    const n = Math.min(rows - r, 1 + Math.floor(d.uniform() * 16));
    const time = DAY_START + Math.floor((r * DAY_MS) / rows);
    const latencyMicros = Math.round(d.lognormal(Math.log(900), 0.4) + 8 * n);
    const records: PredictionRecord[] = [];
    for (let k = 0; k < n; k++, r++) {
      const inputs: Record<string, unknown> = {};
      for (const c of columns) {
        if (c.values) {
          const x = c.values[r]!;
          inputs[c.feature.name] = Number.isNaN(x) ? null : Math.fround(x);
        } else {
          const code = c.codes![r]!;
          inputs[c.feature.name] = code < 0 ? null : (c.feature as CategoricalFeature).categories[code]!;
        }
      }
      records.push({
        id: newId(time), time, deployment: DEPLOYMENT, project: PROJECT, revision: 1, model: MODEL, version: VERSION,
        latencyMicros, inputs, outputs: Math.fround(probability(columns, r)),
      });
    }
    log.append(records);
  }
  const bytes = log.stats().bytes;
  await log.close();
  return bytes;
}

interface FoldResult {
  records: number;
  folded: number;
  skipped: number;
  windows: number;
  ms: number;
}

/**
 * Reads a log directory and folds it into windows, as the monitoring service does: line-aligned ranges of
 * 2 MB (planRanges), two at a time, parsed and folded by the worker pool, then merged per window.
 * `tick` is called after every step (the memory sampler).
 */
async function foldLog(dir: string, model: FoldModel, pool: WorkerFoldRunner, tick?: () => void): Promise<FoldResult> {
  {
    const started = performance.now();
    const context = { kinds: { [`${PROJECT}/${DEPLOYMENT}`]: 'hour' as const }, models: { [`${PROJECT}/${MODEL}/${VERSION}`]: model }, rowStarts: {} };
    let cursor: LogCursor | undefined;
    let records = 0;
    const parts: FoldedWindow[][] = [];
    for (;;) {
      const ranges = await planRanges(dir, cursor, 2 * 1024 * 1024, pool.size);
      if (ranges.length === 0) break;
      const results = await Promise.all(ranges.map((range) => pool.run({ ...context, range })));
      for (const r of results) {
        if (r.kind !== 'folded') throw new Error('the fold asked for an unknown deployment');
        records += r.records;
        // Merged as they come, as the service merges each step into the stored windows.
        parts.splice(0, parts.length, mergeFolded([...parts, r.windows]));
      }
      const last = ranges[ranges.length - 1]!;
      cursor = { segment: last.segment, offset: last.end };
      tick?.();
    }
    const windows = parts[0] ?? [];
    const ms = performance.now() - started;
    return { records, folded: windows.reduce((s, w) => s + w.profile.stats.rows, 0), skipped: records - windows.reduce((s, w) => s + w.profile.stats.rows, 0), windows: windows.length, ms };
  }
}

interface ChildResult extends FoldResult {
  baselineRssMb: number;
  peakRssMb: number;
  maxRssMb: number;
}

/** In a fresh process: folds the log once while sampling the resident set size. */
async function foldChild(dir: string, modelFile: string): Promise<void> {
  const model = JSON.parse(readFileSync(modelFile, 'utf8')) as FoldModel;
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sample = () => {
    const rss = process.memoryUsage.rss();
    if (rss > peak) peak = rss;
  };
  const timer = setInterval(sample, 5);
  const pool = new WorkerFoldRunner();
  const result = await foldLog(dir, model, pool, sample);
  sample();
  clearInterval(timer);
  await pool.close();
  const out: ChildResult = { ...result, baselineRssMb: baseline / MB, peakRssMb: peak / MB, maxRssMb: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function runChild(dir: string, modelFile: string): Promise<ChildResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', SELF, '--fold-child', dir, modelFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = out.trim().split('\n').pop();
      if (code !== 0 || !line) reject(new Error(`fold child exited with ${code}`));
      else resolve(JSON.parse(line) as ChildResult);
    });
  });
}

// ---------------------------------------------------------------------------------------------

const fixed = (x: number, digits: number) => Number(x.toFixed(digits));

export async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'steward-bench-drift-'));
  try {
    // Reference and current data, the reference's layout and profile (outside every clock).
    const reference = generate(REFERENCE_ROWS, 1, false);
    const current = generate(CURRENT_ROWS, 2, true);
    const edges: Record<string, number[]> = {};
    reference.forEach((c) => {
      const e = c.values ? quantileEdges(c.values) : null;
      if (e) edges[c.feature.name] = e;
    });
    const probabilities = Float64Array.from({ length: REFERENCE_ROWS }, (_, r) => Math.fround(probability(reference, r)));
    edges[PREDICTION_COLUMN] = quantileEdges(probabilities)!;
    const layout: BinLayout = { id: 'bench-reference', edges };
    const refProfile = profileOf(reference, REFERENCE_ROWS, layout, REFERENCE_SAMPLE_ROWS, 11);
    const referenceInput: ReferenceInput = { stats: refProfile.stats, sample: refProfile.sample, edges, layout: layout.id };

    // 1. The report over a million rows.
    const runs: ReportRun[] = [];
    reportOnce(current, referenceInput, layout); // warm-up: compiled code and touched memory, as in a running server
    for (let i = 0; i < ROUNDS; i++) runs.push(reportOnce(current, referenceInput, layout));
    const reportS = median(runs.map((r) => r.totalMs)) / 1000;
    const last = runs[runs.length - 1]!;

    // 2. The peer, on the same data and the tests Steward chose.
    const missingPeer = peerAvailable();
    let peer: PeerResult | null = null;
    if (missingPeer) {
      process.stdout.write(`\nnumpy/scipy peer skipped: ${PYTHON} cannot import numpy and scipy (${missingPeer}); install python3-numpy and python3-scipy. ratio_vs_numpy is null.\n`);
    } else {
      const dataDir = join(work, 'columns');
      mkdirSync(dataDir);
      peer = runPeer(writePeerData(dataDir, reference, current, last.drift));
    }
    const counts = stewardCounts(last.quality, last.current);
    let maxStatDiff = 0;
    let disagreements = 0;
    let qualityMismatches = 0;
    const driftRows = FEATURES.map((f) => {
      const s = last.drift.features[f.name]!;
      const p = peer?.features[f.name];
      const diff = p && s.statistic !== null ? Math.abs(s.statistic - p.statistic) : NaN;
      if (p) {
        if (Number.isFinite(diff)) maxStatDiff = Math.max(maxStatDiff, diff);
        if (p.drifted !== s.drifted || p.test !== s.test) disagreements++;
      }
      return [
        f.name, f.shape, f.drifts ? 'yes' : 'no', s.test, s.basis, s.statistic === null ? '-' : s.statistic.toFixed(4), p ? p.statistic.toFixed(4) : '-',
        p ? diff.toExponential(1) : '-', s.drifted ? 'yes' : 'no', p ? (p.drifted ? 'yes' : 'no') : '-',
      ];
    });
    const qualityRows = FEATURES.map((f) => {
      const s = counts[f.name]!;
      const p = peer?.quality[f.name];
      const other = f.kind === 'numeric' ? 'out_of_range' : 'unseen';
      const same = p ? p.missing === s.missing && p[other] === s[other] : true;
      if (!same) qualityMismatches++;
      return [f.name, f.kind, s.missing, p ? p.missing : '-', other.replace(/_/g, ' '), s[other] ?? '-', p ? (p[other] ?? '-') : '-', same ? 'same' : 'MISMATCH'];
    });

    // 3. Folding prediction logs.
    const logDir = join(work, 'log-200k');
    const largeDir = join(work, 'log-400k');
    const logBytes = await writeLog(logDir, current, LOG_ROWS);
    const largeBytes = await writeLog(largeDir, current, LOG_ROWS_LARGE);
    const model = foldModel(layout);
    // With the server's default (one fold worker) and with two (STEWARD_MONITORING_FOLD_THREADS=2). One pool
    // per size for all its runs, as a server keeps its workers; two untimed runs warm every worker up.
    const foldRuns = async (threads: number): Promise<FoldResult[]> => {
      const pool = new WorkerFoldRunner(threads);
      const out: FoldResult[] = [];
      for (let i = 0; i < 2; i++) await foldLog(logDir, model, pool);
      for (let i = 0; i < ROUNDS; i++) out.push(await foldLog(logDir, model, pool));
      await pool.close();
      for (const f of out) if (f.records !== LOG_ROWS || f.folded !== LOG_ROWS || f.skipped !== 0 || f.windows !== 24) throw new Error(`fold lost records: ${JSON.stringify(f)}`);
      return out;
    };
    const folds = await foldRuns(1);
    const folds2 = await foldRuns(2);
    const foldMs = median(folds.map((f) => f.ms));
    const foldMs2 = median(folds2.map((f) => f.ms));

    // 4. Memory of the fold, in fresh processes.
    const modelFile = join(work, 'model.json');
    writeFileSync(modelFile, JSON.stringify(model));
    const small = await runChild(logDir, modelFile);
    const large = await runChild(largeDir, modelFile);
    for (const c of [small, large]) if (c.folded !== c.records || c.skipped !== 0 || c.windows !== 24) throw new Error(`fold child lost records: ${JSON.stringify(c)}`);

    printTable(
      `drift + quality report: ${CURRENT_ROWS.toLocaleString('en')} current rows × ${FEATURES.length} features against ${REFERENCE_ROWS.toLocaleString('en')} reference rows ` +
        `(samples: current ${CURRENT_SAMPLE_ROWS.toLocaleString('en')}, reference ${REFERENCE_SAMPLE_ROWS.toLocaleString('en')} rows)`,
      ['what', 'runs (ms)', 'median ms'],
      [
        ['Steward: fold into a profile', runs.map((r) => r.foldMs.toFixed(0)).join(' '), median(runs.map((r) => r.foldMs)).toFixed(0)],
        ['Steward: build + driftReport + qualityReport', runs.map((r) => r.reportMs.toFixed(0)).join(' '), median(runs.map((r) => r.reportMs)).toFixed(0)],
        ['Steward: total', runs.map((r) => r.totalMs.toFixed(0)).join(' '), (reportS * 1000).toFixed(0)],
        ...(peer ? [['numpy/scipy on every row (computation only)', peer.runs.map((s) => (s * 1000).toFixed(0)).join(' '), (peer.seconds * 1000).toFixed(0)]] : []),
      ],
    );
    printTable(
      'drift per feature: Steward against numpy/scipy on every row',
      ['feature', 'data', 'made to drift', 'test', 'basis', 'steward', 'numpy', '|diff|', 'steward drift', 'numpy drift'],
      driftRows,
    );
    printTable(
      'quality counts of the current rows (Steward: from qualityReport rates)',
      ['feature', 'kind', 'missing: steward', 'numpy', 'count', 'steward', 'numpy', 'check'],
      qualityRows,
    );
    printTable(
      'prediction log → hourly windows (one day, 24 windows): 2 MB line-aligned ranges folded by the worker pool and merged, as the service does',
      ['records', 'log MB', 'process', 'runs (ms)', 'rows/s', 'RSS before MB', 'peak RSS MB (5 ms samples)', 'maxRSS MB (kernel)'],
      [
        [LOG_ROWS.toLocaleString('en'), (logBytes / MB).toFixed(0), 'this one, 1 worker', folds.map((f) => f.ms.toFixed(0)).join(' '), Math.round(LOG_ROWS / (foldMs / 1000)), '-', '-', '-'],
        [LOG_ROWS.toLocaleString('en'), (logBytes / MB).toFixed(0), 'this one, 2 workers', folds2.map((f) => f.ms.toFixed(0)).join(' '), Math.round(LOG_ROWS / (foldMs2 / 1000)), '-', '-', '-'],
        ...[small, large].map((c, i) => [
          c.records.toLocaleString('en'), ((i ? largeBytes : logBytes) / MB).toFixed(0), 'fresh child', c.ms.toFixed(0), Math.round(c.records / (c.ms / 1000)),
          c.baselineRssMb.toFixed(0), c.peakRssMb.toFixed(0), c.maxRssMb.toFixed(0),
        ]),
      ],
    );

    // Reports over 30 days of stored hourly windows, for two amounts of traffic per window.
    // Imported here, not at the top: the fold child processes must not load the whole server (it would raise their baseline memory).
    const { windowsReport } = await import('./drift-windows.js');
    const windowRuns = [await windowsReport(100), await windowsReport(2000)];
    printTable(
      'report over 30 days of hourly windows (720 stored profiles; the service call behind GET /monitoring, SQLite)',
      ['rows per window', 'records', 'fold ms (set-up)', 'runs (ms)', 'median ms', 'windows merged', 'rows reported'],
      windowRuns.map((w) => [w.rowsPerWindow, w.records.toLocaleString('en'), w.foldMs.toFixed(0), w.runsMs.map((x) => x.toFixed(0)).join(' '), w.medianMs.toFixed(1), w.windows, w.count.toLocaleString('en')]),
    );

    const figures = {
      report_1m_s: fixed(reportS, 3),
      numpy_s: peer ? fixed(peer.seconds, 3) : null,
      ratio_vs_numpy: peer ? fixed(peer.seconds / reportS, 2) : null,
      max_stat_diff: peer ? fixed(maxStatDiff, 5) : null,
      decision_disagreements: peer ? disagreements : null,
      quality_mismatches: peer ? qualityMismatches : null,
      drifted_features: last.drift.driftedFeatures,
      fold_rows_per_s: Math.round(LOG_ROWS / (foldMs / 1000)),
      fold_rows_per_s_2_threads: Math.round(LOG_ROWS / (foldMs2 / 1000)),
      peak_rss_mb: fixed(large.peakRssMb, 1),
      peak_rss_mb_200k: fixed(small.peakRssMb, 1),
      windows_30d_ms: fixed(Math.max(...windowRuns.map((w) => w.medianMs)), 1),
      windows_30d_ms_100_rows: fixed(windowRuns[0]!.medianMs, 1),
      windows_30d_ms_2000_rows: fixed(windowRuns[1]!.medianMs, 1),
    };
    process.stdout.write(
      `\ngoals: report ≤ 1 s (${figures.report_1m_s} s), ≥ 10× numpy (${figures.ratio_vs_numpy ?? 'n/a'}), fold ≥ 200k rows/s (${figures.fold_rows_per_s}), ` +
        `peak RSS flat in rows (${figures.peak_rss_mb_200k} MB for 200k, ${figures.peak_rss_mb} MB for 400k), 30 days of windows ≤ 100 ms (${figures.windows_30d_ms} ms)\n`,
    );
    process.stdout.write(`${JSON.stringify({ bench: 'drift', figures })}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && SELF === process.argv[1]) {
  if (process.argv[2] === '--fold-child') await foldChild(process.argv[3]!, process.argv[4]!);
  else await main();
}
