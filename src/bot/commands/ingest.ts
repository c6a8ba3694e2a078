import { InteractionContextType, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import { ingestResponse } from '../responses.js';
import type { BotIngestRequest } from '../services.js';
import { NO_MENTIONS, type Command } from './command.js';

/** /ingest url|feed|corpus (moderators): add news now. */
export const ingestCommand: Command = {
  data: {
    ...new SlashCommandBuilder()
      .setName('ingest')
      .setDescription('Moderators: ingest an article URL, a feed, or re-scan the corpus folder.')
      .addStringOption((o) => o.setName('url').setDescription('An article page to ingest').setMaxLength(2000))
      .addStringOption((o) => o.setName('feed').setDescription('An RSS or Atom feed to ingest').setMaxLength(2000))
      .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
      // Server-only: never offered in DMs (a DM has no moderators).
      .setContexts(InteractionContextType.Guild)
      .toJSON(),
    dm_permission: false,
  },
  moderatorOnly: true,
  queued: false,
  ephemeral: () => true,
  async execute(interaction, { services }) {
    const url = interaction.options.getString('url');
    const feed = interaction.options.getString('feed');
    if (url && feed) {
      await interaction.editReply({ content: 'Give either `url` or `feed`, not both.', allowedMentions: NO_MENTIONS });
      return;
    }
    const request: BotIngestRequest = url ? { kind: 'url', url } : feed ? { kind: 'feed', url: feed } : { kind: 'corpus' };
    const what = url ? `<${url}>` : feed ? `feed <${feed}>` : 'the corpus';
    const summary = await services.ingest(request);
    await interaction.editReply({ content: ingestResponse(what, summary).slice(0, 2000), allowedMentions: NO_MENTIONS });
  },
};
