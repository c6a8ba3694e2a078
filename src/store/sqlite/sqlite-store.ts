import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCodes, NewsBotError, describeError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { ArticleMeta } from '../../core/types.js';
import { consistencyReport, trimVectorLog } from '../contract.js';
import { DerivedVectorIndex, saveDerivedIndex, type VectorSource } from '../derived-index.js';
import { escapeLike, toMeta, type ArticleRow } from '../article-rows.js';
import { FEED_COLUMNS, toFeed, type FeedRow } from '../delivery-rows.js';
import { TITLE_WEIGHT, termIdf } from '../lexical-terms.js';
import { STORE_SCHEMA_VERSION, bytesToVector, checkDimension, checkManifest, vectorToBytes, type ManifestExpectation } from '../manifest.js';
import {
  GLOBAL_SCOPE,
  type ArticleInput,
  type DeliveryStore,
  type ArticleOrigin,
  type AuditEntry,
  type ConsistencyReport,
  type FeedDelivery,
  type FeedRecord,
  type Scope,
  type ScopeFilter,
  type SourceArticle,
  type IngestRunRecord,
  type LexicalHit,
  type NewsStore,
  type PassageRow,
  type StoreManifest,
  type StoreStats,
  type VectorHit,
  type VectorLog,
} from '../ports.js';
import { keepStatements, pragma } from './kept-statements.js';
import { sqliteDeliveries } from './sqlite-deliveries.js';
import { createSchema } from './sqlite-schema.js';

const DB_FILE = 'news.db';
const INDEX_FILE = 'vectors.hnsw';
/** Default wait for the write lock: long enough for another ingest's batch or index merge. */
export const STORE_BUSY_TIMEOUT_MS = 60_000;

/** Options for opening a SQLite store. */
export interface SqliteStoreOptions extends ManifestExpectation {
  /** HNSW query breadth of this process's vector index (the composition root gives config.retrieval.efSearch). */
  efSearch: number;
  logger?: Logger;
  /** Open without writing (no schema creation, no index save). */
  readonly?: boolean;
  /** Extra SQLite pragmas for this connection (e.g. cache_size, max_page_count). */
  pragmas?: Record<string, string | number>;
  /** How long a write waits for another process's write (an ingest beside the bot) to finish. */
  busyTimeoutMs?: number;
}

/**
 * Runs a write; SQLite's disk-full, read-only, I/O and lock-timeout failures become one clear
 * StoreIo error. The failed write is rolled back whole; earlier writes stay committed (callers
 * that know how much that was, like the ingest pipeline, say so).
 */
/**
 * Runs `fn` again while SQLite answers SQLITE_BUSY at once, for up to `timeoutMs`: switching a new
 * store to WAL while another process opens it too is refused without calling the busy handler
 * (SQLite's deadlock avoidance), so two ingests started together must take turns here.
 */
function whileBusy<T>(fn: () => T, timeoutMs: number): T {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return fn();
    } catch (error) {
      if (!String((error as { code?: string }).code ?? '').startsWith('SQLITE_BUSY') || Date.now() >= end) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
}

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

/**
 * A filter on passage ids by scope, for `WHERE <id> ...` with one JSON-array parameter (fixed SQL
 * text, so its statement is prepared once). With global among the scopes (every real case) it
 * excludes the passages of other servers, read from the small partial index of scoped passages,
 * never the global bulk; without it, it keeps the passages of the given scopes.
 */
function passageScopeSql(scopes: readonly Scope[]): string {
  return scopes.includes(GLOBAL_SCOPE)
    ? "NOT IN (SELECT id FROM passages WHERE scope <> 'global' AND scope NOT IN (SELECT value FROM json_each(?)))"
    : 'IN (SELECT id FROM passages WHERE scope IN (SELECT value FROM json_each(?)))';
}

/** An FTS5 MATCH expression: any of the words (each quoted, so no syntax leaks in). */
function ftsQuery(terms: readonly string[]): string {
  return terms.map((t) => `"${t.replace(/"/g, '""')}"`).join(' OR ');
}

/**
 * The embedded store under DATA_DIR: articles, passages, vectors and an FTS5 BM25 index in SQLite
 * (WAL; every write one transaction that takes the lock up front), plus the process's HNSW index
 * derived from the stored vectors and kept in `vectors.hnsw`. Writes by any process reach every
 * process's index through the vector change log; the file is written atomically and reconciled
 * with the stored vectors when opened, so a crash at any point leaves a store that opens consistent.
 */
export class SqliteStore implements NewsStore {
  readonly backend = 'sqlite' as const;
  readonly location: string;
  readonly manifest: StoreManifest;
  /** The store's folder. */
  readonly dir: string;
  private readonly db: Database.Database;
  private readonly logger: Logger;
  private readonly efSearch: number;
  private readonly readonly: boolean;
  private index: DerivedVectorIndex | null = null;
  private dataVersion = -1;
  private passageCountCache: { n: number; at: number } | null = null;
  /** The scope of every passage not in the global scope, read when first needed after a change (see `lexicalSearch`). */
  private scopedCache: Map<number, Scope> | null = null;
  /** The highest passage id when scopedCache was read: any higher one was written after it. */
  private scopedMaxId = 0;
  private readonly statements;
  readonly deliveries: DeliveryStore;

  private constructor(dir: string, db: Database.Database, manifest: StoreManifest, options: SqliteStoreOptions) {
    this.dir = dir;
    this.deliveries = sqliteDeliveries(db, (fn) => writing(dir, fn));
    this.location = dir;
    this.db = db;
    this.manifest = manifest;
    this.logger = options.logger ?? silentLogger;
    this.efSearch = options.efSearch;
    this.readonly = options.readonly ?? false;
    this.statements = {
      articleById: db.prepare<[string], ArticleRow>('SELECT id, title, date, source, url, author, origin, content_hash FROM articles WHERE id = ?'),
      articleText: db.prepare<[string], { text: string }>('SELECT text FROM articles WHERE id = ?'),
      articleByHash: db.prepare<[string], { id: string }>('SELECT id FROM articles WHERE content_hash = ? LIMIT 1'),
      articleByUrl: db.prepare<[string], { id: string }>('SELECT id FROM articles WHERE url = ? LIMIT 1'),
      articleByHashIn: db.prepare<[string, string], { id: string }>('SELECT id FROM articles WHERE content_hash = ? AND scope IN (SELECT value FROM json_each(?)) LIMIT 1'),
      articleByUrlIn: db.prepare<[string, string], { id: string }>('SELECT id FROM articles WHERE url = ? AND scope IN (SELECT value FROM json_each(?)) LIMIT 1'),
      insertArticle: db.prepare(
        `INSERT INTO articles (id, title, date, source, url, author, origin, content_hash, text, ingested_at, scope, added_by)
         VALUES (@id, @title, @date, @source, @url, @author, @origin, @contentHash, @text, @ingestedAt, @scope, @addedBy)`,
      ),
      passageIdsOf: db.prepare<[string], { id: number }>('SELECT id FROM passages WHERE article_id = ?'),
      deleteArticle: db.prepare<[string]>('DELETE FROM articles WHERE id = ?'),
      insertPassage: db.prepare<[string, number, number, number, string, string]>('INSERT INTO passages (article_id, position, start, "end", text, scope) VALUES (?, ?, ?, ?, ?, ?)'),
      insertFts: db.prepare<[number, string, string]>('INSERT INTO passages_fts (rowid, title, text) VALUES (?, ?, ?)'),
      deleteFts: db.prepare<[number]>('DELETE FROM passages_fts WHERE rowid = ?'),
      insertVector: db.prepare<[number, Buffer]>('INSERT OR REPLACE INTO vectors (passage_id, embedding) VALUES (?, ?)'),
      vectorOf: db.prepare<[number], { embedding: Buffer }>('SELECT embedding FROM vectors WHERE passage_id = ?'),
      setMeta: db.prepare<[string, string]>('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
      passageCount: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM passages'),
      termDocs: db.prepare<[string], { doc: number }>('SELECT doc FROM passages_vocab WHERE term = ?'),
      hasLog: db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'vector_log'"),
    };
    this.makeIndex();
  }

  /**
   * Opens (or creates) the store in `dir`. Fails with StoreModelMismatchError when the store was
   * built with another embedding model, dimension or chunker version.
   */
  static open(dir: string, options: SqliteStoreOptions): SqliteStore {
    let db: Database.Database;
    try {
      fs.mkdirSync(dir, { recursive: true });
      db = keepStatements(new Database(path.join(dir, DB_FILE), options.readonly ? { readonly: true, fileMustExist: true } : {}));
      // First: everything after it (even switching to WAL) may wait for another process's write.
      pragma(db, `busy_timeout = ${options.busyTimeoutMs ?? STORE_BUSY_TIMEOUT_MS}`);
      if (!options.readonly) whileBusy(() => pragma(db, 'journal_mode = WAL'), options.busyTimeoutMs ?? STORE_BUSY_TIMEOUT_MS);
      pragma(db, 'synchronous = NORMAL');
      pragma(db, 'foreign_keys = ON');
      for (const [key, value] of Object.entries(options.pragmas ?? {})) pragma(db, `${key} = ${value}`);
    } catch (error) {
      throw new NewsBotError(ErrorCodes.StoreIo, `cannot open the store in ${dir}: ${describeError(error)}`, { cause: error });
    }
    try {
      if (!options.readonly) createSchema(db);
      const meta = new Map(db.prepare<[], { key: string; value: string }>('SELECT key, value FROM meta').all().map((r) => [r.key, r.value]));
      const manifest = checkManifest(meta, options, dir);
      if (!options.readonly) {
        const set = db.prepare<[string, string]>('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)');
        writing(dir, () =>
          db.transaction(() => {
            set.run('schema_version', String(STORE_SCHEMA_VERSION));
            set.run('chunker_version', String(options.chunkerVersion));
            set.run('created_at', new Date().toISOString());
          }).immediate(),
        );
      }
      const store = new SqliteStore(dir, db, manifest, options);
      const emb = options.embedding;
      if (emb && !options.readonly && !manifest.embeddingModel) store.adoptModel(emb.modelId, emb.dimension);
      return store;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  private adoptModel(modelId: string, dimension: number): void {
    writing(this.dir, () =>
      this.db.transaction(() => {
        this.statements.setMeta.run('embedding_model', modelId);
        this.statements.setMeta.run('embedding_dimension', String(dimension));
      }).immediate(),
    );
    this.manifest.embeddingModel = modelId;
    this.manifest.dimension = dimension;
    this.makeIndex();
  }

  private makeIndex(): void {
    if (this.index || this.manifest.dimension === null) return;
    const created = this.db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'created_at'").get()?.value;
    this.index = new DerivedVectorIndex(this.readonly ? null : path.join(this.dir, INDEX_FILE), this.manifest.dimension, this.vectorSource(), {
      efSearch: this.efSearch,
      logger: this.logger,
      ...(created ? { fingerprint: `sqlite:${created}` } : {}),
    });
  }

  /** The vector change log's SQL (a read-only store of an older schema may have no log: then it reads as empty, and every update compares ids). */
  get vectorLog(): VectorLog {
    const hasLog = () => (this.statements.hasLog.get()?.n ?? 0) > 0;
    return {
      lastSeq: async () => (hasLog() ? (this.db.prepare<[], { seq: number | null }>('SELECT MAX(seq) AS seq FROM vector_log').get()?.seq ?? 0) : 0),
      firstSeq: async () => (hasLog() ? (this.db.prepare<[], { seq: number | null }>('SELECT MIN(seq) AS seq FROM vector_log').get()?.seq ?? null) : Number.POSITIVE_INFINITY),
      deleteBefore: async (seq) => {
        writing(this.dir, () => this.db.prepare<[number]>('DELETE FROM vector_log WHERE seq < ?').run(seq));
      },
    };
  }

  private vectorSource(): VectorSource {
    const hasLog = () => (this.statements.hasLog.get()?.n ?? 0) > 0;
    const log = this.vectorLog;
    return {
      lastSeq: () => log.lastSeq(),
      firstSeq: () => log.firstSeq(),
      changesAfter: async (seq, limit) =>
        hasLog()
          ? this.db
              .prepare<[number, number], { seq: number; passage_id: number; op: number }>('SELECT seq, passage_id, op FROM vector_log WHERE seq > ? ORDER BY seq LIMIT ?')
              .all(seq, limit)
              .map((r) => ({ seq: r.seq, id: r.passage_id, op: r.op ? ('add' as const) : ('del' as const) }))
          : [],
      vectorIds: async () => this.db.prepare<[], { passage_id: number }>('SELECT passage_id FROM vectors').pluck().all() as unknown as number[],
      vectorsOf: async (ids) => {
        const out = new Map<number, Float32Array>();
        for (const id of ids) {
          const row = this.statements.vectorOf.get(id);
          if (row) out.set(id, bytesToVector(row.embedding));
        }
        return out;
      },
      scopedPassages: async (ids) =>
        ids
          ? new Map(
              this.db
                .prepare<[string], { id: number; scope: string }>("SELECT id, scope FROM passages WHERE scope <> 'global' AND id IN (SELECT value FROM json_each(?))")
                .all(JSON.stringify(ids))
                .map((r) => [r.id, r.scope]),
            )
          : new Map(this.scopedPassages()), // the index keeps its own copy up to date
    };
  }

  /**
   * Picks up writes made by another process (an ingest beside the bot): cheap when nothing changed
   * (one pragma, SQLite's data version; every read checks it too). When something did, lexical
   * search sees it at once and the vector index catches up from the change log, a slice at a
   * time, so a large ingest never blocks a query; searches meanwhile use the index as it stands.
   */
  async refresh(): Promise<void> {
    this.checkDataVersion();
    await this.index?.update();
  }

  async openVectorIndex(): Promise<void> {
    this.checkDataVersion();
    await this.index?.update();
  }

  get indexedVectors(): number | null {
    return this.index?.ready ? this.index.size : null;
  }

  private checkDataVersion(): void {
    const version = Number(pragma(this.db, 'data_version'));
    if (version === this.dataVersion) return;
    this.dataVersion = version;
    this.passageCountCache = null;
    this.scopedCache = null;
    if (this.manifest.dimension === null) {
      const row = this.db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'embedding_dimension'").get();
      const model = this.db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'embedding_model'").get();
      if (row && model) {
        this.manifest.dimension = Number(row.value);
        this.manifest.embeddingModel = model.value;
        this.makeIndex();
      }
    }
    if (this.index?.ready) this.index.update().catch((error: unknown) => this.logger.warn('vector index update failed', { error: describeError(error) }));
  }

  /** After a write of this connection: the index follows at once (this process wrote it). */
  private async afterWrite(): Promise<void> {
    this.passageCountCache = null;
    this.scopedCache = null;
    if (this.index?.ready) await this.index.update();
  }

  async getArticle(id: string): Promise<ArticleMeta | undefined> {
    const row = this.statements.articleById.get(id);
    return row ? toMeta(row) : undefined;
  }

  async articleText(id: string): Promise<string | undefined> {
    return this.statements.articleText.get(id)?.text;
  }

  async findByContentHash(hash: string, scopes?: ScopeFilter): Promise<string | undefined> {
    return (scopes ? this.statements.articleByHashIn.get(hash, JSON.stringify(scopes)) : this.statements.articleByHash.get(hash))?.id;
  }

  async findByUrl(url: string, scopes?: ScopeFilter): Promise<string | undefined> {
    return (scopes ? this.statements.articleByUrlIn.get(url, JSON.stringify(scopes)) : this.statements.articleByUrl.get(url))?.id;
  }

  /**
   * Writes articles with their passages (and vectors) in one transaction, replacing any stored
   * version of the same article ids. Like every write here, the transaction takes the write lock
   * up front (BEGIN IMMEDIATE) and waits for another writer with the busy timeout: a transaction
   * that read first and upgraded later would fail at once with SQLITE_BUSY when another process
   * wrote in between.
   */
  async putArticles(items: readonly ArticleInput[]): Promise<void> {
    const now = new Date().toISOString();
    for (const { passages } of items) for (const p of passages) if (p.vector) checkDimension(this.manifest, p.vector);
    writing(this.dir, () =>
      this.db.transaction(() => {
        for (const { article, passages, scope = GLOBAL_SCOPE, addedBy = null } of items) {
          this.deleteArticleRows(article.id);
          this.statements.insertArticle.run({ ...article, ingestedAt: now, scope, addedBy });
          for (const p of passages) {
            const id = Number(this.statements.insertPassage.run(article.id, p.position, p.start, p.end, p.text, scope).lastInsertRowid);
            this.statements.insertFts.run(id, article.title, p.text);
            if (p.vector) this.statements.insertVector.run(id, vectorToBytes(p.vector));
          }
        }
      }).immediate(),
    );
    await this.afterWrite();
  }

  async removeArticles(ids: readonly string[]): Promise<number> {
    let count = 0;
    writing(this.dir, () =>
      this.db.transaction(() => {
        for (const id of ids) {
          if (!this.statements.articleById.get(id)) continue;
          this.deleteArticleRows(id);
          count++;
        }
      }).immediate(),
    );
    await this.afterWrite();
    return count;
  }

  private deleteArticleRows(articleId: string): void {
    for (const { id } of this.statements.passageIdsOf.all(articleId)) this.statements.deleteFts.run(id);
    // Passages and vectors go with the article (ON DELETE CASCADE); the vector log records it.
    this.statements.deleteArticle.run(articleId);
  }

  async passagesWithoutVectors(limit: number): Promise<{ id: number; title: string; text: string }[]> {
    return this.db
      .prepare<[number], { id: number; title: string; text: string }>(
        `SELECT p.id, a.title, p.text FROM passages p JOIN articles a ON a.id = p.article_id
         WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE v.passage_id = p.id) ORDER BY p.id LIMIT ?`,
      )
      .all(limit);
  }

  async putVectors(items: readonly { id: number; vector: Float32Array }[]): Promise<void> {
    for (const { vector } of items) checkDimension(this.manifest, vector);
    const exists = this.db.prepare<[number], { id: number }>('SELECT id FROM passages WHERE id = ?');
    writing(this.dir, () =>
      this.db.transaction(() => {
        // Only passages that still exist (an ingest elsewhere may have replaced them meanwhile).
        for (const { id, vector } of items) if (exists.get(id)) this.statements.insertVector.run(id, vectorToBytes(vector));
      }).immediate(),
    );
    await this.afterWrite();
  }

  async articlesFromFiles(files: readonly string[]): Promise<ArticleOrigin[]> {
    const out: ArticleOrigin[] = [];
    const stmt = this.db.prepare<[string, string], ArticleOrigin>("SELECT id, origin FROM articles WHERE (origin = ? OR origin LIKE ? ESCAPE '\\') AND scope = 'global'");
    for (const file of files) out.push(...stmt.all(file, escapeLike(file) + '#%'));
    return out;
  }

  async articlesUnder(prefix: string): Promise<ArticleOrigin[]> {
    return this.db.prepare<[string], ArticleOrigin>("SELECT id, origin FROM articles WHERE origin LIKE ? ESCAPE '\\' AND scope = 'global'").all(escapeLike(prefix) + '%');
  }

  async recordIngestRun(run: Omit<IngestRunRecord, 'finishedAt'>): Promise<void> {
    writing(this.dir, () =>
      this.db
        .prepare('INSERT INTO ingest_runs (finished_at, added, updated, removed, unchanged, skipped) VALUES (?, ?, ?, ?, ?, ?)')
        .run(new Date().toISOString(), run.added, run.updated, run.removed, run.unchanged, run.skipped),
    );
  }

  /**
   * After an ingest run: merges the BM25 index's segments when much changed (faster searches),
   * trims the change log, and persists the vector index when enough changed.
   */
  async afterIngest(options: { largeChange: boolean }): Promise<void> {
    if (options.largeChange) writing(this.dir, () => this.db.exec("INSERT INTO passages_fts (passages_fts) VALUES ('optimize')"));
    await trimVectorLog(this.vectorLog);
    if (this.index) {
      await this.index.update();
      saveDerivedIndex(this.index, this.dir);
    }
  }

  /** Every passage not in the global scope, with its scope (a fresh copy after any change; few: the servers' own). */
  /** The scope of each of these passages (those that exist). */
  private scopesOf(ids: readonly number[]): Map<number, Scope> {
    const rows = this.db.prepare<[string], { id: number; scope: string }>('SELECT id, scope FROM passages WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(ids));
    return new Map(rows.map((r) => [r.id, r.scope]));
  }

  private scopedPassages(): Map<number, Scope> {
    if (!this.scopedCache) this.scopedMaxId = this.db.prepare<[], { n: number | null }>('SELECT max(id) AS n FROM passages').get()?.n ?? 0;
    this.scopedCache ??= new Map(
      this.db
        .prepare<[], { id: number; scope: string }>("SELECT id, scope FROM passages WHERE scope <> 'global'")
        .all()
        .map((r) => [r.id, r.scope]),
    );
    return this.scopedCache;
  }

  /**
   * BM25 over the passages of `scopes` (all without). The filter is exact and never starves the
   * list: the ranked list is read a little deeper than `limit` (by at most the number of passages
   * the scopes exclude) and the excluded passages dropped; only when that could leave fewer than
   * `limit` does the search run again with the filter in SQL. Filtering in SQL alone costs every
   * query a set of the excluded passages (about 35% of a lexical search with 10 servers of 100
   * articles); reading ~50 rows deeper costs next to nothing.
   */
  async lexicalSearch(terms: readonly string[], limit: number, titleWeight = TITLE_WEIGHT, scopes?: ScopeFilter): Promise<LexicalHit[]> {
    if (terms.length === 0 || limit <= 0) return [];
    this.checkDataVersion();
    const ranked = (depth: number) =>
      this.db
        .prepare<[number, string, number], { id: number; bm: number }>(
          'SELECT rowid AS id, bm25(passages_fts, ?, 1.0) AS bm FROM passages_fts WHERE passages_fts MATCH ? ORDER BY bm, rowid LIMIT ?',
        )
        .all(titleWeight, ftsQuery(terms), depth);
    const hits = (rows: { id: number; bm: number }[]) => rows.map((r) => ({ id: r.id, score: -r.bm }));
    if (!scopes) return hits(ranked(limit));
    const allowed = new Set(scopes);
    const scoped = this.scopedPassages();
    let excluded = 0;
    for (const scope of scoped.values()) if (!allowed.has(scope)) excluded++;
    if (allowed.has(GLOBAL_SCOPE)) {
      const depth = limit + Math.min(excluded, Math.max(50, limit >> 1));
      const rows = ranked(depth);
      // Passages written by another process since the map was read (after its highest id) are
      // looked up one by one: another server's new passage is never taken for a global one.
      const newer = rows.filter((r) => r.id > this.scopedMaxId).map((r) => r.id);
      const late = newer.length ? this.scopesOf(newer) : null;
      const scopeOf = (id: number) => late?.get(id) ?? scoped.get(id) ?? GLOBAL_SCOPE;
      const kept = excluded || late ? rows.filter((r) => allowed.has(scopeOf(r.id))) : rows;
      if (kept.length >= limit || rows.length < depth) return hits(kept.slice(0, limit));
    }
    return hits(
      this.db
        .prepare<[number, string, string, number], { id: number; bm: number }>(
          `SELECT rowid AS id, bm25(passages_fts, ?, 1.0) AS bm FROM passages_fts WHERE passages_fts MATCH ? AND rowid ${passageScopeSql(scopes)} ORDER BY bm, rowid LIMIT ?`,
        )
        .all(titleWeight, ftsQuery(terms), JSON.stringify(scopes), limit),
    );
  }

  async termIdf(stems: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (stems.length === 0) return out;
    this.checkDataVersion();
    const n = this.passageCount();
    for (const t of new Set(stems)) out.set(t, termIdf(n, this.statements.termDocs.get(t)?.doc ?? 0));
    return out;
  }

  private passageCount(): number {
    if (this.passageCountCache === null || Date.now() - this.passageCountCache.at > 30_000) {
      this.passageCountCache = { n: this.statements.passageCount.get()?.n ?? 0, at: Date.now() };
    }
    return this.passageCountCache.n;
  }

  async vectorSearch(vector: Float32Array, limit: number, scopes?: ScopeFilter): Promise<VectorHit[]> {
    this.checkDataVersion();
    if (!this.index) return [];
    if (!this.index.ready) await this.index.update();
    return this.index.search(vector, limit, scopes);
  }

  async getPassages(ids: readonly number[]): Promise<PassageRow[]> {
    if (ids.length === 0) return [];
    const placeholders = ids.map(() => '?').join(',');
    const rows = this.db
      .prepare<number[], ArticleRow & { pid: number; position: number; start: number; end: number; text: string }>(
        `SELECT p.id AS pid, p.position, p.start, p."end" AS "end", p.text, a.id, a.title, a.date, a.source, a.url, a.author, a.origin, a.content_hash
         FROM passages p JOIN articles a ON a.id = p.article_id WHERE p.id IN (${placeholders})`,
      )
      .all(...ids);
    const byId = new Map(rows.map((r) => [r.pid, r]));
    const out: PassageRow[] = [];
    for (const id of ids) {
      const r = byId.get(id);
      if (r) out.push({ passage: { id: r.pid, articleId: r.id, position: r.position, start: r.start, end: r.end, text: r.text }, article: toMeta(r) });
    }
    return out;
  }

  async passageIdsOf(articleIds: readonly string[], perArticle: number): Promise<number[]> {
    if (articleIds.length === 0) return [];
    const placeholders = articleIds.map(() => '?').join(',');
    return this.db
      .prepare<unknown[], { id: number }>(`SELECT id FROM passages WHERE article_id IN (${placeholders}) AND position < ? ORDER BY article_id, position`)
      .pluck()
      .all(...articleIds, perArticle) as unknown as number[];
  }

  async latestArticles(limit: number, scopes?: ScopeFilter): Promise<ArticleMeta[]> {
    const rows = scopes
      ? this.db
          .prepare<[string, number], ArticleRow>(
            'SELECT id, title, date, source, url, author, origin, content_hash FROM articles WHERE scope IN (SELECT value FROM json_each(?)) ORDER BY date IS NULL, date DESC, ingested_at DESC LIMIT ?',
          )
          .all(JSON.stringify(scopes), limit)
      : this.db
          .prepare<[number], ArticleRow>('SELECT id, title, date, source, url, author, origin, content_hash FROM articles ORDER BY date IS NULL, date DESC, ingested_at DESC LIMIT ?')
          .all(limit);
    return rows.map(toMeta);
  }

  async listArticles(scopes: readonly Scope[], limit: number, offset: number): Promise<{ items: SourceArticle[]; total: number }> {
    const json = JSON.stringify(scopes);
    const total = this.db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM articles WHERE scope IN (SELECT value FROM json_each(?))').get(json)?.n ?? 0;
    const items = this.db
      .prepare<[string, number, number], { id: string; title: string; url: string | null; scope: string; added_by: string | null; ingested_at: string }>(
        'SELECT id, title, url, scope, added_by, ingested_at FROM articles WHERE scope IN (SELECT value FROM json_each(?)) ORDER BY ingested_at DESC, id LIMIT ? OFFSET ?',
      )
      .all(json, limit, offset)
      .map((r) => ({ id: r.id, title: r.title, url: r.url, scope: r.scope, addedBy: r.added_by, addedAt: r.ingested_at }));
    return { items, total };
  }

  async articleScope(id: string): Promise<Scope | undefined> {
    return this.db.prepare<[string], { scope: string }>('SELECT scope FROM articles WHERE id = ?').get(id)?.scope;
  }

  async listFeeds(scopes?: ScopeFilter): Promise<FeedRecord[]> {
    const rows = scopes
      ? this.db.prepare<[string], FeedRow>(`SELECT ${FEED_COLUMNS} FROM feeds WHERE scope IN (SELECT value FROM json_each(?)) ORDER BY added_at, url`).all(JSON.stringify(scopes))
      : this.db.prepare<[], FeedRow>(`SELECT ${FEED_COLUMNS} FROM feeds ORDER BY added_at, url`).all();
    return rows.map(toFeed);
  }

  async addFeed(feed: { url: string; scope: Scope; addedBy: string }): Promise<boolean> {
    const result = writing(this.dir, () =>
      this.db.prepare<[string, string, string, string]>('INSERT OR IGNORE INTO feeds (scope, url, added_by, added_at) VALUES (?, ?, ?, ?)').run(feed.scope, feed.url, feed.addedBy, new Date().toISOString()),
    );
    return result.changes === 1;
  }

  async removeFeed(scope: Scope, url: string): Promise<boolean> {
    const result = writing(this.dir, () =>
      this.db.transaction(() => {
        this.db.prepare<[string, string]>('DELETE FROM feed_items WHERE scope = ? AND url = ?').run(scope, url);
        return this.db.prepare<[string, string]>('DELETE FROM feeds WHERE scope = ? AND url = ?').run(scope, url);
      })(),
    );
    return result.changes === 1;
  }

  async setFeedDelivery(scope: Scope, url: string, delivery: Pick<FeedDelivery, 'channelId' | 'forum' | 'filter'> | null): Promise<boolean> {
    const result = writing(this.dir, () =>
      this.db
        .prepare<[string | null, number, string | null, string, string]>(
          `UPDATE feeds SET channel_id = ?, channel_forum = ?, filter = ?, delivered_seq = (SELECT coalesce(max(seq), 0) FROM feed_items), delivery_error = NULL, delivery_log = NULL
           WHERE scope = ? AND url = ?`,
        )
        .run(delivery?.channelId ?? null, delivery?.forum ? 1 : 0, delivery?.filter ?? null, scope, url),
    );
    return result.changes === 1;
  }

  async recordFeedPoll(scope: Scope, url: string, error: string | null, articleIds: readonly string[] = []): Promise<void> {
    writing(this.dir, () =>
      this.db.transaction(() => {
        const feed = this.db.prepare<[string, string], { last_read_at: string | null }>('SELECT last_read_at FROM feeds WHERE scope = ? AND url = ?').get(scope, url);
        if (!feed) return;
        const insert = this.db.prepare<[string, string, string, number]>('INSERT OR IGNORE INTO feed_items (scope, url, article_id, initial) VALUES (?, ?, ?, ?)');
        for (const id of articleIds) insert.run(scope, url, id, feed.last_read_at === null ? 1 : 0);
        const now = new Date().toISOString();
        this.db
          .prepare<[string, string | null, string | null, string, string]>('UPDATE feeds SET last_polled_at = ?, last_error = ?, last_read_at = coalesce(?, last_read_at) WHERE scope = ? AND url = ?')
          .run(now, error, error === null ? now : null, scope, url);
      })(),
    );
  }

  async audit(entry: Omit<AuditEntry, 'at'>): Promise<void> {
    writing(this.dir, () =>
      this.db
        .prepare<[string, string, string, string, string]>('INSERT INTO audit (at, scope, actor, action, target) VALUES (?, ?, ?, ?, ?)')
        .run(new Date().toISOString(), entry.scope, entry.actor, entry.action, entry.target),
    );
  }

  async auditTrail(scope: Scope | undefined, limit: number): Promise<AuditEntry[]> {
    type Row = { at: string; scope: string; actor: string; action: AuditEntry['action']; target: string };
    const rows =
      scope === undefined
        ? this.db.prepare<[number], Row>('SELECT at, scope, actor, action, target FROM audit ORDER BY id DESC LIMIT ?').all(limit)
        : this.db.prepare<[string, number], Row>('SELECT at, scope, actor, action, target FROM audit WHERE scope = ? ORDER BY id DESC LIMIT ?').all(scope, limit);
    return rows.map((r) => ({ ...r }));
  }

  async stats(): Promise<StoreStats> {
    this.checkDataVersion();
    const count = (sql: string) => this.db.prepare<[], { n: number }>(sql).get()?.n ?? 0;
    const last = this.db
      .prepare<[], { finished_at: string; added: number; updated: number; removed: number; unchanged: number; skipped: number }>(
        'SELECT finished_at, added, updated, removed, unchanged, skipped FROM ingest_runs ORDER BY id DESC LIMIT 1',
      )
      .get();
    return {
      articles: count('SELECT COUNT(*) AS n FROM articles'),
      passages: count('SELECT COUNT(*) AS n FROM passages'),
      vectors: count('SELECT COUNT(*) AS n FROM vectors'),
      lastIngest: last ? { finishedAt: last.finished_at, added: last.added, updated: last.updated, removed: last.removed, unchanged: last.unchanged, skipped: last.skipped } : null,
      manifest: { ...this.manifest },
    };
  }

  async checkConsistency(): Promise<ConsistencyReport> {
    this.checkDataVersion();
    const count = (sql: string) => this.db.prepare<[], { n: number }>(sql).get()?.n ?? 0;
    const articles = count('SELECT COUNT(*) AS n FROM articles');
    const passages = count('SELECT COUNT(*) AS n FROM passages');
    const vectors = count('SELECT COUNT(*) AS n FROM vectors');
    return consistencyReport(
      {
        articles,
        passages,
        vectors,
        // FTS5 holds a row for every passage, words or not.
        lexical: count('SELECT COUNT(*) AS n FROM passages_fts'),
        lexicalExpected: passages,
        lexicalStatistics: null,
        emptyArticles: count('SELECT COUNT(*) AS n FROM articles a WHERE NOT EXISTS (SELECT 1 FROM passages p WHERE p.article_id = a.id)'),
        orphanVectors: count('SELECT COUNT(*) AS n FROM vectors v WHERE NOT EXISTS (SELECT 1 FROM passages p WHERE p.id = v.passage_id)'),
        embedded: this.manifest.dimension !== null,
      },
      this.index,
    );
  }

  async acquireLease(name: string, holder: string, ttlMs: number, options: { replacing?: string } = {}): Promise<boolean> {
    const now = Date.now();
    const result = writing(this.dir, () =>
      this.db
        .prepare<[string, string, number, number, string | null]>(
          `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
           WHERE leases.holder = excluded.holder OR leases.expires_at < ? OR leases.holder = ?`,
        )
        .run(name, holder, now + ttlMs, now, options.replacing ?? null),
    );
    return result.changes === 1;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    writing(this.dir, () => this.db.prepare<[string, string]>('DELETE FROM leases WHERE name = ? AND holder = ?').run(name, holder));
  }

  async leaseHolder(name: string): Promise<string | null> {
    return this.db.prepare<[string, number], { holder: string }>('SELECT holder FROM leases WHERE name = ? AND expires_at >= ?').get(name, Date.now())?.holder ?? null;
  }

  /** This process's vector index (null without vectors), for benchmarks and tests. */
  get vectorIndex(): DerivedVectorIndex | null {
    return this.index;
  }

  /** Every stored vector (exact search in benchmarks). */
  async *allVectors(): AsyncGenerator<{ id: number; vector: Float32Array }> {
    // A page at a time: a kept statement is not held open across the generator's yields.
    const page = this.db.prepare<[number], { passage_id: number; embedding: Buffer }>('SELECT passage_id, embedding FROM vectors WHERE passage_id > ? ORDER BY passage_id LIMIT 1000');
    for (let after = -1; ; ) {
      const rows = page.all(after);
      if (rows.length === 0) return;
      for (const row of rows) yield { id: row.passage_id, vector: bytesToVector(row.embedding) };
      after = rows[rows.length - 1]!.passage_id;
    }
  }

  /** Persists the vector index and closes the database. */
  async close(): Promise<void> {
    try {
      // An index this process never opened has nothing new to save (afterIngest saved the writes).
      if (this.index?.ready && !this.readonly) {
        await this.index.update();
        saveDerivedIndex(this.index, this.dir, { force: true });
      }
    } finally {
      this.db.close();
    }
  }

  /** Deletes every file of a store (for --rebuild). */
  static destroy(dir: string): void {
    for (const name of [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`, INDEX_FILE, `${INDEX_FILE}.json`]) fs.rmSync(path.join(dir, name), { force: true });
  }
}
