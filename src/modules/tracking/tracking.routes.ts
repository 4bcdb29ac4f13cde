/**
 * Steward's own tracking API: experiments and runs in Steward's JSON (camelCase, ISO times, objects for
 * tags and params), over the same TrackingService as the MLflow REST API. Routes that address an experiment
 * or a run by id load it first and check the caller's role in its project (projectFrom 'handler').
 */
import { attachmentOf } from '../../http/content-disposition.js';
import { Type, type TSchema } from 'typebox';
import type { ProjectRow } from '../../db/schema.js';
import { Tags, withErrors } from '../../http/schemas.js';
import { principalOf, type App } from '../../http/types.js';
import type { TrackingService } from './tracking.service.js';

const TAGS = ['tracking'];
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Iso = (description: string) => Type.String({ description: `${description} (ISO 8601, UTC)` });
const NonFinite = Type.Optional(
  Type.Union([Type.Literal('NaN'), Type.Literal('Infinity'), Type.Literal('-Infinity')], { description: 'Set when the value is not finite (value is then null)' }),
);
const View = Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('deleted'), Type.Literal('all')], { description: 'Which lifecycle stage to list (default active)' }));
const IgnoredProject = Type.Optional(Type.String({ description: "Ignored: the object's own project is used" }));

const ExperimentSchema = Type.Object({
  id: Type.String(),
  project: Type.String(),
  name: Type.String(),
  artifactLocation: Type.String({ description: 'Where runs log artifacts (mlflow-artifacts:/<id> for the artifact proxy)' }),
  lifecycleStage: Type.String({ description: 'active or deleted' }),
  createdAt: Iso('Created'),
  updatedAt: Iso('Last changed'),
  createdBy: Type.String(),
  tags: Tags,
  runCount: Type.Integer({ description: 'Active runs' }),
});

const MetricValue = Type.Object({
  value: Nullable(Type.Number()),
  text: NonFinite,
  step: Type.Integer(),
  timestamp: Iso('When it was logged'),
});
const MetricPoint = Type.Object({
  step: Type.Integer(),
  timestamp: Iso('When it was logged'),
  value: Nullable(Type.Number()),
  text: NonFinite,
});

const RunFields = {
  id: Type.String(),
  experimentId: Type.String(),
  project: Type.String(),
  name: Type.String(),
  status: Type.String({ description: 'RUNNING, SCHEDULED, FINISHED, FAILED or KILLED' }),
  startTime: Iso('Started'),
  endTime: Nullable(Iso('Ended')),
  durationMs: Nullable(Type.Number()),
  user: Type.String(),
  lifecycleStage: Type.String({ description: 'active or deleted' }),
  artifactUri: Type.String(),
  parentRunId: Nullable(Type.String()),
  params: Type.Record(Type.String(), Type.String()),
  metrics: Type.Record(Type.String(), MetricValue, { description: 'The latest value of each metric (greatest step, then timestamp)' }),
  tags: Type.Record(Type.String(), Type.String(), { description: 'Run tags, without the mlflow.log-model.history tag (see models)' }),
  inputs: Type.Array(
    Type.Object({
      name: Type.String(),
      digest: Type.String(),
      sourceType: Type.String(),
      source: Type.String(),
      context: Nullable(Type.String({ description: 'The mlflow.data.context tag: training, eval, …' })),
      datasetVersion: Nullable(Type.Object({ dataset: Type.String(), version: Type.Integer() }, { description: 'The Steward dataset version the input is linked to' })),
    }),
    { description: 'Datasets the run used (MLflow log-inputs)' },
  ),
  models: Type.Array(
    Type.Object({ artifactPath: Type.String(), flavors: Type.Array(Type.String()), utcTimeCreated: Type.Optional(Type.String()) }),
    { description: 'Models the run logged (from its mlflow.log-model.history tag)' },
  ),
  registeredVersions: Type.Array(Type.Object({ model: Type.String(), version: Type.Integer() }), { description: 'Model versions of the project registered from this run' }),
};
const RunSchema = Type.Object(RunFields);
const RunDetailSchema = Type.Object({
  ...RunFields,
  children: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), status: Type.String() }), { description: 'Nested runs' }),
});

const KeyLists = {
  metricKeys: Type.Array(Type.String()),
  paramKeys: Type.Array(Type.String()),
};

const RunsPageSchema = Type.Object({
  items: Type.Array(RunSchema),
  nextPageToken: Type.Optional(Type.String({ description: 'Pass as pageToken for the next page; absent on the last page' })),
  ...KeyLists,
  tagKeys: Type.Array(Type.String()),
});

const CompareSchema = Type.Object({
  runs: Type.Array(RunSchema),
  differingParams: Type.Array(Type.String(), { description: 'Params whose values are not the same in every run (a missing param counts as a value)' }),
  ...KeyLists,
  histories: Type.Record(Type.String(), Type.Record(Type.String(), Type.Array(MetricPoint)), { description: 'run id → metric → its points by step' }),
});

const ArtifactListSchema = Type.Object({
  path: Type.String({ description: "The folder listed, relative to the run's artifact root" }),
  files: Type.Array(Type.Object({ path: Type.String({ description: "Relative to the run's artifact root" }), isDir: Type.Boolean(), size: Type.Optional(Type.Integer()) })),
});

const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const HandlerQuery = Type.Object({ project: IgnoredProject });

/** The project the app's hook checked the caller's role in (routes with projectFrom 'query' or 'body'). */
function projectOf(request: { access: { project: ProjectRow } | null }): ProjectRow {
  if (!request.access) throw new Error('project-role route reached without an access check');
  return request.access.project;
}

export function trackingRoutes(app: App, tracking: TrackingService): void {
  app.get(
    '/api/v1/experiments',
    {
      config: { auth: 'viewer', projectFrom: 'query' },
      schema: {
        tags: TAGS,
        summary: "A project's experiments, most recently changed first",
        querystring: Type.Object({ project: Type.Optional(Type.String({ description: "Project name; 'default' when omitted" })), view: View }),
        response: withErrors({ 200: Type.Object({ items: Type.Array(ExperimentSchema) }) }, 400, 403, 404),
      },
    },
    async (request) => ({ items: await tracking.listExperimentViews(principalOf(request), projectOf(request), request.query) }),
  );

  app.post(
    '/api/v1/experiments',
    {
      config: { auth: 'contributor', projectFrom: 'body' },
      schema: {
        tags: TAGS,
        summary: 'Create an experiment',
        body: Type.Object(
          {
            project: Type.Optional(Type.String({ description: "Project name; 'default' when omitted" })),
            name: Type.String({ minLength: 1, maxLength: 500, description: 'Unique in the project' }),
            tags: Type.Optional(Tags),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 201: ExperimentSchema }, 400, 403, 404, 409),
      },
    },
    async (request, reply) => reply.status(201).send(await tracking.createExperimentView(principalOf(request), projectOf(request), request.body)),
  );

  app.get(
    '/api/v1/experiments/:id',
    {
      config: { auth: 'viewer', projectFrom: 'handler' },
      schema: { tags: TAGS, summary: 'An experiment', params: IdParams, querystring: HandlerQuery, response: withErrors({ 200: ExperimentSchema }, 403, 404) },
    },
    async (request) => tracking.experimentDetailView(principalOf(request), request.params.id),
  );

  app.patch(
    '/api/v1/experiments/:id',
    {
      config: { auth: 'contributor', projectFrom: 'handler' },
      schema: {
        tags: TAGS,
        summary: 'Rename an experiment',
        params: IdParams,
        querystring: HandlerQuery,
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }),
        response: withErrors({ 200: ExperimentSchema }, 400, 403, 404, 409),
      },
    },
    async (request) => tracking.renameExperimentView(principalOf(request), request.params.id, request.body.name),
  );

  app.delete(
    '/api/v1/experiments/:id',
    {
      config: { auth: 'contributor', projectFrom: 'handler' },
      schema: {
        tags: TAGS,
        summary: 'Delete an experiment: it and its runs are marked deleted (restorable); answers the experiment',
        params: IdParams,
        querystring: HandlerQuery,
        response: withErrors({ 200: ExperimentSchema }, 400, 403, 404),
      },
    },
    async (request) => tracking.setExperimentStage(principalOf(request), request.params.id, 'deleted'),
  );

  app.post(
    '/api/v1/experiments/:id/restore',
    {
      config: { auth: 'contributor', projectFrom: 'handler' },
      schema: {
        tags: TAGS,
        summary: 'Restore a deleted experiment and the runs deleted with it',
        params: IdParams,
        querystring: HandlerQuery,
        response: withErrors({ 200: ExperimentSchema }, 400, 403, 404),
      },
    },
    async (request) => tracking.setExperimentStage(principalOf(request), request.params.id, 'active'),
  );

  app.get(
    '/api/v1/experiments/:id/runs',
    {
      config: { auth: 'viewer', projectFrom: 'handler' },
      schema: {
        tags: TAGS,
        summary: "Search an experiment's runs with MLflow's filter and order_by grammar",
        description:
          "filter: e.g. `metrics.acc > 0.9 and params.alpha = '0.1' and tags.team = 'risk' and attributes.status = 'FINISHED'`. " +
          'orderBy (repeatable): e.g. `metrics.acc DESC`, `attributes.start_time`. Default order: newest first. ' +
          "metricKeys, paramKeys and tagKeys are the keys of all the experiment's runs in the view (the columns a table can offer).",
        params: IdParams,
        querystring: Type.Object({
          project: IgnoredProject,
          filter: Type.Optional(Type.String({ maxLength: 10_000, description: 'An MLflow search filter' })),
          orderBy: Type.Optional(Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 20, description: 'MLflow order_by clauses' })),
          maxResults: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Page size (default 100)' })),
          pageToken: Type.Optional(Type.String({ maxLength: 2000, description: 'nextPageToken of the previous page' })),
          view: View,
        }),
        response: withErrors({ 200: RunsPageSchema }, 400, 403, 404),
      },
    },
    async (request) => tracking.searchRunViews(principalOf(request), request.params.id, request.query),
  );

  // Before /api/v1/runs/:id in meaning; the router prefers the static path anyway.
  app.get(
    '/api/v1/runs/compare',
    {
      config: { auth: 'viewer', projectFrom: 'handler' },
      schema: {
        tags: TAGS,
        summary: 'Compare runs: params (which differ), latest metrics, and metric histories',
        querystring: Type.Object({
          project: IgnoredProject,
          runs: Type.String({ minLength: 1, maxLength: 4000, description: 'Run ids, comma-separated (at most 100)' }),
          metrics: Type.Optional(Type.String({ maxLength: 10_000, description: 'Metric keys whose histories to give, comma-separated (default: all)' })),
        }),
        response: withErrors({ 200: CompareSchema }, 400, 403, 404),
      },
    },
    async (request) => tracking.compareRunViews(principalOf(request), request.query),
  );

  app.get(
    '/api/v1/runs/:id',
    {
      config: { auth: 'viewer', projectFrom: 'handler' },
      schema: { tags: TAGS, summary: 'A run, with its nested runs', params: IdParams, querystring: HandlerQuery, response: withErrors({ 200: RunDetailSchema }, 403, 404) },
    },
    async (request) => tracking.runDetailView(principalOf(request), request.params.id),
  );

  app.delete(
    '/api/v1/runs/:id',
    {
      config: { auth: 'contributor', projectFrom: 'handler' },
      schema: {
        tags: TAGS,
        summary: 'Delete a run (marked deleted, restorable); answers the run',
        params: IdParams,
        querystring: HandlerQuery,
        response: withErrors({ 200: RunSchema }, 403, 404),
      },
    },
    async (request) => tracking.setRunStage(principalOf(request), request.params.id, 'deleted'),
  );

  app.post(
    '/api/v1/runs/:id/restore',
    {
      config: { auth: 'contributor', projectFrom: 'handler' },
      schema: { tags: TAGS, summary: 'Restore a deleted run', params: IdParams, querystring: HandlerQuery, response: withErrors({ 200: RunSchema }, 403, 404) },
    },
    async (request) => tracking.setRunStage(principalOf(request), request.params.id, 'active'),
  );

  app.get(
    '/api/v1/runs/:id/metrics/:key',
    {
      config: { auth: 'viewer', projectFrom: 'handler' },
      schema: {
        tags: TAGS,
        summary: "A metric's history, by step then timestamp",
        params: Type.Object({ id: Type.String({ maxLength: 100 }), key: Type.String({ maxLength: 250 }) }),
        querystring: Type.Object({
          project: IgnoredProject,
          maxResults: Type.Optional(Type.Integer({ minimum: 1, maximum: 25_000, description: 'Points per page (default and at most 25000)' })),
          pageToken: Type.Optional(Type.String({ maxLength: 2000, description: 'nextPageToken of the previous page' })),
        }),
        response: withErrors(
          { 200: Type.Object({ key: Type.String(), points: Type.Array(MetricPoint), nextPageToken: Type.Optional(Type.String({ description: 'Absent on the last page' })) }) },
          400,
          403,
          404,
        ),
      },
    },
    async (request) => tracking.metricHistoryView(principalOf(request), request.params.id, request.params.key, request.query),
  );

  app.get(
    '/api/v1/runs/:id/artifacts',
    {
      config: { auth: 'viewer', projectFrom: 'handler' },
      schema: {
        tags: TAGS,
        summary: "The files and folders in a folder of a run's artifacts",
        params: IdParams,
        querystring: Type.Object({ project: IgnoredProject, path: Type.Optional(Type.String({ maxLength: 1000, description: "A folder relative to the run's artifact root (default: the root)" })) }),
        response: withErrors({ 200: ArtifactListSchema }, 400, 403, 404),
      },
    },
    async (request) => tracking.runArtifactsView(principalOf(request), request.params.id, request.query.path),
  );

  app.get(
    '/api/v1/runs/:id/artifacts/file',
    {
      config: { auth: 'viewer', projectFrom: 'handler' },
      schema: {
        tags: TAGS,
        summary: "Download one of a run's artifact files (streamed, as an attachment)",
        params: IdParams,
        querystring: Type.Object({ project: IgnoredProject, path: Type.String({ minLength: 1, maxLength: 1000, description: "The file, relative to the run's artifact root" }) }),
        response: withErrors({}, 400, 403, 404),
      },
    },
    async (request, reply) => {
      const { path, opened } = await tracking.openRunArtifact(principalOf(request), request.params.id, request.query.path);
      opened.stream.on('error', (err) => request.log.error({ err, run: request.params.id, path }, 'artifact stream failed'));
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', String(opened.size))
        .header('content-disposition', attachmentOf(path))
        .header('x-content-type-options', 'nosniff')
        .send(opened.stream);
    },
  );
}
