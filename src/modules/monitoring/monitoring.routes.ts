import { Type } from 'typebox';
import { uploadParts } from '../../http/multipart.js';
import { withErrors } from '../../http/schemas.js';
import { principalOf, type App } from '../../http/types.js';
import type { MonitoringService } from './monitoring.service.js';

const Report = Type.Object(
  {
    project: Type.String(),
    deployment: Type.Optional(Type.String()),
    model: Type.Union([Type.String(), Type.Null()]),
    version: Type.Union([Type.Integer(), Type.Null()]),
    from: Type.Union([Type.String(), Type.Null()]),
    to: Type.Union([Type.String(), Type.Null()]),
    windows: Type.Integer({ description: 'Stored windows merged into this report' }),
    reference: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
    drift: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()], {
      description: 'features: {name: {test, statistic, pValue?, adjustedPValue?, threshold, drifted, effectSize, basis, histogram}}, output, share, weightedShare, driftedFeatures, datasetDrift, correction',
    }),
    driftNote: Type.Optional(Type.String()),
    quality: Type.Object({}, { additionalProperties: true }),
    performance: Type.Object({}, { additionalProperties: true }),
    operations: Type.Object({}, { additionalProperties: true, description: 'count, errors, rejected, errorRate, p50Ms, p95Ms, p99Ms, throughputPerS' }),
  },
  { additionalProperties: true },
);
const Loose = Type.Object({}, { additionalProperties: true });
/** Documents the settings body; the service checks every field and names the one at fault. */
const SettingsBody = Type.Object(
  {
    window: Type.Optional(Type.String({ description: "'minute', 'hour', 'day' or 'rows:N' (every N predictions); applies to new windows" })),
    tests: Type.Optional(Type.Record(Type.String(), Type.Object({ method: Type.String(), threshold: Type.Optional(Type.Number()) }), { description: "per feature ('prediction' for the output): ks, chisquare, z, wasserstein, jensenshannon, psi, hellinger, linf" })),
    correction: Type.Optional(Type.String({ description: "'none' or 'bh' (Benjamini–Hochberg)" })),
    driftShare: Type.Optional(Type.Number({ description: 'dataset drift when at least this share of features drifted (0.5)' })),
    importance: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Number()), Type.Null()], { description: 'feature weights for the importance-weighted drift share' })),
    task: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: "'binary', 'multiclass', 'regression', or null (inferred)" })),
    sampleRows: Type.Optional(Type.Integer({ description: 'rows of the current sample for KS and Wasserstein (10000)' })),
  },
  { additionalProperties: true },
);
const NameParams = Type.Object({ name: Type.String() });
const VersionParams = Type.Object({ name: Type.String(), version: Type.Integer({ minimum: 1 }) });
const ProjectOnly = Type.Object({ project: Type.Optional(Type.String()) });
const RangeQuery = Type.Object({
  project: Type.Optional(Type.String()),
  from: Type.Optional(Type.String({ description: 'ISO 8601; windows starting at or after it' })),
  to: Type.Optional(Type.String({ description: 'ISO 8601; windows starting before it' })),
  version: Type.Optional(Type.Integer({ minimum: 1, description: 'Only this model version (default: all; drift against the reference of the version with most rows)' })),
});

export function monitoringRoutes(app: App, monitoring: MonitoringService): void {
  app.post(
    '/api/v1/models/:name/versions/:version/reference',
    {
      config: { auth: 'contributor' },
      schema: {
        tags: ['monitoring'],
        summary: 'Set the reference rows of a model version (202: profiled by a background job)',
        description:
          'JSON `{"dataset": name, "version": n}` for a dataset version, or multipart with a CSV or Parquet `file` whose columns are named as the model\'s features. ' +
          'The model is run on the rows for the reference of its output. Numeric features get quantile bins (plus under/over-range bins), categorical ones their category counts.',
        params: VersionParams,
        querystring: ProjectOnly,
        response: withErrors({ 202: Type.Object({ reference: Loose, job: Loose }) }, 400, 403, 404, 409, 413, 415),
      },
    },
    async (request, reply) => {
      const input = request.isMultipart() ? { parts: uploadParts(request) } : { json: request.body };
      const result = await monitoring.requestReference(principalOf(request), request.query.project, request.params.name, request.params.version, input);
      return reply.status(202).send(result);
    },
  );

  app.get(
    '/api/v1/models/:name/versions/:version/reference',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['monitoring'], summary: "A model version's reference: status, source and per-column profile", params: VersionParams, querystring: ProjectOnly, response: withErrors({ 200: Loose }, 404) },
    },
    async (request) => monitoring.getReference(request.query.project, request.params.name, request.params.version),
  );

  app.post(
    '/api/v1/models/:name/versions/:version/monitoring',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['monitoring'],
        summary: 'Offline monitoring: the report of a dataset version as the current rows, against the reference',
        params: VersionParams,
        querystring: ProjectOnly,
        response: withErrors({ 200: Report }, 400, 404, 409),
      },
    },
    async (request) => monitoring.offlineReport(request.query.project, request.params.name, request.params.version, request.body),
  );

  app.get(
    '/api/v1/deployments/:name/monitoring',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['monitoring'],
        summary: 'Drift, data quality, performance (from labels) and operations over a time range',
        description: 'Merges the stored window profiles whose start is in [from, to); with neither, everything so far. Never reads the raw prediction log.',
        params: NameParams,
        querystring: RangeQuery,
        response: withErrors({ 200: Report }, 400, 404),
      },
    },
    async (request) => monitoring.report(request.query.project, request.params.name, request.query),
  );

  app.get(
    '/api/v1/deployments/:name/monitoring/windows',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['monitoring'],
        summary: 'Per-window drift, quality and operations (for time series and the drift heatmap), the newest `limit` windows',
        params: NameParams,
        querystring: Type.Object({ ...RangeQuery.properties, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }),
        response: withErrors({ 200: Type.Object({ items: Type.Array(Loose) }) }, 400, 404),
      },
    },
    async (request) => monitoring.windowSeries(request.query.project, request.params.name, request.query),
  );

  app.get(
    '/api/v1/deployments/:name/monitoring/settings',
    { config: { auth: 'viewer' }, schema: { tags: ['monitoring'], summary: "A deployment's monitoring settings", params: NameParams, querystring: ProjectOnly, response: withErrors({ 200: Loose }, 404) } },
    async (request) => monitoring.getSettings(request.query.project, request.params.name),
  );

  app.put(
    '/api/v1/deployments/:name/monitoring/settings',
    {
      config: { auth: 'deployer' },
      schema: {
        tags: ['monitoring'],
        summary: 'Change monitoring settings (fields left out keep their value)',
        description:
          'window: minute | hour | day | rows:N (new windows); tests: {feature|prediction: {method: ks|chisquare|z|wasserstein|jensenshannon|psi|hellinger|linf, threshold?}}; correction: none | bh; driftShare; importance: {feature: weight}; task: binary | multiclass | regression | null; sampleRows.',
        params: NameParams,
        querystring: ProjectOnly,
        body: SettingsBody,
        response: withErrors({ 200: Loose }, 400, 403, 404),
      },
    },
    async (request) => monitoring.putSettings(principalOf(request), request.query.project, request.params.name, request.body),
  );

  app.post(
    '/api/v1/deployments/:name/labels',
    {
      config: { auth: 'contributor' },
      bodyLimit: 32 * 1024 * 1024,
      schema: {
        tags: ['monitoring'],
        summary: 'Labels for served predictions: [{predictionId, label}], up to 100,000 per call, any time later',
        description:
          'Each label is joined to its prediction in the prediction log. Unknown ids are counted and listed (first 100), never fail the call; a label sent again replaces the earlier one (the last wins, counted as replaced).',
        params: NameParams,
        querystring: ProjectOnly,
        response: withErrors({ 200: Loose }, 400, 403, 404, 413),
      },
    },
    async (request) => monitoring.postLabels(principalOf(request), request.query.project, request.params.name, request.body),
  );
}
