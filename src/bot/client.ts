import { Client, GatewayIntentBits, type ClientOptions } from 'discord.js';

/**
 * A discord.js Client with the fewest intents the bot needs: guilds (slash commands, threads) and
 * guild messages (mentions; message content arrives for messages that mention the bot, so the
 * privileged Message Content intent is not needed). Nothing it sends can ping by default.
 */
export function createDiscordClient(options: { apiUrl: string; ws?: ClientOptions['ws']; shards?: { ids: number[]; count: number } }): Client {
  return new Client({
    ...(options.shards ? { shards: options.shards.ids, shardCount: options.shards.count } : {}),
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages],
    allowedMentions: { parse: [], repliedUser: false },
    rest: { api: options.apiUrl },
    ...(options.ws ? { ws: options.ws } : {}),
  });
}
