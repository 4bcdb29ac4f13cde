/**
 * The waterfall of one prediction: from the expected value (bias), each feature's contribution in order of
 * size, the smallest grouped, to the model's value for the row; red pushes the value up, blue down.
 */
import { useMemo, type ReactNode } from 'react';
import type { CustomSeriesRenderItemAPI, CustomSeriesRenderItemParams, CustomSeriesRenderItemReturn } from 'echarts';
import { formatNumber } from '../../lib/format';
import { Chart, type ChartOption } from '../../components/chart';
import { TableWrap } from '../../components/table';
import { escapeHtml, formatValue, fromSpace, outputInSpace, signed, spaceLabel, type Waterfall, type WaterfallStep } from './explain-data';
import { HIGH_COLOR, LOW_COLOR } from './beeswarm-chart';
import { ExplainFigure, FIT_GRID, X_NAME } from './explain-figure';

const MARK_COLOR = '#1f2933';

/** Data [index, start, end, phi, kind] → a floating bar from start to end, or a marker at the bias and the total. */
function renderStep(steps: WaterfallStep[]) {
  return (_params: CustomSeriesRenderItemParams, api: CustomSeriesRenderItemAPI): CustomSeriesRenderItemReturn => {
    const i = api.value(0) as number;
    const step = steps[i];
    if (!step) return null;
    const a = api.coord([step.start, i]);
    const b = api.coord([step.end, i]);
    const size = api.size?.([0, 1]);
    const band = Array.isArray(size) ? (size[1] ?? 20) : 20;
    const h = Math.min(22, band * 0.62);
    const y = a[1]! - h / 2;
    if (step.kind === 'bias' || step.kind === 'total') {
      return {
        type: 'group',
        children: [
          { type: 'rect', shape: { x: a[0]! - 1.5, y, width: 3, height: h }, style: { fill: MARK_COLOR } },
          { type: 'text', x: a[0]! + 6, y: a[1]!, style: { text: formatNumber(step.end), fill: MARK_COLOR, fontSize: 11, fontWeight: 600, verticalAlign: 'middle', align: 'left' } },
        ],
      };
    }
    const left = Math.min(a[0]!, b[0]!);
    const width = Math.max(1, Math.abs(b[0]! - a[0]!));
    const up = step.phi >= 0;
    return {
      type: 'group',
      children: [
        { type: 'rect', shape: { x: left, y, width, height: h, r: 2 }, style: { fill: up ? HIGH_COLOR : LOW_COLOR } },
        {
          type: 'text',
          x: up ? left + width + 4 : left - 4,
          y: a[1]!,
          style: { text: signed(step.phi), fill: MARK_COLOR, fontSize: 11, verticalAlign: 'middle', align: up ? 'left' : 'right' },
        },
      ],
    };
  };
}

function option(w: Waterfall, axisName: string): ChartOption {
  return {
    grid: { left: 8, right: 24, top: 8, bottom: 4, ...FIT_GRID },
    tooltip: {
      trigger: 'item',
      formatter: (p: { dataIndex: number }) => {
        const s = w.steps[p.dataIndex];
        if (!s) return '';
        if (s.kind === 'bias') return `<strong>Expected value</strong> ${formatNumber(s.end)}<br/>the model's average output`;
        if (s.kind === 'total') return `<strong>Prediction</strong> ${formatNumber(s.end)}<br/>the bias plus every contribution`;
        return `<strong>${escapeHtml(s.label)}</strong><br/>contribution ${signed(s.phi)}<br/>${formatNumber(s.start)} → ${formatNumber(s.end)}`;
      },
    },
    // Room beside the bars for their labels; ECharts rounds the ends to nice numbers.
    xAxis: { type: 'value', name: axisName, ...X_NAME, scale: true, boundaryGap: ['12%', '12%'], axisLabel: { formatter: (v: number) => formatNumber(v) } },
    yAxis: { type: 'category', inverse: true, data: w.steps.map((s) => s.label), axisTick: { show: false }, axisLabel: { width: 220, overflow: 'truncate' } },
    series: [{ type: 'custom', name: 'contribution', renderItem: renderStep(w.steps), encode: { x: [1, 2], y: 0 }, data: w.steps.map((s, i) => [i, s.start, s.end, s.phi]) }],
  };
}

export function WaterfallFigure({ waterfall: w, space, output, controls, testId = 'waterfall' }: { waterfall: Waterfall; space: string; output: string; controls?: ReactNode; testId?: string }) {
  const chart = useMemo(() => option(w, outputInSpace(output, space)), [w, output, space]);
  const features = w.steps.filter((s) => s.kind === 'feature');
  const ups = features.filter((s) => s.phi > 0).slice(0, 2);
  const downs = features.filter((s) => s.phi < 0).slice(0, 2);
  const converted = fromSpace(space, output, w.total);
  const convertedBias = fromSpace(space, output, w.bias);
  const list = (xs: WaterfallStep[]) => xs.map((s) => `${s.feature} = ${formatValue(s.value)} (${signed(s.phi)})`).join(' and ');
  return (
    <ExplainFigure
      title="Waterfall"
      testId={testId}
      controls={controls}
      summary={
        <>
          From the expected value <strong>{formatNumber(w.bias)}</strong>
          {convertedBias ? ` (${convertedBias.label} ${formatNumber(convertedBias.value)})` : ''} to this row&apos;s <strong data-testid={`${testId}-total`}>{formatNumber(w.total)}</strong>
          {converted ? ` (${converted.label} ${formatNumber(converted.value)})` : ''} in {spaceLabel(space, [output])}.
          {ups.length > 0 ? ` Pushed up most by ${list(ups)}.` : ''}
          {downs.length > 0 ? ` Pulled down most by ${list(downs)}.` : ''}
          {w.grouped > 0 ? ` The ${w.grouped.toLocaleString('en-US')} smallest contributions are summed in one step.` : ''}
        </>
      }
      table={() => (
        <TableWrap>
          <table className="table table-compact" data-testid={`${testId}-table`}>
            <caption className="visually-hidden">Contribution of each feature, from the expected value to the prediction</caption>
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col" className="num">
                  Contribution
                </th>
                <th scope="col" className="num">
                  Running total
                </th>
              </tr>
            </thead>
            <tbody>
              {w.steps.map((s, i) => (
                <tr key={i}>
                  <th scope="row">{s.label}</th>
                  <td className="num">{s.kind === 'feature' || s.kind === 'others' ? signed(s.phi) : ''}</td>
                  <td className="num">{formatNumber(s.end)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    >
      <Chart option={chart} label="Waterfall" height={56 + 30 * w.steps.length} testId={`chart-${testId}`} />
    </ExplainFigure>
  );
}
