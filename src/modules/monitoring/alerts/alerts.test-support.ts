/** Shared set-up of the alert tests: a real SQLite file, a deployment row, and an AlertsService. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateToLatest, openDatabase } from '../../../db/database.js';
import { createMetadataStore, type MetadataStore } from '../../../db/metadata-store.js';
import type { DeploymentRow } from '../../../db/schema.js';
import { systemClock, type Clock } from '../../../platform/clock.js';
import { newId } from '../../../platform/ids.js';
import { createLogger } from '../../../platform/logger.js';
import type { Principal } from '../../../platform/principal.js';
import { AlertsService } from './alerts.service.js';
import type { WebhookOptions } from './webhooks.js';

export interface AlertFixture {
  dir: string;
  store: MetadataStore;
  alerts: AlertsService;
  /** The deployment 'price' in the default project. */
  deployment: DeploymentRow;
  maria: Principal;
  close(): Promise<void>;
}

export const principal = (name: string, role: Principal['role'] = 'user'): Principal => ({ userId: name, name, role, tokenId: `t-${name}`, deployments: null });

export async function addDeployment(store: MetadataStore, name: string, projectName = 'default'): Promise<DeploymentRow> {
  const project = await store.projects.getByName(projectName);
  const now = new Date().toISOString();
  const row: DeploymentRow = { id: newId(), project_id: project!.id, name, current_revision: 1, created_at: now, created_by: 'test', updated_at: now, updated_by: 'test' };
  await store.deployments.insert(row);
  return row;
}

export async function alertFixture(options: { clock?: Clock; webhooks?: WebhookOptions } = {}): Promise<AlertFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'steward-alerts-'));
  const database = await openDatabase({ kind: 'sqlite', file: join(dir, 'steward.db') });
  await migrateToLatest(database);
  const store = createMetadataStore(database);
  const alerts = new AlertsService({ store, clock: options.clock ?? systemClock, logger: createLogger('silent'), webhooks: options.webhooks });
  const deployment = await addDeployment(store, 'price');
  return {
    dir,
    store,
    alerts,
    deployment,
    maria: principal('maria'),
    async close() {
      await alerts.stop();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A window key as monitoring gives them: zero-padded so that text order is time order. */
export const windowOf = (n: number) => ({
  key: String(n).padStart(12, '0'),
  start: new Date(Date.UTC(2030, 0, 1, 0, n)).toISOString(),
  end: new Date(Date.UTC(2030, 0, 1, 0, n + 1)).toISOString(),
});

/** Polls until `check` answers something truthy, or fails after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, ms = 10_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
