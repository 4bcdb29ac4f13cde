import { Type, type TSchema } from 'typebox';
import { Cursor, Limit, Page, ProjectQuery, withErrors } from '../../../http/schemas.js';
import { principalOf, type App } from '../../../http/types.js';
import type { AlertsService } from './alerts.service.js';

const METRIC_DESCRIPTION =
  'operations.(count|errorRate|p50Ms|p95Ms|p99Ms|throughputPerS), drift.(share|weightedShare|datasetDrift|driftedFeatures), ' +
  'drift.features.<feature>.(statistic|drifted|pValue), drift.output.(statistic|drifted|pValue), ' +
  'quality.(missingRate|typeErrorRate|outOfRangeRate|unseenCategoryRate|rejectedRate), quality.features.<feature>.(missingRate|outOfRangeRate|unseenCategoryRate), ' +
  'performance.(accuracy|precision|recall|f1|rocAuc|logLoss|ece|mae|rmse|r2|mape)';

const Comparison = Type.Union([Type.Literal('>'), Type.Literal('>='), Type.Literal('<'), Type.Literal('<=')]);

/** The fields of a rule body; the service checks the grammar of `metric` and the webhook URL. */
const ruleFields = {
  metric: Type.String({ minLength: 1, maxLength: 400, description: METRIC_DESCRIPTION }),
  comparison: Comparison,
  threshold: Type.Number({ description: 'The metric breaches when `metric comparison threshold` holds' }),
  version: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: "Only this model version's windows (default: the whole deployment)" })),
  windows: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'The metric is computed over the latest this many windows together (default 1)' })),
  firingAfter: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Consecutive breaching windows before the alert fires (default 2)' })),
  resolvingAfter: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Consecutive windows without a breach before it resolves (default 2)' })),
  webhook: Type.Optional(
    Type.Union([
      Type.Object(
        {
          url: Type.String({ maxLength: 2000, description: 'http or https URL that receives a signed POST when the alert fires or resolves' }),
          secret: Type.Optional(Type.String({ minLength: 16, maxLength: 256, description: 'HMAC-SHA256 key for x-steward-signature; never shown again. On PUT, leave out to keep the stored one' })),
        },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
  ),
  enabled: Type.Optional(Type.Boolean({ description: 'default true' })),
  description: Type.Optional(Type.String({ maxLength: 1000 })),
};

const CreateRuleBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100, description: "Letters, digits, '.', '_' and '-'" }), ...ruleFields }, { additionalProperties: false });
const ReplaceRuleBody = Type.Object({ name: Type.Optional(Type.String({ description: 'The rule in the path, or left out' })), ...ruleFields }, { additionalProperties: false });

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

const RuleSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  metric: Type.String(),
  comparison: Type.String(),
  threshold: Type.Number(),
  version: Nullable(Type.Integer()),
  windows: Type.Integer(),
  firingAfter: Type.Integer(),
  resolvingAfter: Type.Integer(),
  enabled: Type.Boolean(),
  description: Type.String(),
  webhook: Nullable(Type.Object({ url: Type.String(), secretSet: Type.Boolean() })),
  state: Type.String({ description: 'ok, pending (breaching, not yet for long enough) or firing' }),
  silencedUntil: Nullable(Type.String()),
  acknowledgedAt: Nullable(Type.String()),
  acknowledgedBy: Nullable(Type.String()),
  createdAt: Type.String(),
  createdBy: Type.String(),
  updatedAt: Type.String(),
});

const EventSchema = Type.Object({
  id: Type.String(),
  rule: Type.String(),
  state: Type.String({ description: 'firing, resolved, acknowledged, silenced or unsilenced' }),
  value: Nullable(Type.Number()),
  windowStart: Nullable(Type.String()),
  windowEnd: Nullable(Type.String()),
  at: Type.String(),
  detail: Type.Object({}, { additionalProperties: true }),
});

const DeliverySchema = Type.Object({
  id: Type.String(),
  rule: Type.String(),
  event: Type.String({ description: 'alert.fired or alert.resolved' }),
  url: Type.String(),
  status: Type.String({ description: 'pending, delivered or failed' }),
  attempts: Type.Integer(),
  lastStatus: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  log: Type.Array(Type.Object({ at: Type.String(), status: Type.Optional(Type.Integer()), error: Type.Optional(Type.String()), ms: Type.Number() })),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

const DeploymentParams = Type.Object({ name: Type.String() });
const RuleParams = Type.Object({ name: Type.String(), rule: Type.String() });
const TAGS = ['alerts'];

export function alertRoutes(app: App, alerts: AlertsService): void {
  const base = '/api/v1/deployments/:name/alerts';

  app.post(
    `${base}/rules`,
    {
      config: { auth: 'deployer' },
      schema: { tags: TAGS, summary: 'Create an alert rule on a deployment', params: DeploymentParams, querystring: ProjectQuery, body: CreateRuleBody, response: withErrors({ 201: RuleSchema }, 400, 403, 404, 409) },
    },
    async (request, reply) => reply.status(201).send(await alerts.createRule(principalOf(request), request.query.project, request.params.name, request.body)),
  );

  app.get(
    `${base}/rules`,
    {
      config: { auth: 'viewer' },
      schema: { tags: TAGS, summary: "A deployment's alert rules with their state", params: DeploymentParams, querystring: ProjectQuery, response: withErrors({ 200: Type.Object({ items: Type.Array(RuleSchema) }) }, 400, 404) },
    },
    async (request) => ({ items: await alerts.listRules(request.query.project, request.params.name) }),
  );

  app.get(
    `${base}/rules/:rule`,
    {
      config: { auth: 'viewer' },
      schema: { tags: TAGS, summary: 'An alert rule with its state', params: RuleParams, querystring: ProjectQuery, response: withErrors({ 200: RuleSchema }, 400, 404) },
    },
    async (request) => alerts.getRule(request.query.project, request.params.name, request.params.rule),
  );

  app.put(
    `${base}/rules/:rule`,
    {
      config: { auth: 'deployer' },
      schema: {
        tags: TAGS,
        summary: "Replace an alert rule's spec (its state, silence and acknowledgement are kept)",
        params: RuleParams,
        querystring: ProjectQuery,
        body: ReplaceRuleBody,
        response: withErrors({ 200: RuleSchema }, 400, 403, 404),
      },
    },
    async (request) => alerts.updateRule(principalOf(request), request.query.project, request.params.name, request.params.rule, request.body),
  );

  app.delete(
    `${base}/rules/:rule`,
    {
      config: { auth: 'deployer' },
      schema: { tags: TAGS, summary: 'Delete an alert rule with its history and deliveries', params: RuleParams, querystring: ProjectQuery, response: withErrors({ 204: Type.Null() }, 400, 403, 404) },
    },
    async (request, reply) => {
      await alerts.deleteRule(principalOf(request), request.query.project, request.params.name, request.params.rule);
      return reply.status(204).send(null);
    },
  );

  app.post(
    `${base}/rules/:rule/acknowledge`,
    {
      config: { auth: 'deployer' },
      schema: {
        tags: TAGS,
        summary: 'Acknowledge a firing alert (until it resolves)',
        params: RuleParams,
        querystring: ProjectQuery,
        body: Type.Object({ comment: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false }),
        response: withErrors({ 200: RuleSchema }, 400, 403, 404, 409),
      },
      // The body may be left out altogether.
      preValidation: (request, _reply, done) => {
        request.body ??= {};
        done();
      },
    },
    async (request) => alerts.acknowledge(principalOf(request), request.query.project, request.params.name, request.params.rule, request.body),
  );

  app.post(
    `${base}/rules/:rule/silence`,
    {
      config: { auth: 'deployer' },
      schema: {
        tags: TAGS,
        summary: 'Silence a rule: it keeps its state and history but sends no webhooks until the silence ends',
        params: RuleParams,
        querystring: ProjectQuery,
        body: Type.Object(
          {
            until: Type.Optional(Type.String({ maxLength: 64, description: 'ISO 8601 time in the future' })),
            minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 43_200, description: 'Or a duration from now (at most 30 days)' })),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: RuleSchema }, 400, 403, 404),
      },
    },
    async (request) => alerts.silence(principalOf(request), request.query.project, request.params.name, request.params.rule, request.body),
  );

  app.delete(
    `${base}/rules/:rule/silence`,
    {
      config: { auth: 'deployer' },
      schema: { tags: TAGS, summary: 'End a silence now', params: RuleParams, querystring: ProjectQuery, response: withErrors({ 200: RuleSchema }, 400, 403, 404) },
    },
    async (request) => alerts.unsilence(principalOf(request), request.query.project, request.params.name, request.params.rule),
  );

  app.get(
    base,
    {
      config: { auth: 'viewer' },
      schema: {
        tags: TAGS,
        summary: 'Alert history of a deployment, newest first: firing, resolved, acknowledged, silenced',
        params: DeploymentParams,
        querystring: Type.Object({ project: Type.Optional(Type.String()), rule: Type.Optional(Type.String({ maxLength: 100 })), limit: Limit, cursor: Cursor }),
        response: withErrors({ 200: Page(EventSchema) }, 400, 404),
      },
    },
    async (request) => alerts.history(request.query.project, request.params.name, request.query),
  );

  app.get(
    `${base}/deliveries`,
    {
      config: { auth: 'viewer' },
      schema: {
        tags: TAGS,
        summary: 'Webhook deliveries of a deployment, newest first, with every attempt',
        params: DeploymentParams,
        querystring: Type.Object({ project: Type.Optional(Type.String()), limit: Limit }),
        response: withErrors({ 200: Type.Object({ items: Type.Array(DeliverySchema) }) }, 400, 404),
      },
    },
    async (request) => alerts.deliveries(request.query.project, request.params.name, request.query),
  );
}
