/**
 * The tracking pages' charts: a metric over steps (one line per run) and parallel coordinates over runs
 * (one axis per param or metric, one line per run). Each comes with its numbers as a table.
 */
import { useMemo } from 'react';
import { formatNumber } from '../../lib/format';
import { Chart, type ChartOption } from '../../components/chart';
import { TableWrap } from '../../components/table';
import { escapeHtml } from '../explain/explain-data';
import { FIT_GRID, X_NAME } from '../explain/explain-figure';
import { formatPoint, seriesPoints, stepRows, type ParallelData } from './tracking-data';
import type { MetricPoint } from './types';

export interface StepSeries {
  id: string;
  name: string;
  points: MetricPoint[] | undefined;
}

/** The option of a line chart of one metric over steps, a line per series. */
export function stepLineOption(metric: string, series: StepSeries[], compact = false): ChartOption {
  const many = series.length > 1;
  const lines = series.map((s) => ({ name: s.name, data: seriesPoints(s.points) }));
  const longest = Math.max(0, ...lines.map((l) => l.data.length));
  return {
    grid: { left: 8, right: 16, top: many ? 36 : 12, bottom: compact ? 4 : 8, ...FIT_GRID },
    legend: many ? { top: 0, type: 'scroll', itemWidth: 14, itemHeight: 8 } : undefined,
    tooltip: {
      trigger: 'axis',
      formatter: (items: { seriesName: string; value: [number, number | null]; marker: string }[]) => {
        if (!Array.isArray(items) || items.length === 0) return '';
        const step = items[0]!.value[0];
        const rows = items.map((i) => `${i.marker}${escapeHtml(i.seriesName)}: ${i.value[1] === null ? 'NaN' : formatNumber(i.value[1])}`);
        return [`step ${formatNumber(step)}`, ...rows].join('<br/>');
      },
    },
    xAxis: { type: 'value', name: 'step', ...X_NAME, nameGap: 24, minInterval: 1, scale: true },
    yAxis: { type: 'value', name: compact ? undefined : metric, scale: true, splitNumber: compact ? 3 : 5 },
    series: lines.map((l) => ({
      type: 'line',
      name: l.name,
      data: l.data,
      showSymbol: longest <= 40,
      symbol: 'circle',
      symbolSize: 5,
      connectNulls: false,
      lineStyle: { width: 1.8 },
    })),
  };
}

/** The points of one metric over steps as a table: a row per step, a column per series. */
export function StepTable({ metric, series, testId }: { metric: string; series: StepSeries[]; testId: string }) {
  const histories = useMemo(() => Object.fromEntries(series.map((s) => [s.id, { [metric]: s.points ?? [] }])), [series, metric]);
  const rows = useMemo(() => stepRows(histories, series.map((s) => s.id), metric), [histories, series, metric]);
  return (
    <TableWrap>
      <table className="table table-compact" data-testid={testId}>
        <caption className="visually-hidden">
          {metric} at each step{series.length > 1 ? `, one column per run` : ''}
        </caption>
        <thead>
          <tr>
            <th scope="col" className="num">
              Step
            </th>
            {series.map((s) => (
              <th scope="col" key={s.id} className="num">
                {series.length > 1 ? s.name : metric}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.step}>
              <th scope="row" className="num">
                {formatNumber(r.step)}
              </th>
              {r.points.map((p, i) => (
                <td key={series[i]!.id} className="num">
                  {formatPoint(p)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

export function StepLineChart({ metric, series, label, testId, height = 280, compact = false }: { metric: string; series: StepSeries[]; label: string; testId: string; height?: number; compact?: boolean }) {
  const option = useMemo(() => stepLineOption(metric, series, compact), [metric, series, compact]);
  return <Chart option={option} label={label} testId={testId} height={height} />;
}

/** The option of a parallel-coordinates chart: a series per run (so the legend names the runs). */
export function parallelOption(data: ParallelData, names: string[]): ChartOption {
  // Axis names are centred over their axes: the outer ones need room for half their width.
  const room = (label: string | undefined) => Math.max(48, Math.ceil((label?.length ?? 0) * 3.6) + 12);
  return {
    legend: { top: 0, type: 'scroll', itemWidth: 14, itemHeight: 8, data: names },
    tooltip: {
      trigger: 'item',
      formatter: (p: { seriesName: string; value: (number | string | null)[] }) =>
        [`<strong>${escapeHtml(p.seriesName)}</strong>`, ...data.axes.map((a, i) => `${escapeHtml(a.label)}: ${escapeHtml(p.value[i] === null || p.value[i] === undefined ? '—' : typeof p.value[i] === 'number' ? formatNumber(p.value[i]) : String(p.value[i]))}`)].join('<br/>'),
    },
    parallel: { left: room(data.axes[0]?.label), right: Math.max(72, room(data.axes.at(-1)?.label)), top: 56, bottom: 28, parallelAxisDefault: { nameLocation: 'end', nameGap: 14, nameTextStyle: { fontSize: 12 }, axisLabel: { fontSize: 11 } } },
    parallelAxis: data.axes.map((a, dim) =>
      a.type === 'category' ? { dim, name: a.label, type: 'category', data: a.categories } : { dim, name: a.label, type: 'value', scale: true },
    ),
    series: data.rows.map((row, i) => ({
      type: 'parallel',
      name: names[i],
      data: [row],
      lineStyle: { width: 2.5, opacity: 0.85 },
      emphasis: { lineStyle: { width: 4, opacity: 1 } },
      smooth: false,
    })),
  };
}

export function ParallelChart({ data, names, label, testId, height = 360 }: { data: ParallelData; names: string[]; label: string; testId: string; height?: number }) {
  const option = useMemo(() => parallelOption(data, names), [data, names]);
  return <Chart option={option} label={label} testId={testId} height={height} />;
}
