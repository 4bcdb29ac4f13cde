/**
 * ECharts with only what Steward draws (line, bar, scatter, heatmap and custom charts — the last for error
 * bars and waterfalls —, parallel coordinates for comparing runs, grid, tooltip, legend, a continuous colour
 * scale; SVG renderer), so the file stays small. Loaded on demand by <Chart>, as its own file.
 */
import * as echarts from 'echarts/core';
import { BarChart, CustomChart, HeatmapChart, LineChart, ParallelChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, ParallelComponent, TooltipComponent, VisualMapContinuousComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([LineChart, BarChart, ScatterChart, HeatmapChart, CustomChart, ParallelChart, GridComponent, ParallelComponent, TooltipComponent, LegendComponent, VisualMapContinuousComponent, SVGRenderer]);

export { echarts };
