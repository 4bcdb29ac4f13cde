/**
 * Evaluates test gates: reads the evaluation rows with DuckDB, runs the candidate model (and any baseline
 * version) on them through its runtime, and turns each gate spec into an outcome {passed, summary,
 * details}. No database writes happen here; the service stores the outcomes.
 *
 * - Rows: the model's feature columns (plus the target, sensitive and key columns the gates name) are read
 *   as monitoring's profile reader reads them (numbers for numeric features, text for string ones; at most
 *   1,000,000 rows, a fixed-seed sample beyond). Rows the model cannot take (a missing value it does not
 *   accept, text in a numeric column) are left out of the gates that run the model, and counted.
 * - A gate that cannot be evaluated (a missing column, a metric undefined on these labels) fails with
 *   `details.error` saying why; the other gates still run.
 * - Labels: classifiers' class indices are the labels themselves when they are whole numbers within the
 *   classes (true/false as 1/0), otherwise the sorted distinct values (as scikit-learn's LabelEncoder
 *   numbers them: "no" → 0, "yes" → 1). Rows without a label are left out of labelled measures.
 * - Metric gates: the score is computed on the rows that have a label and that both the candidate and the
 *   baseline (when there is one) could take, so both are scored on the same rows.
 *   With change rules (minAbsoluteChange/minRelativeChange) but no baseline (the alias does not exist, or
 *   points at the candidate itself) the change part passes with the note "no baseline": a first version
 *   has nothing to improve on, and a policy that needs a baseline can ask for the alias to exist. Absolute
 *   thresholds are checked all the same.
 * - Fairness: decisions are P(positive class) ≥ threshold; rates and differences follow
 *   src/ml/governance/fairness.ts (fairlearn's definitions). Without a target only the demographic parity
 *   measures are defined.
 * - Leakage: the model's feature columns are compared for exact duplicate rows (every evaluation row, not
 *   only those the model takes), and the key columns for shared keys, against the training data.
 */
import type { DataEngine } from '../../../data/engine.js';
import { fairnessReport, type GroupValue } from '../../../ml/governance/fairness.js';
import { detectLeakage, type Cell, type Frame } from '../../../ml/governance/leakage.js';
import { checkThresholds, type MetricThreshold } from '../../../ml/governance/metric-threshold.js';
import { perturbationStability } from '../../../ml/governance/robustness.js';
import { SCORERS } from '../../../ml/explain/permutation.js';
import { Rng } from '../../../ml/explain/model.js';
import type { ColumnSpec } from '../../../ml/monitoring/profile.js';
import type { ModelRuntime } from '../../../serving/runtimes.js';
import { batchModel, datasetMatrix, Dictionaries, outputShape, runMatrix, tensorsOf, type OutputShape } from '../../explain/explainer.js';
import { columnsOf, describeTable, readColumns, type TableSource } from '../../monitoring/profile-data.js';
import { CLASSIFIER_METRICS, type FairnessGate, type GateMetric, type GateSpec, type LatencyGate, type LeakageGate, type MetricGate, type RobustnessGate } from './gate-spec.js';

export interface GateOutcome {
  passed: boolean;
  /** One line for tables: the measured value against the limit. */
  summary: string;
  details: Record<string, unknown>;
}

export interface ModelUnderTest {
  runtime: ModelRuntime;
  version: number;
}

export interface GateRunInputs {
  candidate: ModelUnderTest;
  /** Per baseline alias named by a metric gate: the version it points at, or why there is none. */
  baselines: Map<string, ModelUnderTest | { none: string }>;
  source: TableSource;
  target: string | null;
  /** Per leakage gate name: the training data it compares against. */
  training: Map<string, TableSource[]>;
  gates: GateSpec[];
}

export type Progress = (fraction: number, message: string) => Promise<void>;

const SCORER_OF: Record<GateMetric, (typeof SCORERS)[keyof typeof SCORERS]> = {
  roc_auc: SCORERS.rocAuc,
  accuracy: SCORERS.accuracy,
  precision: SCORERS.precision,
  recall: SCORERS.recall,
  f1: SCORERS.f1,
  log_loss: SCORERS.logLoss,
  rmse: SCORERS.rmse,
  mse: SCORERS.mse,
  mae: SCORERS.mae,
  r2: SCORERS.r2,
};

const NUMERIC_COLUMN = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|REAL|DECIMAL.*|BOOLEAN)$/i;
const TEXT_COLUMN = /^(VARCHAR|TEXT|STRING|ENUM.*)$/i;

/** A model run on the evaluation rows it could take. */
interface Evaluated {
  version: number;
  runtime: ModelRuntime;
  dict: Dictionaries;
  /** Dataset row index of each evaluated row. */
  rows: Int32Array;
  /** Row index → position in `rows` (−1 when the model could not take the row). */
  position: Int32Array;
  x: Float64Array;
  /** The prediction output, rows × shape.width. */
  out: Float64Array;
  shape: OutputShape;
  skipped: number;
}

const fmt = (v: number | null | undefined): string => (v === null || v === undefined ? 'n/a' : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : String(Number(v.toPrecision(4))));

function errorOutcome(err: unknown): GateOutcome {
  const message = (err as Error).message ?? String(err);
  return { passed: false, summary: `error: ${message}`.slice(0, 300), details: { error: message.slice(0, 2000) } };
}

export class GateRunner {
  private table!: Map<string, string>;
  private data!: { rows: number; total: number; values: Record<string, unknown[]> };
  private readonly evaluated = new Map<number, Promise<Evaluated>>();

  constructor(
    private readonly engine: DataEngine,
    private readonly inputs: GateRunInputs,
  ) {}

  /** Runs every gate in order; one outcome per gate. */
  async run(progress: Progress): Promise<{ rows: number; outcomes: GateOutcome[] }> {
    const { inputs } = this;
    await progress(0.02, 'reading rows');
    this.table = await describeTable(this.engine, inputs.source, 'dataset');
    this.data = await readColumns(this.engine, inputs.source, this.table, this.columnsToRead());
    const outcomes: GateOutcome[] = [];
    for (const [i, gate] of inputs.gates.entries()) {
      await progress(0.1 + (0.85 * i) / inputs.gates.length, `gate ${i + 1} of ${inputs.gates.length}: ${gate.name} (${gate.type})`);
      outcomes.push(await this.gate(gate).catch(errorOutcome));
    }
    return { rows: this.data.rows, outcomes };
  }

  /** Every column some gate reads that the table has: features of every model, target, sensitive and key columns. */
  private columnsToRead(): ColumnSpec[] {
    const { inputs, table } = this;
    const wanted = new Map<string, ColumnSpec['kind']>();
    const byType = (name: string): ColumnSpec['kind'] => (NUMERIC_COLUMN.test(table.get(name) ?? '') ? 'numeric' : 'categorical');
    const models = [inputs.candidate, ...[...inputs.baselines.values()].filter((b): b is ModelUnderTest => 'runtime' in b)];
    for (const m of models) {
      for (const c of columnsOf(m.runtime.schema)) if (table.has(c.name) && !wanted.has(c.name)) wanted.set(c.name, c.kind);
    }
    // Groups are categories: a sensitive column is read as text (a boolean column as 'false'/'true').
    for (const g of inputs.gates) if (g.type === 'fairness' && table.has(g.sensitive) && !wanted.has(g.sensitive)) wanted.set(g.sensitive, 'categorical');
    const extra = [inputs.target, ...inputs.gates.flatMap((g) => (g.type === 'leakage' ? (g.keys ?? []) : []))];
    for (const name of extra) if (name !== null && table.has(name) && !wanted.has(name)) wanted.set(name, byType(name));
    return [...wanted].map(([name, kind]) => ({ name, kind }));
  }

  private gate(gate: GateSpec): Promise<GateOutcome> {
    switch (gate.type) {
      case 'metric':
        return this.metricGate(gate);
      case 'schema':
        return Promise.resolve(this.schemaGate());
      case 'robustness':
        return this.robustnessGate(gate);
      case 'latency':
        return this.latencyGate(gate);
      case 'fairness':
        return this.fairnessGate(gate);
      case 'leakage':
        return this.leakageGate(gate);
    }
  }

  // ------------------------------------------------------------------------------------------------
  // Running models

  private evaluate(model: ModelUnderTest): Promise<Evaluated> {
    let p = this.evaluated.get(model.version);
    if (!p) {
      p = this.evaluateNow(model);
      this.evaluated.set(model.version, p);
    }
    return p;
  }

  private async evaluateNow(model: ModelUnderTest): Promise<Evaluated> {
    const { runtime, version } = model;
    const schema = runtime.schema;
    if (!schema.features) throw new Error(`version ${version} is not a tabular model (${schema.tabularProblem}); the gates that run it need named features`);
    const features = schema.features.map((f) => f.name);
    const missing = features.filter((f) => !this.table.has(f));
    if (missing.length > 0) throw new Error(`${this.inputs.source.label} has no column ${missing.slice(0, 5).map((m) => `'${m}'`).join(', ')}${missing.length > 5 ? ` (and ${missing.length - 5} more)` : ''}, which version ${version} takes as input`);
    const dict = new Dictionaries();
    const n = this.data.rows;
    const { x, kept } = datasetMatrix(schema, this.data.values, n, dict);
    if (kept.length === 0) throw new Error(`none of the ${n} rows of ${this.inputs.source.label} fits the features of version ${version}`);
    const { values, width } = await runMatrix(runtime, x, kept.length, dict);
    const position = new Int32Array(n).fill(-1);
    kept.forEach((r, i) => (position[r] = i));
    return { version, runtime, dict, rows: Int32Array.from(kept), position, x, out: values, shape: outputShape(runtime, width), skipped: n - kept.length };
  }

  /** The explained outputs (positive-class probability, class probabilities or values) of some evaluated rows. */
  private picked(e: Evaluated, positions: ArrayLike<number>): Float64Array {
    const { width, pick } = e.shape;
    const K = pick.length;
    const out = new Float64Array(positions.length * K);
    for (let i = 0; i < positions.length; i++) for (let k = 0; k < K; k++) out[i * K + k] = e.out[positions[i]! * width + pick[k]!]!;
    return out;
  }

  // ------------------------------------------------------------------------------------------------
  // Labels

  private targetValues(): unknown[] {
    const { target } = this.inputs;
    if (target === null) throw new Error('this gate needs labels: start the run with a target column');
    const values = this.data.values[target];
    if (!values) throw new Error(`${this.inputs.source.label} has no column '${target}' (the run's target)`);
    return values;
  }

  /** Class indices of the target column (see the file comment); null where a row has no label. */
  private classLabels(classes: number): { codes: (number | null)[]; classOf: (label: unknown) => number | null; names: string[] | null } {
    const raw = this.targetValues();
    const text = (v: unknown) => (v === null || v === undefined || v === '' ? null : String(v).trim().toLowerCase());
    const asNumber = (t: string) => (t === 'true' ? 1 : t === 'false' ? 0 : Number(t));
    const present = raw.map(text);
    const numeric = present.every((t) => t === null || (Number.isInteger(asNumber(t)) && asNumber(t) >= 0 && asNumber(t) < classes));
    if (numeric) {
      const classOf = (label: unknown) => {
        const t = text(label);
        if (t === null) return null;
        const n = asNumber(t);
        return Number.isInteger(n) && n >= 0 && n < classes ? n : null;
      };
      return { codes: present.map((t) => (t === null ? null : asNumber(t))), classOf, names: null };
    }
    const names = [...new Set(present.filter((t): t is string => t !== null))].sort();
    if (names.length > classes) throw new Error(`column '${this.inputs.target}' has ${names.length} distinct values, but the model predicts ${classes} classes`);
    const classOf = (label: unknown) => {
      const t = text(label);
      const i = t === null ? -1 : names.indexOf(t);
      return i < 0 ? null : i;
    };
    return { codes: present.map((t) => (t === null ? null : names.indexOf(t))), classOf, names };
  }

  private regressionLabels(): (number | null)[] {
    return this.targetValues().map((v) => {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      return Number.isFinite(n) ? n : null;
    });
  }

  // ------------------------------------------------------------------------------------------------
  // The gates

  private async metricGate(gate: MetricGate): Promise<GateOutcome> {
    const candidate = await this.evaluate(this.inputs.candidate);
    const found = this.inputs.baselines.get(gate.baseline) ?? { none: `alias '${gate.baseline}' does not exist` };
    const baselineModel = 'runtime' in found ? found : null;
    const baseline = baselineModel ? await this.evaluate(baselineModel) : null;
    const classifier = CLASSIFIER_METRICS.has(gate.metric);
    if (classifier !== candidate.shape.probabilities) throw new Error(`${gate.metric} scores ${classifier ? 'classifiers' : 'regression'}, and version ${candidate.version} ${candidate.shape.probabilities ? 'predicts class probabilities' : 'predicts values'}`);
    if (baseline && baseline.shape.pick.length !== candidate.shape.pick.length) throw new Error(`the baseline version ${baseline.version} has ${baseline.shape.pick.length} outputs and the candidate ${candidate.shape.pick.length}: they cannot be scored alike`);
    const classes = candidate.shape.pick.length === 1 ? 2 : candidate.shape.pick.length;
    const labels = classifier ? this.classLabels(classes).codes : this.regressionLabels();
    // The rows both models took that have a label.
    const rows: number[] = [];
    for (const r of candidate.rows) if (labels[r] !== null && (!baseline || baseline.position[r]! >= 0)) rows.push(r);
    if (rows.length < 2) throw new Error(`fewer than 2 rows have a label in '${this.inputs.target}' and fit the model${baseline ? 's' : ''}`);
    const y = Float64Array.from(rows, (r) => labels[r]!);
    const scorer = SCORER_OF[gate.metric];
    const K = candidate.shape.pick.length;
    const score = (e: Evaluated) => scorer.score(y, this.picked(e, rows.map((r) => e.position[r]!)), K);
    const value = score(candidate);
    const baseValue = baseline ? score(baseline) : null;
    const rule: MetricThreshold = { greaterIsBetter: gate.greaterIsBetter };
    if (gate.threshold !== undefined) rule.threshold = gate.threshold;
    const changeRules = gate.minAbsoluteChange !== undefined || gate.minRelativeChange !== undefined;
    let note: string | null = null;
    if (changeRules && baseline) {
      if (gate.minAbsoluteChange !== undefined) rule.minAbsoluteChange = gate.minAbsoluteChange;
      if (gate.minRelativeChange !== undefined) rule.minRelativeChange = gate.minRelativeChange;
    } else if (changeRules) {
      note = `no baseline: ${'none' in found ? found.none : 'none'}, so the change rules pass`;
    }
    const checked = rule.threshold !== undefined || rule.minAbsoluteChange !== undefined || rule.minRelativeChange !== undefined;
    const report = checked ? checkThresholds({ [gate.metric]: value }, baseValue === null ? null : { [gate.metric]: baseValue }, { [gate.metric]: rule }) : { passed: true, results: [{ reasons: [] as string[] }] };
    const reasons = report.results[0]?.reasons ?? [];
    const parts = [`${gate.metric} = ${fmt(value)}`];
    if (gate.threshold !== undefined) parts.push(`threshold ${gate.greaterIsBetter ? '≥' : '≤'} ${fmt(gate.threshold)}`);
    if (baseValue !== null) parts.push(`baseline v${baselineModel!.version} ${fmt(baseValue)}`);
    if (note) parts.push('no baseline');
    return {
      passed: report.passed,
      summary: parts.join(', '),
      details: {
        metric: gate.metric,
        value,
        greaterIsBetter: gate.greaterIsBetter,
        rows: rows.length,
        skippedRows: candidate.skipped,
        baseline: baselineModel ? { alias: gate.baseline, version: baselineModel.version, value: baseValue } : null,
        reasons,
        note,
      },
    };
  }

  /** Every feature is a column with a compatible type; the target is a column. */
  private schemaGate(): GateOutcome {
    const schema = this.inputs.candidate.runtime.schema;
    const problems: { column: string; problem: string }[] = [];
    if (!schema.features) {
      problems.push({ column: '', problem: `the model is not tabular: ${schema.tabularProblem}` });
    } else {
      for (const f of schema.features) {
        const type = this.table.get(f.name);
        if (type === undefined) {
          problems.push({ column: f.name, problem: `missing: the model takes it as ${f.datatype}` });
        } else if (f.datatype === 'BYTES') {
          if (!TEXT_COLUMN.test(type)) problems.push({ column: f.name, problem: `is ${type}, but the model takes text (BYTES)` });
        } else if (!NUMERIC_COLUMN.test(type)) {
          problems.push({ column: f.name, problem: `is ${type}, but the model takes numbers (${f.datatype})` });
        }
      }
    }
    const { target } = this.inputs;
    if (target !== null && !this.table.has(target)) problems.push({ column: target, problem: 'missing: it is the run\'s target' });
    const checked = (schema.features?.length ?? 0) + (target !== null ? 1 : 0);
    return {
      passed: problems.length === 0,
      summary: problems.length === 0 ? `${checked} columns present with compatible types` : `${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.slice(0, 3).map((p) => `${p.column} ${p.problem}`).join('; ')}`,
      details: { columnsChecked: checked, problems, columns: Object.fromEntries(this.table) },
    };
  }

  private async robustnessGate(gate: RobustnessGate): Promise<GateOutcome> {
    const e = await this.evaluate(this.inputs.candidate);
    const schema = e.runtime.schema;
    const F = schema.features!.length;
    const n = Math.min(e.rows.length, gate.rows);
    const picked = Int32Array.from(new Rng(gate.seed).sample(e.rows.length, n)).sort();
    const x = new Float64Array(n * F);
    for (let i = 0; i < n; i++) x.set(e.x.subarray(picked[i]! * F, (picked[i]! + 1) * F), i * F);
    const model = batchModel(e.runtime, e.shape, e.dict);
    const classification = e.shape.probabilities;
    const skip = schema.features!.map((f) => f.datatype === 'BYTES' || f.datatype === 'BOOL');
    const r = await perturbationStability((rows, count) => model.predict(rows, count), x, n, F, { relativeNoise: gate.noise, seed: gate.seed, skip, task: classification ? 'classification' : 'regression' });
    let value: number;
    let predictionStd: number | null = null;
    if (classification) value = r.flipShare!;
    else {
      const base = this.picked(e, picked);
      let mean = 0;
      for (const v of base) mean += v / base.length;
      let ss = 0;
      for (const v of base) ss += (v - mean) ** 2;
      predictionStd = Math.sqrt(ss / base.length);
      value = predictionStd > 0 ? r.meanAbsoluteChange / predictionStd : r.meanAbsoluteChange === 0 ? 0 : Infinity;
    }
    const measure = classification ? 'share of rows whose class flips' : 'mean |Δ prediction| / std of predictions';
    return {
      passed: value <= gate.tolerance,
      summary: `${measure} ${fmt(value)} ${value <= gate.tolerance ? '≤' : '>'} ${fmt(gate.tolerance)} (noise ${gate.noise} × std, ${n} rows)`,
      details: {
        task: classification ? 'classification' : 'regression',
        measure,
        value: Number.isFinite(value) ? value : null,
        tolerance: gate.tolerance,
        rows: n,
        repeats: r.repeats,
        noise: Object.fromEntries(schema.features!.map((f, j) => [f.name, r.noise[j]!])),
        flipShare: r.flipShare,
        flipRate: r.flipRate,
        meanAbsoluteChange: r.meanAbsoluteChange,
        maxAbsoluteChange: r.maxAbsoluteChange,
        predictionStd,
      },
    };
  }

  private async latencyGate(gate: LatencyGate): Promise<GateOutcome> {
    const e = await this.evaluate(this.inputs.candidate);
    const schema = e.runtime.schema;
    const F = schema.features!.length;
    const n = Math.min(e.rows.length, gate.rows);
    const inputs = Array.from({ length: n }, (_, i) => tensorsOf(schema, e.x.subarray(i * F, (i + 1) * F), 1, e.dict));
    await e.runtime.run(inputs[0]!, 1); // warm
    const times = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await e.runtime.run(inputs[i]!, 1);
      times[i] = performance.now() - t0;
    }
    times.sort();
    const q = (p: number) => {
      const h = (n - 1) * p;
      const lo = Math.floor(h);
      return times[lo]! + (h - lo) * ((times[Math.min(lo + 1, n - 1)] ?? times[lo]!) - times[lo]!);
    };
    const stats = { rows: n, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: times[n - 1]!, mean: times.reduce((a, b) => a + b, 0) / n };
    return {
      passed: stats.p95 <= gate.p95Ms,
      summary: `p95 ${fmt(stats.p95)} ms ${stats.p95 <= gate.p95Ms ? '≤' : '>'} ${fmt(gate.p95Ms)} ms (p50 ${fmt(stats.p50)}, p99 ${fmt(stats.p99)}, ${n} single-row calls)`,
      details: { unit: 'ms', limitP95: gate.p95Ms, ...stats },
    };
  }

  private async fairnessGate(gate: FairnessGate): Promise<GateOutcome> {
    const e = await this.evaluate(this.inputs.candidate);
    if (!e.shape.probabilities) throw new Error(`fairness needs a classifier's probabilities; version ${e.version} predicts values`);
    const groupColumn = this.data.values[gate.sensitive];
    if (!groupColumn) throw new Error(`${this.inputs.source.label} has no column '${gate.sensitive}'`);
    const classes = e.shape.pick.length === 1 ? 2 : e.shape.pick.length;
    const labelled = this.inputs.target !== null;
    const needsLabels = gate.metric === 'equal_opportunity_difference' || gate.metric === 'equalized_odds_difference';
    if (needsLabels && !labelled) throw new Error(`${gate.metric} compares true positive rates: start the run with a target column`);
    const labels = labelled ? this.classLabels(classes) : null;
    let positive: number;
    if (gate.positiveLabel !== undefined) {
      const c = labels ? labels.classOf(gate.positiveLabel) : typeof gate.positiveLabel === 'number' && Number.isInteger(gate.positiveLabel) && gate.positiveLabel >= 0 && gate.positiveLabel < classes ? gate.positiveLabel : null;
      if (c === null) throw new Error(`positiveLabel ${JSON.stringify(gate.positiveLabel)} is not one of the ${classes} classes${labels?.names ? ` (${labels.names.join(', ')})` : ''}`);
      positive = c;
    } else positive = 1;
    const allowed = gate.groups ? new Set(gate.groups) : null;
    const yTrue: number[] = [];
    const yPred: number[] = [];
    const groups: GroupValue[] = [];
    const { width } = e.shape;
    for (let i = 0; i < e.rows.length; i++) {
      const r = e.rows[i]!;
      const raw = groupColumn[r];
      const g: GroupValue = raw === null || raw === undefined ? '(missing)' : typeof raw === 'number' ? raw : String(raw);
      if (allowed && !allowed.has(String(g))) continue;
      let y = 0;
      if (labels) {
        const c = labels.codes[r];
        if (c === null || c === undefined) continue;
        y = c === positive ? 1 : 0;
      }
      const p = width === 1 ? (positive === 1 ? e.out[i]! : 1 - e.out[i]!) : e.out[i * width + positive]!;
      yTrue.push(y);
      yPred.push(p >= gate.threshold ? 1 : 0);
      groups.push(g);
    }
    if (groups.length === 0) throw new Error(`no evaluated row is in ${allowed ? `the groups ${gate.groups!.join(', ')}` : 'any group'}${labels ? ' with a label' : ''}`);
    const report = fairnessReport(yTrue, yPred, groups);
    if (report.groups.length < 2) throw new Error(`only one group (${String(report.groups[0]!.group)}) of '${gate.sensitive}' is in the evaluated rows: nothing to compare`);
    const value = {
      demographic_parity_difference: report.demographicParityDifference,
      demographic_parity_ratio: report.demographicParityRatio,
      equal_opportunity_difference: report.equalOpportunityDifference,
      equalized_odds_difference: report.equalizedOddsDifference,
    }[gate.metric];
    const ratio = gate.metric === 'demographic_parity_ratio';
    const passed = value !== null && (ratio ? value >= gate.tolerance : value <= gate.tolerance);
    return {
      passed,
      summary: value === null ? `${gate.metric} is undefined on these rows` : `${gate.metric} ${fmt(value)} ${ratio ? (passed ? '≥' : '<') : passed ? '≤' : '>'} ${fmt(gate.tolerance)} over ${report.groups.length} groups of ${gate.sensitive}`,
      details: {
        metric: gate.metric,
        value,
        tolerance: gate.tolerance,
        sensitive: gate.sensitive,
        positiveClass: labels?.names ? labels.names[positive] : positive,
        threshold: gate.threshold,
        rows: groups.length,
        groups: report.groups.map((g) => ({ group: g.group, count: g.count, selectionRate: g.selectionRate, tpr: labelled ? g.truePositiveRate : null, fpr: labelled ? g.falsePositiveRate : null })),
        gap: {
          demographicParityDifference: report.demographicParityDifference,
          demographicParityRatio: report.demographicParityRatio,
          equalOpportunityDifference: labelled ? report.equalOpportunityDifference : null,
          equalizedOddsDifference: labelled ? report.equalizedOddsDifference : null,
        },
      },
    };
  }

  private async leakageGate(gate: LeakageGate): Promise<GateOutcome> {
    const sources = this.inputs.training.get(gate.name) ?? [];
    if (sources.length === 0) throw new Error('no training data to compare with');
    const schema = this.inputs.candidate.runtime.schema;
    const features = (schema.features ?? []).map((f) => f.name);
    const keys = gate.keys ?? [];
    // Compared: the model's features the evaluation data has; keys must be there.
    const missingKeys = keys.filter((k) => !this.table.has(k));
    if (missingKeys.length > 0) throw new Error(`${this.inputs.source.label} has no key column ${missingKeys.map((k) => `'${k}'`).join(', ')}`);
    let columns = features.filter((f) => this.table.has(f));
    const trainingParts: Frame[] = [];
    const trainingRows: number[] = [];
    for (const source of sources) {
      const table = await describeTable(this.engine, source, 'trainingDataset');
      const absentKeys = keys.filter((k) => !table.has(k));
      if (absentKeys.length > 0) throw new Error(`${source.label} has no key column ${absentKeys.map((k) => `'${k}'`).join(', ')}`);
      columns = columns.filter((c) => table.has(c));
      const kinds: ColumnSpec[] = [...new Set([...features.filter((f) => this.table.has(f) && table.has(f)), ...keys])].map((name) => ({ name, kind: NUMERIC_COLUMN.test(table.get(name) ?? '') ? 'numeric' : 'categorical' }));
      const read = await readColumns(this.engine, source, table, kinds);
      trainingParts.push(read.values as Frame);
      trainingRows.push(read.rows);
    }
    if (columns.length === 0 && keys.length === 0) throw new Error('the training and evaluation data share none of the model\'s features, and no keys were given');
    const all = [...new Set([...columns, ...keys])];
    const train: Frame = Object.fromEntries(all.map((c) => [c, trainingParts.flatMap((p) => Array.from(p[c] as ArrayLike<Cell>))]));
    const evaluation: Frame = Object.fromEntries(all.map((c) => [c, this.data.values[c] as Cell[]]));
    const report = detectLeakage(train, evaluation, { columns: columns.length > 0 ? columns : keys, keyColumns: keys });
    const dup = report.duplicates.share;
    const keyShare = report.keys?.share ?? 0;
    const passed = dup <= gate.maxOverlap && keyShare <= gate.maxOverlap;
    return {
      passed,
      summary: `${report.duplicates.count} of ${report.evaluationRows} rows duplicated in training (${fmt(dup)})${report.keys ? `, ${report.keys.count} shared keys (${fmt(keyShare)})` : ''}; max ${fmt(gate.maxOverlap)}`,
      details: {
        trainingDatasets: sources.map((s) => s.label),
        maxOverlap: gate.maxOverlap,
        evaluationRows: report.evaluationRows,
        trainingRows: report.trainingRows,
        columns: report.columns,
        duplicates: report.duplicates,
        keys: report.keys ?? null,
      },
    };
  }
}
