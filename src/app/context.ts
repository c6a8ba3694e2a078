import type { Config } from '../config/index.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { Metrics } from '../core/metrics.js';
import type { AnswerService } from '../answer/answerer.js';
import type { ChatModel } from '../answer/chat-model.js';
import type { IngestSummary } from '../core/ingest.js';
import { ingestArticles, type IngestOptions } from '../ingest/pipeline.js';
import { readArticles } from '../ingest/read-articles.js';
import type { Embedder } from '../core/embedder.js';
import type { Retriever } from '../retrieval/retriever.js';
import type { NewsStore } from '../store/ports.js';
import { buildAnswering } from './answering.js';
import { loadEmbedder, openStore } from './root.js';

/** Everything an entry point needs, wired from the config. */
export interface AppContext {
  config: Config;
  logger: Logger;
  store: NewsStore;
  embedder: Embedder | null;
  retriever: Retriever;
  answers: AnswerService;
  /** The process's metrics (served at /metrics when HEALTH_PORT is set). */
  metrics: Metrics;
  /** The configured language model (null: extractive answers and briefs). */
  model: ChatModel | null;
  close(): Promise<void>;
}

/**
 * Loads the embedder (falling back to lexical-only search with one warning line when it cannot
 * be loaded), opens the store and builds retrieval and answering.
 */
export async function createApp(config: Config, logger: Logger, options: { embedder?: Embedder | null; follow?: boolean } = {}): Promise<AppContext> {
  const embedder = options.embedder !== undefined ? options.embedder : await loadEmbedder(config, logger);
  const store = await openStore(config, embedder, logger, { follow: options.follow ?? false });
  const { retriever, answers, model } = buildAnswering({ store, embedder, retrieval: config.retrieval, llm: config.llm, logger });
  return {
    config,
    logger,
    store,
    embedder,
    retriever,
    answers,
    metrics: new Metrics(),
    model,
    async close() {
      try {
        await store.close();
      } catch (error) {
        logger.error('closing the store failed', { error: describeError(error) });
      }
      await embedder?.close?.();
    },
  };
}

/** Ingests paths into the app's store. */
export async function ingestPaths(app: AppContext, paths: string[], options: IngestOptions = {}): Promise<IngestSummary> {
  return ingestArticles(app.store, app.embedder, readArticles(paths), { logger: app.logger, ...options });
}

/** Ingests the bundled corpus when the store holds no articles yet. Returns the summary, or null. */
export async function ensureCorpus(app: AppContext, options: IngestOptions = {}): Promise<IngestSummary | null> {
  if ((await app.store.stats()).articles > 0) return null;
  app.logger.info(`store is empty: ingesting ${app.config.corpusDir}`);
  return ingestPaths(app, [app.config.corpusDir], { pruneUnder: [app.config.corpusDir], ...options });
}
