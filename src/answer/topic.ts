import { contentTerms, stem } from '../core/text.js';

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

/**
 * The key terms of a followed topic ("harbour tunnel", "Ukraine ceasefire"): the rarest half of its
 * content terms by idf (at least one; question verbs left out), as `keyTerms` picks a question's.
 */
export function topicKeys(topic: string, idf: ReadonlyMap<string, number>): string[] {
  return keyTerms(contentTerms(topic).filter((t) => !QUESTION_VERBS.has(t)), idf);
}

/** True when an article is about a topic: its title or lede holds one of the topic's key terms (the rule of `articlesAbout`). */
export function isAbout(title: string, text: string, keys: readonly string[]): boolean {
  return keys.length > 0 && holdsKeyTerm(`${title}\n${text.slice(0, LEDE_CHARS)}`, keys);
}

/** How much of an article's text counts as its lede: the part that says what it is about. */
export const LEDE_CHARS = 1000;

/** An article's ids and texts, for judging whether it is about a question. */
export interface ArticleTexts {
  id: string;
  /** Title and lede (its first LEDE_CHARS characters). */
  lede: string;
  /** Title, lede and the retrieved passages. */
  text: string;
}

/**
 * Ids of the articles that are about the question: their title or lede holds one of its key
 * terms (see questionKeys; in a conversation, one of the earlier questions' key terms too). A roundup that mentions a key
 * word once deep down, or a story sharing only a common word ("Trump"), is not. The lede rule is
 * the eval's off-topic test (eval/metrics.ts), so an answer quoting only such articles is never
 * counted off-topic.
 */
export function articlesAbout(
  qTerms: readonly string[],
  contextTerms: readonly string[],
  articles: readonly ArticleTexts[],
  idf: ReadonlyMap<string, number> | undefined,
): Set<string> {
  const keySets = questionKeys(qTerms, contextTerms, articles, idf);
  if (keySets.length === 0) return new Set();
  const about = (a: ArticleTexts) => keySets.every((keys) => keys.some((k) => articleTerms(a).lede.has(k)));
  return new Set(articles.filter(about).map((a) => a.id));
}

/** The content terms of an article's lede and of its text, worked out once per article object. */
const articleTermCache = new WeakMap<ArticleTexts, { lede: Set<string>; text: Set<string> }>();

/** The content terms of an article's lede and text (memoized: tokenizing and stemming is the cost here). */
export function articleTerms(a: ArticleTexts): { lede: ReadonlySet<string>; text: ReadonlySet<string> } {
  let out = articleTermCache.get(a);
  if (!out) articleTermCache.set(a, (out = { lede: new Set(contentTerms(a.lede)), text: new Set(contentTerms(a.text)) }));
  return out;
}

/** Verbs a question asks with ("what did he say", "who won", "what did they want"): they name no subject. */
export const QUESTION_VERBS: ReadonlySet<string> = new Set(['ask', 'want', 'say', 'said', 'tell', 'told', 'win', 'won', 'die', 'kill', 'buy', 'bought', 'announce', 'declare', 'do', 'did', 'make', 'happen', 'think', 'mean'].map((w) => stem(w)));

/**
 * The key-term sets an article must name to be about the question, one of each: the question's
 * `keyTerms` (of its terms found in some of the articles, ranked by `idf`, else by how few of the
 * articles hold them; question verbs left out), and in a conversation the earlier questions' too
 * (a follow-up with no key term of its own has only those).
 */
export function questionKeys(qTerms: readonly string[], contextTerms: readonly string[], articles: readonly ArticleTexts[], idf: ReadonlyMap<string, number> | undefined): string[][] {
  const termsOf = articles.map(articleTerms);
  const holders = (t: string) => termsOf.filter((terms) => terms.text.has(t) || terms.lede.has(t)).length;
  const rarity = idf ?? new Map([...qTerms, ...contextTerms].map((t) => [t, Math.log((termsOf.length + 1) / (holders(t) + 0.5))]));
  const keysOf = (terms: readonly string[]) => keyTerms(terms.filter((t) => holders(t) > 0 && !QUESTION_VERBS.has(t)), rarity);
  return [keysOf(qTerms), keysOf(contextTerms)].filter((keys) => keys.length > 0);
}
