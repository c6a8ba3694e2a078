import { createBotRuntime } from '../app/bot-runtime.js';
import type { AppContext } from '../app/context.js';
import { IngestBusyError } from '../core/errors.js';
import { formatSummary, onParentExit } from './common.js';

/**
 * Runs the Discord bot in this process until SIGINT or SIGTERM, or until the process that started
 * it exits (answers in progress finish, a running ingest stops after its batch): `npm start` without sharding, and each shard process.
 * On first run (an empty store) the corpus is read in the background while the bot already
 * answers; with several processes, the one that gets the ingest lease reads it.
 */
export async function runBotProcess(app: AppContext, token: string, options: { exitWhenOrphaned?: boolean } = {}): Promise<void> {
  const { config, logger } = app;
  const runtime = createBotRuntime(app);
  const stop = (why: string) => {
    logger.info(`${why}: finishing answers in progress (and stopping a running ingest), then shutting down`);
    void runtime.stop().finally(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  // A shard whose manager is gone shuts down rather than run on unmanaged (a new manager would start it again).
  if (options.exitWhenOrphaned) process.once('disconnect', () => stop('the shard manager is gone'));
  // So does a bot whose supervisor (`npm start`, a process manager) was killed: never two bots.
  else onParentExit(() => stop('the process that started the bot is gone'));
  await runtime.start(token);
  if ((await app.store.stats()).articles === 0) {
    logger.info(`store is empty: ingesting ${config.corpusDir} in the background`);
    runtime
      .readFirst()
      .then((summary) => logger.info(formatSummary(summary).split('\n')[0]!))
      .catch((error: unknown) => {
        if (error instanceof IngestBusyError) logger.info(`first-run corpus ingest left to the other process: ${error.message}`);
        else logger.error('first-run corpus ingest failed', { error });
      });
  }
}
