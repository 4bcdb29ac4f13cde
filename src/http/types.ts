import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { Principal, Role } from '../platform/principal.js';

export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * 'public' routes need no token; 'inference' routes need one unless the deployment is public, and accept
     * tokens limited to that deployment; otherwise the least role that may call the route.
     */
    auth?: 'public' | 'inference' | Role;
    /** Documents a multipart body in OpenAPI (the body itself is streamed, not validated by schema). */
    multipartBody?: Record<string, unknown>;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The principal of an authenticated route (set by the auth hook before the handler runs). */
export function principalOf(request: { principal: Principal | null }): Principal {
  if (!request.principal) throw new Error('route reached without authentication: give it config.auth');
  return request.principal;
}
