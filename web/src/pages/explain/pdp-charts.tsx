/**
 * Partial dependence: for one feature, the average prediction as the feature moves over a grid with the
 * rest of each row kept (thick line), and each row's own curve (ICE, thin lines); categorical features as
 * bars and points. Two-way partial dependence as a heatmap.
 */
import { useMemo, useState } from 'react';
import { formatNumber, plural } from '../../lib/format';
import { Chart, type ChartOption } from '../../components/chart';
import { TableWrap } from '../../components/table';
import { escapeHtml, gridLabel, iceLines, pd2Cells, pdpRows, predictedLabel, shortLabel } from './explain-data';
import { clampOutput, ExplainFigure, FeatureSelect, FIT_GRID, OutputSelect, X_NAME, Y_NAME } from './explain-figure';
import type { PartialDependence, PartialDependence2d } from './types';

const AVERAGE_COLOR = '#d97706';
const ICE_COLOR = '#2563a8';
const AVERAGE_NAME = 'average (partial dependence)';
const ICE_NAME = 'individual rows (ICE)';

function lineOption(pd: PartialDependence, output: number, lines: number[][]): ChartOption {
  const yName = predictedLabel(pd.outputs[output]);
  const average = pd.average[output] ?? [];
  const categorical = pd.kind === 'categorical';
  const labels = pd.grid.map(gridLabel);
  const tooltip = {
    trigger: 'axis',
    formatter: (items: { dataIndex: number; seriesName: string }[]) => {
      const g = (items.find((i) => i.seriesName === AVERAGE_NAME) ?? items[0])?.dataIndex ?? 0;
      return `<strong>${escapeHtml(pd.feature)}</strong> = ${escapeHtml(labels[g] ?? '')}<br/>average ${formatNumber(average[g] ?? null)}`;
    },
  };
  const ice = categorical
    ? [{ type: 'scatter', name: ICE_NAME, symbolSize: 4, silent: true, data: lines.flatMap((line) => line.map((v, g) => [g, v])), itemStyle: { color: ICE_COLOR, opacity: 0.2 }, z: 3 }]
    : lines.map((line) => ({ type: 'line', name: ICE_NAME, silent: true, showSymbol: false, data: line.map((v, g) => [pd.grid[g], v]), lineStyle: { width: 1, color: ICE_COLOR, opacity: 0.15 }, itemStyle: { color: ICE_COLOR }, z: 1 }));
  return {
    grid: { left: 8, right: 16, top: 32, bottom: 4, ...FIT_GRID },
    legend: { top: 0, right: 0, itemWidth: 14, itemHeight: 8, data: [AVERAGE_NAME, ...(lines.length ? [ICE_NAME] : [])] },
    tooltip,
    xAxis: categorical
      ? { type: 'category', name: pd.feature, ...X_NAME, data: labels, axisLabel: { hideOverlap: true } }
      : { type: 'value', name: pd.feature, ...X_NAME, scale: true },
    yAxis: { type: 'value', name: yName, ...Y_NAME, scale: true },
    series: [
      ...ice,
      categorical
        ? { type: 'bar', name: AVERAGE_NAME, data: average, barMaxWidth: 40, itemStyle: { color: AVERAGE_COLOR, opacity: 0.85 }, z: 2 }
        : { type: 'line', name: AVERAGE_NAME, data: average.map((v, g) => [pd.grid[g], v]), showSymbol: pd.grid.length <= 30, symbolSize: 5, lineStyle: { width: 3.5, color: AVERAGE_COLOR }, itemStyle: { color: AVERAGE_COLOR }, z: 5 },
    ],
  };
}

export function PartialDependenceChart({ items }: { items: PartialDependence[] }) {
  const [chosen, setFeature] = useState<string | null>(null);
  const pd = items.find((p) => p.feature === chosen) ?? items[0];
  const [picked, setOutput] = useState(0);
  const output = clampOutput(picked, pd?.outputs ?? []);
  const ice = useMemo(() => (pd ? iceLines(pd, output) : { lines: [], total: 0 }), [pd, output]);
  const chart = useMemo(() => (pd ? lineOption(pd, output, ice.lines) : {}), [pd, output, ice]);
  const rows = useMemo(() => (pd ? pdpRows(pd, output) : []), [pd, output]);
  if (!pd) return null;
  const avg = pd.average[output] ?? [];
  let lo = 0;
  let hi = 0;
  avg.forEach((v, g) => {
    if (v < (avg[lo] ?? Infinity)) lo = g;
    if (v > (avg[hi] ?? -Infinity)) hi = g;
  });
  return (
    <ExplainFigure
      title="Partial dependence"
      testId="partial-dependence"
      className="explain-wide"
      controls={
        <>
          <FeatureSelect label="Feature" features={items.map((p) => p.feature)} value={pd.feature} onChange={(f) => setFeature(f)} testId="pdp-feature" />
          <OutputSelect outputs={pd.outputs} value={output} onChange={(o) => setOutput(o ?? 0)} testId="pdp-output" />
        </>
      }
      summary={
        <>
          The {pd.kind === 'categorical' ? 'bars show' : 'thick line shows'} the average prediction when every row&apos;s {pd.feature} is set to each value in turn, the rest of the row kept;{' '}
          {ice.lines.length > 0 ? `the ${pd.kind === 'categorical' ? 'dots' : 'thin lines'} are ${plural(ice.lines.length, 'row')}${ice.total > ice.lines.length ? ` of ${ice.total.toLocaleString('en-US')}` : ''} on their own (ICE). ` : 'no individual rows (ICE) were kept. '}
          {avg.length > 1 ? `Lowest at ${gridLabel(pd.grid[lo] ?? '')} (${formatNumber(avg[lo] ?? null)}), highest at ${gridLabel(pd.grid[hi] ?? '')} (${formatNumber(avg[hi] ?? null)}).` : ''}
        </>
      }
      table={() => (
        <TableWrap>
          <table className="table table-compact" data-testid="partial-dependence-table">
            <caption className="visually-hidden">Average prediction at each value of {pd.feature}, and the range over the individual rows</caption>
            <thead>
              <tr>
                <th scope="col">{pd.feature}</th>
                <th scope="col" className="num">
                  Average
                </th>
                <th scope="col" className="num">
                  Lowest row
                </th>
                <th scope="col" className="num">
                  Highest row
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r, g) => (
                <tr key={g}>
                  <th scope="row">{gridLabel(r.value)}</th>
                  <td className="num">{formatNumber(r.average)}</td>
                  <td className="num">{formatNumber(r.low)}</td>
                  <td className="num">{formatNumber(r.high)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    >
      <Chart option={chart} label="Partial dependence" height={320} testId="chart-partial-dependence" />
    </ExplainFigure>
  );
}

const pairName = (p: PartialDependence2d) => `${p.features[0]} × ${p.features[1]}`;

export function InteractionHeatmap({ items }: { items: PartialDependence2d[] }) {
  const [chosen, setPair] = useState(0);
  const pd = items[chosen] ?? items[0];
  const [picked, setOutput] = useState(0);
  const output = clampOutput(picked, pd?.outputs ?? []);
  const cells = useMemo(() => (pd ? pd2Cells(pd, output) : { cells: [], min: 0, max: 0 }), [pd, output]);
  const chart = useMemo<ChartOption>(() => {
    if (!pd) return {};
    const a = pd.grid[0].map(gridLabel);
    const b = pd.grid[1].map(gridLabel);
    const what = predictedLabel(pd.outputs[output]);
    return {
      grid: { left: 8, right: 16, top: 12, bottom: 40, ...FIT_GRID },
      tooltip: {
        position: 'top',
        formatter: (p: { data?: [number, number, number] }) => {
          const d = p.data;
          return d ? `${escapeHtml(pd.features[0])} = ${escapeHtml(a[d[0]] ?? '')}<br/>${escapeHtml(pd.features[1])} = ${escapeHtml(b[d[1]] ?? '')}<br/>${escapeHtml(what)} ${formatNumber(d[2])}` : '';
        },
      },
      xAxis: { type: 'category', name: pd.features[0], ...X_NAME, data: pd.grid[0].map(shortLabel), splitArea: { show: true }, axisLabel: { hideOverlap: true } },
      yAxis: { type: 'category', name: pd.features[1], ...Y_NAME, data: pd.grid[1].map(shortLabel), splitArea: { show: true }, axisLabel: { hideOverlap: true } },
      visualMap: {
        type: 'continuous',
        min: cells.min,
        max: cells.max === cells.min ? cells.min + 1 : cells.max,
        dimension: 2,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        itemHeight: 200,
        itemWidth: 10,
        calculable: false,
        text: [formatNumber(cells.max), `${what}  ${formatNumber(cells.min)}`],
        inRange: { color: ['#f7fbff', '#9ecae1', '#2563a8', '#08306b'] },
      },
      series: [{ type: 'heatmap', name: predictedLabel(pd.outputs[output]), data: cells.cells, emphasis: { itemStyle: { borderColor: '#1f2933', borderWidth: 1 } } }],
    };
  }, [pd, output, cells]);
  if (!pd) return null;
  const best = cells.cells.reduce<[number, number, number] | null>((m, c) => (m === null || c[2] > m[2] ? c : m), null);
  const worst = cells.cells.reduce<[number, number, number] | null>((m, c) => (m === null || c[2] < m[2] ? c : m), null);
  return (
    <ExplainFigure
      title="Interaction heatmap"
      testId="interaction-heatmap"
      controls={
        <>
          {items.length > 1 && (
            <label className="field field-compact">
              <span className="field-label">Features</span>
              <select value={chosen} onChange={(e) => setPair(Number(e.target.value))} data-testid="pd2-pair">
                {items.map((p, i) => (
                  <option key={pairName(p)} value={i}>
                    {pairName(p)}
                  </option>
                ))}
              </select>
            </label>
          )}
          <OutputSelect outputs={pd.outputs} value={output} onChange={(o) => setOutput(o ?? 0)} testId="pd2-output" />
        </>
      }
      summary={
        best && worst ? (
          <>
            The average {predictedLabel(pd.outputs[output])} with {pd.features[0]} and {pd.features[1]} both set, the rest of each row kept: highest ({formatNumber(best[2])}) at {pd.features[0]} ={' '}
            {shortLabel(pd.grid[0][best[0]] ?? '')} and {pd.features[1]} = {shortLabel(pd.grid[1][best[1]] ?? '')}, lowest ({formatNumber(worst[2])}) at {pd.features[0]} ={' '}
            {shortLabel(pd.grid[0][worst[0]] ?? '')} and {pd.features[1]} = {shortLabel(pd.grid[1][worst[1]] ?? '')}.
          </>
        ) : undefined
      }
      table={() => (
        <TableWrap>
          <table className="table table-compact" data-testid="interaction-heatmap-table">
            <caption className="visually-hidden">
              Average prediction for each value of {pd.features[0]} (rows) and {pd.features[1]} (columns)
            </caption>
            <thead>
              <tr>
                <th scope="col">
                  {pd.features[0]} \ {pd.features[1]}
                </th>
                {pd.grid[1].map((v, j) => (
                  <th key={j} scope="col" className="num">
                    {gridLabel(v)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {pd.grid[0].map((v, i) => (
                <tr key={i}>
                  <th scope="row">{gridLabel(v)}</th>
                  {pd.grid[1].map((_w, j) => (
                    <td key={j} className="num">
                      {formatNumber(pd.values[output]?.[i]?.[j] ?? null)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    >
      <Chart option={chart} label="Interaction heatmap" height={Math.max(260, 110 + 26 * pd.grid[1].length)} testId="chart-interaction-heatmap" />
    </ExplainFigure>
  );
}
