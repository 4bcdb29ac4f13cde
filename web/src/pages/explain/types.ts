/**
 * The explanation API's shapes. Requests and answers are taken from the generated schema (as in
 * api/types.ts); the report's `params` and `result` are free-form objects in the OpenAPI document, so they
 * are written out here after ReportParams and ReportResult in src/modules/explain/explain.service.ts.
 */
import type { Body, Ok } from '../../api/client';

/** T without its index signature (the schema's `additionalProperties: true`), so that Omit and Pick keep the named fields. */
type Known<T> = { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };

type ApiExplanation = Known<Ok<'/api/v1/deployments/{name}/explain', 'post'>>;
type ApiReport = Known<Ok<'/api/v1/models/{name}/versions/{version}/explanations/{id}', 'get'>>;
type ApiReportBody = Known<Body<'/api/v1/models/{name}/versions/{version}/explanations', 'post'>>;

export type ExplainMethod = ApiExplanation['method'];

/**
 * What the SHAP values and the bias add up to: 'margin' (trees: log-odds for binary, per-class margins for
 * multiclass), 'logit' or 'log' (probabilities through a link, KernelSHAP) or 'identity'.
 */
export type ShapSpace = 'margin' | 'logit' | 'log' | 'identity';

export type FeatureValue = number | string | null;

/** The body of POST …/explain: the same as /predict's (only the rows form is sent by the UI). */
export type ExplainBody = {
  rows: Record<string, FeatureValue | boolean>[];
};

/**
 * POST /api/v1/deployments/{name}/explain. `model` is the version that answered; `outputs` are
 * ['log-odds'] for binary, 'class k' for multiclass, ['value'] for regression; `shap` is
 * [row][output][feature], `values` [row][feature].
 */
export type Explanation = ApiExplanation;

/** GET /api/v1/predictions/{id}/explanation. */
export type PredictionExplanation = Known<Ok<'/api/v1/predictions/{id}/explanation', 'get'>>;

export type ReportStatus = ApiReport['status'];

/** The job's progress: a fraction from 0 to 1 and what it is doing. */
export type ReportProgress = ApiReport['progress'];

/** The permutation metrics the server accepts (parseReportBody); left out, the task's default is used. */
export const EXPLAIN_METRICS = ['roc_auc', 'accuracy', 'precision', 'recall', 'f1', 'log_loss', 'ece', 'rmse', 'mse', 'mae', 'r2', 'mape'] as const;
export type ExplainMetric = (typeof EXPLAIN_METRICS)[number];

export interface ImportanceItem {
  feature: string;
  meanAbsShap: number;
  perOutput: number[];
}

export interface PermutationImportance {
  metric: string;
  baseline: number;
  repeats: number;
  features: { feature: string; mean: number; std: number }[];
}

/** Partial dependence and ICE of one feature; for classifiers the outputs are probabilities ('probability' or 'class k'). */
export interface PartialDependence {
  feature: string;
  kind: 'numeric' | 'categorical';
  grid: (number | string)[];
  outputs: string[];
  /** [output][grid] */
  average: number[][];
  /** [output][line][grid] */
  ice: number[][][];
}

export interface PartialDependence2d {
  features: [string, string];
  grid: [(number | string)[], (number | string)[]];
  outputs: string[];
  /** [output][a][b] */
  values: number[][][];
}

/** A report's result: ReportResult in src/modules/explain/explain.service.ts (loosely typed in the OpenAPI document). */
export interface ReportResult {
  method: 'tree' | 'kernel';
  note: string | null;
  space: string;
  features: string[];
  outputs: string[];
  bias: number[];
  /** Sorted, largest first. */
  importance: ImportanceItem[];
  /** Every explained row: x [row][feature], shap [row][output][feature]. */
  samples: { x: FeatureValue[][]; shap: number[][][] };
  permutation: PermutationImportance | null;
  partialDependence: PartialDependence[];
  partialDependence2d: PartialDependence2d[];
  additivityError: number;
  /** Mean |SHAP interaction value| per feature pair (tree models; the diagonal is the main effect). */
  interactions?: { rows: number; features: string[]; meanAbs: number[][] } | null;
  /** What could not be computed, and why (reports made before notes existed have none). */
  notes?: string[];
}

/** A report's parameters as the server keeps them: ReportParams in explain.service.ts without the dataset (loosely typed in the OpenAPI document). */
export interface ReportParams {
  rows: number;
  background: number;
  seed: number;
  target: string | null;
  metric: ExplainMetric | null;
  features: string[] | null;
  pairs: [string, string][];
}

/** A report as listed (GET …/explanations, without its result). */
export type ExplanationReportSummary = Omit<ApiReport, 'params' | 'result'> & { params: ReportParams };

/** One report with its result (GET …/explanations/{id}; null until it succeeded). */
export type ExplanationReport = ExplanationReportSummary & { result: ReportResult | null };

/**
 * The body of POST /api/v1/models/{name}/versions/{version}/explanations: `version` is the dataset's version
 * number; `rows` 10–10,000 (default 1,000); `features` for partial dependence (default the 5 most important);
 * at most 3 `pairs` for two-way partial dependence.
 */
export type StartReportBody = Omit<ApiReportBody, 'metric' | 'pairs'> & { metric?: ExplainMetric | null; pairs?: [string, string][] | null };
