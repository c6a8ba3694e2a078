import { createApp, ensureCorpus, type AppContext } from '../app/context.js';
import { IngestService } from '../app/ingest-service.js';
import { AnswerLog } from '../bot/answer-log.js';
import { NewsBot } from '../bot/bot.js';
import { createDiscordClient } from '../bot/client.js';
import type { BotServices } from '../bot/services.js';
import type { Config } from '../config/index.js';
import { runConsoleChat } from '../console/chat.js';
import type { Logger } from '../core/logger.js';
import { boot, formatSummary, progressReporter, runMain } from './common.js';

async function runBot(app: AppContext, config: Config, logger: Logger, token: string): Promise<void> {
  const log = new AnswerLog(config.dataDir);
  const ingest = new IngestService(app);
  const services: BotServices = {
    answers: app.answers,
    search: async (query, k) => app.retriever.search(query, { k }),
    latest: (topic, limit) => app.retriever.latest(topic, limit),
    status: () => {
      const stats = app.store.stats();
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
      };
    },
    ingest: (request) => ingest.run(request),
    log,
    logger,
  };
  const client = createDiscordClient({ apiUrl: config.discord.apiUrl });
  const bot = new NewsBot(client, services, {
    moderatorRoleIds: config.discord.moderatorRoleIds,
    rateLimitPerMinute: config.discord.rateLimitPerMinute,
    maxConcurrent: config.discord.maxConcurrent,
    maxQueued: config.discord.maxQueued,
    editIntervalMs: config.discord.editIntervalMs,
    registerCommands: config.discord.registerCommands ? { guildId: config.discord.guildId } : null,
  });
  const stopPolling = ingest.startPolling(config.feedPollMinutes);
  let stopping: Promise<void> | null = null;
  const stop = (signal: string) => {
    stopping ??= (async () => {
      logger.info(`${signal}: finishing answers in progress, then shutting down`);
      stopPolling();
      await bot.stop().catch((error: unknown) => logger.error('stopping the bot failed', { error }));
      log.close();
      await app.close();
      process.exit(0);
    })();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  await bot.start(token);
}

runMain(async () => {
  const { config, logger } = await boot();
  const app = await createApp(config, logger);
  const progress = progressReporter('ingest corpus');
  const ingested = await ensureCorpus(app, progress.options);
  progress.stop();
  if (ingested) process.stderr.write(formatSummary(ingested) + '\n');

  if (config.discord.token) {
    await runBot(app, config, logger, config.discord.token);
    return;
  }
  const shutdown = () => {
    void app.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  try {
    const stats = app.store.stats();
    await runConsoleChat({
      answers: app.answers,
      input: process.stdin,
      output: process.stdout,
      logger,
      banner:
        `News QA console: ${stats.articles} articles, ${stats.passages} passages ` +
        `(${app.embedder ? `hybrid search with ${app.embedder.modelId}` : 'lexical search only'}, ${app.answers.answerMode === 'llm' ? `answers by ${config.llm?.model}` : 'extractive answers'}). ` +
        'Ask a question (follow-ups work; "new" starts over); "exit" or Ctrl-D quits.',
    });
  } finally {
    await app.close();
  }
});
