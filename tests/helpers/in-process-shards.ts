import type { Client } from 'discord.js';
import { it } from 'vitest';
import { createBotRuntime, type BotRuntime } from '../../src/app/bot-runtime.js';
import { createApp, type AppContext } from '../../src/app/context.js';
import { createDiscordClient } from '../../src/bot/client.js';
import { loadConfig } from '../../src/config/index.js';
import type { Clock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import type { FakeDiscord } from './fake-discord.js';
import { TEST_DATABASE_URL } from './stores.js';

/** The stores shards share: one SQLite DATA_DIR, or one PostgreSQL database (when TEST_DATABASE_URL is set). */
export const SHARED_STORE_BACKENDS = [
  { name: 'SQLite (one DATA_DIR)', postgres: false, available: true },
  { name: 'PostgreSQL', postgres: true, available: TEST_DATABASE_URL !== '' },
];

/**
 * For the top of a `describe.each(SHARED_STORE_BACKENDS)` body: true (after registering one
 * skipped test saying why) when the backend cannot run here, so the body returns at once.
 */
export function backendMissing(available: boolean): boolean {
  if (available) return false;
  it.skip('needs TEST_DATABASE_URL (export TEST_DATABASE_URL=$(scripts/test-postgres.sh))', () => {});
  return true;
}

/** A bot shard running in this process. */
export interface InProcessShard {
  app: AppContext;
  runtime: BotRuntime;
  client: Client;
}

/**
 * Starts shards 0 and 1 of 2 in this process against the fake Discord, each with its own app on
 * the store `env` names (no feed polling; `clock` for the deliveries when given). Their log lines
 * go to `logs`, each marked with its shard.
 */
export async function startInProcessShards(fake: FakeDiscord, env: Record<string, string>, dir: string, logs: string[], clock?: Clock): Promise<InProcessShard[]> {
  const shards: InProcessShard[] = [];
  for (const id of [0, 1]) {
    const config = loadConfig(env, dir);
    const logger = createLogger('debug', (line) => logs.push(`[shard ${id}] ${line}`));
    const app = await createApp(config, logger, { embedder: null, follow: true });
    const client = createDiscordClient({ apiUrl: fake.apiUrl, shards: { ids: [id], count: 2 }, ws: { buildIdentifyThrottler: () => Promise.resolve({ waitForIdentify: () => Promise.resolve() }) } });
    const runtime = createBotRuntime(app, { client, ...(clock ? { clock } : {}), pollIntervalMs: 0 });
    await runtime.start('test-token');
    shards.push({ app, runtime, client });
  }
  return shards;
}

/** Stops shards started by startInProcessShards. */
export async function stopInProcessShards(shards: readonly InProcessShard[]): Promise<void> {
  for (const { runtime } of shards) await runtime.stop();
}
