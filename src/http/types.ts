import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ProjectRow } from '../db/schema.js';
import type { Principal, ProjectRole } from '../platform/principal.js';

export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Who may call the route:
     *  - 'public': no token;
     *  - 'inference': a token unless the deployment is public; tokens limited to that deployment pass;
     *  - 'user': any signed-in user (the route checks what it shows);
     *  - 'platform': platform admins only;
     *  - a project role: that role or a stronger one in the request's project (see `projectFrom`).
     * A route without `auth` is for platform admins only.
     */
    auth?: 'public' | 'inference' | 'user' | 'platform' | ProjectRole;
    /**
     * Where the project of a project-role route comes from: the `project` query parameter (default; the
     * default project when absent), the `:project` path parameter, the body's `project` field, or 'handler': the route addresses an object
     * by id and its handler calls `AccessService.require` with the object's project once it has loaded it.
     */
    projectFrom?: 'query' | 'params' | 'body' | 'handler';
    /** Documents a multipart body in OpenAPI (the body itself is streamed, not validated by schema). */
    multipartBody?: Record<string, unknown>;
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** The project a project-role route acts in, and the caller's role there (set before the handler runs). */
    access: { project: ProjectRow; role: ProjectRole } | null;
  }
}

/** The principal of an authenticated route (set by the auth hook before the handler runs). */
export function principalOf(request: { principal: Principal | null }): Principal {
  if (!request.principal) throw new Error('route reached without authentication: give it config.auth');
  return request.principal;
}
