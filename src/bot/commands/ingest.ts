import { InteractionContextType, PermissionFlagsBits, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { ErrorCodes, NewsBotError } from '../../core/errors.js';
import { defuseMentions, escapeMarkdown } from '../format.js';
import { moderatorOnly } from '../gate.js';
import { ingestResponse } from '../responses.js';
import type { BotIngestRequest, BotServices } from '../services.js';
import { NO_MENTIONS, type Command } from './command.js';

/** The moderator's reply shows how far the ingest is, edited at most this often. */
const PROGRESS_EDIT_MS = 5_000;

/**
 * Runs an ingest for a moderator's command: the deferred reply shows progress while it runs and
 * the summary at the end. "An ingest is running" and an ingest that ended without finishing are
 * told to the moderator in the reply; other errors go to the bot's error boundary.
 */
export async function runIngestCommand(interaction: ChatInputCommandInteraction, services: BotServices, request: BotIngestRequest, what: string): Promise<void> {
  let latest: string | null = null;
  let shown: string | null = null;
  const timer = setInterval(() => {
    if (latest === null || latest === shown) return;
    shown = latest;
    interaction
      .editReply({ content: defuseMentions(`Ingesting ${what}: ${latest}…`), allowedMentions: NO_MENTIONS })
      .catch((error: unknown) => services.logger.debug('ingest progress edit failed', { error: String(error) }));
  }, PROGRESS_EDIT_MS);
  let content: string;
  try {
    const summary = await services.ingest(request, (progress) => (latest = progress));
    content = ingestResponse(what, summary);
  } catch (error) {
    if (!(error instanceof NewsBotError) || (error.code !== ErrorCodes.IngestBusy && error.code !== ErrorCodes.IngestFailed)) throw error;
    if (error.code === ErrorCodes.IngestFailed) services.logger.warn(`ingest of ${what} did not finish`, { error: error.message, user: interaction.user.id });
    content = defuseMentions(escapeMarkdown(error.message));
  } finally {
    clearInterval(timer);
  }
  await interaction.editReply({ content: content.slice(0, 2000), allowedMentions: NO_MENTIONS });
}

/** /ingest url|feed|corpus (moderators): add news now. */
export const ingestCommand: Command = {
  data: {
    ...new SlashCommandBuilder()
      .setName('ingest')
      .setDescription('Moderators: ingest an article URL, a feed, or re-scan the corpus folder.')
      .addStringOption((o) => o.setName('url').setDescription('An article page to ingest').setMaxLength(2000))
      .addStringOption((o) => o.setName('feed').setDescription('An RSS or Atom feed to ingest').setMaxLength(2000))
      .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
      // Server-only: never offered in DMs (a DM has no moderators).
      .setContexts(InteractionContextType.Guild)
      .toJSON(),
    dm_permission: false,
  },
  preconditions: [moderatorOnly],
  queued: false,
  ephemeral: () => true,
  async execute(interaction, { services }) {
    const url = interaction.options.getString('url');
    const feed = interaction.options.getString('feed');
    if (url && feed) {
      await interaction.editReply({ content: 'Give either `url` or `feed`, not both.', allowedMentions: NO_MENTIONS });
      return;
    }
    const request: BotIngestRequest = url ? { kind: 'url', url } : feed ? { kind: 'feed', url: feed } : { kind: 'corpus' };
    const what = url ? `<${url}>` : feed ? `feed <${feed}>` : 'the corpus';
    await runIngestCommand(interaction, services, request, what);
  },
};
