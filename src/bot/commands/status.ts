import { SlashCommandBuilder } from 'discord.js';
import { statusResponse } from '../responses.js';
import { NO_MENTIONS, type Command } from './command.js';

/** /status: articles, passages, last ingest, model and answer mode. */
export const statusCommand: Command = {
  data: new SlashCommandBuilder().setName('status').setDescription('What the bot has read and how it answers.').toJSON(),
  preconditions: [],
  queued: false,
  ephemeral: () => true,
  async execute(interaction, { services }) {
    await interaction.editReply({ content: statusResponse(await services.status()), allowedMentions: NO_MENTIONS });
  },
};
