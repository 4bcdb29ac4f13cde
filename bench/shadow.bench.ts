/**
 * Shadow isolation: the same ONNX model deployed three times in one Steward process — without a shadow,
 * with a shadow that takes 50 ms per call, with a shadow that throws — loaded at 16 connections through
 * /predict, interleaved (A B C C B A). The goal: a slow or failing shadow changes the primary's
 * p50 latency by no more than 10%. Prints a table and one JSON line {"bench":"shadow","figures":{...}}.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { interleaved, type Target } from './serving.bench.js';
import { printTable } from './support.js';

const SECONDS = Math.max(1, Number(process.env.BENCH_SECONDS ?? 10));
const SERVER = fileURLToPath(new URL('./shadow-server.ts', import.meta.url));
const ROW = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, ((i * 37) % 19) / 10 - 0.9]));

export async function main(): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const { url, token } = await new Promise<{ url: string; token: string }>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as { url: string; token: string });
    });
    child.once('exit', (code) => reject(new Error(`shadow server exited with ${code}`)));
  });
  try {
    const target = (name: string): Target => ({
      url: `${url}/api/v1/deployments/${name}/predict`,
      body: JSON.stringify({ rows: [ROW] }),
      headers: { authorization: `Bearer ${token}` },
      pid: child.pid!,
    });
    const [plain, sleepy, throwing] = await interleaved(
      [
        { label: 'no shadow', target: target('plain'), connections: 16 },
        { label: 'shadow sleeping 50 ms per call', target: target('sleepy'), connections: 16 },
        { label: 'shadow that throws', target: target('throwing'), connections: 16 },
      ],
      SECONDS,
      (t) => process.stdout.write(`${t}\n`),
    );
    const metrics = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
    const count = (deployment: string, outcome: string) => {
      const line = metrics.split('\n').find((l) => l.startsWith('steward_shadow_requests_total{') && l.includes(`deployment="default/${deployment}"`) && l.includes(`outcome="${outcome}"`));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
    };
    const rows = [plain!, sleepy!, throwing!].map((m) => [m.label, Math.round(m.rps), m.p50.toFixed(2), m.p99.toFixed(2), m.non2xx + m.errors + m.timeouts]);
    printTable(`shadow isolation, 16 connections, /predict, ${SECONDS} s per case`, ['case', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx/errors'], rows);
    const figures = {
      shadow_sleep_p50_ratio: Number((sleepy!.p50 / plain!.p50).toFixed(3)),
      shadow_throw_p50_ratio: Number((throwing!.p50 / plain!.p50).toFixed(3)),
      shadow_sleep_rps_ratio: Number((sleepy!.rps / plain!.rps).toFixed(3)),
      shadow_sleep_ok: count('sleepy', 'ok'),
      shadow_sleep_dropped: count('sleepy', 'dropped'),
      shadow_throw_errors: count('throwing', 'error'),
      primary_errors: plain!.non2xx + sleepy!.non2xx + throwing!.non2xx + plain!.errors + sleepy!.errors + throwing!.errors,
    };
    process.stdout.write(`goal: p50 with a slow or failing shadow within 10% of none: sleeping ${figures.shadow_sleep_p50_ratio}, throwing ${figures.shadow_throw_p50_ratio}\n`);
    process.stdout.write(`${JSON.stringify({ bench: 'shadow', figures })}\n`);
  } finally {
    child.kill('SIGTERM');
  }
}
