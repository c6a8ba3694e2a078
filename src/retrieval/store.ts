import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StoreModelMismatchError, StoreSchemaError, NewsBotError, ErrorCodes, describeError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { Article, ArticleMeta, Passage } from '../core/types.js';
import { VectorIndex, type VectorHit } from './vector-index.js';
import { RETRIEVAL_DEFAULTS } from './defaults.js';

/** Bump on any change to the tables below. */
export const STORE_SCHEMA_VERSION = 1;
const DB_FILE = 'news.db';
const INDEX_FILE = 'vectors.hnsw';
/** Change-log entries kept for readers catching up; older ones are trimmed after each ingest run. */
const CHANGE_LOG_KEEP = 100_000;
/** Longest a slice of background index catch-up holds the event loop, in ms (at least one vector a slice). */
const CATCH_UP_SLICE_MS = 8;
/** Change-log rows read per catch-up slice. */
const CHANGE_LOG_PAGE = 2_000;

/** What the store records about how it was built. */
export interface StoreManifest {
  schemaVersion: number;
  /** Embedding model id, or null while the store holds no vectors. */
  embeddingModel: string | null;
  dimension: number | null;
  chunkerVersion: number;
}

/** A passage to store: chunk offsets and text, and its vector when an embedder is available. */
export interface PassageInput {
  position: number;
  start: number;
  end: number;
  text: string;
  vector?: Float32Array | undefined;
}

/** Counts and the last ingest, for /status and the CLI. */
export interface StoreStats {
  articles: number;
  passages: number;
  vectors: number;
  lastIngest: IngestRunRecord | null;
  manifest: StoreManifest;
}

/** A finished ingest run as recorded in the store. */
export interface IngestRunRecord {
  finishedAt: string;
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
  skipped: number;
}

/** A lexical hit: passage id and BM25 score (higher is better). */
export interface LexicalHit {
  id: number;
  score: number;
}

/** Options for opening a store. */
export interface OpenStoreOptions {
  /** The embedder in use (model id and dimension), or null when only lexical search is available. */
  embedding: { modelId: string; dimension: number } | null;
  chunkerVersion: number;
  efSearch?: number;
  logger?: Logger;
  /** Open without writing (no schema creation, no index save). */
  readonly?: boolean;
  /** Extra SQLite pragmas for this connection (e.g. cache_size, max_page_count). */
  pragmas?: Record<string, string | number>;
  /** How long a write waits for another process's write (an ingest beside the bot) to finish. */
  busyTimeoutMs?: number;
}

/** Default wait for the write lock: long enough for another ingest's batch or index merge. */
export const STORE_BUSY_TIMEOUT_MS = 60_000;

/**
 * Runs a write; SQLite's disk-full, read-only, I/O and lock-timeout failures become one clear
 * StoreIo error. The failed write is rolled back whole; earlier writes stay committed (callers
 * that know how much that was, like the ingest pipeline, say so).
 */
function writing<T>(dir: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_FULL')) {
      throw new NewsBotError(ErrorCodes.StoreIo, `the disk holding the store (${dir}) is full; the write in progress was rolled back. Free space and run ingest again.`, { cause: error });
    }
    if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM')) {
      throw new NewsBotError(ErrorCodes.StoreIo, `the store (${dir}) is read-only; nothing was written. Check the folder's permissions.`, { cause: error });
    }
    if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CORRUPT')) {
      throw new NewsBotError(ErrorCodes.StoreIo, `the store (${dir}) could not be written (${code}); the write in progress was rolled back.`, { cause: error });
    }
    if (code.startsWith('SQLITE_BUSY')) {
      throw new NewsBotError(ErrorCodes.StoreIo, `the store (${dir}) stayed locked by another writer past the busy timeout; the write in progress was rolled back. Run ingest again when the other one is done.`, { cause: error });
    }
    throw error;
  }
}

interface ArticleRow {
  id: string;
  title: string;
  date: string | null;
  source: string;
  url: string | null;
  author: string | null;
  origin: string;
  content_hash: string;
}

function toMeta(row: ArticleRow): ArticleMeta {
  return {
    id: row.id,
    title: row.title,
    date: row.date,
    source: row.source,
    url: row.url,
    author: row.author,
    origin: row.origin,
    contentHash: row.content_hash,
  };
}

/** Escapes LIKE wildcards (with `ESCAPE '\\'`). */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c);
}

function vectorToBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

function blobToVector(blob: Buffer): Float32Array {
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}

/**
 * The durable store under DATA_DIR: articles, passages, vectors and a BM25 index in SQLite
 * (WAL, one transaction per write), plus an HNSW file derived from the stored vectors.
 * The HNSW file is written atomically and reconciled with the vectors table when opened, so a
 * crash at any point leaves a store that opens consistent.
 */
export class NewsStore {
  readonly dir: string;
  readonly manifest: StoreManifest;
  private readonly db: Database.Database;
  private readonly logger: Logger;
  private readonly efSearch: number;
  private index: VectorIndex | null = null;
  private indexDirty = false;
  /** Vector additions and removals not yet in the index file. */
  private unsavedChanges = 0;
  private passageCountCache: { n: number; at: number } | null = null;
  private dataVersion = -1;
  /** Index catch-up with other connections' writes (see `refresh`). */
  private readonly catchUp = {
    /** Last change-log entry the in-memory index reflects. */
    logSeq: 0,
    /** The change log may hold entries past logSeq. */
    logBehind: false,
    /** Stored vectors the index still lacks, added a slice at a time. */
    pending: new Set<number>(),
    timer: null as NodeJS.Immediate | null,
    /** When the current catch-up began, its additions, and its longest slice (ms), for the log. */
    startedAt: 0,
    added: 0,
    longestSliceMs: 0,
  };
  private readonly statements;

  private constructor(dir: string, db: Database.Database, manifest: StoreManifest, logger: Logger, efSearch: number) {
    this.dir = dir;
    this.db = db;
    this.manifest = manifest;
    this.logger = logger;
    this.efSearch = efSearch;
    this.statements = {
      articleById: db.prepare<[string], ArticleRow>('SELECT id, title, date, source, url, author, origin, content_hash FROM articles WHERE id = ?'),
      articleText: db.prepare<[string], { text: string }>('SELECT text FROM articles WHERE id = ?'),
      articleByHash: db.prepare<[string], { id: string }>('SELECT id FROM articles WHERE content_hash = ? LIMIT 1'),
      articleByUrl: db.prepare<[string], { id: string }>('SELECT id FROM articles WHERE url = ? LIMIT 1'),
      insertArticle: db.prepare(
        `INSERT INTO articles (id, title, date, source, url, author, origin, content_hash, text, ingested_at)
         VALUES (@id, @title, @date, @source, @url, @author, @origin, @contentHash, @text, @ingestedAt)`,
      ),
      passageIdsOf: db.prepare<[string], { id: number }>('SELECT id FROM passages WHERE article_id = ?'),
      deleteArticle: db.prepare<[string]>('DELETE FROM articles WHERE id = ?'),
      insertPassage: db.prepare<[string, number, number, number, string]>(
        'INSERT INTO passages (article_id, position, start, "end", text) VALUES (?, ?, ?, ?, ?)',
      ),
      insertFts: db.prepare<[number, string, string]>('INSERT INTO passages_fts (rowid, title, text) VALUES (?, ?, ?)'),
      deleteFts: db.prepare<[number]>('DELETE FROM passages_fts WHERE rowid = ?'),
      insertVector: db.prepare<[number, Buffer]>('INSERT OR REPLACE INTO vectors (passage_id, embedding) VALUES (?, ?)'),
      vectorOf: db.prepare<[number], { embedding: Buffer }>('SELECT embedding FROM vectors WHERE passage_id = ?'),
      setMeta: db.prepare<[string, string]>('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
      passageCount: db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM passages"),
      termDocs: db.prepare<[string], { doc: number }>('SELECT doc FROM passages_vocab WHERE term = ?'),
      changeLogTable: db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'vector_log'"),
    };
  }

  /**
   * Opens (or creates) the store in `dir`. Fails with StoreModelMismatchError when the store was
   * built with another embedding model, dimension or chunker version.
   */
  static open(dir: string, options: OpenStoreOptions): NewsStore {
    const logger = options.logger ?? silentLogger;
    let db: Database.Database;
    try {
      fs.mkdirSync(dir, { recursive: true });
      db = new Database(path.join(dir, DB_FILE), options.readonly ? { readonly: true, fileMustExist: true } : {});
      // First: everything after it (even switching to WAL) may wait for another process's write.
      db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? STORE_BUSY_TIMEOUT_MS}`);
      if (!options.readonly) db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      for (const [key, value] of Object.entries(options.pragmas ?? {})) db.pragma(`${key} = ${value}`);
    } catch (error) {
      throw new NewsBotError(ErrorCodes.StoreIo, `cannot open the store in ${dir}: ${describeError(error)}`, { cause: error });
    }
    try {
      if (!options.readonly) createSchema(db);
      const meta = new Map(db.prepare<[], { key: string; value: string }>('SELECT key, value FROM meta').all().map((r) => [r.key, r.value]));
      const schemaVersion = Number(meta.get('schema_version') ?? STORE_SCHEMA_VERSION);
      if (schemaVersion !== STORE_SCHEMA_VERSION) {
        throw new StoreSchemaError(
          `the store in ${dir} has schema version ${schemaVersion}; this version reads ${STORE_SCHEMA_VERSION}. ` +
            'Re-ingest: run `npm run ingest -- --rebuild`.',
        );
      }
      const manifest: StoreManifest = {
        schemaVersion,
        embeddingModel: meta.get('embedding_model') ?? null,
        dimension: meta.has('embedding_dimension') ? Number(meta.get('embedding_dimension')) : null,
        chunkerVersion: Number(meta.get('chunker_version') ?? options.chunkerVersion),
      };
      const reingest = 'Re-ingest with `npm run ingest -- --rebuild` (or delete the data folder) to rebuild it.';
      if (manifest.chunkerVersion !== options.chunkerVersion) {
        throw new StoreModelMismatchError(
          `the store in ${dir} was chunked by chunker version ${manifest.chunkerVersion}, this version uses ${options.chunkerVersion}. ${reingest}`,
        );
      }
      const emb = options.embedding;
      if (emb && manifest.embeddingModel && (manifest.embeddingModel !== emb.modelId || manifest.dimension !== emb.dimension)) {
        throw new StoreModelMismatchError(
          `the store in ${dir} was built with embedding model "${manifest.embeddingModel}" (dimension ${manifest.dimension}), ` +
            `but EMBEDDING_MODEL is "${emb.modelId}" (dimension ${emb.dimension}). ${reingest}`,
        );
      }
      if (!options.readonly) {
        const set = db.prepare<[string, string]>('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)');
        set.run('schema_version', String(STORE_SCHEMA_VERSION));
        set.run('chunker_version', String(options.chunkerVersion));
        set.run('created_at', new Date().toISOString());
      }
      const store = new NewsStore(dir, db, manifest, logger, options.efSearch ?? RETRIEVAL_DEFAULTS.efSearch);
      if (emb && !options.readonly && !manifest.embeddingModel) store.adoptModel(emb.modelId, emb.dimension);
      return store;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  private adoptModel(modelId: string, dimension: number): void {
    writing(this.dir, () => this.db.transaction(() => {
      this.statements.setMeta.run('embedding_model', modelId);
      this.statements.setMeta.run('embedding_dimension', String(dimension));
    }).immediate());
    this.manifest.embeddingModel = modelId;
    this.manifest.dimension = dimension;
  }

  /** The stored article's id and hash, if any. */
  getArticle(id: string): ArticleMeta | undefined {
    const row = this.statements.articleById.get(id);
    return row ? toMeta(row) : undefined;
  }

  /** The full text of a stored article, if any. */
  articleText(id: string): string | undefined {
    return this.statements.articleText.get(id)?.text;
  }

  /** The id of an article with this content hash, if any (exact duplicate detection). */
  findByContentHash(hash: string): string | undefined {
    return this.statements.articleByHash.get(hash)?.id;
  }

  /** The id of an article with this canonical URL, if any. */
  findByUrl(url: string): string | undefined {
    return this.statements.articleByUrl.get(url)?.id;
  }

  /**
   * Writes articles with their passages (and vectors) in one transaction, replacing any stored
   * version of the same article ids. Like every write here, the transaction takes the write lock
   * up front (BEGIN IMMEDIATE) and waits for another writer with the busy timeout: a transaction
   * that read first and upgraded later would fail at once with SQLITE_BUSY when another process
   * wrote in between. The vector index follows in memory; call `flush` to persist it.
   */
  putArticles(items: { article: Article; passages: PassageInput[] }[]): void {
    const now = new Date().toISOString();
    const added: { id: number; vector: Float32Array }[] = [];
    const removed: number[] = [];
    writing(this.dir, () => this.db.transaction(() => {
      for (const { article, passages } of items) {
        removed.push(...this.deleteArticleRows(article.id));
        this.statements.insertArticle.run({ ...article, ingestedAt: now });
        for (const p of passages) {
          const id = Number(this.statements.insertPassage.run(article.id, p.position, p.start, p.end, p.text).lastInsertRowid);
          this.statements.insertFts.run(id, article.title, p.text);
          if (p.vector) {
            this.checkDimension(p.vector);
            this.statements.insertVector.run(id, vectorToBlob(p.vector));
            added.push({ id, vector: p.vector });
          }
        }
      }
    }).immediate());
    this.applyToIndex(removed, added);
  }

  /** Removes articles and everything derived from them. Returns how many existed. */
  removeArticles(ids: string[]): number {
    const removed: number[] = [];
    let count = 0;
    writing(this.dir, () => this.db.transaction(() => {
      for (const id of ids) {
        if (!this.statements.articleById.get(id)) continue;
        removed.push(...this.deleteArticleRows(id));
        count++;
      }
    }).immediate());
    this.applyToIndex(removed, []);
    return count;
  }

  private deleteArticleRows(articleId: string): number[] {
    const ids = this.statements.passageIdsOf.all(articleId).map((r) => r.id);
    for (const id of ids) this.statements.deleteFts.run(id);
    // Passages and vectors go with the article (ON DELETE CASCADE).
    this.statements.deleteArticle.run(articleId);
    return ids;
  }

  private checkDimension(vector: Float32Array): void {
    if (this.manifest.dimension !== null && vector.length !== this.manifest.dimension) {
      throw new StoreModelMismatchError(`vector of dimension ${vector.length} for a store of dimension ${this.manifest.dimension}`);
    }
  }

  private applyToIndex(removed: number[], added: { id: number; vector: Float32Array }[]): void {
    this.passageCountCache = null;
    if (!this.index) {
      if (removed.length || added.length) this.indexDirty = true;
      this.unsavedChanges += removed.length + added.length;
      return;
    }
    for (const id of removed) this.index.remove(id);
    for (const { id, vector } of added) this.index.add(id, vector);
    if (removed.length || added.length) this.indexDirty = true;
    this.unsavedChanges += removed.length + added.length;
  }

  /** Passages without a vector (stored while no embedder was available), oldest first. */
  passagesWithoutVectors(limit: number): { id: number; title: string; text: string }[] {
    return this.db
      .prepare<[number], { id: number; title: string; text: string }>(
        `SELECT p.id, a.title, p.text FROM passages p JOIN articles a ON a.id = p.article_id
         WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE v.passage_id = p.id) ORDER BY p.id LIMIT ?`,
      )
      .all(limit);
  }

  /** Stores vectors for existing passages (backfill). */
  putVectors(items: { id: number; vector: Float32Array }[]): void {
    writing(this.dir, () => this.db.transaction(() => {
      for (const { id, vector } of items) {
        this.checkDimension(vector);
        this.statements.insertVector.run(id, vectorToBlob(vector));
      }
    }).immediate());
    this.applyToIndex([], items);
  }

  /** Ids and origins of stored articles whose origin lies in one of the given files. */
  articlesFromFiles(files: string[]): { id: string; origin: string }[] {
    const out: { id: string; origin: string }[] = [];
    const stmt = this.db.prepare<[string, string], { id: string; origin: string }>(
      "SELECT id, origin FROM articles WHERE origin = ? OR origin LIKE ? ESCAPE '\\'",
    );
    for (const file of files) {
      const like = escapeLike(file) + '#%';
      out.push(...stmt.all(file, like));
    }
    return out;
  }

  /** Ids and origins of every stored article whose origin starts with a folder prefix. */
  articlesUnder(prefix: string): { id: string; origin: string }[] {
    const like = escapeLike(prefix) + '%';
    return this.db
      .prepare<[string], { id: string; origin: string }>("SELECT id, origin FROM articles WHERE origin LIKE ? ESCAPE '\\'")
      .all(like);
  }

  /** BM25 search over passage title and text. `match` is an FTS5 query; title weighs `titleWeight`. */
  lexicalSearch(match: string, limit: number, titleWeight = 2): LexicalHit[] {
    if (!match) return [];
    this.refresh();
    return this.db
      .prepare<[number, string, number], { id: number; bm: number }>(
        'SELECT rowid AS id, bm25(passages_fts, ?, 1.0) AS bm FROM passages_fts WHERE passages_fts MATCH ? ORDER BY bm LIMIT ?',
      )
      .all(titleWeight, match, limit)
      .map((r) => ({ id: r.id, score: -r.bm }));
  }

  /**
   * Inverse document frequency of each (Porter-stemmed) term over all passages, BM25-style:
   * ln(1 + (N - df + 0.5) / (df + 0.5)).
   */
  termIdf(stems: string[]): Map<string, number> {
    const out = new Map<string, number>();
    if (stems.length === 0) return out;
    const n = this.passageCount();
    for (const t of new Set(stems)) {
      const df = this.statements.termDocs.get(t)?.doc ?? 0;
      out.set(t, Math.log(1 + (n - df + 0.5) / (df + 0.5)));
    }
    return out;
  }

  private passageCount(): number {
    if (this.passageCountCache === null || Date.now() - this.passageCountCache.at > 30_000) {
      this.passageCountCache = { n: this.statements.passageCount.get()?.n ?? 0, at: Date.now() };
    }
    return this.passageCountCache.n;
  }

  /** Nearest passages to a query vector (empty when the store has no vectors). */
  vectorSearch(vector: Float32Array, limit: number): VectorHit[] {
    this.refresh();
    const index = this.vectorIndex();
    return index ? index.search(vector, limit) : [];
  }

  /**
   * Picks up writes made by another process (an ingest running beside the bot). Cheap when
   * nothing changed (one pragma: SQLite's data version). When something did, lexical search sees
   * it at once, and the in-memory vector index catches up in the background: the change log's
   * new entries are read and the new vectors added a slice at a time (at most about
   * CATCH_UP_SLICE_MS per turn of the event loop), so a large ingest never blocks a query or
   * the gateway heartbeat. Searches meanwhile use the index as it is.
   */
  refresh(): void {
    const version = Number(this.db.pragma('data_version', { simple: true }));
    if (version === this.dataVersion) return;
    this.dataVersion = version;
    this.passageCountCache = null;
    if (this.manifest.dimension === null) {
      const row = this.db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'embedding_dimension'").get();
      const model = this.db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'embedding_model'").get();
      if (row && model) {
        this.manifest.dimension = Number(row.value);
        this.manifest.embeddingModel = model.value;
      }
    }
    if (this.index) {
      this.catchUp.logBehind = true;
      this.scheduleCatchUp();
    }
  }

  /** Stored vectors the in-memory index has not caught up with yet (0 when current, or not loaded). */
  get indexLag(): number {
    return this.catchUp.pending.size + (this.catchUp.logBehind ? 1 : 0);
  }

  /**
   * Brings the in-memory vector index fully up to date with the stored vectors now, in one go
   * (for consistency checks and shutdown; the bot otherwise catches up a slice at a time).
   */
  catchUpIndex(): void {
    const index = this.index;
    if (!index) return;
    this.catchUp.logBehind = true;
    while (this.catchUp.logBehind || this.catchUp.pending.size) this.catchUpSlice(index, Infinity);
  }

  private scheduleCatchUp(): void {
    if (this.catchUp.timer) return;
    if (this.catchUp.startedAt === 0) this.catchUp.startedAt = performance.now();
    this.catchUp.timer = setImmediate(() => {
      this.catchUp.timer = null;
      const index = this.index;
      if (!index) return;
      const t = performance.now();
      this.catchUpSlice(index, CATCH_UP_SLICE_MS);
      this.catchUp.longestSliceMs = Math.max(this.catchUp.longestSliceMs, performance.now() - t);
      if (this.catchUp.logBehind || this.catchUp.pending.size) {
        this.scheduleCatchUp();
        return;
      }
      if (this.catchUp.added) {
        this.logger.debug('vector index caught up with the store', {
          added: this.catchUp.added,
          ms: Math.round(performance.now() - this.catchUp.startedAt),
          longestSliceMs: Math.round(this.catchUp.longestSliceMs * 10) / 10,
        });
      }
      this.catchUp.startedAt = 0;
      this.catchUp.added = 0;
      this.catchUp.longestSliceMs = 0;
    });
    // Never keeps a process alive on its own: close() finishes the job.
    this.catchUp.timer.unref();
  }

  /** One slice of catch-up: a page of the change log, then additions until `budgetMs` is spent. */
  private catchUpSlice(index: VectorIndex, budgetMs: number): void {
    const deadline = performance.now() + budgetMs;
    const state = this.catchUp;
    if (state.logBehind) this.readChangeLog(index);
    for (const id of state.pending) {
      state.pending.delete(id);
      if (!index.has(id)) {
        const row = this.statements.vectorOf.get(id);
        if (row) {
          index.add(id, blobToVector(row.embedding));
          state.added++;
          this.indexDirty = true;
        }
      }
      if (performance.now() >= deadline) break;
    }
  }

  /**
   * Reads the next page of the change log into the catch-up: removals are applied at once
   * (cheap), additions queued. Falls back to a full comparison with the vectors table when the
   * entries this reader needs were trimmed, or the store has no change log (opened read-only
   * before the log existed).
   */
  private readChangeLog(index: VectorIndex): void {
    const state = this.catchUp;
    if (!this.statements.changeLogTable.get()?.n) {
      this.resyncIndex(index);
      state.logBehind = false;
      return;
    }
    const first = this.db.prepare<[], { seq: number | null }>('SELECT MIN(seq) AS seq FROM vector_log').get()?.seq ?? null;
    if (first !== null && first > state.logSeq + 1) {
      this.logger.debug('change log trimmed past this reader; comparing the index with the stored vectors');
      this.resyncIndex(index);
      return;
    }
    const rows = this.db
      .prepare<[number, number], { seq: number; passage_id: number; op: number }>('SELECT seq, passage_id, op FROM vector_log WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(state.logSeq, CHANGE_LOG_PAGE);
    for (const { passage_id: id, op } of rows) {
      if (op) {
        state.pending.add(id);
      } else {
        state.pending.delete(id);
        if (index.remove(id)) this.indexDirty = true;
      }
    }
    if (rows.length) state.logSeq = rows[rows.length - 1]!.seq;
    state.logBehind = rows.length === CHANGE_LOG_PAGE;
  }

  /** Compares the index with the vectors table: stale labels go now, missing vectors are queued. */
  private resyncIndex(index: VectorIndex): void {
    const seq = this.lastLogSeq();
    const ids = this.db.prepare<[], { passage_id: number }>('SELECT passage_id FROM vectors').pluck().all() as unknown as number[];
    const { deleted, missing } = index.sync(ids);
    if (deleted) this.indexDirty = true;
    this.catchUp.pending = new Set(missing);
    this.catchUp.logSeq = seq;
    // Entries written after `seq` are read next (applying one the scan already saw is harmless).
    this.catchUp.logBehind = seq > 0;
  }

  /** The newest change-log entry (0 when there is none, or no log). */
  private lastLogSeq(): number {
    if (!this.statements.changeLogTable.get()?.n) return 0;
    return this.db.prepare<[], { seq: number | null }>('SELECT MAX(seq) AS seq FROM vector_log').get()?.seq ?? 0;
  }

  private reconcileIndex(index: VectorIndex): void {
    const ids = this.db.prepare<[], { passage_id: number }>('SELECT passage_id FROM vectors').pluck().all() as unknown as number[];
    const { deleted, added } = index.reconcile(ids, (id) => {
      const row = this.statements.vectorOf.get(id);
      return row ? blobToVector(row.embedding) : undefined;
    });
    if (deleted || added) {
      this.logger.debug('vector index reconciled with store', { deleted, added });
      this.indexDirty = true;
    }
  }

  /**
   * Checks that the parts of the store agree: every passage has its BM25 entry, every article
   * has passages, every vector has its passage, and (with a model) every passage has a vector in
   * the index. Returns the counts and the problems found.
   */
  checkConsistency(): { ok: boolean; problems: string[]; articles: number; passages: number; vectors: number; lexical: number; indexed: number | null } {
    const count = (sql: string) => this.db.prepare<[], { n: number }>(sql).get()?.n ?? 0;
    const articles = count('SELECT COUNT(*) AS n FROM articles');
    const passages = count('SELECT COUNT(*) AS n FROM passages');
    const vectors = count('SELECT COUNT(*) AS n FROM vectors');
    const lexical = count('SELECT COUNT(*) AS n FROM passages_fts');
    const problems: string[] = [];
    this.catchUpIndex();
    if (lexical !== passages) problems.push(`${passages} passages but ${lexical} BM25 entries`);
    const empty = count('SELECT COUNT(*) AS n FROM articles a WHERE NOT EXISTS (SELECT 1 FROM passages p WHERE p.article_id = a.id)');
    if (empty) problems.push(`${empty} articles without passages`);
    const orphans = count('SELECT COUNT(*) AS n FROM vectors v WHERE NOT EXISTS (SELECT 1 FROM passages p WHERE p.id = v.passage_id)');
    if (orphans) problems.push(`${orphans} vectors without passages`);
    if (this.manifest.dimension !== null && vectors !== passages) problems.push(`${passages} passages but ${vectors} vectors`);
    const index = this.vectorIndex();
    const indexed = index ? index.size : null;
    if (index && indexed !== vectors) problems.push(`${vectors} vectors but ${indexed} in the HNSW index`);
    return { ok: problems.length === 0, problems, articles, passages, vectors, lexical, indexed };
  }

  /** Passages with their articles, in the order of `ids` (unknown ids are dropped). */
  getPassages(ids: number[]): { passage: Passage; article: ArticleMeta }[] {
    if (ids.length === 0) return [];
    const placeholders = ids.map(() => '?').join(',');
    const rows = this.db
      .prepare<number[], ArticleRow & { pid: number; position: number; start: number; end: number; text: string }>(
        `SELECT p.id AS pid, p.position, p.start, p."end" AS "end", p.text, a.id, a.title, a.date, a.source, a.url, a.author, a.origin, a.content_hash
         FROM passages p JOIN articles a ON a.id = p.article_id WHERE p.id IN (${placeholders})`,
      )
      .all(...ids);
    const byId = new Map(rows.map((r) => [r.pid, r]));
    const out: { passage: Passage; article: ArticleMeta }[] = [];
    for (const id of ids) {
      const r = byId.get(id);
      if (!r) continue;
      out.push({
        passage: { id: r.pid, articleId: r.id, position: r.position, start: r.start, end: r.end, text: r.text },
        article: toMeta(r),
      });
    }
    return out;
  }

  /** Ids of the passages of the given articles, in article order then position; at most `perArticle` each. */
  passageIdsOf(articleIds: string[], perArticle: number): number[] {
    if (articleIds.length === 0) return [];
    const placeholders = articleIds.map(() => '?').join(',');
    return this.db
      .prepare<unknown[], { id: number }>(`SELECT id FROM passages WHERE article_id IN (${placeholders}) AND position < ? ORDER BY article_id, position`)
      .pluck()
      .all(...articleIds, perArticle) as unknown as number[];
  }

  /** Most recent articles, by date (undated last), then by ingest time. */
  latestArticles(limit: number): ArticleMeta[] {
    return this.db
      .prepare<[number], ArticleRow>(
        'SELECT id, title, date, source, url, author, origin, content_hash FROM articles ORDER BY date IS NULL, date DESC, ingested_at DESC LIMIT ?',
      )
      .all(limit)
      .map(toMeta);
  }

  /** Merges the BM25 index's segments into one (worth it after a large ingest: faster searches). */
  optimizeLexicalIndex(): void {
    writing(this.dir, () => this.db.exec("INSERT INTO passages_fts (passages_fts) VALUES ('optimize')"));
  }

  /** Counts and the last ingest. */
  stats(): StoreStats {
    const count = (sql: string) => (this.db.prepare<[], { n: number }>(sql).get()?.n ?? 0);
    const last = this.db
      .prepare<[], { finished_at: string; added: number; updated: number; removed: number; unchanged: number; skipped: number }>(
        'SELECT finished_at, added, updated, removed, unchanged, skipped FROM ingest_runs ORDER BY id DESC LIMIT 1',
      )
      .get();
    return {
      articles: count('SELECT COUNT(*) AS n FROM articles'),
      passages: count('SELECT COUNT(*) AS n FROM passages'),
      vectors: count('SELECT COUNT(*) AS n FROM vectors'),
      lastIngest: last
        ? { finishedAt: last.finished_at, added: last.added, updated: last.updated, removed: last.removed, unchanged: last.unchanged, skipped: last.skipped }
        : null,
      manifest: { ...this.manifest },
    };
  }

  /** Records a finished ingest run. */
  recordIngestRun(run: Omit<IngestRunRecord, 'finishedAt'>): void {
    writing(this.dir, () =>
      this.db
        .prepare('INSERT INTO ingest_runs (finished_at, added, updated, removed, unchanged, skipped) VALUES (?, ?, ?, ?, ?, ?)')
        .run(new Date().toISOString(), run.added, run.updated, run.removed, run.unchanged, run.skipped),
    );
  }

  /**
   * The HNSW index, loaded on first use: read from its file and reconciled with the stored
   * vectors, or rebuilt from them when the file is missing or unreadable. Null without vectors.
   */
  vectorIndex(): VectorIndex | null {
    if (this.index) return this.index;
    const dimension = this.manifest.dimension;
    if (dimension === null) return null;
    const file = path.join(this.dir, INDEX_FILE);
    let index: VectorIndex | null = null;
    if (fs.existsSync(file)) {
      try {
        index = VectorIndex.load(file, dimension, { efSearch: this.efSearch });
      } catch (error) {
        this.logger.warn('vector index file unreadable; rebuilding it from stored vectors', { error: describeError(error) });
      }
    }
    if (!index) {
      const stored = this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM vectors').get()?.n ?? 0;
      index = VectorIndex.create(dimension, stored + 1024, { efSearch: this.efSearch });
      this.indexDirty = stored > 0;
    }
    // The change-log position first: entries committed during the scan are read again later.
    this.catchUp.logSeq = this.lastLogSeq();
    this.catchUp.pending.clear();
    this.reconcileIndex(index);
    this.index = index;
    return index;
  }

  /** All stored vectors (for exact search and benchmarks). */
  *allVectors(): Generator<{ id: number; vector: Float32Array }> {
    for (const row of this.db.prepare<[], { passage_id: number; embedding: Buffer }>('SELECT passage_id, embedding FROM vectors').iterate()) {
      yield { id: row.passage_id, vector: blobToVector(row.embedding) };
    }
  }

  /**
   * Persists the vector index atomically if it changed. Unless `force`, a few changes are left
   * for later: the file is reconciled with the stored vectors on open anyway, and rewriting a
   * large index for one changed article would cost more than the change.
   */
  flush(options: { force?: boolean } = {}): void {
    if (!this.indexDirty) return;
    const index = this.vectorIndex();
    if (index && !options.force && this.unsavedChanges < Math.max(1_000, index.size * 0.02) && fs.existsSync(path.join(this.dir, INDEX_FILE))) return;
    if (index) {
      try {
        index.save(path.join(this.dir, INDEX_FILE));
      } catch (error) {
        // The index is derived data: the previous file is kept (a failed write never replaces it)
        // and reconciled with the stored vectors on the next open.
        throw new NewsBotError(ErrorCodes.StoreIo, `could not write the vector index in ${this.dir} (${describeError(error)}); the previous index file is kept and brought up to date from the stored vectors on the next start.`, { cause: error });
      }
    }
    this.indexDirty = false;
    this.unsavedChanges = 0;
  }

  /** Flushes the index and closes the database. */
  close(): void {
    try {
      if (this.catchUp.timer) clearImmediate(this.catchUp.timer);
      this.catchUp.timer = null;
      this.catchUpIndex();
      this.flush({ force: true });
    } finally {
      this.db.close();
    }
  }

  /** Deletes every file of a store (for --rebuild). */
  static destroy(dir: string): void {
    for (const name of [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`, INDEX_FILE]) fs.rmSync(path.join(dir, name), { force: true });
  }
}

function createSchema(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS articles (
      id TEXT PRIMARY KEY,
      title TEXT NOT NULL,
      date TEXT,
      source TEXT NOT NULL,
      url TEXT,
      author TEXT,
      origin TEXT NOT NULL,
      content_hash TEXT NOT NULL,
      text TEXT NOT NULL,
      ingested_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS articles_hash ON articles (content_hash);
    CREATE INDEX IF NOT EXISTS articles_url ON articles (url);
    CREATE INDEX IF NOT EXISTS articles_origin ON articles (origin);
    CREATE INDEX IF NOT EXISTS articles_date ON articles (date);
    CREATE TABLE IF NOT EXISTS passages (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
      position INTEGER NOT NULL,
      start INTEGER NOT NULL,
      "end" INTEGER NOT NULL,
      text TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS passages_article ON passages (article_id);
    CREATE TABLE IF NOT EXISTS vectors (
      passage_id INTEGER PRIMARY KEY REFERENCES passages (id) ON DELETE CASCADE,
      embedding BLOB NOT NULL
    );
    CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5 (
      title, text, content='', contentless_delete=1, tokenize='porter unicode61 remove_diacritics 2'
    );
    CREATE VIRTUAL TABLE IF NOT EXISTS passages_vocab USING fts5vocab (passages_fts, 'row');
    CREATE TABLE IF NOT EXISTS ingest_runs (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      finished_at TEXT NOT NULL,
      added INTEGER NOT NULL,
      updated INTEGER NOT NULL,
      removed INTEGER NOT NULL,
      unchanged INTEGER NOT NULL,
      skipped INTEGER NOT NULL
    );
    -- Vector additions (op 1) and removals (op 0) in commit order, written by triggers in the
    -- writer's own transaction, so a reader (the bot beside an ingest) updates its in-memory
    -- index from the new entries instead of comparing every stored id. Trimmed after each ingest
    -- run; a reader that fell behind the trim compares the whole table once.
    CREATE TABLE IF NOT EXISTS vector_log (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      passage_id INTEGER NOT NULL,
      op INTEGER NOT NULL
    );
    CREATE TRIGGER IF NOT EXISTS vector_log_insert AFTER INSERT ON vectors
      BEGIN INSERT INTO vector_log (passage_id, op) VALUES (new.passage_id, 1); END;
    CREATE TRIGGER IF NOT EXISTS vector_log_update AFTER UPDATE ON vectors
      BEGIN INSERT INTO vector_log (passage_id, op) VALUES (new.passage_id, 1); END;
    CREATE TRIGGER IF NOT EXISTS vector_log_delete AFTER DELETE ON vectors
      BEGIN INSERT INTO vector_log (passage_id, op) VALUES (old.passage_id, 0); END;
    CREATE TRIGGER IF NOT EXISTS vector_log_trim AFTER INSERT ON ingest_runs
      BEGIN DELETE FROM vector_log WHERE seq <= (SELECT MAX(seq) FROM vector_log) - ${CHANGE_LOG_KEEP}; END;
  `);
}
