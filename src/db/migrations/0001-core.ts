import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectKind } from '../database.js';
import { textType } from './column-types.js';

/** Projects, users and tokens, the registry, and the domain event stream. */
export function migration0001(dialect: DialectKind): Migration {
  const text = textType(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('projects')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('name', text, (c) => c.notNull().unique())
        .addColumn('description', text, (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('users')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('name', text, (c) => c.notNull().unique())
        .addColumn('role', text, (c) => c.notNull())
        .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('api_tokens')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('user_id', text, (c) => c.notNull().references('users.id'))
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('token_hash', text, (c) => c.notNull().unique())
        .addColumn('prefix', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addColumn('expires_at', text)
        .addColumn('revoked_at', text)
        .addColumn('last_used_at', text)
        .execute();
      await db.schema.createIndex('api_tokens_user').on('api_tokens').column('user_id').execute();

      await db.schema
        .createTable('models')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('project_id', text, (c) => c.notNull().references('projects.id'))
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('description', text, (c) => c.notNull().defaultTo(''))
        .addColumn('owner', text, (c) => c.notNull())
        .addColumn('last_version', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull())
        .addColumn('updated_by', text, (c) => c.notNull())
        .addUniqueConstraint('models_project_name', ['project_id', 'name'])
        .execute();
      await db.schema.createIndex('models_project_updated').on('models').columns(['project_id', 'updated_at', 'id']).execute();
      await db.schema.createIndex('models_project_created').on('models').columns(['project_id', 'created_at', 'id']).execute();

      await db.schema
        .createTable('model_tags')
        .addColumn('model_id', text, (c) => c.notNull().references('models.id'))
        .addColumn('key', text, (c) => c.notNull())
        .addColumn('value', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('model_tags_pk', ['model_id', 'key'])
        .execute();
      await db.schema.createIndex('model_tags_key_value').on('model_tags').columns(['key', 'value']).execute();

      await db.schema
        .createTable('model_versions')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('model_id', text, (c) => c.notNull().references('models.id'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('status_message', text)
        .addColumn('flavor', text, (c) => c.notNull())
        .addColumn('artifact_sha256', text, (c) => c.notNull())
        .addColumn('artifact_size', 'bigint', (c) => c.notNull())
        .addColumn('signature', text)
        .addColumn('input_example', text)
        .addColumn('metrics', text, (c) => c.notNull().defaultTo('{}'))
        .addColumn('params', text, (c) => c.notNull().defaultTo('{}'))
        .addColumn('source_run', text)
        .addColumn('dataset_version', text)
        .addColumn('parent_version', 'integer')
        .addColumn('description', text, (c) => c.notNull().defaultTo(''))
        .addColumn('stage', text, (c) => c.notNull().defaultTo('None'))
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull())
        .addColumn('updated_by', text, (c) => c.notNull())
        .addUniqueConstraint('model_versions_model_version', ['model_id', 'version'])
        .execute();
      await db.schema.createIndex('model_versions_stage').on('model_versions').columns(['model_id', 'stage']).execute();
      await db.schema.createIndex('model_versions_sha').on('model_versions').column('artifact_sha256').execute();
      await db.schema.createIndex('model_versions_status').on('model_versions').column('status').execute();

      await db.schema
        .createTable('version_tags')
        .addColumn('version_id', text, (c) => c.notNull().references('model_versions.id'))
        .addColumn('key', text, (c) => c.notNull())
        .addColumn('value', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('version_tags_pk', ['version_id', 'key'])
        .execute();

      await db.schema
        .createTable('model_aliases')
        .addColumn('model_id', text, (c) => c.notNull().references('models.id'))
        .addColumn('alias', text, (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull())
        .addColumn('updated_by', text, (c) => c.notNull())
        .addPrimaryKeyConstraint('model_aliases_pk', ['model_id', 'alias'])
        .execute();

      await db.schema
        .createTable('alias_history')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('model_id', text, (c) => c.notNull().references('models.id'))
        .addColumn('alias', text, (c) => c.notNull())
        .addColumn('from_version', 'integer')
        .addColumn('to_version', 'integer')
        .addColumn('at', text, (c) => c.notNull())
        .addColumn('by', text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('alias_history_model_alias').on('alias_history').columns(['model_id', 'alias', 'id']).execute();

      await db.schema
        .createTable('stage_transitions')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('version_id', text, (c) => c.notNull().references('model_versions.id'))
        .addColumn('from_stage', text, (c) => c.notNull())
        .addColumn('to_stage', text, (c) => c.notNull())
        .addColumn('comment', text, (c) => c.notNull().defaultTo(''))
        .addColumn('at', text, (c) => c.notNull())
        .addColumn('by', text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('stage_transitions_version').on('stage_transitions').columns(['version_id', 'id']).execute();

      await db.schema
        .createTable('events')
        // SQLite: an INTEGER PRIMARY KEY is the rowid, which increases by one per insert as long as the newest
        // row is never deleted (events never are); AUTOINCREMENT would add a write to sqlite_sequence per event.
        .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => c.primaryKey(),
        )
        .addColumn('id', text, (c) => c.notNull().unique())
        .addColumn('type', text, (c) => c.notNull())
        .addColumn('at', text, (c) => c.notNull())
        .addColumn('actor', text, (c) => c.notNull())
        .addColumn('project_id', text)
        .addColumn('entity_type', text, (c) => c.notNull())
        .addColumn('entity_id', text, (c) => c.notNull())
        .addColumn('payload', text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('events_entity').on('events').columns(['entity_type', 'entity_id', 'seq']).execute();

      // The default project exists from the start; 'system' is the actor of things Steward does itself.
      await sql`insert into projects (id, name, description, created_at, created_by)
                values ('00000000-0000-7000-8000-000000000001', 'default', 'The default project', ${new Date().toISOString()}, 'system')`.execute(db);
    },
  };
}
