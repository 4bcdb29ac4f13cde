/**
 * The MLflow REST API (tracking, model registry and the artifact proxy), served over Steward's own services:
 * the MLflow client pointed at Steward (MLFLOW_TRACKING_URI) keeps working unchanged.
 *
 * Two mounts: `/api/2.0/...` acts in the default project, `/projects/<project>/api/2.0/...` in the project
 * named (set MLFLOW_TRACKING_URI=http://host/projects/<project>). Errors are MLflow's
 * `{"error_code", "message"}`; unknown endpoints answer ENDPOINT_NOT_FOUND.
 */
import type { FastifyRequest } from 'fastify';
import type { ProjectRow } from '../../../db/schema.js';
import { makeErrorHandler, type ClassifiedError } from '../../../http/errors.js';
import type { App } from '../../../http/types.js';
import type { AccessService } from '../../access/access.service.js';
import type { TrackingService } from '../tracking.service.js';
import type { MlflowRegistryService } from './mlflow-registry.service.js';
import { mlflowArtifactRoutes } from './mlflow-artifacts.routes.js';
import { mlflowRegistryRoutes } from './mlflow-registry.routes.js';
import { mlflowTrackingRoutes } from './mlflow-tracking.routes.js';

export interface MlflowDeps {
  tracking: TrackingService;
  registry: MlflowRegistryService;
  access: AccessService;
}

/**
 * The HTTP status for each error code, as MLflow's server answers (mlflow/exceptions.py), except INVALID_STATE:
 * MLflow answers 500, which its client retries five times; Steward answers 409 (a refusal, not a fault).
 */
export const MLFLOW_STATUS: Record<string, number> = {
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  INVALID_STATE: 409,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  INTERNAL_ERROR: 500,
  TEMPORARILY_UNAVAILABLE: 503,
};

/** A Steward error said in MLflow's vocabulary: the error code, and the status MLflow would use. */
export function mlflowError(e: ClassifiedError): { status: number; code: string } {
  let code: string;
  if (e.status === 404) code = 'RESOURCE_DOES_NOT_EXIST';
  else if (e.status === 401) code = 'UNAUTHENTICATED';
  else if (e.status === 403) code = 'PERMISSION_DENIED';
  else if (e.status === 409 && /_EXISTS$/.test(e.code)) code = 'RESOURCE_ALREADY_EXISTS';
  else if (e.status === 409) code = 'INVALID_STATE';
  else if (e.status === 503) code = 'TEMPORARILY_UNAVAILABLE';
  else if (e.status >= 500) code = 'INTERNAL_ERROR';
  else code = 'INVALID_PARAMETER_VALUE';
  // 413, 415 and 422 keep their status: more precise than MLflow's 400, and not retried by its client either.
  const status = e.status === 413 || e.status === 415 || e.status === 422 ? e.status : MLFLOW_STATUS[code]!;
  return { status, code };
}

const mlflowErrorHandler = makeErrorHandler(
  (e) => {
    const { code } = mlflowError(e);
    return { error_code: code, message: e.message, ...(e.details ? { details: e.details } : {}) };
  },
  (e) => mlflowError(e).status,
);

/** The project a request under the MLflow API acts in: the `:project` of the mount, else the default one. */
export function scopeOf(access: AccessService, request: FastifyRequest): Promise<ProjectRow> {
  const project = (request.params as { project?: string }).project;
  return access.projectNamed(project === undefined || project === '' ? undefined : project);
}

export function mlflowApi(app: App, deps: MlflowDeps): void {
  for (const prefix of ['/api/2.0', '/projects/:project/api/2.0']) {
    app.register(
      async (instance) => {
        const scope = instance as unknown as App;
        scope.setErrorHandler(mlflowErrorHandler);
        scope.setNotFoundHandler((request, reply) => {
          void reply.status(404).send({ error_code: 'ENDPOINT_NOT_FOUND', message: `No API endpoint for ${request.method} ${request.url.split('?')[0]}` });
        });
        mlflowTrackingRoutes(scope, deps);
        mlflowRegistryRoutes(scope, deps);
        // Any other GET under the mount: without this route the web UI's `GET /*` (registered at the root)
        // would take it and answer with Steward's 404 body; this hands it to the mount's ENDPOINT_NOT_FOUND.
        scope.get('/*', { config: { auth: 'public' }, schema: { hide: true } }, async (_request, reply) => reply.callNotFound());
        // The artifact proxy takes raw bodies of any content type, so it gets a scope of its own.
        await scope.register(async (inner) => mlflowArtifactRoutes(inner as unknown as App, deps));
      },
      { prefix },
    );
  }
}
