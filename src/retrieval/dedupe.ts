import { tokenize } from '../core/text.js';
import type { ArticleMeta } from '../core/types.js';
import type { PassageRow } from '../store/ports.js';

/*
 * De-duplication: the results are taken best first, at most a few passages per article, one copy
 * of a story syndicated under the same headline, and no passage that mostly repeats an earlier
 * result of another article (a wire story run by several outlets under their own headlines). Pure.
 */

/**
 * Two passages of different articles are the same story told twice when more than this share of
 * the shorter one's word triples also occur in the other: the later one is left out.
 */
export const NEAR_DUPLICATE_SHARE = 0.5;

/** A title key for spotting the same story syndicated by several outlets. */
export function storyKey(article: ArticleMeta): string {
  return article.title.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '').slice(0, 60);
}

/** The word triples of a text, for near-duplicate checks. */
export function shingles(text: string): Set<string> {
  const words = tokenize(text);
  const out = new Set<string>();
  for (let i = 0; i + 2 < words.length; i++) out.add(`${words[i]} ${words[i + 1]} ${words[i + 2]}`);
  return out;
}

/** Share of the smaller set's members that are also in the other (0 when either is empty). */
export function containment(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  if (small.size === 0) return 0;
  let shared = 0;
  for (const x of small) if (large.has(x)) shared++;
  return shared / small.size;
}

/** A result: a passage id, its final score and its row. */
export interface PickedPassage {
  id: number;
  score: number;
  row: PassageRow;
}

/**
 * The first `k` passages of `scores`, best first (ties: lower id first), skipping unknown
 * passages, passages past `maxPerArticle` of their article, another article's copy of a story
 * already taken (same headline key), and passages that mostly repeat the text of an earlier
 * result of another article.
 */
export function pickResults(scores: ReadonlyMap<number, number>, rows: ReadonlyMap<number, PassageRow>, limits: { k: number; maxPerArticle: number }): PickedPassage[] {
  const ordered = [...scores.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const perArticle = new Map<string, number>();
  const stories = new Map<string, string>();
  const chosen: { articleId: string; shingles: Set<string> }[] = [];
  const out: PickedPassage[] = [];
  for (const [id, score] of ordered) {
    if (out.length >= limits.k) break;
    const row = rows.get(id);
    if (!row) continue;
    const n = perArticle.get(row.article.id) ?? 0;
    if (n >= limits.maxPerArticle) continue;
    const story = storyKey(row.article);
    const owner = stories.get(story);
    if (owner !== undefined && owner !== row.article.id) continue;
    const own = shingles(row.passage.text);
    if (chosen.some((c) => c.articleId !== row.article.id && containment(own, c.shingles) > NEAR_DUPLICATE_SHARE)) continue;
    chosen.push({ articleId: row.article.id, shingles: own });
    stories.set(story, row.article.id);
    perArticle.set(row.article.id, n + 1);
    out.push({ id, score, row });
  }
  return out;
}
