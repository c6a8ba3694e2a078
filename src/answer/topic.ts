import { contentTerms } from '../core/text.js';

/**
 * The question's key terms, the words a text must have to be about the question: of the given
 * content terms (stemmed; usually the question's terms that occur somewhere in the results), the
 * rarest half by idf (⌊n/2⌋, at least one; terms without an idf count as the most common; ties
 * keep question order), numbers left out. "What did Starmer ask Trump for?" has one, "starmer": an article about
 * Trump alone is not about it.
 */
export function keyTerms(terms: readonly string[], idf: ReadonlyMap<string, number>): string[] {
  // Numbers are left out: a question's "more than 380,000" is an article's "381,000".
  const distinct = [...new Set(terms)].filter((t) => !/\d/.test(t));
  if (distinct.length === 0) return [];
  const count = Math.max(1, Math.floor(distinct.length / 2));
  return distinct
    .map((t, i) => ({ t, i, idf: idf.get(t) ?? 0 }))
    .sort((a, b) => b.idf - a.idf || a.i - b.i)
    .slice(0, count)
    .map((x) => x.t);
}

/** True when `text` holds at least one of the key terms (as a content term); an empty key list is held by any text. */
export function holdsKeyTerm(text: string, keys: readonly string[]): boolean {
  if (keys.length === 0) return true;
  const terms = new Set(contentTerms(text));
  return keys.some((k) => terms.has(k));
}
