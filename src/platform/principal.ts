/**
 * Roles in a project, weakest first; each role can do what the ones before it can:
 *  - viewer: read everything in the project;
 *  - contributor: register models and versions, datasets, run gates and reports, comment, request promotions;
 *  - reviewer: approve or reject promotion requests (never their own versions' requests);
 *  - deployer: change deployments and their monitoring (still through the policy check);
 *  - admin: manage the project's members, policies, risk tiers and webhooks.
 */
export const PROJECT_ROLES = ['viewer', 'contributor', 'reviewer', 'deployer', 'admin'] as const;
export type ProjectRole = (typeof PROJECT_ROLES)[number];

/** The role a user has on the platform: 'admin' (every project, users and tokens, the audit trail) or 'user'. */
export const PLATFORM_ROLES = ['user', 'admin'] as const;
export type PlatformRole = (typeof PLATFORM_ROLES)[number];

export function isProjectRole(value: unknown): value is ProjectRole {
  return typeof value === 'string' && (PROJECT_ROLES as readonly string[]).includes(value);
}

export function isPlatformRole(value: unknown): value is PlatformRole {
  return typeof value === 'string' && (PLATFORM_ROLES as readonly string[]).includes(value);
}

export function roleAtLeast(role: ProjectRole, needed: ProjectRole): boolean {
  return PROJECT_ROLES.indexOf(role) >= PROJECT_ROLES.indexOf(needed);
}

/** Who is making a request. `name` is what every write records as its author. */
export interface Principal {
  userId: string;
  name: string;
  /** The platform role; project roles are looked up per project (AccessService). */
  role: PlatformRole;
  tokenId: string;
  /**
   * Null for an ordinary token. A list of "project/deployment" for a token limited to calling inference on
   * those deployments (for client applications); such a token can do nothing else.
   */
  deployments: string[] | null;
}

/** The actor for changes Steward makes itself (bootstrap, recovery). */
export const SYSTEM_ACTOR = 'system';
