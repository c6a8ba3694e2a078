import { InvalidQuestionError } from '../core/errors.js';
import type { Answer, RetrievalMode } from '../core/types.js';
import type { Retriever, SearchResult } from '../retrieval/retriever.js';
import { extractiveAnswer } from './extractive.js';

/** Options for one question. */
export interface AskOptions {
  mode?: RetrievalMode;
  k?: number;
  asOf?: Date;
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

/** Answers questions from the store: retrieval, then an extractive answer. */
export class AnswerService {
  private readonly retriever: Retriever;
  private readonly notes: string[];

  /** `notes` are added to every answer (e.g. that vector search is unavailable). */
  constructor(retriever: Retriever, notes: string[] = []) {
    this.retriever = retriever;
    this.notes = notes;
  }

  /** Retrieves passages for a question and writes the answer. */
  async ask(question: string, options: AskOptions = {}): Promise<AskResult> {
    const q = normalizeQuestion(question);
    if (!q) throw new InvalidQuestionError('The question is empty.');
    if (q.length > MAX_QUESTION_CHARS) {
      throw new InvalidQuestionError(`The question is too long (${q.length} characters; the limit is ${MAX_QUESTION_CHARS}).`);
    }
    const search = await this.retriever.search(q, options);
    const answer = extractiveAnswer(q, search.passages);
    answer.notes.push(...this.notes);
    return { answer, search };
  }
}
