/**
 * Row builders for tests of the metadata store and of services that read it: deterministic ids and times
 * (whole seconds after a fixed instant), so tests never depend on the clock.
 */
import type { ApiTokenRow, JobRow, ModelRow, ModelVersionRow, ProjectRow, UserRow } from '../../src/db/schema.js';
import type { DomainEvent } from '../../src/modules/events/events.repository.js';
import { newId } from '../../src/platform/ids.js';

/** The id migration 0001 gives the default project. */
export const DEFAULT_PROJECT_ID = '00000000-0000-7000-8000-000000000001';

/** Fixture times: whole seconds after a fixed instant, so tests never depend on the clock. */
export const T0 = Date.UTC(2024, 0, 15, 12, 0, 0);
export const ms = (seconds: number) => T0 + seconds * 1000;
export const iso = (seconds: number) => new Date(ms(seconds)).toISOString();


export function projectRow(name: string, seconds = 0): ProjectRow {
  return { id: newId(ms(seconds)), name, description: `the ${name} project`, created_at: iso(seconds), created_by: 'tester' };
}

export function userRow(name: string, seconds = 0, role = 'viewer'): UserRow {
  return { id: newId(ms(seconds)), name, role, disabled: 0, created_at: iso(seconds), created_by: 'tester' };
}

export function tokenRow(userId: string, hash: string, seconds = 0): ApiTokenRow {
  return {
    id: newId(ms(seconds)),
    user_id: userId,
    name: `token-${hash}`,
    token_hash: hash,
    prefix: hash.slice(0, 6),
    created_at: iso(seconds),
    created_by: 'tester',
    expires_at: null,
    revoked_at: null,
    last_used_at: null,
    scope: null,
  };
}

export function modelRow(name: string, opts: { projectId?: string; created?: number; updated?: number } = {}): ModelRow {
  const created = opts.created ?? 0;
  return {
    id: newId(ms(created)),
    project_id: opts.projectId ?? DEFAULT_PROJECT_ID,
    name,
    description: `about ${name}`,
    owner: 'owner-1',
    last_version: 0,
    risk_tier: 'low',
    created_at: iso(created),
    created_by: 'creator',
    updated_at: iso(opts.updated ?? created),
    updated_by: 'creator',
  };
}

export function versionRow(modelId: string, version: number, opts: Partial<ModelVersionRow> = {}): ModelVersionRow {
  return {
    id: newId(ms(version)),
    model_id: modelId,
    version,
    status: 'READY',
    status_message: null,
    flavor: 'onnx',
    artifact_sha256: version.toString(16).padStart(64, '0'),
    artifact_size: 1000 + version,
    signature: null,
    input_example: null,
    metrics: '{}',
    params: '{}',
    source_run: null,
    dataset_version: null,
    parent_version: null,
    description: '',
    stage: 'None',
    created_at: iso(version),
    created_by: 'creator',
    updated_at: iso(version),
    updated_by: 'creator',
    ...opts,
  };
}

export function eventFor(seconds: number, entityType: string, entityId: string, payload: Record<string, unknown> = {}, projectId: string | null = DEFAULT_PROJECT_ID): DomainEvent {
  return { id: newId(ms(seconds)), type: `${entityType}.changed`, at: iso(seconds), actor: 'tester', projectId, entityType, entityId, payload };
}

/** The rejection of a promise that must fail (the test fails if it resolves). */

export function jobRow(seconds: number, opts: Partial<JobRow> = {}): JobRow {
  return {
    id: newId(ms(seconds)),
    type: 'test.job',
    status: 'QUEUED',
    project_id: null,
    payload: '{}',
    result: null,
    error: null,
    progress: 0,
    progress_message: 'queued',
    attempts: 0,
    max_attempts: 3,
    run_after: iso(seconds),
    lease_owner: null,
    lease_until: null,
    created_at: iso(seconds),
    created_by: 'tester',
    started_at: null,
    finished_at: null,
    updated_at: iso(seconds),
    ...opts,
  };
}
