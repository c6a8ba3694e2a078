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

function endsWithAbbreviation(sentence: string): boolean {
  const match = /(?:^|[\s(“"'])([A-Za-z][A-Za-z.]*)\.\s*$/.exec(sentence);
  if (!match?.[1]) return false;
  const word = match[1].toLowerCase();
  // Single capital letters ("J. Smith") are initials, not sentence ends.
  return ABBREVIATIONS.has(word) || /^[a-z]$/.test(word);
}

/**
 * Splits text into sentences with offsets. Uses the platform's Unicode sentence rules, then
 * re-joins breaks that follow a known abbreviation or an initial. Offsets exclude surrounding space.
 */
export function splitSentences(text: string, offset = 0): SentenceSpan[] {
  const raw: SentenceSpan[] = [];
  for (const seg of segmenter.segment(text)) {
    const start = seg.index;
    raw.push({ text: seg.segment, start, end: start + seg.segment.length });
  }
  const merged: SentenceSpan[] = [];
  for (const s of raw) {
    const prev = merged[merged.length - 1];
    if (prev && endsWithAbbreviation(prev.text) && !/\n\s*$/.test(prev.text)) {
      prev.text += s.text;
      prev.end = s.end;
    } else {
      merged.push({ ...s });
    }
  }
  const out: SentenceSpan[] = [];
  for (const s of merged) {
    const lead = s.text.length - s.text.trimStart().length;
    const trimmed = s.text.trim();
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
