/**
 * The CLI's HTTP client. It only speaks the public REST API; every error becomes an ApiError carrying the
 * server's code and message so that the CLI can print it and exit non-zero.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ClientOptions {
  server: string;
  token: string | undefined;
}

export interface TransferHooks {
  onProgress?: (bytes: number, total: number | undefined) => void;
}

export class StewardClient {
  private readonly base: string;

  constructor(private readonly options: ClientOptions) {
    this.base = options.server.replace(/\/+$/, '');
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}), ...extra };
  }

  private async send(path: string, init: RequestInit & { duplex?: 'half' }): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, init);
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiError(0, 'UNREACHABLE', `cannot reach the Steward server at ${this.base}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    if (!res.ok) throw await toApiError(res);
    return res;
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(path, {
      method,
      headers: this.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  /** Sends a body as it is (CSV, …) and answers with the parsed JSON and the response headers. */
  async text<T>(method: string, path: string, body: string, contentType: string): Promise<{ body: T; headers: Headers }> {
    const res = await this.send(path, { method, headers: this.headers({ 'content-type': contentType }), body });
    return { body: (await res.json()) as T, headers: res.headers };
  }

  /** Streams a file as the multipart file field `field` (default `artifact`), after a `metadata` JSON field. */
  async uploadVersion<T>(path: string, file: string, metadata: Record<string, unknown>, hooks: TransferHooks = {}, field = 'artifact'): Promise<T> {
    const size = (await stat(file)).size;
    const boundary = `steward-${randomBytes(12).toString('hex')}`;
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="metadata"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(metadata)}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${basename(file).replace(/["\r\n]/g, '_')}"\r\n` +
        `Content-Type: application/octet-stream\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    async function* body(): AsyncGenerator<Uint8Array> {
      yield head;
      let sent = 0;
      for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
        sent += (chunk as Buffer).length;
        hooks.onProgress?.(sent, size);
        yield chunk as Buffer;
      }
      yield tail;
    }
    const res = await this.send(path, {
      method: 'POST',
      headers: this.headers({ 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + size + tail.length) }),
      body: body(),
      duplex: 'half',
    });
    return (await res.json()) as T;
  }

  /** GETs a path and answers with its body as a stream (exports). */
  async stream(path: string): Promise<Readable> {
    const res = await this.send(path, { method: 'GET', headers: this.headers() });
    return Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
  }

  /**
   * Streams a download to `out` through a temporary file, checks its SHA-256 against the server's
   * X-Steward-Sha256 header, and only then renames it into place.
   */
  async download(path: string, out: string, hooks: TransferHooks = {}): Promise<{ sha256: string; size: number }> {
    const res = await this.send(path, { method: 'GET', headers: this.headers() });
    const expected = res.headers.get('x-steward-sha256');
    const total = Number(res.headers.get('content-length') ?? NaN);
    const tmp = `${out}.partial-${randomBytes(4).toString('hex')}`;
    const hash = createHash('sha256');
    let size = 0;
    // Interrupted by Ctrl-C or a signal: leave no partial file behind.
    const onSignal = (signal: NodeJS.Signals) => {
      rmSync(tmp, { force: true });
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const source = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
      source.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        size += chunk.length;
        hooks.onProgress?.(size, Number.isFinite(total) ? total : undefined);
      });
      await pipeline(source, createWriteStream(tmp, { flags: 'wx' }));
      const sha256 = hash.digest('hex');
      if (Number.isFinite(total) && size !== total) throw new ApiError(0, 'INCOMPLETE_DOWNLOAD', `the download stopped after ${size} of ${total} bytes`);
      if (expected && expected !== sha256) throw new ApiError(0, 'CHECKSUM_MISMATCH', `the downloaded bytes hash to ${sha256}, but the server says ${expected}`);
      await rename(tmp, out);
      return { sha256, size };
    } catch (err) {
      await rm(tmp, { force: true });
      if (err instanceof ApiError) throw err;
      throw new ApiError(0, 'INCOMPLETE_DOWNLOAD', `the download failed: ${(err as Error).message}`);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

async function toApiError(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } | string; error_code?: string; code?: string; message?: string };
    if (typeof body.error === 'object' && body.error?.message) return new ApiError(res.status, body.error.code ?? 'ERROR', body.error.message, body.error.details);
    // The MLflow scoring protocol's errors ({error_code, message}), Fastify's own ({code, error, message}) and the
    // Open Inference Protocol's ({error}).
    if (typeof body.message === 'string' && body.message !== '') return new ApiError(res.status, body.error_code ?? body.code ?? 'ERROR', body.message);
    if (typeof body.error === 'string') return new ApiError(res.status, 'ERROR', body.error);
  } catch {
    // not JSON: fall through
  }
  return new ApiError(res.status, 'HTTP_ERROR', `${res.status} ${res.statusText}${text ? `: ${text.slice(0, 300)}` : ''}`);
}
