import { InteractionContextType, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import { moderatorOnly } from '../gate.js';
import { isOwnerGuild } from '../scopes.js';
import { runIngestCommand } from './ingest.js';
import { type Command } from './command.js';

/** /reingest (moderators): re-scan the corpus (dropping deleted files) and every configured feed. */
export const reingestCommand: Command = {
  data: {
    ...new SlashCommandBuilder()
      .setName('reingest')
      .setDescription("Moderators: re-read this server's feeds (owner servers: the corpus and the global feeds).")
      .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
      // Server-only: never offered in DMs (a DM has no moderators).
      .setContexts(InteractionContextType.Guild)
      .toJSON(),
    dm_permission: false,
  },
  preconditions: [moderatorOnly],
  queued: false,
  ephemeral: () => true,
  async execute(interaction, context) {
    if (isOwnerGuild(interaction.guildId, context.settings)) await runIngestCommand(interaction, context, { kind: 'all' }, 'the corpus and feeds');
    else await runIngestCommand(interaction, context, { kind: 'all', scope: interaction.guildId! }, "this server's feeds");
  },
};
