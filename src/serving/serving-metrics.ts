import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Prometheus metrics of the inference path, per deployment and model version. */
export class ServingMetrics {
  readonly predictions: Counter<'deployment' | 'model' | 'version' | 'status'>;
  readonly rows: Counter<'deployment' | 'model' | 'version'>;
  readonly latency: Histogram<'deployment' | 'model' | 'version'>;
  readonly batchRows: Histogram<'deployment' | 'model' | 'version'>;
  readonly queueDepth: Gauge<'deployment' | 'model' | 'version'>;
  readonly shadow: Counter<'deployment' | 'model' | 'version' | 'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.predictions = new Counter({ name: 'steward_inference_requests_total', help: 'Inference requests by deployment, model version and status code', labelNames: ['deployment', 'model', 'version', 'status'], registers });
    this.rows = new Counter({ name: 'steward_inference_rows_total', help: 'Rows predicted by deployment and model version', labelNames: ['deployment', 'model', 'version'], registers });
    this.latency = new Histogram({
      name: 'steward_inference_duration_seconds',
      help: 'Time from decoded request to outputs (queue, batching and model) by deployment and model version',
      labelNames: ['deployment', 'model', 'version'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    });
    this.batchRows = new Histogram({ name: 'steward_inference_batch_rows', help: 'Rows per runtime call', labelNames: ['deployment', 'model', 'version'], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024], registers });
    this.queueDepth = new Gauge({ name: 'steward_inference_queue_rows', help: 'Rows waiting or running per deployment and model version', labelNames: ['deployment', 'model', 'version'], registers });
    this.shadow = new Counter({ name: 'steward_shadow_requests_total', help: 'Shadow copies by outcome (ok, error, dropped)', labelNames: ['deployment', 'model', 'version', 'outcome'], registers });
  }
}
