import { Events } from 'discord.js';
import type { GatewayEvent } from './event.js';

/** A gateway connection closed (discord.js reconnects by itself): logged. */
export const shardDisconnect: GatewayEvent<Events.ShardDisconnect> = {
  name: Events.ShardDisconnect,
  execute: (bot, event, id) => bot.services.logger.warn('gateway disconnected', { shard: id, code: event.code }),
};
