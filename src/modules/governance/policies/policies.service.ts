import { createHash } from 'node:crypto';
import type { MetadataStore } from '../../../db/metadata-store.js';
import type { PolicyRow, ProjectRow } from '../../../db/schema.js';
import { isUniqueViolation } from '../../../db/executor.js';
import { isoTime, type Clock } from '../../../platform/clock.js';
import { conflict, invalidField, notFound } from '../../../platform/errors.js';
import { newId } from '../../../platform/ids.js';
import type { Principal } from '../../../platform/principal.js';
import { optionalString } from '../../../platform/validate.js';
import { domainEvent } from '../../events/domain-event.js';
import { resolveProject } from '../../projects/projects.service.js';
import { canonicalPolicy, defaultPolicy, isRiskTier, parsePolicyText, RISK_TIERS, type PolicyDocument, type RiskTier } from './policy-document.js';

export interface PolicyView {
  id: string | null;
  project: string;
  tier: RiskTier;
  /** 0 for the built-in default (nothing published yet). */
  version: number;
  document: PolicyDocument;
  /** The text as published (JSON or YAML), or the default as JSON. */
  source: string;
  sha256: string | null;
  comment: string;
  createdAt: string | null;
  createdBy: string | null;
  /** True for a tier's built-in default. */
  builtIn: boolean;
  /** Only for a high tier without a published policy: governed moves are refused. */
  refusesGovernedMoves: boolean;
}

function view(project: ProjectRow, row: PolicyRow): PolicyView {
  return {
    id: row.id,
    project: project.name,
    tier: row.tier as RiskTier,
    version: Number(row.version),
    document: JSON.parse(row.document) as PolicyDocument,
    source: row.source,
    sha256: row.sha256,
    comment: row.comment,
    createdAt: row.created_at,
    createdBy: row.created_by,
    builtIn: false,
    refusesGovernedMoves: false,
  };
}

function defaultView(project: ProjectRow, tier: RiskTier): PolicyView {
  const d = defaultPolicy(tier);
  return {
    id: null,
    project: project.name,
    tier,
    version: 0,
    document: d.doc,
    source: JSON.stringify(d.doc, null, 2),
    sha256: null,
    comment: 'built-in default',
    createdAt: null,
    createdBy: null,
    builtIn: true,
    refusesGovernedMoves: d.refuseGoverned,
  };
}

function tierOf(value: string): RiskTier {
  if (!isRiskTier(value)) throw invalidField('tier', `must be one of ${RISK_TIERS.join(', ')}`);
  return value;
}

/**
 * Policies as code, per project and risk tier. Publishing checks the text and stores it as the tier's next
 * version; published versions are never changed or deleted (a change is a new version), so any past
 * decision can be traced to the exact policy text it applied.
 */
export class PoliciesService {
  constructor(private readonly deps: { store: MetadataStore; clock: Clock }) {}

  /** Checks policy text without publishing it: the parsed document, or a 400 naming the field at fault. */
  validate(input: { policy: unknown }): PolicyDocument {
    if (typeof input.policy !== 'string') throw invalidField('policy', 'must be the policy text (JSON or YAML)');
    return parsePolicyText(input.policy);
  }

  async publish(actor: Principal, projectName: string, tierText: string, input: { policy: unknown; comment?: unknown }): Promise<PolicyView> {
    const tier = tierOf(tierText);
    const doc = this.validate(input);
    const comment = optionalString('comment', input.comment, 2_000) ?? '';
    const source = input.policy as string;
    const document = canonicalPolicy(doc);
    const { store, clock } = this.deps;
    try {
      return await store.transaction(async (tx) => {
        const project = await resolveProject(tx, projectName);
        const latest = await tx.governance.latestPolicy(project.id, tier);
        const row: PolicyRow = {
          id: newId(clock.now()),
          project_id: project.id,
          tier,
          version: latest ? Number(latest.version) + 1 : 1,
          document,
          source,
          sha256: createHash('sha256').update(document).digest('hex'),
          comment,
          created_at: isoTime(clock),
          created_by: actor.name,
        };
        await tx.governance.insertPolicy(row);
        await tx.events.append(
          domainEvent(clock, actor.name, 'policy.published', { type: 'policy', id: row.id, projectId: project.id }, {
            tier,
            version: row.version,
            sha256: row.sha256,
            comment,
            before: latest ? { version: Number(latest.version), sha256: latest.sha256 } : null,
            after: { version: row.version, sha256: row.sha256 },
          }),
        );
        return view(project, row);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('POLICY_CHANGED', `another version of the ${tier} policy was published meanwhile; publish again`);
      throw err;
    }
  }

  /** The policy in force for each tier (published or built-in). */
  async current(projectName: string): Promise<PolicyView[]> {
    const { store } = this.deps;
    const project = await resolveProject(store, projectName);
    return Promise.all(
      RISK_TIERS.map(async (tier) => {
        const row = await store.governance.latestPolicy(project.id, tier);
        return row ? view(project, row) : defaultView(project, tier);
      }),
    );
  }

  /** Every published version of a tier, newest first. */
  async history(projectName: string, tierText: string): Promise<PolicyView[]> {
    const tier = tierOf(tierText);
    const project = await resolveProject(this.deps.store, projectName);
    return (await this.deps.store.governance.listPolicies(project.id, tier)).map((r) => view(project, r));
  }

  /** One version (0: the built-in default), or the one in force when `version` is 'current'. */
  async get(projectName: string, tierText: string, versionText: string): Promise<PolicyView> {
    const tier = tierOf(tierText);
    const project = await resolveProject(this.deps.store, projectName);
    if (versionText === 'current') {
      const row = await this.deps.store.governance.latestPolicy(project.id, tier);
      return row ? view(project, row) : defaultView(project, tier);
    }
    if (!/^\d{1,9}$/.test(versionText)) throw invalidField('version', "must be a version number or 'current'");
    const version = Number(versionText);
    if (version === 0) return defaultView(project, tier);
    const row = await this.deps.store.governance.policyVersion(project.id, tier, version);
    if (!row) throw notFound('POLICY_NOT_FOUND', `the ${tier} policy of project '${project.name}' has no version ${version}`, { field: 'version' });
    return view(project, row);
  }
}
