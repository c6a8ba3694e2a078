import { Events } from 'discord.js';
import { guard } from './boundary.js';
import type { GatewayEvent } from './event.js';

/** Messages that mention the bot: answered like /ask (src/bot/mentions.ts). */
export const messageCreate: GatewayEvent<Events.MessageCreate> = {
  name: Events.MessageCreate,
  execute: (bot, message) =>
    guard(bot, message, async () => {
      const me = bot.client.user;
      if (me) await bot.mentions.handle(message, me.id);
    }),
};
