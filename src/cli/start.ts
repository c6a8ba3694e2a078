import { createBotRuntime } from '../app/bot-runtime.js';
import { createApp, type AppContext } from '../app/context.js';
import { IngestService } from '../app/ingest-service.js';
import type { Config } from '../config/index.js';
import { runConsoleChat } from '../console/chat.js';
import type { Logger } from '../core/logger.js';
import { boot, formatSummary, progressReporter, runMain } from './common.js';

async function runBot(app: AppContext, config: Config, logger: Logger, token: string): Promise<void> {
  const runtime = createBotRuntime(app);
  const stop = (signal: string) => {
    logger.info(`${signal}: finishing answers in progress (and stopping a running ingest), then shutting down`);
    void runtime.stop().finally(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  await runtime.start(token);
  // First run: read the corpus in the worker while the bot already answers (from what it has).
  if ((await app.store.stats()).articles === 0) {
    logger.info(`store is empty: ingesting ${config.corpusDir} in the background`);
    runtime.ingest
      .run({ kind: 'corpus' })
      .then((summary) => logger.info(formatSummary(summary).split('\n')[0]!))
      .catch((error: unknown) => logger.error('first-run corpus ingest failed', { error }));
  }
}

/** Console chat: on first run, the corpus is read (in the ingest worker) before the first question. */
async function runConsole(app: AppContext, config: Config, logger: Logger): Promise<void> {
  const ingest = new IngestService({ config, store: app.store, logger });
  const shutdown = () => {
    void ingest
      .stop()
      .then(() => app.close())
      .finally(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
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
    await app.close();
  }
}

runMain(async () => {
  const { config, logger } = await boot();
  const app = await createApp(config, logger);
  if (config.discord.token) await runBot(app, config, logger, config.discord.token);
  else await runConsole(app, config, logger);
});
