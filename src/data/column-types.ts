/**
 * Steward's column types, and how they map to and from the storage types of the columnar form
 * (Parquet written by DuckDB).
 */
export const COLUMN_TYPES = ['numeric', 'integer', 'categorical', 'boolean', 'datetime', 'text'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

export interface ColumnSchema {
  name: string;
  type: ColumnType;
  /** The storage type, e.g. BIGINT, DOUBLE, VARCHAR, TIMESTAMP. */
  storage: string;
}

/** The storage type a column of each Steward type is cast to. */
export const STORAGE_FOR: Record<ColumnType, string> = {
  numeric: 'DOUBLE',
  integer: 'BIGINT',
  categorical: 'VARCHAR',
  boolean: 'BOOLEAN',
  datetime: 'TIMESTAMP',
  text: 'VARCHAR',
};

/** What a storage type found in a file means, before text columns are told apart (see ingest). */
export function typeOfStorage(storage: string): ColumnType | 'string' | undefined {
  const t = storage.toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/.test(t)) return 'integer';
  if (/^(FLOAT|DOUBLE|REAL)$/.test(t) || t.startsWith('DECIMAL')) return 'numeric';
  if (t === 'BOOLEAN') return 'boolean';
  if (t === 'DATE' || t.startsWith('TIMESTAMP')) return 'datetime';
  if (t === 'VARCHAR') return 'string';
  return undefined;
}
