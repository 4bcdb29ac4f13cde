import { Type } from 'typebox';
import { withErrors } from '../../../http/schemas.js';
import { principalOf, type App } from '../../../http/types.js';
import type { GatesService } from './gates.service.js';

const Loose = Type.Object({}, { additionalProperties: true });
const GateSpecSchema = Type.Object(
  { name: Type.String({ description: 'Unique within the run' }), type: Type.String({ description: 'metric | schema | robustness | latency | fairness | leakage' }) },
  {
    additionalProperties: true,
    description:
      'metric {metric: roc_auc|accuracy|precision|recall|f1|log_loss|rmse|mse|mae|r2, threshold?, minAbsoluteChange?, minRelativeChange?, greaterIsBetter?, baseline? (alias, default champion)}; ' +
      'schema {}; robustness {tolerance, noise? 0.01, rows? 500, seed? 1}; latency {p95Ms, rows? 200}; ' +
      'fairness {sensitive, metric: demographic_parity_difference|demographic_parity_ratio|equal_opportunity_difference|equalized_odds_difference, tolerance (ratio: minimum), positiveLabel?, threshold? 0.5, groups?}; ' +
      'leakage {trainingDataset? "name@version" (default: the version\'s training datasets), keys?, maxOverlap? 0}',
  },
);
const ResultView = Type.Object(
  {
    id: Type.String(),
    runId: Type.String(),
    name: Type.String(),
    type: Type.String(),
    specSha256: Type.String({ description: 'SHA-256 of the canonical JSON of the normalised spec without its name: what policies match on' }),
    spec: Loose,
    passed: Type.Boolean(),
    summary: Type.String(),
    details: Type.Object({}, { additionalProperties: true, description: 'What was measured; `error` when the gate could not be evaluated' }),
    createdAt: Type.String(),
  },
  { additionalProperties: true },
);
const RunView = Type.Object(
  {
    id: Type.String(),
    model: Type.String(),
    version: Type.Integer(),
    modelVersionId: Type.String(),
    dataset: Type.Object({ name: Type.String(), version: Type.Integer() }),
    target: Type.Union([Type.String(), Type.Null()]),
    policyId: Type.Union([Type.String(), Type.Null()]),
    status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed')]),
    passed: Type.Union([Type.Boolean(), Type.Null()], { description: 'Every gate passed; null until the run succeeds' }),
    error: Type.Union([Type.String(), Type.Null()]),
    jobId: Type.String(),
    progress: Type.Union([Type.Object({ fraction: Type.Number(), message: Type.String() }), Type.Null()]),
    createdAt: Type.String(),
    createdBy: Type.String(),
    finishedAt: Type.Union([Type.String(), Type.Null()]),
    gates: Type.Array(Loose, { description: 'The normalised specs, each with its specSha256' }),
    baselines: Type.Object({}, { additionalProperties: true, description: 'Per baseline alias: the version it pointed at when the run was requested, or {none: why}' }),
    results: Type.Optional(Type.Array(ResultView)),
  },
  { additionalProperties: true },
);
const RunBody = Type.Object(
  {
    dataset: Type.String({ description: 'The evaluation data: "name@version"' }),
    target: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'Label column (metric gates, and fairness gates other than demographic parity, need it)' })),
    gates: Type.Array(GateSpecSchema, { description: '1 to 20 gate specs' }),
    policyId: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'The policy this run was started for' })),
  },
  { additionalProperties: true },
);
const VersionParams = Type.Object({ name: Type.String(), version: Type.Integer({ minimum: 1 }) });
const RunParams = Type.Object({ name: Type.String(), version: Type.Integer({ minimum: 1 }), id: Type.String() });
const ProjectOnly = Type.Object({ project: Type.Optional(Type.String()) });

export function gateRoutes(app: App, gates: GatesService): void {
  app.post(
    '/api/v1/models/:name/versions/:version/gate-runs',
    {
      config: { auth: 'contributor' },
      schema: {
        tags: ['gates'],
        summary: 'Run test gates on a model version against a dataset version (202: a background job)',
        description: 'Every spec is checked before anything is queued (a 400 names the field, e.g. gates[2].tolerance). The version must be READY. Baseline aliases are resolved now.',
        params: VersionParams,
        querystring: ProjectOnly,
        body: RunBody,
        response: withErrors({ 202: RunView }, 400, 403, 404, 409),
      },
    },
    async (request, reply) => reply.status(202).send(await gates.requestRun(principalOf(request), request.query.project, request.params.name, request.params.version, request.body)),
  );

  app.get(
    '/api/v1/models/:name/versions/:version/gate-runs',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['gates'], summary: "A model version's gate runs, newest first (without their results)", params: VersionParams, querystring: ProjectOnly, response: withErrors({ 200: Type.Object({ items: Type.Array(RunView) }) }, 403, 404) },
    },
    async (request) => gates.listRuns(request.query.project, request.params.name, request.params.version),
  );

  app.get(
    '/api/v1/models/:name/versions/:version/gate-runs/:id',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['gates'], summary: 'One gate run with its results', params: RunParams, querystring: ProjectOnly, response: withErrors({ 200: RunView }, 403, 404) },
    },
    async (request) => gates.getRun(request.query.project, request.params.name, request.params.version, request.params.id),
  );

  app.post(
    '/api/v1/models/:name/versions/:version/gate-runs/:id/retry',
    {
      config: { auth: 'contributor' },
      schema: { tags: ['gates'], summary: 'Run a failed gate run again (a new job; the same gates and baselines)', params: RunParams, querystring: ProjectOnly, response: withErrors({ 202: RunView }, 403, 404, 409) },
    },
    async (request, reply) => reply.status(202).send(await gates.retryRun(principalOf(request), request.query.project, request.params.name, request.params.version, request.params.id)),
  );

  app.get(
    '/api/v1/models/:name/versions/:version/gate-results',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['gates'],
        summary: "A model version's gate results, newest first",
        description: 'latest=true keeps the newest result per gate name (the version page); name= keeps one gate name.',
        params: VersionParams,
        querystring: Type.Object({ project: Type.Optional(Type.String()), name: Type.Optional(Type.String()), latest: Type.Optional(Type.Boolean()) }),
        response: withErrors({ 200: Type.Object({ items: Type.Array(ResultView) }) }, 403, 404),
      },
    },
    async (request) => gates.listResults(request.query.project, request.params.name, request.params.version, { name: request.query.name, latest: request.query.latest }),
  );
}
