import { DEFAULTS } from '../config/defaults.js';
import type { Config } from '../config/index.js';
import { EmbedderUnavailableError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { CHUNKER_VERSION } from '../ingest/chunker.js';
import type { Embedder } from '../core/embedder.js';
import { loadTransformersEmbedder, type TransformersEmbedderOptions } from '../retrieval/transformers-embedder.js';
import type { ManifestExpectation } from '../store/manifest.js';
import { destroyStore, openStore as openBackend, type DatabaseChoice } from '../store/open-store.js';
import type { NewsStore } from '../store/ports.js';
import { SqliteStore, type SqliteStoreOptions } from '../store/sqlite/sqlite-store.js';

/**
 * The composition root for stores and embedders: every entry point (the bot, its ingest worker,
 * the CLIs, the eval, the bench) and the tests open stores and load embedding models here, so
 * the chunker version, the HNSW ef and the embedder's settings come from one place (the config,
 * and DEFAULTS for what a caller does not give).
 */

/** The embedding a store is opened for: an embedder, its model id and dimension, or null (lexical only). */
export type StoreEmbedding = Embedder | ManifestExpectation['embedding'];

function manifestEmbedding(embedding: StoreEmbedding): ManifestExpectation['embedding'] {
  return embedding ? { modelId: embedding.modelId, dimension: embedding.dimension } : null;
}

/**
 * Loads an embedding model (config.embedding, or any of its fields overridden: the eval's and the
 * bench's --model). Throws EmbedderUnavailableError when it cannot be loaded.
 */
export function loadEmbedding(settings: TransformersEmbedderOptions): Promise<Embedder> {
  return loadTransformersEmbedder(settings);
}

/**
 * Loads the configured embedder, or returns null (lexical search only) with one warning line
 * when it cannot be loaded.
 */
export async function loadEmbedder(config: Config, logger: Logger): Promise<Embedder | null> {
  try {
    return await loadEmbedding(config.embedding);
  } catch (error) {
    if (!(error instanceof EmbedderUnavailableError)) throw error;
    logger.warn(`${error.message}; using lexical search only.`);
    return null;
  }
}

/** Where and how to open a store, whichever the backend. */
export interface StoreOpening {
  database: DatabaseChoice;
  /** The SQLite store's folder; with PostgreSQL, where this process keeps its vector index cache. */
  dataDir: string;
  embedding: StoreEmbedding;
  /** Default: this version's CHUNKER_VERSION. */
  chunkerVersion?: number;
  /** HNSW query breadth (default DEFAULTS.retrieval.efSearch; entry points give config.retrieval.efSearch). */
  efSearch?: number;
  logger?: Logger;
  /** Long-running readers (the bot) follow other processes' writes as they commit. */
  follow?: boolean;
}

/** Opens (or creates) a store: SQLite in `dataDir`, or PostgreSQL at the database URL. */
export function openNewsStore(opening: StoreOpening): Promise<NewsStore> {
  return openBackend({
    database: opening.database,
    dataDir: opening.dataDir,
    embedding: manifestEmbedding(opening.embedding),
    chunkerVersion: opening.chunkerVersion ?? CHUNKER_VERSION,
    efSearch: opening.efSearch ?? DEFAULTS.retrieval.efSearch,
    follow: opening.follow ?? false,
    ...(opening.logger ? { logger: opening.logger } : {}),
  });
}

/**
 * Opens (or creates) the configured store for this embedder: SQLite under DATA_DIR, or PostgreSQL
 * at DATABASE_URL. `follow`: a long-running reader (the bot) follows other processes' writes.
 */
export function openStore(config: Config, embedder: Embedder | null, logger: Logger, options: { follow?: boolean } = {}): Promise<NewsStore> {
  return openNewsStore({ database: config.database, dataDir: config.dataDir, embedding: embedder, efSearch: config.retrieval.efSearch, logger, follow: options.follow ?? false });
}

/** How to open a SQLite store directly (its own options: read-only, pragmas, busy timeout). */
export type SqliteOpening = Omit<SqliteStoreOptions, 'embedding' | 'chunkerVersion' | 'efSearch'> & {
  embedding: StoreEmbedding;
  /** Default: this version's CHUNKER_VERSION. */
  chunkerVersion?: number;
  /** Default: DEFAULTS.retrieval.efSearch. */
  efSearch?: number;
};

/**
 * Opens (or creates) a SQLite store in `dir`, synchronously: for a second connection beside the
 * app's (the bot's lease connection, the worker bench's bot side) and for tests.
 */
export function openSqliteStore(dir: string, opening: SqliteOpening): SqliteStore {
  const { embedding, chunkerVersion, efSearch, ...rest } = opening;
  return SqliteStore.open(dir, {
    ...rest,
    embedding: manifestEmbedding(embedding),
    chunkerVersion: chunkerVersion ?? CHUNKER_VERSION,
    efSearch: efSearch ?? DEFAULTS.retrieval.efSearch,
  });
}

/** Deletes a store's data (for --rebuild and fresh benchmark stores). */
export function destroyNewsStore(database: DatabaseChoice, dataDir: string): Promise<void> {
  return destroyStore(database, dataDir);
}

export type { DatabaseChoice };
