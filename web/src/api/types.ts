/** Names for the API's shapes, taken from the generated schema. */
import type { Body, Ok } from './client';

export type WhoAmI = Ok<'/api/v1/whoami', 'get'>;
export type Project = Ok<'/api/v1/projects', 'get'>['items'][number];
export type Model = Ok<'/api/v1/models', 'get'>['items'][number];
export type ModelDetail = Ok<'/api/v1/models/{name}', 'get'>;
export type ModelVersion = Ok<'/api/v1/models/{name}/versions', 'get'>['items'][number];
export type VersionDetail = Ok<'/api/v1/models/{name}/versions/{version}', 'get'>;
export type AliasMove = Ok<'/api/v1/models/{name}/alias-history', 'get'>['items'][number];
export type Dataset = Ok<'/api/v1/datasets', 'get'>['items'][number];
export type DatasetVersion = Ok<'/api/v1/datasets/{name}/versions/{version}', 'get'>;
export type Deployment = Ok<'/api/v1/deployments/{name}', 'get'>;
export type DeploymentSpec = Deployment['spec'];
export type SpecTarget = DeploymentSpec['targets'][number];
export type DeploymentBody = Body<'/api/v1/deployments/{name}', 'put'>;
export type Revision = Ok<'/api/v1/deployments/{name}/revisions', 'get'>['items'][number];
export type Traffic = Ok<'/api/v1/deployments/{name}/traffic', 'get'>;
export type TrafficPoint = Traffic['points'][number];
export type User = Ok<'/api/v1/users', 'get'>['items'][number];
export type Token = Ok<'/api/v1/tokens', 'get'>['items'][number];
export type NewToken = Ok<'/api/v1/tokens', 'post'>;
export type Role = User['role'];

/** A column of a dataset profile (the profile is free-form JSON in the API; see src/data/profile.ts). */
export interface ColumnProfile {
  name: string;
  type: string;
  count: number;
  missing: number;
  distinct: number;
  distinctExact: boolean;
  min?: number | string | boolean | null;
  max?: number | string | boolean | null;
  mean?: number | null;
  std?: number | null;
  quantiles?: Record<string, number | null>;
  histogram?: { edges: (number | string)[]; counts: number[] };
  top?: { value: string | number | boolean; count: number }[];
  trueCount?: number;
  falseCount?: number;
}

export interface DatasetProfile {
  rows: number;
  columns: ColumnProfile[];
  examples: Record<string, unknown>[];
}

/** The answer of POST /api/v1/deployments/{name}/predict (not described by a schema in the API). */
export interface PredictAnswer {
  predictions: unknown[];
  predictionIds: string[];
  modelVersion: { model: string; version: number };
  revision: number;
}
