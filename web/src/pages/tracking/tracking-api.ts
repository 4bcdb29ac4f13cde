/**
 * Calls of Steward's tracking routes (experiments, runs, metric histories, run artifacts, comparisons)
 * with the bearer token, through the client's raw request helper: the answers are given the shapes of
 * ./types. Errors are the client's ApiError (a bad filter is a 400 whose details name the field).
 */
import { buildUrl, requestJson } from '../../api/client';
import type { ArtifactListing, ExperimentView, MetricHistory, NewExperiment, RunComparison, RunDetail, RunsPage, ViewFilter } from './types';

type Query = Record<string, string | number | string[] | undefined | null>;

const call = <T>(method: string, template: string, options: { path?: Record<string, string>; query?: Query; body?: unknown; signal?: AbortSignal | undefined } = {}): Promise<T> =>
  requestJson<T>(method, template, options);

export interface RunSearch {
  filter?: string;
  /** MLflow order_by clauses, e.g. "metrics.accuracy DESC". */
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string | undefined;
  view?: ViewFilter;
}

export const trackingApi = {
  experiments: (project: string, view: ViewFilter, signal?: AbortSignal) => call<{ items: ExperimentView[] }>('GET', '/api/v1/experiments', { query: { project, view }, signal }),

  createExperiment: (project: string, body: NewExperiment) => call<ExperimentView>('POST', '/api/v1/experiments', { query: { project }, body: { project, ...body } }),

  experiment: (project: string, id: string, signal?: AbortSignal) => call<ExperimentView>('GET', '/api/v1/experiments/{id}', { path: { id }, query: { project }, signal }),

  renameExperiment: (project: string, id: string, name: string) => call<ExperimentView>('PATCH', '/api/v1/experiments/{id}', { path: { id }, query: { project }, body: { name } }),

  deleteExperiment: (project: string, id: string) => call<void>('DELETE', '/api/v1/experiments/{id}', { path: { id }, query: { project } }),

  restoreExperiment: (project: string, id: string) => call<unknown>('POST', '/api/v1/experiments/{id}/restore', { path: { id }, query: { project } }),

  runs: (project: string, experimentId: string, search: RunSearch, signal?: AbortSignal) =>
    call<RunsPage>('GET', '/api/v1/experiments/{id}/runs', {
      path: { id: experimentId },
      query: {
        project,
        filter: search.filter || undefined,
        orderBy: search.orderBy && search.orderBy.length > 0 ? search.orderBy : undefined,
        maxResults: search.maxResults,
        pageToken: search.pageToken,
        view: search.view,
      },
      signal,
    }),

  run: (project: string, id: string, signal?: AbortSignal) => call<RunDetail>('GET', '/api/v1/runs/{id}', { path: { id }, query: { project }, signal }),

  deleteRun: (project: string, id: string) => call<void>('DELETE', '/api/v1/runs/{id}', { path: { id }, query: { project } }),

  restoreRun: (project: string, id: string) => call<unknown>('POST', '/api/v1/runs/{id}/restore', { path: { id }, query: { project } }),

  /** Every point of a metric's history (the pages of the answer, read one after another). */
  metricHistory: async (project: string, id: string, key: string, signal?: AbortSignal): Promise<MetricHistory> => {
    const points: MetricHistory['points'] = [];
    let pageToken: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const page = await call<MetricHistory>('GET', '/api/v1/runs/{id}/metrics/{key}', { path: { id, key }, query: { project, pageToken }, signal });
      points.push(...page.points);
      if (!page.nextPageToken) break;
      pageToken = page.nextPageToken;
    }
    return { key, points };
  },

  artifacts: (project: string, id: string, path: string, signal?: AbortSignal) => call<ArtifactListing>('GET', '/api/v1/runs/{id}/artifacts', { path: { id }, query: { project, path: path || undefined }, signal }),

  /** The address of one artifact file's bytes (fetched with the token, see lib/download). */
  artifactFileUrl: (project: string, id: string, path: string) => buildUrl('/api/v1/runs/{id}/artifacts/file', { id }, { project, path }),

  compare: async (project: string, runs: string[], metrics: string[] | undefined, signal?: AbortSignal): Promise<RunComparison> => {
    const c = await call<RunComparison>('GET', '/api/v1/runs/compare', { query: { project, runs: runs.join(','), metrics: metrics && metrics.length > 0 ? metrics.join(',') : undefined }, signal });
    // The keys of every run, when the answer leaves them out.
    const union = (pick: (r: RunComparison['runs'][number]) => Record<string, unknown>) => [...new Set(c.runs.flatMap((r) => Object.keys(pick(r))))].sort();
    return { ...c, metricKeys: c.metricKeys ?? union((r) => r.metrics), paramKeys: c.paramKeys ?? union((r) => r.params), differingParams: c.differingParams ?? [], histories: c.histories ?? {} };
  },
};
