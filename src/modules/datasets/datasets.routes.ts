import { Type } from 'typebox';
import { Cursor, Limit, Name, Page, ProjectQuery, withErrors } from '../../http/schemas.js';
import { uploadParts } from '../../http/multipart.js';
import { principalOf, type App } from '../../http/types.js';
import type { DatasetsService } from './datasets.service.js';
import { JobSchema } from '../jobs/jobs.routes.js';

const DatasetSchema = Type.Object({
  name: Type.String(),
  project: Type.String(),
  description: Type.String(),
  lastVersion: Type.Integer(),
  createdAt: Type.String(),
  createdBy: Type.String(),
  updatedAt: Type.String(),
  updatedBy: Type.String(),
});

const ColumnSchema = Type.Object({ name: Type.String(), type: Type.String(), storage: Type.String() });

const VersionSchema = Type.Object({
  dataset: Type.String(),
  project: Type.String(),
  version: Type.Integer(),
  sha256: Type.String(),
  rows: Type.Integer(),
  columns: Type.Array(ColumnSchema),
  source: Type.Object({
    format: Type.String(),
    name: Type.String(),
    size: Type.Integer(),
    sha256: Type.String(),
    csv: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
  }),
  stored: Type.Object({ format: Type.String(), size: Type.Integer(), sha256: Type.String() }),
  lineage: Type.Object({
    source: Type.Union([Type.String(), Type.Null()]),
    derivedFrom: Type.Union([Type.Object({ dataset: Type.String(), version: Type.Integer() }), Type.Null()]),
    recipe: Type.Unknown(),
    split: Type.Unknown(),
  }),
  description: Type.String(),
  profileStatus: Type.String({ description: 'PENDING, READY or FAILED' }),
  profileJob: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  createdBy: Type.String(),
});

const UPLOAD_DOC = {
  type: 'object',
  required: ['file'],
  properties: {
    metadata: {
      type: 'string',
      description:
        'JSON: {format?: "csv"|"parquet" (detected), csv?: {delimiter?, header?, quote?} (detected), schema?: {column: "numeric"|"integer"|"categorical"|"boolean"|"datetime"|"text"}, source?, description?}',
    },
    file: { type: 'string', format: 'binary', description: 'A CSV (UTF-8) or Parquet (Snappy, ZSTD, …) file' },
  },
};

const DatasetParams = Type.Object({ name: Type.String() });
const VersionParams = Type.Object({ name: Type.String(), version: Type.String({ description: "A version number or 'latest'" }) });


export function datasetRoutes(app: App, datasets: DatasetsService): void {
  app.post(
    '/api/v1/datasets',
    {
      config: { auth: 'contributor', projectFrom: 'body' },
      schema: {
        tags: ['datasets'],
        summary: 'Create a dataset',
        body: Type.Object({ name: Name, description: Type.Optional(Type.String({ maxLength: 10_000 })), project: Type.Optional(Type.String()) }, { additionalProperties: false }),
        response: withErrors({ 201: DatasetSchema }, 400, 403, 404, 409),
      },
    },
    async (request, reply) => reply.status(201).send(await datasets.createDataset(principalOf(request), request.body)),
  );

  app.get(
    '/api/v1/datasets',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['datasets'],
        summary: 'List datasets by name',
        querystring: Type.Object({ project: Type.Optional(Type.String()), name: Type.Optional(Type.String({ maxLength: 200 })), limit: Limit, cursor: Cursor }),
        response: withErrors({ 200: Page(DatasetSchema) }, 400, 404),
      },
    },
    async (request) => datasets.listDatasets(request.query),
  );

  app.get(
    '/api/v1/datasets/:name',
    { config: { auth: 'viewer' }, schema: { tags: ['datasets'], summary: 'Get a dataset', params: DatasetParams, querystring: ProjectQuery, response: withErrors({ 200: DatasetSchema }, 400, 404) } },
    async (request) => datasets.getDataset(request.query.project, request.params.name),
  );

  app.post(
    '/api/v1/datasets/:name/versions',
    {
      config: { auth: 'contributor', multipartBody: UPLOAD_DOC },
      schema: {
        tags: ['datasets'],
        summary: 'Upload a version (multipart: metadata JSON field, then the file)',
        description:
          'Streamed and hashed; the same content again answers 200 with the existing version. Otherwise the file is read into Parquet, its schema settled, and a profile job started (201).',
        params: DatasetParams,
        querystring: ProjectQuery,
        response: withErrors({ 200: VersionSchema, 201: VersionSchema }, 400, 403, 404, 413, 415, 422),
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) {
        return reply.status(415).send({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: "send multipart/form-data with a file field 'file' and an optional JSON field 'metadata'" }, requestId: request.id });
      }
      const { version, created } = await datasets.uploadVersion(principalOf(request), request.query.project, request.params.name, uploadParts(request));
      return reply
        .status(created ? 201 : 200)
        .header('location', `/api/v1/datasets/${encodeURIComponent(version.dataset)}/versions/${version.version}`)
        .send(version);
    },
  );

  app.get(
    '/api/v1/datasets/:name/versions',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['datasets'],
        summary: "A dataset's versions, newest first",
        params: DatasetParams,
        querystring: Type.Object({ project: Type.Optional(Type.String()), limit: Limit, cursor: Cursor }),
        response: withErrors({ 200: Page(VersionSchema) }, 400, 404),
      },
    },
    async (request) => datasets.listVersions(request.query.project, request.params.name, request.query),
  );

  app.get(
    '/api/v1/datasets/:name/versions/:version',
    { config: { auth: 'viewer' }, schema: { tags: ['datasets'], summary: 'Get a version: schema, sizes, lineage, profile status', params: VersionParams, querystring: ProjectQuery, response: withErrors({ 200: VersionSchema }, 400, 404) } },
    async (request) => datasets.getVersion(request.query.project, request.params.name, request.params.version),
  );

  app.get(
    '/api/v1/datasets/:name/versions/:version/profile',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['datasets'],
        summary: "A version's profile (409 while its job runs)",
        params: VersionParams,
        querystring: ProjectQuery,
        response: withErrors({ 200: Type.Object({ dataset: Type.String(), version: Type.Integer(), profile: Type.Object({}, { additionalProperties: true }) }) }, 400, 404, 409),
      },
    },
    async (request) => datasets.getProfile(request.query.project, request.params.name, request.params.version),
  );

  app.get(
    '/api/v1/datasets/:name/versions/:version/rows',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['datasets'],
        summary: 'Rows of a version, in stored order',
        params: VersionParams,
        querystring: Type.Object({
          project: Type.Optional(Type.String()),
          offset: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        }),
        response: withErrors({ 200: Type.Object({ offset: Type.Integer(), total: Type.Integer(), rows: Type.Array(Type.Object({}, { additionalProperties: true })) }) }, 400, 404),
      },
    },
    async (request) => datasets.rows(request.query.project, request.params.name, request.params.version, request.query),
  );

  app.get(
    '/api/v1/datasets/:name/versions/:version/models',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['datasets'],
        summary: 'The model versions trained, validated or tested on this version (lineage)',
        params: VersionParams,
        querystring: ProjectQuery,
        response: withErrors({ 200: Type.Object({ items: Type.Array(Type.Object({ model: Type.String(), version: Type.Integer(), status: Type.String(), role: Type.String() })) }) }, 400, 404),
      },
    },
    async (request) => ({ items: await datasets.models(request.query.project, request.params.name, request.params.version) }),
  );

  app.post(
    '/api/v1/datasets/:name/versions/:version/split',
    {
      config: { auth: 'contributor' },
      schema: {
        tags: ['datasets'],
        summary: 'Split a version reproducibly into new versions (a background job)',
        description:
          'kind random (rows ordered by MD5 of seed and row number), stratified (the same within each value of column) or time (ordered by column, earliest first); ' +
          'fractions names the parts in order and must add up to 1. Each part becomes a version of this dataset with lineage to this one; the same split again gives the same versions.',
        params: VersionParams,
        querystring: ProjectQuery,
        body: Type.Object(
          {
            kind: Type.Optional(Type.String({ description: 'random (default), stratified or time' })),
            fractions: Type.Record(Type.String(), Type.Number(), { description: 'e.g. {"train": 0.8, "test": 0.2}' }),
            seed: Type.Optional(Type.Integer({ description: 'default 0' })),
            column: Type.Optional(Type.String({ description: 'the stratify or time column' })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 202: JobSchema }, 400, 403, 404),
      },
    },
    async (request, reply) => reply.status(202).send(await datasets.requestSplit(principalOf(request), request.query.project, request.params.name, request.params.version, request.body)),
  );

  app.post(
    '/api/v1/datasets/:name/versions/:version/prepare',
    {
      config: { auth: 'contributor' },
      schema: {
        tags: ['datasets'],
        summary: 'Apply a recipe to a version, making a new version (a background job)',
        description: 'The recipe is fitted on this version (means, medians, modes, standard deviations, categories) and the fitted recipe is kept in the new version\'s lineage.',
        params: VersionParams,
        querystring: ProjectQuery,
        body: Type.Object({ recipe: Type.String(), recipeVersion: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647 })) }, { additionalProperties: false }),
        response: withErrors({ 202: JobSchema }, 400, 403, 404),
      },
    },
    async (request, reply) => reply.status(202).send(await datasets.requestPrepare(principalOf(request), request.query.project, request.params.name, request.params.version, request.body)),
  );

  app.get(
    '/api/v1/datasets/:name/versions/:version/download',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['datasets'],
        summary: 'Download a version: the stored Parquet (default), the original upload, or CSV',
        params: VersionParams,
        querystring: Type.Object({ project: Type.Optional(Type.String()), format: Type.Optional(Type.Union([Type.Literal('parquet'), Type.Literal('original'), Type.Literal('csv')])) }),
        response: withErrors({}, 400, 404),
      },
    },
    async (request, reply) => {
      const d = await datasets.download(request.query.project, request.params.name, request.params.version, request.query.format ?? 'parquet');
      reply.header('content-type', d.contentType).header('content-disposition', `attachment; filename="${d.filename}"`);
      if (d.size !== undefined) reply.header('content-length', String(d.size));
      if (d.sha256) reply.header('x-steward-sha256', d.sha256).header('etag', `"${d.sha256}"`);
      return reply.send(d.stream);
    },
  );
}
