/**
 * The governance repository's contract (policies, promotion requests, approvals, and the facts the policy
 * check reads), through MetadataStore only, for every backend.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MetadataStore } from '../../db/metadata-store.js';
import type { PolicyRow, PromotionRequestRow } from '../../db/schema.js';
import { isUniqueViolation } from '../../db/executor.js';
import { DEFAULT_PROJECT_ID, iso, ms, modelRow, versionRow } from '../../../test/support/rows.js';
import { newId } from '../../platform/ids.js';
import { seedCardVersion } from './cards/cards.test-support.js';

function policy(tier: string, version: number, seconds: number): PolicyRow {
  return { id: newId(ms(seconds)), project_id: DEFAULT_PROJECT_ID, tier, version, document: `{"v":${version}}`, source: `v: ${version}`, sha256: `h${version}`, comment: '', created_at: iso(seconds), created_by: 'ada' };
}

function request(versionId: string, kind: string, target: string, seconds: number, status = 'open'): PromotionRequestRow {
  return { id: newId(ms(seconds)), project_id: DEFAULT_PROJECT_ID, model_version_id: versionId, kind, target, change: '{}', status, message: '', comment: '', created_at: iso(seconds), created_by: 'ada', updated_at: iso(seconds), executed_at: null };
}

export function governanceRepositoryContract(fresh: () => Promise<MetadataStore>): void {
  describe('governance repository', () => {
    const opened: MetadataStore[] = [];
    const open = async () => {
      const store = await fresh();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });
    const seedVersion = async (store: MetadataStore) => {
      const model = modelRow('gov');
      await store.models.insert(model);
      const v = versionRow(model.id, 1);
      await store.versions.insert(v);
      return { model, version: v };
    };

    it('keeps policy versions per tier, newest first, and refuses a version number twice', async () => {
      const store = await open();
      await store.governance.insertPolicy(policy('high', 1, 1));
      await store.governance.insertPolicy(policy('high', 2, 2));
      await store.governance.insertPolicy(policy('low', 1, 3));
      expect((await store.governance.latestPolicy(DEFAULT_PROJECT_ID, 'high'))?.version).toBe(2);
      expect((await store.governance.policyVersion(DEFAULT_PROJECT_ID, 'high', 1))?.document).toBe('{"v":1}');
      expect(await store.governance.latestPolicy(DEFAULT_PROJECT_ID, 'medium')).toBeUndefined();
      expect((await store.governance.listPolicies(DEFAULT_PROJECT_ID, 'high')).map((p) => p.version)).toEqual([2, 1]);
      expect((await store.governance.listPolicies(DEFAULT_PROJECT_ID)).map((p) => `${p.tier}${p.version}`)).toEqual(['high2', 'high1', 'low1']);
      const err = await store.governance.insertPolicy(policy('high', 2, 4)).then(() => null, (e: unknown) => e);
      expect(isUniqueViolation(err)).toBe(true);
    });

    it('finds the request whose approvals count for a move, and settles a request only from the expected status', async () => {
      const store = await open();
      const { version } = await seedVersion(store);
      const old = request(version.id, 'stage', 'Production', 1, 'rejected');
      const open1 = request(version.id, 'stage', 'Production', 2);
      await store.governance.insertRequest(old);
      await store.governance.insertRequest(open1);
      await store.governance.insertRequest(request(version.id, 'alias', 'champion', 3));
      expect((await store.governance.requestForMove(version.id, 'stage', 'Production'))?.id).toBe(open1.id);
      expect(await store.governance.requestForMove(version.id, 'stage', 'Staging')).toBeUndefined();
      expect(await store.governance.settleRequest(open1.id, 'open', 'executed', 'done', iso(5))).toBe(true);
      expect(await store.governance.settleRequest(open1.id, 'open', 'failed', 'late', iso(6))).toBe(false);
      const settled = await store.governance.getRequest(open1.id);
      expect(settled).toMatchObject({ status: 'executed', message: 'done', executed_at: iso(5), updated_at: iso(5) });
      // An executed request keeps counting (its approvals stand for moving back, e.g. a rollback).
      expect((await store.governance.requestForMove(version.id, 'stage', 'Production'))?.id).toBe(open1.id);
      expect((await store.governance.listRequests({ projectId: DEFAULT_PROJECT_ID, status: 'open', limit: 10 })).map((r) => r.kind)).toEqual(['alias']);
      expect((await store.governance.listRequests({ projectId: DEFAULT_PROJECT_ID, modelVersionId: version.id, limit: 2 })).length).toBe(2);
    });

    it('records one decision per reviewer and request', async () => {
      const store = await open();
      const { version } = await seedVersion(store);
      const r = request(version.id, 'alias', 'champion', 1);
      await store.governance.insertRequest(r);
      await store.governance.insertApproval({ id: newId(ms(2)), request_id: r.id, reviewer: 'rita', decision: 'approve', comment: 'ok', at: iso(2) });
      await store.governance.insertApproval({ id: newId(ms(3)), request_id: r.id, reviewer: 'ravi', decision: 'reject', comment: 'no', at: iso(3) });
      const twice = await store.governance.insertApproval({ id: newId(ms(4)), request_id: r.id, reviewer: 'rita', decision: 'reject', comment: '', at: iso(4) }).then(() => null, (e: unknown) => e);
      expect(isUniqueViolation(twice)).toBe(true);
      expect((await store.governance.approvals(r.id)).map((a) => `${a.reviewer}:${a.decision}`)).toEqual(['rita:approve', 'ravi:reject']);
    });

    it('reads the newest gate result per spec hash, finished explanations, card fields and alias followers', async () => {
      const store = await open();
      const { model, version, bare } = await seedCardVersion(store);
      expect(await store.governance.latestGateResults(version.id, [])).toEqual([]);
      const newest = await store.governance.latestGateResults(version.id, ['0'.repeat(64), 'f'.repeat(64)]);
      expect(newest).toHaveLength(1);
      expect(newest[0]!.created_at).toBe(iso(21));
      expect(await store.governance.latestGateResults(bare.id, ['0'.repeat(64)])).toEqual([]);
      expect(await store.governance.hasFinishedExplanation(version.id)).toBe(true);
      expect(await store.governance.hasFinishedExplanation(bare.id)).toBe(false);
      expect(await store.governance.cardFields(version.id)).toBeUndefined();
      await store.cards.put({ model_version_id: version.id, fields: '{"considerations":{}}', updated_at: iso(60), updated_by: 'carl' });
      expect(await store.governance.cardFields(version.id)).toBe('{"considerations":{}}');
      expect(await store.governance.deploymentsFollowing(model.id, 'champion')).toEqual([]);
      const dep = { id: newId(ms(70)), project_id: DEFAULT_PROJECT_ID, name: 'web', current_revision: 1, created_at: iso(70), created_by: 'ada', updated_at: iso(70), updated_by: 'ada' };
      await store.deployments.insert(dep);
      await store.deployments.setBindings(dep.id, [{ modelId: model.id, alias: 'champion' }]);
      expect(await store.governance.deploymentsFollowing(model.id, 'champion')).toEqual(['web']);
      expect(await store.governance.deploymentsFollowing(model.id, 'other')).toEqual([]);
    });
  });
}
