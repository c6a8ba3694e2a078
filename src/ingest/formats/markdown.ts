import { parse as parseYaml } from 'yaml';
import { ArticleParseError } from '../../core/errors.js';
import type { RawArticle } from '../article-fields.js';
import { pickString, pickDate } from './record.js';

const FRONT_MATTER = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/;
/**
 * Largest front matter parsed (characters). Real front matter is a few hundred bytes; the YAML
 * parser checks a mapping's keys pairwise, so 1 MB of keys takes 9 s and 10 MB would take minutes.
 */
const MAX_FRONT_MATTER_CHARS = 64 * 1024;

/*
 * Markdown is stripped in one linear pass per construct: no regular expression here can
 * backtrack over a line (a 10 MB file of "[", "<!--" or spaces costs the same as prose).
 */

/** Removes <!-- comments --> (an unclosed one runs to the end). */
function withoutComments(text: string): string {
  if (!text.includes('<!--')) return text;
  const out: string[] = [];
  let pos = 0;
  for (let open = text.indexOf('<!--'); open >= 0; open = text.indexOf('<!--', pos)) {
    out.push(text.slice(pos, open));
    const close = text.indexOf('-->', open + 4);
    pos = close < 0 ? text.length : close + 3;
  }
  out.push(text.slice(pos));
  return out.join('');
}

/** Removes HTML tags (`<` then at least one character up to the next `>`). */
function withoutTags(text: string): string {
  if (!text.includes('<')) return text;
  const out: string[] = [];
  let pos = 0;
  let nextGt = -2;
  for (let lt = text.indexOf('<'); lt >= 0; lt = text.indexOf('<', lt + 1)) {
    if (lt < pos) continue;
    if (nextGt < lt + 2) nextGt = text.indexOf('>', lt + 2);
    if (nextGt < 0) break;
    out.push(text.slice(pos, lt));
    pos = nextGt + 1;
  }
  out.push(text.slice(pos));
  return out.join('');
}

/** `[text](target)` -> text, and with `image`, `![alt](src)` -> alt; first `]` and `)` close. */
function withoutLinks(line: string, image: boolean): string {
  if (!line.includes('](')) return line;
  const out: string[] = [];
  let pos = 0;
  let nextBracket = -2;
  let nextParen = -2;
  for (let open = line.indexOf('['); open >= 0; open = line.indexOf('[', open + 1)) {
    if (open < pos) continue;
    const start = image ? open - 1 : open;
    if (image && line[start] !== '!') continue;
    if (nextBracket < open + 1) nextBracket = line.indexOf(']', open + 1);
    if (nextBracket < 0) break;
    if (!image && nextBracket === open + 1) continue;
    if (line[nextBracket + 1] !== '(') continue;
    if (nextParen < nextBracket + 2) nextParen = line.indexOf(')', nextBracket + 2);
    if (nextParen < 0) break;
    out.push(line.slice(pos, start), line.slice(open + 1, nextBracket));
    pos = nextParen + 1;
  }
  out.push(line.slice(pos));
  return out.join('');
}

const EMPHASIS_BEFORE = /[\s(]/;
const EMPHASIS_AFTER = /[\s).,;:!?]/;

/**
 * `*word*` and `_word_` -> word: an opener at the line start or after a space or "(", followed by
 * a non-space; the closer is the next same marker after a non-space and before a space, closing
 * punctuation or the line end. Linear: closers are found by one forward pointer per marker.
 */
function withoutEmphasis(line: string): string {
  if (!/[*_]/.test(line)) return line;
  const closers: Record<string, number[]> = { '*': [], _: [] };
  for (let i = 1; i < line.length; i++) {
    const c = line[i]!;
    if ((c === '*' || c === '_') && /\S/.test(line[i - 1]!) && (i + 1 === line.length || EMPHASIS_AFTER.test(line[i + 1]!))) closers[c]!.push(i);
  }
  const next: Record<string, number> = { '*': 0, _: 0 };
  const out: string[] = [];
  let pos = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c !== '*' && c !== '_') continue;
    if (i > 0 && !EMPHASIS_BEFORE.test(line[i - 1]!)) continue;
    if (i + 1 >= line.length || !/\S/.test(line[i + 1]!)) continue;
    const list = closers[c]!;
    let k = next[c]!;
    while (k < list.length && list[k]! < i + 2) k++;
    next[c] = k;
    if (k === list.length) continue;
    const close = list[k]!;
    out.push(line.slice(pos, i), line.slice(i + 1, close));
    pos = close + 1;
    // The character after a closer may open the next emphasis: resume there.
    i = close;
  }
  out.push(line.slice(pos));
  return out.join('');
}

/** `**strong**` and `__strong__` -> strong (the next same pair within 1,000 characters closes). */
function withoutStrong(line: string): string {
  return line.includes('**') || line.includes('__') ? line.replace(/(\*\*|__)([^\n]{1,1000}?)\1/g, '$2') : line;
}

/** A thematic break: three or more of one of - * _ and spaces only. */
function isRule(line: string): boolean {
  const bare = line.replace(/[ \t]/g, '');
  return bare.length >= 3 && /^[-*_]$/.test(bare[0]!) && bare.split(bare[0]!).join('') === '';
}

/** Heading text without its #s and closing #s, or null when the line is not an ATX heading. */
function headingText(line: string): string | null {
  const open = /^ {0,3}#{1,6}[ \t]+/.exec(line);
  if (!open) return null;
  let text = line.slice(open[0].length).trimEnd();
  let hashes = text.length;
  while (hashes > 0 && text[hashes - 1] === '#') hashes--;
  if (hashes === 0 || /\s/.test(text[hashes - 1]!)) text = text.slice(0, hashes).trimEnd();
  return text;
}

function isFenceOpen(line: string): boolean {
  return line.startsWith('```');
}

function isFenceClose(line: string): boolean {
  return line.startsWith('```') && line.slice(3).trim() === '';
}

/**
 * Strips Markdown syntax to plain paragraphs (links keep their text, code fences their content),
 * in time linear in the text.
 */
export function markdownToText(md: string): string {
  const lines = withoutComments(md).split('\n');
  // For each line, the index of the first fence-closing line at or after it (a fence without one stays text).
  const nextClose = new Array<number>(lines.length + 1).fill(-1);
  for (let i = lines.length - 1; i >= 0; i--) nextClose[i] = isFenceClose(lines[i]!) ? i : nextClose[i + 1]!;
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (isFenceOpen(line) && nextClose[i + 1]! > i) {
      const close = nextClose[i + 1]!;
      for (let j = i + 1; j < close; j++) out.push(inline(lines[j]!));
      i = close;
      continue;
    }
    const heading = headingText(line);
    if (heading !== null) line = heading;
    line = line.replace(/^ {0,3}> ?/, '');
    if (isRule(line)) {
      out.push('');
      continue;
    }
    out.push(inline(line.replace(/^[ \t]*[-*+][ \t]+/, '')));
  }
  return withoutTags(out.join('\n'));
}

function inline(line: string): string {
  const text = withoutEmphasis(withoutStrong(withoutLinks(withoutLinks(line, true), false)));
  return text.includes('`') ? text.replace(/`([^`\n]+)`/g, '$1') : text;
}

/** Markdown with optional YAML front matter (title, date, url, source, author, id). */
export function parseMarkdownArticle(content: string): RawArticle {
  let meta: Record<string, unknown> = {};
  let body = content;
  const fm = FRONT_MATTER.exec(content);
  if (fm) {
    const yaml = fm[1] ?? '';
    if (yaml.length > MAX_FRONT_MATTER_CHARS) {
      throw new ArticleParseError(`front matter too large (${Math.ceil(yaml.length / 1024)} KB > ${MAX_FRONT_MATTER_CHARS / 1024} KB)`);
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(yaml);
    } catch (error) {
      throw new ArticleParseError(`front matter is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new ArticleParseError('front matter is not a mapping');
      }
      meta = parsed as Record<string, unknown>;
    }
    body = content.slice(fm[0].length);
  }
  let title = pickString(meta, ['title', 'headline']);
  if (!title) {
    // The first level-1 heading is the title (found line by line: no regex over the body).
    const lines = body.split('\n');
    const index = lines.findIndex((line) => /^ {0,3}#[ \t]/.test(line));
    const heading = index >= 0 ? headingText(lines[index]!) : null;
    if (heading) {
      title = heading;
      lines.splice(index, 1);
      body = lines.join('\n');
    }
  }
  return {
    id: pickString(meta, ['id']),
    title,
    text: markdownToText(body),
    date: pickDate(meta),
    url: pickString(meta, ['url', 'link', 'canonical']),
    source: pickString(meta, ['source', 'outlet', 'publisher', 'site']),
    author: pickString(meta, ['author', 'byline']),
  };
}
