/**
 * Model cards: per model version, what Steward knows (generated on every read, never stored) plus the
 * fields people write (stored in model_cards). Section and field names follow the Model Card Toolkit
 * schema where they fit (model_details, model_parameters, quantitative_analysis, considerations); the
 * sections the toolkit has no place for (gates, explanations, approvals, stage_history) are Steward's own.
 */
import type { MetadataStore, Repositories } from '../../../db/metadata-store.js';
import type { GateResultRow, ModelRow, ModelVersionRow, ProjectRow } from '../../../db/schema.js';
import { isoTime, type Clock } from '../../../platform/clock.js';
import type { Principal } from '../../../platform/principal.js';
import type { TensorSpec } from '../../../runtime/signature.js';
import { domainEvent } from '../../events/domain-event.js';
import { importanceOf } from '../../explain/explain.repository.js';
import { versionByNames } from '../../models/version-lookup.js';
import { fmtNumber } from './card-render.js';
import { cardCompleteness, mergeCardFields, parseCardFields, storedCardFields, type CardFields } from './card-fields.js';

export interface PerformanceMetric {
  type: string;
  value: number;
  /** The data slice (e.g. a gate's evaluation), null when unsliced. */
  slice: string | null;
  confidence_interval?: { lower_bound: number; upper_bound: number };
  /** Where the number comes from: 'logged' (registered with the version) or 'gate <name>'. */
  source: string;
}

export interface FairnessGroupRow {
  group: string;
  count: number | null;
  selectionRate: number | null;
  tpr: number | null;
  fpr: number | null;
}

export interface CardGate {
  name: string;
  type: string;
  passed: boolean;
  created_at: string;
  /** One line saying what the gate found. */
  summary: string;
  /** Fairness gates: the gap between groups against the tolerance, and the rates per group. */
  fairness?: { metric: string | null; gap: number | null; tolerance: number | null; groups: FairnessGroupRow[] };
  details: Record<string, unknown>;
}

export interface ModelCard {
  schema_version: 'steward-card/1';
  project: string;
  model: string;
  version: number;
  model_details: {
    name: string;
    /** The model's description (the written overview, if any, is in fields.model_details.overview). */
    overview: string;
    owners: { name: string }[];
    version: { name: string; date: string; author: string; diff: string };
    tags: { model: Record<string, string>; version: Record<string, string> };
    flavor: string;
    artifact: { sha256: string; size: number };
    risk_tier: string;
    status: string;
    stage: string;
    aliases: string[];
  };
  model_parameters: {
    model_architecture: string;
    /** One line per input tensor: name, datatype and shape; null when no signature was recorded. */
    input_format: string | null;
    output_format: string | null;
    inputs: TensorSpec[];
    outputs: TensorSpec[];
    data: { name: string; version: number; role: string; sha256: string; rows: number; link: string }[];
    lineage: { source_run: string | null; dataset_version: string | null; parent_version: number | null };
    params: Record<string, string>;
  };
  quantitative_analysis: { performance_metrics: PerformanceMetric[] };
  gates: CardGate[];
  explanations: null | {
    report: string;
    dataset: string | null;
    created_at: string;
    method: string | null;
    /** The 10 most important features by mean |SHAP|, most important first. */
    top_features: { feature: string; importance: number }[];
  };
  approvals: { request: string; kind: string; target: string; requested_by: string; requested_at: string; executed_at: string | null; approvers: { name: string; comment: string; at: string }[] }[];
  stage_history: { from: string; to: string; comment: string; at: string; by: string }[];
  /** The written fields, and who wrote them last (null before anyone has). */
  fields: CardFields;
  fields_updated: { at: string; by: string } | null;
  completeness: { filled: string[]; missing: string[] };
}

export interface CardsDeps {
  store: MetadataStore;
  clock: Clock;
}

interface Found {
  project: ProjectRow;
  model: ModelRow;
  version: ModelVersionRow;
}

export class CardsService {
  constructor(private readonly deps: CardsDeps) {}

  async getCard(projectName: string | undefined, model: string, version: number): Promise<ModelCard> {
    const found = await versionByNames(this.deps.store, projectName, model, version);
    return buildCard(this.deps.store, found);
  }

  /** PUT: the body replaces every written field. */
  async replaceFields(actor: Principal, projectName: string | undefined, model: string, version: number, body: unknown): Promise<ModelCard> {
    const fields = parseCardFields(body);
    return this.write(actor, projectName, model, version, () => fields);
  }

  /** PATCH: each section named in the body is merged into the current one (null removes). */
  async patchFields(actor: Principal, projectName: string | undefined, model: string, version: number, body: unknown): Promise<ModelCard> {
    mergeCardFields({}, body); // checks the body before anything is read
    return this.write(actor, projectName, model, version, (current) => mergeCardFields(current, body));
  }

  private async write(actor: Principal, projectName: string | undefined, model: string, version: number, next: (current: CardFields) => CardFields): Promise<ModelCard> {
    const { store, clock } = this.deps;
    const found = await store.transaction(async (tx) => {
      const found = await versionByNames(tx, projectName, model, version);
      const row = await tx.cards.get(found.version.id);
      const before = storedCardFields(row?.fields);
      const after = next(before);
      if (JSON.stringify(before) === JSON.stringify(after)) return found; // nothing changes: no write, no event
      await tx.cards.put({ model_version_id: found.version.id, fields: JSON.stringify(after), updated_at: isoTime(clock), updated_by: actor.name });
      await tx.events.append(
        domainEvent(clock, actor.name, 'model_card.updated', { type: 'model_card', id: found.version.id, projectId: found.project.id }, {
          model: found.model.name,
          version: Number(found.version.version),
          before,
          after,
        }),
      );
      return found;
    });
    return buildCard(store, found);
  }
}

/** The written fields of a version's card (for policies that require some of them). */
export async function cardFieldsOf(repos: Pick<Repositories, 'cards'>, modelVersionId: string): Promise<CardFields> {
  return storedCardFields((await repos.cards.get(modelVersionId))?.fields);
}

/** A whole card, generated from the store for a version found by versionByNames. */
export async function buildCard(repos: Repositories, found: Found): Promise<ModelCard> {
  const { project, model, version: v } = found;
  const [modelTags, labels, transitions, datasets, gateRows, promotions, report, cardRow] = await Promise.all([
    repos.models.tags([model.id]),
    repos.versions.labels(v),
    repos.versions.transitions(v.id),
    repos.cards.datasets(v.id),
    repos.cards.latestGateResults(v.id),
    repos.cards.executedPromotions(v.id),
    repos.explanations.latestSucceeded(v.id),
    repos.cards.get(v.id),
  ]);
  const reportDataset = report ? await repos.datasets.getVersionById(report.dataset_version_id) : undefined;
  const reportDatasetName = reportDataset ? (await repos.datasets.getById(reportDataset.dataset_id))?.name : undefined;

  const signature = v.signature ? (JSON.parse(v.signature) as { inputs: TensorSpec[]; outputs: TensorSpec[] }) : null;
  const gates = gateRows.map(cardGate);
  const fields = storedCardFields(cardRow?.fields);
  const q = project.name === 'default' ? '' : `?project=${encodeURIComponent(project.name)}`;
  const card: Omit<ModelCard, 'completeness'> = {
    schema_version: 'steward-card/1',
    project: project.name,
    model: model.name,
    version: Number(v.version),
    model_details: {
      name: model.name,
      overview: model.description,
      owners: [{ name: model.owner }],
      version: { name: String(v.version), date: v.created_at, author: v.created_by, diff: v.description },
      tags: { model: { ...modelTags.get(model.id) }, version: { ...labels.tags } },
      flavor: v.flavor,
      artifact: { sha256: v.artifact_sha256, size: Number(v.artifact_size) },
      risk_tier: model.risk_tier,
      status: v.status,
      stage: v.stage,
      aliases: labels.aliases,
    },
    model_parameters: {
      model_architecture: v.flavor,
      input_format: signature ? formatTensors(signature.inputs) : null,
      output_format: signature ? formatTensors(signature.outputs) : null,
      inputs: signature?.inputs ?? [],
      outputs: signature?.outputs ?? [],
      data: datasets.map((d) => ({
        name: d.dataset,
        version: d.version,
        role: d.role,
        sha256: d.sha256,
        rows: d.rows,
        link: `/api/v1/datasets/${encodeURIComponent(d.dataset)}/versions/${d.version}${q}`,
      })),
      lineage: { source_run: v.source_run, dataset_version: v.dataset_version, parent_version: v.parent_version === null ? null : Number(v.parent_version) },
      params: JSON.parse(v.params) as Record<string, string>,
    },
    quantitative_analysis: { performance_metrics: performanceMetrics(JSON.parse(v.metrics) as Record<string, number>, gates) },
    gates,
    explanations: report ? explanationOf(report, reportDataset && reportDatasetName ? `${reportDatasetName}@${reportDataset.version}` : null) : null,
    approvals: promotions.map(({ request, approvals }) => ({
      request: request.id,
      kind: request.kind,
      target: request.target,
      requested_by: request.created_by,
      requested_at: request.created_at,
      executed_at: request.executed_at,
      approvers: approvals.filter((a) => a.decision === 'approve').map((a) => ({ name: a.reviewer, comment: a.comment, at: a.at })),
    })),
    stage_history: transitions.map((t) => ({ from: t.from_stage, to: t.to_stage, comment: t.comment, at: t.at, by: t.by })),
    fields,
    fields_updated: cardRow ? { at: cardRow.updated_at, by: cardRow.updated_by } : null,
  };
  return { ...card, completeness: cardCompleteness(card) };
}

function formatTensors(tensors: TensorSpec[]): string {
  return tensors.map((t) => `${t.name}: ${t.datatype} [${t.shape.join(', ')}]`).join('; ');
}

function parseDetails(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  } catch {
    return {};
  }
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Fairness details {metric, gap, tolerance, groups: {group: {count, selectionRate, tpr?, fpr?}} | [{group, …}]}, whatever is there. */
function fairnessOf(details: Record<string, unknown>): CardGate['fairness'] {
  const raw = details.groups;
  const entries: [string, Record<string, unknown>][] = Array.isArray(raw)
    ? raw.filter((g): g is Record<string, unknown> => g !== null && typeof g === 'object').map((g) => [String(g.group ?? ''), g])
    : raw !== null && typeof raw === 'object'
      ? Object.entries(raw as Record<string, unknown>).map(([k, g]) => [k, g !== null && typeof g === 'object' ? (g as Record<string, unknown>) : {}])
      : [];
  return {
    metric: str(details.metric),
    gap: num(details.gap),
    tolerance: num(details.tolerance),
    groups: entries.map(([group, g]) => ({
      group,
      count: num(g.count),
      selectionRate: num(g.selectionRate),
      tpr: num(g.tpr ?? g.truePositiveRate),
      fpr: num(g.fpr ?? g.falsePositiveRate),
    })),
  };
}

/** Metric checks in a gate's details: a metric gate's {metric, value}, or {results: [{metric, candidate | value, passed?}]}. */
function metricResults(details: Record<string, unknown>): { metric: string; value: number; passed: boolean | null; lower?: number; upper?: number }[] {
  const single = str(details.metric);
  const value = num(details.value);
  if (single !== null && value !== null && !Array.isArray(details.groups) && typeof details.groups !== 'object') return [{ metric: single, value, passed: null }];
  if (!Array.isArray(details.results)) return [];
  const out: { metric: string; value: number; passed: boolean | null; lower?: number; upper?: number }[] = [];
  for (const r of details.results as unknown[]) {
    if (r === null || typeof r !== 'object') continue;
    const o = r as Record<string, unknown>;
    const metric = str(o.metric);
    const value = num(o.candidate) ?? num(o.value);
    if (metric === null || value === null) continue;
    const ci = (o.confidenceInterval ?? o.confidence_interval) as Record<string, unknown> | undefined;
    const lower = num(ci?.lower ?? ci?.lower_bound);
    const upper = num(ci?.upper ?? ci?.upper_bound);
    out.push({ metric, value, passed: typeof o.passed === 'boolean' ? o.passed : null, ...(lower !== null && upper !== null ? { lower, upper } : {}) });
  }
  return out;
}

function gateSummary(details: Record<string, unknown>, fairness: CardGate['fairness']): string {
  const cut = (s: string) => (s.length > 300 ? `${s.slice(0, 299)}…` : s);
  if (fairness && (fairness.gap !== null || fairness.groups.length > 0)) {
    return `${fairness.metric ?? 'gap'} ${fmtNumber(fairness.gap)} vs tolerance ${fmtNumber(fairness.tolerance)} over ${fairness.groups.length} groups`;
  }
  const results = metricResults(details);
  if (results.length > 0) return cut(results.map((r) => `${r.metric} ${fmtNumber(r.value)}${r.passed === null ? '' : r.passed ? ' ✓' : ' ✗'}`).join(', '));
  for (const key of ['summary', 'message', 'reason', 'error']) {
    const s = str(details[key]);
    if (s) return cut(s);
  }
  if (Array.isArray(details.reasons) && details.reasons.length > 0) return cut(details.reasons.map(String).join('; '));
  const scalars = Object.entries(details)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string')
    .slice(0, 6)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? fmtNumber(v) : String(v)}`);
  return cut(scalars.join(', '));
}

function cardGate(row: GateResultRow): CardGate {
  const details = parseDetails(row.details);
  const isFairness = row.type.toLowerCase().includes('fairness') || (details.groups !== null && typeof details.groups === 'object' && 'gap' in details);
  const fairness = isFairness ? fairnessOf(details) : undefined;
  return {
    name: row.name,
    type: row.type,
    passed: Number(row.passed) === 1,
    created_at: row.created_at,
    summary: gateSummary(details, fairness),
    ...(fairness ? { fairness } : {}),
    details,
  };
}

function performanceMetrics(logged: Record<string, number>, gates: CardGate[]): PerformanceMetric[] {
  const out: PerformanceMetric[] = Object.keys(logged)
    .sort()
    .map((type) => ({ type, value: logged[type]!, slice: null, source: 'logged' }));
  for (const g of gates) {
    const slice = str(g.details.dataset) ?? str(g.details.slice);
    for (const r of metricResults(g.details)) {
      out.push({
        type: r.metric,
        value: r.value,
        slice,
        ...(r.lower !== undefined && r.upper !== undefined ? { confidence_interval: { lower_bound: r.lower, upper_bound: r.upper } } : {}),
        source: `gate ${g.name}`,
      });
    }
  }
  return out;
}

function explanationOf(report: { id: string; created_at: string; summary: string | null }, dataset: string | null): ModelCard['explanations'] {
  let method: string | null = null;
  let importance: Record<string, number> | null = null;
  let top: { feature: string; meanAbsShap: number }[] = [];
  try {
    importance = importanceOf(report as Parameters<typeof importanceOf>[0]);
    const summary = report.summary ? (JSON.parse(report.summary) as { method?: unknown; top?: unknown }) : {};
    method = str(summary.method);
    if (Array.isArray(summary.top)) top = summary.top as typeof top;
  } catch {
    // a summary that does not parse shows as no importance
  }
  const ranked = importance
    ? Object.entries(importance)
        .filter(([, v]) => num(v) !== null)
        .map(([feature, v]) => ({ feature, importance: v }))
    : top.filter((t) => typeof t?.feature === 'string' && num(t.meanAbsShap) !== null).map((t) => ({ feature: t.feature, importance: t.meanAbsShap }));
  ranked.sort((a, b) => b.importance - a.importance || (a.feature < b.feature ? -1 : 1));
  return { report: report.id, dataset, created_at: report.created_at, method, top_features: ranked.slice(0, 10) };
}
