import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { artifactStoreContract } from './artifact-store.contract.js';
import { LocalArtifactStore } from './local-artifact-store.js';
import { ThreadedSha256Hasher } from './sha256-hasher.js';

async function freshStore() {
  const dir = await mkdtemp(join(tmpdir(), 'steward-artifacts-'));
  return { dir, store: await LocalArtifactStore.create(pathToFileURL(dir).href) };
}

artifactStoreContract('local folder', async () => (await freshStore()).store);

const threaded = new ThreadedSha256Hasher();
afterAll(() => threaded.close());
artifactStoreContract('local folder, hashing in a worker thread', async () =>
  LocalArtifactStore.create(pathToFileURL(await mkdtemp(join(tmpdir(), 'steward-artifacts-'))).href, { hasher: threaded }),
);

describe('LocalArtifactStore specifics', () => {
  it('leaves no temporary file behind after a failed upload', async () => {
    const { dir, store } = await freshStore();
    async function* broken() {
      yield Buffer.alloc(10_000);
      throw new Error('client went away');
    }
    await expect(store.stage(broken())).rejects.toThrow('client went away');
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
  });

  it('detects a blob changed on disk when it is read', async () => {
    const { dir, store } = await freshStore();
    async function* one() {
      yield Buffer.from('original bytes');
    }
    const staged = await store.stage(one());
    await staged.commit();
    await writeFile(join(dir, 'sha256', staged.sha256.slice(0, 2), staged.sha256), 'tampered bytes');
    const opened = await store.open(staged.sha256);
    await expect(buffer(opened.stream)).rejects.toMatchObject({ code: 'ARTIFACT_CORRUPT' });
  });

  it('refuses the local path of a blob changed on disk', async () => {
    const { dir, store } = await freshStore();
    async function* one() {
      yield Buffer.from('dataset bytes');
    }
    const staged = await store.stage(one());
    await staged.commit();
    await writeFile(join(dir, 'sha256', staged.sha256.slice(0, 2), staged.sha256), 'changed bytes');
    await expect(store.localPath(staged.sha256)).rejects.toMatchObject({ code: 'ARTIFACT_CORRUPT' });
  });

  it('removes stale temporary files on start', async () => {
    const { dir } = await freshStore();
    const old = `${Date.now() - 3 * 24 * 3600 * 1000}-deadbeef.part`;
    const fresh = `${Date.now()}-cafebabe.part`;
    await writeFile(join(dir, 'tmp', old), 'x');
    await writeFile(join(dir, 'tmp', fresh), 'y');
    await LocalArtifactStore.create(pathToFileURL(dir).href);
    expect(await readdir(join(dir, 'tmp'))).toEqual([fresh]);
  });
});

describe('LocalArtifactStore failures', () => {
  it('removes the staged file when the commit cannot rename it into place', async () => {
    const { dir, store } = await freshStore();
    async function* one() {
      yield Buffer.from('bytes that cannot be committed');
    }
    const staged = await store.stage(one());
    // A directory where the blob's parent folder should be: mkdir/rename fail like on a broken disk.
    await writeFile(join(dir, 'sha256', staged.sha256.slice(0, 2)), 'not a directory');
    await expect(staged.commit()).rejects.toThrow();
    await staged.discard();
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
  });

  it('releases the hashing state of a download that is abandoned', async () => {
    const hasher = new ThreadedSha256Hasher();
    const dir = await mkdtemp(join(tmpdir(), 'steward-artifacts-'));
    const store = await LocalArtifactStore.create(pathToFileURL(dir).href, { hasher });
    async function* big() {
      for (let i = 0; i < 8; i++) yield Buffer.alloc(1 << 20, i);
    }
    const staged = await store.stage(big());
    await staged.commit();
    const discarded: number[] = [];
    const original = hasher.begin.bind(hasher);
    hasher.begin = () => {
      const s = original();
      const discard = s.discard.bind(s);
      return { ...s, update: s.update.bind(s), digest: s.digest.bind(s), discard: () => (discarded.push(1), discard()) };
    };
    for (let i = 0; i < 3; i++) {
      const opened = await store.open(staged.sha256);
      await new Promise<void>((resolve) => opened.stream.once('data', () => resolve()));
      opened.stream.destroy();
    }
    expect(discarded).toHaveLength(3);
    const whole = await store.open(staged.sha256);
    expect((await buffer(whole.stream)).length).toBe(8 << 20);
    await hasher.close();
  });
});
