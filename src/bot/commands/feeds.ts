import { ChannelType, MessageFlags, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { parseFeedFilter } from '../../app/feed-filter.js';
import { NewsBotError } from '../../core/errors.js';
import { checkIngestUrl } from '../../ingest/request.js';
import { defuseMentions, escapeMarkdown, packBlocks, snippet } from '../format.js';
import { moderatorOnly } from '../gate.js';
import type { FeedDelivery, FeedRecord, FeedSkipReason, Scope } from '../../store/ports.js';
import { addScope, managedScopes } from '../scopes.js';
import { moderatorCommandData, NO_MENTIONS, sendParts, type Command, type CommandContext } from './command.js';
import { runIngestCommand } from './ingest.js';

/** Most feeds one server may keep (each is read at every poll). */
export const MAX_FEEDS_PER_SERVER = 25;

const shown = (text: string, max: number) => defuseMentions(escapeMarkdown(snippet(text, max)));
const shownUrl = (url: string) => shown(url, 300);

/** Channels a feed may deliver to: text, announcement and forum channels. */
const DELIVERY_CHANNEL_TYPES = [ChannelType.GuildText, ChannelType.GuildAnnouncement, ChannelType.GuildForum] as const;

/** The delivery a /feeds add asks for (channel and filter), null for none, or the reply that refuses it. */
function deliveryOption(interaction: ChatInputCommandInteraction): Pick<FeedDelivery, 'channelId' | 'forum' | 'filter'> | null | string {
  const channel = interaction.options.getChannel('channel');
  const filter = interaction.options.getString('filter')?.trim() || null;
  if (!channel) return filter ? 'A filter chooses what is posted in a channel: give `channel:` too.' : null;
  const guildId = 'guildId' in channel ? channel.guildId : (channel as { guild_id?: string }).guild_id;
  if (guildId !== undefined && guildId !== interaction.guildId) return 'The channel must be in this server.';
  if (filter) {
    try {
      parseFeedFilter(filter);
    } catch (error) {
      return error instanceof NewsBotError ? error.message : 'That filter cannot be used.';
    }
  }
  return { channelId: channel.id, forum: channel.type === ChannelType.GuildForum, filter };
}

/** Where a feed's articles go, as a reply says it. */
function deliveryLine(d: Pick<FeedDelivery, 'channelId' | 'forum' | 'filter'>): string {
  return `<#${d.channelId}>${d.forum ? ' (one forum post per article)' : ''}${d.filter ? ` when they match ${shownFilter(d.filter)}` : ''}`;
}

const shownFilter = (filter: string) => '`' + snippet(filter, 200).replace(/`/g, "'") + '`';

async function add(interaction: ChatInputCommandInteraction, context: CommandContext): Promise<void> {
  const { services, settings } = context;
  const reply = (content: string) => interaction.editReply({ content, allowedMentions: NO_MENTIONS });
  let url: string;
  try {
    url = checkIngestUrl(interaction.options.getString('url', true).trim(), settings.allowPrivateFetch ?? false);
  } catch (error) {
    await reply(error instanceof NewsBotError ? error.message : 'That is not a URL a feed can be read from.');
    return;
  }
  const delivery = deliveryOption(interaction);
  if (typeof delivery === 'string') {
    await reply(delivery);
    return;
  }
  const scope = addScope(interaction.guildId!, settings);
  const kept = await services.sources.listFeeds([scope]);
  if (kept.some((f) => f.url === url)) {
    if (!delivery) {
      await reply(`The feed ${shownUrl(url)} is already kept here. Give \`channel:\` to post its new articles in a channel.`);
      return;
    }
    await services.sources.setFeedDelivery(scope, url, delivery);
    await services.sources.audit({ scope, actor: interaction.user.id, action: 'feed.deliver', target: `${url} -> ${delivery.channelId}` });
    await reply(`The feed ${shownUrl(url)} now posts its new articles in ${deliveryLine(delivery)}.`);
    return;
  }
  if (kept.length >= MAX_FEEDS_PER_SERVER) {
    await reply(`This server already has ${MAX_FEEDS_PER_SERVER} feeds, the most it may keep; remove one with \`/feeds remove\` first.`);
    return;
  }
  if (!(await services.sources.addFeed({ url, scope, addedBy: interaction.user.id }))) {
    await reply(`The feed ${shownUrl(url)} is already kept here.`);
    return;
  }
  await services.sources.audit({ scope, actor: interaction.user.id, action: 'feed.add', target: url });
  if (delivery) {
    await services.sources.setFeedDelivery(scope, url, delivery);
    await services.sources.audit({ scope, actor: interaction.user.id, action: 'feed.deliver', target: `${url} -> ${delivery.channelId}` });
  }
  // Read it now (the reply shows how far); afterwards it is polled with the others.
  await runIngestCommand(interaction, context, { kind: 'feed', url, scope, addedBy: interaction.user.id }, `the new feed <${url}>`);
  if (delivery) {
    await interaction.followUp({
      content: `Its new articles will be posted in ${deliveryLine(delivery)}; those already in the feed are not. \`/feeds list\` shows what was posted and skipped.`,
      allowedMentions: NO_MENTIONS,
      flags: MessageFlags.Ephemeral,
    });
  }
}

/** Why an article was skipped, as /feeds list says it. */
const SKIP_REASONS: Record<FeedSkipReason, string> = {
  filter: 'did not match the filter',
  duplicate: 'already posted in the channel',
  cap: 'over the per-check limit (listed in a summary)',
  unreachable: 'the channel could not be posted to',
  gone: 'removed before it was posted',
};

/** A feed as /feeds list shows it: where it posts, its filter, its last poll, what it delivered and skipped, and why. */
export function feedListBlock(f: FeedRecord): string {
  const polled = f.lastPolledAt ? `last poll ${f.lastPolledAt.slice(0, 16).replace('T', ' ')} UTC${f.lastError ? `, failed: ${shown(f.lastError, 160)}` : ', read'}` : 'not read yet';
  const lines = [`- ${shownUrl(f.url)}${f.scope === 'global' ? ' (global)' : ''}: ${polled}`];
  const d = f.delivery;
  if (!d) {
    lines.push('  posts nowhere (read for answers only)');
    return lines.join('\n');
  }
  lines.push(`  posts to ${deliveryLine(d)}`);
  if (d.lastError) lines.push(`  ⚠ cannot post there: ${shown(d.lastError, 200)}`);
  const skipped = Object.entries(d.log.skipped).filter(([, n]) => n > 0);
  const total = skipped.reduce((n, [, k]) => n + k, 0);
  lines.push(`  ${d.log.delivered} posted, ${total} skipped${total ? ` (${skipped.map(([r, n]) => `${n} ${SKIP_REASONS[r as FeedSkipReason]}`).join('; ')})` : ''}`);
  for (const r of d.log.recent.slice(-3)) {
    lines.push(`  -# skipped ${r.at.slice(0, 16).replace('T', ' ')}: “${shown(r.title, 80)}”: ${SKIP_REASONS[r.reason]}${r.detail ? ` (${shown(r.detail, 120)})` : ''}`);
  }
  return lines.join('\n');
}

async function list(interaction: ChatInputCommandInteraction, { services, settings }: CommandContext): Promise<void> {
  const feeds = await services.sources.listFeeds(managedScopes(interaction.guildId!, settings));
  const head = feeds.length ? `Feeds kept here (${feeds.length}):` : 'No feeds are kept here. Add one with `/feeds add`.';
  await sendParts(interaction, packBlocks([head, ...feeds.map(feedListBlock)]), true);
}

/**
 * Removes a stored feed of one of `scopes` (by its URL as given or as normalized) and records it
 * in the audit trail; returns the reply, or null when none of the scopes keeps that feed.
 */
export async function removeStoredFeed(services: CommandContext['services'], actor: string, scopes: readonly Scope[], given: string): Promise<string | null> {
  const feed = (await services.sources.listFeeds(scopes)).find((f) => f.url === given || f.url === safeUrl(given));
  if (!feed || !(await services.sources.removeFeed(feed.scope, feed.url))) return null;
  await services.sources.audit({ scope: feed.scope, actor, action: 'feed.remove', target: feed.url });
  return `Removed the feed ${shownUrl(feed.url)}: it is no longer read. The articles read from it stay until removed with \`/sources remove\`.`;
}

async function remove(interaction: ChatInputCommandInteraction, { services, settings }: CommandContext): Promise<void> {
  const given = interaction.options.getString('url', true).trim();
  const removed = await removeStoredFeed(services, interaction.user.id, [addScope(interaction.guildId!, settings)], given);
  const content = removed ?? `This server keeps no feed ${shownUrl(given)}. \`/sources list what:feeds\` shows them.`;
  await interaction.editReply({ content, allowedMentions: NO_MENTIONS });
}

/** A URL as checkIngestUrl normalizes it, or the text as given when it is none. */
function safeUrl(text: string): string {
  try {
    return new URL(text).toString();
  } catch {
    return text;
  }
}

/**
 * /feeds add|remove|list (moderators): feeds this server keeps (owner servers: global ones), read
 * now and at every poll; with `channel:`, each new article is posted there (docs/feeds.md).
 */
export const feedsCommand: Command = {
  data: moderatorCommandData(
    new SlashCommandBuilder()
      .setName('feeds')
      .setDescription("Moderators: add, remove or list the RSS or Atom feeds this server reads and posts.")
      .addSubcommand((s) =>
        s
          .setName('add')
          .setDescription('Add a feed: read now, then at every poll.')
          .addStringOption((o) => o.setName('url').setDescription('The RSS or Atom feed').setRequired(true).setMaxLength(2000))
          .addChannelOption((o) => o.setName('channel').setDescription('Post each new article of the feed in this channel').addChannelTypes(...DELIVERY_CHANNEL_TYPES))
          .addStringOption((o) => o.setName('filter').setDescription('Only articles matching: words, "a phrase" or /regex/').setMaxLength(200)),
      )
      .addSubcommand((s) =>
        s
          .setName('remove')
          .setDescription('Stop reading a feed.')
          .addStringOption((o) => o.setName('url').setDescription('The feed, as /sources list what:feeds shows it').setRequired(true).setMaxLength(2000)),
      )
      .addSubcommand((s) => s.setName('list').setDescription("This server's feeds: where each posts, its last poll, and what it posted and skipped, and why."))
      .toJSON(),
  ),
  preconditions: [moderatorOnly],
  queued: false,
  ephemeral: () => true,
  async execute(interaction, context) {
    const sub = interaction.options.getSubcommand();
    if (sub === 'remove') await remove(interaction, context);
    else if (sub === 'list') await list(interaction, context);
    else await add(interaction, context);
  },
};
