import type { App } from '../../../http/types.js';
import type { MlflowDeps } from './mlflow-api.js';

/** MLflow artifact proxy endpoints. To be written. */
export function mlflowArtifactRoutes(_app: App, _deps: MlflowDeps): void {}
