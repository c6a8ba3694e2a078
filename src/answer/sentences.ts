import { contentTerms, splitSentences, tokenize } from '../core/text.js';
import type { RetrievedPassage } from '../core/types.js';

/*
 * The candidates of an extractive answer: the quotable sentences of the passages it may quote
 * from. Only real sentences are quoted (never a title, a headline or a fragment), and a quotation
 * the sentence splitter cut apart is one sentence again.
 */

/** Fewest characters in a quotable sentence: shorter lines are captions, bylines, "Read more." */
export const MIN_SENTENCE_CHARS = 25;
/** Fewest words in a quotable sentence. */
export const MIN_SENTENCE_WORDS = 5;
/** A title of at least this many characters found inside a sentence makes it the title repeated, not a sentence. */
const MIN_TITLE_CHARS_INSIDE = 20;
/** Share of upper-case letters above which a line is shouting ("BREAKING NEWS: ..."), not prose. */
const MAX_UPPERCASE_SHARE = 0.6;
/** Share of capitalized words above which a short line with no comma is a headline ("Backup QB: Kenny Pickett vs. Tanner McKee"). */
const MAX_CAPITALIZED_SHARE = 0.8;
/** A line of capitalized words longer than this is prose that names many things, not a headline. */
const MAX_HEADLINE_WORDS = 20;
/** Most sentences of a quotation (or bracket) joined back into the sentence that opened it. */
const MAX_JOINED = 4;
/** Longest sentence made by joining. */
const MAX_JOINED_CHARS = 600;

/** A sentence ends with . ! ? (or an ellipsis), then maybe closing quotes or brackets. */
const SENTENCE_END = /[.!?…]["'”’)\]]*$/;

/** A sentence an extractive answer may quote, with where it stands. */
export interface SentenceCandidate {
  text: string;
  item: RetrievedPassage;
  /** Rank of its passage among those given (0 = best). */
  rank: number;
  /** Its position among the passage's sentences. */
  index: number;
  /** Its content terms (stems). */
  terms: Set<string>;
  /** Set by scoring: higher is better, 0 when it shares nothing with the question. */
  score: number;
  /** Its article is about the question: its title or lede names the subject (see articlesAbout in topic.ts). */
  onTopic: boolean;
  /** Set by scoring: it holds an answer of the asked kind (a name, a number, a reason, what was said). */
  answers: boolean;
  /** Set by scoring: idf-weighted share of the question's words it (with its article's title) covers. */
  coverage: number;
}

/** Drops a leading dateline such as "WASHINGTON — " or "LONDON (Reuters) - ". */
export function stripDateline(text: string): string {
  return text.replace(/^[A-Z][A-Z .,'’-]{2,40}(?:\s*\([^)]{1,30}\))?\s*[—–-]{1,2}\s+(?=\S)/, '');
}

/** Letters and digits only, lowercased: for comparing a sentence with a title. */
function squash(text: string): string {
  return tokenize(text).join(' ');
}

/**
 * True when a text reads as a sentence worth quoting: long enough, ends like a sentence, and is
 * not the article's title or a headline (a line of capitalized words with no full stop).
 */
export function isQuotable(text: string, title: string): boolean {
  if (text.length < MIN_SENTENCE_CHARS || !/\p{L}/u.test(text) || !SENTENCE_END.test(text)) return false;
  const words = text.split(/\s+/);
  if (words.length < MIN_SENTENCE_WORDS) return false;
  const flat = squash(text);
  const head = squash(title);
  if (head && (flat === head || (head.length >= MIN_TITLE_CHARS_INSIDE && flat.includes(head)) || head.includes(flat))) return false;
  const letters = text.replace(/[^\p{L}]/gu, '');
  if (letters.length > 0 && letters.replace(/[^\p{Lu}]/gu, '').length / letters.length > MAX_UPPERCASE_SHARE) return false;
  const capitalized = words.filter((w) => /^["“'‘(]?\p{Lu}/u.test(w)).length;
  return !(capitalized / words.length > MAX_CAPITALIZED_SHARE && words.length <= MAX_HEADLINE_WORDS && !text.includes(','));
}

/** How many quotations or brackets a text leaves open (curly and straight double quotes, parentheses). */
function openMarks(text: string): number {
  const count = (re: RegExp) => (text.match(re) ?? []).length;
  const curly = count(/“/g) - count(/”/g);
  const straight = count(/"/g) % 2;
  const brackets = count(/\(/g) - count(/\)/g);
  return Math.max(0, curly) + straight + Math.max(0, brackets);
}

/** True when a text closes a quotation it never opened: the tail of a quote cut off before it (a fragment). */
export function closesUnopenedQuote(text: string): boolean {
  let depth = 0;
  for (const ch of text) {
    // A straight quote may open what a curly one closes ("We look forward ...,” she said).
    if (ch === '“' || ch === '"') depth++;
    else if (ch === '”' && --depth < 0) return true;
  }
  return false;
}

/**
 * The sentences of a passage, with a quotation the sentence splitter cut apart joined back:
 * “This is awesome. This is legendary,” Mahomes said. and ("Shazam! Fury of the Gods") are one
 * sentence each. A sentence that opens a quotation or bracket takes the following ones of the same
 * paragraph until it is closed (at most MAX_JOINED sentences and MAX_JOINED_CHARS); when it is
 * not closed by then, the sentences stay as they were.
 */
export function quotedSentences(text: string): { text: string }[] {
  const spans = splitSentences(text);
  const out: { text: string }[] = [];
  for (let i = 0; i < spans.length; i++) {
    const first = spans[i]!;
    let j = i;
    if (openMarks(first.text) > 0) {
      let k = i;
      while (k + 1 < spans.length && k - i + 1 < MAX_JOINED) {
        const next = spans[k + 1]!;
        if (next.end - first.start > MAX_JOINED_CHARS || text.slice(spans[k]!.end, next.start).includes('\n')) break;
        k++;
        if (openMarks(text.slice(first.start, next.end)) === 0) {
          j = k;
          break;
        }
      }
    }
    out.push({ text: text.slice(first.start, spans[j]!.end) });
    i = j;
  }
  return out;
}

/** A text cut at a word boundary to at most `max` characters, with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1).replace(/\s+\S*$/, '');
  return cut + '…';
}

/**
 * The quotable sentences of the passages, in passage then sentence order, unscored: datelines
 * dropped; titles, headlines, fragments and the tails of quotations cut off before them left out.
 * `onTopic`: the ids of the articles about the question.
 */
export function sentenceCandidates(passages: readonly RetrievedPassage[], onTopic: ReadonlySet<string>): SentenceCandidate[] {
  const out: SentenceCandidate[] = [];
  passages.forEach((item, rank) => {
    quotedSentences(item.passage.text).forEach((s, index) => {
      const text = stripDateline(s.text);
      if (!isQuotable(text, item.article.title) || closesUnopenedQuote(text)) return;
      out.push({ text, item, rank, index, terms: new Set(contentTerms(text)), score: 0, onTopic: onTopic.has(item.article.id), answers: false, coverage: 0 });
    });
  });
  return out;
}
