import type { App } from '../../../http/types.js';
import type { MlflowDeps } from './mlflow-api.js';

/** MLflow model registry endpoints. To be written. */
export function mlflowRegistryRoutes(_app: App, _deps: MlflowDeps): void {}
