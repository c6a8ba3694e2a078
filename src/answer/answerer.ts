import { InvalidQuestionError } from '../core/errors.js';
import { contentTerms } from '../core/text.js';
import type { Answer, RetrievalMode } from '../core/types.js';
import type { Retriever, SearchResult } from '../retrieval/retriever.js';
import { extractiveAnswer } from './extractive.js';
import { planFollowUp, type ConversationTurn, type FollowUpPlan, type FollowUpRewriter } from './conversation.js';
import type { AnswerEvent, LlmAnswerer } from './llm-answerer.js';

/** Options for one question. */
export interface AskOptions {
  mode?: RetrievalMode;
  k?: number;
  asOf?: Date;
  /** Earlier turns of the conversation, oldest first: a follow-up is searched and answered with them. */
  history?: ConversationTurn[];
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
  private readonly rewriter: FollowUpRewriter | null;

  /**
   * `llmPassages`: how many passages to retrieve for the language model (default: the retriever's
   * k). `termIdf`: the store's inverse document frequencies (the store's termIdf), which tell
   * extractive answers which question words are rare. `rewriter`: a language model that rewrites
   * follow-ups into standalone questions before they are searched. Built by app/answering.ts.
   */
  constructor(
    retriever: Retriever,
    options: { termIdf: (stems: string[]) => Promise<ReadonlyMap<string, number>>; llm?: LlmAnswerer | null; llmPassages?: number; rewriter?: FollowUpRewriter | null },
  ) {
    this.retriever = retriever;
    this.llm = options.llm ?? null;
    this.llmPassages = options.llmPassages;
    this.termIdf = options.termIdf;
    this.rewriter = options.rewriter ?? null;
  }

  /** "llm" when a language model writes answers, else "extractive". */
  get answerMode(): 'llm' | 'extractive' {
    return this.llm ? 'llm' : 'extractive';
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
    const plan = planFollowUp(q, history, rewrite);
    const k = options.k ?? (this.llm ? this.llmPassages : undefined);
    const { history: _history, ...searchOptions } = options;
    const search = await this.retriever.search(plan.query, {
      ...searchOptions,
      ...(k ? { k } : {}),
      ...(plan.preferArticles.size ? { preferArticles: plan.preferArticles } : {}),
    });
    const idf = await this.termIdf([...contentTerms(plan.question), ...plan.context.keys()]);
    const extractive = { idf, ...(plan.context.size ? { context: plan.context } : {}) };
    if (!this.llm) {
      yield { type: 'final', answer: extractiveAnswer(plan.question, search.passages, extractive), search, plan };
      return;
    }
    const today = (options.asOf ?? new Date()).toISOString().slice(0, 10);
    const fallback = { question: plan.question, ...extractive };
    for await (const event of this.llm.stream(q, search.passages, { today, fallback, ...(plan.topic.length ? { history: plan.topic } : {}) })) {
      if (event.type === 'final') yield { type: 'final', answer: event.answer, search, plan };
      else yield event;
    }
  }
}
