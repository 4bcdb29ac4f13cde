import { isoTime, type Clock } from '../../platform/clock.js';
import { newId } from '../../platform/ids.js';
import type { DomainEvent } from './events.repository.js';

/** Builds an event row for a change made by `actor`; append it in the same transaction as the change. */
export function domainEvent(
  clock: Clock,
  actor: string,
  type: string,
  entity: { type: string; id: string; projectId?: string | null },
  payload: Record<string, unknown>,
): DomainEvent {
  return {
    id: newId(clock.now()),
    type,
    at: isoTime(clock),
    actor,
    projectId: entity.projectId ?? null,
    entityType: entity.type,
    entityId: entity.id,
    payload,
  };
}
