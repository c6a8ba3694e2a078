import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  PermissionDeniedError,
  RateLimitError,
} from 'openai';
import { DEFAULTS } from '../config/defaults.js';
import type { ChatCallOptions, ChatChunk, ChatMessage, ChatModel, TokenUsage } from './chat-model.js';
import { LlmError } from './llm-errors.js';

/** Settings for an OpenAI-compatible chat endpoint. */
export interface OpenAIChatModelOptions {
  apiKey?: string | undefined;
  /** Any OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1 for Ollama. */
  baseURL?: string | undefined;
  model: string;
  /** Per-request timeout (ms). */
  timeoutMs?: number;
  maxTokens?: number;
  temperature?: number;
  /** Injected fetch (tests, proxies). */
  fetch?: typeof fetch;
}

function usageOf(raw: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null | undefined): TokenUsage | null {
  if (!raw) return null;
  const prompt = raw.prompt_tokens ?? 0;
  const completion = raw.completion_tokens ?? 0;
  return { promptTokens: prompt, completionTokens: completion, totalTokens: raw.total_tokens ?? prompt + completion };
}

function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Number(ms);
  const s = headers?.get('retry-after');
  if (!s) return undefined;
  if (Number.isFinite(Number(s))) return Number(s) * 1000;
  const date = Date.parse(s);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Maps an SDK error to an LlmError with a kind that says whether to retry. */
export function classifyOpenAIError(error: unknown): LlmError {
  if (error instanceof LlmError) return error;
  if (error instanceof AuthenticationError || error instanceof PermissionDeniedError) {
    return new LlmError('auth', `the language model endpoint refused the credentials (HTTP ${error.status}); check OPENAI_API_KEY and OPENAI_BASE_URL`, { status: error.status, cause: error });
  }
  if (error instanceof RateLimitError) {
    return new LlmError('rate_limit', 'the language model is rate limited (HTTP 429)', { status: 429, retryAfterMs: retryAfterMs(error.headers), cause: error });
  }
  if (error instanceof APIConnectionTimeoutError) return new LlmError('timeout', 'the language model timed out', { cause: error });
  if (error instanceof APIUserAbortError) return new LlmError('timeout', 'the language model call was aborted', { cause: error });
  if (error instanceof APIConnectionError) return new LlmError('connection', `cannot reach the language model (${error.message})`, { cause: error });
  if (error instanceof APIError) {
    const status = error.status;
    if (status !== undefined && status >= 500) return new LlmError('server', `the language model failed (HTTP ${status})`, { status, cause: error });
    if (status === 408 || status === 409) return new LlmError('server', `the language model failed (HTTP ${status})`, { status, cause: error });
    if (status === undefined) return new LlmError('stream', `the language model stream broke (${error.message})`, { cause: error });
    return new LlmError('bad_request', `the language model rejected the request (HTTP ${status}: ${error.message})`, { status, cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof SyntaxError) return new LlmError('bad_response', `the language model sent an unreadable response (${message})`, { cause: error });
  return new LlmError('stream', `the language model stream broke (${message})`, { cause: error });
}

/**
 * ChatModel adapter over the official openai SDK, for OpenAI and any compatible server.
 * Retries are left to the caller (the SDK's own are off), so streams and single calls fail
 * the same classified way.
 */
export class OpenAIChatModel implements ChatModel {
  readonly modelId: string;
  private readonly client: OpenAI;
  private readonly maxTokens: number;
  private readonly temperature: number;

  constructor(options: OpenAIChatModelOptions) {
    this.modelId = options.model;
    this.maxTokens = options.maxTokens ?? DEFAULTS.llm.maxTokens;
    this.temperature = options.temperature ?? DEFAULTS.llm.temperature;
    this.client = new OpenAI({
      // Keyless local servers (Ollama, vLLM) accept any key; the SDK requires one.
      apiKey: options.apiKey || 'not-needed',
      baseURL: options.baseURL ?? null,
      timeout: options.timeoutMs ?? DEFAULTS.llm.timeoutMs,
      maxRetries: 0,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  async complete(messages: ChatMessage[], options: ChatCallOptions = {}): Promise<{ text: string; usage: TokenUsage | null }> {
    try {
      const response = await this.client.chat.completions.create(
        { model: this.modelId, messages, max_tokens: this.maxTokens, temperature: this.temperature },
        options.signal ? { signal: options.signal } : {},
      );
      const choice = response.choices?.[0];
      if (!choice || typeof choice.message?.content !== 'string') {
        throw new LlmError('bad_response', 'the language model returned no answer text');
      }
      return { text: choice.message.content, usage: usageOf(response.usage) };
    } catch (error) {
      throw classifyOpenAIError(error);
    }
  }

  async *stream(messages: ChatMessage[], options: ChatCallOptions = {}): AsyncGenerator<ChatChunk> {
    let finished = false;
    try {
      const stream = await this.client.chat.completions.create(
        {
          model: this.modelId,
          messages,
          max_tokens: this.maxTokens,
          temperature: this.temperature,
          stream: true,
          stream_options: { include_usage: true },
        },
        options.signal ? { signal: options.signal } : {},
      );
      for await (const chunk of stream) {
        const choice = chunk.choices?.[0];
        const text = choice?.delta?.content;
        if (text) yield { type: 'delta', text };
        if (choice?.finish_reason) finished = true;
        const usage = usageOf(chunk.usage);
        if (usage) yield { type: 'usage', usage };
      }
    } catch (error) {
      throw classifyOpenAIError(error);
    }
    if (!finished) throw new LlmError('stream', 'the language model stream ended before the answer was finished');
  }
}
