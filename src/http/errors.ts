import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, STATUS_BY_KIND } from '../platform/errors.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
  requestId: string;
}

interface AjvIssue {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
  keyword?: string;
}

/** "body.tags.x" from a validation context and an Ajv instance path like "/tags/x". */
function fieldOf(context: string | undefined, issue: AjvIssue): string {
  const path = (issue.instancePath ?? '').split('/').filter(Boolean).join('.');
  let field = [context ?? 'request', path].filter(Boolean).join('.');
  if (issue.keyword === 'required' && typeof issue.params?.missingProperty === 'string') field += `.${issue.params.missingProperty}`;
  if (issue.keyword === 'additionalProperties' && typeof issue.params?.additionalProperty === 'string') field += `.${issue.params.additionalProperty}`;
  return field;
}

function describeIssue(issue: AjvIssue): string {
  switch (issue.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a known field';
    case 'enum':
      return `must be one of ${(issue.params?.allowedValues as unknown[] | undefined)?.join(', ') ?? 'the allowed values'}`;
    default:
      return issue.message ?? 'is invalid';
  }
}

/**
 * A union of literals (e.g. a role) fails with one `const` issue per allowed value and an `anyOf`: said as
 * one problem, "must be one of a, b, c", instead of "must be equal to constant".
 */
function oneOfConstants(issues: { field: string; issue: AjvIssue }[]): { field: string; issue: AjvIssue; problem?: string }[] {
  const allowed = new Map<string, unknown[]>();
  for (const { field, issue } of issues) if (issue.keyword === 'const') allowed.set(field, [...(allowed.get(field) ?? []), issue.params?.allowedValue]);
  const said = new Set<string>();
  const out: { field: string; issue: AjvIssue; problem?: string }[] = [];
  for (const x of issues) {
    const values = allowed.get(x.field);
    if (values === undefined || (x.issue.keyword !== 'const' && x.issue.keyword !== 'anyOf')) out.push(x);
    else if (!said.has(x.field)) {
      said.add(x.field);
      out.push({ ...x, problem: `must be one of ${values.join(', ')}` });
    }
  }
  return out;
}

/** Fastify's own errors (validation, body size, content type, JSON syntax) mapped to the same body. */
function fromFastify(err: FastifyError): { status: number; code: string; message: string; details?: Record<string, unknown> } | undefined {
  if (err.validation) {
    const problems = oneOfConstants((err.validation as AjvIssue[]).map((i) => ({ field: fieldOf(err.validationContext, i), issue: i }))).map(({ field, issue, problem }) => ({
      field,
      problem: problem ?? describeIssue(issue),
    }));
    const first = problems[0]!;
    return { status: 400, code: 'VALIDATION_FAILED', message: `${first.field}: ${first.problem}`, details: { field: first.field, problems } };
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'the request body is larger than the configured limit' };
    case 'FST_REQ_FILE_TOO_LARGE':
      return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'artifact: the file is larger than the configured limit', details: { field: 'artifact' } };
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'the multipart request has too many parts' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: err.message };
    case 'FST_INVALID_JSON_FIELD_ERROR':
      return { status: 400, code: 'INVALID_JSON', message: 'metadata: is not valid JSON (it was sent as application/json)', details: { field: 'metadata' } };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'INVALID_JSON', message: 'body: the JSON body is empty' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, code: 'INVALID_CONTENT_LENGTH', message: err.message };
  }
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return { status: 400, code: 'INVALID_JSON', message: `body: is not valid JSON (${err.message})` };
  }
  // Stream errors from a client that cut its upload (busboy: "Unexpected end of form").
  if (/Unexpected end of (form|multipart data)|Malformed part header|Multipart: Boundary not found/i.test(err.message)) {
    return { status: 400, code: 'INCOMPLETE_UPLOAD', message: `the multipart body is incomplete or malformed: ${err.message}` };
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return { status: err.statusCode, code: err.code ?? 'BAD_REQUEST', message: err.message };
  }
  return undefined;
}

export interface ClassifiedError {
  status: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** Any thrown error as a status, a stable code and a message fit for the client. */
export function classifyError(err: FastifyError): ClassifiedError {
  if (err instanceof DomainError) return { status: STATUS_BY_KIND[err.kind], code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) };
  return fromFastify(err) ?? { status: 500, code: 'INTERNAL', message: 'an internal error occurred; the server log has the details under this requestId' };
}

/**
 * An error handler that writes the body with `shape`: Steward's own {error:{code,message,details}} by
 * default; the inference protocols bring their own (V2: {error}, MLflow: {error_code, message}).
 */
export function makeErrorHandler(shape: (e: ClassifiedError, request: FastifyRequest) => unknown, statusOf: (e: ClassifiedError) => number = (e) => e.status) {
  return function handleError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
    const e = classifyError(err);
    if (e.status >= 500) request.log.error({ err }, 'request failed');
    // The body was not read to its end (an upload refused early): close the connection after the answer, so
    // that the rest of a large upload is not left hanging on it.
    if (!request.raw.complete) void reply.header('connection', 'close');
    if (reply.sent || reply.raw.headersSent) {
      // The response is already streaming (e.g. a download found corruption mid-way): cut the connection so
      // the client sees an incomplete body rather than a quietly wrong one.
      reply.raw.destroy(err);
      return;
    }
    const retryAfter = e.details?.retryAfterSeconds;
    if (e.status === 503 && typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    void reply.status(statusOf(e)).send(shape(e, request));
  };
}

export const errorHandler = makeErrorHandler(
  (e, request) => ({ error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) }, requestId: request.id }) satisfies ErrorBody,
);

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  void reply.status(404).send({
    error: { code: 'ROUTE_NOT_FOUND', message: `no route for ${request.method} ${request.url.split('?')[0]}` },
    requestId: request.id,
  } satisfies ErrorBody);
}
