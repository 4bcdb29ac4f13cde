import { mkdirSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/**
 * One DuckDB instance per process: the engine behind dataset ingest, profiles, splits and recipes. It runs
 * queries on its own threads, so the event loop stays free. It never installs extensions (nothing is
 * downloaded at run time); Parquet and CSV support are built in.
 */
export class DataEngine {
  private constructor(private readonly instance: DuckDBInstance) {}

  static async create(options: { tempDir: string; threads?: number; memoryLimit?: string }): Promise<DataEngine> {
    mkdirSync(options.tempDir, { recursive: true });
    const instance = await DuckDBInstance.create(':memory:', {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      allow_community_extensions: 'false',
      threads: String(options.threads ?? 2),
      memory_limit: options.memoryLimit ?? '1GB',
      temp_directory: options.tempDir,
      preserve_insertion_order: 'true',
    });
    return new DataEngine(instance);
  }

  /** Runs work on a connection of its own, closed afterwards. */
  async use<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const connection = await this.instance.connect();
    try {
      return await work(connection);
    } finally {
      connection.closeSync();
    }
  }

  close(): void {
    this.instance.closeSync();
  }
}
