/**
 * End to end, against a real `steward serve` process, through the built CLI and plain HTTP: a high-risk
 * model version cannot reach Production, the `champion` alias, or any deployment's traffic (as a target,
 * a canary, a shadow, by following an alias, or by a rollback) until its gates pass and two reviewers other
 * than its author approve — and each refusal names the rule not met. Then the audit trail: one byte
 * changed in one record, or one record deleted, is found and named by `steward audit verify`; and
 * "which version was in Production at time T" is answered from it.
 */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/ml/monitoring/profile.js';
import { runCli, startServerProcess, type ServerProcess } from '../support/server-process.js';

const ADMIN = 'stw_e2e-governance-admin-token-000000';
let dir: string;
let server: ServerProcess;
const tokens: Record<string, string> = {};

const normal = (r: Random) => Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());

/** The CLI as a user (by name; 'admin' is the platform admin). */
const as = (user: string) => (...args: string[]) =>
  runCli(args, { XDG_CONFIG_HOME: join(dir, `config-${user}`), STEWARD_URL: server.url, STEWARD_TOKEN: user === 'admin' ? ADMIN : tokens[user]! });

/** Plain HTTP as a user. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers of many shapes, read field by field
type Json = any;

async function http(user: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${user === 'admin' ? ADMIN : tokens[user]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

function expectRefused(r: { status: number; json: Json }, ...rules: RegExp[]): void {
  expect(r.status, JSON.stringify(r.json)).toBe(409);
  expect(r.json.error.code).toBe('POLICY_NOT_SATISFIED');
  for (const rule of rules) expect(r.json.error.message).toMatch(rule);
}

const POLICY = `
# high risk: two reviewers and passing gates before anything serves
gates:
  - { name: schema, type: schema }
  - { name: auc, type: metric, metric: roc_auc, threshold: 0.6 }
stages:
  Staging: { gates: [schema] }
  Production: { gates: [schema, auc], approvals: 2 }
aliases:
  champion: { gates: [schema, auc], approvals: 2 }
deployments: { gates: [schema, auc], approvals: 2 }
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-e2e-governance-'));
  server = await startServerProcess(join(dir, 'home'), { STEWARD_ADMIN_TOKEN: ADMIN });
  await copyFile(new URL('../fixtures/xgboost/named-features.json', import.meta.url), join(dir, 'loans.json'));
  const rng = new Random(11);
  const lines = ['income,age,home_owner,score,approved'];
  for (let i = 0; i < 400; i++) {
    const score = normal(rng);
    const owner = rng.next() < 0.4 ? 1 : 0;
    lines.push([Math.exp(10 + 0.5 * normal(rng)), 18 + rng.below(62), owner, score, score + owner > 0.3 ? 1 : 0].join(','));
  }
  await writeFile(join(dir, 'applications.csv'), lines.join('\n') + '\n');
  await writeFile(join(dir, 'policy.yaml'), POLICY);
  await writeFile(join(dir, 'gates.yaml'), 'gates:\n  - { name: schema, type: schema }\n  - { name: auc, type: metric, metric: roc_auc, threshold: 0.6 }\n');
  // alice writes models (and may review others' work), rita and ravi review, dan deploys, carl contributes.
  for (const [user, role] of [['alice', 'reviewer'], ['rita', 'reviewer'], ['ravi', 'reviewer'], ['dan', 'deployer'], ['carl', 'contributor']] as const) {
    const r = await as('admin')('--json', 'users', 'create', user, '--project', `default=${role}`, '--with-token');
    expect(r.code, r.stderr).toBe(0);
    tokens[user] = (JSON.parse(r.stdout) as { token: string }).token;
  }
  expect((await as('alice')('models', 'create', 'loans')).code).toBe(0);
  for (let v = 0; v < 2; v++) expect((await as('alice')('models', 'register', join(dir, 'loans.json'), '--name', 'loans', '--flavor', 'xgboost-json')).code).toBe(0);
  expect((await as('alice')('datasets', 'create', 'applications')).code).toBe(0);
  expect((await as('alice')('datasets', 'upload', join(dir, 'applications.csv'), '--name', 'applications')).code).toBe(0);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('a high-risk model version', () => {
  it('may not change its risk tier without a project admin, and is refused everything until a policy is published', async () => {
    const refused = await as('alice')('models', 'set-tier', 'loans', 'high');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/needs the admin role in project 'default'/);
    expect((await as('admin')('models', 'set-tier', 'loans', 'high')).code).toBe(0);
    const stage = await as('dan')('models', 'stage', 'loans', '1', 'Production');
    expect(stage.code).not.toBe(0);
    expect(stage.stderr).toMatch(/no policy is published for risk tier 'high'.*POLICY_NOT_SATISFIED/);
    const published = await as('admin')('policies', 'publish', 'high', join(dir, 'policy.yaml'), '-m', 'two reviewers');
    expect(published.code, published.stderr).toBe(0);
    expect(published.stdout).toMatch(/published high policy version 1/);
    // Only project admins publish.
    const notAdmin = await as('dan')('policies', 'publish', 'high', join(dir, 'policy.yaml'));
    expect(notAdmin.stderr).toMatch(/needs the admin role/);
  });

  it('is refused Production, champion and every way into a deployment, each refusal naming the rules', async () => {
    const missing = [/gate 'schema' \(schema\) has no result/, /gate 'auc' \(metric\) has no result/, /needs 2 approvals from reviewers other than the author/];
    expectRefused(await http('dan', 'POST', '/api/v1/models/loans/versions/1/stage', { stage: 'Production' }), ...missing);
    expectRefused(await http('dan', 'PUT', '/api/v1/models/loans/aliases/champion', { version: 1 }), ...missing);
    // A new deployment, a canary, a shadow.
    expectRefused(await http('dan', 'PUT', '/api/v1/deployments/web', { targets: [{ model: 'loans', version: 1, weight: 100 }] }), ...missing);
    const cli = await as('dan')('models', 'alias', 'loans', 'champion', '1');
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/POLICY_NOT_SATISFIED/);
    const deploy = await as('dan')('deploy', 'web', '--model', 'loans', '--version', '1');
    expect(deploy.code).not.toBe(0);
    expect(deploy.stderr).toMatch(/may not enter deployment 'web'.*needs 2 approvals/);
    // Staging needs only the schema gate: still refused, for that reason alone.
    const staging = await http('alice', 'POST', '/api/v1/models/loans/versions/1/stage', { stage: 'Staging' });
    expectRefused(staging, /gate 'schema'/);
    expect(staging.json.error.details.unmet).toHaveLength(1);
    // Nothing changed.
    expect((await http('dan', 'GET', '/api/v1/models/loans/versions/1')).json.stage).toBe('None');
    expect((await http('dan', 'GET', '/api/v1/deployments/web')).status).toBe(404);
  });

  it('gets there through a promotion request: four eyes, two approvals, then its gates pass and the move is made', async () => {
    const asked = await as('alice')('--json', 'promotions', 'request', 'loans', '1', '--stage', 'Production', '-m', 'ready');
    expect(asked.code, asked.stderr).toBe(0);
    const request = JSON.parse(asked.stdout) as { id: string; status: string; evaluation: { unmet: string[] } };
    expect(request.status).toBe('open');
    expect(request.evaluation.unmet.join('\n')).toMatch(/has 0/);
    // The author may not approve her own version, even as a reviewer; a contributor may not approve at all.
    const own = await as('alice')('promotions', 'approve', request.id);
    expect(own.stderr).toMatch(/four eyes: 'alice' registered version 1/);
    expect((await as('carl')('promotions', 'approve', request.id)).stderr).toMatch(/needs the reviewer role in project 'default'; 'carl' is a contributor there/);
    expect((await as('rita')('promotions', 'approve', request.id, '-m', 'looks fine')).code).toBe(0);
    const twice = await as('rita')('promotions', 'approve', request.id);
    expect(twice.stderr).toMatch(/already reviewed/);
    const second = await as('ravi')('--json', 'promotions', 'approve', request.id);
    const afterTwo = JSON.parse(second.stdout) as { status: string; evaluation: { unmet: string[] } };
    // Two approvals, but the gates have not run: still open, and only the gates are missing.
    expect(afterTwo.status).toBe('open');
    expect(afterTwo.evaluation.unmet).toHaveLength(2);
    expect(afterTwo.evaluation.unmet.join('\n')).toMatch(/gate 'schema'.*\n.*gate 'auc'/);
    // The direct path is still closed while the gates are missing.
    expectRefused(await http('dan', 'POST', '/api/v1/models/loans/versions/1/stage', { stage: 'Production' }), /gate 'auc'/);
    const gates = await as('alice')('gates', 'run', 'loans', '1', '--dataset', 'applications@1', '--target', 'approved', '-f', join(dir, 'gates.yaml'));
    expect(gates.code, gates.stderr + gates.stdout).toBe(0);
    expect(gates.stdout).toMatch(/auc\s+metric\s+yes/);
    // The finished run satisfies the policy: the request is carried out.
    let shown: { status: string } = { status: '' };
    for (let i = 0; i < 50 && shown.status !== 'executed'; i++) {
      shown = (await http('dan', 'GET', `/api/v1/promotions/${request.id}`)).json;
      if (shown.status !== 'executed') await new Promise((r) => setTimeout(r, 100));
    }
    expect(shown.status).toBe('executed');
    expect((await http('dan', 'GET', '/api/v1/models/loans/versions/1')).json.stage).toBe('Production');
    // The model card tells the story: the gate's AUC, the approvals, the stage history.
    const card = (await http('dan', 'GET', '/api/v1/models/loans/versions/1/card')).json;
    const auc = card.quantitative_analysis.performance_metrics.find((m: { source: string }) => m.source === 'gate auc');
    expect(auc).toMatchObject({ type: 'roc_auc' });
    expect(auc.value).toBeGreaterThan(0.6);
    expect(JSON.stringify(card.approvals)).toMatch(/rita[\s\S]*ravi|ravi[\s\S]*rita/);
    const md = await fetch(`${server.url}/api/v1/models/loans/versions/1/card.md`, { headers: { authorization: `Bearer ${tokens.dan}` } });
    expect(await md.text()).toMatch(/roc_auc/);
  });

  it('serves in a deployment that follows an alias only once approved, and the alias cannot then move to an unapproved version', async () => {
    // A deployment request: v1 behind the (unprotected) alias 'candidate'.
    expect((await http('alice', 'PUT', '/api/v1/models/loans/aliases/candidate', { version: 1 })).status).toBe(200);
    const spec = { targets: [{ model: 'loans', alias: 'candidate', weight: 100 }] };
    const asked = await http('alice', 'POST', '/api/v1/promotions', { model: 'loans', version: 1, kind: 'deployment', target: 'web', change: spec });
    expect(asked.status).toBe(201);
    expect(asked.json.status).toBe('open');
    await http('rita', 'POST', `/api/v1/promotions/${asked.json.id}/approve`, {});
    const done = await http('ravi', 'POST', `/api/v1/promotions/${asked.json.id}/approve`, {});
    expect(done.json.status, JSON.stringify(done.json)).toBe('executed');
    expect((await http('dan', 'GET', '/api/v1/deployments/web')).json.spec.targets[0]).toMatchObject({ model: 'loans', version: 1, alias: 'candidate' });
    // Moving the alias would make the deployment serve v2, which has nothing: refused, naming the deployment.
    expectRefused(await http('alice', 'PUT', '/api/v1/models/loans/aliases/candidate', { version: 2 }), /may not enter deployment 'web' \(following alias 'candidate'\)/, /needs 2 approvals/);
    expect((await http('dan', 'GET', '/api/v1/models/loans/aliases/candidate')).json.version.version).toBe(1);
    // A canary or a shadow of v2 is refused too.
    expectRefused(
      await http('dan', 'PUT', '/api/v1/deployments/web', { targets: [{ model: 'loans', alias: 'candidate', weight: 90 }, { model: 'loans', version: 2, weight: 10 }] }),
      /version 2 of 'loans' may not enter deployment 'web'/,
    );
    expectRefused(await http('dan', 'PUT', '/api/v1/deployments/web', { targets: spec.targets, shadow: [{ model: 'loans', version: 2 }] }), /version 2/);
    // Weights among versions already approved change freely (a new revision with the same versions).
    expect((await http('dan', 'PUT', '/api/v1/deployments/web', { targets: spec.targets, comment: 'same' })).status).toBe(200);
  });

  it('rolls back to an approved revision, but not to one the policy no longer allows', async () => {
    expect((await http('dan', 'POST', '/api/v1/deployments/web/rollback', {})).status).toBe(200);
    // A stricter policy: deployments now also need a gate v1 has never passed.
    const stricter = POLICY.replace('deployments: { gates: [schema, auc], approvals: 2 }', 'deployments: { gates: [schema, auc, auc90], approvals: 2 }').replace(
      '  - { name: auc, type: metric, metric: roc_auc, threshold: 0.6 }',
      '  - { name: auc, type: metric, metric: roc_auc, threshold: 0.6 }\n  - { name: auc90, type: metric, metric: roc_auc, threshold: 0.99 }',
    );
    await writeFile(join(dir, 'stricter.yaml'), stricter);
    expect((await as('admin')('policies', 'publish', 'high', join(dir, 'stricter.yaml'))).code).toBe(0);
    expect((await http('dan', 'DELETE', '/api/v1/deployments/web')).status).toBe(200);
    expectRefused(await http('dan', 'PUT', '/api/v1/deployments/web', { targets: [{ model: 'loans', version: 1, weight: 100 }] }), /gate 'auc90' \(metric\) has no result/);
    const history = await as('dan')('policies', 'history', 'high');
    expect(history.stdout).toMatch(/^2\s/m);
    expect(history.stdout).toMatch(/^1\s/m);
  });
});

describe('the audit trail', () => {
  it('names a record changed by one byte, and a deleted one, and is whole again once they are restored', async () => {
    const ok = await as('admin')('audit', 'verify');
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/the audit trail is intact: \d+ records/);
    const db = new Database(join(dir, 'home', 'steward.db'));
    try {
      const victim = db.prepare("select seq, chain, payload from events where type = 'model_version.stage_changed' order by seq limit 1").get() as { seq: number; chain: number; payload: string };
      const edited = victim.payload.replace('"to":"Production"', '"to":"Productio!"');
      expect(edited).not.toBe(victim.payload);
      db.prepare('update events set payload = ? where seq = ?').run(edited, victim.seq);
      const bad = await as('admin')('audit', 'verify');
      expect(bad.code).toBe(1);
      expect(bad.stdout).toContain(`edited: record ${victim.chain} (seq ${victim.seq}`);
      db.prepare('update events set payload = ? where seq = ?').run(victim.payload, victim.seq);
      expect((await as('admin')('audit', 'verify')).code).toBe(0);

      const row = db.prepare('select * from events where chain = ?').get(victim.chain - 3) as Record<string, unknown>;
      db.prepare('delete from events where seq = ?').run(row.seq);
      const gone = await as('admin')('audit', 'verify');
      expect(gone.code).toBe(1);
      expect(gone.stdout).toContain(`deleted: record ${victim.chain - 3} is missing (deleted) before record ${victim.chain - 2}`);
      const columns = Object.keys(row);
      db.prepare(`insert into events (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`).run(...columns.map((c) => row[c]));
      expect((await as('admin')('audit', 'verify')).code).toBe(0);
    } finally {
      db.close();
    }
    // Only platform admins verify.
    expect((await as('rita')('audit', 'verify')).stderr).toMatch(/platform admin/);
  });

  it('says which version was in Production and which served a deployment at a time, with the record as evidence', async () => {
    const events = (await http('admin', 'GET', '/api/v1/events?limit=1000')).json.items as { type: string; at: string; payload: { to?: string } }[];
    const moved = events.find((e) => e.type === 'model_version.stage_changed' && e.payload.to === 'Production')!;
    const before = new Date(Date.parse(moved.at) - 1).toISOString();
    const r1 = await as('dan')('audit', 'served', '--model', 'loans', '--stage', 'Production', '--at', before);
    expect(r1.stdout).toMatch(/: nothing$/m);
    const r2 = await as('dan')('audit', 'served', '--model', 'loans', '--stage', 'Production', '--at', new Date().toISOString());
    expect(r2.stdout).toMatch(/loans v1 — since .* \(model_version\.stage_changed by /);
    const web = await http('dan', 'GET', `/api/v1/audit/served?deployment=web&at=${encodeURIComponent(new Date().toISOString())}`);
    expect(web.json.versions).toEqual([]); // deleted
    const served = events.find((e) => e.type === 'deployment.revised')!;
    const then = await http('dan', 'GET', `/api/v1/audit/served?deployment=web&at=${encodeURIComponent(served.at)}`);
    expect(then.json.versions).toEqual([{ model: 'loans', version: 1, weight: 100, role: 'target', alias: 'candidate' }]);
  });
});
