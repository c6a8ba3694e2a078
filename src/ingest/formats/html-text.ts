import type { RawArticle } from '../article-fields.js';

/** Elements whose content is never article text (also used by the DOM path). */
export const NOISE_TAGS = ['script', 'style', 'noscript', 'template', 'iframe', 'svg', 'canvas', 'form', 'button', 'nav', 'header', 'footer', 'aside', 'menu'];
const NOISE = new Set(NOISE_TAGS.concat('select'));
/** Elements whose content is raw text up to their end tag (no markup inside). */
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'noscript', 'template', 'iframe', 'noembed', 'noframes', 'plaintext']);
/** Elements that start and end a paragraph of text. */
export const BLOCK_TAGS = new Set(['p', 'div', 'section', 'article', 'main', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'tr', 'br', 'figcaption', 'dd', 'dt', 'table', 'ul', 'ol', 'hr']);
/** Attributes of page furniture: hidden, or navigation, banner and footer roles. */
const HIDDEN = /(?:^|\s)(?:aria-hidden\s*=\s*["']?true|role\s*=\s*["']?(?:navigation|banner|contentinfo)\b)/i;
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
/** Closed implicitly by the parser: they say nothing about nesting depth. */
const IMPLIED_END = new Set(['p', 'li', 'dt', 'dd', 'option', 'optgroup', 'tr', 'td', 'th', 'tbody', 'thead', 'tfoot', 'rb', 'rt', 'rp', 'colgroup', 'caption']);

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', mdash: '—', ndash: '–', hellip: '…', lsquo: '‘', rsquo: '’',
  ldquo: '“', rdquo: '”', sbquo: '‚', bdquo: '„', laquo: '«', raquo: '»', copy: '©', reg: '®', trade: '™', euro: '€', pound: '£',
  yen: '¥', cent: '¢', deg: '°', middot: '·', bull: '•', times: '×', divide: '÷', shy: '\u00ad', eacute: 'é', egrave: 'è',
  aacute: 'á', agrave: 'à', oacute: 'ó', uacute: 'ú', iacute: 'í', ntilde: 'ñ', ccedil: 'ç', auml: 'ä', ouml: 'ö', uuml: 'ü',
  szlig: 'ß', Eacute: 'É', Auml: 'Ä', Ouml: 'Ö', Uuml: 'Ü', ecirc: 'ê', acirc: 'â', ocirc: 'ô', icirc: 'î', ucirc: 'û',
};

/** Decodes numeric and common named character references (unknown names are kept as written). */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#\d{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,31});/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : '\ufffd';
    }
    return NAMED_ENTITIES[ref] ?? whole;
  });
}

/** One token of an HTML document, from `scanTags`. */
type Token =
  | { kind: 'text'; text: string }
  /** The content of a raw-text element (script, style, title, ...), right after its start tag. */
  | { kind: 'raw'; name: string; text: string }
  | { kind: 'open'; name: string; attrs: string; selfClosing: boolean; start: number }
  | { kind: 'close'; name: string; start: number };

/**
 * Tokenizes HTML in one linear pass (no DOM, no regex backtracking): text, start tags with their
 * raw attribute text, end tags. Comments, doctypes and processing instructions are dropped; the
 * content of script, style and other raw-text elements is skipped to their end tag.
 */
function* scanTags(html: string): Generator<Token> {
  let pos = 0;
  while (pos < html.length) {
    const lt = html.indexOf('<', pos);
    if (lt < 0) {
      yield { kind: 'text', text: html.slice(pos) };
      return;
    }
    if (lt > pos) yield { kind: 'text', text: html.slice(pos, lt) };
    const next = html.charCodeAt(lt + 1);
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      pos = end < 0 ? html.length : end + 3;
      continue;
    }
    const isClose = next === 47; /* / */
    const nameStart = isClose ? lt + 2 : lt + 1;
    const first = html.charCodeAt(nameStart);
    const isLetter = (first >= 65 && first <= 90) || (first >= 97 && first <= 122);
    if (next === 33 /* ! */ || next === 63 /* ? */ || (isClose && !isLetter)) {
      const end = html.indexOf('>', lt + 2);
      pos = end < 0 ? html.length : end + 1;
      continue;
    }
    if (!isLetter) {
      yield { kind: 'text', text: '<' };
      pos = lt + 1;
      continue;
    }
    let nameEnd = nameStart;
    while (nameEnd < html.length && !/[\s/>]/.test(html[nameEnd]!)) nameEnd++;
    const name = html.slice(nameStart, nameEnd).toLowerCase();
    const end = html.indexOf('>', nameEnd);
    if (end < 0) return;
    if (isClose) {
      yield { kind: 'close', name, start: lt };
      pos = end + 1;
      continue;
    }
    const attrs = html.slice(nameEnd, end);
    yield { kind: 'open', name, attrs, selfClosing: attrs.endsWith('/'), start: lt };
    pos = end + 1;
    if (RAW_TEXT.has(name)) {
      const closeTag = new RegExp(`</${name}`, 'gi');
      closeTag.lastIndex = pos;
      const close = closeTag.exec(html)?.index ?? -1;
      yield { kind: 'raw', name, text: html.slice(pos, close < 0 ? html.length : close) };
      if (close < 0) return;
      pos = close;
    }
  }
}

/** Size, element count and nesting depth of an HTML document, measured in one linear pass. */
export interface HtmlShape {
  chars: number;
  /** Start tags. */
  tags: number;
  /** Deepest nesting of elements that need an end tag (p, li, td and the like are not counted). */
  depth: number;
}

/** Measures an HTML document without building a DOM (cheap: decides which extractor may run). */
export function scanHtml(html: string): HtmlShape {
  let tags = 0;
  let depth = 0;
  let maxDepth = 0;
  for (const token of scanTags(html)) {
    if (token.kind === 'text' || token.kind === 'raw') continue;
    if (token.kind === 'open') tags++;
    if (IMPLIED_END.has(token.name) || VOID.has(token.name)) continue;
    if (token.kind === 'open') {
      if (token.selfClosing) continue;
      depth++;
      if (depth > maxDepth) maxDepth = depth;
    } else if (depth > 0) {
      depth--;
    }
  }
  return { chars: html.length, tags, depth: maxDepth };
}

function attr(attrs: string, name: string): string | undefined {
  const match = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'>]+))`, 'i').exec(attrs);
  const value = match ? (match[1] ?? match[2] ?? match[3]) : undefined;
  return value === undefined ? undefined : decodeEntities(value).trim();
}

function joinBlocks(parts: string[]): string {
  return parts.join('').replace(/[ \t]*\n[ \t]*/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
}

/**
 * Text of HTML with paragraph breaks at block elements, skipping scripts, styles, navigation,
 * headers, footers and other page furniture. Linear in the input (a fallback for pages too large,
 * too deep or too slow for Readability, and for feed item content).
 */
export function htmlToPlainText(html: string): string {
  if (!/[<&]/.test(html)) return html;
  const parts: string[] = [];
  let skipping: string | null = null;
  let skipDepth = 0;
  for (const token of scanTags(html)) {
    if (token.kind === 'raw') continue;
    if (skipping !== null) {
      if (token.kind === 'open' && token.name === skipping && !token.selfClosing) skipDepth++;
      else if (token.kind === 'close' && token.name === skipping && --skipDepth === 0) skipping = null;
      continue;
    }
    if (token.kind === 'text') {
      parts.push(decodeEntities(token.text).replace(/\s+/g, ' '));
      continue;
    }
    if (token.kind === 'open' && !token.selfClosing && !VOID.has(token.name) && !RAW_TEXT.has(token.name) && (NOISE.has(token.name) || HIDDEN.test(token.attrs))) {
      skipping = token.name;
      skipDepth = 1;
      continue;
    }
    if (BLOCK_TAGS.has(token.name)) parts.push('\n\n');
  }
  return joinBlocks(parts);
}

/** Drops the title when the body text starts with it as a line or sentence of its own. */
export function withoutRepeatedTitle(text: string, title: string | undefined): string {
  if (!title || !text.startsWith(title)) return text;
  const rest = text.slice(title.length);
  return rest === '' || /^\s/.test(rest) ? rest.trimStart() : text;
}

/** The first element named `name` (with its content) in the document, found in one pass. */
function firstElement(html: string, name: string): string | undefined {
  let depth = 0;
  let start = -1;
  for (const token of scanTags(html)) {
    if (token.kind === 'text' || token.kind === 'raw' || token.name !== name) continue;
    if (token.kind === 'open') {
      if (depth++ === 0) start = token.start;
    } else if (depth > 0 && --depth === 0) {
      return html.slice(start, token.start);
    }
  }
  return start >= 0 ? html.slice(start) : undefined;
}

function jsonLdDate(json: string): string | undefined {
  try {
    const data: unknown = JSON.parse(json);
    for (const item of Array.isArray(data) ? data : [data]) {
      const graph = (item as { '@graph'?: unknown[] } | null)?.['@graph'];
      for (const node of Array.isArray(graph) ? graph : [item]) {
        const value = (node as Record<string, unknown> | null)?.['datePublished'];
        if (typeof value === 'string' && value.trim()) return value.trim();
      }
    }
  } catch {
    // Broken JSON-LD is common; ignore it.
  }
  return undefined;
}

/**
 * Extracts an article from HTML without a DOM, in time linear in its size: metadata from meta
 * tags, JSON-LD, <time>, <h1> and <title>; text from the first <article> (else <main>, else the
 * whole page) without page furniture. Less precise than Readability, never slow.
 */
export function plainHtmlArticle(html: string, pageUrl?: string): RawArticle {
  const meta = new Map<string, string>();
  let h1: string | undefined;
  let titleTag: string | undefined;
  let time: string | undefined;
  let ldDate: string | undefined;
  let canonical: string | undefined;
  let h1Text: string | null = null;
  for (const token of scanTags(html)) {
    if (token.kind === 'open') {
      // Only a few tags' attributes matter; a giant attribute string is page junk.
      if (token.attrs.length > 10_000) continue;
      if (token.name === 'meta') {
        const key = (attr(token.attrs, 'property') ?? attr(token.attrs, 'name') ?? attr(token.attrs, 'itemprop'))?.toLowerCase();
        const content = attr(token.attrs, 'content');
        if (key && content && !meta.has(key)) meta.set(key, content);
      } else if (token.name === 'link' && !canonical && /(?:^|\s)canonical(?:\s|$)/i.test(attr(token.attrs, 'rel') ?? '')) {
        canonical = attr(token.attrs, 'href');
      } else if (token.name === 'time' && !time) {
        time = attr(token.attrs, 'datetime');
      } else if (token.name === 'h1' && h1 === undefined && h1Text === null) {
        h1Text = '';
      }
    } else if (token.kind === 'close') {
      if (token.name === 'h1' && h1Text !== null && h1 === undefined) h1 = decodeEntities(h1Text).replace(/\s+/g, ' ').trim() || undefined;
    } else if (token.kind === 'text') {
      if (h1Text !== null && h1 === undefined && h1Text.length < 1_000) h1Text += token.text;
    } else if (token.name === 'title' && titleTag === undefined) {
      titleTag = decodeEntities(token.text).replace(/\s+/g, ' ').trim() || undefined;
    } else if (token.name === 'script' && !ldDate && token.text.includes('datePublished')) {
      ldDate = jsonLdDate(token.text);
    }
  }
  const title = meta.get('og:title') ?? meta.get('twitter:title') ?? h1 ?? titleTag;
  const date = meta.get('article:published_time') ?? meta.get('pubdate') ?? meta.get('date') ?? meta.get('datepublished') ?? time ?? ldDate;
  const region = firstElement(html, 'article') ?? firstElement(html, 'main') ?? html;
  const text = withoutRepeatedTitle(htmlToPlainText(region), title);
  return {
    title,
    text,
    date: date ?? null,
    url: canonical ?? meta.get('og:url') ?? pageUrl,
    source: meta.get('og:site_name'),
    author: meta.get('author') ?? meta.get('article:author'),
  };
}
