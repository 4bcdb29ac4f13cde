/**
 * The fields of a model card that people write (everything else on a card is generated from what Steward
 * knows). Names follow the Model Card Toolkit schema (v0.0.2) where it has one: model_details.{overview,
 * licenses, references, citations} and considerations.{users, use_cases, limitations, tradeoffs,
 * ethical_considerations}. `considerations.out_of_scope_uses` is Steward's own (the toolkit has no field for
 * uses the model is not meant for).
 *
 * Lists hold objects as in the toolkit ({description}, {identifier | custom_text}, {reference},
 * {style?, citation}, {name, mitigation_strategy?}); a plain string is accepted for an item and stored in
 * that shape. Empty texts and lists are dropped, so a stored field is always filled.
 */
import { invalidField } from '../../../platform/errors.js';
import { printable } from '../../../platform/names.js';
import { checkText } from '../../../platform/validate.js';

export const MAX_CARD_TEXT = 20_000;
export const MAX_CARD_ITEMS = 100;

export interface DescriptionItem {
  description: string;
}
export interface License {
  /** An SPDX identifier or "proprietary". */
  identifier?: string;
  custom_text?: string;
}
export interface Reference {
  reference: string;
}
export interface Citation {
  style?: string;
  citation: string;
}
export interface EthicalConsideration {
  name: string;
  mitigation_strategy?: string;
}

export interface CardFields {
  model_details?: {
    /** Replaces the generated overview (the model's description). */
    overview?: string;
    licenses?: License[];
    references?: Reference[];
    citations?: Citation[];
  };
  considerations?: {
    users?: DescriptionItem[];
    /** Intended uses. */
    use_cases?: DescriptionItem[];
    /** Not in the Model Card Toolkit: uses the model is not meant for. */
    out_of_scope_uses?: DescriptionItem[];
    limitations?: DescriptionItem[];
    tradeoffs?: DescriptionItem[];
    ethical_considerations?: EthicalConsideration[];
  };
}

type ItemParser = (field: string, value: unknown) => Record<string, string>;
interface FieldSpec {
  kind: 'text' | 'list';
  item?: ItemParser;
  /** For the documentation and the CLI. */
  help: string;
}

function text(field: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidField(field, 'must be a string');
  return checkText(field, value, MAX_CARD_TEXT);
}

/** An item object with only `keys`, each a string; `required` must be non-empty. */
function itemObject(field: string, value: unknown, keys: readonly string[], required: readonly string[]): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidField(field, `must be a string or an object with ${keys.join(', ')}`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (!keys.includes(k)) throw invalidField(`${field}.${printable(k)}`, `is not a known field (known: ${keys.join(', ')})`, 'UNKNOWN_FIELD');
    if (v === undefined || v === null) continue;
    const t = text(`${field}.${k}`, v);
    if (t.trim() !== '') out[k] = t;
  }
  for (const k of required) if (out[k] === undefined) throw invalidField(`${field}.${k}`, 'is required and must not be empty');
  // Keys in the schema's order, so that equal cards serialise equally.
  return Object.fromEntries(keys.filter((k) => out[k] !== undefined).map((k) => [k, out[k]!]));
}

const shorthand =
  (key: string, keys: readonly string[], required: readonly string[]): ItemParser =>
  (field, value) =>
    itemObject(field, typeof value === 'string' ? { [key]: value } : value, keys, required);

const description = shorthand('description', ['description'], ['description']);

function license(field: string, value: unknown): Record<string, string> {
  const out = shorthand('identifier', ['identifier', 'custom_text'], [])(field, value);
  if ((out.identifier === undefined) === (out.custom_text === undefined)) throw invalidField(field, 'needs exactly one of identifier (an SPDX identifier) or custom_text');
  return out;
}

/** Section → field → how it is checked. The order is the order of the card and of CARD_FIELD_PATHS. */
const SPEC = {
  model_details: {
    overview: { kind: 'text', help: 'text: what the model is and does (replaces the model description on the card)' },
    licenses: { kind: 'list', item: license, help: 'list of {identifier} (SPDX, or "proprietary") or {custom_text}; a string is an identifier' },
    references: { kind: 'list', item: shorthand('reference', ['reference'], ['reference']), help: 'list of {reference}: links or documents; a string is a reference' },
    citations: { kind: 'list', item: shorthand('citation', ['style', 'citation'], ['citation']), help: 'list of {style?, citation}; a string is a citation' },
  },
  considerations: {
    users: { kind: 'list', item: description, help: 'list of {description}: the intended users' },
    use_cases: { kind: 'list', item: description, help: 'list of {description}: intended uses' },
    out_of_scope_uses: { kind: 'list', item: description, help: 'list of {description}: uses the model is not meant for (not a Model Card Toolkit field)' },
    limitations: { kind: 'list', item: description, help: 'list of {description}: known technical limitations' },
    tradeoffs: { kind: 'list', item: description, help: 'list of {description}: known accuracy/performance tradeoffs' },
    ethical_considerations: {
      kind: 'list',
      item: shorthand('name', ['name', 'mitigation_strategy'], ['name']),
      help: 'list of {name, mitigation_strategy?}: risks and how they are addressed; a string is a name',
    },
  },
} as const satisfies Record<string, Record<string, FieldSpec>>;

type Section = keyof typeof SPEC;
const SECTIONS = Object.keys(SPEC) as Section[];

/** Every field people can write, as dotted paths (what policies may require). */
export const CARD_FIELD_PATHS = SECTIONS.flatMap((s) => Object.keys(SPEC[s]).map((k) => `${s}.${k}`)) as readonly CardFieldPath[];
export type CardFieldPath = {
  [S in Section]: `${S}.${Extract<keyof (typeof SPEC)[S], string>}`;
}[Section];

export function isCardFieldPath(path: unknown): path is CardFieldPath {
  return typeof path === 'string' && (CARD_FIELD_PATHS as readonly string[]).includes(path);
}

/** One line of help per fillable path. */
export const CARD_FIELD_HELP: Record<CardFieldPath, string> = Object.fromEntries(
  SECTIONS.flatMap((s) => Object.entries(SPEC[s] as Record<string, FieldSpec>).map(([k, spec]) => [`${s}.${k}`, spec.help])),
) as Record<CardFieldPath, string>;

/** A checked document: a section or field given as null means "remove" (PATCH) or "not set" (PUT). */
type Checked = Partial<Record<Section, Record<string, unknown> | null>>;

function checkDocument(value: unknown): Checked {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidField('fields', `must be a JSON object with ${SECTIONS.join(' and/or ')}`);
  const out: Checked = {};
  for (const [section, body] of Object.entries(value as Record<string, unknown>)) {
    if (!(SECTIONS as string[]).includes(section)) throw invalidField(printable(section), `is not a known section (known: ${SECTIONS.join(', ')})`, 'UNKNOWN_FIELD');
    const spec = SPEC[section as Section] as Record<string, FieldSpec>;
    if (body === null || body === undefined) {
      out[section as Section] = null;
      continue;
    }
    if (typeof body !== 'object' || Array.isArray(body)) throw invalidField(section, 'must be a JSON object');
    const fields: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(body as Record<string, unknown>)) {
      const path = `${section}.${printable(key)}`;
      const f = spec[key];
      if (!f || !Object.hasOwn(spec, key)) throw invalidField(path, `is not a known field (known: ${Object.keys(spec).join(', ')})`, 'UNKNOWN_FIELD');
      if (v === null || v === undefined) {
        fields[key] = null;
      } else if (f.kind === 'text') {
        fields[key] = text(path, v);
      } else {
        const list = typeof v === 'string' ? [v] : v;
        if (!Array.isArray(list)) throw invalidField(path, 'must be a list');
        if (list.length > MAX_CARD_ITEMS) throw invalidField(path, `must have at most ${MAX_CARD_ITEMS} items`);
        fields[key] = list.map((item, i) => f.item!(`${path}[${i}]`, item));
      }
    }
    out[section as Section] = fields;
  }
  return out;
}

/** Drops empty values and orders sections and fields as the schema does. */
function normalize(doc: Checked): CardFields {
  const out: Record<string, Record<string, unknown>> = {};
  for (const section of SECTIONS) {
    const body = doc[section];
    if (!body) continue;
    const fields: Record<string, unknown> = {};
    for (const key of Object.keys(SPEC[section])) {
      const v = body[key];
      if (v === null || v === undefined) continue;
      if (typeof v === 'string' ? v.trim() === '' : Array.isArray(v) && v.length === 0) continue;
      fields[key] = v;
    }
    if (Object.keys(fields).length > 0) out[section] = fields;
  }
  return out as CardFields;
}

/** The written fields of a PUT: the whole document, replacing what was there. */
export function parseCardFields(value: unknown): CardFields {
  return normalize(checkDocument(value));
}

/**
 * A PATCH merged into the current fields: each section named replaces the fields it names (a field set to
 * null is removed; a section set to null is removed whole); sections and fields not named stay.
 */
export function mergeCardFields(current: CardFields, patch: unknown): CardFields {
  const changes = checkDocument(patch);
  const merged: Checked = { ...(current as Checked) };
  for (const section of SECTIONS) {
    if (!(section in changes)) continue;
    const body = changes[section];
    merged[section] = body === null ? null : { ...(current[section] ?? {}), ...body };
  }
  return normalize(merged);
}

/** Stored JSON read back; anything the current schema does not know is dropped rather than failing a read. */
export function storedCardFields(json: string | undefined | null): CardFields {
  if (!json) return {};
  try {
    return parseCardFields(JSON.parse(json));
  } catch {
    return {};
  }
}

/** A card as the policy engine may hold it: the written fields alone, or a whole card with its generated overview. */
export type CardLike = CardFields | { fields: CardFields; model_details?: { overview?: string | null } };

function writtenFields(card: CardLike): CardFields {
  return 'fields' in card ? card.fields : card;
}

/**
 * Whether a field is filled: a non-empty text or list. `model_details.overview` is also filled by a non-empty
 * generated overview (the model's description) when a whole card is given. Unknown paths are never filled
 * (check paths with isCardFieldPath when a policy is published).
 */
export function cardFieldFilled(card: CardLike, path: string): boolean {
  if (!isCardFieldPath(path)) return false;
  const [section, key] = path.split('.') as [Section, string];
  const v = (writtenFields(card)[section] as Record<string, unknown> | undefined)?.[key];
  if (typeof v === 'string' ? v.trim() !== '' : Array.isArray(v) && v.length > 0) return true;
  if (path === 'model_details.overview' && 'fields' in card) return (card.model_details?.overview ?? '').trim() !== '';
  return false;
}

/** The fillable paths that are filled and those that are not, in CARD_FIELD_PATHS order. */
export function cardCompleteness(card: CardLike): { filled: string[]; missing: string[] } {
  const filled: string[] = [];
  const missing: string[] = [];
  for (const path of CARD_FIELD_PATHS) (cardFieldFilled(card, path) ? filled : missing).push(path);
  return { filled, missing };
}
