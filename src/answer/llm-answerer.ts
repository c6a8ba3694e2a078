import { DEFAULTS } from '../config/defaults.js';
import { describeError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { Answer, RetrievedPassage, TokenUsage } from '../core/types.js';
import type { ChatModel } from './chat-model.js';
import { checkCitations } from './citations.js';
import { NOTHING_FOUND, extractiveAnswer, type ExtractiveOptions } from './extractive.js';
import { LlmError, readerReason } from './llm-errors.js';
import { REFUSAL_TEXT, buildPrompt, type PromptOptions } from './prompt.js';

/** Events of a streamed answer. */
export type AnswerEvent =
  /** More answer text (raw, before the citation check). */
  | { type: 'delta'; text: string }
  /** A retry started over: discard the text streamed so far. */
  | { type: 'reset' }
  /** The finished, checked answer (always the last event). */
  | { type: 'final'; answer: Answer };

/** Retry and prompt settings. */
export interface LlmAnswererOptions {
  model: ChatModel;
  /** Attempts per answer, the first included. */
  maxAttempts?: number;
  /** First backoff delay; doubles per retry, with jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A stream that sends nothing for this long is abandoned (and retried). */
  idleTimeoutMs?: number;
  /** One attempt that has not finished after this long is abandoned, however steadily it streams (not retried: the extractive answer follows). */
  answerTimeoutMs?: number;
  /** Most characters of an answer: the stream is stopped there and the answer cut at a sentence, with a note. */
  maxAnswerChars?: number;
  prompt?: PromptOptions;
  logger?: Logger;
  sleep?: (ms: number) => Promise<void>;
}

/** Per-question options. */
export interface LlmAskOptions {
  history?: { question: string; answer: string }[];
  today?: string;
  /** What the extractive fallback answers (default: the question as asked, no options). */
  fallback?: { question: string } & ExtractiveOptions;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Writes answers with a chat model from retrieved passages only, checks their citations, retries
 * passing faults with backoff, and falls back to the extractive answer (with a note) when the
 * model stays unavailable. Never throws for a model fault.
 */
export class LlmAnswerer {
  private readonly model: ChatModel;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly idleTimeoutMs: number;
  private readonly answerTimeoutMs: number;
  private readonly maxAnswerChars: number;
  private readonly promptOptions: PromptOptions;
  private readonly logger: Logger;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: LlmAnswererOptions) {
    this.model = options.model;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULTS.llm.maxAttempts);
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 8_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULTS.llm.timeoutMs;
    this.answerTimeoutMs = options.answerTimeoutMs ?? DEFAULTS.llm.answerTimeoutMs;
    this.maxAnswerChars = options.maxAnswerChars ?? DEFAULTS.llm.maxAnswerChars;
    this.promptOptions = options.prompt ?? {};
    this.logger = options.logger ?? silentLogger;
    this.sleep = options.sleep ?? defaultSleep;
  }

  /** The model id, for /status. */
  get modelId(): string {
    return this.model.modelId;
  }

  /** Answers in one piece (the streamed answer, collected). */
  async answer(question: string, passages: RetrievedPassage[], options: LlmAskOptions = {}): Promise<Answer> {
    let final: Answer | undefined;
    for await (const event of this.stream(question, passages, options)) if (event.type === 'final') final = event.answer;
    return final!;
  }

  /** Streams the answer as deltas, then the checked final answer. */
  async *stream(question: string, passages: RetrievedPassage[], options: LlmAskOptions = {}): AsyncGenerator<AnswerEvent> {
    if (passages.length === 0) {
      yield { type: 'final', answer: { text: NOTHING_FOUND, mode: 'none', citations: [], notes: [] } };
      return;
    }
    const { messages, used } = buildPrompt(question, passages, {
      ...this.promptOptions,
      ...(options.history ? { history: options.history } : {}),
      ...(options.today ? { today: options.today } : {}),
    });
    let lastError: LlmError | undefined;
    let calls = 0;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      calls = attempt;
      let text = '';
      let usage: TokenUsage | null = null;
      let streamed = false;
      const controller = new AbortController();
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, this.idleTimeoutMs);
      };
      let overran = false;
      const deadline = setTimeout(() => {
        overran = true;
        controller.abort();
      }, this.answerTimeoutMs);
      let cut = false;
      try {
        arm();
        for await (const chunk of this.model.stream(messages, { signal: controller.signal })) {
          arm();
          if (chunk.type === 'delta') {
            const room = this.maxAnswerChars - text.length;
            const piece = chunk.text.length > room ? chunk.text.slice(0, room) : chunk.text;
            text += piece;
            streamed = true;
            if (piece) yield { type: 'delta', text: piece };
            if (piece.length < chunk.text.length) {
              // Long enough: stop the model (and the answer slot it holds) here.
              cut = true;
              controller.abort();
              break;
            }
          } else {
            usage = chunk.usage;
          }
        }
        clearTimeout(timer);
        clearTimeout(deadline);
        if (!text.trim()) throw new LlmError('bad_response', 'the language model returned an empty answer');
        const answer = this.finish(cut ? cutAtSentence(text) : text, used, usage);
        if (cut) answer.notes.push(`The answer was cut at ${this.maxAnswerChars.toLocaleString('en-US')} characters.`);
        answer.llmCalls = calls;
        yield { type: 'final', answer };
        return;
      } catch (error) {
        clearTimeout(timer);
        clearTimeout(deadline);
        lastError = overran
          ? new LlmError('timeout', `the language model did not finish its answer within ${this.answerTimeoutMs} ms`)
          : timedOut
            ? new LlmError('timeout', `the language model sent nothing for ${this.idleTimeoutMs} ms`)
            : error instanceof LlmError
              ? error
              : new LlmError('stream', describeError(error), { cause: error });
        // A model that streams too slowly to finish in time would do so again: no retry.
        const retry = !overran && (lastError.retryable || lastError.kind === 'bad_response');
        this.logger.warn('language model call failed', { attempt, kind: lastError.kind, status: lastError.status, error: lastError.message, retry: retry && attempt < this.maxAttempts });
        if (!retry || attempt >= this.maxAttempts) break;
        if (streamed) yield { type: 'reset' };
        const backoff = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
        await this.sleep(Math.min(this.maxDelayMs, Math.max(backoff, lastError.retryAfterMs ?? 0)));
      }
    }
    // The model stayed unavailable: quote the passages instead, and say so in one line.
    const { question: fallbackQuestion, ...fallbackOptions } = options.fallback ?? { question };
    const fallback = extractiveAnswer(fallbackQuestion, passages, fallbackOptions);
    // The reader gets plain words; the status and configuration hints are in the log lines above.
    if (lastError?.kind === 'auth') this.logger.error('language model configuration error', { error: lastError.message });
    fallback.notes.push(`The language model was unavailable (${readerReason(lastError)}), so this answer quotes the articles directly.`);
    fallback.llmCalls = calls;
    fallback.llmFallback = lastError?.kind ?? 'unknown';
    yield { type: 'reset' };
    yield { type: 'final', answer: fallback };
  }

  private finish(raw: string, used: RetrievedPassage[], usage: TokenUsage | null): Answer {
    const check = checkCitations(raw, used);
    if (check.invalid) this.logger.warn('answer cited passages that do not exist; markers removed', { invalid: check.invalid });
    if (usage) this.logger.debug('token usage', { model: this.model.modelId, ...usage });
    if (check.refusal) {
      return { text: check.text || REFUSAL_TEXT, mode: 'llm', citations: [], notes: [], usage, unsupported: false, invalidCitations: check.invalid };
    }
    return {
      text: check.text,
      mode: 'llm',
      citations: check.citations,
      notes: check.unsupported ? ['This answer cites no source; treat it with care.'] : [],
      usage,
      unsupported: check.unsupported,
      invalidCitations: check.invalid,
    };
  }
}

/** A text cut after its last full sentence (or at its last space when it has none), with an ellipsis. */
function cutAtSentence(text: string): string {
  const end = Math.max(text.lastIndexOf('. '), text.lastIndexOf('.\n'), text.lastIndexOf('] '));
  if (end > text.length / 2) return text.slice(0, end + 1).trimEnd() + ' …';
  return text.replace(/\s+\S*$/, '') + ' …';
}
