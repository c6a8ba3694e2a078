import http from 'node:http';
import https from 'node:https';
import { pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import { XMLParser } from 'fast-xml-parser';
import { DEFAULTS } from '../config/defaults.js';
import { ArticleParseError, describeError } from '../core/errors.js';
import { buildArticle, canonicalUrl, type RawArticle } from './article-fields.js';
import { vetUrl, pinnedLookup, type FetchGuardOptions, type ResolvedAddress } from './fetch-guard.js';
import { extractHtmlArticle } from './formats/html.js';
import { htmlToPlainText } from './formats/html-text.js';
import type { ReadResult } from './read-articles.js';

/** Limits, identity and address policy for fetching from the web. */
export interface FetchOptions extends FetchGuardOptions {
  timeoutMs?: number;
  /** Largest response body, after decompression (bytes). */
  maxBytes?: number;
  userAgent?: string;
  /** Most redirects followed (each hop is checked by the fetch guard). */
  maxRedirects?: number;
}

const DEFAULT_UA = 'newsbot/0.1 (+https://github.com/; news question-answering bot)';
/** Default limits of one fetch. */
export const FETCH_LIMITS = { maxBytes: 5 * 1024 * 1024, maxRedirects: 5, timeoutMs: DEFAULTS.fetchTimeoutMs } as const;
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);

function requestOnce(url: URL, addresses: ResolvedAddress[], headers: Record<string, string>, signal: AbortSignal): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(url, { method: 'GET', headers, lookup: pinnedLookup(addresses), agent: false, signal }, resolve);
    request.on('error', reject);
    request.end();
  });
}

/** Rejects when the signal aborts first (a DNS lookup cannot itself be cancelled). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function decoded(response: http.IncomingMessage): Readable {
  const encoding = String(response.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const fail = () => {};
  switch (encoding) {
    case 'identity':
    case '':
      return response;
    case 'gzip':
    case 'x-gzip':
      return pipeline(response, zlib.createGunzip(), fail);
    case 'deflate':
      return pipeline(response, zlib.createInflate(), fail);
    case 'br':
      return pipeline(response, zlib.createBrotliDecompress(), fail);
    default:
      response.destroy();
      throw new ArticleParseError(`unsupported content encoding "${encoding.slice(0, 40)}"`);
  }
}

/**
 * Fetches a URL as text with a timeout (for the whole fetch, redirects included), a size limit
 * on the decoded body and a clear user agent. Every hop goes through the fetch guard: its host is
 * resolved, every address checked, and the connection made to a checked address; redirects are
 * followed by hand (at most `maxRedirects`), each one checked again.
 */
export async function fetchText(url: string, options: FetchOptions = {}): Promise<{ text: string; contentType: string; finalUrl: string }> {
  const maxBytes = options.maxBytes ?? FETCH_LIMITS.maxBytes;
  const maxRedirects = options.maxRedirects ?? FETCH_LIMITS.maxRedirects;
  const signal = AbortSignal.timeout(options.timeoutMs ?? FETCH_LIMITS.timeoutMs);
  const headers = {
    'user-agent': options.userAgent ?? DEFAULT_UA,
    accept: 'text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,application/xml;q=0.9,*/*;q=0.5',
    'accept-encoding': 'gzip, deflate, br',
  };
  let current: URL;
  try {
    current = new URL(url);
  } catch {
    throw new ArticleParseError(`not a URL: ${url.slice(0, 200)}`);
  }
  const broken = (error: unknown, doing: string) =>
    error instanceof ArticleParseError ? error : new ArticleParseError(signal.aborted ? `timed out fetching ${url}` : `${doing} ${current}: ${describeError(error)}`);
  for (let hop = 0; ; hop++) {
    let response: http.IncomingMessage;
    try {
      const addresses = await untilAborted(vetUrl(current, options), signal);
      response = await requestOnce(current, addresses, headers, signal);
    } catch (error) {
      throw broken(error, 'cannot fetch');
    }
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (REDIRECT_STATUS.has(status) && location) {
      response.destroy();
      if (hop >= maxRedirects) throw new ArticleParseError(`too many redirects (over ${maxRedirects}) fetching ${url}`);
      try {
        current = new URL(location, current);
      } catch {
        throw new ArticleParseError(`bad redirect location from ${current}`);
      }
      continue;
    }
    if (status < 200 || status > 299) {
      response.destroy();
      throw new ArticleParseError(`HTTP ${status} fetching ${current}`);
    }
    const declared = Number(response.headers['content-length'] ?? 0);
    if (!response.headers['content-encoding'] && declared > maxBytes) {
      response.destroy();
      throw new ArticleParseError(`response too large (${declared} bytes) from ${current}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of decoded(response) as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBytes) {
          response.destroy();
          throw new ArticleParseError(`response too large (over ${maxBytes} bytes) from ${current}`);
        }
        chunks.push(chunk);
      }
    } catch (error) {
      response.destroy();
      throw broken(error, 'connection broke reading');
    }
    const text = new TextDecoder('utf-8').decode(Buffer.concat(chunks));
    return { text, contentType: String(response.headers['content-type'] ?? ''), finalUrl: current.toString() };
  }
}

/** Fetches one article page and extracts it (Readability, within the HTML limits). */
export async function fetchArticle(url: string, options: FetchOptions = {}): Promise<ReadResult> {
  try {
    const { text, finalUrl } = await fetchText(url, options);
    const raw = await extractHtmlArticle(text, finalUrl);
    const host = safeHost(finalUrl);
    return { kind: 'article', article: buildArticle(raw, { label: url, key: url, defaultSource: host }), file: url };
  } catch (error) {
    return { kind: 'skipped', origin: url, reason: error instanceof ArticleParseError ? error.message : describeError(error), file: url };
  }
}

/** An item of an RSS or Atom feed. */
export interface FeedItem {
  title: string | undefined;
  link: string | undefined;
  date: string | undefined;
  author: string | undefined;
  /** Full content (content:encoded / Atom content) or summary, as HTML or text. */
  content: string | undefined;
  guid: string | undefined;
}

function textOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' || typeof value === 'number') return String(value).trim() || undefined;
  if (Array.isArray(value)) return textOf(value[0]);
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>;
    return textOf(v['#text'] ?? v['name'] ?? v['@_href']);
  }
  return undefined;
}

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** Parses an RSS 2.0 or Atom document into items and the feed's title. */
export function parseFeed(xml: string): { title: string | undefined; items: FeedItem[] } {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', processEntities: true, htmlEntities: true, trimValues: true });
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(xml) as Record<string, unknown>;
  } catch (error) {
    throw new ArticleParseError(`not a valid feed: ${describeError(error)}`);
  }
  const rss = doc['rss'] as { channel?: Record<string, unknown> } | undefined;
  const rdf = doc['rdf:RDF'] as Record<string, unknown> | undefined;
  if (rss?.channel || rdf) {
    const channel = (rss?.channel ?? rdf?.['channel'] ?? {}) as Record<string, unknown>;
    const items = asArray((rss?.channel?.['item'] ?? rdf?.['item']) as Record<string, unknown>[] | undefined);
    return {
      title: textOf(channel['title']),
      items: items.map((item) => ({
        title: textOf(item['title']),
        link: textOf(item['link']),
        date: textOf(item['pubDate'] ?? item['dc:date']),
        author: textOf(item['dc:creator'] ?? item['author']),
        content: textOf(item['content:encoded']) ?? textOf(item['description']),
        guid: textOf(item['guid']),
      })),
    };
  }
  const feed = doc['feed'] as Record<string, unknown> | undefined;
  if (feed) {
    return {
      title: textOf(feed['title']),
      items: asArray(feed['entry'] as Record<string, unknown>[] | undefined).map((entry) => {
        const links = asArray(entry['link'] as Record<string, unknown>[] | Record<string, unknown> | undefined);
        const alternate = links.find((l) => !l['@_rel'] || l['@_rel'] === 'alternate') ?? links[0];
        return {
          title: textOf(entry['title']),
          link: alternate ? textOf(alternate['@_href']) : undefined,
          date: textOf(entry['published'] ?? entry['updated']),
          author: textOf((entry['author'] as Record<string, unknown> | undefined)?.['name']),
          content: textOf(entry['content']) ?? textOf(entry['summary']),
          guid: textOf(entry['id']),
        };
      }),
    };
  }
  throw new ArticleParseError('not an RSS or Atom feed');
}

function safeHost(url: string): string {
  try {
    return new URL(url).hostname.replace(/^www\./, '');
  } catch {
    return 'web';
  }
}

/**
 * Longest a feed's item pages are fetched for, in all: a feed whose links each trickle until the
 * fetch timeout would otherwise hold the ingest (and every later poll of it) for 200 items x 15 s / 4.
 * A page already being fetched when it ends finishes (within its own timeout); the others are skipped.
 */
export const FEED_TIME_BUDGET_MS = 5 * 60_000;

/**
 * Reads a feed: every item becomes an article. Items whose feed content is short (a summary) are
 * fetched and extracted from their page; items with full content use it. Items are deduplicated
 * by canonical URL. A broken item is skipped with its reason; a broken feed yields one skip. Item
 * pages are fetched for at most `timeBudgetMs` (FEED_TIME_BUDGET_MS) in all.
 */
export async function* readFeed(
  feedUrl: string,
  options: FetchOptions & { fullTextMinChars?: number; concurrency?: number; maxItems?: number; timeBudgetMs?: number; onPlanned?: (count: number) => void } = {},
): AsyncGenerator<ReadResult> {
  const budgetMs = options.timeBudgetMs ?? FEED_TIME_BUDGET_MS;
  let parsed: ReturnType<typeof parseFeed>;
  try {
    const { text } = await fetchText(feedUrl, options);
    parsed = parseFeed(text);
  } catch (error) {
    yield { kind: 'skipped', origin: feedUrl, reason: error instanceof ArticleParseError ? error.message : describeError(error), file: feedUrl };
    return;
  }
  // Item pages are fetched until the feed's time budget is spent; the rest are skipped with a reason.
  const deadline = Date.now() + budgetMs;
  const source = parsed.title ?? safeHost(feedUrl);
  const minChars = options.fullTextMinChars ?? 600;
  const seen = new Set<string>();
  const items = parsed.items.slice(0, options.maxItems ?? 200);
  // At most one result per item (repeated links are yielded once).
  options.onPlanned?.(items.length);
  const work = items.map((item, index) => async (): Promise<ReadResult> => {
    let link: string | undefined;
    try {
      link = item.link ? new URL(item.link, feedUrl).toString() : undefined;
    } catch {
      // A link that is not a URL ("http://a b") skips its item, never the rest of the feed.
      return { kind: 'skipped', origin: `${feedUrl}#${index + 1}`, reason: `item link is not a URL: ${item.link!.slice(0, 200)}`, file: feedUrl };
    }
    const origin = link ?? `${feedUrl}#${index + 1}`;
    try {
      const content = item.content ? htmlToPlainText(item.content) : '';
      let raw: RawArticle;
      if (content.length >= minChars || !link) {
        raw = { title: item.title, text: content, date: item.date, url: link, source, author: item.author, id: item.guid && !link ? item.guid : undefined };
      } else {
        if (Date.now() >= deadline) {
          return { kind: 'skipped', origin, reason: `not read: the feed's time budget (${Math.round(budgetMs / 1000)} s for its item pages) was spent`, file: feedUrl };
        }
        const page = await fetchText(link, options);
        const fromPage = await extractHtmlArticle(page.text, page.finalUrl);
        raw = {
          ...fromPage,
          title: item.title ?? fromPage.title,
          date: item.date ?? fromPage.date,
          url: link,
          source: fromPage.source ?? source,
          author: item.author ?? fromPage.author,
        };
      }
      return { kind: 'article', article: buildArticle(raw, { label: origin, key: origin, defaultSource: source }), file: feedUrl };
    } catch (error) {
      return { kind: 'skipped', origin, reason: error instanceof ArticleParseError ? error.message : describeError(error), file: feedUrl };
    }
  });
  // Fetch item pages a few at a time, yielding in feed order.
  const concurrency = Math.max(1, options.concurrency ?? 4);
  for (let i = 0; i < work.length; i += concurrency) {
    const batch = await Promise.all(work.slice(i, i + concurrency).map((job) => job()));
    for (const result of batch) {
      if (result.kind === 'article' && result.article.url) {
        const key = canonicalUrl(result.article.url) ?? result.article.url;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      yield result;
    }
  }
}
