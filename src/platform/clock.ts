export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Timestamps are stored as ISO-8601 UTC text with milliseconds: sortable as text on every database. */
export function isoTime(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}
