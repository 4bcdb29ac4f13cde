/**
 * Calls of the explanation routes through the typed client. The report's `params` and `result` are free-form
 * objects in the OpenAPI document: they are given the server's shapes here (see ./types), nowhere else.
 */
import { api, type Ok } from '../../api/client';
import type { ExplainBody, Explanation, ExplanationReport, ExplanationReportSummary, PredictionExplanation, ReportParams, ReportResult, StartReportBody } from './types';

/** A model version: its name and version number. */
export interface VersionRef {
  name: string;
  version: number;
}

/** A report as the server sends it, listed (without a result) or alone. */
type ApiReport = Ok<'/api/v1/models/{name}/versions/{version}/explanations/{id}', 'get'>;

function summary(r: ApiReport): ExplanationReportSummary {
  const { result: _result, ...rest } = r;
  return { ...rest, params: r.params as unknown as ReportParams };
}

function report(r: ApiReport): ExplanationReport {
  return { ...summary(r), result: (r.result ?? null) as unknown as ReportResult | null };
}

export const explainApi = {
  /** SHAP values of rows sent as to /predict. */
  explain: (project: string, deployment: string, body: ExplainBody, signal?: AbortSignal): Promise<Explanation> =>
    api.post('/api/v1/deployments/{name}/explain', { path: { name: deployment }, query: { project }, body, signal }),

  /** The explanation of one logged prediction. */
  prediction: (project: string, id: string, signal?: AbortSignal): Promise<PredictionExplanation> => api.get('/api/v1/predictions/{id}/explanation', { path: { id }, query: { project }, signal }),

  /** A version's reports, newest first, without their results. */
  reports: async (project: string, v: VersionRef, signal?: AbortSignal): Promise<{ items: ExplanationReportSummary[] }> => {
    const r = await api.get('/api/v1/models/{name}/versions/{version}/explanations', { path: v, query: { project }, signal });
    return { items: r.items.map(summary) };
  },

  report: async (project: string, v: VersionRef, id: string, signal?: AbortSignal): Promise<ExplanationReport> =>
    report(await api.get('/api/v1/models/{name}/versions/{version}/explanations/{id}', { path: { ...v, id }, query: { project }, signal })),

  /** Answers 202 with the queued report. */
  start: async (project: string, v: VersionRef, body: StartReportBody, signal?: AbortSignal): Promise<ExplanationReport> =>
    report(await api.post('/api/v1/models/{name}/versions/{version}/explanations', { path: v, query: { project }, body, signal })),

  /** Answers 202 with the report queued again. */
  retry: async (project: string, v: VersionRef, id: string, signal?: AbortSignal): Promise<ExplanationReport> =>
    report(await api.post('/api/v1/models/{name}/versions/{version}/explanations/{id}/retry', { path: { ...v, id }, query: { project }, signal })),
};
