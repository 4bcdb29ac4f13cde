import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { loadClientEnv, loadServerConfig, type ServerFlags } from '../../config.js';
import { saveLogin } from '../cli-config.js';
import { StewardClient } from '../client.js';
import { UsageError, type GlobalOptions } from '../context.js';
import { createOutput } from '../output.js';

async function readTokenFromStdin(): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY === true });
  if (process.stdin.isTTY) process.stderr.write('API token: ');
  try {
    for await (const line of rl) return line.trim();
    return '';
  } finally {
    rl.close();
  }
}

export function sessionCommands(program: Command): void {
  program
    .command('serve')
    .description('run the Steward server (HTTP API on STEWARD_HOST:STEWARD_PORT)')
    .option('--host <host>', 'interface to listen on (STEWARD_HOST, default 127.0.0.1)')
    .option('--port <port>', 'port (STEWARD_PORT, default 8080)')
    .option('--home <dir>', 'data folder (STEWARD_HOME, default ./.steward)')
    .option('--database-url <url>', 'sqlite:<file> or postgres://… (STEWARD_DATABASE_URL)')
    .option('--artifact-uri <uri>', 'artifact store: a folder or file:// URI (STEWARD_ARTIFACT_URI)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (STEWARD_LOG_LEVEL)')
    .action(async (opts: ServerFlags) => {
      const config = loadServerConfig(opts);
      // Loaded here so that client commands do not pay for the server's imports.
      const { startServer } = await import('../../main.js');
      const server = await startServer(config);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`received ${signal}: finishing in-flight requests, then stopping\n`);
        server.close().then(
          () => process.exit(0),
          (err: unknown) => {
            process.stderr.write(`error while stopping: ${(err as Error).message}\n`);
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      // A promise rejected with nobody listening is a bug, but not one worth taking every client's
      // connection down for: log it loudly and keep serving.
      process.on('unhandledRejection', (reason) => {
        process.stderr.write(`${JSON.stringify({ level: 50, time: Date.now(), msg: 'unhandled promise rejection (a bug: please report it)', err: String((reason as Error)?.stack ?? reason) })}\n`);
      });
    });

  program
    .command('login')
    .description('check a server URL and token (--server, --token) and save them for later commands')
    .addHelpText('after', '\nThe token is read from standard input when --token is not given.\nExample: steward login --server http://127.0.0.1:8080 --token stw_…')
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const out = createOutput(opts);
      if (!opts.server) throw new UsageError('give the server URL with --server, e.g. steward login --server http://127.0.0.1:8080');
      const token = opts.token ?? (await readTokenFromStdin());
      if (!token) throw new UsageError('no token given (use --token or type it on standard input)');
      const server = opts.server;
      const client = new StewardClient({ server, token });
      const me = await client.json<{ name: string; role: string }>('GET', '/api/v1/whoami');
      const file = loadClientEnv().configFile;
      await saveLogin(file, { server, token });
      out.result({ server, user: me.name, role: me.role, configFile: file }, () => `logged in to ${server} as ${me.name} (${me.role}); saved in ${file}`);
    });
}
