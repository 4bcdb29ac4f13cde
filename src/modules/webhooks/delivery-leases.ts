import type { Executor } from '../../db/executor.js';
import type { AttemptResult, DeliveryClaim } from './deliverer.js';

/** The two delivery tables (alert deliveries and event deliveries) share their lease columns. */
type DeliveryTable = 'webhook_deliveries' | 'webhook_event_deliveries';

/**
 * Records an attempt's outcome, only if the delivery is still held by this claim (same attempt count and
 * lease): a claim that lost its lease to another process changes nothing. True when recorded.
 */
export async function finishDeliveryAttempt(db: Executor, table: DeliveryTable, id: string, claim: DeliveryClaim, result: AttemptResult): Promise<boolean> {
  const r = await db
    .updateTable(table as 'webhook_deliveries')
    .set(result)
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('attempts', '=', claim.attempts)
    .where('next_attempt_at', '=', claim.leaseUntil)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Hands a held delivery back, due now and with its attempt uncounted (when stopping mid-attempt). */
export async function releaseDelivery(db: Executor, table: DeliveryTable, id: string, claim: DeliveryClaim, now: string): Promise<void> {
  await db
    .updateTable(table as 'webhook_deliveries')
    .set({ next_attempt_at: now, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('attempts', '=', claim.attempts)
    .where('next_attempt_at', '=', claim.leaseUntil)
    .execute();
}
