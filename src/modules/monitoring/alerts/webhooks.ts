/**
 * Webhook deliveries for alerts.
 *
 * When an alert fires or resolves on a rule with a webhook, a row is written to webhook_deliveries in the
 * same transaction as the state change (status pending, due now). Steward's one deliverer
 * (src/modules/webhooks/deliverer.ts: signing, headers, timeouts, concurrency, back-off, attempt log) takes
 * due rows through the queue below and POSTs them; nothing on the monitoring path ever waits for an endpoint.
 * Deliveries are signed with the rule's current webhook secret (a changed secret applies to retries), with
 * x-steward-event set to alert.fired or alert.resolved.
 */
import type { Repositories } from '../../../db/metadata-store.js';
import type { Clock } from '../../../platform/clock.js';
import type { Logger } from '../../../platform/logger.js';
import { Deliverer, type DeliveryQueue, type WebhookOptions } from '../../webhooks/deliverer.js';
import type { AlertRepository } from './alerts.repository.js';

export { retryDelay, signPayload, verifySignature, WEBHOOK_DEFAULTS, type AttemptLogEntry, type WebhookOptions } from '../../webhooks/deliverer.js';

/** The alert deliveries (table webhook_deliveries) as a queue for the deliverer. */
export function alertDeliveryQueue(alerts: AlertRepository): DeliveryQueue {
  return {
    async claimDue(now, leaseUntil) {
      const row = await alerts.claimDelivery(now, leaseUntil);
      if (!row) return undefined;
      const secret = secretOf(await alerts.ruleForEvent(row.event_id));
      return {
        id: row.id,
        url: row.url,
        event: eventOf(row.payload),
        payload: row.payload,
        secret: secret ?? null,
        ...(secret === undefined ? { unavailable: 'the rule no longer has a webhook secret' } : {}),
        attempts: row.attempts,
        log: row.log,
      };
    },
    finishAttempt: (id, claim, result) => alerts.recordAttempt(id, claim, result),
    release: (id, claim, now) => alerts.releaseDelivery(id, claim, now),
  };
}

export interface WebhookDelivererDeps {
  store: Pick<Repositories, 'alerts'>;
  clock: Clock;
  logger: Logger;
  options?: WebhookOptions;
}

/** The deliverer serving alert deliveries. */
export class WebhookDeliverer extends Deliverer {
  constructor(deps: WebhookDelivererDeps) {
    super({ queue: alertDeliveryQueue(deps.store.alerts), clock: deps.clock, logger: deps.logger, options: deps.options });
  }
}

/** The webhook secret in a stored rule, if it still has a webhook. */
function secretOf(ruleText: string | undefined): string | undefined {
  if (ruleText === undefined) return undefined;
  try {
    const secret = (JSON.parse(ruleText) as { webhook?: { secret?: unknown } | null }).webhook?.secret;
    return typeof secret === 'string' ? secret : undefined;
  } catch {
    return undefined;
  }
}

function eventOf(payload: string): string {
  try {
    const v = (JSON.parse(payload) as { event?: unknown }).event;
    return typeof v === 'string' ? v : 'alert';
  } catch {
    return 'alert';
  }
}
