import { XMLParser } from 'fast-xml-parser';
import { ArticleParseError, describeError } from '../core/errors.js';
import { buildArticle, canonicalUrl, type RawArticle } from './article-fields.js';
import { parseHtmlArticle } from './formats/html.js';
import type { ReadResult } from './read-articles.js';

/** Limits and identity for fetching from the web. */
export interface FetchOptions {
  timeoutMs?: number;
  maxBytes?: number;
  userAgent?: string;
  /** Injected fetch (tests, proxies). */
  fetch?: typeof fetch;
}

const DEFAULT_UA = 'newsbot/0.1 (+https://github.com/; news question-answering bot)';

/** Fetches a URL as text with a timeout, a size limit and a clear user agent. */
export async function fetchText(url: string, options: FetchOptions = {}): Promise<{ text: string; contentType: string; finalUrl: string }> {
  const maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url, {
      headers: { 'user-agent': options.userAgent ?? DEFAULT_UA, accept: 'text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,application/xml;q=0.9,*/*;q=0.5' },
      redirect: 'follow',
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
  } catch (error) {
    const name = (error as Error).name;
    throw new ArticleParseError(name === 'TimeoutError' ? `timed out fetching ${url}` : `cannot fetch ${url}: ${describeError(error)}`);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new ArticleParseError(`HTTP ${response.status} fetching ${url}`);
  }
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw new ArticleParseError(`response too large (${declared} bytes) from ${url}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      let part: Awaited<ReturnType<typeof reader.read>>;
      try {
        part = await reader.read();
      } catch (error) {
        throw new ArticleParseError(`connection broke reading ${url}: ${describeError(error)}`);
      }
      if (part.done) break;
      size += part.value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new ArticleParseError(`response too large (over ${maxBytes} bytes) from ${url}`);
      }
      chunks.push(part.value);
    }
  }
  const text = new TextDecoder('utf-8').decode(Buffer.concat(chunks));
  return { text, contentType: response.headers.get('content-type') ?? '', finalUrl: response.url || url };
}

/** Fetches one article page and extracts it (Readability). */
export async function fetchArticle(url: string, options: FetchOptions = {}): Promise<ReadResult> {
  try {
    const { text, finalUrl } = await fetchText(url, options);
    const raw = parseHtmlArticle(text, finalUrl);
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

function htmlToText(html: string): string {
  if (!/[<&]/.test(html)) return html;
  return parseHtmlArticle(`<html><body><article>${html}</article></body></html>`).text;
}

/**
 * Reads a feed: every item becomes an article. Items whose feed content is short (a summary) are
 * fetched and extracted from their page; items with full content use it. Items are deduplicated
 * by canonical URL. A broken item is skipped with its reason; a broken feed yields one skip.
 */
export async function* readFeed(feedUrl: string, options: FetchOptions & { fullTextMinChars?: number; concurrency?: number; maxItems?: number } = {}): AsyncGenerator<ReadResult> {
  let parsed: ReturnType<typeof parseFeed>;
  try {
    const { text } = await fetchText(feedUrl, options);
    parsed = parseFeed(text);
  } catch (error) {
    yield { kind: 'skipped', origin: feedUrl, reason: error instanceof ArticleParseError ? error.message : describeError(error), file: feedUrl };
    return;
  }
  const source = parsed.title ?? safeHost(feedUrl);
  const minChars = options.fullTextMinChars ?? 600;
  const seen = new Set<string>();
  const items = parsed.items.slice(0, options.maxItems ?? 200);
  const work = items.map((item, index) => async (): Promise<ReadResult> => {
    const link = item.link ? new URL(item.link, feedUrl).toString() : undefined;
    const origin = link ?? `${feedUrl}#${index + 1}`;
    try {
      const content = item.content ? htmlToText(item.content) : '';
      let raw: RawArticle;
      if (content.length >= minChars || !link) {
        raw = { title: item.title, text: content, date: item.date, url: link, source, author: item.author, id: item.guid && !link ? item.guid : undefined };
      } else {
        const page = await fetchText(link, options);
        const fromPage = parseHtmlArticle(page.text, page.finalUrl);
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
