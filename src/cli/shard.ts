/**
 * One shard process, started by the shard manager (`npm start` with DISCORD_SHARDS): the normal
 * bot runtime with its own store connection, on the shard discord.js reads from the environment
 * the manager gives it (SHARDS, SHARD_COUNT).
 */
import { createApp } from '../app/context.js';
import { isShardMetricsMessage, type ShardMetricsMessage } from '../app/sharding.js';
import { ConfigError } from '../core/errors.js';
import { runBotProcess } from './bot-process.js';
import { boot, runMain } from './common.js';

runMain(async () => {
  const { config, logger } = await boot();
  const token = config.discord.token;
  if (!token) throw new ConfigError('DISCORD_TOKEN is not set (a shard is started by `npm start` with DISCORD_SHARDS, which passes it on)');
  // The shard manager serves /healthz and /metrics for every shard of this machine (one port):
  // it asks each shard for its metrics over IPC.
  const app = await createApp({ ...config, health: null }, logger);
  process.on('message', (message: unknown) => {
    if (!isShardMetricsMessage(message) || message.metrics) return;
    void app.metrics.registry
      .getMetricsAsJSON()
      .then((metrics) => process.send?.({ newsbot: 'metrics', id: message.id, metrics } satisfies ShardMetricsMessage))
      .catch((error: unknown) => logger.warn('could not collect metrics for the shard manager', { error }));
  });
  await runBotProcess(app, token, { exitWhenOrphaned: true });
});
