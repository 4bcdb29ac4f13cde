/**
 * The audit chain's contract on every backend: events appended by concurrent transactions form one
 * unbroken chain (consecutive numbers, each pointing at the previous hash), a rolled-back transaction
 * leaves no trace in it, and the verifier finds it whole.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MetadataStore } from '../../db/metadata-store.js';
import { eventFor } from '../../../test/support/rows.js';
import { chainHash, GENESIS_HASH } from './audit-chain.js';
import { AuditService } from './audit.service.js';

export function auditContract(fresh: () => Promise<MetadataStore>): void {
  describe('audit chain', () => {
    const opened: MetadataStore[] = [];
    const open = async () => {
      const store = await fresh();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    it('chains events appended by concurrent transactions into one line, and rolled-back ones leave no gap', async () => {
      const store = await open();
      const before = (await store.audit.head())!.chain;
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          store.transaction(async (tx) => {
            await tx.events.append(eventFor(i, 'thing', `a${i}`, { i }));
            await tx.events.append(eventFor(i, 'thing', `b${i}`, { i }));
          }),
        ),
      );
      await store
        .transaction(async (tx) => {
          await tx.events.append(eventFor(99, 'thing', 'rolled-back'));
          throw new Error('roll back');
        })
        .catch(() => undefined);
      await store.events.append(eventFor(100, 'thing', 'outside-a-transaction'));
      const rows = await store.audit.page(0, 1000);
      const chained = rows.filter((r) => r.chain !== null && Number(r.chain) > before);
      expect(chained).toHaveLength(25);
      expect(rows.some((r) => r.entity_id === 'rolled-back')).toBe(false);
      let prev = rows.find((r) => Number(r.chain) === before)?.hash ?? GENESIS_HASH;
      chained.forEach((r, k) => {
        expect(Number(r.chain)).toBe(before + k + 1);
        expect(r.prev_hash).toBe(prev);
        expect(r.hash).toBe(chainHash(prev, { chain: Number(r.chain), id: r.id, type: r.type, at: r.at, actor: r.actor, project_id: r.project_id, entity_type: r.entity_type, entity_id: r.entity_id, payload: r.payload }));
        prev = r.hash!;
      });
      expect(await store.audit.head()).toEqual({ chain: before + 25, hash: prev });
      const report = await new AuditService({ store }).verify();
      expect(report).toMatchObject({ ok: true, problems: [], lastHash: prev });
      expect(report.checked).toBe(rows.length);
    });
  });
}
