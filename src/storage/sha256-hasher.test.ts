import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { inlineSha256, ThreadedSha256Hasher } from './sha256-hasher.js';

const threaded = new ThreadedSha256Hasher();
afterAll(() => threaded.close());

describe.each([
  ['inline', inlineSha256],
  ['threaded', threaded],
])('%s SHA-256', (_name, hasher) => {
  it('gives the FIPS 180-2 digest of "abc" and of the empty input', async () => {
    const s = hasher.begin();
    s.update(Buffer.from('ab'));
    s.update(Buffer.from('c'));
    expect(await s.digest()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await hasher.begin().digest()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes many interleaved streams, chunked across batch boundaries, like one-shot hashing', async () => {
    const datas = [0, 1, 2].map((k) => {
      const b = Buffer.alloc(3_500_000 + k * 777);
      for (let i = 0; i < b.length; i++) b[i] = (i * 31 + k * 7) & 0xff;
      return b;
    });
    const streams = datas.map(() => hasher.begin());
    for (let off = 0; off < 3_600_000; off += 65_537) {
      datas.forEach((d, k) => {
        const part = d.subarray(off, off + 65_537);
        // a view into a larger buffer, as socket chunks often are
        if (part.length > 0) streams[k]!.update(part);
      });
    }
    const digests = await Promise.all(streams.map((s) => s.digest()));
    expect(digests).toEqual(datas.map((d) => createHash('sha256').update(d).digest('hex')));
  });

  it('forgets a discarded stream and keeps working', async () => {
    const s = hasher.begin();
    s.update(Buffer.alloc(2_000_000, 1));
    s.discard();
    const t = hasher.begin();
    t.update(Buffer.from('abc'));
    expect(await t.digest()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
