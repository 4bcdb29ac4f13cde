import type { App } from '../../../http/types.js';
import type { MlflowDeps } from './mlflow-api.js';

/** MLflow tracking endpoints (experiments, runs, metrics). To be written. */
export function mlflowTrackingRoutes(_app: App, _deps: MlflowDeps): void {}
