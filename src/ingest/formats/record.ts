import { ArticleParseError } from '../../core/errors.js';
import type { RawArticle } from '../article-fields.js';

/** First non-empty string (or number) among the given keys. */
export function pickString(record: Record<string, unknown>, keys: string[]): string | undefined {
  for (const key of keys) {
    const value = record[key];
    if (typeof value === 'string' && value.trim()) return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    if (Array.isArray(value) && typeof value[0] === 'string') return value.join(', ');
    if (value && typeof value === 'object' && typeof (value as { name?: unknown }).name === 'string') {
      return (value as { name: string }).name;
    }
  }
  return undefined;
}

/** The record's date field as given (normalized later); YAML may already have made it a Date. */
export function pickDate(record: Record<string, unknown>): string | null | undefined {
  for (const key of ['date', 'published', 'published_at', 'publishedAt', 'pubDate', 'datePublished']) {
    const value = record[key];
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) throw new ArticleParseError(`invalid date in "${key}"`);
      return value.toISOString().slice(0, 10);
    }
    if (typeof value === 'number') return new Date(value < 1e11 ? value * 1000 : value).toISOString().slice(0, 10);
    if (typeof value === 'string') return value;
    if (value === null) return null;
  }
  return undefined;
}

/** A JSON record (title, text|body|content, date|published, url, source, id, author). */
export function parseRecord(value: unknown): RawArticle {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ArticleParseError(`record is ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}, not an object`);
  }
  const record = value as Record<string, unknown>;
  const text = pickString(record, ['text', 'body', 'content', 'article', 'maintext']);
  if (text === undefined) throw new ArticleParseError('record has no text, body or content field');
  return {
    id: pickString(record, ['id', 'guid', 'doc_id']),
    title: pickString(record, ['title', 'headline']),
    text,
    date: pickDate(record),
    url: pickString(record, ['url', 'link']),
    source: pickString(record, ['source', 'outlet', 'publisher', 'site', 'source_name']),
    author: pickString(record, ['author', 'authors', 'byline']),
  };
}
