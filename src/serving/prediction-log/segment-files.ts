import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Segment files of the prediction log. Every line of a segment is one JSON record (NDJSON), with no header
 * line, so any NDJSON reader (DuckDB's read_json, jq) can read a folder of segments as is. The format version
 * is in the file name instead:
 *
 *   segment-<sequence, 10+ digits>-<start time, epoch ms>.v<format>.ndjson
 *
 * The sequence orders the segments; the start time is when the writer opened the segment, so the next
 * segment's start time bounds the time of the last write to this one (used by retention).
 */
export const SEGMENT_FORMAT_VERSION = 1;

const SEGMENT_NAME = /^segment-(\d{10,})-(\d{1,16})\.v(\d+)\.ndjson$/;

export interface SegmentFile {
  /** File name inside the log directory. */
  name: string;
  path: string;
  sequence: number;
  /** Epoch ms at which the writer opened the segment. */
  startTime: number;
  formatVersion: number;
}

export function segmentName(sequence: number, startTime: number): string {
  const ms = Math.max(0, Math.trunc(startTime));
  const seq = String(sequence).padStart(10, '0');
  return `segment-${seq}-${String(ms).padStart(13, '0')}.v${SEGMENT_FORMAT_VERSION}.ndjson`;
}

export function parseSegmentName(name: string): Omit<SegmentFile, 'path'> | undefined {
  const m = SEGMENT_NAME.exec(name);
  if (!m) return undefined;
  return { name, sequence: Number(m[1]), startTime: Number(m[2]), formatVersion: Number(m[3]) };
}

/**
 * The segment files of a log directory in write order (by sequence). Other files are ignored. A directory
 * that does not exist has no segments.
 */
export function listSegments(dir: string): SegmentFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const segments: SegmentFile[] = [];
  for (const name of names) {
    const parsed = parseSegmentName(name);
    if (parsed) segments.push({ ...parsed, path: join(dir, name) });
  }
  return segments.sort((a, b) => a.sequence - b.sequence);
}
