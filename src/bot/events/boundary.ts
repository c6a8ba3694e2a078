import { BaseInteraction, MessageFlags, type Interaction, type Message } from 'discord.js';
import { NO_MENTIONS } from '../commands/command.js';
import { isUserMistake, userMessageFor } from '../errors.js';
import { replyEditableUntil, type BotServices, type BotSettings } from '../services.js';

/**
 * The error boundary of every event handler: the failure is logged (a user's mistake as one line,
 * a real fault with its stack) and the user told, briefly and privately where Discord allows.
 */
export async function guard(bot: { services: BotServices; settings: BotSettings }, source: Interaction | Message, handler: () => Promise<void>): Promise<void> {
  try {
    await handler();
  } catch (error) {
    const question = source instanceof BaseInteraction ? source.isChatInputCommand() && source.commandName === 'ask' : true;
    if (question && !isUserMistake(error)) bot.services.metrics?.questions.inc({ outcome: 'failed' });
    if (source instanceof BaseInteraction) {
      await failInteraction(bot, source, error);
    } else {
      logFailure(bot.services, 'answering a mention', error, { user: source.author.id });
      await source.reply({ content: userMessageFor(error), allowedMentions: NO_MENTIONS }).catch(() => {});
    }
  }
}

/** Logs a failure: a user's mistake as one line, a real fault with its stack. */
function logFailure(services: BotServices, what: string, error: unknown, fields: Record<string, unknown>): void {
  if (isUserMistake(error)) services.logger.info(`${what} refused: ${error instanceof Error ? error.message : String(error)}`, fields);
  else services.logger.error(`${what} failed`, { error, ...fields });
}

/** Tells the user of a failed interaction, privately, whatever state its reply is in. */
async function failInteraction(bot: { services: BotServices; settings: BotSettings }, interaction: Interaction, error: unknown): Promise<void> {
  const { services } = bot;
  const name = interaction.isChatInputCommand() ? `/${interaction.commandName}` : interaction.isButton() ? `button ${interaction.customId}` : 'interaction';
  logFailure(services, name, error, { user: interaction.user.id });
  if (!interaction.isRepliable()) return;
  if (Date.now() >= replyEditableUntil(interaction, bot.settings) && (interaction.deferred || interaction.replied)) {
    // Its token has expired (Discord: 15 minutes): the reply can no longer be edited or followed.
    services.logger.warn(`${name}: the user could not be told of the failure, its reply can no longer be edited`, { user: interaction.user.id });
    return;
  }
  const content = userMessageFor(error);
  try {
    if (interaction.deferred || interaction.replied) {
      if (interaction.ephemeral === true) {
        await interaction.editReply({ content, components: [], allowedMentions: NO_MENTIONS });
      } else {
        // The public "thinking…" message goes; the error is shown to the user alone.
        await interaction.deleteReply().catch(() => {});
        await interaction.followUp({ content, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
      }
    } else {
      await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
    }
  } catch (replyError) {
    services.logger.error('could not tell the user about an error', { error: replyError });
  }
}
