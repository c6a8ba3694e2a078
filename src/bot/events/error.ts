import { Events } from 'discord.js';
import type { GatewayEvent } from './event.js';

/** The client's own errors (the gateway, REST): logged. */
export const clientError: GatewayEvent<Events.Error> = {
  name: Events.Error,
  execute: (bot, error) => bot.services.logger.error('discord client error', { error }),
};
