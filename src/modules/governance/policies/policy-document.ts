/**
 * Policies as code: what a model version of a risk tier needs before it may enter a stage, take a protected
 * alias, or serve traffic in a deployment. A policy is written as JSON or YAML:
 *
 *   gates:                       # test gates (the same specs a gate run takes), referred to by name
 *     - { name: auc, type: metric, metric: roc_auc, threshold: 0.8 }
 *     - { name: parity, type: fairness, sensitive: race, metric: demographic_parity_difference, tolerance: 0.1 }
 *   stages:                      # requirements to enter a stage (Staging, Production)
 *     Production: { gates: [auc, parity], maxGateAgeDays: 30, approvals: 2,
 *                   modelCard: [considerations.use_cases, considerations.limitations], explanationReport: true }
 *   aliases:                     # protected aliases and what taking them needs
 *     champion: { gates: [auc, parity], approvals: 2 }
 *   deployments: { gates: [auc], approvals: 2 }   # serving traffic (or shadow traffic) in any deployment
 *
 * A requirement lists: `gates` that must have a passing result for exactly the spec the policy gives (a
 * result counts only if its spec hash equals the policy gate's), no older than `maxGateAgeDays` when set;
 * `approvals` from reviewers who are neither the version's author nor the requester (four eyes);
 * `modelCard` fields that must be filled; `explanationReport`: a finished explanation report exists.
 * Moves to Archived or None, alias deletions and traffic removals need nothing.
 */
import { parse as parseYaml } from 'yaml';
import { invalidField } from '../../../platform/errors.js';
import { checkName } from '../../../platform/names.js';
import { CARD_FIELD_PATHS, isCardFieldPath, type CardFieldPath } from '../cards/card-fields.js';
import { canonicalJson, gateSpecHash, parseGateSpecs, type GateSpec } from '../gates/gate-spec.js';

export const RISK_TIERS = ['low', 'medium', 'high'] as const;
export type RiskTier = (typeof RISK_TIERS)[number];

export function isRiskTier(value: unknown): value is RiskTier {
  return typeof value === 'string' && (RISK_TIERS as readonly string[]).includes(value);
}

export const GOVERNED_STAGES = ['Staging', 'Production'] as const;
export type GovernedStage = (typeof GOVERNED_STAGES)[number];

export interface Requirement {
  gates: string[];
  maxGateAgeDays: number | null;
  approvals: number;
  modelCard: CardFieldPath[];
  explanationReport: boolean;
}

export interface PolicyDocument {
  gates: GateSpec[];
  stages: Partial<Record<GovernedStage, Requirement>>;
  aliases: Record<string, Requirement>;
  deployments: Requirement | null;
}

/** The largest policy text accepted. */
export const MAX_POLICY_BYTES = 256 * 1024;
const MAX_APPROVALS = 10;

/** Parses policy text (JSON or YAML) into a checked document; a 400 names the field at fault. */
export function parsePolicyText(text: string): PolicyDocument {
  if (Buffer.byteLength(text) > MAX_POLICY_BYTES) throw invalidField('policy', `is larger than ${MAX_POLICY_BYTES} bytes`);
  let value: unknown;
  try {
    value = parseYaml(text, { maxAliasCount: 100 }); // YAML is a superset of JSON
  } catch (err) {
    throw invalidField('policy', `is neither JSON nor YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return parsePolicyDocument(value);
}

export function parsePolicyDocument(value: unknown): PolicyDocument {
  const doc = object('policy', value);
  known('policy', doc, ['gates', 'stages', 'aliases', 'deployments']);
  const gates = doc.gates === undefined || (Array.isArray(doc.gates) && doc.gates.length === 0) ? [] : parseGateSpecs(doc.gates, 'gates');
  const names = new Set(gates.map((g) => g.name));
  const stages: Partial<Record<GovernedStage, Requirement>> = {};
  if (doc.stages !== undefined) {
    const s = object('stages', doc.stages);
    for (const [stage, req] of Object.entries(s)) {
      if (!(GOVERNED_STAGES as readonly string[]).includes(stage)) throw invalidField(`stages.${stage}`, `is not a governed stage; use ${GOVERNED_STAGES.join(' or ')}`);
      stages[stage as GovernedStage] = requirement(`stages.${stage}`, req, names);
    }
  }
  const aliases: Record<string, Requirement> = {};
  if (doc.aliases !== undefined) {
    const a = object('aliases', doc.aliases);
    for (const [alias, req] of Object.entries(a)) {
      checkName(`aliases.${alias}`, alias);
      aliases[alias] = requirement(`aliases.${alias}`, req, names);
    }
  }
  const deployments = doc.deployments === undefined || doc.deployments === null ? null : requirement('deployments', doc.deployments, names);
  return { gates, stages, aliases, deployments };
}

function requirement(field: string, value: unknown, gateNames: Set<string>): Requirement {
  const r = object(field, value);
  known(field, r, ['gates', 'maxGateAgeDays', 'approvals', 'modelCard', 'explanationReport']);
  const gates: string[] = [];
  if (r.gates !== undefined) {
    if (!Array.isArray(r.gates)) throw invalidField(`${field}.gates`, 'must be a list of gate names from the policy');
    r.gates.forEach((g, i) => {
      if (typeof g !== 'string' || !gateNames.has(g)) throw invalidField(`${field}.gates[${i}]`, `names no gate of this policy (its gates: ${[...gateNames].join(', ') || 'none'})`);
      if (!gates.includes(g)) gates.push(g);
    });
  }
  let maxGateAgeDays: number | null = null;
  if (r.maxGateAgeDays !== undefined && r.maxGateAgeDays !== null) {
    if (typeof r.maxGateAgeDays !== 'number' || !(r.maxGateAgeDays > 0) || r.maxGateAgeDays > 3650) throw invalidField(`${field}.maxGateAgeDays`, 'must be a number of days from above 0 to 3650');
    maxGateAgeDays = r.maxGateAgeDays;
  }
  let approvals = 0;
  if (r.approvals !== undefined) {
    if (typeof r.approvals !== 'number' || !Number.isInteger(r.approvals) || r.approvals < 0 || r.approvals > MAX_APPROVALS) throw invalidField(`${field}.approvals`, `must be an integer from 0 to ${MAX_APPROVALS}`);
    approvals = r.approvals;
  }
  const modelCard: CardFieldPath[] = [];
  if (r.modelCard !== undefined) {
    if (!Array.isArray(r.modelCard)) throw invalidField(`${field}.modelCard`, 'must be a list of model card fields');
    r.modelCard.forEach((p, i) => {
      if (!isCardFieldPath(p)) throw invalidField(`${field}.modelCard[${i}]`, `is not a model card field; fields: ${CARD_FIELD_PATHS.join(', ')}`);
      if (!modelCard.includes(p)) modelCard.push(p);
    });
  }
  if (r.explanationReport !== undefined && typeof r.explanationReport !== 'boolean') throw invalidField(`${field}.explanationReport`, 'must be true or false');
  if (gates.length === 0 && maxGateAgeDays !== null) throw invalidField(`${field}.maxGateAgeDays`, 'needs gates to apply to');
  return { gates, maxGateAgeDays, approvals, modelCard, explanationReport: r.explanationReport === true };
}

function object(field: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidField(field, 'must be an object');
  return value as Record<string, unknown>;
}

function known(field: string, value: Record<string, unknown>, keys: string[]): void {
  for (const k of Object.keys(value)) if (!keys.includes(k)) throw invalidField(`${field === 'policy' ? '' : `${field}.`}${k}`, `is not a policy field; expected ${keys.join(', ')}`);
}

/** The canonical JSON of a checked document (what is stored and hashed). */
export function canonicalPolicy(doc: PolicyDocument): string {
  return canonicalJson(doc);
}

export function gateByName(doc: PolicyDocument, name: string): { spec: GateSpec; hash: string } | undefined {
  const spec = doc.gates.find((g) => g.name === name);
  return spec && { spec, hash: gateSpecHash(spec) };
}

const none = (approvals: number): Requirement => ({ gates: [], maxGateAgeDays: null, approvals, modelCard: [], explanationReport: false });

/**
 * What applies while a project has published no policy for a tier: low — nothing; medium — one approval
 * for Production, the `champion` alias and deployments; high — nothing may reach Production, `champion`
 * or a deployment until a project admin publishes a policy (`null` requirement = refused).
 */
export function defaultPolicy(tier: RiskTier): { doc: PolicyDocument; refuseGoverned: boolean } {
  if (tier === 'low') return { doc: { gates: [], stages: {}, aliases: {}, deployments: null }, refuseGoverned: false };
  if (tier === 'medium') return { doc: { gates: [], stages: { Production: none(1) }, aliases: { champion: none(1) }, deployments: none(1) }, refuseGoverned: false };
  return { doc: { gates: [], stages: { Production: none(0) }, aliases: { champion: none(0) }, deployments: none(0) }, refuseGoverned: true };
}
