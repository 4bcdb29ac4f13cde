/**
 * The inference protocols on every deployment: Steward's JSON (/api/v1/deployments/{name}/predict), MLflow
 * scoring (/deployments/{name}/invocations) and the Open Inference Protocol V2 (/v2/...). Each protocol
 * has its own error body; all share the auth rule (a token, unless the deployment is public; tokens
 * limited to deployments may call only those).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { makeErrorHandler } from '../../http/errors.js';
import type { App } from '../../http/types.js';
import { invalidField } from '../../platform/errors.js';
import { isVersionNumber } from '../../platform/validate.js';
import type { InferenceResult, InferenceService } from '../../serving/inference.service.js';
import { v2Outputs } from '../../serving/inference.service.js';
import { csvDecoder, mlflowJsonDecoder, stewardDecoder, unsupportedMedia, v2Request } from '../../serving/protocols.js';
import type { LiveRevision } from '../../serving/live-deployments.js';
import type { TensorSpec } from '../../runtime/signature.js';

type Req = FastifyRequest<{ Params: { name: string; version?: string }; Querystring: { project?: string } }>;

function projectOf(request: Req): string {
  const p = request.query.project;
  return typeof p === 'string' && p !== '' ? p : 'default';
}

function isJson(request: FastifyRequest): boolean {
  const ct = request.headers['content-type'];
  return ct !== undefined && /^application\/(json|[\w.+-]*\+json)\b/i.test(ct);
}

function pinnedVersion(request: Req): number | undefined {
  const v = request.params.version;
  if (v === undefined) return undefined;
  if (!isVersionNumber(v)) throw invalidField('version', 'must be a version number');
  return Number(v);
}

/** Prediction ids in a header: all of them up to this many rows (beyond, headers grow too large for clients). */
export const MAX_HEADER_IDS = 100;

function idsHeader(reply: FastifyReply, result: InferenceResult): void {
  const ids = result.predictionIds;
  if (ids.length <= MAX_HEADER_IDS) void reply.header('x-prediction-id', ids.join(','));
  else {
    // The first id, and how many were left out: Steward's JSON and V2 bodies carry every id.
    void reply.header('x-prediction-id', ids[0]!);
    void reply.header('x-prediction-ids-omitted', String(ids.length - 1));
  }
  void reply.header('x-model-version', `${result.target.model}:${result.target.version}`);
}

const QUERY = { type: 'object', properties: { project: { type: 'string' } } } as const;

/**
 * Plain JSON.parse for inference bodies instead of Fastify's prototype-poisoning-safe parser (a visible
 * cost per request). Safe here: payloads are only read by the decoders, which look keys up in the model's
 * feature map and never merge request objects into others, so a "__proto__" key is just an unknown field.
 */
function plainJson(scope: App): void {
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = body as string;
    if (text.length === 0) {
      done(Object.assign(new Error('body: the JSON body is empty'), { code: 'FST_ERR_CTP_EMPTY_JSON_BODY', statusCode: 400 }), undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

export function inferenceRoutes(app: App, inference: InferenceService, serverInfo: { name: string; version: string }): void {
  // Steward's own JSON.
  app.register(async (scope) => {
    plainJson(scope as unknown as App);
    scope.post<{ Params: { name: string }; Querystring: { project?: string } }>(
      '/api/v1/deployments/:name/predict',
      {
        config: { auth: 'inference' },
        schema: {
          tags: ['inference'],
          summary: "Predict with a deployment (Steward's JSON)",
          description:
            'Body: {"rows": [{feature: value, …}]} or {"columns": {feature: [values]}}; null is a missing value (tree models). ' +
            'Answer: {"predictions": [...], "predictionIds": [...], "modelVersion": {"model", "version"}, "revision"}; a binary classifier predicts the positive class\'s probability.',
          querystring: QUERY,
        },
      },
      async (request, reply) => {
        if (!isJson(request)) throw unsupportedMedia(request.headers['content-type'], 'application/json');
        const result = await inference.predict({ project: projectOf(request as Req), deployment: request.params.name, decode: stewardDecoder(request.body), anonymous: request.principal === null });
        idsHeader(reply, result);
        return { predictions: result.predictions, predictionIds: result.predictionIds, modelVersion: { model: result.target.model, version: result.target.version }, revision: result.revision.revision };
      },
    );
  });

  // MLflow scoring protocol.
  app.register(async (scope) => {
    scope.setErrorHandler(makeErrorHandler((e) => ({ error_code: mlflowCode(e.status), message: e.message })));
    plainJson(scope as unknown as App);
    scope.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
    scope.post<{ Params: { name: string }; Querystring: { project?: string } }>(
      '/deployments/:name/invocations',
      {
        config: { auth: 'inference' },
        schema: {
          tags: ['inference'],
          summary: 'Predict with a deployment (MLflow scoring protocol)',
          description: 'JSON with exactly one of dataframe_split, dataframe_records, instances, inputs (and optional params), or text/csv with a header. Answer: {"predictions": [...]}; ids in x-prediction-id.',
          querystring: QUERY,
        },
      },
      async (request, reply) => {
        const ct = request.headers['content-type'] ?? '';
        let decoder;
        if (isJson(request)) decoder = mlflowJsonDecoder(request.body);
        else if (/^(text|application)\/csv\b/i.test(ct)) decoder = csvDecoder(request.body as string);
        else throw unsupportedMedia(ct, 'application/json or text/csv');
        const result = await inference.predict({ project: projectOf(request as Req), deployment: request.params.name, decode: decoder, anonymous: request.principal === null });
        idsHeader(reply, result);
        return { predictions: result.predictions };
      },
    );
    for (const path of ['/deployments/:name/ping', '/deployments/:name/health']) {
      scope.get<{ Params: { name: string }; Querystring: { project?: string } }>(
        path,
        { config: { auth: 'inference' }, schema: { tags: ['inference'], summary: 'MLflow scoring health: 200 when the deployment serves', querystring: QUERY } },
        async (request, reply) => {
          inference.revision(projectOf(request as Req), request.params.name);
          return reply.type('text/plain').send('\n');
        },
      );
    }
  });

  // Open Inference Protocol V2.
  app.register(async (scope) => {
    scope.setErrorHandler(makeErrorHandler((e) => ({ error: e.message })));
    plainJson(scope as unknown as App);
    scope.get('/v2/health/live', { config: { auth: 'public' }, schema: { tags: ['inference'], summary: 'V2: server live' } }, async (_request, reply) => reply.status(200).send());
    scope.get('/v2/health/ready', { config: { auth: 'public' }, schema: { tags: ['inference'], summary: 'V2: server ready' } }, async (_request, reply) => reply.status(200).send());
    scope.get('/v2', { config: { auth: 'public' }, schema: { tags: ['inference'], summary: 'V2: server metadata' } }, async () => ({ name: serverInfo.name, version: serverInfo.version, extensions: [] }));

    const metadata = (revision: LiveRevision, version?: number) => {
      const target = version === undefined ? [...revision.targets].sort((a, b) => b.weight - a.weight)[0]! : inference.target(revision, version);
      const spec = (t: TensorSpec) => ({ name: t.name, datatype: t.datatype === 'NON_TENSOR' ? 'BYTES' : t.datatype, shape: t.shape });
      return {
        name: revision.name,
        versions: revision.targets.map((t) => String(t.version)),
        platform: target.runtime.flavor === 'onnx' ? 'onnxruntime_onnx' : `steward_${target.runtime.flavor}`,
        inputs: target.runtime.schema.inputs.map((l) => spec({ name: l.name, datatype: l.datatype, shape: [-1, ...l.declared] })),
        outputs: target.runtime.schema.outputs.filter((o) => o.datatype !== 'NON_TENSOR').map(spec),
        parameters: { model: target.model, version: target.version, revision: revision.revision },
      };
    };
    for (const suffix of ['', '/versions/:version']) {
      scope.get<{ Params: { name: string; version?: string }; Querystring: { project?: string } }>(
        `/v2/models/:name${suffix}`,
        { config: { auth: 'inference' }, schema: { tags: ['inference'], summary: 'V2: model metadata', querystring: QUERY } },
        async (request) => metadata(inference.revision(projectOf(request as Req), request.params.name), pinnedVersion(request as Req)),
      );
      scope.get<{ Params: { name: string; version?: string }; Querystring: { project?: string } }>(
        `/v2/models/:name${suffix}/ready`,
        { config: { auth: 'inference' }, schema: { tags: ['inference'], summary: 'V2: model ready (200) or not (404)', querystring: QUERY } },
        async (request, reply) => {
          const revision = inference.revision(projectOf(request as Req), request.params.name);
          const v = pinnedVersion(request as Req);
          if (v !== undefined) inference.target(revision, v);
          return reply.status(200).send();
        },
      );
      scope.post<{ Params: { name: string; version?: string }; Querystring: { project?: string } }>(
        `/v2/models/:name${suffix}/infer`,
        { config: { auth: 'inference' }, schema: { tags: ['inference'], summary: 'V2: inference', querystring: QUERY } },
        async (request, reply) => {
          if (!isJson(request)) throw unsupportedMedia(request.headers['content-type'], 'application/json');
          const parsed = v2Request(request.body);
          const result = await inference.predict({
            project: projectOf(request as Req),
            deployment: request.params.name,
            decode: parsed.decoder,
            version: pinnedVersion(request as Req),
            anonymous: request.principal === null,
            rowPredictions: false,
          });
          idsHeader(reply, result);
          return {
            model_name: result.revision.name,
            model_version: String(result.target.version),
            ...(parsed.id !== undefined ? { id: parsed.id } : {}),
            parameters: { model: result.target.model, revision: result.revision.revision, prediction_ids: result.predictionIds },
            outputs: v2Outputs(result.outputs, parsed.outputs),
          };
        },
      );
    }
  });
}

function mlflowCode(status: number): string {
  if (status === 404) return 'RESOURCE_DOES_NOT_EXIST';
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'PERMISSION_DENIED';
  if (status === 503) return 'TEMPORARILY_UNAVAILABLE';
  if (status >= 500) return 'INTERNAL_ERROR';
  return 'BAD_REQUEST';
}
