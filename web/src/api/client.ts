/**
 * A small typed client of Steward's REST API. Paths, parameters, bodies and answers are checked against
 * schema.d.ts, which `npm run api-types` generates from the server's OpenAPI document.
 *
 *   const model = await api.get('/api/v1/models/{name}', { path: { name }, query: { project } });
 *
 * The bearer token is kept in localStorage. Errors become an ApiError carrying the server's
 * {error: {code, message, details}}; describeError() turns any error into plain words.
 */
import type { paths } from './schema';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The paths that have an operation for this method. */
export type PathsWith<M extends HttpMethod> = {
  [P in keyof paths]: paths[P][M] extends { responses: unknown } ? P : never;
}[keyof paths];

export type Operation<P extends keyof paths, M extends HttpMethod> = NonNullable<paths[P][M]>;

type ParametersOf<O> = O extends { parameters: infer X } ? X : never;
type PathParamsOf<O> = ParametersOf<O> extends { path: infer X } ? X : never;
type QueryOf<O> = ParametersOf<O> extends { query?: infer Q } ? NonNullable<Q> : never;
type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : unknown;
type BodyPart<O> = O extends { requestBody: infer R }
  ? { body: JsonOf<R> }
  : O extends { requestBody?: infer R }
    ? [NonNullable<R>] extends [never]
      ? object
      : { body?: JsonOf<NonNullable<R>> }
    : object;

/** What a call needs: path parameters when the path has some, the query and the JSON body it accepts. */
export type CallInit<O> = ([PathParamsOf<O>] extends [never] ? object : { path: PathParamsOf<O> }) &
  ([QueryOf<O>] extends [never] ? object : { query?: QueryOf<O> }) &
  BodyPart<O> & { signal?: AbortSignal };

type ResponsesOf<O> = O extends { responses: infer R } ? R : never;
/** The JSON body of the success answer (200, else 201, else 202 for work handed to a background job). */
export type Success<O> = ResponsesOf<O> extends { 200: infer R }
  ? JsonOf<R>
  : ResponsesOf<O> extends { 201: infer R }
    ? JsonOf<R>
    : ResponsesOf<O> extends { 202: infer R }
      ? JsonOf<R>
      : unknown;
export type Ok<P extends PathsWith<M>, M extends HttpMethod> = Success<Operation<P, M>>;
export type Body<P extends PathsWith<M>, M extends HttpMethod> = JsonOf<NonNullable<Operation<P, M> extends { requestBody?: infer R } ? R : never>>;

type Args<O> = object extends CallInit<O> ? [init?: CallInit<O>] : [init: CallInit<O>];

/** The error body every Steward API route answers with. */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
  requestId?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const TOKEN_KEY = 'steward.token';

export const tokenStore = {
  get(): string | null {
    try {
      return localStorage.getItem(TOKEN_KEY);
    } catch {
      return null;
    }
  },
  set(token: string): void {
    localStorage.setItem(TOKEN_KEY, token);
  },
  clear(): void {
    localStorage.removeItem(TOKEN_KEY);
  },
};

let onUnauthorized: ((error: ApiError) => void) | undefined;

/** Called when the server refuses the stored token (401), so that the app can ask for a new one. */
export function setUnauthorizedHandler(handler: ((error: ApiError) => void) | undefined): void {
  onUnauthorized = handler;
}

export function buildUrl(template: string, path?: Record<string, unknown>, query?: Record<string, unknown>): string {
  let url = template.replace(/\{(\w+)\}/g, (_m, key: string) => {
    const value = path?.[key];
    if (value === undefined || value === null || value === '') throw new Error(`missing path parameter ${key} for ${template}`);
    return encodeURIComponent(String(value));
  });
  if (query) {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined || value === null || value === '') continue;
      if (Array.isArray(value)) for (const v of value) search.append(key, String(v));
      else search.append(key, String(value));
    }
    const text = search.toString();
    if (text) url += `?${text}`;
  }
  return url;
}

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null) return false;
  const e = (value as { error?: unknown }).error;
  return typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string';
}

/** The ApiError for an answer that is not 2xx. */
export async function errorFrom(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (isErrorBody(body)) return new ApiError(res.status, body.error.code, body.error.message, body.error.details ?? {}, body.requestId);
  // The inference protocols have their own shapes: {error} (V2) and {error_code, message} (MLflow).
  if (typeof body === 'object' && body !== null) {
    const b = body as { error?: unknown; message?: unknown; error_code?: unknown };
    if (typeof b.message === 'string') return new ApiError(res.status, typeof b.error_code === 'string' ? b.error_code : `HTTP_${res.status}`, b.message);
    if (typeof b.error === 'string') return new ApiError(res.status, `HTTP_${res.status}`, b.error);
  }
  return new ApiError(res.status, `HTTP_${res.status}`, text.trim().slice(0, 300) || res.statusText || `the server answered ${res.status}`);
}

export interface RawInit {
  body?: BodyInit | null;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Use this token instead of the stored one (signing in checks a token before keeping it). */
  token?: string;
}

/** A request with the bearer token; answers that are not 2xx throw an ApiError. */
export async function rawFetch(method: string, url: string, init: RawInit = {}): Promise<Response> {
  const token = init.token ?? tokenStore.get();
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body: init.body ?? null, signal: init.signal ?? null });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK', 'Steward did not answer. Check that the server is running and reachable, then try again.');
  }
  if (!res.ok) {
    const error = await errorFrom(res);
    if (res.status === 401 && init.token === undefined) onUnauthorized?.(error);
    throw error;
  }
  return res;
}

async function call(method: HttpMethod, template: string, init: { path?: Record<string, unknown>; query?: Record<string, unknown>; body?: unknown; signal?: AbortSignal } = {}, token?: string): Promise<unknown> {
  const url = buildUrl(template, init.path, init.query);
  const hasBody = init.body !== undefined;
  const res = await rawFetch(method.toUpperCase(), url, {
    body: hasBody ? JSON.stringify(init.body) : null,
    headers: hasBody ? { 'content-type': 'application/json' } : {},
    ...(init.signal ? { signal: init.signal } : {}),
    ...(token !== undefined ? { token } : {}),
  });
  if (res.status === 204) return undefined;
  const text = await res.text();
  return text ? (JSON.parse(text) as unknown) : undefined;
}

function method<M extends HttpMethod>(m: M) {
  return <P extends PathsWith<M>>(path: P, ...[init]: Args<Operation<P, M>>): Promise<Ok<P, M>> =>
    call(m, path as string, init as Parameters<typeof call>[2]) as Promise<Ok<P, M>>;
}

/**
 * A JSON call of any route by its template ("/api/v1/runs/{id}"), with the token, for pages whose answers
 * the generated schema types only loosely: the answer is given the caller's type T; errors are ApiErrors.
 */
export async function requestJson<T>(
  method: string,
  template: string,
  options: { path?: Record<string, string>; query?: Record<string, unknown>; body?: unknown; signal?: AbortSignal | undefined } = {},
): Promise<T> {
  const url = buildUrl(template, options.path, options.query);
  const hasBody = options.body !== undefined;
  const res = await rawFetch(method, url, {
    body: hasBody ? JSON.stringify(options.body) : null,
    headers: hasBody ? { 'content-type': 'application/json' } : {},
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const api = {
  get: method('get'),
  post: method('post'),
  put: method('put'),
  patch: method('patch'),
  delete: method('delete'),
  /** GET /api/v1/whoami with a token that is not stored yet. */
  whoamiWith: (token: string) => call('get', '/api/v1/whoami', {}, token) as Promise<Ok<'/api/v1/whoami', 'get'>>,
};

const STATUS_WORDS: Record<number, string> = {
  400: 'The request was not accepted',
  401: 'Your token was not accepted',
  403: 'You are not allowed to do this',
  404: 'Not found',
  409: 'This conflicts with the current state',
  413: 'This is too large for the server',
  415: 'The server does not accept this kind of content',
  422: 'The server could not use this',
  503: 'The server is busy; try again in a moment',
};

/** Any error in plain words, for the page. */
export function describeError(error: unknown): { title: string; message: string; code?: string; requestId?: string } {
  if (error instanceof ApiError) {
    const title = error.status === 0 ? 'No answer from Steward' : (STATUS_WORDS[error.status] ?? (error.status >= 500 ? 'Something went wrong on the server' : 'The request failed'));
    // The server's message names the field at fault first ("targets[1].weight: …"): shown as it is.
    const message = error.message && !/[.!?]$/.test(error.message) ? `${error.message}.` : error.message;
    return { title, message, code: error.code, ...(error.requestId ? { requestId: error.requestId } : {}) };
  }
  if (error instanceof Error) return { title: 'Something went wrong', message: error.message };
  return { title: 'Something went wrong', message: String(error) };
}

export interface UploadProgress {
  loaded: number;
  /** null when the browser cannot tell the size. */
  total: number | null;
  /** true once every byte has been sent (the server may still be working on it). */
  sent: boolean;
}

/**
 * POSTs multipart form data with the bearer token, reporting how much has been sent (fetch cannot report
 * upload progress, XMLHttpRequest can). Resolves with the status and JSON answer of a 2xx; otherwise
 * rejects with an ApiError as the other calls do (and signs out on 401). Aborting rejects with AbortError.
 */
export function uploadForm<T>(url: string, form: FormData, options: { onProgress?: (p: UploadProgress) => void; signal?: AbortSignal } = {}): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const aborted = () => reject(new DOMException('The upload was cancelled', 'AbortError'));
    if (options.signal?.aborted) return aborted();
    xhr.open('POST', url);
    xhr.setRequestHeader('accept', 'application/json');
    const token = tokenStore.get();
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => options.onProgress?.({ loaded: e.loaded, total: e.lengthComputable ? e.total : null, sent: false });
    xhr.upload.onload = () => options.onProgress?.({ loaded: 1, total: 1, sent: true });
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'Steward did not answer, or the connection broke during the upload. Check that the server is running and reachable, then try again.'));
    xhr.onabort = aborted;
    xhr.onload = () => {
      const text = xhr.responseText;
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve({ status: xhr.status, body: (text ? JSON.parse(text) : undefined) as T });
        } catch {
          reject(new ApiError(xhr.status, 'BAD_ANSWER', 'The server answered with something that is not JSON.'));
        }
        return;
      }
      void errorFrom(new Response(text, { status: xhr.status, statusText: xhr.statusText })).then((error) => {
        if (xhr.status === 401) onUnauthorized?.(error);
        reject(error);
      });
    };
    options.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}
