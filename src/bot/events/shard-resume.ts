import { Events } from 'discord.js';
import type { GatewayEvent } from './event.js';

/** A gateway connection resumed: logged with the events replayed. */
export const shardResume: GatewayEvent<Events.ShardResume> = {
  name: Events.ShardResume,
  execute: (bot, id, replayed) => bot.services.logger.info('gateway resumed', { shard: id, replayed }),
};
