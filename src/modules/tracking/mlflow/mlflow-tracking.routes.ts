/**
 * MLflow's tracking endpoints (experiments, runs, metrics), mounted by mlflow-api.ts under `/api/2.0` and
 * `/projects/:project/api/2.0`. Methods and request fields are those of mlflow/protos/service.proto as the
 * MLflow Python client sends them (mlflow/store/tracking/rest_store.py): POST with a JSON body, except the
 * reads that the proto declares GET (experiments/get, experiments/get-by-name, runs/get, metrics/get-history),
 * whose fields come as query parameters. Fields the client adds that Steward does not use are ignored.
 *
 * The routes only read the fields, call TrackingService (which checks the caller's role and every value) and
 * write MLflow's JSON (mlflow-views.ts). Every route is `auth: 'user'`: the hook authenticates, the service
 * decides. They are left out of Steward's OpenAPI document (`hide`), which describes Steward's own API.
 */
import type { FastifyRequest, RouteShorthandOptions } from 'fastify';
import { invalidField } from '../../../platform/errors.js';
import { principalOf, type App } from '../../../http/types.js';
import type { ViewType } from '../tracking.service.js';
import { RUN_STATUSES } from '../tracking-validation.js';
import { scopeOf, type MlflowDeps } from './mlflow-api.js';
import { experimentView, metricView, runInfoView, runView, searchPage } from './mlflow-views.js';

type Fields = Record<string, unknown>;

/** The options of every MLflow route (a fresh object each time: Fastify keeps what it is given). */
export function mlflowRouteOptions(): RouteShorthandOptions {
  return { config: { auth: 'user' }, schema: { hide: true } };
}

/**
 * A request's JSON body as an object: `{}` when there is none (MLflow's server does the same), and a body
 * that is a JSON string holding an object decoded once more (older MLflow clients encoded twice).
 */
export function bodyOf(request: FastifyRequest): Fields {
  let body: unknown = request.body;
  if (typeof body === 'string') {
    if (body.trim() === '') return {};
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      throw invalidField('body', 'is not valid JSON');
    }
  }
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidField('body', 'must be a JSON object');
  return body as Fields;
}

/** A query parameter that is one value: the first when it was repeated. */
function one(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

/** Query parameters, each read as one value. */
function queryOf(request: FastifyRequest): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries((request.query ?? {}) as Fields)) out[k] = one(v);
  return out;
}

/** A repeated field given as query parameters (`order_by=a&order_by=b`; one occurrence is one value, not a list). */
function listParam(request: FastifyRequest, name: string): unknown {
  const v = (request.query as Fields | undefined)?.[name];
  return v === undefined || Array.isArray(v) ? v : [v];
}

/** The run named by `run_id`, or by the legacy `run_uuid` (the client sends both to log-metric/param, set-tag, runs/get). */
function runIdOf(fields: Fields): unknown {
  const id = fields.run_id;
  return id === undefined || id === null || id === '' ? fields.run_uuid : id;
}

/** An enum given by its proto number instead of its name (protobuf JSON accepts both; names start at 1). */
function enumName(value: unknown, names: readonly string[]): unknown {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= names.length ? names[value - 1] : value;
}

const VIEW_TYPE_NAMES: readonly ViewType[] = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'];

export function mlflowTrackingRoutes(app: App, deps: MlflowDeps): void {
  const { tracking, access } = deps;

  // ---------------------------------------------------------------------------------------------
  // Experiments
  // ---------------------------------------------------------------------------------------------

  // Client: {name, artifact_location?, tags?: [{key, value}]} → {experiment_id}
  app.post('/mlflow/experiments/create', mlflowRouteOptions(), async (request) => {
    const b = bodyOf(request);
    const created = await tracking.createExperiment(principalOf(request), await scopeOf(access, request), { name: b.name, artifactLocation: b.artifact_location, tags: b.tags });
    return { experiment_id: String(created.row.id) };
  });

  // Client: GET ?experiment_id= → {experiment}
  app.get('/mlflow/experiments/get', mlflowRouteOptions(), async (request) => {
    const q = queryOf(request);
    return { experiment: experimentView(await tracking.getExperiment(principalOf(request), await scopeOf(access, request), q.experiment_id)) };
  });

  // Client: GET ?experiment_name= → {experiment} (deleted ones too; RESOURCE_DOES_NOT_EXIST makes the client answer None)
  app.get('/mlflow/experiments/get-by-name', mlflowRouteOptions(), async (request) => {
    const q = queryOf(request);
    return { experiment: experimentView(await tracking.getExperimentByName(principalOf(request), await scopeOf(access, request), q.experiment_name)) };
  });

  // Client: POST {max_results, page_token?, filter?, order_by?: [..], view_type} → {experiments?, next_page_token?}.
  // The proto also routes GET (query parameters, order_by repeated). Searches the experiments of the mount's project.
  const searchExperiments = async (request: FastifyRequest, f: Fields, orderBy: unknown) => {
    const scope = await scopeOf(access, request);
    const page = await tracking.searchExperiments(principalOf(request), {
      projectIds: [scope.id],
      viewType: enumName(f.view_type, VIEW_TYPE_NAMES),
      filter: f.filter,
      orderBy,
      maxResults: f.max_results,
      pageToken: f.page_token,
    });
    return searchPage('experiments', page.experiments.map(experimentView), page.nextPageToken);
  };
  app.post('/mlflow/experiments/search', mlflowRouteOptions(), async (request) => {
    const b = bodyOf(request);
    return searchExperiments(request, b, b.order_by);
  });
  app.get('/mlflow/experiments/search', mlflowRouteOptions(), async (request) => searchExperiments(request, queryOf(request), listParam(request, 'order_by')));

  // Client: {experiment_id, new_name} → {}
  app.post('/mlflow/experiments/update', mlflowRouteOptions(), async (request) => {
    const b = bodyOf(request);
    await tracking.renameExperiment(principalOf(request), await scopeOf(access, request), b.experiment_id, b.new_name);
    return {};
  });

  // Client: {experiment_id} → {}; the experiment's runs are deleted and restored with it.
  app.post('/mlflow/experiments/delete', mlflowRouteOptions(), async (request) => {
    const b = bodyOf(request);
    await tracking.setExperimentLifecycle(principalOf(request), await scopeOf(access, request), b.experiment_id, 'deleted');
    return {};
  });
  app.post('/mlflow/experiments/restore', mlflowRouteOptions(), async (request) => {
    const b = bodyOf(request);
    await tracking.setExperimentLifecycle(principalOf(request), await scopeOf(access, request), b.experiment_id, 'active');
    return {};
  });

  // Client: {experiment_id, key, value} → {}
  app.post('/mlflow/experiments/set-experiment-tag', mlflowRouteOptions(), async (request) => {
    const b = bodyOf(request);
    await tracking.setExperimentTag(principalOf(request), await scopeOf(access, request), b.experiment_id, b.key, b.value);
    return {};
  });

  // Late 2.x clients: {experiment_id, key} → {}
  app.post('/mlflow/experiments/delete-experiment-tag', mlflowRouteOptions(), async (request) => {
    const b = bodyOf(request);
    await tracking.deleteExperimentTag(principalOf(request), await scopeOf(access, request), b.experiment_id, b.key);
    return {};
  });

  // ---------------------------------------------------------------------------------------------
  // Runs
  // ---------------------------------------------------------------------------------------------

  // Client: {experiment_id, user_id, start_time, tags: [{key, value}], run_name?} → {run}. The run's user is the
  // caller Steward authenticated, not the client's `user_id` (which stays in the mlflow.user tag).
  app.post('/mlflow/runs/create', mlflowRouteOptions(), async (request) => {
    const b = bodyOf(request);
    const run = await tracking.createRun(principalOf(request), await scopeOf(access, request), {
      // An empty experiment id is the default experiment, as in MLflow's store.
      experimentId: b.experiment_id === '' ? undefined : b.experiment_id,
      runName: b.run_name,
      startTime: b.start_time,
      tags: b.tags,
    });
    return { run: runView(run) };
  });

  // Client: GET ?run_uuid=&run_id= → {run}
  app.get('/mlflow/runs/get', mlflowRouteOptions(), async (request) => {
    return { run: runView(await tracking.getRun(principalOf(request), runIdOf(queryOf(request)))) };
  });

  // Client: {run_uuid, run_id, status, end_time, run_name?} → {run_info}
  app.post('/mlflow/runs/update', mlflowRouteOptions(), async (request) => {
    const b = bodyOf(request);
    const row = await tracking.updateRun(principalOf(request), runIdOf(b), { status: enumName(b.status, RUN_STATUSES), endTime: b.end_time, runName: b.run_name });
    return { run_info: runInfoView(row) };
  });

  // Client: {run_id} → {}
  app.post('/mlflow/runs/delete', mlflowRouteOptions(), async (request) => {
    await tracking.setRunLifecycle(principalOf(request), runIdOf(bodyOf(request)), 'deleted');
    return {};
  });
  app.post('/mlflow/runs/restore', mlflowRouteOptions(), async (request) => {
    await tracking.setRunLifecycle(principalOf(request), runIdOf(bodyOf(request)), 'active');
    return {};
  });

  // Client: {experiment_ids: [..], filter?, run_view_type, max_results, order_by?: [..], page_token?} → {runs?, next_page_token?}
  app.post('/mlflow/runs/search', mlflowRouteOptions(), async (request) => {
    const b = bodyOf(request);
    const page = await tracking.searchRuns(principalOf(request), await scopeOf(access, request), {
      experimentIds: b.experiment_ids,
      filter: b.filter,
      runViewType: enumName(b.run_view_type, VIEW_TYPE_NAMES),
      maxResults: b.max_results,
      orderBy: b.order_by,
      pageToken: b.page_token,
    });
    return searchPage('runs', page.runs.map(runView), page.nextPageToken);
  });

  // Client: {run_uuid, run_id, key, value, timestamp, step} → {}; value may be "NaN", "Infinity", "-Infinity".
  app.post('/mlflow/runs/log-metric', mlflowRouteOptions(), async (request) => {
    const b = bodyOf(request);
    await tracking.logMetric(principalOf(request), runIdOf(b), { key: b.key, value: b.value, timestamp: b.timestamp, step: b.step });
    return {};
  });

  // Client: {run_uuid, run_id, key, value} → {}
  app.post('/mlflow/runs/log-parameter', mlflowRouteOptions(), async (request) => {
    const b = bodyOf(request);
    await tracking.logParam(principalOf(request), runIdOf(b), { key: b.key, value: b.value });
    return {};
  });

  // Client: {run_id, metrics?: [{key, value, timestamp, step}], params?: [{key, value}], tags?: [{key, value}]} → {}
  app.post('/mlflow/runs/log-batch', mlflowRouteOptions(), async (request) => {
    const b = bodyOf(request);
    await tracking.logBatch(principalOf(request), runIdOf(b), { metrics: b.metrics, params: b.params, tags: b.tags });
    return {};
  });

  // Client: {run_uuid, run_id, key, value} → {}
  app.post('/mlflow/runs/set-tag', mlflowRouteOptions(), async (request) => {
    const b = bodyOf(request);
    await tracking.setTag(principalOf(request), runIdOf(b), { key: b.key, value: b.value });
    return {};
  });

  // Client: {run_id, key} → {}
  app.post('/mlflow/runs/delete-tag', mlflowRouteOptions(), async (request) => {
    const b = bodyOf(request);
    await tracking.deleteTag(principalOf(request), runIdOf(b), b.key);
    return {};
  });

  // Client: {run_id, model_json: "<json of the MLmodel>"} → {} (kept in the run's mlflow.log-model.history tag)
  app.post('/mlflow/runs/log-model', mlflowRouteOptions(), async (request) => {
    const b = bodyOf(request);
    await tracking.logModel(principalOf(request), runIdOf(b), b.model_json);
    return {};
  });

  // Client: {run_id, datasets: [{tags: [{key, value}], dataset: {name, digest, source_type, source, schema?, profile?}}]} → {}
  app.post('/mlflow/runs/log-inputs', mlflowRouteOptions(), async (request) => {
    const b = bodyOf(request);
    await tracking.logInputs(principalOf(request), runIdOf(b), { datasets: b.datasets });
    return {};
  });

  // Client: GET ?run_uuid=&run_id=&metric_key=&max_results=25000[&page_token=] → {metrics?, next_page_token?}
  // (the client asks again while a next_page_token comes back).
  app.get('/mlflow/metrics/get-history', mlflowRouteOptions(), async (request) => {
    const q = queryOf(request);
    const page = await tracking.metricHistory(principalOf(request), runIdOf(q), { metricKey: q.metric_key, maxResults: q.max_results, pageToken: q.page_token });
    return searchPage('metrics', page.metrics.map(metricView), page.nextPageToken);
  });
}
