/**
 * The audit trail: every state change in Steward is a domain event (who, what, when, with before/after in
 * its payload), appended in the same transaction as the change, and each event carries the SHA-256 of the
 * previous one (audit-chain.ts). This service checks the chain, exports it, and answers "which version
 * served (or held a stage or alias) at time T" from the chained events themselves.
 */
import type { MetadataStore } from '../../db/metadata-store.js';
import type { EventRow } from '../../db/schema.js';
import { invalidField, notFound } from '../../platform/errors.js';
import { checkName } from '../../platform/names.js';
import type { DeploymentSpec } from '../../serving/deployment-spec.js';
import { resolveProject } from '../projects/projects.service.js';
import { chainHash, GENESIS_HASH } from './audit-chain.js';

export type AuditProblemKind = 'edited' | 'deleted' | 'inserted' | 'relinked' | 'unchained' | 'head';

export interface AuditProblem {
  kind: AuditProblemKind;
  /** The record named (its place in the chain and its row), when there is one. */
  chain: number | null;
  seq: number | null;
  id: string | null;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  /** Records read. */
  checked: number;
  head: { chain: number; hash: string } | null;
  lastHash: string;
  problems: AuditProblem[];
  /** True when more problems were found than listed. */
  truncated: boolean;
}

export interface AuditRecord {
  seq: number;
  chain: number | null;
  id: string;
  type: string;
  at: string;
  actor: string;
  projectId: string | null;
  entity: { type: string; id: string };
  payload: unknown;
  prevHash: string | null;
  hash: string | null;
}

export interface ServedAnswer {
  at: string;
  project: string;
  subject: { deployment: string } | { model: string; stage: string } | { model: string; alias: string };
  /** The versions that served (deployment: with their weights and role; stage and alias: one or none). */
  versions: { model: string; version: number; weight?: number; role?: 'target' | 'shadow'; alias?: string | null }[];
  /** The event that set this state (null when nothing had happened by then), as evidence to check. */
  since: { chain: number | null; seq: number; at: string; actor: string; type: string } | null;
}

const PAGE = 1000;
const MAX_PROBLEMS = 100;

function recordOf(r: EventRow): AuditRecord {
  let payload: unknown;
  try {
    payload = JSON.parse(r.payload);
  } catch {
    payload = r.payload; // an edited record may no longer be JSON; export it as it is
  }
  return {
    seq: Number(r.seq),
    chain: r.chain === null ? null : Number(r.chain),
    id: r.id,
    type: r.type,
    at: r.at,
    actor: r.actor,
    projectId: r.project_id,
    entity: { type: r.entity_type, id: r.entity_id },
    payload,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export class AuditService {
  constructor(private readonly deps: { store: MetadataStore }) {}

  /**
   * Walks the whole chain and names every record that was edited (its hash no longer matches its content),
   * deleted (a gap in the chain numbers, or records missing after the last one the head counts),
   * inserted (a record without a chain place, or repeating one) or re-linked (a record that no longer
   * points at the hash of the record before it).
   */
  async verify(): Promise<VerifyReport> {
    const { store } = this.deps;
    const problems: AuditProblem[] = [];
    let total = 0;
    const add = (p: AuditProblem) => {
      total++;
      if (problems.length < MAX_PROBLEMS) problems.push(p);
    };
    // The head is read first: records appended while we walk come after it and are not judged.
    const head = (await store.audit.head()) ?? null;
    let expected = 1;
    let prevHash = GENESIS_HASH;
    let lastChain = 0;
    let checked = 0;
    let after = 0;
    outer: for (;;) {
      const rows = await store.audit.page(after, PAGE);
      if (rows.length === 0) break;
      for (const r of rows) {
        after = Number(r.seq);
        const seq = Number(r.seq);
        if (head && r.chain !== null && Number(r.chain) > head.chain) break outer;
        checked++;
        const name = (chain: number | null) => `record ${chain ?? '?'} (seq ${seq}, id ${r.id}, ${r.type} at ${r.at} by ${r.actor})`;
        if (r.chain === null || r.hash === null || r.prev_hash === null) {
          add({ kind: 'unchained', chain: null, seq, id: r.id, message: `${name(null)} has no place in the chain: it was inserted outside Steward` });
          continue;
        }
        const chain = Number(r.chain);
        if (chain < expected) {
          add({ kind: 'inserted', chain, seq, id: r.id, message: `${name(chain)} repeats chain number ${chain}: a record was inserted` });
          continue;
        }
        if (chain > expected) {
          const missing = chain - expected === 1 ? `record ${expected} is` : `records ${expected}–${chain - 1} are`;
          add({ kind: 'deleted', chain: expected, seq: null, id: null, message: `${missing} missing (deleted) before ${name(chain)}` });
        }
        const recomputed = chainHash(r.prev_hash, { chain, id: r.id, type: r.type, at: r.at, actor: r.actor, project_id: r.project_id, entity_type: r.entity_type, entity_id: r.entity_id, payload: r.payload });
        if (recomputed !== r.hash) {
          add({ kind: 'edited', chain, seq, id: r.id, message: `${name(chain)} was edited: its content no longer gives its hash` });
        } else if (chain === expected && r.prev_hash !== prevHash) {
          add({ kind: 'relinked', chain, seq, id: r.id, message: `${name(chain)} does not point at the hash of record ${chain - 1}: one of the two was replaced` });
        }
        prevHash = r.hash;
        lastChain = chain;
        expected = chain + 1;
      }
    }
    if (head) {
      if (head.chain > lastChain) {
        const missing = head.chain - lastChain === 1 ? `record ${head.chain} is` : `records ${lastChain + 1}–${head.chain} are`;
        add({ kind: 'deleted', chain: lastChain + 1, seq: null, id: null, message: `${missing} missing (deleted) at the end of the chain` });
      } else if (head.chain === lastChain && head.hash !== prevHash) {
        add({ kind: 'head', chain: lastChain, seq: null, id: null, message: `the chain head does not match record ${lastChain}: the last record was replaced` });
      }
    } else if (checked > 0) {
      add({ kind: 'head', chain: null, seq: null, id: null, message: 'the chain head is missing' });
    }
    return { ok: total === 0, checked, head, lastHash: prevHash, problems, truncated: total > problems.length };
  }

  /** Records from seq `after` on, in order, a page at a time (for a JSON Lines export). */
  async *export(after = 0): AsyncGenerator<AuditRecord> {
    let from = after;
    for (;;) {
      const rows = await this.deps.store.audit.page(from, PAGE);
      if (rows.length === 0) return;
      for (const r of rows) yield recordOf(r);
      from = Number(rows[rows.length - 1]!.seq);
    }
  }

  /**
   * One page of a project's records: oldest first after seq `after`, or newest first before seq `before`.
   * `next` is the cursor of the following page (null at the end).
   */
  async records(projectId: string, query: { order: 'asc' | 'desc'; after?: number; before?: number; limit: number }): Promise<{ items: AuditRecord[]; next: number | null }> {
    const { audit } = this.deps.store;
    const rows = query.order === 'asc' ? await audit.page(query.after ?? 0, query.limit, projectId) : await audit.pageDesc(projectId, query.before, query.limit);
    const items = rows.map(recordOf);
    return { items, next: items.length === query.limit ? items[items.length - 1]!.seq : null };
  }

  /**
   * Which version(s) served a deployment, held a stage, or held an alias at time `at` — from the chained
   * events (deployment.revised / deployment.deleted, model_version.stage_changed, model_alias.set / deleted).
   */
  async servedAt(projectName: string | undefined, input: { at: unknown; deployment?: unknown; model?: unknown; stage?: unknown; alias?: unknown }): Promise<ServedAnswer> {
    const { store } = this.deps;
    if (typeof input.at !== 'string' || Number.isNaN(Date.parse(input.at))) throw invalidField('at', 'must be a date and time (ISO 8601)');
    const at = new Date(input.at).toISOString();
    const project = await resolveProject(store, projectName);
    const evidence = (e: EventRow | undefined): ServedAnswer['since'] => (e ? { chain: e.chain === null ? null : Number(e.chain), seq: Number(e.seq), at: e.at, actor: e.actor, type: e.type } : null);

    if (input.deployment !== undefined) {
      if (input.model !== undefined || input.stage !== undefined || input.alias !== undefined) throw invalidField('deployment', 'ask about a deployment, or a model with a stage or alias, not both');
      const name = checkName('deployment', input.deployment);
      const events = (await store.audit.history({ types: ['deployment.revised', 'deployment.deleted'], projectId: project.id, at })).filter(
        (e) => (JSON.parse(e.payload) as { deployment?: string }).deployment === name,
      );
      const last = events.at(-1);
      if (!last || last.type === 'deployment.deleted') return { at, project: project.name, subject: { deployment: name }, versions: [], since: evidence(last) };
      const spec = (JSON.parse(last.payload) as { spec: DeploymentSpec }).spec;
      const versions = [
        ...spec.targets.map((t) => ({ model: t.model, version: t.version, weight: t.weight, role: 'target' as const, alias: t.alias })),
        ...spec.shadow.map((t) => ({ model: t.model, version: t.version, weight: 0, role: 'shadow' as const, alias: t.alias })),
      ];
      return { at, project: project.name, subject: { deployment: name }, versions, since: evidence(last) };
    }

    const model = checkName('model', input.model);
    const row = await store.models.get(project.id, model);
    if (!row) throw notFound('MODEL_NOT_FOUND', `there is no model named '${model}' in project '${project.name}'`, { field: 'model' });
    if ((input.stage === undefined) === (input.alias === undefined)) throw invalidField('stage', 'give a deployment, or a model with exactly one of stage and alias');
    if (input.alias !== undefined) {
      const alias = checkName('alias', input.alias);
      const events = (await store.audit.history({ types: ['model_alias.set', 'model_alias.deleted'], projectId: project.id, entityId: row.id, at })).filter(
        (e) => (JSON.parse(e.payload) as { alias?: string }).alias === alias,
      );
      const last = events.at(-1);
      const version = last && last.type === 'model_alias.set' ? Number((JSON.parse(last.payload) as { version: number }).version) : null;
      return { at, project: project.name, subject: { model, alias }, versions: version === null ? [] : [{ model, version }], since: evidence(last) };
    }
    if (typeof input.stage !== 'string') throw invalidField('stage', 'must be a stage name');
    const stage = input.stage;
    const events = (await store.audit.history({ types: ['model_version.stage_changed'], projectId: project.id, at })).filter((e) => (JSON.parse(e.payload) as { model?: string }).model === model);
    const stageOf = new Map<number, { stage: string; event: EventRow }>();
    for (const e of events) {
      const p = JSON.parse(e.payload) as { version: number; to: string };
      stageOf.set(Number(p.version), { stage: p.to, event: e });
    }
    const holding = [...stageOf.entries()].filter(([, s]) => s.stage.toLowerCase() === stage.toLowerCase()).sort((a, b) => Number(a[1].event.seq) - Number(b[1].event.seq));
    const newest = holding.at(-1)?.[1].event;
    return { at, project: project.name, subject: { model, stage }, versions: holding.map(([version]) => ({ model, version })), since: evidence(newest) };
  }
}
