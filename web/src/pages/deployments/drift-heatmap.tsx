/** Feature × window drift: each cell places the window's test against its threshold (severity, 1 = threshold); drifted cells carry a mark. */
import { useMemo } from 'react';
import type { WindowSummary } from '../../api/types';
import { formatNumber, plural } from '../../lib/format';
import { Chart, type ChartOption } from '../../components/chart';
import { Empty } from '../../components/ui';
import { HEAT_MAX, heatmapOf, type HeatCell } from './monitoring-data';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function describeCell(c: HeatCell, feature: string, window: string): string {
  const head = `<strong>${escapeHtml(feature)}</strong> · window ${escapeHtml(window)}`;
  if (c.test === null && c.statistic === null) return `${head}<br/>not tested`;
  if (c.statistic === null) return `${head}<br/>${c.test ?? ''}: no current value`;
  const verdict = c.drifted ? '<strong>drifted</strong>' : 'no drift';
  const level = c.ratio === null ? '' : `, severity ${Number.isFinite(c.ratio) ? c.ratio.toFixed(2) : '∞'}`;
  if (c.pValue !== null) {
    return `${head}<br/>${c.test ?? 'test'} ${formatNumber(c.statistic)}, ${c.adjusted ? 'adjusted ' : ''}p-value ${formatNumber(c.pValue)} (threshold ${formatNumber(c.threshold)}${level})<br/>${verdict}`;
  }
  return `${head}<br/>${c.test ?? 'test'} ${formatNumber(c.statistic)} (threshold ${formatNumber(c.threshold)}${level})<br/>${verdict}`;
}

export function DriftHeatmap({ windows, order }: { windows: WindowSummary[]; order: string[] }) {
  const map = useMemo(() => heatmapOf(windows, order), [windows, order]);
  const option = useMemo<ChartOption>(
    () => ({
      grid: { left: 110, right: 16, top: 8, bottom: 64 },
      tooltip: {
        position: 'top',
        formatter: (p: { data?: { cell?: HeatCell } }) => {
          const c = p.data?.cell;
          return c ? describeCell(c, map.rows[c.y] ?? '', map.windows[c.x] ?? '') : '';
        },
      },
      xAxis: { type: 'category', data: map.windows, splitArea: { show: true }, axisLabel: { hideOverlap: true } },
      yAxis: { type: 'category', data: map.rows, inverse: true, splitArea: { show: true } },
      visualMap: {
        type: 'continuous',
        min: 0,
        max: HEAT_MAX,
        dimension: 2,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        itemHeight: 160,
        itemWidth: 10,
        text: [`severity ${HEAT_MAX} or more`, '0'],
        inRange: { color: ['#e6f4ea', '#fdf3e1', '#f59e0b', '#a4231b'] },
      },
      series: [
        {
          type: 'heatmap',
          name: 'drift',
          data: map.cells.map((c) => ({
            value: [c.x, c.y, c.value ?? '-'],
            cell: c,
            ...(c.drifted ? { itemStyle: { borderColor: '#1f2933', borderWidth: 2 } } : {}),
          })),
          label: { show: true, fontSize: 11, color: '#1f2933', formatter: (p: { data?: { cell?: HeatCell } }) => (p.data?.cell?.drifted ? '▲' : '') },
          emphasis: { itemStyle: { borderColor: '#1d4e89', borderWidth: 2 } },
        },
      ],
    }),
    [map],
  );
  if (windows.length === 0) {
    return (
      <Empty title="No windows yet." testId="drift-heatmap-empty">
        <p>Predictions are folded into windows every few seconds; the size of a window is set in the monitoring settings below.</p>
      </Empty>
    );
  }
  if (map.rows.length === 0) {
    return (
      <Empty title="No drift to show over time." testId="drift-heatmap-empty">
        <p>The windows were not compared with a reference: set one for the model version (see the note above).</p>
      </Empty>
    );
  }
  const driftedWindows = windows.filter((w) => w.drift?.datasetDrift).length;
  return (
    <figure className="chart-card heatmap-card">
      <Chart
        option={option}
        height={96 + 30 * map.rows.length}
        testId="drift-heatmap"
        label={`Drift of ${plural(map.rows.length, 'column')} over ${plural(windows.length, 'window')}: ${plural(map.drifted, 'drifted cell')}, dataset drift in ${plural(driftedWindows, 'window')}`}
      />
      <figcaption className="muted small">
        Each cell is a drift test in one window, placed against its threshold: a distance over its threshold, or −log10 of the p-value over −log10 of the threshold, so 1 is the threshold
        either way. ▲ and a dark border mark a drift. {plural(map.drifted, 'drifted cell')} in{' '}
        {plural(windows.length, 'window')}; dataset drift in {plural(driftedWindows, 'window')}.
      </figcaption>
    </figure>
  );
}
