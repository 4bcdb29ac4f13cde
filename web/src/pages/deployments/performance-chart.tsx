/** The task's main metrics window by window, from the labels sent for the windows' predictions. */
import { useMemo } from 'react';
import type { Task, WindowSummary } from '../../api/types';
import { buildUrl } from '../../api/client';
import { formatNumber, plural } from '../../lib/format';
import { Chart, type ChartOption } from '../../components/chart';
import { Empty } from '../../components/ui';
import { METRIC_LABELS, performanceChart, type PerformanceChart as Series } from './monitoring-data';

const TASK_NAMES: Record<Task, string> = { binary: 'Binary classification', multiclass: 'Multiclass classification', regression: 'Regression' };

function chartOption(p: Series): ChartOption {
  const twoAxes = p.series.some((s) => s.axis === 0) && p.series.some((s) => s.axis === 1);
  const onlyErrors = p.series.every((s) => s.axis === 1);
  return {
    grid: { left: 52, right: twoAxes ? 52 : 12, top: 28, bottom: 24 },
    tooltip: {
      trigger: 'axis',
      formatter: (items: { dataIndex: number; marker: string; seriesName: string; value: unknown }[]) => {
        const i = items[0]?.dataIndex ?? 0;
        const lines = items.map((it) => `${it.marker}${it.seriesName} ${typeof it.value === 'number' ? formatNumber(it.value) : '—'}`);
        return [`window ${p.windows[i] ?? ''} · ${plural(p.labeled[i] ?? 0, 'label')}`, ...lines].join('<br/>');
      },
    },
    legend: { top: 0, right: 0, itemWidth: 14, itemHeight: 8 },
    xAxis: { type: 'category', boundaryGap: p.windows.length === 1, data: p.windows, axisLabel: { hideOverlap: true } },
    yAxis: [
      // Scores (accuracy, F1, ROC AUC, R²) are at most 1; losses and errors are on their own scale.
      onlyErrors ? { type: 'value', min: 0, splitNumber: 3 } : { type: 'value', max: 1, scale: true, splitNumber: 3 },
      ...(twoAxes ? [{ type: 'value', min: 0, splitNumber: 3, splitLine: { show: false } }] : []),
    ],
    series: p.series.map((s) => ({
      type: 'line',
      name: METRIC_LABELS[s.metric],
      yAxisIndex: twoAxes ? s.axis : 0,
      showSymbol: p.windows.length < 60,
      symbol: 'circle',
      symbolSize: 4,
      connectNulls: false,
      data: s.values,
      lineStyle: { width: 1.5, ...(s.axis === 1 && twoAxes ? { type: 'dashed' } : {}) },
    })),
  };
}

export function PerformanceChart({ windows, deployment }: { windows: WindowSummary[]; deployment: string }) {
  const p = useMemo(() => performanceChart(windows), [windows]);
  const option = useMemo(() => chartOption(p), [p]);
  if (p.windows.length === 0 || p.series.length === 0) {
    return (
      <Empty title="No labels for these windows." testId="performance-chart-empty">
        <p>
          Performance needs the true outcome of served predictions: POST <code>[{'{"predictionId", "label"}'}]</code> to <code>{buildUrl('/api/v1/deployments/{name}/labels', { name: deployment })}</code>, with the
          ids from the <code>x-prediction-id</code> header or the answer&apos;s <code>predictionIds</code>. Labels may come any time later.
        </p>
      </Empty>
    );
  }
  const total = p.labeled.reduce((a, n) => a + n, 0);
  const last = p.series.map((s) => `${METRIC_LABELS[s.metric]} ${formatNumber(s.values[s.values.length - 1] ?? null)}`).join(', ');
  return (
    <figure className="chart-card" data-testid="performance-over-windows">
      <figcaption>
        <span>
          {p.task ? TASK_NAMES[p.task] : 'Metrics'} in {plural(p.windows.length, 'window')} with labels
        </span>
        <strong data-testid="performance-latest">latest: {last}</strong>
      </figcaption>
      <Chart
        option={option}
        height={220}
        testId="chart-window-performance"
        label={`${p.series.map((s) => METRIC_LABELS[s.metric]).join(', ')} per window, over ${plural(p.windows.length, 'window')} with ${plural(total, 'labeled prediction')}; latest ${last}`}
      />
      <p className="muted small">
        From {plural(total, 'labeled prediction')}; windows without labels are left out
        {p.otherTask > 0 ? `, as are ${plural(p.otherTask, 'window')} whose labels were judged as another task` : ''}.
        {p.series.some((s) => s.axis === 1) && p.series.some((s) => s.axis === 0) ? ' Losses and errors (dashed) are on the right axis.' : ''}
      </p>
    </figure>
  );
}
