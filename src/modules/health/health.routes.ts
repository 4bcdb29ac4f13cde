import { Type } from 'typebox';
import type { App } from '../../http/types.js';
import type { Registry } from 'prom-client';

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export interface HealthDeps {
  checks: ReadinessCheck[];
  isShuttingDown(): boolean;
  metrics: Registry;
  version: string;
}

export function healthRoutes(app: App, deps: HealthDeps): void {
  app.get(
    '/healthz',
    {
      config: { auth: 'public' },
      schema: { tags: ['health'], summary: 'Liveness: the process is up', security: [], response: { 200: Type.Object({ status: Type.Literal('ok'), version: Type.String() }) } },
    },
    async () => ({ status: 'ok' as const, version: deps.version }),
  );

  app.get(
    '/readyz',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Readiness: the database and artifact store answer and the server is not shutting down',
        security: [],
        response: {
          200: Type.Object({ status: Type.String(), checks: Type.Record(Type.String(), Type.String()) }),
          503: Type.Object({ status: Type.String(), checks: Type.Record(Type.String(), Type.String()) }),
        },
      },
    },
    async (_request, reply) => {
      const checks: Record<string, string> = {};
      let ready = !deps.isShuttingDown();
      if (!ready) checks.server = 'shutting down';
      for (const c of deps.checks) {
        try {
          await c.check();
          checks[c.name] = 'ok';
        } catch (err) {
          ready = false;
          checks[c.name] = (err as Error).message;
        }
      }
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
    },
  );

  app.get(
    '/metrics',
    { config: { auth: 'user' }, schema: { tags: ['health'], summary: 'Prometheus metrics (text exposition format)' } },
    async (_request, reply) => {
      return reply.header('content-type', deps.metrics.contentType).send(await deps.metrics.metrics());
    },
  );
}
