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

/** Recall@1/5/10 (hit within the top k), MRR@10, the answer hit rate and article recall@1/5, rounded to 3 places. */
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
  };
}
