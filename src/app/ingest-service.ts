import { NewsBotError, ErrorCodes } from '../core/errors.js';
import { ingestArticles, type IngestSummary } from '../ingest/pipeline.js';
import { readArticles } from '../ingest/read-articles.js';
import { checkLiteralUrl } from '../ingest/fetch-guard.js';
import { fetchArticle, readFeed } from '../ingest/web.js';
import type { AppContext } from './context.js';

/** What to ingest. */
export type IngestRequest =
  | { kind: 'corpus' }
  | { kind: 'url'; url: string }
  | { kind: 'feed'; url: string }
  /** Every configured feed. */
  | { kind: 'feeds' }
  /** The corpus (pruned) and every configured feed. */
  | { kind: 'all' };

/**
 * Validates a URL given by a user: http(s) only, and no literal private address unless allowed.
 * Host names are checked by the fetch guard when fetched (every address, every redirect hop).
 */
function checkUrl(url: string, allowPrivate = false): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new NewsBotError(ErrorCodes.InvalidQuestion, `"${url.slice(0, 100)}" is not a URL.`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new NewsBotError(ErrorCodes.InvalidQuestion, 'Only http and https URLs can be ingested.');
  }
  try {
    checkLiteralUrl(parsed, { allowPrivate });
  } catch {
    throw new NewsBotError(ErrorCodes.InvalidQuestion, 'That address is on a private network; set ALLOW_PRIVATE_FETCH=true to ingest from it.');
  }
  return parsed.toString();
}

function merge(a: IngestSummary, b: IngestSummary): IngestSummary {
  return {
    added: a.added + b.added,
    updated: a.updated + b.updated,
    unchanged: a.unchanged + b.unchanged,
    removed: a.removed + b.removed,
    skipped: [...a.skipped, ...b.skipped],
    skippedCount: a.skippedCount + b.skippedCount,
    passages: a.passages + b.passages,
    embedded: a.embedded + b.embedded,
    vectors: a.vectors && b.vectors,
    durationMs: a.durationMs + b.durationMs,
  };
}

/** Runs ingest requests one at a time against the app's store (the bot's /ingest and /reingest). */
export class IngestService {
  private readonly app: AppContext;
  private tail: Promise<unknown> = Promise.resolve();
  private running = 0;

  constructor(app: AppContext) {
    this.app = app;
  }

  /** True while a request is running or waiting. */
  get busy(): boolean {
    return this.running > 0;
  }

  /** Runs a request after the ones before it; resolves with its summary. */
  run(request: IngestRequest): Promise<IngestSummary> {
    if (request.kind === 'url' || request.kind === 'feed') checkUrl(request.url, this.app.config.allowPrivateFetch);
    this.running++;
    const job = this.tail.then(() => this.execute(request));
    this.tail = job.catch(() => {});
    return job.finally(() => this.running--);
  }

  private async execute(request: IngestRequest): Promise<IngestSummary> {
    const { store, embedder, config, logger } = this.app;
    const fetchOptions = { timeoutMs: config.fetchTimeoutMs, allowPrivate: config.allowPrivateFetch };
    switch (request.kind) {
      case 'corpus':
        return ingestArticles(store, embedder, readArticles([config.corpusDir]), { pruneUnder: [config.corpusDir], logger });
      case 'url':
        return ingestArticles(store, embedder, [await fetchArticle(checkUrl(request.url, config.allowPrivateFetch), fetchOptions)], { logger });
      case 'feed':
        return ingestArticles(store, embedder, readFeed(checkUrl(request.url, config.allowPrivateFetch), fetchOptions), { logger });
      case 'feeds':
      case 'all': {
        let summary = request.kind === 'all' ? await ingestArticles(store, embedder, readArticles([config.corpusDir]), { pruneUnder: [config.corpusDir], logger }) : null;
        for (const feed of config.feeds) {
          const one = await ingestArticles(store, embedder, readFeed(feed, fetchOptions), { logger });
          summary = summary ? merge(summary, one) : one;
        }
        return summary ?? ingestArticles(store, embedder, [], { logger });
      }
    }
  }

  /**
   * Polls the configured feeds every `minutes` in the background (never blocking answers: runs
   * are queued behind other ingests and the event loop stays free while the model embeds).
   * Returns a function that stops polling.
   */
  startPolling(minutes: number): () => void {
    const { config, logger } = this.app;
    if (minutes <= 0 || config.feeds.length === 0) return () => {};
    const timer = setInterval(() => {
      if (this.busy) return;
      this.run({ kind: 'feeds' })
        .then((s) => logger.info(`feed poll: ${s.added} added, ${s.updated} updated, ${s.unchanged} unchanged, ${s.skippedCount} skipped`))
        .catch((error: unknown) => logger.error('feed poll failed', { error }));
    }, minutes * 60_000);
    timer.unref();
    return () => clearInterval(timer);
  }
}
