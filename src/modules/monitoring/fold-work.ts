/**
 * One step of the fold, without I/O other than reading the log: read the next chunk of a prediction log
 * after a cursor and fold it into window profiles. Runs in the fold worker thread (fold.worker.ts), so that
 * parsing the log, and the garbage it makes, stay off the serving thread; also callable in-process.
 */
import { readChunk, type LogCursor } from './log-tail.js';
import { WindowFolder, type FoldModel, type FoldedWindow, type WindowKind } from './window-folder.js';

export interface FoldWorkRequest {
  dir: string;
  cursor: LogCursor | undefined;
  maxBytes: number;
  /** Window kind per deployment ("project/name"); null: not a deployment (its records are skipped). */
  kinds: Record<string, WindowKind | null>;
  /** Columns and reference layout per model version ("project/model/version"); null: skip its records. */
  models: Record<string, FoldModel | null>;
  /** Where row windows stood (key: deployment, model, version and kind joined by NUL). */
  rowStarts: Record<string, { seq: number; rows: number }>;
}

export type FoldWorkResult =
  | { kind: 'done' }
  /** Records of deployments or model versions the request did not describe: look them up and ask again. */
  | { kind: 'needs'; deployments: string[]; models: string[] }
  | { kind: 'folded'; records: number; invalid: number; next: LogCursor; windows: FoldedWindow[] };

export async function foldWork(req: FoldWorkRequest): Promise<FoldWorkResult> {
  const chunk = await readChunk(req.dir, req.cursor, req.maxBytes);
  if (!chunk) return { kind: 'done' };
  const deployments = new Set<string>();
  const models = new Set<string>();
  for (const r of chunk.records) {
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
  for (const r of chunk.records) folder.add(r);
  return { kind: 'folded', records: chunk.records.length, invalid: chunk.invalid, next: chunk.next, windows: folder.drain() };
}
