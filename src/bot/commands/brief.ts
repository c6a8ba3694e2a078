import { ChannelType, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { isTimeZone } from '../../core/clock.js';
import { quoteText } from '../format.js';
import { moderatorOnly } from '../gate.js';
import { moderatorCommandData, NO_MENTIONS, type Command } from './command.js';

/** "8:00", "08:00", "20:30" -> "HH:MM"; null when not a time of day. */
export function parseTimeOfDay(text: string): string | null {
  const m = /^\s*([01]?\d|2[0-3])[:.h]([0-5]\d)\s*$/.exec(text);
  return m ? `${m[1]!.padStart(2, '0')}:${m[2]}` : null;
}

/** "ukraine, harbour tunnel" -> ["ukraine", "harbour tunnel"]; null when none. */
export function parseTopics(text: string | null): string[] | null {
  const topics = (text ?? '').split(/[,;\n]/).map((t) => t.trim()).filter(Boolean).slice(0, 10);
  return topics.length ? topics : null;
}

const reply = (interaction: ChatInputCommandInteraction, content: string) => interaction.editReply({ content: content.slice(0, 2000), allowedMentions: NO_MENTIONS });

/** /brief set|show|now|off (moderators): the server's daily news brief. */
export const briefCommand: Command = {
  data: moderatorCommandData(
    new SlashCommandBuilder()
      .setName('brief')
      .setDescription("Moderators: the server's daily news brief.")
      .addSubcommand((s) =>
        s
          .setName('set')
          .setDescription('Post a brief of what is new every day at a time.')
          .addChannelOption((o) => o.setName('channel').setDescription('Where the brief is posted').setRequired(true).addChannelTypes(ChannelType.GuildText, ChannelType.GuildAnnouncement))
          .addStringOption((o) => o.setName('time').setDescription('Time of day, e.g. 08:00').setRequired(true).setMaxLength(5))
          .addStringOption((o) => o.setName('topics').setDescription('Only stories about these, comma-separated').setMaxLength(300))
          .addStringOption((o) => o.setName('timezone').setDescription('Time zone of the time, e.g. Europe/Paris (default UTC)').setMaxLength(64)),
      )
      .addSubcommand((s) => s.setName('show').setDescription("Show the server's brief settings."))
      .addSubcommand((s) => s.setName('now').setDescription('Post a brief of what is new now.'))
      .addSubcommand((s) => s.setName('off').setDescription('Stop the daily brief.'))
      .toJSON(),
  ),
  preconditions: [moderatorOnly],
  queued: false,
  ephemeral: () => true,
  inputMistake(interaction) {
    if (interaction.options.getSubcommand(false) !== 'set') return null;
    if (!parseTimeOfDay(interaction.options.getString('time') ?? '')) return 'Give the time as HH:MM, e.g. 08:00 or 18:30.';
    const zone = interaction.options.getString('timezone');
    if (zone && !isTimeZone(zone)) return 'I do not know that time zone; give one like UTC, Europe/Paris or America/New_York.';
    return null;
  },
  async execute(interaction, { services }) {
    const deliveries = services.deliveries;
    const guildId = interaction.guildId;
    if (!deliveries || !guildId) {
      await reply(interaction, 'Briefs are not available here.');
      return;
    }
    const sub = interaction.options.getSubcommand();
    if (sub === 'set') {
      const channel = interaction.options.getChannel('channel', true);
      const existing = await deliveries.brief(guildId);
      const schedule = await deliveries.setBrief({
        guildId,
        channelId: channel.id,
        time: parseTimeOfDay(interaction.options.getString('time', true))!,
        timeZone: interaction.options.getString('timezone') ?? existing?.timeZone ?? 'UTC',
        topics: parseTopics(interaction.options.getString('topics')),
      });
      const topics = schedule.topics ? ` about ${quoteText(schedule.topics.join(', '))}` : '';
      await reply(interaction, `I will post a brief of what is new${topics} in <#${schedule.channelId}> every day at ${schedule.time} (${schedule.timeZone}).`);
      return;
    }
    if (sub === 'show') {
      const s = await deliveries.brief(guildId);
      if (!s) {
        await reply(interaction, 'No daily brief is set. `/brief set` sets one.');
        return;
      }
      const topics = s.topics ? ` about ${quoteText(s.topics.join(', '))}` : '';
      const last = s.lastBriefAt ? ` The last one covered news until ${s.lastBriefAt.slice(0, 16).replace('T', ' ')} UTC.` : '';
      const problem = s.lastError ? `\nThe last one could not be posted: ${quoteText(s.lastError)}` : '';
      await reply(interaction, `A brief of what is new${topics} is posted in <#${s.channelId}> every day at ${s.time} (${s.timeZone}).${last}${problem}`);
      return;
    }
    if (sub === 'off') {
      await reply(interaction, (await deliveries.removeBrief(guildId)) ? 'The daily brief is off.' : 'No daily brief was set.');
      return;
    }
    const outcome = await deliveries.briefNow(guildId, interaction.channelId, interaction.id);
    if (outcome.kind === 'posted') {
      const what = outcome.stories === 0 ? 'nothing new since the last one' : `${outcome.stories} ${outcome.stories === 1 ? 'story' : 'stories'}`;
      await reply(interaction, `Posted the brief in <#${outcome.channelId}> (${what}).`);
    } else if (outcome.kind === 'unreachable') {
      await reply(interaction, `I cannot post in <#${outcome.channelId}>: check my permissions there, or pick another channel with \`/brief set\`.`);
    } else {
      await reply(interaction, 'That brief was already posted.');
    }
  },
};
