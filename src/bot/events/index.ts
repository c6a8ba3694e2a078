import { clientReady } from './client-ready.js';
import { clientError } from './error.js';
import { registerEvent, type BotContext } from './event.js';
import { interactionCreate } from './interaction-create.js';
import { messageCreate } from './message-create.js';
import { shardDisconnect } from './shard-disconnect.js';
import { shardResume } from './shard-resume.js';

/** Registers every gateway event handler of the bot (one file each in this folder) on its client. */
export function registerGatewayEvents(bot: BotContext): void {
  registerEvent(bot, interactionCreate);
  registerEvent(bot, messageCreate);
  registerEvent(bot, clientReady);
  registerEvent(bot, clientError);
  registerEvent(bot, shardDisconnect);
  registerEvent(bot, shardResume);
}
