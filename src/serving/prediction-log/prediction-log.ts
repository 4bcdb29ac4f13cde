import { close, fsync, ftruncateSync, mkdirSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { listSegments, SEGMENT_FORMAT_VERSION, segmentName, type SegmentFile } from './segment-files.js';

const fsyncFd = promisify(fsync);
const closeFd = promisify(close);

/** One prediction: one row of one request, as served by one model version. */
export interface PredictionRecord {
  /** Unique id of the prediction; labels that arrive later refer to it. */
  id: string;
  /** Epoch milliseconds at which the request was received. */
  time: number;
  deployment: string;
  project: string;
  /** Revision of the deployment (its route table) that served the request. */
  revision: number;
  model: string;
  version: number;
  /** True when a shadow version made this prediction; its output was not returned to the client. */
  shadow?: boolean;
  latencyMicros: number;
  /** One row: feature → value, null for a missing value. */
  inputs: Record<string, unknown>;
  /** The prediction for that row. */
  outputs: unknown;
  /** 'rejected': refused by validation (no prediction); 'error': the model failed or timed out. */
  status?: 'ok' | 'error' | 'rejected';
  error?: string;
}

export interface RetentionPolicy {
  /** Closed segments whose newest record is older than this are deleted. */
  maxAgeMs?: number;
  /** While all segments together hold more bytes than this, the oldest closed segment is deleted. */
  maxTotalBytes?: number;
}

export interface PredictionLogOptions {
  dir: string;
  /** A segment is closed and the next one opened before an append would take it past this size. */
  segmentBytes?: number;
  retention?: RetentionPolicy;
  /** Epoch ms; names segments and ages them for retention. */
  now?: () => number;
  /**
   * Failures of work done off the request path: fsync and close of a rotated segment, retention run by a
   * rotation. The log keeps going after them. Failures of `append` itself are thrown to its caller.
   */
  onError?: (err: unknown) => void;
}

export interface PredictionLogStats {
  dir: string;
  /** Segment files in the directory, the current one included (as far as this writer knows). */
  segments: number;
  /** Bytes in those segments. */
  bytes: number;
  currentSegment: string;
  /** Records and bytes appended since this writer was opened. */
  recordsAppended: number;
  bytesAppended: number;
  /** Segments deleted by retention since this writer was opened. */
  segmentsDeleted: number;
  /** Failures reported to onError since this writer was opened. */
  backgroundErrors: number;
}

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

interface ClosedSegment {
  file: SegmentFile;
  bytes: number;
}

/** The segment being written. Background work on its descriptor (fsync, then close) runs in order. */
class CurrentSegment {
  bytes = 0;
  /** A failed write could not be undone: the next append goes to a new segment. */
  broken = false;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly file: SegmentFile,
    readonly fd: number,
  ) {}

  /** Runs `op` after the operations queued before it; the returned promise never rejects the chain. */
  queue(op: (fd: number) => Promise<void>): Promise<void> {
    const run = this.chain.then(() => op(this.fd));
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/**
 * The prediction log of a serving process: an append-only folder of NDJSON segment files.
 *
 * `append` writes the encoded records with one write(2) to the current segment, synchronously, so when it
 * returns the bytes belong to the operating system: a SIGKILL of the process right after loses nothing (a
 * power loss can lose what is not yet fsynced: call `flushToDisk` on a timer for that). No fsync on the
 * request path; rotated segments are fsynced and closed in the background.
 *
 * One writer per directory: a second writer on the same directory would have its current segment counted
 * by the other's retention.
 */
export class PredictionLog {
  private current: CurrentSegment;
  private readonly closedSegments: ClosedSegment[];
  private closedBytes: number;
  private nextSequence: number;
  /** Closed-but-not-yet-released segments: their fsync and close are running. */
  private readonly retiring = new Set<Promise<void>>();
  private directoryDirty = true;
  private closing: Promise<void> | undefined;
  /** Set when close() removed an empty current segment. */
  private currentRemoved = false;
  private recordsAppended = 0;
  private bytesAppended = 0;
  private segmentsDeleted = 0;
  private backgroundErrors = 0;

  private constructor(
    readonly dir: string,
    private readonly segmentBytes: number,
    private readonly retention: RetentionPolicy,
    private readonly now: () => number,
    private readonly onError: (err: unknown) => void,
    existing: ClosedSegment[],
  ) {
    this.closedSegments = existing;
    this.closedBytes = existing.reduce((sum, s) => sum + s.bytes, 0);
    this.nextSequence = (existing.at(-1)?.file.sequence ?? 0) + 1;
    this.current = this.openSegment();
  }

  /**
   * Opens the log in `dir` (created if missing). Segments left by an earlier process, closed cleanly or
   * killed, are kept as they are and never written again: this writer starts a new segment after them.
   */
  static open(options: PredictionLogOptions): PredictionLog {
    const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!Number.isSafeInteger(segmentBytes) || segmentBytes <= 0) {
      throw new RangeError(`segmentBytes must be a positive integer, got ${segmentBytes}`);
    }
    const retention = { ...options.retention };
    for (const key of ['maxAgeMs', 'maxTotalBytes'] as const) {
      const v = retention[key];
      if (v !== undefined && !(Number.isFinite(v) && v >= 0)) {
        throw new RangeError(`retention.${key} must be a number >= 0, got ${v}`);
      }
    }
    mkdirSync(options.dir, { recursive: true });
    const existing: ClosedSegment[] = [];
    for (const file of listSegments(options.dir)) {
      const bytes = sizeOf(file.path);
      if (bytes !== undefined) existing.push({ file, bytes });
    }
    const log = new PredictionLog(
      options.dir,
      segmentBytes,
      retention,
      options.now ?? Date.now,
      options.onError ?? (() => undefined),
      existing,
    );
    log.enforceRetention();
    return log;
  }

  /**
   * Appends records with a single write to the current segment. Synchronous: when it returns, the records
   * are in the operating system's page cache. Throws if the records cannot be encoded (nothing is written
   * then) or the write fails (a partly written batch is cut off again, so no torn line is left behind).
   */
  append(records: readonly PredictionRecord[]): void {
    if (this.closing) throw new Error('the prediction log is closed');
    if (records.length === 0) return;
    let text = '';
    for (const r of records) text += encodeRecord(r) + '\n';
    const bytes = Buffer.from(text, 'utf8');

    let segment = this.current;
    const rotate = segment.broken || (segment.bytes > 0 && segment.bytes + bytes.length > this.segmentBytes);
    if (rotate) segment = this.rotate();
    let written = 0;
    try {
      while (written < bytes.length) written += writeSync(segment.fd, bytes, written, bytes.length - written);
    } catch (err) {
      if (written > 0) {
        try {
          ftruncateSync(segment.fd, segment.bytes);
        } catch {
          segment.broken = true;
          segment.bytes += written;
        }
      }
      throw err;
    }
    segment.bytes += bytes.length;
    this.recordsAppended += records.length;
    this.bytesAppended += bytes.length;
    // After the write, so that the new segment's first bytes count against maxTotalBytes.
    if (rotate) this.enforceRetentionQuietly();
  }

  /**
   * Deletes closed segments, oldest first, while the oldest one's newest record is older than
   * `retention.maxAgeMs` or all segments together hold more than `retention.maxTotalBytes`. The current
   * segment is never deleted. Runs on every rotation; call it from a timer too for age-based retention of a
   * quiet log. Returns the names of the deleted files.
   */
  enforceRetention(): string[] {
    const { maxAgeMs, maxTotalBytes } = this.retention;
    if (maxAgeMs === undefined && maxTotalBytes === undefined) return [];
    const now = this.now();
    const deleted: string[] = [];
    for (;;) {
      const oldest = this.closedSegments[0];
      if (!oldest) break;
      // The next segment was opened after the last write to this one.
      const endedAt = (this.closedSegments[1] ?? this.current).file.startTime;
      const tooOld = maxAgeMs !== undefined && now - endedAt > maxAgeMs;
      const tooBig = maxTotalBytes !== undefined && this.closedBytes + this.current.bytes > maxTotalBytes;
      if (!tooOld && !tooBig) break;
      try {
        unlinkSync(oldest.file.path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      this.closedSegments.shift();
      this.closedBytes -= oldest.bytes;
      this.segmentsDeleted++;
      deleted.push(oldest.file.name);
    }
    return deleted;
  }

  /** fsyncs everything appended so far (and the directory entries of new segments). */
  async flushToDisk(): Promise<void> {
    if (this.closing) return this.closing;
    await Promise.all([this.current.queue((fd) => fsyncFd(fd)), ...this.retiring]);
    await this.syncDirectory();
  }

  /** fsyncs and closes the log; later appends throw. An empty current segment is removed. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  stats(): PredictionLogStats {
    return {
      dir: this.dir,
      segments: this.closedSegments.length + (this.currentRemoved ? 0 : 1),
      bytes: this.closedBytes + this.current.bytes,
      currentSegment: this.current.file.name,
      recordsAppended: this.recordsAppended,
      bytesAppended: this.bytesAppended,
      segmentsDeleted: this.segmentsDeleted,
      backgroundErrors: this.backgroundErrors,
    };
  }

  private async shutDown(): Promise<void> {
    const segment = this.current;
    await segment.queue(async (fd) => {
      try {
        await fsyncFd(fd);
      } finally {
        await closeFd(fd);
      }
    });
    if (segment.bytes === 0) {
      try {
        unlinkSync(segment.file.path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      this.currentRemoved = true;
    }
    await Promise.all(this.retiring);
    await this.syncDirectory();
  }

  /** Opens the next segment; its sequence is past every existing one and the file must not exist yet. */
  private openSegment(): CurrentSegment {
    for (let attempt = 0; ; attempt++) {
      const sequence = this.nextSequence++;
      const startTime = Math.max(0, Math.trunc(this.now()));
      const name = segmentName(sequence, startTime);
      const path = join(this.dir, name);
      try {
        const fd = openSync(path, 'ax', 0o640);
        this.directoryDirty = true;
        return new CurrentSegment({ name, path, sequence, startTime, formatVersion: SEGMENT_FORMAT_VERSION }, fd);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 100) throw err;
      }
    }
  }

  private rotate(): CurrentSegment {
    const old = this.current;
    const next = this.openSegment();
    this.current = next;
    this.closedSegments.push({ file: old.file, bytes: old.bytes });
    this.closedBytes += old.bytes;
    const done = old
      .queue(async (fd) => {
        try {
          await fsyncFd(fd);
        } finally {
          await closeFd(fd);
        }
      })
      .catch((err: unknown) => this.report(err))
      .finally(() => this.retiring.delete(done));
    this.retiring.add(done);
    return next;
  }

  private enforceRetentionQuietly(): void {
    try {
      this.enforceRetention();
    } catch (err) {
      this.report(err);
    }
  }

  private report(err: unknown): void {
    this.backgroundErrors++;
    try {
      this.onError(err);
    } catch {
      // An error handler that throws must not take the request path down with it.
    }
  }

  /** fsyncs the directory so that new segment files survive a power loss too. */
  private async syncDirectory(): Promise<void> {
    if (!this.directoryDirty) return;
    this.directoryDirty = false;
    try {
      const handle = await openFile(this.dir, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch {
      // Some platforms cannot fsync a directory; the file data itself is already synced.
    }
  }
}

/**
 * One JSON line. Fields are written in a fixed order, identity and time first, inputs and outputs last,
 * and only the fields of PredictionRecord. A typed array as the output is written as a JSON array.
 */
export function encodeRecord(r: PredictionRecord): string {
  const outputs =
    ArrayBuffer.isView(r.outputs) && !(r.outputs instanceof DataView)
      ? Array.from(r.outputs as unknown as ArrayLike<unknown>)
      : r.outputs;
  return JSON.stringify({
    id: r.id,
    time: r.time,
    deployment: r.deployment,
    project: r.project,
    revision: r.revision,
    model: r.model,
    version: r.version,
    shadow: r.shadow,
    status: r.status,
    error: r.error,
    latencyMicros: r.latencyMicros,
    inputs: r.inputs,
    outputs,
  });
}

function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

