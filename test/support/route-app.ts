import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyRequest } from 'fastify';
import { errorHandler, notFoundHandler } from '../../src/http/errors.js';
import type { App } from '../../src/http/types.js';
import { createValidatorCompiler } from '../../src/http/validation.js';

/**
 * A Fastify instance with app.ts's validator, error mapping and request decorations, for testing one
 * module's routes on their own; `identify` stands in for the auth hook (it sets request.principal and,
 * for project routes, request.access).
 */
export function routeTestApp(identify: (request: FastifyRequest) => Promise<void>): App {
  const app = Fastify().withTypeProvider<TypeBoxTypeProvider>() as unknown as App;
  app.setValidatorCompiler(createValidatorCompiler());
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.decorateRequest('principal', null);
  app.decorateRequest('access', null);
  app.addHook('onRequest', identify);
  return app;
}
