import { parse as parseYaml } from 'yaml';
import { ArticleParseError } from '../../core/errors.js';
import type { RawArticle } from '../article-fields.js';
import { pickString, pickDate } from './record.js';

const FRONT_MATTER = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/;

/** Strips Markdown syntax to plain paragraphs (links keep their text, code fences their content). */
export function markdownToText(md: string): string {
  return md
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/^```[^\n]*\n([\s\S]*?)^```\s*$/gm, '$1')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/gm, '$1')
    .replace(/^\s{0,3}>\s?/gm, '')
    .replace(/^\s*[-*+]\s+/gm, '')
    .replace(/^\s*([-*_])(\s*\1){2,}\s*$/gm, '')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/(^|[\s(])([*_])(\S(?:.*?\S)?)\2(?=[\s).,;:!?]|$)/gm, '$1$3')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/<[^>]+>/g, '');
}

/** Markdown with optional YAML front matter (title, date, url, source, author, id). */
export function parseMarkdownArticle(content: string): RawArticle {
  let meta: Record<string, unknown> = {};
  let body = content;
  const fm = FRONT_MATTER.exec(content);
  if (fm) {
    let parsed: unknown;
    try {
      parsed = parseYaml(fm[1] ?? '');
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
    const heading = /^\s{0,3}#\s+(.+?)\s*#*\s*$/m.exec(body);
    if (heading) {
      title = heading[1];
      body = body.replace(heading[0], '');
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
