import { silentLogger, type Logger } from '../core/logger.js';
import { AnswerService } from '../answer/answerer.js';
import { FollowUpRewriter } from '../answer/conversation.js';
import { LlmAnswerer } from '../answer/llm-answerer.js';
import { OpenAIChatModel } from '../answer/openai-chat-model.js';
import { retrievalSettings, type LlmSettings, type RetrievalSettings } from '../config/defaults.js';
import type { Embedder } from '../core/embedder.js';
import { Retriever } from '../retrieval/retriever.js';
import { LEDE_CHARS } from '../answer/topic.js';
import type { RetrievalStore } from '../store/ports.js';


/** What retrieval and answering are built from. */
export interface AnsweringOptions {
  store: RetrievalStore;
  /** Null: lexical search only. */
  embedder: Embedder | null;
  /** config.retrieval, or just the settings a caller changes; every one not given comes from DEFAULTS.retrieval. */
  retrieval?: { [K in keyof RetrievalSettings]?: RetrievalSettings[K] | undefined };
  /** config.llm; null or unset: extractive answers. */
  llm?: LlmSettings | null;
  /** Backoff between a language model's retries (default: LlmAnswerer's; tests shorten it). */
  llmBackoff?: { baseDelayMs: number; maxDelayMs: number };
  logger?: Logger;
}

/** Retrieval and answering, built. */
export interface Answering {
  /** The retrieval settings in force (the given ones, the rest from DEFAULTS.retrieval). */
  settings: RetrievalSettings;
  retriever: Retriever;
  answers: AnswerService;
  /** The language model answers are written with (null: extractive), for other writing (briefs). */
  model: OpenAIChatModel | null;
}

/**
 * Builds retrieval and answering over a store: the one place that wires them, used by createApp
 * (the bot, the console and the CLIs), the eval, the bench and the tests, so that all of them
 * rank and answer with the same settings. With `llm`, an OpenAI-compatible chat model writes
 * answers (and rewrites follow-ups when its rewrite timeout is above 0); extractive otherwise.
 */
export function buildAnswering(options: AnsweringOptions): Answering {
  const { store, embedder } = options;
  const logger = options.logger ?? silentLogger;
  const settings = retrievalSettings(options.retrieval);
  const retriever = new Retriever(store, embedder, settings, logger);
  const llm = options.llm ?? null;
  const model = llm
    ? new OpenAIChatModel({ apiKey: llm.apiKey, baseURL: llm.baseURL, model: llm.model, timeoutMs: llm.timeoutMs, maxTokens: llm.maxTokens, temperature: llm.temperature })
    : null;
  const answerer =
    llm && model
      ? new LlmAnswerer({
          model,
          maxAttempts: llm.maxAttempts,
          idleTimeoutMs: llm.timeoutMs,
          answerTimeoutMs: llm.answerTimeoutMs,
          maxAnswerChars: llm.maxAnswerChars,
          prompt: { maxPassages: llm.maxPassages, budgetChars: llm.contextChars },
          ...options.llmBackoff,
          logger,
        })
      : null;
  const rewriter = llm && model && llm.rewriteTimeoutMs > 0 ? new FollowUpRewriter({ model, timeoutMs: llm.rewriteTimeoutMs, logger }) : null;
  const answers = new AnswerService(retriever, {
    llm: answerer,
    rewriter,
    termIdf: (stems) => store.termIdf(stems),
    ledes: (articleIds) => articleLedes(store, articleIds),
    articleText: (articleId) => store.articleText(articleId),
    ...(llm ? { llmPassages: llm.maxPassages } : {}),
  });
  return { settings, retriever, answers, model };
}

/**
 * Each article's lede, by article id: its first LEDE_CHARS characters (from its first two
 * passages, which are contiguous slices of its text), the part whose words tell what the article
 * is about. Two reads for any number of articles.
 */
export async function articleLedes(store: RetrievalStore, articleIds: readonly string[]): Promise<Map<string, string>> {
  if (articleIds.length === 0) return new Map();
  const rows = await store.getPassages(await store.passageIdsOf(articleIds, 2));
  const out = new Map<string, string>();
  for (const { article, passage } of rows) {
    const sofar = out.get(article.id) ?? '';
    if (passage.start >= LEDE_CHARS || passage.start < sofar.length) continue;
    out.set(article.id, (sofar.padEnd(passage.start, ' ') + passage.text).slice(0, LEDE_CHARS));
  }
  return out;
}
