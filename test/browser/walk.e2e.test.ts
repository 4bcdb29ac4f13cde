/**
 * The newcomer's walk through the web UI in a real headless Chromium (Debian's /usr/bin/chromium, driven
 * by playwright-core; nothing is downloaded): sign in from the address printed at first start, register a
 * model, upload a dataset and see its profile, deploy the model, send predictions and watch the live
 * charts move, change the weights, roll back; then the monitoring page of a deployment with a reference, drift
 * windows, labels and alert rules; then the explanations of that deployment's xgboost model: a global report on
 * a dataset version started from the version page, and one row's waterfall from "Try it". Screenshots go to
 * test-artifacts/browser/. Then, on a large
 * catalogue (100 models × 20 versions, 100k logged predictions), the load times of the main pages are
 * measured from the browser's performance timings and reported (not asserted).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearModel } from '../fixtures/models.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { MONITORED_FEATURES, seedCatalogue, seedLoanDataset, seedMonitoring } from './seed.js';

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
