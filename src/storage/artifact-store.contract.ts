/**
 * The contract every ArtifactStore must meet. Each implementation's test file calls
 * artifactStoreContract() with a factory for a fresh, empty store.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../platform/errors.js';
import type { ArtifactStore } from './artifact-store.js';

// SHA-256("abc") from FIPS 180-2, Appendix B.1: an independent known answer.
const ABC_SHA256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

async function* chunks(...parts: (string | Buffer)[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p) : p;
}

async function* failingAfter(bytes: Buffer): AsyncGenerator<Uint8Array> {
  yield bytes;
  throw new Error('connection reset by peer');
}

export function artifactStoreContract(name: string, makeStore: () => Promise<ArtifactStore>): void {
  describe(`ArtifactStore contract: ${name}`, () => {
    it('names content by its SHA-256 and reads it back byte-identical', async () => {
      const store = await makeStore();
      const staged = await store.stage(chunks('a', 'b', 'c'));
      expect(staged.sha256).toBe(ABC_SHA256);
      expect(staged.size).toBe(3);
      await staged.commit();
      expect(await store.stat(ABC_SHA256)).toEqual({ size: 3 });
      const opened = await store.open(ABC_SHA256);
      expect(opened.size).toBe(3);
      expect((await buffer(opened.stream)).toString()).toBe('abc');
    });

    it('lets the staged bytes be read before commit, and keeps nothing on discard', async () => {
      const store = await makeStore();
      const staged = await store.stage(chunks('staged but never committed'));
      expect((await readFile(staged.localPath)).toString()).toBe('staged but never committed');
      await staged.discard();
      await staged.discard();
      expect(await store.stat(staged.sha256)).toBeNull();
    });

    it('stores identical content once and commits idempotently', async () => {
      const store = await makeStore();
      const data = Buffer.alloc(3_000_000, 7);
      const a = await store.stage(chunks(data.subarray(0, 1000), data.subarray(1000)));
      const b = await store.stage(chunks(data));
      expect(a.sha256).toBe(b.sha256);
      await a.commit();
      await b.commit();
      await a.commit();
      expect(await store.stat(a.sha256)).toEqual({ size: data.length });
      expect((await buffer((await store.open(a.sha256)).stream)).equals(data)).toBe(true);
    });

    it('keeps nothing when the source fails part-way', async () => {
      const store = await makeStore();
      const data = Buffer.alloc(2_500_000, 1);
      await expect(store.stage(failingAfter(data))).rejects.toThrow('connection reset');
      const sha = createHash('sha256').update(data).digest('hex');
      expect(await store.stat(sha)).toBeNull();
    });

    it('rejects content over maxBytes with PAYLOAD_TOO_LARGE', async () => {
      const store = await makeStore();
      const err = await store.stage(chunks(Buffer.alloc(600), Buffer.alloc(600)), { maxBytes: 1000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe('PAYLOAD_TOO_LARGE');
      expect(await store.stat(createHash('sha256').update(Buffer.alloc(1200)).digest('hex'))).toBeNull();
    });

    it('rejects content that does not match the expected hash', async () => {
      const store = await makeStore();
      const err = await store.stage(chunks('abd'), { expectedSha256: ABC_SHA256 }).catch((e: unknown) => e);
      expect((err as DomainError).code).toBe('CHECKSUM_MISMATCH');
      expect(await store.stat(createHash('sha256').update('abd').digest('hex'))).toBeNull();
    });

    it('accepts the expected hash when it matches and reports progress', async () => {
      const store = await makeStore();
      const seen: number[] = [];
      const staged = await store.stage(chunks('ab', 'c'), { expectedSha256: ABC_SHA256, onProgress: (n) => seen.push(n) });
      expect(seen).toEqual([2, 3]);
      await staged.discard();
    });

    it('answers ARTIFACT_NOT_FOUND for a missing blob and INVALID_SHA256 for a malformed name', async () => {
      const store = await makeStore();
      const missing = await store.open('0'.repeat(64)).catch((e: unknown) => e);
      expect((missing as DomainError).code).toBe('ARTIFACT_NOT_FOUND');
      const bad = await store.open('../../etc/passwd').catch((e: unknown) => e);
      expect((bad as DomainError).code).toBe('INVALID_SHA256');
      expect(await store.stat('f'.repeat(64))).toBeNull();
    });

    it('streams a large blob without changing it', async () => {
      const store = await makeStore();
      const data = Buffer.alloc(12 * 1024 * 1024);
      for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
      const staged = await store.stage(Readable.from(chunksOf(data, 65_536)));
      await staged.commit();
      const back = await buffer((await store.open(staged.sha256)).stream);
      expect(back.equals(data)).toBe(true);
    });

    it('gives a local file with the bytes of a stored blob, and refuses a missing one', async () => {
      const store = await makeStore();
      const staged = await store.stage(chunks('local ', 'bytes'));
      await staged.commit();
      const path = await store.localPath(staged.sha256);
      expect((await readFile(path)).toString()).toBe('local bytes');
      expect(await store.localPath(staged.sha256)).toBe(path);
      const missing = await store.localPath('1'.repeat(64)).catch((e: unknown) => e);
      expect((missing as DomainError).code).toBe('ARTIFACT_NOT_FOUND');
    });

    it('reports itself writable', async () => {
      const store = await makeStore();
      await expect(store.checkWritable()).resolves.toBeUndefined();
    });
  });
}

function* chunksOf(data: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}
