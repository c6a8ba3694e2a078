import { contentTerms, stem, tokenize } from '../core/text.js';
import { holdsAnswer, termCoverage, type QuestionProfile } from '../retrieval/evidence.js';
import type { SentenceCandidate } from './sentences.js';

/*
 * Scoring the candidate sentences of an extractive answer: how much of the question (and, in a
 * conversation, of the topic) a sentence covers, whether it holds an answer of the asked kind, and
 * where it stands (rank of its passage, the lede, its length).
 */

/** Question verbs and the words news prose uses for them (weighted lower than the asked word). */
const RELATED: Record<string, string[]> = {
  ask: ['seek', 'plead', 'urg', 'call', 'push', 'press', 'demand', 'request', 'want'],
  want: ['seek', 'demand', 'call', 'push', 'hope'],
  say: ['told', 'state', 'claim', 'announc', 'insist', 'warn'],
  win: ['won', 'victori', 'beat', 'defeat', 'champion'],
  die: ['dead', 'death', 'kill', 'di'],
  kill: ['dead', 'death', 'die', 'di'],
  buy: ['acquir', 'purchas', 'bought', 'deal'],
  announc: ['unveil', 'said', 'launch'],
  declar: ['announc', 'said'],
};

/** True when `terms` hold a word news prose uses for the question's `term` ("urged", "pleaded" for "ask"). */
export function holdsRelated(term: string, terms: ReadonlySet<string>): boolean {
  return (RELATED[term] ?? []).some((r) => terms.has(stem(r)) || terms.has(r));
}

/** Credit for a related question verb in place of the asked one ("urged" for "ask"). */
export const RELATED_CREDIT = 0.5;
/** Bonus for a sentence holding an answer of the asked kind: it outweighs a few extra question words. */
export const ANSWER_BONUS = 0.4;
/**
 * Bonus for a sentence giving the cause or purpose a why-question asks for: above what a few more
 * of the conversation's words add, since a follow-up ("why does he want that?") shares few words
 * with its answer ("... has to be sufficient to deter Putin").
 */
export const REASON_BONUS = 2 * ANSWER_BONUS;
/** Weight of the passage's retrieval rank: sentences of the best passages are preferred. */
export const RANK_WEIGHT = 0.3;
/** News puts the answer up front: bonus for the first LEDE_SENTENCES sentences of an article. */
export const LEDE_BONUS = 0.1;
export const LEDE_SENTENCES = 3;
/** Sentences longer than this crowd out the rest of a 400-character answer: a small penalty. */
export const LONG_SENTENCE_CHARS = 350;
export const LONG_SENTENCE_PENALTY = 0.1;
/** How much an earlier question's word counts in a follow-up's sentence choice, relative to its conversation weight. */
export const CONTEXT_SHARE = 0.5;

/**
 * What a question asks for beyond its words: `reason` for "why ...?" (a sentence giving a cause or
 * purpose answers it), `speech` for "what did X say ...?" (a sentence quoting or reporting X's
 * words; `speaker` holds X's words, empty for "he"/"she"), else the answer type of the profile.
 */
export type QuestionIntent = { kind: 'reason' } | { kind: 'speech'; speaker: string[] } | { kind: 'typed' };

const WHY = /^\W*(?:(?:and|but|so)\s+)?(?:why\b|how come\b|for what reason\b|what (?:is|was) the reason\b)/i;
const SAY = /\bwhat (?:did|does|do|has|have|had|will) (.{1,60}?) (?:say|said|tell|told|claim|write|post|respond|reply|warn)\b|\bhow did (.{1,60}?) (?:respond|react|reply)\b/i;

/** The intent of a question (see QuestionIntent). */
export function questionIntent(question: string): QuestionIntent {
  if (WHY.test(question)) return { kind: 'reason' };
  const say = SAY.exec(question);
  if (say) {
    const speaker = contentTerms(say[1] ?? say[2] ?? '').filter((t) => !/^(he|she|they|it|the|we|you|i)$/.test(t));
    return { kind: 'speech', speaker };
  }
  return { kind: 'typed' };
}

/**
 * A sentence that gives a cause or a purpose outright: "because", "so that", "in order to",
 * "has to be ... to", "the only way to", "aimed at", "due to".
 */
const REASON =
  /\b(?:because|so that|in order to|due to|owing to|as a result|the reason|the only way to|aimed at|designed to|intended to|meant to|in a bid to|in an effort to|(?:has|have|had|needs?|needed) to be\b[^.]{0,80}?\bto)\b/i;
/**
 * What reads as a reason but says less: a purpose infinitive ("to end the war", "to avoid
 * tariffs") or the circumstances ("amid growing concerns", "fears that"): half the credit.
 */
const CIRCUMSTANCE =
  /\b(?:to (?:deter|stop|prevent|protect|avoid|ensure|secure|end|help|keep)|amid (?:growing |spiraling |mounting |rising |deepening )?(?:concerns?|fears?)|fears? (?:that|of)|concerns? (?:that|about|over))\b/i;

/** Words that report speech. */
const REPORTING = /\b(?:said|says|say|told|tells|tell|called|calls|warned|warns|insisted|insists|added|adds|wrote|writes|posted|posts|stated|states|declared|claimed|claims|argued|argues|according to|asked|replied|responded|urged|vowed|promised)\b/i;
const QUOTATION = /["“][^"“”]{8,}["”]/;

/** True when the sentence answers the intent's question (reason or speech); for `typed`, see holdsAnswer. */
export function meetsIntent(sentence: string, intent: QuestionIntent, profile: QuestionProfile): boolean {
  switch (intent.kind) {
    case 'reason':
      return REASON.test(sentence) || CIRCUMSTANCE.test(sentence);
    case 'speech': {
      if (!REPORTING.test(sentence) && !QUOTATION.test(sentence)) return false;
      if (intent.speaker.length === 0) return true;
      const said = new Set(tokenize(sentence).map((t) => stem(t)));
      return intent.speaker.some((t) => said.has(t));
    }
    case 'typed':
      return holdsAnswer(sentence, profile, { precise: true });
  }
}

/**
 * The bonus for holding what is asked: ANSWER_BONUS; for a why-question REASON_BONUS, or half of
 * ANSWER_BONUS for a reason that is only a purpose infinitive or the circumstances ("to end the
 * war", "amid growing concerns ...").
 */
function answerBonus(c: SentenceCandidate, intent: QuestionIntent): number {
  if (!c.answers) return 0;
  if (intent.kind === 'reason') return REASON.test(c.text) ? REASON_BONUS : ANSWER_BONUS / 2;
  return ANSWER_BONUS;
}

/** What scoring needs to know of the question. */
export interface ScoringInputs {
  profile: QuestionProfile;
  intent: QuestionIntent;
  /** The question's terms (weight 1) and the conversation's (weight CONTEXT_SHARE x their own), by stem. */
  termWeight: ReadonlyMap<string, number>;
  /** The store's idf of those terms, for `coverage` (rarity among the candidates when absent). */
  idf?: ReadonlyMap<string, number> | undefined;
}

/**
 * Scores every candidate in place: the share of the question's words it covers (rarer words among
 * the candidates count more, related question verbs RELATED_CREDIT), plus RANK_WEIGHT for the best
 * passages, LEDE_BONUS for an article's first sentences and ANSWER_BONUS for a sentence that holds
 * what is asked (see meetsIntent), less LONG_SENTENCE_PENALTY for a long one. A sentence sharing
 * no word with the question (or topic) scores 0. Also sets `answers` and `coverage` (the store-idf
 * share of the question's words in the sentence and its article's title, for the confidence).
 */
export function scoreCandidates(candidates: SentenceCandidate[], inputs: ScoringInputs): void {
  const { profile, intent, termWeight } = inputs;
  const terms = [...termWeight.keys()];
  // Term weights: inverse frequency among candidate sentences (plus one, so common words still
  // count), not the store's idf the retriever uses: here rarity among the quotable sentences is
  // what tells one sentence from another.
  const weight = new Map<string, number>();
  for (const t of terms) {
    const df = candidates.filter((c) => c.terms.has(t)).length;
    weight.set(t, (1 + Math.log((candidates.length + 1) / (df + 1))) * termWeight.get(t)!);
  }
  const storeWeight = (t: string) => (inputs.idf?.get(t) ?? weight.get(t)!) * termWeight.get(t)!;
  const titleTerms = new Map<string, Set<string>>();
  for (const c of candidates) {
    c.answers = meetsIntent(c.text, intent, profile);
    if (!terms.some((t) => c.terms.has(t))) continue;
    const related = (t: string) => holdsRelated(t, c.terms);
    const covered = termCoverage(terms, (t) => weight.get(t)!, (t) => (c.terms.has(t) ? 1 : related(t) ? RELATED_CREDIT : 0));
    const lengthPenalty = c.text.length > LONG_SENTENCE_CHARS ? LONG_SENTENCE_PENALTY : 0;
    const lede = c.item.passage.position === 0 && c.index < LEDE_SENTENCES ? LEDE_BONUS : 0;
    c.score = covered + RANK_WEIGHT / (1 + c.rank) + lede + answerBonus(c, intent) - lengthPenalty;
    let title = titleTerms.get(c.item.article.id);
    if (!title) titleTerms.set(c.item.article.id, (title = new Set(contentTerms(c.item.article.title))));
    c.coverage = termCoverage(terms, storeWeight, (t) => (c.terms.has(t) || title.has(t) ? 1 : related(t) ? RELATED_CREDIT : 0));
  }
}
