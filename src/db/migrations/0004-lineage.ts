import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectKind } from '../database.js';
import { textType } from './column-types.js';

/** Which dataset versions a model version was trained, validated or tested on. */
export function migration0004(dialect: DialectKind): Migration {
  const text = textType(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('model_version_datasets')
        .addColumn('model_version_id', text, (c) => c.notNull().references('model_versions.id'))
        .addColumn('dataset_version_id', text, (c) => c.notNull().references('dataset_versions.id'))
        .addColumn('role', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('model_version_datasets_pk', ['model_version_id', 'dataset_version_id', 'role'])
        .execute();
      await db.schema.createIndex('model_version_datasets_dataset').on('model_version_datasets').column('dataset_version_id').execute();
    },
  };
}
