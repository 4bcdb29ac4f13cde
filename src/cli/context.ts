import { InvalidArgumentError, type Command } from 'commander';
import { loadClientEnv } from '../config.js';
import { readSavedLogin } from './cli-config.js';
import { StewardClient } from './client.js';
import { createOutput, type Output } from './output.js';

export interface GlobalOptions {
  server?: string;
  token?: string;
  json?: boolean;
  quiet?: boolean;
}

export interface CliContext {
  client: StewardClient;
  out: Output;
  server: string;
}

/** Server and token: --server/--token, then STEWARD_URL/STEWARD_TOKEN, then the saved login. */
export async function cliContext(command: Command): Promise<CliContext> {
  const opts = command.optsWithGlobals<GlobalOptions>();
  const env = loadClientEnv();
  const saved = await readSavedLogin(env.configFile);
  const server = opts.server ?? env.url ?? saved.server;
  if (!server) throw new UsageError("no server: run 'steward login --server <url>' or pass --server (or set STEWARD_URL)");
  const token = opts.token ?? env.token ?? saved.token;
  return { client: new StewardClient({ server, token }), out: createOutput(opts), server };
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Repeatable "--tag k=v" style options. */
export function collectPair(value: string, previous: [string, string][] = []): [string, string][] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`'${value}' must be key=value`);
  return [...previous, [value.slice(0, eq), value.slice(eq + 1)]];
}
