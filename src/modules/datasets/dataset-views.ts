import type { DatasetRow, DatasetVersionRow } from '../../db/schema.js';
import type { ColumnSchema } from '../../data/column-types.js';

export interface DatasetView {
  name: string;
  project: string;
  description: string;
  lastVersion: number;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

export interface DatasetVersionView {
  dataset: string;
  project: string;
  version: number;
  /** Content id: the SHA-256 of the uploaded file (or of the stored form, for derived versions). */
  sha256: string;
  rows: number;
  columns: ColumnSchema[];
  source: { format: string; name: string; size: number; sha256: string; csv: Record<string, unknown> | null };
  stored: { format: 'parquet'; size: number; sha256: string };
  lineage: { source: string | null; derivedFrom: { dataset: string; version: number } | null; recipe: unknown; split: unknown };
  description: string;
  profileStatus: 'PENDING' | 'READY' | 'FAILED';
  profileJob: string | null;
  createdAt: string;
  createdBy: string;
}

export function datasetView(d: DatasetRow, project: string): DatasetView {
  return {
    name: d.name,
    project,
    description: d.description,
    lastVersion: Number(d.last_version),
    createdAt: d.created_at,
    createdBy: d.created_by,
    updatedAt: d.updated_at,
    updatedBy: d.updated_by,
  };
}

export function datasetVersionView(v: DatasetVersionRow, dataset: string, project: string, derivedFrom: { dataset: string; version: number } | null): DatasetVersionView {
  return {
    dataset,
    project,
    version: Number(v.version),
    sha256: v.sha256,
    rows: Number(v.row_count),
    columns: JSON.parse(v.schema) as ColumnSchema[],
    source: {
      format: v.source_format,
      name: v.source_name,
      size: Number(v.source_size),
      sha256: v.source_sha256,
      csv: v.csv === null ? null : (JSON.parse(v.csv) as Record<string, unknown>),
    },
    stored: { format: 'parquet', size: Number(v.stored_size), sha256: v.stored_sha256 },
    lineage: {
      source: v.source,
      derivedFrom,
      recipe: v.recipe === null ? null : (JSON.parse(v.recipe) as unknown),
      split: v.split === null ? null : (JSON.parse(v.split) as unknown),
    },
    description: v.description,
    profileStatus: v.profile_status as DatasetVersionView['profileStatus'],
    profileJob: v.profile_job_id,
    createdAt: v.created_at,
    createdBy: v.created_by,
  };
}
