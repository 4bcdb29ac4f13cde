/**
 * Parser and evaluator for MLflow's search grammar: the `filter` string and the `order_by`
 * list of `runs/search`, the page token, and the registry filters of `registered-models/search`
 * and `model-versions/search`.
 *
 * Written from MLflow's documented behaviour and its `SearchUtils`, `SearchModelUtils` and
 * `SearchModelVersionUtils` (mlflow/utils/search_utils.py); error messages follow MLflow's
 * wording so an API can return them as `INVALID_PARAMETER_VALUE`. Deliberate differences are
 * listed at the end of this comment.
 *
 * Grammar (keywords case-insensitive):
 *   filter     := clause ( AND clause )*
 *   clause     := ident op value | ident [NOT] IN '(' string (',' string)* ')' | ident IS [NOT] NULL
 *   ident      := [entity '.'] key      entity: metric(s) | param(s) | parameter(s) | tag(s)
 *                                               | attribute(s) | attr | run | dataset(s)
 *   key        := name | `back ticked` | "double quoted"    (dots allowed in unquoted keys)
 *   value      := number | 'single quoted' | "double quoted"
 *
 * Differences from MLflow (intentional):
 *   - Comparators are validated while parsing (MLflow checks them only when a run is compared,
 *     so e.g. `params.x > 'a'` parses there and fails later).
 *   - A list value is only accepted with IN / NOT IN; MLflow accepts `run_id = ('a')` and then
 *     never matches. IN / NOT IN lists of dataset values are not filtered to lower-case
 *     strings (MLflow drops any list item that is not `str.islower()`, for run ids and for
 *     dataset names alike); for run ids, items holding an upper-case letter are dropped as
 *     MLflow does, but digit-only ids are kept.
 *   - LIKE / ILIKE escape regex metacharacters in the pattern and `%` also matches newlines
 *     (SQL semantics); there is no LIKE escape character, as in MLflow.
 *   - Numeric attributes (start_time, end_time, version_number) need an integer literal;
 *     MLflow's `int(value)` would raise an internal error on `1.5`.
 *   - Page tokens must carry a positive integer offset (MLflow truncates floats and accepts
 *     negative offsets).
 *   - Order-by keys resolve quoting the same way with or without ASC / DESC (MLflow unquotes
 *     with shlex only when a direction is present).
 */

export const INVALID_PARAMETER_VALUE = 'INVALID_PARAMETER_VALUE';

export class SearchFilterError extends Error {
  readonly errorCode = INVALID_PARAMETER_VALUE;
  /** The offending token or clause text, when one can be named. */
  readonly token: string | undefined;

  constructor(message: string, token?: string) {
    super(message);
    this.name = 'SearchFilterError';
    this.token = token;
  }
}

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

export type NumericComparator = '=' | '!=' | '>' | '>=' | '<' | '<=';
export type StringComparator = '=' | '!=' | 'LIKE' | 'ILIKE';
export type ListComparator = 'IN' | 'NOT IN';
export type NullComparator = 'IS NULL' | 'IS NOT NULL';
export type Comparator = NumericComparator | StringComparator | ListComparator | NullComparator;

export type RunAttributeKey =
  | 'run_id'
  | 'run_name'
  | 'status'
  | 'user_id'
  | 'artifact_uri'
  | 'start_time'
  | 'end_time';

export type RunClause =
  | { type: 'metric'; key: string; comparator: NumericComparator; value: number }
  | { type: 'parameter' | 'tag'; key: string; comparator: StringComparator; value: string }
  | { type: 'parameter' | 'tag'; key: string; comparator: NullComparator; value: null }
  | { type: 'attribute'; key: 'start_time' | 'end_time'; comparator: NumericComparator; value: number }
  | { type: 'attribute'; key: Exclude<RunAttributeKey, 'start_time' | 'end_time'>; comparator: StringComparator; value: string }
  | { type: 'attribute'; key: 'run_id'; comparator: ListComparator; value: string[] }
  | { type: 'dataset'; key: 'name' | 'digest' | 'context'; comparator: StringComparator; value: string }
  | { type: 'dataset'; key: 'name' | 'digest' | 'context'; comparator: ListComparator; value: string[] };

export interface RunForSearch {
  runId: string;
  runName?: string | null;
  status: string;
  startTime: number;
  endTime?: number | null;
  userId?: string | null;
  artifactUri?: string | null;
  lifecycleStage?: string;
  /** Latest value of each metric. */
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
  datasets?: { name: string; digest: string; context?: string | null }[];
}

export type OrderKeyType = 'metric' | 'parameter' | 'tag' | 'attribute';

export interface OrderKey {
  type: OrderKeyType;
  key: string;
  ascending: boolean;
}

// ---------------------------------------------------------------------------------------------
// Constants (MLflow's vocabulary)
// ---------------------------------------------------------------------------------------------

const METRIC = 'metric';
const PARAM = 'parameter';
const TAG = 'tag';
const ATTRIBUTE = 'attribute';
const DATASET = 'dataset';
type RunEntityType = typeof METRIC | typeof PARAM | typeof TAG | typeof ATTRIBUTE | typeof DATASET;

const ENTITY_ALIASES: Record<string, RunEntityType> = {
  metric: METRIC,
  metrics: METRIC,
  parameter: PARAM,
  parameters: PARAM,
  param: PARAM,
  params: PARAM,
  tag: TAG,
  tags: TAG,
  attribute: ATTRIBUTE,
  attributes: ATTRIBUTE,
  attr: ATTRIBUTE,
  run: ATTRIBUTE,
  dataset: DATASET,
  datasets: DATASET,
};
const IDENTIFIERS = [METRIC, PARAM, TAG, ATTRIBUTE, DATASET];

const NUMERIC_COMPARATORS: readonly string[] = ['>', '>=', '!=', '=', '<', '<='];
const PARAM_TAG_COMPARATORS: readonly string[] = ['!=', '=', 'LIKE', 'ILIKE'];
const STRING_ATTRIBUTE_COMPARATORS: readonly string[] = ['!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];
const DATASET_COMPARATORS: readonly string[] = ['!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];

const NUMERIC_RUN_ATTRIBUTES = new Set(['start_time', 'end_time', 'created', 'Created']);
const RUN_ORDER_BY_ATTRIBUTES = new Set([
  'artifact_uri',
  'end_time',
  'run_id',
  'run_name',
  'start_time',
  'status',
  'user_id',
  'created',
  'Created',
]);
/** Filters also accept the run name spelled as the MLflow UI shows it. */
const RUN_SEARCH_ATTRIBUTES = new Set([...RUN_ORDER_BY_ATTRIBUTES, 'run name', 'Run name', 'Run Name']);
const DATASET_KEYS = new Set(['name', 'digest', 'context']);

/** Python's repr of a set of strings, sorted for a stable message. */
function pySet(values: Iterable<string>): string {
  return `{${[...values].sort().map((v) => `'${v}'`).join(', ')}}`;
}
function pyList(values: readonly string[]): string {
  return `[${values.map((v) => `'${v}'`).join(', ')}]`;
}

function translateKeyAlias(key: string): string {
  if (key === 'created' || key === 'Created') return 'start_time';
  if (key === 'run name' || key === 'Run name' || key === 'Run Name') return 'run_name';
  return key;
}

// ---------------------------------------------------------------------------------------------
// Tokenizer
// ---------------------------------------------------------------------------------------------

type TokKind = 'ident' | 'string' | 'number' | 'op' | 'keyword' | 'lparen' | 'rparen' | 'comma' | 'semicolon';
interface Tok {
  kind: TokKind;
  /** Raw source text (keywords upper-cased). */
  text: string;
  pos: number;
  end: number;
}

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'LIKE', 'ILIKE', 'IS', 'NULL', 'TRUE', 'FALSE']);
const BARE_PART = /[\p{L}_][\p{L}\p{N}_$]*/uy;
const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?![\p{L}_])/uy;
const OPERATOR = /[<>=!~]+/y;
const SINGLE_QUOTED = /'(?:''|\\.|[^'\\])*'/sy;
const DOUBLE_QUOTED = /"(?:""|\\.|[^"\\])*"/sy;
const BACKTICKED = /`(?:``|[^`])*`/y;

function invalidClause(text: string): SearchFilterError {
  return new SearchFilterError(`Invalid clause(s) in filter string: '${text}'`, text);
}

function matchAt(re: RegExp, text: string, pos: number): string | undefined {
  re.lastIndex = pos;
  const m = re.exec(text);
  return m ? m[0] : undefined;
}

/** One part of an identifier (bare name or quoted), or undefined. Throws on an unterminated quote. */
function scanIdentPart(text: string, pos: number): string | undefined {
  const ch = text[pos];
  if (ch === '`' || ch === '"') {
    const part = matchAt(ch === '`' ? BACKTICKED : DOUBLE_QUOTED, text, pos);
    if (part === undefined) throw invalidClause(text.slice(pos));
    return part;
  }
  return matchAt(BARE_PART, text, pos);
}

function tokenize(text: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (/\s/u.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    const push = (kind: TokKind, raw: string, shown = raw): void => {
      toks.push({ kind, text: shown, pos: start, end: start + raw.length });
      i = start + raw.length;
    };
    if (ch === '(') push('lparen', ch);
    else if (ch === ')') push('rparen', ch);
    else if (ch === ',') push('comma', ch);
    else if (ch === ';') push('semicolon', ch);
    else if (ch === "'") {
      const s = matchAt(SINGLE_QUOTED, text, i);
      if (s === undefined) throw invalidClause(text.slice(i));
      push('string', s);
    } else if (/[\d.-]/.test(ch) && matchAt(NUMBER, text, i) !== undefined) {
      push('number', matchAt(NUMBER, text, i) as string);
    } else if (/[<>=!~]/.test(ch)) {
      push('op', matchAt(OPERATOR, text, i) as string);
    } else {
      const first = scanIdentPart(text, i);
      if (first === undefined) throw invalidClause(text.slice(i));
      let end = i + first.length;
      let parts = 1;
      while (text[end] === '.') {
        const next = scanIdentPart(text, end + 1);
        if (next === undefined) throw invalidClause(text.slice(i));
        end += 1 + next.length;
        parts++;
      }
      const raw = text.slice(i, end);
      if (parts === 1 && KEYWORDS.has(raw.toUpperCase())) push('keyword', raw, raw.toUpperCase());
      else push('ident', raw);
    }
  }
  return toks;
}

// ---------------------------------------------------------------------------------------------
// Generic clause parser (shared by runs and the registry)
// ---------------------------------------------------------------------------------------------

type RawValue =
  | { kind: 'number'; text: string }
  | { kind: 'string'; text: string } // single-quoted, raw with quotes
  | { kind: 'ident'; text: string } // identifier-like (may be double-quoted)
  | { kind: 'list'; text: string; items: string[] }
  | { kind: 'null'; text: '' };

interface RawComparison {
  ident: string;
  comparator: string;
  value: RawValue;
  text: string;
}

function isQuoted(value: string, quote: string): boolean {
  return value.length >= 2 && value.startsWith(quote) && value.endsWith(quote);
}
function trimBackticks(value: string): string {
  return isQuoted(value, '`') ? value.slice(1, -1) : value;
}
function stripQuotes(value: string, expectQuoted = false): string {
  if (isQuoted(value, "'") || isQuoted(value, '"')) return value.slice(1, -1);
  if (expectQuoted) {
    throw new SearchFilterError(
      `Parameter value is either not quoted or unidentified quote types used for string value ${value}. ` +
        'Use either single or double quotes.',
      value,
    );
  }
  return value;
}

/** A single-quoted list item, unescaped as Python's literal_eval would for simple escapes. */
function unescapeListItem(raw: string): string {
  return raw
    .slice(1, -1)
    .replace(/\\(.)/gs, (_m, c: string) => ({ n: '\n', t: '\t', r: '\r', '0': '\0' })[c] ?? c);
}

function parseList(text: string, toks: Tok[], start: number): { value: RawValue; next: number } {
  // toks[start] is '('
  const open = toks[start] as Tok;
  let j = start + 1;
  const items: string[] = [];
  let ok = true;
  let sawNonString = false;
  let expectItem = true;
  for (;;) {
    const t = toks[j];
    if (t === undefined) {
      throw new SearchFilterError(
        'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.',
        text.slice(open.pos),
      );
    }
    if (t.kind === 'rparen') break;
    if (expectItem) {
      if (t.kind === 'string') items.push(unescapeListItem(t.text));
      else sawNonString = true;
      expectItem = false;
    } else if (t.kind === 'comma') {
      expectItem = true;
    } else {
      ok = false;
    }
    j++;
  }
  const close = toks[j] as Tok;
  const listText = text.slice(open.pos, close.end);
  if (items.length === 0 && !sawNonString && ok) {
    throw new SearchFilterError(
      'While parsing a list in the query, expected a non-empty list of string values, but got empty list',
      listText,
    );
  }
  if (sawNonString) {
    throw new SearchFilterError(
      'While parsing a list in the query, expected string value, punctuation, or whitespace, ' +
        `but got different type in list: ${listText}`,
      listText,
    );
  }
  if (!ok) {
    throw new SearchFilterError(
      'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.',
      listText,
    );
  }
  return { value: { kind: 'list', text: listText, items }, next: j + 1 };
}

function parseScalar(text: string, toks: Tok[], j: number, clauseStart: number): { value: RawValue; next: number } {
  const t = toks[j];
  if (t === undefined) throw invalidClause(text.slice(clauseStart).trim());
  if (t.kind === 'number' || t.kind === 'string' || t.kind === 'ident') {
    return { value: { kind: t.kind, text: t.text }, next: j + 1 };
  }
  if (t.kind === 'lparen') return parseList(text, toks, j);
  throw invalidClause(t.text);
}

function parseComparisons(text: string | null | undefined): RawComparison[] {
  if (!text || text.trim() === '') return [];
  const toks = tokenize(text);
  const semi = toks.findIndex((t) => t.kind === 'semicolon');
  if (semi >= 0) {
    if (semi < toks.length - 1) {
      throw new SearchFilterError(
        `Search filter contained multiple expression '${text}'. Provide AND-ed expression list.`,
        ';',
      );
    }
    throw invalidClause(';');
  }
  const out: RawComparison[] = [];
  let j = 0;
  for (;;) {
    const first = toks[j];
    if (first === undefined) throw invalidClause(text.trim());
    if (first.kind !== 'ident') {
      if ((first.kind === 'number' || first.kind === 'string') && toks[j + 1]?.kind === 'op') {
        throw new SearchFilterError(
          `Invalid comparison clause. Expected 'Identifier' found '${first.text}'`,
          first.text,
        );
      }
      throw invalidClause(first.text);
    }
    const clauseStart = first.pos;
    const opTok = toks[j + 1];
    let comparator: string;
    let parsed: { value: RawValue; next: number };
    if (opTok === undefined) throw invalidClause(first.text);
    if (opTok.kind === 'op') {
      comparator = opTok.text;
      parsed = parseScalar(text, toks, j + 2, clauseStart);
    } else if (opTok.kind === 'keyword' && (opTok.text === 'LIKE' || opTok.text === 'ILIKE')) {
      comparator = opTok.text;
      parsed = parseScalar(text, toks, j + 2, clauseStart);
    } else if (opTok.kind === 'keyword' && opTok.text === 'IN') {
      if (toks[j + 2]?.kind !== 'lparen') throw invalidClause(text.slice(clauseStart, (toks[j + 2] ?? opTok).end));
      comparator = 'IN';
      parsed = parseList(text, toks, j + 2);
    } else if (opTok.kind === 'keyword' && opTok.text === 'NOT') {
      if (toks[j + 2]?.text !== 'IN' || toks[j + 2]?.kind !== 'keyword' || toks[j + 3]?.kind !== 'lparen') {
        throw invalidClause(text.slice(clauseStart, (toks[j + 3] ?? toks[j + 2] ?? opTok).end));
      }
      comparator = 'NOT IN';
      parsed = parseList(text, toks, j + 3);
    } else if (opTok.kind === 'keyword' && opTok.text === 'IS') {
      const a = toks[j + 2];
      const b = toks[j + 3];
      if (a?.kind === 'keyword' && a.text === 'NULL') {
        comparator = 'IS NULL';
        parsed = { value: { kind: 'null', text: '' }, next: j + 3 };
      } else if (a?.kind === 'keyword' && a.text === 'NOT' && b?.kind === 'keyword' && b.text === 'NULL') {
        comparator = 'IS NOT NULL';
        parsed = { value: { kind: 'null', text: '' }, next: j + 4 };
      } else {
        throw invalidClause(text.slice(clauseStart, (b ?? a ?? opTok).end));
      }
    } else {
      throw invalidClause(text.slice(clauseStart, opTok.end));
    }
    const last = toks[parsed.next - 1] as Tok;
    out.push({ ident: first.text, comparator, value: parsed.value, text: text.slice(clauseStart, last.end) });
    j = parsed.next;
    const sep = toks[j];
    if (sep === undefined) return out;
    if (sep.kind === 'keyword' && sep.text === 'AND') {
      j++;
      continue;
    }
    throw invalidClause(sep.text);
  }
}

function invalidComparator(comparator: string, allowed: readonly string[], token: string): SearchFilterError {
  return new SearchFilterError(`Invalid comparator '${comparator}' not one of '${pySet(allowed)}'`, token);
}

function checkComparator(comparator: string, allowed: readonly string[]): void {
  if (!allowed.includes(comparator)) throw invalidComparator(comparator, allowed, comparator);
}

function listOnlyWithIn(comparator: string, value: RawValue): void {
  const isList = value.kind === 'list';
  const isIn = comparator === 'IN' || comparator === 'NOT IN';
  if (isList !== isIn) {
    throw new SearchFilterError(
      `Invalid comparator '${comparator}' for value ${value.text}. Lists are compared with IN or NOT IN only.`,
      value.text,
    );
  }
}

function integerValue(raw: string, message: string): number {
  if (!/^-?\d+$/.test(raw)) throw new SearchFilterError(message, raw);
  return Number(raw);
}

// ---------------------------------------------------------------------------------------------
// Runs
// ---------------------------------------------------------------------------------------------

function resolveRunIdentifier(raw: string, validAttributes: Set<string>): { type: RunEntityType; key: string } {
  const dot = raw.indexOf('.');
  let type: RunEntityType = ATTRIBUTE;
  let key = raw;
  if (dot >= 0) {
    const entity = trimBackticks(raw.slice(0, dot));
    const resolved = Object.hasOwn(ENTITY_ALIASES, entity) ? ENTITY_ALIASES[entity] : undefined;
    if (resolved === undefined) {
      throw new SearchFilterError(`Invalid entity type '${entity}'. Valid values are ${pyList(IDENTIFIERS)}`, entity);
    }
    type = resolved;
    key = raw.slice(dot + 1);
  }
  key = trimBackticks(stripQuotes(key));
  if (type === ATTRIBUTE && !validAttributes.has(key)) {
    throw new SearchFilterError(
      `Invalid attribute key '${key}' specified. Valid keys are '${pySet(validAttributes)}'`,
      key,
    );
  }
  if (type === DATASET && !DATASET_KEYS.has(key)) {
    throw new SearchFilterError(`Invalid dataset key '${key}' specified. Valid keys are '${pySet(DATASET_KEYS)}'`, key);
  }
  return { type, key };
}

function quotedString(value: RawValue, what: string): string {
  if (value.kind === 'string' || value.kind === 'ident') return stripQuotes(value.text, true);
  throw new SearchFilterError(`Expected a quoted string value for ${what}. Got value ${value.text}`, value.text);
}

function runIdList(items: string[]): string[] {
  // MLflow keeps only lower-case run ids (MySQL's IN is case-insensitive; run ids are lower case).
  return items.filter((id) => id === id.toLowerCase());
}

function toRunClause(c: RawComparison): RunClause {
  const { type, key: rawKey } = resolveRunIdentifier(c.ident, RUN_SEARCH_ATTRIBUTES);
  const comparator = c.comparator.toUpperCase();
  const v = c.value;
  if (comparator === 'IS NULL' || comparator === 'IS NOT NULL') {
    if (type !== PARAM && type !== TAG) {
      throw new SearchFilterError(
        `IS NULL / IS NOT NULL is only supported for tags and params, not for '${type}' '${rawKey}'`,
        c.text,
      );
    }
    return { type, key: rawKey, comparator, value: null };
  }
  switch (type) {
    case METRIC: {
      if (v.kind !== 'number') {
        throw new SearchFilterError(`Expected numeric value type for metric. Found ${v.text}`, v.text);
      }
      checkComparator(comparator, NUMERIC_COMPARATORS);
      return { type, key: rawKey, comparator: comparator as NumericComparator, value: Number(v.text) };
    }
    case PARAM:
    case TAG: {
      if (v.kind !== 'string' && v.kind !== 'ident') {
        throw new SearchFilterError(
          `Expected a quoted string value for ${type} (e.g. 'my-value'). Got value ${v.text}`,
          v.text,
        );
      }
      const value = stripQuotes(v.text, true);
      checkComparator(comparator, PARAM_TAG_COMPARATORS);
      return { type, key: rawKey, comparator: comparator as StringComparator, value };
    }
    case ATTRIBUTE: {
      const key = translateKeyAlias(rawKey) as RunAttributeKey;
      if (NUMERIC_RUN_ATTRIBUTES.has(rawKey)) {
        if (v.kind !== 'number') {
          throw new SearchFilterError(
            `Expected numeric value type for numeric attribute: ${rawKey}. Found ${v.text}`,
            v.text,
          );
        }
        const value = integerValue(v.text, `Expected an integer value for numeric attribute: ${rawKey}. Found ${v.text}`);
        checkComparator(comparator, NUMERIC_COMPARATORS);
        return { type, key: key as 'start_time' | 'end_time', comparator: comparator as NumericComparator, value };
      }
      if (v.kind === 'list') {
        if (key !== 'run_id') {
          throw new SearchFilterError(
            "Only the 'run_id' attribute supports comparison with a list of quoted string values.",
            v.text,
          );
        }
        checkComparator(comparator, STRING_ATTRIBUTE_COMPARATORS);
        listOnlyWithIn(comparator, v);
        return { type, key, comparator: comparator as ListComparator, value: runIdList(v.items) };
      }
      const value = quotedString(v, 'attributes');
      checkComparator(comparator, STRING_ATTRIBUTE_COMPARATORS);
      listOnlyWithIn(comparator, v);
      return {
        type,
        key: key as Exclude<RunAttributeKey, 'start_time' | 'end_time'>,
        comparator: comparator as StringComparator,
        value,
      };
    }
    case DATASET: {
      const key = rawKey as 'name' | 'digest' | 'context';
      if (v.kind === 'list') {
        checkComparator(comparator, DATASET_COMPARATORS);
        listOnlyWithIn(comparator, v);
        return { type, key, comparator: comparator as ListComparator, value: v.items };
      }
      const value = quotedString(v, 'dataset attributes');
      checkComparator(comparator, DATASET_COMPARATORS);
      listOnlyWithIn(comparator, v);
      return { type, key, comparator: comparator as StringComparator, value };
    }
  }
}

/** Parses an MLflow run search filter (`metrics.acc > 0.9 and params.model = 'lr'`). Empty → []. */
export function parseRunFilter(text: string | null | undefined): RunClause[] {
  return parseComparisons(text).map(toRunClause);
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

const likeCache = new Map<string, RegExp>();

function likeRegex(pattern: string, caseInsensitive: boolean): RegExp {
  const cacheKey = `${caseInsensitive ? 'i' : 'c'}${pattern}`;
  let re = likeCache.get(cacheKey);
  if (re === undefined) {
    let body = '';
    for (const ch of pattern) {
      if (ch === '%') body += '.*';
      else if (ch === '_') body += '.';
      else body += ch.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
    }
    re = new RegExp(`^${body}$`, caseInsensitive ? 'isu' : 'su');
    if (likeCache.size > 500) likeCache.clear();
    likeCache.set(cacheKey, re);
  }
  return re;
}

/** SQL LIKE: `%` any run of characters, `_` one character, case-sensitive. */
export function like(value: string, pattern: string): boolean {
  return likeRegex(pattern, false).test(value);
}

/** Case-insensitive LIKE. */
export function ilike(value: string, pattern: string): boolean {
  return likeRegex(pattern, true).test(value);
}

function compareValues(lhs: string | number, comparator: Comparator, rhs: string | number | string[] | null): boolean {
  switch (comparator) {
    case '=':
      return lhs === rhs;
    case '!=':
      return lhs !== rhs;
    case '>':
      return lhs > (rhs as typeof lhs);
    case '>=':
      return lhs >= (rhs as typeof lhs);
    case '<':
      return lhs < (rhs as typeof lhs);
    case '<=':
      return lhs <= (rhs as typeof lhs);
    case 'LIKE':
      return like(String(lhs), rhs as string);
    case 'ILIKE':
      return ilike(String(lhs), rhs as string);
    case 'IN':
      return (rhs as string[]).includes(lhs as string);
    case 'NOT IN':
      return !(rhs as string[]).includes(lhs as string);
    case 'IS NULL':
    case 'IS NOT NULL':
      return false;
  }
}

function runAttribute(run: RunForSearch, key: RunAttributeKey): string | number | null | undefined {
  switch (key) {
    case 'run_id':
      return run.runId;
    case 'run_name':
      return run.runName;
    case 'status':
      return run.status;
    case 'user_id':
      return run.userId;
    case 'artifact_uri':
      return run.artifactUri;
    case 'start_time':
      return run.startTime;
    case 'end_time':
      return run.endTime;
  }
}

function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function matchesRunClause(run: RunForSearch, clause: RunClause): boolean {
  if (clause.comparator === 'IS NULL' || clause.comparator === 'IS NOT NULL') {
    const record = clause.type === 'parameter' ? run.params : run.tags;
    const present = Object.hasOwn(record, clause.key);
    return clause.comparator === 'IS NULL' ? !present : present;
  }
  if (clause.type === 'dataset') {
    const datasets = run.datasets ?? [];
    if (clause.key === 'context') {
      // Only inputs that carry a context tag take part, as in MLflow.
      return datasets.some(
        (d) => d.context !== undefined && d.context !== null && compareValues(d.context, clause.comparator, clause.value),
      );
    }
    const key = clause.key;
    return datasets.some((d) => compareValues(d[key], clause.comparator, clause.value));
  }
  let lhs: string | number | null | undefined;
  switch (clause.type) {
    case 'metric':
      lhs = own(run.metrics, clause.key);
      break;
    case 'parameter':
      lhs = own(run.params, clause.key);
      break;
    case 'tag':
      lhs = own(run.tags, clause.key);
      break;
    case 'attribute':
      lhs = runAttribute(run, clause.key);
      break;
  }
  // A run without the key never matches (not even `!=`). A NaN metric compares like Python's
  // float: only `!=` is true.
  if (lhs === undefined || lhs === null) return false;
  return compareValues(lhs, clause.comparator, clause.value);
}

/** True when the run satisfies every clause (clauses are AND-ed). */
export function matchesRun(run: RunForSearch, clauses: readonly RunClause[]): boolean {
  return clauses.every((clause) => matchesRunClause(run, clause));
}

// ---------------------------------------------------------------------------------------------
// Order by
// ---------------------------------------------------------------------------------------------

/**
 * Splits `<identifier> [ASC|DESC]` while respecting quotes in the identifier.
 * Returns the identifier text and the optional direction word.
 */
function splitOrderBy(item: string): { ident: string; direction: string | undefined } {
  const invalid = (): SearchFilterError =>
    new SearchFilterError(`Invalid order_by clause '${item}'. Could not be parsed.`, item);
  if (item === '' || item !== item.trim()) throw invalid();
  let toks: Tok[];
  try {
    toks = tokenize(item);
  } catch {
    throw invalid();
  }
  const [first, second, ...rest] = toks;
  if (first === undefined || rest.length > 0) throw invalid();
  if (first.kind !== 'ident') throw invalid();
  if (second === undefined) return { ident: first.text, direction: undefined };
  if (second.kind !== 'ident' && second.kind !== 'keyword') throw invalid();
  return { ident: first.text, direction: item.slice(second.pos) };
}

function parseDirection(item: string, direction: string | undefined): boolean {
  if (direction === undefined) return true;
  const d = direction.toLowerCase();
  if (d !== 'asc' && d !== 'desc') {
    throw new SearchFilterError(`Invalid ordering key in order_by clause '${item}'.`, direction);
  }
  return d === 'asc';
}

/** Parses run `order_by` items (`metrics.acc DESC`, `attributes.start_time`, ...). */
export function parseOrderBy(items: readonly string[] | null | undefined): OrderKey[] {
  return (items ?? []).map((item) => {
    const { ident, direction } = splitOrderBy(item);
    const ascending = parseDirection(item, direction);
    const { type, key } = resolveRunIdentifier(ident, RUN_ORDER_BY_ATTRIBUTES);
    if (type === DATASET) {
      throw new SearchFilterError(`Invalid order_by entity type '${type}'`, ident);
    }
    return { type, key: type === ATTRIBUTE ? translateKeyAlias(key) : key, ascending };
  });
}

/** Python-like string ordering (by code point). */
function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const ai = a[Symbol.iterator]();
  const bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next();
    const y = bi.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = x.value.codePointAt(0) as number;
    const cy = y.value.codePointAt(0) as number;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

function comparePresent(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  return compareStrings(String(a), String(b));
}

function sortValue(run: RunForSearch, key: OrderKey): string | number | null | undefined {
  switch (key.type) {
    case 'metric':
      return own(run.metrics, key.key);
    case 'parameter':
      return own(run.params, key.key);
    case 'tag':
      return own(run.tags, key.key);
    case 'attribute':
      return runAttribute(run, key.key as RunAttributeKey);
  }
}

/** 0 = has a value, 1 = NaN, 2 = missing: in both directions values come first, then NaN, then missing. */
function missingRank(v: string | number | null | undefined): number {
  if (v === undefined || v === null) return 2;
  if (typeof v === 'number' && Number.isNaN(v)) return 1;
  return 0;
}

/**
 * Comparator for Array.prototype.sort implementing MLflow's run ordering: the order keys in
 * turn (runs missing a key, or with a NaN metric, go last in either direction), then the
 * default order `start_time DESC, run_id ASC`.
 */
export function compareRuns(a: RunForSearch, b: RunForSearch, keys: readonly OrderKey[] = []): number {
  for (const key of keys) {
    const va = sortValue(a, key);
    const vb = sortValue(b, key);
    const ra = missingRank(va);
    const rb = missingRank(vb);
    if (ra !== rb) return ra - rb;
    if (ra !== 0) continue;
    const c = comparePresent(va as string | number, vb as string | number);
    if (c !== 0) return key.ascending ? c : -c;
  }
  if (a.startTime !== b.startTime) return b.startTime - a.startTime;
  return compareStrings(a.runId, b.runId);
}

// ---------------------------------------------------------------------------------------------
// Page tokens
// ---------------------------------------------------------------------------------------------

/** base64 of `{"offset": n}`, byte-for-byte what MLflow's `create_page_token` produces. */
export function encodePageToken(offset: number): string {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new SearchFilterError(`Invalid page token offset ${offset}`, String(offset));
  }
  return Buffer.from(JSON.stringify({ offset }).replace(':', ': '), 'utf8').toString('base64');
}

/** Offset carried by a page token; an absent or empty token means 0. */
export function decodePageToken(token: string | null | undefined): number {
  if (!token) return 0;
  const compact = token.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
    throw new SearchFilterError('Invalid page token, could not base64-decode', token);
  }
  const decoded = Buffer.from(compact, 'base64').toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoded);
  } catch {
    throw new SearchFilterError(`Invalid page token, decoded value=${decoded}`, token);
  }
  const offset =
    parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)['offset']
      : undefined;
  if (offset === undefined || offset === null || offset === 0 || offset === '' || offset === false) {
    throw new SearchFilterError(`Invalid page token, parsed value=${decoded}`, token);
  }
  let n: number | undefined;
  if (typeof offset === 'number' && Number.isSafeInteger(offset)) n = offset;
  else if (typeof offset === 'string' && /^\s*\+?\d+\s*$/.test(offset)) n = Number(offset);
  if (n === undefined || n <= 0 || !Number.isSafeInteger(n)) {
    throw new SearchFilterError(`Invalid page token, not stringable ${JSON.stringify(offset)}`, token);
  }
  return n;
}

/** One page of already filtered and sorted items, with the token of the next page if any. */
export function paginate<T>(
  items: readonly T[],
  pageToken: string | null | undefined,
  maxResults: number,
): { items: T[]; nextPageToken: string | undefined } {
  const start = decodePageToken(pageToken);
  const end = start + maxResults;
  return {
    items: items.slice(start, end),
    nextPageToken: end < items.length ? encodePageToken(end) : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Model registry
// ---------------------------------------------------------------------------------------------

export type ModelClause =
  | { type: 'attribute'; key: 'name'; comparator: StringComparator; value: string }
  | { type: 'tag'; key: string; comparator: StringComparator; value: string };

export type ModelVersionClause =
  | { type: 'attribute'; key: 'name' | 'source_path' | 'run_id'; comparator: StringComparator; value: string }
  | { type: 'attribute'; key: 'run_id'; comparator: 'IN'; value: string[] }
  | { type: 'attribute'; key: 'version_number'; comparator: NumericComparator; value: number }
  | { type: 'tag'; key: string; comparator: StringComparator; value: string };

export interface ModelForSearch {
  name: string;
  tags: Record<string, string>;
}

export interface ModelVersionForSearch {
  name: string;
  version: number;
  runId?: string | null;
  source?: string | null;
  tags: Record<string, string>;
}

const REGISTRY_ENTITY_TYPES = ['attribute', 'tag', 'tags'];
const MODEL_SEARCH_KEYS = new Set(['name']);
const MODEL_STRING_COMPARATORS: readonly string[] = ['!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];
const VERSION_SEARCH_KEYS = new Set(['name', 'version_number', 'run_id', 'source_path']);
const VERSION_NUMERIC_ATTRIBUTES = new Set(['version_number', 'creation_timestamp', 'last_updated_timestamp']);
const VERSION_STRING_COMPARATORS: readonly string[] = ['!=', '=', 'LIKE', 'ILIKE', 'IN'];

function resolveRegistryIdentifier(raw: string, validAttributes: Set<string>): { type: 'attribute' | 'tag'; key: string } {
  const dot = raw.indexOf('.');
  let type: 'attribute' | 'tag' = 'attribute';
  let key = raw;
  if (dot >= 0) {
    const entity = raw.slice(0, dot);
    if (!REGISTRY_ENTITY_TYPES.includes(entity)) {
      throw new SearchFilterError(
        `Invalid entity type '${entity}'. Valid entity types are ('attribute', 'tag', 'tags')`,
        entity,
      );
    }
    type = entity === 'attribute' ? 'attribute' : 'tag';
    key = raw.slice(dot + 1);
  }
  if (type === 'attribute' && !validAttributes.has(key)) {
    throw new SearchFilterError(
      `Invalid attribute key '${key}' specified. Valid keys are '${pySet(validAttributes)}'`,
      key,
    );
  }
  return { type, key: trimBackticks(stripQuotes(key)) };
}

function registryTagClause(key: string, comparator: string, v: RawValue): { type: 'tag'; key: string; comparator: StringComparator; value: string } {
  if (v.kind !== 'string' && v.kind !== 'ident') {
    throw new SearchFilterError(`Expected a quoted string value for tag (e.g. 'my-value'). Got value ${v.text}`, v.text);
  }
  const value = stripQuotes(v.text, true);
  checkComparator(comparator, PARAM_TAG_COMPARATORS);
  return { type: 'tag', key, comparator: comparator as StringComparator, value };
}

function registryNullCheck(c: RawComparison): void {
  if (c.comparator === 'IS NULL' || c.comparator === 'IS NOT NULL') {
    throw new SearchFilterError(`Invalid clause(s) in filter string: '${c.text}'`, c.text);
  }
}

/** Parses a `registered-models/search` filter: `name = 'x'`, `name LIKE '%x%'`, `tags.k = 'v'`. */
export function parseModelFilter(text: string | null | undefined): ModelClause[] {
  return parseComparisons(text).map((c): ModelClause => {
    registryNullCheck(c);
    const { type, key } = resolveRegistryIdentifier(c.ident, MODEL_SEARCH_KEYS);
    const comparator = c.comparator.toUpperCase();
    if (type === 'tag') return registryTagClause(key, comparator, c.value);
    const v = c.value;
    if (v.kind === 'list') {
      throw new SearchFilterError(
        "Only the 'run_id' attribute supports comparison with a list of quoted string values.",
        v.text,
      );
    }
    if (v.kind !== 'string' && v.kind !== 'ident') {
      throw new SearchFilterError(
        `Expected a quoted string value or a list of quoted string values for attributes. Got value ${v.text}`,
        v.text,
      );
    }
    const value = stripQuotes(v.text, true);
    checkComparator(comparator, MODEL_STRING_COMPARATORS);
    listOnlyWithIn(comparator, v);
    return { type: 'attribute', key: 'name', comparator: comparator as StringComparator, value };
  });
}

/** Parses a `model-versions/search` filter: name, version_number, run_id (incl. IN), source_path, tags. */
export function parseModelVersionFilter(text: string | null | undefined): ModelVersionClause[] {
  return parseComparisons(text).map((c): ModelVersionClause => {
    registryNullCheck(c);
    const { type, key } = resolveRegistryIdentifier(c.ident, VERSION_SEARCH_KEYS);
    const comparator = c.comparator.toUpperCase();
    if (type === 'tag') return registryTagClause(key, comparator, c.value);
    const v = c.value;
    if (v.kind === 'list') {
      if (key !== 'run_id') {
        throw new SearchFilterError(
          "Only the 'run_id' attribute supports comparison with a list of quoted string values.",
          v.text,
        );
      }
      checkComparator(comparator, VERSION_STRING_COMPARATORS);
      listOnlyWithIn(comparator, v);
      return { type: 'attribute', key: 'run_id', comparator: 'IN', value: runIdList(v.items) };
    }
    if (v.kind === 'number' && !VERSION_NUMERIC_ATTRIBUTES.has(key)) {
      throw new SearchFilterError(
        `Only the '${pySet(VERSION_NUMERIC_ATTRIBUTES)}' attributes support comparison with numeric values.`,
        v.text,
      );
    }
    if (key === 'version_number') {
      // MLflow accepts a number or a quoted number and compares with int(value).
      const raw = v.kind === 'number' ? v.text : stripQuotes(v.text, true);
      const value = integerValue(raw, `Expected an integer value for version_number. Found ${v.text}`);
      checkComparator(comparator, NUMERIC_COMPARATORS);
      return { type: 'attribute', key: 'version_number', comparator: comparator as NumericComparator, value };
    }
    const value = stripQuotes(v.text, true);
    checkComparator(comparator, VERSION_STRING_COMPARATORS);
    listOnlyWithIn(comparator, v);
    return {
      type: 'attribute',
      key: key as 'name' | 'source_path' | 'run_id',
      comparator: comparator as StringComparator,
      value,
    };
  });
}

/** True when the registered model satisfies every clause. A missing tag never matches. */
export function matchesModel(model: ModelForSearch, clauses: readonly ModelClause[]): boolean {
  return clauses.every((clause) => {
    const lhs = clause.type === 'tag' ? own(model.tags, clause.key) : model.name;
    return lhs !== undefined && compareValues(lhs, clause.comparator, clause.value);
  });
}

/** True when the model version satisfies every clause. A missing value never matches. */
export function matchesModelVersion(version: ModelVersionForSearch, clauses: readonly ModelVersionClause[]): boolean {
  return clauses.every((clause) => {
    let lhs: string | number | null | undefined;
    if (clause.type === 'tag') lhs = own(version.tags, clause.key);
    else if (clause.key === 'name') lhs = version.name;
    else if (clause.key === 'run_id') lhs = version.runId;
    else if (clause.key === 'source_path') lhs = version.source;
    else lhs = version.version;
    return lhs !== undefined && lhs !== null && compareValues(lhs, clause.comparator, clause.value);
  });
}
