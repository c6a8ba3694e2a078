import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { DEFAULTS } from '../../config/defaults.js';
import { isConnectionLoss, withReconnect } from './pg-retry.js';
import { ErrorCodes, NewsBotError, describeError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { ArticleMeta } from '../../core/types.js';
import { consistencyReport, trimVectorLog } from '../contract.js';
import { DerivedVectorIndex, saveDerivedIndex, type VectorChange, type VectorSource } from '../derived-index.js';
import { escapeLike, toMeta, type ArticleRow } from '../article-rows.js';
import { FEED_COLUMNS, toFeed, type FeedRow } from '../delivery-rows.js';
import { BM25, TITLE_WEIGHT, bm25Idf, countTerms, indexTerms, termIdf } from '../lexical-terms.js';
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
  type IngestRunRecord,
  type LexicalHit,
  type NewsStore,
  type PassageRow,
  type Scope,
  type ScopeFilter,
  type SourceArticle,
  type StoreManifest,
  type StoreStats,
  type VectorHit,
  type VectorLog,
} from '../ports.js';
import { pgDeliveries } from './pg-deliveries.js';
import { checkSchemaName, quoteIdent, schemaSql } from './pg-schema.js';

/** How to open a PostgreSQL store. */
export interface PostgresStoreOptions extends ManifestExpectation {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Schema holding the tables (config.database.schema; DATABASE_SCHEMA): several stores can share one database. */
  schema: string;
  /** Folder for this process's copy of the vector index file (a cache; null keeps none). */
  cacheDir: string | null;
  efSearch: number;
  logger?: Logger;
  /** Most connections this process opens (default 4). */
  poolSize?: number;
  /** Follow other processes' writes as they commit (LISTEN/NOTIFY); on for long-running processes. */
  follow?: boolean;
  /** How long a write keeps retrying a lost or refused connection (default DEFAULTS.databaseRetrySeconds); reads retry at most READ_RETRY_MS of it. */
  retryMs?: number;
}

/** Reads (a question being answered) wait at most this long for a lost database to come back. */
export const READ_RETRY_MS = 10_000;

const ARTICLE_COLUMNS = 'a.id, a.title, a.date, a.source, a.url, a.author, a.origin, a.content_hash';

/** Where a process keeps its copy of a PostgreSQL store's vector index. */
function indexFile(cacheDir: string, schema: string): string {
  return path.join(cacheDir, `vectors-pg-${schema}.hnsw`);
}

/** The URL without its password, for messages. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString().replace(/:@/, '@');
  } catch {
    return 'the database';
  }
}

const MAX_TF = 32_767;

/**
 * The shared store on PostgreSQL: articles, passages, vectors, postings for BM25 and a change log
 * of vectors, in one schema. Each process keeps its own HNSW index derived from the stored
 * vectors and current through the change log (woken by NOTIFY), as the SQLite store does.
 * Writers serialize on an advisory lock, so two ingests queue instead of failing.
 */
export class PostgresStore implements NewsStore {
  readonly backend = 'postgres' as const;
  readonly location: string;
  readonly manifest: StoreManifest;
  private readonly pool: pg.Pool;
  private readonly s: string;
  private readonly schema: string;
  private readonly logger: Logger;
  private readonly retryMs: number;
  private readonly index: DerivedVectorIndex | null;
  private listener: pg.Client | null = null;
  private followTimer: NodeJS.Timeout | null = null;
  private readonly options: PostgresStoreOptions;
  private closed = false;
  readonly deliveries: DeliveryStore;

  private constructor(pool: pg.Pool, manifest: StoreManifest, options: PostgresStoreOptions, createdAt: string | undefined) {
    this.pool = pool;
    this.manifest = manifest;
    this.options = options;
    this.schema = checkSchemaName(options.schema);
    this.s = quoteIdent(this.schema);
    this.deliveries = pgDeliveries(this.s, (sql, params) => this.read(sql, params));
    this.location = `${describeDatabaseUrl(options.url)} (schema ${this.schema})`;
    this.logger = options.logger ?? silentLogger;
    this.retryMs = options.retryMs ?? DEFAULTS.databaseRetrySeconds * 1000;
    this.index = this.makeIndex(createdAt);
  }

  /** Connects, creates the schema when missing and checks the manifest. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const schema = checkSchemaName(options.schema);
    const where = `${describeDatabaseUrl(options.url)} (schema ${schema})`;
    if (options.cacheDir) fs.mkdirSync(options.cacheDir, { recursive: true });
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 4, connectionTimeoutMillis: 10_000 });
    pool.on('error', (error) => (options.logger ?? silentLogger).warn('idle database connection failed', { error: describeError(error) }));
    try {
      const client = await pool.connect().catch((error: unknown) => {
        throw storeError(error, where, 'cannot connect to');
      });
      let manifest: StoreManifest;
      let createdAt: string | undefined;
      try {
        await client.query('BEGIN');
        // Two processes creating the schema at once would collide: one goes after the other.
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`newsbot-schema:${schema}`]);
        await client.query(schemaSql(schema));
        const s = quoteIdent(schema);
        const rows = (await client.query<{ key: string; value: string }>(`SELECT key, value FROM ${s}.meta`)).rows;
        manifest = checkManifest(new Map(rows.map((r) => [r.key, r.value])), options, where);
        const set = `INSERT INTO ${s}.meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`;
        await client.query(set, ['schema_version', String(STORE_SCHEMA_VERSION)]);
        await client.query(set, ['chunker_version', String(options.chunkerVersion)]);
        await client.query(set, ['created_at', new Date().toISOString()]);
        createdAt = (await client.query<{ value: string }>(`SELECT value FROM ${s}.meta WHERE key = 'created_at'`)).rows[0]?.value;
        if (options.embedding && !manifest.embeddingModel) {
          await client.query(`INSERT INTO ${s}.meta (key, value) VALUES ('embedding_model', $1), ('embedding_dimension', $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [
            options.embedding.modelId,
            String(options.embedding.dimension),
          ]);
          manifest.embeddingModel = options.embedding.modelId;
          manifest.dimension = options.embedding.dimension;
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error instanceof NewsBotError ? error : storeError(error, where, 'cannot open the store in');
      } finally {
        client.release();
      }
      const store = new PostgresStore(pool, manifest, options, createdAt);
      if (options.follow) await store.follow();
      return store;
    } catch (error) {
      await pool.end().catch(() => {});
      throw error;
    }
  }

  private makeIndex(createdAt: string | undefined): DerivedVectorIndex | null {
    if (this.manifest.dimension === null) return null;
    const file = this.options.cacheDir ? indexFile(this.options.cacheDir, this.schema) : null;
    return new DerivedVectorIndex(file, this.manifest.dimension, this.vectorSource(), {
      efSearch: this.options.efSearch,
      logger: this.logger,
      fingerprint: `postgres:${this.location}:${createdAt ?? ''}`,
    });
  }

  /** The vector change log's SQL. */
  get vectorLog(): VectorLog {
    const s = this.s;
    return {
      lastSeq: async () => Number((await this.pool.query<{ n: string }>(`SELECT coalesce(max(seq), 0) AS n FROM ${s}.vector_log`)).rows[0]?.n ?? 0),
      firstSeq: async () => {
        const v = (await this.pool.query<{ n: string | null }>(`SELECT min(seq) AS n FROM ${s}.vector_log`)).rows[0]?.n;
        return v === null || v === undefined ? null : Number(v);
      },
      deleteBefore: async (seq) => {
        await this.write((c) => c.query(`DELETE FROM ${s}.vector_log WHERE seq < $1`, [seq]));
      },
    };
  }

  private vectorSource(): VectorSource {
    const s = this.s;
    const log = this.vectorLog;
    return {
      lastSeq: () => log.lastSeq(),
      firstSeq: () => log.firstSeq(),
      changesAfter: async (seq, limit) =>
        (await this.pool.query<{ seq: string; passage_id: number; op: string }>(`SELECT seq, passage_id, op FROM ${s}.vector_log WHERE seq > $1 ORDER BY seq LIMIT $2`, [seq, limit])).rows.map(
          (r): VectorChange => ({ seq: Number(r.seq), id: r.passage_id, op: r.op === 'a' ? 'add' : 'del' }),
        ),
      vectorIds: async () => (await this.pool.query<{ passage_id: number }>(`SELECT passage_id FROM ${s}.vectors`)).rows.map((r) => r.passage_id),
      vectorsOf: async (ids) => {
        const rows = (await this.pool.query<{ passage_id: number; embedding: Buffer }>(`SELECT passage_id, embedding FROM ${s}.vectors WHERE passage_id = ANY($1::int[])`, [ids])).rows;
        return new Map(rows.map((r) => [r.passage_id, bytesToVector(r.embedding)]));
      },
      scopedPassages: async (ids) => {
        const rows = ids
          ? (await this.pool.query<{ id: number; scope: string }>(`SELECT id, scope FROM ${s}.passages WHERE scope <> 'global' AND id = ANY($1::int[])`, [ids])).rows
          : (await this.pool.query<{ id: number; scope: string }>(`SELECT id, scope FROM ${s}.passages WHERE scope <> 'global'`)).rows;
        return new Map(rows.map((r) => [r.id, r.scope]));
      },
    };
  }

  /** Listens for other processes' writes; falls back to polling every few seconds if the listener drops. */
  private async follow(): Promise<void> {
    const wake = () => {
      if (!this.closed) this.index?.update().catch((error: unknown) => this.logger.warn('vector index update failed', { error: describeError(error) }));
    };
    const listen = async () => {
      const client = new pg.Client({ connectionString: this.options.url });
      client.on('notification', wake);
      client.on('error', (error) => {
        this.logger.warn('database listener dropped; polling for changes until it reconnects', { error: describeError(error) });
        this.listener = null;
        client.end().catch(() => {});
      });
      await client.connect();
      await client.query(`LISTEN ${this.channel()}`);
      this.listener = client;
    };
    await listen().catch((error: unknown) => this.logger.warn('cannot listen for changes; polling instead', { error: describeError(error) }));
    this.followTimer = setInterval(() => {
      if (!this.listener) listen().catch(() => {});
      wake();
    }, 5_000);
    this.followTimer.unref();
    wake();
  }

  private channel(): string {
    return `${this.schema}_vectors`;
  }

  /**
   * Runs `work` on a connection of its own, trying again with backoff while connecting fails or
   * the connection is lost before `work` calls `unsafe()` (up to the write retry time,
   * DATABASE_RETRY_SECONDS). A connection that failed is dropped, never handed to the next caller;
   * with `rollback`, a failure that left the connection up rolls its transaction back.
   */
  private async onConnection<T>(work: (client: pg.PoolClient, unsafe: () => void) => Promise<T>, rollback: boolean): Promise<T> {
    return withReconnect(
      async (unsafe) => {
        const client = await this.pool.connect().catch((error: unknown) => {
          throw storeError(error, this.location, 'cannot connect to');
        });
        let broken: unknown;
        try {
          return await work(client, unsafe);
        } catch (error) {
          if (isConnectionLoss(error)) broken = error;
          else if (rollback) await client.query('ROLLBACK').catch(() => {});
          throw error instanceof NewsBotError ? error : storeError(error, this.location, 'could not write to');
        } finally {
          client.release(broken instanceof Error ? broken : undefined);
        }
      },
      { deadlineMs: this.retryMs, what: 'a write', logger: this.logger },
    );
  }

  /**
   * Runs `fn` in one transaction holding the store's write lock. A connection lost or refused
   * before the COMMIT was sent rolls the transaction back on the server, so the whole transaction
   * is tried again: nothing committed is lost and nothing is written twice; one lost during the
   * COMMIT is reported.
   */
  private async write<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.onConnection(async (client, unsafe) => {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`newsbot-write:${this.schema}`]);
      const out = await fn(client);
      unsafe();
      await client.query('COMMIT');
      return out;
    }, true);
  }

  /**
   * Runs one statement. A read (SELECT) is repeated after a lost connection (up to READ_RETRY_MS).
   * Anything else commits on its own (a claim, an audit row, a watch): only failing to connect is
   * retried, never a statement that was sent, since it may have committed before the connection
   * dropped (a repeated claim would read as taken, a repeated insert would double a row).
   */
  private async read<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    if (!/^\s*select\b/i.test(sql)) return this.execOnce<R>(sql, params);
    return withReconnect(
      async () => {
        try {
          return (await this.pool.query<R>(sql, params)).rows;
        } catch (error) {
          throw storeError(error, this.location, 'could not read from');
        }
      },
      { deadlineMs: Math.min(this.retryMs, READ_RETRY_MS), what: 'a read', logger: this.logger },
    );
  }

  /** One statement that writes, sent at most once; connecting is retried (see `read`). */
  private async execOnce<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
    return this.onConnection(async (client, unsafe) => {
      unsafe();
      return (await client.query<R>(sql, params)).rows;
    }, false);
  }

  async getArticle(id: string): Promise<ArticleMeta | undefined> {
    const [row] = await this.read<ArticleRow>(`SELECT ${ARTICLE_COLUMNS} FROM ${this.s}.articles a WHERE a.id = $1`, [id]);
    return row ? toMeta(row) : undefined;
  }

  async articleText(id: string): Promise<string | undefined> {
    return (await this.read<{ text: string }>(`SELECT text FROM ${this.s}.articles WHERE id = $1`, [id]))[0]?.text;
  }

  async findByContentHash(hash: string, scopes?: ScopeFilter): Promise<string | undefined> {
    return (await this.read<{ id: string }>(`SELECT id FROM ${this.s}.articles WHERE content_hash = $1 AND ($2::text[] IS NULL OR scope = ANY($2::text[])) LIMIT 1`, [hash, scopes ?? null]))[0]?.id;
  }

  async findByUrl(url: string, scopes?: ScopeFilter): Promise<string | undefined> {
    return (await this.read<{ id: string }>(`SELECT id FROM ${this.s}.articles WHERE url = $1 AND ($2::text[] IS NULL OR scope = ANY($2::text[])) LIMIT 1`, [url, scopes ?? null]))[0]?.id;
  }

  async putArticles(items: readonly ArticleInput[]): Promise<void> {
    if (items.length === 0) return;
    for (const { passages } of items) for (const p of passages) if (p.vector) checkDimension(this.manifest, p.vector);
    const s = this.s;
    await this.write(async (c) => {
      await this.deleteArticles(c, items.map((i) => i.article.id));
      const a = items.map((i) => i.article);
      await c.query(
        `INSERT INTO ${s}.articles (id, title, date, source, url, author, origin, content_hash, text, scope, added_by)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])`,
        [
          a.map((x) => x.id), a.map((x) => x.title), a.map((x) => x.date), a.map((x) => x.source), a.map((x) => x.url), a.map((x) => x.author), a.map((x) => x.origin), a.map((x) => x.contentHash), a.map((x) => x.text),
          items.map((i) => i.scope ?? GLOBAL_SCOPE), items.map((i) => i.addedBy ?? null),
        ],
      );
      const total = items.reduce((n, i) => n + i.passages.length, 0);
      if (total === 0) return;
      const ids = (await c.query<{ id: number }>(`SELECT nextval(pg_get_serial_sequence('${s}.passages', 'id'))::int AS id FROM generate_series(1, $1)`, [total])).rows.map((r) => r.id);
      const cols = { id: [] as number[], article: [] as string[], position: [] as number[], start: [] as number[], end: [] as number[], text: [] as string[], length: [] as number[], terms: [] as string[], scope: [] as string[] };
      const post = { term: [] as string[], id: [] as number[], title: [] as number[], text: [] as number[], length: [] as number[] };
      const vec = { id: [] as number[], bytes: [] as Buffer[] };
      let tokens = 0;
      let k = 0;
      for (const { article, passages, scope = GLOBAL_SCOPE } of items) {
        for (const p of passages) {
          const id = ids[k++]!;
          cols.scope.push(scope);
          const { counts, length } = countTerms(article.title, p.text);
          cols.id.push(id);
          cols.article.push(article.id);
          cols.position.push(p.position);
          cols.start.push(p.start);
          cols.end.push(p.end);
          cols.text.push(p.text);
          cols.length.push(length);
          cols.terms.push([...counts.keys()].join(' '));
          tokens += length;
          for (const [term, [inTitle, inText]] of counts) {
            post.term.push(term);
            post.id.push(id);
            post.title.push(Math.min(MAX_TF, inTitle));
            post.text.push(Math.min(MAX_TF, inText));
            post.length.push(length);
          }
          if (p.vector) {
            vec.id.push(id);
            vec.bytes.push(vectorToBytes(p.vector));
          }
        }
      }
      await c.query(
        `INSERT INTO ${s}.passages (id, article_id, position, start, "end", text, length, terms, scope)
         SELECT id, article_id, position, start, e, text, length, CASE WHEN terms = '' THEN '{}'::text[] ELSE string_to_array(terms, ' ') END, scope
         FROM unnest($1::int[], $2::text[], $3::int[], $4::int[], $5::int[], $6::text[], $7::int[], $8::text[], $9::text[]) AS t(id, article_id, position, start, e, text, length, terms, scope)`,
        [cols.id, cols.article, cols.position, cols.start, cols.end, cols.text, cols.length, cols.terms, cols.scope],
      );
      await c.query(`INSERT INTO ${s}.postings (term, passage_id, tf_title, tf_text, length) SELECT * FROM unnest($1::text[], $2::int[], $3::int2[], $4::int2[], $5::int[])`, [
        post.term,
        post.id,
        post.title,
        post.text,
        post.length,
      ]);
      await c.query(
        `INSERT INTO ${s}.term_stats (term, df) SELECT term, count(*) FROM unnest($1::text[]) AS t(term) GROUP BY term ORDER BY term
         ON CONFLICT (term) DO UPDATE SET df = ${s}.term_stats.df + excluded.df`,
        [post.term],
      );
      await c.query(`UPDATE ${s}.corpus_stats SET passages = passages + $1, tokens = tokens + $2 WHERE id = 1`, [total, tokens]);
      if (vec.id.length) await this.insertVectors(c, vec.id, vec.bytes);
    });
    await this.index?.update();
  }

  private async insertVectors(c: pg.PoolClient, ids: number[], bytes: Buffer[]): Promise<void> {
    const s = this.s;
    await c.query(
      `INSERT INTO ${s}.vectors (passage_id, embedding) SELECT * FROM unnest($1::int[], $2::bytea[]) ON CONFLICT (passage_id) DO UPDATE SET embedding = excluded.embedding`,
      [ids, bytes],
    );
  }

  /** Deletes articles and all derived rows inside a write; returns how many articles existed. */
  private async deleteArticles(c: pg.PoolClient, articleIds: readonly string[]): Promise<number> {
    const s = this.s;
    const passages = (await c.query<{ id: number; terms: string[]; length: number }>(`SELECT id, terms, length FROM ${s}.passages WHERE article_id = ANY($1::text[])`, [articleIds])).rows;
    if (passages.length) {
      const terms: string[] = [];
      const pids: number[] = [];
      let tokens = 0;
      for (const p of passages) {
        for (const t of p.terms) {
          terms.push(t);
          pids.push(p.id);
        }
        tokens += p.length;
      }
      await c.query(`DELETE FROM ${s}.postings p USING unnest($1::text[], $2::int[]) AS d(term, pid) WHERE p.term = d.term AND p.passage_id = d.pid`, [terms, pids]);
      await c.query(
        `UPDATE ${s}.term_stats t SET df = t.df - d.n FROM (SELECT term, count(*) AS n FROM unnest($1::text[]) AS u(term) GROUP BY term ORDER BY term) d WHERE t.term = d.term`,
        [terms],
      );
      await c.query(`DELETE FROM ${s}.term_stats WHERE term = ANY($1::text[]) AND df <= 0`, [[...new Set(terms)]]);
      await c.query(`UPDATE ${s}.corpus_stats SET passages = passages - $1, tokens = tokens - $2 WHERE id = 1`, [passages.length, tokens]);
    }
    return (await c.query(`DELETE FROM ${s}.articles WHERE id = ANY($1::text[])`, [articleIds])).rowCount ?? 0;
  }

  async removeArticles(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const n = await this.write((c) => this.deleteArticles(c, ids));
    await this.index?.update();
    return n;
  }

  async passagesWithoutVectors(limit: number): Promise<{ id: number; title: string; text: string }[]> {
    return this.read(
      `SELECT p.id, a.title, p.text FROM ${this.s}.passages p JOIN ${this.s}.articles a ON a.id = p.article_id
       WHERE NOT EXISTS (SELECT 1 FROM ${this.s}.vectors v WHERE v.passage_id = p.id) ORDER BY p.id LIMIT $1`,
      [limit],
    );
  }

  async putVectors(items: readonly { id: number; vector: Float32Array }[]): Promise<void> {
    if (items.length === 0) return;
    for (const { vector } of items) checkDimension(this.manifest, vector);
    await this.write(async (c) => {
      // Only passages that still exist (an ingest elsewhere may have replaced them meanwhile).
      const live = new Set((await c.query<{ id: number }>(`SELECT id FROM ${this.s}.passages WHERE id = ANY($1::int[])`, [items.map((i) => i.id)])).rows.map((r) => r.id));
      const kept = items.filter((i) => live.has(i.id));
      if (kept.length) await this.insertVectors(c, kept.map((i) => i.id), kept.map((i) => vectorToBytes(i.vector)));
    });
    await this.index?.update();
  }

  async articlesFromFiles(files: readonly string[]): Promise<ArticleOrigin[]> {
    if (files.length === 0) return [];
    return this.read(
      `SELECT a.id, a.origin FROM ${this.s}.articles a JOIN unnest($1::text[], $2::text[]) AS f(file, pattern) ON a.origin = f.file OR a.origin LIKE f.pattern ESCAPE '\\' WHERE a.scope = 'global'`,
      [files, files.map((f) => escapeLike(f) + '#%')],
    );
  }

  async articlesUnder(prefix: string): Promise<ArticleOrigin[]> {
    return this.read(`SELECT id, origin FROM ${this.s}.articles WHERE origin LIKE $1 ESCAPE '\\' AND scope = 'global'`, [escapeLike(prefix) + '%']);
  }

  async recordIngestRun(run: Omit<IngestRunRecord, 'finishedAt'>): Promise<void> {
    await this.write((c) =>
      c.query(`INSERT INTO ${this.s}.ingest_runs (finished_at, added, updated, removed, unchanged, skipped) VALUES (now(), $1, $2, $3, $4, $5)`, [
        run.added,
        run.updated,
        run.removed,
        run.unchanged,
        run.skipped,
      ]),
    );
  }

  async afterIngest(options: { largeChange: boolean }): Promise<void> {
    await trimVectorLog(this.vectorLog);
    if (options.largeChange) await this.read(`ANALYZE ${this.s}.postings`);
    await this.index?.update();
    saveDerivedIndex(this.index, this.options.cacheDir ?? '(no cache folder)');
  }

  async lexicalSearch(terms: readonly string[], limit: number, titleWeight = TITLE_WEIGHT, scopes?: ScopeFilter): Promise<LexicalHit[]> {
    const stems = [...new Set(terms.flatMap((t) => indexTerms(t)))];
    if (stems.length === 0 || limit <= 0) return [];
    const s = this.s;
    const [stats] = await this.read<{ passages: string; tokens: string }>(`SELECT passages, tokens FROM ${s}.corpus_stats WHERE id = 1`);
    const n = Number(stats?.passages ?? 0);
    if (n === 0) return [];
    const avgdl = Math.max(1, Number(stats?.tokens ?? 0)) / n;
    const dfs = await this.read<{ term: string; df: number }>(`SELECT term, df FROM ${s}.term_stats WHERE term = ANY($1::text[])`, [stems]);
    if (dfs.length === 0) return [];
    const rows = await this.read<{ id: number; score: number }>(
      `SELECT p.passage_id AS id,
              sum(q.idf * w.w * ${BM25.k1 + 1} / (w.w + ${BM25.k1} * (${1 - BM25.b} + ${BM25.b} * p.length / $3::float8))) AS score
       FROM unnest($1::text[], $2::float8[]) AS q(term, idf)
       JOIN ${s}.postings p ON p.term = q.term
       CROSS JOIN LATERAL (SELECT ($4::float8 * p.tf_title + p.tf_text) AS w) w
       ${scopes ? scopeFilterSql(s, scopes) : ''}
       GROUP BY p.passage_id ORDER BY score DESC, p.passage_id LIMIT $5`,
      [dfs.map((d) => d.term), dfs.map((d) => bm25Idf(n, d.df)), avgdl, titleWeight, limit, ...(scopes ? [scopes] : [])],
    );
    return rows.map((r) => ({ id: r.id, score: Number(r.score) }));
  }

  async termIdf(stems: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const unique = [...new Set(stems)];
    if (unique.length === 0) return out;
    const [stats] = await this.read<{ passages: string }>(`SELECT passages FROM ${this.s}.corpus_stats WHERE id = 1`);
    const n = Number(stats?.passages ?? 0);
    const dfs = new Map((await this.read<{ term: string; df: number }>(`SELECT term, df FROM ${this.s}.term_stats WHERE term = ANY($1::text[])`, [unique])).map((r) => [r.term, r.df]));
    for (const t of unique) out.set(t, termIdf(n, dfs.get(t) ?? 0));
    return out;
  }

  async vectorSearch(vector: Float32Array, limit: number, scopes?: ScopeFilter): Promise<VectorHit[]> {
    if (!this.index) return [];
    if (!this.index.ready) await this.index.update();
    return this.index.search(vector, limit, scopes);
  }

  async getPassages(ids: readonly number[]): Promise<PassageRow[]> {
    if (ids.length === 0) return [];
    const rows = await this.read<ArticleRow & { pid: number; position: number; start: number; end: number; text: string }>(
      `SELECT p.id AS pid, p.position, p.start, p."end" AS "end", p.text, ${ARTICLE_COLUMNS}
       FROM ${this.s}.passages p JOIN ${this.s}.articles a ON a.id = p.article_id WHERE p.id = ANY($1::int[])`,
      [ids],
    );
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
    return (
      await this.read<{ id: number }>(`SELECT id FROM ${this.s}.passages WHERE article_id = ANY($1::text[]) AND position < $2 ORDER BY article_id, position`, [articleIds, perArticle])
    ).map((r) => r.id);
  }

  async latestArticles(limit: number, scopes?: ScopeFilter): Promise<ArticleMeta[]> {
    return (
      await this.read<ArticleRow>(
        `SELECT ${ARTICLE_COLUMNS} FROM ${this.s}.articles a WHERE $2::text[] IS NULL OR a.scope = ANY($2::text[]) ORDER BY a.date IS NULL, a.date DESC, a.ingested_at DESC LIMIT $1`,
        [limit, scopes ?? null],
      )
    ).map(toMeta);
  }

  async listArticles(scopes: readonly Scope[], limit: number, offset: number): Promise<{ items: SourceArticle[]; total: number }> {
    const s = this.s;
    const [count] = await this.read<{ n: string }>(`SELECT count(*) AS n FROM ${s}.articles WHERE scope = ANY($1::text[])`, [scopes]);
    const rows = await this.read<{ id: string; title: string; url: string | null; scope: string; added_by: string | null; ingested_at: Date }>(
      `SELECT id, title, url, scope, added_by, ingested_at FROM ${s}.articles WHERE scope = ANY($1::text[]) ORDER BY ingested_at DESC, id LIMIT $2 OFFSET $3`,
      [scopes, limit, offset],
    );
    return { items: rows.map((r) => ({ id: r.id, title: r.title, url: r.url, scope: r.scope, addedBy: r.added_by, addedAt: r.ingested_at.toISOString() })), total: Number(count?.n ?? 0) };
  }

  async articleScope(id: string): Promise<Scope | undefined> {
    return (await this.read<{ scope: string }>(`SELECT scope FROM ${this.s}.articles WHERE id = $1`, [id]))[0]?.scope;
  }

  async listFeeds(scopes?: ScopeFilter): Promise<FeedRecord[]> {
    const rows = await this.read<FeedRow>(`SELECT ${FEED_COLUMNS} FROM ${this.s}.feeds WHERE $1::text[] IS NULL OR scope = ANY($1::text[]) ORDER BY added_at, url`, [scopes ?? null]);
    return rows.map(toFeed);
  }

  async addFeed(feed: { url: string; scope: Scope; addedBy: string }): Promise<boolean> {
    const n = await this.write(async (c) => (await c.query(`INSERT INTO ${this.s}.feeds (scope, url, added_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [feed.scope, feed.url, feed.addedBy])).rowCount);
    return n === 1;
  }

  async removeFeed(scope: Scope, url: string): Promise<boolean> {
    const n = await this.write(async (c) => {
      await c.query(`DELETE FROM ${this.s}.feed_items WHERE scope = $1 AND url = $2`, [scope, url]);
      return (await c.query(`DELETE FROM ${this.s}.feeds WHERE scope = $1 AND url = $2`, [scope, url])).rowCount;
    });
    return n === 1;
  }

  async setFeedDelivery(scope: Scope, url: string, delivery: Pick<FeedDelivery, 'channelId' | 'forum' | 'filter'> | null): Promise<boolean> {
    const n = await this.write(
      async (c) =>
        (
          await c.query(
            `UPDATE ${this.s}.feeds SET channel_id = $3, channel_forum = $4, filter = $5, delivered_seq = (SELECT coalesce(max(seq), 0) FROM ${this.s}.feed_items),
             delivery_error = NULL, delivery_log = NULL WHERE scope = $1 AND url = $2`,
            [scope, url, delivery?.channelId ?? null, delivery?.forum ?? false, delivery?.filter ?? null],
          )
        ).rowCount,
    );
    return n === 1;
  }

  async recordFeedPoll(scope: Scope, url: string, error: string | null, articleIds: readonly string[] = []): Promise<void> {
    await this.write(async (c) => {
      const [feed] = (await c.query<{ last_read_at: Date | null }>(`SELECT last_read_at FROM ${this.s}.feeds WHERE scope = $1 AND url = $2`, [scope, url])).rows;
      if (!feed) return;
      if (articleIds.length > 0) {
        await c.query(
          `INSERT INTO ${this.s}.feed_items (scope, url, article_id, initial) SELECT $1, $2, id, $4 FROM unnest($3::text[]) WITH ORDINALITY AS t(id, n) ORDER BY n ON CONFLICT DO NOTHING`,
          [scope, url, articleIds, feed.last_read_at === null],
        );
      }
      await c.query(`UPDATE ${this.s}.feeds SET last_polled_at = now(), last_error = $3, last_read_at = CASE WHEN $3::text IS NULL THEN now() ELSE last_read_at END WHERE scope = $1 AND url = $2`, [
        scope,
        url,
        error,
      ]);
    });
  }

  async audit(entry: Omit<AuditEntry, 'at'>): Promise<void> {
    await this.read(`INSERT INTO ${this.s}.audit (scope, actor, action, target) VALUES ($1, $2, $3, $4)`, [entry.scope, entry.actor, entry.action, entry.target]);
  }

  async auditTrail(scope: Scope | undefined, limit: number): Promise<AuditEntry[]> {
    const rows = await this.read<{ at: Date; scope: string; actor: string; action: AuditEntry['action']; target: string }>(
      `SELECT at, scope, actor, action, target FROM ${this.s}.audit WHERE $1::text IS NULL OR scope = $1 ORDER BY id DESC LIMIT $2`,
      [scope ?? null, limit],
    );
    return rows.map((r) => ({ ...r, at: r.at.toISOString() }));
  }

  async stats(): Promise<StoreStats> {
    const s = this.s;
    const [counts] = await this.read<{ articles: string; passages: string; vectors: string }>(
      `SELECT (SELECT count(*) FROM ${s}.articles) AS articles, (SELECT count(*) FROM ${s}.passages) AS passages, (SELECT count(*) FROM ${s}.vectors) AS vectors`,
    );
    const [last] = await this.read<{ finished_at: Date; added: number; updated: number; removed: number; unchanged: number; skipped: number }>(
      `SELECT finished_at, added, updated, removed, unchanged, skipped FROM ${s}.ingest_runs ORDER BY id DESC LIMIT 1`,
    );
    return {
      articles: Number(counts?.articles ?? 0),
      passages: Number(counts?.passages ?? 0),
      vectors: Number(counts?.vectors ?? 0),
      lastIngest: last ? { finishedAt: last.finished_at.toISOString(), added: last.added, updated: last.updated, removed: last.removed, unchanged: last.unchanged, skipped: last.skipped } : null,
      manifest: { ...this.manifest },
    };
  }

  async checkConsistency(): Promise<ConsistencyReport> {
    const s = this.s;
    const one = async (sql: string) => Number((await this.read<{ n: string }>(sql))[0]?.n ?? 0);
    const articles = await one(`SELECT count(*) AS n FROM ${s}.articles`);
    const passages = await one(`SELECT count(*) AS n FROM ${s}.passages`);
    const vectors = await one(`SELECT count(*) AS n FROM ${s}.vectors`);
    return consistencyReport(
      {
        articles,
        passages,
        vectors,
        // Postings hold the passages that have words; corpus_stats keeps its own passage count.
        lexical: await one(`SELECT count(DISTINCT passage_id) AS n FROM ${s}.postings`),
        lexicalExpected: await one(`SELECT count(*) AS n FROM ${s}.passages WHERE cardinality(terms) > 0`),
        lexicalStatistics: await one(`SELECT passages AS n FROM ${s}.corpus_stats WHERE id = 1`),
        emptyArticles: await one(`SELECT count(*) AS n FROM ${s}.articles a WHERE NOT EXISTS (SELECT 1 FROM ${s}.passages p WHERE p.article_id = a.id)`),
        orphanVectors: await one(`SELECT count(*) AS n FROM ${s}.vectors v WHERE NOT EXISTS (SELECT 1 FROM ${s}.passages p WHERE p.id = v.passage_id)`),
        embedded: this.manifest.dimension !== null,
      },
      this.index,
    );
  }

  async acquireLease(name: string, holder: string, ttlMs: number, options: { replacing?: string } = {}): Promise<boolean> {
    const rows = await this.read<{ holder: string }>(
      `INSERT INTO ${this.s}.leases (name, holder, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE ${this.s}.leases.holder = excluded.holder OR ${this.s}.leases.expires_at < now() OR ${this.s}.leases.holder = $4
       RETURNING holder`,
      [name, holder, ttlMs, options.replacing ?? null],
    );
    return rows.length === 1;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.read(`DELETE FROM ${this.s}.leases WHERE name = $1 AND holder = $2`, [name, holder]);
  }

  async leaseHolder(name: string): Promise<string | null> {
    return (await this.read<{ holder: string }>(`SELECT holder FROM ${this.s}.leases WHERE name = $1 AND expires_at >= now()`, [name]))[0]?.holder ?? null;
  }

  /** Catches the vector index up with the change log now (writes are otherwise followed through NOTIFY). */
  async refresh(): Promise<void> {
    await this.index?.update();
  }

  async openVectorIndex(): Promise<void> {
    await this.index?.update();
  }

  get indexedVectors(): number | null {
    return this.index?.ready ? this.index.size : null;
  }

  /** Every stored vector, read in pages (exact search in benchmarks). */
  async *allVectors(): AsyncGenerator<{ id: number; vector: Float32Array }> {
    let after = 0;
    for (;;) {
      const rows = await this.read<{ passage_id: number; embedding: Buffer }>(`SELECT passage_id, embedding FROM ${this.s}.vectors WHERE passage_id > $1 ORDER BY passage_id LIMIT 5000`, [after]);
      for (const r of rows) yield { id: r.passage_id, vector: bytesToVector(r.embedding) };
      if (rows.length < 5000) return;
      after = rows[rows.length - 1]!.passage_id;
    }
  }

  /** This process's vector index; null without vectors (for tests and benchmarks). */
  get vectorIndex(): DerivedVectorIndex | null {
    return this.index;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.followTimer) clearInterval(this.followTimer);
    await this.listener?.end().catch(() => {});
    try {
      this.index?.save();
    } catch (error) {
      this.logger.warn('could not save the vector index cache', { error: describeError(error) });
    }
    await this.pool.end();
  }

  /** Drops every table of a store, and this machine's copy of its vector index (for --rebuild and tests). */
  static async destroy(url: string, schema: string, cacheDir: string | null = null): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    } finally {
      await client.end();
    }
    if (cacheDir) for (const file of [indexFile(cacheDir, schema), `${indexFile(cacheDir, schema)}.json`]) fs.rmSync(file, { force: true });
  }
}

/** A database failure as a StoreIo error that says what happened and where. */
/**
 * The lexical search's filter on postings by scope ($6: the scopes). With global among them
 * (every real case) it excludes other servers' passages, read from the small partial index of
 * scoped passages (a hashed subplan), never the global bulk; without it, it keeps the given scopes'.
 */
function scopeFilterSql(s: string, scopes: readonly Scope[]): string {
  return scopes.includes(GLOBAL_SCOPE)
    ? `WHERE p.passage_id NOT IN (SELECT id FROM ${s}.passages WHERE scope <> 'global' AND scope <> ALL($6::text[]))`
    : `WHERE p.passage_id IN (SELECT id FROM ${s}.passages WHERE scope = ANY($6::text[]))`;
}

function storeError(error: unknown, where: string, doing: string): NewsBotError {
  const code = (error as { code?: string }).code ?? '';
  const detail = describeError(error);
  if (code === '53100') {
    return new NewsBotError(ErrorCodes.StoreIo, `the database disk is full (${where}); the write in progress was rolled back. Free space and run ingest again.`, { cause: error });
  }
  if (code === '25006' || code === '42501') return new NewsBotError(ErrorCodes.StoreIo, `the database refuses writes (${where}): ${detail}`, { cause: error });
  return new NewsBotError(ErrorCodes.StoreIo, `${doing} the database ${where}: ${detail}`, { cause: error });
}
