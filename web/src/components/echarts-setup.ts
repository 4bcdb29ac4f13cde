/**
 * ECharts with only what Steward draws (line, bar, scatter, heatmap and custom charts — the last for error
 * bars and waterfalls —, grid, tooltip, legend, a continuous colour scale; SVG renderer), so the file stays
 * small. Loaded on demand by <Chart>, as its own file.
 */
import * as echarts from 'echarts/core';
import { BarChart, CustomChart, HeatmapChart, LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, VisualMapContinuousComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([LineChart, BarChart, ScatterChart, HeatmapChart, CustomChart, GridComponent, TooltipComponent, LegendComponent, VisualMapContinuousComponent, SVGRenderer]);

export { echarts };
