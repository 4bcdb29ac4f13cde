/**
 * Domain errors: services throw these with a stable code; one HTTP mapping turns them into a status and
 * the body {error:{code,message,details},requestId}. Services never know about HTTP statuses directly,
 * only about the kind of failure.
 */
export type ErrorKind =
  | 'invalid' // 400: the request is malformed or a field is wrong
  | 'unauthenticated' // 401
  | 'forbidden' // 403
  | 'not_found' // 404
  | 'conflict' // 409: duplicates, wrong state
  | 'too_large' // 413
  | 'unsupported_media' // 415
  | 'unprocessable' // 422: well-formed but semantically unusable (e.g. a model that does not load)
  | 'unavailable' // 503
  | 'internal'; // 500: a fault on our side (logged)

export interface FieldProblem {
  /** JSON-pointer-like path of the field, e.g. "body.name" or "metadata.signature.inputs[0].datatype". */
  field: string;
  problem: string;
}

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalid = (code: string, message: string, details?: Record<string, unknown>) =>
  new DomainError('invalid', code, message, details);

/** A 400 naming one field and what is wrong with it. */
export const invalidField = (field: string, problem: string, code = 'INVALID_FIELD') =>
  new DomainError('invalid', code, `${field}: ${problem}`, { field, problem });

export const notFound = (code: string, message: string, details?: Record<string, unknown>) =>
  new DomainError('not_found', code, message, details);

export const conflict = (code: string, message: string, details?: Record<string, unknown>) =>
  new DomainError('conflict', code, message, details);

export const forbidden = (message: string, details?: Record<string, unknown>) =>
  new DomainError('forbidden', 'FORBIDDEN', message, details);

export const unauthenticated = (message: string) => new DomainError('unauthenticated', 'UNAUTHENTICATED', message);

export const unprocessable = (code: string, message: string, details?: Record<string, unknown>) =>
  new DomainError('unprocessable', code, message, details);

export const tooLarge = (message: string, details?: Record<string, unknown>) =>
  new DomainError('too_large', 'PAYLOAD_TOO_LARGE', message, details);

export const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media: 415,
  unprocessable: 422,
  unavailable: 503,
  internal: 500,
};
