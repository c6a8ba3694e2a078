import type { SentenceCandidate } from './sentences.js';
import { clip } from './sentences.js';

/*
 * Choosing the sentences an extractive answer quotes, from the scored candidates: the best
 * sentence of an article about the question first, then the next best that add something, never
 * padding from articles that are not about the question.
 */

/** A sentence scoring under this share of the best one's adds less than it dilutes: the answer stops there. */
export const MIN_SHARE_OF_BEST = 0.5;
/** Two sentences sharing more than this share of their terms say the same thing: the second is left out. */
export const MAX_OVERLAP = 0.6;

/** A sentence that opens by referring back to something named before it. */
const REFERRING = /^["“]?(?:the|this|that|these|those|it|its|it's|it’s|he|she|they|his|her|their)\b/i;

/**
 * A sentence whose subject refers back to something named in the sentence before it: a pronoun
 * ("He said ...", "It's the first ...") or "the" and a common noun ("The comedian will ...", "The
 * \"Top Gun\" star ..."), not a name ("The Federal Aviation Administration ...") and not a quotation.
 */
const REFERS_BACK = /^(?:(?:[Hh]e|[Ss]he|[Ii]t|[Ii]t's|[Ii]t’s|[Tt]hey|[Hh]is|[Hh]er|[Ii]ts|[Tt]heir)\b|[Tt]he\s+(?:["“][^"”]+["”]\s+)?[a-z])/;

/** Limits of the selection. */
export interface SelectionLimits {
  /** Most characters of answer text, citations excluded. */
  maxChars: number;
  maxSentences: number;
  /** True when the question's wording tells the kind of answer it wants (a neighbour may then hold it). */
  typed: boolean;
}

/** Shared terms over the smaller set's size. */
export function overlap(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let shared = 0;
  for (const t of a) if (b.has(t)) shared++;
  return shared / Math.max(1, Math.min(a.size, b.size));
}

/** Candidates that score, best first (ties: better passage, then earlier sentence). */
export function rankCandidates(candidates: readonly SentenceCandidate[]): SentenceCandidate[] {
  return candidates.filter((c) => c.score > 0).sort((a, b) => b.score - a.score || a.rank - b.rank || a.index - b.index);
}

/**
 * The sentences to quote, in reading order of choice. The first is the best-scoring sentence of
 * an article about the question (none: an empty list, the caller refuses). When it names what is
 * asked only as "the company" or "she" and a neighbour holds the answer, both are quoted; a
 * sentence that opens with "The comedian" or "He" comes after the sentence it refers back to when
 * both fit. Further sentences come from the best one's article or other articles about the
 * question, score at least MIN_SHARE_OF_BEST of the first, and add terms of their own.
 */
export function selectSentences(ranked: readonly SentenceCandidate[], all: readonly SentenceCandidate[], limits: SelectionLimits): SentenceCandidate[] {
  const { maxChars, maxSentences } = limits;
  const best = ranked.find((c) => c.onTopic);
  if (!best) return [];
  const chosen: SentenceCandidate[] = [];
  let used = 0;
  const sibling = (c: SentenceCandidate, index: number) => all.find((d) => d.item === c.item && d.index === index);
  if (limits.typed && maxSentences >= 2 && best.text.length < maxChars && !best.answers) {
    for (const index of [best.index - 1, best.index + 1]) {
      const neighbour = sibling(best, index);
      if (!neighbour || !REFERRING.test(index < best.index ? best.text : neighbour.text)) continue;
      if (neighbour.text.length + best.text.length + 1 > maxChars || !neighbour.answers) continue;
      chosen.push(...(index < best.index ? [neighbour, best] : [best, neighbour]));
      used = neighbour.text.length + best.text.length + 1;
      break;
    }
  }
  const antecedent = (c: SentenceCandidate, room: number): SentenceCandidate | undefined => {
    if (!REFERS_BACK.test(c.text) || chosen.length + 2 > maxSentences) return undefined;
    const previous = sibling(c, c.index - 1);
    if (!previous || chosen.includes(previous) || previous.text.length + 1 + c.text.length > room) return undefined;
    return chosen.some((d) => overlap(d.terms, previous.terms) > MAX_OVERLAP) ? undefined : previous;
  };
  for (const c of [best, ...ranked.filter((r) => r !== best)]) {
    if (chosen.includes(c)) continue;
    if (chosen.length >= maxSentences) break;
    if (c.score < best.score * MIN_SHARE_OF_BEST) break;
    // Another article's sentence supports the answer only when that article is about the question.
    if (c.item.article.id !== best.item.article.id && !c.onTopic) continue;
    if (chosen.some((d) => overlap(d.terms, c.terms) > MAX_OVERLAP)) continue;
    const room = maxChars - used - (chosen.length ? 1 : 0);
    const previous = antecedent(c, room);
    if (previous) {
      chosen.push(previous, c);
      used += (used ? 1 : 0) + previous.text.length + 1 + c.text.length;
    } else if (chosen.length === 0) {
      chosen.push({ ...c, text: clip(c.text, maxChars) });
      used = Math.min(c.text.length, maxChars);
    } else if (c.text.length <= room) {
      chosen.push(c);
      used += c.text.length + 1;
    }
  }
  return chosen;
}
