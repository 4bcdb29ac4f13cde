import type { Readable } from 'node:stream';

/**
 * Content-addressed storage of artifacts (model files, later dataset files). Every blob is named by the
 * SHA-256 of its bytes. Writing is two-phase: `stage` streams the bytes to a temporary local file while
 * hashing them; the caller may inspect the staged file (e.g. load the model) and then `commit` it under its
 * hash or `discard` it. A cut upload never becomes a blob. Reads are checked: a stream whose bytes do not
 * hash to the name fails with ARTIFACT_CORRUPT instead of ending normally.
 *
 * Implementations: local folder (file://). An S3 store will implement the same interface and run the same
 * contract suite (artifact-store.contract.ts).
 */
export interface StagedArtifact {
  readonly sha256: string;
  readonly size: number;
  /** A local file with the bytes, readable until commit() or discard() is called. */
  readonly localPath: string;
  /** Store the bytes under their hash. Identical content already stored is kept once. */
  commit(): Promise<void>;
  /** Drop the staged bytes. Safe to call more than once, and after commit (then it does nothing). */
  discard(): Promise<void>;
}

export interface StageOptions {
  /** Reject with PAYLOAD_TOO_LARGE (and keep nothing) once more than this many bytes arrive. */
  maxBytes?: number;
  /** Reject with CHECKSUM_MISMATCH (and keep nothing) if the bytes hash differently. */
  expectedSha256?: string;
  /** Called as bytes arrive, with the running total. */
  onProgress?: (bytes: number) => void;
}

export interface OpenedArtifact {
  readonly size: number;
  /** The bytes; errors with ARTIFACT_CORRUPT at the end if they do not match the hash. */
  readonly stream: Readable;
}

export interface ArtifactStore {
  /** e.g. "file:///var/lib/steward/artifacts" */
  readonly uri: string;
  stage(source: AsyncIterable<Uint8Array>, options?: StageOptions): Promise<StagedArtifact>;
  /** Size of a stored blob, or null when there is none. */
  stat(sha256: string): Promise<{ size: number } | null>;
  /** Throws ARTIFACT_NOT_FOUND when there is no such blob. */
  open(sha256: string): Promise<OpenedArtifact>;
  /**
   * A local file with the blob's bytes, for engines that read files (DuckDB). Its hash is checked the first
   * time a process asks for it (ARTIFACT_CORRUPT when it does not match); the file must not be changed.
   */
  localPath(sha256: string): Promise<string>;
  /** Throws when the store cannot be written to (used by readiness checks). */
  checkWritable(): Promise<void>;
}

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** A stored JSON document (a profile, a report), read whole and parsed; its hash is checked on the way. */
export async function readJsonArtifact<T>(store: ArtifactStore, sha256: string): Promise<T> {
  const opened = await store.open(sha256);
  const chunks: Buffer[] = [];
  for await (const c of opened.stream) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
}
