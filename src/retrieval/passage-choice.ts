import type { PassageRow } from '../store/ports.js';
import type { PassageFit } from './evidence.js';
import { topArticles, type ScoredId } from './fusion.js';

/*
 * Passage choice: the passage that answers is often not the one that matched the question best
 * (it repeats the question's words; the answer is two paragraphs down). So every passage of the
 * best articles is scored: its article's score times how well the passage itself answers.
 * Pure; the orchestrator reads the passages of the chosen articles from the store in between.
 */

/** Top articles (by fused score) whose every passage is scored. */
export const RESCORE_ARTICLES = 10;
/** Most passages read per re-scored article (long live blogs run to a hundred). */
export const RESCORE_PASSAGES = 20;
/** Besides the best fused articles, the first articles of each list are always re-scored (hybrid). */
export const LIST_ARTICLES_RESCORED = 3;
/**
 * Weights of what makes one passage of a top article better than another: answer evidence,
 * share of the question's (idf-weighted) words, being the lede, and its own search score
 * relative to the article's best.
 */
export const PASSAGE_EVIDENCE_WEIGHT = 1;
export const PASSAGE_COVERAGE_WEIGHT = 1;
export const LEDE_WEIGHT = 0.6;
export const PASSAGE_MATCH_WEIGHT = 1;

/**
 * The articles each list puts first (LIST_ARTICLES_RESCORED of each), re-scored whatever the
 * fusion made of them, so the answer-bearing passage of a vector-only hit is always read. Only
 * when both lists found something (hybrid); none otherwise.
 */
export function listLeaders(lexical: readonly ScoredId[], vector: readonly ScoredId[], articleOf: (id: number) => string | undefined): string[] {
  if (lexical.length === 0 || vector.length === 0) return [];
  return [...topArticles(lexical, articleOf, LIST_ARTICLES_RESCORED), ...topArticles(vector, articleOf, LIST_ARTICLES_RESCORED)];
}

/**
 * The articles to re-score, with their score (their best passage's fused score): the best
 * RESCORE_ARTICLES by fused score, plus `alsoArticles` wherever they rank. An article without a
 * positive score is left out (it has nothing to scale its passages' fit by).
 */
export function articlesToRescore(fused: ReadonlyMap<number, number>, articleOf: (id: number) => string | undefined, alsoArticles: readonly string[]): Map<string, number> {
  const articleScore = new Map<string, number>();
  const pending = new Set(alsoArticles);
  for (const [id, score] of [...fused].sort((a, b) => b[1] - a[1] || a[0] - b[0])) {
    const article = articleOf(id);
    if (article === undefined || score <= 0 || articleScore.has(article)) continue;
    if (articleScore.size >= RESCORE_ARTICLES && !pending.has(article)) continue;
    articleScore.set(article, score);
    pending.delete(article);
    if (articleScore.size >= RESCORE_ARTICLES && pending.size === 0) break;
  }
  return articleScore;
}

/**
 * How well a passage of a re-scored article answers, relative to its article: 1 + answer
 * evidence + coverage + lede + its own fused score over its article's best.
 */
export function passageFit(evidence: PassageFit, isLede: boolean, ownScore: number, articleBest: number): number {
  return (
    1 +
    PASSAGE_EVIDENCE_WEIGHT * evidence.answer +
    PASSAGE_COVERAGE_WEIGHT * evidence.coverage +
    LEDE_WEIGHT * (isLede ? 1 : 0) +
    PASSAGE_MATCH_WEIGHT * (ownScore / articleBest)
  );
}

/**
 * The fused scores after re-scoring: every passage in `rows` of an article in `articleScore`
 * (candidates and the passages read for re-scoring alike) scores article score x passage fit;
 * other candidates keep their fused score.
 */
export function rescorePassages(
  fused: ReadonlyMap<number, number>,
  rows: ReadonlyMap<number, PassageRow>,
  articleScore: ReadonlyMap<string, number>,
  evidence: (row: PassageRow) => PassageFit,
): Map<number, number> {
  const out = new Map(fused);
  for (const [id, row] of rows) {
    const best = articleScore.get(row.article.id);
    if (best === undefined) continue;
    out.set(id, best * passageFit(evidence(row), row.passage.position === 0, fused.get(id) ?? 0, best));
  }
  return out;
}
