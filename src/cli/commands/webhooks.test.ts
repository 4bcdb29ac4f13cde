/** The webhooks commands: flag parsing, and the requests they send (to a local stand-in for the server). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../context.js';
import { addBody, parseEventList, webhooksCommands } from './webhooks.js';

describe('webhooks flags', () => {
  it('splits --events on commas and needs one pattern', () => {
    expect(parseEventList('model_version.*, promotion.*,,')).toEqual(['model_version.*', 'promotion.*']);
    expect(() => parseEventList(' , ')).toThrow(UsageError);
  });

  it('builds the add body, naming the webhook after the host by default', () => {
    expect(addBody({ url: 'https://hooks.example:8443/x', events: '*' })).toEqual({ name: 'hooks.example:8443', url: 'https://hooks.example:8443/x', events: ['*'] });
    expect(addBody({ url: 'https://h.example/', events: 'alert.*', name: 'pager', secret: 's'.repeat(20), allProjects: true, inactive: true })).toEqual({
      name: 'pager',
      url: 'https://h.example/',
      events: ['alert.*'],
      secret: 's'.repeat(20),
      allProjects: true,
      active: false,
    });
    expect(() => addBody({ url: 'not a url', events: '*' })).toThrow(/--url 'not a url' must be an absolute http or https URL/);
  });
});

describe('webhooks commands', () => {
  const requests: { method: string; url: string; body: string; auth: string | undefined }[] = [];
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        requests.push({ method: req.method!, url: req.url!, body: Buffer.concat(chunks).toString('utf8'), auth: req.headers.authorization });
        if (req.method === 'DELETE') return res.writeHead(204).end();
        const answer =
          req.url!.startsWith('/api/v1/webhooks?') && req.method === 'POST'
            ? { id: 'w1', project: 'fraud', name: 'n', url: 'https://h.example/', events: ['*'], active: true, createdAt: '', createdBy: 'ada', updatedAt: '', secret: 'whsec_shown_once' }
            : req.url!.endsWith('/test')
              ? { id: 'd1', event: 'webhook.test', eventSeq: 9, status: 'pending', attempts: 0, nextAttemptAt: null, lastStatus: null, lastError: null, log: [], createdAt: '', updatedAt: '' }
              : { items: [], nextCursor: null };
        res.writeHead(req.method === 'POST' && req.url!.endsWith('/test') ? 202 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  async function run(...args: string[]): Promise<string> {
    const program = new Command('steward').option('--server <url>').option('--token <token>').option('--json').option('-q, --quiet').exitOverride();
    webhooksCommands(program);
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    try {
      await program.parseAsync(['--server', base, '--token', 'stw_t', ...args], { from: 'user' });
    } finally {
      spy.mockRestore();
    }
    return out.join('');
  }

  it('sends add, list, deliveries, test and rm to the API', async () => {
    const added = await run('webhooks', 'add', '--url', 'https://h.example/', '--events', 'model_version.*,promotion.*', '-p', 'fraud');
    expect(added).toContain('secret: whsec_shown_once');
    await run('webhooks', 'list', '-p', 'fraud');
    await run('webhooks', 'deliveries', 'w1', '--limit', '5');
    expect(await run('webhooks', 'test', 'w1')).toContain('queued test delivery d1');
    await run('webhooks', 'rm', 'w1');
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /api/v1/webhooks?project=fraud',
      'GET /api/v1/webhooks?project=fraud',
      'GET /api/v1/webhooks/w1/deliveries?limit=5',
      'POST /api/v1/webhooks/w1/test',
      'DELETE /api/v1/webhooks/w1',
    ]);
    expect(JSON.parse(requests[0]!.body)).toEqual({ name: 'h.example', url: 'https://h.example/', events: ['model_version.*', 'promotion.*'] });
    expect(requests.every((r) => r.auth === 'Bearer stw_t')).toBe(true);
  });

  it('lists the events it can subscribe to without a server', async () => {
    const text = await run('webhooks', 'events');
    expect(text).toMatch(/model_version\.created\s+A model version was created/);
    expect(text).toContain('promotion.executed');
  });
});
