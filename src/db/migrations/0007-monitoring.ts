import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectKind } from '../database.js';
import { textType } from './column-types.js';

/**
 * Monitoring: reference profiles per model version, per-window profiles folded from the prediction log,
 * labels joined to predictions, per-deployment settings, alert rules with their state and history, and
 * webhook deliveries.
 */
export function migration0007(dialect: DialectKind): Migration {
  const text = textType(dialect);
  const real = dialect === 'postgres' ? 'double precision' : 'real';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('monitoring_settings')
        .addColumn('deployment_id', text, (c) => c.primaryKey().references('deployments.id').onDelete('cascade'))
        .addColumn('settings', text, (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull())
        .addColumn('updated_by', text, (c) => c.notNull())
        .execute();
      // One reference per model version (a new one replaces it); the profile itself is a blob in the
      // artifact store (it holds a row sample and can be megabytes).
      await db.schema
        .createTable('monitoring_references')
        .addColumn('model_version_id', text, (c) => c.primaryKey().references('model_versions.id'))
        .addColumn('id', text, (c) => c.notNull().unique())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('source', text, (c) => c.notNull())
        .addColumn('rows', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('profile_sha256', text)
        .addColumn('error', text)
        .addColumn('job_id', text)
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .execute();
      // Window profiles. `stats` is small JSON (counts, bins, moments, categories, latency histogram);
      // `sample` is a row sample (base64 of float64 rows, in random order, so that any prefix is a uniform
      // sample too); `sample_head` holds its first rows, which is all that a report over many windows needs
      // from each (databases read a text value whole, so a prefix of `sample` would cost as much as all).
      await db.schema
        .createTable('monitoring_windows')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('deployment_id', text, (c) => c.notNull().references('deployments.id').onDelete('cascade'))
        .addColumn('model', text, (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('kind', text, (c) => c.notNull())
        .addColumn('start_at', text, (c) => c.notNull())
        .addColumn('end_at', text, (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('rows', 'integer', (c) => c.notNull())
        .addColumn('closed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('stats', text, (c) => c.notNull())
        .addColumn('sample_head', text, (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull())
        // Last: SQLite reads a row's columns in order, through the overflow pages of any large value before
        // the one wanted, so the whole sample comes after everything a report reads.
        .addColumn('sample', text, (c) => c.notNull())
        .addUniqueConstraint('monitoring_windows_key', ['deployment_id', 'model', 'version', 'kind', 'seq'])
        .execute();
      await db.schema.createIndex('monitoring_windows_range').on('monitoring_windows').columns(['deployment_id', 'start_at']).execute();
      // How far each prediction log folder has been folded into windows (one row per folder).
      await db.schema
        .createTable('monitoring_cursors')
        .addColumn('log_dir', text, (c) => c.primaryKey())
        .addColumn('segment', text, (c) => c.notNull())
        .addColumn('offset', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('monitoring_labels')
        .addColumn('prediction_id', text, (c) => c.primaryKey())
        .addColumn('deployment_id', text, (c) => c.notNull().references('deployments.id').onDelete('cascade'))
        .addColumn('model', text, (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('predicted_at', text, (c) => c.notNull())
        .addColumn('prediction', text, (c) => c.notNull())
        .addColumn('label', text, (c) => c.notNull())
        .addColumn('labeled_at', text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('monitoring_labels_range').on('monitoring_labels').columns(['deployment_id', 'predicted_at']).execute();
      await db.schema
        .createTable('alert_rules')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('deployment_id', text, (c) => c.notNull().references('deployments.id').onDelete('cascade'))
        .addColumn('name', text, (c) => c.notNull())
        .addColumn('rule', text, (c) => c.notNull())
        .addColumn('state', text, (c) => c.notNull())
        .addColumn('state_detail', text, (c) => c.notNull())
        .addColumn('silenced_until', text)
        .addColumn('acknowledged_at', text)
        .addColumn('acknowledged_by', text)
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('created_by', text, (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull())
        .addUniqueConstraint('alert_rules_name', ['deployment_id', 'name'])
        .execute();
      await db.schema
        .createTable('alert_events')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('rule_id', text, (c) => c.notNull().references('alert_rules.id').onDelete('cascade'))
        .addColumn('state', text, (c) => c.notNull())
        .addColumn('value', real)
        .addColumn('window_start', text)
        .addColumn('window_end', text)
        .addColumn('detail', text, (c) => c.notNull())
        .addColumn('at', text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('alert_events_rule').on('alert_events').columns(['rule_id', 'at']).execute();
      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', text, (c) => c.primaryKey())
        .addColumn('event_id', text, (c) => c.notNull().references('alert_events.id').onDelete('cascade'))
        .addColumn('url', text, (c) => c.notNull())
        .addColumn('payload', text, (c) => c.notNull())
        .addColumn('status', text, (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', text)
        .addColumn('last_status', 'integer')
        .addColumn('last_error', text)
        .addColumn('log', text, (c) => c.notNull())
        .addColumn('created_at', text, (c) => c.notNull())
        .addColumn('updated_at', text, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
    },
  };
}
