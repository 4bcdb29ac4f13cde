import { open, type FileHandle } from 'node:fs/promises';
import type { PredictionRecord } from './prediction-log.js';
import { listSegments, SEGMENT_FORMAT_VERSION, type SegmentFile } from './segment-files.js';

export interface SkippedLine {
  segment: string;
  /** 1-based line number in the segment. */
  line: number;
  reason: 'torn' | 'invalid-json' | 'not-a-record';
}

export interface ReadPredictionsOptions {
  /** Only records with `time >= from` (epoch ms). */
  from?: number;
  /** Only records with `time < to` (epoch ms). */
  to?: number;
  deployment?: string;
  /**
   * Told about every line that is not returned for being unreadable. A torn last line (a write cut short by
   * a crash, or still being written) is expected; other reasons point at damage.
   */
  onSkippedLine?: (skipped: SkippedLine) => void;
}

const CHUNK_BYTES = 1 << 20;
const NEWLINE = 0x0a;

/**
 * Streams the records of a prediction log directory in write order: segment by segment, line by line.
 * Reads each segment up to its end at the time it is reached, so a live log can be read while written; a
 * last line without its newline is skipped (torn by a crash, or not yet complete). Segments deleted by
 * retention while the scan runs are passed over.
 */
export async function* readPredictions(
  dir: string,
  options: ReadPredictionsOptions = {},
): AsyncGenerator<PredictionRecord, void, undefined> {
  const { from, to, deployment } = options;
  // The deployment name as it appears in an encoded record: a cheap test before parsing a line.
  const deploymentText = deployment === undefined ? undefined : `"deployment":${JSON.stringify(deployment)}`;
  for await (const { line, segment, lineNumber } of segmentLines(dir, options.onSkippedLine)) {
    if (deploymentText !== undefined && !line.includes(deploymentText)) continue;
    const record = parseRecord(line);
    if (typeof record === 'string') {
      options.onSkippedLine?.({ segment, line: lineNumber, reason: record });
      continue;
    }
    if (from !== undefined && !(record.time >= from)) continue;
    if (to !== undefined && !(record.time < to)) continue;
    if (deployment !== undefined && record.deployment !== deployment) continue;
    yield record;
  }
}

/** The record with this id, by a linear scan of the whole log; undefined if there is none. */
export async function findPrediction(dir: string, id: string): Promise<PredictionRecord | undefined> {
  const idText = `"id":${JSON.stringify(id)}`;
  for await (const { line } of segmentLines(dir)) {
    if (!line.includes(idText)) continue;
    const record = parseRecord(line);
    if (typeof record !== 'string' && record.id === id) return record;
  }
  return undefined;
}

function parseRecord(line: string): PredictionRecord | 'invalid-json' | 'not-a-record' {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'invalid-json';
  }
  if (typeof value !== 'object' || value === null) return 'not-a-record';
  const r = value as Partial<PredictionRecord>;
  if (typeof r.id !== 'string' || typeof r.time !== 'number' || typeof r.deployment !== 'string') return 'not-a-record';
  return value as PredictionRecord;
}

interface SegmentLine {
  line: string;
  segment: string;
  lineNumber: number;
}

async function* segmentLines(
  dir: string,
  onSkippedLine?: (skipped: SkippedLine) => void,
): AsyncGenerator<SegmentLine, void, undefined> {
  for (const segment of listSegments(dir)) {
    if (segment.formatVersion !== SEGMENT_FORMAT_VERSION) {
      throw new Error(
        `prediction log segment ${segment.name} has format version ${segment.formatVersion}; ` +
          `this reader reads version ${SEGMENT_FORMAT_VERSION}`,
      );
    }
    yield* linesOf(segment, onSkippedLine);
  }
}

async function* linesOf(
  segment: SegmentFile,
  onSkippedLine?: (skipped: SkippedLine) => void,
): AsyncGenerator<SegmentLine, void, undefined> {
  let handle: FileHandle;
  try {
    handle = await open(segment.path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // deleted by retention meanwhile
    throw err;
  }
  try {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let carry: Buffer | undefined;
    let lineNumber = 0;
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      const data = carry ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      // Lines are decoded before anything is yielded, so the chunk can be reused for the next read.
      const lines: string[] = [];
      let start = 0;
      for (let nl = data.indexOf(NEWLINE, start); nl !== -1; nl = data.indexOf(NEWLINE, start)) {
        lines.push(data.toString('utf8', start, nl));
        start = nl + 1;
      }
      carry = start < data.length ? Buffer.from(data.subarray(start)) : undefined;
      for (const line of lines) {
        lineNumber++;
        if (line.length > 0) yield { line, segment: segment.name, lineNumber };
      }
    }
    if (carry) onSkippedLine?.({ segment: segment.name, line: lineNumber + 1, reason: 'torn' });
  } finally {
    await handle.close();
  }
}
