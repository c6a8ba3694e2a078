import path from 'node:path';
import { ErrorCodes, NewsBotError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { Article } from '../core/types.js';
import type { Embedder } from '../core/embedder.js';
import { isFileLevel, type IngestSummary } from '../core/ingest.js';
import { GLOBAL_SCOPE, visibleScopes, type IngestStore, type PassageInput, type Scope } from '../store/ports.js';
import { chunkText, embeddingText } from './chunker.js';
import type { ReadResult } from './read-articles.js';

/** Progress after each written batch. */
export interface IngestProgress {
  done: number;
  /** Items to do, when known up front (an array source); null for a stream, which is read as it goes. */
  total: number | null;
  passages: number;
}

/** Ingest settings. */
export interface IngestOptions {
  /**
   * Folders or files that were scanned in full: stored articles that came from them and were not
   * seen this run are removed (deleted files, removed records). Files that failed to read keep
   * their stored articles.
   */
  pruneUnder?: string[];
  /** Passages embedded and written per batch. */
  batchPassages?: number;
  onProgress?: (progress: IngestProgress) => void;
  /**
   * How many results the source will yield, once it knows (readArticles and readFeed report it
   * through their onPlanned option); progress shows "done of total" from then on. An array
   * source's length is known at once; otherwise the total is known when the source ends.
   */
  total?: () => number | null;
  logger?: Logger;
  /**
   * Whose the articles are (default global). A server's articles get ids of their own (the
   * server's id before the source's), so a page a server adds never replaces the operator's
   * copy or another server's; duplicates are looked for among what that server sees.
   */
  scope?: Scope;
  /** Who added them (a Discord user id), kept with each article. */
  addedBy?: string | null;
  /**
   * Told, in the source's order, the stored article each item is: new or changed (written before the run returns),
   * unchanged, or the article it duplicates (same content or URL). A feed's deliveries follow it.
   */
  onArticle?: (articleId: string) => void;
}

/** The id of an article in a scope: the source's id for global, else prefixed with the server's id. */
export function scopedArticleId(scope: Scope, id: string): string {
  return scope === GLOBAL_SCOPE ? id : `${scope}:${id}`;
}

/** Passages written (or articles removed) after which the BM25 index is optimized. */
const OPTIMIZE_AFTER_PASSAGES = 2_000;
/** Skipped items whose reasons a summary keeps (the rest are counted only). */
export const MAX_KEPT_SKIPS = 1_000;

/**
 * A store failure (disk full, read-only, I/O error) in the middle of a run: the batches written
 * before it are committed and stay. The error says how much, so nobody re-does or distrusts them.
 */
function withCommitted(error: unknown, summary: IngestSummary): unknown {
  if (!(error instanceof NewsBotError) || error.code !== ErrorCodes.StoreIo) return error;
  const kept = summary.added + summary.updated;
  const committed = kept
    ? `This run had already committed ${summary.added} new and ${summary.updated} changed articles (${summary.passages} passages); they are kept, and the next ingest continues from there.`
    : 'Nothing from this run had been committed yet.';
  return new NewsBotError(error.code, `${error.message} ${committed}`, { cause: error });
}

function originFile(origin: string): string {
  const hash = origin.indexOf('#');
  return hash < 0 ? origin : origin.slice(0, hash);
}

/**
 * Incremental ingest: new articles are chunked, embedded and stored; articles whose content hash
 * is unchanged are left alone; changed ones are replaced; exact duplicates (same content or same
 * canonical URL under another id) and repeated ids are skipped with a reason. The source is read
 * as it is written: memory holds one batch, not the run. Each batch is one transaction, so a
 * crash loses at most the batch in flight and the next run picks up where this one stopped.
 */
export async function ingestArticles(
  store: IngestStore,
  embedder: Embedder | null,
  source: AsyncIterable<ReadResult> | Iterable<ReadResult>,
  options: IngestOptions = {},
): Promise<IngestSummary> {
  const started = Date.now();
  const logger = options.logger ?? silentLogger;
  const batchPassages = options.batchPassages ?? 128;
  const scope = options.scope ?? GLOBAL_SCOPE;
  const addedBy = options.addedBy ?? null;
  // Global ingests compare with global articles only: a server's copy never hides the operator's.
  const dedupeScopes = scope === GLOBAL_SCOPE ? [GLOBAL_SCOPE] : visibleScopes(scope);
  const summary: IngestSummary = {
    added: 0, updated: 0, unchanged: 0, removed: 0, skipped: [], skippedCount: 0, passages: 0, embedded: 0, vectors: embedder !== null, durationMs: 0,
  };
  let keptRecords = 0;
  let keptFiles = 0;
  const skip = (origin: string, reason: string) => {
    summary.skippedCount++;
    if (isFileLevel(origin) ? keptFiles++ < MAX_KEPT_SKIPS : keptRecords++ < MAX_KEPT_SKIPS) summary.skipped.push({ origin, reason });
  };

  try {
    const known = Array.isArray(source) ? source.length : null;
    const total = () => known ?? options.total?.() ?? null;
    const seen = new Map<string, string>();
    const hashes = new Map<string, string>();
    const urls = new Map<string, string>();
    const failedFiles = new Set<string>();
    let pending: { article: Article; passages: PassageInput[]; isUpdate: boolean; scope: Scope; addedBy: string | null }[] = [];
    let pendingPassages = 0;
    let done = 0;

    const flush = async () => {
      if (pending.length === 0) return;
      if (embedder) {
        const texts = pending.flatMap((p) => p.passages.map((x) => embeddingText(p.article.title, x.text)));
        const vectors = await embedder.embed(texts);
        let i = 0;
        for (const p of pending) for (const x of p.passages) x.vector = vectors[i++];
        summary.embedded += vectors.length;
      }
      await store.putArticles(pending);
      for (const p of pending) {
        if (p.isUpdate) summary.updated++;
        else summary.added++;
        summary.passages += p.passages.length;
      }
      done += pending.length;
      pending = [];
      pendingPassages = 0;
      // Written articles are found in the store from now on: the maps only cover the batch.
      hashes.clear();
      urls.clear();
      const planned = total();
      options.onProgress?.({ done, total: planned === null ? null : Math.max(planned, done), passages: summary.passages });
    };

    for await (const result of source) {
      if (result.kind === 'skipped') {
        skip(result.origin, result.reason);
        failedFiles.add(path.relative(process.cwd(), result.file) || result.file);
        done++;
        continue;
      }
      const article = scope === GLOBAL_SCOPE ? result.article : { ...result.article, id: scopedArticleId(scope, result.article.id) };
      const earlier = seen.get(article.id);
      if (earlier !== undefined) {
        skip(article.origin, `duplicate id "${article.id}" (also in ${earlier})`);
        done++;
        continue;
      }
      const stored = await store.getArticle(article.id);
      if (stored && stored.contentHash === article.contentHash) {
        seen.set(article.id, article.origin);
        options.onArticle?.(article.id);
        summary.unchanged++;
        done++;
        continue;
      }
      const twin = hashes.get(article.contentHash) ?? (await store.findByContentHash(article.contentHash, dedupeScopes));
      if (twin !== undefined && twin !== article.id) {
        // Not remembered: a file of a million copies of one record costs no memory.
        skip(article.origin, `same content as article "${twin}"`);
        options.onArticle?.(twin);
        done++;
        continue;
      }
      const sameUrl = article.url ? (urls.get(article.url) ?? (await store.findByUrl(article.url, dedupeScopes))) : undefined;
      if (sameUrl !== undefined && sameUrl !== article.id) {
        skip(article.origin, `same URL as article "${sameUrl}"`);
        options.onArticle?.(sameUrl);
        done++;
        continue;
      }
      seen.set(article.id, article.origin);
      hashes.set(article.contentHash, article.id);
      if (article.url) urls.set(article.url, article.id);
      const passages = chunkText(article.text).map((c) => ({ position: c.position, start: c.start, end: c.end, text: c.text }));
      pending.push({ article, passages, isUpdate: stored !== undefined, scope, addedBy });
      options.onArticle?.(article.id);
      pendingPassages += passages.length;
      if (pendingPassages >= batchPassages) await flush();
    }
    await flush();
    // The source has ended: the total is what was read.
    options.onProgress?.({ done, total: done, passages: summary.passages });

    if (options.pruneUnder?.length) {
      const gone: string[] = [];
      for (const root of options.pruneUnder) {
        const prefix = path.relative(process.cwd(), root) || '.';
        const candidates = prefix === '.' ? await store.articlesUnder('') : [...(await store.articlesFromFiles([prefix])), ...(await store.articlesUnder(prefix + path.sep))];
        for (const { id, origin } of candidates) {
          if (seen.has(id) || failedFiles.has(originFile(origin))) continue;
          gone.push(id);
        }
      }
      if (gone.length) summary.removed = await store.removeArticles([...new Set(gone)]);
    }

    if (embedder) {
      // Passages stored while no model was available get their vectors now.
      for (let batch = await store.passagesWithoutVectors(batchPassages); batch.length; batch = await store.passagesWithoutVectors(batchPassages)) {
        const vectors = await embedder.embed(batch.map((p) => embeddingText(p.title, p.text)));
        await store.putVectors(batch.map((p, i) => ({ id: p.id, vector: vectors[i]! })));
        summary.embedded += vectors.length;
      }
    }
    // Many new passages leave the BM25 index in many segments; merging them speeds up every search.
    await store.afterIngest({ largeChange: summary.passages + summary.removed >= OPTIMIZE_AFTER_PASSAGES });
    summary.durationMs = Date.now() - started;
    await store.recordIngestRun({
      added: summary.added,
      updated: summary.updated,
      removed: summary.removed,
      unchanged: summary.unchanged,
      skipped: summary.skippedCount,
    });
  } catch (error) {
    throw withCommitted(error, summary);
  }
  logger.debug('ingest finished', { ...summary, skipped: summary.skippedCount });
  return summary;
}
