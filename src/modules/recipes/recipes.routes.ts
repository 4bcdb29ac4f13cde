import { Type } from 'typebox';
import { Name, ProjectQuery, withErrors } from '../../http/schemas.js';
import { principalOf, type App } from '../../http/types.js';
import type { RecipesService } from './recipes.service.js';

const Steps = Type.Array(Type.Object({ op: Type.String() }, { additionalProperties: true }), {
  description:
    'Steps in order: select {columns}, drop {columns}, rename {columns: {from: to}}, cast {columns: {column: type}}, filter {where: {column, op, value} or a list, all must hold; ' +
    'op =, !=, <, <=, >, >=, in, not_in, is_null, not_null}, impute {columns, strategy: mean|median|mode|constant, value?}, one_hot {columns, maxCategories?}, standardize {columns}, ' +
    'date_parts {column, parts: year|month|day|dayofweek|hour|minute, drop?}',
});
const RecipeVersionSchema = Type.Object({
  recipe: Type.String(),
  project: Type.String(),
  version: Type.Integer(),
  steps: Type.Array(Type.Object({}, { additionalProperties: true })),
  description: Type.String(),
  createdAt: Type.String(),
  createdBy: Type.String(),
});

export function recipeRoutes(app: App, recipes: RecipesService): void {
  app.post(
    '/api/v1/recipes',
    {
      config: { auth: 'contributor', projectFrom: 'body' },
      schema: {
        tags: ['recipes'],
        summary: 'Create a preparation recipe (its version 1)',
        body: Type.Object({ name: Name, steps: Steps, description: Type.Optional(Type.String({ maxLength: 10_000 })), project: Type.Optional(Type.String()) }, { additionalProperties: false }),
        response: withErrors({ 201: RecipeVersionSchema }, 400, 403, 404, 409),
      },
    },
    async (request, reply) => reply.status(201).send(await recipes.create(principalOf(request), request.body)),
  );

  app.get(
    '/api/v1/recipes',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['recipes'],
        summary: 'List recipes',
        querystring: ProjectQuery,
        response: withErrors({ 200: Type.Object({ items: Type.Array(Type.Object({ name: Type.String(), lastVersion: Type.Integer(), createdAt: Type.String(), createdBy: Type.String() })) }) }, 404),
      },
    },
    async (request) => ({ items: await recipes.list(request.query.project) }),
  );

  app.get(
    '/api/v1/recipes/:name',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['recipes'],
        summary: 'A recipe with all its versions, newest first',
        params: Type.Object({ name: Type.String() }),
        querystring: ProjectQuery,
        response: withErrors(
          { 200: Type.Object({ name: Type.String(), project: Type.String(), lastVersion: Type.Integer(), createdAt: Type.String(), createdBy: Type.String(), versions: Type.Array(RecipeVersionSchema) }) },
          400,
          404,
        ),
      },
    },
    async (request) => recipes.get(request.query.project, request.params.name),
  );

  app.post(
    '/api/v1/recipes/:name/versions',
    {
      config: { auth: 'contributor' },
      schema: {
        tags: ['recipes'],
        summary: 'Add a version to a recipe',
        params: Type.Object({ name: Type.String() }),
        querystring: ProjectQuery,
        body: Type.Object({ steps: Steps, description: Type.Optional(Type.String({ maxLength: 10_000 })) }, { additionalProperties: false }),
        response: withErrors({ 201: RecipeVersionSchema }, 400, 403, 404),
      },
    },
    async (request, reply) => reply.status(201).send(await recipes.addRecipeVersion(principalOf(request), request.query.project, request.params.name, request.body)),
  );

  app.get(
    '/api/v1/recipes/:name/versions/:version',
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['recipes'],
        summary: 'A recipe version',
        params: Type.Object({ name: Type.String(), version: Type.String() }),
        querystring: ProjectQuery,
        response: withErrors({ 200: RecipeVersionSchema }, 400, 404),
      },
    },
    async (request) => recipes.getVersion(request.query.project, request.params.name, request.params.version),
  );
}
