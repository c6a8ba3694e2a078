import { DiscordAPIError, RESTJSONErrorCodes, Routes, type APIChannel, type APIMessage, type Client } from 'discord.js';
import type { AlertPost, BriefPost, DeliveryPoster, DeliveryTarget, Posted } from '../app/deliveries.js';
import type { FeedArticlePost, FeedSummaryPost, FeedTarget } from '../app/feed-deliveries.js';
import { dayLabel } from '../core/clock.js';
import { DeliveryUnreachableError, describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { AnswerLog } from './answer-log.js';
import { angleUrl, defuseMentions, discordArticleLine, DISCORD_MESSAGE_LIMIT, formatAnswerForDiscord, quoteText, snippet, splitMessage, THREAD_NAME_LIMIT } from './format.js';

/** Discord's answers that mean the bot cannot post there (not a passing failure). */
const UNREACHABLE = new Set<number>([
  RESTJSONErrorCodes.UnknownChannel,
  RESTJSONErrorCodes.UnknownUser,
  RESTJSONErrorCodes.MissingAccess,
  RESTJSONErrorCodes.MissingPermissions,
  RESTJSONErrorCodes.CannotSendMessagesToThisUser,
  RESTJSONErrorCodes.CannotSendMessagesInNonTextChannel,
]);

/** How long a brief's thread stays open without messages (minutes: a day). */
const THREAD_ARCHIVE_MINUTES = 1440;

/** A brief's heading: its day in the server's time zone. */
export function briefHeading(post: Pick<BriefPost, 'at' | 'timeZone'>): string {
  return `News brief · ${dayLabel(post.at, post.timeZone)}`;
}

/** A brief as Discord shows it: the heading, how much it covers, one line per story with its [n], then the sources. */
export function briefText(post: BriefPost): string {
  const { brief } = post;
  const heading = `**${briefHeading(post)}**`;
  if (brief.stories.length === 0) return `${heading}\nNothing new since the last brief.`;
  const stories = brief.stories.length === 1 ? '1 story' : `${brief.stories.length} stories`;
  const articles = brief.articles === 1 ? '1 new article' : `${brief.articles} new articles`;
  return `${heading}\n-# ${stories} from ${articles}. Mention me in the thread to ask about them.\n\n${formatAnswerForDiscord(brief.answer)}`;
}

/** A watch alert as Discord shows it: the topic, the new sentences with [1], the source, how to stop it. */
export function alertText(post: AlertPost): string {
  return `**New in “${quoteText(snippet(post.topic, 100))}”**\n${formatAnswerForDiscord(post.answer)}\n-# Watch ${post.watchId}: \`/watch remove id:${post.watchId}\` stops these alerts.`;
}

/** Longest title a feed post shows (a feed's title may be anything). */
const TITLE_MAX_CHARS = 300;

/** A title on one line. */
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/**
 * An article of a feed as Discord shows it: the title in bold, its source and date in small
 * print, one sentence of its lede, and its link (in angle brackets: no preview). Article text is
 * never Markdown and pings no one.
 */
export function feedArticleText(post: FeedArticlePost): string {
  const { article } = post;
  const details = [article.source, article.date?.slice(0, 10)].filter(Boolean).map((d) => quoteText(oneLine(d!)));
  return [
    `**${quoteText(snippet(oneLine(article.title), TITLE_MAX_CHARS))}**`,
    details.length ? `-# ${details.join(' · ')}` : null,
    post.lede ? quoteText(oneLine(post.lede)) : null,
    article.url ? angleUrl(article.url) : null,
  ]
    .filter((line): line is string => line !== null)
    .join('\n');
}

/** A forum post's title: the article's title, as plain text within Discord's limit. */
export function feedPostName(post: FeedArticlePost): string {
  return defuseMentions(snippet(oneLine(post.article.title), THREAD_NAME_LIMIT)) || 'New article';
}

/**
 * The articles over a channel's cap in one message: a heading, then one line each
 * (`• Title (date, source) <url>`) as many as fit, then how many more there are.
 */
export function feedSummaryText(post: FeedSummaryPost): string {
  const n = post.articles.length;
  let text = `**${n} more new ${n === 1 ? 'article' : 'articles'}** (${post.posted} posted on their own this time):`;
  for (const [i, a] of post.articles.entries()) {
    const line = discordArticleLine('•', a);
    const rest = n - i - 1;
    const tail = rest > 0 ? `\n…and ${rest} more.` : '';
    if (text.length + 1 + line.length + tail.length > DISCORD_MESSAGE_LIMIT - 40) return `${text}\n…and ${n - i} more.`;
    text += `\n${line}`;
  }
  return text;
}

function unreachable(error: unknown): boolean {
  return error instanceof DiscordAPIError && (UNREACHABLE.has(Number(error.code)) || error.status === 403 || error.status === 404);
}

/**
 * Posts briefs and alerts on Discord through the REST API (any shard can post to any channel,
 * cached or not): messages split at Discord's limit, pinging no one. A brief opens a thread whose
 * questions are answered with the brief's articles preferred: the brief is recorded in the answer
 * log as the thread's first turn. A channel the bot cannot post to is a DeliveryUnreachableError.
 */
export class DiscordPoster implements DeliveryPoster {
  private readonly client: Client;
  private readonly log: AnswerLog;
  private readonly logger: Logger;

  constructor(client: Client, log: AnswerLog, logger: Logger) {
    this.client = client;
    this.log = log;
    this.logger = logger;
  }

  async postBrief(channelId: string, post: BriefPost): Promise<Posted> {
    const messageIds = await this.send(channelId, splitMessage(briefText(post)));
    if (post.brief.answer.citations.length === 0) return { messageIds, threadId: null };
    const heading = briefHeading(post);
    try {
      const thread = (await this.client.rest.post(Routes.threads(channelId, messageIds[0]!), {
        body: { name: snippet(heading, THREAD_NAME_LIMIT), auto_archive_duration: THREAD_ARCHIVE_MINUTES },
      })) as APIChannel;
      this.log.record(heading, post.brief.answer, { userId: this.client.user?.id ?? 'bot', guildId: post.guildId, channelId, threadId: thread.id });
      return { messageIds, threadId: thread.id };
    } catch (error) {
      this.logger.warn('could not open a thread on the brief', { channel: channelId, error: describeError(error) });
      return { messageIds, threadId: null };
    }
  }

  async postAlert(target: DeliveryTarget, post: AlertPost): Promise<Posted> {
    const channelId = 'channelId' in target ? target.channelId : await this.dmChannel(target.userId);
    return { messageIds: await this.send(channelId, splitMessage(alertText(post))), threadId: null };
  }

  async postFeedArticle(target: FeedTarget, post: FeedArticlePost): Promise<Posted> {
    const [first, ...rest] = splitMessage(feedArticleText(post));
    if (!target.forum) return { messageIds: await this.send(target.channelId, [first!, ...rest]), threadId: null };
    const posted = await this.forumPost(target.channelId, feedPostName(post), first!);
    if (rest.length > 0) posted.messageIds.push(...(await this.send(posted.threadId!, rest)));
    return posted;
  }

  async postFeedSummary(target: FeedTarget, post: FeedSummaryPost): Promise<Posted> {
    const content = feedSummaryText(post);
    const n = post.articles.length;
    if (target.forum) return this.forumPost(target.channelId, `${n} more new ${n === 1 ? 'article' : 'articles'}`, content);
    return { messageIds: await this.send(target.channelId, [content]), threadId: null };
  }

  /** Opens a post (a thread with its first message) in a forum channel. */
  private async forumPost(forumId: string, name: string, content: string): Promise<Posted> {
    try {
      const thread = (await this.client.rest.post(Routes.threads(forumId), {
        body: { name, auto_archive_duration: THREAD_ARCHIVE_MINUTES, message: { content, allowed_mentions: { parse: [] } } },
      })) as APIChannel & { message?: APIMessage };
      return { messageIds: thread.message ? [thread.message.id] : [], threadId: thread.id };
    } catch (error) {
      if (unreachable(error)) throw new DeliveryUnreachableError(`cannot post in forum channel ${forumId}: ${describeError(error)}`, { cause: error });
      throw error;
    }
  }

  private async dmChannel(userId: string): Promise<string> {
    try {
      return ((await this.client.rest.post(Routes.userChannels(), { body: { recipient_id: userId } })) as APIChannel).id;
    } catch (error) {
      if (unreachable(error)) throw new DeliveryUnreachableError(`cannot open a direct message with member ${userId}: ${describeError(error)}`, { cause: error });
      throw error;
    }
  }

  /** Posts the parts in order; a failure after the first part keeps what was posted (never posted twice by a retry). */
  private async send(channelId: string, parts: string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const content of parts) {
      try {
        const message = (await this.client.rest.post(Routes.channelMessages(channelId), { body: { content, allowed_mentions: { parse: [] } } })) as APIMessage;
        ids.push(message.id);
      } catch (error) {
        if (ids.length > 0) {
          this.logger.warn('a later part of a delivery could not be posted', { channel: channelId, error: describeError(error) });
          return ids;
        }
        if (unreachable(error)) throw new DeliveryUnreachableError(`cannot post in channel ${channelId}: ${describeError(error)}`, { cause: error });
        throw error;
      }
    }
    return ids;
  }
}
