/**
 * SHAP interaction strength: mean |Φ_ij| for every pair of the most important features (tree models), as
 * a heatmap; the diagonal is each feature's main effect, the rest how much two features act together.
 */
import { useMemo } from 'react';
import { formatNumber } from '../../lib/format';
import { Chart, type ChartOption } from '../../components/chart';
import { TableWrap } from '../../components/table';
import { escapeHtml } from './explain-data';
import { ExplainFigure, FIT_GRID, X_NAME, Y_NAME } from './explain-figure';
import type { ReportResult } from './types';

export const INTERACTION_FEATURES = 12;

/** The shown features (by importance) and their matrix, with the strongest pair off the diagonal. */
export function interactionView(result: ReportResult): { features: string[]; matrix: number[][]; strongest: { a: string; b: string; value: number } | null } | null {
  const inter = result.interactions;
  if (!inter) return null;
  const shown = result.importance.map((i) => i.feature).filter((f) => inter.features.includes(f)).slice(0, INTERACTION_FEATURES);
  const index = shown.map((f) => inter.features.indexOf(f));
  const matrix = index.map((i) => index.map((j) => inter.meanAbs[i]![j]!));
  let strongest: { a: string; b: string; value: number } | null = null;
  for (let a = 0; a < shown.length; a++) {
    for (let b = a + 1; b < shown.length; b++) {
      const v = matrix[a]![b]!;
      if (!strongest || v > strongest.value) strongest = { a: shown[a]!, b: shown[b]!, value: v };
    }
  }
  return { features: shown, matrix, strongest };
}

export function InteractionStrength({ result }: { result: ReportResult }) {
  const view = useMemo(() => interactionView(result), [result]);
  const chart = useMemo<ChartOption>(() => {
    if (!view) return {};
    const cells: [number, number, number][] = [];
    let max = 0;
    view.matrix.forEach((row, a) =>
      row.forEach((v, b) => {
        cells.push([b, a, v]);
        if (a !== b) max = Math.max(max, v);
      }),
    );
    return {
      grid: { left: 8, right: 16, top: 12, bottom: 40, ...FIT_GRID },
      tooltip: {
        position: 'top',
        formatter: (p: { data?: [number, number, number] }) => {
          const d = p.data;
          if (!d) return '';
          const a = view.features[d[1]]!;
          const b = view.features[d[0]]!;
          return a === b ? `${escapeHtml(a)}: main effect ${formatNumber(d[2])}` : `${escapeHtml(a)} × ${escapeHtml(b)}: ${formatNumber(d[2])}`;
        },
      },
      xAxis: { type: 'category', data: view.features, ...X_NAME, axisLabel: { rotate: 30, hideOverlap: true } },
      yAxis: { type: 'category', data: view.features, inverse: true, ...Y_NAME },
      visualMap: {
        type: 'continuous',
        min: 0,
        // The diagonal (main effects) would wash out the pairs: the scale is set by the strongest pair.
        max: max > 0 ? max : 1,
        dimension: 2,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        itemHeight: 200,
        itemWidth: 10,
        calculable: false,
        text: [formatNumber(max), 'mean |interaction|  0'],
        inRange: { color: ['#f7fbff', '#9ecae1', '#2563a8', '#08306b'] },
      },
      series: [{ type: 'heatmap', name: 'mean |SHAP interaction|', data: cells }],
    };
  }, [view]);
  if (!view || !result.interactions) return null;
  return (
    <ExplainFigure
      title="Interaction strength"
      testId="interaction-strength"
      summary={
        <>
          Mean absolute SHAP interaction value of each pair over {formatNumber(result.interactions.rows)} rows (the diagonal is each feature&apos;s main effect, off the colour scale).
          {view.strongest && view.strongest.value > 0 ? ` The strongest pair: ${view.strongest.a} × ${view.strongest.b} (${formatNumber(view.strongest.value)}).` : ' No two features interact.'}
        </>
      }
      table={() => (
        <TableWrap label="Interaction strength per pair">
          <table className="table table-compact">
            <thead>
              <tr>
                <th scope="col">Feature</th>
                {view.features.map((f) => (
                  <th key={f} scope="col" className="num">
                    {f}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {view.matrix.map((row, a) => (
                <tr key={view.features[a]}>
                  <th scope="row">{view.features[a]}</th>
                  {row.map((v, b) => (
                    <td key={view.features[b]} className="num">
                      {formatNumber(v)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    >
      <Chart option={chart} label="Interaction strength" height={Math.max(220, 70 + 26 * view.features.length)} testId="chart-interaction-strength" />
    </ExplainFigure>
  );
}
