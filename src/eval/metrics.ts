import { holdsKeyTerm, LEDE_CHARS } from '../answer/topic.js';

/** One evaluated question. */
export interface QuestionOutcome {
  id: string;
  /** 1-based rank of the first passage containing the answer, or null when none of the top k does. */
  hitRank: number | null;
  /**
   * 1-based rank, among the distinct articles of the results in order, of the first article whose
   * text contains the answer anywhere (null when none does): tells a ranking miss from a passage
   * choice miss.
   */
  articleHitRank: number | null;
  /** The extractive answer contains the answer text. */
  answerHit: boolean;
  /**
   * The answer quotes an article that is not about the question (see `isOffTopicArticle`); null
   * when the answer quotes nothing or the question has no key term.
   */
  offTopic: boolean | null;
  /** The answer is a refusal ("I couldn't find anything about ..."): it quotes nothing. */
  refused: boolean;
  /** The question's answer is in some article of the set (RealTime QA's `answerable`). */
  answerable: boolean;
}

/** Aggregate answer-recall figures. */
export interface EvalMetrics {
  questions: number;
  'recall@1': number;
  'recall@5': number;
  'recall@10': number;
  'mrr@10': number;
  answer_hit: number;
  /** Diagnostics: one of the first 1 / 5 distinct articles of the results contains the answer anywhere. */
  'article_recall@1': number;
  'article_recall@5': number;
  /** Of the answers that quote articles (and whose question has key terms), the share quoting an off-topic article. */
  off_topic: number;
  /** Share of the answers that are refusals. */
  refused: number;
  /** Share of the answers that answer (are not refusals) but hold no gold answer. */
  answered_wrong: number;
}

/** Figures over questions whose answer is in no article (unanswerable): how often the bot says so. */
export interface UnanswerableMetrics {
  questions: number;
  /** Share refused: the right reply to such a question. */
  refused: number;
  /** Of the answers that quote articles (and whose question has key terms), the share quoting an off-topic article. */
  off_topic: number;
}

/** Lowercased text with unified quotes, dashes and spaces, for containment checks. */
export function normalizeForMatch(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[‘’‛`´]/g, "'")
    .replace(/[“”„‟]/g, '"')
    .replace(/[‐‑‒–—]/g, '-')
    .replace(/\s+/g, ' ');
}

/** True when `text` contains `answer`, case-insensitively. */
export function containsAnswer(text: string, answer: string): boolean {
  const a = normalizeForMatch(answer).trim();
  return a.length > 0 && normalizeForMatch(text).includes(a);
}

/** 1-based rank of the first text containing the answer, or null. */
export function firstHitRank(texts: string[], answer: string): number | null {
  const i = texts.findIndex((t) => containsAnswer(t, answer));
  return i < 0 ? null : i + 1;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** How much of an article's text counts as its lede for the off-topic check (the answer's own topic test uses the same). */
export { LEDE_CHARS };

/**
 * True when an article is not itself about the question: its title and lede (the first
 * LEDE_CHARS characters of its text) hold none of the key terms. A long article that mentions
 * the subject once, deep down (a 50-states roundup), is not about it. An empty key list makes
 * nothing off-topic. Key terms: `keyTerms` in src/answer/topic.ts.
 */
export function isOffTopicArticle(article: { title: string; text: string }, keys: string[]): boolean {
  return !holdsKeyTerm(`${article.title}\n${article.text.slice(0, LEDE_CHARS)}`, keys);
}

/**
 * Recall@1/5/10 (hit within the top k), MRR@10, the answer hit rate, article recall@1/5, the
 * off-topic share, the refusal share and the share answered wrongly, rounded to 3 places.
 */
export function aggregate(outcomes: QuestionOutcome[]): EvalMetrics {
  const n = outcomes.length;
  const within = (rank: number | null, k: number) => rank !== null && rank <= k;
  const recall = (k: number) => (n ? outcomes.filter((o) => within(o.hitRank, k)).length / n : 0);
  const articleRecall = (k: number) => (n ? outcomes.filter((o) => within(o.articleHitRank, k)).length / n : 0);
  const mrr = n ? outcomes.reduce((sum, o) => sum + (o.hitRank !== null && o.hitRank <= 10 ? 1 / o.hitRank : 0), 0) / n : 0;
  return {
    questions: n,
    'recall@1': round(recall(1)),
    'recall@5': round(recall(5)),
    'recall@10': round(recall(10)),
    'mrr@10': round(mrr),
    answer_hit: round(n ? outcomes.filter((o) => o.answerHit).length / n : 0),
    'article_recall@1': round(articleRecall(1)),
    'article_recall@5': round(articleRecall(5)),
    off_topic: offTopicShare(outcomes),
    refused: share(outcomes, (o) => o.refused),
    answered_wrong: share(outcomes, (o) => !o.refused && !o.answerHit),
  };
}

/** Share of outcomes meeting `test`, rounded (0 for none). */
function share(outcomes: readonly QuestionOutcome[], test: (o: QuestionOutcome) => boolean): number {
  return round(outcomes.length ? outcomes.filter(test).length / outcomes.length : 0);
}

/** Of the outcomes judged for topic (offTopic not null), the share quoting an off-topic article. */
function offTopicShare(outcomes: readonly QuestionOutcome[]): number {
  const judged = outcomes.filter((o) => o.offTopic !== null);
  return round(judged.length ? judged.filter((o) => o.offTopic).length / judged.length : 0);
}

/** The refusal share and off-topic share of unanswerable questions (recall means nothing there). */
export function aggregateUnanswerable(outcomes: QuestionOutcome[]): UnanswerableMetrics {
  return { questions: outcomes.length, refused: share(outcomes, (o) => o.refused), off_topic: offTopicShare(outcomes) };
}
