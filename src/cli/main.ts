#!/usr/bin/env node
/** The `steward` command: `serve` runs the server; everything else is a thin client of its HTTP API. */
import { Command, CommanderError } from 'commander';
import { STEWARD_VERSION } from '../version.js';
import { ConfigError } from '../config.js';
import { routeCommandVersion } from './argv.js';
import { ApiError } from './client.js';
import { adminCommands } from './commands/admin.js';
import { datasetsCommand } from './commands/datasets.js';
import { deploymentsCommands } from './commands/deployments.js';
import { monitoringCommands } from './commands/monitoring.js';
import { explainCommands } from './commands/explain.js';
import { gatesCommands } from './commands/gates.js';
import { cardsCommands } from './commands/cards.js';
import { commentsCommands } from './commands/comments.js';
import { webhooksCommands } from './commands/webhooks.js';
import { governanceCommands } from './commands/governance.js';
import { recipesCommand } from './commands/recipes.js';
import { modelsCommand } from './commands/models.js';
import { sessionCommands } from './commands/session.js';
import { trackingCommands } from './commands/tracking.js';
import { trainCommands } from './commands/train.js';
import { UsageError } from './context.js';

export function buildProgram(): Command {
  const program = new Command('steward')
    .description('Steward: a self-hosted ModelOps platform')
    .version(STEWARD_VERSION)
    .option('--server <url>', 'Steward server URL (default: STEWARD_URL, then the saved login)')
    .option('--token <token>', 'API token (default: STEWARD_TOKEN, then the saved login)')
    .option('--json', 'print results as JSON, for scripts')
    .option('-q, --quiet', 'no progress bars or notes')
    .showHelpAfterError()
    .exitOverride();
  sessionCommands(program);
  modelsCommand(program);
  datasetsCommand(program);
  trackingCommands(program);
  trainCommands(program);
  recipesCommand(program);
  deploymentsCommands(program);
  monitoringCommands(program);
  explainCommands(program);
  gatesCommands(program);
  cardsCommands(program);
  commentsCommands(program);
  webhooksCommands(program);
  governanceCommands(program);
  adminCommands(program);
  return program;
}

function report(err: unknown): number {
  // Commander has printed its own message; --help and --version end with code 0, usage mistakes with 2.
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  if (err instanceof ApiError) {
    const where = err.status > 0 ? ` (${err.code}, HTTP ${err.status})` : ` (${err.code})`;
    process.stderr.write(`error: ${err.message}${where}\n`);
    return 1;
  }
  if (err instanceof UsageError || err instanceof ConfigError) {
    process.stderr.write(`error: ${err.message}\n`);
    return 2;
  }
  process.stderr.write(`error: ${(err as Error)?.message ?? String(err)}\n`);
  return 1;
}

const program = buildProgram();
program
  .parseAsync(routeCommandVersion(program, process.argv.slice(2)), { from: 'user' })
  .catch((err: unknown) => {
    process.exitCode = report(err);
  });
