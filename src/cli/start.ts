import { createApp, type AppContext } from '../app/context.js';
import { startHealthServer, storeCheck } from '../app/health-server.js';
import { IngestService } from '../app/ingest-service.js';
import { aggregateMetricsText } from '../core/metrics.js';
import { planShards, startShards } from '../app/sharding.js';
import type { Config } from '../config/index.js';
import { runConsoleChat } from '../console/chat.js';
import type { Logger } from '../core/logger.js';
import { runBotProcess } from './bot-process.js';
import { boot, formatSummary, onParentExit, progressReporter, runMain } from './common.js';

/**
 * The bot under a shard manager (DISCORD_SHARDS): one process per shard of this machine, each
 * answering from the shared store; SIGINT/SIGTERM shut every shard down gracefully.
 */
async function runShards(config: Config, logger: Logger, token: string): Promise<void> {
  const plan = await planShards(config.discord, token, logger);
  const fleet = await startShards(plan, token, logger);
  let stopping = false;
  const health = config.health
    ? await startHealthServer({
        ...config.health,
        logger,
        metrics: { contentType: 'text/plain; version=0.0.4; charset=utf-8', text: async () => aggregateMetricsText(await fleet.metrics()) },
        checks: {
          shards: () => {
            const down = [...fleet.readiness()].filter(([, ready]) => !ready).map(([id]) => id);
            if (stopping) return { ok: false, detail: 'shutting down' };
            return down.length ? { ok: false, detail: `not connected: shard ${down.join(', ')}` } : { ok: true, detail: `${plan.shardIds.length} connected` };
          },
        },
      })
    : null;
  const stop = (signal: string) => {
    stopping = true;
    logger.info(`${signal}: stopping ${plan.shardIds.length} shards (each finishes its answers in progress)`);
    void fleet
      .stop()
      .then(() => health?.close())
      .finally(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  onParentExit(() => stop('the process that started the bot is gone'));
  logger.info(`all ${plan.shardIds.length} shards are ready`);
}

/** Console chat: on first run, the corpus is read (in the ingest worker) before the first question. */
async function runConsole(app: AppContext, config: Config, logger: Logger): Promise<void> {
  const ingest = new IngestService({ config, store: app.store, logger, metrics: app.metrics });
  // No gateway here: healthy while the store answers.
  const health = config.health
    ? await startHealthServer({ ...config.health, logger, metrics: app.metrics, checks: { store: storeCheck(() => app.store.stats()) } })
    : null;
  const shutdown = () => {
    void ingest
      .stop()
      .then(() => health?.close())
      .then(() => app.close())
      .finally(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  onParentExit(shutdown);
  if ((await app.store.stats()).articles === 0) {
    logger.info(`store is empty: ingesting ${config.corpusDir}`);
    const progress = progressReporter('ingest corpus');
    let summary;
    try {
      summary = await ingest.run({ kind: 'corpus' }, (s) => {
        if (s.total !== null) progress.options.onProgress?.({ done: s.done, total: s.total, passages: s.passages });
      });
    } finally {
      progress.stop();
    }
    process.stderr.write(formatSummary(summary) + '\n');
  }
  try {
    const stats = await app.store.stats();
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
    await health?.close();
    await app.close();
  }
}

runMain(async () => {
  const { config, logger } = await boot();
  const token = config.discord.token;
  // The shard manager holds no store and no model: each shard process opens its own.
  if (token && config.discord.sharding) return runShards(config, logger, token);
  const app = await createApp(config, logger);
  if (token) await runBotProcess(app, token);
  else await runConsole(app, config, logger);
});
