import { createApp, ensureCorpus } from '../app/context.js';
import { runConsoleChat } from '../console/chat.js';
import { boot, formatSummary, progressReporter, runMain } from './common.js';

runMain(async () => {
  const { config, logger } = await boot();
  if (config.discord.token) {
    throw new Error('DISCORD_TOKEN is set, but the Discord bot is not part of this build yet; unset it to use the console chat.');
  }
  const app = await createApp(config, logger);
  const shutdown = () => {
    void app.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  try {
    const progress = progressReporter('ingest corpus');
    const ingested = await ensureCorpus(app, progress.options);
    progress.stop();
    if (ingested) process.stderr.write(formatSummary(ingested) + '\n');
    const stats = app.store.stats();
    await runConsoleChat({
      answers: app.answers,
      input: process.stdin,
      output: process.stdout,
      logger,
      banner:
        `News QA console: ${stats.articles} articles, ${stats.passages} passages ` +
        `(${app.embedder ? `hybrid search with ${app.embedder.modelId}` : 'lexical search only'}, ${app.answers.answerMode === 'llm' ? `answers by ${config.llm?.model}` : 'extractive answers'}). ` +
        'Ask a question; "exit" or Ctrl-D quits.',
    });
  } finally {
    await app.close();
  }
});
