import type { RawArticle } from '../article-fields.js';

const SEED_HEADER = /^\s*date\s+(\S+)\s+(.+?)\s*$/i;

/**
 * Plain-text article. The corpus format: first line `date YYYY-MM-DD <title>` (leading spaces
 * allowed), then the body. Without that header, the first non-empty line is the title.
 */
export function parseTextArticle(content: string): RawArticle {
  const lines = content.replace(/^\uFEFF/, '').split(/\r?\n/);
  const first = lines.findIndex((line) => line.trim() !== '');
  if (first < 0) return { text: '' };
  const header = SEED_HEADER.exec(lines[first] ?? '');
  const body = lines.slice(first + 1).join('\n');
  if (header) return { date: header[1], title: header[2], text: body };
  return { title: lines[first]?.trim(), text: body };
}
