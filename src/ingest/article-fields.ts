import { createHash } from 'node:crypto';
import { ArticleParseError } from '../core/errors.js';
import { cleanText } from '../core/text.js';
import type { Article } from '../core/types.js';

/** Fields a format parser found; the rest is derived by `buildArticle`. */
export interface RawArticle {
  id?: string | undefined;
  title?: string | undefined;
  text: string;
  date?: string | null | undefined;
  url?: string | undefined;
  source?: string | undefined;
  author?: string | undefined;
}

/** Where an article came from, used for ids and messages. */
export interface Origin {
  /** Path shown in messages and stored with the article (e.g. "corpus/a.txt" or "set.jsonl#12"). */
  label: string;
  /** Stable key for id derivation when the article has neither id nor URL. */
  key: string;
  /** Source label when the article names none. */
  defaultSource: string;
}

const MONTHS: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};

function isValidDay(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function ymd(y: number, m: number, d: number): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * Normalizes a publication date to YYYY-MM-DD. Accepts ISO dates and timestamps (the written
 * calendar day is kept), RFC 2822 dates ("Tue, 27 Feb 2025 10:00:00 GMT") and Date objects.
 * Returns null for empty input; throws ArticleParseError for anything unreadable.
 */
export function normalizeDate(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new ArticleParseError('invalid date');
    return value.toISOString().slice(0, 10);
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    // Unix seconds or milliseconds.
    const ms = value < 1e11 ? value * 1000 : value;
    return new Date(ms).toISOString().slice(0, 10);
  }
  if (typeof value !== 'string') throw new ArticleParseError(`invalid date ${JSON.stringify(value)}`);
  const s = value.trim();
  if (!s) return null;
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T\s])/.exec(s);
  if (iso) {
    const [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
    if (!isValidDay(y, m, d)) throw new ArticleParseError(`invalid date "${s}"`);
    return ymd(y, m, d);
  }
  const rfc = /^(?:[A-Za-z]{3},?\s+)?(\d{1,2})\s+([A-Za-z]{3})[a-z]*\.?,?\s+(\d{4})/.exec(s);
  if (rfc) {
    const month = MONTHS[rfc[2]!.toLowerCase()];
    const [y, d] = [Number(rfc[3]), Number(rfc[1])];
    if (month && isValidDay(y, month, d)) return ymd(y, month, d);
  }
  const us = /^([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})/.exec(s);
  if (us) {
    const month = MONTHS[us[1]!.toLowerCase()];
    const [y, d] = [Number(us[3]), Number(us[2])];
    if (month && isValidDay(y, month, d)) return ymd(y, month, d);
  }
  throw new ArticleParseError(`invalid date "${s.slice(0, 40)}"`);
}

/** Lowercases scheme and host, drops the fragment, tracking parameters and a trailing slash. */
export function canonicalUrl(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  url.hash = '';
  for (const key of [...url.searchParams.keys()]) {
    if (/^(utm_|fbclid$|gclid$|mc_|ref$|cmpid$)/i.test(key)) url.searchParams.delete(key);
  }
  url.hostname = url.hostname.toLowerCase().replace(/^www\./, '');
  if (url.pathname.length > 1) url.pathname = url.pathname.replace(/\/+$/, '');
  return url.toString();
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Turns parsed fields into a complete Article, or throws ArticleParseError with the reason. */
export function buildArticle(raw: RawArticle, origin: Origin): Article {
  const text = cleanText(raw.text ?? '');
  let title = cleanText(raw.title ?? '').replace(/\s*\n\s*/g, ' ');
  if (!text && !title) throw new ArticleParseError('no text');
  if (!text) throw new ArticleParseError('no body text');
  if (!title) {
    // Untitled: use the first sentence-ish line, shortened.
    const firstLine = text.split('\n')[0] ?? '';
    title = firstLine.length > 120 ? firstLine.slice(0, 117).replace(/\s+\S*$/, '') + '...' : firstLine;
  }
  if (title.length > 300) title = title.slice(0, 297) + '...';
  const date = normalizeDate(raw.date);
  const url = raw.url ? canonicalUrl(raw.url) : null;
  let host: string | null = null;
  if (url) host = new URL(url).hostname;
  const source = cleanText(raw.source ?? '') || host || origin.defaultSource;
  let id: string;
  if (raw.id !== undefined && String(raw.id).trim()) id = String(raw.id).trim().slice(0, 200);
  else if (url) id = 'url:' + sha256(url).slice(0, 16);
  else id = 'doc:' + origin.key;
  const author = raw.author ? cleanText(raw.author) || null : null;
  const contentHash = sha256(JSON.stringify([title, date, url, text]));
  return { id, title, text, date, source, url, author, origin: origin.label, contentHash };
}
