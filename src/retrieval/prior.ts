import type { PassageRow } from '../store/ports.js';
import type { PassageFit } from './evidence.js';
import type { ScoredId } from './fusion.js';
import { timeFactor, type TimeWindow } from './time.js';

/** Weight of answer evidence: a sentence that matches the question and holds a candidate answer of the asked type. */
export const ANSWER_TYPE_WEIGHT = 0.5;
/** Candidates per list (by raw score) that are checked for answer evidence. */
export const EVIDENCE_DEPTH = 50;

/** What a candidate's prior is made of. */
export interface PriorInputs {
  rows: ReadonlyMap<number, PassageRow>;
  asOf: Date;
  /** The recency prior's "now" (see recencyAnchor); default `asOf`. */
  anchor?: Date;
  /** Articles dated after this are weighed as not yet published (see timeFactor); default `asOf`. */
  newsUntil?: Date;
  window: TimeWindow | null;
  /** Article id -> weight multiplier (the articles a conversation has cited). */
  preferArticles?: ReadonlyMap<string, number> | undefined;
  /** Candidates whose answer evidence counts (see evidenceContenders). */
  contenders: ReadonlySet<number>;
  evidence: (row: PassageRow) => PassageFit;
}

/**
 * The candidates worth checking for answer evidence: the first EVIDENCE_DEPTH of each list (by
 * raw score). Evidence costs a sentence split and a scan per passage.
 */
export function evidenceContenders(lexical: readonly ScoredId[], vector: readonly ScoredId[]): Set<number> {
  return new Set([...lexical.slice(0, EVIDENCE_DEPTH), ...vector.slice(0, EVIDENCE_DEPTH)].map((h) => h.id));
}

/**
 * The prior of each candidate, by passage id: how well its article's date fits the question
 * (time.ts), times the conversation's weight for its article, times 1 + ANSWER_TYPE_WEIGHT x its
 * answer evidence (contenders only). 0 for an unknown passage.
 */
export function candidatePrior(inputs: PriorInputs): (id: number) => number {
  const { rows, asOf, window, preferArticles, contenders, evidence } = inputs;
  const anchor = inputs.anchor ?? asOf;
  const newsUntil = inputs.newsUntil ?? asOf;
  return (id) => {
    const row = rows.get(id);
    if (!row) return 0;
    const answerEvidence = contenders.has(id) ? evidence(row).answer : 0;
    return timeFactor(row.article.date, asOf, window, anchor, newsUntil) * (preferArticles?.get(row.article.id) ?? 1) * (1 + ANSWER_TYPE_WEIGHT * answerEvidence);
  };
}
