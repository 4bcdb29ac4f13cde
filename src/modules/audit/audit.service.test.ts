/**
 * The verifier against every kind of tampering, done with SQL behind Steward's back on a real SQLite file:
 * an edited record, an edited record whose hash was recomputed, a deleted record (in the middle and at
 * the end), an inserted record (with and without a chain place), and a replaced last record.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase } from '../../db/database.js';
import { createMetadataStore, type MetadataStore } from '../../db/metadata-store.js';
import { DEFAULT_PROJECT_ID, eventFor } from '../../../test/support/rows.js';
import { chainHash } from './audit-chain.js';
import { AuditService } from './audit.service.js';

let dir: string;
let store: MetadataStore;
let raw: Database.Database;
let audit: AuditService;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-audit-'));
  const database = await openDatabase({ kind: 'sqlite', file: join(dir, 'steward.db') });
  await migrateToLatest(database);
  store = createMetadataStore(database);
  for (let i = 0; i < 10; i++) await store.transaction((tx) => tx.events.append(eventFor(i, 'thing', `t${i}`, { n: i, before: i - 1, after: i })));
  raw = new Database(join(dir, 'steward.db'));
  audit = new AuditService({ store });
});
afterEach(async () => {
  raw.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

type Row = { seq: number; chain: number; id: string; type: string; at: string; actor: string; project_id: string | null; entity_type: string; entity_id: string; payload: string; prev_hash: string; hash: string };
const byChain = (chain: number) => raw.prepare('select * from events where chain = ?').get(chain) as Row;
const headChain = () => (raw.prepare('select chain from audit_head').get() as { chain: number }).chain;

describe('audit verify', () => {
  it('finds a whole chain whole', async () => {
    const r = await audit.verify();
    expect(r).toMatchObject({ ok: true, problems: [], truncated: false });
    expect(r.checked).toBe(headChain());
    expect(r.lastHash).toBe(byChain(headChain()).hash);
  });

  it('names an edited record, even when its hash was recomputed (then the next record no longer follows it)', async () => {
    const c = headChain() - 4;
    const victim = byChain(c);
    raw.prepare('update events set actor = ? where seq = ?').run('mallory', victim.seq);
    let r = await audit.verify();
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([expect.objectContaining({ kind: 'edited', chain: c, seq: victim.seq, id: victim.id })]);
    expect(r.problems[0]!.message).toContain(`record ${c} (seq ${victim.seq}`);
    // Recompute its hash: the record itself checks out, but its successor points at the old hash.
    const forged = chainHash(victim.prev_hash, { ...victim, actor: 'mallory' });
    raw.prepare('update events set hash = ? where seq = ?').run(forged, victim.seq);
    r = await audit.verify();
    expect(r.problems).toEqual([expect.objectContaining({ kind: 'relinked', chain: c + 1 })]);
  });

  it('names deleted records, in the middle and at the end', async () => {
    const head = headChain();
    raw.prepare('delete from events where chain in (?, ?)').run(head - 6, head - 5);
    raw.prepare('delete from events where chain = ?').run(head);
    const r = await audit.verify();
    expect(r.problems.map((p) => [p.kind, p.chain])).toEqual([
      ['deleted', head - 6],
      ['deleted', head],
    ]);
    expect(r.problems[0]!.message).toContain(`records ${head - 6}–${head - 5} are missing (deleted) before record ${head - 4}`);
    expect(r.problems[1]!.message).toContain(`record ${head} is missing (deleted) at the end of the chain`);
  });

  it('names inserted records: without a chain place, and repeating one', async () => {
    const head = headChain();
    raw.prepare("insert into events (id, type, at, actor, project_id, entity_type, entity_id, payload) values ('forged-1', 'x', '2024-01-01T00:00:00.000Z', 'mallory', null, 't', 'e', '{}')").run();
    const copy = byChain(head - 2);
    raw
      .prepare('insert into events (id, type, at, actor, project_id, entity_type, entity_id, payload, chain, prev_hash, hash) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run('forged-2', copy.type, copy.at, 'mallory', copy.project_id, copy.entity_type, copy.entity_id, copy.payload, 3, copy.prev_hash, copy.hash);
    const r = await audit.verify();
    expect(r.problems.map((p) => p.kind)).toEqual(['unchained', 'inserted']);
    expect(r.problems[0]).toMatchObject({ id: 'forged-1' });
    expect(r.problems[1]).toMatchObject({ id: 'forged-2', chain: 3 });
  });

  it('finds a replaced last record through the head', async () => {
    const head = headChain();
    const last = byChain(head);
    const payload = '{"n":99}';
    const forged = chainHash(last.prev_hash, { ...last, payload });
    raw.prepare('update events set payload = ?, hash = ? where seq = ?').run(payload, forged, last.seq);
    const r = await audit.verify();
    expect(r.problems).toEqual([expect.objectContaining({ kind: 'head', chain: head })]);
  });

  it("pages a project's records oldest first and newest first, leaving other projects' out", async () => {
    await store.transaction((tx) => tx.events.append(eventFor(50, 'thing', 'elsewhere', {}, null)));
    const seqs = (raw.prepare('select seq from events where project_id is not null order by seq').all() as { seq: number }[]).map((r) => r.seq);
    const first = await audit.records(DEFAULT_PROJECT_ID, { order: 'asc', limit: 4 });
    expect(first.items.map((r) => r.seq)).toEqual(seqs.slice(0, 4));
    expect(first.next).toBe(seqs[3]);
    const newest = await audit.records(DEFAULT_PROJECT_ID, { order: 'desc', limit: 4 });
    expect(newest.items.map((r) => r.seq)).toEqual(seqs.slice(-4).reverse());
    const older = await audit.records(DEFAULT_PROJECT_ID, { order: 'desc', before: newest.next!, limit: 100 });
    expect(older.items.map((r) => r.seq)).toEqual(seqs.slice(0, -4).reverse());
    expect(older.next).toBeNull();
  });

  it('exports every record in order with its hashes', async () => {
    const lines = [];
    for await (const r of audit.export()) lines.push(r);
    expect(lines.map((l) => l.chain)).toEqual(Array.from({ length: headChain() }, (_, i) => i + 1));
    expect(lines.at(-1)).toMatchObject({ hash: byChain(headChain()).hash, payload: { n: 9, before: 8, after: 9 } });
  });
});
