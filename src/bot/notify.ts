import type { Client } from 'discord.js';
import type { Logger } from '../core/logger.js';
import { NO_MENTIONS } from './commands/command.js';
import type { IngestRequester } from './ingest-journal.js';

/**
 * Tells a moderator something about their ingest outside its reply (the reply can no longer be
 * edited, or the bot restarted): by direct message, private as the reply was; when their DMs are
 * closed, in the channel where they asked, naming them and pinging no one, with `channelLine` (the
 * first line only: no file or URL list in public); when that fails too, the log has it.
 */
export async function tellModerator(client: Client, requester: IngestRequester, content: string, logger: Logger, channelLine = content.split('\n')[0]!): Promise<void> {
  try {
    const dm = await client.users.createDM(requester.userId);
    await dm.send({ content: content.slice(0, 2000), allowedMentions: NO_MENTIONS });
    return;
  } catch (error) {
    logger.info('could not tell a moderator by direct message', { error: String(error), user: requester.userId });
  }
  try {
    const channel = await client.channels.fetch(requester.channelId);
    if (!channel?.isSendable()) throw new Error('the channel is not one the bot can send to');
    await channel.send({ content: `<@${requester.userId}>, ${channelLine}`.slice(0, 2000), allowedMentions: NO_MENTIONS });
  } catch (error) {
    logger.warn('could not tell a moderator about their ingest', { error: String(error), channel: requester.channelId, message: content });
  }
}
