import { ChannelType, InteractionContextType, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { Watch } from '../../store/ports.js';
import { quoteText, snippet } from '../format.js';
import { askerOfInteraction } from '../gate.js';
import { NO_MENTIONS, type Command } from './command.js';

/** Longest topic a watch follows. */
const MAX_TOPIC_CHARS = 100;

const reply = (interaction: ChatInputCommandInteraction, content: string) => interaction.editReply({ content: content.slice(0, 2000), allowedMentions: NO_MENTIONS });

/** A watch as a line of /watch list. */
export function watchLine(w: Watch): string {
  const where = w.channelId ? `in <#${w.channelId}>` : 'by direct message';
  const problem = w.lastError ? ` (the last alert could not be posted: ${quoteText(snippet(w.lastError, 200))})` : '';
  return `**${w.id}.** ${quoteText(w.topic)}, ${where}${problem}`;
}

/** /watch add|list|remove: alerts when a new article adds something to a followed story. */
export const watchCommand: Command = {
  data: new SlashCommandBuilder()
    .setName('watch')
    .setDescription('Follow a story: an alert when a new article adds something new to it.')
    .addSubcommand((s) =>
      s
        .setName('add')
        .setDescription('Follow a story (alerts by direct message, or in a channel for moderators).')
        .addStringOption((o) => o.setName('topic').setDescription('The story, e.g. harbour tunnel').setRequired(true).setMaxLength(MAX_TOPIC_CHARS))
        .addChannelOption((o) => o.setName('channel').setDescription('Moderators: post the alerts in this channel').addChannelTypes(ChannelType.GuildText, ChannelType.GuildAnnouncement)),
    )
    .addSubcommand((s) => s.setName('list').setDescription('Your watches, and the channel watches of this server.'))
    .addSubcommand((s) =>
      s
        .setName('remove')
        .setDescription('Stop a watch.')
        .addIntegerOption((o) => o.setName('id').setDescription('The watch number (see /watch list)').setRequired(true).setMinValue(1)),
    )
    .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM)
    .toJSON(),
  preconditions: [],
  queued: false,
  ephemeral: () => true,
  inputMistake(interaction) {
    if (interaction.options.getSubcommand(false) !== 'add') return null;
    return (interaction.options.getString('topic') ?? '').trim() ? null : 'Name the story to follow, e.g. `harbour tunnel`.';
  },
  async execute(interaction, { services, settings }) {
    const deliveries = services.deliveries;
    if (!deliveries) {
      await reply(interaction, 'Watches are not available here.');
      return;
    }
    const guildId = interaction.guildId;
    const isModerator = askerOfInteraction(interaction).isModerator(settings.moderatorRoleIds);
    const sub = interaction.options.getSubcommand();
    if (sub === 'add') {
      const topic = interaction.options.getString('topic', true).trim();
      const channel = interaction.options.getChannel('channel');
      if (channel && !isModerator) {
        await reply(interaction, 'Only moderators can post alerts in a channel; without `channel`, I send your alerts by direct message.');
        return;
      }
      const watch = await deliveries.addWatch({ guildId, channelId: channel?.id ?? null, userId: interaction.user.id, topic });
      if (!watch) {
        await reply(interaction, 'You have as many watches as I keep; remove one with `/watch remove` first.');
        return;
      }
      const where = watch.channelId ? `in <#${watch.channelId}>` : 'by direct message';
      await reply(interaction, `Watch ${watch.id}: I will tell you ${where} when a new article adds something to ${quoteText(topic)}.`);
      return;
    }
    const mine = (await deliveries.watches(guildId, interaction.user.id)).filter((w) => w.userId === interaction.user.id || w.channelId !== null);
    if (sub === 'list') {
      await reply(interaction, mine.length ? ['**Watches**', ...mine.map(watchLine)].join('\n') : 'No watches. `/watch add` follows a story.');
      return;
    }
    const id = interaction.options.getInteger('id', true);
    const watch = mine.find((w) => w.id === id);
    if (!watch || (watch.userId !== interaction.user.id && !isModerator)) {
      await reply(interaction, `You have no watch ${id} here (see \`/watch list\`).`);
      return;
    }
    await deliveries.removeWatch(id);
    await reply(interaction, `Watch ${id} (${quoteText(watch.topic)}) is removed.`);
  },
};
