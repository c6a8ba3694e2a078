import type { Client } from 'discord.js';
import { AnswerLog } from '../bot/answer-log.js';
import { NewsBot } from '../bot/bot.js';
import { createDiscordClient } from '../bot/client.js';
import type { BotServices } from '../bot/services.js';
import type { AppContext } from './context.js';
import { IngestService, describeIngestProgress } from './ingest-service.js';

/** How long shutdown waits for a running ingest to stop after its batch in flight before killing it. */
const INGEST_STOP_GRACE_MS = 10_000;
/** How often the bot looks for writes by other processes (one cheap pragma when there are none). */
const STORE_REFRESH_MS = 2_000;

/** The Discord bot with its services, ingest worker and shutdown, over an app context. */
export interface BotRuntime {
  bot: NewsBot;
  ingest: IngestService;
  services: BotServices;
  /** Logs in, then starts the feed poll. */
  start(token: string): Promise<void>;
  /**
   * Graceful shutdown: stops polling, stops a running ingest after its batch in flight (killing it
   * after a grace period), lets answers in progress finish, disconnects and closes the store.
   */
  stop(): Promise<void>;
}

/** Options for tests and special deployments. */
export interface BotRuntimeOptions {
  /** A discord.js client (default: one for DISCORD_API_URL). */
  client?: Client;
  /** Feed poll interval (default: FEED_POLL_MINUTES). */
  pollIntervalMs?: number;
  /** Ingest worker time limit without progress (default: INGEST_TIMEOUT_MINUTES). */
  ingestStallTimeoutMs?: number;
}

/** Wires the bot: answers and search on this process, every ingest in a worker process. */
export function createBotRuntime(app: AppContext, options: BotRuntimeOptions = {}): BotRuntime {
  const { config, logger } = app;
  const log = new AnswerLog(config.dataDir);
  const ingest = new IngestService({
    config,
    store: app.store,
    logger,
    ...(options.ingestStallTimeoutMs !== undefined ? { stallTimeoutMs: options.ingestStallTimeoutMs } : {}),
  });
  const services: BotServices = {
    answers: app.answers,
    search: async (query, k) => app.retriever.search(query, { k }),
    latest: (topic, limit) => app.retriever.latest(topic, limit),
    status: async () => {
      const stats = await app.store.stats();
      const running = ingest.status();
      return {
        articles: stats.articles,
        passages: stats.passages,
        vectors: stats.vectors,
        lastIngest: stats.lastIngest,
        embeddingModel: app.embedder?.modelId ?? stats.manifest.embeddingModel,
        vectorSearch: app.retriever.hasVectors,
        retrievalMode: config.retrieval.mode,
        answerMode: app.answers.answerMode,
        llmModel: config.llm?.model ?? null,
        feeds: config.feeds.length,
        ingestRunning: running ? describeIngestProgress(running) : null,
      };
    },
    ingest: (request, onProgress) => ingest.run(request, onProgress && ((status) => onProgress(describeIngestProgress(status)))),
    log,
    logger,
  };
  const client = options.client ?? createDiscordClient({ apiUrl: config.discord.apiUrl });
  const bot = new NewsBot(client, services, {
    moderatorRoleIds: config.discord.moderatorRoleIds,
    rateLimitPerMinute: config.discord.rateLimitPerMinute,
    maxConcurrent: config.discord.maxConcurrent,
    maxQueued: config.discord.maxQueued,
    editIntervalMs: config.discord.editIntervalMs,
    registerCommands: config.discord.registerCommands ? { guildId: config.discord.guildId } : null,
  });
  // Load the vector index before serving: later writes are folded in a slice at a time.
  const indexReady = app.embedder ? app.store.openVectorIndex() : Promise.resolve();
  indexReady.catch(() => {}); // awaited in start()
  let stopPolling = () => {};
  let refresher: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | null = null;
  return {
    bot,
    ingest,
    services,
    async start(token) {
      await indexReady;
      await bot.start(token);
      stopPolling = ingest.startPolling(options.pollIntervalMs ?? config.feedPollMinutes * 60_000);
      refresher = setInterval(() => void app.store.refresh().catch((error: unknown) => logger.warn('store refresh failed', { error: String(error) })), STORE_REFRESH_MS);
      refresher.unref();
    },
    stop() {
      stopping ??= (async () => {
        stopPolling();
        clearInterval(refresher);
        await ingest.stop(INGEST_STOP_GRACE_MS);
        await bot.stop().catch((error: unknown) => logger.error('stopping the bot failed', { error }));
        log.close();
        await app.close();
      })();
      return stopping;
    },
  };
}
