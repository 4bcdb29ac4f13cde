/**
 * Ingest: read an uploaded CSV or Parquet file with DuckDB, settle each column's type (inferred or
 * overridden), and write the columnar form Steward keeps: Parquet with ZSTD compression. Parquet is what
 * DuckDB (and Steward's other numeric code through it) scans fastest, it is compact, and anyone can read a
 * downloaded copy; Arrow IPC would be faster to map but several times larger on disk.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { invalidField, unprocessable } from '../platform/errors.js';
import { COLUMN_TYPES, STORAGE_FOR, typeOfStorage, type ColumnSchema, type ColumnType } from './column-types.js';
import type { DataEngine } from './engine.js';
import { open } from 'node:fs/promises';
import { detectDelimiter, scanCsv } from './csv-scan.js';
import { ident, literal } from './sql.js';

export type SourceFormat = 'csv' | 'parquet';

export interface CsvOptions {
  /** One character; detected when omitted. */
  delimiter?: string;
  /** Whether the first line names the columns; detected when omitted. */
  header?: boolean;
  /** One character; detected when omitted. */
  quote?: string;
}

export interface IngestRequest {
  sourcePath: string;
  /** The uploaded file's name, used in messages instead of the server's temporary path. */
  sourceName: string;
  format: SourceFormat;
  csv?: CsvOptions;
  overrides?: Record<string, ColumnType>;
  outputPath: string;
}

export interface IngestResult {
  schema: ColumnSchema[];
  rowCount: number;
  /** The CSV dialect used (given or detected). */
  csv?: Required<CsvOptions>;
}

/** A VARCHAR column is categorical when it has at most this many distinct values (and repeats them). */
const MAX_CATEGORIES = 1000;

export function detectFormat(fileName: string, head: Uint8Array): SourceFormat {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x41 && head[2] === 0x52 && head[3] === 0x31) return 'parquet'; // "PAR1"
  if (/\.parquet$/i.test(fileName)) return 'parquet';
  return 'csv';
}

/** DuckDB's message without the server's paths and its multi-line advice, naming the uploaded file. */
export function dataError(err: unknown, req: Pick<IngestRequest, 'sourcePath' | 'sourceName' | 'outputPath'>): string {
  let message = err instanceof Error ? err.message : String(err);
  message = message.split(req.sourcePath).join(req.sourceName).split(req.outputPath).join('the stored copy');
  const cut = message.search(/\n\s*(Possible fixes|Possible Solution|\* )/i);
  if (cut > 0) message = message.slice(0, cut);
  return message
    .split('\n')
    .map((l) => l.trim())
    // DuckDB quotes the SQL it was given (LINE 1: …, ^): that is Steward's, not the user's.
    .filter((l) => l !== '' && !/^LINE \d+:/.test(l) && !/^\^+$/.test(l))
    .slice(0, 6)
    .join('; ');
}

/**
 * DuckDB infers column types from a sample of rows (fast); `fullScan` makes it look at every row, which is
 * slower but settles columns whose later values do not fit the sample's type.
 */
function csvSource(req: IngestRequest, fullScan: boolean): string {
  const o = req.csv ?? {};
  // skip = 0: the sniffer may otherwise drop leading lines that do not fit the dialect it prefers, which would
  // silently lose rows (the structural scan in csv-scan.ts catches ragged files with the line number).
  const parts = [literal(req.sourcePath), 'auto_detect = true', 'strict_mode = true', 'skip = 0'];
  if (fullScan) parts.push('sample_size = -1');
  if (o.delimiter !== undefined) parts.push(`delim = ${literal(o.delimiter)}`);
  if (o.header !== undefined) parts.push(`header = ${o.header}`);
  if (o.quote !== undefined) parts.push(`quote = ${literal(o.quote)}`);
  return `read_csv(${parts.join(', ')})`;
}

export function sourceRelation(req: IngestRequest, fullScan = false): string {
  return req.format === 'parquet' ? `read_parquet(${literal(req.sourcePath)})` : csvSource(req, fullScan);
}

function checkCsvOptions(o: CsvOptions | undefined): void {
  if (!o) return;
  if (o.delimiter !== undefined && (o.delimiter.length !== 1 || o.delimiter === '\n' || o.delimiter === '\r')) {
    throw invalidField('metadata.csv.delimiter', 'must be a single character other than a line break');
  }
  if (o.quote !== undefined && o.quote.length !== 1) throw invalidField('metadata.csv.quote', 'must be a single character');
}

export async function ingest(engine: DataEngine, request: IngestRequest): Promise<IngestResult> {
  checkCsvOptions(request.csv);
  if (request.format === 'parquet') return read(engine, request, false);
  // CSV: the delimiter comes from the first 64 KiB; the structural scan of the whole file then runs in
  // JavaScript while DuckDB reads the file on its own threads, and its verdict (ragged rows, an unclosed
  // quote) wins over whatever DuckDB made of such a file.
  const head = await readHead(request.sourcePath);
  if (head.length === 0) throw unprocessable('INVALID_DATA', `${request.sourceName}: the file is empty`, { field: 'file' });
  const req: IngestRequest = { ...request, csv: { ...request.csv, delimiter: request.csv?.delimiter ?? detectDelimiter(head) } };
  const [scan, result] = await Promise.allSettled([scanCsv(req.sourcePath, req.sourceName, req.csv), read(engine, req, false)]);
  if (scan.status === 'rejected') throw scan.reason;
  let outcome = result;
  const { multiline } = scan.value;
  if (outcome.status === 'rejected' && (isTypeSampleMiss(outcome.reason) || multiline)) {
    // A value beyond DuckDB's type sample did not fit the inferred type: look at every row instead. (A file
    // whose records span lines is read again too, so that the message does not name a line it cannot know.)
    outcome = await read(engine, req, isTypeSampleMiss(outcome.reason), multiline).then(
      (value) => ({ status: 'fulfilled', value }) as const,
      (reason: unknown) => ({ status: 'rejected', reason }) as const,
    );
  }
  if (outcome.status === 'rejected') throw outcome.reason;
  return outcome.value;
}

async function readHead(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(65_536);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** A conversion error in a column whose type DuckDB inferred (no override): its sample was too small. */
function isTypeSampleMiss(err: unknown): boolean {
  const e = err as { details?: { sampleMiss?: boolean } };
  return e?.details?.sampleMiss === true;
}

async function read(engine: DataEngine, req: IngestRequest, fullScan: boolean, multiline = false): Promise<IngestResult> {
  return engine.use(async (db) => {    const fail = (err: unknown): never => {
      throw unprocessable('INVALID_DATA', `${req.sourceName}: ${dataError(err, req)}`, { field: 'file' });
    };
    const source = sourceRelation(req, fullScan);
    const described = await db.runAndReadAll(`describe select * from ${source}`).catch(fail);
    const columns = described.getRowObjectsJson().map((r) => ({ name: String(r.column_name), storage: String(r.column_type) }));
    if (columns.length === 0) throw unprocessable('INVALID_DATA', `${req.sourceName}: the file has no columns`, { field: 'file' });
    const seen = new Set<string>();
    for (const c of columns) {
      if (seen.has(c.name)) throw unprocessable('INVALID_DATA', `${req.sourceName}: the column name '${c.name}' appears twice`, { field: 'file', column: c.name });
      seen.add(c.name);
    }
    for (const [name, type] of Object.entries(req.overrides ?? {})) {
      if (!seen.has(name)) throw invalidField(`metadata.schema.${name}`, `there is no column '${name}' in ${req.sourceName} (columns: ${columns.map((c) => c.name).join(', ')})`);
      if (!(COLUMN_TYPES as readonly string[]).includes(type)) throw invalidField(`metadata.schema.${name}`, `must be one of ${COLUMN_TYPES.join(', ')}`);
    }

    const planned = columns.map((c) => {
      const natural = typeOfStorage(c.storage);
      const override = req.overrides?.[c.name];
      if (!override && natural === undefined) {
        throw unprocessable('INVALID_DATA', `${req.sourceName}: column '${c.name}' has type ${c.storage}, which Steward cannot store; give it a type in metadata.schema`, {
          field: 'file',
          column: c.name,
        });
      }
      const type: ColumnType | 'string' = override ?? natural!;
      return { name: c.name, source: c.storage, type, storage: type === 'string' ? 'VARCHAR' : STORAGE_FOR[type] };
    });

    const select = planned.map((p) => (p.source === p.storage ? ident(p.name) : `cast(${ident(p.name)} as ${p.storage}) as ${ident(p.name)}`)).join(', ');
    try {
      await db.run(`copy (select ${select} from ${source}) to ${literal(req.outputPath)} (format parquet, compression zstd, row_group_size 122880)`);
    } catch (err) {
      const explained = await explainCastFailure(db, req, source, planned, err, multiline);
      if (req.format === 'csv' && !fullScan && /conver|could not/i.test(String((err as Error)?.message))) {
        const column = (explained as { details?: { column?: string } }).details?.column;
        if (column === undefined || req.overrides?.[column] === undefined) {
          (explained as { details?: Record<string, unknown> }).details = { ...(explained as { details?: Record<string, unknown> }).details, sampleMiss: true };
        }
      }
      throw explained;
    }

    const stored = `read_parquet(${literal(req.outputPath)})`;
    const strings = planned.filter((p) => p.type === 'string');
    const countSql = [`count(*) as n`, ...strings.map((p, i) => `approx_count_distinct(${ident(p.name)}) as d${i}`)].join(', ');
    const counts = (await db.runAndReadAll(`select ${countSql} from ${stored}`)).getRowObjectsJson()[0]!;
    const rowCount = Number(counts.n);
    if (rowCount === 0) throw unprocessable('INVALID_DATA', `${req.sourceName}: the file has no rows`, { field: 'file' });
    const schema: ColumnSchema[] = planned.map((p) => {
      if (p.type !== 'string') return { name: p.name, type: p.type, storage: p.storage };
      const distinct = Number(counts[`d${strings.indexOf(p)}`]);
      const categorical = distinct <= MAX_CATEGORIES && distinct <= Math.max(1, rowCount / 2);
      return { name: p.name, type: categorical ? 'categorical' : 'text', storage: 'VARCHAR' };
    });
    let csv: Required<CsvOptions> | undefined;
    if (req.format === 'csv') {
      const sniffed = (await db.runAndReadAll(`select Delimiter, Quote, HasHeader from sniff_csv(${literal(req.sourcePath)})`).catch(() => undefined))?.getRowObjectsJson()[0];
      csv = {
        delimiter: req.csv?.delimiter ?? String(sniffed?.Delimiter ?? ','),
        header: req.csv?.header ?? Boolean(sniffed?.HasHeader ?? true),
        quote: req.csv?.quote ?? (sniffed?.Quote === undefined || sniffed.Quote === '(empty)' ? '' : String(sniffed.Quote)),
      };
    }
    return { schema, rowCount, csv };
  });
}

/** Turns a failed conversion into a message naming the column, the value and its row. */
async function explainCastFailure(
  db: DuckDBConnection,
  req: IngestRequest,
  source: string,
  planned: { name: string; source: string; type: string; storage: string }[],
  err: unknown,
  multiline: boolean,
): Promise<Error> {
  for (const p of planned.filter((c) => c.source !== c.storage)) {
    const r = await db
      .runAndReadAll(
        `select rn, v from (select row_number() over () as rn, cast(${ident(p.name)} as varchar) as v, try_cast(${ident(p.name)} as ${p.storage}) as t from ${source}) where v is not null and t is null limit 1`,
      )
      .catch(() => undefined);
    const row = r?.getRowObjectsJson()[0];
    if (row) {
      const rowNumber = Number(row.rn);
      // Line numbers are only certain when no record spans several lines.
      const line = req.format === 'csv' && !multiline ? ` (line ${rowNumber + (req.csv?.header === false ? 0 : 1)} of the file)` : '';
      return unprocessable('INVALID_DATA', `${req.sourceName}: column '${p.name}', row ${rowNumber}${line}: the value '${String(row.v)}' is not ${p.type}`, {
        field: `metadata.schema.${p.name}`,
        column: p.name,
        row: rowNumber,
      });
    }
  }
  return unprocessable('INVALID_DATA', `${req.sourceName}: ${dataError(err, req)}`, { field: 'file' });
}
