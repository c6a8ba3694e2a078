import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import type { RawArticle } from '../article-fields.js';

const NOISE = 'script,style,noscript,template,iframe,svg,canvas,form,button,nav,header,footer,aside,menu,[role=navigation],[role=banner],[role=contentinfo],[aria-hidden=true]';
const BLOCKS = new Set(['P', 'DIV', 'SECTION', 'ARTICLE', 'MAIN', 'LI', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'BLOCKQUOTE', 'PRE', 'TR', 'BR', 'FIGCAPTION', 'DD', 'DT']);

type Doc = ReturnType<typeof parseHTML>['document'];

interface DomNode {
  nodeType: number;
  nodeName: string;
  textContent: string | null;
  childNodes: ArrayLike<DomNode>;
}

/** Text of a DOM subtree with paragraph breaks at block elements. */
function blockText(node: DomNode): string {
  const parts: string[] = [];
  const walk = (n: DomNode) => {
    if (n.nodeType === 3) {
      parts.push((n.textContent ?? '').replace(/\s+/g, ' '));
      return;
    }
    if (n.nodeType !== 1 && n.nodeType !== 9 && n.nodeType !== 11) return;
    const block = BLOCKS.has(n.nodeName.toUpperCase());
    if (block) parts.push('\n\n');
    for (let i = 0; i < n.childNodes.length; i++) walk(n.childNodes[i]!);
    if (block) parts.push('\n\n');
  };
  walk(node);
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
 * reach the text.
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
  if (title && text.startsWith(title)) text = text.slice(title.length).trimStart();
  return { title, text, date: date ?? null, url, source, author };
}
