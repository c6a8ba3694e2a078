import { Worker } from 'node:worker_threads';
import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { describeError } from '../../core/errors.js';
import type { RawArticle } from '../article-fields.js';
import { NOISE_TAGS, plainHtmlArticle, scanHtml, withoutRepeatedTitle, type HtmlShape } from './html-text.js';

const NOISE = [...NOISE_TAGS, '[role=navigation]', '[role=banner]', '[role=contentinfo]', '[aria-hidden=true]'].join(',');
const BLOCKS = new Set(['P', 'DIV', 'SECTION', 'ARTICLE', 'MAIN', 'LI', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'BLOCKQUOTE', 'PRE', 'TR', 'BR', 'FIGCAPTION', 'DD', 'DT']);

type Doc = ReturnType<typeof parseHTML>['document'];

interface DomNode {
  nodeType: number;
  nodeName: string;
  textContent: string | null;
  childNodes: ArrayLike<DomNode>;
}

/** Text of a DOM subtree with paragraph breaks at block elements (iterative: no stack limit on depth). */
function blockText(root: DomNode): string {
  const parts: string[] = [];
  // A node to visit, or a paragraph break to emit after an element's children.
  const stack: (DomNode | '\n\n')[] = [root];
  while (stack.length) {
    const n = stack.pop()!;
    if (n === '\n\n') {
      parts.push(n);
      continue;
    }
    if (n.nodeType === 3) {
      parts.push((n.textContent ?? '').replace(/\s+/g, ' '));
      continue;
    }
    if (n.nodeType !== 1 && n.nodeType !== 9 && n.nodeType !== 11) continue;
    const block = BLOCKS.has(n.nodeName.toUpperCase());
    if (block) {
      parts.push('\n\n');
      stack.push('\n\n');
    }
    // linkedom computes childNodes on each access: read it once.
    const children = n.childNodes;
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return parts.join('').replace(/[ \t]*\n[ \t]*/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
}

function meta(document: Doc, selectors: string[]): string | undefined {
  for (const selector of selectors) {
    const el = document.querySelector(selector);
    const value = el?.getAttribute('content') ?? el?.getAttribute('datetime') ?? el?.getAttribute('href');
    if (value && value.trim()) return value.trim();
  }
  return undefined;
}

function jsonLdField(document: Doc, field: string): string | undefined {
  for (const script of document.querySelectorAll('script[type="application/ld+json"]')) {
    try {
      const data: unknown = JSON.parse(script.textContent ?? '');
      const items = Array.isArray(data) ? data : [data];
      for (const item of items) {
        const graph = (item as { '@graph'?: unknown[] })['@graph'];
        for (const node of Array.isArray(graph) ? graph : [item]) {
          const value = (node as Record<string, unknown>)[field];
          if (typeof value === 'string' && value.trim()) return value.trim();
        }
      }
    } catch {
      // Broken JSON-LD is common; ignore it.
    }
  }
  return undefined;
}

/**
 * Extracts an article from an HTML page: Mozilla Readability finds the main text; metadata comes
 * from OpenGraph/article meta tags, JSON-LD, <time> and <title>. Scripts and navigation never
 * reach the text. Unbounded in time on large or deeply nested pages: call it through
 * `extractHtmlArticle`, which checks the page's shape first and runs this under a time limit.
 */
export function parseHtmlArticle(html: string, pageUrl?: string): RawArticle {
  const { document } = parseHTML(html);
  const title =
    meta(document, ['meta[property="og:title"]', 'meta[name="twitter:title"]']) ??
    document.querySelector('h1')?.textContent?.trim() ??
    document.querySelector('title')?.textContent?.trim();
  const date =
    meta(document, [
      'meta[property="article:published_time"]',
      'meta[name="article:published_time"]',
      'meta[name="pubdate"]',
      'meta[name="date"]',
      'meta[itemprop="datePublished"]',
      'time[datetime]',
    ]) ?? jsonLdField(document, 'datePublished');
  const url = meta(document, ['link[rel="canonical"]', 'meta[property="og:url"]']) ?? pageUrl;
  const source = meta(document, ['meta[property="og:site_name"]']);
  const author = meta(document, ['meta[name="author"]', 'meta[property="article:author"]']);

  let text = '';
  // Navigation, scripts and page furniture never belong to the article (metadata was read above).
  for (const el of document.querySelectorAll(NOISE)) el.remove();
  try {
    // Readability mutates the document; metadata has been read already.
    const parsed = new Readability(document as unknown as ConstructorParameters<typeof Readability>[0], { charThreshold: 100 }).parse();
    if (parsed?.content) {
      const { document: fragment } = parseHTML(`<html><body>${parsed.content}</body></html>`);
      text = blockText(fragment.body as unknown as DomNode);
    }
  } catch {
    text = '';
  }
  if (!text) {
    const { document: fresh } = parseHTML(html);
    for (const el of fresh.querySelectorAll(NOISE)) el.remove();
    const root = fresh.querySelector('article') ?? fresh.querySelector('main') ?? fresh.body;
    text = root ? blockText(root as unknown as DomNode) : '';
  }
  // A page whose title repeats as the first line of the body: drop the repeat.
  return { title, text: withoutRepeatedTitle(text, title), date: date ?? null, url, source, author };
}

/** Limits on HTML extraction (see `extractHtmlArticle`). */
export interface HtmlLimits {
  /** Largest page (characters) given to Readability. */
  maxChars?: number;
  /** Most elements in a page given to Readability (its cost grows faster than linearly with them). */
  maxTags?: number;
  /** Deepest element nesting given to Readability. */
  maxDepth?: number;
  /** Longest Readability may run on one page before it is stopped. */
  timeoutMs?: number;
}

/** Default HTML limits: measured, Readability over linkedom takes about 0.5 s for 100 KB of paragraphs and 4 s for 5,000 tags of nested divs. */
export const HTML_LIMITS = { maxChars: 1_000_000, maxTags: 5_000, maxDepth: 100, timeoutMs: 5_000 } as const;

/** How a page was extracted, and why not by Readability. */
export interface HtmlExtraction {
  raw: RawArticle;
  method: 'readability' | 'plain';
  /** Why the plain extractor was used. */
  reason?: string;
}

function overLimits(shape: HtmlShape, limits: Required<HtmlLimits>): string | undefined {
  if (shape.chars > limits.maxChars) return `page of ${shape.chars} characters (limit ${limits.maxChars})`;
  if (shape.tags > limits.maxTags) return `page of ${shape.tags} elements (limit ${limits.maxTags})`;
  if (shape.depth > limits.maxDepth) return `elements nested ${shape.depth} deep (limit ${limits.maxDepth})`;
  return undefined;
}

type WorkerReply = { raw: RawArticle } | { error: string };

/**
 * Runs Readability in a worker thread, one page at a time, so a page that takes too long can be
 * stopped (the worker is terminated and a fresh one started for the next page). The worker is
 * unref'd: it never keeps the process alive.
 */
class ReadabilityWorker {
  private worker: Promise<Worker> | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  run(html: string, pageUrl: string | undefined, timeoutMs: number): Promise<WorkerReply | 'timeout'> {
    const job = this.queue.then(() => this.runNow(html, pageUrl, timeoutMs));
    this.queue = job.catch(() => {});
    return job;
  }

  private start(): Promise<Worker> {
    return new Promise<Worker>((resolve, reject) => {
      const worker = new Worker(new URL('./html-worker.mjs', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: 512 } });
      worker.unref();
      // Loading TypeScript support and the DOM libraries is not part of a page's time limit.
      const timer = setTimeout(() => fail(new Error('HTML worker did not start within 60 s')), 60_000);
      const fail = (error: Error) => {
        clearTimeout(timer);
        void worker.terminate();
        reject(error);
      };
      worker.once('error', fail);
      worker.once('message', () => {
        clearTimeout(timer);
        worker.off('error', fail);
        resolve(worker);
      });
    });
  }

  private async runNow(html: string, pageUrl: string | undefined, timeoutMs: number): Promise<WorkerReply | 'timeout'> {
    let worker: Worker;
    try {
      worker = await (this.worker ??= this.start());
    } catch (error) {
      this.worker = null;
      return { error: describeError(error) };
    }
    return new Promise((resolve) => {
      const done = (reply: WorkerReply | 'timeout', broken: boolean) => {
        clearTimeout(timer);
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        if (broken) {
          this.worker = null;
          void worker.terminate();
        }
        resolve(reply);
      };
      const onMessage = (reply: WorkerReply) => done(reply, false);
      const onError = (error: Error) => done({ error: describeError(error) }, true);
      const onExit = (code: number) => done({ error: `HTML worker exited with code ${code}` }, true);
      const timer = setTimeout(() => done('timeout', true), timeoutMs);
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      worker.postMessage({ html, pageUrl });
    });
  }
}

const readabilityWorker = new ReadabilityWorker();

/**
 * Extracts an article from an HTML page within bounded time: a linear pre-scan measures the page;
 * pages within the limits go to Readability in a worker thread that is stopped after
 * `timeoutMs`; pages over the limits, and pages Readability fails on or does not finish in time,
 * are extracted by the linear plain extractor (`plainHtmlArticle`), with the reason.
 */
export async function extractHtml(html: string, pageUrl?: string, limits: HtmlLimits = {}): Promise<HtmlExtraction> {
  const all = { ...HTML_LIMITS, ...limits };
  const plain = (reason: string): HtmlExtraction => ({ raw: plainHtmlArticle(html, pageUrl), method: 'plain', reason });
  const over = overLimits(scanHtml(html), all);
  if (over) return plain(over);
  const reply = await readabilityWorker.run(html, pageUrl, all.timeoutMs);
  if (reply === 'timeout') return plain(`Readability took over ${all.timeoutMs} ms`);
  if ('error' in reply) return plain(`Readability failed: ${reply.error}`);
  return { raw: reply.raw, method: 'readability' };
}

/** `extractHtml`'s article (the format parsers' entry point). */
export async function extractHtmlArticle(html: string, pageUrl?: string, limits: HtmlLimits = {}): Promise<RawArticle> {
  return (await extractHtml(html, pageUrl, limits)).raw;
}
