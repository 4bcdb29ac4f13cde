/**
 * ECharts with only what Steward draws (line and bar charts, grid, tooltip, legend; SVG renderer), so the
 * file stays small. Loaded on demand by <Chart>, as its own file.
 */
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([LineChart, BarChart, GridComponent, TooltipComponent, LegendComponent, SVGRenderer]);

export { echarts };
