/**
 * Recent traffic per deployment, for live charts: one bucket per second for the last 15 minutes, each with
 * request, client-error and server-error counts and a latency histogram (log-spaced bounds), so that any
 * step and window can be summed and its percentiles read. Kept in memory by each server process.
 */

/** Latency bucket upper bounds in microseconds: 50 µs … ~13 s, 12 per decade-and-a-half (×1.25). */
const BOUNDS: number[] = [];
for (let b = 50; b < 15_000_000; b *= 1.25) BOUNDS.push(Math.round(b));
const NB = BOUNDS.length + 1;

export const TRAFFIC_SECONDS = 900;

class Ring {
  readonly second = new Float64Array(TRAFFIC_SECONDS).fill(-1);
  readonly ok = new Uint32Array(TRAFFIC_SECONDS);
  readonly clientErrors = new Uint32Array(TRAFFIC_SECONDS);
  readonly serverErrors = new Uint32Array(TRAFFIC_SECONDS);
  readonly rows = new Uint32Array(TRAFFIC_SECONDS);
  readonly latency = new Uint32Array(TRAFFIC_SECONDS * NB);

  slot(sec: number): number {
    const i = sec % TRAFFIC_SECONDS;
    if (this.second[i] !== sec) {
      this.second[i] = sec;
      this.ok[i] = 0;
      this.clientErrors[i] = 0;
      this.serverErrors[i] = 0;
      this.rows[i] = 0;
      this.latency.fill(0, i * NB, (i + 1) * NB);
    }
    return i;
  }
}

function bucketOf(micros: number): number {
  let lo = 0;
  let hi = BOUNDS.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (BOUNDS[mid]! < micros) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface TrafficPoint {
  /** Start of the step, epoch ms. */
  t: number;
  requests: number;
  rows: number;
  clientErrors: number;
  serverErrors: number;
  /** Requests per second over the step. */
  rps: number;
  /** Server errors / requests (null without requests). */
  errorRate: number | null;
  /** Latency percentiles in milliseconds (upper bound of the histogram bucket; null without successes). */
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export class TrafficStats {
  private readonly rings = new Map<string, Ring>();

  constructor(private readonly now: () => number = Date.now) {}

  private ring(key: string): Ring {
    let r = this.rings.get(key);
    if (!r) {
      r = new Ring();
      this.rings.set(key, r);
    }
    return r;
  }

  success(key: string, latencyMicros: number, rows: number): void {
    const r = this.ring(key);
    const i = r.slot(Math.floor(this.now() / 1000));
    r.ok[i]!++;
    r.rows[i]! += rows;
    r.latency[i * NB + bucketOf(latencyMicros)]!++;
  }

  failure(key: string, status: number): void {
    const r = this.ring(key);
    const i = r.slot(Math.floor(this.now() / 1000));
    if (status >= 500) r.serverErrors[i]!++;
    else r.clientErrors[i]!++;
  }

  forget(key: string): void {
    this.rings.delete(key);
  }

  /** The last `seconds` (at most 900) in steps of `step` seconds, oldest first; the current second is left out. */
  series(key: string, seconds: number, step: number): TrafficPoint[] {
    const r = this.rings.get(key);
    const end = Math.floor(this.now() / 1000); // exclusive: the current second is still filling
    const start = end - seconds;
    const points: TrafficPoint[] = [];
    const hist = new Float64Array(NB);
    for (let s0 = start; s0 < end; s0 += step) {
      let ok = 0;
      let rows = 0;
      let ce = 0;
      let se = 0;
      hist.fill(0);
      for (let sec = s0; sec < Math.min(s0 + step, end); sec++) {
        if (!r) break;
        const i = sec % TRAFFIC_SECONDS;
        if (r.second[i] !== sec) continue;
        ok += r.ok[i]!;
        rows += r.rows[i]!;
        ce += r.clientErrors[i]!;
        se += r.serverErrors[i]!;
        for (let b = 0; b < NB; b++) hist[b]! += r.latency[i * NB + b]!;
      }
      const requests = ok + ce + se;
      const pct = (q: number): number | null => {
        if (ok === 0) return null;
        const rank = Math.ceil(q * ok);
        let seen = 0;
        for (let b = 0; b < NB; b++) {
          seen += hist[b]!;
          if (seen >= rank) return (b < BOUNDS.length ? BOUNDS[b]! : BOUNDS[BOUNDS.length - 1]! * 1.25) / 1000;
        }
        return null;
      };
      const span = Math.min(s0 + step, end) - s0;
      points.push({ t: s0 * 1000, requests, rows, clientErrors: ce, serverErrors: se, rps: requests / span, errorRate: requests === 0 ? null : se / requests, p50: pct(0.5), p95: pct(0.95), p99: pct(0.99) });
    }
    return points;
  }
}
