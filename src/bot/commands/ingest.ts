import { SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { ErrorCodes, NewsBotError } from '../../core/errors.js';
import type { IngestRequest, IngestSummary } from '../../core/ingest.js';
import { GLOBAL_SCOPE } from '../../store/ports.js';
import { addScope } from '../scopes.js';
import { defuseMentions, escapeMarkdown } from '../format.js';
import type { IngestRequester } from '../ingest-journal.js';
import { tellModerator } from '../notify.js';
import { moderatorOnly } from '../gate.js';
import { ingestResponse } from '../responses.js';
import { replyEditableUntil } from '../services.js';
import { moderatorCommandData, NO_MENTIONS, type Command, type CommandContext } from './command.js';

/** The moderator's reply shows how far the ingest is, edited at most this often. */
const PROGRESS_EDIT_MS = 5_000;

/**
 * Runs an ingest for a moderator's command: the deferred reply shows progress while it runs and
 * the summary at the end. "An ingest is running" and an ingest that ended without finishing are
 * told to the moderator in the reply; other errors go to the bot's error boundary. Discord lets a
 * reply be edited for 15 minutes: an ingest still running near then says so in the reply, and its
 * summary is sent to the moderator by direct message when it ends (see `deliverLate`).
 */
export async function runIngestCommand(
  interaction: ChatInputCommandInteraction,
  context: Pick<CommandContext, 'services' | 'settings'>,
  request: IngestRequest,
  what: string,
): Promise<IngestSummary | null> {
  const { services } = context;
  const editableUntil = replyEditableUntil(interaction, context.settings);
  const editable = () => Date.now() < editableUntil;
  let latest: string | null = null;
  let shown: string | null = null;
  const timer = setInterval(() => {
    if (latest === null || latest === shown || !editable()) return;
    shown = latest;
    interaction
      .editReply({ content: defuseMentions(`Ingesting ${what}: ${latest}…`).slice(0, 2000), allowedMentions: NO_MENTIONS })
      .catch((error: unknown) => services.logger.debug('ingest progress edit failed', { error: String(error) }));
  }, PROGRESS_EDIT_MS);
  // The last edit the reply can take: where the summary will be. No progress edit comes after it.
  const handOver = setTimeout(
    () => {
      clearInterval(timer);
      const progress = latest ? `: ${latest}` : '';
      interaction
        .editReply({ content: defuseMentions(`Still ingesting ${what}${progress}. Discord lets me edit this reply for 15 minutes only: I will send you the summary by direct message when it ends.`).slice(0, 2000), allowedMentions: NO_MENTIONS })
        .catch((error: unknown) => services.logger.debug('ingest hand-over edit failed', { error: String(error) }));
    },
    Math.max(0, editableUntil - Date.now() - 1_000),
  );
  let content: string;
  let summary: IngestSummary | null = null;
  try {
    summary = await services.ingest(request, (progress) => (latest = progress), { what, requester: requesterOf(interaction) });
    content = ingestResponse(what, summary);
  } catch (error) {
    if (!(error instanceof NewsBotError) || (error.code !== ErrorCodes.IngestBusy && error.code !== ErrorCodes.IngestFailed)) throw error;
    if (error.code === ErrorCodes.IngestFailed) services.logger.warn(`ingest of ${what} did not finish`, { error: error.message, user: interaction.user.id });
    content = defuseMentions(escapeMarkdown(error.message));
  } finally {
    clearInterval(timer);
    clearTimeout(handOver);
  }
  if (editable()) await interaction.editReply({ content: content.slice(0, 2000), allowedMentions: NO_MENTIONS });
  else await deliverLate(interaction, context, content);
  return summary;
}

/**
 * Delivers the end of an ingest whose reply can no longer be edited: the summary by direct message
 * to the moderator; when their DMs are closed, the channel is told that it ended and how (counts
 * only), naming them and pinging no one (see tellModerator).
 */
async function deliverLate(interaction: ChatInputCommandInteraction, { services }: Pick<CommandContext, 'services'>, content: string): Promise<void> {
  const firstLine = content.split('\n')[0]!;
  await tellModerator(interaction.client, requesterOf(interaction), `Your ingest ended. ${content}`, services.logger, `your ingest ended (I could not send you the details by direct message). ${firstLine}`);
}

/** Who ran an ingest command, and where. */
function requesterOf(interaction: ChatInputCommandInteraction): IngestRequester {
  return { userId: interaction.user.id, guildId: interaction.guildId, channelId: interaction.channelId };
}

/** /ingest url|feed|corpus (moderators): add news now. */
export const ingestCommand: Command = {
  data: moderatorCommandData(
    new SlashCommandBuilder()
      .setName('ingest')
      .setDescription("Moderators: ingest an article URL or a feed for this server (or re-scan the corpus: owner servers).")
      .addStringOption((o) => o.setName('url').setDescription('An article page to ingest').setMaxLength(2000))
      .addStringOption((o) => o.setName('feed').setDescription('An RSS or Atom feed to ingest').setMaxLength(2000))
      .toJSON(),
  ),
  preconditions: [moderatorOnly],
  queued: false,
  ephemeral: () => true,
  async execute(interaction, context) {
    const url = interaction.options.getString('url');
    const feed = interaction.options.getString('feed');
    if (url && feed) {
      await interaction.editReply({ content: 'Give either `url` or `feed`, not both.', allowedMentions: NO_MENTIONS });
      return;
    }
    // In an owner server the additions are global; elsewhere they are the server's own.
    const scope = addScope(interaction.guildId!, context.settings);
    if (!url && !feed && scope !== GLOBAL_SCOPE) {
      await interaction.editReply({ content: "Only the operator's servers can re-scan the corpus. Add a page with `url`, or a feed with `/feeds add`.", allowedMentions: NO_MENTIONS });
      return;
    }
    const owner = { scope, addedBy: interaction.user.id };
    const request: IngestRequest = url ? { kind: 'url', url, ...owner } : feed ? { kind: 'feed', url: feed, ...owner } : { kind: 'corpus' };
    const what = url ? `<${url}>` : feed ? `feed <${feed}>` : 'the corpus';
    const summary = await runIngestCommand(interaction, context, request, what);
    const target = url ?? feed;
    if (target && summary && summary.added + summary.updated > 0) {
      await context.services.sources.audit({ scope, actor: interaction.user.id, action: 'article.add', target: feed ? `feed ${target}` : target });
    }
  },
};
