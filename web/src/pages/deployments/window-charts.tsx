/** Data quality, failures, latency and drift share window by window, as line charts. */
import { useMemo } from 'react';
import type { WindowSummary } from '../../api/types';
import { formatPercent } from '../../lib/format';
import { Chart, type ChartOption } from '../../components/chart';
import { windowLabels } from './monitoring-data';

type Picker = (w: WindowSummary) => number | null;

function lineOption(labels: string[], windows: WindowSummary[], series: { name: string; pick: Picker }[], unit: string): ChartOption {
  return {
    grid: { left: 52, right: 12, top: series.length > 1 ? 28 : 12, bottom: 24 },
    tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (typeof v === 'number' ? `${Number(v.toFixed(3))} ${unit}`.trim() : '—') },
    legend: series.length > 1 ? { top: 0, right: 0, itemWidth: 14, itemHeight: 8 } : undefined,
    xAxis: { type: 'category', boundaryGap: false, data: labels, axisLabel: { hideOverlap: true } },
    yAxis: { type: 'value', min: 0, splitNumber: 3, axisLabel: { formatter: `{value} ${unit}`.trim() } },
    series: series.map((s) => ({ type: 'line', name: s.name, showSymbol: windows.length < 60, symbol: 'circle', symbolSize: 4, connectNulls: false, data: windows.map(s.pick), lineStyle: { width: 1.5 } })),
  };
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? null : v * 100);
const maxOf = (windows: WindowSummary[], pick: Picker) => windows.reduce<number | null>((m, w) => {
  const v = pick(w);
  return v === null ? m : m === null ? v : Math.max(m, v);
}, null);

export function WindowCharts({ windows }: { windows: WindowSummary[] }) {
  const labels = useMemo(() => windowLabels(windows), [windows]);
  const quality = useMemo(
    () =>
      lineOption(
        labels,
        windows,
        [
          { name: 'missing', pick: (w) => pct(w.quality.missingRate) },
          { name: 'out of range', pick: (w) => pct(w.quality.outOfRangeRate) },
          { name: 'unseen category', pick: (w) => pct(w.quality.unseenCategoryRate) },
          { name: 'rejected', pick: (w) => pct(w.quality.rejectedRate) },
        ],
        '%',
      ),
    [labels, windows],
  );
  const failures = useMemo(
    () =>
      lineOption(
        labels,
        windows,
        [
          { name: 'errors', pick: (w) => pct(w.operations.errorRate) },
          { name: 'drift share', pick: (w) => (w.drift ? w.drift.share * 100 : null) },
        ],
        '%',
      ),
    [labels, windows],
  );
  const latency = useMemo(
    () =>
      lineOption(
        labels,
        windows,
        [
          { name: 'p50', pick: (w) => w.operations.p50Ms },
          { name: 'p95', pick: (w) => w.operations.p95Ms },
          { name: 'p99', pick: (w) => w.operations.p99Ms },
        ],
        'ms',
      ),
    [labels, windows],
  );
  const worstOutOfRange = maxOf(windows, (w) => w.quality.outOfRangeRate);
  const worstError = maxOf(windows, (w) => w.operations.errorRate);
  const worstP99 = maxOf(windows, (w) => w.operations.p99Ms);
  return (
    <div className="charts" data-testid="window-charts">
      <figure className="chart-card">
        <figcaption>
          <span>Data quality</span>
          <strong>{worstOutOfRange === null ? '—' : `at most ${formatPercent(worstOutOfRange)} out of range`}</strong>
        </figcaption>
        <Chart option={quality} label="Share of missing values, values outside the reference's range, unseen categories and rejected requests per window, in percent" testId="chart-quality" />
      </figure>
      <figure className="chart-card">
        <figcaption>
          <span>Errors and drift share</span>
          <strong>{worstError === null ? '—' : `at most ${formatPercent(worstError)} errors`}</strong>
        </figcaption>
        <Chart option={failures} label="Share of failed requests and share of drifted features per window, in percent" testId="chart-window-errors" />
      </figure>
      <figure className="chart-card">
        <figcaption>
          <span>Latency</span>
          <strong>{worstP99 === null ? '—' : `p99 at most ${worstP99.toFixed(1)} ms`}</strong>
        </figcaption>
        <Chart option={latency} label="Latency percentiles p50, p95 and p99 per window, in milliseconds" testId="chart-window-latency" />
      </figure>
    </div>
  );
}
