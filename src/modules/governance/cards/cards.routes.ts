import { Type } from 'typebox';
import { ProjectQuery, withErrors } from '../../../http/schemas.js';
import { principalOf, type App } from '../../../http/types.js';
import { CARD_FIELD_HELP } from './card-fields.js';
import { renderHtml, renderMarkdown } from './card-render.js';
import type { CardsService } from './cards.service.js';

const Loose = Type.Object({}, { additionalProperties: true });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Tensor = Type.Object({ name: Type.String(), datatype: Type.String(), shape: Type.Array(Type.Integer()) });
const Described = Type.Array(Type.Object({ description: Type.String() }));

const Fields = Type.Object(
  {
    model_details: Type.Optional(
      Type.Object({
        overview: Type.Optional(Type.String()),
        licenses: Type.Optional(Type.Array(Type.Object({ identifier: Type.Optional(Type.String()), custom_text: Type.Optional(Type.String()) }))),
        references: Type.Optional(Type.Array(Type.Object({ reference: Type.String() }))),
        citations: Type.Optional(Type.Array(Type.Object({ style: Type.Optional(Type.String()), citation: Type.String() }))),
      }),
    ),
    considerations: Type.Optional(
      Type.Object({
        users: Type.Optional(Described),
        use_cases: Type.Optional(Described),
        out_of_scope_uses: Type.Optional(Described),
        limitations: Type.Optional(Described),
        tradeoffs: Type.Optional(Described),
        ethical_considerations: Type.Optional(Type.Array(Type.Object({ name: Type.String(), mitigation_strategy: Type.Optional(Type.String()) }))),
      }),
    ),
  },
  { description: 'The fields people write (Model Card Toolkit names; out_of_scope_uses is Steward\'s own)' },
);

const Card = Type.Object({
  schema_version: Type.String(),
  project: Type.String(),
  model: Type.String(),
  version: Type.Integer(),
  model_details: Type.Object({
    name: Type.String(),
    overview: Type.String({ description: "The model's description; a written overview is in fields.model_details.overview and replaces it on the rendered card" }),
    owners: Type.Array(Type.Object({ name: Type.String() })),
    version: Type.Object({ name: Type.String(), date: Type.String(), author: Type.String(), diff: Type.String({ description: "The version's description" }) }),
    tags: Type.Object({ model: Type.Record(Type.String(), Type.String()), version: Type.Record(Type.String(), Type.String()) }),
    flavor: Type.String(),
    artifact: Type.Object({ sha256: Type.String(), size: Type.Integer() }),
    risk_tier: Type.String(),
    status: Type.String(),
    stage: Type.String(),
    aliases: Type.Array(Type.String()),
  }),
  model_parameters: Type.Object({
    model_architecture: Type.String({ description: 'The flavor' }),
    input_format: Nullable(Type.String()),
    output_format: Nullable(Type.String()),
    inputs: Type.Array(Tensor),
    outputs: Type.Array(Tensor),
    data: Type.Array(Type.Object({ name: Type.String(), version: Type.Integer(), role: Type.String(), sha256: Type.String(), rows: Type.Integer(), link: Type.String() }), {
      description: 'The dataset versions the version was trained, validated or tested on',
    }),
    lineage: Type.Object({ source_run: Nullable(Type.String()), dataset_version: Nullable(Type.String()), parent_version: Nullable(Type.Integer()) }),
    params: Type.Record(Type.String(), Type.String()),
  }),
  quantitative_analysis: Type.Object({
    performance_metrics: Type.Array(
      Type.Object({
        type: Type.String(),
        value: Type.Number(),
        slice: Nullable(Type.String()),
        confidence_interval: Type.Optional(Type.Object({ lower_bound: Type.Number(), upper_bound: Type.Number() })),
        source: Type.String({ description: "'logged' or 'gate <name>'" }),
      }),
    ),
  }),
  gates: Type.Array(
    Type.Object({
      name: Type.String(),
      type: Type.String(),
      passed: Type.Boolean(),
      created_at: Type.String(),
      summary: Type.String(),
      fairness: Type.Optional(
        Type.Object({
          metric: Nullable(Type.String()),
          gap: Nullable(Type.Number()),
          tolerance: Nullable(Type.Number()),
          groups: Type.Array(Type.Object({ group: Type.String(), count: Nullable(Type.Number()), selectionRate: Nullable(Type.Number()), tpr: Nullable(Type.Number()), fpr: Nullable(Type.Number()) })),
        }),
      ),
      details: Loose,
    }),
    { description: 'The newest result of each gate run on the version' },
  ),
  explanations: Nullable(
    Type.Object({
      report: Type.String(),
      dataset: Nullable(Type.String()),
      created_at: Type.String(),
      method: Nullable(Type.String()),
      top_features: Type.Array(Type.Object({ feature: Type.String(), importance: Type.Number() })),
    }),
  ),
  approvals: Type.Array(
    Type.Object({
      request: Type.String(),
      kind: Type.String(),
      target: Type.String(),
      requested_by: Type.String(),
      requested_at: Type.String(),
      executed_at: Nullable(Type.String()),
      approvers: Type.Array(Type.Object({ name: Type.String(), comment: Type.String(), at: Type.String() })),
    }),
    { description: 'Executed promotion requests of this version and who approved them' },
  ),
  stage_history: Type.Array(Type.Object({ from: Type.String(), to: Type.String(), comment: Type.String(), at: Type.String(), by: Type.String() })),
  fields: Fields,
  fields_updated: Nullable(Type.Object({ at: Type.String(), by: Type.String() })),
  completeness: Type.Object({ filled: Type.Array(Type.String()), missing: Type.Array(Type.String()) }, { description: 'Fillable field paths (as policies name them) filled and missing' }),
});

const VersionParams = Type.Object({ name: Type.String(), version: Type.Integer({ minimum: 1 }) });
const WRITE_DOC =
  'Body: {model_details?: {…}, considerations?: {…}}. Fields: ' +
  Object.entries(CARD_FIELD_HELP)
    .map(([path, help]) => `${path} (${help})`)
    .join('; ') +
  `. Texts at most 20,000 characters, lists at most 100 items; an unknown key is a 400 naming its path.`;
const base = '/api/v1/models/:name/versions/:version/card';

export function cardRoutes(app: App, cards: CardsService): void {
  app.get(
    base,
    {
      config: { auth: 'viewer' },
      schema: {
        tags: ['model cards'],
        summary: "A model version's card: what Steward knows (generated on each read), the written fields, and which fields are still missing",
        params: VersionParams,
        querystring: ProjectQuery,
        response: withErrors({ 200: Card }, 403, 404),
      },
    },
    async (request) => cards.getCard(request.query.project, request.params.name, request.params.version),
  );

  app.put(
    base,
    {
      config: { auth: 'contributor' },
      schema: {
        tags: ['model cards'],
        summary: "Replace a card's written fields (fields not in the body are removed)",
        description: WRITE_DOC,
        params: VersionParams,
        querystring: ProjectQuery,
        body: Loose,
        response: withErrors({ 200: Card }, 400, 403, 404),
      },
    },
    async (request) => cards.replaceFields(principalOf(request), request.query.project, request.params.name, request.params.version, request.body),
  );

  app.patch(
    base,
    {
      config: { auth: 'contributor' },
      schema: {
        tags: ['model cards'],
        summary: "Change some of a card's written fields: each field named replaces the one stored (null removes it); fields not named stay",
        description: WRITE_DOC,
        params: VersionParams,
        querystring: ProjectQuery,
        body: Loose,
        response: withErrors({ 200: Card }, 400, 403, 404),
      },
    },
    async (request) => cards.patchFields(principalOf(request), request.query.project, request.params.name, request.params.version, request.body),
  );

  const DownloadQuery = Type.Object({
    project: Type.Optional(Type.String({ description: "Project name; 'default' when omitted" })),
    download: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('0'), Type.Literal('true'), Type.Literal('false')], { description: '1: send as an attachment with a file name' })),
  });
  const rendered = (format: 'md' | 'html') =>
    app.get(
      `${base}.${format}`,
      {
        config: { auth: 'viewer' },
        schema: {
          tags: ['model cards'],
          summary: format === 'md' ? 'The card as Markdown' : 'The card as a standalone HTML page (inline CSS, no scripts)',
          params: VersionParams,
          querystring: DownloadQuery,
          response: withErrors({ 200: Type.String({ description: format === 'md' ? 'text/markdown' : 'text/html' }) }, 403, 404),
        },
      },
      async (request, reply) => {
        const card = await cards.getCard(request.query.project, request.params.name, request.params.version);
        const download = request.query.download === '1' || request.query.download === 'true';
        if (download) reply.header('content-disposition', `attachment; filename="${`${card.model}-v${card.version}-card.${format}`.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
        reply.header('x-content-type-options', 'nosniff');
        if (format === 'md') return reply.type('text/markdown; charset=utf-8').send(renderMarkdown(card));
        // The page needs nothing but its inline style: forbid everything else.
        reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'");
        return reply.type('text/html; charset=utf-8').send(renderHtml(card));
      },
    );
  rendered('md');
  rendered('html');
}
