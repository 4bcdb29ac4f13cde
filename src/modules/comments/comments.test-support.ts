/**
 * Shared set-up of the comment tests: a real SQLite file with two projects, users with roles in them, a
 * model with two versions and a deployment, and a CommentsService.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateToLatest, openDatabase } from '../../db/database.js';
import { createMetadataStore, type MetadataStore } from '../../db/metadata-store.js';
import type { DeploymentRow, ModelRow, ModelVersionRow, ProjectRow, UserRow } from '../../db/schema.js';
import { systemClock } from '../../platform/clock.js';
import { newId } from '../../platform/ids.js';
import type { PlatformRole, Principal, ProjectRole } from '../../platform/principal.js';
import { DEFAULT_PROJECT_ID, iso, modelRow, projectRow, userRow, versionRow } from '../../../test/support/rows.js';
import { CommentsService } from './comments.service.js';

export interface CommentFixture {
  store: MetadataStore;
  comments: CommentsService;
  project: ProjectRow;
  other: ProjectRow;
  model: ModelRow;
  v1: ModelVersionRow;
  v2: ModelVersionRow;
  deployment: DeploymentRow;
  users: Record<string, UserRow>;
  /** The principal of a fixture user. */
  as(name: string): Principal;
  close(): Promise<void>;
}

/**
 * Users: ana (contributor), bob (contributor), carl (viewer), dora (admin of the project), eve (contributor
 * in the other project only), root (platform admin, no membership), zed (viewer, disabled).
 */
const PEOPLE: [string, PlatformRole, ProjectRole | null, ProjectRole | null][] = [
  ['ana', 'user', 'contributor', null],
  ['bob', 'user', 'contributor', null],
  ['carl', 'user', 'viewer', null],
  ['dora', 'user', 'admin', null],
  ['eve', 'user', null, 'contributor'],
  ['root', 'admin', null, null],
  ['zed', 'user', 'viewer', null],
];

export async function commentFixture(): Promise<CommentFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'steward-comments-'));
  const database = await openDatabase({ kind: 'sqlite', file: join(dir, 'steward.db') });
  await migrateToLatest(database);
  const store = createMetadataStore(database);
  const project = (await store.projects.getById(DEFAULT_PROJECT_ID))!;
  const other = projectRow('other', 1);
  await store.projects.insert(other);

  const users: Record<string, UserRow> = {};
  for (const [i, [name, role, inProject, inOther]] of PEOPLE.entries()) {
    const row = { ...userRow(name, 10 + i, role), disabled: name === 'zed' ? 1 : 0 };
    await store.users.insert(row);
    users[name] = row;
    for (const [p, r] of [[project, inProject], [other, inOther]] as const) {
      if (r) await store.members.put({ project_id: p.id, user_id: row.id, role: r, created_at: iso(20), created_by: 'tester' });
    }
  }

  const model = modelRow('price');
  await store.models.insert({ ...model, last_version: 2 });
  const v1 = versionRow(model.id, 1);
  const v2 = versionRow(model.id, 2);
  await store.versions.insert(v1);
  await store.versions.insert(v2);
  const deployment: DeploymentRow = { id: newId(), project_id: project.id, name: 'price-api', current_revision: 1, created_at: iso(30), created_by: 'tester', updated_at: iso(30), updated_by: 'tester' };
  await store.deployments.insert(deployment);

  const comments = new CommentsService({ store, clock: systemClock });
  return {
    store,
    comments,
    project,
    other,
    model,
    v1,
    v2,
    deployment,
    users,
    as: (name) => {
      const u = users[name];
      if (!u) throw new Error(`no fixture user ${name}`);
      return { userId: u.id, name: u.name, role: u.role as PlatformRole, tokenId: `t-${name}`, deployments: null };
    },
    async close() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Events of a type, oldest first, with their payloads. */
export async function eventsOf(store: MetadataStore, type: string) {
  return (await store.events.list({ after: 0, limit: 1000 })).filter((e) => e.type === type);
}
