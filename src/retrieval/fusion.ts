/**
 * Hybrid fusion of the lexical (BM25) and vector (cosine) lists: a convex combination of
 * per-query normalized scores (Bruch et al., "An Analysis of Fusion Functions for Hybrid
 * Retrieval", 2023). A candidate gets credit from each list it is in and none from a list it is
 * not in: below the lexical list's depth BM25 is a small share of the best, and below the model's
 * top region (inside the vector list) the vector credit is 0 by definition.
 *
 * Why it is sound whatever the embedding model is worth:
 * - The lexical score is divided by the best BM25 of the query (BM25's theoretical minimum is 0),
 *   so it keeps its own shape.
 * - The vector score is placed between the similarity of the last passage of the model's top
 *   region (0) and of its first (1), and is 0 below that. The top region is the model's best
 *   VECTOR_REGION_SHARE of the store (at most the vector list's length): a candidate gets semantic
 *   credit only for being among the passages the model ranks highest for this query, whatever the
 *   scale of the model's cosines (0.93-0.96 for a static word-vector average, 0.2-0.8 for a
 *   trained sentence encoder).
 * - A list that means nothing (random weights) ranks passages at random, so a lexical candidate
 *   lands in its top region only by chance (1 in 100) and keeps its lexical order; a vector-only
 *   passage scores at most `vectorWeight`, below every lexical candidate above
 *   vectorWeight / (1 - vectorWeight) of the best BM25, and still has to win the answer-evidence
 *   re-scoring that follows.
 * - A list that means something lifts the lexical candidates it agrees with and brings in
 *   passages that share no rare word with the question.
 */

/** A passage id with one list's raw score (BM25 or cosine), best first in a list. */
export interface ScoredId {
  id: number;
  score: number;
}

/** What the fusion needs to know about one query's two lists. */
export interface FusionLists {
  /** BM25 of the lexical list's passages (absent: not in the list, no lexical credit). */
  bm25: ReadonlyMap<number, number>;
  /** Cosine similarity to the query of the vector list's passages (absent: no vector credit). */
  similarity: ReadonlyMap<number, number>;
  /** Best BM25 of the query (the lexical list's first hit). */
  bestBm25: number;
  /** Similarities of the first and last passages of the model's top region (see vectorRegion). */
  bestSimilarity: number;
  lastSimilarity: number;
}

/** Share of the store that makes the top region of the model's ranking for a query. */
export const VECTOR_REGION_SHARE = 0.01;

/**
 * How many of the vector list's hits make its top region: VECTOR_REGION_SHARE of the stored
 * vectors, at least 1, at most the list's length.
 */
export function vectorRegion(listLength: number, storedVectors: number): number {
  return Math.max(1, Math.min(listLength, Math.ceil(storedVectors * VECTOR_REGION_SHARE)));
}

/** BM25 as a share of the query's best (0 when the query matches nothing). */
export function lexicalShare(bm25: number, best: number): number {
  return best > 0 ? Math.min(1, Math.max(0, bm25 / best)) : 0;
}

/**
 * Where a similarity lies in the vector list's top region: 1 at its first hit, 0 at its last
 * hit and below (no credit for being far from the query, and none taken away either).
 */
export function vectorShare(similarity: number, best: number, last: number): number {
  if (best <= last) return similarity >= best ? 1 : 0;
  return Math.min(1, Math.max(0, (similarity - last) / (best - last)));
}

/** Convex combination: (1 - w) · lexical + w · vector, both in [0, 1]. */
export function convexCombination(lexical: number, vector: number, vectorWeight: number): number {
  return (1 - vectorWeight) * lexical + vectorWeight * vector;
}

/**
 * Fused score of each candidate: its prior (date fit, answer evidence) times the convex
 * combination of its normalized BM25 and similarity.
 */
export function fuseScores(ids: Iterable<number>, lists: FusionLists, vectorWeight: number, prior: (id: number) => number): Map<number, number> {
  const out = new Map<number, number>();
  for (const id of ids) {
    const lexical = lexicalShare(lists.bm25.get(id) ?? 0, lists.bestBm25);
    const vector = lists.similarity.has(id) ? vectorShare(lists.similarity.get(id)!, lists.bestSimilarity, lists.lastSimilarity) : 0;
    out.set(id, prior(id) * convexCombination(lexical, vector, vectorWeight));
  }
  return out;
}

/**
 * The first `n` distinct articles of a ranked list of passages (passages whose article is
 * unknown are skipped).
 */
export function topArticles(list: readonly ScoredId[], articleOf: (id: number) => string | undefined, n: number): string[] {
  const out: string[] = [];
  for (const hit of list) {
    if (out.length >= n) break;
    const article = articleOf(hit.id);
    if (article !== undefined && !out.includes(article)) out.push(article);
  }
  return out;
}

/**
 * The fused score of every candidate of a query's two lists (each best first). Both lists
 * non-empty: `fuseScores` over their union, with the vector list's top region taken from
 * `storedVectors` (the vectors in the store's index). One list (lexical mode, vector mode, a
 * question without query words, a store without vectors): its raw score times the prior.
 */
export function fuseLists(lexical: readonly ScoredId[], vector: readonly ScoredId[], vectorWeight: number, storedVectors: number, prior: (id: number) => number): Map<number, number> {
  if (lexical.length > 0 && vector.length > 0) {
    const region = vectorRegion(vector.length, storedVectors);
    const lists: FusionLists = {
      bm25: new Map(lexical.map((h) => [h.id, h.score])),
      similarity: new Map(vector.map((h) => [h.id, h.score])),
      bestBm25: lexical[0]!.score,
      bestSimilarity: vector[0]!.score,
      lastSimilarity: vector[region - 1]!.score,
    };
    return fuseScores(new Set([...lexical.map((h) => h.id), ...vector.map((h) => h.id)]), lists, vectorWeight, prior);
  }
  return new Map([...lexical, ...vector].map((h) => [h.id, h.score * prior(h.id)]));
}

/** The 1-based rank of each passage of one list once its raw scores are weighed by the prior (ties: lower id first). */
export function ranksAfterPrior(list: readonly ScoredId[], prior: (id: number) => number): Map<number, number> {
  return new Map(
    list
      .map((h) => ({ id: h.id, score: h.score * prior(h.id) }))
      .sort((a, b) => b.score - a.score || a.id - b.id)
      .map((h, i) => [h.id, i + 1]),
  );
}
