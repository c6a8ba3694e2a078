import type { Message } from 'discord.js';
import type { Logger } from '../core/logger.js';
import type { Answering } from './answering.js';
import { NO_MENTIONS } from './commands/command.js';
import { isPleasantry, plainQuestion } from './format.js';
import { askerOfMessage, questionGiven, type Gate, type Refusal } from './gate.js';
import { NoticeThrottle } from './limits.js';

/** The reaction to a mention that asks nothing ("thanks!"). */
const ACK_EMOJI = '👍';
/** The reaction that stands in for a notice already given in a burst. */
const WAIT_EMOJI = '⏳';
/** How long one notice in a channel (or to a user) covers later refused mentions there. */
const NOTICE_WINDOW_MS = 60_000;

/** The mention precondition list: a question besides the mention. */
const MENTION_PRECONDITIONS = [questionGiven];

/**
 * How a refusal is shown on a mention: the first of a burst is a short reply, later ones within
 * the window a reaction. "Restarting" and "busy" are per channel (everyone there hears it once),
 * a rate limit per user for as long as they must wait, a usage hint per user with a question mark.
 */
function noticeFor(refusal: Refusal, message: Message): { key: string; windowMs: number; emoji: string } {
  switch (refusal.reason) {
    case 'stopping':
      return { key: `restarting:${message.channelId}`, windowMs: NOTICE_WINDOW_MS, emoji: WAIT_EMOJI };
    case 'busy':
      return { key: `busy:${message.channelId}`, windowMs: NOTICE_WINDOW_MS, emoji: WAIT_EMOJI };
    case 'rate-limited':
      return { key: `rate:${message.author.id}`, windowMs: refusal.waitMs, emoji: WAIT_EMOJI };
    case 'precondition':
      return refusal.precondition === questionGiven.name
        ? { key: `usage:${message.author.id}`, windowMs: NOTICE_WINDOW_MS, emoji: '❓' }
        : { key: `${refusal.precondition}:${message.author.id}`, windowMs: NOTICE_WINDOW_MS, emoji: WAIT_EMOJI };
  }
}

/**
 * Mentions of the bot: a question in a channel or in one of the bot's threads goes through the
 * gate like a slash command, then is answered in the channel; a refusal becomes a notice that
 * never fills the channel in a burst.
 */
export class MentionHandler {
  private readonly gate: Gate;
  private readonly answering: Answering;
  private readonly logger: Logger;
  private readonly notices = new NoticeThrottle();

  constructor(gate: Gate, answering: Answering, logger: Logger) {
    this.gate = gate;
    this.answering = answering;
    this.logger = logger;
  }

  /** Handles a message; ignores those from bots and those that do not mention `botUserId`. */
  async handle(message: Message, botUserId: string): Promise<void> {
    if (message.author.bot || !message.mentions.users.has(botUserId)) return;
    const question = plainQuestion(message.content);
    // "thanks!" or "hi 👋" asks nothing: a reaction, not a search (an empty mention gets the usage hint).
    if (question && isPleasantry(question)) {
      await message.react(ACK_EMOJI).catch((error: unknown) => this.logger.debug('reaction failed', { error: String(error) }));
      return;
    }
    const decision = this.gate.check({
      name: 'mention',
      asker: askerOfMessage(message),
      preconditions: MENTION_PRECONDITIONS,
      queued: true,
      mention: { question, botUserId },
    });
    if (!decision.ok) {
      await this.notice(message, decision.refusal);
      return;
    }
    await decision.run(() => this.answering.answerMention(message, question, botUserId));
  }

  /**
   * A refusal notice for a mention: the first of a burst (per key, within its window) is a short
   * reply; the rest are a reaction on the message, so a burst never fills the channel.
   */
  private async notice(message: Message, refusal: Refusal): Promise<void> {
    const { key, windowMs, emoji } = noticeFor(refusal, message);
    if (this.notices.take(key, windowMs)) {
      await message.reply({ content: refusal.message, allowedMentions: NO_MENTIONS });
      return;
    }
    await message.react(emoji).catch((error: unknown) => this.logger.debug('could not react to a mention', { error: String(error) }));
  }
}
