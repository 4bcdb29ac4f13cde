import { Type } from 'typebox';
import { withErrors } from '../../http/schemas.js';
import { principalOf, type App } from '../../http/types.js';
import type { ExplainService } from './explain.service.js';

const Loose = Type.Object({}, { additionalProperties: true });
const Explanation = Type.Object(
  {
    model: Type.Object({ name: Type.String(), version: Type.Integer() }, { description: 'The version that answered (chosen by the routing, as for /predict)' }),
    method: Type.Union([Type.Literal('tree'), Type.Literal('kernel')]),
    note: Type.Union([Type.String(), Type.Null()], { description: 'Why KernelSHAP was used, with its background and coalitions' }),
    features: Type.Array(Type.String()),
    outputs: Type.Array(Type.String(), { description: "What each output explains: ['log-odds'] for binary, one per class for multiclass, ['value'] for regression" }),
    space: Type.String({ description: "'margin' (trees), 'logit' or 'log' (probabilities through a link) or 'identity'" }),
    bias: Type.Array(Type.Number(), { description: 'Expected value per output: Σ shap + bias = the explained output' }),
    shap: Type.Array(Type.Array(Type.Array(Type.Number())), { description: '[row][output][feature]' }),
    values: Type.Array(Type.Array(Type.Union([Type.Number(), Type.String(), Type.Null()])), { description: '[row][feature]: the values explained' }),
    predictions: Type.Array(Type.Unknown()),
    additivityError: Type.Number({ description: 'max |Σ shap + bias − output| over rows and outputs' }),
    interactions: Type.Optional(Type.Array(Type.Array(Type.Array(Type.Array(Type.Number()))), { description: 'With "interactions": true (tree models, up to 100 rows): [row][output][feature][feature]; each row of a matrix sums to that feature\'s SHAP value' })),
  },
  { additionalProperties: true },
);
const ReportView = Type.Object(
  {
    id: Type.String(),
    model: Type.String(),
    version: Type.Integer(),
    dataset: Type.Object({ name: Type.String(), version: Type.Integer() }),
    status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed')]),
    error: Type.Union([Type.String(), Type.Null()]),
    jobId: Type.String(),
    progress: Type.Union([Type.Object({ fraction: Type.Number(), message: Type.String() }), Type.Null()]),
    createdAt: Type.String(),
    createdBy: Type.String(),
    finishedAt: Type.Union([Type.String(), Type.Null()]),
    params: Loose,
    summary: Type.Union([Type.Object({ method: Type.String(), top: Type.Array(Type.Object({ feature: Type.String(), meanAbsShap: Type.Number() })) }), Type.Null()]),
    result: Type.Optional(
      Type.Union([Loose, Type.Null()], {
        description:
          'method, note, space, features, outputs, bias, importance [{feature, meanAbsShap, perOutput}], samples {x, shap}, permutation {metric, baseline, repeats, features [{feature, mean, std}]} | null, ' +
          'partialDependence [{feature, kind, grid, outputs, average [output][grid], ice [output][line][grid]}], partialDependence2d [{features, grid, outputs, values [output][a][b]}], additivityError',
      }),
    ),
  },
  { additionalProperties: true },
);
const ReportBody = Type.Object(
  {
    dataset: Type.String({ description: 'Dataset name' }),
    version: Type.Integer({ description: 'Dataset version' }),
    rows: Type.Optional(Type.Integer({ description: 'Rows explained (a seeded sample, 10–10000; default 1000 for tree models, 100 for KernelSHAP)' })),
    background: Type.Optional(Type.Integer({ description: 'Background rows for KernelSHAP (default 100)' })),
    backgroundMethod: Type.Optional(Type.String({ description: "'kmeans' (centres, weighted by cluster size; default) or 'sample' (a seeded sample of rows)" })),
    seed: Type.Optional(Type.Integer()),
    target: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'Label column: adds permutation importance' })),
    metric: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'roc_auc, accuracy, precision, recall, f1, log_loss, ece (classifiers); rmse, mse, mae, r2, mape (regression); default roc_auc (binary), accuracy (multiclass), rmse' })),
    features: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'Partial dependence for these features (default: the 5 most important)' })),
    pairs: Type.Optional(Type.Union([Type.Array(Type.Array(Type.String())), Type.Null()], { description: 'Up to 3 feature pairs for 2-D partial dependence' })),
  },
  { additionalProperties: true },
);
const VersionParams = Type.Object({ name: Type.String(), version: Type.Integer({ minimum: 1 }) });
const ReportParams = Type.Object({ name: Type.String(), version: Type.Integer({ minimum: 1 }), id: Type.String() });
const ProjectOnly = Type.Object({ project: Type.Optional(Type.String()) });

export function explainRoutes(app: App, explain: ExplainService): void {
  app.post(
    '/api/v1/deployments/:name/explain',
    {
      config: { auth: 'inference' },
      schema: {
        tags: ['explanations'],
        summary: 'Explain a request exactly as the deployment would serve it (SHAP values per row, output and feature)',
        description:
          "Body: /predict's ({\"rows\": [...]} or {\"columns\": {...}}), optionally with \"background\": {\"rows\": [...]} (KernelSHAP's background; default: the background of the version's newest explanation report), \"nsamples\", \"seed\" and \"interactions\": true (SHAP interaction values, tree models). " +
          'Tree models get exact TreeSHAP in margin space; other models KernelSHAP (the answer says so in `note`). Needs a token even on a public deployment. Nothing is logged.',
        params: Type.Object({ name: Type.String() }),
        querystring: ProjectOnly,
        body: Loose,
        response: withErrors({ 200: Explanation }, 400, 403, 404, 503),
      },
    },
    async (request) => explain.explainRequest(request.principal ?? null, request.query.project || 'default', request.params.name, request.body),
  );

  app.get(
    '/api/v1/predictions/:id/explanation',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['explanations'],
        summary: 'Explain a logged prediction with the model version that made it',
        params: Type.Object({ id: Type.String() }),
        querystring: ProjectOnly,
        response: withErrors({ 200: Type.Intersect([Explanation, Type.Object({ predictionId: Type.String(), deployment: Type.String(), time: Type.String() })]) }, 400, 404),
      },
    },
    async (request) => explain.explainPrediction(request.query.project, request.params.id),
  );

  app.post(
    '/api/v1/models/:name/versions/:version/explanations',
    {
      config: { auth: 'contributor' },
      schema: {
        tags: ['explanations'],
        summary: 'Start a global explanation report of a model version on a dataset version (202: a background job)',
        params: VersionParams,
        querystring: ProjectOnly,
        body: ReportBody,
        response: withErrors({ 202: ReportView }, 400, 403, 404),
      },
    },
    async (request, reply) => reply.status(202).send(await explain.requestReport(principalOf(request), request.query.project, request.params.name, request.params.version, request.body)),
  );

  app.get(
    '/api/v1/models/:name/versions/:version/explanations',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['explanations'], summary: "A model version's explanation reports, newest first (without their results)", params: VersionParams, querystring: ProjectOnly, response: withErrors({ 200: Type.Object({ items: Type.Array(ReportView) }) }, 404) },
    },
    async (request) => explain.listReports(request.query.project, request.params.name, request.params.version),
  );

  app.get(
    '/api/v1/models/:name/versions/:version/explanations/:id',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['explanations'], summary: 'One explanation report with its result', params: ReportParams, querystring: ProjectOnly, response: withErrors({ 200: ReportView }, 404) },
    },
    async (request) => explain.getReport(request.query.project, request.params.name, request.params.version, request.params.id),
  );

  app.post(
    '/api/v1/models/:name/versions/:version/explanations/:id/retry',
    {
      config: { auth: 'contributor' },
      schema: { tags: ['explanations'], summary: 'Run a failed explanation report again', params: ReportParams, querystring: ProjectOnly, response: withErrors({ 202: ReportView }, 403, 404, 409) },
    },
    async (request, reply) => reply.status(202).send(await explain.retryReport(principalOf(request), request.query.project, request.params.name, request.params.version, request.params.id)),
  );
}
