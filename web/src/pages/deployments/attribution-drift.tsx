/**
 * Attribution drift: how much each feature drives the model (mean |SHAP|) on the current rows against the
 * reference rows, and the share of the attribution that moved, window by window (tree models).
 */
import { useMemo } from 'react';
import type { AttributionDrift, WindowSummary } from '../../api/types';
import { formatNumber, formatPercent } from '../../lib/format';
import { Chart, type ChartOption } from '../../components/chart';
import { Empty } from '../../components/ui';
import { TableWrap } from '../../components/table';
import { windowLabels } from './monitoring-data';

/** Features by the larger of their reference and current attribution, largest first. */
export function attributionRows(a: AttributionDrift): { feature: string; reference: number; current: number; change: number }[] {
  return Object.entries(a.features)
    .map(([feature, v]) => ({ feature, ...v }))
    .sort((x, y) => Math.max(y.reference, y.current) - Math.max(x.reference, x.current));
}

export function AttributionPanel({ attribution, note, windows }: { attribution: AttributionDrift | null; note?: string; windows: WindowSummary[] }) {
  const rows = useMemo(() => (attribution ? attributionRows(attribution).slice(0, 15) : []), [attribution]);
  const bars = useMemo<ChartOption>(
    () => ({
      grid: { left: 8, right: 16, top: 28, bottom: 24, containLabel: true },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v: unknown) => (typeof v === 'number' ? formatNumber(v) : '—') },
      legend: { top: 0, right: 0, itemWidth: 14, itemHeight: 8 },
      xAxis: { type: 'value', name: 'mean |SHAP|', nameLocation: 'middle', nameGap: 22 },
      yAxis: { type: 'category', inverse: true, data: rows.map((r) => r.feature) },
      series: [
        { type: 'bar', name: 'reference', data: rows.map((r) => r.reference), itemStyle: { color: '#9aa5b1' } },
        { type: 'bar', name: 'current', data: rows.map((r) => r.current), itemStyle: { color: '#2f6fdf' } },
      ],
    }),
    [rows],
  );
  const labels = useMemo(() => windowLabels(windows), [windows]);
  const line = useMemo<ChartOption>(
    () => ({
      grid: { left: 52, right: 12, top: 12, bottom: 24 },
      tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (typeof v === 'number' ? `${Number(v.toFixed(1))} %` : '—') },
      xAxis: { type: 'category', boundaryGap: false, data: labels, axisLabel: { hideOverlap: true } },
      yAxis: { type: 'value', min: 0, splitNumber: 3, axisLabel: { formatter: '{value} %' } },
      series: [{ type: 'line', name: 'attribution moved', showSymbol: windows.length < 60, symbolSize: 4, connectNulls: false, data: windows.map((w) => (w.attribution ? w.attribution.shift * 100 : null)), lineStyle: { width: 1.5 } }],
    }),
    [labels, windows],
  );
  if (!attribution) {
    return (
      <Empty title="No attribution drift in this range." testId="attribution-empty">
        <p>{note ? `The server says: ${note}.` : 'It needs a reference and predictions from a tree model.'}</p>
      </Empty>
    );
  }
  const hasWindows = windows.some((w) => w.attribution);
  return (
    <div className="charts" data-testid="attribution-drift">
      <figure className="chart-card">
        <figcaption>
          <span>What drives the model: reference vs current</span>
          <strong>{formatPercent(attribution.shift)} of the attribution moved</strong>
        </figcaption>
        <Chart option={bars} label="Mean absolute SHAP value per feature on the reference rows and on the current rows" testId="chart-attribution" height={Math.max(160, 28 + rows.length * 26)} />
        <TableWrap label="Attribution per feature">
          <table className="table table-compact" data-testid="attribution-table">
            <thead>
              <tr>
                <th scope="col">Feature</th>
                <th scope="col" className="num">Reference mean |SHAP|</th>
                <th scope="col" className="num">Current mean |SHAP|</th>
                <th scope="col" className="num">Change</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.feature}>
                  <th scope="row">{r.feature}</th>
                  <td className="num">{formatNumber(r.reference)}</td>
                  <td className="num">{formatNumber(r.current)}</td>
                  <td className="num">{r.change > 0 ? '+' : ''}{formatNumber(r.change)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
        <p className="muted">
          Over {formatNumber(attribution.rows.current)} current and {formatNumber(attribution.rows.reference)} reference rows, exact TreeSHAP.
        </p>
      </figure>
      {hasWindows && (
        <figure className="chart-card">
          <figcaption>
            <span>Attribution moved, by window</span>
          </figcaption>
          <Chart option={line} label="Share of the model's attribution that moved against the reference, per window, in percent" testId="chart-attribution-windows" />
        </figure>
      )}
    </div>
  );
}
