/**
 * The audit trail on PostgreSQL, end to end: a real `steward serve` on a fresh PostgreSQL database, changes
 * made through the CLI, then one byte of one record changed, and one record deleted, with SQL behind
 * Steward's back — `steward audit verify` names each, and is content again once they are restored.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAdmin, createDatabase, dropDatabase, inCi, MISSING_IN_CI, postgresUrl } from '../support/postgres.js';
import { runCli, startServerProcess, type ServerProcess } from '../support/server-process.js';

const ADMIN = 'stw_e2e-audit-postgres-admin-token-00';

if (postgresUrl !== undefined) {
  const baseUrl = postgresUrl;
  let dir: string;
  let server: ServerProcess;
  let db: { name: string; url: string };
  let client: pg.Client;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'steward-e2e-audit-pg-'));
    db = await createDatabase(baseUrl);
    server = await startServerProcess(join(dir, 'home'), { STEWARD_ADMIN_TOKEN: ADMIN, STEWARD_DATABASE_URL: db.url });
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  }, 60_000);
  afterAll(async () => {
    await client?.end();
    await server?.stop();
    await dropDatabase(baseUrl, db.name);
    await closeAdmin();
    await rm(dir, { recursive: true, force: true });
  });

  const cli = (...args: string[]) => runCli(args, { XDG_CONFIG_HOME: join(dir, 'config'), STEWARD_URL: server.url, STEWARD_TOKEN: ADMIN });

  describe('the audit trail on PostgreSQL', () => {
    it('names a record changed by one byte and a deleted record', async () => {
      for (const name of ['a', 'b', 'c']) expect((await cli('models', 'create', name, '-d', `model ${name}`)).code).toBe(0);
      expect((await cli('audit', 'verify')).stdout).toMatch(/the audit trail is intact/);
      const { rows } = await client.query<{ seq: string; chain: string; payload: string }>("select seq, chain, payload from events where type = 'model.created' order by seq");
      const victim = rows[1]!;
      await client.query('update events set payload = $1 where seq = $2', [victim.payload.replace('"b"', '"B"'), victim.seq]);
      const edited = await cli('audit', 'verify');
      expect(edited.code).toBe(1);
      expect(edited.stdout).toContain(`edited: record ${victim.chain} (seq ${victim.seq}`);
      await client.query('update events set payload = $1 where seq = $2', [victim.payload, victim.seq]);
      expect((await cli('audit', 'verify')).code).toBe(0);

      const saved = (await client.query('select * from events where seq = $1', [victim.seq])).rows[0] as Record<string, unknown>;
      await client.query('delete from events where seq = $1', [victim.seq]);
      const deleted = await cli('audit', 'verify');
      expect(deleted.code).toBe(1);
      expect(deleted.stdout).toContain(`deleted: record ${victim.chain} is missing (deleted) before record ${Number(victim.chain) + 1}`);
      const columns = Object.keys(saved);
      await client.query(`insert into events (${columns.join(', ')}) overriding system value values (${columns.map((_, i) => `$${i + 1}`).join(', ')})`, columns.map((c) => saved[c]));
      expect((await cli('audit', 'verify')).code).toBe(0);
    });
  });
} else if (inCi) {
  describe('the audit trail on PostgreSQL', () => {
    it('has STEWARD_TEST_POSTGRES_URL in CI', () => expect(postgresUrl, MISSING_IN_CI).toBeDefined());
  });
} else {
  describe.skipIf(true)('the audit trail on PostgreSQL (set STEWARD_TEST_POSTGRES_URL to run)', () => {
    it('verifies the chain on PostgreSQL', () => expect(postgresUrl).toBeDefined());
  });
}
