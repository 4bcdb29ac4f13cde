import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectKind } from '../database.js';
import { textType } from './column-types.js';

/**
 * Tracking: experiments and runs (MLflow's model: params, tags, every metric point and the latest value of
 * each metric, dataset inputs), the index of run artifacts kept in the content-addressed store, and what an
 * MLflow-registered model version was made from (its MLmodel file and source).
 *
 * Times are epoch milliseconds here (MLflow's unit), not ISO text: runs are searched and ordered by them and
 * the MLflow API answers in them.
 */
export function migration0010(dialect: DialectKind): Migration {
  const text = textType(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('experiments')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('project_id', text, (c) => c.notNull().references('projects.id'))
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('artifact_location', text, (c) => c.notNull())
        .addColumn('lifecycle_stage', text, (c) => c.notNull())
        .addColumn('creation_time', 'bigint', (c) => c.notNull())
        .addColumn('last_update_time', 'bigint', (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addUniqueConstraint('experiments_name', ['project_id', 'name'])
        .execute();
      await db.schema
        .createTable('experiment_tags')
        .addColumn('experiment_id', 'bigint', (c) => c.notNull().references('experiments.id'))
        .addColumn('key', text, (c) => c.notNull())
        .addColumn('value', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('experiment_tags_pk', ['experiment_id', 'key'])
        .execute();

      await db.schema
        .createTable('runs')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('experiment_id', 'bigint', (c) => c.notNull().references('experiments.id'))
        .addColumn('project_id', text, (c) => c.notNull().references('projects.id'))
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('start_time', 'bigint', (c) => c.notNull())
        .addColumn('end_time', 'bigint')
        .addColumn('user_id', text, (c) => c.notNull())
        .addColumn('lifecycle_stage', text, (c) => c.notNull())
        .addColumn('artifact_uri', text, (c) => c.notNull())
        .addColumn('parent_run_id', text)
        .addColumn('deleted_time', 'bigint')
        .execute();
      await db.schema.createIndex('runs_by_experiment').on('runs').columns(['experiment_id', 'start_time']).execute();
      await db.schema.createIndex('runs_by_parent').on('runs').column('parent_run_id').execute();

      await db.schema
        .createTable('run_params')
        .addColumn('run_id', text, (c) => c.notNull().references('runs.id'))
        .addColumn('key', text, (c) => c.notNull())
        .addColumn('value', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('run_params_pk', ['run_id', 'key'])
        .execute();
      await db.schema
        .createTable('run_tags')
        .addColumn('run_id', text, (c) => c.notNull().references('runs.id'))
        .addColumn('key', text, (c) => c.notNull())
        .addColumn('value', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('run_tags_pk', ['run_id', 'key'])
        .execute();
      // Every point of every metric. The key is MLflow's: logging the same point twice keeps one.
      // A NaN is stored as value 0 with is_nan 1 (SQLite has no NaN).
      await db.schema
        .createTable('run_metrics')
        .addColumn('run_id', text, (c) => c.notNull().references('runs.id'))
        .addColumn('key', text, (c) => c.notNull())
        .addColumn('step', 'bigint', (c) => c.notNull())
        .addColumn('timestamp', 'bigint', (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addColumn('is_nan', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_metrics_pk', ['run_id', 'key', 'step', 'timestamp', 'value', 'is_nan'])
        .execute();
      // The latest point of each metric (the greatest by step, then timestamp, then value), kept on write.
      await db.schema
        .createTable('run_latest_metrics')
        .addColumn('run_id', text, (c) => c.notNull().references('runs.id'))
        .addColumn('key', text, (c) => c.notNull())
        .addColumn('step', 'bigint', (c) => c.notNull())
        .addColumn('timestamp', 'bigint', (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addColumn('is_nan', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_latest_metrics_pk', ['run_id', 'key'])
        .execute();
      // Datasets a run used (MLflow's log-inputs), linked to a Steward dataset version when one matches.
      await db.schema
        .createTable('run_inputs')
        .addColumn('run_id', text, (c) => c.notNull().references('runs.id'))
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('digest', text, (c) => c.notNull())
        .addColumn('source_type', text, (c) => c.notNull())
        .addColumn('source', text, (c) => c.notNull())
        .addColumn('schema', text)
        .addColumn('profile', text)
        .addColumn('tags', text, (c) => c.notNull())
        .addColumn('dataset_version_id', text, (c) => c.references('dataset_versions.id'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_inputs_pk', ['run_id', 'name', 'digest'])
        .execute();

      // Files logged to runs (and anything else under the MLflow artifact proxy): a path → a content-addressed
      // blob. Listing a folder is a range scan over the path.
      await db.schema
        .createTable('tracking_artifacts')
        .addColumn('path', text, (c) => c.primaryKey())
        .addColumn('project_id', text, (c) => c.notNull().references('projects.id'))
        .addColumn('sha256', text, (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .execute();

      // A version registered through the MLflow API: where it came from and its MLmodel file.
      await db.schema
        .createTable('model_version_mlflow')
        .addColumn('version_id', text, (c) => c.primaryKey().references('model_versions.id'))
        .addColumn('source', text, (c) => c.notNull())
        .addColumn('run_id', text)
        .addColumn('run_link', text)
        .addColumn('mlmodel', text)
        .addColumn('flavors', text, (c) => c.notNull())
        .addColumn('servable', 'integer', (c) => c.notNull())
        .addColumn('reason', text)
        .execute();
    },
  };
}
