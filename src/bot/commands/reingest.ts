import { SlashCommandBuilder } from 'discord.js';
import { moderatorOnly } from '../gate.js';
import { isOwnerGuild } from '../scopes.js';
import { runIngestCommand } from './ingest.js';
import { moderatorCommandData, type Command } from './command.js';

/** /reingest (moderators): re-scan the corpus (dropping deleted files) and every configured feed. */
export const reingestCommand: Command = {
  data: moderatorCommandData(
    new SlashCommandBuilder()
      .setName('reingest')
      .setDescription("Moderators: re-read this server's feeds (owner servers: the corpus and the global feeds).")
      .toJSON(),
  ),
  preconditions: [moderatorOnly],
  queued: false,
  ephemeral: () => true,
  async execute(interaction, context) {
    if (isOwnerGuild(interaction.guildId, context.settings)) await runIngestCommand(interaction, context, { kind: 'all' }, 'the corpus and feeds');
    else await runIngestCommand(interaction, context, { kind: 'all', scope: interaction.guildId! }, "this server's feeds");
  },
};
