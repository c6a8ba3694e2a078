import { Events } from 'discord.js';
import { commandDefinitions } from '../commands/index.js';
import type { GatewayEvent } from './event.js';

/** Logged in: says so, and registers the slash commands when asked to (once per application, by the process holding shard 0). */
export const clientReady: GatewayEvent<Events.ClientReady> = {
  name: Events.ClientReady,
  once: true,
  async execute(bot, client) {
    const { services, settings } = bot;
    const shards = client.shard ? { shards: client.shard.ids } : {};
    services.logger.info(`logged in to Discord as ${client.user.tag}`, { guilds: client.guilds.cache.size, ...shards });
    // Commands belong to the application, not to a shard: with several shards, the one holding shard 0 registers them.
    if (!settings.registerCommands || (client.shard && !client.shard.ids.includes(0))) return;
    try {
      const guildId = settings.registerCommands.guildId;
      const body = commandDefinitions();
      if (guildId) await client.application.commands.set(body, guildId);
      else await client.application.commands.set(body);
      services.logger.info(`registered ${body.length} slash commands ${guildId ? `in guild ${guildId}` : 'globally'}`);
    } catch (error) {
      services.logger.error('registering slash commands failed', { error });
    }
  },
};
