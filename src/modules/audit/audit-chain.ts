import { createHash } from 'node:crypto';

/** The hash the first record of the chain points back to. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields of an event that its hash covers (as stored: the payload is the stored JSON text). */
export interface ChainedFields {
  chain: number;
  id: string;
  type: string;
  at: string;
  actor: string;
  project_id: string | null;
  entity_type: string;
  entity_id: string;
  payload: string;
}

/**
 * SHA-256 (hex) of the previous record's hash and this record's fields. The fields are written as a JSON
 * array in a fixed order, so no two different records share an encoding.
 */
export function chainHash(prevHash: string, r: ChainedFields): string {
  const body = JSON.stringify([r.chain, r.id, r.type, r.at, r.actor, r.project_id, r.entity_type, r.entity_id, r.payload]);
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}
