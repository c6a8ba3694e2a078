import { InteractionContextType, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import { moderatorOnly } from '../gate.js';
import { runIngestCommand } from './ingest.js';
import { type Command } from './command.js';

/** /reingest (moderators): re-scan the corpus (dropping deleted files) and every configured feed. */
export const reingestCommand: Command = {
  data: {
    ...new SlashCommandBuilder()
      .setName('reingest')
      .setDescription('Moderators: re-scan the corpus and all configured feeds.')
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
    await runIngestCommand(interaction, context, { kind: 'all' }, 'the corpus and feeds');
  },
};
