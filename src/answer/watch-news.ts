import { STOPWORDS, splitSentences } from '../core/text.js';
import { containment, NEAR_DUPLICATE_SHARE, shingles } from '../retrieval/dedupe.js';
import { clip, closesUnopenedQuote, isQuotable, quotedSentences, stripDateline } from './sentences.js';

/*
 * What a new article adds to a followed story. Its facts are the numbers and names it states;
 * it adds something when it is not a near-duplicate of an article already delivered and one of
 * its sentences states a fact (a number, a name) not delivered before. A rewrite of a delivered
 * article (the same text, or the same facts in other words) adds nothing.
 */

/** Most fact terms kept per watch (the oldest are forgotten first). */
export const MAX_KNOWN_FACTS = 3_000;
/** Most articles whose text a new one is compared with per watch. */
export const MAX_KNOWN_ARTICLES = 20;
/** Longest sentence quoted in an alert. */
const MAX_ALERT_SENTENCE_CHARS = 300;

/** Numbers as facts: "381,000" and "381000" are one, "1.2" stays "1.2". */
const NUMBER = /\d+(?:[.,]\d+)*/g;
/** A capitalized word (a name, or the word opening a sentence). */
const CAPITALIZED = /\p{Lu}[\p{L}'’-]*/gu;

function normalizeNumber(n: string): string {
  return n.replace(/,(?=\d{3}\b)/g, '').replace(/\.0+$/, '');
}

/** The names of a text: words written with a capital where no sentence starts (so "Construction" opening a sentence is not one), lowercased. */
export function namesOf(text: string): Set<string> {
  const names = new Set<string>();
  for (const s of splitSentences(text)) {
    for (const m of s.text.matchAll(CAPITALIZED)) {
      const word = m[0].toLowerCase().replace(/['’]s$/, '');
      if (m.index > 0 && !STOPWORDS.has(word) && word.length > 1) names.add(word);
    }
  }
  return names;
}

/** The facts of a sentence: its numbers ("#410") and the article's names it holds. */
export function sentenceFacts(sentence: string, names: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  for (const m of sentence.matchAll(NUMBER)) out.add(`#${normalizeNumber(m[0])}`);
  for (const m of sentence.matchAll(CAPITALIZED)) {
    const word = m[0].toLowerCase().replace(/['’]s$/, '');
    if (names.has(word)) out.add(word);
  }
  return [...out];
}

/** Every fact of an article (title and text). */
export function articleFacts(title: string, text: string): string[] {
  const names = namesOf(`${title}. ${text}`);
  const out = new Set<string>(sentenceFacts(title, names));
  for (const s of splitSentences(text)) for (const f of sentenceFacts(s.text, names)) out.add(f);
  return [...out];
}

/** What a new article adds to a story: its sentences with facts not delivered before, and those facts. */
export interface Novelty {
  /** Quotable sentences holding a new fact, in article order (at most two). */
  sentences: string[];
  /** The new facts they hold. */
  facts: string[];
}

/**
 * What an article adds to what was delivered: nothing (null) when its text mostly repeats a
 * delivered article's (`knownTexts`), or when none of its quotable sentences states a fact not
 * in `knownFacts`.
 */
export function novelty(article: { title: string; text: string }, knownFacts: ReadonlySet<string>, knownTexts: readonly string[]): Novelty | null {
  const own = shingles(article.text);
  if (knownTexts.some((t) => containment(own, shingles(t)) > NEAR_DUPLICATE_SHARE)) return null;
  const names = namesOf(`${article.title}. ${article.text}`);
  const sentences: string[] = [];
  const facts = new Set<string>();
  for (const { text: raw } of quotedSentences(article.text)) {
    const s = stripDateline(raw);
    if (!isQuotable(s, article.title) || closesUnopenedQuote(s)) continue;
    const fresh = sentenceFacts(s, names).filter((f) => !knownFacts.has(f));
    if (fresh.length === 0) continue;
    for (const f of fresh) facts.add(f);
    if (sentences.length < 2) sentences.push(clip(s, MAX_ALERT_SENTENCE_CHARS));
  }
  return sentences.length ? { sentences, facts: [...facts] } : null;
}

/** A watch's memory after delivering (or learning) an article: its facts added, its id remembered, both capped. */
export function remember(known: { facts: string[]; articles: string[] }, articleId: string, facts: readonly string[]): { facts: string[]; articles: string[] } {
  const allFacts = [...new Set([...known.facts, ...facts])].slice(-MAX_KNOWN_FACTS);
  const articles = [...known.articles.filter((id) => id !== articleId), articleId].slice(-MAX_KNOWN_ARTICLES);
  return { facts: allFacts, articles };
}
