/**
 * The authorization matrix: every route Steward serves × every kind of caller. The table below is the
 * written rule (who may call what); the test checks that it lists every route the app registers (a new
 * route must be placed in it), and that each caller is let through (any answer but 401/403: 400 and 404
 * are fine, they come after the check) or refused (401 without a token, 403 otherwise) exactly as the
 * table says.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './support/harness.js';
import { PROJECT_ROLES, type Principal, type ProjectRole } from '../src/platform/principal.js';
import type { ProjectRow } from '../src/db/schema.js';

type Rule = 'public' | 'inference' | 'user' | 'platform' | ProjectRole | 'comment-author' | 'comment-author-or-admin';
type Caller = 'anonymous' | 'scoped' | 'outsider' | ProjectRole | 'platform';

const CALLERS: Caller[] = ['anonymous', 'scoped', 'outsider', ...PROJECT_ROLES, 'platform'];

// Who may call each route. Project roles are in the request's project (here: default); each includes the
// ones before it (viewer < contributor < reviewer < deployer < admin); platform admins may call everything.
const MATRIX = `
GET /healthz public
GET /readyz public
GET /metrics user
GET /api/v1/whoami user
POST /api/v1/users platform
GET /api/v1/users platform
PATCH /api/v1/users/:user platform
POST /api/v1/tokens user
GET /api/v1/tokens user
DELETE /api/v1/tokens/:id user
POST /api/v1/projects user
GET /api/v1/projects user
GET /api/v1/projects/:project viewer
GET /api/v1/projects/:project/members viewer
PUT /api/v1/projects/:project/members/:user admin
DELETE /api/v1/projects/:project/members/:user admin
POST /api/v1/models contributor
GET /api/v1/models viewer
GET /api/v1/models/:name viewer
PATCH /api/v1/models/:name contributor
POST /api/v1/models/:name/versions contributor
GET /api/v1/models/:name/versions viewer
GET /api/v1/models/:name/versions/:version viewer
PATCH /api/v1/models/:name/versions/:version contributor
GET /api/v1/models/:name/versions/:version/artifact viewer
GET /api/v1/models/:name/aliases viewer
GET /api/v1/models/:name/alias-history viewer
GET /api/v1/models/:name/aliases/:alias viewer
PUT /api/v1/models/:name/aliases/:alias contributor
DELETE /api/v1/models/:name/aliases/:alias contributor
POST /api/v1/models/:name/versions/:version/stage contributor
GET /api/v1/events platform
GET /api/v1/jobs viewer
GET /api/v1/jobs/:id viewer
POST /api/v1/datasets contributor
GET /api/v1/datasets viewer
GET /api/v1/datasets/:name viewer
POST /api/v1/datasets/:name/versions contributor
GET /api/v1/datasets/:name/versions viewer
GET /api/v1/datasets/:name/versions/:version viewer
GET /api/v1/datasets/:name/versions/:version/profile viewer
GET /api/v1/datasets/:name/versions/:version/rows viewer
GET /api/v1/datasets/:name/versions/:version/models viewer
POST /api/v1/datasets/:name/versions/:version/split contributor
POST /api/v1/datasets/:name/versions/:version/prepare contributor
GET /api/v1/datasets/:name/versions/:version/download viewer
POST /api/v1/recipes contributor
GET /api/v1/recipes viewer
GET /api/v1/recipes/:name viewer
POST /api/v1/recipes/:name/versions contributor
GET /api/v1/recipes/:name/versions/:version viewer
PUT /api/v1/deployments/:name deployer
GET /api/v1/deployments/:name viewer
DELETE /api/v1/deployments/:name deployer
GET /api/v1/deployments viewer
GET /api/v1/deployments/:name/revisions viewer
GET /api/v1/deployments/:name/traffic viewer
POST /api/v1/deployments/:name/rollback deployer
POST /api/v1/models/:name/versions/:version/reference contributor
GET /api/v1/models/:name/versions/:version/reference viewer
POST /api/v1/models/:name/versions/:version/monitoring viewer
GET /api/v1/deployments/:name/monitoring viewer
GET /api/v1/deployments/:name/monitoring/windows viewer
GET /api/v1/deployments/:name/monitoring/settings viewer
PUT /api/v1/deployments/:name/monitoring/settings deployer
POST /api/v1/deployments/:name/labels contributor
POST /api/v1/deployments/:name/alerts/rules deployer
GET /api/v1/deployments/:name/alerts/rules viewer
GET /api/v1/deployments/:name/alerts/rules/:rule viewer
PUT /api/v1/deployments/:name/alerts/rules/:rule deployer
DELETE /api/v1/deployments/:name/alerts/rules/:rule deployer
POST /api/v1/deployments/:name/alerts/rules/:rule/acknowledge deployer
POST /api/v1/deployments/:name/alerts/rules/:rule/silence deployer
DELETE /api/v1/deployments/:name/alerts/rules/:rule/silence deployer
GET /api/v1/deployments/:name/alerts viewer
GET /api/v1/deployments/:name/alerts/deliveries viewer
POST /api/v1/deployments/:name/explain inference
GET /api/v1/predictions/:id/explanation viewer
POST /api/v1/models/:name/versions/:version/explanations contributor
GET /api/v1/models/:name/versions/:version/explanations viewer
GET /api/v1/models/:name/versions/:version/explanations/:id viewer
POST /api/v1/models/:name/versions/:version/explanations/:id/retry contributor
GET /api/v1/policies viewer
POST /api/v1/policies/validate viewer
GET /api/v1/policies/:tier/versions viewer
POST /api/v1/policies/:tier/versions admin
GET /api/v1/policies/:tier/versions/:version viewer
POST /api/v1/promotions contributor
GET /api/v1/promotions viewer
GET /api/v1/promotions/:id viewer
POST /api/v1/promotions/:id/approve reviewer
POST /api/v1/promotions/:id/reject reviewer
POST /api/v1/promotions/:id/cancel contributor
POST /api/v1/models/:name/versions/:version/gate-runs contributor
GET /api/v1/models/:name/versions/:version/gate-runs viewer
GET /api/v1/models/:name/versions/:version/gate-runs/:id viewer
POST /api/v1/models/:name/versions/:version/gate-runs/:id/retry contributor
GET /api/v1/models/:name/versions/:version/gate-results viewer
GET /api/v1/models/:name/versions/:version/card viewer
PUT /api/v1/models/:name/versions/:version/card contributor
PATCH /api/v1/models/:name/versions/:version/card contributor
GET /api/v1/models/:name/versions/:version/card.md viewer
GET /api/v1/models/:name/versions/:version/card.html viewer
POST /api/v1/comments contributor
GET /api/v1/comments viewer
PATCH /api/v1/comments/:id comment-author
DELETE /api/v1/comments/:id comment-author-or-admin
GET /api/v1/notifications user
POST /api/v1/notifications/read user
POST /api/v1/webhooks admin
GET /api/v1/webhooks/events user
GET /api/v1/webhooks admin
GET /api/v1/webhooks/:id admin
PATCH /api/v1/webhooks/:id admin
DELETE /api/v1/webhooks/:id admin
GET /api/v1/webhooks/:id/deliveries admin
POST /api/v1/webhooks/:id/test admin
POST /api/v1/webhooks/:id/deliveries/:deliveryId/redeliver admin
GET /api/v1/audit/verify platform
GET /api/v1/audit/export platform
GET /api/v1/audit/records admin
GET /api/v1/audit/served viewer
GET /api/v1/experiments viewer
POST /api/v1/experiments contributor
GET /api/v1/experiments/:id viewer
PATCH /api/v1/experiments/:id contributor
DELETE /api/v1/experiments/:id contributor
POST /api/v1/experiments/:id/restore contributor
GET /api/v1/experiments/:id/runs viewer
GET /api/v1/runs/compare viewer
GET /api/v1/runs/:id viewer
DELETE /api/v1/runs/:id contributor
POST /api/v1/runs/:id/restore contributor
GET /api/v1/runs/:id/metrics/:key viewer
GET /api/v1/runs/:id/artifacts viewer
GET /api/v1/runs/:id/artifacts/file viewer
GET /api/v1/training-jobs viewer
POST /api/v1/training-jobs contributor
GET /api/v1/training-jobs/:id viewer
POST /api/v1/training-jobs/:id/cancel contributor
POST /api/v1/training-jobs/:id/register contributor
POST /api/v1/deployments/:name/predict inference
POST /deployments/:name/invocations inference
GET /deployments/:name/ping inference
GET /deployments/:name/health inference
GET /v2/health/live public
GET /v2/health/ready public
GET /v2 public
GET /v2/models/:name inference
GET /v2/models/:name/ready inference
POST /v2/models/:name/infer inference
GET /v2/models/:name/versions/:version inference
GET /v2/models/:name/versions/:version/ready inference
POST /v2/models/:name/versions/:version/infer inference
`
  .trim()
  .split('\n')
  .map((line) => {
    const [method, path, rule] = line.split(' ');
    return { method: method!, path: path!, rule: rule as Rule };
  });

function allowed(caller: Caller, rule: Rule): boolean {
  if (rule === 'public') return true;
  if (caller === 'anonymous') return false;
  if (rule === 'inference') return caller !== 'outsider'; // the scoped token is for default/web, the deployment called
  if (caller === 'scoped') return false;
  if (rule === 'user') return true;
  if (caller === 'platform') return rule !== 'comment-author';
  if (rule === 'platform' || caller === 'outsider') return false;
  if (rule === 'comment-author') return caller === 'contributor';
  if (rule === 'comment-author-or-admin') return caller === 'contributor' || caller === 'admin';
  return PROJECT_ROLES.indexOf(caller) >= PROJECT_ROLES.indexOf(rule);
}

let h: Harness;
const tokens = {} as Record<Exclude<Caller, 'anonymous'>, string>;
let jobId: string;
let admin: Principal;
let defaultProject: ProjectRow;
let seq = 0;

beforeAll(async () => {
  h = await createHarness();
  tokens.platform = h.adminToken;
  for (const role of PROJECT_ROLES) tokens[role] = await h.tokenFor(role, `matrix-${role}`);
  await h.services.projects.create(await h.services.auth.authenticate(`Bearer ${h.adminToken}`), { name: 'elsewhere' });
  tokens.outsider = await h.tokenFor('admin', 'matrix-outsider', ['elsewhere']);
  admin = await h.services.auth.authenticate(`Bearer ${h.adminToken}`);
  tokens.scoped = (await h.services.auth.createToken(admin, { user: 'matrix-viewer', deployments: ['web'] })).token;
  const project = await h.store.projects.getByName('default');
  jobId = (await h.store.transaction((tx) => h.services.jobs.enqueue(tx, 'tester', { type: 'demo', payload: {}, projectId: project!.id }))).id;
  defaultProject = project!;
});
afterAll(() => h.close());

/** A fresh experiment of the default project (deleted, for routes that restore one), made by the platform admin. */
async function experimentId(deleted = false): Promise<string> {
  const id = String((await h.services.tracking.createExperiment(admin, defaultProject, { name: `matrix-${++seq}` })).row.id);
  if (deleted) await h.services.tracking.setExperimentLifecycle(admin, defaultProject, id, 'deleted');
  return id;
}

/** A fresh run with a metric and an artifact file (deleted, for routes that restore one). */
async function runId(deleted = false): Promise<string> {
  const experiment = await experimentId();
  const id = (await h.services.tracking.createRun(admin, defaultProject, { experimentId: experiment })).row.id;
  await h.services.tracking.logMetric(admin, id, { key: 'acc', value: 0.5 });
  await h.services.tracking.putArtifact(admin, `${experiment}/${id}/artifacts/model/MLmodel`, Readable.from([Buffer.from('flavors: {}\n')]));
  if (deleted) await h.services.tracking.setRunLifecycle(admin, id, 'deleted');
  return id;
}

/** A fresh queued training job of the default project (on a dataset version made for it), inserted directly. */
async function trainingJobId(): Promise<string> {
  const n = ++seq;
  const now = new Date().toISOString();
  const ds = { id: `matrix-ds-${n}`, project_id: defaultProject.id, name: `matrix-ds-${n}`, description: '', last_version: 1, created_at: now, created_by: 'tester', updated_at: now, updated_by: 'tester' };
  await h.store.datasets.insert(ds);
  const dv = {
    id: `matrix-dv-${n}`, dataset_id: ds.id, version: 1, sha256: 'c'.repeat(64), source_format: 'csv', source_name: 'x.csv', source_sha256: 'a'.repeat(64), source_size: 1,
    stored_sha256: 'b'.repeat(64), stored_size: 1, row_count: 1, schema: '[]', csv: null, source: null, derived_from: null, recipe: null, split: null, description: '',
    profile_status: 'READY', profile: null, profile_job_id: null, created_at: now, created_by: 'tester',
  };
  await h.store.datasets.insertVersion(dv as Parameters<typeof h.store.datasets.insertVersion>[0]);
  const id = `matrix-training-${n}`;
  await h.store.training.insert({
    id, project_id: defaultProject.id, dataset_version_id: dv.id, job_id: jobId, status: 'QUEUED', cancel_requested: 0, experiment_id: null, run_id: null, result: null, error: null,
    spec: JSON.stringify({ dataset: { name: ds.name, version: 1 }, target: 'y', task: 'binary', algorithm: 'gbdt', metric: 'auc', features: ['x'], featureTypes: ['numeric'], classes: ['0', '1'], skipped: [], params: {}, search: null, validation: { kind: 'holdout', fraction: 0.2, seed: 0 }, timeBudgetSeconds: null, experiment: null, runName: null, datasetVersionId: dv.id, validationDatasetVersionId: null }),
    created_at: now, created_by: 'tester', created_by_id: 'tester', started_at: null, finished_at: null,
  });
  return id;
}

const bearer = (caller: Caller) => (caller === 'anonymous' ? {} : { authorization: `Bearer ${tokens[caller]}` });

/** Ids of real objects for routes that find their project from the object. */
async function idFor(path: string): Promise<string> {
  if (path.startsWith('/api/v1/jobs/')) return jobId;
  if (path.startsWith('/api/v1/comments/')) {
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/comments', headers: bearer('contributor'), payload: { subject: { type: 'model', model: 'm' }, body: 'x' } });
    if (r.statusCode !== 201) {
      // The comment needs a model to hang on.
      await h.app.inject({ method: 'POST', url: '/api/v1/models', headers: bearer('contributor'), payload: { name: 'm' } });
      return idFor(path);
    }
    return r.json().id as string;
  }
  if (path.startsWith('/api/v1/experiments/')) return experimentId(path.endsWith('/restore'));
  if (path.startsWith('/api/v1/runs/')) return runId(path.endsWith('/restore'));
  if (path.startsWith('/api/v1/training-jobs/')) return trainingJobId();
  if (path.startsWith('/api/v1/webhooks/')) {
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: bearer('admin'), payload: { name: `w${Math.random().toString(16).slice(2, 8)}`, url: 'https://hooks.example/x', events: ['*'] } });
    expect(r.statusCode, r.body).toBe(201);
    return r.json().id as string;
  }
  return 'x';
}

async function urlFor(path: string): Promise<string> {
  const id = path.includes(':id') ? await idFor(path) : 'x';
  // Routes that find the project from objects named in the query get real ones, so that only the role check can refuse.
  if (path === '/api/v1/runs/compare') return `${path}?runs=${await runId()},${await runId()}`;
  if (path === '/api/v1/runs/:id/artifacts/file') return `${path.replace(':id', id)}?path=model/MLmodel`;
  return path
    .replace(':project', 'default')
    .replace(':user', 'nobody')
    .replace(':name', path.includes('/deployments/') || path.startsWith('/v2/') ? 'web' : 'm')
    .replace(':version', '1')
    .replace(':alias', 'champion')
    .replace(':rule', 'r')
    .replace(':tier', 'high')
    .replace(':deliveryId', 'x')
    .replace(':key', 'acc')
    .replace(':id', id);
}

describe('authorization matrix', () => {
  it('lists every route the app serves, and nothing else', async () => {
    const doc = (h.app as unknown as { swagger(): { paths: Record<string, Record<string, unknown>> } }).swagger();
    const served = Object.entries(doc.paths).flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`));
    expect(served.sort()).toEqual(MATRIX.map((r) => `${r.method} ${r.path}`).sort());
  });

  it.each(MATRIX.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', async (_name, route) => {
    const wrong: string[] = [];
    for (const caller of CALLERS) {
      const url = await urlFor(route.path);
      const hasBody = !['GET', 'DELETE'].includes(route.method);
      // Routes that check the role after loading their object get a valid body, so validation cannot answer first.
      const payload =
        route.path === '/api/v1/comments/:id'
          ? { body: 'edited' }
          : route.path === '/api/v1/experiments/:id'
            ? { name: `renamed-${++seq}` }
            : route.path === '/api/v1/training-jobs/:id/register'
              ? { model: 'trained' }
              : {};
      const r = await h.app.inject({ method: route.method as 'GET', url, headers: bearer(caller), ...(hasBody ? { payload } : {}) });
      const refused = r.statusCode === 401 || r.statusCode === 403;
      const should = allowed(caller, route.rule);
      if (should === refused) wrong.push(`${caller}: ${r.statusCode} ${r.body.slice(0, 160)}`);
      else if (refused) expect(r.statusCode).toBe(caller === 'anonymous' ? 401 : 403);
    }
    expect(wrong, `${route.method} ${route.path} (${route.rule})`).toEqual([]);
  });
});
