/**
 * ECharts with only what Steward draws (line, bar and heatmap charts, grid, tooltip, legend, a continuous
 * colour scale; SVG renderer), so the file stays small. Loaded on demand by <Chart>, as its own file.
 */
import * as echarts from 'echarts/core';
import { BarChart, HeatmapChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, VisualMapContinuousComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([LineChart, BarChart, HeatmapChart, GridComponent, TooltipComponent, LegendComponent, VisualMapContinuousComponent, SVGRenderer]);

export { echarts };
