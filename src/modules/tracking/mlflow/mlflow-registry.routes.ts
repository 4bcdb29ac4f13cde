/**
 * MLflow's model registry endpoints, mounted by mlflow-api.ts under `/api/2.0` and `/projects/:project/api/2.0`.
 * Paths and methods are those of mlflow/protos/model_registry.proto, which the MLflow Python client follows
 * (mlflow/store/model_registry/rest_store.py): reads are GET with query parameters (repeated keys for lists:
 * `order_by=a&order_by=b`), writes are POST, PATCH or DELETE with a JSON body (DELETE carries one too, e.g.
 * `DELETE registered-models/alias {"name", "alias"}`). get-latest-versions is POST, with GET as the client's
 * fallback.
 *
 * Every route is `auth: 'user'` (the hook authenticates; MlflowRegistryService checks the caller's role in the
 * scope project, as Steward's own routes would) and hidden from Steward's OpenAPI document.
 */
import type { FastifyRequest, RouteShorthandOptions } from 'fastify';
import { invalidField } from '../../../platform/errors.js';
import { principalOf, type App } from '../../../http/types.js';
import type { Principal } from '../../../platform/principal.js';
import type { ProjectRow } from '../../../db/schema.js';
import { scopeOf, type MlflowDeps } from './mlflow-api.js';
import type { Fields, MlflowRegistryService } from './mlflow-registry.service.js';

/** Fields sent as lists (kept as arrays when they come as query parameters). */
const LIST_FIELDS = new Set(['order_by', 'stages']);

function options(): RouteShorthandOptions {
  return { config: { auth: 'user' }, schema: { hide: true } };
}

/** A request's fields: the query parameters (one value each, except list fields), overlaid by the JSON body. */
function fieldsOf(request: FastifyRequest): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries((request.query ?? {}) as Fields)) {
    out[k] = LIST_FIELDS.has(k) ? (Array.isArray(v) ? v : [v]) : Array.isArray(v) ? v[0] : v;
  }
  let body: unknown = request.body;
  if (typeof body === 'string') {
    if (body.trim() === '') body = undefined;
    else {
      try {
        body = JSON.parse(body) as unknown; // a body encoded twice (older MLflow clients)
      } catch {
        throw invalidField('body', 'is not valid JSON');
      }
    }
  }
  if (body === undefined || body === null) return out;
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidField('body', 'must be a JSON object');
  return { ...out, ...(body as Fields) };
}

type Action = (actor: Principal, scope: ProjectRow, fields: Fields) => Promise<unknown>;

export function mlflowRegistryRoutes(app: App, deps: MlflowDeps): void {
  const registry: MlflowRegistryService = deps.registry;
  const handle = (action: Action) => async (request: FastifyRequest) => action(principalOf(request), await scopeOf(deps.access, request), fieldsOf(request));
  const rm = '/mlflow/registered-models';
  const mv = '/mlflow/model-versions';

  app.post(`${rm}/create`, options(), handle((a, s, f) => registry.createRegisteredModel(a, s, f)));
  app.get(`${rm}/get`, options(), handle((a, s, f) => registry.getRegisteredModel(a, s, f)));
  app.post(`${rm}/rename`, options(), handle((a, s, f) => registry.renameRegisteredModel(a, s, f)));
  app.patch(`${rm}/update`, options(), handle((a, s, f) => registry.updateRegisteredModel(a, s, f)));
  app.delete(`${rm}/delete`, options(), handle((a, s, f) => registry.deleteRegisteredModel(a, s, f)));
  app.get(`${rm}/search`, options(), handle((a, s, f) => registry.searchRegisteredModels(a, s, f)));
  app.post(`${rm}/get-latest-versions`, options(), handle((a, s, f) => registry.getLatestVersions(a, s, f)));
  app.get(`${rm}/get-latest-versions`, options(), handle((a, s, f) => registry.getLatestVersions(a, s, f)));
  app.post(`${rm}/set-tag`, options(), handle((a, s, f) => registry.setRegisteredModelTag(a, s, f)));
  app.delete(`${rm}/delete-tag`, options(), handle((a, s, f) => registry.deleteRegisteredModelTag(a, s, f)));
  app.post(`${rm}/alias`, options(), handle((a, s, f) => registry.setAlias(a, s, f)));
  app.delete(`${rm}/alias`, options(), handle((a, s, f) => registry.deleteAlias(a, s, f)));
  app.get(`${rm}/alias`, options(), handle((a, s, f) => registry.getVersionByAlias(a, s, f)));

  app.post(`${mv}/create`, options(), handle((a, s, f) => registry.createModelVersion(a, s, f)));
  app.get(`${mv}/get`, options(), handle((a, s, f) => registry.getModelVersion(a, s, f)));
  app.patch(`${mv}/update`, options(), handle((a, s, f) => registry.updateModelVersion(a, s, f)));
  app.delete(`${mv}/delete`, options(), handle((a, s, f) => registry.deleteModelVersion(a, s, f)));
  app.get(`${mv}/search`, options(), handle((a, s, f) => registry.searchModelVersions(a, s, f)));
  app.post(`${mv}/transition-stage`, options(), handle((a, s, f) => registry.transitionStage(a, s, f)));
  app.post(`${mv}/set-tag`, options(), handle((a, s, f) => registry.setModelVersionTag(a, s, f)));
  app.delete(`${mv}/delete-tag`, options(), handle((a, s, f) => registry.deleteModelVersionTag(a, s, f)));
  app.get(`${mv}/get-download-uri`, options(), handle((a, s, f) => registry.getDownloadUri(a, s, f)));

  // Registrations still loading their models finish before the server closes.
  app.addHook('onClose', async () => registry.drain());
}
