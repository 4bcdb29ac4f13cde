import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../../test/support/harness.js';

let h: Harness;
let viewer: Record<string, string>;

beforeAll(async () => {
  h = await createHarness();
  viewer = { authorization: `Bearer ${await h.tokenFor('viewer')}` };
});
afterAll(() => h.close());

describe('jobs API', () => {
  it('shows a job with its status and lists jobs newest first with filters', async () => {
    const project = await h.store.projects.getByName('default');
    const first = await h.store.transaction((tx) => h.services.jobs.enqueue(tx, 'tester', { type: 'demo.one', payload: { n: 1 }, projectId: project!.id }));
    const second = await h.store.transaction((tx) => h.services.jobs.enqueue(tx, 'tester', { type: 'demo.two', payload: { n: 2 } }));
    const one = await h.app.inject({ method: 'GET', url: `/api/v1/jobs/${first.id}`, headers: viewer });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ id: first.id, type: 'demo.one', status: 'QUEUED', project: 'default', payload: { n: 1 }, progress: 0, attempts: 0, result: null });
    const admin = { authorization: `Bearer ${h.adminToken}` };
    const all = (await h.app.inject({ method: 'GET', url: '/api/v1/jobs', headers: admin })).json();
    expect(all.items.map((j: { id: string }) => j.id)).toEqual([second.id, first.id]);
    // A viewer sees the default project's jobs only, and not Steward's own (no project).
    const mine = (await h.app.inject({ method: 'GET', url: '/api/v1/jobs', headers: viewer })).json();
    expect(mine.items.map((j: { id: string }) => j.id)).toEqual([first.id]);
    expect((await h.app.inject({ method: 'GET', url: `/api/v1/jobs/${second.id}`, headers: viewer })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'GET', url: `/api/v1/jobs/${second.id}`, headers: admin })).statusCode).toBe(200);
    const typed = (await h.app.inject({ method: 'GET', url: '/api/v1/jobs?type=demo.one&status=queued', headers: viewer })).json();
    expect(typed.items.map((j: { id: string }) => j.id)).toEqual([first.id]);
    const paged = (await h.app.inject({ method: 'GET', url: '/api/v1/jobs?limit=1', headers: admin })).json();
    const next = (await h.app.inject({ method: 'GET', url: `/api/v1/jobs?limit=1&cursor=${paged.nextCursor}`, headers: admin })).json();
    expect(next.items.map((j: { id: string }) => j.id)).toEqual([first.id]);
  });

  it('answers 404 for an unknown job, 400 for a bad status, and 401 without a token', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/jobs/nope', headers: viewer })).json().error.code).toBe('JOB_NOT_FOUND');
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/jobs?status=DONE', headers: viewer })).statusCode).toBe(400);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/jobs' })).statusCode).toBe(401);
  });
});
