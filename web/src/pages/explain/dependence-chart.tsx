/** Dependence scatter: a feature's value against its SHAP value, coloured by a second feature (the one that seems to interact most, unless picked). */
import { useMemo, useState } from 'react';
import { formatNumber, plural } from '../../lib/format';
import { Chart, CHART_COLORS, type ChartOption } from '../../components/chart';
import { TableWrap } from '../../components/table';
import { dependenceBins, dependenceData, escapeHtml, formatValue, importanceFor, interactionFeature, spaceLabel, type Dependence } from './explain-data';
import { clampOutput, ExplainFigure, FeatureSelect, FIT_GRID, OutputSelect, X_NAME, Y_NAME } from './explain-figure';
import { HIGH_COLOR, LOW_COLOR, NO_COLOR } from './beeswarm-chart';
import type { ReportResult } from './types';

/** Categories of the colouring feature with a colour of their own; the others share grey. */
const MAX_COLOR_CATEGORIES = CHART_COLORS.length - 1;

type Point = [number, number, number | null, string, string];

function option(d: Dependence, yName: string): ChartOption {
  const toPoint = (p: Dependence['points'][number]): Point => [p.x, p.y, p.color, formatValue(p.value), formatValue(p.colorValue)];
  const series: unknown[] = [];
  let visualMap: unknown;
  let legend: unknown;
  if (d.colorKind === 'numeric') {
    series.push({ type: 'scatter', name: d.colorBy, symbolSize: 5, data: d.points.filter((p) => p.color !== null).map(toPoint), itemStyle: { opacity: 0.8 } });
    series.push({ type: 'scatter', name: `${d.colorBy ?? ''} missing`, symbolSize: 5, data: d.points.filter((p) => p.color === null).map(toPoint), itemStyle: { color: NO_COLOR, opacity: 0.8 } });
    visualMap = {
      type: 'continuous',
      seriesIndex: 0,
      dimension: 2,
      min: 0,
      max: 1,
      orient: 'vertical',
      right: 4,
      top: 'middle',
      itemHeight: 120,
      itemWidth: 10,
      calculable: false,
      text: [`${d.colorBy ?? ''} high`, 'low'],
      textGap: 6,
      inRange: { color: [LOW_COLOR, '#7b4fc8', HIGH_COLOR] },
    };
  } else if (d.colorKind === 'categorical') {
    const named = d.colorCategories.slice(0, MAX_COLOR_CATEGORIES);
    named.forEach((cat, i) =>
      series.push({ type: 'scatter', name: cat, symbolSize: 5, data: d.points.filter((p) => p.color === i).map(toPoint), itemStyle: { color: CHART_COLORS[i], opacity: 0.8 } }),
    );
    const rest = d.points.filter((p) => p.color === null || p.color >= named.length);
    if (rest.length > 0) series.push({ type: 'scatter', name: d.colorCategories.length > named.length ? 'other or missing' : 'missing', symbolSize: 5, data: rest.map(toPoint), itemStyle: { color: NO_COLOR, opacity: 0.8 } });
    legend = { top: 0, right: 0, itemWidth: 10, itemHeight: 10, type: 'plain' };
  } else {
    series.push({ type: 'scatter', name: d.feature, symbolSize: 5, data: d.points.map(toPoint), itemStyle: { color: CHART_COLORS[0], opacity: 0.8 } });
  }
  const categorical = d.kind === 'categorical';
  return {
    grid: { left: 8, right: d.colorKind === 'numeric' ? 110 : 16, top: legend ? 32 : 12, bottom: 4, ...FIT_GRID },
    legend,
    tooltip: {
      trigger: 'item',
      formatter: (p: { data?: Point }) => {
        const v = p.data;
        if (!v) return '';
        return `<strong>${escapeHtml(d.feature)}</strong> = ${escapeHtml(v[3])}<br/>SHAP value ${formatNumber(v[1])}${d.colorBy ? `<br/>${escapeHtml(d.colorBy)} = ${escapeHtml(v[4])}` : ''}`;
      },
    },
    // Categories: labels on a category axis, the spread points on a hidden value axis (category k at k).
    xAxis: categorical
      ? [
          { type: 'category', name: d.feature, ...X_NAME, data: d.categories, axisLabel: { hideOverlap: true } },
          { type: 'value', min: -0.5, max: d.categories.length - 0.5, show: false },
        ]
      : { type: 'value', name: d.feature, ...X_NAME, scale: true },
    // The y axis at the left edge, not through the first category or x = 0.
    yAxis: { type: 'value', name: yName, ...Y_NAME, scale: true, axisLine: { onZero: false } },
    visualMap,
    series: series.map((x) => ({ ...(x as object), xAxisIndex: categorical ? 1 : 0 })),
  };
}

export function DependencePlot({ result }: { result: ReportResult }) {
  const [picked, setOutput] = useState(0);
  const output = clampOutput(picked, result.outputs);
  const order = useMemo(() => importanceFor(result.importance, output).map((i) => i.feature).filter((f) => result.features.includes(f)), [result, output]);
  const [chosen, setFeature] = useState<string | null>(null);
  const feature = chosen !== null && result.features.includes(chosen) ? chosen : (order[0] ?? result.features[0] ?? null);
  // 'auto' follows the interaction heuristic; null colours nothing.
  const [colorChoice, setColorChoice] = useState<string | null | 'auto'>('auto');
  const auto = useMemo(() => (feature ? interactionFeature(result, output, feature) : null), [result, output, feature]);
  const colorBy = colorChoice === 'auto' ? auto : colorChoice !== null && colorChoice !== feature && result.features.includes(colorChoice) ? colorChoice : null;
  const d = useMemo(() => (feature ? dependenceData(result, output, feature, colorBy) : null), [result, output, feature, colorBy]);
  const outputName = result.outputs[output] ?? 'output';
  const chart = useMemo(() => (d ? option(d, `SHAP value of ${d.feature} (${spaceLabel(result.space, result.outputs)})`) : {}), [d, result.space, result.outputs]);
  const bins = useMemo(() => (d ? dependenceBins(d) : []), [d]);
  if (!feature || !d) return <p className="muted">The report has no features to plot.</p>;
  const lowest = bins.reduce((m, b) => (b.meanShap < m.meanShap ? b : m), bins[0] ?? { label: '', meanShap: 0 });
  const highest = bins.reduce((m, b) => (b.meanShap > m.meanShap ? b : m), bins[0] ?? { label: '', meanShap: 0 });
  return (
    <ExplainFigure
      title="Dependence plot"
      testId="dependence"
      className="explain-wide"
      controls={
        <>
          <FeatureSelect label="Feature" features={order} value={feature} onChange={(f) => setFeature(f)} testId="dependence-feature" />
          <label className="field field-compact">
            <span className="field-label">Colour by</span>
            <select
              value={colorChoice === 'auto' ? 'auto' : (colorChoice ?? '')}
              onChange={(e) => setColorChoice(e.target.value === 'auto' ? 'auto' : e.target.value === '' ? null : e.target.value)}
              data-testid="dependence-color"
            >
              <option value="auto">{auto ? `Strongest interaction (${auto})` : 'Strongest interaction'}</option>
              <option value="">No colour</option>
              {order
                .filter((f) => f !== feature)
                .map((f) => (
                  <option key={f} value={f}>
                    {f}
                  </option>
                ))}
            </select>
          </label>
          <OutputSelect outputs={result.outputs} value={output} onChange={(o) => setOutput(o ?? 0)} testId="dependence-output" />
        </>
      }
      summary={
        <>
          Each dot is a sample row: {d.feature}&apos;s value across, how much it moved {outputName} up. {plural(d.points.length, 'row')}
          {d.missing > 0 ? `; ${plural(d.missing, 'row')} without a value of ${d.feature} are left out` : ''}.
          {bins.length > 1 ? ` It lowers the output most at ${lowest.label} (${formatNumber(lowest.meanShap)} on average) and raises it most at ${highest.label} (${formatNumber(highest.meanShap)}).` : ''}
          {d.colorBy
            ? ` Coloured by ${d.colorBy}${colorChoice === 'auto' ? `, the feature whose values best explain the spread of ${d.feature}'s SHAP values at the same value` : ''}${d.colorKind === 'numeric' ? ' (blue low, red high, grey missing)' : ''}.`
            : ''}
        </>
      }
      table={() => (
        <TableWrap>
          <table className="table table-compact" data-testid="dependence-table">
            <caption className="visually-hidden">
              SHAP values of {d.feature} by {d.kind === 'categorical' ? 'category' : 'range of values'}
            </caption>
            <thead>
              <tr>
                <th scope="col">{d.feature}</th>
                <th scope="col" className="num">
                  Rows
                </th>
                <th scope="col" className="num">
                  Mean SHAP
                </th>
                <th scope="col" className="num">
                  Lowest
                </th>
                <th scope="col" className="num">
                  Highest
                </th>
              </tr>
            </thead>
            <tbody>
              {bins.map((b, i) => (
                <tr key={`${i}-${b.label}`}>
                  <th scope="row">{b.label}</th>
                  <td className="num">{b.rows.toLocaleString('en-US')}</td>
                  <td className="num">{formatNumber(b.meanShap)}</td>
                  <td className="num">{formatNumber(b.minShap)}</td>
                  <td className="num">{formatNumber(b.maxShap)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    >
      <Chart option={chart} label="Dependence plot" height={340} testId="chart-dependence" />
    </ExplainFigure>
  );
}
