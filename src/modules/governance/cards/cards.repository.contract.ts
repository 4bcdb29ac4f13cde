/**
 * The model card repository's contract, through MetadataStore only, for every backend: call
 * cardsRepositoryContract with a factory of fresh, empty, migrated stores (the suite closes them).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MetadataStore } from '../../../db/metadata-store.js';
import { iso, ms } from '../../../../test/support/rows.js';
import { newId } from '../../../platform/ids.js';
import { seedCardVersion } from './cards.test-support.js';

export function cardsRepositoryContract(fresh: () => Promise<MetadataStore>): void {
  describe('model card repository', () => {
    const opened: MetadataStore[] = [];
    const open = async () => {
      const store = await fresh();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    it('stores a version\'s written fields and replaces them on the next put', async () => {
      const store = await open();
      const { version, bare } = await seedCardVersion(store);
      expect(await store.cards.get(version.id)).toBeUndefined();
      const first = { model_version_id: version.id, fields: '{"considerations":{"users":[{"description":"analysts"}]}}', updated_at: iso(60), updated_by: 'carl' };
      await store.cards.put(first);
      expect(await store.cards.get(version.id)).toEqual(first);
      const second = { model_version_id: version.id, fields: '{}', updated_at: iso(61), updated_by: 'rita' };
      await store.transaction(async (tx) => tx.cards.put(second));
      expect(await store.cards.get(version.id)).toEqual(second);
      expect(await store.cards.get(bare.id)).toBeUndefined();
    });

    it('finds the newest gate result of each gate name, by time then id', async () => {
      const store = await open();
      const { version, bare, latestGateIds } = await seedCardVersion(store);
      const latest = await store.cards.latestGateResults(version.id);
      expect(latest.map((r) => [r.name, r.id, Number(r.passed)])).toEqual([
        ['auc-floor', latestGateIds.auc, 1],
        ['parity', latestGateIds.parity, 0],
      ]);
      // A result written at the same instant as the newest, with a larger id, wins the tie.
      const tie = { ...latest[1]!, id: newId(ms(500)), passed: 1 };
      await store.gates.insertResults([tie]);
      expect((await store.cards.latestGateResults(version.id)).map((r) => r.id)).toEqual([latestGateIds.auc, tie.id]);
      expect(await store.cards.latestGateResults(bare.id)).toEqual([]);
    });

    it('lists executed promotion requests with their approvals, oldest first', async () => {
      const store = await open();
      const { version, bare, executedRequestId } = await seedCardVersion(store);
      const promotions = await store.cards.executedPromotions(version.id);
      expect(promotions.map((p) => [p.request.id, p.request.status, p.request.target])).toEqual([[executedRequestId, 'executed', 'Production']]);
      expect(promotions[0]!.approvals.map((a) => [a.reviewer, a.decision, a.at])).toEqual([
        ['rita', 'approve', iso(41)],
        ['sam', 'approve', iso(42)],
      ]);
      expect(await store.cards.executedPromotions(bare.id)).toEqual([]);
    });

    it('lists the lineage dataset versions with their names, hashes and row counts', async () => {
      const store = await open();
      const { version, bare, train, holdout } = await seedCardVersion(store);
      expect(await store.cards.datasets(version.id)).toEqual([
        { dataset: 'credit-holdout', version: 1, role: 'evaluation', sha256: holdout.sha256, rows: 800 },
        { dataset: 'credit-applications', version: 2, role: 'train', sha256: train.sha256, rows: 5000 },
      ]);
      expect(await store.cards.datasets(bare.id)).toEqual([]);
    });
  });
}
