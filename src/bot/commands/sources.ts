import { SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { FeedRecord, SourceArticle } from '../../store/ports.js';
import { GLOBAL_SCOPE } from '../../store/ports.js';
import { defuseMentions, escapeMarkdown, packBlocks, snippet } from '../format.js';
import { moderatorOnly } from '../gate.js';
import { managedScopes } from '../scopes.js';
import { moderatorCommandData, NO_MENTIONS, sendParts, type Command, type CommandContext } from './command.js';
import { removeStoredFeed } from './feeds.js';

/** Articles listed per page of /sources list. */
export const SOURCES_PAGE_SIZE = 10;

/** Who added a source and when: a user (shown as a mention that pings no one) or the operator. */
function addedLine(addedBy: string | null, addedAt: string, scope: string): string {
  const who = addedBy ? `<@${addedBy}>` : 'the operator';
  return `added by ${who} on ${addedAt.slice(0, 10)}${scope === GLOBAL_SCOPE ? ' (global)' : ''}`;
}

/** A title or URL from the outside world, safe to show: Markdown escaped, mentions defused. */
const shown = (text: string, max: number) => defuseMentions(escapeMarkdown(snippet(text, max)));

/** An id shown so that it can be copied into /sources remove as it is. */
const codeId = (id: string) => '`' + id.replace(/`/g, "'") + '`';

/** The lines of a page of articles. */
export function articleLines(items: readonly SourceArticle[]): string[] {
  return items.map((a) => `- ${codeId(a.id)} ${shown(a.title, 120)}${a.url ? ` ${shown(a.url, 200)}` : ''}, ${addedLine(a.addedBy, a.addedAt, a.scope)}`);
}

/** The lines of stored feeds, with the last poll's outcome. */
export function feedLines(feeds: readonly FeedRecord[]): string[] {
  return feeds.map((f) => {
    const polled = f.lastPolledAt ? (f.lastError ? `; last poll failed: ${shown(f.lastError, 160)}` : `; last read ${f.lastPolledAt.slice(0, 16).replace('T', ' ')} UTC`) : '; not read yet';
    return `- ${shown(f.url, 300)}, ${addedLine(f.addedBy, f.addedAt, f.scope)}${polled}`;
  });
}

async function list(interaction: ChatInputCommandInteraction, { services, settings }: CommandContext): Promise<void> {
  const scopes = managedScopes(interaction.guildId!, settings);
  const whose = scopes.includes(GLOBAL_SCOPE) ? "This server's and the global" : "This server's";
  if (interaction.options.getString('what') === 'feeds') {
    const feeds = await services.sources.listFeeds(scopes);
    const head = feeds.length ? `${whose} feeds (${feeds.length}):` : 'No feeds have been added here. Add one with `/feeds add`.';
    await sendParts(interaction, packBlocks([head, ...feedLines(feeds)]), true);
    return;
  }
  const page = interaction.options.getInteger('page') ?? 1;
  const { items, total } = await services.sources.listArticles(scopes, SOURCES_PAGE_SIZE, (page - 1) * SOURCES_PAGE_SIZE);
  const pages = Math.max(1, Math.ceil(total / SOURCES_PAGE_SIZE));
  const head =
    total === 0
      ? 'No articles have been added here. Add a page with `/ingest url`.'
      : items.length === 0
        ? `There are ${pages} pages of articles; page ${page} is past the last.`
        : `${whose} articles (${total}), page ${page} of ${pages}, newest first. Remove one with \`/sources remove id\`:`;
  await sendParts(interaction, packBlocks([head, ...articleLines(items)]), true);
}

async function remove(interaction: ChatInputCommandInteraction, { services, settings }: CommandContext): Promise<void> {
  const id = interaction.options.getString('id', true).trim();
  const scopes = managedScopes(interaction.guildId!, settings);
  const reply = (content: string) => interaction.editReply({ content, allowedMentions: NO_MENTIONS });
  const scope = await services.sources.articleScope(id);
  if (scope !== undefined && scopes.includes(scope)) {
    const removed = await services.sources.removeArticles([id]);
    await services.sources.audit({ scope, actor: interaction.user.id, action: 'article.remove', target: id });
    await reply(removed ? `Removed the article ${codeId(id)}: it is gone from the store and from every answer.` : `The article ${codeId(id)} was already gone.`);
    return;
  }
  const feedRemoved = await removeStoredFeed(services, interaction.user.id, scopes, id);
  if (feedRemoved) {
    await reply(feedRemoved);
    return;
  }
  await reply(`No article or feed of this server has the id ${codeId(snippet(id, 200))}. \`/sources list\` shows them.`);
}

/** /sources list|remove (moderators): this server's articles and feeds (owner servers: global too), and removing one. */
export const sourcesCommand: Command = {
  data: moderatorCommandData(
    new SlashCommandBuilder()
      .setName('sources')
      .setDescription("Moderators: list or remove this server's articles and feeds.")
      .addSubcommand((s) =>
        s
          .setName('list')
          .setDescription("List this server's articles or feeds, with who added each and when.")
          .addStringOption((o) => o.setName('what').setDescription('Articles (default) or feeds').addChoices({ name: 'articles', value: 'articles' }, { name: 'feeds', value: 'feeds' }))
          .addIntegerOption((o) => o.setName('page').setDescription('Page of articles').setMinValue(1).setMaxValue(100_000)),
      )
      .addSubcommand((s) =>
        s
          .setName('remove')
          .setDescription("Remove an article (by its id in /sources list) or a feed (by its URL) of this server.")
          .addStringOption((o) => o.setName('id').setDescription('Article id or feed URL').setRequired(true).setMaxLength(2100)),
      )
      .toJSON(),
  ),
  preconditions: [moderatorOnly],
  queued: false,
  ephemeral: () => true,
  async execute(interaction, context) {
    if (interaction.options.getSubcommand() === 'remove') await remove(interaction, context);
    else await list(interaction, context);
  },
};
