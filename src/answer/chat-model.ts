/** A chat message for a language model. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

import type { TokenUsage } from '../core/types.js';

export type { TokenUsage };

/** A streamed piece of a completion. */
export type ChatChunk = { type: 'delta'; text: string } | { type: 'usage'; usage: TokenUsage };

/** Options for one call. */
export interface ChatCallOptions {
  signal?: AbortSignal;
}

/** A chat-completion model. The port every language-model adapter implements. */
export interface ChatModel {
  readonly modelId: string;
  /** The whole completion at once. */
  complete(messages: ChatMessage[], options?: ChatCallOptions): Promise<{ text: string; usage: TokenUsage | null }>;
  /** The completion as text deltas, then usage when the server reports it. */
  stream(messages: ChatMessage[], options?: ChatCallOptions): AsyncIterable<ChatChunk>;
}
