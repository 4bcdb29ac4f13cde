import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectKind } from '../database.js';
import { textType } from './column-types.js';

/** Preparation recipes: versioned lists of declarative steps. */
export function migration0005(dialect: DialectKind): Migration {
  const text = textType(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('recipes')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('project_id', text, (c) => c.notNull().references('projects.id'))
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('last_version', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addUniqueConstraint('recipes_project_name', ['project_id', 'name'])
        .execute();
      await db.schema
        .createTable('recipe_versions')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('recipe_id', text, (c) => c.notNull().references('recipes.id'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('steps', text, (c) => c.notNull())
        .addColumn('description', text, (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addUniqueConstraint('recipe_versions_number', ['recipe_id', 'version'])
        .execute();
    },
  };
}
