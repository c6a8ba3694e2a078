import { stemmer } from 'stemmer';

/** A sentence with its character offsets in the text it was cut from. */
export interface SentenceSpan {
  text: string;
  start: number;
  end: number;
}

// Abbreviations after which a period does not end a sentence.
const ABBREVIATIONS = new Set(
  [
    'mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'mt', 'gen', 'gov', 'sen', 'rep', 'rev', 'lt', 'col',
    'capt', 'sgt', 'cpl', 'pres', 'vs', 'etc', 'inc', 'ltd', 'co', 'corp', 'no', 'jan', 'feb', 'mar', 'apr',
    'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec', 'u.s', 'u.k', 'u.n', 'e.g', 'i.e', 'a.m', 'p.m',
    'approx', 'dept', 'est', 'fig', 'op', 'vol',
  ],
);

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/*
 * Intl.Segmenter (V8) costs time proportional to the length of the string it segments for every
 * sentence it returns, so one call over a long paragraph is quadratic (a 2 MB paragraph: 40 s).
 * It is given short windows instead, a few sentences at a time.
 */
/** Characters given to Intl.Segmenter at once (doubled, up to the maximum, for a longer sentence). */
const SEGMENT_WINDOW = 2_000;
const MAX_SEGMENT_WINDOW = 1 << 20;
/** Sentences taken from one window before the next window starts after them. */
const SENTENCES_PER_WINDOW = 32;
/**
 * Breaks this close to the end of a window are decided again in the next window: the sentence
 * rules look ahead (past spaces, digits and punctuation, to the next letter), and a window's end
 * cuts that look-ahead short.
 */
const SEGMENT_MARGIN = 1_000;

/**
 * Intl.Segmenter's sentence spans of `text`, the same as one call over the whole text would give
 * (windows start at a break and only breaks well inside a window are kept), in time linear in
 * the text's length. A sentence longer than MAX_SEGMENT_WINDOW is cut after a space.
 */
function rawSentenceSpans(text: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let pos = 0;
  let size = SEGMENT_WINDOW;
  while (pos < text.length) {
    const end = Math.min(text.length, pos + size);
    const limit = end === text.length ? end : end - SEGMENT_MARGIN;
    let next = pos;
    let taken = 0;
    for (const seg of segmenter.segment(pos === 0 && end === text.length ? text : text.slice(pos, end))) {
      const segEnd = pos + seg.index + seg.segment.length;
      if (segEnd > limit) break;
      out.push({ start: pos + seg.index, end: segEnd });
      next = segEnd;
      if (++taken === SENTENCES_PER_WINDOW) break;
    }
    if (next > pos) {
      pos = next;
      size = SEGMENT_WINDOW;
    } else if (size < MAX_SEGMENT_WINDOW) {
      size = Math.min(size * 2, MAX_SEGMENT_WINDOW);
    } else {
      const space = text.lastIndexOf(' ', limit - 1);
      next = space > pos ? space + 1 : limit;
      out.push({ start: pos, end: next });
      pos = next;
      size = SEGMENT_WINDOW;
    }
  }
  return out;
}

const ABBREVIATION_BEFORE = /[\s(“"']/;

/**
 * True when `text.slice(start, end)` ends with an abbreviation or an initial and a period (then
 * optional space), i.e. /(?:^|[\s(“"'])([A-Za-z][A-Za-z.]*)\.\s*$/ with the word in the list, and
 * no line break in that trailing space. Looks only at the end: no copy of the span.
 */
function endsWithAbbreviation(text: string, start: number, end: number): boolean {
  let e = end;
  while (e > start && /\s/.test(text[e - 1]!)) {
    if (text[e - 1] === '\n') return false;
    e--;
  }
  if (e - start < 2 || text[e - 1] !== '.') return false;
  let w = e - 1;
  while (w > start && /[A-Za-z.]/.test(text[w - 1]!)) w--;
  if (w > start && !ABBREVIATION_BEFORE.test(text[w - 1]!)) return false;
  if (w >= e - 1 || !/[A-Za-z]/.test(text[w]!)) return false;
  const word = text.slice(w, e - 1).toLowerCase();
  // Single capital letters ("J. Smith") are initials, not sentence ends.
  return ABBREVIATIONS.has(word) || /^[a-z]$/.test(word);
}

/**
 * Splits text into sentences with offsets. Uses the platform's Unicode sentence rules, then
 * re-joins breaks that follow a known abbreviation or an initial. Offsets exclude surrounding space.
 * Time is linear in the text's length (long text is segmented in windows).
 */
export function splitSentences(text: string, offset = 0): SentenceSpan[] {
  const merged: { start: number; end: number }[] = [];
  for (const s of rawSentenceSpans(text)) {
    const prev = merged[merged.length - 1];
    if (prev && endsWithAbbreviation(text, prev.start, prev.end)) prev.end = s.end;
    else merged.push({ ...s });
  }
  const out: SentenceSpan[] = [];
  for (const s of merged) {
    const raw = text.slice(s.start, s.end);
    const lead = raw.length - raw.trimStart().length;
    const trimmed = raw.trim();
    if (!trimmed) continue;
    const start = s.start + lead;
    out.push({ text: trimmed, start: offset + start, end: offset + start + trimmed.length });
  }
  return out;
}

/** Normalizes text for storage: NFC, no zero-width or control characters, unified newlines. */
export function cleanText(text: string): string {
  return text
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/[\u200B-\u200D\u2060\uFEFF]/g, '')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '')
    .replace(/[ \t\u00A0]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Common English words that carry no topic: dropped from queries and overlap scoring. */
export const STOPWORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both ' +
    'but by can could did do does doing down during each few for from further had has have having he her here hers ' +
    'herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on ' +
    'once only or other our ours ourselves out over own same she should so some such than that the their theirs them ' +
    'themselves then there these they this those through to too under until up very was we were what when where ' +
    'which while who whom why will with would you your yours yourself yourselves also into onto upon via per ' +
    'whats what\'s who\'s where\'s how\'s tell say said says according news latest recent recently reported report ' +
    'reports happen happened happening week weeks today yesterday tomorrow month months year years day days ago ' +
    'last next this past many much may might must shall us get got make made know let following'
  ).split(/\s+/),
);

/** Lowercased word tokens (letters, digits, inner apostrophes/hyphens split), without diacritics. */
export function tokenize(text: string): string[] {
  // eslint-disable-next-line no-control-regex -- ASCII text has no diacritics to fold
  const folded = /[^\x00-\x7f]/.test(text) ? text.normalize('NFKD').replace(/\p{M}+/gu, '') : text;
  return folded.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

// Stems of recently seen tokens: retrieval stems the same few thousand words over and over.
const stemCache = new Map<string, string>();
const STEM_CACHE_SIZE = 50_000;

/** Porter stem of a lowercased token. */
export function stem(token: string): string {
  let out = stemCache.get(token);
  if (out === undefined) {
    out = /^\d+$/.test(token) ? token : stemmer(token);
    if (stemCache.size >= STEM_CACHE_SIZE) stemCache.clear();
    stemCache.set(token, out);
  }
  return out;
}

/** Content terms of a text: tokens minus stopwords and 1-letter words, stemmed, in order, with repeats. */
export function contentTerms(text: string): string[] {
  const out: string[] = [];
  for (const token of tokenize(text)) {
    if (token.length < 2 && !/\d/.test(token)) continue;
    if (STOPWORDS.has(token)) continue;
    out.push(stem(token));
  }
  return out;
}
