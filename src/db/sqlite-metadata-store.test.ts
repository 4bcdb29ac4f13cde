import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateToLatest, openDatabase } from './database.js';
import { metadataStoreContract } from './metadata-store.contract.js';
import { createMetadataStore, type MetadataStore } from './metadata-store.js';

/** A migrated store in a database file of its own; closing it also removes the file. */
async function freshSqliteStore(): Promise<MetadataStore> {
  const dir = await mkdtemp(join(tmpdir(), 'steward-sqlite-'));
  const database = await openDatabase({ kind: 'sqlite', file: join(dir, 'steward.db') });
  await migrateToLatest(database);
  const store = createMetadataStore(database);
  return {
    ...store,
    async close() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

metadataStoreContract('SQLite', freshSqliteStore);
