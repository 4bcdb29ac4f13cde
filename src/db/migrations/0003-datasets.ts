import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectKind } from '../database.js';
import { textType } from './column-types.js';

/** Datasets and their content-addressed versions, with schema, lineage and profile. */
export function migration0003(dialect: DialectKind): Migration {
  const text = textType(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('datasets')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('project_id', text, (c) => c.notNull().references('projects.id'))
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('description', text, (c) => c.notNull().defaultTo(''))
        .addColumn('last_version', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull())
        .addColumn('updated_by', text, (c) => c.notNull())
        .addUniqueConstraint('datasets_project_name', ['project_id', 'name'])
        .execute();

      await db.schema
        .createTable('dataset_versions')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('dataset_id', text, (c) => c.notNull().references('datasets.id'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('sha256', text, (c) => c.notNull())
        .addColumn('source_format', text, (c) => c.notNull())
        .addColumn('source_name', text, (c) => c.notNull())
        .addColumn('source_sha256', text, (c) => c.notNull())
        .addColumn('source_size', 'bigint', (c) => c.notNull())
        .addColumn('stored_sha256', text, (c) => c.notNull())
        .addColumn('stored_size', 'bigint', (c) => c.notNull())
        .addColumn('row_count', 'bigint', (c) => c.notNull())
        .addColumn('schema', text, (c) => c.notNull())
        .addColumn('csv', text)
        .addColumn('source', text)
        .addColumn('derived_from', text)
        .addColumn('recipe', text)
        .addColumn('split', text)
        .addColumn('description', text, (c) => c.notNull().defaultTo(''))
        .addColumn('profile_status', text, (c) => c.notNull())
        .addColumn('profile', text)
        .addColumn('profile_job_id', text)
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addUniqueConstraint('dataset_versions_number', ['dataset_id', 'version'])
        .addUniqueConstraint('dataset_versions_content', ['dataset_id', 'sha256'])
        .execute();
      await db.schema.createIndex('dataset_versions_derived').on('dataset_versions').column('derived_from').execute();
    },
  };
}
