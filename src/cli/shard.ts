/**
 * One shard process, started by the shard manager (`npm start` with DISCORD_SHARDS): the normal
 * bot runtime with its own store connection, on the shard discord.js reads from the environment
 * the manager gives it (SHARDS, SHARD_COUNT).
 */
import { createApp } from '../app/context.js';
import { ConfigError } from '../core/errors.js';
import { runBotProcess } from './bot-process.js';
import { boot, runMain } from './common.js';

runMain(async () => {
  const { config, logger } = await boot();
  const token = config.discord.token;
  if (!token) throw new ConfigError('DISCORD_TOKEN is not set (a shard is started by `npm start` with DISCORD_SHARDS, which passes it on)');
  const app = await createApp(config, logger);
  await runBotProcess(app, token, { exitWhenOrphaned: true });
});
