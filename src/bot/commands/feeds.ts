import { InteractionContextType, PermissionFlagsBits, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { NewsBotError } from '../../core/errors.js';
import { checkIngestUrl } from '../../ingest/request.js';
import { defuseMentions, escapeMarkdown, snippet } from '../format.js';
import { moderatorOnly } from '../gate.js';
import type { Scope } from '../../store/ports.js';
import { addScope } from '../scopes.js';
import { NO_MENTIONS, type Command, type CommandContext } from './command.js';
import { runIngestCommand } from './ingest.js';

/** Most feeds one server may keep (each is read at every poll). */
export const MAX_FEEDS_PER_SERVER = 25;

const shownUrl = (url: string) => defuseMentions(escapeMarkdown(snippet(url, 300)));

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
  const scope = addScope(interaction.guildId!, settings);
  if ((await services.sources.listFeeds([scope])).length >= MAX_FEEDS_PER_SERVER) {
    await reply(`This server already has ${MAX_FEEDS_PER_SERVER} feeds, the most it may keep; remove one with \`/feeds remove\` first.`);
    return;
  }
  if (!(await services.sources.addFeed({ url, scope, addedBy: interaction.user.id }))) {
    await reply(`The feed ${shownUrl(url)} is already kept here.`);
    return;
  }
  await services.sources.audit({ scope, actor: interaction.user.id, action: 'feed.add', target: url });
  // Read it now (the reply shows how far); afterwards it is polled with the others.
  await runIngestCommand(interaction, context, { kind: 'feed', url, scope, addedBy: interaction.user.id }, `the new feed <${url}>`);
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

/** /feeds add|remove url (moderators): feeds this server keeps (owner servers: global ones), read now and at every poll. */
export const feedsCommand: Command = {
  data: {
    ...new SlashCommandBuilder()
      .setName('feeds')
      .setDescription("Moderators: add or remove an RSS or Atom feed this server's answers read.")
      .addSubcommand((s) =>
        s
          .setName('add')
          .setDescription('Add a feed: read now, then at every poll.')
          .addStringOption((o) => o.setName('url').setDescription('The RSS or Atom feed').setRequired(true).setMaxLength(2000)),
      )
      .addSubcommand((s) =>
        s
          .setName('remove')
          .setDescription('Stop reading a feed.')
          .addStringOption((o) => o.setName('url').setDescription('The feed, as /sources list what:feeds shows it').setRequired(true).setMaxLength(2000)),
      )
      .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
      .setContexts(InteractionContextType.Guild)
      .toJSON(),
    dm_permission: false,
  },
  preconditions: [moderatorOnly],
  queued: false,
  ephemeral: () => true,
  async execute(interaction, context) {
    if (interaction.options.getSubcommand() === 'remove') await remove(interaction, context);
    else await add(interaction, context);
  },
};
