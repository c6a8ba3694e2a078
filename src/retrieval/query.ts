import { STOPWORDS, stem, tokenize } from '../core/text.js';

/** Most query words matched on (see matchTerms). */
export const MAX_MATCH_TERMS = 8;

/** Distinct query words for lexical search: lowercased, without stopwords, in order. */
export function queryTerms(question: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const token of tokenize(question)) {
    if (STOPWORDS.has(token) || (token.length < 2 && !/\d/.test(token))) continue;
    if (seen.has(token)) continue;
    seen.add(token);
    out.push(token);
    if (out.length >= 32) break;
  }
  return out;
}

/**
 * The query words to match on: at most MAX_MATCH_TERMS, the rarest first (by `idf`, keyed by
 * stem; an unknown stem counts as the most common), kept in query order. Each extra common word
 * makes the search score a large share of the store for little BM25 evidence; long questions
 * keep their most telling words.
 */
export function matchTerms(terms: readonly string[], idf: ReadonlyMap<string, number>): string[] {
  if (terms.length <= MAX_MATCH_TERMS) return [...terms];
  const keep = new Set(
    terms
      .map((t) => ({ t, idf: idf.get(stem(t)) ?? 0 }))
      .sort((a, b) => b.idf - a.idf)
      .slice(0, MAX_MATCH_TERMS)
      .map((x) => x.t),
  );
  return terms.filter((t) => keep.has(t));
}
