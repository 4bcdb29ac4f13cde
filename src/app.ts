/**
 * buildApp(deps): the Fastify instance with every route, never listening. Tests use `inject`; main.ts
 * listens. Services are created here from the stores they use; nothing is a module-level singleton.
 */
import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController } from 'fastify';
import type { MetadataStore } from './db/metadata-store.js';
import { errorHandler, notFoundHandler } from './http/errors.js';
import { registerHttpMetrics } from './http/metrics.js';
import type { App } from './http/types.js';
import { createValidatorCompiler } from './http/validation.js';
import { registerWebUi } from './http/web-ui.js';
import { AuthService } from './modules/auth/auth.service.js';
import { authRoutes } from './modules/auth/auth.routes.js';
import { eventRoutes } from './modules/events/events.routes.js';
import { healthRoutes } from './modules/health/health.routes.js';
import { datasetRoutes } from './modules/datasets/datasets.routes.js';
import { DatasetsService } from './modules/datasets/datasets.service.js';
import { recipeRoutes } from './modules/recipes/recipes.routes.js';
import { RecipesService } from './modules/recipes/recipes.service.js';
import type { DataEngine } from './data/engine.js';
import { jobRoutes } from './modules/jobs/jobs.routes.js';
import { JobsService } from './modules/jobs/jobs.service.js';
import { ModelsService } from './modules/models/models.service.js';
import { modelRoutes } from './modules/models/models.routes.js';
import { RegistrationService } from './modules/models/registration.service.js';
import { ProjectsService } from './modules/projects/projects.service.js';
import { projectRoutes } from './modules/projects/projects.routes.js';
import { systemClock, type Clock } from './platform/clock.js';
import { forbidden, invalidField } from './platform/errors.js';
import { AccessService } from './modules/access/access.service.js';
import { PolicyGuard } from './modules/governance/policy-guard.js';
import { PoliciesService } from './modules/governance/policies/policies.service.js';
import { policyRoutes } from './modules/governance/policies/policies.routes.js';
import { PromotionsService } from './modules/governance/promotions/promotions.service.js';
import { promotionRoutes } from './modules/governance/promotions/promotions.routes.js';
import { GatesService } from './modules/governance/gates/gates.service.js';
import { gateRoutes } from './modules/governance/gates/gates.routes.js';
import { CardsService } from './modules/governance/cards/cards.service.js';
import { cardRoutes } from './modules/governance/cards/cards.routes.js';
import { CommentsService } from './modules/comments/comments.service.js';
import { commentRoutes } from './modules/comments/comments.routes.js';
import { WebhooksService } from './modules/webhooks/webhooks.service.js';
import { AuditService } from './modules/audit/audit.service.js';
import { auditRoutes } from './modules/audit/audit.routes.js';
import { webhookRoutes } from './modules/webhooks/webhooks.routes.js';
import type { Logger } from './platform/logger.js';
import type { ModelInspector } from './runtime/model-inspector.js';
import type { ArtifactStore } from './storage/artifact-store.js';
import { STEWARD_VERSION } from './version.js';
import { Registry } from 'prom-client';
import { DeploymentsService } from './modules/deployments/deployments.service.js';
import { deploymentRoutes } from './modules/deployments/deployments.routes.js';
import { inferenceRoutes } from './modules/deployments/inference.routes.js';
import { InferenceService, type PredictionSink } from './serving/inference.service.js';
import { LiveDeployments } from './serving/live-deployments.js';
import { RuntimeCache, type NativeLoader } from './serving/runtimes.js';
import { ServingMetrics } from './serving/serving-metrics.js';
import { TrafficStats } from './serving/traffic-stats.js';
import { NATIVE_FLAVORS } from './serving/native-flavors.js';
import { AlertsService } from './modules/monitoring/alerts/alerts.service.js';
import { alertRoutes } from './modules/monitoring/alerts/alerts.routes.js';
import type { WebhookOptions } from './modules/monitoring/alerts/webhooks.js';
import { MonitoringService } from './modules/monitoring/monitoring.service.js';
import { monitoringRoutes } from './modules/monitoring/monitoring.routes.js';
import { ExplainService } from './modules/explain/explain.service.js';
import { explainRoutes } from './modules/explain/explain.routes.js';
import { TreeShapPool } from './modules/explain/tree-shap-pool.js';
import { TrackingService } from './modules/tracking/tracking.service.js';
import { trackingRoutes } from './modules/tracking/tracking.routes.js';
import { MlflowRegistryService } from './modules/tracking/mlflow/mlflow-registry.service.js';
import { mlflowApi } from './modules/tracking/mlflow/mlflow-api.js';
import { TrainingService } from './modules/training/training.service.js';
import { TrainingRegistrationService } from './modules/training/training-registration.js';
import { trainingRoutes } from './modules/training/training.routes.js';


export interface AppDeps {
  logger: Logger;
  store: MetadataStore;
  artifacts: ArtifactStore;
  inspector: ModelInspector;
  bodyLimitBytes: number;
  maxArtifactBytes: number;
  clock?: Clock;
  /** Told when jobs were enqueued, so that a local worker can start on them at once. */
  onJobsEnqueued?: () => void;
  engine: DataEngine;
  /** A folder for temporary files of data work. */
  workDir: string;
  /** Where every prediction is appended before its answer is sent. */
  predictionLog: PredictionSink;
  /** onnxruntime intra-op threads per session (default 1). */
  intraOpThreads?: number;
  /** How often the route table is compared with the database (for changes made by other processes). */
  deploymentSyncMs?: number;
  /** Native model evaluators by flavor (default: the built-in ones). */
  natives?: Record<string, NativeLoader>;
  /** The folder of the prediction log, which monitoring folds into window profiles (null: none). */
  predictionLogDir?: string | null;
  /** How often monitoring folds the prediction log (ms; 0 = only when asked, for tests). */
  monitoringFoldMs?: number;
  /** How long after its end a time window is closed. */
  monitoringCloseGraceMs?: number;
  /** Worker threads that fold the prediction log (default 1). */
  monitoringFoldThreads?: number;
  /** Worker threads for TreeSHAP (default: min(2, cores); 0 runs it on the event loop). */
  explainThreads?: number;
  webhooks?: WebhookOptions;
}

export interface Services {
  jobs: JobsService;
  datasets: DatasetsService;
  recipes: RecipesService;
  auth: AuthService;
  access: AccessService;
  guard: PolicyGuard;
  policies: PoliciesService;
  promotions: PromotionsService;
  gates: GatesService;
  cards: CardsService;
  comments: CommentsService;
  webhooks: WebhooksService;
  audit: AuditService;
  projects: ProjectsService;
  models: ModelsService;
  registration: RegistrationService;
  deployments: DeploymentsService;
  inference: InferenceService;
  live: LiveDeployments;
  runtimes: RuntimeCache;
  monitoring: MonitoringService;
  explain: ExplainService;
  shapPool: TreeShapPool;
  alerts: AlertsService;
  tracking: TrackingService;
  mlflowRegistry: MlflowRegistryService;
  training: TrainingService;
  trainingRegistration: TrainingRegistrationService;
}

export interface BuiltApp {
  app: App;
  services: Services;
  /** Marks the server as draining: /readyz answers 503 from then on. */
  beginShutdown(): void;
}

export function createServices(deps: AppDeps, registry: Registry = new Registry()): Services {
  const clock = deps.clock ?? systemClock;
  const { store, artifacts } = deps;
  const jobs = new JobsService({ store, clock, onEnqueued: deps.onJobsEnqueued });
  const auth = new AuthService({ store, clock });
  const access = new AccessService({ store, clock });
  const projects = new ProjectsService({ store, clock });
  const guard = new PolicyGuard({ clock });
  const models = new ModelsService({ store, artifacts, clock, guard });
  const registration = new RegistrationService({
    store,
    artifacts,
    inspector: deps.inspector,
    models,
    clock,
    logger: deps.logger,
    maxArtifactBytes: deps.maxArtifactBytes,
  });
  const recipes = new RecipesService({ store, clock });
  const datasets = new DatasetsService({ store, recipes, artifacts, engine: deps.engine, jobs, clock, workDir: deps.workDir, maxUploadBytes: deps.maxArtifactBytes });
  const runtimes = new RuntimeCache({ localPath: (sha) => artifacts.localPath(sha), natives: deps.natives ?? NATIVE_FLAVORS, options: { intraOpThreads: deps.intraOpThreads ?? 1 } });
  // The route table reads version rows only while it builds a revision; `deployments` is set just below.
  const holder: { deployments?: DeploymentsService } = {};
  const servingMetrics = new ServingMetrics(registry);
  const live = new LiveDeployments({ runtimes, metrics: servingMetrics, source: (modelId, version) => holder.deployments!.runtimeSource(modelId, version) });
  const traffic = new TrafficStats();
  const deployments = new DeploymentsService({ store, live, traffic, clock, logger: deps.logger, guard });
  holder.deployments = deployments;
  models.followAliases({ onAliasMoved: (tx, actor, modelId, alias, version) => deployments.onAliasMoved(tx, actor, modelId, alias, version), afterAliasMoved: () => void deployments.sync() });
  const inference = new InferenceService({ live, log: deps.predictionLog, metrics: servingMetrics, traffic, logger: deps.logger });
  const alerts = new AlertsService({ store, clock, logger: deps.logger, webhooks: deps.webhooks });
  const shapPool = new TreeShapPool(deps.explainThreads);
  const monitoring = new MonitoringService({
    store, artifacts, engine: deps.engine, runtimes, jobs, clock, logger: deps.logger, workDir: deps.workDir, shapPool,
    logDir: deps.predictionLogDir ?? null, closeGraceMs: deps.monitoringCloseGraceMs, foldThreads: deps.monitoringFoldThreads,
  });
  monitoring.alerts = alerts;
  const explain = new ExplainService({ store, artifacts, engine: deps.engine, runtimes, jobs, inference, clock, logger: deps.logger, logDir: deps.predictionLogDir ?? null, shapPool, referenceSample: (id) => monitoring.referenceSample(id) });
  const policies = new PoliciesService({ store, clock });
  const promotions = new PromotionsService({ store, clock, logger: deps.logger, guard, models, deployments, access });
  const gates = new GatesService({
    store, artifacts, engine: deps.engine, runtimes, jobs, clock, logger: deps.logger,
    // A finished gate run may satisfy the policy of its version's open promotion requests.
    onRunFinished: (run) => promotions.onGateRunFinished(run.modelVersionId),
  });
  const cards = new CardsService({ store, clock });
  const comments = new CommentsService({ store, clock });
  const audit = new AuditService({ store });
  const webhooks = new WebhooksService({ store, clock, logger: deps.logger, webhooks: deps.webhooks });
  const tracking = new TrackingService({ store, artifacts, access, clock, maxArtifactBytes: deps.maxArtifactBytes });
  const mlflowRegistry = new MlflowRegistryService({ store, artifacts, access, models, registration, tracking, clock, logger: deps.logger });
  const training = new TrainingService({ store, artifacts, engine: deps.engine, jobs, access, tracking, clock, logger: deps.logger });
  const trainingRegistration = new TrainingRegistrationService({
    store, artifacts, engine: deps.engine, access, training, tracking, models, registration, monitoring, clock, logger: deps.logger,
  });
  return {
    tracking, mlflowRegistry, training, trainingRegistration,
    jobs, datasets, recipes, auth, access, projects, models, registration, deployments, inference, live, runtimes, monitoring, alerts, explain, shapPool,
    guard, policies, promotions, gates, cards, comments, webhooks, audit,
  };
}

/** A `project` value from a request: a string, or undefined (the default project) when absent or empty. */
function projectParam(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalidField('project', 'must be a project name');
  return value;
}

export async function buildApp(deps: AppDeps): Promise<BuiltApp> {
  const registry = new Registry();
  const services = createServices(deps, registry);
  let shuttingDown = false;

  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: deps.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Uploads of large models can take minutes; the per-request timeout is left to the client.
    requestTimeout: 0,
    forceCloseConnections: 'idle',
    // One access-log line per request, at debug level (see the onResponse hook); /metrics counts requests.
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  app.setValidatorCompiler(createValidatorCompiler());
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.decorateRequest('principal', null);
  // Hooks on every request are callback-style where they do not wait for anything: an async hook costs
  // a promise and a microtask turn per request, which shows on the inference path.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    // While draining, close each connection after its response so that shutdown does not wait for
    // keep-alive timeouts of connections that were busy when it began.
    if (shuttingDown) reply.header('connection', 'close');
    done(null, payload);
  });

  // Authentication and roles: every route declares config.auth; routes without it are for platform admins.
  app.decorateRequest('access', null);
  app.addHook('onRequest', async (request) => {
    const needed = request.routeOptions.config?.auth;
    if (request.routeOptions.url === undefined || needed === 'public') return; // unknown routes get a 404
    if (request.routeOptions.url.startsWith('/docs')) return;
    if (needed === 'inference') {
      const { name } = request.params as { name: string };
      const query = request.query as { project?: unknown };
      const project = typeof query.project === 'string' && query.project !== '' ? query.project : 'default';
      const live = services.live.get(project, name);
      if (live?.spec.public && request.headers.authorization === undefined) return;
      const principal = services.auth.cachedPrincipal(request.headers.authorization) ?? (await services.auth.authenticate(request.headers.authorization));
      request.principal = principal;
      if (principal.deployments && !principal.deployments.includes(`${project}/${name}`)) {
        throw forbidden(`this token may only call inference on ${principal.deployments.join(', ')}`, { deployment: `${project}/${name}` });
      }
      // An ordinary token calls inference in projects where its user has a role (any role).
      if (principal.deployments === null && services.access.cachedViewer(principal, project) !== true) await services.access.check(principal, project, 'viewer');
      return;
    }
    const principal = await services.auth.authenticate(request.headers.authorization);
    request.principal = principal;
    if (principal.deployments) {
      throw forbidden(`this token is limited to inference on ${principal.deployments.join(', ')}; it cannot call ${request.method} ${request.routeOptions.url}`);
    }
    if (needed === 'user') return;
    if (needed === undefined || needed === 'platform') {
      if (principal.role !== 'admin') throw forbidden(`this needs a platform admin; '${principal.name}' is not one`, { required: 'platform admin' });
      return;
    }
    const from = request.routeOptions.config?.projectFrom ?? 'query';
    if (from === 'query') request.access = await services.access.check(principal, projectParam((request.query as { project?: unknown }).project), needed);
    else if (from === 'params') request.access = await services.access.check(principal, projectParam((request.params as { project?: unknown }).project), needed);
  });
  // Routes that take their project from the body are checked once the body is parsed (before validation).
  app.addHook('preValidation', async (request) => {
    const config = request.routeOptions.config;
    if (config?.projectFrom !== 'body' || request.principal === null || config.auth === undefined) return;
    const needed = config.auth;
    if (needed === 'public' || needed === 'inference' || needed === 'user' || needed === 'platform') return;
    const body = request.body as { project?: unknown } | undefined;
    request.access = await services.access.check(request.principal, projectParam(body?.project), needed);
  });

  // A change answered through the API wakes the webhook dispatcher at once (it also polls every second).
  app.addHook('onResponse', (request, _reply, done) => {
    if (request.method !== 'GET' && request.method !== 'HEAD' && request.routeOptions.config?.auth !== 'inference') services.webhooks.notify();
    done();
  });
  if (deps.logger.isLevelEnabled('debug')) {
    app.addHook('onResponse', (request, reply, done) => {
      request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: Number(reply.elapsedTime.toFixed(1)), user: request.principal?.name }, 'request');
      done();
    });
  }

  const metrics = registerHttpMetrics(app, registry);

  await app.register(multipart, {
    limits: { fileSize: deps.maxArtifactBytes, files: 4, fields: 10, fieldSize: 2 * 1024 * 1024, parts: 20 },
    // busboy's buffers: larger than the defaults so that a big upload streams without stalling.
    highWaterMark: 1 << 20,
    fileHwm: 4 << 20,
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Steward API',
        version: STEWARD_VERSION,
        description: 'Steward: a self-hosted ModelOps platform. Send `Authorization: Bearer <token>` on every call except the health checks.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: ({ schema, url, route }) => {
      const multipartBody = route.config?.multipartBody;
      if (!multipartBody) return { schema, url };
      return { schema: { ...schema, consumes: ['multipart/form-data'], body: multipartBody }, url };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });

  app.register(async (api) => {
    const scoped = api as unknown as App;
    healthRoutes(scoped, {
      version: STEWARD_VERSION,
      metrics: metrics.registry,
      isShuttingDown: () => shuttingDown,
      checks: [
        { name: 'database', check: () => deps.store.ping() },
        { name: 'artifacts', check: () => deps.artifacts.checkWritable() },
      ],
    });
    authRoutes(scoped, services.auth);
    projectRoutes(scoped, services.projects, services.access);
    modelRoutes(scoped, services.models, services.registration);
    eventRoutes(scoped, deps.store.events);
    jobRoutes(scoped, services.jobs, services.access);
    datasetRoutes(scoped, services.datasets);
    recipeRoutes(scoped, services.recipes);
    deploymentRoutes(scoped, services.deployments);
    inferenceRoutes(scoped, services.inference, { name: 'steward', version: STEWARD_VERSION });
    monitoringRoutes(scoped, services.monitoring);
    alertRoutes(scoped, services.alerts);
    explainRoutes(scoped, services.explain);
    policyRoutes(scoped, services.policies);
    promotionRoutes(scoped, services.promotions);
    gateRoutes(scoped, services.gates);
    cardRoutes(scoped, services.cards);
    commentRoutes(scoped, services.comments, services.access);
    webhookRoutes(scoped, services.webhooks, services.access);
    auditRoutes(scoped, services.audit);
    trackingRoutes(scoped, services.tracking);
    trainingRoutes(scoped, services.training, services.trainingRegistration);
  });
  // The MLflow REST API over the same services (tracking, registry, artifact proxy).
  mlflowApi(app, { tracking: services.tracking, registry: services.mlflowRegistry, access: services.access });
  // The web UI at / (public routes: the app in the browser calls the API with the user's token).
  await app.register(async (scope) => registerWebUi(scope as unknown as App));

  // Serve what the database says is deployed, then keep checking for changes made by other processes.
  const syncTimer = setInterval(() => void services.deployments.sync(), deps.deploymentSyncMs ?? 5_000);
  syncTimer.unref();
  app.addHook('onClose', async () => {
    clearInterval(syncTimer);
    await services.monitoring.stop();
    await services.alerts.stop();
    await services.webhooks.stop();
    await services.live.closeAll();
    await services.runtimes.closeAll();
    await services.shapPool.close();
  });

  await app.ready();
  await services.deployments.sync();
  services.alerts.start();
  await services.webhooks.start();
  if ((deps.monitoringFoldMs ?? 2000) > 0) services.monitoring.start(deps.monitoringFoldMs ?? 2000);
  return { app, services, beginShutdown: () => void (shuttingDown = true) };
}
