/**
 * The newcomer's walk through the web UI in a real headless Chromium (Debian's /usr/bin/chromium, driven
 * by playwright-core; nothing is downloaded): sign in from the address printed at first start, register a
 * model, upload a dataset and see its profile, deploy the model, send predictions and watch the live
 * charts move, change the weights, roll back. Screenshots go to test-artifacts/browser/. Then, on a large
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
import { seedCatalogue } from './seed.js';

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

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
const byTest = (id: string) => page.getByTestId(id);

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
    server = await startServerProcess(join(dir, 'home'), { STEWARD_ADMIN_TOKEN: '' });
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
    await byTest('try-body').fill(JSON.stringify({ rows: [{ f0: 1, f1: 2, f2: 3, f3: 4 }] }));
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
    await shot('08-large-catalogue');
  }, 300_000);
});
