/**
 * Governance from the command line: `steward policies …` (policies as code per risk tier), `steward
 * promotions …` (ask for a move, review it), `steward models set-tier`, and `steward audit …` (verify the
 * hash chain, export it as JSON Lines, ask which version served at a time).
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { VerifyReport, ServedAnswer } from '../../modules/audit/audit.service.js';
import type { PolicyView } from '../../modules/governance/policies/policies.service.js';
import type { PromotionView } from '../../modules/governance/promotions/promotions.service.js';
import { cliContext, UsageError } from '../context.js';
import { keyValues, table } from '../output.js';
import { readSource } from './deployments.js';
import { query } from './monitoring.js';

const PROJECT = ['-p, --project <project>', 'project (default: default)'] as const;

function requirementText(name: string, r: { gates: string[]; maxGateAgeDays: number | null; approvals: number; modelCard: string[]; explanationReport: boolean } | null | undefined): string {
  if (!r) return `${name}: nothing required`;
  const parts = [
    r.gates.length ? `gates ${r.gates.join(', ')}${r.maxGateAgeDays !== null ? ` (≤ ${r.maxGateAgeDays} days old)` : ''}` : null,
    r.approvals ? `${r.approvals} approval${r.approvals > 1 ? 's' : ''}` : null,
    r.modelCard.length ? `model card: ${r.modelCard.join(', ')}` : null,
    r.explanationReport ? 'an explanation report' : null,
  ].filter((p) => p !== null);
  return `${name}: ${parts.length ? parts.join('; ') : 'nothing required'}`;
}

function policyText(p: PolicyView): string {
  const d = p.document;
  const lines = [
    `${p.tier}: ${p.builtIn ? 'built-in default' : `version ${p.version} by ${p.createdBy} at ${p.createdAt}${p.comment ? ` — ${p.comment}` : ''}`}${p.refusesGovernedMoves ? ' (refuses Production, protected aliases and deployments until a policy is published)' : ''}`,
  ];
  for (const g of d.gates) lines.push(`  gate ${g.name} (${g.type})`);
  for (const [stage, r] of Object.entries(d.stages)) lines.push(`  ${requirementText(`stage ${stage}`, r)}`);
  for (const [alias, r] of Object.entries(d.aliases)) lines.push(`  ${requirementText(`alias ${alias}`, r)}`);
  lines.push(`  ${requirementText('deployments', d.deployments)}`);
  return lines.join('\n');
}

function promotionText(p: PromotionView): string {
  const lines = [
    keyValues([
      ['request', p.id],
      ['move', `${p.model} v${p.version} → ${p.kind} ${p.target}`],
      ['status', p.status + (p.message ? ` — ${p.message}` : '')],
      ['requested', `${p.createdBy} at ${p.createdAt}${p.comment ? `: ${p.comment}` : ''}`],
    ]),
  ];
  for (const d of p.decisions) lines.push(`  ${d.decision === 'approve' ? 'approved' : 'rejected'} by ${d.reviewer} at ${d.at}${d.comment ? `: ${d.comment}` : ''}`);
  if (p.evaluation) {
    lines.push(p.evaluation.satisfied ? `policy (${p.evaluation.tier}): satisfied` : `policy (${p.evaluation.tier}) not yet satisfied:`);
    for (const u of p.evaluation.unmet) lines.push(`  - ${u}`);
  }
  return lines.join('\n');
}

export function governanceCommands(program: Command): void {
  const policies = program.command('policies').description('policies as code: what a version of each risk tier needs before it is promoted');
  policies
    .command('show')
    .description('the policy in force for each risk tier')
    .option(...PROJECT)
    .action(async (opts: { project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const r = await client.json<{ items: PolicyView[] }>('GET', `/api/v1/policies${query({ project: opts.project })}`);
      out.result(r, () => r.items.map(policyText).join('\n\n'));
    });
  policies
    .command('history <tier>')
    .description("every published version of a tier's policy")
    .option(...PROJECT)
    .action(async (tier: string, opts: { project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const r = await client.json<{ items: PolicyView[] }>('GET', `/api/v1/policies/${encodeURIComponent(tier)}/versions${query({ project: opts.project })}`);
      out.result(r, () => (r.items.length ? table(['VERSION', 'PUBLISHED', 'BY', 'SHA-256', 'COMMENT'], r.items.map((p) => [p.version, p.createdAt, p.createdBy, p.sha256?.slice(0, 12), p.comment])) : `nothing published for ${tier} yet`));
    });
  policies
    .command('get <tier> [version]')
    .description("one version's text as published ('current' by default)")
    .option(...PROJECT)
    .action(async (tier: string, version: string | undefined, opts: { project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const p = await client.json<PolicyView>('GET', `/api/v1/policies/${encodeURIComponent(tier)}/versions/${encodeURIComponent(version ?? 'current')}${query({ project: opts.project })}`);
      out.result(p, () => p.source);
    });
  policies
    .command('check <file>')
    .description("check a policy file (JSON or YAML; '-' reads standard input) without publishing it")
    .option(...PROJECT)
    .action(async (file: string, opts: { project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const r = await client.json<{ document: PolicyView['document'] }>('POST', `/api/v1/policies/validate${query({ project: opts.project })}`, { policy: await readSource(file) });
      out.result(r, () => `the policy is valid:\n${policyText({ tier: 'checked', builtIn: true, document: r.document, refusesGovernedMoves: false } as unknown as PolicyView).split('\n').slice(1).join('\n')}`);
    });
  policies
    .command('publish <tier> <file>')
    .description("publish a policy file as the tier's next version (project admins); published versions never change")
    .option('-m, --comment <text>', 'why it changed')
    .option(...PROJECT)
    .action(async (tier: string, file: string, opts: { comment?: string; project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const p = await client.json<PolicyView>('POST', `/api/v1/policies/${encodeURIComponent(tier)}/versions${query({ project: opts.project })}`, { policy: await readSource(file), comment: opts.comment });
      out.result(p, () => `published ${tier} policy version ${p.version} (sha256 ${p.sha256})`);
    });

  const promotions = program.command('promotions').description('promotion requests: ask for a version to enter a stage, take an alias or serve in a deployment; review them');
  promotions
    .command('request <model> <version>')
    .description('ask for a move; it is made at once when the policy already allows it')
    .option('--stage <stage>', 'Staging, Production, Archived or None')
    .option('--alias <alias>', 'an alias, e.g. champion')
    .option('--deployment <name>', 'a deployment to serve in (as a shadow unless --spec gives the deployment spec)')
    .option('--spec <file>', 'for --deployment: the deployment spec to apply (JSON)')
    .option('--archive-existing', 'for --stage: archive the versions now in that stage')
    .option('-m, --comment <text>', 'why')
    .option(...PROJECT)
    .action(async (model: string, version: string, opts: { stage?: string; alias?: string; deployment?: string; spec?: string; archiveExisting?: boolean; comment?: string; project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const given = [opts.stage, opts.alias, opts.deployment].filter((x) => x !== undefined);
      if (given.length !== 1) throw new UsageError('give exactly one of --stage, --alias and --deployment');
      const kind = opts.stage !== undefined ? 'stage' : opts.alias !== undefined ? 'alias' : 'deployment';
      let change: unknown;
      if (opts.spec !== undefined) {
        if (kind !== 'deployment') throw new UsageError('--spec goes with --deployment');
        change = JSON.parse(await readSource(opts.spec)) as unknown;
      } else if (opts.archiveExisting) change = { archiveExisting: true };
      const p = await client.json<PromotionView>('POST', `/api/v1/promotions${query({ project: opts.project })}`, {
        model,
        version: Number(version),
        kind,
        target: given[0],
        ...(change !== undefined ? { change } : {}),
        comment: opts.comment,
      });
      out.result(p, () => promotionText(p));
    });
  promotions
    .command('list')
    .description('promotion requests, newest first')
    .option('--inbox', 'only the open requests you may review')
    .option('--status <status>', 'open, executed, rejected, cancelled or failed')
    .option(...PROJECT)
    .action(async (opts: { inbox?: boolean; status?: string; project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const r = await client.json<{ items: PromotionView[] }>('GET', `/api/v1/promotions${query({ project: opts.project, status: opts.status, inbox: opts.inbox ? 'true' : undefined })}`);
      out.result(r, () =>
        table(
          ['ID', 'MOVE', 'STATUS', 'BY', 'APPROVALS', 'UNMET'],
          r.items.map((p) => [p.id, `${p.model} v${p.version} → ${p.kind} ${p.target}`, p.status, p.createdBy, p.decisions.filter((d) => d.decision === 'approve').length, p.evaluation?.unmet.length ?? '']),
        ),
      );
    });
  promotions
    .command('show <id>')
    .description('a request, its decisions, and what the policy says now')
    .option(...PROJECT)
    .action(async (id: string, opts: { project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const p = await client.json<PromotionView>('GET', `/api/v1/promotions/${encodeURIComponent(id)}${query({ project: opts.project })}`);
      out.result(p, () => promotionText(p));
    });
  for (const verb of ['approve', 'reject'] as const) {
    promotions
      .command(`${verb} <id>`)
      .description(verb === 'approve' ? 'approve a request (reviewers; never your own version or request)' : 'reject a request (closes it)')
      .option('-m, --comment <text>', 'your reasons')
      .option(...PROJECT)
      .action(async (id: string, opts: { comment?: string; project?: string }, cmd: Command) => {
        const { client, out } = await cliContext(cmd);
        const p = await client.json<PromotionView>('POST', `/api/v1/promotions/${encodeURIComponent(id)}/${verb}${query({ project: opts.project })}`, { comment: opts.comment });
        out.result(p, () => promotionText(p));
      });
  }
  promotions
    .command('cancel <id>')
    .description('withdraw your open request')
    .option(...PROJECT)
    .action(async (id: string, opts: { project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const p = await client.json<PromotionView>('POST', `/api/v1/promotions/${encodeURIComponent(id)}/cancel${query({ project: opts.project })}`);
      out.result(p, () => promotionText(p));
    });

  const audit = program.command('audit').description('the tamper-evident audit trail');
  audit
    .command('verify')
    .description('check the hash chain and name every edited, inserted or deleted record (platform admins); exits 1 when it is broken')
    .action(async (_opts: unknown, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const r = await client.json<VerifyReport>('GET', '/api/v1/audit/verify');
      out.result(r, () =>
        r.ok
          ? `the audit trail is intact: ${r.checked} records, head ${r.head?.chain ?? 0} (${r.lastHash.slice(0, 16)}…)`
          : [`the audit trail is BROKEN (${r.checked} records read):`, ...r.problems.map((p) => `  ${p.kind}: ${p.message}`), ...(r.truncated ? ['  … and more'] : [])].join('\n'),
      );
      if (!r.ok) process.exitCode = 1;
    });
  audit
    .command('export')
    .description('write the audit trail as JSON Lines (platform admins)')
    .option('-o, --output <file>', "where to write it ('-' for standard output)", '-')
    .option('--after <seq>', 'only records after this seq')
    .action(async (opts: { output: string; after?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const body = await client.stream(`/api/v1/audit/export${query({ after: opts.after })}`);
      if (opts.output === '-') await pipeline(body, process.stdout, { end: false });
      else {
        await pipeline(body, createWriteStream(opts.output));
        out.info(`wrote ${opts.output}`);
      }
    });
  audit
    .command('served')
    .description('which version served a deployment, or held a stage or alias, at a time')
    .requiredOption('--at <time>', 'ISO 8601 date and time')
    .option('--deployment <name>', 'a deployment')
    .option('--model <name>', 'a model (with --stage or --alias)')
    .option('--stage <stage>', 'a stage, e.g. Production')
    .option('--alias <alias>', 'an alias, e.g. champion')
    .option(...PROJECT)
    .action(async (opts: { at: string; deployment?: string; model?: string; stage?: string; alias?: string; project?: string }, cmd: Command) => {
      const { client, out } = await cliContext(cmd);
      const r = await client.json<ServedAnswer>('GET', `/api/v1/audit/served${query({ project: opts.project, at: opts.at, deployment: opts.deployment, model: opts.model, stage: opts.stage, alias: opts.alias })}`);
      out.result(r, () => {
        const what = r.versions.length
          ? r.versions.map((v) => `${v.model} v${v.version}${v.role ? ` (${v.role}${v.role === 'target' ? `, weight ${v.weight}` : ''})` : ''}`).join(', ')
          : 'nothing';
        const since = r.since ? ` — since ${r.since.at} (${r.since.type} by ${r.since.actor}, audit record ${r.since.chain})` : '';
        return `at ${r.at}: ${what}${since}`;
      });
    });
}
