/**
 * MLflow's artifact proxy (mlflow/protos/mlflow_artifacts.proto; client: mlflow/store/artifact/
 * http_artifact_repo.py), over TrackingService's run-artifact index and Steward's artifact store. Runs'
 * artifact_uri is `mlflow-artifacts:/<experiment id>/<run id>/artifacts`, which the client resolves to
 * `<tracking uri>/api/2.0/mlflow-artifacts/artifacts/<experiment id>/<run id>/artifacts/...`.
 *
 * - PUT    /mlflow-artifacts/artifacts/<path>   the file's bytes as the raw body, whatever its content type → {}
 * - GET    /mlflow-artifacts/artifacts/<path>   the file, streamed
 * - GET    /mlflow-artifacts/artifacts?path=<folder>   {files: [{path, is_dir, file_size}]}, `path` relative to
 *          the folder; a folder with nothing in it, or a path that is a file, lists as {} (the client then
 *          downloads the path as a file)
 * - DELETE /mlflow-artifacts/artifacts/<path>   a file, or a folder with everything in it → {}
 *
 * The wildcard arrives URL-decoded; TrackingService.checkArtifactPath refuses '.', '..' and empty parts,
 * absolute paths and backslashes, so an encoded `%2e%2e` or `%2F` cannot climb out of the index either.
 */
import { attachmentOf } from '../../../http/content-disposition.js';
import type { FastifyRequest } from 'fastify';
import { principalOf, type App } from '../../../http/types.js';
import type { MlflowDeps } from './mlflow-api.js';
import { mlflowRouteOptions } from './mlflow-tracking.routes.js';
import { fileInfoView, listField } from './mlflow-views.js';

/** Content types for downloads by file extension; anything else is application/octet-stream. */
const MIME_TYPES: Record<string, string> = {
  json: 'application/json',
  txt: 'text/plain',
  log: 'text/plain',
  md: 'text/plain',
  yaml: 'text/plain',
  yml: 'text/plain',
  csv: 'text/csv',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  // MLflow's own files without an extension (mlflow/utils/mime_type_utils.py shows these as text).
  MLmodel: 'text/plain',
  MLproject: 'text/plain',
};

export function mimeTypeOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot + 1).toLowerCase() : name;
  return MIME_TYPES[ext] ?? 'application/octet-stream';
}

/** The path after `/mlflow-artifacts/artifacts/`, as the router decoded it. */
function wildcardOf(request: FastifyRequest): string {
  return (request.params as { '*'?: string })['*'] ?? '';
}

async function* nothing(): AsyncIterable<Uint8Array> {}

/**
 * The raw body (the catch-all parser hands over the request stream); a request without one is an empty file.
 * A body that some other parser already read is a fault here, never silently an empty file.
 */
function bodyStream(request: FastifyRequest): AsyncIterable<Uint8Array> {
  const body: unknown = request.body;
  if (body === undefined || body === null) return nothing();
  if (typeof body === 'object' && Symbol.asyncIterator in body) return body as AsyncIterable<Uint8Array>;
  throw new Error('the artifact upload body was parsed instead of streamed: the catch-all content-type parser is missing');
}

export function mlflowArtifactRoutes(app: App, deps: MlflowDeps): void {
  const { tracking } = deps;

  // Uploads are files of any type sent as they are (the client sets the content type it guesses from the
  // name, e.g. application/json for a .json file): in this scope no body is parsed, every one is a stream.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  app.put('/mlflow-artifacts/artifacts/*', mlflowRouteOptions(), async (request) => {
    await tracking.putArtifact(principalOf(request), wildcardOf(request), bodyStream(request));
    return {};
  });

  app.get('/mlflow-artifacts/artifacts/*', mlflowRouteOptions(), async (request, reply) => {
    const { row, opened } = await tracking.openArtifact(principalOf(request), wildcardOf(request));
    opened.stream.on('error', (err) => request.log.error({ err, path: row.path }, 'artifact stream failed'));
    return reply
      .header('content-type', mimeTypeOf(row.path))
      .header('content-length', String(opened.size))
      .header('content-disposition', attachmentOf(row.path))
      .header('x-content-type-options', 'nosniff')
      .send(opened.stream);
  });

  app.get('/mlflow-artifacts/artifacts', mlflowRouteOptions(), async (request) => {
    const raw = (request.query as { path?: unknown }).path;
    const entries = await tracking.listArtifacts(principalOf(request), Array.isArray(raw) ? raw[0] : raw);
    return listField('files', entries.map(fileInfoView));
  });

  app.delete('/mlflow-artifacts/artifacts/*', mlflowRouteOptions(), async (request) => {
    await tracking.deleteArtifact(principalOf(request), wildcardOf(request));
    return {};
  });
}
