import type { Client, ClientEvents } from 'discord.js';
import type { CommandContext } from '../commands/command.js';
import type { Gate } from '../gate.js';
import type { MentionHandler } from '../mentions.js';
import type { BotServices, BotSettings } from '../services.js';

/** What every gateway event handler can use: the bot's parts, built once by NewsBot. */
export interface BotContext {
  client: Client;
  services: BotServices;
  settings: BotSettings;
  gate: Gate;
  mentions: MentionHandler;
  commands: CommandContext;
}

/** One gateway event's handler, discord.js style: the event's name, whether it runs once, and what it does. */
export interface GatewayEvent<E extends keyof ClientEvents> {
  name: E;
  once?: boolean;
  execute(bot: BotContext, ...args: ClientEvents[E]): void | Promise<void>;
}

/** Registers a handler on the client (its promise is the handler's own business: each one catches what it throws). */
export function registerEvent<E extends keyof ClientEvents>(bot: BotContext, event: GatewayEvent<E>): void {
  const listener = (...args: ClientEvents[E]) => void event.execute(bot, ...args);
  if (event.once) bot.client.once(event.name, listener);
  else bot.client.on(event.name, listener);
}
