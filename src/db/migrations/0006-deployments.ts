import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectKind } from '../database.js';
import { textType } from './column-types.js';

/**
 * Deployments: named serving endpoints whose routing spec changes only by adding a revision, and API tokens
 * that may be limited to predicting on given deployments.
 */
export function migration0006(dialect: DialectKind): Migration {
  const text = textType(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('deployments')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('project_id', text, (c) => c.notNull().references('projects.id'))
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('current_revision', 'integer', (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull())
        .addColumn('updated_by', text, (c) => c.notNull())
        .addUniqueConstraint('deployments_project_name', ['project_id', 'name'])
        .execute();
      await db.schema
        .createTable('deployment_revisions')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('deployment_id', text, (c) => c.notNull().references('deployments.id').onDelete('cascade'))
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('spec', text, (c) => c.notNull())
        .addColumn('cause', text, (c) => c.notNull())
        .addColumn('comment', text, (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addUniqueConstraint('deployment_revisions_number', ['deployment_id', 'revision'])
        .execute();
      // The (model, alias) pairs that deployments follow, for finding them when an alias moves.
      await db.schema
        .createTable('deployment_alias_bindings')
        .addColumn('deployment_id', text, (c) => c.notNull().references('deployments.id').onDelete('cascade'))
        .addColumn('model_id', text, (c) => c.notNull().references('models.id'))
        .addColumn('alias', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('deployment_alias_bindings_pk', ['deployment_id', 'model_id', 'alias'])
        .execute();
      await db.schema.createIndex('deployment_alias_bindings_alias').on('deployment_alias_bindings').columns(['model_id', 'alias']).execute();
      await db.schema.alterTable('api_tokens').addColumn('scope', text).execute();
    },
  };
}
