/**
 * The beeswarm summary: one row per important feature, each sample row a dot placed at its SHAP value,
 * spread vertically by density and coloured by the feature's value (blue low, red high, grey for text and
 * missing values), as SHAP's summary plot.
 */
import { useMemo, useState } from 'react';
import { formatNumber, plural } from '../../lib/format';
import { Chart, type ChartOption } from '../../components/chart';
import { TableWrap } from '../../components/table';
import { beeswarmLayout, beeswarmTrend, escapeHtml, formatValue, outputInSpace, type BeeswarmRow } from './explain-data';
import { clampOutput, ExplainFigure, FIT_GRID, OutputSelect, X_NAME } from './explain-figure';
import type { ReportResult } from './types';

export const LOW_COLOR = '#008bfb';
export const HIGH_COLOR = '#ff0052';
export const NO_COLOR = '#a3acb9';

const TOP_CHOICES = [10, 12, 15];

type Tip = { data?: [number, number, number | null, string, string] };

function option(rows: BeeswarmRow[], axisName: string): ChartOption {
  const scaled: [number, number, number, string, string][] = [];
  const grey: [number, number, null, string, string][] = [];
  for (const row of rows) {
    for (const p of row.points) {
      if (p.color === null) grey.push([p.x, p.y, null, row.feature, formatValue(p.value)]);
      else scaled.push([p.x, p.y, p.color, row.feature, formatValue(p.value)]);
    }
  }
  const tooltip = (p: Tip) => {
    const d = p.data;
    return d ? `<strong>${escapeHtml(d[3])}</strong> = ${escapeHtml(d[4])}<br/>SHAP value ${formatNumber(d[0])}` : '';
  };
  return {
    grid: { left: 8, right: 96, top: 12, bottom: 4, ...FIT_GRID },
    tooltip: { trigger: 'item', formatter: tooltip },
    // The axis line at the bottom: the hidden value axis's zero is the first row, not the origin.
    xAxis: { type: 'value', name: axisName, ...X_NAME, splitLine: { show: true }, axisLine: { onZero: false } },
    // Labels on a category axis; the points on a hidden value axis over the same rows (row k at k).
    yAxis: [
      { type: 'category', inverse: true, data: rows.map((r) => r.feature), axisTick: { show: false }, axisLabel: { width: 160, overflow: 'truncate' } },
      { type: 'value', inverse: true, min: -0.5, max: rows.length - 0.5, show: false },
    ],
    visualMap: {
      type: 'continuous',
      seriesIndex: 0,
      dimension: 2,
      min: 0,
      max: 1,
      orient: 'vertical',
      right: 4,
      top: 'middle',
      itemHeight: 140,
      itemWidth: 10,
      calculable: false,
      text: ['high', 'low'],
      textGap: 6,
      inRange: { color: [LOW_COLOR, '#7b4fc8', HIGH_COLOR] },
    },
    series: [
      { type: 'scatter', name: 'feature value', yAxisIndex: 1, symbolSize: 4, data: scaled, itemStyle: { opacity: 0.8 } },
      { type: 'scatter', name: 'text or missing value', yAxisIndex: 1, symbolSize: 4, data: grey, itemStyle: { color: NO_COLOR, opacity: 0.8 } },
    ],
  };
}

export function Beeswarm({ result }: { result: ReportResult }) {
  const [picked, setOutput] = useState(0);
  const output = clampOutput(picked, result.outputs);
  const [top, setTop] = useState(12);
  const layout = useMemo(() => beeswarmLayout(result, output, top), [result, output, top]);
  const outputName = result.outputs[output] ?? 'output';
  const chart = useMemo(() => option(layout.rows, `SHAP value: impact on ${outputInSpace(outputName, result.space)}`), [layout, outputName, result.space]);
  const trends = useMemo(() => layout.rows.map((r) => ({ row: r, ...beeswarmTrend(r) })), [layout]);
  if (layout.rows.length === 0 || layout.sampled === 0) return <p className="muted">The report kept no sample rows to draw a beeswarm summary from.</p>;
  const firstTrend = trends.find((t) => t.trend.startsWith('higher'));
  return (
    <ExplainFigure
      title="Beeswarm summary"
      testId="beeswarm"
      className="explain-wide"
      controls={
        <>
          <OutputSelect outputs={result.outputs} value={output} onChange={(o) => setOutput(o ?? 0)} testId="beeswarm-output" />
          {result.features.length > TOP_CHOICES[0]! && (
            <label className="field field-compact">
              <span className="field-label">Features</span>
              <select value={top} onChange={(e) => setTop(Number(e.target.value))} data-testid="beeswarm-top">
                {TOP_CHOICES.map((n) => (
                  <option key={n} value={n}>
                    {n} most important
                  </option>
                ))}
              </select>
            </label>
          )}
        </>
      }
      summary={
        <>
          Each dot is one of {plural(layout.sampled, 'sample row')}
          {layout.sampled < layout.total ? ` (evenly picked from ${layout.total.toLocaleString('en-US')})` : ''}: left or right by how much the feature moved {outputName} for that row, coloured by the
          feature&apos;s value from <span className="swatch" style={{ background: LOW_COLOR }} aria-hidden="true" /> low to <span className="swatch" style={{ background: HIGH_COLOR }} aria-hidden="true" /> high (
          <span className="swatch" style={{ background: NO_COLOR }} aria-hidden="true" /> grey: text or missing). Features are in order of importance.
          {firstTrend ? ` For ${firstTrend.row.feature}, ${firstTrend.trend}.` : ''}
        </>
      }
      table={() => (
        <TableWrap>
          <table className="table table-compact" data-testid="beeswarm-table">
            <caption className="visually-hidden">SHAP values per feature over the sample rows</caption>
            <thead>
              <tr>
                <th scope="col">Feature</th>
                <th scope="col" className="num">
                  Mean |SHAP|
                </th>
                <th scope="col" className="num">
                  Lowest SHAP
                </th>
                <th scope="col" className="num">
                  Highest SHAP
                </th>
                <th scope="col">Direction</th>
              </tr>
            </thead>
            <tbody>
              {trends.map((t) => (
                <tr key={t.row.feature}>
                  <th scope="row">{t.row.feature}</th>
                  <td className="num">{formatNumber(t.row.meanAbs)}</td>
                  <td className="num">{formatNumber(t.min)}</td>
                  <td className="num">{formatNumber(t.max)}</td>
                  <td>{t.trend}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    >
      <Chart option={chart} label="Beeswarm summary" height={72 + 36 * layout.rows.length} testId="chart-beeswarm" />
    </ExplainFigure>
  );
}
