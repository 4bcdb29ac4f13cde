/**
 * The domain events a webhook can subscribe to, and the patterns that select them.
 *
 * A pattern is '*' (every event below), '<prefix>.*' (every event of one kind, including ones added to that
 * kind later) or one exact type from the list. The list is the one place that names them (the docs and the
 * UI read it): a module that appends a new event type worth delivering adds it here.
 */
import { invalidField } from '../../platform/errors.js';
import { printable } from '../../platform/names.js';

/** Event type → what happened. */
export const WEBHOOK_EVENT_TYPES = {
  'project.created': 'A project was created',
  'member.set': "A user's role in the project was granted or changed",
  'member.removed': 'A user was removed from the project',

  'model.created': 'A model was created',
  'model.updated': "A model's name, description, owner, tags or risk tier changed",
  'model_version.created': 'A model version was created (its artifact is being checked)',
  'model_version.registered': 'A model version passed its checks and is ready',
  'model_version.failed': 'A model version failed its checks',
  'model_version.updated': "A model version's description or tags changed",
  'model_version.stage_changed': 'A model version moved to another stage',
  'model_alias.set': 'An alias was set on, or moved to, a model version',
  'model_alias.deleted': 'An alias was removed',

  'experiment.created': 'An experiment was created',
  'experiment.renamed': 'An experiment was renamed',
  'experiment.deleted': 'An experiment was deleted, with its runs (it can be restored)',
  'experiment.restored': 'A deleted experiment was restored, with its runs',
  'run.created': 'A run was started',
  'run.updated': "A run's status, end time or name changed (e.g. it finished)",
  'run.deleted': 'A run was deleted (it can be restored)',
  'run.restored': 'A deleted run was restored',
  'training.requested': 'A training job was asked for (dataset version, target, algorithm)',
  'training.started': 'A training job started running',
  'training.finished': 'A training job ended: succeeded (possibly stopped by its time budget), failed or cancelled',
  'training.cancel_requested': 'A cancel of a training job was asked',
  'training.registered': 'A model trained by a training job was registered as a model version',

  'dataset.created': 'A dataset was created',
  'dataset_version.created': 'A dataset version was uploaded',
  'dataset_version.profiled': 'A dataset version was profiled',
  'dataset_version.prepare_requested': 'Preparing a dataset version was requested',
  'dataset_version.split_requested': 'Splitting a dataset version was requested',
  'recipe_version.created': 'A training recipe version was created',

  'deployment.revised': 'A deployment was created or revised (targets, weights, shadow, batching, rollback)',
  'deployment.deleted': 'A deployment was deleted',

  'gate_run.requested': 'Test gates were requested for a model version',
  'gate_run.started': 'A test gate run started',
  'gate_run.passed': 'Every test gate of a run passed',
  'gate_run.failed': 'A test gate of a run failed',
  'gate_run.errored': 'A test gate run could not be completed',
  'policy.published': 'A new version of a promotion policy was published',
  'promotion.requested': 'A promotion (stage, alias or deployment) was requested',
  'promotion.approved': 'A reviewer approved a promotion request',
  'promotion.rejected': 'A reviewer rejected a promotion request',
  'promotion.executed': 'An approved promotion was carried out',
  'promotion.cancelled': 'A promotion request was cancelled',
  'promotion.failed': 'A promotion could not be carried out',
  'model_card.updated': "A model version's card was edited",
  'comment.created': 'A comment was written',
  'comment.edited': 'A comment was edited',
  'comment.deleted': 'A comment was deleted',
  'comment.mentioned': 'A comment mentioned a user',

  'monitoring.settings_changed': "A deployment's monitoring settings changed",
  'monitoring.reference_requested': "Profiling a model version's monitoring reference was requested",
  'monitoring.reference_ready': "A model version's monitoring reference is ready",
  'monitoring.labels_received': 'Ground-truth labels arrived for served predictions',
  'alert_rule.created': 'An alert rule was created',
  'alert_rule.updated': 'An alert rule was changed',
  'alert_rule.deleted': 'An alert rule was deleted',
  'alert.fired': 'An alert started firing',
  'alert.resolved': 'A firing alert resolved',
  'alert.acknowledged': 'A firing alert was acknowledged',
  'alert.silenced': 'An alert rule was silenced',
  'alert.unsilenced': 'A silence ended early',

  'explanation.report_requested': 'An explanation report was requested',
  'explanation.report_retried': 'An explanation report was requested again',
  'explanation.report_started': 'An explanation report started',
  'explanation.report_ready': 'An explanation report is ready',
  'explanation.report_failed': 'An explanation report failed',

  'webhook.created': 'A webhook subscription was created',
  'webhook.updated': 'A webhook subscription was changed',
  'webhook.deleted': 'A webhook subscription was deleted',
  'webhook.redelivery_requested': 'A webhook delivery was sent again on request',
  'webhook.test': 'A test delivery (sent only to the webhook being tested)',
} as const satisfies Record<string, string>;

export type WebhookEventType = keyof typeof WEBHOOK_EVENT_TYPES;

/**
 * Kinds of events that are never delivered: accounts and tokens (platform security), jobs (internal
 * plumbing; their outcome is a domain event of its own kind) and a user's own notifications.
 */
export const UNDELIVERED_EVENT_KINDS: readonly string[] = ['user', 'token', 'job', 'notification'];

/** The kinds of events (the part before the dot), in the order of the list. */
export const WEBHOOK_EVENT_PREFIXES: readonly string[] = [...new Set(Object.keys(WEBHOOK_EVENT_TYPES).map((t) => t.slice(0, t.indexOf('.'))))];
const PREFIXES = new Set(WEBHOOK_EVENT_PREFIXES);

/** The event a test delivery carries; it is never delivered to other subscriptions. */
export const TEST_EVENT = 'webhook.test';

const MAX_PATTERNS = 100;

/** Checks a list of patterns; each problem names the field (`events[2]`). Duplicates are dropped. */
export function checkEventPatterns(field: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw invalidField(field, "must be an array of event patterns, e.g. ['model_version.*', 'promotion.executed']");
  if (value.length === 0) throw invalidField(field, "must name at least one event pattern ('*' for every event)");
  if (value.length > MAX_PATTERNS) throw invalidField(field, `at most ${MAX_PATTERNS} patterns are allowed`);
  const out: string[] = [];
  value.forEach((p: unknown, i) => {
    const at = `${field}[${i}]`;
    if (typeof p !== 'string') throw invalidField(at, 'must be a string');
    const pattern = p.trim();
    if (pattern === '*') {
      out.push(pattern);
      return;
    }
    const dot = pattern.indexOf('.');
    const prefix = dot < 0 ? pattern : pattern.slice(0, dot);
    if (!WEBHOOK_EVENT_PREFIXES.includes(prefix)) {
      throw invalidField(at, `'${printable(pattern)}' is not a known kind of event; use '*', '<kind>.*' or an event type, with a kind among ${WEBHOOK_EVENT_PREFIXES.join(', ')}`);
    }
    if (dot < 0) throw invalidField(at, `'${printable(pattern)}' needs an event after the kind: '${prefix}.*' for all of them`);
    if (pattern !== `${prefix}.*` && !Object.hasOwn(WEBHOOK_EVENT_TYPES, pattern)) {
      const known = Object.keys(WEBHOOK_EVENT_TYPES).filter((t) => t.startsWith(`${prefix}.`));
      throw invalidField(at, `'${printable(pattern)}' is not a known event; ${prefix} events are ${known.join(', ')} (or '${prefix}.*')`);
    }
    out.push(pattern);
  });
  return [...new Set(out)];
}

/**
 * Whether an event type is selected by any of the patterns. '*' and '<kind>.*' select every event of the
 * known kinds, including types added to a kind later; events of other kinds (users, tokens, jobs) never go out.
 */
export function matchesEvent(patterns: readonly string[], type: string): boolean {
  const dot = type.indexOf('.');
  if (dot <= 0) return false;
  const prefix = type.slice(0, dot);
  if (!PREFIXES.has(prefix)) return false;
  return patterns.some((p) => p === '*' || p === type || p === `${prefix}.*`);
}
