import { availableParallelism } from 'node:os';
/**
 * The one place that reads process.env. Everything else receives a frozen config object.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export type DatabaseConfig =
  | { kind: 'sqlite'; file: string }
  | { kind: 'postgres'; url: string };

export interface ServerConfig {
  readonly home: string;
  readonly host: string;
  readonly port: number;
  readonly database: DatabaseConfig;
  /** Normalised artifact URI, e.g. file:///abs/path/artifacts */
  readonly artifactUri: string;
  readonly adminToken: string | undefined;
  readonly logLevel: string;
  /** Largest JSON body accepted, in bytes (413 above). */
  readonly bodyLimitBytes: number;
  /** Largest model artifact accepted, in bytes (413 above). */
  readonly maxArtifactBytes: number;
  /** How long SIGTERM waits for in-flight requests before closing connections. */
  readonly shutdownGraceMs: number;
  /** The prediction log: folder, segment size, and how long closed segments are kept. */
  readonly predictionLog: { readonly dir: string; readonly segmentBytes: number; readonly retentionDays: number; readonly maxBytes: number | undefined };
  /** onnxruntime intra-op threads per served model. */
  readonly ortThreads: number;
  /** How often the prediction log is folded into monitoring windows (ms). */
  readonly monitoringFoldMs: number;
  /** Worker threads that fold the prediction log. */
  readonly monitoringFoldThreads: number;
  /** Worker threads for TreeSHAP (0: on the event loop). */
  readonly explainThreads: number;
}

/** Flags given on the command line take precedence over the environment. */
export interface ServerFlags {
  home?: string;
  host?: string;
  port?: string | number;
  databaseUrl?: string;
  artifactUri?: string;
  logLevel?: string;
}

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function parseIntSetting(name: string, raw: string | number, min: number, max: number): number {
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(name, `must be an integer between ${min} and ${max}, got '${raw}'`);
  }
  return n;
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

export function parseByteSize(name: string, raw: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(raw);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new ConfigError(name, `must be a size such as 1048576, 512kb, 10mb or 4gb, got '${raw}'`);
  const bytes = Math.floor(Number(m[1]) * unit);
  if (bytes < 1) throw new ConfigError(name, 'must be at least 1 byte');
  return bytes;
}

export function parseDatabaseUrl(raw: string): DatabaseConfig {
  if (/^postgres(ql)?:\/\//i.test(raw)) return { kind: 'postgres', url: raw };
  let file: string;
  if (raw.startsWith('sqlite://')) file = raw.slice('sqlite://'.length);
  else if (raw.startsWith('sqlite:')) file = raw.slice('sqlite:'.length);
  else if (raw.startsWith('file:')) file = new URL(raw).pathname;
  else if (!raw.includes('://')) file = raw;
  else throw new ConfigError('STEWARD_DATABASE_URL', `unsupported scheme in '${raw}'; use sqlite:<path> or postgres://...`);
  if (file === '') throw new ConfigError('STEWARD_DATABASE_URL', 'the SQLite file path is empty');
  if (file === ':memory:') return { kind: 'sqlite', file };
  return { kind: 'sqlite', file: isAbsolute(file) ? file : resolve(file) };
}

export function normaliseArtifactUri(raw: string): string {
  if (raw.startsWith('file://')) return raw;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return raw; // other schemes are checked by the store factory
  return pathToFileURL(resolve(raw)).href;
}

export function loadServerConfig(flags: ServerFlags = {}, env: Env = process.env): ServerConfig {
  const home = resolve(flags.home ?? nonEmpty(env.STEWARD_HOME) ?? './.steward');
  const host = flags.host ?? nonEmpty(env.STEWARD_HOST) ?? '127.0.0.1';
  const port = parseIntSetting('STEWARD_PORT', flags.port ?? nonEmpty(env.STEWARD_PORT) ?? 8080, 0, 65535);
  const dbRaw = flags.databaseUrl ?? nonEmpty(env.STEWARD_DATABASE_URL);
  const database: DatabaseConfig = dbRaw
    ? parseDatabaseUrl(dbRaw)
    : { kind: 'sqlite', file: join(home, 'steward.db') };
  const artifactUri = normaliseArtifactUri(flags.artifactUri ?? nonEmpty(env.STEWARD_ARTIFACT_URI) ?? join(home, 'artifacts'));
  const adminToken = nonEmpty(env.STEWARD_ADMIN_TOKEN);
  if (adminToken !== undefined && adminToken.length < 16) {
    throw new ConfigError('STEWARD_ADMIN_TOKEN', 'must be at least 16 characters long');
  }
  const logLevel = flags.logLevel ?? nonEmpty(env.STEWARD_LOG_LEVEL) ?? 'info';
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  if (!levels.includes(logLevel)) throw new ConfigError('STEWARD_LOG_LEVEL', `must be one of ${levels.join(', ')}`);
  const bodyLimitBytes = parseByteSize('STEWARD_BODY_LIMIT', nonEmpty(env.STEWARD_BODY_LIMIT) ?? '1mb');
  const maxArtifactBytes = parseByteSize('STEWARD_MAX_ARTIFACT_SIZE', nonEmpty(env.STEWARD_MAX_ARTIFACT_SIZE) ?? '8gb');
  const shutdownGraceMs = parseIntSetting('STEWARD_SHUTDOWN_GRACE_MS', nonEmpty(env.STEWARD_SHUTDOWN_GRACE_MS) ?? 30_000, 0, 3_600_000);
  const predictionLog = Object.freeze({
    dir: resolve(nonEmpty(env.STEWARD_PREDICTION_LOG_DIR) ?? join(home, 'predictions')),
    segmentBytes: parseByteSize('STEWARD_PREDICTION_LOG_SEGMENT_SIZE', nonEmpty(env.STEWARD_PREDICTION_LOG_SEGMENT_SIZE) ?? '64mb'),
    retentionDays: parseIntSetting('STEWARD_PREDICTION_LOG_RETENTION_DAYS', nonEmpty(env.STEWARD_PREDICTION_LOG_RETENTION_DAYS) ?? 30, 1, 36_500),
    maxBytes: nonEmpty(env.STEWARD_PREDICTION_LOG_MAX_SIZE) === undefined ? undefined : parseByteSize('STEWARD_PREDICTION_LOG_MAX_SIZE', env.STEWARD_PREDICTION_LOG_MAX_SIZE!),
  });
  const ortThreads = parseIntSetting('STEWARD_ORT_THREADS', nonEmpty(env.STEWARD_ORT_THREADS) ?? 1, 1, 256);
  const monitoringFoldMs = parseIntSetting('STEWARD_MONITORING_FOLD_MS', nonEmpty(env.STEWARD_MONITORING_FOLD_MS) ?? 2000, 100, 3_600_000);
  const monitoringFoldThreads = parseIntSetting('STEWARD_MONITORING_FOLD_THREADS', nonEmpty(env.STEWARD_MONITORING_FOLD_THREADS) ?? 1, 1, 16);
  const explainThreads = parseIntSetting('STEWARD_EXPLAIN_THREADS', nonEmpty(env.STEWARD_EXPLAIN_THREADS) ?? Math.min(2, availableParallelism()), 0, 64);
  return Object.freeze({
    predictionLog,
    ortThreads,
    monitoringFoldMs,
    monitoringFoldThreads,
    explainThreads,
    home,
    host,
    port,
    database: Object.freeze(database),
    artifactUri,
    adminToken,
    logLevel,
    bodyLimitBytes,
    maxArtifactBytes,
    shutdownGraceMs,
  });
}

/** What the `steward` CLI needs to reach a server. */
export interface ClientEnv {
  readonly url: string | undefined;
  readonly token: string | undefined;
  readonly configFile: string;
  readonly noColor: boolean;
}

export function loadClientEnv(env: Env = process.env): ClientEnv {
  const base = nonEmpty(env.XDG_CONFIG_HOME) ?? join(nonEmpty(env.HOME) ?? homedir(), '.config');
  return Object.freeze({
    url: nonEmpty(env.STEWARD_URL),
    token: nonEmpty(env.STEWARD_TOKEN),
    configFile: nonEmpty(env.STEWARD_CLI_CONFIG) ?? join(base, 'steward', 'config.json'),
    noColor: nonEmpty(env.NO_COLOR) !== undefined,
  });
}
