import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline, Transform, type TransformCallback } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { DomainError, invalid, notFound, tooLarge } from '../platform/errors.js';
import { SHA256_PATTERN, type ArtifactStore, type OpenedArtifact, type StagedArtifact, type StageOptions } from './artifact-store.js';

const WRITE_BATCH = 1 << 20; // coalesce small network chunks into 1 MiB writes
const STALE_TEMP_MS = 24 * 3600 * 1000;

/**
 * Blobs live at <root>/sha256/<first two hex>/<hash>. Staged files live in <root>/tmp on the same file
 * system, are fsynced before commit, and are renamed into place, so a blob is either whole or absent.
 */
export class LocalArtifactStore implements ArtifactStore {
  readonly uri: string;
  private readonly root: string;
  private readonly tmpDir: string;

  private constructor(uri: string) {
    this.uri = uri;
    this.root = fileURLToPath(uri);
    this.tmpDir = join(this.root, 'tmp');
  }

  static async create(uri: string): Promise<LocalArtifactStore> {
    const store = new LocalArtifactStore(uri);
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
    const hash = createHash('sha256');
    const fh = await open(tmp, 'wx', 0o644);
    let size = 0;
    try {
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async () => {
        if (pendingBytes === 0) return;
        const buf = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        await fh.write(buf);
      };
      for await (const chunk of source) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        size += buf.length;
        if (options.maxBytes !== undefined && size > options.maxBytes) {
          throw tooLarge(`the artifact is larger than the limit of ${options.maxBytes} bytes`, { limitBytes: options.maxBytes });
        }
        hash.update(buf);
        pending.push(buf);
        pendingBytes += buf.length;
        if (pendingBytes >= WRITE_BATCH) await flush();
        options.onProgress?.(size);
      }
      await flush();
      await fh.datasync();
    } catch (err) {
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw err;
    }
    await fh.close();
    const sha256 = hash.digest('hex');
    if (options.expectedSha256 !== undefined && options.expectedSha256 !== sha256) {
      await rm(tmp, { force: true });
      throw invalid('CHECKSUM_MISMATCH', `the uploaded bytes hash to ${sha256}, not the expected ${options.expectedSha256}`, {
        expected: options.expectedSha256,
        actual: sha256,
      });
    }
    let done = false;
    const finalPath = this.blobPath(sha256);
    return {
      sha256,
      size,
      localPath: tmp,
      commit: async () => {
        if (done) return;
        done = true;
        const existing = await stat(finalPath).catch(() => null);
        if (existing && existing.size === size) {
          await rm(tmp, { force: true });
          return;
        }
        await mkdir(join(this.root, 'sha256', sha256.slice(0, 2)), { recursive: true });
        await rename(tmp, finalPath);
        await fsyncDir(join(this.root, 'sha256', sha256.slice(0, 2)));
      },
      discard: async () => {
        if (done) return;
        done = true;
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
    const stream = pipeline(createReadStream(path, { highWaterMark: WRITE_BATCH }), new VerifyingStream(sha256), () => undefined);
    return { size: s.size, stream };
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

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Passes bytes through and fails at the end when they do not hash to the expected digest. */
class VerifyingStream extends Transform {
  private readonly hash = createHash('sha256');
  constructor(private readonly expected: string) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    const actual = this.hash.digest('hex');
    if (actual !== this.expected) {
      cb(new DomainError('internal', 'ARTIFACT_CORRUPT', `stored artifact ${this.expected} is corrupt: its bytes hash to ${actual}`));
    } else cb();
  }
}
