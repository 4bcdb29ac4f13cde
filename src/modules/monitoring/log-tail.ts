/**
 * Reads a prediction log folder from a cursor (segment name + byte offset) onwards, in line-aligned ranges,
 * so that folding resumes exactly where the last committed pass stopped. Only whole lines are consumed: a
 * line still being written stays for the next pass. Also finds logged predictions by id, for labels.
 */
import { open } from 'node:fs/promises';
import type { PredictionRecord } from '../../serving/prediction-log/prediction-log.js';
import { listSegments, parseSegmentName, type SegmentFile } from '../../serving/prediction-log/segment-files.js';

export interface LogCursor {
  segment: string;
  offset: number;
}

const NEWLINE = 0x0a;

/** Records in a buffer of whole NDJSON lines; lines that are not records are counted, not returned. */
export function parseLines(data: Buffer): { records: PredictionRecord[]; invalid: number } {
  const records: PredictionRecord[] = [];
  let invalid = 0;
  let start = 0;
  for (let nl = data.indexOf(NEWLINE, start); nl !== -1; nl = data.indexOf(NEWLINE, start)) {
    if (nl > start) {
      try {
        const r = JSON.parse(data.toString('utf8', start, nl)) as PredictionRecord;
        if (r && typeof r.id === 'string' && typeof r.time === 'number' && typeof r.deployment === 'string') records.push(r);
        else invalid++;
      } catch {
        invalid++;
      }
    }
    start = nl + 1;
  }
  return { records, invalid };
}

/** A byte range of one segment holding whole lines. */
export interface LogRange {
  segment: string;
  path: string;
  start: number;
  end: number;
}

/**
 * Up to `count` consecutive ranges of about `maxBytes` each after the cursor, each ending at a line end, all
 * in the first segment that has new lines (so that they can be parsed in parallel and committed together).
 */
export async function planRanges(dir: string, cursor: LogCursor | undefined, maxBytes: number, count: number): Promise<LogRange[]> {
  const at = cursor ? parseSegmentName(cursor.segment)?.sequence ?? -1 : -1;
  for (const seg of listSegments(dir)) {
    if (seg.sequence < at) continue;
    let start = cursor && seg.sequence === at ? cursor.offset : 0;
    const ranges: LogRange[] = [];
    while (ranges.length < count) {
      const end = await lineEnd(seg, start, maxBytes);
      if (end === undefined) break;
      ranges.push({ segment: seg.name, path: seg.path, start, end });
      start = end;
    }
    if (ranges.length > 0) return ranges;
  }
  return [];
}

/** The offset after the last whole line in [start, start + maxBytes) of a segment (more for a longer line). */
async function lineEnd(seg: SegmentFile, start: number, maxBytes: number): Promise<number | undefined> {
  let handle;
  try {
    handle = await open(seg.path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const size = (await handle.stat()).size;
    if (size <= start) return undefined;
    for (let length = Math.min(size - start, maxBytes); ; length = Math.min(size - start, length * 2)) {
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buf, 0, length, start);
      const nl = buf.subarray(0, bytesRead).lastIndexOf(NEWLINE);
      if (nl >= 0) return start + nl + 1;
      if (bytesRead >= size - start) return undefined; // an incomplete last line: wait for it
    }
  } finally {
    await handle.close();
  }
}

/** The records of a range (read whole). */
export async function readRange(range: LogRange): Promise<{ records: PredictionRecord[]; invalid: number }> {
  let handle;
  try {
    handle = await open(range.path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], invalid: 0 }; // deleted by retention
    throw err;
  }
  try {
    const buf = Buffer.allocUnsafe(range.end - range.start);
    const { bytesRead } = await handle.read(buf, 0, buf.length, range.start);
    return parseLines(buf.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/** Epoch ms in a UUIDv7 id (its first 48 bits); NaN when the text is not such an id. */
export function idTime(id: string): number {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(id)) return NaN;
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

export interface FoundPrediction {
  time: number;
  deployment: string;
  project: string;
  model: string;
  version: number;
  outputs: unknown;
  /** The request's inputs, when asked for. */
  inputs?: Record<string, unknown>;
}

/**
 * Finds the primary (non-shadow, successful) records of these ids, reading only the segments whose time span
 * can hold them (ids carry their time). Lines are matched on the id before they are parsed.
 */
export async function findPredictions(dir: string, ids: Set<string>, times: { min: number; max: number }, options: { inputs?: boolean } = {}): Promise<Map<string, FoundPrediction>> {
  const found = new Map<string, FoundPrediction>();
  const segments = listSegments(dir);
  for (let i = 0; i < segments.length && found.size < ids.size; i++) {
    const seg = segments[i]!;
    const next = segments[i + 1];
    // A segment holds records from its start time until the next one opened (ids are made at receipt).
    if (seg.startTime > times.max + 1000) break;
    if (next && next.startTime < times.min - 1000) continue;
    let text: Buffer;
    let handle;
    try {
      handle = await open(seg.path, 'r');
    } catch {
      continue;
    }
    try {
      text = await handle.readFile();
    } finally {
      await handle.close();
    }
    let start = 0;
    for (let nl = text.indexOf(NEWLINE, start); nl !== -1; nl = text.indexOf(NEWLINE, start)) {
      // Records are written with the id first: {"id":"<36 chars>",…
      if (text[start + 7] !== undefined) {
        const id = text.toString('latin1', start + 7, start + 43);
        if (ids.has(id) && !found.has(id)) {
          try {
            const r = JSON.parse(text.toString('utf8', start, nl)) as PredictionRecord;
            if (!r.shadow && (r.status === undefined || r.status === 'ok')) {
              found.set(id, { time: r.time, deployment: r.deployment, project: r.project, model: r.model, version: r.version, outputs: r.outputs, ...(options.inputs ? { inputs: r.inputs } : {}) });
            }
          } catch {
            /* a damaged line: the id stays unknown */
          }
        }
      }
      start = nl + 1;
    }
  }
  return found;
}
