import { SlashCommandBuilder } from 'discord.js';
import { visibleScopes } from '../../store/ports.js';
import { latestResponse } from '../responses.js';
import { sendParts, type Command } from './command.js';

/** /latest [topic]: recent headlines, optionally about a topic. */
export const latestCommand: Command = {
  data: new SlashCommandBuilder()
    .setName('latest')
    .setDescription('Recent headlines, optionally about a topic.')
    .addStringOption((o) => o.setName('topic').setDescription('Only headlines about this').setMaxLength(200))
    .toJSON(),
  preconditions: [],
  queued: true,
  ephemeral: () => false,
  async execute(interaction, { services }) {
    const topic = interaction.options.getString('topic') ?? undefined;
    const articles = await services.latest(topic, 10, visibleScopes(interaction.guildId));
    await sendParts(interaction, latestResponse(topic, articles), false);
  },
};
