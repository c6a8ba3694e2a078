import { SlashCommandBuilder } from 'discord.js';
import { questionMistake } from '../../answer/answerer.js';
import type { Command } from './command.js';

/** /ask question [private]: an answer with citations. */
export const askCommand: Command = {
  data: new SlashCommandBuilder()
    .setName('ask')
    .setDescription('Ask a question about the news; the answer cites its sources.')
    .addStringOption((o) => o.setName('question').setDescription('Your question').setRequired(true).setMaxLength(1000))
    .addBooleanOption((o) => o.setName('private').setDescription('Only you see the answer'))
    .toJSON(),
  preconditions: [],
  queued: true,
  ephemeral: (i) => i.options.getBoolean('private') ?? false,
  inputMistake: (i) => questionMistake(i.options.getString('question', true)),
  async execute(interaction, context) {
    const question = interaction.options.getString('question', true);
    await context.answerInteraction(interaction, question, this.ephemeral(interaction));
  },
};
