import type { Config } from '../config/index.js';
import type { Embedder } from '../core/embedder.js';
import { InvalidUrlError } from '../core/errors.js';
import type { IngestRequest, IngestSummary } from '../core/ingest.js';
import type { Logger } from '../core/logger.js';
import { GLOBAL_SCOPE, type IngestStore, type Scope } from '../store/ports.js';
import { checkLiteralUrl } from './fetch-guard.js';
import { ingestArticles } from './pipeline.js';
import { readArticles, type ReadResult } from './read-articles.js';
import { fetchArticle, readFeed } from './web.js';

/**
 * Validates a URL given by a user: http(s) only, and no literal private address unless allowed.
 * Host names are checked by the fetch guard when fetched (every address, every redirect hop).
 * Throws InvalidUrlError.
 */
export function checkIngestUrl(url: string, allowPrivate = false): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidUrlError(`"${url.slice(0, 100)}" is not a URL.`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidUrlError('Only http and https URLs can be ingested.');
  }
  try {
    checkLiteralUrl(parsed, { allowPrivate });
  } catch {
    throw new InvalidUrlError('That address is on a private network; set ALLOW_PRIVATE_FETCH=true to ingest from it.');
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

/** What runIngestRequest needs: the worker's own store and embedder. */
export interface IngestContext {
  store: IngestStore;
  embedder: Embedder | null;
  config: Config;
  logger: Logger;
}

/** Hooks the worker uses to report progress and to stop between articles or after a batch. */
export interface IngestHooks {
  /** Wraps each part's source (the worker counts the articles read, and stops between them). */
  source?: (source: AsyncIterable<ReadResult> | Iterable<ReadResult>) => AsyncIterable<ReadResult>;
  /** After each stored batch, over the whole request (a throw ends the ingest after that batch). */
  onProgress?: (progress: { done: number; total: number | null; passages: number }) => void;
}

/** One ingestArticles run of a request: a source (told where to report its planned count), and the folders it prunes. */
interface IngestPart {
  source: (onPlanned: (count: number) => void) => AsyncIterable<ReadResult> | Iterable<ReadResult>;
  pruneUnder?: string[];
  /** Whose its articles are (default global) and who added them. */
  scope?: Scope;
  addedBy?: string;
  /** A feed stored with /feeds add: its poll's outcome is recorded. */
  storedFeed?: { scope: Scope; url: string };
}

async function* oneArticle(read: () => Promise<ReadResult>): AsyncGenerator<ReadResult> {
  yield await read();
}

async function parts(request: IngestRequest, config: Config, store: IngestStore): Promise<IngestPart[]> {
  const fetchOptions = { timeoutMs: config.fetchTimeoutMs, allowPrivate: config.allowPrivateFetch };
  const corpus: IngestPart = { source: (onPlanned) => readArticles([config.corpusDir], { onPlanned }), pruneUnder: [config.corpusDir] };
  const feed = (url: string, scope: Scope, extra: Partial<IngestPart> = {}): IngestPart => ({
    source: (onPlanned) => readFeed(url, { ...fetchOptions, onPlanned }),
    ...(scope === GLOBAL_SCOPE ? {} : { scope }),
    ...extra,
  });
  // FEEDS (global), then the stored feeds of the scope asked for (of every scope when none is).
  const feeds = async (scope: Scope | undefined): Promise<IngestPart[]> => [
    ...(scope === undefined || scope === GLOBAL_SCOPE ? config.feeds.map((url) => feed(url, GLOBAL_SCOPE)) : []),
    ...(await store.listFeeds(scope === undefined ? undefined : [scope])).map((f) => feed(f.url, f.scope, { storedFeed: { scope: f.scope, url: f.url } })),
  ];
  const owner = (r: { scope?: string; addedBy?: string }): Partial<IngestPart> => ({
    ...(r.scope && r.scope !== GLOBAL_SCOPE ? { scope: r.scope } : {}),
    ...(r.addedBy ? { addedBy: r.addedBy } : {}),
  });
  switch (request.kind) {
    case 'corpus':
      return [corpus];
    case 'url':
      return [{ source: () => oneArticle(() => fetchArticle(checkIngestUrl(request.url, config.allowPrivateFetch), fetchOptions)), ...owner(request) }];
    case 'feed': {
      const url = checkIngestUrl(request.url, config.allowPrivateFetch);
      // A feed just stored (/feeds add) is read as at a poll: its outcome and articles are recorded.
      const scope = request.scope ?? GLOBAL_SCOPE;
      const stored = (await store.listFeeds([scope])).some((f) => f.url === url);
      return [{ ...feed(url, GLOBAL_SCOPE, stored ? { storedFeed: { scope, url } } : {}), ...owner(request) }];
    }
    case 'feeds':
      return feeds(request.scope);
    case 'all':
      return request.scope && request.scope !== GLOBAL_SCOPE ? feeds(request.scope) : [corpus, ...(await feeds(GLOBAL_SCOPE))];
  }
}

/**
 * Runs one request against a store (in the ingest worker): the corpus, an article page, a feed,
 * or several of them one after the other, with one summary. Progress counts over the whole
 * request; the total is known once the last part has been read.
 */
export async function runIngestRequest(ctx: IngestContext, request: IngestRequest, hooks: IngestHooks = {}): Promise<IngestSummary> {
  const { store, embedder, config, logger } = ctx;
  const all = await parts(request, config, store);
  if (all.length === 0) return ingestArticles(store, embedder, [], { logger });
  let summary: IngestSummary | null = null;
  let doneBefore = 0;
  let passagesBefore = 0;
  for (const [i, part] of all.entries()) {
    const last = i === all.length - 1;
    let read = 0;
    let planned: number | null = null;
    const source = part.source((count) => (planned = count));
    let feedError: string | null = null;
    const feedArticles: string[] = [];
    const counted = (async function* () {
      for await (const r of hooks.source ? hooks.source(source) : source) {
        read++;
        if (part.storedFeed && r.kind === 'skipped' && r.origin === part.storedFeed.url) feedError = r.reason;
        yield r;
      }
    })();
    const one = await ingestArticles(store, embedder, counted, {
      logger,
      ...(part.pruneUnder ? { pruneUnder: part.pruneUnder } : {}),
      ...(part.scope ? { scope: part.scope } : {}),
      ...(part.addedBy ? { addedBy: part.addedBy } : {}),
      ...(part.storedFeed ? { onArticle: (id: string) => feedArticles.push(id) } : {}),
      total: () => planned,
      onProgress: ({ done, total, passages }) =>
        hooks.onProgress?.({ done: doneBefore + done, total: last && total ? doneBefore + total : null, passages: passagesBefore + passages }),
    });
    if (part.storedFeed) await store.recordFeedPoll(part.storedFeed.scope, part.storedFeed.url, feedError, feedArticles);
    doneBefore += read;
    passagesBefore += one.passages;
    summary = summary ? merge(summary, one) : one;
  }
  return summary!;
}
