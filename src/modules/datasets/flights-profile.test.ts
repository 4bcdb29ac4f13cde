/**
 * Acceptance: flights-3m.parquet (3 million real flights, ZSTD) uploads and profiles end to end, and the
 * profile agrees with an independent brute-force pass: the file read by another Parquet reader (hyparquet),
 * counts and sums in exact integer arithmetic, quantiles from a full sort.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { asyncBufferFromFile, parquetRead } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, multipart, type Harness } from '../../../test/support/harness.js';

const FLIGHTS = fileURLToPath(new URL('../../../node_modules/vega-datasets/data/flights-3m.parquet', import.meta.url));
let h: Harness;
let auth: Record<string, string>;

beforeAll(async () => {
  h = await createHarness({ maxArtifactBytes: 100 * 1024 * 1024 });
  auth = { authorization: `Bearer ${h.adminToken}` };
});
afterAll(() => h.close());

async function readColumns(names: string[]): Promise<Record<string, unknown[]>> {
  const file = await asyncBufferFromFile(FLIGHTS);
  const out: Record<string, unknown[]> = Object.fromEntries(names.map((n) => [n, []]));
  await parquetRead({
    file,
    compressors,
    columns: names,
    onChunk: (chunk) => {
      const col = out[chunk.columnName]!;
      for (const v of chunk.columnData) col.push(v);
    },
  });
  return out;
}

function linearQuantile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

describe('flights-3m end to end', () => {
  it('profiles 3 million rows in agreement with a brute-force pass', async () => {
    await h.app.inject({ method: 'POST', url: '/api/v1/datasets', headers: auth, payload: { name: 'flights' } });
    const { body, contentType } = multipart([{ name: 'file', value: readFileSync(FLIGHTS), filename: 'flights-3m.parquet' }]);
    const up = await h.app.inject({ method: 'POST', url: '/api/v1/datasets/flights/versions', headers: { ...auth, 'content-type': contentType }, payload: body });
    expect(up.statusCode).toBe(201);
    expect(up.json()).toMatchObject({ rows: 3_000_000, source: { format: 'parquet' } });
    let profile: { rows: number; columns: { name: string; [k: string]: unknown }[] } | undefined;
    for (let i = 0; i < 600 && !profile; i++) {
      const r = await h.app.inject({ method: 'GET', url: '/api/v1/datasets/flights/versions/1/profile', headers: auth });
      if (r.statusCode === 200) profile = r.json().profile;
      else await new Promise((res) => setTimeout(res, 100));
    }
    expect(profile?.rows).toBe(3_000_000);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const col = (name: string) => profile!.columns.find((c) => c.name === name)! as Record<string, any>;

    const data = await readColumns(['delay', 'distance', 'origin']);
    for (const name of ['delay', 'distance']) {
      const values = data[name] as bigint[];
      expect(values).toHaveLength(3_000_000);
      let sum = 0n;
      for (const v of values) sum += v;
      const n = values.length;
      const mean = Number(sum) / n;
      const sorted = Float64Array.from(values, Number).sort();
      let ss = 0;
      for (const v of sorted) ss += (v - mean) ** 2;
      const std = Math.sqrt(ss / (n - 1));
      const p = col(name);
      expect(p.count, name).toBe(n);
      expect(p.missing, name).toBe(0);
      expect(p.distinct, name).toBe(new Set(sorted).size);
      expect(p.min, name).toBe(sorted[0]);
      expect(p.max, name).toBe(sorted[n - 1]);
      expect(Math.abs(p.mean - mean) / Math.abs(mean), name).toBeLessThan(1e-9);
      expect(Math.abs(p.std - std) / std, name).toBeLessThan(1e-9);
      const quantiles = p.quantiles as Record<string, number>;
      for (const [key, q] of Object.entries({ p01: 0.01, p05: 0.05, p25: 0.25, p50: 0.5, p75: 0.75, p95: 0.95, p99: 0.99 })) {
        expect(quantiles[key], `${name} ${key}`).toBe(linearQuantile(sorted, q));
      }
      const hist = p.histogram as { counts: number[] };
      expect(hist.counts.reduce((a, b) => a + b, 0), name).toBe(n);
    }
    const origins = new Map<string, number>();
    for (const o of data.origin as string[]) origins.set(o, (origins.get(o) ?? 0) + 1);
    const top = [...origins.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10);
    const origin = col('origin');
    expect(origin.type).toBe('categorical');
    expect(origin.distinct).toBe(origins.size);
    expect((origin.top as { value: string; count: number }[]).map((t) => [t.value, t.count])).toEqual(top);
  }, 180_000);
});
