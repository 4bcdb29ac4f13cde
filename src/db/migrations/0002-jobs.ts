import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectKind } from '../database.js';
import { textType } from './column-types.js';

/** Background jobs: long work taken by a worker loop, with status, progress, attempts and a result. */
export function migration0002(dialect: DialectKind): Migration {
  const text = textType(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('jobs')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('type', text, (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('project_id', text)
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('result', 'text')
        .addColumn('error', 'text')
        .addColumn('progress', 'real', (c) => c.notNull().defaultTo(0))
        .addColumn('progress_message', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('run_after', text, (c) => c.notNull())
        .addColumn('lease_owner', text)
        .addColumn('lease_until', text)
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addColumn('started_at', text)
        .addColumn('finished_at', text)
        .addColumn('updated_at', text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('jobs_ready').on('jobs').columns(['status', 'run_after', 'id']).execute();
    },
  };
}
