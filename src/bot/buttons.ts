import { ActionRowBuilder, ButtonBuilder, ButtonStyle, MessageFlags, type ButtonInteraction } from 'discord.js';
import { NO_MENTIONS } from './commands/command.js';
import type { LoggedAnswer } from './answer-log.js';
import { sourcesResponse } from './responses.js';
import type { BotServices } from './services.js';

/** A button under an answer: it builds its own custom id and parses it back when clicked. */
export interface ButtonHandler {
  /** True when a clicked button's custom id is one of this handler's. */
  owns(customId: string): boolean;
  handle(interaction: ButtonInteraction, services: BotServices): Promise<void>;
}

/** Answers a click on a button whose answer is gone (or whose id does not parse). */
async function answerGone(interaction: ButtonInteraction): Promise<void> {
  await interaction.reply({ content: 'That answer is no longer available.', flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
}

/**
 * The logged answer a press may act on: only in the server that got the answer (a DM answer: only
 * in that DM), and for a private answer or a DM only by the user who asked. Anyone else, with a
 * custom id known or forged, is treated as if the answer were gone.
 */
function answerFor(interaction: ButtonInteraction, services: BotServices, answerId: string | undefined): LoggedAnswer | undefined {
  const logged = answerId ? services.log.get(answerId) : undefined;
  if (!logged || logged.guildId !== interaction.guildId) return undefined;
  if ((logged.private || logged.guildId === null) && logged.userId !== interaction.user.id) return undefined;
  return logged;
}

const SOURCES = /^sources:([0-9a-f]+)$/;
const FEEDBACK = /^feedback:([0-9a-f]+):(up|down)$/;

/** "Sources": every cited source of an answer, privately (in several messages when they do not fit in one). */
export const sourcesButton = {
  customId: (answerId: string) => `sources:${answerId}`,
  owns: (customId: string) => customId.startsWith('sources:'),
  async handle(interaction: ButtonInteraction, services: BotServices): Promise<void> {
    const logged = answerFor(interaction, services, SOURCES.exec(interaction.customId)?.[1]);
    if (!logged) return answerGone(interaction);
    const [first, ...rest] = sourcesResponse(logged.answer.citations);
    await interaction.reply({ content: first!, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
    for (const content of rest) await interaction.followUp({ content, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
  },
} satisfies ButtonHandler & { customId(answerId: string): string };

/** "Helpful" / "Not helpful": stores the user's vote on an answer. */
export const feedbackButton = {
  customId: (answerId: string, vote: 'up' | 'down') => `feedback:${answerId}:${vote}`,
  owns: (customId: string) => customId.startsWith('feedback:'),
  async handle(interaction: ButtonInteraction, services: BotServices): Promise<void> {
    const match = FEEDBACK.exec(interaction.customId);
    if (!match || !answerFor(interaction, services, match[1]) || !services.log.feedback(match[1]!, interaction.user.id, match[2] === 'up')) return answerGone(interaction);
    await interaction.reply({ content: 'Thanks for the feedback!', flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
  },
} satisfies ButtonHandler & { customId(answerId: string, vote: 'up' | 'down'): string };

const handlers: readonly ButtonHandler[] = [sourcesButton, feedbackButton];

/** Routes a click to the handler that owns its custom id; an unknown one is told the answer is gone. */
export async function handleButton(interaction: ButtonInteraction, services: BotServices): Promise<void> {
  const handler = handlers.find((h) => h.owns(interaction.customId));
  if (!handler) return answerGone(interaction);
  await handler.handle(interaction, services);
}

/** The buttons under an answer: Sources (when it cites any), Helpful, Not helpful. */
export function answerButtons(answerId: string, hasSources: boolean): ActionRowBuilder<ButtonBuilder>[] {
  const row = new ActionRowBuilder<ButtonBuilder>();
  if (hasSources) row.addComponents(new ButtonBuilder().setCustomId(sourcesButton.customId(answerId)).setLabel('Sources').setStyle(ButtonStyle.Secondary));
  row.addComponents(
    new ButtonBuilder().setCustomId(feedbackButton.customId(answerId, 'up')).setLabel('Helpful').setEmoji('👍').setStyle(ButtonStyle.Secondary),
    new ButtonBuilder().setCustomId(feedbackButton.customId(answerId, 'down')).setLabel('Not helpful').setEmoji('👎').setStyle(ButtonStyle.Secondary),
  );
  return [row];
}
