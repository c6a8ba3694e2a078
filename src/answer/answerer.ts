import { InvalidQuestionError } from '../core/errors.js';
import { contentTerms } from '../core/text.js';
import type { Answer, RetrievalMode } from '../core/types.js';
import type { Retriever, SearchResult } from '../retrieval/retriever.js';
import type { ScopeFilter } from '../store/ports.js';
import { answers } from './confidence.js';
import { assessPassages, extractiveAnswer } from './extractive.js';
import { keyTerms } from './topic.js';
import { citedArticles, planFollowUp, type ConversationTurn, type FollowUpPlan, type FollowUpRewriter } from './conversation.js';
import type { AnswerEvent, LlmAnswerer } from './llm-answerer.js';

/** Options for one question. */
export interface AskOptions {
  mode?: RetrievalMode;
  k?: number;
  asOf?: Date;
  /** The news as it stood then (see SearchOptions.newsUntil). */
  newsUntil?: Date;
  /** Earlier turns of the conversation, oldest first: a follow-up is searched and answered with them. */
  history?: ConversationTurn[];
  /** The scopes whose articles may answer (see SearchOptions.scopes). */
  scopes?: ScopeFilter;
}

/** An answer plus the retrieval behind it (for --json, logs and the eval). */
export interface AskResult {
  answer: Answer;
  search: SearchResult;
  /** How the question was searched (its query, the conversation's words and cited-article prior). */
  plan: FollowUpPlan;
}

/** Longest question accepted; longer ones are refused politely. */
export const MAX_QUESTION_CHARS = 2000;

/** Cleans a question: strips zero-width characters and collapses whitespace. */
export function normalizeQuestion(question: string): string {
  return question.replace(/[\u200B-\u200D\u2060\uFEFF]/g, '').replace(/\s+/g, ' ').trim();
}

/** What is wrong with a question before any search ("The question is empty."), or null when nothing is. */
export function questionMistake(question: string): string | null {
  return normalizedMistake(normalizeQuestion(question));
}

/** `questionMistake` of a question already normalized. */
function normalizedMistake(q: string): string | null {
  if (!q) return 'The question is empty.';
  if (q.length > MAX_QUESTION_CHARS) return `The question is too long (${q.length} characters; the limit is ${MAX_QUESTION_CHARS}).`;
  return null;
}

/** Streamed answer events, with the retrieval behind them on the final event. */
export type AskEvent = Exclude<AnswerEvent, { type: 'final' }> | ({ type: 'final' } & AskResult);

/**
 * Answers questions from the store: retrieval, then a language-model answer when one is
 * configured, else an extractive one.
 */
export class AnswerService {
  private readonly retriever: Retriever;
  private readonly llm: LlmAnswerer | null;
  private readonly llmPassages: number | undefined;
  private readonly termIdf: (stems: string[]) => Promise<ReadonlyMap<string, number>>;
  private readonly ledes: ((articleIds: string[]) => Promise<ReadonlyMap<string, string>>) | null;
  private readonly articleText: ((articleId: string) => Promise<string | undefined>) | null;
  private readonly rewriter: FollowUpRewriter | null;

  /**
   * `llmPassages`: how many passages to retrieve for the language model (default: the retriever's
   * k). `termIdf`: the store's inverse document frequencies (the store's termIdf), which tell
   * extractive answers which question words are rare. `ledes`: each article's first passage (see
   * articleLedes), which tells which articles are about the question. `articleText`: an article's
   * text, to tell whether a follow-up asks about the thread's articles. `rewriter`: a language model that rewrites
   * follow-ups into standalone questions before they are searched. Built by app/answering.ts.
   */
  constructor(
    retriever: Retriever,
    options: {
      termIdf: (stems: string[]) => Promise<ReadonlyMap<string, number>>;
      ledes?: (articleIds: string[]) => Promise<ReadonlyMap<string, string>>;
      articleText?: (articleId: string) => Promise<string | undefined>;
      llm?: LlmAnswerer | null; llmPassages?: number; rewriter?: FollowUpRewriter | null;
    },
  ) {
    this.retriever = retriever;
    this.llm = options.llm ?? null;
    this.llmPassages = options.llmPassages;
    this.termIdf = options.termIdf;
    this.ledes = options.ledes ?? null;
    this.articleText = options.articleText ?? null;
    this.rewriter = options.rewriter ?? null;
  }

  /** "llm" when a language model writes answers, else "extractive". */
  get answerMode(): 'llm' | 'extractive' {
    return this.llm ? 'llm' : 'extractive';
  }

  /**
   * True when the question's key words (its rarest half) are in the text of the articles the
   * conversation's last turns cited: it asks about the thread's story even with no pronoun.
   */
  private async inCitedArticles(question: string, history: readonly ConversationTurn[]): Promise<boolean> {
    const cited = citedArticles(history);
    if (!this.articleText || cited.length === 0) return false;
    const terms = contentTerms(question);
    const keys = keyTerms(terms, await this.termIdf(terms));
    if (keys.length === 0) return false;
    const texts = await Promise.all(cited.map((id) => this.articleText!(id)));
    const held = new Set(texts.flatMap((t) => (t ? contentTerms(t) : [])));
    return keys.some((k) => held.has(k));
  }

  /** Retrieves passages for a question and writes the answer. */
  async ask(question: string, options: AskOptions = {}): Promise<AskResult> {
    let result: AskResult | undefined;
    for await (const event of this.askStream(question, options)) {
      if (event.type === 'final') result = { answer: event.answer, search: event.search, plan: event.plan };
    }
    return result!;
  }

  /** Like `ask`, streaming the language model's text as it is written. */
  async *askStream(question: string, options: AskOptions = {}): AsyncGenerator<AskEvent> {
    const q = normalizeQuestion(question);
    const mistake = normalizedMistake(q);
    if (mistake) throw new InvalidQuestionError(mistake);
    const history = options.history ?? [];
    // A follow-up is searched with its conversation: rewritten by the model when there is one,
    // with the topic's words and a prior for the articles already cited.
    const rewrite = history.length && this.rewriter ? await this.rewriter.rewrite(q, history) : null;
    const plan = planFollowUp(q, history, rewrite, await this.inCitedArticles(q, history));
    const k = options.k ?? (this.llm ? this.llmPassages : undefined);
    const { history: _history, ...searchOptions } = options;
    const search = await this.retriever.search(plan.query, {
      ...searchOptions,
      ...(k ? { k } : {}),
      ...(plan.preferArticles.size ? { preferArticles: plan.preferArticles } : {}),
    });
    const idf = await this.termIdf([...contentTerms(plan.question), ...plan.context.keys()]);
    const ledes = this.ledes ? await this.ledes([...new Set(search.passages.map((p) => p.article.id))]) : undefined;
    const extractive = {
      idf,
      ...(ledes ? { ledes } : {}),
      ...(plan.context.size ? { context: plan.context } : {}),
      // The thread's articles are about its topic, whatever their ledes say; what it was told is not news.
      ...(plan.topic.length ? { topicArticles: new Set(plan.preferArticles.keys()), alreadySaid: plan.topic.map((t) => t.answer).join('\n') } : {}),
    };
    const assessed = assessPassages(plan.question, search.passages, extractive);
    if (!this.llm || !assessed.evidence || !answers(assessed.evidence)) {
      // Nothing about the question: the same refusal with or without a language model, and no model call.
      yield { type: 'final', answer: extractiveAnswer(plan.question, search.passages, extractive, assessed), search, plan };
      return;
    }
    const today = (options.asOf ?? new Date()).toISOString().slice(0, 10);
    const fallback = { question: plan.question, ...extractive };
    for await (const event of this.llm.stream(q, search.passages, { today, fallback, ...(plan.topic.length ? { history: plan.topic } : {}) })) {
      if (event.type === 'final') yield { type: 'final', answer: { ...event.answer, confidence: event.answer.confidence ?? assessed.confidence }, search, plan };
      else yield event;
    }
  }
}
