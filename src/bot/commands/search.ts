import { SlashCommandBuilder } from 'discord.js';
import { visibleScopes } from '../../store/ports.js';
import { searchResponse } from '../responses.js';
import { sendParts, type Command } from './command.js';

/** /search query: the best passages with title, date and link. */
export const searchCommand: Command = {
  data: new SlashCommandBuilder()
    .setName('search')
    .setDescription('Show the news passages that best match a query.')
    .addStringOption((o) => o.setName('query').setDescription('What to look for').setRequired(true).setMaxLength(500))
    .toJSON(),
  preconditions: [],
  queued: true,
  ephemeral: () => false,
  async execute(interaction, { services }) {
    const query = interaction.options.getString('query', true);
    const result = await services.search(query, 5, visibleScopes(interaction.guildId));
    await sendParts(interaction, searchResponse(query, result.passages), false);
  },
};
