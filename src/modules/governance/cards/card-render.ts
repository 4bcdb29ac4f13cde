/**
 * A model card as Markdown and as a standalone HTML page. Both are written from one list of blocks, so they
 * always hold the same sections. The HTML page has inline CSS and no scripts; every value in it is
 * escaped. In Markdown, '<', '>' and '&' are written as entities so that no text becomes markup.
 */
import { CARD_FIELD_PATHS, type CardFields } from './card-fields.js';
import type { ModelCard } from './cards.service.js';

/** Text, or a link (only http and https addresses become links). */
type Inline = string | { text: string; href: string };
type Block =
  | { kind: 'heading'; level: 1 | 2 | 3; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'note'; text: string }
  | { kind: 'pairs'; pairs: [string, Inline][] }
  | { kind: 'table'; headers: string[]; rows: Inline[][] }
  | { kind: 'list'; items: Inline[] };

const NOT_WRITTEN = 'Not written yet.';

/** Four significant digits; exponent form for very large or small values; a dash for none. */
export const fmtNumber = (v: number | null): string => (v === null ? '—' : Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : String(Number(v.toPrecision(4))));


function link(text: string): Inline {
  return /^https?:\/\/\S+$/i.test(text.trim()) ? { text, href: text.trim() } : text;
}

const bytes = (n: number) => (n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KB` : n < 1024 ** 3 ? `${(n / 1024 ** 2).toFixed(1)} MB` : `${(n / 1024 ** 3).toFixed(2)} GB`);
const tagText = (tags: Record<string, string>) =>
  Object.entries(tags)
    .map(([k, v]) => (v === '' ? k : `${k}=${v}`))
    .join(', ') || '—';

function considerations(fields: CardFields): Block[] {
  const c = fields.considerations ?? {};
  const out: Block[] = [{ kind: 'heading', level: 2, text: 'Considerations' }];
  const section = (title: string, items: { description: string }[] | undefined) => {
    out.push({ kind: 'heading', level: 3, text: title });
    if (items && items.length > 0) out.push({ kind: 'list', items: items.map((i) => i.description) });
    else out.push({ kind: 'note', text: NOT_WRITTEN });
  };
  section('Intended users', c.users);
  section('Intended uses', c.use_cases);
  section('Out-of-scope uses', c.out_of_scope_uses);
  section('Limitations', c.limitations);
  section('Tradeoffs', c.tradeoffs);
  out.push({ kind: 'heading', level: 3, text: 'Ethical considerations' });
  if (c.ethical_considerations && c.ethical_considerations.length > 0) {
    out.push({ kind: 'table', headers: ['Risk', 'Mitigation'], rows: c.ethical_considerations.map((e) => [e.name, e.mitigation_strategy ?? '—']) });
  } else out.push({ kind: 'note', text: NOT_WRITTEN });
  return out;
}

/** The card as blocks, in the order both renderings show them. */
export function cardBlocks(card: ModelCard): Block[] {
  const d = card.model_details;
  const p = card.model_parameters;
  const f = card.fields;
  const overview = f.model_details?.overview ?? d.overview;
  const blocks: Block[] = [{ kind: 'heading', level: 1, text: `Model card: ${d.name} version ${d.version.name}` }];

  blocks.push({ kind: 'heading', level: 2, text: 'Model details' });
  blocks.push(overview.trim() !== '' ? { kind: 'paragraph', text: overview } : { kind: 'note', text: 'No overview yet.' });
  blocks.push({
    kind: 'pairs',
    pairs: [
      ['Project', card.project],
      ['Owner', d.owners.map((o) => o.name).join(', ')],
      ['Version', `${d.version.name}, registered ${d.version.date} by ${d.version.author}`],
      ['Changes in this version', d.version.diff || '—'],
      ['Status', d.status],
      ['Stage', d.stage],
      ['Aliases', d.aliases.join(', ') || '—'],
      ['Risk tier', d.risk_tier],
      ['Flavor', d.flavor],
      ['Artifact SHA-256', d.artifact.sha256],
      ['Artifact size', bytes(d.artifact.size)],
      ['Model tags', tagText(d.tags.model)],
      ['Version tags', tagText(d.tags.version)],
    ],
  });
  const md = f.model_details ?? {};
  blocks.push({ kind: 'heading', level: 3, text: 'Licenses' });
  blocks.push(md.licenses?.length ? { kind: 'list', items: md.licenses.map((l) => l.identifier ?? l.custom_text ?? '') } : { kind: 'note', text: NOT_WRITTEN });
  blocks.push({ kind: 'heading', level: 3, text: 'References' });
  blocks.push(md.references?.length ? { kind: 'list', items: md.references.map((r) => link(r.reference)) } : { kind: 'note', text: NOT_WRITTEN });
  blocks.push({ kind: 'heading', level: 3, text: 'Citations' });
  blocks.push(md.citations?.length ? { kind: 'list', items: md.citations.map((c) => (c.style ? `${c.citation} (${c.style})` : c.citation)) } : { kind: 'note', text: NOT_WRITTEN });

  blocks.push({ kind: 'heading', level: 2, text: 'Model parameters' });
  blocks.push({
    kind: 'pairs',
    pairs: [
      ['Architecture', p.model_architecture],
      ['Input format', p.input_format ?? 'no signature recorded'],
      ['Output format', p.output_format ?? 'no signature recorded'],
      ['Source run', p.lineage.source_run ?? '—'],
      ['Dataset (as registered)', p.lineage.dataset_version ?? '—'],
      ['Parent version', p.lineage.parent_version === null ? '—' : String(p.lineage.parent_version)],
    ],
  });
  blocks.push({ kind: 'heading', level: 3, text: 'Data' });
  blocks.push(
    p.data.length > 0
      ? { kind: 'table', headers: ['Dataset', 'Version', 'Role', 'Rows', 'SHA-256'], rows: p.data.map((x) => [x.name, String(x.version), x.role, String(x.rows), x.sha256]) }
      : { kind: 'note', text: 'No dataset versions are linked to this version.' },
  );
  const params = Object.entries(p.params);
  if (params.length > 0) {
    blocks.push({ kind: 'heading', level: 3, text: 'Training parameters' });
    blocks.push({ kind: 'table', headers: ['Parameter', 'Value'], rows: params.map(([k, v]) => [k, v]) });
  }

  blocks.push({ kind: 'heading', level: 2, text: 'Quantitative analysis' });
  const metrics = card.quantitative_analysis.performance_metrics;
  blocks.push(
    metrics.length > 0
      ? {
          kind: 'table',
          headers: ['Metric', 'Value', 'Confidence interval', 'Slice', 'Source'],
          rows: metrics.map((m) => [
            m.type,
            fmtNumber(m.value),
            m.confidence_interval ? `${fmtNumber(m.confidence_interval.lower_bound)} – ${fmtNumber(m.confidence_interval.upper_bound)}` : '—',
            m.slice ?? '—',
            m.source,
          ]),
        }
      : { kind: 'note', text: 'No metrics were logged or measured.' },
  );

  blocks.push({ kind: 'heading', level: 2, text: 'Test gates' });
  if (card.gates.length === 0) blocks.push({ kind: 'note', text: 'No gate has been run on this version.' });
  else {
    blocks.push({ kind: 'table', headers: ['Gate', 'Type', 'Result', 'Run at', 'Summary'], rows: card.gates.map((g) => [g.name, g.type, g.passed ? 'passed' : 'FAILED', g.created_at, g.summary]) });
    for (const g of card.gates) {
      if (!g.fairness) continue;
      const fair = g.fairness;
      blocks.push({ kind: 'heading', level: 3, text: `Fairness: ${g.name}` });
      blocks.push({
        kind: 'paragraph',
        text: `${fair.metric ?? 'Gap'} between groups: ${fmtNumber(fair.gap)}; tolerance ${fmtNumber(fair.tolerance)} (${g.passed ? 'within' : 'beyond'} tolerance).`,
      });
      if (fair.groups.length > 0) {
        blocks.push({
          kind: 'table',
          headers: ['Group', 'Count', 'Selection rate', 'TPR', 'FPR'],
          rows: fair.groups.map((r) => [r.group, r.count === null ? '—' : String(r.count), fmtNumber(r.selectionRate), fmtNumber(r.tpr), fmtNumber(r.fpr)]),
        });
      }
    }
  }

  blocks.push({ kind: 'heading', level: 2, text: 'Explanations' });
  const e = card.explanations;
  if (!e) blocks.push({ kind: 'note', text: 'No explanation report has succeeded for this version.' });
  else {
    blocks.push({ kind: 'paragraph', text: `Feature importance (mean |SHAP|) from report ${e.report}${e.dataset ? ` on ${e.dataset}` : ''}${e.method ? `, method ${e.method}` : ''}, ${e.created_at}.` });
    blocks.push(
      e.top_features.length > 0
        ? { kind: 'table', headers: ['#', 'Feature', 'Mean |SHAP|'], rows: e.top_features.map((t, i) => [String(i + 1), t.feature, fmtNumber(t.importance)]) }
        : { kind: 'note', text: 'The report recorded no importance.' },
    );
  }

  blocks.push(...considerations(f));

  blocks.push({ kind: 'heading', level: 2, text: 'Approvals and promotions' });
  blocks.push(
    card.approvals.length > 0
      ? {
          kind: 'table',
          headers: ['Kind', 'Target', 'Requested by', 'Executed at', 'Approved by'],
          rows: card.approvals.map((a) => [a.kind, a.target, a.requested_by, a.executed_at ?? '—', a.approvers.map((x) => x.name).join(', ') || '—']),
        }
      : { kind: 'note', text: 'No promotion request has been executed for this version.' },
  );

  blocks.push({ kind: 'heading', level: 2, text: 'Stage history' });
  blocks.push(
    card.stage_history.length > 0
      ? { kind: 'table', headers: ['From', 'To', 'At', 'By', 'Comment'], rows: card.stage_history.map((s) => [s.from, s.to, s.at, s.by, s.comment || '—']) }
      : { kind: 'note', text: 'The version has not changed stage.' },
  );

  blocks.push({ kind: 'heading', level: 2, text: 'Card completeness' });
  const { filled, missing } = card.completeness;
  blocks.push({ kind: 'paragraph', text: `${filled.length} of ${CARD_FIELD_PATHS.length} written fields filled.` });
  if (missing.length > 0) blocks.push({ kind: 'list', items: missing.map((m) => `missing: ${m}`) });
  if (card.fields_updated) blocks.push({ kind: 'note', text: `Written fields last changed ${card.fields_updated.at} by ${card.fields_updated.by}.` });
  return blocks;
}

// ---- Markdown

const mdText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const mdCell = (s: string) => mdText(s).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const mdUrl = (s: string) => s.replace(/[()<>\s]/g, (c) => encodeURIComponent(c));
function mdInline(v: Inline, cell: boolean): string {
  const esc = cell ? mdCell : mdText;
  return typeof v === 'string' ? esc(v) : `[${esc(v.text).replace(/[[\]]/g, '\\$&')}](${mdUrl(v.href)})`;
}

export function renderMarkdown(card: ModelCard): string {
  const out: string[] = [];
  for (const b of cardBlocks(card)) {
    switch (b.kind) {
      case 'heading':
        out.push(`${'#'.repeat(b.level)} ${mdCell(b.text)}`);
        break;
      case 'paragraph':
        out.push(mdText(b.text));
        break;
      case 'note':
        out.push(`_${mdCell(b.text)}_`);
        break;
      case 'pairs':
        out.push(b.pairs.map(([k, v]) => `- **${mdCell(k)}:** ${mdInline(v, true)}`).join('\n'));
        break;
      case 'list':
        // A multi-line item continues under its bullet.
        out.push(b.items.map((i) => `- ${typeof i === 'string' ? mdText(i).replace(/\r?\n/g, '\n  ') : mdInline(i, true)}`).join('\n'));
        break;
      case 'table':
        out.push(
          [`| ${b.headers.map(mdCell).join(' | ')} |`, `| ${b.headers.map(() => '---').join(' | ')} |`, ...b.rows.map((r) => `| ${r.map((c) => mdInline(c, true)).join(' | ')} |`)].join('\n'),
        );
        break;
    }
  }
  return `${out.join('\n\n')}\n`;
}

// ---- HTML

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function htmlInline(v: Inline): string {
  return typeof v === 'string' ? escapeHtml(v) : `<a href="${escapeHtml(v.href)}" rel="noopener noreferrer nofollow">${escapeHtml(v.text)}</a>`;
}

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2433;max-width:62rem;margin:2rem auto;padding:0 1.25rem}
h1{font-size:1.6rem;border-bottom:2px solid #1d2433;padding-bottom:.3rem}
h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ccd3df;padding-bottom:.2rem}
h3{font-size:1.05rem;margin-top:1.2rem}
table{border-collapse:collapse;margin:.5rem 0;width:100%}
th,td{border:1px solid #ccd3df;padding:.3rem .5rem;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#eef1f6;white-space:nowrap}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
p,li,dd{white-space:pre-wrap}
.note{color:#5b6475;font-style:italic}
@media print{body{margin:0;max-width:none}}
`;

export function renderHtml(card: ModelCard): string {
  const body: string[] = [];
  for (const b of cardBlocks(card)) {
    switch (b.kind) {
      case 'heading':
        body.push(`<h${b.level}>${escapeHtml(b.text)}</h${b.level}>`);
        break;
      case 'paragraph':
        body.push(`<p>${escapeHtml(b.text)}</p>`);
        break;
      case 'note':
        body.push(`<p class="note">${escapeHtml(b.text)}</p>`);
        break;
      case 'pairs':
        body.push(`<dl>${b.pairs.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${htmlInline(v)}</dd>`).join('')}</dl>`);
        break;
      case 'list':
        body.push(`<ul>${b.items.map((i) => `<li>${htmlInline(i)}</li>`).join('')}</ul>`);
        break;
      case 'table':
        body.push(
          `<table><thead><tr>${b.headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${b.rows
            .map((r) => `<tr>${r.map((c) => `<td>${htmlInline(c)}</td>`).join('')}</tr>`)
            .join('')}</tbody></table>`,
        );
        break;
    }
  }
  const title = `Model card: ${card.model} version ${card.version}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}
