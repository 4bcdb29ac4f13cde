import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectKind } from '../database.js';
import { textType } from './column-types.js';

/**
 * Explanations: global explanation reports of a model version on a dataset version, made by a background
 * job. The report itself (SHAP sample, importances, partial dependence) is a blob in the artifact store.
 */
export function migration0008(dialect: DialectKind): Migration {
  const text = textType(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('explanation_reports')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('model_version_id', text, (c) => c.notNull().references('model_versions.id'))
        .addColumn('dataset_version_id', text, (c) => c.notNull().references('dataset_versions.id'))
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('params', text, (c) => c.notNull())
        .addColumn('job_id', text, (c) => c.notNull())
        .addColumn('result_sha256', text)
        .addColumn('summary', text)
        .addColumn('error', text)
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addColumn('finished_at', text)
        .execute();
      await db.schema.createIndex('explanation_reports_by_version').on('explanation_reports').columns(['model_version_id', 'created_at']).execute();
    },
  };
}
