/** Roles, weakest first: viewers read; maintainers write; admins also manage users and tokens. */
export const ROLES = ['viewer', 'maintainer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** Who is making a request. `name` is what every write records as its author. */
export interface Principal {
  userId: string;
  name: string;
  role: Role;
  tokenId: string;
  /**
   * Null for an ordinary token. A list of "project/deployment" for a token limited to calling inference on
   * those deployments (for client applications); such a token can do nothing else.
   */
  deployments: string[] | null;
}

/** The actor for changes Steward makes itself (bootstrap, recovery). */
export const SYSTEM_ACTOR = 'system';
