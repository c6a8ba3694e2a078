import { SlashCommandBuilder } from 'discord.js';
import { moderatorOnly } from '../gate.js';
import { runIngestCommand } from './ingest.js';
import { moderatorCommandData, type Command } from './command.js';

/** /reingest (moderators): re-scan the corpus (dropping deleted files) and every configured feed. */
export const reingestCommand: Command = {
  data: moderatorCommandData(
    new SlashCommandBuilder()
      .setName('reingest')
      .setDescription('Moderators: re-scan the corpus and all configured feeds.')
      .toJSON(),
  ),
  preconditions: [moderatorOnly],
  queued: false,
  ephemeral: () => true,
  async execute(interaction, context) {
    await runIngestCommand(interaction, context, { kind: 'all' }, 'the corpus and feeds');
  },
};
