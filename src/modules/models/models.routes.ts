import { Type } from 'typebox';
import { forbidden } from '../../platform/errors.js';
import { Cursor, Limit, Name, Page, ProjectQuery, TagChanges, Tags, withErrors } from '../../http/schemas.js';
import { uploadParts } from '../../http/multipart.js';
import { principalOf, type App } from '../../http/types.js';
import { V2_DATATYPES } from '../../runtime/signature.js';
import { STAGES } from './model-views.js';
import type { ModelsService } from './models.service.js';
import type { RegistrationService } from './registration.service.js';

const Stage = Type.Union(STAGES.map((s) => Type.Literal(s)));
const TensorSpec = Type.Object({
  name: Type.String(),
  datatype: Type.String({ description: `${V2_DATATYPES.join(', ')}; NON_TENSOR for ONNX sequences and maps` }),
  shape: Type.Array(Type.Integer(), { description: '-1 marks a variable dimension' }),
});
const Signature = Type.Object({ inputs: Type.Array(TensorSpec), outputs: Type.Array(TensorSpec) });

const ModelSchema = Type.Object({
  name: Type.String(),
  project: Type.String(),
  description: Type.String(),
  owner: Type.String(),
  tags: Tags,
  aliases: Type.Record(Type.String(), Type.Integer(), { description: 'alias → version' }),
  lastVersion: Type.Integer({ description: 'The highest version number handed out (0 before the first)' }),
  riskTier: Type.String({ description: "low, medium or high: which of the project's policies governs the model" }),
  createdAt: Type.String(),
  createdBy: Type.String(),
  updatedAt: Type.String(),
  updatedBy: Type.String(),
});
const ModelDetailSchema = Type.Intersect([ModelSchema, Type.Object({ latestVersions: Type.Array(Type.Object({ stage: Stage, version: Type.Integer() })) })]);

const VersionSchema = Type.Object({
  model: Type.String(),
  project: Type.String(),
  version: Type.Integer(),
  status: Type.Union([Type.Literal('PENDING'), Type.Literal('READY'), Type.Literal('FAILED')]),
  statusMessage: Type.Union([Type.String(), Type.Null()]),
  flavor: Type.String(),
  sha256: Type.String(),
  size: Type.Integer(),
  signature: Type.Union([Signature, Type.Null()]),
  inputExample: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
  metrics: Type.Record(Type.String(), Type.Number()),
  params: Type.Record(Type.String(), Type.String()),
  tags: Tags,
  lineage: Type.Object({
    sourceRun: Type.Union([Type.String(), Type.Null()]),
    datasetVersion: Type.Union([Type.String(), Type.Null()]),
    parentVersion: Type.Union([Type.Integer(), Type.Null()]),
  }),
  description: Type.String(),
  stage: Stage,
  aliases: Type.Array(Type.String()),
  author: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  updatedBy: Type.String(),
});
const StageChange = Type.Object({ from: Stage, to: Stage, comment: Type.String(), at: Type.String(), by: Type.String() });
const VersionDetailSchema = Type.Intersect([
  VersionSchema,
  Type.Object({
    stageHistory: Type.Array(StageChange),
    datasets: Type.Array(Type.Object({ dataset: Type.String(), version: Type.Integer(), role: Type.String() }), { description: 'Dataset versions it was trained, validated or tested on' }),
    servable: Type.Boolean({ description: 'Whether it can be deployed: READY, and of a flavor Steward serves (onnx, xgboost-json)' }),
    mlflow: Type.Union(
      [
        Type.Object({
          source: Type.String({ description: 'The source given to model-versions/create' }),
          runId: Type.Union([Type.String(), Type.Null()]),
          runLink: Type.Union([Type.String(), Type.Null()]),
          flavors: Type.Array(Type.String(), { description: 'The flavors its MLmodel file lists' }),
          reason: Type.Union([Type.String(), Type.Null()], { description: 'Why Steward cannot serve it' }),
        }),
        Type.Null(),
      ],
      { description: 'Where a version registered through the MLflow API came from (null for uploads)' },
    ),
  }),
]);
const AliasHistory = Type.Object({ alias: Type.String(), from: Type.Union([Type.Integer(), Type.Null()]), to: Type.Union([Type.Integer(), Type.Null()]), at: Type.String(), by: Type.String() });

const ModelParams = Type.Object({ name: Type.String() });
const VersionParams = Type.Object({ name: Type.String(), version: Type.String({ description: "A version number, 'latest' (newest READY) or '@alias'" }) });
const AliasParams = Type.Object({ name: Type.String(), alias: Type.String() });

const METADATA_DOC = {
  type: 'object',
  required: ['artifact'],
  properties: {
    metadata: {
      type: 'string',
      description:
        'JSON: {flavor?: "onnx" | "xgboost-json", signature?: {inputs, outputs}, inputExample?: {input: nested array}, metrics?: {k: number}, params?: {k: string}, ' +
        'tags?: {k: string}, description?, sourceRun?, datasetVersion?, parentVersion?: integer, sha256?: hex, ' +
        'datasets?: [{dataset, version, role: train|validation|test|evaluation}]}. Send it before the artifact so that ' +
        'mistakes are found before the upload.',
    },
    artifact: { type: 'string', format: 'binary', description: 'The model file' },
  },
};


export function modelRoutes(app: App, models: ModelsService, registration: RegistrationService): void {
  app.post(
    '/api/v1/models',
    {
      config: { auth: 'contributor', projectFrom: 'body' },
      schema: {
        tags: ['models'],
        summary: 'Register a model name',
        body: Type.Object(
          {
            name: Name,
            description: Type.Optional(Type.String({ maxLength: 10_000 })),
            tags: Type.Optional(Tags),
            project: Type.Optional(Type.String()),
            owner: Type.Optional(Type.String({ description: 'A user name; defaults to the caller' })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 201: ModelSchema }, 400, 403, 404, 409),
      },
    },
    async (request, reply) => reply.status(201).send(await models.createModel(principalOf(request), request.body)),
  );

  app.get(
    '/api/v1/models',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['models'],
        summary: 'Search registered models',
        querystring: Type.Object({
          project: Type.Optional(Type.String()),
          name: Type.Optional(Type.String({ maxLength: 200, description: 'Case-insensitive part of the name' })),
          tag: Type.Optional(Type.Array(Type.String(), { description: 'key or key=value; repeat to require several' })),
          stage: Type.Optional(Type.String({ description: 'Models with a version in this stage' })),
          alias: Type.Optional(Type.String({ description: 'Models that have this alias' })),
          orderBy: Type.Optional(Type.String({ description: 'name (default), createdAt or updatedAt' })),
          order: Type.Optional(Type.String({ description: 'asc or desc' })),
          limit: Limit,
          cursor: Cursor,
        }),
        response: withErrors({ 200: Page(ModelSchema) }, 400, 404),
      },
    },
    async (request) => models.listModels(request.query),
  );

  app.get(
    '/api/v1/models/:name',
    { config: { auth: 'viewer' }, schema: { tags: ['models'], summary: 'Get a model', params: ModelParams, querystring: ProjectQuery, response: withErrors({ 200: ModelDetailSchema }, 400, 404) } },
    async (request) => models.getModel(request.query.project, request.params.name),
  );

  app.patch(
    '/api/v1/models/:name',
    {
      config: { auth: 'contributor' },
      schema: {
        tags: ['models'],
        summary: "Change a model's description, owner, tags, or risk tier (project admins only)",
        params: ModelParams,
        querystring: ProjectQuery,
        body: Type.Object(
          {
            description: Type.Optional(Type.String({ maxLength: 10_000 })),
            owner: Type.Optional(Type.String()),
            tags: Type.Optional(TagChanges),
            riskTier: Type.Optional(Type.String({ description: 'low, medium or high' })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: ModelDetailSchema }, 400, 403, 404),
      },
    },
    async (request) => {
      // The risk tier decides which policy governs the model: only the project's admins change it.
      if (request.body.riskTier !== undefined && request.access!.role !== 'admin') {
        throw forbidden(`changing the risk tier needs the admin role in project '${request.access!.project.name}'; '${principalOf(request).name}' is a ${request.access!.role} there`, { required: 'admin' });
      }
      return models.updateModel(principalOf(request), request.query.project, request.params.name, request.body);
    },
  );

  app.post(
    '/api/v1/models/:name/versions',
    {
      config: { auth: 'contributor', multipartBody: METADATA_DOC },
      schema: {
        tags: ['models'],
        summary: 'Register a new version (multipart: metadata JSON field, then the artifact file)',
        description:
          'The artifact is streamed to storage while it is hashed, then loaded once by onnxruntime. 201 when the version is READY; ' +
          '422 when the file cannot be loaded (the version is recorded as FAILED with the loader message).',
        params: ModelParams,
        querystring: ProjectQuery,
        response: withErrors({ 201: VersionSchema }, 400, 403, 404, 413, 415, 422),
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) {
        return reply.status(415).send({
          error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: "send multipart/form-data with a file field 'artifact' and a JSON field 'metadata'" },
          requestId: request.id,
        });
      }
      const { version: view, timings } = await registration.register(principalOf(request), request.query.project, request.params.name, uploadParts(request));
      return reply
        .status(201)
        .header('location', `/api/v1/models/${encodeURIComponent(view.model)}/versions/${view.version}`)
        .header(
          'server-timing',
          `receive;dur=${timings.receiveMs.toFixed(1)};desc="receive, hash, write", load;dur=${timings.loadMs.toFixed(1)};desc="load with the runtime", ` +
            `store;dur=${timings.storeMs.toFixed(1)};desc="sync, commit, record"`,
        )
        .send(view);
    },
  );

  app.get(
    '/api/v1/models/:name/versions',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['models'],
        summary: "List a model's versions (newest first by default)",
        params: ModelParams,
        querystring: Type.Object({
          project: Type.Optional(Type.String()),
          status: Type.Optional(Type.String({ description: 'PENDING, READY or FAILED' })),
          stage: Type.Optional(Type.String()),
          tag: Type.Optional(Type.Array(Type.String())),
          order: Type.Optional(Type.String({ description: 'asc or desc (default)' })),
          limit: Limit,
          cursor: Cursor,
        }),
        response: withErrors({ 200: Page(VersionSchema) }, 400, 404),
      },
    },
    async (request) => {
      const { project, ...rest } = request.query;
      return models.listVersions(project, request.params.name, rest);
    },
  );

  app.get(
    '/api/v1/models/:name/versions/:version',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['models'], summary: 'Get a version, with its stage history', params: VersionParams, querystring: ProjectQuery, response: withErrors({ 200: VersionDetailSchema }, 400, 404) },
    },
    async (request) => models.getVersion(request.query.project, request.params.name, request.params.version),
  );

  app.patch(
    '/api/v1/models/:name/versions/:version',
    {
      config: { auth: 'contributor' },
      schema: {
        tags: ['models'],
        summary: "Change a version's description or tags (everything else is immutable)",
        params: VersionParams,
        querystring: ProjectQuery,
        body: Type.Object({ description: Type.Optional(Type.String({ maxLength: 10_000 })), tags: Type.Optional(TagChanges) }, { additionalProperties: false }),
        response: withErrors({ 200: VersionSchema }, 400, 403, 404),
      },
    },
    async (request) => models.updateVersion(principalOf(request), request.query.project, request.params.name, request.params.version, request.body),
  );

  app.get(
    '/api/v1/models/:name/versions/:version/artifact',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['models'],
        summary: "Download a version's artifact (streamed; checked against its SHA-256 as it is read)",
        description: 'Headers: Content-Length, ETag and X-Steward-Sha256 carry the size and hash. A stored file found corrupt is cut off mid-stream.',
        params: VersionParams,
        querystring: ProjectQuery,
        response: withErrors({}, 400, 404, 409),
      },
    },
    async (request, reply) => {
      const a = await models.openArtifact(request.query.project, request.params.name, request.params.version);
      a.stream.on('error', (err) => request.log.error({ err, model: a.version.model, version: a.version.version }, 'artifact stream failed'));
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', String(a.size))
        .header('content-disposition', `attachment; filename="${a.filename}"`)
        .header('etag', `"${a.version.sha256}"`)
        .header('x-steward-sha256', a.version.sha256)
        .header('x-steward-version', String(a.version.version))
        .send(a.stream);
    },
  );

  app.get(
    '/api/v1/models/:name/aliases',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['models'],
        summary: "List a model's aliases",
        params: ModelParams,
        querystring: ProjectQuery,
        response: withErrors({ 200: Type.Object({ items: Type.Array(Type.Object({ alias: Type.String(), version: Type.Integer(), updatedAt: Type.String(), updatedBy: Type.String() })) }) }, 400, 404),
      },
    },
    async (request) => ({ items: await models.listAliases(request.query.project, request.params.name) }),
  );

  app.get(
    '/api/v1/models/:name/alias-history',
    {
      config: { auth: 'viewer' },
      schema: { tags: ['models'], summary: 'Every alias move of a model, oldest first', params: ModelParams, querystring: ProjectQuery, response: withErrors({ 200: Type.Object({ items: Type.Array(AliasHistory) }) }, 400, 404) },
    },
    async (request) => ({ items: await models.aliasHistory(request.query.project, request.params.name) }),
  );

  app.get(
    '/api/v1/models/:name/aliases/:alias',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['models'],
        summary: 'Resolve an alias to its version, with the alias history',
        params: AliasParams,
        querystring: ProjectQuery,
        response: withErrors({ 200: Type.Object({ alias: Type.String(), version: VersionSchema, history: Type.Array(AliasHistory) }) }, 400, 404),
      },
    },
    async (request) => models.getAlias(request.query.project, request.params.name, request.params.alias),
  );

  app.put(
    '/api/v1/models/:name/aliases/:alias',
    {
      config: { auth: 'contributor' },
      schema: {
        tags: ['models'],
        summary: 'Point an alias at a READY version',
        params: AliasParams,
        querystring: ProjectQuery,
        body: Type.Object({ version: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) }, { additionalProperties: false }),
        response: withErrors({ 200: Type.Object({ alias: Type.String(), version: Type.Integer(), previousVersion: Type.Union([Type.Integer(), Type.Null()]) }) }, 400, 403, 404, 409),
      },
    },
    async (request) => models.setAlias(principalOf(request), request.query.project, request.params.name, request.params.alias, request.body),
  );

  app.delete(
    '/api/v1/models/:name/aliases/:alias',
    {
      config: { auth: 'contributor' },
      schema: {
        tags: ['models'],
        summary: 'Remove an alias (kept in the history)',
        params: AliasParams,
        querystring: ProjectQuery,
        response: withErrors({ 200: Type.Object({ alias: Type.String(), previousVersion: Type.Integer() }) }, 400, 403, 404),
      },
    },
    async (request) => models.deleteAlias(principalOf(request), request.query.project, request.params.name, request.params.alias),
  );

  app.post(
    '/api/v1/models/:name/versions/:version/stage',
    {
      config: { auth: 'contributor' },
      schema: {
        tags: ['models'],
        summary: 'Move a version to a stage (None, Staging, Production, Archived)',
        params: VersionParams,
        querystring: ProjectQuery,
        body: Type.Object(
          {
            stage: Type.String({ description: STAGES.join(', ') }),
            comment: Type.Optional(Type.String({ maxLength: 5000 })),
            archiveExisting: Type.Optional(Type.Boolean({ description: 'Archive the versions already in the target stage' })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: VersionDetailSchema }, 400, 403, 404, 409),
      },
    },
    async (request) => models.transitionStage(principalOf(request), request.query.project, request.params.name, request.params.version, request.body),
  );
}
