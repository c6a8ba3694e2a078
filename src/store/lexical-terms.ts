import { stem, tokenize } from '../core/text.js';

/** BM25 parameters, as SQLite's FTS5 uses them (so both backends rank alike). */
export const BM25 = { k1: 1.2, b: 0.75 } as const;

/** Default weight of the title field against the passage text. */
export const TITLE_WEIGHT = 2;

/**
 * The indexed terms of a text: word tokens (letters and digits, lowercased, diacritics removed)
 * Porter-stemmed, in order, with repeats. The same rule as SQLite FTS5's
 * `porter unicode61 remove_diacritics 2` tokenizer, for backends that index terms themselves.
 */
export function indexTerms(text: string): string[] {
  return tokenize(text).map(stem);
}

/** Term counts of a passage's two fields and its length in tokens (both fields). */
export interface TermCounts {
  /** term -> [count in title, count in text] */
  counts: Map<string, [number, number]>;
  length: number;
}

/** Counts the indexed terms of a passage's title and text. */
export function countTerms(title: string, text: string): TermCounts {
  const counts = new Map<string, [number, number]>();
  const titleTerms = indexTerms(title);
  const textTerms = indexTerms(text);
  for (const t of titleTerms) {
    const c = counts.get(t) ?? [0, 0];
    c[0]++;
    counts.set(t, c);
  }
  for (const t of textTerms) {
    const c = counts.get(t) ?? [0, 0];
    c[1]++;
    counts.set(t, c);
  }
  return { counts, length: titleTerms.length + textTerms.length };
}

/** FTS5's idf: ln((N - df + 0.5) / (df + 0.5)), floored at 1e-6 for terms in most passages. */
export function bm25Idf(passages: number, df: number): number {
  const idf = Math.log((passages - df + 0.5) / (df + 0.5));
  return idf > 0 ? idf : 1e-6;
}

/** The idf retrieval weighs query words by: ln(1 + (N - df + 0.5) / (df + 0.5)), never negative. */
export function termIdf(passages: number, df: number): number {
  return Math.log(1 + (passages - df + 0.5) / (df + 0.5));
}
