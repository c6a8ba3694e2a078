import { InvalidQuestionError } from '../core/errors.js';
import { contentTerms } from '../core/text.js';
import type { Answer, RetrievalMode } from '../core/types.js';
import type { Retriever, SearchResult } from '../retrieval/retriever.js';
import { extractiveAnswer } from './extractive.js';
import type { AnswerEvent, LlmAnswerer } from './llm-answerer.js';

/** Options for one question. */
export interface AskOptions {
  mode?: RetrievalMode;
  k?: number;
  asOf?: Date;
  /** Earlier turns of the conversation, oldest first (LLM answers use them). */
  history?: { question: string; answer: string }[];
  /** Query for retrieval when it differs from the question (a follow-up made standalone). */
  retrievalQuery?: string;
}

/** An answer plus the retrieval behind it (for --json, logs and the eval). */
export interface AskResult {
  answer: Answer;
  search: SearchResult;
}

/** Longest question accepted; longer ones are refused politely. */
export const MAX_QUESTION_CHARS = 2000;

/** Cleans a question: strips zero-width characters and collapses whitespace. */
export function normalizeQuestion(question: string): string {
  return question.replace(/[\u200B-\u200D\u2060\uFEFF]/g, '').replace(/\s+/g, ' ').trim();
}

/** Streamed answer events, with the retrieval behind them on the final event. */
export type AskEvent = Exclude<AnswerEvent, { type: 'final' }> | { type: 'final'; answer: AskResult['answer']; search: SearchResult };

/**
 * Answers questions from the store: retrieval, then a language-model answer when one is
 * configured, else an extractive one.
 */
export class AnswerService {
  private readonly retriever: Retriever;
  private readonly llm: LlmAnswerer | null;
  private readonly llmPassages: number | undefined;
  private readonly termIdf: ((stems: string[]) => ReadonlyMap<string, number>) | undefined;

  /**
   * `llmPassages`: how many passages to retrieve for the language model (default: the retriever's
   * k). `termIdf`: the store's inverse document frequencies (NewsStore.termIdf), which tell
   * extractive answers which question words are rare.
   */
  constructor(retriever: Retriever, options: { llm?: LlmAnswerer | null; llmPassages?: number; termIdf?: (stems: string[]) => ReadonlyMap<string, number> } = {}) {
    this.retriever = retriever;
    this.llm = options.llm ?? null;
    this.llmPassages = options.llmPassages;
    this.termIdf = options.termIdf;
  }

  /** "llm" when a language model writes answers, else "extractive". */
  get answerMode(): 'llm' | 'extractive' {
    return this.llm ? 'llm' : 'extractive';
  }

  /** Retrieves passages for a question and writes the answer. */
  async ask(question: string, options: AskOptions = {}): Promise<AskResult> {
    let result: AskResult | undefined;
    for await (const event of this.askStream(question, options)) {
      if (event.type === 'final') result = { answer: event.answer, search: event.search };
    }
    return result!;
  }

  /** Like `ask`, streaming the language model's text as it is written. */
  async *askStream(question: string, options: AskOptions = {}): AsyncGenerator<AskEvent> {
    const q = normalizeQuestion(question);
    if (!q) throw new InvalidQuestionError('The question is empty.');
    if (q.length > MAX_QUESTION_CHARS) {
      throw new InvalidQuestionError(`The question is too long (${q.length} characters; the limit is ${MAX_QUESTION_CHARS}).`);
    }
    const k = options.k ?? (this.llm ? this.llmPassages : undefined);
    const search = await this.retriever.search(options.retrievalQuery ?? q, { ...options, ...(k ? { k } : {}) });
    if (!this.llm) {
      const question = options.retrievalQuery ?? q;
      const idf = this.termIdf?.(contentTerms(question));
      yield { type: 'final', answer: extractiveAnswer(question, search.passages, idf ? { idf } : {}), search };
      return;
    }
    const today = (options.asOf ?? new Date()).toISOString().slice(0, 10);
    for await (const event of this.llm.stream(q, search.passages, { today, ...(options.history ? { history: options.history } : {}) })) {
      if (event.type === 'final') yield { type: 'final', answer: event.answer, search };
      else yield event;
    }
  }
}
