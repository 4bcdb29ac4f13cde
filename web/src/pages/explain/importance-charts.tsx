/** Global importance (mean |SHAP| per feature) and permutation importance with ±std error bars, as horizontal bars. */
import { useMemo, useState } from 'react';
import type { CustomSeriesRenderItemAPI, CustomSeriesRenderItemParams, CustomSeriesRenderItemReturn } from 'echarts';
import { formatNumber } from '../../lib/format';
import { Chart, type ChartOption } from '../../components/chart';
import { TableWrap } from '../../components/table';
import { escapeHtml, importanceFor, metricLabel, permutationChange, permutationRows, spaceLabel } from './explain-data';
import { ExplainFigure, FIT_GRID, OutputSelect, X_NAME } from './explain-figure';
import type { PermutationImportance, ReportResult } from './types';

/** Bars drawn; the table lists every feature. */
const MAX_BARS = 20;
const barsHeight = (n: number) => 56 + 24 * n;

export function GlobalImportance({ result }: { result: ReportResult }) {
  const several = result.outputs.length > 1;
  const [output, setOutput] = useState<number | null>(null);
  const rows = useMemo(() => importanceFor(result.importance, output), [result.importance, output]);
  const shown = rows.slice(0, MAX_BARS);
  const what = output === null ? (several ? 'all outputs' : (result.outputs[0] ?? 'the output')) : (result.outputs[output] ?? '');
  const option = useMemo<ChartOption>(
    () => ({
      grid: { left: 8, right: 56, top: 8, bottom: 4, ...FIT_GRID },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v: unknown) => (typeof v === 'number' ? formatNumber(v) : '—') },
      xAxis: { type: 'value', name: `mean |SHAP value| (${spaceLabel(result.space, result.outputs)})`, ...X_NAME, min: 0 },
      yAxis: { type: 'category', inverse: true, data: shown.map((r) => r.feature), axisLabel: { width: 160, overflow: 'truncate' } },
      series: [{ type: 'bar', name: 'mean |SHAP value|', data: shown.map((r) => r.value), barMaxWidth: 18, label: { show: true, position: 'right', fontSize: 11, formatter: (p: { value: number }) => formatNumber(p.value) } }],
    }),
    [shown, result.space, result.outputs],
  );
  if (rows.length === 0) return <p className="muted">The report has no features to rank.</p>;
  const [first, second, third] = rows;
  return (
    <ExplainFigure
      title="Global importance"
      testId="global-importance"
      controls={several && <OutputSelect outputs={result.outputs} value={output} onChange={setOutput} all="All outputs together" testId="importance-output" />}
      summary={
        <>
          How much each feature moves {what} on average (the mean absolute SHAP value over the explained rows). <strong>{first!.feature}</strong> matters most ({formatNumber(first!.value)})
          {second ? `, then ${second.feature} (${formatNumber(second.value)})` : ''}
          {third ? ` and ${third.feature} (${formatNumber(third.value)})` : ''}.{rows.length > MAX_BARS ? ` The chart shows the ${MAX_BARS} largest of ${rows.length} features; the table has them all.` : ''}
        </>
      }
      table={() => (
        <TableWrap>
          <table className="table table-compact" data-testid="global-importance-table">
            <caption className="visually-hidden">Mean absolute SHAP value per feature, largest first</caption>
            <thead>
              <tr>
                <th scope="col">Feature</th>
                <th scope="col" className="num">
                  Mean |SHAP| ({what})
                </th>
                {several && output === null && result.outputs.map((o) => (
                  <th key={o} scope="col" className="num">
                    {o}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.feature}>
                  <th scope="row">{r.feature}</th>
                  <td className="num">{formatNumber(r.value)}</td>
                  {several && output === null && result.outputs.map((o, k) => (
                    <td key={o} className="num">
                      {formatNumber(result.importance.find((i) => i.feature === r.feature)?.perOutput[k] ?? null)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    >
      <Chart option={option} label="Global importance" height={barsHeight(shown.length)} testId="chart-global-importance" />
    </ExplainFigure>
  );
}

/** A horizontal error bar: data [category, low, high]. */
function errorBar(_params: CustomSeriesRenderItemParams, api: CustomSeriesRenderItemAPI): CustomSeriesRenderItemReturn {
  const y = api.value(0) as number;
  const a = api.coord([api.value(1) as number, y]);
  const b = api.coord([api.value(2) as number, y]);
  const size = api.size?.([0, 1]);
  const h = (Array.isArray(size) ? (size[1] ?? 20) : 20) * 0.22;
  const style = { stroke: '#1f2933', lineWidth: 1.2 };
  return {
    type: 'group',
    children: [
      { type: 'line', shape: { x1: a[0]!, y1: a[1]!, x2: b[0]!, y2: b[1]! }, style },
      { type: 'line', shape: { x1: a[0]!, y1: a[1]! - h, x2: a[0]!, y2: a[1]! + h }, style },
      { type: 'line', shape: { x1: b[0]!, y1: b[1]! - h, x2: b[0]!, y2: b[1]! + h }, style },
    ],
  };
}

export function PermutationImportanceChart({ permutation }: { permutation: PermutationImportance }) {
  const rows = useMemo(() => permutationRows(permutation), [permutation]);
  const shown = rows.slice(0, MAX_BARS);
  const option = useMemo<ChartOption>(
    () => ({
      grid: { left: 8, right: 24, top: 8, bottom: 4, ...FIT_GRID },
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        formatter: (items: { dataIndex: number }[]) => {
          const r = shown[items[0]?.dataIndex ?? 0];
          return r ? `<strong>${escapeHtml(r.feature)}</strong><br/>${formatNumber(r.mean)} ± ${formatNumber(r.std)}` : '';
        },
      },
      xAxis: { type: 'value', name: `${permutationChange(permutation.metric)} when shuffled`, ...X_NAME },
      yAxis: { type: 'category', inverse: true, data: shown.map((r) => r.feature), axisLabel: { width: 160, overflow: 'truncate' } },
      series: [
        { type: 'bar', name: 'mean', data: shown.map((r) => r.mean), barMaxWidth: 18, itemStyle: { color: '#0f766e' } },
        { type: 'custom', name: '± one standard deviation', renderItem: errorBar, encode: { x: [1, 2], y: 0 }, data: shown.map((r, i) => [i, r.low, r.high]), z: 10, silent: true },
      ],
    }),
    [shown, permutation.metric],
  );
  if (rows.length === 0) return <p className="muted">The report measured no permutation importance.</p>;
  const noise = rows.filter((r) => r.low <= 0).length;
  return (
    <ExplainFigure
      title="Permutation importance"
      testId="permutation-importance"
      summary={
        <>
          How much worse {metricLabel(permutation.metric)} gets when a feature&apos;s values are shuffled among the rows (the {permutationChange(permutation.metric)}; baseline {formatNumber(permutation.baseline)},{' '}
          {permutation.repeats} shuffles per feature); the error bars span ± one standard deviation. <strong>{rows[0]!.feature}</strong> matters most ({formatNumber(rows[0]!.mean)}).
          {noise > 0 ? ` ${noise === 1 ? 'One feature is' : `${noise} features are`} within one standard deviation of no change.` : ''}
        </>
      }
      table={() => (
        <TableWrap>
          <table className="table table-compact" data-testid="permutation-importance-table">
            <caption className="visually-hidden">Permutation importance per feature, largest first</caption>
            <thead>
              <tr>
                <th scope="col">Feature</th>
                <th scope="col" className="num">
                  Mean {permutationChange(permutation.metric)}
                </th>
                <th scope="col" className="num">
                  Standard deviation
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.feature}>
                  <th scope="row">{r.feature}</th>
                  <td className="num">{formatNumber(r.mean)}</td>
                  <td className="num">{formatNumber(r.std)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    >
      <Chart option={option} label="Permutation importance" height={barsHeight(shown.length)} testId="chart-permutation-importance" />
    </ExplainFigure>
  );
}
