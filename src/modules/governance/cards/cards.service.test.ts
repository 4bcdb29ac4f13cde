import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase } from '../../../db/database.js';
import { createMetadataStore, type MetadataStore } from '../../../db/metadata-store.js';
import { DomainError } from '../../../platform/errors.js';
import { iso, ms } from '../../../../test/support/rows.js';
import { CARD_FIELD_PATHS, cardCompleteness, cardFieldFilled, isCardFieldPath, MAX_CARD_ITEMS, MAX_CARD_TEXT } from './card-fields.js';
import { escapeHtml, renderHtml, renderMarkdown } from './card-render.js';
import { cardFieldsOf, CardsService } from './cards.service.js';
import { FAIRNESS_DETAILS, principal, seedCardVersion, type CardSeed } from './cards.test-support.js';

let dir: string;
let store: MetadataStore;
let cards: CardsService;
let seed: CardSeed;
let now = ms(100);
const carl = principal('carl');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steward-cards-'));
  const database = await openDatabase({ kind: 'sqlite', file: join(dir, 'steward.db') });
  await migrateToLatest(database);
  store = createMetadataStore(database);
  cards = new CardsService({ store, clock: { now: () => now } });
  seed = await seedCardVersion(store);
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function failure(work: Promise<unknown>): Promise<DomainError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected the call to fail').toBeInstanceOf(DomainError);
  return err as DomainError;
}

const cardEvents = async () => (await store.events.list({ after: 0, limit: 1000 })).filter((e) => e.type === 'model_card.updated');

describe('generated card', () => {
  it('describes the model and version from the registry', async () => {
    const card = await cards.getCard(undefined, 'credit', 1);
    expect(card).toMatchObject({ project: 'default', model: 'credit', version: 1 });
    expect(card.model_details).toEqual({
      name: 'credit',
      overview: 'Scores credit applications.',
      owners: [{ name: 'olga' }],
      version: { name: '1', date: iso(1), author: 'carl', diff: 'retrained on 2024 applications' },
      tags: { model: { team: 'risk' }, version: { candidate: 'yes' } },
      flavor: 'onnx',
      artifact: { sha256: seed.version.artifact_sha256, size: 1001 },
      risk_tier: 'high',
      status: 'READY',
      stage: 'Production',
      aliases: ['champion'],
    });
    expect(card.model_parameters).toMatchObject({
      model_architecture: 'onnx',
      input_format: 'x: FP32 [-1, 12]',
      output_format: 'prob: FP32 [-1, 2]',
      params: { max_depth: '6' },
      lineage: { source_run: null, dataset_version: null, parent_version: null },
    });
    expect(card.model_parameters.data).toEqual([
      { name: 'credit-holdout', version: 1, role: 'evaluation', sha256: seed.holdout.sha256, rows: 800, link: '/api/v1/datasets/credit-holdout/versions/1' },
      { name: 'credit-applications', version: 2, role: 'train', sha256: seed.train.sha256, rows: 5000, link: '/api/v1/datasets/credit-applications/versions/2' },
    ]);
    expect(card.stage_history).toEqual([
      { from: 'None', to: 'Staging', comment: 'first look', at: iso(6), by: 'carl' },
      { from: 'Staging', to: 'Production', comment: 'approved', at: iso(7), by: 'rita' },
    ]);
  });

  it('reports logged metrics and the metrics of the newest gate results', async () => {
    const card = await cards.getCard(undefined, 'credit', 1);
    expect(card.quantitative_analysis.performance_metrics).toEqual([
      { type: 'accuracy', value: 0.85, slice: null, source: 'logged' },
      { type: 'auc', value: 0.91, slice: null, source: 'logged' },
      { type: 'auc', value: 0.88, slice: 'holdout@1', source: 'gate auc-floor' },
    ]);
  });

  it('shows the newest result of each gate, with fairness per group', async () => {
    const { gates } = await cards.getCard(undefined, 'credit', 1);
    expect(gates.map((g) => [g.name, g.type, g.passed, g.created_at])).toEqual([
      ['auc-floor', 'metric_threshold', true, iso(21)],
      ['parity', 'fairness', false, iso(21)],
    ]);
    expect(gates[0]!.summary).toBe('auc 0.88 ✓');
    expect(gates[0]!.fairness).toBeUndefined();
    const parity = gates[1]!;
    expect(parity.summary).toBe('demographic_parity_difference 0.21 vs tolerance 0.1 over 2 groups');
    expect(parity.fairness).toEqual({
      metric: 'demographic_parity_difference',
      gap: 0.21,
      tolerance: 0.1,
      groups: [
        { group: 'female', count: 400, selectionRate: 0.31, tpr: 0.62, fpr: 0.12 },
        { group: 'male', count: 600, selectionRate: 0.52, tpr: null, fpr: null },
      ],
    });
    expect(parity.details).toEqual(FAIRNESS_DETAILS);
  });

  it('takes the top 10 features of the newest succeeded explanation report', async () => {
    const { explanations } = await cards.getCard(undefined, 'credit', 1);
    expect(explanations).toMatchObject({ dataset: 'credit-holdout@1', method: 'tree', created_at: iso(31) });
    expect(explanations!.top_features).toHaveLength(10);
    expect(explanations!.top_features[0]).toEqual({ feature: 'f01', importance: 1.2 });
    expect(explanations!.top_features[9]).toEqual({ feature: 'f10', importance: 0.3 });
    expect(explanations!.top_features.map((t) => t.feature)).not.toContain('old');
  });

  it('lists executed promotions with their approvers, not the rejected ones', async () => {
    const { approvals } = await cards.getCard(undefined, 'credit', 1);
    expect(approvals).toEqual([
      {
        request: seed.executedRequestId,
        kind: 'stage',
        target: 'Production',
        requested_by: 'carl',
        requested_at: iso(40),
        executed_at: iso(42),
        approvers: [
          { name: 'rita', comment: 'fair enough', at: iso(41) },
          { name: 'sam', comment: '', at: iso(42) },
        ],
      },
    ]);
  });

  it('is empty but whole for a version with nothing recorded', async () => {
    const card = await cards.getCard(undefined, 'credit', 2);
    expect(card.gates).toEqual([]);
    expect(card.explanations).toBeNull();
    expect(card.approvals).toEqual([]);
    expect(card.model_parameters.input_format).toBeNull();
    expect(card.quantitative_analysis.performance_metrics).toEqual([]);
    expect(card.fields).toEqual({});
    expect(card.fields_updated).toBeNull();
    // The generated overview (the model's description) fills model_details.overview.
    expect(card.completeness).toEqual({ filled: ['model_details.overview'], missing: CARD_FIELD_PATHS.filter((p) => p !== 'model_details.overview') });
    expect(renderMarkdown(card)).toContain('_No gate has been run on this version._');
  });

  it('answers 404 for a version or project that does not exist', async () => {
    expect((await failure(cards.getCard(undefined, 'credit', 9))).code).toBe('MODEL_VERSION_NOT_FOUND');
    expect((await failure(cards.getCard('nowhere', 'credit', 1))).code).toBe('PROJECT_NOT_FOUND');
  });
});

describe('written fields', () => {
  const full = {
    model_details: { overview: 'Ranks applications by default risk.', licenses: ['Apache-2.0', { custom_text: 'internal use only' }], references: ['https://example.org/paper'], citations: [{ style: 'APA', citation: 'Doe (2024)' }] },
    considerations: {
      users: ['credit officers'],
      use_cases: [{ description: 'pre-screening consumer loans' }],
      out_of_scope_uses: 'mortgages',
      limitations: ['thin-file applicants'],
      tradeoffs: ['recall over precision'],
      ethical_considerations: [{ name: 'disparate impact', mitigation_strategy: 'parity gate before each promotion' }],
    },
  };

  it('stores a PUT in the toolkit shape, emits model_card.updated with before/after, and fills every field', async () => {
    now = ms(200);
    const card = await cards.replaceFields(carl, undefined, 'credit', 1, full);
    expect(card.fields).toEqual({
      model_details: {
        overview: 'Ranks applications by default risk.',
        licenses: [{ identifier: 'Apache-2.0' }, { custom_text: 'internal use only' }],
        references: [{ reference: 'https://example.org/paper' }],
        citations: [{ style: 'APA', citation: 'Doe (2024)' }],
      },
      considerations: {
        users: [{ description: 'credit officers' }],
        use_cases: [{ description: 'pre-screening consumer loans' }],
        out_of_scope_uses: [{ description: 'mortgages' }],
        limitations: [{ description: 'thin-file applicants' }],
        tradeoffs: [{ description: 'recall over precision' }],
        ethical_considerations: [{ name: 'disparate impact', mitigation_strategy: 'parity gate before each promotion' }],
      },
    });
    expect(card.fields_updated).toEqual({ at: iso(200), by: 'carl' });
    expect(card.completeness).toEqual({ filled: [...CARD_FIELD_PATHS], missing: [] });
    expect(await cards.getCard(undefined, 'credit', 1)).toEqual(card);
    expect(await cardFieldsOf(store, seed.version.id)).toEqual(card.fields);

    const events = await cardEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: 'carl', entityType: 'model_card', entityId: seed.version.id, payload: { model: 'credit', version: 1, before: {}, after: card.fields } });
  });

  it('PATCH merges per section, null removes, PUT replaces', async () => {
    await cards.replaceFields(carl, undefined, 'credit', 1, full);
    const patched = await cards.patchFields(carl, undefined, 'credit', 1, { considerations: { limitations: ['small samples'], users: null } });
    expect(patched.fields.considerations).toEqual({
      use_cases: [{ description: 'pre-screening consumer loans' }],
      out_of_scope_uses: [{ description: 'mortgages' }],
      limitations: [{ description: 'small samples' }],
      tradeoffs: [{ description: 'recall over precision' }],
      ethical_considerations: [{ name: 'disparate impact', mitigation_strategy: 'parity gate before each promotion' }],
    });
    expect(patched.fields.model_details).toEqual((await cards.replaceFields(carl, undefined, 'credit', 1, full)).fields.model_details);
    const events = await cardEvents();
    expect(events).toHaveLength(3);
    expect((events[1]!.payload.before as typeof patched.fields).considerations?.limitations).toEqual([{ description: 'thin-file applicants' }]);
    expect((events[1]!.payload.after as typeof patched.fields).considerations?.limitations).toEqual([{ description: 'small samples' }]);

    const dropped = await cards.patchFields(carl, undefined, 'credit', 1, { model_details: null });
    expect(dropped.fields.model_details).toBeUndefined();
    expect(dropped.fields.considerations?.use_cases).toHaveLength(1);

    const replaced = await cards.replaceFields(carl, undefined, 'credit', 1, { considerations: { limitations: ['only this'] } });
    expect(replaced.fields).toEqual({ considerations: { limitations: [{ description: 'only this' }] } });
    expect(replaced.completeness.filled).toEqual(['model_details.overview', 'considerations.limitations']);
  });

  it('writes nothing and emits nothing when a write changes nothing', async () => {
    await cards.replaceFields(carl, undefined, 'credit', 1, full);
    await cards.replaceFields(principal('other'), undefined, 'credit', 1, full);
    await cards.patchFields(carl, undefined, 'credit', 1, {});
    expect(await cardEvents()).toHaveLength(1);
    expect((await cards.getCard(undefined, 'credit', 1)).fields_updated?.by).toBe('carl');
    // An empty card is not written either.
    await cards.replaceFields(carl, undefined, 'credit', 2, { considerations: { limitations: [] } });
    expect(await store.cards.get(seed.bare.id)).toBeUndefined();
  });

  it('refuses bad fields naming the key path, and changes nothing', async () => {
    await cards.replaceFields(carl, undefined, 'credit', 1, full);
    const cases: [unknown, string][] = [
      [[], 'fields: must be a JSON object with model_details and/or considerations'],
      [{ intended_use: 'x' }, 'intended_use: is not a known section (known: model_details, considerations)'],
      [{ considerations: { intended_use: ['x'] } }, 'considerations.intended_use: is not a known field'],
      [{ model_details: { name: 'mine' } }, 'model_details.name: is not a known field'],
      [{ considerations: { use_cases: [{ text: 'x' }] } }, 'considerations.use_cases[0].text: is not a known field (known: description)'],
      [{ considerations: { ethical_considerations: [{ mitigation_strategy: 'x' }] } }, 'considerations.ethical_considerations[0].name: is required and must not be empty'],
      [{ considerations: { limitations: [42] } }, 'considerations.limitations[0]: must be a string or an object with description'],
      [{ considerations: { limitations: { description: 'x' } } }, 'considerations.limitations: must be a list'],
      [{ model_details: { overview: ['x'] } }, 'model_details.overview: must be a string'],
      [{ model_details: { overview: 'x'.repeat(MAX_CARD_TEXT + 1) } }, `model_details.overview: must be at most ${MAX_CARD_TEXT} characters`],
      [{ considerations: { tradeoffs: [{ description: 'y'.repeat(MAX_CARD_TEXT + 1) }] } }, `considerations.tradeoffs[0].description: must be at most ${MAX_CARD_TEXT} characters`],
      [{ considerations: { users: Array.from({ length: MAX_CARD_ITEMS + 1 }, (_, i) => `u${i}`) } }, `considerations.users: must have at most ${MAX_CARD_ITEMS} items`],
      [{ model_details: { licenses: [{ identifier: 'MIT', custom_text: 'also' }] } }, 'model_details.licenses[0]: needs exactly one of identifier'],
      [{ model_details: { overview: 'nul\u0000' } }, 'model_details.overview: must not contain NUL'],
    ];
    for (const [body, message] of cases) {
      for (const write of [cards.replaceFields.bind(cards), cards.patchFields.bind(cards)]) {
        const err = await failure(write(carl, undefined, 'credit', 1, body));
        expect(err.kind).toBe('invalid');
        expect(err.message.startsWith(message), `${err.message} should start with ${message}`).toBe(true);
      }
    }
    expect(await cardEvents()).toHaveLength(1);
    expect((await cards.getCard(undefined, 'credit', 1)).completeness.missing).toEqual([]);
  });

  it('answers 404 when writing the card of a missing version, storing nothing', async () => {
    expect((await failure(cards.replaceFields(carl, undefined, 'credit', 7, full))).code).toBe('MODEL_VERSION_NOT_FOUND');
    expect(await cardEvents()).toHaveLength(0);
  });
});

describe('completeness', () => {
  it('lists the fillable paths policies may require', () => {
    expect(CARD_FIELD_PATHS).toEqual([
      'model_details.overview',
      'model_details.licenses',
      'model_details.references',
      'model_details.citations',
      'considerations.users',
      'considerations.use_cases',
      'considerations.out_of_scope_uses',
      'considerations.limitations',
      'considerations.tradeoffs',
      'considerations.ethical_considerations',
    ]);
    expect(isCardFieldPath('considerations.use_cases')).toBe(true);
    expect(isCardFieldPath('considerations.intended_use')).toBe(false);
  });

  it('counts non-empty fields, on written fields alone or on a whole card', () => {
    const fields = { considerations: { use_cases: [{ description: 'x' }], limitations: [] } };
    expect(cardFieldFilled(fields, 'considerations.use_cases')).toBe(true);
    expect(cardFieldFilled(fields, 'considerations.limitations')).toBe(false);
    expect(cardFieldFilled(fields, 'model_details.overview')).toBe(false);
    expect(cardFieldFilled(fields, 'nonsense.path')).toBe(false);
    expect(cardFieldFilled({ fields, model_details: { overview: 'from the registry' } }, 'model_details.overview')).toBe(true);
    expect(cardFieldFilled({ fields, model_details: { overview: '  ' } }, 'model_details.overview')).toBe(false);
    expect(cardCompleteness(fields)).toEqual({ filled: ['considerations.use_cases'], missing: CARD_FIELD_PATHS.filter((p) => p !== 'considerations.use_cases') });
  });
});

describe('rendering', () => {
  it('writes every section as Markdown with the card\'s values', async () => {
    await cards.replaceFields(carl, undefined, 'credit', 1, { considerations: { use_cases: ['pre-screening'], ethical_considerations: [{ name: 'bias', mitigation_strategy: 'parity | gate' }] } });
    const md = renderMarkdown(await cards.getCard(undefined, 'credit', 1));
    for (const heading of [
      '# Model card: credit version 1',
      '## Model details',
      '## Model parameters',
      '### Data',
      '## Quantitative analysis',
      '## Test gates',
      '### Fairness: parity',
      '## Explanations',
      '## Considerations',
      '### Intended uses',
      '### Out-of-scope uses',
      '## Approvals and promotions',
      '## Stage history',
      '## Card completeness',
    ]) {
      expect(md).toContain(`\n${heading}\n`.slice(heading.startsWith('# ') ? 1 : 0));
    }
    expect(md).toContain('- **Risk tier:** high');
    expect(md).toContain('| credit-applications | 2 | train | 5000 |');
    expect(md).toContain('| auc | 0.88 | — | holdout@1 | gate auc-floor |');
    expect(md).toContain('| parity | fairness | FAILED |');
    expect(md).toContain('| female | 400 | 0.31 | 0.62 | 0.12 |');
    expect(md).toContain('| male | 600 | 0.52 | — | — |');
    expect(md).toContain('| 1 | f01 | 1.2 |');
    expect(md).toContain('- pre-screening');
    expect(md).toContain('| bias | parity \\| gate |');
    expect(md).toContain('| stage | Production | carl |');
    expect(md).toContain('rita, sam');
    expect(md).toContain('_Not written yet._');
  });

  it('escapes every value in the HTML page, which has no scripts', async () => {
    const evil = '<script>alert("x")</script>';
    await cards.replaceFields(carl, undefined, 'credit', 1, {
      model_details: { overview: evil, references: ['javascript:alert(1)', 'https://example.org/a?b=1&c="2"'] },
      considerations: { limitations: [evil], ethical_considerations: [{ name: `<img src=x onerror=alert(1)>`, mitigation_strategy: "it's fine" }] },
    });
    const card = await cards.getCard(undefined, 'credit', 1);
    const html = renderHtml(card);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('it&#39;s fine');
    expect(html).not.toContain('href="javascript');
    expect(html).toContain('<a href="https://example.org/a?b=1&amp;c=&quot;2&quot;" rel="noopener noreferrer nofollow">');
    expect(html).toContain('<style>');
    expect(html).toContain('<td>female</td><td>400</td><td>0.31</td><td>0.62</td><td>0.12</td>');
    // Markdown does not pass the markup through either.
    const md = renderMarkdown(card);
    expect(md).not.toContain('<script');
    expect(md).toContain('&lt;script&gt;');
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });
});
