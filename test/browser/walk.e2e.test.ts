/**
 * The newcomer's walk through the web UI in a real headless Chromium (Debian's /usr/bin/chromium, driven
 * by playwright-core; nothing is downloaded): sign in from the address printed at first start, register a
 * model, upload a dataset and see its profile, deploy the model, send predictions and watch the live
 * charts move, change the weights, roll back; then the monitoring page of a deployment with a reference, drift
 * windows, labels and alert rules; then the explanations of that deployment's xgboost model: a global report on
 * a dataset version started from the version page, and one row's waterfall from "Try it". Then governance: a
 * policy for the medium tier published from the policy editor, a model's risk tier raised to it, a refused
 * stage move and a promotion request naming the unmet rules, the policy's gates run from the version page,
 * the four-eyes refusal of the author, a second user (a reviewer) approving in the inbox so the version
 * reaches Production, the model card with its sections and Markdown download, a comment whose @mention
 * notifies the reviewer, and the audit log verified. Then experiments: one made and deleted with the form, and
 * one logged through the MLflow API with 3 runs — its runs table with a metric column added by the chooser, a
 * filter that narrows the rows and a sort by a metric, two runs compared (differing params, a metric's curves,
 * parallel coordinates) and a run's page with its metric history, model (and the registry version made from
 * it), artifact download and dataset link. Screenshots go to test-artifacts/browser/. Then, on a large
 * catalogue (100 models × 20 versions, 100k logged predictions), the load times of the main pages are
 * measured from the browser's performance timings and reported (not asserted).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearModel } from '../fixtures/models.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { MONITORED_FEATURES, seedCatalogue, seedExperiment, seedGovernance, seedLoanDataset, seedMonitoring, type GovernanceSeed } from './seed.js';

const CHROMIUM = process.env.STEWARD_CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const inCi = Boolean(process.env.CI);
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/browser/', import.meta.url));
const HMDA = fileURLToPath(new URL('../fixtures/data/hmda.csv', import.meta.url));

let dir: string;
let server: ServerProcess;
let browser: Browser;
let page: Page;
let token: string;
let signedInUrl: string;
/** The governance leg's reviewer, signed in in a browser context of their own. */
let reviewerPage: Page;
let governance: GovernanceSeed;
let promotionId: string;

const POLICY = `# medium risk: a measured AUC, a fairness check and one reviewer before Production
gates:
  - { name: auc, type: metric, metric: roc_auc, threshold: 0.6 }
  - { name: parity, type: fairness, sensitive: home_owner, metric: demographic_parity_difference, tolerance: 0.9 }
stages:
  Production: { gates: [auc, parity], maxGateAgeDays: 30, approvals: 1 }
`;

const shot = async (name: string) => {
  // From the top, so that the sticky header is not drawn over the middle of a full-page shot.
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
};
const byTest = (id: string) => page.getByTestId(id);
/** A chart by its accessible name (role=img, as <Chart> labels it). */
const figure = (name: string) => page.getByRole('img', { name, exact: true });
/** Waits until the chart has drawn, and answers how many shapes its SVG holds. */
const drawn = async (name: string) => {
  await expect.poll(() => figure(name).getAttribute('data-ready'), { timeout: 15_000 }).toBe('true');
  return figure(name).locator('svg path, svg rect, svg circle, svg polyline').count();
};

async function api(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
}

if (!available && inCi) {
  describe('web UI walk', () => {
    it('has Chromium in CI', () => expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: .ci/run installs Debian's chromium`).toBe(true));
  });
}

describe.skipIf(!available)(`web UI walk in headless Chromium${available ? '' : ' (install chromium to run)'}`, () => {
  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    dir = await mkdtemp(join(tmpdir(), 'steward-browser-'));
    await writeFile(join(dir, 'houses.onnx'), linearModel());
    // No STEWARD_ADMIN_TOKEN: the server creates the admin and prints the signed-in address, as at a real first start.
    // Monitoring folds the prediction log into windows every 250 ms instead of 2 s.
    server = await startServerProcess(join(dir, 'home'), { STEWARD_ADMIN_TOKEN: '', STEWARD_MONITORING_FOLD_MS: '250' });
    const m = /Open the web UI, signed in: +(\S+)/.exec(server.output());
    if (!m) throw new Error(`no signed-in address in the server output:\n${server.output()}`);
    signedInUrl = m[1]!;
    token = /#token=(\S+)/.exec(signedInUrl)![1]!;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (err) => {
      throw err;
    });
  }, 60_000);

  afterAll(async () => {
    await reviewerPage?.close();
    await browser?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('signs in from the address printed at first start', async () => {
    await page.goto(signedInUrl);
    await expect.poll(() => byTest('whoami').textContent(), { timeout: 15_000 }).toContain('admin');
    expect(await byTest('whoami-role').textContent()).toContain('admin');
    // The token left the address bar.
    expect(page.url()).not.toContain('#token=');
    await byTest('models-empty').waitFor();
    await shot('01-signed-in');
  });

  it('registers a model by uploading its file', async () => {
    await byTest('register-model').first().click();
    await byTest('register-name').fill('houses');
    await byTest('register-file').setInputFiles(join(dir, 'houses.onnx'));
    await byTest('register-description').fill('house prices, linear');
    await byTest('register-submit').click();
    await page.waitForURL(/\/models\/houses\/versions\/1/);
    await expect.poll(() => byTest('signature').textContent(), { timeout: 15_000 }).toContain('x');
    await shot('02-model-registered');
  });

  it('uploads a dataset and shows its profile with histograms', async () => {
    await byTest('nav-datasets').click();
    await byTest('upload-dataset').first().click();
    await byTest('upload-name').fill('hmda');
    await byTest('upload-file').setInputFiles(HMDA);
    await byTest('upload-submit').click();
    await page.waitForURL(/\/datasets\/hmda\/versions\/1/);
    await page.locator('[data-testid^="histogram-"]').first().waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-testid^="column-"]').count()).toBeGreaterThan(3);
    await shot('03-dataset-profile');
  });

  it('deploys the model', async () => {
    await byTest('nav-deployments').click();
    await byTest('new-deployment').first().click();
    await byTest('deployment-name').fill('houses');
    await byTest('target-model-0').selectOption('houses');
    await byTest('target-version-0').selectOption('1');
    await byTest('deploy-comment').fill('first deployment');
    await byTest('deploy-save').click();
    await page.waitForURL(/\/deployments\/houses$/);
    await expect.poll(() => byTest('live-status').textContent(), { timeout: 15_000 }).toMatch(/live/i);
    await byTest('revision-row-1').waitFor();
    await shot('04-deployed');
  });

  it('sends predictions and the live charts move', async () => {
    // Wait for Try it's example row first (a fill racing it ends up appended to it).
    await expect.poll(() => byTest('try-body').inputValue(), { timeout: 15_000 }).toContain('"rows"');
    const body = JSON.stringify({ rows: [{ f0: 1, f1: 2, f2: 3, f3: 4 }] });
    await byTest('try-body').fill(body);
    expect(await byTest('try-body').inputValue()).toBe(body);
    await byTest('try-send').click();
    await expect.poll(() => byTest('prediction-id-0').textContent(), { timeout: 15_000 }).toMatch(/[0-9a-f-]{36}/);
    // Traffic from a client application for a few seconds.
    const until = Date.now() + 6_000;
    let sent = 0;
    while (Date.now() < until) {
      const batch = await Promise.all(Array.from({ length: 10 }, (_, i) => api('POST', '/api/v1/deployments/houses/predict', { rows: [{ f0: i, f1: 1, f2: 2, f3: 3 }] })));
      expect(batch.every((r) => r.status === 200)).toBe(true);
      sent += batch.length;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(sent).toBeGreaterThan(100);
    await expect.poll(async () => Number.parseFloat((await byTest('summary-rps').textContent()) ?? '0'), { timeout: 15_000 }).toBeGreaterThan(0);
    await expect.poll(() => byTest('chart-rps').getAttribute('data-ready'), { timeout: 15_000 }).toBe('true');
    expect(await byTest('summary-latency').textContent()).toMatch(/p50/);
    await shot('05-live-charts');
  });

  it('changes the weights to a 80/20 canary', async () => {
    // A second version to send a fifth of the traffic to.
    const form = new FormData();
    form.append('metadata', JSON.stringify({ description: 'candidate' }));
    form.append('artifact', new Blob([linearModel()]), 'houses.onnx');
    expect((await fetch(`${server.url}/api/v1/models/houses/versions`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })).status).toBe(201);
    await page.reload();
    await byTest('routing-editor').waitFor();
    await byTest('add-target').click();
    await byTest('target-model-1').selectOption('houses');
    await byTest('target-version-1').selectOption('2');
    await byTest('weight-input-1').fill('20');
    await byTest('weight-input-1').blur();
    await expect.poll(() => byTest('weight-total').textContent(), { timeout: 15_000 }).toContain('100');
    expect(await byTest('weight-input-0').inputValue()).toBe('80');
    await byTest('deploy-comment').fill('canary v2');
    await byTest('deploy-save').click();
    await byTest('revision-row-2').waitFor();
    const d = (await (await api('GET', '/api/v1/deployments/houses')).json()) as { revision: number; spec: { targets: { version: number; weight: number }[] } };
    expect(d.revision).toBe(2);
    expect(d.spec.targets.map((t) => [t.version, t.weight])).toEqual([
      [1, 80],
      [2, 20],
    ]);
    await shot('06-canary');
  });

  it('rolls back in one click', async () => {
    await byTest('rollback-1').click();
    await byTest('revision-row-3').waitFor();
    const d = (await (await api('GET', '/api/v1/deployments/houses')).json()) as { revision: number; spec: { targets: { version: number; weight: number }[] } };
    expect(d.revision).toBe(3);
    expect(d.spec.targets.map((t) => [t.version, t.weight])).toEqual([[1, 100]]);
    expect(await byTest('revision-row-3').textContent()).toContain('rollback');
    await shot('07-rolled-back');
  });

  it('shows the monitoring of a deployment without a reference, saying how to add one', async () => {
    await page.goto(`${server.url}/deployments/houses/monitoring`);
    await byTest('reference-note').waitFor({ timeout: 15_000 });
    expect(await byTest('reference-note').textContent()).toContain('/api/v1/models/houses/versions/1/reference');
    expect(Number((await byTest('summary-rows').textContent())!.replace(/,/g, ''))).toBeGreaterThan(100);
    expect(await byTest('summary-drift').textContent()).toBe('—');
    await byTest('feature-table-empty').waitFor();
    await byTest('performance-chart-empty').waitFor();
    await byTest('alert-rules-empty').waitFor();
    expect(await byTest('error').count()).toBe(0);
    await shot('08-monitoring-no-reference');
  });

  it('shows the monitoring of a deployment: summary, drift heatmap, histograms and alerts', async () => {
    const seeded = await seedMonitoring(server.url, token);
    await page.goto(`${server.url}/deployments/${seeded.deployment}`);
    await expect.poll(() => byTest('live-status').textContent(), { timeout: 15_000 }).toMatch(/live/i);
    await byTest('monitoring-tab').click();
    await page.waitForURL(new RegExp(`/deployments/${seeded.deployment}/monitoring$`));
    expect(await byTest('monitoring-tab').getAttribute('aria-current')).toBe('page');

    // The summary counts every prediction; the reference is there, so drift is computed.
    await expect.poll(() => byTest('summary-rows').textContent(), { timeout: 15_000 }).toBe(seeded.predictions.toLocaleString('en-US'));
    expect(await byTest('summary-drift').textContent()).toMatch(/%/);
    expect(await byTest('summary-p99').textContent()).toMatch(/p99 [\d.]+ ms/);
    expect(await byTest('reference-note').count()).toBe(0);

    // Feature × window heatmap.
    await expect.poll(() => byTest('drift-heatmap').getAttribute('data-ready'), { timeout: 15_000 }).toBe('true');
    expect(await byTest('drift-heatmap').getAttribute('aria-label')).toContain(`over ${seeded.windows} windows`);

    // The labels sent for the first windows: performance in the summary and window by window.
    expect(await byTest('summary-card-performance').textContent()).toContain(`${seeded.labeled.toLocaleString('en-US')} labeled predictions, binary`);
    expect(await byTest('summary-performance').textContent()).toContain('accuracy');
    await expect.poll(() => byTest('chart-window-performance').getAttribute('data-ready'), { timeout: 15_000 }).toBe('true');
    expect(await byTest('chart-window-performance').getAttribute('aria-label')).toMatch(/^accuracy, ROC AUC, F1 per window, over \d windows? with [\d,]+ labeled predictions/);
    expect(await byTest('performance-chart-empty').count()).toBe(0);

    // Every feature is tested, and the shifted score drifted.
    for (const f of MONITORED_FEATURES) await byTest(`feature-row-${f}`).waitFor();
    expect(await byTest('feature-table').locator('tbody tr').count()).toBe(MONITORED_FEATURES.length + 1);
    expect(await byTest('feature-row-score').textContent()).toContain('drifted');
    // Attribution drift (the xgboost model: exact TreeSHAP on the reference's and the windows' rows).
    await expect.poll(() => byTest('chart-attribution').getAttribute('data-ready'), { timeout: 15_000 }).toBe('true');
    expect(await byTest('attribution-table').locator('tbody tr').count()).toBe(MONITORED_FEATURES.length);
    await expect.poll(() => byTest('chart-attribution-windows').getAttribute('data-ready'), { timeout: 15_000 }).toBe('true');
    await shot('09-monitoring');

    // Picking a feature shows its reference and current proportions.
    await byTest('histogram-feature-select').selectOption('age');
    await expect.poll(() => byTest('histogram-chart').getAttribute('aria-label'), { timeout: 15_000 }).toContain('proportions of age');
    await expect.poll(() => byTest('histogram-chart').getAttribute('data-ready'), { timeout: 15_000 }).toBe('true');
    await byTest('feature-row-score').getByRole('button').click();
    await expect.poll(() => byTest('histogram-feature-select').inputValue()).toBe('score');
    expect(await byTest('histogram-summary').textContent()).toMatch(/wasserstein|Wasserstein/);
    await shot('10-monitoring-histogram');

    // The rule made through the API fired on the shifted windows; another is made with the form.
    await byTest(`alert-rule-${seeded.rule}`).waitFor();
    await expect.poll(() => byTest(`alert-state-${seeded.rule}`).textContent(), { timeout: 15_000 }).toBe('firing');
    await expect.poll(() => byTest('alert-history').textContent(), { timeout: 15_000 }).toContain('firing');
    await byTest('alert-rule-name').fill('slow-predictions');
    await byTest('alert-rule-metric').fill('operations.p99Ms');
    await byTest('alert-rule-comparison').selectOption('>');
    await byTest('alert-rule-threshold').fill('250');
    await byTest('alert-rule-submit').click();
    await byTest('alert-rule-slow-predictions').waitFor({ timeout: 15_000 });
    expect(await byTest('alert-state-slow-predictions').textContent()).toBe('ok');
    await byTest(`alert-acknowledge-${seeded.rule}`).click();
    await expect.poll(() => byTest(`alert-rule-${seeded.rule}`).textContent(), { timeout: 15_000 }).toContain('acknowledged by admin');

    // A narrower range still holds every window (they are minutes old).
    await byTest('range-1h').click();
    await page.waitForURL(/\?range=1h$/);
    await expect.poll(() => byTest('summary-rows').textContent(), { timeout: 15_000 }).toBe(seeded.predictions.toLocaleString('en-US'));
    await shot('11-monitoring-alerts');
  }, 120_000);

  it('explains the xgboost model: a report on a dataset version from the version page, and a row from Try it', async () => {
    // The monitoring leg deployed the xgboost fixture as loans; a dataset with its features and an outcome to explain it on.
    const data = await seedLoanDataset(server.url, token);
    await page.goto(`${server.url}/models/loans/versions/1`);
    await byTest('explanations-empty').waitFor({ timeout: 15_000 });
    await byTest('explain-dataset').selectOption(data.dataset);
    await expect.poll(() => byTest('explain-dataset-version').inputValue(), { timeout: 15_000 }).toBe(String(data.version));
    await byTest('explain-target').selectOption(data.target);
    expect(await byTest('explain-missing-columns').count()).toBe(0);
    await page.locator('.explain-start details summary').click();
    await byTest('explain-pd-pairs').fill('income:score');
    await byTest('explanation-submit').click();

    // The report is queued, runs as a job and shows its pictures by itself when it succeeds.
    await byTest('explanation-report').waitFor({ timeout: 15_000 });
    await byTest('explanation-report-view').waitFor({ timeout: 60_000 });
    await expect.poll(() => byTest('explanation-status').first().textContent(), { timeout: 15_000 }).toContain('succeeded');
    expect(await byTest('explain-method').textContent()).toContain('exact TreeSHAP');
    for (const name of ['Global importance', 'Permutation importance', 'Beeswarm summary', 'Interaction strength', 'Dependence plot', 'Partial dependence', 'Interaction heatmap']) {
      expect(await drawn(name), `${name} drew nothing`).toBeGreaterThan(10);
    }
    // Every feature has a bar; the dots of the beeswarm are the explained rows (at most 500 drawn).
    expect(await byTest('global-importance-summary').textContent()).toMatch(/matters most/);
    expect(await byTest('beeswarm-summary').textContent()).toContain('500 sample rows (evenly picked from 1,000)');
    expect(await byTest('explanation-top').textContent()).toMatch(/most important: \w+/);
    expect(await byTest('error').count()).toBe(0);
    await shot('explanations-report');

    // One row, explained exactly as the deployment serves it.
    await page.goto(`${server.url}/deployments/loans`);
    await expect.poll(() => byTest('live-status').textContent(), { timeout: 15_000 }).toMatch(/live/i);
    // Try it fills in an example row once the model's signature arrives: wait for it, or a fill racing it ends
    // up appended to the example (seen once: "not valid JSON … line 5").
    await expect.poll(() => byTest('try-body').inputValue(), { timeout: 15_000 }).toContain('"rows"');
    const row = JSON.stringify({ rows: [{ income: 30_000, age: 52, home_owner: 1, score: -0.4 }] });
    await byTest('try-body').fill(row);
    expect(await byTest('try-body').inputValue()).toBe(row);
    await byTest('try-explain').click();
    // The waterfall, or an error that says why not (shown in the failure instead of a timeout).
    await page.locator('[data-testid="try-explanation"], [data-testid="error"]').first().waitFor({ timeout: 30_000 });
    expect(await byTest('error').count(), (await byTest('error').allTextContents()).join(' | ')).toBe(0);
    expect(await drawn('Waterfall'), 'the waterfall drew nothing').toBeGreaterThan(5);
    expect(await byTest('explained-by').textContent()).toBe('loans v1');
    // Bias plus every contribution: the row's log-odds, also shown as a probability.
    expect(await byTest('waterfall-summary').textContent()).toMatch(/in log-odds\..*Pushed up most by|in log-odds\..*Pulled down most by/);
    expect(await byTest('waterfall-summary').textContent()).toMatch(/\(probability 0\.\d+\)/);
    expect(await byTest('explain-values').locator('tbody tr').count()).toBe(MONITORED_FEATURES.length);
    await shot('explanations-waterfall');
  }, 120_000);

  it('publishes a policy for the medium risk tier from the policy editor', async () => {
    governance = await seedGovernance(server.url, token);
    await page.goto(`${server.url}/governance/policies?tier=medium`);
    await expect.poll(() => byTest('policy-in-force').textContent(), { timeout: 15_000 }).toContain('built-in default');
    // The built-in medium default asks one approval for Production; the high one refuses governed moves.
    expect(await byTest('policy-current').getByTestId('policy-requirement-stage-Production').textContent()).toContain('1');
    await byTest('tier-high').click();
    await byTest('policy-refuses').waitFor();
    await byTest('tier-medium').click();
    await expect.poll(() => byTest('policy-in-force').textContent()).toContain('built-in default');

    // A draft with a mistake: Check names the field at fault.
    await byTest('policy-text').fill(POLICY.replace('approvals: 1', 'approvals: -1'));
    await byTest('policy-check').click();
    await expect.poll(() => byTest('error').textContent(), { timeout: 15_000 }).toContain('stages.Production.approvals');
    await byTest('policy-text').fill(POLICY);
    await byTest('policy-check').click();
    await byTest('policy-checked').waitFor();
    expect(await byTest('policy-checked').getByTestId('policy-gate-auc').textContent()).toContain('metric=roc_auc');
    expect(await byTest('policy-checked').getByTestId('policy-requirement-stage-Production').textContent()).toMatch(/auc, parity.*30 days old.*1/);
    await byTest('policy-comment').fill('AUC, parity and one reviewer before Production');
    await byTest('policy-publish').click();
    await expect.poll(() => byTest('policy-in-force').textContent(), { timeout: 15_000 }).toContain('v1');
    expect(await byTest('policy-in-force').textContent()).toContain('AUC, parity and one reviewer');
    await byTest('policy-version-1').waitFor();
    expect(await byTest('policy-current').getByTestId('policy-gate-parity').textContent()).toContain('sensitive=home_owner');
    await shot('governance-01-policy');
  }, 120_000);

  it("raises a model's risk tier", async () => {
    await page.goto(`${server.url}/models/${governance.model}`);
    await byTest('risk-tier-select').waitFor({ timeout: 15_000 });
    expect(await byTest('risk-tier-select').inputValue()).toBe('low');
    await byTest('risk-tier-select').selectOption('medium');
    await expect.poll(async () => ((await (await api('GET', `/api/v1/models/${governance.model}`)).json()) as { riskTier: string }).riskTier, { timeout: 15_000 }).toBe('medium');
    await expect.poll(() => byTest('risk-tier-policy').textContent()).toContain('medium');
  });

  it('refuses a stage move the policy does not allow, and a promotion request lists the unmet rules', async () => {
    await page.goto(`${server.url}/models/${governance.model}/versions/1`);
    await byTest('gate-results-empty').waitFor({ timeout: 15_000 });
    // The plain stage button goes through the same check, and says which rules are not met.
    await byTest('stage-select').selectOption('Production');
    await byTest('stage-submit').click();
    await byTest('policy-refusal').waitFor({ timeout: 15_000 });
    expect(await byTest('policy-refusal').textContent()).toContain('may not enter stage Production under policy medium v1');
    const refused = await page.locator('[data-testid="error"] [data-testid="unmet-rules"]').textContent();
    expect(refused).toContain("gate 'auc' (metric) has no result");
    expect(refused).toContain('needs 1 approval');
    expect(await byTest('version-stage').textContent()).toBe('None');

    await byTest('promotion-stage').selectOption('Production');
    await byTest('promotion-comment').fill('first candidate, ready for production');
    await byTest('promotion-submit').click();
    await byTest('promotion-answer').waitFor({ timeout: 15_000 });
    expect(await byTest('promotion-answer').textContent()).toContain('is open');
    const card = byTest('version-promotions').locator('[data-testid^="promotion-"]').first();
    await card.waitFor();
    promotionId = (await card.getAttribute('data-testid'))!.replace('promotion-', '');
    const unmet = await card.getByTestId('unmet-rules').textContent();
    expect(unmet).toContain("gate 'parity' (fairness) has no result");
    expect(unmet).toContain(`promotion request ${promotionId} has 0`);
    await shot('governance-02-promotion-requested');
  }, 60_000);

  it("runs the policy's gates from the version page and shows the results", async () => {
    await byTest('gate-use-policy').click();
    await expect.poll(() => byTest('gate-specs').inputValue()).toContain('demographic_parity_difference');
    await byTest('gate-dataset').selectOption(governance.data.dataset);
    await expect.poll(() => byTest('gate-dataset-version').inputValue(), { timeout: 15_000 }).toBe(String(governance.data.version));
    await byTest('gate-target').selectOption(governance.data.target);
    await byTest('gate-run-submit').click();
    // The run is a background job; the results show by themselves when it finishes.
    await expect.poll(() => byTest('gate-results-summary').textContent(), { timeout: 60_000 }).toBe('2 of 2 gates pass (newest result of each).');
    expect(await byTest('gate-result-auc').textContent()).toMatch(/pass.*roc_auc = 0\.\d+/);
    expect(await byTest('gate-run-status').first().textContent()).toBe('succeeded');
    await byTest('gate-toggle-parity').click();
    expect(await byTest('fairness-groups').locator('tbody tr').count()).toBe(2);
    expect(await byTest('fairness-details').textContent()).toContain('must be at most 0.9');
    // The request's evaluation now lacks only the approval.
    await expect
      .poll(async () => (await byTest(`promotion-${promotionId}`).getByTestId('unmet-rules').textContent()) ?? '', { timeout: 20_000 })
      .not.toContain('gate');
    expect(await byTest(`promotion-${promotionId}`).getByTestId('evaluation-gate-auc').textContent()).toContain('passed');
    await shot('governance-03-gates');
  }, 120_000);

  it("refuses the author's own approval (four eyes)", async () => {
    await page.goto(`${server.url}/governance/approvals`);
    // The author's inbox is empty; the request is among all requests, and approving it is refused.
    await byTest('inbox-empty').waitFor({ timeout: 15_000 });
    const card = byTest('all-list').getByTestId(`promotion-${promotionId}`);
    await card.waitFor();
    await card.getByTestId(`approve-${promotionId}`).click();
    await expect.poll(() => card.getByTestId('error').textContent(), { timeout: 15_000 }).toContain('four eyes');
    expect(await card.getByTestId('promotion-status').textContent()).toBe('open');
  });

  it('lets a reviewer approve in the inbox, and the version reaches Production', async () => {
    reviewerPage = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    reviewerPage.on('pageerror', (err) => {
      throw err;
    });
    const r = (id: string) => reviewerPage.getByTestId(id);
    await reviewerPage.goto(`${server.url}/governance/approvals#token=${governance.reviewer.token}`);
    await expect.poll(() => r('whoami').textContent(), { timeout: 15_000 }).toContain(governance.reviewer.name);
    expect(await r('whoami-role').textContent()).toBe('reviewer');
    await expect.poll(() => r('inbox-count').textContent(), { timeout: 15_000 }).toBe('1');
    const card = r('inbox-list').getByTestId(`promotion-${promotionId}`);
    await card.waitFor();
    expect(await card.getByTestId('evaluation-approvals').textContent()).toContain('Approvals counted: 0 of 1');
    expect(await card.getByTestId('promotion-subject').textContent()).toBe(`${governance.model} v1`);
    await card.getByTestId(`decision-comment-${promotionId}`).fill('gates pass, fairness gap within tolerance');
    await card.getByTestId(`approve-${promotionId}`).click();
    await expect.poll(() => r('approvals-notice').textContent(), { timeout: 15_000 }).toContain('entered stage Production');
    await r('inbox-empty').waitFor({ timeout: 15_000 });
    await reviewerPage.screenshot({ path: join(ARTIFACTS, 'governance-04-approved.png'), fullPage: true });

    await reviewerPage.goto(`${server.url}/models/${governance.model}/versions/1`);
    await expect.poll(() => r('version-stage').textContent(), { timeout: 15_000 }).toBe('Production');
    expect(await r('version-promotions').getByTestId('promotion-status').first().textContent()).toBe('executed');
    expect(await r('version-promotions').getByTestId(`decision-${governance.reviewer.name}`).textContent()).toContain('gates pass');
  }, 60_000);

  it('shows the model card with its sections, saves a written field and downloads it as Markdown', async () => {
    await page.goto(`${server.url}/models/${governance.model}/versions/1/card`);
    await byTest('card-details').waitFor({ timeout: 15_000 });
    expect(await byTest('card-overview').textContent()).toBe('credit scoring, xgboost');
    expect(await byTest('card-gates-table').textContent()).toMatch(/auc.*pass.*parity.*pass/);
    expect(await byTest('card-gates').getByTestId('fairness-groups').locator('tbody tr').count()).toBe(2);
    expect(await byTest('card-approvals-table').textContent()).toContain(governance.reviewer.name);
    expect(await byTest('card-stage-history').textContent()).toContain('Production');
    expect(await byTest('card-parameters').textContent()).toContain('xgboost');
    // The model's description counts as the overview; nothing else is written yet.
    await expect.poll(() => byTest('card-completeness-summary').textContent()).toBe('1 of 10 written fields filled.');
    expect(await byTest('card-completeness').textContent()).toContain('considerations.use_cases');

    await byTest('card-edit').click();
    await byTest('card-field-considerations.use_cases').fill('Pre-screening consumer loan applications\nRanking applications for manual review');
    await byTest('card-save').click();
    await expect.poll(() => byTest('card-completeness-summary').textContent(), { timeout: 15_000 }).toBe('2 of 10 written fields filled.');
    expect(await byTest('card-written-considerations.use_cases').locator('li').count()).toBe(2);

    const [download] = await Promise.all([page.waitForEvent('download'), byTest('card-download-md').click()]);
    expect(download.suggestedFilename()).toBe(`${governance.model}-v1-card.md`);
    const markdown = await readFile((await download.path())!, 'utf8');
    expect(markdown).toContain(`${governance.model}`);
    expect(markdown).toContain('Pre-screening consumer loan applications');
    expect(markdown).toContain('parity');
    await byTest('card-downloaded').waitFor();
    await shot('governance-05-card');
  }, 60_000);

  it('posts a comment with an @mention, and the mentioned reviewer is notified', async () => {
    await page.goto(`${server.url}/models/${governance.model}/versions/1`);
    await byTest('comments').waitFor({ timeout: 15_000 });
    await byTest('comment-new-body').fill(`@${governance.reviewer.name} thanks, the fairness table is on the card <b>now</b>`);
    await byTest('comment-new-submit').click();
    await expect.poll(() => byTest('comment-threads').textContent(), { timeout: 15_000 }).toContain('the fairness table is on the card <b>now</b>');
    expect(await byTest('comment-threads').getByTestId('mention').first().textContent()).toBe(`@${governance.reviewer.name}`);
    // Shown as text: the markup in the body is not markup on the page.
    expect(await byTest('comment-threads').locator('b').count()).toBe(0);

    const r = (id: string) => reviewerPage.getByTestId(id);
    await reviewerPage.goto(`${server.url}/governance/approvals`);
    await expect.poll(() => r('notifications-unread').textContent(), { timeout: 15_000 }).toBe('1');
    await r('notifications-button').click();
    const panel = r('notifications-panel');
    expect(await panel.textContent()).toContain(`admin mentioned you on ${governance.model} v1`);
    await panel.locator('.notification-item').first().click();
    await reviewerPage.waitForURL(new RegExp(`/models/${governance.model}/versions/1$`));
    await expect.poll(() => r('notifications-unread').count(), { timeout: 15_000 }).toBe(0);
    await expect.poll(() => r('comment-threads').textContent(), { timeout: 15_000 }).toContain('fairness table');
    await reviewerPage.screenshot({ path: join(ARTIFACTS, 'governance-06-mention.png'), fullPage: true });
  }, 60_000);

  it('shows the audit log and verifies the chain', async () => {
    await page.goto(`${server.url}/governance/audit`);
    await byTest('audit-table').waitFor({ timeout: 15_000 });
    expect(await byTest('audit-table').locator('tbody tr').count()).toBeGreaterThan(10);
    const first = byTest('audit-table').locator('tbody tr').first();
    await first.getByRole('button').click();
    await byTest('audit-payload').first().waitFor();
    await byTest('audit-verify-button').click();
    await expect.poll(() => byTest('audit-verify-status').textContent(), { timeout: 30_000 }).toBe('OK: the chain is intact');
    expect(await byTest('audit-verify-result').textContent()).toMatch(/[\d,]+ records checked/);
    await shot('governance-07-audit');
  }, 60_000);

  it('shows an experiment logged through the MLflow API: chosen columns, a filter, sorting, the comparison of two runs and a run page', async () => {
    const seeded = await seedExperiment(server.url, token);
    const run = (name: string) => seeded.runs.find((r) => r.name === name)!;
    const latest = (name: string, metric: string) => run(name).metrics[metric]!.at(-1)!;
    const rows = () => byTest('runs-table').locator('tbody tr');
    const firstRunName = async () => (await rows().first().getAttribute('data-testid'))?.replace('run-row-', '');

    await byTest('nav-experiments').click();
    await page.waitForURL(/\/experiments$/);
    const listed = byTest(`experiment-row-${seeded.experiment}`);
    await listed.waitFor({ timeout: 15_000 });
    expect(await listed.getByTestId('experiment-run-count').textContent()).toBe(String(seeded.runs.length));
    expect(await listed.textContent()).toContain('team=retention');
    await shot('experiments-01-list');

    // An empty experiment made with the form says how to log to it; deleted, it moves to the Deleted view.
    await byTest('create-experiment').click();
    await byTest('experiment-name').fill('scratch-ideas');
    await byTest('experiment-tags').fill('owner=walker');
    await byTest('experiment-submit').click();
    await page.waitForURL(/\/experiments\/\d+$/);
    await byTest('runs-empty').waitFor({ timeout: 15_000 });
    expect(await byTest('runs-empty').textContent()).toContain('mlflow.set_experiment("scratch-ideas")');
    page.once('dialog', (dialog) => void dialog.accept());
    await byTest('experiment-delete').click();
    await byTest('experiment-restore').waitFor({ timeout: 15_000 });
    await byTest('nav-experiments').click();
    await listed.waitFor({ timeout: 15_000 });
    expect(await byTest('experiment-row-scratch-ideas').count()).toBe(0);
    await byTest('experiments-view-deleted').click();
    await byTest('experiment-row-scratch-ideas').waitFor({ timeout: 15_000 });
    expect(await listed.count()).toBe(0);
    await byTest('experiments-view-active').click();

    await listed.getByRole('link', { name: seeded.experiment }).click();
    await page.waitForURL(new RegExp(`/experiments/${seeded.experimentId}$`));
    await byTest('runs-table').waitFor({ timeout: 15_000 });
    expect(await rows().count()).toBe(seeded.runs.length);

    // The first three metrics are shown until columns are chosen; rmse is added with the chooser, and a param.
    expect(await byTest('runs-table').getByTestId('cell-metric-accuracy').count()).toBe(seeded.runs.length);
    expect(await byTest('runs-table').getByTestId('cell-metric-rmse').count()).toBe(0);
    await byTest('column-chooser-button').click();
    await byTest('column-metric-rmse').check();
    await byTest('column-param-learning_rate').check();
    await byTest('column-chooser-button').click();
    for (const r of seeded.runs) {
      const row = byTest(`run-row-${r.name}`);
      expect(await row.getByTestId('cell-metric-rmse').textContent()).toBe(String(latest(r.name, 'rmse')));
      expect(await row.getByTestId('cell-param-learning_rate').textContent()).toBe(r.params.learning_rate);
      expect(await row.getByTestId('cell-metric-accuracy').textContent()).toBe(String(latest(r.name, 'accuracy')));
    }
    // The choice is kept for the experiment.
    await page.reload();
    await byTest('runs-table').waitFor({ timeout: 15_000 });
    expect(await byTest('run-row-sgd-slow').getByTestId('cell-metric-rmse').textContent()).toBe(String(latest('sgd-slow', 'rmse')));

    // Sorting by a metric column is done by the server (order_by).
    await byTest('sort-metrics.accuracy').click();
    await expect.poll(firstRunName, { timeout: 15_000 }).toBe('sgd-slow');
    await byTest('sort-metrics.accuracy').click();
    await expect.poll(firstRunName, { timeout: 15_000 }).toBe('adam-wide');

    // A filter in MLflow's grammar narrows the rows; a broken one says why under the box.
    await byTest('runs-filter').fill('metrics.accuracy >>> 0.9');
    await byTest('runs-filter').press('Enter');
    await expect.poll(() => byTest('filter-error').textContent(), { timeout: 15_000 }).toMatch(/\S/);
    await byTest('runs-filter').fill('metrics.accuracy > 0.9');
    await byTest('runs-filter').press('Enter');
    await expect.poll(() => rows().count(), { timeout: 15_000 }).toBe(2);
    expect(await byTest('filter-error').count()).toBe(0);
    expect(await byTest('run-row-sgd-slow').count()).toBe(0);
    expect(new URL(page.url()).searchParams.get('filter')).toBe('metrics.accuracy > 0.9');
    await shot('experiments-02-runs-filtered');

    // Two runs compared: params with the differing ones marked, a metric's curves, parallel coordinates.
    await byTest('select-run-adam-fast').check();
    await byTest('select-run-adam-wide').check();
    expect(await byTest('compare-runs').textContent()).toBe('Compare (2)');
    await byTest('compare-runs').click();
    await page.waitForURL(/\/runs\/compare\?runs=/);
    await byTest('compare-params').waitFor({ timeout: 15_000 });
    expect(await byTest('compare-param-learning_rate').getAttribute('data-differs')).toBe('true');
    expect(await byTest('compare-param-scheduler').getAttribute('data-differs')).toBe('true');
    expect(await byTest('compare-param-optimizer').getAttribute('data-differs')).toBe('false');
    expect(await byTest('differing-summary').textContent()).toContain('2 of 4 params differ');
    expect(await drawn('Metric accuracy over steps'), 'the metric chart drew nothing').toBeGreaterThan(10);
    const legend = await figure('Metric accuracy over steps').textContent();
    expect(legend).toContain('adam-fast');
    expect(legend).toContain('adam-wide');
    await byTest('compare-metric-select').selectOption('loss');
    expect(await drawn('Metric loss over steps'), 'the loss chart drew nothing').toBeGreaterThan(10);
    await byTest('metric-curves-table-toggle').click();
    expect(await byTest('metric-curves-table').locator('tbody tr').count()).toBe(seeded.steps);
    expect(await byTest('metric-curves-table').locator('tbody tr').last().textContent()).toContain(String(latest('adam-wide', 'loss')));
    expect(await drawn('Parallel coordinates of the runs'), 'the parallel-coordinates chart drew nothing').toBeGreaterThan(10);
    expect(await figure('Parallel coordinates of the runs').textContent()).toContain('param scheduler');
    await byTest('parallel-table-toggle').click();
    expect(await byTest('parallel-table').locator('tbody tr').count()).toBe(2);
    expect(await byTest('parallel-table').textContent()).toContain('cosine');
    expect(await byTest('error').count()).toBe(0);
    await shot('experiments-03-compare');

    // A run's page: its facts, params, a metric's history, the dataset it used, its model and artifacts.
    await byTest('compare-run-adam-wide').getByRole('link', { name: 'adam-wide' }).click();
    await page.waitForURL(new RegExp(`/runs/${run('adam-wide').id}$`));
    await expect.poll(() => byTest('run-name').textContent(), { timeout: 15_000 }).toBe('adam-wide');
    expect(await byTest('run-status').textContent()).toBe('FINISHED');
    expect(await byTest('run-duration').textContent()).toBe('6 min 00 s');
    expect(await byTest('run-params-learning_rate').textContent()).toContain('0.003');
    expect(await byTest('run-metric-rmse').getByTestId('metric-value').textContent()).toBe(String(latest('adam-wide', 'rmse')));
    await byTest('metric-toggle-accuracy').click();
    expect(await drawn(`accuracy over ${seeded.steps} logged points, by step`), 'the run metric chart drew nothing').toBeGreaterThan(5);
    expect(await byTest('run-models').textContent()).toContain('sklearn');
    await byTest(`artifact-open-${seeded.artifact.folder}`).click();
    await byTest(`artifact-download-${seeded.artifact.folder}/${seeded.artifact.file}`).waitFor({ timeout: 15_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), byTest(`artifact-download-${seeded.artifact.folder}/${seeded.artifact.file}`).click()]);
    expect(download.suggestedFilename()).toBe(seeded.artifact.file);
    expect(await readFile((await download.path())!, 'utf8')).toBe(seeded.artifact.text);
    await shot('experiments-04-run');

    // The model version registered from the run links both ways.
    await byTest('run-registered').getByRole('link', { name: `${seeded.model.name} v${seeded.model.version}` }).click();
    await page.waitForURL(new RegExp(`/models/${seeded.model.name}/versions/${seeded.model.version}$`));
    await byTest('lineage-run').click();
    await page.waitForURL(new RegExp(`/runs/${run('adam-wide').id}$`));
    await expect.poll(() => byTest('run-name').textContent(), { timeout: 15_000 }).toBe('adam-wide');

    // The baseline's input links to the Steward dataset version it names.
    await page.goto(`${server.url}/runs/${run('sgd-slow').id}`);
    await byTest('input-dataset-link').waitFor({ timeout: 15_000 });
    expect(await byTest('input-dataset-link').getAttribute('href')).toBe(`/datasets/${seeded.dataset.name}/versions/${seeded.dataset.version}`);
    expect(await byTest('run-inputs').textContent()).toContain('training');
    expect(await byTest('error').count()).toBe(0);
  }, 120_000);

  it('trains a model from the Training page: a bad target refused with the field, then learning curves, importance, and registration', async () => {
    await byTest('nav-training').click();
    await page.waitForURL(/\/training$/);
    await byTest('new-training').click();
    await page.waitForURL(/\/training\/new$/);
    await byTest('training-dataset').selectOption('hmda');
    // a target with one value is refused before anything runs, and the message names the field
    await byTest('training-target').selectOption('pirat');
    await byTest('training-task').selectOption('binary');
    await byTest('training-submit').click();
    await expect.poll(() => byTest('error').textContent(), { timeout: 15_000 }).toMatch(/task: binary needs a target with two classes/);
    expect(page.url()).toMatch(/\/training\/new$/);

    await byTest('training-target').selectOption('deny');
    await byTest('training-task').selectOption('');
    await byTest('training-param-numRounds').fill('30');
    await byTest('training-param-maxDepth').fill('3');
    await byTest('training-submit').click();
    await page.waitForURL(/\/training\/[0-9a-f-]{36}$/);
    await expect.poll(() => byTest('training-status').textContent(), { timeout: 60_000 }).toBe('succeeded');
    expect(await byTest('training-best').textContent()).toMatch(/^auc 0\.\d+/);
    expect(await drawn('auc per round, training and validation'), 'the learning curve drew nothing').toBeGreaterThan(2);
    expect(await drawn('Feature importance (total gain), top 20'), 'the importance chart drew nothing').toBeGreaterThan(2);
    expect(await byTest('training-importance-table').locator('tbody tr').count()).toBeGreaterThan(3);
    await shot('training-01-job');

    await byTest('training-register-model').fill('hmda-deny');
    await byTest('training-register-submit').click();
    await byTest('training-registered').waitFor({ timeout: 30_000 });
    expect(await byTest('training-registered').textContent()).toMatch(/hmda-deny version 1 \(xgboost-json, a new model\)/);
    await byTest('training-registered').getByRole('link').click();
    await page.waitForURL(/\/models\/hmda-deny\/versions\/1$/);
    await shot('training-02-registered');
    await byTest('nav-training').click();
    await byTest('training-row').first().waitFor({ timeout: 15_000 });
    expect(await byTest('training-row').first().textContent()).toContain('succeeded');
    expect(await byTest('error').count()).toBe(0);
  }, 120_000);

  it('loads the main pages of a large catalogue (100 models × 20 versions, 100k predictions) and reports the times', async () => {
    const seeded = await seedCatalogue(server.url, token, join(dir, 'home'));
    const timings: Record<string, { loadMs: number; readyMs: number }> = {};
    const measure = async (name: string, path: string, ready: string) => {
      const started = Date.now();
      await page.goto(`${server.url}${path}`);
      await byTest(ready).first().waitFor({ timeout: 30_000 });
      const readyMs = Date.now() - started;
      // Runs in the page (a string, as the test's TypeScript has no DOM types).
      const loadMs = (await page.evaluate("(() => { const nav = performance.getEntriesByType('navigation')[0]; return nav ? nav.loadEventEnd - nav.startTime : -1; })()")) as number;
      timings[name] = { loadMs: Math.round(loadMs), readyMs };
    };
    await measure('models list', '/models', 'models-table');
    await measure('model page (20 versions)', '/models/model-050', 'versions-table');
    await measure('deployments list', '/deployments', 'deployments-table');
    await measure('deployment page (100k predictions logged)', '/deployments/seeded', 'revisions-table');
    await measure('dataset profile', '/datasets/hmda/versions/1', 'profile-table');
    await writeFile(join(ARTIFACTS, 'page-timings.json'), JSON.stringify({ seeded, timings }, null, 2));
    console.log(`page timings (ms: load event / key content visible) on ${seeded.models}×${seeded.versionsPerModel} versions, ${seeded.predictions} predictions:`);
    for (const [name, t] of Object.entries(timings)) console.log(`  ${name.padEnd(44)} ${String(t.loadMs).padStart(5)} / ${String(t.readyMs).padStart(5)}`);
    expect(Object.keys(timings)).toHaveLength(5);
    await shot('12-large-catalogue');
  }, 300_000);
});
