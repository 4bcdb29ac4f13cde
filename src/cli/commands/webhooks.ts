import type { Command } from 'commander';
import { WEBHOOK_EVENT_TYPES } from '../../modules/webhooks/webhook-events.js';
import type { CreatedWebhook, WebhookDeliveryView, WebhookView } from '../../modules/webhooks/webhooks.service.js';
import { cliContext, UsageError } from '../context.js';
import { keyValues, table } from '../output.js';
import { query } from './monitoring.js';

/** "model_version.*, promotion.*" → ['model_version.*', 'promotion.*'] (the server checks each pattern). */
export function parseEventList(value: string): string[] {
  const events = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (events.length === 0) throw new UsageError("--events needs at least one pattern, e.g. --events 'model_version.*,promotion.*' (or '*')");
  return events;
}

/** The body of `webhooks add`; the name defaults to the URL's host. */
export function addBody(opts: { url: string; events: string; name?: string; secret?: string; allProjects?: boolean; inactive?: boolean }): Record<string, unknown> {
  let host: string;
  try {
    host = new URL(opts.url).host;
  } catch {
    throw new UsageError(`--url '${opts.url}' must be an absolute http or https URL`);
  }
  return {
    name: opts.name ?? host,
    url: opts.url,
    events: parseEventList(opts.events),
    ...(opts.secret === undefined ? {} : { secret: opts.secret }),
    ...(opts.allProjects ? { allProjects: true } : {}),
    ...(opts.inactive ? { active: false } : {}),
  };
}

const deliveryRows = (items: WebhookDeliveryView[]) =>
  table(
    ['DELIVERY', 'EVENT', 'SEQ', 'STATUS', 'ATTEMPTS', 'LAST', 'CREATED'],
    items.map((d) => [d.id, d.event, d.eventSeq, d.status, d.attempts, d.lastError ?? (d.lastStatus === null ? '' : `HTTP ${d.lastStatus}`), d.createdAt]),
  );

export function webhooksCommands(program: Command): void {
  const webhooks = program.command('webhooks').description('signed HTTP callbacks on registry, governance and deployment events');

  webhooks
    .command('list')
    .description("the project's webhooks (secrets are never shown)")
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (opts: { project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const r = await client.json<{ items: WebhookView[] }>('GET', `/api/v1/webhooks${query({ project: opts.project })}`);
      out.result(r, () =>
        r.items.length === 0
          ? 'no webhooks'
          : table(
              ['ID', 'NAME', 'PROJECT', 'URL', 'EVENTS', 'ACTIVE'],
              r.items.map((w) => [w.id, w.name, w.project ?? '(all)', w.url, w.events.join(','), w.active ? 'yes' : 'no']),
            ),
      );
    });

  webhooks
    .command('add')
    .description('subscribe a URL to events; prints the signing secret once')
    .requiredOption('--url <url>', 'http or https URL that receives a signed POST per event')
    .requiredOption('--events <patterns>', "comma-separated patterns: '*', 'model_version.*', 'promotion.executed', … (see: steward webhooks events)")
    .option('--name <name>', "what the webhook is for (default: the URL's host)")
    .option('--secret <secret>', 'signing secret, 16 to 256 characters (default: generated)')
    .option('--all-projects', 'the events of every project (platform admins)')
    .option('--inactive', 'create it paused')
    .option('-p, --project <project>', 'project (default: default)')
    .action(async (opts: { url: string; events: string; name?: string; secret?: string; allProjects?: boolean; inactive?: boolean; project?: string }, cmd: Command) => {
      const body = addBody(opts);
      const { client, out } = await cliContext(cmd);
      const w = await client.json<CreatedWebhook>('POST', `/api/v1/webhooks${query({ project: opts.project })}`, body);
      out.result(w, () =>
        [
          keyValues([
            ['id', w.id],
            ['name', w.name],
            ['project', w.project ?? '(all projects)'],
            ['url', w.url],
            ['events', w.events.join(', ')],
            ['active', w.active ? 'yes' : 'no'],
          ]),
          '',
          `secret: ${w.secret}`,
          'Keep it now: it is not shown again. Receivers check x-steward-signature = sha256=HMAC-SHA256(secret, "<x-steward-timestamp>.<body>").',
        ].join('\n'),
      );
    });

  webhooks
    .command('rm <id>')
    .description('delete a webhook and its delivery log')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      await client.json('DELETE', `/api/v1/webhooks/${encodeURIComponent(id)}`);
      out.result({ deleted: id }, () => `deleted webhook ${id}`);
    });

  webhooks
    .command('deliveries <id>')
    .description("a webhook's deliveries, newest first")
    .option('--limit <n>', 'how many (default 50)')
    .action(async (id: string, opts: { limit?: string }, cmd: Command) => {
      if (opts.limit !== undefined && !/^[1-9][0-9]{0,3}$/.test(opts.limit)) throw new UsageError(`--limit '${opts.limit}' must be a number from 1 to 1000`);
      const { client, out } = await cliContext(cmd);
      const r = await client.json<{ items: WebhookDeliveryView[]; nextCursor: string | null }>('GET', `/api/v1/webhooks/${encodeURIComponent(id)}/deliveries${query({ limit: opts.limit })}`);
      out.result(r, () => (r.items.length === 0 ? 'no deliveries yet' : deliveryRows(r.items)));
    });

  webhooks
    .command('test <id>')
    .description('send a webhook.test delivery to this webhook')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const d = await client.json<WebhookDeliveryView>('POST', `/api/v1/webhooks/${encodeURIComponent(id)}/test`);
      out.result(d, () => `queued test delivery ${d.id}; see: steward webhooks deliveries ${id}`);
    });

  webhooks
    .command('redeliver <id> <delivery>')
    .description('send a delivered or failed delivery again')
    .action(async (id: string, delivery: string, _opts: unknown, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const d = await client.json<WebhookDeliveryView>('POST', `/api/v1/webhooks/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(delivery)}/redeliver`);
      out.result(d, () => `delivery ${d.id} queued again`);
    });

  webhooks
    .command('events')
    .description('the events a webhook can subscribe to')
    .action((_opts: unknown, cmd: Command) => {
      const json = cmd.optsWithGlobals<{ json?: boolean }>().json === true;
      const rows = Object.entries(WEBHOOK_EVENT_TYPES);
      process.stdout.write(json ? `${JSON.stringify(Object.fromEntries(rows), null, 2)}\n` : `${table(['EVENT', 'WHAT HAPPENED'], rows)}\n`);
    });
}
