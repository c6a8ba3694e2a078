import type { Logger } from '../core/logger.js';
import type { ManifestExpectation } from './manifest.js';
import type { NewsStore } from './ports.js';
import { PostgresStore } from './postgres/pg-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

/** Which backend holds the store. */
export type DatabaseChoice = { kind: 'sqlite' } | { kind: 'postgres'; url: string; schema: string; retrySeconds?: number };

/** How to open a store, whichever the backend. */
export interface OpenStoreOptions extends ManifestExpectation {
  database: DatabaseChoice;
  /** The SQLite store's folder; with PostgreSQL, where this process keeps its vector index cache. */
  dataDir: string;
  efSearch: number;
  logger?: Logger;
  /** Long-running readers (the bot) follow other processes' writes as they commit. */
  follow?: boolean;
}

/**
 * Opens the store the configuration names: SQLite under DATA_DIR (the embedded default: a fresh
 * clone needs no server) or PostgreSQL at DATABASE_URL (shared by every process and machine).
 */
export async function openStore(options: OpenStoreOptions): Promise<NewsStore> {
  const { database, dataDir, efSearch, embedding, chunkerVersion } = options;
  const logger = options.logger ? { logger: options.logger } : {};
  if (database.kind === 'postgres') {
    return PostgresStore.open({ url: database.url, schema: database.schema, ...(database.retrySeconds !== undefined ? { retryMs: database.retrySeconds * 1000 } : {}), cacheDir: dataDir, efSearch, embedding, chunkerVersion, follow: options.follow ?? false, ...logger });
  }
  return SqliteStore.open(dataDir, { efSearch, embedding, chunkerVersion, ...logger });
}

/** Deletes a store's data (for --rebuild). */
export async function destroyStore(database: DatabaseChoice, dataDir: string): Promise<void> {
  if (database.kind === 'postgres') await PostgresStore.destroy(database.url, database.schema, dataDir);
  else SqliteStore.destroy(dataDir);
}
