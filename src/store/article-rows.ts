import type { ArticleMeta } from '../core/types.js';

/** An article's metadata as both SQL stores keep it (snake_case columns). */
export interface ArticleRow {
  id: string;
  title: string;
  date: string | null;
  source: string;
  url: string | null;
  author: string | null;
  origin: string;
  content_hash: string;
}

/** An article row as the ports' ArticleMeta. */
export function toMeta(row: ArticleRow): ArticleMeta {
  return { id: row.id, title: row.title, date: row.date, source: row.source, url: row.url, author: row.author, origin: row.origin, contentHash: row.content_hash };
}

/** Escapes LIKE wildcards (with `ESCAPE '\\'`). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c);
}
