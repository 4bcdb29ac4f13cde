/**
 * Rows for model card tests: a model version with everything a card shows (lineage datasets, gate results,
 * an explanation report, an executed promotion with approvals, stage changes, an alias). Rows of tables
 * whose modules have no insert method yet (gate runs and results, promotion requests, approvals) are written
 * through the card repository's executor.
 */
import type { MetadataStore } from '../../../db/metadata-store.js';
import type { DatasetRow, DatasetVersionRow, ModelRow, ModelVersionRow } from '../../../db/schema.js';
import { newId } from '../../../platform/ids.js';
import type { Principal } from '../../../platform/principal.js';
import { DEFAULT_PROJECT_ID, iso, modelRow, ms, versionRow } from '../../../../test/support/rows.js';

export const principal = (name: string): Principal => ({ userId: name, name, role: 'user', tokenId: `t-${name}`, deployments: null });

export interface CardSeed {
  model: ModelRow;
  version: ModelVersionRow;
  /** A second version of the same model with nothing but its row. */
  bare: ModelVersionRow;
  train: DatasetVersionRow;
  holdout: DatasetVersionRow;
  /** Ids of the newest gate results per name. */
  latestGateIds: { auc: string; parity: string };
  executedRequestId: string;
}

const id = (seconds: number) => newId(ms(seconds));

async function addDataset(store: MetadataStore, name: string, version: number, rows: number, seconds: number): Promise<DatasetVersionRow> {
  const d: DatasetRow = {
    id: id(seconds),
    project_id: DEFAULT_PROJECT_ID,
    name,
    description: '',
    last_version: version,
    created_at: iso(seconds),
    created_by: 'tester',
    updated_at: iso(seconds),
    updated_by: 'tester',
  };
  await store.datasets.insert(d);
  const sha = `${name}-${version}`.padEnd(64, '0').replace(/[^0-9a-f]/g, 'a');
  const v: DatasetVersionRow = {
    id: id(seconds),
    dataset_id: d.id,
    version,
    sha256: sha,
    source_format: 'csv',
    source_name: `${name}.csv`,
    source_sha256: sha,
    source_size: 100,
    stored_sha256: sha,
    stored_size: 100,
    row_count: rows,
    schema: '[]',
    csv: null,
    source: null,
    derived_from: null,
    recipe: null,
    split: null,
    description: '',
    profile_status: 'NONE',
    profile: null,
    profile_job_id: null,
    created_at: iso(seconds),
    created_by: 'tester',
  };
  await store.datasets.insertVersion(v);
  return v;
}

export const FAIRNESS_DETAILS = {
  metric: 'demographic_parity_difference',
  gap: 0.21,
  tolerance: 0.1,
  groups: { female: { count: 400, selectionRate: 0.31, tpr: 0.62, fpr: 0.12 }, male: { count: 600, selectionRate: 0.52 } },
};

export const IMPORTANCE: Record<string, number> = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${String(i + 1).padStart(2, '0')}`, (12 - i) / 10]));

export async function seedCardVersion(store: MetadataStore, modelName = 'credit'): Promise<CardSeed> {
  const model: ModelRow = { ...modelRow(modelName), id: id(0), description: 'Scores credit applications.', risk_tier: 'high', owner: 'olga' };
  await store.models.insert(model);
  await store.models.changeTags(model.id, { team: 'risk' });
  const version = versionRow(model.id, 1, {
    id: id(1),
    metrics: JSON.stringify({ auc: 0.91, accuracy: 0.85 }),
    params: JSON.stringify({ max_depth: '6' }),
    signature: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 12] }], outputs: [{ name: 'prob', datatype: 'FP32', shape: [-1, 2] }] }),
    description: 'retrained on 2024 applications',
    stage: 'Production',
    created_by: 'carl',
  });
  const bare = versionRow(model.id, 2, { id: id(2) });
  await store.versions.insert(version);
  await store.versions.insert(bare);
  await store.versions.changeTags(version.id, { candidate: 'yes' });
  await store.aliases.upsert({ model_id: model.id, alias: 'champion', version: 1, updated_at: iso(5), updated_by: 'carl' });
  await store.versions.addTransition({ id: id(6), version_id: version.id, from_stage: 'None', to_stage: 'Staging', comment: 'first look', at: iso(6), by: 'carl' });
  await store.versions.addTransition({ id: id(7), version_id: version.id, from_stage: 'Staging', to_stage: 'Production', comment: 'approved', at: iso(7), by: 'rita' });

  const train = await addDataset(store, `${modelName}-applications`, 2, 5000, 3);
  const holdout = await addDataset(store, `${modelName}-holdout`, 1, 800, 4);
  await store.datasets.link(version.id, train.id, 'train');
  await store.datasets.link(version.id, holdout.id, 'evaluation');

  // Two gate runs: the first one's 'auc-floor' result is older than the second's.
  const runs = [id(10), id(20)];
  for (const [i, run] of runs.entries()) {
    await store.gates.insertRun({ id: run, model_version_id: version.id, dataset_version_id: holdout.id, policy_id: null, spec: '{}', status: 'SUCCEEDED', passed: 0, job_id: `job-${i}`, error: null, created_at: iso(10 + i * 10), created_by: 'carl', finished_at: iso(11 + i * 10) });
  }
  const gate = (run: string, name: string, type: string, passed: boolean, details: unknown, seconds: number) => ({
    id: id(seconds),
    run_id: run,
    model_version_id: version.id,
    name,
    type,
    spec_sha256: '0'.repeat(64),
    spec: '{}',
    passed: passed ? 1 : 0,
    details: JSON.stringify(details),
    created_at: iso(seconds),
  });
  const oldAuc = gate(runs[0]!, 'auc-floor', 'metric_threshold', false, { results: [{ metric: 'auc', candidate: 0.7, passed: false }] }, 11);
  const newAuc = gate(runs[1]!, 'auc-floor', 'metric_threshold', true, { dataset: 'holdout@1', results: [{ metric: 'auc', candidate: 0.88, baseline: null, passed: true, reasons: [] }] }, 21);
  const parity = gate(runs[1]!, 'parity', 'fairness', false, FAIRNESS_DETAILS, 21);
  await store.gates.insertResults([oldAuc, newAuc, parity]);

  // Explanation reports: an older succeeded one, the newest succeeded one, and a newer failed one.
  const report = (seconds: number, status: string, summary: unknown) => ({
    id: id(seconds),
    model_version_id: version.id,
    dataset_version_id: holdout.id,
    status,
    params: '{}',
    job_id: `job-r${seconds}`,
    result_sha256: null,
    summary: summary === null ? null : JSON.stringify(summary),
    error: status === 'FAILED' ? 'boom' : null,
    created_at: iso(seconds),
    created_by: 'carl',
    finished_at: iso(seconds + 1),
  });
  await store.explanations.put(report(30, 'SUCCEEDED', { method: 'kernel', top: [{ feature: 'old', meanAbsShap: 9 }], importance: { old: 9 } }));
  await store.explanations.put(report(31, 'SUCCEEDED', { method: 'tree', top: [], importance: IMPORTANCE }));
  await store.explanations.put(report(32, 'FAILED', null));

  // Promotions: one executed with two approvals, one rejected.
  const request = (seconds: number, status: string, target: string) => ({
    id: id(seconds),
    project_id: DEFAULT_PROJECT_ID,
    model_version_id: version.id,
    kind: 'stage',
    target,
    change: '{}',
    status,
    message: '',
    comment: '',
    created_at: iso(seconds),
    created_by: 'carl',
    updated_at: iso(seconds + 2),
    executed_at: status === 'executed' ? iso(seconds + 2) : null,
  });
  const executed = request(40, 'executed', 'Production');
  const rejected = request(50, 'rejected', 'Archived');
  for (const r of [executed, rejected]) await store.governance.insertRequest(r);
  for (const a of [
    { id: id(41), request_id: executed.id, reviewer: 'rita', decision: 'approve', comment: 'fair enough', at: iso(41) },
    { id: id(42), request_id: executed.id, reviewer: 'sam', decision: 'approve', comment: '', at: iso(42) },
    { id: id(51), request_id: rejected.id, reviewer: 'sam', decision: 'reject', comment: 'no', at: iso(51) },
  ])
    await store.governance.insertApproval(a);

  return { model, version, bare, train, holdout, latestGateIds: { auc: newAuc.id, parity: parity.id }, executedRequestId: executed.id };
}
