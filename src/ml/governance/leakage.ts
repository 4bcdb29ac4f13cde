/**
 * Train/evaluation leakage: evaluation rows that also occur in the training data, so that an evaluation
 * score partly measures memorisation rather than generalisation.
 *
 * - Exact duplicates: an evaluation row counts when some training row has the same value in every
 *   compared column. Numbers are compared by value (0 equals −0; 1 equals 1.0), strings exactly (case
 *   and whitespace matter), booleans as booleans; a number never equals a string ("1" ≠ 1). Missing
 *   values (null, undefined, NaN) equal each other, so a row with the same gaps matches; JSON has no NaN,
 *   so a numeric column read from JSON carries null where a Float64Array carries NaN, and the two match.
 * - Key overlap (optional): evaluation rows whose key (one or more key columns, e.g. a customer id) also
 *   occurs in the training data. Rows with a missing key cell never count: an unknown id is not a match.
 *
 * Rows are hashed: each row's canonical encoding (a type tag and the value of each cell) goes through a
 * 53-bit string hash (cyrb53) into a table of training row indices; an evaluation row's candidates are
 * then compared cell by cell, so a hash collision cannot create a false match. Memory is one number per
 * training row plus the table.
 *
 * Frames are column-oriented: column name → values (plain arrays or typed arrays), all of one length.
 */

export type Cell = number | string | boolean | null | undefined;
export type Frame = Record<string, ArrayLike<Cell>>;

export interface LeakageOptions {
  /** Columns compared for exact duplicates; default every column of the evaluation frame. */
  columns?: string[];
  /** Key columns for the key-overlap check (skipped when absent or empty). */
  keyColumns?: string[];
  /** Example pairs reported per check (default 10, at most 10). */
  maxExamples?: number;
}

export interface OverlapExample {
  /** Row index in the evaluation frame. */
  evaluationRow: number;
  /** Index of the first matching training row. */
  trainingRow: number;
}

export interface Overlap {
  /** Evaluation rows with a match in the training frame. */
  count: number;
  /** count / evaluation rows (0 for an empty evaluation frame). */
  share: number;
  /** The first matches, in evaluation row order. */
  examples: OverlapExample[];
}

export interface LeakageReport {
  evaluationRows: number;
  trainingRows: number;
  columns: string[];
  duplicates: Overlap;
  /** Present when key columns were given. */
  keys?: Overlap & { keyColumns: string[] };
}

const MAX_EXAMPLES = 10;

function isMissing(v: Cell): boolean {
  return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
}

function checkCell(v: unknown, frame: string, column: string, row: number): void {
  const t = typeof v;
  if (v === null || v === undefined || t === 'number' || t === 'string' || t === 'boolean') return;
  throw new Error(`${frame}.${column}[${row}] is ${t === 'object' ? (Array.isArray(v) ? 'an array' : 'an object') : `a ${t}`}: cells must be numbers, strings, booleans or null`);
}

function encodeCell(v: Cell): string {
  if (isMissing(v)) return 'z';
  if (typeof v === 'number') return `n${v === 0 ? 0 : v}`; // −0 → 0; String(±Infinity) is exact
  if (typeof v === 'boolean') return v ? 'bt' : 'bf';
  return `s${(v as string).length}:${v as string}`; // the length prefix keeps separators in strings unambiguous
}

function sameCell(a: Cell, b: Cell): boolean {
  if (isMissing(a)) return isMissing(b);
  return a === b; // numbers by value (0 === −0), strings and booleans exactly, no coercion
}

/** cyrb53 (bryc, public domain): a fast 53-bit string hash. */
function hash53(s: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

function frameRows(frame: Frame, name: string, columns: string[]): number {
  if (typeof frame !== 'object' || frame === null) throw new Error(`the ${name} frame must be an object of column name → values`);
  let rows = -1;
  let first = '';
  for (const c of columns) {
    const col = frame[c];
    if (col === undefined) throw new Error(`column ${JSON.stringify(c)} is missing from the ${name} frame`);
    if (rows === -1) {
      rows = col.length;
      first = c;
    } else if (col.length !== rows) {
      throw new Error(`the ${name} frame's columns differ in length: ${JSON.stringify(first)} has ${rows} values, ${JSON.stringify(c)} has ${col.length}`);
    }
    for (let i = 0; i < col.length; i++) checkCell(col[i], name, c, i);
  }
  return rows;
}

function overlap(train: Frame, evaluation: Frame, columns: string[], trainRows: number, evalRows: number, skipMissing: boolean, maxExamples: number): Overlap {
  const trainCols = columns.map((c) => train[c]!);
  const evalCols = columns.map((c) => evaluation[c]!);
  const rowKey = (cols: ArrayLike<Cell>[], i: number): string | null => {
    let s = '';
    for (const col of cols) {
      const v = col[i];
      if (skipMissing && isMissing(v)) return null;
      s += encodeCell(v) + '|';
    }
    return s;
  };
  // Hash → training rows with that hash, first occurrence first.
  const table = new Map<number, number[]>();
  for (let i = 0; i < trainRows; i++) {
    const key = rowKey(trainCols, i);
    if (key === null) continue;
    const h = hash53(key);
    const bucket = table.get(h);
    if (bucket) bucket.push(i);
    else table.set(h, [i]);
  }
  let count = 0;
  const examples: OverlapExample[] = [];
  for (let i = 0; i < evalRows; i++) {
    const key = rowKey(evalCols, i);
    if (key === null) continue;
    const bucket = table.get(hash53(key));
    if (!bucket) continue;
    const match = bucket.find((j) => trainCols.every((col, c) => sameCell(col[j], evalCols[c]![i])));
    if (match === undefined) continue;
    count++;
    if (examples.length < maxExamples) examples.push({ evaluationRow: i, trainingRow: match });
  }
  return { count, share: evalRows === 0 ? 0 : count / evalRows, examples };
}

/** Exact duplicate rows (and, optionally, shared keys) between a training and an evaluation frame. */
export function detectLeakage(train: Frame, evaluation: Frame, options: LeakageOptions = {}): LeakageReport {
  if (typeof evaluation !== 'object' || evaluation === null) throw new Error('the evaluation frame must be an object of column name → values');
  const columns = options.columns ?? Object.keys(evaluation);
  if (columns.length === 0) throw new Error('no columns to compare: the evaluation frame has none and no columns were given');
  if (new Set(columns).size !== columns.length) throw new Error(`columns lists a column twice: ${columns.join(', ')}`);
  const maxExamples = options.maxExamples ?? MAX_EXAMPLES;
  if (!(Number.isInteger(maxExamples) && maxExamples >= 0 && maxExamples <= MAX_EXAMPLES)) throw new Error(`maxExamples must be a whole number from 0 to ${MAX_EXAMPLES}, not ${maxExamples}`);
  const keyColumns = options.keyColumns ?? [];
  const all = [...new Set([...columns, ...keyColumns])];
  const trainRows = frameRows(train, 'training', all);
  const evalRows = frameRows(evaluation, 'evaluation', all);
  const report: LeakageReport = {
    evaluationRows: evalRows,
    trainingRows: trainRows,
    columns,
    duplicates: overlap(train, evaluation, columns, trainRows, evalRows, false, maxExamples),
  };
  if (keyColumns.length > 0) {
    report.keys = { keyColumns, ...overlap(train, evaluation, keyColumns, trainRows, evalRows, true, maxExamples) };
  }
  return report;
}
