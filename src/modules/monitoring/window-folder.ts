/**
 * Folds prediction-log records into per-window profiles in memory: one profile per (deployment, model,
 * version, window kind, window number). The monitoring service merges what one pass folded into the stored
 * windows. No I/O here.
 */
import { PREDICTION_COLUMN, ProfileBuilder, type BinLayout, type ColumnSpec, type Profile } from '../../ml/monitoring/profile.js';
import type { PredictionRecord } from '../../serving/prediction-log/prediction-log.js';

export type TimeWindow = 'minute' | 'hour' | 'day';
/** A time window, or `rows:N` for blocks of N predictions. */
export type WindowKind = TimeWindow | `rows:${number}`;

export const WINDOW_MS: Record<TimeWindow, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
/** Rows kept in each window's sample. */
export const WINDOW_SAMPLE_ROWS = 2000;

export function isWindowKind(s: string): s is WindowKind {
  if (s === 'minute' || s === 'hour' || s === 'day') return true;
  const m = /^rows:(\d+)$/.exec(s);
  return m !== null && Number(m[1]) >= 10 && Number(m[1]) <= 10_000_000;
}

/** What the folder needs to know about a served model version. */
export interface FoldModel {
  /** Feature columns, then the prediction column. */
  columns: ColumnSpec[];
  /** The layout of its reference when it has one at fold time. */
  layout: BinLayout | null;
}

export interface FoldedWindow {
  deploymentKey: string;
  project: string;
  deployment: string;
  model: string;
  version: number;
  kind: WindowKind;
  seq: number;
  start: number;
  end: number;
  /** Predictions in the window after this pass, for row windows (closed when it reaches N). */
  rowsSoFar: number;
  profile: Profile;
}

interface OpenWindow {
  meta: Omit<FoldedWindow, 'profile' | 'rowsSoFar'>;
  builder: ProfileBuilder;
  feature: string[];
  rowsBefore: number;
  /** Ids of the first and last prediction folded in. */
  firstId: string | null;
  lastId: string | null;
  /** Rows buffered column by column, handed to the builder BUFFER_ROWS at a time. */
  numeric: boolean[];
  buffers: (Float64Array | unknown[])[];
  typeErrors: Int32Array;
  buffered: number;
}

const BUFFER_ROWS = 2048;

function flush(w: OpenWindow): void {
  if (w.buffered === 0) return;
  const n = w.buffered;
  w.builder.addColumns(w.buffers.map((b) => (b instanceof Float64Array ? b.subarray(0, n) : b.length === n ? b : b.slice(0, n))), n);
  for (let i = 0; i < w.typeErrors.length; i++) {
    if (w.typeErrors[i]! > 0) w.builder.typeErrors(i, w.typeErrors[i]!);
  }
  w.typeErrors.fill(0);
  w.buffers = w.buffers.map((b) => (b instanceof Float64Array ? b : []));
  w.buffered = 0;
}

/** The value of a logged prediction as the prediction column holds it: arrays of scores give the top class. */
export function predictionValue(outputs: unknown): unknown {
  if (Array.isArray(outputs)) {
    let best = -1;
    let bestValue = -Infinity;
    outputs.forEach((v, i) => {
      if (typeof v === 'number' && v > bestValue) {
        bestValue = v;
        best = i;
      }
    });
    return best < 0 ? null : best;
  }
  return outputs;
}

export class WindowFolder {
  private readonly open = new Map<string, OpenWindow>();
  /** Row windows: the window number and its rows before this pass, per deployment/model/version/kind. */
  private readonly rowState = new Map<string, { seq: number; rows: number }>();
  records = 0;
  skipped = 0;
  /** The window the previous record went to (time windows only: row windows count every record). */
  private last: { project: string; deployment: string; model: string; version: number; timeKind: boolean; window: OpenWindow } | null = null;

  constructor(
    private readonly deps: {
      /** The window kind of a deployment (by "project/name"); undefined = do not fold its records. */
      kindOf: (deploymentKey: string) => WindowKind | undefined;
      /** The model version's columns; undefined = unknown version, skip its records. */
      modelOf: (project: string, model: string, version: number) => FoldModel | undefined;
      /** Where the row windows stood before this pass. */
      rowWindowStart?: (key: string) => { seq: number; rows: number } | undefined;
      sampleRows?: number;
    },
  ) {}

  add(record: PredictionRecord): void {
    this.records++;
    if (record.shadow) return; // shadows are compared in their own reports later; not folded here
    const failed = record.status === 'error' || record.status === 'rejected';
    // Consecutive records mostly belong to the same time window of the same version: reuse it.
    const last = this.last;
    let w: OpenWindow;
    if (
      last !== null && !failed && last.timeKind && record.project === last.project && record.deployment === last.deployment &&
      record.model === last.model && record.version === last.version && record.time >= last.window.meta.start && record.time < last.window.meta.end
    ) {
      w = last.window;
    } else {
      const deploymentKey = `${record.project}/${record.deployment}`;
      const kind = this.deps.kindOf(deploymentKey);
      const model = kind && this.deps.modelOf(record.project, record.model, record.version);
      if (!kind || !model) {
        this.skipped++;
        return;
      }
      w = this.windowFor(deploymentKey, record, kind, model, failed);
      this.last = { project: record.project, deployment: record.deployment, model: record.model, version: record.version, timeKind: !kind.startsWith('rows:'), window: w };
    }
    if (failed) {
      w.builder.failure(record.status === 'rejected');
      return;
    }
    if (w.firstId === null || record.id < w.firstId) w.firstId = record.id;
    if (w.lastId === null || record.id > w.lastId) w.lastId = record.id;
    const inputs = record.inputs ?? {};
    const features = w.feature;
    const n = features.length;
    const r = w.buffered++;
    for (let i = 0; i <= n; i++) {
      const raw = i < n ? inputs[features[i]!] : predictionValue(record.outputs);
      const buf = w.buffers[i]!;
      if (w.numeric[i]) {
        let x: number;
        if (typeof raw === 'number') x = raw;
        else if (raw === null || raw === undefined) x = NaN;
        else if (typeof raw === 'boolean') x = raw ? 1 : 0;
        else {
          x = NaN;
          w.typeErrors[i]!++;
        }
        (buf as Float64Array)[r] = x;
      } else (buf as unknown[])[r] = raw;
    }
    w.builder.latency(record.latencyMicros);
    if (w.buffered === BUFFER_ROWS) flush(w);
  }

  private windowFor(deploymentKey: string, r: PredictionRecord, kind: WindowKind, model: FoldModel, failed: boolean): OpenWindow {
    let seq: number;
    let start: number;
    let end: number;
    let rowsBefore = 0;
    const base = `${deploymentKey}\u0000${r.model}\u0000${r.version}\u0000${kind}`;
    if (kind === 'minute' || kind === 'hour' || kind === 'day') {
      const size = WINDOW_MS[kind];
      seq = Math.floor(r.time / size);
      start = seq * size;
      end = start + size;
    } else {
      const size = Number(kind.slice(5));
      let state = this.rowState.get(base);
      if (!state) {
        state = this.deps.rowWindowStart?.(base) ?? { seq: 0, rows: 0 };
        state = { ...state };
        this.rowState.set(base, state);
      }
      if (!failed && state.rows >= size) {
        state.seq++;
        state.rows = 0;
      }
      if (!failed) state.rows++;
      seq = state.seq;
      rowsBefore = state.rows - (failed ? 0 : 1);
      start = r.time;
      end = r.time;
    }
    const key = `${base}\u0000${seq}`;
    let w = this.open.get(key);
    if (!w) {
      const columns = model.columns;
      w = {
        meta: { deploymentKey, project: r.project, deployment: r.deployment, model: r.model, version: r.version, kind, seq, start, end },
        builder: new ProfileBuilder(columns, { layout: model.layout, sampleSize: this.deps.sampleRows ?? WINDOW_SAMPLE_ROWS, seed: (seq % 2147483647) + 1 }),
        feature: columns.filter((c) => c.name !== PREDICTION_COLUMN).map((c) => c.name),
        rowsBefore,
        numeric: columns.map((c) => c.kind === 'numeric'),
        buffers: columns.map((c) => (c.kind === 'numeric' ? new Float64Array(BUFFER_ROWS) : [])),
        typeErrors: new Int32Array(columns.length),
        buffered: 0,
        firstId: null,
        lastId: null,
      };
      this.open.set(key, w);
    } else if (kind.startsWith('rows:')) {
      if (r.time < w.meta.start) w.meta.start = r.time;
      if (r.time > w.meta.end) w.meta.end = r.time;
    }
    return w;
  }

  /** The windows folded since the last drain, and a fresh start. */
  drain(): FoldedWindow[] {
    const out: FoldedWindow[] = [];
    for (const w of this.open.values()) {
      flush(w);
      const profile = w.builder.build();
      if (w.firstId !== null && w.lastId !== null) profile.stats.ids = { first: w.firstId, last: w.lastId };
      out.push({ ...w.meta, rowsSoFar: w.rowsBefore + profile.stats.rows, profile });
    }
    this.open.clear();
    this.rowState.clear();
    this.last = null;
    return out;
  }
}
