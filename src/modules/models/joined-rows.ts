import { sql } from 'kysely';
import type { ModelRow, ProjectRow } from '../../db/schema.js';

/**
 * Column lists for lookups that join a model (alias m) and its project (alias p) into one row, with
 * prefixes so that their columns do not collide with each other or with a version's (alias v).
 */
export const MODEL_COLUMNS = sql.raw(
  'm.id as m_id, m.project_id as m_project_id, m.name as m_name, m.description as m_description, m.owner as m_owner, ' +
    'm.last_version as m_last_version, m.created_at as m_created_at, m.created_by as m_created_by, m.updated_at as m_updated_at, m.updated_by as m_updated_by, m.risk_tier as m_risk_tier',
);
export const PROJECT_COLUMNS = sql.raw('p.name as p_name, p.description as p_description, p.created_at as p_created_at, p.created_by as p_created_by');

export interface PrefixedModel {
  m_id: string;
  m_project_id: string;
  m_name: string;
  m_description: string;
  m_owner: string;
  m_last_version: number;
  m_created_at: string;
  m_created_by: string;
  m_updated_at: string;
  m_updated_by: string;
  m_risk_tier: string;
}

export interface PrefixedProject {
  p_name: string;
  p_description: string;
  p_created_at: string;
  p_created_by: string;
}

/** Splits a joined row into the project, the model, and the remaining (unprefixed) columns. */
export function splitJoined<T extends PrefixedModel & PrefixedProject>(row: T): { project: ProjectRow; model: ModelRow; rest: Omit<T, keyof PrefixedModel | keyof PrefixedProject> } {
  const {
    m_id,
    m_project_id,
    m_name,
    m_description,
    m_owner,
    m_last_version,
    m_created_at,
    m_created_by,
    m_updated_at,
    m_updated_by,
    m_risk_tier,
    p_name,
    p_description,
    p_created_at,
    p_created_by,
    ...rest
  } = row;
  return {
    project: { id: m_project_id, name: p_name, description: p_description, created_at: p_created_at, created_by: p_created_by },
    model: {
      id: m_id,
      project_id: m_project_id,
      name: m_name,
      description: m_description,
      owner: m_owner,
      last_version: Number(m_last_version),
      created_at: m_created_at,
      created_by: m_created_by,
      updated_at: m_updated_at,
      updated_by: m_updated_by,
      risk_tier: m_risk_tier,
    },
    rest,
  };
}
