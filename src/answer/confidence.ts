import { contentTerms } from '../core/text.js';
import { holdsRelated } from './sentence-scoring.js';
import type { SentenceCandidate } from './sentences.js';

/*
 * Whether an extractive reading answers the question, and how sure it is. The answer's first
 * sentence already comes from an article about the question (topic.ts); on top of that:
 * - what the question names must be in the news: a capitalized name it asks about ("Tromsø",
 *   "Feleti Teo") that no retrieved article holds means the bot has no news on the subject;
 * - the first sentence, with its article's headline, must hold at least MIN_MATCHED of the
 *   question's words (its own, or in a conversation the topic's): one shared word ("Mongolia", a
 *   "bone" on a beach) is a passing mention, not an answer.
 * Measured on rtqa-2024 and on eval/off-store (questions no article is about): docs/evaluation.md.
 */

/** Fewest question words the first sentence (with its headline) must hold; fewer when the question has fewer. */
export const MIN_MATCHED = 2;
/**
 * A question word this rare (inverse document frequency: fewer than about one passage in 5,000
 * holds it, e.g. 40 of rtqa-2024's 200,000; in a store too small for that, no word is this rare)
 * must be in the article an answer quotes first: see rareMissing in extractive.ts. Chosen on
 * eval/off-store/questions.jsonl, checked on heldout.jsonl and rtqa-2024 (docs/evaluation.md).
 */
export const RARE_IDF = 8.5;

/** Weights of the confidence: names found, words matched, idf coverage, holding an answer of the asked kind. */
export const NAMES_WEIGHT = 0.35;
export const MATCHED_WEIGHT = 0.3;
export const COVERAGE_WEIGHT = 0.25;
export const ANSWERS_WEIGHT = 0.1;

/** How the best sentence of an extractive reading matches the question. */
export interface AnswerEvidence {
  /** The question's names (capitalized words after its first, stemmed). */
  names: string[];
  /** Those found in some retrieved article. */
  namesFound: number;
  /** Question words (its own and the conversation's) in the sentence (or a related verb: "pleaded" for "ask") or its article's title. */
  matched: number;
  /** How many it must hold: MIN_MATCHED, or the question's own word count when smaller (at least 1). */
  needed: number;
  /** The question's very rare words (RARE_IDF) that the lead's article does not hold (0 when none or not known). */
  rareMissing?: number;
}

/**
 * The evidence of the lead sentence: `qTerms` the question's own terms, `terms` those and the
 * conversation's, `retrieved` every content term of the retrieved articles (titles, ledes, passages).
 */
export function answerEvidence(question: string, qTerms: readonly string[], terms: readonly string[], lead: SentenceCandidate, retrieved: ReadonlySet<string>): AnswerEvidence {
  // Short all-capital words are abbreviations ("TV", "EU"), not what the question is about.
  const capitalized = (question.match(/(?<=[\s"“(])\p{Lu}[\p{L}'’-]*/gu) ?? []).filter((w) => !/^\p{Lu}{1,3}$/u.test(w));
  const names = [...new Set(capitalized.flatMap((w) => contentTerms(w)))];
  const title = new Set(contentTerms(lead.item.article.title));
  return {
    names,
    namesFound: names.filter((t) => retrieved.has(t) || [...retrieved].some((r) => sameName(t, r))).length,
    matched: terms.filter((t) => lead.terms.has(t) || title.has(t) || holdsRelated(t, lead.terms)).length,
    needed: Math.max(1, Math.min(MIN_MATCHED, qTerms.length)),
  };
}

/** Shortest common opening that makes two words one name in other forms ("Botswanan" and "Botswana"). */
const NAME_STEM = 5;

/** True when two (stemmed) words are forms of one name: one is the other plus at most two letters ("botswanan" / "botswana", "ukrainian" / "ukrain"). */
function sameName(a: string, b: string): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  return short.length >= NAME_STEM && long.length - short.length <= 2 && long.startsWith(short);
}

/** True when the evidence is enough to answer: every name found, enough words matched. */
export function answers(evidence: AnswerEvidence): boolean {
  return evidence.namesFound === evidence.names.length && evidence.matched >= evidence.needed && !evidence.rareMissing;
}

/** A confidence rounded to 3 places (for logs and --json). */
export function roundConfidence(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** The confidence of an answer led by this sentence, 0..1. */
export function answerConfidence(lead: Pick<SentenceCandidate, 'coverage' | 'answers'>, evidence: AnswerEvidence): number {
  const names = evidence.names.length ? evidence.namesFound / evidence.names.length : 1;
  const matched = Math.min(1, evidence.matched / evidence.needed);
  return NAMES_WEIGHT * names + MATCHED_WEIGHT * matched + COVERAGE_WEIGHT * lead.coverage + ANSWERS_WEIGHT * (lead.answers ? 1 : 0);
}
