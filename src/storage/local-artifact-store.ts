import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline as pipelineCallback, Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { DomainError, invalid, notFound, tooLarge } from '../platform/errors.js';
import { inlineSha256, type Sha256Hasher, type Sha256Stream } from './sha256-hasher.js';
import { SHA256_PATTERN, type ArtifactStore, type OpenedArtifact, type StagedArtifact, type StageOptions } from './artifact-store.js';

const WRITE_BUFFER = 8 << 20; // bytes buffered towards the disk before the source is paused
const READ_CHUNK = 1 << 20;
const STALE_TEMP_MS = 24 * 3600 * 1000;

/**
 * Blobs live at <root>/sha256/<first two hex>/<hash>. Staged files live in <root>/tmp on the same file
 * system, are fsynced before commit, and are renamed into place, so a blob is either whole or absent.
 */
export class LocalArtifactStore implements ArtifactStore {
  readonly uri: string;
  private readonly root: string;
  private readonly tmpDir: string;

  private constructor(
    uri: string,
    private readonly hasher: Sha256Hasher,
  ) {
    this.uri = uri;
    this.root = fileURLToPath(uri);
    this.tmpDir = join(this.root, 'tmp');
  }

  /** `hasher` computes SHA-256 on writes and checked reads (default: on the calling thread). */
  static async create(uri: string, options: { hasher?: Sha256Hasher } = {}): Promise<LocalArtifactStore> {
    const store = new LocalArtifactStore(uri, options.hasher ?? inlineSha256);
    await mkdir(join(store.root, 'sha256'), { recursive: true });
    await mkdir(store.tmpDir, { recursive: true });
    await store.removeStaleTemps();
    return store;
  }

  private blobPath(sha256: string): string {
    return join(this.root, 'sha256', sha256.slice(0, 2), sha256);
  }

  private checkHash(sha256: string): void {
    if (!SHA256_PATTERN.test(sha256)) throw invalid('INVALID_SHA256', `'${sha256}' is not a lowercase hex SHA-256 digest`);
  }

  async stage(source: AsyncIterable<Uint8Array>, options: StageOptions = {}): Promise<StagedArtifact> {
    if (options.expectedSha256 !== undefined) this.checkHash(options.expectedSha256);
    const tmp = join(this.tmpDir, `${Date.now()}-${randomBytes(8).toString('hex')}.part`);
    const hash = this.hasher.begin();
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (options.maxBytes !== undefined && size > options.maxBytes) {
          cb(tooLarge(`the artifact is larger than the limit of ${options.maxBytes} bytes`, { limitBytes: options.maxBytes }));
          return;
        }
        hash.update(chunk);
        options.onProgress?.(size);
        cb(null, chunk);
      },
    });
    try {
      // A large write buffer keeps the network side flowing while the disk catches up.
      await pipeline(Readable.from(source, { objectMode: false }), counter, createWriteStream(tmp, { flags: 'wx', mode: 0o644, highWaterMark: WRITE_BUFFER }));
    } catch (err) {
      hash.discard();
      await rm(tmp, { force: true });
      throw err;
    }
    let sha256: string;
    try {
      sha256 = await hash.digest();
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    if (options.expectedSha256 !== undefined && options.expectedSha256 !== sha256) {
      await rm(tmp, { force: true });
      throw invalid('CHECKSUM_MISMATCH', `the uploaded bytes hash to ${sha256}, not the expected ${options.expectedSha256}`, {
        expected: options.expectedSha256,
        actual: sha256,
      });
    }
    // The flush to disk runs while the caller inspects the staged file; commit waits for it before the
    // rename that makes the blob visible, so a committed blob is always durable.
    // (fsync through a new descriptor flushes the file's data whichever descriptor wrote it.)
    const synced = syncToDisk(tmp);
    synced.catch(() => undefined); // observed by commit/discard; never an unhandled rejection
    let done = false;
    const finalPath = this.blobPath(sha256);
    return {
      sha256,
      size,
      localPath: tmp,
      commit: async () => {
        if (done) return;
        done = true;
        try {
          await synced;
          const existing = await stat(finalPath).catch(() => null);
          if (existing && existing.size === size) {
            await rm(tmp, { force: true });
            return;
          }
          await mkdir(join(this.root, 'sha256', sha256.slice(0, 2)), { recursive: true });
          await rename(tmp, finalPath);
        } catch (err) {
          // Disk full, permissions, I/O errors: nothing may stay behind in tmp/.
          await rm(tmp, { force: true });
          throw err;
        }
        await syncToDisk(join(this.root, 'sha256', sha256.slice(0, 2)));
      },
      discard: async () => {
        if (done) return;
        done = true;
        await synced.catch(() => undefined);
        await rm(tmp, { force: true });
      },
    };
  }

  async stat(sha256: string): Promise<{ size: number } | null> {
    this.checkHash(sha256);
    const s = await stat(this.blobPath(sha256)).catch(() => null);
    return s ? { size: s.size } : null;
  }

  async open(sha256: string): Promise<OpenedArtifact> {
    this.checkHash(sha256);
    const path = this.blobPath(sha256);
    const s = await stat(path).catch(() => null);
    if (!s) throw notFound('ARTIFACT_NOT_FOUND', `no artifact with SHA-256 ${sha256}`);
    // pipeline (not pipe) so that a read error also fails the returned stream.
    const stream = pipelineCallback(createReadStream(path, { highWaterMark: READ_CHUNK }), new VerifyingStream(sha256, this.hasher.begin()), () => undefined);
    return { size: s.size, stream };
  }

  private readonly verified = new Set<string>();

  async localPath(sha256: string): Promise<string> {
    this.checkHash(sha256);
    const path = this.blobPath(sha256);
    if (!this.verified.has(sha256)) {
      const { stream } = await this.open(sha256); // ARTIFACT_NOT_FOUND when missing
      for await (const _chunk of stream) {
        // reading to the end checks the hash (ARTIFACT_CORRUPT otherwise)
      }
      this.verified.add(sha256);
    }
    return path;
  }

  async checkWritable(): Promise<void> {
    const probe = join(this.tmpDir, `probe-${randomBytes(6).toString('hex')}`);
    const fh = await open(probe, 'wx');
    await fh.close();
    await unlink(probe);
  }

  private async removeStaleTemps(): Promise<void> {
    const cutoff = Date.now() - STALE_TEMP_MS;
    for (const name of await readdir(this.tmpDir)) {
      const started = Number(name.split('-')[0]);
      if (Number.isFinite(started) && started < cutoff) await rm(join(this.tmpDir, name), { force: true });
    }
  }
}

/** Flushes a file's data (or a folder's entries) to disk, through a descriptor of its own. */
async function syncToDisk(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Passes bytes through and fails at the end when they do not hash to the expected digest. */
class VerifyingStream extends Transform {
  private digested = false;

  constructor(
    private readonly expected: string,
    private readonly hash: Sha256Stream,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.digested = true;
    this.hash.digest().then(
      (actual) => cb(actual === this.expected ? null : new DomainError('internal', 'ARTIFACT_CORRUPT', `stored artifact ${this.expected} is corrupt: its bytes hash to ${actual}`)),
      (err: Error) => cb(err),
    );
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    // A reader that goes away (an aborted download) destroys the stream without an error: release the
    // hashing state unless the digest was already asked for.
    if (!this.digested) this.hash.discard();
    cb(err);
  }
}
