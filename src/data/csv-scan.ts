/**
 * A structural pass over a CSV file before DuckDB reads it: finds the delimiter (unless given) and checks
 * that every record has as many fields as the first, honouring quotes (RFC 4180: a quote inside a quoted
 * field is doubled; quoted fields may hold delimiters and line breaks). DuckDB's own sniffer copes with
 * ragged files by guessing another dialect or skipping lines, which silently loses rows; this pass turns
 * them into an error naming the line.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { invalidField, unprocessable } from '../platform/errors.js';

export const DELIMITER_CANDIDATES = [',', ';', '\t', '|'] as const;

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** Field counts of the first records of a sample, for one delimiter; the last, possibly cut, record is left out. */
function sampleCounts(sample: Buffer, delimiter: number, maxRecords: number): number[] {
  const counts: number[] = [];
  let fields = 1;
  let inQuotes = false;
  let empty = true;
  for (let i = 0; i < sample.length && counts.length < maxRecords; i++) {
    const b = sample[i]!;
    if (inQuotes) {
      if (b === QUOTE) {
        if (sample[i + 1] === QUOTE) i++;
        else inQuotes = false;
      }
      continue;
    }
    if (b === QUOTE) inQuotes = true;
    else if (b === delimiter) fields++;
    else if (b === LF) {
      if (!empty) counts.push(fields);
      fields = 1;
      empty = true;
      continue;
    } else if (b === CR) continue;
    empty = false;
  }
  return counts;
}

/** The delimiter whose field counts agree across the sample's records, preferring more fields, then ','. */
export function detectDelimiter(sample: Buffer): string {
  let best: { delimiter: string; fields: number } = { delimiter: ',', fields: 1 };
  for (const d of DELIMITER_CANDIDATES) {
    const counts = sampleCounts(sample, d.charCodeAt(0), 50);
    if (counts.length === 0) continue;
    const first = counts[0]!;
    const agreeing = counts.filter((c) => c === first).length;
    if (first >= 2 && agreeing === counts.length && first > best.fields) best = { delimiter: d, fields: first };
  }
  return best.delimiter;
}

export interface CsvShape {
  delimiter: string;
  /** Fields in each record. */
  fields: number;
  records: number;
  /** Whether some record spans several lines (a quoted line break), so that record and line numbers differ. */
  multiline: boolean;
}

/** Checks the whole file; throws a 422 naming the first line whose record has the wrong number of fields. */
export async function scanCsv(path: string, sourceName: string, given?: { delimiter?: string }): Promise<CsvShape> {
  const head = Buffer.alloc(65_536);
  const fh = await open(path, 'r');
  let headLength: number;
  try {
    headLength = (await fh.read(head, 0, head.length, 0)).bytesRead;
  } finally {
    await fh.close();
  }
  if (headLength === 0) throw unprocessable('INVALID_DATA', `${sourceName}: the file is empty`, { field: 'file' });
  const delimiter = given?.delimiter ?? detectDelimiter(head.subarray(0, headLength));
  if (delimiter.length !== 1) throw invalidField('metadata.csv.delimiter', 'must be a single character');
  const d = delimiter.charCodeAt(0);

  let expected = -1;
  let fields = 1;
  let inQuotes = false;
  let empty = true;
  let line = 1; // physical line where the current record started
  let physical = 1;
  let records = 0;
  let hasQuotedBreak = false;
  const endRecord = () => {
    if (!empty) {
      records++;
      if (expected === -1) expected = fields;
      else if (fields !== expected) {
        throw unprocessable('INVALID_DATA', `${sourceName}: line ${line} has ${fields} field${fields === 1 ? '' : 's'}, but line 1 has ${expected}`, {
          field: 'file',
          line,
          expected,
          found: fields,
        });
      }
    }
    fields = 1;
    empty = true;
    line = physical;
  };
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const buf = chunk as Buffer;
    for (let i = 0; i < buf.length; i++) {
      const b = buf[i]!;
      if (b === LF) {
        physical++;
        if (inQuotes) hasQuotedBreak = true;
      }
      if (inQuotes) {
        if (b === QUOTE) {
          // A doubled quote may straddle two chunks; treating it as close-then-open gives the same result.
          if (buf[i + 1] === QUOTE) i++;
          else inQuotes = false;
        }
        continue;
      }
      if (b === QUOTE) {
        inQuotes = true;
        empty = false;
      } else if (b === d) {
        fields++;
        empty = false;
      } else if (b === LF) endRecord();
      else if (b !== CR) empty = false;
    }
  }
  if (inQuotes) throw unprocessable('INVALID_DATA', `${sourceName}: a quoted field that starts on line ${line} is never closed`, { field: 'file', line });
  endRecord();
  if (records === 0) throw unprocessable('INVALID_DATA', `${sourceName}: the file has no rows`, { field: 'file' });
  return { delimiter, fields: expected, records, multiline: hasQuotedBreak };
}
