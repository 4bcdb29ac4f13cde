/**
 * Registry benchmark, measured in one run against a real `steward serve` child process on SQLite:
 * - version-metadata writes/s (PATCH a version's tags: a transaction with the change and its event) and
 *   reads/s (GET a version) through HTTP with 16 keep-alive connections (the best of 4..64 on 2 cores);
 * - a 200 MB ONNX model uploaded and downloaded, each as a ratio against a plain file copy of the same file
 *   on the same disk (fs.copyFile then fsync), median of 3:
 *   - upload: the whole registration as the client sees it (stream, hash, write, fsync, load once in
 *     onnxruntime, commit) — upload_ratio_vs_copy;
 *   - upload transfer: the server's "receive" phase from Server-Timing (bytes received, hashed and written;
 *     the fsync overlaps the onnxruntime check) — upload_transfer_ratio_vs_copy;
 *   - download: streamed from the server (which checks the hash as it reads) into a file, then fsync; the
 *     client checks the SHA-256 of the file after the clock stops.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { OnnxGraphBuilder } from '../src/ml/onnx/onnx-builder.js';
import { linearModel } from '../test/fixtures/models.js';
import { startServerProcess } from '../test/support/server-process.js';
import { httpClient, median, printTable, throughput } from './support.js';

const TOKEN = `stw_bench-${randomBytes(16).toString('hex')}`;
const MB = 1024 * 1024;
const REPEATS = 5;
const METADATA_ROUNDS = 3;
const WRITES_PER_ROUND = 5000;
const READS_PER_ROUND = 10_000;
/** Unmeasured rounds first: on a fresh VM, the first touches of guest memory and disk cost several times more. */
const WARM_UP = 1;

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  await fh.sync();
  await fh.close();
}

/** A valid ONNX model of about 200 MB: y = x·W with W a 5000 × 10000 float32 matrix. */
function bigModel(): Uint8Array {
  const rows = 5000;
  const cols = 10_000;
  const w = new Float32Array(rows * cols);
  for (let i = 0; i < w.length; i += 7) w[i] = ((i % 1009) - 504) / 504;
  return new OnnxGraphBuilder('bench_200mb').input('x', 'FLOAT', ['batch', rows]).floatInitializer('W', [rows, cols], w).node('MatMul', ['x', 'W'], ['y']).output('y', 'FLOAT', ['batch', cols]).toBytes();
}

function uploadFile(base: string, path: string, model: string, size: number): Promise<{ status: number; body: string; serverTiming: string }> {
  const boundary = `bench-${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="artifact"; filename="big.onnx"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const url = new URL(`${base}/api/v1/models/${model}/versions`);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + size + tail.length } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, serverTiming: String(res.headers['server-timing'] ?? '') }));
      },
    );
    req.on('error', reject);
    req.write(head);
    const file = createReadStream(path, { highWaterMark: MB });
    file.on('error', reject);
    file.on('data', (c) => {
      if (!req.write(c)) file.pause();
    });
    req.on('drain', () => file.resume());
    file.on('end', () => req.end(tail));
  });
}

async function download(base: string, path: string, out: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    request(new URL(`${base}${path}`), { headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`download answered ${res.statusCode}`));
      pipeline(res, createWriteStream(out, { highWaterMark: 8 * MB })).then(resolve, reject);
    })
      .on('error', reject)
      .end();
  });
  await fsyncFile(out);
}

/** The same download with curl as the client, when curl is installed: it tells the server's speed from Node's client's. */
function curlDownload(base: string, path: string, out: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-sf', '-o', out, '-H', `Authorization: Bearer ${TOKEN}`, `${base}${path}`], { stdio: 'ignore' });
    child.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? resolve(false) : reject(err)));
    child.on('exit', (code) => (code === 0 ? resolve(true) : reject(new Error(`curl exited with ${code}`))));
  });
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: MB })) hash.update(c as Buffer);
  return hash.digest('hex');
}

function phase(serverTiming: string, name: string): number {
  const m = new RegExp(`${name};dur=([\\d.]+)`).exec(serverTiming);
  if (!m) throw new Error(`no ${name} phase in Server-Timing '${serverTiming}'`);
  return Number(m[1]);
}

export async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'steward-bench-registry-'));
  const server = await startServerProcess(join(dir, 'home'), { STEWARD_ADMIN_TOKEN: TOKEN, STEWARD_LOG_LEVEL: 'warn' });
  try {
    const CONNECTIONS = 16;
    const client = httpClient(server.url, TOKEN, CONNECTIONS);
    // --- metadata ---
    await client.send('POST', '/api/v1/models', { name: 'meta' });
    const small = join(dir, 'linear.onnx');
    await writeFile(small, linearModel());
    const reg = await uploadFile(server.url, small, 'meta', (await stat(small)).size);
    if (reg.status !== 201) throw new Error(`registering the small model failed: ${reg.body}`);
    const check = (r: { status: number; body: Buffer }, what: string) => {
      if (r.status !== 200) throw new Error(`${what} answered ${r.status}: ${r.body.toString()}`);
    };
    const patch = async (i: number) => check(await client.send('PATCH', '/api/v1/models/meta/versions/1', { tags: { [`k${i % 4}`]: String(i) } }), 'PATCH');
    const get = async () => check(await client.send('GET', '/api/v1/models/meta/versions/1'), 'GET');
    await throughput(3000, CONNECTIONS, patch); // warm-up: JIT and page cache
    await throughput(3000, CONNECTIONS, get);
    const writeRounds: number[] = [];
    const readRounds: number[] = [];
    for (let r = 0; r < METADATA_ROUNDS; r++) {
      writeRounds.push(await throughput(WRITES_PER_ROUND, CONNECTIONS, patch));
      readRounds.push(await throughput(READS_PER_ROUND, CONNECTIONS, get));
    }
    const writes = median(writeRounds);
    const reads = median(readRounds);
    client.close();
    printTable(`version metadata through HTTP (SQLite, ${CONNECTIONS} connections, median of ${METADATA_ROUNDS} rounds)`, ['operation', 'requests per round', 'rounds (per second)', 'median per second'], [
      ['write: PATCH version tags (+ event)', WRITES_PER_ROUND, writeRounds.map((x) => x.toFixed(0)).join(' '), writes.toFixed(0)],
      ['read: GET version', READS_PER_ROUND, readRounds.map((x) => x.toFixed(0)).join(' '), reads.toFixed(0)],
    ]);

    // --- artifacts ---
    const bigPath = join(dir, 'big.onnx');
    await writeFile(bigPath, bigModel());
    const size = (await stat(bigPath)).size;
    const bigSha = await sha256File(bigPath);
    await client.send('POST', '/api/v1/models', { name: 'big' });
    const copies: number[] = [];
    const uploads: number[] = [];
    const transfers: number[] = [];
    const checks: number[] = [];
    const downloads: number[] = [];
    const rounds: string[][] = [];
    const curlDownloads: number[] = [];
    for (let i = -WARM_UP; i < REPEATS; i++) {
      const copyOut = join(dir, `copy-${i}.onnx`);
      let t = performance.now();
      await copyFile(bigPath, copyOut);
      await fsyncFile(copyOut);
      const copyMs = performance.now() - t;
      await rm(copyOut);

      t = performance.now();
      const up = await uploadFile(server.url, bigPath, 'big', size);
      const uploadMs = performance.now() - t;
      if (up.status !== 201) throw new Error(`upload answered ${up.status}: ${up.body}`);
      const version = (JSON.parse(up.body) as { version: number }).version;

      const dlOut = join(dir, `dl-${i}.onnx`);
      t = performance.now();
      await download(server.url, `/api/v1/models/big/versions/${version}/artifact`, dlOut);
      const downloadMs = performance.now() - t;
      if ((await sha256File(dlOut)) !== bigSha) throw new Error('the downloaded artifact differs from the upload');
      await rm(dlOut);
      t = performance.now();
      const hasCurl = await curlDownload(server.url, `/api/v1/models/big/versions/${version}/artifact`, dlOut);
      let curlMs = NaN;
      if (hasCurl) {
        await fsyncFile(dlOut);
        curlMs = performance.now() - t;
        if ((await sha256File(dlOut)) !== bigSha) throw new Error('the artifact downloaded by curl differs from the upload');
        await rm(dlOut);
      }
      const round = [copyMs, uploadMs, phase(up.serverTiming, 'receive'), phase(up.serverTiming, 'load'), downloadMs, curlMs];
      rounds.push([i < 0 ? 'warm-up (not counted)' : String(i + 1), ...round.map((x) => (Number.isNaN(x) ? 'n/a' : x.toFixed(0)))]);
      if (i < 0) continue;
      copies.push(copyMs);
      uploads.push(uploadMs);
      transfers.push(round[2]!);
      checks.push(round[3]!);
      downloads.push(downloadMs);
      if (hasCurl) curlDownloads.push(curlMs);
    }
    printTable('artifact rounds (ms)', ['round', 'copy', 'upload', 'receive', 'load', 'download', 'download (curl)'], rounds);
    const mbps = (ms: number) => size / MB / (ms / 1000);
    const copyMs = median(copies);
    const upMs = median(uploads);
    const transferMs = median(transfers);
    const checkMs = median(checks);
    const downMs = median(downloads);
    printTable(`artifact transfer, ${(size / MB).toFixed(0)} MB ONNX model, median of ${REPEATS}`, ['operation', 'ms', 'MB/s', 'ratio vs copy'], [
      ['plain file copy (copyFile + fsync)', copyMs.toFixed(0), mbps(copyMs).toFixed(0), '1.00'],
      ['upload: whole registration as the client sees it', upMs.toFixed(0), mbps(upMs).toFixed(0), (copyMs / upMs).toFixed(2)],
      ['  of which: receive, hash, write (Server-Timing)', transferMs.toFixed(0), mbps(transferMs).toFixed(0), (copyMs / transferMs).toFixed(2)],
      ['  of which: load once in onnxruntime (Server-Timing)', checkMs.toFixed(0), '', ''],
      ['download: stream (checked by the server), write, fsync', downMs.toFixed(0), mbps(downMs).toFixed(0), (copyMs / downMs).toFixed(2)],
      ...(curlDownloads.length ? [['  the same with curl as the client', median(curlDownloads).toFixed(0), mbps(median(curlDownloads)).toFixed(0), (copyMs / median(curlDownloads)).toFixed(2)]] : []),
    ]);
    const figures = {
      metadata_writes_per_s: Math.round(writes),
      metadata_reads_per_s: Math.round(reads),
      upload_ratio_vs_copy: Number((copyMs / upMs).toFixed(3)),
      download_ratio_vs_copy: Number((copyMs / downMs).toFixed(3)),
      upload_transfer_ratio_vs_copy: Number((copyMs / transferMs).toFixed(3)),
      upload_check_ms: Math.round(checkMs),
      copy_mb_per_s: Math.round(mbps(copyMs)),
      ...(curlDownloads.length ? { download_ratio_vs_copy_curl_client: Number((copyMs / median(curlDownloads)).toFixed(3)) } : {}),
    };
    process.stdout.write(`${JSON.stringify({ bench: 'registry', figures })}\n`);
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
