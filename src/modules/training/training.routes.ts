/**
 * Training jobs: ask for a training (202, a background job), follow it, cancel it, register its best
 * model. Bodies are checked by the services, which name the field of every problem.
 */
import { Type } from 'typebox';
import { withErrors } from '../../http/schemas.js';
import { principalOf, type App } from '../../http/types.js';
import type { TrainingRegistrationService } from './training-registration.js';
import type { TrainingService } from './training.service.js';

const TAGS = ['training'];
const Loose = Type.Object({}, { additionalProperties: true });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const TrialSchema = Type.Object(
  {
    index: Type.Integer(),
    runId: Type.String({ description: 'The tracked run of the trial (the parent run when there is no search)' }),
    params: Type.Record(Type.String(), Type.Number(), { description: 'Every parameter of the fit (booleans as 0/1)' }),
    status: Type.String({ description: 'RUNNING, FINISHED, FAILED or KILLED' }),
    metrics: Type.Record(Type.String(), Type.Number(), { description: 'Validation metrics at the kept round (cross-validation means with folds)' }),
    score: Type.Union([Type.Number(), Type.Null()], { description: "The job's metric for this trial" }),
    rounds: Type.Integer({ description: 'Rounds (trees per class) kept in the model; 1 for linear models' }),
    roundsTrained: Type.Integer(),
    durationMs: Type.Number(),
    stoppedBy: Type.Union([Type.String(), Type.Null()], { description: "'time budget' when the budget ended the fit (its model so far is kept)" }),
    error: Type.Union([Type.String(), Type.Null()]),
    importance: Type.Array(Type.Object({ feature: Type.String(), gain: Type.Number(), splits: Type.Union([Type.Integer(), Type.Null()]) }), {
      description: 'Most important first: total gain and split count (trees), |standardized coefficient| (linear)',
    }),
    modelPath: Type.Union([Type.String(), Type.Null()], { description: "The model file in the run's artifacts" }),
    note: Type.Union([Type.String(), Type.Null()], { description: "What to know about the trial's model, e.g. cross-validation cut short by the time budget" }),
  },
  { additionalProperties: true },
);

const TrainingJobSchema = Type.Object(
  {
    id: Type.String(),
    project: Type.String(),
    status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('cancelled')]),
    dataset: Type.Object({ name: Type.String(), version: Type.Integer() }),
    target: Type.String(),
    task: Type.String({ description: 'binary, multiclass or regression' }),
    algorithm: Type.String({ description: 'gbdt or linear' }),
    metric: Type.String({ description: 'The validation metric that ranks trials' }),
    features: Type.Array(Type.String()),
    skipped: Type.Array(Type.Object({ column: Type.String(), type: Type.String() }), { description: 'Columns left out (not numeric) when features were not named' }),
    classes: Type.Array(Type.String(), { description: 'Class labels by class number (binary: the probability is of classes[1])' }),
    params: Type.Record(Type.String(), Type.Number()),
    search: Type.Union([Loose, Type.Null()]),
    validation: Loose,
    timeBudgetSeconds: Type.Union([Type.Number(), Type.Null()]),
    experimentId: Nullable(Type.String()),
    runId: Nullable(Type.String({ description: 'The parent run' })),
    jobId: Type.String(),
    progress: Type.Union([Type.Object({ fraction: Type.Number(), message: Type.String() }), Type.Null()]),
    cancelRequested: Type.Boolean(),
    result: Type.Union([
      Type.Object(
        {
          rows: Type.Object({ total: Type.Integer(), train: Type.Integer(), validation: Type.Integer(), droppedMissingTarget: Type.Integer() }),
          trials: Type.Array(TrialSchema),
          best: Type.Union([Type.Integer(), Type.Null()]),
          stoppedBy: Nullable(Type.String()),
          plannedTrials: Type.Integer(),
          registered: Type.Array(Type.Object({ model: Type.String(), version: Type.Integer(), trial: Type.Integer(), at: Type.String(), by: Type.String() })),
        },
        { additionalProperties: true },
      ),
      Type.Null(),
    ]),
    error: Nullable(Type.String()),
    createdAt: Type.String(),
    createdBy: Type.String(),
    startedAt: Nullable(Type.String()),
    finishedAt: Nullable(Type.String()),
  },
  { additionalProperties: true },
);

const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const HandlerQuery = Type.Object({ project: Type.Optional(Type.String({ description: "Ignored: the job's own project is used" })) });

const SUBMIT_DESCRIPTION = [
  'Body: {"project"?, "dataset": "name@version", "target": column, "task"?: binary|multiclass|regression (inferred: two values → binary; text or integer with ≤ 10 values → multiclass; else regression),',
  '"algorithm"?: gbdt (default) | linear, "features"?: [columns] (default: every numeric, integer and boolean column but the target), "params"?: {…},',
  '"search"?: {"method": random|grid, "space": {param: [values] | {"min", "max", "log"?}}, "trials"?, "seed"?} (space defaults to a sensible one per algorithm),',
  '"validation"?: {"fraction": 0.2, "seed"} | {"folds": k, "seed"} | {"dataset": "name@version"}, "metric"?: auc|logloss (binary), mlogloss|merror (multiclass), rmse, "timeBudgetSeconds"?, "experiment"?, "runName"?}.',
  'gbdt params: numRounds (200), learningRate (0.1), maxDepth (6; 0 = no limit with maxLeaves), maxLeaves (0; > 0 grows best first, as xgboost\'s lossguide), maxBins (256), lambda (1), gamma (0), minChildWeight (1), subsample (1), colsampleByTree (1), earlyStoppingRounds (20; 0 = off), seed (0).',
  'linear params: C (1, classification), alpha (1) and l1Ratio (0, regression), maxIter (1000), tol (1e-4), standardize (true).',
  'Everything is checked against the dataset before the job is queued: an unknown column, a target with one class, a non-numeric target for regression, fewer rows than folds, a parameter out of range → 400 naming the field.',
].join(' ');

export function trainingRoutes(app: App, training: TrainingService, registration: TrainingRegistrationService): void {
  app.post(
    '/api/v1/training-jobs',
    {
      config: { auth: 'contributor', projectFrom: 'body' },
      schema: { tags: TAGS, summary: 'Train a model on a dataset version (202: a background job; every trial is a tracked run)', description: SUBMIT_DESCRIPTION, body: Loose, response: withErrors({ 202: TrainingJobSchema }, 400, 403, 404) },
    },
    async (request, reply) => reply.status(202).send(await training.submit(principalOf(request), request.body)),
  );

  app.get(
    '/api/v1/training-jobs',
    {
      config: { auth: 'viewer', projectFrom: 'query' },
      schema: {
        tags: TAGS,
        summary: "A project's training jobs, newest first",
        querystring: Type.Object({
          project: Type.Optional(Type.String({ description: "Project name; 'default' when omitted" })),
          status: Type.Optional(Type.String({ description: 'queued, running, succeeded, failed or cancelled' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, description: 'Default 50' })),
          cursor: Type.Optional(Type.String({ description: 'nextCursor of the previous page' })),
        }),
        response: withErrors({ 200: Type.Object({ items: Type.Array(TrainingJobSchema), nextCursor: Nullable(Type.String()) }) }, 400, 403, 404),
      },
    },
    async (request) => training.list(principalOf(request), request.query.project, request.query),
  );

  app.get(
    '/api/v1/training-jobs/:id',
    {
      config: { auth: 'viewer', projectFrom: 'handler' },
      schema: { tags: TAGS, summary: 'A training job: status, progress, trials and the best one', params: IdParams, querystring: HandlerQuery, response: withErrors({ 200: TrainingJobSchema }, 403, 404) },
    },
    async (request) => training.get(principalOf(request), request.params.id),
  );

  app.post(
    '/api/v1/training-jobs/:id/cancel',
    {
      config: { auth: 'contributor', projectFrom: 'handler' },
      schema: {
        tags: TAGS,
        summary: 'Cancel a queued or running training job (a running fit stops after its current round; finished trials stay registrable)',
        params: IdParams,
        querystring: HandlerQuery,
        response: withErrors({ 200: TrainingJobSchema }, 403, 404, 409),
      },
    },
    async (request) => training.cancel(principalOf(request), request.params.id),
  );

  app.post(
    '/api/v1/training-jobs/:id/register',
    {
      config: { auth: 'contributor', projectFrom: 'handler' },
      schema: {
        tags: TAGS,
        summary: "Register a trial's model (the best by default) as a model version, with its ONNX export checked against the native model",
        description:
          'Body: {"model": name (made when it does not exist), "trial"?: index, "format"?: "xgboost-json" (trees, the default: native evaluator and TreeSHAP) | "onnx", "description"?}. ' +
          "The ONNX export is always written to the trial's run artifacts (model/model.onnx) after onnxruntime's predictions matched the native ones within 1e-5 on up to 1,000 training rows. " +
          'The version gets the validation metrics, params, lineage (dataset versions, run) and a reference profile request (for monitoring) on the training dataset version.',
        params: IdParams,
        querystring: HandlerQuery,
        body: Loose,
        response: withErrors(
          {
            201: Type.Object(
              {
                version: Loose,
                trial: Type.Integer(),
                runId: Type.String(),
                format: Type.String(),
                onnx: Type.Object({ path: Type.String(), sha256: Type.String(), size: Type.Integer(), maxAbsDiff: Type.Number(), rowsCompared: Type.Integer() }),
                reference: Loose,
                modelCreated: Type.Boolean(),
              },
              { additionalProperties: true },
            ),
          },
          400,
          403,
          404,
          409,
          422,
        ),
      },
    },
    async (request, reply) => reply.status(201).send(await registration.register(principalOf(request), request.params.id, request.body)),
  );
}
