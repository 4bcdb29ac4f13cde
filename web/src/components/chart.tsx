/** An ECharts chart in a labelled container; ECharts itself is loaded the first time a chart is shown. */
import { useEffect, useRef, useState } from 'react';
import type { EChartsCoreOption, EChartsType } from 'echarts/core';

export type ChartOption = EChartsCoreOption;

export const CHART_COLORS = ['#2563a8', '#d97706', '#b42318', '#0f766e', '#7c3aed', '#64748b'];

export interface ChartProps {
  option: ChartOption;
  /** What the chart shows, for screen readers (the text summary beside it carries the numbers). */
  label: string;
  testId?: string;
  height?: number;
}

export function Chart({ option, label, testId, height = 200 }: ChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<EChartsType | null>(null);
  const latest = useRef(option);
  latest.current = option;
  const [ready, setReady] = useState(false);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    let disposed = false;
    let observer: ResizeObserver | undefined;
    import('./echarts-setup').then(
      ({ echarts }) => {
        const el = container.current;
        if (disposed || !el) return;
        const c = echarts.init(el, undefined, { renderer: 'svg' });
        c.setOption({ color: CHART_COLORS, animation: false, ...latest.current });
        chart.current = c;
        observer = new ResizeObserver(() => c.resize());
        observer.observe(el);
        setReady(true);
      },
      () => setFailed(true),
    );
    return () => {
      disposed = true;
      observer?.disconnect();
      chart.current?.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption({ color: CHART_COLORS, animation: false, ...option }, { notMerge: true });
  }, [option]);

  return (
    <div className="chart" style={{ height }} ref={container} role="img" aria-label={label} data-testid={testId} data-ready={ready ? 'true' : 'false'}>
      {failed && <p className="muted small">The chart could not be loaded; reload the page to try again.</p>}
    </div>
  );
}
