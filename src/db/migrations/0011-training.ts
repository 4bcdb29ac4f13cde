import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectKind } from '../database.js';
import { textType } from './column-types.js';

/**
 * Training: one row per training job asked of Steward (a dataset version, a target, an algorithm, its
 * parameters or a search space). The work runs as a background job (`job_id`); the tracked runs it makes
 * live in the tracking tables (`experiment_id`, `run_id` is the parent run); `result` holds the trials
 * and the best one as JSON, rewritten as trials finish.
 */
export function migration0011(dialect: DialectKind): Migration {
  const text = textType(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('training_jobs')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('project_id', text, (c) => c.notNull().references('projects.id'))
        .addColumn('dataset_version_id', text, (c) => c.notNull().references('dataset_versions.id'))
        .addColumn('job_id', text, (c) => c.notNull())
        .addColumn('spec', text, (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('experiment_id', 'bigint')
        .addColumn('run_id', text)
        .addColumn('result', text)
        .addColumn('error', text)
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addColumn('created_by_id', text, (c) => c.notNull())
        .addColumn('started_at', text)
        .addColumn('finished_at', text)
        .execute();
      await db.schema.createIndex('training_jobs_by_project').on('training_jobs').columns(['project_id', 'created_at']).execute();
    },
  };
}
