import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectKind } from '../database.js';
import { textType } from './column-types.js';
import { chainHash, GENESIS_HASH } from '../../modules/audit/audit-chain.js';

/**
 * Governance: roles per project, risk tiers and policies, test gates and their results, promotion requests
 * and approvals, model cards, comments and notifications, webhook subscriptions, and the hash chain over
 * the event stream (the audit trail).
 */
export function migration0009(dialect: DialectKind): Migration {
  const text = textType(dialect);
  return {
    async up(db: Kysely<unknown>) {
      // Roles per project. The global role is now 'admin' (platform admin) or 'user'; a user's old global
      // role becomes the same powers in every existing project (viewer → viewer, maintainer → deployer).
      await db.schema
        .createTable('project_members')
        .addColumn('project_id', text, (c) => c.notNull().references('projects.id'))
        .addColumn('user_id', text, (c) => c.notNull().references('users.id'))
        .addColumn('role', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('project_members_pk', ['project_id', 'user_id'])
        .execute();
      await db.schema.createIndex('project_members_user').on('project_members').column('user_id').execute();
      await sql`insert into project_members (project_id, user_id, role, created_at, created_by)
                select p.id, u.id, case when u.role = 'viewer' then 'viewer' else 'deployer' end, u.created_at, 'migration'
                from users u cross join projects p where u.role in ('viewer', 'maintainer')`.execute(db);
      await sql`update users set role = 'user' where role <> 'admin'`.execute(db);

      await db.schema.alterTable('models').addColumn('risk_tier', text, (c) => c.notNull().defaultTo('low')).execute();

      await db.schema
        .createTable('policies')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('project_id', text, (c) => c.notNull().references('projects.id'))
        .addColumn('tier', text, (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('document', text, (c) => c.notNull())
        .addColumn('source', text, (c) => c.notNull())
        .addColumn('sha256', text, (c) => c.notNull())
        .addColumn('comment', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addUniqueConstraint('policies_version', ['project_id', 'tier', 'version'])
        .execute();

      await db.schema
        .createTable('gate_runs')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('model_version_id', text, (c) => c.notNull().references('model_versions.id'))
        .addColumn('dataset_version_id', text, (c) => c.notNull().references('dataset_versions.id'))
        .addColumn('policy_id', text, (c) => c.references('policies.id'))
        .addColumn('spec', text, (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('passed', 'integer')
        .addColumn('job_id', text, (c) => c.notNull())
        .addColumn('error', text)
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addColumn('finished_at', text)
        .execute();
      await db.schema.createIndex('gate_runs_by_version').on('gate_runs').columns(['model_version_id', 'created_at']).execute();
      await db.schema
        .createTable('gate_results')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('run_id', text, (c) => c.notNull().references('gate_runs.id'))
        .addColumn('model_version_id', text, (c) => c.notNull().references('model_versions.id'))
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('type', text, (c) => c.notNull())
        .addColumn('spec_sha256', text, (c) => c.notNull())
        .addColumn('spec', text, (c) => c.notNull())
        .addColumn('passed', 'integer', (c) => c.notNull())
        .addColumn('details', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('gate_results_by_version').on('gate_results').columns(['model_version_id', 'name', 'created_at']).execute();

      await db.schema
        .createTable('promotion_requests')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('project_id', text, (c) => c.notNull().references('projects.id'))
        .addColumn('model_version_id', text, (c) => c.notNull().references('model_versions.id'))
        .addColumn('kind', text, (c) => c.notNull())
        .addColumn('target', text, (c) => c.notNull())
        .addColumn('change', text, (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('message', text, (c) => c.notNull())
        .addColumn('comment', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull())
        .addColumn('executed_at', text)
        .execute();
      await db.schema.createIndex('promotion_requests_status').on('promotion_requests').columns(['project_id', 'status', 'created_at']).execute();
      await db.schema.createIndex('promotion_requests_version').on('promotion_requests').columns(['model_version_id', 'kind', 'target']).execute();
      await db.schema
        .createTable('approvals')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('request_id', text, (c) => c.notNull().references('promotion_requests.id'))
        .addColumn('reviewer', text, (c) => c.notNull())
        .addColumn('decision', text, (c) => c.notNull())
        .addColumn('comment', text, (c) => c.notNull())
        .addColumn('at', text, (c) => c.notNull())
        .addUniqueConstraint('approvals_once', ['request_id', 'reviewer'])
        .execute();

      await db.schema
        .createTable('model_cards')
        .addColumn('model_version_id', text, (c) => c.primaryKey().references('model_versions.id'))
        .addColumn('fields', text, (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull())
        .addColumn('updated_by', text, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('comments')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('project_id', text, (c) => c.notNull().references('projects.id'))
        .addColumn('subject_type', text, (c) => c.notNull())
        .addColumn('subject_id', text, (c) => c.notNull())
        .addColumn('parent_id', text)
        .addColumn('author', text, (c) => c.notNull())
        .addColumn('body', text, (c) => c.notNull())
        .addColumn('mentions', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('edited_at', text)
        .addColumn('deleted_at', text)
        .execute();
      await db.schema.createIndex('comments_subject').on('comments').columns(['subject_type', 'subject_id', 'created_at']).execute();
      await db.schema
        .createTable('notifications')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('user_id', text, (c) => c.notNull().references('users.id'))
        .addColumn('kind', text, (c) => c.notNull())
        .addColumn('payload', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('read_at', text)
        .execute();
      await db.schema.createIndex('notifications_user').on('notifications').columns(['user_id', 'created_at']).execute();

      await db.schema
        .createTable('webhooks')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('project_id', text, (c) => c.references('projects.id'))
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('url', text, (c) => c.notNull())
        .addColumn('secret', text, (c) => c.notNull())
        .addColumn('events', text, (c) => c.notNull())
        .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('webhook_event_deliveries')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('webhook_id', text, (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
        .addColumn('event_seq', 'integer', (c) => c.notNull())
        .addColumn('event_type', text, (c) => c.notNull())
        .addColumn('payload', text, (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', text)
        .addColumn('last_status', 'integer')
        .addColumn('last_error', text)
        .addColumn('log', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull())
        .addUniqueConstraint('webhook_event_once', ['webhook_id', 'event_seq'])
        .execute();
      await db.schema.createIndex('webhook_event_deliveries_due').on('webhook_event_deliveries').columns(['status', 'next_attempt_at']).execute();
      await db.schema
        .createTable('event_cursors')
        .addColumn('name', text, (c) => c.primaryKey())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull())
        .execute();

      // The audit chain: each event carries its place in the chain, the previous record's hash and its own.
      await db.schema.alterTable('events').addColumn('chain', 'integer').execute();
      await db.schema.alterTable('events').addColumn('prev_hash', text).execute();
      await db.schema.alterTable('events').addColumn('hash', text).execute();
      await db.schema
        .createTable('audit_head')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('chain', 'integer', (c) => c.notNull())
        .addColumn('hash', text, (c) => c.notNull())
        .execute();
      // Chain the events written before this migration, oldest first.
      let prev = GENESIS_HASH;
      let chain = 0;
      let after = 0;
      for (;;) {
        const { rows } = await sql<ChainSource>`select seq, id, type, at, actor, project_id, entity_type, entity_id, payload from events
                                                where seq > ${after} order by seq limit 1000`.execute(db);
        if (rows.length === 0) break;
        for (const r of rows) {
          chain += 1;
          const hash = chainHash(prev, { ...r, chain });
          await sql`update events set chain = ${chain}, prev_hash = ${prev}, hash = ${hash} where seq = ${r.seq}`.execute(db);
          prev = hash;
          after = Number(r.seq);
        }
      }
      await sql`insert into audit_head (id, chain, hash) values (1, ${chain}, ${prev})`.execute(db);
    },
  };
}

interface ChainSource {
  seq: number;
  id: string;
  type: string;
  at: string;
  actor: string;
  project_id: string | null;
  entity_type: string;
  entity_id: string;
  payload: string;
}
