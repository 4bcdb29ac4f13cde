/**
 * One step of the fold, without I/O other than reading the log: parse a range of a prediction log segment
 * and fold it into window profiles. Runs in fold worker threads (fold.worker.ts), so that parsing the log,
 * and the garbage it makes, stay off the serving thread and use the other cores; also callable in-process.
 */
import { mergeProfiles } from '../../ml/monitoring/profile.js';
import { readRange, type LogRange } from './log-tail.js';
import { WINDOW_SAMPLE_ROWS, WindowFolder, type FoldModel, type FoldedWindow, type WindowKind } from './window-folder.js';

export interface FoldContext {
  /** Window kind per deployment ("project/name"); null: not a deployment (its records are skipped). */
  kinds: Record<string, WindowKind | null>;
  /** Columns and reference layout per model version ("project/model/version"); null: skip its records. */
  models: Record<string, FoldModel | null>;
  /** Where row windows stood (key: deployment, model, version and kind joined by NUL). */
  rowStarts: Record<string, { seq: number; rows: number }>;
}

export interface FoldWorkRequest extends FoldContext {
  range: LogRange;
}

export type FoldWorkResult =
  /** Records of deployments or model versions the request did not describe: look them up and ask again. */
  | { kind: 'needs'; deployments: string[]; models: string[] }
  | { kind: 'folded'; records: number; invalid: number; windows: FoldedWindow[] };

export async function foldWork(req: FoldWorkRequest): Promise<FoldWorkResult> {
  const { records, invalid } = await readRange(req.range);
  const deployments = new Set<string>();
  const models = new Set<string>();
  for (const r of records) {
    if (r.shadow) continue;
    const dk = `${r.project}/${r.deployment}`;
    if (!(dk in req.kinds)) deployments.add(dk);
    else if (req.kinds[dk] === null) continue;
    const mk = `${r.project}/${r.model}/${r.version}`;
    if (!(mk in req.models)) models.add(mk);
  }
  if (deployments.size > 0 || models.size > 0) return { kind: 'needs', deployments: [...deployments], models: [...models] };
  const folder = new WindowFolder({
    kindOf: (dk) => req.kinds[dk] ?? undefined,
    modelOf: (project, model, version) => req.models[`${project}/${model}/${version}`] ?? undefined,
    rowWindowStart: (key) => req.rowStarts[key],
  });
  for (const r of records) folder.add(r);
  return { kind: 'folded', records: records.length, invalid, windows: folder.drain() };
}

/** The windows of consecutive ranges folded apart, merged per window (same deployment, version, kind, number). */
export function mergeFolded(parts: FoldedWindow[][]): FoldedWindow[] {
  const byKey = new Map<string, FoldedWindow>();
  for (const windows of parts) {
    for (const w of windows) {
      const key = `${w.deploymentKey}\u0000${w.model}\u0000${w.version}\u0000${w.kind}\u0000${w.seq}`;
      const seen = byKey.get(key);
      if (!seen) {
        byKey.set(key, w);
        continue;
      }
      byKey.set(key, {
        ...seen,
        start: Math.min(seen.start, w.start),
        end: Math.max(seen.end, w.end),
        rowsSoFar: Math.max(seen.rowsSoFar, w.rowsSoFar),
        profile: mergeProfiles(seen.profile, w.profile, WINDOW_SAMPLE_ROWS),
      });
    }
  }
  return [...byKey.values()];
}
