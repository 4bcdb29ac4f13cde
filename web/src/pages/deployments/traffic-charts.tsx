/**
 * Live traffic of a deployment: GET …/traffic?seconds=300&step=5, polled every 3 s, drawn as requests/s,
 * error rate and latency percentiles, each with a text summary of the last 30 seconds.
 */
import { useMemo } from 'react';
import { api } from '../../api/client';
import type { TrafficPoint } from '../../api/types';
import { useSession } from '../../lib/session';
import { useApi } from '../../lib/use-api';
import { Chart, type ChartOption } from '../../components/chart';
import { ErrorNote } from '../../components/ui';

export const TRAFFIC_POLL_MS = 3000;
const WINDOW_SECONDS = 300;
const STEP_SECONDS = 5;
const SUMMARY_SECONDS = 30;

function clock(t: number): string {
  const d = new Date(t);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function lineOption(points: TrafficPoint[], series: { name: string; pick: (p: TrafficPoint) => number | null }[], unit: string, max?: number): ChartOption {
  return {
    grid: { left: 48, right: 12, top: series.length > 1 ? 28 : 12, bottom: 24 },
    tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (typeof v === 'number' ? `${Number(v.toFixed(2))} ${unit}` : '—') },
    legend: series.length > 1 ? { top: 0, right: 0, itemWidth: 14, itemHeight: 8 } : undefined,
    xAxis: { type: 'category', boundaryGap: false, data: points.map((p) => clock(p.t)), axisLabel: { interval: 11 } },
    yAxis: { type: 'value', min: 0, ...(max !== undefined ? { max } : {}), splitNumber: 3, axisLabel: { formatter: `{value} ${unit}`.trim() } },
    series: series.map((s) => ({ type: 'line', name: s.name, showSymbol: true, symbol: 'circle', symbolSize: 3, connectNulls: false, data: points.map(s.pick), lineStyle: { width: 1.5 } })),
  };
}

export interface TrafficSummary {
  rps: number;
  /** Server errors (5xx) / requests, as the API's errorRate. */
  errorRate: number | null;
  /** Requests refused as invalid (4xx) / requests. */
  refusedRate: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** The last 30 s: mean requests/s and error rate; latency of the newest step that had requests. */
export function summarize(points: TrafficPoint[]): TrafficSummary {
  const recent = points.slice(-Math.round(SUMMARY_SECONDS / STEP_SECONDS));
  const seconds = recent.length * STEP_SECONDS;
  const requests = recent.reduce((a, p) => a + p.requests, 0);
  const serverErrors = recent.reduce((a, p) => a + p.serverErrors, 0);
  const refused = recent.reduce((a, p) => a + p.clientErrors, 0);
  const last = [...recent].reverse().find((p) => p.p50 !== null);
  return { rps: seconds ? requests / seconds : 0, errorRate: requests ? serverErrors / requests : null, refusedRate: requests ? refused / requests : null, p50: last?.p50 ?? null, p95: last?.p95 ?? null, p99: last?.p99 ?? null };
}

const ms = (v: number | null) => (v === null ? '—' : `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`);

export function TrafficCharts({ name }: { name: string }) {
  const { project } = useSession();
  const traffic = useApi((signal) => api.get('/api/v1/deployments/{name}/traffic', { path: { name }, query: { project, seconds: WINDOW_SECONDS, step: STEP_SECONDS }, signal }), [project, name], {
    pollMs: TRAFFIC_POLL_MS,
  });
  const points = useMemo(() => traffic.data?.points ?? [], [traffic.data]);
  const s = summarize(points);
  const rps = useMemo(() => lineOption(points, [{ name: 'requests/s', pick: (p) => p.rps }], 'req/s'), [points]);
  const errors = useMemo(
    () =>
      lineOption(
        points,
        [
          { name: 'server errors', pick: (p) => (p.errorRate === null ? null : p.errorRate * 100) },
          { name: 'refused (4xx)', pick: (p) => (p.requests === 0 ? null : (p.clientErrors / p.requests) * 100) },
        ],
        '%',
      ),
    [points],
  );
  const latency = useMemo(
    () =>
      lineOption(
        points,
        [
          { name: 'p50', pick: (p) => p.p50 },
          { name: 'p95', pick: (p) => p.p95 },
          { name: 'p99', pick: (p) => p.p99 },
        ],
        'ms',
      ),
    [points],
  );
  const quiet = traffic.data !== undefined && points.every((p) => p.requests === 0);

  return (
    <div data-testid="traffic" aria-busy={traffic.data === undefined}>
      <ErrorNote error={traffic.error} context="Could not load the traffic" />
      <p className="muted small">
        The last 5 minutes on this server, in 5-second steps; updated every {TRAFFIC_POLL_MS / 1000} s. Summaries cover the last {SUMMARY_SECONDS} s.
        {quiet ? ' No requests yet: send one with “Try it” below.' : ''}
      </p>
      <div className="charts">
        <figure className="chart-card">
          <figcaption>
            <span>Requests</span>
            <strong data-testid="summary-rps" aria-live="off">
              {s.rps.toFixed(1)} req/s
            </strong>
          </figcaption>
          <Chart option={rps} label={`Requests per second over the last 5 minutes; ${s.rps.toFixed(1)} per second over the last 30 s`} testId="chart-rps" />
        </figure>
        <figure className="chart-card">
          <figcaption>
            <span>Errors</span>
            <strong data-testid="summary-errors">{s.errorRate === null ? 'no requests' : `${(s.errorRate * 100).toFixed(1)}% errors`}</strong>
            {s.refusedRate !== null && s.refusedRate > 0 && <span data-testid="summary-refused">{(s.refusedRate * 100).toFixed(1)}% refused as invalid</span>}
          </figcaption>
          <Chart option={errors} label="Share of requests that failed on the server (5xx) and that were refused as invalid (4xx), in percent, over the last 5 minutes" testId="chart-errors" />
        </figure>
        <figure className="chart-card">
          <figcaption>
            <span>Latency</span>
            <strong data-testid="summary-latency">{s.p50 === null ? 'no requests' : `p50 ${ms(s.p50)} · p95 ${ms(s.p95)} · p99 ${ms(s.p99)}`}</strong>
          </figcaption>
          <Chart option={latency} label="Latency percentiles p50, p95 and p99 in milliseconds over the last 5 minutes" testId="chart-latency" />
        </figure>
      </div>
    </div>
  );
}
